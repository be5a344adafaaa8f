/* Error records and the GnuTLS / alert to Node code mapping. */
#include "error.h"

#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

/* Shown when even the message cannot be allocated. */
static char oom_message[] = "out of memory (while recording an error)";

/* The code when even it cannot be allocated. */
static char oom_code[] = "ERR_OUT_OF_MEMORY";

static void free_message(tp_error *e)
{
    if (e->message != oom_message)
        free(e->message);
    e->message = NULL;
}

static void free_code(tp_error *e)
{
    if (e->code != oom_code)
        free(e->code);
    e->code = NULL;
}

void tp_error_clear(tp_error *e)
{
    free_message(e);
    free_code(e);
    memset(e, 0, sizeof *e);
    e->alert = -1;
}

void tp_error_copy(tp_error *dst, const tp_error *src)
{
    free_message(dst);
    free_code(dst);
    *dst = *src;
    dst->message = NULL;
    dst->code = NULL;
    if (src->message && !(dst->message = strdup(src->message)))
        dst->message = oom_message;
    tp_error_set_code(dst, src->code);
}

static void vset_message(tp_error *e, const char *fmt, va_list ap)
{
    free_message(e);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !(e->message = malloc((size_t)n + 1))) {
        e->message = oom_message;
        return;
    }
    vsnprintf(e->message, (size_t)n + 1, fmt, ap);
}

void tp_error_set_message(tp_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset_message(e, fmt, ap);
    va_end(ap);
}

void tp_error_set_code(tp_error *e, const char *code)
{
    if (code == e->code)
        return;
    char *copy = NULL;
    if (code && *code && !(copy = strdup(code)))
        copy = oom_code;
    free_code(e);
    e->code = copy;
}

int tp_vfail(tp_error *e, int status, const char *code, const char *fmt, va_list ap)
{
    tp_error_clear(e);
    e->status = status;
    tp_error_set_code(e, code);
    vset_message(e, fmt, ap);
    return status;
}

int tp_fail(tp_error *e, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tp_vfail(e, status, code, fmt, ap);
    va_end(ap);
    return status;
}

/* OpenSSL's reason names for alerts, which Node prefixes with ERR_SSL_. */
const char *tp_alert_node_code(int alert)
{
    switch (alert) {
    case 0: return "ERR_SSL_SSLV3_ALERT_CLOSE_NOTIFY";
    case 10: return "ERR_SSL_SSLV3_ALERT_UNEXPECTED_MESSAGE";
    case 20: return "ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC";
    case 21: return "ERR_SSL_TLSV1_ALERT_DECRYPTION_FAILED";
    case 22: return "ERR_SSL_TLSV1_ALERT_RECORD_OVERFLOW";
    case 30: return "ERR_SSL_SSLV3_ALERT_DECOMPRESSION_FAILURE";
    case 40: return "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE";
    case 41: return "ERR_SSL_SSLV3_ALERT_NO_CERTIFICATE";
    case 42: return "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE";
    case 43: return "ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE";
    case 44: return "ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED";
    case 45: return "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED";
    case 46: return "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN";
    case 47: return "ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER";
    case 48: return "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA";
    case 49: return "ERR_SSL_TLSV1_ALERT_ACCESS_DENIED";
    case 50: return "ERR_SSL_TLSV1_ALERT_DECODE_ERROR";
    case 51: return "ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR";
    case 60: return "ERR_SSL_TLSV1_ALERT_EXPORT_RESTRICTION";
    case 70: return "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION";
    case 71: return "ERR_SSL_TLSV1_ALERT_INSUFFICIENT_SECURITY";
    case 80: return "ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR";
    case 86: return "ERR_SSL_TLSV1_ALERT_INAPPROPRIATE_FALLBACK";
    case 90: return "ERR_SSL_TLSV1_ALERT_USER_CANCELLED";
    case 100: return "ERR_SSL_TLSV1_ALERT_NO_RENEGOTIATION";
    case 109: return "ERR_SSL_TLSV13_ALERT_MISSING_EXTENSION";
    case 110: return "ERR_SSL_TLSV1_ALERT_UNSUPPORTED_EXTENSION";
    case 111: return "ERR_SSL_TLSV1_ALERT_CERTIFICATE_UNOBTAINABLE";
    case 112: return "ERR_SSL_TLSV1_ALERT_UNRECOGNIZED_NAME";
    case 113: return "ERR_SSL_TLSV1_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE";
    case 114: return "ERR_SSL_TLSV1_ALERT_BAD_CERTIFICATE_HASH_VALUE";
    case 115: return "ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY";
    case 116: return "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED";
    case 120: return "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL";
    default: return "ERR_SSL_TLSV1_ALERT_UNKNOWN";
    }
}

