/* Node's certificate object as JSON (see certobj.h): each member made from
 * GnuTLS's parse of the certificate, or from its DER where GnuTLS would
 * lose what OpenSSL prints (the validity times as written, the serial's
 * sign). */
#include "certobj.h"

#include <gnutls/abstract.h>
#include <gnutls/x509-ext.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsplug.h"
#include "verify_altnames.h"

/* ---- output ------------------------------------------------------------- */

typedef struct jw {
    tp_buf *b;
    int oom;
    int first; /* no member written yet in the current object */
} jw;

/* A buffer's bytes; never NULL, so that an empty buffer makes no
 * NULL + 0 (undefined in C, and clang's UBSan says so). */
static const uint8_t *bytes_of(const tp_buf *b)
{
    return b->data ? tp_buf_peek(b) : (const uint8_t *)"";
}

static void put(jw *j, const void *p, size_t n)
{
    if (!j->oom && n && tp_buf_append(j->b, p, n) < 0)
        j->oom = 1;
}

static void puts_(jw *j, const char *s) { put(j, s, strlen(s)); }

static void putc_(jw *j, char c) { put(j, &c, 1); }

/* The code point cp as UTF-8 (cp <= 0x10FFFF). */
static void put_utf8(jw *j, unsigned long cp)
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
        b[0] = (unsigned char)(0xf0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    put(j, b, n);
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, surrogates or code points above U+10FFFF), with its code point in
 * *cp; 0 when the byte at p starts none. */
static size_t utf8_seq(const unsigned char *p, size_t n, unsigned long *cp)
{
    unsigned char c = p[0];
    size_t len;
    unsigned long v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* A JSON string literal, escaped as JSON.stringify does; bytes that are not
 * UTF-8 come out as \u00XX. */
static void put_json_string(jw *j, const void *s, size_t n)
{
    const unsigned char *p = s;
    putc_(j, '"');
    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t l = utf8_seq(p + i, n - i, &cp);
        char esc[8];
        if (l == 0) {
            snprintf(esc, sizeof esc, "\\u%04x", p[i]);
            puts_(j, esc);
            i++;
            continue;
        }
        switch (cp) {
        case '"': puts_(j, "\\\""); break;
        case '\\': puts_(j, "\\\\"); break;
        case '\b': puts_(j, "\\b"); break;
        case '\f': puts_(j, "\\f"); break;
        case '\n': puts_(j, "\\n"); break;
        case '\r': puts_(j, "\\r"); break;
        case '\t': puts_(j, "\\t"); break;
        default:
            if (cp < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04lx", cp);
                puts_(j, esc);
            } else {
                put(j, p + i, l);
            }
        }
        i += l;
    }
    putc_(j, '"');
}

/* Start a member of the current object: the separator and the key. */
static void member(jw *j, const char *key)
{
    if (!j->first)
        putc_(j, ',');
    j->first = 0;
    put_json_string(j, key, strlen(key));
    putc_(j, ':');
}

static void put_hex(jw *j, const unsigned char *p, size_t n, const char *sep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        if (i && sep)
            puts_(j, sep);
        char h[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
        put(j, h, 2);
    }
}

static void put_base64(jw *j, const unsigned char *p, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned long)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {al[v >> 18], al[(v >> 12) & 63], i + 1 < n ? al[(v >> 6) & 63] : '=',
                     i + 2 < n ? al[v & 63] : '='};
        put(j, q, 4);
    }
}

/* A byte string member: base64 in a JSON string. */
static void put_bytes_member(jw *j, const char *key, const unsigned char *p, size_t n)
{
    member(j, key);
    putc_(j, '"');
    put_base64(j, p, n);
    putc_(j, '"');
}

/* Bytes as Latin-1: each byte is the code point of its value. */
static void put_latin1(jw *j, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_utf8(j, p[i]);
}

/* ---- distinguished names ------------------------------------------------ */

/* OpenSSL 3.0's short names (OBJ_nid2sn) for the attribute types found in
 * names, from `openssl list -objects`: the X.520 arc, PKCS #9, the pilot
 * (RFC 4519) arc, EV jurisdiction, RFC 3739 personal data, and a few
 * national ones. Node prints any other type as its dotted OID. */
