/* Node 20's `subjectaltname` and `subject.CN`, from GnuTLS's parse of the
 * certificate. The string follows Node's PrintGeneralName() and
 * PrintAltName() (src/crypto/crypto_common.cc): names that are not "safe"
 * are quoted and escaped JSON-style, so the list splits unambiguously. */
#include "verify_altnames.h"

#include <gnutls/x509-ext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct out {
    tp_buf *b;
    int oom;
} out;

static void put(out *o, const void *p, size_t n)
{
    if (!o->oom && tp_buf_append(o->b, p, n) < 0)
        o->oom = 1;
}

static void puts_(out *o, const char *s) { put(o, s, strlen(s)); }

/* Node's IsSafeAltName(). */
static int safe_name(const unsigned char *s, size_t n, int utf8)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\' || c == ',' || c == '\'')
            return 0;
        if (c < ' ' || c == 0x7f || (!utf8 && c > '~'))
            return 0;
    }
    return 1;
}

/* Node's PrintAltName(): the name as is, or quoted with \\, \" and \u00XX
 * escapes (bytes >= 0x80 pass through in UTF-8 names). */
static void alt_name(out *o, const unsigned char *s, size_t n, int utf8, const char *prefix)
{
    if (safe_name(s, n, utf8)) {
        if (prefix) {
            puts_(o, prefix);
            puts_(o, ":");
        }
        put(o, s, n);
        return;
    }
    puts_(o, "\"");
    if (prefix) {
        puts_(o, prefix);
        puts_(o, ":");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '\\') {
            puts_(o, "\\\\");
        } else if (c == '"') {
            puts_(o, "\\\"");
        } else if ((c >= ' ' && c != ',' && c <= '~') || (utf8 && (c & 0x80))) {
            put(o, &c, 1);
        } else {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(o, esc);
        }
    }
    puts_(o, "\"");
}

/* An otherName's value, [0] EXPLICIT: the inner string's tag and content. */
static int inner_string(const gnutls_datum_t *v, unsigned *tag, const unsigned char **p, size_t *n)
{
    if (v->size < 2)
        return -1;
    size_t len = v->data[1], hdr = 2;
    if (len & 0x80) {
        unsigned k = len & 0x7f;
        if (k == 0 || k > 3 || v->size < 2 + k)
            return -1;
        len = 0;
        for (unsigned i = 0; i < k; i++)
            len = (len << 8) | v->data[2 + i];
        hdr = 2 + k;
    }
    if (hdr + len != v->size)
        return -1;
    *tag = v->data[0];
    *p = v->data + hdr;
    *n = len;
    return 0;
}

/* Node's otherName printing (after OpenSSL 3.0's GENERAL_NAME_print): a few
 * known types with their string type, the rest "<unsupported>". */
static void other_name(out *o, const gnutls_datum_t *oid, const gnutls_datum_t *v)
{
    static const struct {
        const char *oid, *prefix;
        int unicode;
    } known[] = {
        {"1.3.6.1.5.5.7.8.9", "SmtpUTF8Mailbox", 1}, {"1.3.6.1.5.5.7.8.5", "XmppAddr", 1},
        {"1.3.6.1.5.5.7.8.7", "SRVName", 0},         {"1.3.6.1.4.1.311.20.2.3", "UPN", 1},
        {"1.3.6.1.5.5.7.8.8", "NAIRealm", 1},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (!oid->data || strlen(known[i].oid) != oid->size || memcmp(known[i].oid, oid->data, oid->size))
            continue;
        unsigned tag;
        const unsigned char *p;
        size_t n;
        /* UTF8String (12) for the unicode ones, IA5String (22) for SRVName. */
        if (inner_string(v, &tag, &p, &n) < 0 || tag != (known[i].unicode ? 12u : 22u))
            break;
        puts_(o, "othername:");
        alt_name(o, p, n, known[i].unicode, known[i].prefix);
        return;
    }
    puts_(o, "othername:<unsupported>");
}

