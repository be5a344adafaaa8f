/* Certificate verification through the pump, as Node reports it.
 *
 * Client: a self-signed server against the system's roots; a wrong host
 * name; expired, not-yet-valid and untrusted chains. With
 * rejectUnauthorized false the handshake completes (secureConnect,
 * authorized 0, authorizationError = Node's code); with the default the
 * socket fails with that code and TLSPLUG_E_VERIFY, and no secureConnect.
 *
 * Server with requestCert: a good client certificate is authorized; none
 * at all fails the handshake on the server with
 * ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE (docs/GNUTLS.md, "The pump's transport"), or
 * with rejectUnauthorized false completes it unauthorized
 * (UNABLE_TO_GET_ISSUER_CERT, as Node 20 says).
 */
#include <stdio.h>
#include <string.h>

#include "pair.h"

static const char *const versions[] = {"TLSv1.2", "TLSv1.3"};

static pt_creds with_version(pt_creds c, const char *version)
{
    c.min_version = c.max_version = version;
    return c;
}

/* A client that fails to verify the server: `code` either way. */
static void client_rejects(const char *label, pt_creds client, pt_creds server,
                           const char *servername, const char *code, const char *message_part)
{
    for (int v = 0; v < 2; v++) {
        for (int reject = 0; reject < 2; reject++) {
            t_case("%s, %s, rejectUnauthorized %d", label, versions[v], reject);
            pt_pair p;
            pt_pair_new(&p, client, with_version(server, versions[v]), 0, t_seed() + (uint64_t)v);
            if (servername)
                CHECK_OK(tlsplug_socket_set_servername(p.c.sock, servername));
            if (!reject)
                CHECK_OK(tlsplug_socket_set_reject_unauthorized(p.c.sock, 0));
            pt_pair_start(&p);
            pt_run(&p);
            if (!reject) {
                CHECK_STR(pt_log(&p.c), "secureConnect");
                CHECK(pt_authorized(p.c.sock) == 0);
                CHECK_STR(pt_get(p.c.sock, tlsplug_socket_authorization_error), code);
                /* Unauthorized but usable, as in Node. */
                pt_write(&p, &p.c, 100);
                pt_write(&p, &p.s, 200);
                pt_run(&p);
                CHECK(p.s.rx_bytes == 100 && p.c.rx_bytes == 200);
            } else {
                CHECKF(p.c.last_err == TLSPLUG_E_VERIFY, "client feed answered %s",
                       tlsplug_status_name(p.c.last_err));
                CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0 && p.c.rx_bytes == 0);
                pt_expect_fatal(&p.c, TLSPLUG_E_VERIFY, code);
                CHECK(pt_authorized(p.c.sock) == 0);
            }
            if (message_part) {
                char msg[512];
                size_t n = 0;
                if (reject) {
                    CHECK_OK(tlsplug_error_get(p.c.sock, TLSPLUG_ERROR_MESSAGE, msg, sizeof msg,
                                               &n));
                    CHECKF(strstr(msg, message_part), "message \"%s\" lacks \"%s\"", msg,
                           message_part);
                }
            }
            pt_pair_free(&p);
        }
    }
    printf("  %-46s %s\n", label, code);
}

static void client_accepts(const char *label, pt_creds server, const char *servername,
                           const char *sni_seen)
{
    for (int v = 0; v < 2; v++) {
        t_case("%s, %s", label, versions[v]);
        pt_pair p;
        pt_pair_new(&p, PT_CLIENT, with_version(server, versions[v]), 0, t_seed());
        CHECK_OK(tlsplug_socket_set_servername(p.c.sock, servername));
        pt_handshake(&p);
        CHECK(pt_authorized(p.c.sock) == 1);
        CHECK(pt_get(p.c.sock, tlsplug_socket_authorization_error) == NULL);
        const char *sni = pt_get(p.s.sock, tlsplug_socket_get_servername);
        if (sni_seen)
            CHECK_STR(sni, sni_seen);
        else
            CHECKF(!sni, "the server saw SNI \"%s\"", sni);
        pt_pair_free(&p);
    }
    printf("  %-46s authorized\n", label);
}

