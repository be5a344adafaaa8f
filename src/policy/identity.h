/* Node's tls.checkServerIdentity(), ported (GnuTLS's own hostname check
 * differs from Node's on partial wildcards and trailing dots). */
#ifndef TLSPLUG_IDENTITY_H
#define TLSPLUG_IDENTITY_H

#include <gnutls/x509.h>
#include <stddef.h>

/* 1 when `s` is an IPv4 or IPv6 address as Node's net.isIP() accepts it. */
int tp_is_ip(const char *s);

/* Check `hostname` against the leaf certificate with Node's rules (DNS and
 * IP SANs, wildcards only in the left-most label, CN only when there is no
 * DNS SAN). Answers 0 on a match; otherwise -1 with Node's `reason` text in
 * `reason` (e.g. "Host: x. is not in the cert's altnames: DNS:a, DNS:b"). */
int tp_check_server_identity(const char *hostname, gnutls_x509_crt_t leaf, char *reason,
                             size_t cap);

#endif