static void ip_address(out *o, const gnutls_datum_t *v)
{
    char s[64];
    const unsigned char *b = v->data;
    puts_(o, "IP Address:");
    if (v->size == 4) {
        snprintf(s, sizeof s, "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
        puts_(o, s);
    } else if (v->size == 16) {
        for (int j = 0; j < 8; j++) {
            snprintf(s, sizeof s, j ? ":%X" : "%X", (unsigned)(b[2 * j] << 8 | b[2 * j + 1]));
            puts_(o, s);
        }
    } else {
        snprintf(s, sizeof s, "<invalid length=%u>", v->size);
        puts_(o, s);
    }
}

static int keep(tp_name **arr, unsigned *n, unsigned type, const void *p, size_t len)
{
    tp_name *a = realloc(*arr, (*n + 1) * sizeof **arr);
    if (!a)
        return -1;
    *arr = a;
    a[*n].type = type;
    a[*n].len = len;
    a[*n].data = malloc(len + 1);
    if (!a[*n].data)
        return -1;
    if (len)
        memcpy(a[*n].data, p, len);
    a[*n].data[len] = 0;
    (*n)++;
    return 0;
}

static int get_san(gnutls_x509_crt_t crt, tp_names *nm)
{
    gnutls_datum_t der = {NULL, 0};
    if (gnutls_x509_crt_get_extension_by_oid2(crt, GNUTLS_X509EXT_OID_SAN, 0, &der, NULL) < 0)
        return 0; /* no subjectAltName: Node's subjectaltname is undefined */
    gnutls_subject_alt_names_t sans;
    int rc = 0;
    if (gnutls_subject_alt_names_init(&sans) < 0) {
        gnutls_free(der.data);
        return -1;
    }
    if (gnutls_x509_ext_import_subject_alt_names(&der, sans, 0) == 0) {
        nm->has_san = 1;
        out o = {&nm->text, 0};
        for (unsigned i = 0;; i++) {
            unsigned type;
            gnutls_datum_t v = {NULL, 0}, oid = {NULL, 0};
            if (gnutls_subject_alt_names_get(sans, i, &type, &v, &oid) < 0)
                break;
            if (i)
                puts_(&o, ", ");
            switch (type) {
            case GNUTLS_SAN_DNSNAME: puts_(&o, "DNS:"); alt_name(&o, v.data, v.size, 0, NULL); break;
            case GNUTLS_SAN_RFC822NAME: puts_(&o, "email:"); alt_name(&o, v.data, v.size, 0, NULL); break;
            case GNUTLS_SAN_URI: puts_(&o, "URI:"); alt_name(&o, v.data, v.size, 0, NULL); break;
            /* GnuTLS gives the directory name as an RFC 4514 string, which
             * is what Node prints (as UTF-8). */
            case GNUTLS_SAN_DN: puts_(&o, "DirName:"); alt_name(&o, v.data, v.size, 1, NULL); break;
            case GNUTLS_SAN_IPADDRESS: ip_address(&o, &v); break;
            case GNUTLS_SAN_REGISTERED_ID: puts_(&o, "Registered ID:"); put(&o, v.data, v.size); break;
            case GNUTLS_SAN_OTHERNAME: other_name(&o, &oid, &v); break;
            default: puts_(&o, "othername:<unsupported>"); break;
            }
            if (keep(&nm->san, &nm->nsan, type, v.data, v.size) < 0)
                o.oom = 1;
        }
        put(&o, "", 1); /* NUL */
        rc = o.oom ? -1 : 0;
    }
    gnutls_subject_alt_names_deinit(sans);
    gnutls_free(der.data);
    return rc;
}

static void utf8_put(out *o, unsigned long cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | ((cp >> 18) & 0x07));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    put(o, b, n);
}

/* OpenSSL's ASN1_STRING_to_UTF8(), as Node applies it to subject values:
 * BMPString is UCS-2, UniversalString UCS-4, TeletexString Latin-1; the
 * other string types are taken as they are. */
static void to_utf8(out *o, const gnutls_x509_ava_st *ava)
{
    const unsigned char *p = ava->value.data;
    size_t n = ava->value.size;
    unsigned width = ava->value_tag == 30 ? 2 : ava->value_tag == 28 ? 4 : ava->value_tag == 20 ? 1 : 0;
    if (width == 0) {
        put(o, p, n);
        return;
    }
    for (size_t i = 0; i + width <= n; i += width) {
        unsigned long cp = 0;
        for (unsigned k = 0; k < width; k++)
            cp = cp << 8 | p[i + k];
        utf8_put(o, cp);
    }
}

static int get_cn(gnutls_x509_crt_t crt, tp_names *nm)
{
    gnutls_x509_dn_t dn;
    if (gnutls_x509_crt_get_subject(crt, &dn) < 0)
        return 0;
    for (int irdn = 0;; irdn++) {
        int iava = 0;
        for (;; iava++) {
            gnutls_x509_ava_st ava;
            if (gnutls_x509_dn_get_rdn_ava(dn, irdn, iava, &ava) < 0)
                break;
            size_t olen = ava.oid.size; /* GnuTLS counts the OID's NUL */
            if (olen && ava.oid.data[olen - 1] == 0)
                olen--;
            if (olen != strlen(GNUTLS_OID_X520_COMMON_NAME) ||
                memcmp(ava.oid.data, GNUTLS_OID_X520_COMMON_NAME, olen) != 0)
                continue;
            tp_buf b = {0};
            out o = {&b, 0};
            to_utf8(&o, &ava);
            int bad = o.oom || keep(&nm->cn, &nm->ncn, 0, tp_buf_peek(&b), tp_buf_len(&b)) < 0;
            tp_buf_free(&b);
            if (bad)
                return -1;
        }
        if (iava == 0)
            break;
    }
    return 0;
}

void tp_names_free(tp_names *nm)
{
    for (unsigned i = 0; i < nm->nsan; i++)
        free(nm->san[i].data);
    for (unsigned i = 0; i < nm->ncn; i++)
        free(nm->cn[i].data);
    free(nm->san);
    free(nm->cn);
    tp_buf_free(&nm->text);
    memset(nm, 0, sizeof *nm);
}

/* gnutls_x509_crt_get_subject_alt_name2() reads the names GnuTLS parsed
 * when it imported the certificate (with the same decoder get_san() uses),
 * so DNS and IP entries come out byte for byte as there; othernames may be
 * turned into other types, but never into these two. */
int tp_names_get_matchable(gnutls_x509_crt_t crt, tp_names *nm)
{
    memset(nm, 0, sizeof *nm);
    unsigned char v[1024];
    for (unsigned i = 0;; i++) {
        size_t len = sizeof v;
        unsigned type = 0;
        int r = gnutls_x509_crt_get_subject_alt_name2(crt, i, v, &len, &type, NULL);
        if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
            break;
        if (r < 0)
            goto full; /* a long or unusual entry: let tp_names_get() judge */
        if ((type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_IPADDRESS) &&
            keep(&nm->san, &nm->nsan, type, v, len) < 0)
            goto full;
    }
    if (get_cn(crt, nm) == 0)
        return 0;
full:
    tp_names_free(nm);
    return -1;
}

int tp_names_get(gnutls_x509_crt_t crt, tp_names *nm)
{
    memset(nm, 0, sizeof *nm);
    if (get_san(crt, nm) < 0 || get_cn(crt, nm) < 0) {
        tp_names_free(nm);
        return -1;
    }
    return 0;
}
