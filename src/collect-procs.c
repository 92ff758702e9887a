/* Guests' processes from the process table: the table's refresh, each
 * VM's QEMU, the helpers charged to guests, vhost kernel threads, and the
 * focused guest's process list. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "collect-int.h"

/* Whether path equals prefix or lies below it. */
static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

void collect_processes(struct collector *c, struct refresh *r)
{
	/* a full look passes by the processes of containers, found in
	 * their cgroups for far less than a read each */
	int *skip = NULL;
	size_t nskip = 0, cap = 0;
	for (size_t i = 0; r->full && i < r->ncg; i++) {
		if (runtime_kind(r->s->guests[i].runtime) != KIND_CT)
			continue;
		size_t n;
		const int *pids = collect_guest_pids(c, r->s->guests[i].cgroup, &n);
		if (nskip + n > cap) {
			cap = (nskip + n) * 2;
			skip = xrealloc(skip, cap * sizeof(*skip));
		}
		if (n)
			memcpy(skip + nskip, pids, n * sizeof(*pids));
		nskip += n;
	}
	uint64_t now = now_mono_ns();
	uint64_t forks = r->s->host.forks;
	if (r->scan) {
		c->last_scan_ns = now;
		c->forks_at_scan = forks;
	}
	if (r->full)
		c->forks_at_full = forks;
	if (skip)
		procs_skip(c->procs, skip, nskip);
	procs_update(c->procs, r->scan, r->full);
}

static struct guest_sample *find_guest_by_cgroup(struct sample *s, const char *path)
{
	if (!path)
		return NULL;
	for (size_t i = 0; i < s->nguests; i++)
		if (runtime_owns_cgroup(s->guests[i].runtime, s->guests[i].cgroup, path))
			return &s->guests[i];
	return NULL;
}

static void attach_qemu(struct collector *c, struct sample *s, const struct proc_ent *e)
{
	struct guest_sample *g = find_guest_by_cgroup(s, e->cgroup);
	if (g && runtime_kind(g->runtime) != KIND_VM)
		return; /* QEMU inside a container is that container's work */
	if (g && g->main_pid)
		return; /* one QEMU per VM; others in the scope are its children */
	if (!g) {
		g = sample_add_guest(s);
		g->runtime = RT_QEMU;
		g->id = xasprintf("%d", e->pid);
		g->birth = e->start;
		g->nprocs = 1;
		/* its CPU comes from the process counters, read just now */
		g->at_ns = procs_read_ns(c->procs);
	}
	g->main_pid = (uint64_t)e->pid;
	if (runtimes[g->runtime].qemu_name)
		collect_name_once(g, e->qa.name);
	agent_want_vm(c->agent, e->pid, e->start, e->qa.qmp);
	collect_want_qga(c, g, e->pid, e->start, e->qa.qga);
	g->vm_ram_size = e->qa.ram;
	g->p_utime_ns = e->utime_ns;
	g->p_stime_ns = e->stime_ns;
	g->p_gtime_ns = e->gtime_ns;
	g->p_blkio_ns = c->delayacct ? e->blkio_ns : VT_UNKNOWN;
	g->p_rss = e->rss;
	g->p_rss_anon = e->rss_anon;
	g->p_rss_file = e->rss_file;
	g->p_rss_shmem = e->rss_shmem;
}

void collect_attach_qemu(struct collector *c, struct refresh *r)
{
	size_t np;
	const struct proc_ent *pe = procs_list(c->procs, &np);
	for (size_t i = 0; i < np; i++)
		if (pe[i].cls == PC_QEMU)
			attach_qemu(c, r->s, &pe[i]);
}

static struct guest_sample *find_helper_owner(struct sample *s, const struct proc_ent *e)
{
	for (size_t i = 0; i < s->nguests; i++)
		if (runtime_helper_serves(s->guests[i].runtime, e->htype, e->key, s->guests[i].id))
			return &s->guests[i];
	return NULL;
}

void collect_attach_helpers(struct collector *c, struct refresh *r)
{
	size_t np;
	const struct proc_ent *pe = procs_list(c->procs, &np);
	for (size_t i = 0; i < np; i++) {
		const struct proc_ent *e = &pe[i];
		if (e->cls != PC_HELPER)
			continue;
		struct guest_sample *g = find_helper_owner(r->s, e);
		if (!g || (g->helper_cg && e->cgroup && under(e->cgroup, g->helper_cg)))
			continue; /* counted through its cgroup already */
		if (g->cgroup && e->cgroup && under(e->cgroup, g->cgroup))
			continue; /* inside the guest: the guest's own work */
		g->h_cpu_ns += add_known(e->utime_ns, e->stime_ns);
		g->h_mem += e->rss != VT_UNKNOWN ? e->rss : 0;
		g->h_count++;
	}
}

/* vhost kernel threads (older kernels) serve the VM whose pid they name. */
void collect_vhost_threads(struct collector *c, struct refresh *r)
{
	size_t np;
	const struct proc_ent *pe = procs_list(c->procs, &np);
	for (size_t i = 0; i < np; i++) {
		const struct proc_ent *e = &pe[i];
		if (e->cls != PC_VHOST_KT)
			continue;
		for (size_t k = 0; k < r->s->nguests; k++) {
			struct guest_sample *g = &r->s->guests[k];
			if ((int)g->main_pid != e->owner || g->tg_cpu_ns[TG_VHOST] == VT_UNKNOWN)
				continue;
			uint64_t cpu = add_known(e->utime_ns, e->stime_ns);
			g->tg_cpu_ns[TG_VHOST] += cpu;
			g->tg_threads[TG_VHOST]++;
			/* with a cgroup, the kernel thread is charged there already */
			if (!g->cgroup)
				g->h_cpu_ns += cpu;
		}
	}
}

/* The focused guest's processes, for the detail pane. */
void collect_focus(struct collector *c, struct sample *s)
{
	for (size_t i = 0; i < s->nguests; i++) {
		struct guest_sample *g = &s->guests[i];
		char key[200];
		guest_sample_key(g, key, sizeof(key));
		if (strcmp(key, c->focus))
			continue;
		size_t np = 0;
		int single = (int)g->main_pid;
		const int *pids = &single;
		if (g->cgroup) {
			pids = collect_guest_pids(c, g->cgroup, &np);
		} else if (g->main_pid) {
			np = 1;
		}
		s->focus = xstrdup(key);
		s->fprocs = xcalloc(np < FOCUS_MAX ? np + 1 : FOCUS_MAX, sizeof(*s->fprocs));
		s->nfprocs = procs_read_list(c->procs, pids, np, s->fprocs, FOCUS_MAX);
		return;
	}
}
