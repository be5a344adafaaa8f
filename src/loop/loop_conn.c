/* A socket on a loop: the bytes between a libuv stream and the pump.
 *
 * GnuTLS reads the fd straight into its own buffer once the pump's input
 * is empty (tp_conn_recv_now), and writes straight to it while nothing is
 * queued (tp_conn_send_now): the kernel's copy is the only one. libuv's
 * reads land in the loop's scratch buffer, lent to the pump. What the kernel
 * refuses waits in the pump's output buffer, which is handed to uv_write by
 * moving the buffer itself (no copy). The pump tells us it produced
 * something by calling tp_conn_kick when the outermost entry point on the
 * socket returns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "handle.h"
#include "loop.h"
#include "api_impl.h"

/* A non-blocking send that never raises SIGPIPE (libuv's own writes use
 * write(), which does: tlsplug_loop's run calls hold SIGPIPE for them).
 * Answers the bytes sent, or a negative libuv error (UV_EAGAIN when the
 * kernel is full). */
static int send_iov(tp_conn *c, const uv_buf_t *b, unsigned n)
{
    uv_os_fd_t fd;
    int err = uv_fileno(&c->io.handle, &fd);
    if (err)
        return err;
    struct iovec iov[8];
    if (n > 8)
        n = 8;
    for (unsigned i = 0; i < n; i++)
        iov[i] = (struct iovec){b[i].base, b[i].len};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
    ssize_t w;
    do
        w = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (w < 0 && errno == EINTR);
    if (w >= 0)
        return (int)(w > INT32_MAX ? INT32_MAX : w);
    return errno == EWOULDBLOCK ? UV_EAGAIN : uv_translate_sys_error(errno);
}


tp_conn *tp_conn_new(struct tlsplug_loop *loop, struct tlsplug_socket *s, int is_pipe)
{
    tp_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->sock = s;
    c->sock_handle = tp_driver_handle(s);
    c->no_delay = c->keep_alive = -1;
    c->is_pipe = is_pipe;
    if (is_pipe)
        uv_pipe_init(&loop->uv, &c->io.pipe, 0);
    else
        uv_tcp_init(&loop->uv, &c->io.tcp);
    c->io.handle.data = c;
    c->ops = 1; /* the stream handle; the timer and a name lookup add theirs */
    c->next = loop->conns;
    if (loop->conns)
        loop->conns->prev = c;
    loop->conns = c;
    tp_driver_attach(s, &tp_conn_transport, c);
    return c;
}

/* ---------------------------------------------------------------- freeing */

