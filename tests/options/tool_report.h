/* tool_report: tls_tool's output, one JSON object per line on stdout,
 * flushed at once so a test can wait for it while the connection runs. */
#ifndef TLSPLUG_OPTIONS_TOOL_REPORT_H
#define TLSPLUG_OPTIONS_TOOL_REPORT_H

#include <stddef.h>

#include "tlsplug.h"

/* {"event":"secure", ...}: what Node's TLSSocket getters say once the
 * handshake completed. `secure_event` is the tlsplug event that fired
 * ("secure" or "secureConnect"). */
void report_secure(tlsplug_socket *sock, int is_server, const char *secure_event);

/* {"event":"error", status, code, message, gnutls, alert, alertDirection}
 * from the detail recorded on `handle`. */
void report_error(const void *handle, const char *event);

/* {"event":"option-error","option":...,"value":...,...}: a setter refused. */
void report_option_error(const void *handle, const char *option, const char *value, int status);

/* {"event":"close","hadError":...,"bytesWritten":...,"bytesRead":...} */
void report_close(tlsplug_socket *sock, int had_error);

/* {"event":NAME,"bytesWritten":...,"bytesRead":...} */
void report_counters(tlsplug_socket *sock, const char *event);

/* {"event":NAME,"KEY":"text"} with the text escaped (bytes as given). */
void report_text(const char *event, const char *key, const char *text, size_t len);

#endif
