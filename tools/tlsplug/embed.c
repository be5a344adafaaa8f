/* embed: the loop inside our own poll() (see embed.h). */
#include "embed.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int wake[2] = {-1, -1};
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    int saved = errno;
    caught = sig;
    ssize_t r = write(wake[1], "", 1);
    (void)r; /* a full pipe already wakes poll() */
    errno = saved;
}

int embed_signals(void)
{
    if (wake[0] < 0 && pipe(wake) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (fcntl(wake[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(wake[i], F_SETFD, FD_CLOEXEC) != 0)
            return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int embed_run(struct embed *e)
{
    int fd, rc, alive = 1;
    if ((rc = tlsplug_loop_backend_fd(e->loop, &fd)) != TLSPLUG_OK)
        return rc;
    while (!e->stop) {
        if ((rc = tlsplug_loop_alive(e->loop, &alive)) != TLSPLUG_OK || !alive)
            return rc;
        if (caught) {
            e->signalled = caught;
            return TLSPLUG_OK;
        }
        e->extra.fd = -1;
        if (e->prepare)
            e->prepare(e->arg, &e->extra);
        int ms;
        if ((rc = tlsplug_loop_next_timeout(e->loop, &ms)) != TLSPLUG_OK)
            return rc;
        struct pollfd pfds[3] = {
            {.fd = fd, .events = POLLIN},
            {.fd = wake[0], .events = POLLIN},
            e->extra,
        };
        pfds[2].revents = 0;
        if (poll(pfds, 3, ms) < 0 && errno != EINTR)
            return TLSPLUG_E_INTERNAL;
        if (pfds[2].fd >= 0 && pfds[2].revents && e->ready)
            e->ready(e->arg, pfds[2].revents);
        /* Non-blocking: whatever the loop has ready (IO, timers, deferred
         * work); cheap when nothing is. */
        if ((rc = tlsplug_loop_run_once(e->loop, &alive)) != TLSPLUG_OK)
            return rc;
    }
    return TLSPLUG_OK;
}