static const struct {
    const char *oid, *sn;
} dn_names[] = {
    {"0.9.2342.19200300.100.1.1", "UID"},
    {"0.9.2342.19200300.100.1.2", "textEncodedORAddress"},
    {"0.9.2342.19200300.100.1.3", "mail"},
    {"0.9.2342.19200300.100.1.4", "info"},
    {"0.9.2342.19200300.100.1.5", "favouriteDrink"},
    {"0.9.2342.19200300.100.1.6", "roomNumber"},
    {"0.9.2342.19200300.100.1.7", "photo"},
    {"0.9.2342.19200300.100.1.8", "userClass"},
    {"0.9.2342.19200300.100.1.9", "host"},
    {"0.9.2342.19200300.100.1.10", "manager"},
    {"0.9.2342.19200300.100.1.11", "documentIdentifier"},
    {"0.9.2342.19200300.100.1.12", "documentTitle"},
    {"0.9.2342.19200300.100.1.13", "documentVersion"},
    {"0.9.2342.19200300.100.1.14", "documentAuthor"},
    {"0.9.2342.19200300.100.1.15", "documentLocation"},
    {"0.9.2342.19200300.100.1.20", "homeTelephoneNumber"},
    {"0.9.2342.19200300.100.1.21", "secretary"},
    {"0.9.2342.19200300.100.1.22", "otherMailbox"},
    {"0.9.2342.19200300.100.1.23", "lastModifiedTime"},
    {"0.9.2342.19200300.100.1.24", "lastModifiedBy"},
    {"0.9.2342.19200300.100.1.25", "DC"},
    {"0.9.2342.19200300.100.1.26", "aRecord"},
    {"0.9.2342.19200300.100.1.27", "pilotAttributeType27"},
    {"0.9.2342.19200300.100.1.28", "mXRecord"},
    {"0.9.2342.19200300.100.1.29", "nSRecord"},
    {"0.9.2342.19200300.100.1.30", "sOARecord"},
    {"0.9.2342.19200300.100.1.31", "cNAMERecord"},
    {"0.9.2342.19200300.100.1.37", "associatedDomain"},
    {"0.9.2342.19200300.100.1.38", "associatedName"},
    {"0.9.2342.19200300.100.1.39", "homePostalAddress"},
    {"0.9.2342.19200300.100.1.40", "personalTitle"},
    {"0.9.2342.19200300.100.1.41", "mobileTelephoneNumber"},
    {"0.9.2342.19200300.100.1.42", "pagerTelephoneNumber"},
    {"0.9.2342.19200300.100.1.43", "friendlyCountryName"},
    {"0.9.2342.19200300.100.1.44", "uid"},
    {"0.9.2342.19200300.100.1.45", "organizationalStatus"},
    {"0.9.2342.19200300.100.1.46", "janetMailbox"},
    {"0.9.2342.19200300.100.1.47", "mailPreferenceOption"},
    {"0.9.2342.19200300.100.1.48", "buildingName"},
    {"0.9.2342.19200300.100.1.49", "dSAQuality"},
    {"0.9.2342.19200300.100.1.50", "singleLevelQuality"},
    {"0.9.2342.19200300.100.1.51", "subtreeMinimumQuality"},
    {"0.9.2342.19200300.100.1.52", "subtreeMaximumQuality"},
    {"0.9.2342.19200300.100.1.53", "personalSignature"},
    {"0.9.2342.19200300.100.1.54", "dITRedirect"},
    {"0.9.2342.19200300.100.1.55", "audio"},
    {"0.9.2342.19200300.100.1.56", "documentPublisher"},
    {"1.2.643.3.131.1.1", "INN"},
    {"1.2.643.100.1", "OGRN"},
    {"1.2.643.100.3", "SNILS"},
    {"1.2.643.100.5", "OGRNIP"},
    {"1.2.840.113549.1.9.1", "emailAddress"},
    {"1.2.840.113549.1.9.2", "unstructuredName"},
    {"1.2.840.113549.1.9.3", "contentType"},
    {"1.2.840.113549.1.9.4", "messageDigest"},
    {"1.2.840.113549.1.9.5", "signingTime"},
    {"1.2.840.113549.1.9.6", "countersignature"},
    {"1.2.840.113549.1.9.7", "challengePassword"},
    {"1.2.840.113549.1.9.8", "unstructuredAddress"},
    {"1.2.840.113549.1.9.9", "extendedCertificateAttributes"},
    {"1.2.840.113549.1.9.14", "extReq"},
    {"1.2.840.113549.1.9.15", "SMIME-CAPS"},
    {"1.2.840.113549.1.9.16", "SMIME"},
    {"1.2.840.113549.1.9.20", "friendlyName"},
    {"1.2.840.113549.1.9.21", "localKeyID"},
    {"1.3.6.1.4.1.311.20.2.3", "msUPN"},
    {"1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"},
    {"1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"},
    {"1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"},
    {"1.3.6.1.5.5.7.9.1", "id-pda-dateOfBirth"},
    {"1.3.6.1.5.5.7.9.2", "id-pda-placeOfBirth"},
    {"1.3.6.1.5.5.7.9.3", "id-pda-gender"},
    {"1.3.6.1.5.5.7.9.4", "id-pda-countryOfCitizenship"},
    {"1.3.6.1.5.5.7.9.5", "id-pda-countryOfResidence"},
    {"2.5.4.3", "CN"},
    {"2.5.4.4", "SN"},
    {"2.5.4.5", "serialNumber"},
    {"2.5.4.6", "C"},
    {"2.5.4.7", "L"},
    {"2.5.4.8", "ST"},
    {"2.5.4.9", "street"},
    {"2.5.4.10", "O"},
    {"2.5.4.11", "OU"},
    {"2.5.4.12", "title"},
    {"2.5.4.13", "description"},
    {"2.5.4.14", "searchGuide"},
    {"2.5.4.15", "businessCategory"},
    {"2.5.4.16", "postalAddress"},
    {"2.5.4.17", "postalCode"},
    {"2.5.4.18", "postOfficeBox"},
    {"2.5.4.19", "physicalDeliveryOfficeName"},
    {"2.5.4.20", "telephoneNumber"},
    {"2.5.4.21", "telexNumber"},
    {"2.5.4.22", "teletexTerminalIdentifier"},
    {"2.5.4.23", "facsimileTelephoneNumber"},
    {"2.5.4.24", "x121Address"},
    {"2.5.4.25", "internationaliSDNNumber"},
    {"2.5.4.26", "registeredAddress"},
    {"2.5.4.27", "destinationIndicator"},
    {"2.5.4.28", "preferredDeliveryMethod"},
    {"2.5.4.29", "presentationAddress"},
    {"2.5.4.30", "supportedApplicationContext"},
    {"2.5.4.31", "member"},
    {"2.5.4.32", "owner"},
    {"2.5.4.33", "roleOccupant"},
    {"2.5.4.34", "seeAlso"},
    {"2.5.4.35", "userPassword"},
    {"2.5.4.36", "userCertificate"},
    {"2.5.4.37", "cACertificate"},
    {"2.5.4.38", "authorityRevocationList"},
    {"2.5.4.39", "certificateRevocationList"},
    {"2.5.4.40", "crossCertificatePair"},
    {"2.5.4.41", "name"},
    {"2.5.4.42", "GN"},
    {"2.5.4.43", "initials"},
    {"2.5.4.44", "generationQualifier"},
    {"2.5.4.45", "x500UniqueIdentifier"},
    {"2.5.4.46", "dnQualifier"},
    {"2.5.4.47", "enhancedSearchGuide"},
    {"2.5.4.48", "protocolInformation"},
    {"2.5.4.49", "distinguishedName"},
    {"2.5.4.50", "uniqueMember"},
    {"2.5.4.51", "houseIdentifier"},
    {"2.5.4.52", "supportedAlgorithms"},
    {"2.5.4.53", "deltaRevocationList"},
    {"2.5.4.54", "dmdName"},
    {"2.5.4.65", "pseudonym"},
    {"2.5.4.72", "role"},
    {"2.5.4.97", "organizationIdentifier"},
    {"2.5.4.98", "c3"},
    {"2.5.4.99", "n3"},
    {"2.5.4.100", "dnsName"},
};