static void unlink_conn(tp_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->loop->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* One of the handles (or the name lookup) finished closing; the last frees. */
void tp_conn_release(tp_conn *c)
{
    if (--c->ops > 0)
        return;
    tp_conn_undue(c);
    if (!c->abandoned)
        unlink_conn(c);
    tp_conn_free_dial(c);
    free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
    tp_conn *c = h->data;
    free(h);
    tp_conn_release(c);
}

/* Close the timer's handle (its close releases its op); a later arm_timer
 * makes a fresh one. */
static void drop_timer(tp_conn *c)
{
    if (!c->timer)
        return;
    uv_timer_stop(c->timer);
    uv_close((uv_handle_t *)c->timer, on_timer_closed);
    c->timer = NULL;
    c->timer_due = 0;
}

/* The transport is closed: Node's `close`, then the server's count, then
 * the loop-owned socket goes. */
void tp_conn_io_closed(tp_conn *c)
{
    struct tlsplug_socket *s = c->sock;
    if (s) {
        c->sock = NULL;
        tp_driver_detach(s);
        tp_driver_enter(s);
        tp_driver_emit_close(s);
        tp_driver_leave(s);
        if (c->owned)
            tp_api_socket_free((tlsplug_socket *)c->sock_handle); /* BADHANDLE if the host did */
    }
    if (c->srv) {
        struct tlsplug_server *srv = c->srv;
        c->srv = NULL;
        if (srv->connections)
            srv->connections--;
        tp_listener_connection_closed(srv);
        tp_server_release(srv);
    }
    tp_conn_release(c);
}

static void on_io_closed(uv_handle_t *h)
{
    tp_conn_io_closed(h->data);
}

void tp_conn_close(tp_conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    c->reading = 0;
    drop_timer(c);
    if (c->gai_active)
        uv_cancel((uv_req_t *)&c->dial->gai_req); /* its callback releases it */
    if (!c->retrying) /* else the retry's close callback finishes */
        uv_close(&c->io.handle, on_io_closed);
}

void tp_conn_detach(tp_conn *c)
{
    /* What the socket already produced (a Finished, an alert) goes out if
     * the kernel takes it now, as it would have had the pump written
     * straight to the fd. */
    struct tlsplug_socket *s = c->sock;
    const uint8_t *out;
    size_t n = tp_driver_output(s, &out);
    if (c->connected && !c->writing && !c->closing && !tp_driver_holds_output(s) && n) {
        uv_buf_t b = uv_buf_init((char *)out, (unsigned)n);
        send_iov(c, &b, 1);
    }
    /* The socket's memory is going: nothing may reach it any more. */
    tp_driver_detach(s);
    c->sock = NULL;
    c->owned = 0;
    tp_conn_close(c);
}

void tp_conn_abandon(tp_conn *c)
{
    struct tlsplug_socket *s = c->sock;
    if (s) {
        c->sock = NULL;
        tp_driver_detach(s);
        tp_driver_close_quietly(s); /* no transport any more; silently, as the loop is freed */
        if (c->owned)
            tp_api_socket_free((tlsplug_socket *)c->sock_handle);
    }
    c->owned = 0;
    /* Unlink now so tlsplug_loop_free's walk advances; the memory goes
     * when libuv has closed the handles. */
    unlink_conn(c);
    tp_conn_undue(c);
    c->abandoned = 1;
    tp_conn_close(c);
}

/* ---------------------------------------------------------------- failing */

void tp_conn_fail(tp_conn *c, const char *what, int err, const char *where)
{
    struct tlsplug_socket *s = c->sock;
    if (!s)
        return;
    if (tp_driver_closed(s)) {
        tp_conn_close(c); /* the session was over: just let the transport go */
        return;
    }
    tp_driver_enter(s);
    if (where && *where)
        tp_driver_fail(s, tp_uv_code(err), "%s %s %s", what, tp_uv_code(err), where);
    else
        tp_driver_fail(s, tp_uv_code(err), "%s %s", what, tp_uv_code(err));
    tp_driver_leave(s); /* the kick closes the transport */
}

/* ---------------------------------------------------------------- reading */

static void activity(tp_conn *c)
{
    c->last_activity = uv_now(&c->loop->uv);
    c->timeout_fired = 0;
}

/* libuv reads into the loop's one scratch buffer (alloc and read come as a
 * pair, one handle at a time), which is lent to the pump: no allocation
 * per read, and only what GnuTLS leaves is copied. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    tp_conn *c = h->data;
    *buf = uv_buf_init((char *)c->loop->read_buf, sizeof c->loop->read_buf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    tp_conn *c = st->data;
    struct tlsplug_socket *s = c->sock;
    if (!s || c->closing)
        return;
    if (c->read_err) {
        /* A straight read already met the error (a reset): the fd may now
         * look like a plain EOF, but the error is what happened. */
        uv_read_stop(st);
        c->reading = 0;
        tp_conn_fail(c, "read", c->read_err, NULL);
        return;
    }
    if (nread > 0) {
        activity(c);
        tp_driver_enter(s);
        tp_driver_feed(s, (const uint8_t *)buf->base, (size_t)nread); /* errors become events */
        tp_driver_leave(s);
    } else if (nread == UV_EOF) {
        c->eof = 1;
        uv_read_stop(st);
        c->reading = 0;
        tp_api_socket_feed_eof((tlsplug_socket *)c->sock_handle);
    } else if (nread < 0) {
        uv_read_stop(st);
        c->reading = 0;
        tp_conn_fail(c, "read", (int)nread, NULL);
    }
}

