/* selfsigned: a throwaway certificate, so that `tlsplug server` runs with
 * no files at all. It is made with GnuTLS directly (the tlsplug ABI loads
 * certificates, it does not mint them) and lives in memory only. */
#ifndef TLSPLUG_TOOL_SELFSIGNED_H
#define TLSPLUG_TOOL_SELFSIGNED_H

#include <stddef.h>

/* A fresh ECDSA P-256 key and a self-signed certificate for localhost,
 * 127.0.0.1 and ::1, valid from an hour ago for a week. Both PEM strings
 * are malloc'd (free() them). 0, or -1 with the reason in err. */
int selfsigned_make(char **key_pem, char **cert_pem, char *err, size_t cap);

#endif
