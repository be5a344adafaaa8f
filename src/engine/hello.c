/* ClientHello reader (see hello.h). Every read is bounds-checked; on
 * anything unexpected the bytes are passed to GnuTLS, which owns the
 * protocol's verdicts and alerts. */
#include "hello.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define REC_HEADER 5
#define MAX_PLAINTEXT 16384 /* a longer plaintext record is GnuTLS's to refuse */
#define MSG_HEADER 4        /* handshake type(1) length(3) */

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
        if (v >= 0x0301)
            h->versions |= (uint8_t)(1u << (v - 0x0301));
    }
}

/* A hello without supported_versions offers every version up to its
 * legacy one, from TLS 1.0. */
static void legacy_versions(tp_hello *h, unsigned legacy)
{
    for (unsigned v = 0x0301; v <= legacy && v <= 0x0304; v++)
        h->versions |= (uint8_t)(1u << (v - 0x0301));
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
    if (suites.n && !(h->suites = malloc(suites.n)))
        return -1;
    memcpy(h->suites, suites.p, suites.n);
    h->suites_len = suites.n;
    for (size_t i = 0; i < suites.n; i += 2)
        if (suites.p[i] == 0x56 && suites.p[i + 1] == 0x00)
            h->fallback_scsv = 1;
    sub(&b, u8(&b));  /* compression_methods */
    if (b.bad)
        return -1;
    if (b.n == 0) {
        legacy_versions(h, legacy);
        return 0; /* no extensions */
    }
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
        case 10: {
            reader list = sub(&ext, u16(&ext));
            while (list.n >= 2 && !list.bad) {
                unsigned group = u16(&list);
                if (group >= 0x0100 && group <= 0x01ff)
                    h->ffdhe = 1;
            }
            break;
        }
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
    if (!h->versions)
        legacy_versions(h, legacy);
    return exts.bad ? -1 : 0;
}

int tp_hello_offers_version(const tp_hello *h, unsigned lo, unsigned hi)
{
    for (unsigned v = lo < 0x0301 ? 0x0301 : lo; v <= hi && v <= 0x0304; v++)
        if (h->versions & (1u << (v - 0x0301)))
            return 1;
    return 0;
}

tp_hello *tp_hello_new(void)
{
    return calloc(1, sizeof(tp_hello));
}

void tp_hello_free(tp_hello *h)
{
    if (!h)
        return;
    free(h->suites);
    free(h->joined);
    free(h->resume_answer);
    free(h->ocsp_answer);
    free(h);
}

static size_t msg_length(const uint8_t *hdr)
{
    return MSG_HEADER + (((size_t)hdr[1] << 16) | ((size_t)hdr[2] << 8) | hdr[3]);
}

/* The whole message is here: read its fields, then let go of the join. */
static enum tp_hello_status finish(tp_hello *h, const uint8_t *msg, size_t len)
{
    reader body = {msg + MSG_HEADER, len - MSG_HEADER, 0};
    int ok = parse_body(body, h) == 0;
    free(h->joined);
    h->joined = NULL;
    if (ok)
        return TP_HELLO_DONE;
    /* Not a hello we read: forget what was half read, so that nothing
     * downstream acts on it; GnuTLS judges the bytes. */
    free(h->suites);
    memset(h, 0, offsetof(tp_hello, scanned));
    return TP_HELLO_PASS;
}

/* Add one handshake record's fragment to the message. */
static enum tp_hello_status take(tp_hello *h, const uint8_t *frag, size_t len)
{
    /* The common case: the first record holds the whole hello. */
    if (h->have == 0 && len >= MSG_HEADER && frag[0] == 1 && msg_length(frag) <= len)
        return finish(h, frag, msg_length(frag));
    while (len) {
        if (h->want == 0) {
            /* The 4-byte header itself may be cut across records. */
            size_t k = MSG_HEADER - h->have < len ? MSG_HEADER - h->have : len;
            memcpy(h->head + h->have, frag, k);
            h->have += k, frag += k, len -= k;
            if (h->have < MSG_HEADER)
                return TP_HELLO_MORE;
            h->want = msg_length(h->head);
            if (h->head[0] != 1 || h->want > TP_HELLO_MAX_MESSAGE)
                return TP_HELLO_PASS; /* not a ClientHello, or larger than GnuTLS takes */
            if (!(h->joined = malloc(h->want)))
                return TP_HELLO_PASS; /* no memory to look: GnuTLS proceeds alone */
            memcpy(h->joined, h->head, MSG_HEADER);
            continue;
        }
        size_t k = h->want - h->have < len ? h->want - h->have : len;
        memcpy(h->joined + h->have, frag, k);
        h->have += k, frag += k, len -= k;
        if (h->have == h->want)
            return finish(h, h->joined, h->want);
    }
    return TP_HELLO_MORE;
}

enum tp_hello_status tp_hello_read(tp_hello *h, const uint8_t *p, size_t n)
{
    if (n == 0)
        return TP_HELLO_MORE;
    if (p[0] & 0x80)
        return TP_HELLO_PASS; /* SSLv2-compatible hello: GnuTLS handles it */
    if (p[0] != 22)
        return looks_like_http(p, n) ? TP_HELLO_HTTP : (n < 4 ? TP_HELLO_MORE : TP_HELLO_PASS);
    /* Walk only the whole records that arrived since the last call. */
    while (n - h->scanned >= REC_HEADER) {
        const uint8_t *rec = p + h->scanned;
        size_t len = ((size_t)rec[3] << 8) | rec[4];
        if (rec[0] != 22 || len > MAX_PLAINTEXT)
            return TP_HELLO_PASS; /* another record type before the hello is whole */
        if (n - h->scanned - REC_HEADER < len)
            return TP_HELLO_MORE;
        h->scanned += REC_HEADER + len;
        if (len == 0)
            continue; /* an empty fragment adds nothing; GnuTLS judges it when it reads */
        enum tp_hello_status st = take(h, rec + REC_HEADER, len);
        if (st != TP_HELLO_MORE)
            return st;
    }
    /* No valid hello needs this much: stop holding; GnuTLS judges it. */
    return n >= TP_HELLO_MAX_HELD ? TP_HELLO_PASS : TP_HELLO_MORE;
}