static void update_reading(tp_conn *c)
{
    struct tlsplug_socket *s = c->sock;
    int want = c->connected && !c->closing && !c->eof && !c->read_err && s &&
               tp_driver_wants_read(s);
    if (want && !c->reading) {
        if (uv_read_start(&c->io.stream, on_alloc, on_read) == 0)
            c->reading = 1;
    } else if (!want && c->reading) {
        uv_read_stop(&c->io.stream);
        c->reading = 0;
    }
}

/* ---------------------------------------------------------------- straight IO */


static size_t send_now(void *ctx, const giovec_t *iov, int iovcnt)
{
    return tp_conn_send_now(ctx, iov, iovcnt);
}

size_t tp_conn_send_now(tp_conn *c, const giovec_t *iov, int iovcnt)
{
    struct tlsplug_socket *s = c->sock;
    if (!s || !c->connected || c->writing || c->closing || tp_driver_holds_output(s) ||
        c->write_err || iovcnt > 8)
        return 0;
    uv_buf_t b[8];
    for (int i = 0; i < iovcnt; i++)
        b[i] = uv_buf_init(iov[i].iov_base, (unsigned)iov[i].iov_len);
    int w = send_iov(c, b, (unsigned)iovcnt);
    if (w > 0) {
        tp_driver_sent(s, (size_t)w);
        activity(c);
        return (size_t)w;
    }
    if (w < 0 && w != UV_EAGAIN) {
        c->write_err = w; /* the queued rest will not go either: reported from the loop */
        tp_conn_due(c, TP_DUE_WRITE_ERR);
    }
    return 0;
}

ssize_t tp_conn_recv_now(tp_conn *c, void *buf, size_t n)
{
    /* Only while the loop itself would read: not paused, not at EOF. */
    if (!c->reading || c->closing || c->eof || c->read_err)
        return -1;
    uv_os_fd_t fd;
    if (uv_fileno(&c->io.handle, &fd) != 0)
        return -1;
    ssize_t got;
    do
        got = recv(fd, buf, n, MSG_DONTWAIT);
    while (got < 0 && errno == EINTR);
    if (got > 0) {
        activity(c);
        return got;
    }
    if (got == 0) {
        c->eof = 1; /* the kick stops the reading */
        return 0;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
        c->read_err = uv_translate_sys_error(errno);
        tp_conn_due(c, TP_DUE_READ_ERR);
    }
    return -1;
}

/* ---------------------------------------------------------------- writing */

static void flush(tp_conn *c);

/* A write failed: ciphertext the peer will never get. While the session
 * is open that is the socket's fatal error; after it closed (the peer's
 * end crossed our last writes) it is still an `error` before `close`:
 * data was lost. EPIPE on a stream we have not shut down means the peer
 * reset it, and whether the write or the read sees the reset first is a
 * race: both are Node's usual ECONNRESET. From the loop's turn only. */
static void write_failed(tp_conn *c, int err)
{
    struct tlsplug_socket *s = c->sock;
    if (!s || c->closing)
        return;
    if (err == UV_EPIPE)
        err = UV_ECONNRESET;
    tp_driver_enter(s);
    tp_driver_lost_output(s, tp_uv_code(err), "write %s", tp_uv_code(err));
    tp_driver_leave(s);
    if (c->sock)
        tp_conn_close(c); /* nothing more can be sent */
}

static void on_write(uv_write_t *req, int status)
{
    tp_conn *c = req->data;
    tp_write *w = c->write;
    tp_loop_write_done(c->loop);
    c->writing = 0;
    c->write = NULL;
    if (c->sock)
        tp_driver_sent(c->sock, tp_buf_len(&w->buf));
    tp_buf_free(&w->buf);
    free(w);
    if (status == UV_ECANCELED || !c->sock || c->closing)
        return;
    if (status < 0) {
        write_failed(c, status);
        return;
    }
    activity(c);
    struct tlsplug_socket *s = c->sock;
    tp_driver_enter(s);
    tp_driver_drain(s); /* inside the loop's turn: events may fire */
    tp_driver_leave(s); /* and the kick writes what came meanwhile */
}

/* Send what the pump produced: straight to the fd when the kernel takes
 * it, else by moving the buffer into one uv_write at a time. */
