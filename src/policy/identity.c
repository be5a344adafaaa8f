/* Node 20's tls.checkServerIdentity(), ported line by line (lib/tls.js:
 * checkServerIdentity, check, splitHost, unfqdn) together with net.isIP()
 * (lib/internal/net.js) and cares_wrap's canonicalizeIP(). GnuTLS's own
 * hostname check differs (partial wildcards, trailing dots), so it is not
 * used. tests/unit/identity_vs_node.py holds this file to Node's answers. */
#include "identity.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "verify_altnames.h"

/* ---- net.isIP() ------------------------------------------------------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* Node's IPv4Reg: four decimal octets 0-255 without leading zeros. */
static int is_v4(const char *s, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t st = i;
        unsigned v = 0;
        while (i < n && is_digit(s[i]) && i - st < 3)
            v = v * 10 + (unsigned)(s[i++] - '0');
        size_t len = i - st;
        if (len == 0 || (len > 1 && s[st] == '0') || v > 255)
            return 0;
        if (part < 3) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    return i == n;
}

/* Node's IPv6Reg: groups of 1-4 hex digits, at most one "::" standing for
 * at least one group, an optional dotted-quad tail counting as two groups,
 * eight groups in all; then an optional zone "%[0-9a-zA-Z-.:]+". */
