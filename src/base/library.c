/* Library-wide entry points: versions, status names, error detail. */
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>

#include "abi_tables.h"
#include "handle.h"
#include "object.h"
#include "tlsplug.h"
#include "api_impl.h"

int tp_api_abi_version(void)
{
    return TLSPLUG_ABI_VERSION;
}

static char version[96];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void fill_version(void)
{
    snprintf(version, sizeof version, "tlsplug %s (GnuTLS %s)", TLSPLUG_VERSION,
             gnutls_check_version(NULL));
}

const char *tp_api_version_string(void)
{
    pthread_once(&version_once, fill_version);
    return version;
}

/* The names come from the registry (abi_tables.c), so every status has one. */
const char *tp_api_status_name(int status)
{
    return tp_status_name(status);
}

/* Copy the error record of any live handle (the caller clears the copy):
 * every handle's object starts with its error (object.h). A context may be
 * shared across threads, so its record is read under its lock. */
static int error_of(const void *h, tp_error *out)
{
    tp_object *o = tp_handle_get_any(h);
    if (!o)
        return TLSPLUG_E_BADHANDLE;
    if (o->err_lock)
        pthread_mutex_lock(o->err_lock);
    tp_error_copy(out, &o->err);
    if (o->err_lock)
        pthread_mutex_unlock(o->err_lock);
    return TLSPLUG_OK;
}

int tp_api_error_get(const void *handle, int field, char *buf, size_t cap,
                     size_t *len)
{
    tp_error e = {0};
    int rc = error_of(handle, &e);
    if (rc)
        return rc;
    const char *text = NULL;
    if (!len || (cap && !buf))
        rc = TLSPLUG_E_INVAL;
    else if (field == TLSPLUG_ERROR_MESSAGE)
        text = e.message;
    else if (field == TLSPLUG_ERROR_CODE)
        text = e.code;
    else if (field == TLSPLUG_ERROR_GNUTLS)
        text = e.gnutls ? gnutls_strerror_name(e.gnutls) : NULL;
    else if (field == TLSPLUG_ERROR_CALL)
        text = e.call;
    else
        rc = TLSPLUG_E_INVAL;
    if (rc == TLSPLUG_OK)
        rc = e.status == 0 || !text || !*text ? TLSPLUG_E_UNAVAILABLE
                                              : tp_copy_string(text, buf, cap, len);
    tp_error_clear(&e);
    return rc;
}

int tp_api_error_detail(const void *handle, int *status, int *gnutls_error,
                        int *alert, int *alert_direction)
{
    tp_error e = {0};
    int rc = error_of(handle, &e);
    if (rc)
        return rc;
    if (e.status != 0) {
        if (status)
            *status = e.status;
        if (gnutls_error)
            *gnutls_error = e.gnutls;
        if (alert)
            *alert = e.alert;
        if (alert_direction)
            *alert_direction = e.alert_dir;
    }
    rc = e.status ? TLSPLUG_OK : TLSPLUG_E_UNAVAILABLE;
    tp_error_clear(&e);
    return rc;
}
