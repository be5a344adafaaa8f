/* The ABI sweep: every registered function, called through libffi with bad
 * handles and bad pointers, must answer an error status and never crash.
 *
 * The function list and the handle types come only from the generated
 * tests/abi/abi_table.h, so a function added to the registry is swept with
 * no change here. Each function is resolved with dlsym() on the loaded
 * libtlsplug.so.1, so a function missing from the exports fails the sweep.
 *
 * For every handle parameter the sweep passes, with every other argument
 * valid: NULL; a freed handle of the right type; a live handle of each
 * other type; and pointers that are no handle at all (0x1234, a stack
 * variable, a heap block, all bits set). Each must answer
 * TLSPLUG_E_BADHANDLE (a `frees` function given NULL: TLSPLUG_OK) and must
 * leave its out-parameters untouched (docs/ABI.md: written only on success).
 * With live handles, NULL for each non-nullable pointer must answer an
 * error. Functions without handles get NULL pointers (TLSPLUG_E_INVAL) and,
 * for int parameters, odd values. One line per call; the last line counts.
 *
 * The error discipline, for every function with a handle: on a fresh
 * handle, after an unrelated failure, the function failing on a NULL
 * pointer leaves a detail naming it (TLSPLUG_ERROR_CALL) that is not the
 * older one; and a call of it that succeeds leaves no detail.
 *
 *   sweep [libtlsplug.so.1]
 */
#define _GNU_SOURCE /* RTLD_NOLOAD */

#include <dlfcn.h>
#include <ffi.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsplug.h"

#include "abi_table.h"

#define NFUNCS (sizeof tlsplug_abi_functions / sizeof tlsplug_abi_functions[0])
#define NHANDLES (sizeof tlsplug_abi_handles / sizeof tlsplug_abi_handles[0])
#define MAXP 8    /* params[] size in abi_table.h */
#define MAXTAG 16 /* handle tags are 4 bits (src/base/handle.h) */
#define SCRATCH 256

static int passed, failed;
static void *lib;

/* Live and freed handles of each type, made once through the registry's
 * own constructors and destructors (see build_handles). */
static void *live[MAXTAG], *freed[MAXTAG];

static void tally(int ok)
{
    if (ok)
        passed++;
    else
        failed++;
}

static const char *tag_name(int tag)
{
    for (size_t i = 0; i < NHANDLES; i++)
        if (tlsplug_abi_handles[i].tag == tag)
            return tlsplug_abi_handles[i].name;
    return "?";
}

/* Our own names, so a broken tlsplug_status_name() cannot hide results. */
static const char *status_text(int st)
{
    static const char *const names[] = {
        "TLSPLUG_OK", "E_BADHANDLE", "E_INVAL", "E_NOMEM", "E_BUFSIZE", "E_STATE", "E_AGAIN",
        "E_TLS", "E_CLOSED", "E_UNAVAILABLE", "E_UNSUPPORTED", "E_VERIFY", "E_CREDENTIALS",
        "E_INTERNAL",
    };
    if (st <= 0 && -st < (int)(sizeof names / sizeof names[0]))
        return names[-st];
    return "(not a status)";
}

static void noop_cb(uintptr_t userdata, void *source, int event, void *subject, const uint8_t *data,
                    size_t len)
{
    (void)userdata, (void)source, (void)event, (void)subject, (void)data, (void)len;
}

/* ---- one call through libffi --------------------------------------------- */

#define INT_SENTINEL 0x5A5A5A5A
#define SIZE_SENTINEL ((size_t)0x5A5A5A5A)
#define PTR_SENTINEL ((void *)(uintptr_t)0x5A5A5A50)

/* Storage for one call's arguments; avalue[] points into it. */
typedef struct call {
    const struct tlsplug_abi_function *fn;
    void *fp;
    ffi_cif cif;
    ffi_type *atypes[MAXP];
    void *avalue[MAXP];
    void *ptr[MAXP]; /* the pointer-typed argument values */
    int i[MAXP];
    unsigned u[MAXP];
    size_t z[MAXP];
    uintptr_t up[MAXP];
    tlsplug_event_cb cb;
    /* What out-parameters point to, with sentinels to see writes. */
    uint8_t buf[MAXP][SCRATCH];
    uint8_t bytes_in[SCRATCH];
    int int_out[MAXP];
    unsigned uns_out[MAXP];
    size_t size_out[MAXP];
    const uint8_t *view_out[MAXP];
    void *handle_out[MAXP];
} call;

