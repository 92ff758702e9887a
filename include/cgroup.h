/* The cgroupfs layer: every cgroup file is read through a directory fd
 * opened once at start (openat), so tests can point vtax at a fixture
 * tree with --cgroup-root. Handles pure v2, v1 and the v1/v2 hybrid. */
#ifndef VTAX_CGROUP_H
#define VTAX_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "sample.h"
#include "util.h"

/* Open files of one cgroup, kept between refreshes and re-read with
 * pread(): an open and a close per file per refresh saved. */
#define CG_HFILES 24
struct cg_file {
	int root;                  /* hierarchy fd */
	const char *name;          /* file name (a string literal at its call site) */
	int fd;                    /* open file, FD_UNTRIED or FD_ABSENT */
	uint32_t retry;            /* FD_ABSENT: try again from this refresh on */
};
struct cg_handle {
	char *rel;
	uint64_t birth;            /* reset all files when the cgroup is reborn */
	uint32_t gen;              /* last refresh that used it */
	int n;
	struct cg_file f[CG_HFILES];
};

/* What the last refresh read of a guest's cgroup, for an idle one: a
 * cgroup whose CPU time did not move ran no task, so what only its tasks
 * change cannot have moved either (cgroup_read_guest). */
struct cg_carry {
	bool valid;
	uint64_t usage_ns, user_ns, system_ns, mem_current;
	uint64_t anon, file, inactive_file, shmem, swap;   /* memory.stat */
	uint64_t kmem, kmem_stack, kmem_pt, kmem_secpt, kmem_slab, kmem_percpu, kmem_sock;
	uint64_t io_r, io_w, io_rios, io_wios;             /* v1 blkio */
	uint64_t oom_kills;
};

struct cgfs {
	int version;        /* 2: pure v2; 1: v1 or hybrid; 0: nothing found */
	int fd_v2;          /* cgroup2 root (pure v2, or hybrid "unified"), or -1 */
	int fd_mem;         /* v1 memory root, or -1 */
	int fd_cpuacct;     /* v1 cpuacct (or cpu,cpuacct) root, or -1 */
	int fd_blkio;       /* v1 blkio root, or -1 */
	int fd_pids;        /* v1 pids root, or -1 */
	int fd_cpu;         /* v1 cpu (or cpu,cpuacct) root: CPU limit throttling, or -1 */
	int found;          /* a read of the current cgroup found its file */
	bool pressure;      /* guests: read cpu.pressure and memory.pressure */
	bool no_quota;      /* in: the guest has no v1 CPU quota (known from the
			       last limit read), so its throttling counters
			       cannot move: v1 cpu.stat is not read */
	bool no_swap;       /* in: the host has no swap (/proc/swaps), so no
			       guest has any: memory.swap.current is not read */
	const struct cg_carry *carry; /* in: the last refresh's values, or NULL */
	bool idle;          /* out: the guest's CPU time had not moved, the
			       carried values were used */
	int quota;          /* out, when limits are read on v1: 1 a CPU quota
			       is set, 0 none, -1 not known */
	uint64_t cpu_at_ns; /* ns, CLOCK_MONOTONIC: when the last guest's CPU
			       counter was read, within 1 ms; 0 if it was not */
	struct cg_handle *handles; /* sorted by rel */
	size_t nhandles, caphandles;
	struct cg_handle *cur;     /* the cgroup being read, or NULL */
	uint32_t gen;              /* refresh counter */
	int fd_walk;        /* the tree guests are discovered in (one of the above) */
	const char *proc_ctl; /* its controller in /proc/PID/cgroup ("" for v2) */
	struct sb buf;      /* scratch, reused for every read */
	struct sb path;
};

/* Whether the directory dfd may have subdirectories (false only when
 * its link count says it has none). */
bool has_subdirs(int dfd);

/* Open the hierarchies below root (normally /sys/fs/cgroup). Returns 0,
 * or -errno with *cause set to a message the caller prints and frees. */
int cgfs_open(struct cgfs *c, const char *root, char **cause);
void cgfs_close(struct cgfs *c);

/* Fill the cg_* counters of g from the cgroup at rel ("/docker/ID"); its
 * CPU from cpu_rel instead when that is not NULL. Returns 0, -ENOENT if
 * the cgroup vanished. Unreadable files leave their fields VT_UNKNOWN. */
int cgroup_read_guest(struct cgfs *c, const char *rel, const char *cpu_rel, uint64_t birth,
		      struct guest_sample *g, bool limit);

/* Bracket one refresh: files of cgroups not read in it are closed. */
void cgroup_begin(struct cgfs *c);
void cgroup_end(struct cgfs *c);

/* CPU (ns) and memory (bytes) of a helper cgroup such as lxc.monitor.NAME;
 * -ENOENT if it does not exist. */
int cgroup_read_helper(struct cgfs *c, const char *rel, uint64_t *cpu_ns, uint64_t *mem);
/* The CPU time (ns) of the guest at rel now, read from cpu_rel when not
 * NULL (the files stay open with the guest's); VT_UNKNOWN unknown. */
uint64_t cgroup_cpu_now(struct cgfs *c, const char *rel, const char *cpu_rel, uint64_t birth);

/* Whether rel exists in the walked tree. */
int cgroup_exists(struct cgfs *c, const char *rel);
/* Whether rel exists in the unified (v2) tree of a hybrid host, where the
 * walked tree is a v1 one; 0 on a pure v1 or v2 host. */
int cgroup_exists_v2(struct cgfs *c, const char *rel);

/* Tasks (threads included) in rel and below from pids.current, as
 * docker stats counts them; VT_UNKNOWN without a pids controller. birth
 * as for cgroup_read_guest (the file stays open with the guest's). */
uint64_t cgroup_count_tasks(struct cgfs *c, const char *rel, uint64_t birth);

/* Processes in rel and every cgroup below it (walked tree). If pids is
 * not NULL, their pids are appended (the caller frees *pids). */
uint64_t cgroup_count_procs(struct cgfs *c, const char *rel, int **pids, size_t *npids);
/* Processes in rel and below in the unified (v2) tree, appended to pids
 * (the caller frees it): a hybrid host's nspawn supervisor/. */
uint64_t cgroup_list_procs_v2(struct cgfs *c, const char *rel, int **pids, size_t *npids);
/* The same over every thread (cgroup.threads, or v1 tasks; cgroup.procs
 * where neither exists): /proc/PID/stat's blkio ticks are the thread's own. */
uint64_t cgroup_list_threads(struct cgfs *c, const char *rel, int **tids, size_t *ntids);

#endif
