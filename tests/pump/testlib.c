/* See testlib.h. */
#include "testlib.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *test_name = "?";
static uint64_t seed;
static char current_case[256];

void t_init(const char *name, uint64_t default_seed)
{
    test_name = name;
    seed = default_seed;
    const char *env = getenv("TLSPLUG_SEED");
    if (env && *env) {
        char *end = NULL;
        unsigned long long v = strtoull(env, &end, 0);
        if (!end || *end) {
            fprintf(stderr, "%s: TLSPLUG_SEED=\"%s\" is not a number\n", name, env);
            exit(2);
        }
        seed = (uint64_t)v;
    }
    /* Unbuffered, so that output before a crash is not lost. */
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("%s: seed %" PRIu64 " (override with TLSPLUG_SEED)\n", name, seed);
}

uint64_t t_seed(void)
{
    return seed;
}

void t_case(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(current_case, sizeof current_case, fmt, ap);
    va_end(ap);
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: FAIL: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  test %s, case: %s\n  reproduce with TLSPLUG_SEED=%" PRIu64 "\n",
            test_name, current_case[0] ? current_case : "(none)", seed);
    fflush(stderr);
    _exit(1);
}

int t_done(void)
{
    printf("%s: PASS\n", test_name);
    return 0;
}

/* ---- randomness ---------------------------------------------------------- */

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void t_rng_seed(t_rng *r, uint64_t s)
{
    r->s = s;
}

uint64_t t_rng_next(t_rng *r) /* splitmix64 */
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix(r->s);
}

uint64_t t_rng_below(t_rng *r, uint64_t n)
{
    return t_rng_next(r) % n;
}

size_t t_rng_range(t_rng *r, size_t lo, size_t hi)
{
    return lo + (size_t)t_rng_below(r, (uint64_t)(hi - lo) + 1);
}

void t_rng_bytes(t_rng *r, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(t_rng_next(r) >> 24);
}

/* Byte `off` of stream `seed` is byte (off % 8) of mix(seed ^ word index). */
static uint64_t stream_word(uint64_t s, uint64_t w)
{
    return mix((s * 0x9e3779b97f4a7c15ULL) ^ (w + 0x632be59bd9b4e019ULL));
}

void t_stream_fill(uint64_t s, uint64_t off, uint8_t *buf, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint64_t w = stream_word(s, (off + i) / 8);
        for (unsigned b = (unsigned)((off + i) % 8); b < 8 && i < n; b++, i++)
            buf[i] = (uint8_t)(w >> (8 * b));
    }
}

size_t t_stream_diff(uint64_t s, uint64_t off, const uint8_t *data, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint64_t w = stream_word(s, (off + i) / 8);
        for (unsigned b = (unsigned)((off + i) % 8); b < 8 && i < n; b++, i++)
            if (data[i] != (uint8_t)(w >> (8 * b)))
                return i;
    }
    return n;
}

/* ---- test PKI ------------------------------------------------------------ */

uint8_t *t_pki_read(const char *name, size_t *len)
{
    const char *dir = getenv("TLSPLUG_PKI");
    CHECKF(dir && *dir, "TLSPLUG_PKI is not set (ctest sets it; see tests/CMakeLists.txt)");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    CHECKF(f, "cannot open %s", path);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    CHECK(n > 0 && fseek(f, 0, SEEK_SET) == 0);
    uint8_t *buf = malloc((size_t)n + 1);
    CHECK(buf);
    CHECKF(fread(buf, 1, (size_t)n, f) == (size_t)n, "short read of %s", path);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

/* ---- error detail -------------------------------------------------------- */

const char *t_error_code(const void *handle)
{
    static char code[128];
    size_t len = 0;
    if (tlsplug_error_get(handle, TLSPLUG_ERROR_CODE, code, sizeof code, &len) != TLSPLUG_OK)
        code[0] = 0;
    return code;
}

unsigned t_state(tlsplug_socket *s)
{
    unsigned f = 0;
    CHECK_OK(tlsplug_socket_state(s, &f));
    return f;
}