static int is_handle(int kind) { return kind == TLSPLUG_ARG_HANDLE || kind == TLSPLUG_ARG_ANY_HANDLE; }

static int is_pointer(int kind)
{
    switch (kind) {
    case TLSPLUG_ARG_INT:
    case TLSPLUG_ARG_SIZE:
    case TLSPLUG_ARG_UINTPTR:
    case TLSPLUG_ARG_UNSIGNED:
        return 0;
    default:
        return 1;
    }
}

static ffi_type *ffi_of_size(size_t n) { return n == 8 ? &ffi_type_uint64 : &ffi_type_uint32; }

/* Prepare `c` to call `fn` with valid arguments: live handles, scratch
 * buffers of 256 bytes, cap 256, valid out-pointers, ints 1, a no-op
 * callback. Answers 0, or -1 for a kind this sweep does not know. */
static int prepare(call *c, const struct tlsplug_abi_function *fn, void *fp)
{
    memset(c, 0, sizeof *c);
    c->fn = fn;
    c->fp = fp;
    c->cb = noop_cb;
    for (int k = 0; k < fn->nparams; k++) {
        const struct tlsplug_abi_param *p = &fn->params[k];
        c->atypes[k] = &ffi_type_pointer;
        c->avalue[k] = &c->ptr[k];
        switch (p->kind) {
        case TLSPLUG_ARG_HANDLE:
            c->ptr[k] = p->handle_tag > 0 && p->handle_tag < MAXTAG ? live[p->handle_tag] : NULL;
            break;
        case TLSPLUG_ARG_ANY_HANDLE:
            c->ptr[k] = live[tlsplug_abi_handles[0].tag];
            break;
        case TLSPLUG_ARG_HANDLE_OUT: c->ptr[k] = &c->handle_out[k]; break;
        case TLSPLUG_ARG_BUF_OUT: c->ptr[k] = c->buf[k]; break;
        case TLSPLUG_ARG_BYTES_IN: c->ptr[k] = c->bytes_in; break;
        case TLSPLUG_ARG_STRING_IN: c->ptr[k] = (void *)"localhost"; break;
        case TLSPLUG_ARG_INT_OUT: c->ptr[k] = &c->int_out[k]; break;
        case TLSPLUG_ARG_UNSIGNED_OUT: c->ptr[k] = &c->uns_out[k]; break;
        case TLSPLUG_ARG_SIZE_OUT: c->ptr[k] = &c->size_out[k]; break;
        case TLSPLUG_ARG_VIEW_OUT: c->ptr[k] = &c->view_out[k]; break;
        case TLSPLUG_ARG_CALLBACK:
            /* The function pointer's own storage: no cast to void *. */
            c->avalue[k] = &c->cb;
            break;
        case TLSPLUG_ARG_INT:
            c->i[k] = 1;
            c->atypes[k] = &ffi_type_sint;
            c->avalue[k] = &c->i[k];
            break;
        case TLSPLUG_ARG_UNSIGNED:
            c->u[k] = 1;
            c->atypes[k] = &ffi_type_uint;
            c->avalue[k] = &c->u[k];
            break;
        case TLSPLUG_ARG_SIZE:
            c->z[k] = SCRATCH;
            c->atypes[k] = ffi_of_size(sizeof(size_t));
            c->avalue[k] = &c->z[k];
            break;
        case TLSPLUG_ARG_UINTPTR:
            c->up[k] = 1;
            c->atypes[k] = ffi_of_size(sizeof(uintptr_t));
            c->avalue[k] = &c->up[k];
            break;
        default:
            printf("FAIL %s: parameter %d has kind %d, unknown to sweep.c\n", fn->name, k, p->kind);
            return -1;
        }
    }
    ffi_type *rtype = fn->ret == TLSPLUG_RET_STRING ? &ffi_type_pointer : &ffi_type_sint;
    if (ffi_prep_cif(&c->cif, FFI_DEFAULT_ABI, (unsigned)fn->nparams, rtype, c->atypes) != FFI_OK) {
        printf("FAIL %s: ffi_prep_cif failed\n", fn->name);
        return -1;
    }
    return 0;
}