/* The OID of an attribute as text without the NUL GnuTLS counts. */
static size_t oid_len(const gnutls_datum_t *oid)
{
    size_t n = oid->size;
    while (n && oid->data[n - 1] == 0)
        n--;
    return n;
}

static int oid_is(const gnutls_datum_t *oid, const char *want)
{
    size_t n = oid_len(oid);
    return n == strlen(want) && memcmp(oid->data, want, n) == 0;
}

/* Node's key for an attribute: OpenSSL's short name, else the dotted OID. */
static void dn_key(const gnutls_x509_ava_st *ava, const char **key, size_t *len)
{
    for (size_t i = 0; i < sizeof dn_names / sizeof dn_names[0]; i++) {
        if (oid_is(&ava->oid, dn_names[i].oid)) {
            *key = dn_names[i].sn;
            *len = strlen(*key);
            return;
        }
    }
    *key = (const char *)ava->oid.data;
    *len = oid_len(&ava->oid);
}

/* UCS-2 (width 2) or UCS-4 (width 4), big-endian, when every character is a
 * Unicode scalar value: OpenSSL's conversion refuses the rest. */
static int ucs_ok(const unsigned char *p, size_t n, unsigned width)
{
    if (n % width)
        return 0;
    for (size_t i = 0; i < n; i += width) {
        unsigned long cp = 0;
        for (unsigned k = 0; k < width; k++)
            cp = cp << 8 | p[i + k];
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return 1;
}

/* An attribute's value as UTF-8, as ASN1_STRING_to_UTF8 makes it; what it
 * cannot convert is taken byte by byte as Latin-1 (certobj.h). */
static void dn_value(jw *j, const gnutls_x509_ava_st *ava)
{
    const unsigned char *p = ava->value.data;
    size_t n = ava->value.size;
    switch (ava->value_tag) {
    case 12: /* UTF8String; bytes that are not UTF-8 as Latin-1 */
        for (size_t i = 0; i < n;) {
            unsigned long cp;
            size_t l = utf8_seq(p + i, n - i, &cp);
            if (l) {
                put(j, p + i, l);
                i += l;
            } else {
                put_utf8(j, p[i++]);
            }
        }
        return;
    case 30: /* BMPString */
    case 28: /* UniversalString */ {
        unsigned width = ava->value_tag == 30 ? 2 : 4;
        if (!ucs_ok(p, n, width))
            break;
        for (size_t i = 0; i < n; i += width) {
            unsigned long cp = 0;
            for (unsigned k = 0; k < width; k++)
                cp = cp << 8 | p[i + k];
            put_utf8(j, cp);
        }
        return;
    }
    default: /* Numeric, Printable, Teletex, IA5, Visible, UTCTime, GeneralizedTime */
        break;
    }
    put_latin1(j, p, n);
}

/* Every attribute of a name, in DER order (RDNs, then the values inside a
 * multi-valued RDN). */
typedef struct dn_list {
    gnutls_x509_ava_st *ava;
    size_t n;
} dn_list;

static int dn_collect(gnutls_x509_dn_t dn, dn_list *l)
{
    size_t cap = 0;
    l->ava = NULL;
    l->n = 0;
    for (int irdn = 0;; irdn++) {
        int iava = 0;
        for (;; iava++) {
            gnutls_x509_ava_st ava;
            if (gnutls_x509_dn_get_rdn_ava(dn, irdn, iava, &ava) < 0)
                break;
            if (l->n == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                gnutls_x509_ava_st *a = realloc(l->ava, ncap * sizeof *a);
                if (!a) {
                    free(l->ava);
                    l->ava = NULL;
                    return -1;
                }
                l->ava = a;
                cap = ncap;
            }
            l->ava[l->n++] = ava;
        }
        if (iava == 0)
            break;
    }
    return 0;
}

/* One value as a JSON string. */
static void dn_value_json(jw *j, const gnutls_x509_ava_st *ava)
{
    tp_buf tmp = {0};
    jw t = {&tmp, 0, 1};
    dn_value(&t, ava);
    if (t.oom)
        j->oom = 1;
    else
        put_json_string(j, bytes_of(&tmp), tp_buf_len(&tmp));
    tp_buf_free(&tmp);
}

/* Node's object for a name: keys in order of first appearance, a key seen
 * more than once holding the array of its values. */
typedef struct dn_keyed {
    const char *key;
    size_t len;
    int done;
} dn_keyed;

static void put_dn(jw *j, const char *name, gnutls_x509_dn_t dn)
{
    dn_list l = {NULL, 0};
    if (dn && dn_collect(dn, &l) < 0) {
        j->oom = 1;
        return;
    }
    dn_keyed *k = l.n ? calloc(l.n, sizeof *k) : NULL;
    if (l.n && !k) {
        j->oom = 1;
        free(l.ava);
        return;
    }
    for (size_t i = 0; i < l.n; i++)
        dn_key(&l.ava[i], &k[i].key, &k[i].len);
    member(j, name);
    putc_(j, '{');
    for (size_t i = 0; i < l.n; i++) {
        if (k[i].done)
            continue;
        size_t count = 0;
        for (size_t m = i; m < l.n; m++)
            count += k[m].len == k[i].len && memcmp(k[m].key, k[i].key, k[i].len) == 0;
        if (i)
            putc_(j, ',');
        put_json_string(j, k[i].key, k[i].len);
        putc_(j, ':');
        if (count > 1)
            putc_(j, '[');
        for (size_t m = i, n = 0; m < l.n && n < count; m++) {
            if (k[m].len != k[i].len || memcmp(k[m].key, k[i].key, k[i].len) != 0)
                continue;
            if (n++)
                putc_(j, ',');
            dn_value_json(j, &l.ava[m]);
            k[m].done = 1;
        }
        if (count > 1)
            putc_(j, ']');
    }
    putc_(j, '}');
    free(k);
    free(l.ava);
}

/* The first CN of a name as UTF-8; 0, or -1 when there is none. */
static int dn_first_cn(jw *j, gnutls_x509_dn_t dn)
{
    dn_list l = {NULL, 0};
    if (dn_collect(dn, &l) < 0) {
        j->oom = 1;
        return 0;
    }
    int found = -1;
    for (size_t i = 0; i < l.n && found < 0; i++) {
        if (oid_is(&l.ava[i].oid, GNUTLS_OID_X520_COMMON_NAME)) {
            dn_value(j, &l.ava[i]);
            found = 0;
        }
    }
    free(l.ava);
    return found;
}

/* ---- the DER: serial number and validity ------------------------------- */

typedef struct der_tlv {
    unsigned tag;
    const unsigned char *v;
    size_t n;
} der_tlv;

/* Read one TLV (single-byte tag, definite length) at *p; advance past it. */
static int der_next(const unsigned char **p, const unsigned char *end, der_tlv *t)
{
    const unsigned char *q = *p;
    if (end - q < 2)
        return -1;
    t->tag = *q++;
    if ((t->tag & 0x1f) == 0x1f)
        return -1;
    size_t len = *q++;
    if (len & 0x80) {
        unsigned k = len & 0x7f;
        if (k == 0 || k > 4 || (size_t)(end - q) < k)
            return -1;
        for (len = 0; k; k--)
            len = len << 8 | *q++;
    }
    if ((size_t)(end - q) < len)
        return -1;
    t->v = q;
    t->n = len;
    *p = q + len;
    return 0;
}

/* The serial number and the two times of a certificate's DER. */
static int tbs_fields(const gnutls_datum_t *der, der_tlv *serial, der_tlv *from, der_tlv *to)
{
    const unsigned char *p = der->data, *end = p + der->size;
    der_tlv t;
    if (der_next(&p, end, &t) || t.tag != 0x30) /* Certificate */
        return -1;
    p = t.v, end = t.v + t.n;
    if (der_next(&p, end, &t) || t.tag != 0x30) /* TBSCertificate */
        return -1;
    p = t.v, end = t.v + t.n;
    if (der_next(&p, end, &t) || (t.tag == 0xa0 && der_next(&p, end, &t)) || t.tag != 0x02)
        return -1; /* [0] version, serialNumber */
    *serial = t;
    for (int i = 0; i < 3; i++) /* signature, issuer, validity */
        if (der_next(&p, end, &t) || t.tag != 0x30)
            return -1;
    p = t.v, end = t.v + t.n;
    return der_next(&p, end, from) || der_next(&p, end, to) ? -1 : 0;
}

static int two_digits(const unsigned char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* OpenSSL's ASN1_TIME_print(): "Jan  1 00:00:00 2030 GMT", fractional
 * seconds of a GeneralizedTime kept as written. Only the 'Z' forms that DER
 * allows are read; anything else prints as OpenSSL's "Bad time value". */
static void put_time(jw *j, const der_tlv *t)
{
    static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const unsigned char *s = t->v;
    size_t n = t->n, i;
    int year, f[5] = {0, 0, 0, 0, 0}; /* month, day, hour, minute, second */
    if (t->tag == 0x17 && n >= 11) {  /* UTCTime */
        year = two_digits(s);
        if (year >= 0)
            year += year < 50 ? 2000 : 1900;
        i = 2;
    } else if (t->tag == 0x18 && n >= 13) { /* GeneralizedTime */
        int hi = two_digits(s), lo = two_digits(s + 2);
        year = hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
        i = 4;
    } else {
        goto bad;
    }
    if (year < 0)
        goto bad;
    for (int k = 0; k < 5; k++) {
        if (k == 4 && (i + 2 > n || s[i] < '0' || s[i] > '9'))
            break; /* seconds may be left out */
        if (i + 2 > n || (f[k] = two_digits(s + i)) < 0)
            goto bad;
        i += 2;
    }
    const unsigned char *frac = s + i;
    size_t flen = 0;
    if (t->tag == 0x18 && i == 14 && i < n && s[i] == '.') {
        for (flen = 1; i + flen < n && s[i + flen] >= '0' && s[i + flen] <= '9'; flen++)
            ;
        if (flen == 1)
            goto bad;
        i += flen;
    }
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (i + 1 != n || s[i] != 'Z' || f[0] < 1 || f[0] > 12 || f[1] < 1 ||
        f[1] > mdays[f[0] - 1] - (f[0] == 2 && !leap) || f[2] > 23 || f[3] > 59 || f[4] > 59)
        goto bad;
    char out[64];
    snprintf(out, sizeof out, "%s %2d %02d:%02d:%02d%.*s %d GMT", mon[f[0] - 1], f[1], f[2], f[3],
             f[4], (int)flen, (const char *)frac, year);
    puts_(j, out);
    return;
bad:
    puts_(j, "Bad time value");
}

/* OpenSSL's BN_bn2hex() of the serial: uppercase, whole bytes without the
 * leading zero ones, "0" for zero, '-' and the magnitude when negative. */
static void put_serial(jw *j, const der_tlv *t)
{
    if (t->n == 0) {
        puts_(j, "0");
        return;
    }
    unsigned char *m = malloc(t->n);
    if (!m) {
        j->oom = 1;
        return;
    }
    memcpy(m, t->v, t->n);
    if (m[0] & 0x80) { /* two's complement: negate */
        putc_(j, '-');
        unsigned carry = 1;
        for (size_t i = t->n; i-- > 0;) {
            unsigned v = (unsigned)(unsigned char)~m[i] + carry;
            m[i] = (unsigned char)v;
            carry = v >> 8;
        }
    }
    size_t z = 0;
    while (z < t->n && m[z] == 0)
        z++;
    if (z == t->n)
        puts_(j, "0");
    else
        put_hex(j, m + z, t->n - z, NULL);
    free(m);
}

static int put_fingerprint(jw *j, const gnutls_datum_t *der, gnutls_digest_algorithm_t dig)
{
    unsigned char md[64];
    size_t n = sizeof md;
    if (gnutls_fingerprint(dig, der, md, &n) < 0)
        return TLSPLUG_E_INTERNAL;
    put_hex(j, md, n, ":");
    return TLSPLUG_OK;
}

/* ---- extensions --------------------------------------------------------- */

/* The DER of the first extension `oid`; 0, or -1 when absent. */
static int ext_get(gnutls_x509_crt_t crt, const char *oid, gnutls_datum_t *der)
{
    der->data = NULL;
    der->size = 0;
    return gnutls_x509_crt_get_extension_by_oid2(crt, oid, 0, der, NULL) < 0 ? -1 : 0;
}

/* OpenSSL's long names for access methods (i2t_ASN1_OBJECT). */
static const struct {
    const char *oid, *ln;
} ad_names[] = {
    {"1.3.6.1.5.5.7.48.1", "OCSP"},           {"1.3.6.1.5.5.7.48.2", "CA Issuers"},
    {"1.3.6.1.5.5.7.48.3", "AD Time Stamping"}, {"1.3.6.1.5.5.7.48.4", "ad dvcs"},
    {"1.3.6.1.5.5.7.48.5", "CA Repository"},  {"1.3.6.1.5.5.7.48.10", "RPKI Manifest"},
    {"1.3.6.1.5.5.7.48.11", "Signed Object"}, {"1.3.6.1.5.5.7.48.13", "RPKI Notify"},
};

/* The key and value Node's translatePeerCertificate() makes of one access
 * description: "<method> - <name type>" and the name. Node prints the name
 * (quoted and escaped when unsafe) and parses it back, which leaves IA5
 * names as their bytes taken as Latin-1. */
static void access_entry(jw *key, jw *val, const gnutls_datum_t *oid, unsigned type,
                         const gnutls_datum_t *name)
{
    const char *method = NULL;
    for (size_t i = 0; i < sizeof ad_names / sizeof ad_names[0] && !method; i++)
        if (oid_is(oid, ad_names[i].oid))
            method = ad_names[i].ln;
    if (method)
        puts_(key, method);
    else
        put(key, oid->data, oid_len(oid));
    puts_(key, " - ");
    switch (type) {
    case GNUTLS_SAN_URI: puts_(key, "URI"); put_latin1(val, name->data, name->size); break;
    case GNUTLS_SAN_DNSNAME: puts_(key, "DNS"); put_latin1(val, name->data, name->size); break;
    case GNUTLS_SAN_RFC822NAME: puts_(key, "email"); put_latin1(val, name->data, name->size); break;
    case GNUTLS_SAN_REGISTERED_ID:
        puts_(key, "Registered ID");
        put(val, name->data, oid_len(name));
        break;
    case GNUTLS_SAN_DN: puts_(key, "DirName"); put(val, name->data, name->size); break;
    case GNUTLS_SAN_IPADDRESS: {
        char s[48];
        const unsigned char *b = name->data;
        puts_(key, "IP Address");
        if (name->size == 4) {
            snprintf(s, sizeof s, "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
            puts_(val, s);
        } else if (name->size == 16) {
            for (int k = 0; k < 8; k++) {
                snprintf(s, sizeof s, k ? ":%X" : "%X", (unsigned)(b[2 * k] << 8 | b[2 * k + 1]));
                puts_(val, s);
            }
        } else {
            snprintf(s, sizeof s, "<invalid length=%u>", name->size);
            puts_(val, s);
        }
        break;
    }
    default: puts_(key, "othername"); puts_(val, "<unsupported>"); break;
    }
}

/* infoAccess: {"OCSP - URI": ["http://..."], ...}, keys in order of first
 * appearance; null when the extension cannot be parsed (Node's too). */
typedef struct access_kv {
    tp_buf key, val;
} access_kv;

static int same_buf(const tp_buf *a, const tp_buf *b)
{
    return tp_buf_len(a) == tp_buf_len(b) && memcmp(bytes_of(a), bytes_of(b), tp_buf_len(a)) == 0;
}

static void put_access_object(jw *j, gnutls_x509_aia_t aia)
{
    access_kv *e = NULL;
    unsigned n = 0;
    for (;; n++) {
        gnutls_datum_t oid, name;
        unsigned type;
        if (gnutls_x509_aia_get(aia, n, &oid, &type, &name) < 0)
            break;
        access_kv *ne = realloc(e, (n + 1) * sizeof *e);
        if (!ne) {
            j->oom = 1;
            break;
        }
        e = ne;
        memset(&e[n], 0, sizeof e[n]);
        jw jk = {&e[n].key, 0, 1}, jv = {&e[n].val, 0, 1};
        access_entry(&jk, &jv, &oid, type, &name);
        j->oom |= jk.oom | jv.oom;
    }
    unsigned char *done = n ? calloc(n, 1) : NULL;
    if (n && !done)
        j->oom = 1;
    if (!j->oom) {
        putc_(j, '{');
        for (unsigned i = 0; i < n; i++) {
            if (done[i])
                continue;
            if (i)
                putc_(j, ',');
            put_json_string(j, bytes_of(&e[i].key), tp_buf_len(&e[i].key));
            puts_(j, ":[");
            for (unsigned k = i; k < n; k++) {
                if (!same_buf(&e[k].key, &e[i].key))
                    continue;
                if (k != i)
                    putc_(j, ',');
                put_json_string(j, bytes_of(&e[k].val), tp_buf_len(&e[k].val));
                done[k] = 1;
            }
            putc_(j, ']');
        }
        putc_(j, '}');
    }
    for (unsigned i = 0; i < n; i++) {
        tp_buf_free(&e[i].key);
        tp_buf_free(&e[i].val);
    }
    free(e);
    free(done);
}

static void put_info_access(jw *j, gnutls_x509_crt_t crt)
{
    gnutls_datum_t der;
    if (ext_get(crt, GNUTLS_OID_AIA, &der) < 0)
        return;
    gnutls_x509_aia_t aia;
    if (gnutls_x509_aia_init(&aia) < 0) {
        gnutls_free(der.data);
        j->oom = 1;
        return;
    }
    member(j, "infoAccess");
    if (gnutls_x509_ext_import_aia(&der, aia, 0) < 0)
        puts_(j, "null");
    else
        put_access_object(j, aia);
    gnutls_x509_aia_deinit(aia);
    gnutls_free(der.data);
}

/* subjectaltname: Node's string (verify_altnames.c builds it for the
 * host-name check too); null when the extension cannot be parsed. */
static void put_san(jw *j, gnutls_x509_crt_t crt)
{
    gnutls_datum_t der;
    if (ext_get(crt, GNUTLS_X509EXT_OID_SAN, &der) < 0)
        return;
    gnutls_free(der.data);
    tp_names nm;
    if (tp_names_get(crt, &nm) < 0) {
        j->oom = 1;
        return;
    }
    member(j, "subjectaltname");
    if (nm.has_san && tp_buf_len(&nm.text) > 0)
        put_json_string(j, bytes_of(&nm.text), tp_buf_len(&nm.text) - 1); /* without the NUL */
    else
        puts_(j, "null");
    tp_names_free(&nm);
}

/* ext_key_usage: the purposes' OIDs, when the extension is there and parses. */
static void put_ext_key_usage(jw *j, gnutls_x509_crt_t crt)
{
    gnutls_datum_t der;
    if (ext_get(crt, GNUTLS_X509EXT_OID_EXTENDED_KEY_USAGE, &der) < 0)
        return;
    gnutls_x509_key_purposes_t kp;
    if (gnutls_x509_key_purpose_init(&kp) < 0) {
        j->oom = 1;
    } else {
        if (gnutls_x509_ext_import_key_purposes(&der, kp, 0) == 0) {
            member(j, "ext_key_usage");
            putc_(j, '[');
            for (unsigned i = 0;; i++) {
                gnutls_datum_t oid;
                if (gnutls_x509_key_purpose_get(kp, i, &oid) < 0)
                    break;
                if (i)
                    putc_(j, ',');
                put_json_string(j, oid.data, oid_len(&oid));
            }
            putc_(j, ']');
        }
        gnutls_x509_key_purpose_deinit(kp);
    }
    gnutls_free(der.data);
}

/* OpenSSL's X509_check_ca() == 1: basicConstraints says CA, and keyUsage,
 * when present, allows certificate signing. */
static int is_ca(gnutls_x509_crt_t crt)
{
    unsigned ku = 0, ca = 0;
    if (gnutls_x509_crt_get_key_usage(crt, &ku, NULL) >= 0 && !(ku & GNUTLS_KEY_KEY_CERT_SIGN))
        return 0;
    if (gnutls_x509_crt_get_basic_constraints(crt, NULL, &ca, NULL) < 0)
        return 0;
    return ca != 0;
}

/* ---- the public key ----------------------------------------------------- */

static void strip_zeros(gnutls_datum_t *d, size_t *z)
{
    for (*z = 0; *z < d->size && d->data[*z] == 0; (*z)++)
        ;
}

/* RSA: modulus (BN_print: uppercase hex without leading zero digits), bits,
 * exponent (BN_get_word as "0x%llx"), pubkey (i2d_RSA_PUBKEY: the SPKI). */
static void put_rsa(jw *j, gnutls_x509_crt_t crt)
{
    gnutls_datum_t m = {NULL, 0}, e = {NULL, 0};
    if (gnutls_x509_crt_get_pk_rsa_raw(crt, &m, &e) < 0)
        return;
    size_t mz, ez;
    strip_zeros(&m, &mz);
    strip_zeros(&e, &ez);

    member(j, "modulus");
    putc_(j, '"');
    if (mz == m.size) {
        putc_(j, '0');
    } else {
        static const char hex[] = "0123456789ABCDEF";
        if (m.data[mz] >> 4)
            putc_(j, hex[m.data[mz] >> 4]);
        putc_(j, hex[m.data[mz] & 15]);
        put_hex(j, m.data + mz + 1, m.size - mz - 1, NULL);
    }
    putc_(j, '"');

    unsigned long bits = 0;
    if (mz < m.size) {
        bits = (unsigned long)(m.size - mz - 1) * 8;
        for (unsigned top = m.data[mz]; top; top >>= 1)
            bits++;
    }
    char num[48];
    member(j, "bits");
    snprintf(num, sizeof num, "%lu", bits);
    puts_(j, num);

    uint64_t ev = UINT64_MAX; /* BN_get_word's answer when it does not fit */
    if (e.size - ez <= 8)
        for (ev = 0; ez < e.size; ez++)
            ev = ev << 8 | e.data[ez];
    member(j, "exponent");
    snprintf(num, sizeof num, "\"0x%" PRIx64 "\"", ev);
    puts_(j, num);

    gnutls_pubkey_t pub;
    gnutls_datum_t spki = {NULL, 0};
    if (gnutls_pubkey_init(&pub) < 0) {
        j->oom = 1;
    } else {
        if (gnutls_pubkey_import_x509(pub, crt, 0) == 0 &&
            gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) == 0)
            put_bytes_member(j, "pubkey", spki.data, spki.size);
        gnutls_free(spki.data);
        gnutls_pubkey_deinit(pub);
    }
    gnutls_free(m.data);
    gnutls_free(e.data);
}

/* The curves GnuTLS reads in certificates, named as OpenSSL does
 * (OBJ_nid2sn, EC_curve_nid2nist) with the order's size in bits. */
static const struct {
    gnutls_ecc_curve_t curve;
    const char *asn1, *nist;
    unsigned bits;
} curves[] = {
    {GNUTLS_ECC_CURVE_SECP192R1, "prime192v1", "P-192", 192},
    {GNUTLS_ECC_CURVE_SECP224R1, "secp224r1", "P-224", 224},
    {GNUTLS_ECC_CURVE_SECP256R1, "prime256v1", "P-256", 256},
    {GNUTLS_ECC_CURVE_SECP384R1, "secp384r1", "P-384", 384},
    {GNUTLS_ECC_CURVE_SECP521R1, "secp521r1", "P-521", 521},
};

/* A coordinate left-padded with zeros to the field size. */
static void put_coord(jw *j, const gnutls_datum_t *c, size_t size)
{
    size_t z;
    gnutls_datum_t d = *c;
    strip_zeros(&d, &z);
    size_t n = d.size - z;
    for (size_t i = n; i < size; i++)
        putc_(j, 0);
    if (n)
        put(j, d.data + z, n < size ? n : size);
}

/* EC: bits, pubkey (the point, uncompressed), asn1Curve, nistCurve. */
static void put_ec(jw *j, gnutls_x509_crt_t crt)
{
    gnutls_ecc_curve_t curve;
    gnutls_datum_t x = {NULL, 0}, y = {NULL, 0};
    if (gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y) < 0)
        return;
    for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++) {
        if (curves[i].curve != curve)
            continue;
        size_t size = gnutls_ecc_curve_get_size(curve);
        tp_buf pt = {0};
        jw p = {&pt, 0, 1};
        putc_(&p, 4);
        put_coord(&p, &x, size);
        put_coord(&p, &y, size);
        char num[24];
        member(j, "bits");
        snprintf(num, sizeof num, "%u", curves[i].bits);
        puts_(j, num);
        if (p.oom)
            j->oom = 1;
        else
            put_bytes_member(j, "pubkey", bytes_of(&pt), tp_buf_len(&pt));
        tp_buf_free(&pt);
        member(j, "asn1Curve");
        put_json_string(j, curves[i].asn1, strlen(curves[i].asn1));
        member(j, "nistCurve");
        put_json_string(j, curves[i].nist, strlen(curves[i].nist));
        break;
    }
    gnutls_free(x.data);
    gnutls_free(y.data);
}

