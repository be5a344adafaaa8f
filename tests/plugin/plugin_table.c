/* plugin_table: tlsplug_get_api() and tlsplug_loader.h, from a host that
 * links libdl only (never -ltlsplug; CMakeLists.txt checks the binary).
 *
 *   plugin_table LIBRARY NO_SYMBOL_SO PRE_TABLE_SO OLD_SO SHORT_SO
 *
 * 1. Every way tlsplug_load() can fail gives its code and a message that
 *    names the file and the cause: a missing file, a .so without the
 *    symbol, an older libtlsplug without the table, a library that refuses
 *    this host's version, a table shorter than this header's; and the
 *    failed call leaves *api untouched.
 * 2. The real library's table: its size and version, every slot filled with
 *    exactly the function dlsym() finds under that slot's name (so no slot
 *    holds another function), and tlsplug_get_api's own answers (0 and a
 *    future version refused with TLSPLUG_E_UNSUPPORTED, NULL refused with
 *    TLSPLUG_E_INVAL, *out untouched on failure, the same table for every
 *    known version and for a second load).
 * One line per check; the last line counts.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "tlsplug_loader.h"

static int passed, failed;

static void check(int ok, const char *what, const char *detail)
{
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail && detail[0] ? ": " : "", detail ? detail : "");
    if (ok)
        passed++;
    else
        failed++;
}

/* tlsplug_load(path) must fail with `code` and a message holding each of
 * the NULL-terminated `words`. */
static void expect_refused(const char *label, const char *path, int code, const char *const *words)
{
    static const tlsplug_api sentinel_table;
    const tlsplug_api *api = &sentinel_table;
    tlsplug_load_error err;
    memset(&err, 0, sizeof err);
    int rc = tlsplug_load(path, &api, &err);
    int ok = rc == code && err.code == code && api == &sentinel_table && strstr(err.message, path) != NULL;
    for (size_t i = 0; words[i] != NULL; i++)
        ok = ok && strstr(err.message, words[i]) != NULL;
    char what[160];
    snprintf(what, sizeof what, "%s: code %d (want %d)", label, rc, code);
    check(ok, what, err.message);
}

static void check_real(const char *path)
{
    const tlsplug_api *api = NULL;
    tlsplug_load_error err;
    int rc = tlsplug_load(path, &api, &err);
    check(rc == TLSPLUG_LOAD_OK && api != NULL, "the library loads", rc ? err.message : path);
    if (api == NULL)
        return;
    char detail[160];
    snprintf(detail, sizeof detail, "size %zu (header %zu), version %u (header %d)", api->size,
             sizeof(tlsplug_api), api->version, TLSPLUG_ABI_VERSION);
    /* Built from the same registry: exactly this header's table. */
    check(api->size == sizeof(tlsplug_api) && api->version == (unsigned)TLSPLUG_ABI_VERSION,
          "table size and version", detail);
    check(api->abi_version() == TLSPLUG_ABI_VERSION, "abi_version() through the table", NULL);

    /* The loaded object, by its own name (already loaded: RTLD_NOLOAD). */
    void *dl = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    check(dl != NULL, "dlopen(RTLD_NOLOAD) finds the loaded library", dl ? NULL : dlerror());
    if (dl == NULL)
        return;
    int slots = 0, wrong = 0;
    char bad[512] = "";
    /* Each member against dlsym of its function's name. Function pointers
     * are compared as bytes with the symbol's address (POSIX: dlsym's
     * object pointer converts to a function pointer). */
#define CHECK_SLOT(slot, member)                                                          \
    do {                                                                                  \
        void *sym = dlsym(dl, "tlsplug_" #member);                                        \
        void *fp = NULL;                                                                  \
        memcpy(&fp, &api->member, sizeof fp);                                             \
        slots++;                                                                          \
        if (sym == NULL || fp != sym) {                                                   \
            wrong++;                                                                      \
            size_t used = strlen(bad);                                                    \
            snprintf(bad + used, sizeof bad - used, " %d:%s", slot, #member);             \
        }                                                                                 \
    } while (0);
    _Static_assert(sizeof(void *) == sizeof(int (*)(void)), "function and data pointers differ");
    TLSPLUG_API_SLOTS(CHECK_SLOT)
#undef CHECK_SLOT
    snprintf(detail, sizeof detail, "%d slots, %d wrong%s", slots, wrong, bad);
    check(wrong == 0 && slots > 0 &&
              (size_t)slots * sizeof(void *) == sizeof(tlsplug_api) - offsetof(tlsplug_api, abi_version),
          "every slot holds the function of its name, and the slots fill the struct", detail);

    const tlsplug_api *t = api, *keep = api;
    rc = api->get_api(0, &t);
    check(rc == TLSPLUG_E_UNSUPPORTED && t == keep, "get_api(0) answers E_UNSUPPORTED, *out untouched",
          api->status_name(rc));
    rc = api->get_api(TLSPLUG_ABI_VERSION + 1, &t);
    check(rc == TLSPLUG_E_UNSUPPORTED && t == keep, "get_api(a future version) answers E_UNSUPPORTED",
          api->status_name(rc));
    rc = api->get_api(TLSPLUG_ABI_VERSION, NULL);
    check(rc == TLSPLUG_E_INVAL, "get_api(version, NULL) answers E_INVAL", api->status_name(rc));
    int same = 1;
    for (unsigned v = 1; v <= (unsigned)TLSPLUG_ABI_VERSION; v++) {
        t = NULL;
        same &= api->get_api(v, &t) == TLSPLUG_OK && t == api;
    }
    check(same, "every known version (1..TLSPLUG_ABI_VERSION) gets the same table", NULL);
    t = NULL;
    rc = tlsplug_load(path, &t, &err);
    check(rc == TLSPLUG_LOAD_OK && t == api, "a second load answers the same table", rc ? err.message : NULL);
    dlclose(dl); /* the RTLD_NOLOAD reference only; the loader's stays */
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s LIBRARY NO_SYMBOL_SO PRE_TABLE_SO OLD_SO SHORT_SO\n", argv[0]);
        return 2;
    }
    char version[16];
    snprintf(version, sizeof version, "%d", TLSPLUG_ABI_VERSION);

    static const char *const missing_words[] = {"cannot load", "No such file", NULL};
    expect_refused("a missing file", "/nonexistent/libtlsplug.so.1", TLSPLUG_LOAD_E_OPEN, missing_words);
    static const char *const nosym_words[] = {"no tlsplug_get_api", "not libtlsplug", NULL};
    expect_refused("a .so without the symbol", argv[2], TLSPLUG_LOAD_E_SYMBOL, nosym_words);
    const char *const pre_words[] = {"no tlsplug_get_api", "install a newer libtlsplug", version, NULL};
    expect_refused("a libtlsplug older than the table", argv[3], TLSPLUG_LOAD_E_SYMBOL, pre_words);
    const char *const old_words[] = {"older than version", "install a newer libtlsplug", version, NULL};
    expect_refused("a library that refuses this version", argv[4], TLSPLUG_LOAD_E_VERSION, old_words);
    static const char *const short_words[] = {"shorter than", NULL};
    expect_refused("a table shorter than the header's", argv[5], TLSPLUG_LOAD_E_TABLE, short_words);
    const tlsplug_api *api = NULL;
    tlsplug_load_error err;
    check(tlsplug_load(NULL, &api, &err) == TLSPLUG_LOAD_E_INVAL && api == NULL &&
              tlsplug_load(argv[1], NULL, NULL) == TLSPLUG_LOAD_E_INVAL,
          "NULL path or table pointer: E_INVAL (error may be NULL)", err.message);

    check_real(argv[1]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
