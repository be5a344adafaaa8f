/* report: what `tlsplug client` shows of a connection once it is secure:
 * the peer's chain (subject, issuer, SANs, validity, fingerprints, key,
 * optionally the PEM) and the negotiated parameters, as text (stderr) or as
 * one JSON object (stdout). Certificate fields come from the ABI
 * (tlsplug_socket_peer_cert_field / get_peer_certificate); only what the ABI
 * has no getter for (distinguished names, the key's algorithm, PEM
 * encoding, an OCSP response's content) is read with GnuTLS directly. */
#ifndef TLSPLUG_TOOL_REPORT_H
#define TLSPLUG_TOOL_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsplug.h"

struct report_opts {
    int json, brief, showcerts, ocsp_requested;
    int no_sni; /* --no-servername: the servername getter holds a stand-in */
    const uint8_t *ocsp; /* the stapled response (DER), NULL when none came */
    size_t ocsp_len;
};

/* Text: the status lines (always), then unless brief the parameters and the
 * chain, on `to`. */
void report_text(FILE *to, tlsplug_socket *sock, const struct report_opts *o);

/* JSON: one object, one line, on `to`. 0, or -1 when out of memory. */
int report_json(FILE *to, tlsplug_socket *sock, const struct report_opts *o);

/* The failure as JSON ({"error":{"code":..,"message":..,"kind":..}}). */
void report_json_error(FILE *to, const char *code, const char *message, const char *kind);

#endif
