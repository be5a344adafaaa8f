/* Raw GnuTLS baseline: a client and a server gnutls_session_t joined by
 * in-memory byte queues (push appends to the peer's queue, pull takes from
 * one's own; GNUTLS_NONBLOCK). Same credentials and priorities as the pump
 * benchmark: TLS 1.3 only, AES-128-GCM, X25519; the client verifies the
 * chain against ca.pem and the name "localhost" during the handshake. */
#include "bench_util.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:-GROUP-ALL:+GROUP-X25519"

typedef struct {
    gnutls_session_t s;
    bq in;          /* ciphertext waiting for this side */
    bq *peer_in;    /* where this side's output goes */
} side;

typedef struct {
    side c, srv;
} pair;

static gnutls_certificate_credentials_t client_cred, server_cred;
static gnutls_priority_t prio;
static gnutls_datum_t stek;

static ssize_t push_fn(gnutls_transport_ptr_t p, const void *data, size_t len)
{
    side *sd = p;
    bq_append(sd->peer_in, data, len);
    return (ssize_t)len;
}

static ssize_t pull_fn(gnutls_transport_ptr_t p, void *data, size_t len)
{
    side *sd = p;
    if (bq_len(&sd->in) == 0) {
        gnutls_transport_set_errno(sd->s, EAGAIN);
        return -1;
    }
    return (ssize_t)bq_take(&sd->in, data, len);
}

static int pull_timeout_fn(gnutls_transport_ptr_t p, unsigned ms)
{
    side *sd = p;
    (void)ms;
    return bq_len(&sd->in) ? 1 : 0;
}

static void chk(int err, const char *what)
{
    if (err < 0) {
        fprintf(stderr, "bench_raw: %s: %s\n", what, gnutls_strerror(err));
        exit(1);
    }
}

static void side_init(side *sd, unsigned flags, gnutls_certificate_credentials_t cred)
{
    chk(gnutls_init(&sd->s, flags | GNUTLS_NONBLOCK), "gnutls_init");
    chk(gnutls_priority_set(sd->s, prio), "priority_set");
    chk(gnutls_credentials_set(sd->s, GNUTLS_CRD_CERTIFICATE, cred), "credentials_set");
    gnutls_transport_set_ptr(sd->s, sd);
    gnutls_transport_set_push_function(sd->s, push_fn);
    gnutls_transport_set_pull_function(sd->s, pull_fn);
    gnutls_transport_set_pull_timeout_function(sd->s, pull_timeout_fn);
}

static void pair_init(pair *p, const gnutls_datum_t *session)
{
    memset(p, 0, sizeof *p);
    p->c.peer_in = &p->srv.in;
    p->srv.peer_in = &p->c.in;
    side_init(&p->c, GNUTLS_CLIENT, client_cred);
    chk(gnutls_server_name_set(p->c.s, GNUTLS_NAME_DNS, "localhost", 9), "server_name_set");
    gnutls_session_set_verify_cert(p->c.s, "localhost", 0);
    if (session)
        chk(gnutls_session_set_data(p->c.s, session->data, session->size), "session_set_data");
    side_init(&p->srv, GNUTLS_SERVER, server_cred);
    chk(gnutls_session_ticket_enable_server(p->srv.s, &stek), "ticket_enable_server");
}

/* Drain whatever application-level input (the server's tickets) waits. */
static void drain(side *sd)
{
    uint8_t buf[BULK_CHUNK];
    while (bq_len(&sd->in)) {
        ssize_t r = gnutls_record_recv(sd->s, buf, sizeof buf);
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            break;
        chk((int)r, "record_recv (drain)");
        if (r == 0)
            break;
    }
}

static void pair_handshake(pair *p)
{
    int cd = 0, sdone = 0;
    while (!cd || !sdone) {
        if (!cd) {
            int e = gnutls_handshake(p->c.s);
            if (e == 0)
                cd = 1;
            else if (e != GNUTLS_E_AGAIN && e != GNUTLS_E_INTERRUPTED)
                chk(e, "client handshake");
        }
        if (!sdone) {
            int e = gnutls_handshake(p->srv.s);
            if (e == 0)
                sdone = 1;
            else if (e != GNUTLS_E_AGAIN && e != GNUTLS_E_INTERRUPTED)
                chk(e, "server handshake");
        }
    }
    /* The server's NewSessionTicket: the client takes it in. */
    drain(&p->c);
}

static void pair_free(pair *p)
{
    gnutls_deinit(p->c.s);
    gnutls_deinit(p->srv.s);
    bq_free(&p->c.in);
    bq_free(&p->srv.in);
}

