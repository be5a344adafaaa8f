/* Authenticating the verification verdict a client session blob carries.
 *
 * Node (OpenSSL) keeps authorized/authorizationError in the session and
 * trusts it on resumption, whoever wrote the blob and whatever name or
 * trust the new connection has: a shared or tampered session cache is then
 * an authentication bypass. tlsplug seals each blob with HMAC-SHA256 under
 * a key made once per process (or one the host gives the context, to
 * resume across its own processes: tlsplug_context_set_session_key), and
 * records in it what the verdict was
 * computed against (the binding: the context's trust, the name checked and
 * who checked it). A blob that fails the MAC is not resumed at all; an
 * authentic blob whose binding differs from the new connection's resumes,
 * and its chain (authentic too) is verified again like a fresh one.
 */
#ifndef TLSPLUG_SESSION_MAC_H
#define TLSPLUG_SESSION_MAC_H

#include <stddef.h>
#include <stdint.h>

#define TP_SESSION_TAG_LEN 32     /* HMAC-SHA256 */
#define TP_SESSION_BINDING_LEN 32 /* SHA-256 */

struct tlsplug_context;
struct tlsplug_socket;

/* The tag of `len` bytes under the context's session key, or this
 * process's key when the host gave none; answers 0, or -1 when no key
 * could be made (then no blob can be sealed or opened). */
int tp_session_mac(const struct tlsplug_context *ctx, const uint8_t *data, size_t len,
                   uint8_t tag[TP_SESSION_TAG_LEN]);

/* 1 when `tag` is the context's tag of the bytes (compared in constant
 * time), else 0. */
int tp_session_mac_ok(const struct tlsplug_context *ctx, const uint8_t *data, size_t len,
                      const uint8_t tag[TP_SESSION_TAG_LEN]);

/* What a client socket's verdict is computed against: its context's trust
 * digest, who checks the host name (tlsplug or the host's
 * checkServerIdentity) and that name. Answers 0 or -1. */
int tp_session_binding(const struct tlsplug_socket *s, uint8_t out[TP_SESSION_BINDING_LEN]);

/* 1 when the socket resumes an authentic verdict made for its own binding,
 * which it may then use instead of verifying the chain again. */
int tp_session_verdict_applies(const struct tlsplug_socket *s);

#endif
