/* Host-side wait of containers: the scheduler's run delay of their
 * tasks (/proc/TID/schedstat, second field), summed into one counter per
 * container as each task's own counter moves. A VM's is its vCPU
 * threads' (collect-vm.c).
 *
 * The kernel adds a task's wait when the task reaches a CPU, so a
 * container whose CPU time stood still since the last read has no new
 * wait: its tasks are read only when that time moved (the cost follows
 * the containers that run, not the processes), and at most WAIT_TASKS_MAX
 * of them; past that the wait is unknown, with the reason. A task that
 * exits takes the wait it had since the last read with it. A container
 * is first read when its tasks first run after vtax saw it: that read is
 * the baseline, its interval's wait is not known (wait_epoch moves on),
 * and a container that never runs is never read. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect-int.h"

#define WAIT_TASKS_MAX 1024

static int cmp_td(const void *a, const void *b)
{
	const struct task_delay *x = a, *y = b;
	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_wait(const void *a, const void *b)
{
	return strcmp(((const struct wait_ent *)a)->path, ((const struct wait_ent *)b)->path);
}

/* The last refresh's entry of g (same cgroup, same birth), or NULL: the
 * entries are kept sorted by path (entries made in this refresh are
 * appended past nwait_sorted until the sweep sorts them in). */
static struct wait_ent *wait_find(struct collector *c, const struct guest_sample *g)
{
	struct wait_ent key = {.path = g->cgroup};
	struct wait_ent *e = c->nwait_sorted ? bsearch(&key, c->wait, c->nwait_sorted,
						       sizeof(*c->wait), cmp_wait) : NULL;
	return e && e->birth == g->birth ? e : NULL;
}

/* This refresh's delays of the tasks in tids (sorted on return), added
 * to e's sum where the last read knew the task: a task it did not know
 * came since (it ran, so the CPU time moved) and all its wait is new. */
static size_t read_delays(struct collector *c, struct wait_ent *e, const int *tids, size_t n,
			  struct task_delay *out, bool baseline)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char path[48];
		uint64_t run, wait;
		snprintf(path, sizeof(path), "%d/schedstat", tids[i]);
		if (collect_schedstat(c, path, &run, &wait))
			continue; /* exited since the cgroup was listed */
		out[k++] = (struct task_delay){.tid = tids[i], .ns = wait};
		if (baseline)
			continue;
		struct task_delay key = {.tid = tids[i]};
		const struct task_delay *p = e->nt ? bsearch(&key, e->t, e->nt, sizeof(*e->t), cmp_td)
					: NULL;
		e->acc += p && wait >= p->ns ? wait - p->ns : p ? 0 : wait;
	}
	if (k)
		qsort(out, k, sizeof(*out), cmp_td);
	return k;
}

int collect_schedstat(struct collector *c, const char *path, uint64_t *run_ns, uint64_t *wait_ns)
{
	if (read_small_at(c->proc_fd, path, &c->buf, 256))
		return -1;
	return sscanf(c->buf.s, "%" SCNu64 " %" SCNu64, run_ns, wait_ns) == 2 ? 0 : -1;
}

/* A new entry: the counter starts at 0 and nothing is read yet. */
static struct wait_ent *wait_new(struct collector *c, const struct guest_sample *g, uint64_t cpu)
{
	c->wait = xrealloc(c->wait, (c->nwait + 1) * sizeof(*c->wait));
	struct wait_ent *e = &c->wait[c->nwait++];
	*e = (struct wait_ent){.path = xstrdup(g->cgroup), .birth = g->birth, .cpu = cpu};
	return e;
}

void collect_task_wait(struct collector *c, struct guest_sample *g)
{
	if (runtime_kind(g->runtime) != KIND_CT || !g->cgroup)
		return;
	uint64_t cpu = g->cg_usage_ns != VT_UNKNOWN ? g->cg_usage_ns
		       : add_known(g->cg_user_ns, g->cg_system_ns);
	struct wait_ent *e = wait_find(c, g);
	if (!e || (cpu != VT_UNKNOWN && cpu == e->cpu)) {
		/* seen first (its counter starts at 0), or no task ran: no new
		 * wait, and nothing to read */
		if (!e)
			e = wait_new(c, g, cpu);
		e->used = true;
		g->wait_ns = e->acc;
		g->wait_epoch = e->epoch;
		return;
	}
	size_t n = 0;
	cgroup_list_threads(&c->cg, g->cgroup, &c->pidbuf, &n);
	if (n > WAIT_TASKS_MAX) {
		g->wait_note = xasprintf("not read: %zu tasks, more than %d to read each refresh", n,
					 WAIT_TASKS_MAX);
		return; /* its entry goes: it starts again at the next refresh */
	}
	/* its tasks ran for the first time since vtax saw it: their delays
	 * now are the baseline, and this interval's wait is not known (a
	 * new epoch tells the model) */
	bool baseline = !e->based;
	struct task_delay *now = xcalloc(n + 1, sizeof(*now));
	size_t k = read_delays(c, e, c->pidbuf, n, now, baseline);
	free(e->t);
	e->t = now;
	e->nt = k;
	e->cpu = cpu;
	e->used = true;
	if (!k && n) {
		g->wait_note = xstrdup("schedstat unreadable (kernel without CONFIG_SCHED_INFO?)");
		return;
	}
	if (baseline) {
		e->based = true;
		e->epoch++;
	}
	g->wait_ns = e->acc;
	g->wait_epoch = e->epoch;
}

void collect_wait_sweep(struct collector *c, bool all)
{
	size_t k = 0;
	for (size_t i = 0; i < c->nwait; i++) {
		struct wait_ent *e = &c->wait[i];
		if (e->used && !all) {
			e->used = false;
			c->wait[k++] = *e;
			continue;
		}
		free(e->path);
		free(e->t);
	}
	c->nwait = k;
	if (k)
		qsort(c->wait, k, sizeof(*c->wait), cmp_wait);
	c->nwait_sorted = k;
	if (all) {
		free(c->wait);
		c->wait = NULL;
	}
}
