/* Facts about each VM's QEMU process: guest-RAM RSS from smaps, KVM exits
 * from debugfs, CPU per thread group, and what the agent learnt over QMP
 * (vCPU threads, the guest's own memory). Kept per VM between refreshes. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-qga.h"
#include "collect-int.h"
#include "parse.h"

/* Guest-RAM RSS from smaps. smaps is the costliest file vtax reads (the
 * kernel walks every mapping's pages), and guest RAM changes slowly: it
 * is read again every SMAPS_EVERY_NS per VM. */
#define SMAPS_EVERY_NS (5000000000ull)

/* KVM VMs in debugfs: listed when a VM without a dir appears, and at
 * most every KVM_LIST_EVERY_NS for the VMs that have none (TCG). */
#define KVM_LIST_EVERY_NS (5000000000ull)

static struct vm_ent *read_vm(struct collector *c, struct guest_sample *g, uint64_t start)
{
	uint64_t now = now_mono_ns();
	struct vm_ent *e = NULL;
	for (size_t i = 0; i < c->nvm; i++)
		if (c->vm[i].pid == g->main_pid && c->vm[i].start == start)
			e = &c->vm[i];
	if (e && now - e->read_ns < SMAPS_EVERY_NS) {
		e->seen = true;
		g->vm_ram_rss = e->ram_rss;
		g->p_hugetlb = e->hugetlb;
		return e;
	}
	char path[64];
	snprintf(path, sizeof(path), "%d/smaps", (int)g->main_pid);
	uint64_t ram_rss = VT_UNKNOWN, total, huge = VT_UNKNOWN;
	if (!read_file_at(c->proc_fd, path, &c->buf, 64u << 20) &&
	    !parse_smaps_guest_ram(c->buf.s, g->vm_ram_size, &ram_rss, &total, &huge)) {
		g->vm_ram_rss = ram_rss;
		g->p_hugetlb = huge;
	}
	if (!e) {
		c->vm = xrealloc(c->vm, (c->nvm + 1) * sizeof(*c->vm));
		e = &c->vm[c->nvm++];
		*e = (struct vm_ent){.pid = g->main_pid, .start = start};
	}
	e->ram_rss = ram_rss;
	e->hugetlb = huge;
	e->read_ns = now;
	e->seen = true;
	return e;
}

static void kvm_list(struct collector *c, uint64_t now)
{
	c->kvm_list_ns = now ? now : 1;
	c->nkvm = 0;
	DIR *d = opendir(c->kvm_dir);
	if (!d)
		return; /* no debugfs, not root, or no KVM: exits stay unknown */
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		int pid, fd, end = 0;
		if (sscanf(de->d_name, "%d-%d%n", &pid, &fd, &end) != 2 || de->d_name[end] ||
		    strlen(de->d_name) >= sizeof(c->kvm[0].name))
			continue;
		if (c->nkvm == cap) {
			cap = cap ? 2 * cap : 8;
			c->kvm = xrealloc(c->kvm, cap * sizeof(*c->kvm));
		}
		c->kvm[c->nkvm].pid = pid;
		str_copy(c->kvm[c->nkvm].name, sizeof(c->kvm[c->nkvm].name), de->d_name);
		c->nkvm++;
	}
	closedir(d);
}

/* KVM exits of a VM (e: its entry from read_vm): one small read of its
 * debugfs "exits" file. */
