/* Small test kit for the pump tests: assertions that say where and with
 * which seed a test failed, a seeded PRNG, a seekable pseudo-random byte
 * stream (so payloads are checked on the fly instead of stored), and the
 * test PKI reader.
 *
 * Every test is reproducible: the seed comes from $TLSPLUG_SEED when set,
 * else from the test's default, and every failure prints it.
 */
#ifndef PUMP_TESTLIB_H
#define PUMP_TESTLIB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlsplug.h"

/* Sanitizer builds run fewer random inputs (set by tests/pump/CMakeLists.txt). */
#ifdef TLSPLUG_TEST_SANITIZE
#define T_SANITIZE 1
#else
#define T_SANITIZE 0
#endif

/* Start a test: remembers its name and picks the seed. */
void t_init(const char *name, uint64_t default_seed);
uint64_t t_seed(void);

/* What the test is doing now; printed with any failure. */
void t_case(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the failure with the seed and the current case, and exit 1
 * (_exit: a failed test's leaks are not the news). */
void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* Exit 0 with a one-line summary. */
int t_done(void);

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond))                                                                 \
            t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                          \
    } while (0)

#define CHECKF(cond, ...)                                                            \
    do {                                                                             \
        if (!(cond))                                                                 \
            t_fail(__FILE__, __LINE__, __VA_ARGS__);                                 \
    } while (0)

/* A status compared with the expected one, both printed by name. */
#define CHECK_RC(expr, want)                                                         \
    do {                                                                             \
        int t_got_ = (expr), t_want_ = (want);                                       \
        if (t_got_ != t_want_)                                                       \
            t_fail(__FILE__, __LINE__, "%s answered %s (%d), expected %s (%d)", #expr, \
                   tlsplug_status_name(t_got_), t_got_, tlsplug_status_name(t_want_),  \
                   t_want_);                                                         \
    } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, TLSPLUG_OK)

#define CHECK_STR(got, want)                                                         \
    do {                                                                             \
        const char *t_g_ = (got), *t_w_ = (want);                                    \
        if (!t_g_ || !t_w_ || strcmp(t_g_, t_w_) != 0)                               \
            t_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", #got,        \
                   t_g_ ? t_g_ : "(null)", t_w_ ? t_w_ : "(null)");                  \
    } while (0)

/* ---- randomness ---------------------------------------------------------- */

typedef struct t_rng {
    uint64_t s;
} t_rng;

void t_rng_seed(t_rng *r, uint64_t seed);
uint64_t t_rng_next(t_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t t_rng_below(t_rng *r, uint64_t n);
/* Uniform in [lo, hi]. */
size_t t_rng_range(t_rng *r, size_t lo, size_t hi);
void t_rng_bytes(t_rng *r, uint8_t *buf, size_t n);

/* The byte stream named by `seed`, from offset `off`: any slice can be
 * made or checked without the rest. */
void t_stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n);
/* Index of the first byte of `data` that differs from the stream at `off`,
 * or n when all match. */
size_t t_stream_diff(uint64_t seed, uint64_t off, const uint8_t *data, size_t n);

/* ---- test PKI ------------------------------------------------------------ */

/* The contents of $TLSPLUG_PKI/<name> (malloc'd, NUL-terminated). */
uint8_t *t_pki_read(const char *name, size_t *len);

/* ---- error detail -------------------------------------------------------- */

/* tlsplug_error_get(handle, TLSPLUG_ERROR_CODE) into a static buffer, or
 * "" when the handle has none. */
const char *t_error_code(const void *handle);

/* A socket's state bits, checked to be answered. */
unsigned t_state(tlsplug_socket *s);

#endif
