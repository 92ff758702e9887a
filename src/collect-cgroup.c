/* Guests from the cgroup tree: discovery, and each one's counters from
 * its cgroup (and its helper cgroup), with memory limits cached. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-int.h"
#include "discover.h"
#include "parse.h"

/* Memory limits change rarely: read each at most every LIMIT_EVERY_NS. */
#define LIMIT_EVERY_NS (10000000000ull)
/* A container's tasks' /proc/PID/io (one read per process), where its
 * cgroup's CPU time is not known, whose sums did not move since the read
 * before: read again after TASK_IO_IDLE_NS. */
#define TASK_IO_IDLE_NS (5000000000ull)

/* What a refresh keeps of each cgroup guest for the next one. */
struct keep {
	uint64_t lim_read;  /* when its limit was read */
	uint64_t tio_read;  /* when its tasks' I/O was read */
	uint64_t tio_cpu;   /* the cgroup's CPU time then */
	bool tio_idle;
	bool tio_pending;   /* read them once the frame is out */
	bool no_quota;      /* no v1 CPU quota: its throttling is carried */
	uint64_t full_ns;   /* when its counters were last all read */
	uint64_t helper_absent_ns; /* when its helper cgroup was found absent */
};

/* A helper cgroup found absent is looked for again after this long. */
#define HELPER_LOOK_NS (10000000000ull)

/* An idle guest's counters are carried at most this long: a full read
 * then catches what moves without its tasks (LRU ageing, reclaim). */
#define CARRY_MAX_NS (10000000000ull)

static struct cg_carry carry_of(const struct guest_sample *g)
{
	return (struct cg_carry){
		.valid = true, .usage_ns = g->cg_usage_ns, .user_ns = g->cg_user_ns,
		.system_ns = g->cg_system_ns, .mem_current = g->cg_mem_current,
		.anon = g->cg_mem_anon, .file = g->cg_mem_file,
		.inactive_file = g->cg_mem_inactive_file, .shmem = g->cg_mem_shmem, .swap = g->cg_swap,
		.kmem = g->cg_kmem, .kmem_stack = g->cg_kmem_stack, .kmem_pt = g->cg_kmem_pagetables,
		.kmem_secpt = g->cg_kmem_sec_pagetables, .kmem_slab = g->cg_kmem_slab,
		.kmem_percpu = g->cg_kmem_percpu, .kmem_sock = g->cg_kmem_sock,
		.io_r = g->cg_io_rbytes, .io_w = g->cg_io_wbytes, .io_rios = g->cg_io_rios,
		.io_wios = g->cg_io_wios, .oom_kills = g->cg_oom_kills,
	};
}

static void on_guest(const struct guest_match *m, void *arg)
{
	struct guest_sample *g = sample_add_guest(arg);
	g->runtime = m->rt;
	g->id = xstrdup(m->id);
	if (m->name[0])
		g->name = xstrdup(m->name);
	g->cgroup = xstrdup(m->payload);
	if (m->helper_cg[0])
		g->helper_cg = xstrdup(m->helper_cg);
	g->cpu_payload_v2 = m->cpu_payload_v2;
	/* the directory's inode tells a recreated cgroup from the old one */
	g->birth = m->ino;
}

static int cmp_lim(const void *a, const void *b)
{
	return strcmp(((const struct lim_ent *)a)->path, ((const struct lim_ent *)b)->path);
}

/* The last refresh's entry for g's cgroup, or NULL. */
static const struct lim_ent *limit_find(const struct collector *c, const struct guest_sample *g)
{
	struct lim_ent key = {.path = g->cgroup};
	return c->nlim ? bsearch(&key, c->lim, c->nlim, sizeof(*c->lim), cmp_lim) : NULL;
}

/* The last refresh's entry for g itself (not an older cgroup of the
 * same path), or NULL. */
static const struct lim_ent *limit_same(const struct collector *c, const struct guest_sample *g)
{
	const struct lim_ent *e = limit_find(c, g);
	return e && e->birth == g->birth ? e : NULL;
}