/* Fill every out-parameter with a sentinel, just before the call. */
static void arm_sentinels(call *c)
{
    for (int k = 0; k < MAXP; k++) {
        memset(c->buf[k], 0xA5, SCRATCH);
        c->int_out[k] = INT_SENTINEL;
        c->uns_out[k] = INT_SENTINEL;
        c->size_out[k] = SIZE_SENTINEL;
        c->view_out[k] = PTR_SENTINEL;
        c->handle_out[k] = PTR_SENTINEL;
    }
}

/* The first out-parameter a failed call wrote, or -1. */
static int written_out(const call *c)
{
    for (int k = 0; k < c->fn->nparams; k++) {
        int w = 0;
        switch (c->fn->params[k].kind) {
        case TLSPLUG_ARG_BUF_OUT:
            for (size_t b = 0; b < SCRATCH; b++)
                w |= c->buf[k][b] != 0xA5;
            break;
        case TLSPLUG_ARG_INT_OUT: w = c->int_out[k] != INT_SENTINEL; break;
        case TLSPLUG_ARG_UNSIGNED_OUT: w = c->uns_out[k] != INT_SENTINEL; break;
        case TLSPLUG_ARG_SIZE_OUT: w = c->size_out[k] != SIZE_SENTINEL; break;
        case TLSPLUG_ARG_VIEW_OUT: w = c->view_out[k] != PTR_SENTINEL; break;
        case TLSPLUG_ARG_HANDLE_OUT: w = c->handle_out[k] != PTR_SENTINEL; break;
        default: break;
        }
        if (w)
            return k;
    }
    return -1;
}

static int invoke_status(call *c)
{
    ffi_arg rc = 0;
    arm_sentinels(c);
    ffi_call(&c->cif, FFI_FN(c->fp), &rc, c->avalue);
    return (int)rc;
}

/* ---- expectations -------------------------------------------------------- */

enum expect { EXPECT_OK, EXPECT_BADHANDLE, EXPECT_INVAL, EXPECT_ERROR };

static void *resolve(const char *name)
{
    dlerror();
    void *fp = dlsym(lib, name);
    if (fp == NULL)
        printf("FAIL %s: not exported by libtlsplug.so.1 (%s)\n", name, dlerror());
    return fp;
}

static void handle_free(int tag, void *h);

/* Call, compare with the expectation, print one line. A failed call must
 * not have written its out-parameters; a handle it made anyway is freed. */
static void check_call(call *c, const char *what, enum expect want)
{
    int st = invoke_status(c);
    int ok;
    switch (want) {
    case EXPECT_OK: ok = st == TLSPLUG_OK; break;
    case EXPECT_BADHANDLE: ok = st == TLSPLUG_E_BADHANDLE; break;
    case EXPECT_INVAL: ok = st == TLSPLUG_E_INVAL; break;
    default: ok = st < 0; break;
    }
    /* TLSPLUG_E_BUFSIZE is the one failure that writes (the length needed). */
    int wrote = st < 0 && st != TLSPLUG_E_BUFSIZE ? written_out(c) : -1;
    if (wrote >= 0)
        ok = 0;
    printf("%s %s(%s) -> %d %s%s\n", ok ? "ok  " : "FAIL", c->fn->name, what, st, status_text(st),
           wrote >= 0 ? " (wrote an out-parameter on failure)" : "");
    tally(ok);
    /* Leak nothing ASan would report if a bad call made a handle anyway. */
    for (int k = 0; k < c->fn->nparams; k++)
        if (st == TLSPLUG_OK && want != EXPECT_OK && c->fn->params[k].kind == TLSPLUG_ARG_HANDLE_OUT &&
            c->handle_out[k] != PTR_SENTINEL)
            handle_free(c->fn->params[k].handle_tag, c->handle_out[k]);
}

/* ---- live and freed handles, from the registry --------------------------- */

static const struct tlsplug_abi_function *constructor_of(int tag)
{
    const struct tlsplug_abi_function *best = NULL;
    char want[64];
    snprintf(want, sizeof want, "tlsplug_%s_new", tag_name(tag));
    for (size_t f = 0; f < NFUNCS; f++) {
        const struct tlsplug_abi_function *fn = &tlsplug_abi_functions[f];
        for (int k = 0; k < fn->nparams; k++)
            if (fn->params[k].kind == TLSPLUG_ARG_HANDLE_OUT && fn->params[k].handle_tag == tag &&
                (best == NULL || strcmp(fn->name, want) == 0))
                best = fn;
    }
    return best;
}

