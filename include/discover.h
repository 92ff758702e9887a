/* Guest discovery: which cgroup paths and processes are guests, of what
 * runtime, with what id and name, and which helpers serve them. */
#ifndef VTAX_DISCOVER_H
#define VTAX_DISCOVER_H

#include <stddef.h>

#include "cgroup.h"
#include "sample.h"

struct guest_match {
	enum runtime rt;       /* RT_COUNT when the path is no guest */
	char id[128];
	char name[256];
	char payload[4096];    /* cgroup to measure (the guest, or its payload child) */
	char helper_cg[4096];  /* helper cgroup (lxc monitor, nspawn supervisor,
				 podman conmon scope), "" if none */
	uint64_t ino;          /* inode of the guest's cgroup directory (walk only) */
	bool cpu_payload_v2;   /* nspawn on a v1/v2 hybrid: payload/ and supervisor/
				 exist only in the unified tree; CPU is read from
				 payload/ there, memory from the whole scope */
};

/* Classify one cgroup path ("/lxc.payload.web"). Returns 1 and fills m
 * when the path is a guest, 0 otherwise. Pure: no I/O. */
int discover_classify(const char *path, struct guest_match *m);

/* Whether a cgroup path belongs to a helper (lxc.monitor, conmon scope,
 * nspawn supervisor), which discovery must not take for a guest. */
int discover_is_helper_cgroup(const char *path);

/* Walk the cgroup tree and call fn for every guest found; a guest's
 * subtree is not descended (nested cgroups roll up into it). */
typedef void (*discover_fn)(const struct guest_match *m, void *arg);
void discover_walk(struct cgfs *c, discover_fn fn, void *arg);

#endif
