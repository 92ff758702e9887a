/* Process tracking through libproc2: classify once, count each refresh. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libproc2/pids.h>

#include "procs.h"
#include "util.h"

/* libproc2 select lists are bounded; stay well below the limit. */
#define SELECT_CHUNK 200

/* Items are addressed by their position in these arrays, never by the
 * library's enum numbers (they change between libproc2 releases). */
enum { S_PID, S_PPID, S_BEGAN, S_CMD, S_NITEMS };
static enum pids_item scan_items[S_NITEMS] = {
	[S_PID] = PIDS_ID_PID, [S_PPID] = PIDS_ID_PPID, [S_BEGAN] = PIDS_TICS_BEGAN, [S_CMD] = PIDS_CMD,
};

enum { D_PID, D_TGID, D_BEGAN, D_CMDLINE, D_CGROUP, D_NITEMS };
static enum pids_item detail_items[D_NITEMS] = {
	[D_PID] = PIDS_ID_PID, [D_TGID] = PIDS_ID_TGID, [D_BEGAN] = PIDS_TICS_BEGAN,
	[D_CMDLINE] = PIDS_CMDLINE_V, [D_CGROUP] = PIDS_CGROUP_V,
};

enum { C_PID, C_BEGAN, C_UTIME, C_STIME, C_GTIME, C_BLKIO, C_RES, C_ANON, C_FILE, C_SHMEM, C_NITEMS };
static enum pids_item count_items[C_NITEMS] = {
	[C_PID] = PIDS_ID_PID, [C_BEGAN] = PIDS_TICS_BEGAN, [C_UTIME] = PIDS_TICS_USER,
	[C_STIME] = PIDS_TICS_SYSTEM, [C_GTIME] = PIDS_TICS_GUEST, [C_BLKIO] = PIDS_TICS_BLKIO,
	[C_RES] = PIDS_MEM_RES, [C_ANON] = PIDS_VM_RSS_ANON, [C_FILE] = PIDS_VM_RSS_FILE,
	[C_SHMEM] = PIDS_VM_RSS_SHARED,
};

/* delay-accounting blkio ticks of single tasks (one stat read each) */
enum { B_BLKIO, B_NITEMS };
static enum pids_item blkio_items[B_NITEMS] = {[B_BLKIO] = PIDS_TICS_BLKIO};

/* No TGID item: every thread a PID_THREADS select of one pid returns is
 * that pid's, and asking for TGID would read each thread's status file. */
enum { T_TID, T_BEGAN, T_CMD, T_UTIME, T_STIME, T_BLKIO, T_NITEMS };
static enum pids_item thread_items[T_NITEMS] = {
	[T_TID] = PIDS_ID_TID, [T_BEGAN] = PIDS_TICS_BEGAN, [T_CMD] = PIDS_CMD, [T_UTIME] = PIDS_TICS_USER,
	[T_STIME] = PIDS_TICS_SYSTEM, [T_BLKIO] = PIDS_TICS_BLKIO,
};

enum { L_PID, L_BEGAN, L_CMD, L_UTIME, L_STIME, L_RES, L_NITEMS };
static enum pids_item list_items[L_NITEMS] = {
	[L_PID] = PIDS_ID_PID, [L_BEGAN] = PIDS_TICS_BEGAN, [L_CMD] = PIDS_CMD,
	[L_UTIME] = PIDS_TICS_USER, [L_STIME] = PIDS_TICS_SYSTEM, [L_RES] = PIDS_MEM_RES,
};

struct procs {
	int proc_fd;               /* /proc, for the listing and the cheap comm
				      reads; borrowed */
	struct pids_info *scan, *detail, *count, *thread, *list, *blkio;
	const char *proc_ctl;
	uint64_t hz;
	int *seen;                 /* sorted pids already classified */
	size_t nseen, capseen;
	int *young;                /* pids new at the last scan: looked at again */
	size_t nyoung;             /* at the next one, in case they exec'd since */
	long last_pid;             /* ns_last_pid at the last scan, -1 unknown */
	int *skip;                 /* sorted: pids the next full look passes by */
	size_t nskip;
	struct proc_ent *ents;     /* tracked, sorted by pid */
	size_t nents, capents;
	struct qthreads_mem *qmem; /* per QEMU process asked for, owned */
	size_t nqmem;
	uint64_t read_ns;
	struct sb buf;
};

