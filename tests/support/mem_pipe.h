/* An in-memory transport between two raw GnuTLS sessions, for tests that
 * drive GnuTLS directly (suite tables, priority strings): what one end
 * pushes, the other pulls. */
#ifndef TLSPLUG_TEST_MEM_PIPE_H
#define TLSPLUG_TEST_MEM_PIPE_H

#include <gnutls/gnutls.h>
#include <stddef.h>

typedef struct pipe_buf {
    unsigned char data[65536];
    size_t len;
} pipe_buf;

typedef struct end {
    gnutls_session_t s;
    pipe_buf *in, *out;
} end;

/* Make `e` read from `in` and write to `out` (e->s must exist). */
void mem_pipe_attach(end *e, pipe_buf *in, pipe_buf *out);

#endif