static void flush(tp_conn *c)
{
    struct tlsplug_socket *s = c->sock;
    if (!c->connected || c->writing || c->closing || tp_driver_holds_output(s))
        return;
    const uint8_t *out;
    size_t n = tp_driver_output(s, &out);
    if (n == 0)
        return;
    uv_buf_t b = uv_buf_init((char *)out, (unsigned)(n > UINT32_MAX ? UINT32_MAX : n));
    int w = send_iov(c, &b, 1);
    if (w > 0) {
        tp_driver_output_sent(s, (size_t)w);
        n -= (size_t)w;
        activity(c);
    } else if (w < 0 && w != UV_EAGAIN) {
        c->write_err = w;
        tp_conn_due(c, TP_DUE_WRITE_ERR);
        return;
    }
    if (n == 0) {
        if (tp_driver_output_emptied(s))
            tp_conn_due(c, TP_DUE_DRAIN);
        return;
    }
    /* The kernel is full: the rest goes by uv_write. The buffer moves to
     * the request; the pump starts a fresh one. */
    tp_write *wr = calloc(1, sizeof *wr);
    if (!wr) {
        c->write_err = UV_ENOMEM;
        tp_conn_due(c, TP_DUE_WRITE_ERR);
        return;
    }
    tp_driver_take_output(s, &wr->buf);
    uv_buf_t rest = uv_buf_init((char *)tp_buf_peek(&wr->buf), (unsigned)tp_buf_len(&wr->buf));
    wr->req.data = c;
    /* uv_write tries the fd at once, with write(): SIGPIPE is held for it,
     * by the run call from here to its end when inside one (libuv writes
     * the rest during runs), else around this call alone. */
    tp_loop_write_queued(c->loop);
    int outside_run = !c->loop->running;
    tp_sigpipe_guard g;
    if (outside_run)
        tp_sigpipe_hold(&g);
    int err = uv_write(&wr->req, &c->io.stream, &rest, 1, on_write);
    if (outside_run)
        tp_sigpipe_release(&g);
    if (err) {
        tp_loop_write_done(c->loop);
        tp_buf_free(&wr->buf);
        free(wr);
        c->write_err = err;
        tp_conn_due(c, TP_DUE_WRITE_ERR);
        return;
    }
    c->write = wr;
    c->writing = 1;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status; /* a failed FIN changes nothing: the session's end was sent */
    free(req);
}

/* The FIN after close_notify, as Node's end(). Out of memory for the
 * request, straight on the fd (nothing is being written: the kick checks). */
static void send_fin(tp_conn *c)
{
    uv_shutdown_t *req = malloc(sizeof *req);
    if (!req) {
        uv_os_fd_t fd;
        if (uv_fileno(&c->io.handle, &fd) == 0)
            shutdown(fd, SHUT_WR);
        return;
    }
    if (uv_shutdown(req, &c->io.stream, on_shutdown) != 0)
        free(req); /* failure: nothing to add */
}

/* ---------------------------------------------------------------- timers */

static void on_timer(uv_timer_t *t);

static void arm_timer(tp_conn *c)
{
    struct tlsplug_socket *s = c->sock;
    uint64_t now = uv_now(&c->loop->uv);
    uint64_t due = tp_driver_deadline(s);
    if (due == 0)
        due = UINT64_MAX; /* no handshake deadline */
    if (c->timeout_ms && c->connected && !c->timeout_fired &&
        c->last_activity + c->timeout_ms < due)
        due = c->last_activity + c->timeout_ms;
    if (due == UINT64_MAX) {
        drop_timer(c); /* an idle connection keeps no timer */
        return;
    }
    /* Activity only pushes the due time later: a timer already set for an
     * earlier time re-arms itself when it fires (no restart per read). */
    if (c->timer && c->timer_due && c->timer_due <= due)
        return;
    if (!c->timer) {
        uv_timer_t *t = malloc(sizeof *t);
        if (!t)
            return; /* out of memory: the next kick tries again */
        uv_timer_init(&c->loop->uv, t);
        t->data = c;
        uv_unref((uv_handle_t *)t); /* as Node's socket timers: never keeps the loop */
        c->timer = t;
        c->ops++; /* its close releases it */
    }
    c->timer_due = due;
    uv_timer_start(c->timer, on_timer, due > now ? due - now : 0, 0);
}

