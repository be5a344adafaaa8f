/* The `*_file` setters: a C host names a file where a Node user writes
 * fs.readFileSync(path). The file is read whole, then handed to the buffer
 * setter, so its contents are checked exactly as theirs. A file that
 * cannot be read fails as Node's readFileSync throws: the errno's name as
 * the code ("ENOENT") and libuv's wording as the message ("ENOENT: no such
 * file or directory, open 'x'").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "api_impl.h"

/* No credential file is this large; /dev/zero or a runaway pipe stops here. */
#define TP_FILE_MAX (64u << 20)

/* Node's names and libuv's texts for the errors reading a file can meet. */
static const struct {
    int errnum;
    const char *code, *text;
} file_errors[] = {
    {ENOENT, "ENOENT", "no such file or directory"},
    {EACCES, "EACCES", "permission denied"},
    {EPERM, "EPERM", "operation not permitted"},
    {EISDIR, "EISDIR", "illegal operation on a directory"},
    {ENOTDIR, "ENOTDIR", "not a directory"},
    {ELOOP, "ELOOP", "too many symbolic links encountered"},
    {ENAMETOOLONG, "ENAMETOOLONG", "name too long"},
    {EMFILE, "EMFILE", "too many open files"},
    {ENFILE, "ENFILE", "file table overflow"},
    {ENXIO, "ENXIO", "no such device or address"},
    {ENODEV, "ENODEV", "no such device"},
    {EINVAL, "EINVAL", "invalid argument"},
    {ENOMEM, "ENOMEM", "not enough memory"},
};

static int fail_errno(struct tlsplug_context *c, int errnum, const char *syscall, const char *path)
{
    const char *code = "EIO", *text = "i/o error";
    for (size_t i = 0; i < sizeof file_errors / sizeof *file_errors; i++)
        if (file_errors[i].errnum == errnum) {
            code = file_errors[i].code;
            text = file_errors[i].text;
        }
    /* Node names the path only for open (its read error has no path). */
    if (path)
        return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, code, "%s: %s, %s '%s'", code, text, syscall,
                       path);
    return tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, code, "%s: %s, %s", code, text, syscall);
}

/* Read the whole file: its bytes (malloc'd) or NULL with
 * the failure recorded. */
static uint8_t *read_file(struct tlsplug_context *c, const char *path, size_t *len, int *rc)
{
    /* O_NONBLOCK: opening a FIFO nobody writes must not wait. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        *rc = fail_errno(c, errno, "open", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK); /* a pipe: read it to its end */
    size_t cap = 0, n = 0;
    uint8_t *buf = NULL;
    for (;;) {
        if (n == cap) {
            /* Room for one byte past the limit, which tells a file too large. */
            size_t grown = cap ? 2 * cap : 16384;
            if (grown > TP_FILE_MAX + 1u)
                grown = TP_FILE_MAX + 1u;
            uint8_t *p = realloc(buf, grown);
            if (!p) {
                *rc = tp_fail(&c->err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
                break;
            }
            buf = p;
            cap = grown;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got > 0) {
            n += (size_t)got;
            if (n > TP_FILE_MAX) {
                *rc = tp_fail(&c->err, TLSPLUG_E_CREDENTIALS, "ERR_FS_FILE_TOO_LARGE",
                              "File size is greater than %u MiB: '%s'", TP_FILE_MAX >> 20, path);
                break;
            }
        } else if (got == 0) {
            close(fd);
            *len = n;
            *rc = TLSPLUG_OK;
            return buf;
        } else if (errno != EINTR) {
            *rc = fail_errno(c, errno, "read", NULL);
            break;
        }
    }
    close(fd);
    free(buf);
    return NULL;
}

enum file_kind { FILE_KEY, FILE_CERT, FILE_CA, FILE_CRL, FILE_PFX };

static int add_file(tlsplug_context *h, enum file_kind kind, const char *path, const char *passphrase)
{
    int rc;
    struct tlsplug_context *c = tp_context_for_setter(h, NULL, NULL, 0, &rc);
    if (!c)
        return rc;
    if (!path || !*path)
        return tp_fail(&c->err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_TYPE",
                       "path: expected a non-empty string");
    size_t len = 0;
    uint8_t *data = read_file(c, path, &len, &rc);
    if (!data)
        return rc;
    switch (kind) {
    case FILE_KEY: rc = tp_api_context_add_key(h, data, len, passphrase); break;
    case FILE_CERT: rc = tp_api_context_add_cert(h, data, len); break;
    case FILE_CA: rc = tp_api_context_add_ca(h, data, len); break;
    case FILE_CRL: rc = tp_api_context_add_crl(h, data, len); break;
    case FILE_PFX: rc = tp_api_context_add_pfx(h, data, len, passphrase); break;
    }
    free(data);
    return rc;
}

int tp_api_context_add_key_file(tlsplug_context *h, const char *path, const char *passphrase)
{
    return add_file(h, FILE_KEY, path, passphrase);
}

int tp_api_context_add_cert_file(tlsplug_context *h, const char *path)
{
    return add_file(h, FILE_CERT, path, NULL);
}

int tp_api_context_add_ca_file(tlsplug_context *h, const char *path)
{
    return add_file(h, FILE_CA, path, NULL);
}

int tp_api_context_add_crl_file(tlsplug_context *h, const char *path)
{
    return add_file(h, FILE_CRL, path, NULL);
}

int tp_api_context_add_pfx_file(tlsplug_context *h, const char *path, const char *passphrase)
{
    return add_file(h, FILE_PFX, path, passphrase);
}
