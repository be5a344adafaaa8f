/* Remote session stores (Redis): the store's module is loaded with dlopen
 * on first use, so the library itself never depends on hiredis. Its calls
 * block (bounded by the store's timeout), so they run on one worker thread
 * per store; answers queue for the thread that owns the sockets, which an
 * eventfd wakes (the loop polls it; a pump host polls
 * tlsplug_server_session_store_fd). A lookup still queued when its
 * deadline passes is answered "not found" unasked: a full handshake,
 * never a wait beyond the timeout. */
#include <dlfcn.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "store_backend.h"
#include "api_impl.h"

enum { OP_GET, OP_PUT, OP_DEL };
#define MAX_QUEUED 4096 /* writes beyond this are dropped (counted) */

struct job {
    struct job *next;
    int op;
    uintptr_t who;
    uint64_t deadline_ms;
    unsigned ttl_s;
    uint8_t *val; /* put: the value; get's answer: the value found */
    size_t klen, vlen;
    uint8_t key[];
};

struct queue {
    struct job *head, *tail;
    size_t n;
};

struct remote {
    struct tp_store base;
    const struct tp_store_backend *be;
    void *conn;
    char *url;
    unsigned timeout_ms;
    int efd;
    int stopping, down;
    pthread_t worker;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct queue todo, answers;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void push(struct queue *q, struct job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->n++;
}

static struct job *pop(struct queue *q)
{
    struct job *j = q->head;
    if (j && !(q->head = j->next))
        q->tail = NULL;
    if (j)
        q->n--;
    return j;
}

static void job_free(struct job *j)
{
    if (j->val)
        gnutls_memset(j->val, 0, j->vlen);
    free(j->val);
    free(j);
}

/* One log line per change between reachable and not, not per failure. */
static void note(struct remote *r, int ok, const char *why)
{
    if (!ok)
        atomic_fetch_add(&r->base.failures, 1);
    if (ok == !r->down)
        return;
    r->down = !ok;
    if (ok)
        fprintf(stderr, "tlsplug: session store %s: reachable again\n", r->url);
    else
        fprintf(stderr, "tlsplug: session store %s: %s; full handshakes until it answers\n",
                r->url, why);
}

static void run(struct remote *r, struct job *j)
{
    char why[160] = "failed";
    uint64_t now = now_ms();
    if (j->op == OP_GET) {
        uint8_t *val = NULL;
        size_t vlen = 0;
        int rc = -1;
        if (now < j->deadline_ms) {
            rc = r->be->get(r->conn, j->key, j->klen, (unsigned)(j->deadline_ms - now), &val,
                            &vlen, why, sizeof why);
            note(r, rc >= 0, why);
        } else
            atomic_fetch_add(&r->base.failures, 1); /* waited too long in line */
        j->val = rc == 1 ? val : NULL;
        j->vlen = rc == 1 ? vlen : 0;
        return;
    }
    int rc = j->op == OP_PUT ? r->be->put(r->conn, j->key, j->klen, j->val, j->vlen, j->ttl_s,
                                          r->timeout_ms, why, sizeof why)
                             : r->be->del(r->conn, j->key, j->klen, r->timeout_ms, why, sizeof why);
    note(r, rc >= 0, why);
}

static void *worker(void *arg)
{
    struct remote *r = arg;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->todo.head && !r->stopping)
            pthread_cond_wait(&r->wake, &r->lock);
        struct job *j = pop(&r->todo);
        if (!j)
            break; /* stopping, and nothing left */
        pthread_mutex_unlock(&r->lock);
        if (r->stopping && j->op == OP_GET)
            j->deadline_ms = 0; /* no more waiting for anyone */
        run(r, j);
        pthread_mutex_lock(&r->lock);
        if (j->op == OP_GET) {
            push(&r->answers, j);
            uint64_t one = 1;
            if (write(r->efd, &one, sizeof one) < 0) {
                /* the counter is full: it is readable anyway */
            }
        } else
            job_free(j);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

static struct job *job_new(int op, const uint8_t *key, size_t klen)
{
    struct job *j = calloc(1, sizeof *j + klen);
    if (j) {
        j->op = op;
        j->klen = klen;
        memcpy(j->key, key, klen);
    }
    return j;
}

/* Queue a job; 0, or -1 when it could not be (the caller answers). */
static int enqueue(struct remote *r, struct job *j)
{
    pthread_mutex_lock(&r->lock);
    int full = j->op != OP_GET && r->todo.n >= MAX_QUEUED;
    if (!full) {
        push(&r->todo, j);
        pthread_cond_signal(&r->wake);
    }
    pthread_mutex_unlock(&r->lock);
    if (full) {
        atomic_fetch_add(&r->base.failures, 1);
        job_free(j);
    }
    return 0;
}

static int remote_get(struct tp_store *st, const uint8_t *key, size_t klen, uintptr_t who,
                      uint8_t **val, size_t *vlen)
{
    struct remote *r = (struct remote *)st;
    struct job *j = job_new(OP_GET, key, klen);
    if (!j) {
        *val = NULL, *vlen = 0;
        return 1; /* a miss now rather than no answer */
    }
    j->who = who;
    j->deadline_ms = now_ms() + r->timeout_ms;
    return enqueue(r, j);
}

static void remote_put(struct tp_store *st, const uint8_t *key, size_t klen, const uint8_t *val,
                       size_t vlen, unsigned ttl_s)
{
    struct remote *r = (struct remote *)st;
    struct job *j = job_new(OP_PUT, key, klen);
    if (j && !(j->val = malloc(vlen))) {
        free(j);
        j = NULL;
    }
    if (!j) {
        atomic_fetch_add(&st->failures, 1);
        return;
    }
    memcpy(j->val, val, vlen);
    j->vlen = vlen;
    j->ttl_s = ttl_s;
    enqueue(r, j);
}

static void remote_del(struct tp_store *st, const uint8_t *key, size_t klen)
{
    struct job *j = job_new(OP_DEL, key, klen);
    if (j)
        enqueue((struct remote *)st, j);
}

static int remote_fd(struct tp_store *st)
{
    return ((struct remote *)st)->efd;
}

static int remote_take_answer(struct tp_store *st, uintptr_t *who, uint8_t **val, size_t *vlen)
{
    struct remote *r = (struct remote *)st;
    pthread_mutex_lock(&r->lock);
    struct job *j = pop(&r->answers);
    if (!r->answers.head) {
        uint64_t n;
        if (read(r->efd, &n, sizeof n) < 0) {
            /* nothing counted: it was not readable */
        }
    }
    pthread_mutex_unlock(&r->lock);
    if (!j)
        return 0;
    *who = j->who;
    *val = j->val;
    *vlen = j->vlen;
    j->val = NULL;
    free(j);
    return 1;
}

static void remote_destroy(struct tp_store *st)
{
    struct remote *r = (struct remote *)st;
    pthread_mutex_lock(&r->lock);
    r->stopping = 1;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->worker, NULL);
    for (struct job *j; (j = pop(&r->answers));)
        job_free(j);
    r->be->close(r->conn);
    close(r->efd);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r->url);
    free(r);
}