static void on_timer(uv_timer_t *t)
{
    tp_conn *c = t->data;
    struct tlsplug_socket *s = c->sock;
    c->timer_due = 0;
    if (!s || c->closing)
        return;
    uint64_t now = uv_now(&c->loop->uv);
    tp_driver_enter(s);
    uint64_t deadline = tp_driver_deadline(s);
    if (deadline && now >= deadline)
        tp_api_socket_tick((tlsplug_socket *)c->sock_handle, (size_t)now);
    if (c->sock && !tp_driver_closed(s) && c->timeout_ms && !c->timeout_fired &&
        now >= c->last_activity + c->timeout_ms) {
        c->timeout_fired = 1;
        tp_driver_emit(s, TLSPLUG_EV_TIMEOUT, NULL, 0);
    }
    tp_driver_leave(s); /* re-arms through the kick */
}

/* ---------------------------------------------------------------- the kick */

void tp_conn_kick(tp_conn *c)
{
    struct tlsplug_socket *s = c->sock;
    if (!s || c->closing)
        return;
    if (!c->connected) {
        if (tp_driver_closed(s))
            tp_conn_close(c); /* destroyed or failed while connecting */
        return;
    }
    flush(c);
    if (tp_driver_closed(s)) {
        /* An orderly end (both close_notify) sends everything first;
         * destroy or an error sends what the kernel takes now (an alert). */
        if (!tp_driver_ended_orderly(s) || (!c->writing && tp_driver_output_len(s) == 0))
            tp_conn_close(c);
        return;
    }
    if (tp_driver_ended(s) && !c->shut && !c->writing && tp_driver_output_len(s) == 0) {
        c->shut = 1; /* close_notify is out: the FIN follows, as Node's end() */
        send_fin(c);
    }
    update_reading(c);
    arm_timer(c);
}

void tp_conn_connected(tp_conn *c)
{
    c->connected = 1;
    activity(c);
    tp_conn_apply_tcp(c);
}

/* ---------------------------------------------------------------- deferred work */

void tp_conn_run_due(tp_conn *c)
{
    unsigned due = c->due;
    c->due = 0;
    struct tlsplug_socket *s = c->sock;
    if (!s || c->closing)
        return;
    if (due & TP_DUE_RESOLVE) {
        tp_conn_start_connect(c);
        return; /* nothing else can be due before the connection */
    }
    tp_driver_enter(s);
    if (due & TP_DUE_WRITE_ERR)
        write_failed(c, c->write_err);
    if ((due & TP_DUE_READ_ERR) && c->sock && !tp_driver_closed(c->sock))
        tp_conn_fail(c, "read", c->read_err, NULL);
    if (due & TP_DUE_DRAIN)
        tp_driver_drain(s);
    if (due & TP_DUE_PUMP)
        tp_driver_pump_deferred(s);
    tp_driver_leave(s);
}

/* ---------------------------------------------------------------- the seam */

static ssize_t recv_now(void *ctx, void *buf, size_t n)
{
    return tp_conn_recv_now(ctx, buf, n);
}

static void after_call(void *ctx)
{
    tp_conn_kick(ctx);
}

static void detach(void *ctx)
{
    tp_conn_detach(ctx);
}

static void defer_pump(void *ctx)
{
    tp_conn_due(ctx, TP_DUE_PUMP);
}

static size_t inflight(void *ctx)
{
    tp_conn *c = ctx;
    return c->write ? tp_buf_len(&c->write->buf) : 0;
}

/* What the engine may ask of a socket's connection (socket.h, "seams"). */
const tp_transport tp_conn_transport = {
    .send_now = send_now,
    .recv_now = recv_now,
    .after_call = after_call,
    .detach = detach,
    .defer_pump = defer_pump,
    .inflight = inflight,
};

tp_conn *tp_conn_of(const struct tlsplug_socket *s)
{
    return tp_driver_transport_of(s, &tp_conn_transport);
}
