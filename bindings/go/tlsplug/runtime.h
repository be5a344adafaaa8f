/*
 * The C half of the Go binding's runtime: the error detail a generated shim
 * (zabi.go) hands back with a failing status. Hand-written; it does not vary
 * with the registry, so it lives here, where compilers and reviewers see it,
 * rather than in the generator's string literals.
 */
#ifndef TLSPLUG_GO_RUNTIME_H
#define TLSPLUG_GO_RUNTIME_H

#include <stdint.h>
#include <tlsplug.h>

/* A failure's detail, copied out of the handle inside the same C call as the
 * failing function: cgo may run two calls on two OS threads, and no other
 * call may come between the failure and the read of its detail. */
typedef struct {
    int gnutls_error;
    int alert;
    int alert_direction;
    char code[128];
    char message[1024];
    char gnutls[128];
} tpg_err;

/* What every status shim answers, by value (so nothing escapes to the Go
 * heap): the status and, for a real failure on a handle, the detail in C
 * memory (malloc'd; the Go side frees it). err is NULL on success, for the
 * statuses that are answers rather than failures (tpg_quiet), and when the
 * detail cannot be read (no handle, a bad handle, no memory). out holds the
 * function's scalar out-parameters in order (a Go variable whose address
 * went to C would be moved to the Go heap at every call). */
typedef struct {
    int st;
    tpg_err *err;
    uint64_t out[4];
} tpg_ret;

/* tpg_ret for status `st` of a call on handle `h` (NULL when the call had
 * none, or when its handle was released by the call). */
tpg_ret tpg_result(int st, const void *h);

#endif
