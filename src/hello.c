/* ClientHello pre-parser (see hello.h). Every read is bounds-checked; on
 * anything unexpected the bytes are passed to GnuTLS, which owns the
 * protocol's verdicts and alerts. */
#include "hello.h"

#include <stdlib.h>
#include <string.h>

#define REC_HEADER 5
#define MAX_HELLO (1u << 17) /* a larger ClientHello is GnuTLS's to refuse */

typedef struct reader {
    const uint8_t *p;
    size_t n;
    int bad;
} reader;

static unsigned u8(reader *r)
{
    if (r->n < 1) {
        r->bad = 1;
        return 0;
    }
    unsigned v = r->p[0];
    r->p++, r->n--;
    return v;
}

static unsigned u16(reader *r)
{
    unsigned hi = u8(r);
    return (hi << 8) | u8(r);
}

/* A sub-reader over the next `len` bytes. */
static reader sub(reader *r, size_t len)
{
    reader s = {r->p, len, 0};
    if (r->n < len) {
        r->bad = 1;
        s.n = 0;
        s.bad = 1;
        return s;
    }
    r->p += len, r->n -= len;
    return s;
}

static int looks_like_http(const uint8_t *p, size_t n)
{
    static const char *const methods[] = {"GET ", "POST", "HEAD", "PUT ", "DELE", "OPTI",
                                          "CONN", "PATC", "TRAC"};
    if (n < 4)
        return 0;
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (memcmp(p, methods[i], 4) == 0)
            return 1;
    return 0;
}

static void parse_sni(reader ext, tp_hello *h)
{
    reader list = sub(&ext, u16(&ext));
    while (list.n && !list.bad) {
        unsigned type = u8(&list);
        reader name = sub(&list, u16(&list));
        if (list.bad)
            return;
        if (type == 0 && name.n > 0 && name.n < sizeof h->servername) {
            memcpy(h->servername, name.p, name.n);
            h->servername[name.n] = 0;
            if (memchr(h->servername, 0, name.n))
                h->servername[0] = 0; /* an embedded NUL is no host name */
            return;
        }
    }
}

static void parse_versions(reader ext, tp_hello *h)
{
    reader list = sub(&ext, u8(&ext));
    while (list.n >= 2) {
        unsigned v = u16(&list);
        /* Skip GREASE values (0x?A?A) and anything unknown above TLS 1.3. */
        if ((v & 0x0F0F) == 0x0A0A || v > 0x0304)
            continue;
        if (v > h->max_version)
            h->max_version = (uint16_t)v;
    }
}

/* The body of the ClientHello handshake message. */
static int parse_body(reader b, tp_hello *h)
{
    unsigned legacy = u16(&b);
    h->max_version = (uint16_t)legacy;
    sub(&b, 32); /* random */
    reader sid = sub(&b, u8(&b));
    if (b.bad || sid.n > 32)
        return -1;
    memcpy(h->session_id, sid.p, sid.n);
    h->session_id_len = (uint8_t)sid.n;
    reader suites = sub(&b, u16(&b));
    if (b.bad || suites.n % 2)
        return -1;
    h->suites_len = (uint16_t)(suites.n < sizeof h->suites ? suites.n : sizeof h->suites);
    memcpy(h->suites, suites.p, h->suites_len);
    sub(&b, u8(&b));  /* compression_methods */
    if (b.bad)
        return -1;
    if (b.n == 0)
        return 0; /* no extensions */
    reader exts = sub(&b, u16(&b));
    while (exts.n && !exts.bad) {
        unsigned type = u16(&exts);
        reader ext = sub(&exts, u16(&exts));
        if (exts.bad)
            return -1;
        switch (type) {
        case 0:
            parse_sni(ext, h);
            break;
        case 5:
            h->status_request = 1;
            break;
        case 16: {
            reader list = sub(&ext, u16(&ext));
            if (!list.bad && list.n <= sizeof h->alpn) {
                memcpy(h->alpn, list.p, list.n);
                h->alpn_len = (uint16_t)list.n;
            }
            break;
        }
        case 35:
            h->ticket = ext.n > 0;
            break;
        case 41:
            h->psk = 1;
            break;
        case 42:
            h->early_data = 1;
            break;
        case 43:
            parse_versions(ext, h);
            break;
        default:
            break;
        }
    }
    return exts.bad ? -1 : 0;
}

enum tp_hello_status tp_hello_parse(const uint8_t *p, size_t n, tp_hello *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return TP_HELLO_MORE;
    if (p[0] & 0x80)
        return TP_HELLO_PASS; /* SSLv2-compatible hello: GnuTLS handles it */
    if (p[0] != 22)
        return looks_like_http(p, n) ? TP_HELLO_HTTP : (n < 4 ? TP_HELLO_MORE : TP_HELLO_PASS);

    /* Join the fragments of handshake records until the message is whole.
     * The common case, a ClientHello in one record, is parsed in place. */
    uint8_t *joined = NULL;
    const uint8_t *msg = NULL;
    size_t have = 0, want = 0;
    enum tp_hello_status st = TP_HELLO_MORE;
    reader r = {p, n, 0};
    for (;;) {
        if (r.n < REC_HEADER)
            goto out;
        unsigned type = u8(&r);
        u16(&r); /* record version: any */
        unsigned len = u16(&r);
        if (type != 22 || len == 0 || len > 16384 + 2048) {
            st = TP_HELLO_PASS;
            goto out;
        }
        if (r.n < len)
            goto out;
        if (have == 0 && len >= 4) {
            want = 4 + (((size_t)r.p[1] << 16) | ((size_t)r.p[2] << 8) | r.p[3]);
            if (r.p[0] != 1 || want > MAX_HELLO) { /* not a ClientHello, or absurd */
                st = TP_HELLO_PASS;
                goto out;
            }
            if (len >= want) {
                msg = r.p;
                break;
            }
        }
        if (!joined && !(joined = malloc(MAX_HELLO + 16384 + 2048))) {
            st = TP_HELLO_PASS; /* no memory to look: let GnuTLS proceed alone */
            goto out;
        }
        memcpy(joined + have, r.p, len);
        have += len;
        r.p += len, r.n -= len;
        if (want == 0 && have >= 4) {
            want = 4 + (((size_t)joined[1] << 16) | ((size_t)joined[2] << 8) | joined[3]);
            if (joined[0] != 1 || want > MAX_HELLO) {
                st = TP_HELLO_PASS;
                goto out;
            }
        }
        if (want && have >= want) {
            msg = joined;
            break;
        }
    }
    reader body = {msg + 4, want - 4, 0};
    st = parse_body(body, out) == 0 ? TP_HELLO_DONE : TP_HELLO_PASS;
out:
    free(joined);
    return st;
}
