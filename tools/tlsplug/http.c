/* http: request heads, safe paths, MIME types (see http.h). */
#include "http.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

long http_parse(const char *buf, size_t len, struct http_req *r)
{
    size_t end = 0;
    for (size_t i = 0; i + 3 < len && i + 4 <= HTTP_MAX_HEAD; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            end = i + 4;
            break;
        }
    if (!end)
        return len >= HTTP_MAX_HEAD ? -1 : 0;
    memset(r, 0, sizeof *r);
    /* The request line: METHOD SP TARGET SP HTTP/x.y CRLF */
    const char *line_end = memchr(buf, '\r', end);
    const char *sp1 = memchr(buf, ' ', (size_t)(line_end - buf));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == buf || sp2 == sp1 + 1 || (size_t)(sp1 - buf) >= sizeof r->method ||
        (size_t)(sp2 - sp1 - 1) >= sizeof r->target ||
        (size_t)(line_end - sp2 - 1) >= sizeof r->version || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
        return -1;
    memcpy(r->method, buf, (size_t)(sp1 - buf));
    memcpy(r->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    memcpy(r->version, sp2 + 1, (size_t)(line_end - sp2 - 1));
    r->keep_alive = strcmp(r->version, "HTTP/1.1") == 0;
    /* Headers: only Connection matters here. */
    for (const char *p = line_end + 2; p < buf + end - 2;) {
        const char *e = memchr(p, '\r', (size_t)(buf + end - p));
        if (!e)
            break;
        if ((size_t)(e - p) > 11 && strncasecmp(p, "connection:", 11) == 0) {
            const char *v = p + 11;
            while (*v == ' ' || *v == '\t')
                v++;
            if ((size_t)(e - v) >= 5 && strncasecmp(v, "close", 5) == 0)
                r->keep_alive = 0;
            else if ((size_t)(e - v) >= 10 && strncasecmp(v, "keep-alive", 10) == 0)
                r->keep_alive = 1;
        }
        p = e + 2;
    }
    return (long)end;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_resolve(const char *root, const char *target, char *out, size_t cap)
{
    char path[2048];
    size_t n = 0;
    if (target[0] != '/')
        return 400; /* origin-form only */
    for (const char *p = target; *p && *p != '?' && *p != '#'; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (hi < 0 || lo < 0)
                return 400;
            c = hi * 16 + lo;
            p += 2;
        }
        if (c == 0 || c == '\\' || n + 1 >= sizeof path)
            return 400;
        path[n++] = (char)c;
    }
    path[n] = '\0';
    /* No ".." segment at all, decoded or not: nothing legitimate needs one. */
    for (char *seg = path; seg;) {
        char *next = strchr(seg, '/');
        size_t len = next ? (size_t)(next - seg) : strlen(seg);
        if (len == 2 && seg[0] == '.' && seg[1] == '.')
            return 400;
        seg = next ? next + 1 : NULL;
    }
    char joined[PATH_MAX + 2048], real[PATH_MAX];
    snprintf(joined, sizeof joined, "%s%s", root, path);
    if (!realpath(joined, real))
        return 404;
    /* Symlinks are followed, but what they reach must be inside root. */
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
        return 404;
    struct stat st;
    if (stat(real, &st) != 0)
        return 404;
    if (S_ISDIR(st.st_mode)) {
        char index[PATH_MAX + 16];
        snprintf(index, sizeof index, "%s/index.html", real);
        if (!realpath(index, real) || strncmp(real, root, rl) != 0 || real[rl] != '/' ||
            stat(real, &st) != 0)
            return 404;
    }
    if (!S_ISREG(st.st_mode) || strlen(real) >= cap)
        return 404;
    snprintf(out, cap, "%s", real);
    return 0;
}

const char *http_mime(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"}, {".css", "text/css"},
        {".js", "text/javascript"},            {".json", "application/json"},
        {".png", "image/png"},                 {".jpg", "image/jpeg"},
        {".svg", "image/svg+xml"},             {".pem", "application/x-pem-file"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    default: return "Error";
    }
}
