/* The two SecureContexts every tlsplug benchmark system uses: TLS 1.3
 * only, TLS_AES_128_GCM_SHA256, X25519; the server's ECDSA P-256 (or
 * RSA-2048) chain, the client trusting ca.pem. The same settings as the
 * raw GnuTLS programs. */
#ifndef BENCH_CONTEXTS_H
#define BENCH_CONTEXTS_H

#include "tlsplug.h"

void bench_contexts(int rsa, tlsplug_context **client, tlsplug_context **server);

#endif