/* Keep this refresh's limits for the next one. */
static void limit_remember(struct collector *c, const struct sample *s, const struct keep *keep)
{
	for (size_t i = 0; i < c->nlim; i++) {
		free(c->lim[i].path);
		free(c->lim[i].cpu_rel);
	}
	c->lim = xrealloc(c->lim, (s->nguests + 1) * sizeof(*c->lim));
	c->nlim = 0;
	for (size_t i = 0; i < s->nguests; i++) {
		const struct guest_sample *g = &s->guests[i];
		if (!g->cgroup)
			continue;
		char *cpu_rel = keep[i].tio_pending && g->cpu_payload_v2
					? xasprintf("%s/%s", g->cgroup, runtimes[g->runtime].payload)
					: NULL;
		c->lim[c->nlim++] = (struct lim_ent){xstrdup(g->cgroup), g->birth, g->cg_mem_limit,
						     keep[i].lim_read, g->cg_oom_kills, g->cg_oom_at_ns,
						     g->p_io_rbytes, g->p_io_wbytes, keep[i].tio_read,
						     keep[i].tio_cpu, keep[i].tio_idle, keep[i].no_quota,
						     g->cg_nr_throttled, g->cg_throttled_ns, carry_of(g),
						     keep[i].full_ns, g->nprocs, keep[i].helper_absent_ns,
						     keep[i].tio_pending, cpu_rel, false};
	}
	qsort(c->lim, c->nlim, sizeof(*c->lim), cmp_lim);
}

/* Whether a cgroup guest is new since the last refresh (the limit cache
 * holds the last refresh's guests). */
static bool new_guests(const struct collector *c, const struct sample *s, size_t ncg)
{
	for (size_t i = 0; i < ncg; i++) {
		const struct lim_ent *e = limit_find(c, &s->guests[i]);
		if (!e || e->birth != s->guests[i].birth)
			return true;
	}
	return false;
}

void collect_discover(struct collector *c, struct refresh *r)
{
	cgroup_begin(&c->cg);
	discover_walk(&c->cg, &c->disc, on_guest, r->s);
	r->ncg = r->s->nguests;
	/* before the limit cache is replaced by this refresh's guests */
	r->appeared = new_guests(c, r->s, r->ncg);
}

/* When the guest's OOM kill count last rose, carried from the last
 * refresh: the model flags the guest while that is recent. */
static void oom_seen(const struct lim_ent *e, struct guest_sample *g)
{
	if (!e)
		return;
	g->cg_oom_at_ns = e->oom_at_ns;
	if (g->cg_oom_kills != VT_UNKNOWN && e->oom_kills != VT_UNKNOWN &&
	    g->cg_oom_kills > e->oom_kills)
		g->cg_oom_at_ns = g->at_ns;
}

/* Tasks in the guest, and with delay accounting but no io.pressure the
 * blkio time of a container's threads. */
static void count_tasks(struct collector *c, struct guest_sample *g, const struct lim_ent *idle)
{
	bool want_pids = g->cg_io_some_us == VT_UNKNOWN && c->delayacct;
	size_t np = 0;
	if (idle && !want_pids && idle->nprocs != VT_UNKNOWN) {
		g->nprocs = idle->nprocs; /* no task ran: none forked, none exited */
		return;
	}
	/* pids.current is one read; counting cgroup.procs walks the subtree */
	g->nprocs = want_pids ? VT_UNKNOWN : cgroup_count_tasks(&c->cg, g->cgroup, g->birth);
	if (want_pids) {
		/* delay accounting counts each thread apart: list them all */
		g->nprocs = cgroup_list_threads(&c->cg, g->cgroup, &c->pidbuf, &np);
		if (runtime_kind(g->runtime) == KIND_CT)
			g->p_blkio_ns = procs_blkio_sum(c->procs, c->pidbuf, np);
	} else if (g->nprocs == VT_UNKNOWN) {
		/* the list task I/O and the process table read this refresh too */
		collect_guest_pids(c, g->cgroup, &np);
		g->nprocs = np;
	}
}

/* nspawn on a hybrid host: the v1 memory tree has the whole scope, the
 * supervisor's memory too. Its private anonymous pages (RssAnon: what is
 * charged where it runs; its file pages are mostly shared libraries
 * charged elsewhere) are taken out of the guest's and charged to helpers. */
static void supervisor_mem(struct collector *c, struct guest_sample *g)
{
	size_t np = 0;
	cgroup_list_procs_v2(&c->cg, g->helper_cg, &c->pidbuf, &np);
	uint64_t anon = 0;
	size_t seen = 0;
	for (size_t i = 0; i < np; i++) {
		char path[64];
		snprintf(path, sizeof(path), "%d/status", c->pidbuf[i]);
		const char *p;
		unsigned long long kb;
		if (read_small_at(c->proc_fd, path, &c->buf, 16384) ||
		    !(p = strstr(c->buf.s, "\nRssAnon:")) || sscanf(p + 9, "%llu", &kb) != 1)
			continue; /* gone, or a kernel thread */
		anon += (uint64_t)kb * 1024;
		seen++;
	}
	if (!seen)
		return;
	if (g->cg_mem_current != VT_UNKNOWN)
		g->cg_mem_current = sat_sub(g->cg_mem_current, anon);
	if (g->cg_mem_anon != VT_UNKNOWN)
		g->cg_mem_anon = sat_sub(g->cg_mem_anon, anon);
	g->h_mem = add_known(g->h_mem, anon);
	g->h_count += seen;
}

