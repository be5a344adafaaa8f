/* http: just enough HTTP/1.1 for `tlsplug server --www/--serve-dir/--http`:
 * one request head parsed from a bounded buffer, a request target turned
 * into a file path that cannot leave the served directory, and a MIME type
 * by extension. */
#ifndef TLSPLUG_TOOL_HTTP_H
#define TLSPLUG_TOOL_HTTP_H

#include <stddef.h>

/* The largest request head accepted; beyond it the answer is 400. */
#define HTTP_MAX_HEAD 8192

struct http_req {
    char method[16];
    char target[2048];
    char version[16];
    int keep_alive; /* HTTP/1.1 without "Connection: close" */
};

/* One request head from buf[0..len): the bytes it used (through the blank
 * line), 0 when it is not complete yet, -1 when it is malformed or longer
 * than HTTP_MAX_HEAD. */
long http_parse(const char *buf, size_t len, struct http_req *r);

/* The file a GET of `target` names under `root` (a realpath), in out:
 * the path is percent-decoded, its query dropped; a ".." segment, a NUL or
 * a backslash answers 400, a path that resolves (through symlinks) outside
 * root or to no regular file 404; a directory serves its index.html.
 * 0 when out holds a regular file inside root. */
int http_resolve(const char *root, const char *target, char *out, size_t cap);

const char *http_mime(const char *path);

const char *http_reason(int status);

#endif
