/* Stand-ins for libtlsplug that tlsplug_load() must refuse, one per
 * failure, chosen by a compile definition (tests/plugin/CMakeLists.txt):
 *
 *   STUB_NO_SYMBOL   a shared object with neither tlsplug_get_api nor
 *                    tlsplug_abi_version: not libtlsplug at all
 *   STUB_PRE_TABLE   an older libtlsplug: tlsplug_abi_version, no get_api
 *   STUB_OLD         a libtlsplug older than the host: tlsplug_get_api
 *                    refuses the host's version, tlsplug_abi_version
 *                    answers one less
 *   STUB_SHORT       a broken one: accepts the version but hands out a
 *                    table shorter than the host's struct
 */
#include <stddef.h>

#include "tlsplug.h"

#if defined(__GNUC__)
#define STUB_EXPORT __attribute__((visibility("default")))
#else
#define STUB_EXPORT
#endif

#if defined(STUB_NO_SYMBOL)
STUB_EXPORT int tlsplug_stub_nothing(void);
STUB_EXPORT int tlsplug_stub_nothing(void) { return 0; }
#elif defined(STUB_SHORT)
STUB_EXPORT int tlsplug_abi_version(void) { return TLSPLUG_ABI_VERSION; }
#else
STUB_EXPORT int tlsplug_abi_version(void) { return TLSPLUG_ABI_VERSION - 1; }
#endif

#if defined(STUB_OLD)
STUB_EXPORT int tlsplug_get_api(unsigned abi_version, const tlsplug_api **out)
{
    (void)out;
    return abi_version == 0 || abi_version > TLSPLUG_ABI_VERSION - 1 ? TLSPLUG_E_UNSUPPORTED : TLSPLUG_E_INTERNAL;
}
#elif defined(STUB_SHORT)
/* Only the header fields and the first slot: what a library whose table
 * was cut would hand out. The host must not read past `size`. */
static const tlsplug_api short_table = {.size = offsetof(tlsplug_api, version_string),
                                        .version = TLSPLUG_ABI_VERSION,
                                        .abi_version = tlsplug_abi_version};
STUB_EXPORT int tlsplug_get_api(unsigned abi_version, const tlsplug_api **out)
{
    (void)abi_version;
    *out = &short_table;
    return TLSPLUG_OK;
}
#endif
