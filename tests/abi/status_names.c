/* abi_status_names: every status of the registry has its own name.
 *
 * tlsplug_status_name's table is generated from the registry
 * (src/base/abi_tables.c); this walks the registry's list, generated
 * separately into abi_table.h, so a status the library's table lacks (it
 * once answered "TLSPLUG_E_UNKNOWN" for TLSPLUG_E_NET) or names wrongly
 * fails here. Values the registry does not know must still answer
 * "TLSPLUG_E_UNKNOWN".
 */
#include <stdio.h>
#include <string.h>

#include "abi_table.h"
#include "tlsplug.h"

int main(void)
{
    int failed = 0;
    size_t n = sizeof tlsplug_abi_statuses / sizeof tlsplug_abi_statuses[0];
    int lo = 0;
    for (size_t i = 0; i < n; i++) {
        const char *want = tlsplug_abi_statuses[i].name;
        int value = tlsplug_abi_statuses[i].value;
        const char *got = tlsplug_status_name(value);
        if (got == NULL || strcmp(got, want) != 0) {
            printf("FAIL status %d: named %s, the registry says %s\n", value,
                   got ? got : "(null)", want);
            failed++;
        }
        /* Two statuses must not share a name either. */
        for (size_t j = 0; j < i; j++)
            if (got && strcmp(got, tlsplug_status_name(tlsplug_abi_statuses[j].value)) == 0) {
                printf("FAIL statuses %d and %d share the name %s\n", value,
                       tlsplug_abi_statuses[j].value, got);
                failed++;
            }
        if (value < lo)
            lo = value;
    }
    const int unknown[] = {lo - 1, lo - 100, 1, 12345};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *got = tlsplug_status_name(unknown[i]);
        if (got == NULL || strcmp(got, "TLSPLUG_E_UNKNOWN") != 0) {
            printf("FAIL unknown status %d named %s\n", unknown[i], got ? got : "(null)");
            failed++;
        }
    }
    printf("%zu statuses, %d failures\n", n, failed);
    return failed ? 1 : 0;
}