static const struct tp_store_ops remote_ops = {
    remote_get, remote_put, remote_del, remote_fd, remote_take_answer, remote_destroy,
};

/* ---------------------------------------------------------------- the module */

#define REDIS_MODULE "libtlsplug-redis.so"

/* The module next to this library, else wherever the loader finds it;
 * $TLSPLUG_REDIS_MODULE names it exactly. Loaded once, never unloaded. */
static const struct tp_store_backend *loaded;
static char load_error[256];

static void load_redis(void)
{
    const char *path = getenv("TLSPLUG_REDIS_MODULE");
    char beside[4096];
    Dl_info self;
    void *lib = NULL;
    if (path && *path)
        lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    else {
        if (dladdr((void *)tp_store_open, &self) && self.dli_fname) {
            const char *slash = strrchr(self.dli_fname, '/');
            int n = slash ? (int)(slash - self.dli_fname) : 0;
            if (slash && snprintf(beside, sizeof beside, "%.*s/%s", n, self.dli_fname,
                                  REDIS_MODULE) < (int)sizeof beside)
                lib = dlopen(beside, RTLD_NOW | RTLD_LOCAL);
        }
        if (!lib)
            lib = dlopen(REDIS_MODULE, RTLD_NOW | RTLD_LOCAL);
    }
    if (!lib) {
        const char *e = dlerror();
        snprintf(load_error, sizeof load_error, "%s", e ? e : REDIS_MODULE " not found");
        return;
    }
    const struct tp_store_backend *(*entry)(void);
    *(void **)&entry = dlsym(lib, TP_STORE_BACKEND_SYMBOL);
    const struct tp_store_backend *be = entry ? entry() : NULL;
    if (!be || be->version != TP_STORE_BACKEND_VERSION) {
        snprintf(load_error, sizeof load_error, "%s is not a version %d store module",
                 path && *path ? path : REDIS_MODULE, TP_STORE_BACKEND_VERSION);
        return;
    }
    loaded = be;
}

