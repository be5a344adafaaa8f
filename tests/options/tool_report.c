/* tool_report: the JSON lines tls_tool prints (see tool_report.h). */
#include "tool_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- JSON bits */

static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            fputs("\\n", stdout);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c); /* bytes as code points: enough for a test */
        else
            putchar(c);
    }
    putchar('"');
}

static void json_cstr_or_null(const char *s)
{
    if (s)
        json_str(s, strlen(s));
    else
        fputs("null", stdout);
}

static void json_hex_or_null(const uint8_t *b, size_t n, int have)
{
    if (!have) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    putchar('"');
}

static void end_line(void)
{
    fputs("}\n", stdout);
    fflush(stdout);
}

/* ------------------------------------------------------------- getters */

/* Every text getter of the socket, behind one shape. */
struct getter {
    int (*plain)(tlsplug_socket *, char *, size_t, size_t *);
    int (*field)(tlsplug_socket *, int, char *, size_t, size_t *);
    int arg;
};

static int call(const struct getter *g, tlsplug_socket *s, char *buf, size_t cap, size_t *len)
{
    if (g->plain)
        return g->plain(s, buf, cap, len);
    return g->field(s, g->arg, buf, cap, len);
}

static int peer_cert_json(tlsplug_socket *s, char *buf, size_t cap, size_t *len)
{
    return tlsplug_socket_get_peer_certificate(s, 0, buf, cap, len);
}

/* The getter's text in a malloc'd string; NULL when it answered anything
 * but OK (the status goes to *status). */
static char *get_text(const struct getter *g, tlsplug_socket *s, int *status)
{
    char small[256];
    size_t len = 0;
    int rc = call(g, s, small, sizeof small, &len);
    if (rc == TLSPLUG_OK) {
        *status = rc;
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, small, len);
            copy[len] = 0;
        }
        return copy;
    }
    if (rc != TLSPLUG_E_BUFSIZE) {
        *status = rc;
        return NULL;
    }
    char *big = malloc(len + 1);
    if (!big) {
        *status = TLSPLUG_E_NOMEM;
        return NULL;
    }
    rc = call(g, s, big, len + 1, &len);
    *status = rc;
    if (rc != TLSPLUG_OK) {
        free(big);
        return NULL;
    }
    big[len] = 0;
    return big;
}

/* "key": the getter's text as a JSON string, or null when unavailable.
 * Any other status is printed as {"status": NAME} so a test sees it. */
static void field_text(const char *sep, const char *key, const struct getter *g, tlsplug_socket *s,
                       int raw_json)
{
    int status;
    char *v = get_text(g, s, &status);
    printf("%s\"%s\":", sep, key);
    if (v && raw_json)
        fputs(v, stdout);
    else if (v)
        json_cstr_or_null(v);
    else if (status == TLSPLUG_E_UNAVAILABLE)
        fputs("null", stdout);
    else
        printf("{\"status\":\"%s\"}", tlsplug_status_name(status));
    free(v);
}

static void field_bytes(const char *key, int (*fn)(tlsplug_socket *, uint8_t *, size_t, size_t *),
                        tlsplug_socket *s)
{
    uint8_t buf[128];
    size_t len = 0;
    int rc = fn(s, buf, sizeof buf, &len);
    printf(",\"%s\":", key);
    if (rc == TLSPLUG_OK || rc == TLSPLUG_E_UNAVAILABLE)
        json_hex_or_null(buf, len, rc == TLSPLUG_OK);
    else
        printf("{\"status\":\"%s\"}", tlsplug_status_name(rc));
}

/* The peer's certificate at depth 0 as DER hex: what a test compares with
 * the files it gave the peer. */
static void field_peer_der(tlsplug_socket *s)
{
    size_t len = 0;
    int rc = tlsplug_socket_peer_cert_field(s, 0, TLSPLUG_CERT_RAW, NULL, 0, &len);
    fputs(",\"peerCertDer\":", stdout);
    if (rc != TLSPLUG_E_BUFSIZE) {
        fputs("null", stdout);
        return;
    }
    uint8_t *der = malloc(len);
    if (der && tlsplug_socket_peer_cert_field(s, 0, TLSPLUG_CERT_RAW, der, len, &len) == TLSPLUG_OK)
        json_hex_or_null(der, len, 1);
    else
        fputs("null", stdout);
    free(der);
}

static void field_count(const char *key, int (*fn)(tlsplug_socket *, size_t *), tlsplug_socket *s)
{
    size_t n = 0;
    int rc = fn(s, &n);
    printf(",\"%s\":", key);
    if (rc == TLSPLUG_OK)
        printf("%zu", n);
    else
        printf("{\"status\":\"%s\"}", tlsplug_status_name(rc));
}

/* ------------------------------------------------------------- lines */