/* Node's code for a local GnuTLS failure (what OpenSSL would have said). */
static const char *gnutls_node_code(int err)
{
    switch (err) {
    case GNUTLS_E_PREMATURE_TERMINATION:
        return "ECONNRESET";
    case GNUTLS_E_UNEXPECTED_PACKET:
    case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
    case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
    case GNUTLS_E_RECORD_OVERFLOW:
        return "ERR_SSL_WRONG_VERSION_NUMBER";
    case GNUTLS_E_DECRYPTION_FAILED:
        return "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC";
    case GNUTLS_E_UNKNOWN_CIPHER_SUITE: /* a server's pick we did not offer */
        return "ERR_SSL_WRONG_CIPHER_RETURNED";
    case GNUTLS_E_NO_CIPHER_SUITES:
    case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
    case GNUTLS_E_NO_COMMON_KEY_SHARE:
        return "ERR_SSL_NO_SHARED_CIPHER";
    case GNUTLS_E_NO_CERTIFICATE_FOUND:
    case GNUTLS_E_CERTIFICATE_REQUIRED:
        return "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE";
    case GNUTLS_E_NO_APPLICATION_PROTOCOL:
        return "ERR_SSL_NO_APPLICATION_PROTOCOL";
    case GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET:
        return "ERR_SSL_UNEXPECTED_MESSAGE";
    case GNUTLS_E_UNSAFE_RENEGOTIATION_DENIED:
        return "ERR_SSL_UNSAFE_LEGACY_RENEGOTIATION_DISABLED";
    case GNUTLS_E_DH_PRIME_UNACCEPTABLE:
        return "ERR_TLS_DH_PARAM_SIZE";
    case GNUTLS_E_MEMORY_ERROR:
        return "ERR_OUT_OF_MEMORY";
    case GNUTLS_E_INAPPROPRIATE_FALLBACK:
        return "ERR_SSL_INAPPROPRIATE_FALLBACK";
    default:
        return "ERR_SSL_SSL_HANDSHAKE_FAILURE";
    }
}

int tp_fail_gnutls(tp_error *e, int status, int gnutls_err, int alert, int alert_dir,
                   const char *what)
{
    tp_error_clear(e);
    e->status = status;
    e->gnutls = gnutls_err;
    e->alert = alert;
    e->alert_dir = alert_dir;
    const char *sep = what ? ": " : "";
    what = what ? what : "";
    if (alert >= 0 && alert_dir == TLSPLUG_ALERT_RECEIVED) {
        tp_error_set_code(e, tp_alert_node_code(alert));
        tp_error_set_message(e, "%s%sfatal alert received: %s", what, sep,
                             gnutls_alert_get_name((gnutls_alert_description_t)alert));
    } else if (gnutls_err == GNUTLS_E_PREMATURE_TERMINATION) {
        tp_error_set_code(e, "ECONNRESET");
        tp_error_set_message(e, "%s%sthe peer closed the connection without close_notify (truncated)",
                             what, sep);
    } else {
        tp_error_set_code(e, gnutls_node_code(gnutls_err));
        tp_error_set_message(e, "%s%s%s", what, sep, gnutls_strerror(gnutls_err));
    }
    return status;
}

int tp_copy_bytes(const void *p, size_t n, void *buf, size_t cap, size_t *len)
{
    if (!len || (cap && !buf))
        return TLSPLUG_E_INVAL;
    if (n > cap) {
        *len = n;
        return TLSPLUG_E_BUFSIZE;
    }
    if (n)
        memcpy(buf, p, n);
    *len = n;
    return TLSPLUG_OK;
}

int tp_copy_string(const char *s, char *buf, size_t cap, size_t *len)
{
    if (!len || (cap && !buf))
        return TLSPLUG_E_INVAL;
    size_t n = strlen(s);
    if (n + 1 > cap) {
        *len = n;
        return TLSPLUG_E_BUFSIZE;
    }
    memcpy(buf, s, n + 1);
    *len = n;
    return TLSPLUG_OK;
}
