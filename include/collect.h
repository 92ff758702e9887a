/* The collector: reads the live host into a struct sample. The only
 * layer that touches /proc and cgroupfs (through host.c, cgroup.c,
 * procs.c and discover.c). Its own reads go through directory fds opened
 * once (proc_root, sys_root, cgroup_root), so tests point it at fixture
 * trees. */
#ifndef VTAX_COLLECT_H
#define VTAX_COLLECT_H

#include "agent.h"
#include "sample.h"

struct collect_opts {
	const char *cgroup_root;   /* default /sys/fs/cgroup */
	const char *proc_root;     /* default /proc: what vtax reads itself
				      (libproc2 reads /proc) */
	const char *sys_root;      /* default /sys (KSM) */
	const char *pve_dir;       /* default /etc/pve */
	const char *kvm_dir;       /* default /sys/kernel/debug/kvm */
	struct agent_opts agent;   /* Engine API and QMP */
	bool profile_steps;        /* --profile-steps: print each step's CPU at the end */
	bool guest_pressure;       /* read each guest's cpu.pressure and
	                            * memory.pressure too (only JSON shows them) */
};

struct collector;

/* Returns NULL and sets *cause (caller frees) when the host cannot be
 * read at all. */
struct collector *collector_new(const struct collect_opts *o, char **cause);
void collector_free(struct collector *c);

/* The guest ("runtime/id") whose processes each sample should carry, or
 * NULL for none. */
void collector_set_focus(struct collector *c, const char *key);

/* Take one sample into s (cleared first). Returns 0 or -errno. */
int collector_sample(struct collector *c, struct sample *s);
/* Once the frame of the last sample is out, and another sample will
 * follow: read what only the next frame's rates need (the base of the
 * task I/O of containers seen first), so the first frame comes sooner
 * and a run of one frame never reads it. */
void collector_settle(struct collector *c);

#endif