void report_secure(tlsplug_socket *sock, int is_server, const char *secure_event)
{
    static const struct getter protocol = {tlsplug_socket_get_protocol, NULL, 0};
    static const struct getter c_name = {NULL, tlsplug_socket_get_cipher, TLSPLUG_CIPHER_NAME};
    static const struct getter c_std = {NULL, tlsplug_socket_get_cipher, TLSPLUG_CIPHER_STANDARD_NAME};
    static const struct getter c_ver = {NULL, tlsplug_socket_get_cipher, TLSPLUG_CIPHER_VERSION};
    static const struct getter eph = {tlsplug_socket_get_ephemeral_key_info, NULL, 0};
    static const struct getter auth_err = {tlsplug_socket_authorization_error, NULL, 0};
    static const struct getter sni = {tlsplug_socket_get_servername, NULL, 0};
    static const struct getter alpn = {tlsplug_socket_get_alpn_protocol, NULL, 0};
    static const struct getter cert = {tlsplug_socket_get_certificate, NULL, 0};
    static const struct getter peer = {peer_cert_json, NULL, 0};

    printf("{\"event\":\"secure\",\"role\":\"%s\",\"secureEvent\":\"%s\"",
           is_server ? "server" : "client", secure_event);
    field_text(",", "protocol", &protocol, sock, 0);
    fputs(",\"cipher\":{", stdout);
    field_text("", "name", &c_name, sock, 0);
    field_text(",", "standardName", &c_std, sock, 0);
    field_text(",", "version", &c_ver, sock, 0);
    putchar('}');
    field_text(",", "ephemeralKeyInfo", &eph, sock, 1);
    int authorized = -1;
    tlsplug_socket_authorized(sock, &authorized);
    printf(",\"authorized\":%s", authorized == 1 ? "true" : authorized == 0 ? "false" : "null");
    field_text(",", "authorizationError", &auth_err, sock, 0);
    field_text(",", "servername", &sni, sock, 0);
    field_text(",", "alpnProtocol", &alpn, sock, 0);
    field_bytes("finished", tlsplug_socket_get_finished, sock);
    field_bytes("peerFinished", tlsplug_socket_get_peer_finished, sock);
    field_count("bytesWritten", tlsplug_socket_bytes_written, sock);
    field_count("bytesRead", tlsplug_socket_bytes_read, sock);
    field_peer_der(sock);
    field_text(",", "peerCertificate", &peer, sock, 1);
    field_text(",", "certificate", &cert, sock, 1);
    end_line();
}

static void error_fields(const void *handle, int status_hint)
{
    static const struct {
        const char *key;
        int field;
    } texts[] = {{"code", TLSPLUG_ERROR_CODE},
                 {"message", TLSPLUG_ERROR_MESSAGE},
                 {"gnutls", TLSPLUG_ERROR_GNUTLS}};
    int status = status_hint, gnutls_error = 0, alert = -1, dir = 0;
    tlsplug_error_detail(handle, status_hint ? NULL : &status, &gnutls_error, &alert, &dir);
    printf(",\"status\":\"%s\"", tlsplug_status_name(status));
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char buf[1024];
        size_t len = 0;
        printf(",\"%s\":", texts[i].key);
        int rc = tlsplug_error_get(handle, texts[i].field, buf, sizeof buf, &len);
        if (rc == TLSPLUG_OK)
            json_str(buf, len);
        else
            fputs("null", stdout);
    }
    printf(",\"alert\":%d,\"alertDirection\":%d", alert, dir);
}

void report_error(const void *handle, const char *event)
{
    printf("{\"event\":\"%s\"", event);
    error_fields(handle, 0);
    end_line();
}

void report_option_error(const void *handle, const char *option, const char *value, int status)
{
    fputs("{\"event\":\"option-error\",\"option\":", stdout);
    json_cstr_or_null(option);
    fputs(",\"value\":", stdout);
    json_cstr_or_null(value);
    error_fields(handle, status);
    end_line();
}

void report_close(tlsplug_socket *sock, int had_error)
{
    printf("{\"event\":\"close\",\"hadError\":%s", had_error ? "true" : "false");
    field_count("bytesWritten", tlsplug_socket_bytes_written, sock);
    field_count("bytesRead", tlsplug_socket_bytes_read, sock);
    end_line();
}

void report_counters(tlsplug_socket *sock, const char *event)
{
    printf("{\"event\":\"%s\"", event);
    field_count("bytesWritten", tlsplug_socket_bytes_written, sock);
    field_count("bytesRead", tlsplug_socket_bytes_read, sock);
    end_line();
}

void report_text(const char *event, const char *key, const char *text, size_t len)
{
    printf("{\"event\":\"%s\",\"%s\":", event, key);
    json_str(text, len);
    end_line();
}
