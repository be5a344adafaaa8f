#include "mem_pipe.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>

static ssize_t mem_push(gnutls_transport_ptr_t p, const void *data, size_t len)
{
    end *e = p;
    if (len > sizeof e->out->data - e->out->len) {
        gnutls_transport_set_errno(e->s, ENOBUFS);
        return -1;
    }
    memcpy(e->out->data + e->out->len, data, len);
    e->out->len += len;
    return (ssize_t)len;
}

static ssize_t mem_pull(gnutls_transport_ptr_t p, void *data, size_t len)
{
    end *e = p;
    if (e->in->len == 0) {
        gnutls_transport_set_errno(e->s, EAGAIN);
        return -1;
    }
    size_t n = len < e->in->len ? len : e->in->len;
    memcpy(data, e->in->data, n);
    memmove(e->in->data, e->in->data + n, e->in->len - n);
    e->in->len -= n;
    return (ssize_t)n;
}

void mem_pipe_attach(end *e, pipe_buf *in, pipe_buf *out)
{
    e->in = in;
    e->out = out;
    gnutls_transport_set_ptr(e->s, e);
    gnutls_transport_set_push_function(e->s, mem_push);
    gnutls_transport_set_pull_function(e->s, mem_pull);
}