static const struct tp_store_backend *redis_backend(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_redis);
    return loaded;
}

static int remote_open(const char *url, struct tp_store **out, tp_error *err)
{
    const struct tp_store_backend *be = redis_backend();
    if (!be)
        return tp_fail(err, TLSPLUG_E_UNSUPPORTED, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
                       "session store %s: the Redis module is not installed (%s); it is built "
                       "when libhiredis-dev is present",
                       url, load_error);
    struct remote *r = calloc(1, sizeof *r);
    char why[200] = "bad URL";
    if (!r || !(r->url = strdup(url))) {
        free(r);
        return tp_fail(err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
    }
    r->timeout_ms = 250;
    if (!(r->conn = be->open(url, &r->timeout_ms, why, sizeof why))) {
        free(r->url);
        free(r);
        return tp_fail(err, TLSPLUG_E_INVAL, "ERR_INVALID_URL", "session store %s: %s", url,
                       why);
    }
    r->be = be;
    r->base.ops = &remote_ops;
    atomic_init(&r->base.refs, 1);
    atomic_init(&r->base.failures, 0);
    r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (r->efd < 0 || pthread_create(&r->worker, NULL, worker, r) != 0) {
        if (r->efd >= 0)
            close(r->efd);
        be->close(r->conn);
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r->url);
        free(r);
        return tp_fail(err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY",
                       "session store %s: cannot start its thread", url);
    }
    *out = &r->base;
    return TLSPLUG_OK;
}

int tp_store_fetch(const char *url, const char *name, uint8_t **val, size_t *vlen, tp_error *err)
{
    const struct tp_store_backend *be = redis_backend();
    if (!be)
        return tp_fail(err, TLSPLUG_E_UNSUPPORTED, "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM",
                       "%s: the Redis module is not installed (%s)", url, load_error);
    char why[200] = "bad URL";
    unsigned timeout_ms = 1000;
    void *conn = be->open(url, &timeout_ms, why, sizeof why);
    if (!conn)
        return tp_fail(err, TLSPLUG_E_INVAL, "ERR_INVALID_URL", "%s: %s", url, why);
    int rc = be->get_raw(conn, name, timeout_ms, val, vlen, why, sizeof why);
    be->close(conn);
    if (rc == 1)
        return TLSPLUG_OK;
    return tp_fail(err, TLSPLUG_E_NET, "EIO", "%s: %s", url,
                   rc == 0 ? "no such key" : why);
}

int tp_store_open(const char *url, size_t memory_capacity, struct tp_store **out, tp_error *err)
{
    if (strcmp(url, "memory") == 0) {
        if (!(*out = tp_store_memory_new(memory_capacity)))
            return tp_fail(err, TLSPLUG_E_NOMEM, "ERR_OUT_OF_MEMORY", "out of memory");
        return TLSPLUG_OK;
    }
    if (strncmp(url, "redis://", 8) == 0 || strncmp(url, "redis+unix://", 13) == 0)
        return remote_open(url, out, err);
    return tp_fail(err, TLSPLUG_E_INVAL, "ERR_INVALID_ARG_VALUE",
                   "session store: \"%s\" is not memory, redis://HOST[:PORT][/DB] or "
                   "redis+unix:///PATH",
                   url);
}
