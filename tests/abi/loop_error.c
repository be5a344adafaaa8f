/* abi_loop_error: a loop's errors are readable as every other handle's.
 *
 * The loop records its failures on its handle (a NULL timer callback: E_INVAL,
 * Node's ERR_INVALID_ARG_TYPE); tlsplug_error_get and tlsplug_error_detail
 * must answer them for a loop handle as for a context, socket or server
 * (they once answered TLSPLUG_E_BADHANDLE), and TLSPLUG_E_BADHANDLE once
 * the loop is freed.
 */
#include <stdio.h>
#include <string.h>

#include "tlsplug.h"

static int failed;

static void expect(int cond, const char *what)
{
    if (!cond) {
        printf("FAIL %s\n", what);
        failed++;
    }
}

int main(void)
{
    tlsplug_loop *loop = NULL;
    int rc = tlsplug_loop_new(&loop);
    if (rc == TLSPLUG_E_UNSUPPORTED) {
        printf("no loop in this build\n");
        return 77; /* skipped */
    }
    expect(rc == TLSPLUG_OK && loop != NULL, "tlsplug_loop_new");
    if (!loop)
        return 1;

    char buf[256];
    size_t len = 0;
    int status = 0;
    /* Nothing failed yet: no error, but the handle is known. */
    expect(tlsplug_error_get(loop, TLSPLUG_ERROR_CODE, buf, sizeof buf, &len) ==
               TLSPLUG_E_UNAVAILABLE,
           "error_get before any failure answers E_UNAVAILABLE");
    expect(tlsplug_error_detail(loop, &status, NULL, NULL, NULL) == TLSPLUG_E_UNAVAILABLE,
           "error_detail before any failure answers E_UNAVAILABLE");

    size_t id = 0;
    expect(tlsplug_loop_set_timer(loop, 10, 0, NULL, 0, &id) == TLSPLUG_E_INVAL,
           "set_timer without a callback answers E_INVAL");
    rc = tlsplug_error_get(loop, TLSPLUG_ERROR_CODE, buf, sizeof buf, &len);
    expect(rc == TLSPLUG_OK, "error_get(loop, CODE) answers OK");
    expect(rc == TLSPLUG_OK && strcmp(buf, "ERR_INVALID_ARG_TYPE") == 0 &&
               len == strlen("ERR_INVALID_ARG_TYPE"),
           "the loop's code is ERR_INVALID_ARG_TYPE");
    rc = tlsplug_error_get(loop, TLSPLUG_ERROR_MESSAGE, buf, sizeof buf, &len);
    expect(rc == TLSPLUG_OK && len > 0, "error_get(loop, MESSAGE) answers a message");
    rc = tlsplug_error_detail(loop, &status, NULL, NULL, NULL);
    expect(rc == TLSPLUG_OK && status == TLSPLUG_E_INVAL, "error_detail(loop) says E_INVAL");

    expect(tlsplug_loop_free(loop) == TLSPLUG_OK, "loop_free");
    expect(tlsplug_error_get(loop, TLSPLUG_ERROR_CODE, buf, sizeof buf, &len) ==
               TLSPLUG_E_BADHANDLE,
           "error_get on a freed loop answers E_BADHANDLE");
    expect(tlsplug_error_detail(loop, &status, NULL, NULL, NULL) == TLSPLUG_E_BADHANDLE,
           "error_detail on a freed loop answers E_BADHANDLE");
    printf("%d failures\n", failed);
    return failed ? 1 : 0;
}