/* requestCert on the server. */
static void request_cert(const char *version)
{
    pt_creds server = with_version(PT_SERVER, version);
    server.ca = "ca.pem";
    pt_creds with_cert = {.key = "client.key", .cert = "client-chain.pem", .ca = "ca.pem"};
    pt_pair p;

    t_case("requestCert, good client certificate, %s", version);
    pt_pair_new(&p, with_cert, server, 0, t_seed());
    CHECK_OK(tlsplug_socket_set_request_cert(p.s.sock, 1));
    pt_handshake(&p);
    CHECK(pt_authorized(p.s.sock) == 1);
    CHECK(pt_get(p.s.sock, tlsplug_socket_authorization_error) == NULL);
    CHECK(pt_authorized(p.c.sock) == 1);
    pt_pair_free(&p);

    t_case("requestCert, no client certificate, rejectUnauthorized false, %s", version);
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    CHECK_OK(tlsplug_socket_set_request_cert(p.s.sock, 1));
    CHECK_OK(tlsplug_socket_set_reject_unauthorized(p.s.sock, 0));
    pt_handshake(&p);
    CHECK(pt_authorized(p.s.sock) == 0);
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_authorization_error), "UNABLE_TO_GET_ISSUER_CERT");
    pt_pair_free(&p);

    t_case("requestCert, untrusted client certificate, rejectUnauthorized false, %s", version);
    pt_creds self_cert = {.key = "self.key", .cert = "self.pem", .ca = "ca.pem"};
    pt_pair_new(&p, self_cert, server, 0, t_seed());
    CHECK_OK(tlsplug_socket_set_request_cert(p.s.sock, 1));
    CHECK_OK(tlsplug_socket_set_reject_unauthorized(p.s.sock, 0));
    pt_handshake(&p);
    CHECK(pt_authorized(p.s.sock) == 0);
    CHECK_STR(pt_get(p.s.sock, tlsplug_socket_authorization_error), "DEPTH_ZERO_SELF_SIGNED_CERT");
    pt_pair_free(&p);

    /* Node: the server fails with ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE
     * and sends an alert: certificate_required in TLS 1.3, handshake_failure
     * in TLS 1.2. */
    t_case("requestCert, no client certificate, rejectUnauthorized true, %s", version);
    pt_pair_new(&p, PT_CLIENT, server, 0, t_seed());
    CHECK_OK(tlsplug_socket_set_request_cert(p.s.sock, 1));
    pt_pair_start(&p);
    pt_run(&p);
    CHECK(p.s.counts[TLSPLUG_EV_SECURE] == 0);
    CHECKF(p.s.last_err == TLSPLUG_E_TLS, "server feed answered %s",
           tlsplug_status_name(p.s.last_err));
    pt_expect_fatal(&p.s, TLSPLUG_E_TLS, "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE");
    int tls13 = strcmp(version, "TLSv1.3") == 0;
    pt_expect_fatal(&p.c, TLSPLUG_E_TLS,
                    tls13 ? "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"
                          : "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE");
    /* TLS 1.3 clients finish before the server judges them; TLS 1.2 ones do not. */
    if (!tls13)
        CHECK(p.c.counts[TLSPLUG_EV_SECURE_CONNECT] == 0);
    pt_pair_free(&p);
    printf("  requestCert %s: accepted / UNABLE_TO_GET_ISSUER_CERT / refused\n", version);
}

int main(void)
{
    t_init("pump_verify", 8);
    pt_creds system_trust = {0};
    pt_creds self = {.key = "self.key", .cert = "self.pem"};
    client_rejects("self-signed server, system trust", system_trust, self, NULL,
                   "DEPTH_ZERO_SELF_SIGNED_CERT", NULL);
    client_rejects("servername other.example", PT_CLIENT, PT_SERVER, "other.example",
                   "ERR_TLS_CERT_ALTNAME_INVALID",
                   "Hostname/IP does not match certificate's altnames");
    pt_creds wronghost = {.key = "wronghost.key", .cert = "wronghost-chain.pem"};
    client_rejects("certificate for other.test only", PT_CLIENT, wronghost, NULL,
                   "ERR_TLS_CERT_ALTNAME_INVALID",
                   "Hostname/IP does not match certificate's altnames");
    pt_creds expired = {.key = "expired.key", .cert = "expired-chain.pem"};
    client_rejects("expired certificate", PT_CLIENT, expired, NULL, "CERT_HAS_EXPIRED", NULL);
    pt_creds future = {.key = "future.key", .cert = "future-chain.pem"};
    client_rejects("not yet valid certificate", PT_CLIENT, future, NULL, "CERT_NOT_YET_VALID",
                   NULL);
    pt_creds untrusted = {.key = "untrusted.key", .cert = "untrusted-chain.pem"};
    client_rejects("chain under an unknown root", PT_CLIENT, untrusted, NULL,
                   "SELF_SIGNED_CERT_IN_CHAIN", NULL);

    client_accepts("servername server.test", PT_SERVER, "server.test", "server.test");
    client_accepts("servername 127.0.0.1 (IP SAN, no SNI)", PT_SERVER, "127.0.0.1", NULL);

    for (int v = 0; v < 2; v++)
        request_cert(versions[v]);
    return t_done();
}