/* The sums of read_bytes and write_bytes of the processes in the
 * container's cgroup rel (/proc/PID/io); false when none was readable
 * (gone, or not root). */
static bool task_io_sums(struct collector *c, const char *rel, uint64_t *r, uint64_t *w)
{
	size_t np = 0, seen = 0;
	const int *pids = collect_guest_pids(c, rel, &np);
	*r = *w = 0;
	for (size_t i = 0; i < np; i++) {
		char path[64];
		uint64_t pr, pw;
		snprintf(path, sizeof(path), "%d/io", pids[i]);
		if (read_small_at(c->proc_fd, path, &c->buf, 4096) || parse_proc_io(c->buf.s, &pr, &pw))
			continue; /* gone, or not ours to read */
		*r += pr;
		*w += pw;
		seen++;
	}
	return seen > 0;
}

/* A container whose cgroup counts no disk I/O (a ZFS dataset: ZFS does
 * the I/O in threads of its own; v1 blkio outside throttling): its
 * processes' /proc/PID/io instead. A process's counters include its
 * reaped children's, so the sum rarely goes back. Root only.
 * That is one read per process, so it is done only when the container
 * may have done I/O since the last read: a task's read_bytes and
 * write_bytes move in its own system calls (and ZFS's), which the
 * cgroup's CPU time counts. While that time stands still (a sleeping
 * container) the last sums are carried; the cost follows the containers
 * that run, not the processes. Without the CPU time, sums that did not
 * move are carried for TASK_IO_IDLE_NS. I/O not yet seen shows in the
 * refresh that reads it: totals stay exact.
 * A container seen for the first time is not read here: its sums serve
 * only the next frame's rates, so they are read once this frame is out
 * (collect_settle_task_io), and the next sample carries them as its
 * p_io_base_*. */
static void task_io(struct collector *c, const struct lim_ent *e, struct guest_sample *g,
		    struct keep *k)
{
	if (runtime_kind(g->runtime) != KIND_CT ||
	    (g->cg_io_rbytes != VT_UNKNOWN && g->cg_io_wbytes != VT_UNKNOWN &&
	     g->cg_io_rbytes + g->cg_io_wbytes > 0))
		return;
	uint64_t cpu = g->cg_usage_ns != VT_UNKNOWN ? g->cg_usage_ns
		       : add_known(g->cg_user_ns, g->cg_system_ns);
	bool had = e && e->tio_r != VT_UNKNOWN && e->tio_w != VT_UNKNOWN;
	if (had && e->tio_late) {
		/* read after the last sample: the base of this interval */
		g->p_io_base_rbytes = e->tio_r;
		g->p_io_base_wbytes = e->tio_w;
		g->p_io_base_ns = e->tio_read_ns;
	}
	if (had && (cpu != VT_UNKNOWN ? cpu == e->tio_cpu
				      : e->tio_idle && g->at_ns - e->tio_read_ns < TASK_IO_IDLE_NS)) {
		g->p_io_rbytes = e->tio_r;
		g->p_io_wbytes = e->tio_w;
		k->tio_read = e->tio_read_ns;
		k->tio_cpu = e->tio_cpu;
		k->tio_idle = e->tio_idle && !e->tio_late;
		return;
	}
	if (!e && cpu != VT_UNKNOWN) {
		/* without a settle before the next refresh, that one reads them */
		k->tio_pending = true;
		k->tio_read = g->at_ns;
		k->tio_cpu = cpu;
		return;
	}
	uint64_t r, w;
	if (task_io_sums(c, g->cgroup, &r, &w)) {
		g->p_io_rbytes = r;
		g->p_io_wbytes = w;
		k->tio_read = g->at_ns;
		k->tio_cpu = cpu;
		k->tio_idle = had && e->tio_r == r && e->tio_w == w;
	}
}

void collect_settle_task_io(struct collector *c)
{
	for (size_t i = 0; i < c->nlim; i++) {
		struct lim_ent *e = &c->lim[i];
		if (!e->tio_pending)
			continue;
		uint64_t cpu = cgroup_cpu_now(&c->cg, e->path, e->cpu_rel, e->birth);
		uint64_t now = now_mono_ns(), r, w;
		if (cpu == VT_UNKNOWN || !task_io_sums(c, e->path, &r, &w))
			continue;   /* the next refresh reads them */
		/* no task ran since the sample: these are its sums, at its time */
		if (cpu != e->tio_cpu)
			e->tio_read_ns = now;
		e->tio_cpu = cpu;
		e->tio_r = r;
		e->tio_w = w;
		e->tio_idle = false;
		e->tio_late = true;
		e->tio_pending = false;
	}
}

