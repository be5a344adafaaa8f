/* session_file: sessions saved and resumed across runs (session_file.h). */
/* getrandom() and explicit_bzero() are glibc extensions beyond XSI. */
#define _DEFAULT_SOURCE
#include "session_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_LEN 32
#define MAX_SESSION (64 * 1024)

/* Read all of a small file: its length, or -1 (errno set; EFBIG past cap). */
static ssize_t read_all(const char *path, uint8_t *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            uint8_t extra;
            ssize_t r = read(fd, &extra, 1);
            close(fd);
            if (r == 0)
                return (ssize_t)n;
            errno = EFBIG;
            return -1;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r == 0)
            break;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        n += (size_t)r;
    }
    close(fd);
    return (ssize_t)n;
}

/* Write `len` bytes to path's sibling, then rename it over path. */
static int replace_file(const char *path, const uint8_t *data, size_t len)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            errno = e;
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* $XDG_STATE_HOME/tlsplug (or ~/.local/state/tlsplug), made 0700 as
 * needed; the key file's path in `out`. 0 or -1 after printing why. */
static int default_key_path(char *out, size_t cap)
{
    const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char dir[3072];
    if (state && state[0] == '/')
        snprintf(dir, sizeof dir, "%s/tlsplug", state);
    else if (home && home[0] == '/')
        snprintf(dir, sizeof dir, "%s/.local/state/tlsplug", home);
    else {
        fprintf(stderr, "tlsplug client: no HOME or XDG_STATE_HOME for the session key; "
                        "give --sess-key FILE\n");
        return -1;
    }
    /* Each missing level of the directory, user-only. */
    for (char *p = dir + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char saved = *p;
            *p = 0;
            if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                fprintf(stderr, "tlsplug client: cannot make %s: %s\n", dir, strerror(errno));
                return -1;
            }
            *p = saved;
            if (!saved)
                break;
        }
    }
    snprintf(out, cap, "%s/session-key", dir);
    return 0;
}

int session_key_use(tlsplug_context *ctx, const char *path)
{
    char where[4096];
    int made = 0;
    if (!path) {
        if (default_key_path(where, sizeof where) != 0)
            return -1;
        path = where;
    }
    uint8_t key[KEY_LEN + 1];
    ssize_t n = read_all(path, key, sizeof key);
    if (n < 0 && errno == ENOENT && path == where) {
        /* First use: 32 bytes from the kernel's CSPRNG. */
        if (getrandom(key, KEY_LEN, 0) != KEY_LEN || replace_file(path, key, KEY_LEN) != 0) {
            fprintf(stderr, "tlsplug client: cannot make the session key %s: %s\n", path,
                    strerror(errno));
            return -1;
        }
        n = KEY_LEN, made = 1;
    }
    if (n < 0) {
        fprintf(stderr, "tlsplug client: --sess-key %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (!made && stat(path, &st) == 0 && (st.st_mode & 077)) {
        fprintf(stderr, "tlsplug client: the session key %s is readable by others (chmod 600 "
                        "it): refused\n", path);
        return -1;
    }
    if (n != KEY_LEN) {
        fprintf(stderr, "tlsplug client: the session key %s must be %d bytes, not %zd\n", path,
                KEY_LEN, n);
        return -1;
    }
    int rc = tlsplug_context_set_session_key(ctx, key, KEY_LEN);
    explicit_bzero(key, sizeof key);
    if (rc != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug client: the session key was refused: %s\n",
                tlsplug_status_name(rc));
        return -1;
    }
    return 0;
}

int session_in(tlsplug_socket *sock, const char *path)
{
    static uint8_t blob[MAX_SESSION];
    ssize_t n = read_all(path, blob, sizeof blob);
    if (n < 0) {
        fprintf(stderr, "tlsplug client: --sess-in %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (n == 0 || tlsplug_socket_set_session(sock, blob, (size_t)n) != TLSPLUG_OK) {
        fprintf(stderr, "tlsplug client: --sess-in %s: not a session tlsplug client saved\n",
                path);
        return -1;
    }
    return 0;
}

int session_out(const char *path, const uint8_t *blob, size_t len)
{
    if (replace_file(path, blob, len) != 0) {
        fprintf(stderr, "tlsplug client: --sess-out %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