static int is_v6(const char *s, size_t n)
{
    const char *pct = memchr(s, '%', n);
    if (pct) {
        size_t zlen = n - (size_t)(pct - s) - 1;
        if (zlen == 0)
            return 0;
        for (size_t k = 1; k <= zlen; k++) {
            char c = pct[k];
            if (!is_hex(c) && !((c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z')) && c != '-' && c != '.' &&
                c != ':')
                return 0;
        }
        n = (size_t)(pct - s);
    }
    int groups = 0, dbl = 0;
    size_t i = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        dbl = 1;
        i = 2;
        if (i == n)
            return 1;
    }
    for (;;) {
        size_t st = i;
        while (i < n && is_hex(s[i]) && i - st < 4)
            i++;
        if (i < n && s[i] == '.') {
            if (!is_v4(s + st, n - st))
                return 0;
            groups += 2;
            break;
        }
        if (i == st)
            return 0;
        groups++;
        if (i == n)
            break;
        if (s[i] != ':')
            return 0;
        if (++i == n)
            return 0; /* a single trailing ':' */
        if (s[i] == ':') {
            if (dbl)
                return 0;
            dbl = 1;
            if (++i == n)
                break;
        }
    }
    return dbl ? groups <= 7 : groups == 8;
}

/* net.isIP(): 4, 6 or 0. */
static int ip_family(const char *s)
{
    size_t n = strlen(s);
    return is_v4(s, n) ? 4 : is_v6(s, n) ? 6 : 0;
}

int tp_is_ip(const char *s) { return s && ip_family(s) != 0; }

/* canonicalizeIP() keeps the address bytes (a zone is dropped); 0 bytes
 * when the text is not an address. */
static size_t ip_bytes(const char *s, int family, unsigned char out[16])
{
    if (family == 4)
        return inet_pton(AF_INET, s, out) == 1 ? 4 : 0;
    char tmp[64];
    size_t n = strcspn(s, "%");
    if (n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    return inet_pton(AF_INET6, tmp, out) == 1 ? 16 : 0;
}

/* ---- check() ----------------------------------------------------------- */

typedef struct span {
    const char *p;
    size_t n;
} span;

/* splitHost(): drop one trailing dot, lowercase A-Z only, split on dots.
 * `low` receives the lowercased text the spans point into (caller frees);
 * answers the number of parts, or -1 when out of memory. */
static int split_host(const char *s, size_t n, char **low, span **parts)
{
    if (n && s[n - 1] == '.')
        n--;
    *low = malloc(n + 1);
    size_t count = 1;
    for (size_t i = 0; i < n; i++)
        count += s[i] == '.';
    *parts = malloc(count * sizeof **parts);
    if (!*low || !*parts) {
        free(*low);
        free(*parts);
        *low = NULL;
        *parts = NULL;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        (*low)[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    (*low)[n] = 0;
    size_t k = 0, st = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || (*low)[i] == '.') {
            (*parts)[k].p = *low + st;
            (*parts)[k].n = i - st;
            k++;
            st = i + 1;
        }
    }
    return (int)count;
}

static int span_eq(span a, span b) { return a.n == b.n && memcmp(a.p, b.p, a.n) == 0; }

static int contains(span s, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= s.n; i++)
        if (memcmp(s.p + i, needle, m) == 0)
            return 1;
    return 0;
}

/* check(hostParts, pattern, wildcards = true); -1 when out of memory. */
static int check(const span *host, int nhost, const unsigned char *pattern, size_t plen)
{
    if (plen == 0)
        return 0; /* empty patterns never match */
    char *low;
    span *pat;
    int npat = split_host((const char *)pattern, plen, &low, &pat);
    if (npat < 0)
        return -1;
    int ok = npat == nhost;
    /* Empty labels ("bad..example.com"), and anything outside
     * U+0021..U+007F (IDNA U-labels, blanks, controls) never match. */
    for (int i = 0; ok && i < npat; i++) {
        ok = pat[i].n > 0;
        for (size_t j = 0; ok && j < pat[i].n; j++)
            ok = (unsigned char)pat[i].p[j] >= 0x21 && (unsigned char)pat[i].p[j] <= 0x7f;
    }
    /* Every label but the left-most must be equal. */
    for (int i = nhost - 1; ok && i > 0; i--)
        ok = span_eq(host[i], pat[i]);
    if (ok) {
        span hs = host[0], ps = pat[0];
        const char *star = memchr(ps.p, '*', ps.n);
        if (!star || contains(ps, "xn--")) {
            /* No wildcard, or an A-label, which RFC 6125 says to match verbatim. */
            ok = span_eq(hs, ps);
        } else if (memchr(star + 1, '*', ps.n - (size_t)(star + 1 - ps.p)) || npat <= 2) {
            ok = 0; /* more than one '*', or a *.tld wildcard */
        } else {
            size_t pre = (size_t)(star - ps.p), suf = ps.n - pre - 1;
            ok = pre + suf <= hs.n && memcmp(hs.p, ps.p, pre) == 0 &&
                 memcmp(hs.p + hs.n - suf, star + 1, suf) == 0;
        }
    }
    free(low);
    free(pat);
    return ok;
}

/* ---- checkServerIdentity() --------------------------------------------- */

static int set_reason(char *reason, size_t cap, const tp_buf *b)
{
    if (reason && cap) {
        size_t n = tp_buf_len(b) < cap - 1 ? tp_buf_len(b) : cap - 1;
        if (n)
            memcpy(reason, tp_buf_peek(b), n);
        reason[n] = 0;
    }
    return -1;
}

static void add(tp_buf *b, int *oom, const void *p, size_t n)
{
    if (tp_buf_append(b, p, n) < 0)
        *oom = 1;
}

static void adds(tp_buf *b, int *oom, const char *s) { add(b, oom, s, strlen(s)); }

/* IP hosts: only IP SANs count, compared as addresses (canonicalizeIP). */
static int check_ip(const char *host, int family, const tp_names *nm, tp_buf *why, int *oom)
{
    unsigned char want[16];
    size_t wn = ip_bytes(host, family, want);
    for (unsigned i = 0; i < nm->nsan; i++) {
        const tp_name *e = &nm->san[i];
        if (e->type == GNUTLS_SAN_IPADDRESS && wn && e->len == wn && memcmp(e->data, want, wn) == 0)
            return 0;
    }
    if (!why)
        return -1; /* no reason wanted */
    adds(why, oom, "IP: ");
    adds(why, oom, host);
    adds(why, oom, " is not in the cert's list: ");
    int first = 1;
    for (unsigned i = 0; i < nm->nsan; i++) {
        const tp_name *e = &nm->san[i];
        if (e->type != GNUTLS_SAN_IPADDRESS)
            continue;
        char text[INET6_ADDRSTRLEN] = ""; /* an invalid length prints as "" (undefined) */
        if (e->len == 4 || e->len == 16)
            inet_ntop(e->len == 4 ? AF_INET : AF_INET6, e->data, text, sizeof text);
        if (!first)
            adds(why, oom, ", ");
        adds(why, oom, text);
        first = 0;
    }
    return -1;
}

/* DNS hosts: DNS SANs when there are any, else the subject CN(s). */
static int check_dns(const char *host, const tp_names *nm, tp_buf *why, int *oom)
{
    char *low;
    span *parts;
    int nparts = split_host(host, strlen(host), &low, &parts);
    if (nparts < 0) {
        *oom = 1;
        return -1;
    }
    int ndns = 0, valid = 0;
    for (unsigned i = 0; i < nm->nsan && !valid; i++) {
        if (nm->san[i].type != GNUTLS_SAN_DNSNAME)
            continue;
        ndns++;
        int r = check(parts, nparts, nm->san[i].data, nm->san[i].len);
        if (r < 0)
            *oom = 1;
        valid = r > 0;
    }
    for (unsigned i = 0; ndns == 0 && i < nm->ncn && !valid; i++) {
        int r = check(parts, nparts, nm->cn[i].data, nm->cn[i].len);
        if (r < 0)
            *oom = 1;
        valid = r > 0;
    }
    free(low);
    free(parts);
    if (valid)
        return 0;
    if (!why)
        return -1; /* no reason wanted */
    adds(why, oom, "Host: ");
    adds(why, oom, host);
    if (ndns) {
        adds(why, oom, ". is not in the cert's altnames: ");
        adds(why, oom, (const char *)tp_buf_peek(&nm->text));
    } else {
        /* `${cn}`: an array of CNs prints joined with ",". */
        adds(why, oom, ". is not cert's CN: ");
        for (unsigned i = 0; i < nm->ncn; i++) {
            if (i)
                adds(why, oom, ",");
            add(why, oom, nm->cn[i].data, nm->cn[i].len);
        }
    }
    return -1;
}

/* check() over the names in `nm`, with Node's reason in `why` on a mismatch
 * (`why` NULL: no reason wanted); 0 on a match. */
static int check_names(const char *host, const tp_names *nm, tp_buf *why, int *oom)
{
    int family = ip_family(host);
    int has_cn = nm->ncn > 1 || (nm->ncn == 1 && nm->cn[0].len > 0); /* subject?.CN is truthy */
    int has_dns = 0;
    for (unsigned i = 0; i < nm->nsan; i++)
        has_dns |= nm->san[i].type == GNUTLS_SAN_DNSNAME;

    if (family)
        return check_ip(host, family, nm, why, oom);
    if (has_dns || has_cn)
        return check_dns(host, nm, why, oom);
    if (why)
        adds(why, oom, "Cert does not contain a DNS name");
    return -1;
}

int tp_check_server_identity(const char *hostname, gnutls_x509_crt_t leaf, char *reason, size_t cap)
{
    tp_names nm;
    tp_buf why = {0};
    int oom = 0, rc;
    /* unfqdn(): one trailing dot goes, for the messages too. */
    size_t n = hostname ? strlen(hostname) : 0;
    char *host = malloc(n + 1);
    if (!host)
        return set_reason(reason, cap, &why);
    if (n)
        memcpy(host, hostname, n);
    if (n && host[n - 1] == '.')
        n--;
    host[n] = 0;

    /* A match, the usual answer, needs only the names it compares; Node's
     * reason for a mismatch quotes the whole subjectaltname, which only
     * tp_names_get() builds. */
    if (leaf && tp_names_get_matchable(leaf, &nm) == 0) {
        rc = check_names(host, &nm, NULL, &oom);
        tp_names_free(&nm);
        if (rc == 0 && !oom) {
            free(host);
            return 0;
        }
        oom = 0;
    }
    if (!leaf || tp_names_get(leaf, &nm) < 0) {
        adds(&why, &oom, leaf ? "out of memory" : "no certificate");
        rc = set_reason(reason, cap, &why);
        tp_buf_free(&why);
        free(host);
        return rc;
    }
    rc = check_names(host, &nm, &why, &oom);
    if (oom) {
        why.head = why.tail = 0;
        adds(&why, &oom, "out of memory");
        rc = -1;
    }
    if (rc < 0)
        set_reason(reason, cap, &why);
    free(host);
    tp_buf_free(&why);
    tp_names_free(&nm);
    return rc;
}
