/* embed: runs a tlsplug loop inside the program's own poll(), the
 * embedding recipe of docs/ABI.md: poll the loop's backend fd beside the
 * program's fds, for at most tlsplug_loop_next_timeout(), then call
 * tlsplug_loop_run_once(). The program's fds here are stdin (the client)
 * and a self-pipe that SIGINT/SIGTERM write to, so a signal ends the run
 * cleanly (libuv itself retries its wait on EINTR). */
#ifndef TLSPLUG_TOOL_EMBED_H
#define TLSPLUG_TOOL_EMBED_H

#include <poll.h>

#include "tlsplug.h"

struct embed {
    tlsplug_loop *loop;
    /* One extra fd of the program's (fd -1: none this round), set by
     * `prepare` before each poll and handed to `ready` when it fires. */
    struct pollfd extra;
    void (*prepare)(void *arg, struct pollfd *extra);
    void (*ready)(void *arg, short revents);
    void *arg;
    int stop;      /* the program sets it to leave embed_run */
    int signalled; /* the signal that ended the run, or 0 */
};

/* Route SIGINT and SIGTERM to the self-pipe and ignore SIGPIPE (a closed
 * stdout then answers EPIPE). 0, or -1 with errno. */
int embed_signals(void);

/* Run until the loop has nothing left to do, e->stop, or a signal.
 * Answers TLSPLUG_OK or the failing call's status. */
int embed_run(struct embed *e);

#endif
