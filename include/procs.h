/* The process table, through libproc2 pids.h. Only processes that matter
 * to guests are tracked: QEMU processes, runtime helpers and vhost kernel
 * threads. New pids are classified once (comm first, the command line
 * and cgroup only for candidates); counters are read each refresh for the
 * tracked pids alone, so the cost follows guests, not processes. */
#ifndef VTAX_PROCS_H
#define VTAX_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "sample.h"

enum pclass {
	PC_QEMU,
	PC_HELPER,
	PC_VHOST_KT,
};

struct proc_ent {
	int pid;
	uint64_t start;            /* ticks since boot, detects pid reuse */
	enum pclass cls;
	enum helper_type htype;    /* PC_HELPER */
	char key[128];             /* PC_HELPER: guest id or name it serves */
	char *cgroup;              /* path in the walked hierarchy, owned */
	struct qemu_args qa;       /* PC_QEMU */
	int owner;                 /* PC_VHOST_KT: the QEMU pid */
	/* refreshed by procs_update() */
	uint64_t utime_ns, stime_ns, gtime_ns, blkio_ns; /* ns */
	uint64_t rss;              /* bytes */
	uint64_t rss_anon, rss_file, rss_shmem; /* bytes: RssAnon, RssFile, RssShmem */
	int alive;
};

struct procs;

/* proc_ctl: the controller whose /proc/PID/cgroup path is kept ("" = v2).
 * proc_fd: /proc (or a fixture tree) for the listing, comm and
 * ns_last_pid, borrowed: the caller keeps it open while p lives. libproc2
 * reads the rest from /proc itself. */
struct procs *procs_new(const char *proc_ctl, int proc_fd);
void procs_free(struct procs *p);

/* With scan, list /proc for new and vanished pids and classify the new
 * ones; with full, classify every pid again (after enough forks that a
 * pid may have been reused). Always read the counters of the tracked ones
 * (a tracked pid that is gone or reused drops out). Returns 0 or -errno. */
int procs_update(struct procs *p, bool scan, bool full);

/* Pids living in containers' cgroups, for the next full look to pass by
 * without reading them: nothing vtax tracks runs inside a container (a
 * QEMU there is that container's work; helpers live outside). Takes pids
 * (malloc'd, any order); dropped after the next procs_update(). */
void procs_skip(struct procs *p, int *pids, size_t n);

/* Tracked processes; valid until the next procs_update(). */
struct proc_ent *procs_list(struct procs *p, size_t *n);

/* Thread-group CPU (ns) and thread counts of a QEMU process, and the
 * sum of its threads' delay-accounting blkio time (ns). Threads whose
 * ids are in vcpu (from QMP) are vCPUs whatever their name. A thread
 * that exited keeps its CPU in its own group (see qthreads_account). */
void procs_qemu_threads(struct procs *p, int pid, const int *vcpu, int nvcpu,
			uint64_t cpu_ns[TG_COUNT], uint64_t threads[TG_COUNT], uint64_t *blkio_ns);

/* One thread of a QEMU process as read this refresh. */
struct qthread {
	int tid;
	uint64_t start;            /* ticks since boot: a reused tid is another thread */
	enum tgroup group;
	uint64_t ns;               /* utime + stime; the main thread: the process's */
	uint32_t vcpu;             /* TG_VCPU: its index ("CPU n/..." or QMP's order) */
};

/* What one QEMU process's threads had at the last refresh. The thread
 * pool's workers exit after 10 s idle and come back with the next I/O;
 * the kernel then adds their CPU to the process's, which the main
 * thread's share (total - the others) would take. gone_ns keeps it in
 * the exited threads' groups, so every group's counter only grows. */
struct qthreads_mem {
	int pid;
	uint64_t start;            /* the process's, ticks since boot */
	struct qthread *t;         /* owned: the other threads, sorted by tid */
	size_t n, cap;             /* cap: t's room, kept from refresh to refresh */
	uint64_t gone_ns[TG_COUNT]; /* ns: CPU of threads that exited */
	bool used;                 /* asked for since the last procs_update() */
};

/* Pure: the groups' CPU and thread counts from the threads read now
 * (th, n; sorted here; the main thread is the one whose tid is m->pid)
 * and what m remembers, which it then updates. */
void qthreads_account(struct qthreads_mem *m, struct qthread *th, size_t n,
		      uint64_t cpu_ns[TG_COUNT], uint64_t threads[TG_COUNT]);

/* The vCPU threads of QEMU pid as the last procs_qemu_threads() found
 * them: up to max tids and their indexes; returns how many. */
size_t procs_vcpu_threads(struct procs *p, int pid, int *tid, uint32_t *index, size_t max);

/* Read up to max of the given pids into out; returns how many. */
size_t procs_read_list(struct procs *p, const int *pids, size_t n, struct proc_sample *out,
		       size_t max);

/* Sum of delay-accounting blkio (ns) over the given pids. */
uint64_t procs_blkio_sum(struct procs *p, const int *pids, size_t n);

/* Which thread group a QEMU thread name belongs to (QEMU names its
 * threads with -name ...,debug-threads=on; without it all are emulator,
 * but vCPUs found by their ids). */
enum tgroup qemu_thread_group(const char *comm);

uint64_t procs_hz(const struct procs *p);

/* CLOCK_MONOTONIC ns when procs_update() read the counters. */
uint64_t procs_read_ns(const struct procs *p);

#endif