static const struct tlsplug_abi_function *destructor_of(int tag)
{
    for (size_t f = 0; f < NFUNCS; f++) {
        const struct tlsplug_abi_function *fn = &tlsplug_abi_functions[f];
        if (fn->frees >= 0 && fn->params[fn->frees].kind == TLSPLUG_ARG_HANDLE &&
            fn->params[fn->frees].handle_tag == tag)
            return fn;
    }
    return NULL;
}

static void handle_free(int tag, void *h)
{
    const struct tlsplug_abi_function *fn = destructor_of(tag);
    void *fp = fn ? resolve(fn->name) : NULL;
    static call c;
    if (fp == NULL || prepare(&c, fn, fp) < 0)
        return;
    c.ptr[fn->frees] = h;
    char what[64];
    snprintf(what, sizeof what, "%s %s", "release", tag_name(tag));
    check_call(&c, what, EXPECT_OK);
}

/* A new handle of `tag` made by its constructor with valid arguments (and
 * live handles of the types it needs, made first); NULL on failure. */
static void *handle_new(int tag, int depth)
{
    const struct tlsplug_abi_function *fn = constructor_of(tag);
    if (fn == NULL || depth > 4) {
        printf("FAIL no usable constructor for %s handles in the table\n", tag_name(tag));
        failed++;
        return NULL;
    }
    for (int k = 0; k < fn->nparams; k++) {
        int t = fn->params[k].handle_tag;
        if (fn->params[k].kind == TLSPLUG_ARG_HANDLE && t > 0 && t < MAXTAG && live[t] == NULL)
            live[t] = handle_new(t, depth + 1);
    }
    void *fp = resolve(fn->name);
    static call c;
    if (fp == NULL || prepare(&c, fn, fp) < 0) {
        failed++;
        return NULL;
    }
    char what[64];
    snprintf(what, sizeof what, "fixture: new %s", tag_name(tag));
    int before = failed;
    check_call(&c, what, EXPECT_OK);
    if (failed != before)
        return NULL;
    for (int k = 0; k < fn->nparams; k++)
        if (fn->params[k].kind == TLSPLUG_ARG_HANDLE_OUT && fn->params[k].handle_tag == tag)
            return c.handle_out[k];
    return NULL;
}

static int build_handles(void)
{
    for (size_t h = 0; h < NHANDLES; h++) {
        int tag = tlsplug_abi_handles[h].tag;
        if (tag <= 0 || tag >= MAXTAG) {
            printf("FAIL handle type %s has tag %d, outside 1..15\n", tag_name(tag), tag);
            failed++;
            return -1;
        }
        if (live[tag] == NULL)
            live[tag] = handle_new(tag, 0);
        freed[tag] = handle_new(tag, 0);
        if (live[tag] == NULL || freed[tag] == NULL)
            return -1;
        handle_free(tag, freed[tag]);
    }
    return 0;
}

/* ---- the cases ----------------------------------------------------------- */

static const char *kind_label(int kind)
{
    return kind == TLSPLUG_ARG_ANY_HANDLE ? "any handle" : "handle";
}

/* Every bad value for handle parameter `k` of `fn`. */
static void sweep_handle_param(const struct tlsplug_abi_function *fn, void *fp, int k)
{
    const struct tlsplug_abi_param *p = &fn->params[k];
    static call c;
    char what[160];
    uint64_t on_stack = 0x1234;
    void *on_heap = malloc(64);
    struct { const char *label; void *value; } junk[] = {
        { "0x1234", (void *)(uintptr_t)0x1234 },
        { "a stack pointer", &on_stack },
        { "a heap pointer", on_heap },
        { "all bits set", (void *)UINTPTR_MAX },
    };

    /* (a) NULL: the no-op of a `frees` function, else a bad handle. */
    if (prepare(&c, fn, fp) == 0) {
        c.ptr[k] = NULL;
        snprintf(what, sizeof what, "param %d %s = NULL", k, kind_label(p->kind));
        if (fn->frees == k)
            check_call(&c, what, EXPECT_OK);
        else if (!p->nullable)
            check_call(&c, what, EXPECT_BADHANDLE);
    }
    /* (b) freed, of the right type (any type for an any-handle). */
    for (size_t h = 0; h < NHANDLES; h++) {
        int tag = tlsplug_abi_handles[h].tag;
        if (p->kind == TLSPLUG_ARG_HANDLE && tag != p->handle_tag)
            continue;
        if (prepare(&c, fn, fp) < 0)
            break;
        c.ptr[k] = freed[tag];
        snprintf(what, sizeof what, "param %d = freed %s", k, tag_name(tag));
        check_call(&c, what, EXPECT_BADHANDLE);
    }
    /* (c) live, of each wrong type. */
    for (size_t h = 0; p->kind == TLSPLUG_ARG_HANDLE && h < NHANDLES; h++) {
        int tag = tlsplug_abi_handles[h].tag;
        if (tag == p->handle_tag || prepare(&c, fn, fp) < 0)
            continue;
        c.ptr[k] = live[tag];
        snprintf(what, sizeof what, "param %d %s = live %s", k, tag_name(p->handle_tag), tag_name(tag));
        check_call(&c, what, EXPECT_BADHANDLE);
    }
    /* (d) pointers that were never handles. */
    for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++) {
        if (prepare(&c, fn, fp) < 0)
            break;
        c.ptr[k] = junk[j].value;
        snprintf(what, sizeof what, "param %d %s = %s", k, kind_label(p->kind), junk[j].label);
        check_call(&c, what, EXPECT_BADHANDLE);
    }
    free(on_heap);
}