/* One cgroup guest's counters; *k: what the next refresh keeps of it
 * (when its limit and its tasks' I/O were read). False when its cgroup
 * went away after discovery. */
static bool read_guest(struct collector *c, struct sample *s, struct guest_sample *g,
		       struct keep *k)
{
	g->at_ns = now_mono_ns();
	/* the last refresh's entry; its limit is used while fresh enough */
	const struct lim_ent *last = limit_same(c, g);
	const struct lim_ent *le = last && g->at_ns - last->read_ns <= LIMIT_EVERY_NS ? last : NULL;
	char cpu_rel[4200];
	const char *cr = NULL;
	if (g->cpu_payload_v2) {
		snprintf(cpu_rel, sizeof(cpu_rel), "%s/%s", g->cgroup, runtimes[g->runtime].payload);
		cr = cpu_rel;
	}
	c->cg.no_quota = le && le->no_quota;
	bool carry = last && g->at_ns - last->full_ns < CARRY_MAX_NS;
	c->cg.carry = carry ? &last->carry : NULL;
	if (cgroup_read_guest(&c->cg, g->cgroup, cr, g->birth, g, le == NULL) == -ENOENT &&
	    !cgroup_exists(&c->cg, g->cgroup) && !cgroup_exists_v2(&c->cg, g->cgroup))
		return false;
	if (c->cg.cpu_at_ns)
		g->at_ns = c->cg.cpu_at_ns;
	if (le) {
		g->cg_mem_limit = le->limit;
		if (le->no_quota) {
			/* without a quota the counters stand still */
			g->cg_nr_throttled = le->thr_n;
			g->cg_throttled_ns = le->thr_ns;
		}
		k->no_quota = le->no_quota;
	} else {
		k->no_quota = c->cg.quota == 0 && g->cg_throttled_ns != VT_UNKNOWN;
		/* a quota set while the counters were carried: what it
		 * throttled since the last read belongs to no one interval */
		if (last && last->no_quota && !k->no_quota)
			g->cg_nr_throttled = g->cg_throttled_ns = VT_UNKNOWN;
	}
	k->lim_read = le ? le->read_ns : g->at_ns;
	oom_seen(last, g);
	if (g->cg_io_some_us != VT_UNKNOWN)
		s->psi_guest = 1;
	k->full_ns = c->cg.idle ? last->full_ns : g->at_ns;
	count_tasks(c, g, c->cg.idle ? last : NULL);
	task_io(c, last, g, k);
	collect_task_wait(c, g);
	if (g->helper_cg) {
		uint64_t cpu, mem;
		/* most containers have no helper cgroup (a Proxmox or LXC
		 * monitor's): its absence is looked at again after a while */
		bool absent = last && last->helper_absent_ns != VT_UNKNOWN &&
			      g->at_ns - last->helper_absent_ns < HELPER_LOOK_NS;
		k->helper_absent_ns = absent ? last->helper_absent_ns : VT_UNKNOWN;
		if (absent) {
			/* known absent: nothing to add */
		} else if (!cgroup_read_helper(&c->cg, g->helper_cg, &cpu, &mem)) {
			g->h_cpu_ns = add_known(g->h_cpu_ns, cpu);
			g->h_mem = add_known(g->h_mem, mem);
		} else {
			k->helper_absent_ns = g->at_ns;
		}
		if (g->cpu_payload_v2)
			supervisor_mem(c, g);
	}
	return true;
}

/* Whether /proc/swaps lists no swap area (its header alone): then no
 * guest has swap, and v2's memory.swap.current need not be read. */
static bool host_has_no_swap(struct collector *c)
{
	if (read_small_at(c->proc_fd, "swaps", &c->buf, 65536) ||
	    strncmp(c->buf.s, "Filename", 8))
		return false;
	const char *nl = strchr(c->buf.s, '\n');
	return !nl || !nl[1];
}

void collect_cgroup_guests(struct collector *c, struct refresh *r)
{
	struct sample *s = r->s;
	struct keep *keep = xcalloc(r->ncg + 1, sizeof(*keep));
	size_t k = 0;
	c->cg.no_swap = host_has_no_swap(c);
	for (size_t i = 0; i < r->ncg; i++) {
		struct guest_sample *g = &s->guests[i];
		keep[k] = (struct keep){.helper_absent_ns = VT_UNKNOWN};
		bool found = read_guest(c, s, g, &keep[k]);
		c->cg.carry = NULL;
		if (!found) {
			/* it went away after discovery: no row of dashes for it */
			guest_sample_release(g);
			continue;
		}
		s->guests[k++] = *g;
	}
	/* only cgroup guests are in the sample yet */
	s->nguests = r->ncg = k;
	limit_remember(c, s, keep);
	collect_wait_sweep(c, false);
	free(keep);
	cgroup_end(&c->cg);
}
