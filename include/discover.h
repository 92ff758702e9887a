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

/* One guest the last walk found (discover_cache). */
struct disc_ent {
	enum runtime rt;
	char *id, *name, *payload, *helper_cg;   /* owned */
	uint64_t ino;
	bool cpu_payload_v2;
};

/* What the last walk found, given again while no directory it looked in
 * changed: inotify watches every directory the walk opened, and any
 * event (a cgroup made, removed or renamed) makes the next call walk. A
 * walk is made at least every DISCOVER_EVERY_NS all the same, and every
 * time where inotify cannot watch. */
struct discover_cache {
	int ifd;                 /* inotify; -1 none: walk every time */
	bool tried;              /* ifd was set up */
	bool due;                /* walk at the next call */
	struct disc_ent *e;
	size_t n;
	uint64_t walked_ns;      /* monotonic; 0 never */
};

#define DISCOVER_EVERY_NS (10000000000ull)

void discover_cache_free(struct discover_cache *d);

/* Walk the cgroup tree and call fn for every guest found; a guest's
 * subtree is not descended (nested cgroups roll up into it). With d
 * (zeroed at first), what the last walk found while nothing changed. */
typedef void (*discover_fn)(const struct guest_match *m, void *arg);
void discover_walk(struct cgfs *c, struct discover_cache *d, discover_fn fn, void *arg);

#endif