/* NULL for each non-nullable pointer that is no handle. With live handles
 * it must answer an error (which one depends on the order of the checks);
 * without handles, TLSPLUG_E_INVAL. */
static void sweep_null_pointers(const struct tlsplug_abi_function *fn, void *fp, int has_handle)
{
    static call c;
    char what[96];
    for (int k = 0; k < fn->nparams; k++) {
        const struct tlsplug_abi_param *p = &fn->params[k];
        /* A `frees` function is left out: should it ignore the NULL, it
         * would release the shared live handle and blur later results. */
        if (!is_pointer(p->kind) || is_handle(p->kind) || p->nullable || fn->frees >= 0)
            continue;
        if (prepare(&c, fn, fp) < 0)
            return;
        c.ptr[k] = NULL;
        if (p->kind == TLSPLUG_ARG_CALLBACK) {
            c.cb = NULL;
            c.avalue[k] = &c.cb;
        }
        snprintf(what, sizeof what, "%sparam %d = NULL", has_handle ? "live handles, " : "", k);
        check_call(&c, what, has_handle ? EXPECT_ERROR : EXPECT_INVAL);
    }
}

/* ---- the error discipline (docs/ABI.md, "Errors") ----------------------- */

static int (*error_get)(const void *, int, char *, size_t, size_t *);

/* One text of `h`'s error into `out` (cap 512); answers error_get's status. */
static int error_text(void *h, int field, char *out)
{
    size_t len = 0;
    out[0] = '\0';
    int st = error_get(h, field, out, 512, &len);
    if (st != TLSPLUG_OK)
        out[0] = '\0';
    return st;
}

/* The first handle parameter of `fn` (the one its detail is kept on), or -1. */
static int door_param(const struct tlsplug_abi_function *fn)
{
    for (int k = 0; k < fn->nparams; k++)
        if (fn->params[k].kind == TLSPLUG_ARG_HANDLE)
            return k;
    return -1;
}

/* The first parameter of `fn` that makes it fail when NULL (a pointer, no
 * handle, not nullable), or -1. */
static int null_param(const struct tlsplug_abi_function *fn)
{
    for (int k = 0; k < fn->nparams; k++) {
        const struct tlsplug_abi_param *p = &fn->params[k];
        if (is_pointer(p->kind) && !is_handle(p->kind) && !p->nullable)
            return k;
    }
    return -1;
}

/* Call `fn` (ready in `c`) with the handle of its door parameter replaced
 * by `h` and, when null_k >= 0, that parameter NULL. */
static int call_on(call *c, int hk, void *h, int null_k)
{
    c->ptr[hk] = h;
    if (null_k >= 0) {
        c->ptr[null_k] = NULL;
        if (c->fn->params[null_k].kind == TLSPLUG_ARG_CALLBACK) {
            c->cb = NULL;
            c->avalue[null_k] = &c->cb;
        }
    }
    return invoke_status(c);
}

/* A function of the same handle type, other than `fn`, that fails on a NULL
 * pointer: the unrelated, older failure. */
static const struct tlsplug_abi_function *other_failure(const struct tlsplug_abi_function *fn, int tag)
{
    for (size_t f = 0; f < NFUNCS; f++) {
        const struct tlsplug_abi_function *o = &tlsplug_abi_functions[f];
        int hk = door_param(o);
        if (o != fn && o->ret == TLSPLUG_RET_STATUS && o->frees < 0 && hk >= 0 &&
            o->params[hk].handle_tag == tag && null_param(o) >= 0)
            return o;
    }
    return NULL;
}