uint64_t procs_read_ns(const struct procs *p)
{
	return p->read_ns;
}

struct procs *procs_new(const char *proc_ctl, int proc_fd)
{
	struct procs *p = xcalloc(1, sizeof(*p));
	p->proc_ctl = proc_ctl;
	p->proc_fd = proc_fd;
	p->last_pid = -1;
	long hz = sysconf(_SC_CLK_TCK);
	p->hz = hz > 0 ? (uint64_t)hz : 100;
	if (procps_pids_new(&p->scan, scan_items, S_NITEMS) < 0 ||
	    procps_pids_new(&p->detail, detail_items, D_NITEMS) < 0 ||
	    procps_pids_new(&p->count, count_items, C_NITEMS) < 0 ||
	    procps_pids_new(&p->thread, thread_items, T_NITEMS) < 0 ||
	    procps_pids_new(&p->list, list_items, L_NITEMS) < 0 ||
	    procps_pids_new(&p->blkio, blkio_items, B_NITEMS) < 0) {
		procs_free(p);
		return NULL;
	}
	return p;
}

void procs_free(struct procs *p)
{
	if (!p)
		return;
	if (p->scan)
		procps_pids_unref(&p->scan);
	if (p->detail)
		procps_pids_unref(&p->detail);
	if (p->count)
		procps_pids_unref(&p->count);
	if (p->thread)
		procps_pids_unref(&p->thread);
	if (p->list)
		procps_pids_unref(&p->list);
	if (p->blkio)
		procps_pids_unref(&p->blkio);
	for (size_t i = 0; i < p->nents; i++)
		free(p->ents[i].cgroup);
	free(p->ents);
	for (size_t i = 0; i < p->nqmem; i++)
		free(p->qmem[i].t);
	free(p->qmem);
	free(p->seen);
	free(p->young);
	free(p->skip);
	sb_free(&p->buf);
	free(p);
}

uint64_t procs_hz(const struct procs *p)
{
	return p->hz;
}

