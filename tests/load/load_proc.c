/* The process's own memory and fd figures (see load.h). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, fork, pipe, poll */
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "load.h"

static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            sscanf(line + n + 1, "%ld", &v);
            break;
        }
    fclose(f);
    return v;
}

static long count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

proc_figures proc_measure(void)
{
    /* glibc keeps freed chunks for reuse; give back what it can (the top
     * of each arena and whole free pages) so that what remains is memory
     * still held, or fragments pinned by a live allocation. */
    malloc_trim(0);
    proc_figures p = {status_kib("VmRSS"), status_kib("RssAnon"), status_kib("VmHWM"),
                      count_fds()};
    return p;
}