static void verdict(int ok, const char *name, const char *fmt, const char *a, const char *b)
{
    printf("%s %s: ", ok ? "ok  " : "FAIL", name);
    printf(fmt, a, b);
    printf("\n");
    tally(ok);
}

/* For a function whose first handle keeps the detail, on a fresh handle:
 * (1) an unrelated function fails first on the same handle; (2) the function
 * itself fails on bad arguments (a NULL pointer): the detail then names it
 * (TLSPLUG_ERROR_CALL) and is not the older failure's; (3) after the older
 * failure again, a call with valid arguments that succeeds (or answers a
 * want-state, E_AGAIN / E_BUFSIZE) leaves no detail at all. */
static void sweep_error_discipline(const struct tlsplug_abi_function *fn, void *fp)
{
    int hk = door_param(fn);
    if (fn->ret != TLSPLUG_RET_STATUS || hk < 0 || fn->frees >= 0)
        return;
    int tag = fn->params[hk].handle_tag;
    const struct tlsplug_abi_function *older = other_failure(fn, tag);
    void *older_fp = older ? resolve(older->name) : NULL;
    if (older_fp == NULL) {
        printf("FAIL %s: no other function fails on a %s handle, to test the error discipline\n",
               fn->name, tag_name(tag));
        failed++;
        return;
    }
    void *h = handle_new(tag, 0);
    if (h == NULL)
        return;
    static call c, o;
    char older_msg[512], msg[512], name[512];
    int nk = null_param(fn);
    for (int round = 0; round < 2; round++) {
        if (round == 0 && nk < 0)
            continue; /* no bad argument to give it: only the success half */
        if (prepare(&o, older, older_fp) < 0 || prepare(&c, fn, fp) < 0)
            break;
        int st = call_on(&o, door_param(older), h, null_param(older));
        error_text(h, TLSPLUG_ERROR_MESSAGE, older_msg);
        error_text(h, TLSPLUG_ERROR_CALL, name);
        verdict(st < 0 && strcmp(name, older->name) == 0, fn->name,
                "the older failure on the same handle is named %s (got \"%s\")", older->name, name);
        if (round == 0) {
            st = call_on(&c, hk, h, nk);
            int named = error_text(h, TLSPLUG_ERROR_CALL, name);
            error_text(h, TLSPLUG_ERROR_MESSAGE, msg);
            verdict(st < 0 && named == TLSPLUG_OK && strcmp(name, fn->name) == 0, fn->name,
                    "failing on a NULL pointer, TLSPLUG_ERROR_CALL names it (got \"%s\"%s)", name,
                    st < 0 ? "" : ", but the call did not fail");
            verdict(st < 0 && msg[0] != '\0' && strcmp(msg, older_msg) != 0, fn->name,
                    "its message \"%s\" is its own, not the older \"%s\"", msg, older_msg);
        } else {
            st = call_on(&c, hk, h, -1);
            if (st != TLSPLUG_OK && st != TLSPLUG_E_AGAIN && st != TLSPLUG_E_BUFSIZE) {
                printf("ok   %s: with valid arguments it answers %s: no success to check\n", fn->name,
                       status_text(st));
                passed++;
                continue;
            }
            /* No detail, or one the call itself made (tlsplug_socket_destroy
             * given an error records it, as Node's destroy(err)): never the
             * older failure's. */
            int left = error_text(h, TLSPLUG_ERROR_MESSAGE, msg);
            error_text(h, TLSPLUG_ERROR_CALL, name);
            verdict(left == TLSPLUG_E_UNAVAILABLE ||
                        (strcmp(msg, older_msg) != 0 && strcmp(name, older->name) != 0),
                    fn->name, "after it answers %s the older detail is gone (got \"%s\")",
                    status_text(st), msg);
        }
    }
    handle_free(tag, h);
}

/* Functions answering an int or a static string: they must not crash, and
 * strings must never be NULL, whatever int they are given. */
