/* Host-wide collection: /proc/stat and /proc/meminfo through libproc2,
 * pressure, KSM, ZFS ARC, load and uptime read below directory fds. */
#ifndef VTAX_HOST_H
#define VTAX_HOST_H

#include "sample.h"

struct host_reader;

/* proc_fd, sys_fd: /proc and /sys (or fixture trees), borrowed: the
 * caller keeps them open while the reader lives; -1 leaves what is below
 * them unknown. */
struct host_reader *host_reader_new(int proc_fd, int sys_fd, char **cause);
void host_reader_free(struct host_reader *h);

/* Fill h. Unreadable parts stay VT_UNKNOWN. Returns 0 or -errno when
 * /proc/stat itself cannot be read. */
int host_read(struct host_reader *r, struct host_sample *h);

/* vtax's own cost so far into h->self_cpu_ns and h->self_rss (VmRSS
 * from the reader's proc root: only where that is this host's /proc);
 * unreadable parts stay as they are. */
void host_read_self(struct host_reader *r, struct host_sample *h);

#endif