static uint64_t tick_ns(const struct procs *p, unsigned long long t)
{
	return (uint64_t)t * (1000000000ull / p->hz);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Every numeric entry of /proc, sorted. */
static int list_pids(int proc_fd, int **out, size_t *n)
{
	int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	size_t cap = *n > 64 ? *n : 1024;
	int *v = xmalloc(cap * sizeof(*v));
	size_t k = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (k == cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[k++] = atoi(de->d_name);
	}
	closedir(d);
	qsort(v, k, sizeof(*v), cmp_int);
	*out = v;
	*n = k;
	return 0;
}

static struct proc_ent *add_ent(struct procs *p)
{
	if (p->nents == p->capents) {
		p->capents = p->capents ? p->capents * 2 : 16;
		p->ents = xrealloc(p->ents, p->capents * sizeof(*p->ents));
	}
	struct proc_ent *e = &p->ents[p->nents++];
	memset(e, 0, sizeof(*e));
	e->utime_ns = e->stime_ns = e->gtime_ns = e->blkio_ns = e->rss = VT_UNKNOWN;
	e->rss_anon = e->rss_file = e->rss_shmem = VT_UNKNOWN;
	return e;
}

/* Join a strv with sep into p->buf. */
static void join(struct sb *b, char **v, char sep)
{
	sb_clear(b);
	for (size_t i = 0; v && v[i]; i++) {
		sb_adds(b, v[i]);
		sb_addc(b, sep);
	}
}

static void classify_detail(struct procs *p, struct pids_stack *st)
{
	int pid = st->head[D_PID].result.s_int;
	if (st->head[D_TGID].result.s_int != pid)
		return; /* a thread reached by probing a new id: not a process */
	char **argv = st->head[D_CMDLINE].result.strv;
	if (!argv || !argv[0] || !argv[0][0] || !strcmp(argv[0], "-"))
		return;
	join(&p->buf, argv, '\0');
	size_t alen = p->buf.len;
	char *args = xmalloc(alen + 1);
	memcpy(args, p->buf.s, alen + 1);
	struct proc_ent tmp;
	memset(&tmp, 0, sizeof(tmp));
	int keep = 0;
	if (is_qemu_argv0(args)) {
		tmp.cls = PC_QEMU;
		parse_qemu_args(args, alen, &tmp.qa);
		keep = 1;
	} else {
		tmp.htype = parse_helper(args, alen, tmp.key, sizeof(tmp.key));
		if (tmp.htype != HELPER_NONE) {
			tmp.cls = PC_HELPER;
			keep = 1;
		}
	}
	free(args);
	if (!keep)
		return;
	struct proc_ent *e = add_ent(p);
	int cls = tmp.cls;
	*e = tmp;
	e->cls = cls;
	e->pid = pid;
	e->start = st->head[D_BEGAN].result.ull_int;
	e->utime_ns = e->stime_ns = e->gtime_ns = e->blkio_ns = e->rss = VT_UNKNOWN;
	e->rss_anon = e->rss_file = e->rss_shmem = VT_UNKNOWN;
	join(&p->buf, st->head[D_CGROUP].result.strv, '\n');
	char path[4096];
	if (!parse_proc_cgroup(p->buf.s, p->proc_ctl, path, sizeof(path)))
		e->cgroup = xstrdup(path);
}

static void drop_skip(struct procs *p)
{
	free(p->skip);
	p->skip = NULL;
	p->nskip = 0;
}

void procs_skip(struct procs *p, int *pids, size_t n)
{
	drop_skip(p);
	qsort(pids, n, sizeof(*pids), cmp_int);
	p->skip = pids;
	p->nskip = n;
}

/* Classify new pids. The comm of each is one small read; libproc2 reads
 * stat, cmdline and cgroup only for the few whose comm may be ours. */
static void classify(struct procs *p, const int *pids, size_t n)
{
	unsigned *cand = xmalloc((n + 1) * sizeof(*cand));
	unsigned *kt = xmalloc((n + 1) * sizeof(*kt));
	size_t ncand = 0, nkt = 0;
	for (size_t i = 0; i < n; i++) {
		if (p->nskip && bsearch(&pids[i], p->skip, p->nskip, sizeof(*p->skip), cmp_int))
			continue;
		char path[32];
		snprintf(path, sizeof(path), "%d/comm", pids[i]);
		if (read_small_at(p->proc_fd, path, &p->buf, 64))
			continue;
		if (!strncmp(p->buf.s, "vhost-", 6))
			kt[nkt++] = (unsigned)pids[i];
		else if (parse_candidate_comm(p->buf.s))
			cand[ncand++] = (unsigned)pids[i];
	}
	/* vhost workers: confirm they are kernel threads (parent kthreadd) */
	for (size_t off = 0; off < nkt; off += SELECT_CHUNK) {
		size_t k = nkt - off < SELECT_CHUNK ? nkt - off : SELECT_CHUNK;
		struct pids_fetch *f = procps_pids_select(p->scan, kt + off, (int)k, PIDS_SELECT_PID);
		if (!f)
			continue;
		for (int i = 0; i < f->counts->total; i++) {
			struct pids_stack *st = f->stacks[i];
			const char *comm = st->head[S_CMD].result.str;
			int ppid = st->head[S_PPID].result.s_int;
			if (!comm)
				continue;
			if (ppid == 2 && !strncmp(comm, "vhost-", 6) && isdigit((unsigned char)comm[6])) {
				struct proc_ent *e = add_ent(p);
				e->cls = PC_VHOST_KT;
				e->pid = st->head[S_PID].result.s_int;
				e->start = st->head[S_BEGAN].result.ull_int;
				e->owner = atoi(comm + 6);
			}
		}
	}
	free(kt);
	for (size_t off = 0; off < ncand; off += SELECT_CHUNK) {
		size_t k = ncand - off < SELECT_CHUNK ? ncand - off : SELECT_CHUNK;
		struct pids_fetch *f = procps_pids_select(p->detail, cand + off, (int)k, PIDS_SELECT_PID);
		if (!f)
			continue;
		for (int i = 0; i < f->counts->total; i++)
			classify_detail(p, f->stacks[i]);
	}
	free(cand);
}

static int cmp_ent(const void *a, const void *b)
{
	const struct proc_ent *x = a, *y = b;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static struct proc_ent *find_ent(struct procs *p, int pid)
{
	struct proc_ent key = {.pid = pid};
	if (!p->nents)
		return NULL;
	return bsearch(&key, p->ents, p->nents, sizeof(*p->ents), cmp_ent);
}

/* Drop the tracked processes that are gone, and the thread memory of a
 * QEMU that is neither tracked nor was asked for since the last update. */
static void drop_dead(struct procs *p)
{
	size_t o = 0;
	for (size_t i = 0; i < p->nents; i++) {
		if (p->ents[i].alive)
			p->ents[o++] = p->ents[i];
		else
			free(p->ents[i].cgroup);
	}
	p->nents = o;
	o = 0;
	for (size_t i = 0; i < p->nqmem; i++) {
		struct qthreads_mem *m = &p->qmem[i];
		struct proc_ent *e = find_ent(p, m->pid);
		if (m->used || (e && e->start == m->start)) {
			m->used = false;
			p->qmem[o++] = *m;
		} else {
			free(m->t);
		}
	}
	p->nqmem = o;
}

/* Read counters of every tracked pid; mark the ones gone or reused. */
static void read_counters(struct procs *p)
{
	unsigned *ids = xmalloc((p->nents + 1) * sizeof(*ids));
	for (size_t i = 0; i < p->nents; i++) {
		ids[i] = (unsigned)p->ents[i].pid;
		p->ents[i].alive = 0;
	}
	for (size_t off = 0; off < p->nents; off += SELECT_CHUNK) {
		size_t k = p->nents - off < SELECT_CHUNK ? p->nents - off : SELECT_CHUNK;
		struct pids_fetch *f = procps_pids_select(p->count, ids + off, (int)k, PIDS_SELECT_PID);
		if (!f)
			continue;
		for (int i = 0; i < f->counts->total; i++) {
			struct pids_result *r = f->stacks[i]->head;
			struct proc_ent *e = find_ent(p, r[C_PID].result.s_int);
			if (!e || e->start != r[C_BEGAN].result.ull_int)
				continue; /* gone, or the pid now names another process */
			e->alive = 1;
			e->utime_ns = tick_ns(p, r[C_UTIME].result.ull_int);
			e->stime_ns = tick_ns(p, r[C_STIME].result.ull_int);
			e->gtime_ns = tick_ns(p, r[C_GTIME].result.ull_int);
			e->blkio_ns = tick_ns(p, r[C_BLKIO].result.ull_int);
			e->rss = (uint64_t)r[C_RES].result.ul_int * 1024;
			e->rss_anon = (uint64_t)r[C_ANON].result.ul_int * 1024;
			e->rss_file = (uint64_t)r[C_FILE].result.ul_int * 1024;
			e->rss_shmem = (uint64_t)r[C_SHMEM].result.ul_int * 1024;
		}
	}
	free(ids);
}

/* Sort the tracked entries by pid; a pid classified twice keeps one. */
static void sort_unique(struct procs *p)
{
	if (p->nents)
		qsort(p->ents, p->nents, sizeof(*p->ents), cmp_ent);
	size_t o = 0;
	for (size_t i = 0; i < p->nents; i++) {
		if (o && p->ents[o - 1].pid == p->ents[i].pid) {
			free(p->ents[i].cgroup);
			continue;
		}
		p->ents[o++] = p->ents[i];
	}
	p->nents = o;
}

/* The last pid the kernel handed out in our namespace, or -1. */
static long ns_last_pid(struct procs *p)
{
	if (read_small_at(p->proc_fd, "sys/kernel/ns_last_pid", &p->buf, 64))
		return -1;
	return strtol(p->buf.s, NULL, 10);
}

/* Look only at the ids handed out since the last scan: cheaper than
 * listing /proc when few were, and the cost then follows the forks, not
 * the number of processes. False when a listing is needed (first scan,
 * the allocator wrapped around, or more new ids than processes). */
static bool probe_new(struct procs *p, long last)
{
	if (p->last_pid < 0 || last < 0 || last < p->last_pid ||
	    (size_t)(last - p->last_pid) > p->nseen / 2 + 64)
		return false;
	size_t n = (size_t)(last - p->last_pid);
	int *ids = xmalloc((n + 1) * sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		ids[i] = (int)(p->last_pid + 1 + (long)i);
	/* last scan's new ones first: they may have exec'd since */
	size_t ny = 0;
	for (size_t i = 0; i < p->nyoung; i++)
		if (!find_ent(p, p->young[i]))
			p->young[ny++] = p->young[i];
	if (ny)
		classify(p, p->young, ny);
	classify(p, ids, n);
	free(p->young);
	p->young = ids;
	p->nyoung = n;
	return true;
}

/* The counters, and when they were read: the middle of the read, not its
 * start (a read delayed after the clock made a QEMU show 296% on 2 CPUs
 * in the churn soak). */
static void read_counters_timed(struct procs *p)
{
	uint64_t t0 = now_mono_ns();
	read_counters(p);
	uint64_t t1 = now_mono_ns();
	p->read_ns = t0 + (t1 - t0) / 2;
}

int procs_update(struct procs *p, bool scan, bool full)
{
	if (!(scan && full))
		drop_skip(p); /* only a full look may pass pids by */
	long last = scan ? ns_last_pid(p) : -1;
	if (scan && !full && probe_new(p, last)) {
		p->last_pid = last;
		scan = false; /* done: no listing */
		sort_unique(p);
	}
	if (!scan) {
		read_counters_timed(p);
		drop_dead(p);
		return 0;
	}
	p->last_pid = last;
	int *cur = NULL;
	size_t ncur = p->nseen;
	int err = list_pids(p->proc_fd, &cur, &ncur);
	if (err)
		return err;
	if (full) {
		/* a fresh look catches pids reused since the last one */
		p->nseen = 0;
		for (size_t i = 0; i < p->nents; i++)
			free(p->ents[i].cgroup);
		p->nents = 0;
	}
	/* new pids: in cur, not in seen (both sorted) */
	int *fresh = xmalloc((ncur + 1) * sizeof(*fresh));
	size_t nfresh = 0, j = 0;
	for (size_t i = 0; i < ncur; i++) {
		while (j < p->nseen && p->seen[j] < cur[i])
			j++;
		if (j >= p->nseen || p->seen[j] != cur[i])
			fresh[nfresh++] = cur[i];
	}
	/* last scan's new pids may have exec'd (fork, then exec qemu) since
	 * they were classified: one more look, then they are settled */
	size_t nyoung = 0;
	for (size_t i = 0; i < p->nyoung; i++)
		if (bsearch(&p->young[i], cur, ncur, sizeof(*cur), cmp_int) &&
		    !find_ent(p, p->young[i]))
			p->young[nyoung++] = p->young[i];
	if (nyoung)
		classify(p, p->young, nyoung);
	if (nfresh)
		classify(p, fresh, nfresh);
	free(p->young);
	/* after a first or full look every pid is "new", not young */
	bool everything = full || nfresh == ncur;
	p->young = everything ? NULL : fresh;
	p->nyoung = everything ? 0 : nfresh;
	if (everything)
		free(fresh);
	free(p->seen);
	p->seen = cur;
	p->nseen = ncur;
	p->capseen = ncur;
	drop_skip(p);
	sort_unique(p);
	read_counters_timed(p);
	drop_dead(p);
	return 0;
}

struct proc_ent *procs_list(struct procs *p, size_t *n)
{
	*n = p->nents;
	return p->ents;
}

/* QEMU's thread names (qemu_thread_create), first match wins; any other
 * thread is an emulator thread. comm holds 15 characters. */
static const struct {
	const char *comm;
	bool prefix;               /* comm starts with it; else is it */
	enum tgroup group;
} qemu_thread_names[] = {
	{"CPU ", true, TG_VCPU},            /* "CPU 0/KVM", "CPU 1/TCG" */
	/* the QMP monitor's own thread serves the monitor, not a device */
	{"IO mon_iothread", false, TG_EMU},
	{"IO ", true, TG_IO},               /* "IO iot0": -object iothread,id=iot0 */
	/* util/thread-pool.c: preadv/pwritev of aio=threads drives (QEMU's
	 * default for a file), flush, discard, 9p; one pool per AioContext */
	{"worker", false, TG_POOL},
	{"vhost-", true, TG_VHOST},         /* "vhost-PID": vhost worker threads */
};

enum tgroup qemu_thread_group(const char *comm)
{
	for (size_t i = 0; i < ARRAY_SIZE(qemu_thread_names); i++) {
		const char *name = qemu_thread_names[i].comm;
		if (qemu_thread_names[i].prefix ? !strncmp(comm, name, strlen(name)) : !strcmp(comm, name))
			return qemu_thread_names[i].group;
	}
	return TG_EMU;
}

static int cmp_qthread(const void *a, const void *b)
{
	const struct qthread *x = a, *y = b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

void qthreads_account(struct qthreads_mem *m, struct qthread *th, size_t n,
		      uint64_t cpu_ns[TG_COUNT], uint64_t threads[TG_COUNT])
{
	for (int g = 0; g < TG_COUNT; g++)
		cpu_ns[g] = threads[g] = 0;
	if (n)
		qsort(th, n, sizeof(*th), cmp_qthread);
	/* threads of the last refresh not here now (or whose tid is
	 * another thread's now) have exited: their CPU stays theirs */
	size_t j = 0;
	for (size_t i = 0; i < m->n; i++) {
		while (j < n && th[j].tid < m->t[i].tid)
			j++;
		if (j == n || th[j].tid != m->t[i].tid || th[j].start != m->t[i].start)
			m->gone_ns[m->t[i].group] += m->t[i].ns;
	}
	/* libproc2 reports the main thread (tid == pid) with the process's
	 * totals: its own share is what the other threads, living and
	 * exited, do not account for */
	uint64_t total = 0, others = 0;
	enum tgroup main_group = TG_EMU;
	/* the last refresh's threads are no longer needed: their room is
	 * reused (no allocation per VM per refresh once it is large enough) */
	size_t k = 0;
	if (m->cap < n + 1) {
		m->cap = n + 1;
		m->t = xrealloc(m->t, m->cap * sizeof(*m->t));
	}
	struct qthread *keep = m->t;
	for (size_t i = 0; i < n; i++) {
		threads[th[i].group]++;
		if (th[i].tid == m->pid) {
			total = th[i].ns;
			main_group = th[i].group;
			continue;
		}
		cpu_ns[th[i].group] += th[i].ns;
		others += th[i].ns;
		keep[k++] = th[i];
	}
	for (int g = 0; g < TG_COUNT; g++) {
		cpu_ns[g] += m->gone_ns[g];
		others += m->gone_ns[g];
	}
	cpu_ns[main_group] += sat_sub(total, others);
	m->n = k;
}

/* The thread memory of QEMU pid (started at start), made when new. */
static struct qthreads_mem *qthreads_mem(struct procs *p, int pid, uint64_t start)
{
	struct qthreads_mem *m = NULL;
	for (size_t i = 0; i < p->nqmem && !m; i++)
		if (p->qmem[i].pid == pid)
			m = &p->qmem[i];
	if (m && m->start != start) {
		free(m->t);
		*m = (struct qthreads_mem){0};
	}
	if (!m) {
		p->qmem = xrealloc(p->qmem, (p->nqmem + 1) * sizeof(*p->qmem));
		m = &p->qmem[p->nqmem++];
		*m = (struct qthreads_mem){0};
	}
	m->pid = pid;
	m->start = start;
	m->used = true;
	return m;
}

void procs_qemu_threads(struct procs *p, int pid, const int *vcpu, int nvcpu,
			uint64_t cpu_ns[TG_COUNT], uint64_t threads[TG_COUNT], uint64_t *blkio_ns)
{
	for (int g = 0; g < TG_COUNT; g++)
		cpu_ns[g] = threads[g] = VT_UNKNOWN;
	*blkio_ns = VT_UNKNOWN;
	unsigned id = (unsigned)pid;
	struct pids_fetch *f = procps_pids_select(p->thread, &id, 1, PIDS_SELECT_PID_THREADS);
	if (!f || f->counts->total == 0)
		return;
	/* delay accounting's blkio ticks are each thread's own, the main
	 * thread's too: their sum is the process's */
	uint64_t blk = 0, start = VT_UNKNOWN;
	size_t n = (size_t)f->counts->total;
	struct qthread *th = xmalloc(n * sizeof(*th));
	for (size_t i = 0; i < n; i++) {
		struct pids_result *r = f->stacks[i]->head;
		const char *comm = r[T_CMD].result.str ? r[T_CMD].result.str : "";
		int tid = r[T_TID].result.s_int;
		enum tgroup g = qemu_thread_group(comm);
		unsigned idx = 0;
		if (g == TG_VCPU && sscanf(comm, "CPU %u/", &idx) != 1)
			idx = 0;
		for (int k = 0; k < nvcpu; k++)
			if (vcpu[k] == tid) {
				g = TG_VCPU;
				idx = (unsigned)k;
			}
		th[i] = (struct qthread){.tid = tid, .start = r[T_BEGAN].result.ull_int, .group = g,
					 .ns = tick_ns(p, r[T_UTIME].result.ull_int + r[T_STIME].result.ull_int),
					 .vcpu = idx};
		if (tid == pid)
			start = th[i].start;
		blk += r[T_BLKIO].result.ull_int;
	}
	qthreads_account(qthreads_mem(p, pid, start), th, n, cpu_ns, threads);
	free(th);
	*blkio_ns = tick_ns(p, blk);
}

size_t procs_vcpu_threads(struct procs *p, int pid, int *tid, uint32_t *index, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < p->nqmem; i++) {
		const struct qthreads_mem *m = &p->qmem[i];
		if (m->pid != pid)
			continue;
		for (size_t j = 0; j < m->n && k < max; j++)
			if (m->t[j].group == TG_VCPU) {
				tid[k] = m->t[j].tid;
				index[k++] = m->t[j].vcpu;
			}
	}
	return k;
}

size_t procs_read_list(struct procs *p, const int *pids, size_t n, struct proc_sample *out,
		       size_t max)
{
	size_t k = 0;
	if (n > max)
		n = max;
	for (size_t off = 0; off < n && k < max; off += SELECT_CHUNK) {
		size_t c = n - off < SELECT_CHUNK ? n - off : SELECT_CHUNK;
		struct pids_fetch *f = procps_pids_select(p->list, (unsigned *)(uintptr_t)(pids + off),
							  (int)c, PIDS_SELECT_PID);
		if (!f)
			continue;
		for (int i = 0; i < f->counts->total && k < max; i++) {
			struct pids_result *r = f->stacks[i]->head;
			struct proc_sample *o = &out[k++];
			o->pid = r[L_PID].result.s_int;
			o->start = r[L_BEGAN].result.ull_int;
			o->cpu_ns = tick_ns(p, r[L_UTIME].result.ull_int + r[L_STIME].result.ull_int);
			o->rss = (uint64_t)r[L_RES].result.ul_int * 1024;
			str_copy(o->comm, sizeof(o->comm), r[L_CMD].result.str ? r[L_CMD].result.str : "?");
		}
	}
	return k;
}

uint64_t procs_blkio_sum(struct procs *p, const int *pids, size_t n)
{
	uint64_t sum = 0;
	for (size_t off = 0; off < n; off += SELECT_CHUNK) {
		size_t k = n - off < SELECT_CHUNK ? n - off : SELECT_CHUNK;
		struct pids_fetch *f = procps_pids_select(p->blkio, (unsigned *)(uintptr_t)(pids + off),
							  (int)k, PIDS_SELECT_PID);
		if (!f)
			continue;
		for (int i = 0; i < f->counts->total; i++)
			sum += tick_ns(p, f->stacks[i]->head[B_BLKIO].result.ull_int);
	}
	return sum;
}