static void read_kvm(struct collector *c, struct guest_sample *g, struct vm_ent *e)
{
	uint64_t now = now_mono_ns();
	if (!e->kvm[0]) {
		if (e->kvm_look_ns && now - e->kvm_look_ns < KVM_LIST_EVERY_NS)
			return;
		/* a listing younger than the last look cannot hold it either */
		if (!c->kvm_list_ns || c->kvm_list_ns <= e->kvm_look_ns ||
		    now - c->kvm_list_ns >= KVM_LIST_EVERY_NS)
			kvm_list(c, now);
		e->kvm_look_ns = now;
		for (size_t i = 0; i < c->nkvm; i++)
			if (c->kvm[i].pid == (int)g->main_pid)
				str_copy(e->kvm, sizeof(e->kvm), c->kvm[i].name);
		if (!e->kvm[0])
			return;
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/%s/exits", c->kvm_dir, e->kvm);
	uint64_t v;
	if (read_small_at(AT_FDCWD, path, &c->buf, 64) || parse_u64(c->buf.s, &v)) {
		e->kvm[0] = '\0'; /* the VM went away, or its fd changed */
		return;
	}
	g->kvm_exits = v;
}

/* Forget VMs not seen in this refresh. */
static void vm_sweep(struct collector *c)
{
	size_t o = 0;
	for (size_t i = 0; i < c->nvm; i++)
		if (c->vm[i].seen) {
			c->vm[o] = c->vm[i];
			c->vm[o++].seen = false;
		}
	c->nvm = o;
}

/* Start time of a VM's QEMU process (its identity with the pid). */
static uint64_t main_start(struct collector *c, const struct guest_sample *g)
{
	size_t np;
	const struct proc_ent *pe = procs_list(c->procs, &np);
	for (size_t i = 0; i < np; i++)
		if (pe[i].pid == (int)g->main_pid)
			return pe[i].start;
	/* a guest without a cgroup is its process, born when it started */
	return !g->cgroup ? g->birth : VT_UNKNOWN;
}

void collect_want_qga(struct collector *c, const struct guest_sample *g, int pid, uint64_t start,
		      const char *qga_path)
{
	char path[108] = "";
	const char *tmpl = runtimes[g->runtime].qga_sock;
	if (qga_path && qga_path[0])
		str_copy(path, sizeof(path), qga_path);
	else if (tmpl)
		runtime_expand(path, sizeof(path), tmpl, "", 0, g->id);
	qga_want(agent_qga(c->agent), pid, start, path);
}

/* The guest's own CPU counters, as its agent last gave them. */
static void qga_facts(struct collector *c, struct guest_sample *g, uint64_t start)
{
	struct qga_facts f;
	if (!qga_get(agent_qga(c->agent), (int)g->main_pid, start, &f))
		return;
	if (f.note[0])
		g->qga_note = xstrdup(f.note);
	if (!f.cur.ncpu)
		return;
	g->qga_ncpu = f.cur.ncpu;
	g->qga_user = f.cur.user;
	g->qga_system = f.cur.system;
	g->qga_iowait = f.cur.iowait;
	g->qga_steal = f.cur.steal;
	g->qga_idle = f.cur.idle;
	if (!f.prev.ncpu)
		return;
	g->qga_prev_user = f.prev.user;
	g->qga_prev_system = f.prev.system;
	g->qga_prev_iowait = f.prev.iowait;
	g->qga_prev_steal = f.prev.steal;
	g->qga_prev_idle = f.prev.idle;
}

/* CPU per thread group (vCPU threads as QMP named them), and what the
 * guest said of its memory. */
static void qemu_facts(struct collector *c, struct guest_sample *g, uint64_t start)
{
	struct vm_facts f;
	bool have = agent_vm(c->agent, (int)g->main_pid, start, &f);
	uint64_t blk;
	procs_qemu_threads(c->procs, (int)g->main_pid, have ? f.vcpu_tids : NULL, have ? f.nvcpu : 0,
			   g->tg_cpu_ns, g->tg_threads, &blk);
	if (c->delayacct && blk != VT_UNKNOWN)
		g->p_blkio_ns = blk; /* every thread's, not only the main one's */
	if (!have)
		return;
	g->vm_balloon = f.balloon;
	if (f.ndrives >= 0) {
		g->drv_at_ns = f.drives_ns;
		g->ndrives = (size_t)f.ndrives;
		g->drives = xcalloc(g->ndrives + 1, sizeof(*g->drives));
		memcpy(g->drives, f.drives, g->ndrives * sizeof(*g->drives));
	}
	g->g_total = f.total;
	g->g_avail = f.avail;
	g->g_free = f.free;
	g->g_cache = f.cache;
	if (f.note[0])
		g->note = xstrdup(f.note);
}

/* Pages of QEMU merged by KSM (guest RAM is MADV_MERGEABLE), and what
 * that saves after KSM's own bookkeeping; ksm_stat is a few counters,
 * cheap to read every refresh. */
static void read_ksm(struct collector *c, struct guest_sample *g)
{
	char path[64];
	uint64_t pages, profit;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	snprintf(path, sizeof(path), "%d/ksm_stat", (int)g->main_pid);
	if (!read_small_at(c->proc_fd, path, &c->buf, 4096)) {
		if (!parse_kv_u64(c->buf.s, "ksm_merging_pages", &pages))
			g->vm_ksm_merging = pages * page;
		int r = parse_kv_u64(c->buf.s, "ksm_process_profit", &profit);
		if (!r)
			g->vm_ksm_profit = profit;
		else if (r == -EINVAL && strstr(c->buf.s, "ksm_process_profit -"))
			g->vm_ksm_profit = 0; /* costs more than it saves */
		return;
	}
	/* kernels before 6.1 have only the merged pages */
	snprintf(path, sizeof(path), "%d/ksm_merging_pages", (int)g->main_pid);
	if (!read_small_at(c->proc_fd, path, &c->buf, 64) && !parse_u64(c->buf.s, &pages))
		g->vm_ksm_merging = pages * page;
}

/* The QEMU process's storage I/O from /proc/PID/io: what reached the
 * block layer on its behalf (or would have: a write to the page cache is
 * counted when it is dirtied). Root only: other users' io is hidden. */
static void read_task_io(struct collector *c, struct guest_sample *g)
{
	char path[64];
	snprintf(path, sizeof(path), "%d/io", (int)g->main_pid);
	uint64_t r, w;
	if (read_small_at(c->proc_fd, path, &c->buf, 4096) || parse_proc_io(c->buf.s, &r, &w))
		return;
	g->p_io_rbytes = r;
	g->p_io_wbytes = w;
}

/* The scheduler's counters of each vCPU thread: time on a CPU and time
 * runnable but waiting for one (schedstat: readable by every user). The
 * kernel adds a wait when the thread reaches a CPU. */
static void read_vcpu_wait(struct collector *c, struct guest_sample *g)
{
	int tid[VCPU_MAX];
	uint32_t idx[VCPU_MAX];
	size_t n = procs_vcpu_threads(c->procs, (int)g->main_pid, tid, idx, VCPU_MAX);
	if (!n) {
		g->wait_note = xstrdup("no vCPU threads found (QEMU names them \"CPU n/KVM\")");
		return;
	}
	g->vcpus = xcalloc(n, sizeof(*g->vcpus));
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		char path[64];
		uint64_t run, wait;
		snprintf(path, sizeof(path), "%d/task/%d/schedstat", (int)g->main_pid, tid[i]);
		if (collect_schedstat(c, path, &run, &wait))
			continue; /* exited since the thread list was read */
		g->vcpus[g->nvcpus++] = (struct vcpu_sample){.index = idx[i], .run_ns = run, .wait_ns = wait};
		sum += wait;
	}
	if (g->nvcpus == n)
		g->wait_ns = sum;
	else
		g->wait_note = xstrdup(g->nvcpus ? "a vCPU thread exited while read"
					      : "schedstat unreadable (kernel without CONFIG_SCHED_INFO?)");
}

void collect_vm_facts(struct collector *c, struct refresh *r)
{
	for (size_t i = 0; i < r->s->nguests; i++) {
		struct guest_sample *g = &r->s->guests[i];
		if (!g->main_pid)
			continue;
		uint64_t start = main_start(c, g);
		read_kvm(c, g, read_vm(c, g, start));
		read_ksm(c, g);
		qemu_facts(c, g, start);
		read_vcpu_wait(c, g);
		qga_facts(c, g, start);
		read_task_io(c, g);
	}
	vm_sweep(c);
}
