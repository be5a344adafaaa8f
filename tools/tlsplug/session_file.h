/* session_file: `tlsplug client --sess-out FILE / --sess-in FILE`, saving a
 * session in one run and resuming it in the next (openssl s_client's
 * -sess_out / -sess_in).
 *
 * The library seals client session blobs with a key (so that a session
 * file cannot claim a verification verdict nobody made); by default one
 * made per process, which no later run could open. The command therefore
 * gives its context a key of the user's own: --sess-key FILE, else
 * $XDG_STATE_HOME/tlsplug/session-key (~/.local/state/...), 32 random
 * bytes made on first use, readable by the user alone. */
#ifndef TLSPLUG_TOOL_SESSION_FILE_H
#define TLSPLUG_TOOL_SESSION_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <tlsplug.h>

/* Give ctx the session key from `path` (NULL: the default file, made when
 * missing). 0, or -1 after printing why. */
int session_key_use(tlsplug_context *ctx, const char *path);

/* Resume the session saved in `path`. 0, or -1 after printing why (a file
 * that cannot be read or is no tlsplug session). A session sealed under
 * another key is not an error: the handshake is a full one. */
int session_in(tlsplug_socket *sock, const char *path);

/* Save a session blob (the `session` event's payload) to `path`, replacing
 * it whole (written beside it, then renamed), readable by the user alone.
 * 0, or -1 after printing why. */
int session_out(const char *path, const uint8_t *blob, size_t len);

#endif
