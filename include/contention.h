/* Contention, inside the model: what guests levy on each other (host-side
 * wait, disk share, blame). Pure; called by model.c. Definitions in
 * doc/metrics.md ("Contention"). */
#ifndef VTAX_CONTENTION_H
#define VTAX_CONTENTION_H

#include <stdint.h>

#include "model.h"

/* Host iowait (% of all CPUs) or I/O pressure (% of the interval some
 * task stalled) at which the header names the guest that moved most of
 * the disk's bytes: a busy CPU hides iowait, pressure does not. */
#define IOWAIT_BLAME_PCT 1.0
#define IOPSI_BLAME_PCT 10.0

/* A guest's wait, its vCPUs' and its disk latency over its interval gdt
 * (ns; p NULL: no previous sample). */
void contention_guest(const struct guest_sample *p, const struct guest_sample *g, uint64_t gdt,
		      struct guest_view *v);
/* With every guest computed: the host's disk rates, each guest's share of
 * them, the guest behind the host's iowait, and the interval's blame. */
void contention_frame(const struct sample *prev, uint64_t dt, struct frame *f);

#endif