/* ---- the object ---------------------------------------------------------- */

static void put_string_member(jw *j, const char *key, void (*fn)(jw *, const der_tlv *),
                              const der_tlv *t)
{
    member(j, key);
    putc_(j, '"');
    fn(j, t); /* plain ASCII */
    putc_(j, '"');
}

static int put_fingerprint_member(jw *j, const char *key, const gnutls_datum_t *der,
                                  gnutls_digest_algorithm_t dig)
{
    member(j, key);
    putc_(j, '"');
    int rc = put_fingerprint(j, der, dig);
    putc_(j, '"');
    return rc;
}

int tp_certobj_json(gnutls_x509_crt_t crt, tp_buf *out, int open)
{
    gnutls_datum_t der = {NULL, 0};
    der_tlv serial, from, to;
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
        return TLSPLUG_E_INTERNAL;
    if (tbs_fields(&der, &serial, &from, &to) < 0) {
        gnutls_free(der.data);
        return TLSPLUG_E_INTERNAL;
    }
    jw j = {out, 0, 1};
    gnutls_x509_dn_t dn;
    putc_(&j, '{');
    put_dn(&j, "subject", gnutls_x509_crt_get_subject(crt, &dn) < 0 ? NULL : dn);
    put_dn(&j, "issuer", gnutls_x509_crt_get_issuer(crt, &dn) < 0 ? NULL : dn);
    put_san(&j, crt);
    put_info_access(&j, crt);
    member(&j, "ca");
    puts_(&j, is_ca(crt) ? "true" : "false");
    int pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
    if (pk == GNUTLS_PK_RSA)
        put_rsa(&j, crt);
    else if (pk == GNUTLS_PK_ECDSA)
        put_ec(&j, crt);
    put_string_member(&j, "valid_from", put_time, &from);
    put_string_member(&j, "valid_to", put_time, &to);
    int rc = put_fingerprint_member(&j, "fingerprint", &der, GNUTLS_DIG_SHA1);
    if (!rc)
        rc = put_fingerprint_member(&j, "fingerprint256", &der, GNUTLS_DIG_SHA256);
    if (!rc)
        rc = put_fingerprint_member(&j, "fingerprint512", &der, GNUTLS_DIG_SHA512);
    put_ext_key_usage(&j, crt);
    put_string_member(&j, "serialNumber", put_serial, &serial);
    put_bytes_member(&j, "raw", der.data, der.size);
    if (!open)
        putc_(&j, '}');
    gnutls_free(der.data);
    return j.oom ? TLSPLUG_E_NOMEM : rc;
}