static void sweep_value_function(const struct tlsplug_abi_function *fn, void *fp)
{
    static const int odd[] = { 0, 1, -1, -13, -14, 42, -100000, INT_MIN, INT_MAX };
    static call c;
    int has_int = 0;
    for (int k = 0; k < fn->nparams; k++)
        has_int |= fn->params[k].kind == TLSPLUG_ARG_INT;
    size_t rounds = has_int ? sizeof odd / sizeof odd[0] : 1;
    for (size_t r = 0; r < rounds; r++) {
        if (prepare(&c, fn, fp) < 0)
            return;
        for (int k = 0; k < fn->nparams; k++)
            if (fn->params[k].kind == TLSPLUG_ARG_INT)
                c.i[k] = odd[r];
        char what[64] = "";
        if (has_int)
            snprintf(what, sizeof what, "ints = %d", odd[r]);
        if (fn->ret == TLSPLUG_RET_STRING) {
            const char *s = NULL;
            arm_sentinels(&c);
            ffi_call(&c.cif, FFI_FN(c.fp), &s, c.avalue);
            int ok = s != NULL && memchr(s, '\0', 4096) != NULL;
            printf("%s %s(%s) -> %s\n", ok ? "ok  " : "FAIL", fn->name, what,
                   s == NULL ? "NULL" : ok ? s : "(unterminated)");
            tally(ok);
        } else {
            ffi_arg v = 0;
            arm_sentinels(&c);
            ffi_call(&c.cif, FFI_FN(c.fp), &v, c.avalue);
            printf("ok   %s(%s) -> %d\n", fn->name, what, (int)v);
            passed++;
        }
    }
}

static void sweep_function(const struct tlsplug_abi_function *fn)
{
    void *fp = resolve(fn->name);
    if (fp == NULL) {
        failed++;
        return;
    }
    if (fn->ret != TLSPLUG_RET_STATUS) {
        sweep_value_function(fn, fp);
        return;
    }
    int has_handle = 0;
    for (int k = 0; k < fn->nparams; k++)
        if (is_handle(fn->params[k].kind)) {
            has_handle = 1;
            sweep_handle_param(fn, fp, k);
        }
    sweep_null_pointers(fn, fp, has_handle);
    sweep_error_discipline(fn, fp);
}

/* A few answers the registry documents exactly. */
static void check_documented(void)
{
    int (*abi_version)(void) = NULL;
    const char *(*status_name)(int) = NULL;
    void *sym = dlsym(lib, "tlsplug_abi_version");
    if (sym)
        memcpy(&abi_version, &sym, sizeof sym); /* POSIX: data and code pointers convert */
    sym = dlsym(lib, "tlsplug_status_name");
    if (sym)
        memcpy(&status_name, &sym, sizeof sym);
    int ok = abi_version != NULL && abi_version == tlsplug_abi_version &&
             abi_version() == TLSPLUG_ABI_VERSION;
    printf("%s tlsplug_abi_version: dlsym matches the linked symbol and answers %d\n",
           ok ? "ok  " : "FAIL", TLSPLUG_ABI_VERSION);
    tally(ok);
    ok = status_name != NULL && strcmp(status_name(TLSPLUG_E_BADHANDLE), "TLSPLUG_E_BADHANDLE") == 0 &&
         strcmp(status_name(12345), "TLSPLUG_E_UNKNOWN") == 0;
    printf("%s tlsplug_status_name: names E_BADHANDLE and answers TLSPLUG_E_UNKNOWN for 12345\n",
           ok ? "ok  " : "FAIL");
    tally(ok);
}

int main(int argc, char **argv)
{
    /* The library this program is linked with is already loaded: find it by
     * SONAME (or the path given), so dlsym sees exactly its exports. */
    const char *path = argc > 1 ? argv[1] : "libtlsplug.so.1";
    lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (lib == NULL) {
        printf("FAIL %s is not loaded: %s\n0 passed, 1 failed\n", path, dlerror());
        return 1;
    }
    check_documented();
    void *sym = dlsym(lib, "tlsplug_error_get");
    if (sym)
        memcpy(&error_get, &sym, sizeof sym);
    if (error_get != NULL && build_handles() == 0) {
        for (size_t f = 0; f < NFUNCS; f++)
            sweep_function(&tlsplug_abi_functions[f]);
    }
    /* Free the live handles last, newest type first: each must still be
     * live, so a bad call that freed one shows up here. */
    for (size_t h = NHANDLES; h-- > 0;) {
        int tag = tlsplug_abi_handles[h].tag;
        if (live[tag] != NULL)
            handle_free(tag, live[tag]);
    }
    dlclose(lib);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