static void setup(const char *chain, const char *key)
{
    chk(gnutls_global_init(), "global_init");
    chk(gnutls_priority_init2(&prio, PRIORITY, NULL, 0), "priority_init");
    chk(gnutls_certificate_allocate_credentials(&client_cred), "alloc cred");
    chk(gnutls_certificate_set_x509_trust_file(client_cred, pki_path("ca.pem"), GNUTLS_X509_FMT_PEM),
        "trust_file");
    chk(gnutls_certificate_allocate_credentials(&server_cred), "alloc cred");
    char chainpath[4096];
    snprintf(chainpath, sizeof chainpath, "%s", pki_path(chain));
    chk(gnutls_certificate_set_x509_key_file(server_cred, chainpath, pki_path(key), GNUTLS_X509_FMT_PEM),
        "key_file");
    chk(gnutls_session_ticket_key_generate(&stek), "ticket_key_generate");
}

static void bench_bulk(double total)
{
    pair p;
    pair_init(&p, NULL);
    pair_handshake(&p);
    static uint8_t out[BULK_CHUNK], in[BULK_CHUNK];
    memset(out, 'x', sizeof out);
    double got = 0;
    bclock clk;
    bclock_start(&clk);
    while (got < total) {
        ssize_t w = gnutls_record_send(p.c.s, out, sizeof out);
        chk((int)w, "record_send");
        for (;;) {
            ssize_t r = gnutls_record_recv(p.srv.s, in, sizeof in);
            if (r == GNUTLS_E_AGAIN)
                break;
            chk((int)r, "record_recv");
            got += (double)r;
        }
    }
    double wall, cpu;
    bclock_stop(&clk, &wall, &cpu);
    pair_free(&p);
    emit_rate(got, wall, cpu);
}

static void bench_full(long n)
{
    bclock clk;
    bclock_start(&clk);
    for (long i = 0; i < n; i++) {
        pair p;
        pair_init(&p, NULL);
        pair_handshake(&p);
        pair_free(&p);
    }
    double wall, cpu;
    bclock_stop(&clk, &wall, &cpu);
    emit_rate((double)n, wall, cpu);
}

static void bench_resume(long n)
{
    pair p;
    pair_init(&p, NULL);
    pair_handshake(&p);
    gnutls_datum_t sess;
    chk(gnutls_session_get_data2(p.c.s, &sess), "session_get_data2");
    pair_free(&p);
    bclock clk;
    bclock_start(&clk);
    for (long i = 0; i < n; i++) {
        pair_init(&p, &sess);
        pair_handshake(&p);
        if (!gnutls_session_is_resumed(p.c.s))
            die("handshake did not resume", i);
        pair_free(&p);
    }
    double wall, cpu;
    bclock_stop(&clk, &wall, &cpu);
    gnutls_free(sess.data);
    emit_rate((double)n, wall, cpu);
}

/* Heap held by n idle established pairs: free the servers, then the
 * clients, and see how much each release gives back. The byte queues are
 * emptied and released first so that only the sessions are measured. */
static void bench_mem(long n)
{
    pair *ps = calloc((size_t)n, sizeof *ps);
    if (!ps)
        die("calloc", 0);
    for (long i = 0; i < n; i++) {
        pair_init(&ps[i], NULL);
        pair_handshake(&ps[i]);
        bq_free(&ps[i].c.in);
        bq_free(&ps[i].srv.in);
    }
    size_t h0 = heap_in_use();
    for (long i = 0; i < n; i++)
        gnutls_deinit(ps[i].srv.s);
    size_t h1 = heap_in_use();
    for (long i = 0; i < n; i++)
        gnutls_deinit(ps[i].c.s);
    size_t h2 = heap_in_use();
    free(ps);
    emit_mem((double)(h1 - h2) / (double)n, (double)(h0 - h1) / (double)n);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage(argv[0]);
    const char *w = argv[1];
    int rsa = argc > 3 && strcmp(argv[2], "rsa") == 0;
    setup(rsa ? "server-chain.pem" : "server-ec-chain.pem", rsa ? "server.key" : "server-ec.key");
    if (strcmp(w, "bulk") == 0)
        bench_bulk(strtod(argv[2], NULL));
    else if (strcmp(w, "full") == 0 && argc > 3)
        bench_full(strtol(argv[3], NULL, 10));
    else if (strcmp(w, "resume") == 0)
        bench_resume(strtol(argv[2], NULL, 10));
    else if (strcmp(w, "mem") == 0)
        bench_mem(strtol(argv[2], NULL, 10));
    else
        usage(argv[0]);
    gnutls_free(stek.data);
    gnutls_certificate_free_credentials(client_cred);
    gnutls_certificate_free_credentials(server_cred);
    gnutls_priority_deinit(prio);
    gnutls_global_deinit();
    return 0;
}