/* ---- single fields --------------------------------------------------------- */

static int field_cn(jw *j, gnutls_x509_crt_t crt, int subject)
{
    gnutls_x509_dn_t dn;
    int rc = subject ? gnutls_x509_crt_get_subject(crt, &dn) : gnutls_x509_crt_get_issuer(crt, &dn);
    if (rc < 0 || dn_first_cn(j, dn) < 0)
        return TLSPLUG_E_UNAVAILABLE;
    return TLSPLUG_OK;
}

static int field_san(jw *j, gnutls_x509_crt_t crt)
{
    tp_names nm;
    if (tp_names_get(crt, &nm) < 0)
        return TLSPLUG_E_NOMEM;
    int rc = TLSPLUG_E_UNAVAILABLE;
    if (nm.has_san && tp_buf_len(&nm.text) > 0) {
        put(j, bytes_of(&nm.text), tp_buf_len(&nm.text) - 1);
        rc = TLSPLUG_OK;
    }
    tp_names_free(&nm);
    return rc;
}

static int field_der(jw *j, gnutls_x509_crt_t crt, int field)
{
    gnutls_datum_t der = {NULL, 0};
    der_tlv serial, from, to;
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
        return TLSPLUG_E_INTERNAL;
    int rc = TLSPLUG_OK;
    if (tbs_fields(&der, &serial, &from, &to) < 0)
        rc = TLSPLUG_E_INTERNAL;
    else if (field == TLSPLUG_CERT_SERIAL_NUMBER)
        put_serial(j, &serial);
    else if (field == TLSPLUG_CERT_VALID_FROM)
        put_time(j, &from);
    else if (field == TLSPLUG_CERT_VALID_TO)
        put_time(j, &to);
    else if (field == TLSPLUG_CERT_FINGERPRINT)
        rc = put_fingerprint(j, &der, GNUTLS_DIG_SHA1);
    else if (field == TLSPLUG_CERT_FINGERPRINT256)
        rc = put_fingerprint(j, &der, GNUTLS_DIG_SHA256);
    else if (field == TLSPLUG_CERT_FINGERPRINT512)
        rc = put_fingerprint(j, &der, GNUTLS_DIG_SHA512);
    else
        put(j, der.data, der.size); /* TLSPLUG_CERT_RAW */
    gnutls_free(der.data);
    return rc;
}

int tp_certobj_field(gnutls_x509_crt_t crt, int field, tp_buf *out)
{
    jw j = {out, 0, 1};
    int rc;
    switch (field) {
    case TLSPLUG_CERT_SUBJECT_CN: rc = field_cn(&j, crt, 1); break;
    case TLSPLUG_CERT_ISSUER_CN: rc = field_cn(&j, crt, 0); break;
    case TLSPLUG_CERT_SUBJECT_ALT_NAME: rc = field_san(&j, crt); break;
    case TLSPLUG_CERT_SERIAL_NUMBER:
    case TLSPLUG_CERT_VALID_FROM:
    case TLSPLUG_CERT_VALID_TO:
    case TLSPLUG_CERT_FINGERPRINT:
    case TLSPLUG_CERT_FINGERPRINT256:
    case TLSPLUG_CERT_FINGERPRINT512:
    case TLSPLUG_CERT_RAW: rc = field_der(&j, crt, field); break;
    default: return TLSPLUG_E_INVAL;
    }
    return j.oom ? TLSPLUG_E_NOMEM : rc;
}
