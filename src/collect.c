/* One live sample: host counters, guests from the cgroup tree, QEMU
 * processes and helpers from the process table, counters for each. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "collect.h"
#include "discover.h"
#include "host.h"
#include "parse.h"
#include "procs.h"
#include "util.h"

struct pve_ent {
	char path[512];
	uint64_t mtime_ns, size;
	char name[256];
};

/* Full /proc listing at most this often (and when a guest cgroup appears). */
#define SCAN_EVERY_NS (5000000000ull)

/* Memory limits change rarely: read each at most every LIMIT_EVERY_NS. */
#define LIMIT_EVERY_NS (10000000000ull)
struct lim_ent {
	char *path;
	uint64_t birth, limit, read_ns;
};

struct vm_ent {
	uint64_t pid, start;
	uint64_t ram_rss, hugetlb;  /* bytes, from smaps */
	uint64_t read_ns;
	bool seen;
	char kvm[32];               /* its debugfs kvm dir "PID-FD", "" if none */
	uint64_t kvm_look_ns;       /* when it was last looked for */
};

/* KVM VMs in debugfs: listed when a VM without a dir appears, and at
 * most every KVM_LIST_EVERY_NS for the VMs that have none (TCG). */
#define KVM_LIST_EVERY_NS (5000000000ull)
struct kvm_ent {
	int pid;
	char name[32];
};

struct collector {
	struct vm_ent *vm;         /* smaps results per VM */
	size_t nvm;
	struct lim_ent *lim;       /* sorted by path, from the last refresh */
	size_t nlim;
	uint64_t last_scan_ns;     /* last /proc listing */
	uint64_t forks_at_scan;    /* /proc/stat processes at that listing */
	uint64_t forks_at_full;    /* ... and at the last full classification */
	uint64_t pid_max;          /* kernel.pid_max */
	struct pve_ent *pve;       /* Proxmox config names by path */
	size_t npve;
	struct cgfs cg;
	struct procs *procs;
	struct host_reader *host;
	char *pve_dir;
	struct sb buf;
	int delayacct;
	int *pidbuf;
	char *focus;
	struct agent *agent;
	bool told_uid;             /* the non-root notice was given */
	char *kvm_dir;             /* debugfs kvm directory */
	struct kvm_ent *kvm;       /* its last listing */
	size_t nkvm;
	uint64_t kvm_list_ns;      /* when it was listed, 0 never */
};

void collector_set_focus(struct collector *c, const char *key)
{
	free(c->focus);
	c->focus = key && *key ? xstrdup(key) : NULL;
}

struct collector *collector_new(const struct collect_opts *o, char **cause)
{
	struct collector *c = xcalloc(1, sizeof(*c));
	const char *root = o->cgroup_root ? o->cgroup_root : "/sys/fs/cgroup";
	if (cgfs_open(&c->cg, root, cause) < 0) {
		free(c);
		return NULL;
	}
	c->cg.pressure = o->guest_pressure;
	c->host = host_reader_new(cause);
	if (!c->host) {
		collector_free(c);
		return NULL;
	}
	c->procs = procs_new(c->cg.proc_ctl);
	if (!c->procs) {
		*cause = xstrdup("cannot set up libproc2 process reading");
		collector_free(c);
		return NULL;
	}
	c->pve_dir = xstrdup(o->pve_dir ? o->pve_dir : "/etc/pve");
	c->kvm_dir = xstrdup(o->kvm_dir ? o->kvm_dir : "/sys/kernel/debug/kvm");
	c->pid_max = 32768;
	if (!read_small_at(AT_FDCWD, "/proc/sys/kernel/pid_max", &c->buf, 64))
		parse_u64(c->buf.s, &c->pid_max);
	c->agent = agent_new(&o->agent);
	return c;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	agent_free(c->agent);
	cgfs_close(&c->cg);
	procs_free(c->procs);
	host_reader_free(c->host);
	free(c->pve_dir);
	free(c->kvm_dir);
	free(c->kvm);
	free(c->pve);
	free(c->vm);
	for (size_t i = 0; i < c->nlim; i++)
		free(c->lim[i].path);
	free(c->lim);
	free(c->pidbuf);
	free(c->focus);
	sb_free(&c->buf);
	free(c);
}

struct add_ctx {
	struct collector *c;
	struct sample *s;
};

static void on_guest(const struct guest_match *m, void *arg)
{
	struct add_ctx *a = arg;
	struct guest_sample *g = sample_add_guest(a->s);
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

/* Whether path equals prefix or lies below it. */
static int under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
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

static struct guest_sample *find_helper_owner(struct sample *s, const struct proc_ent *e)
{
	for (size_t i = 0; i < s->nguests; i++)
		if (runtime_helper_serves(s->guests[i].runtime, e->htype, e->key, s->guests[i].id))
			return &s->guests[i];
	return NULL;
}

static void set_name_once(struct guest_sample *g, const char *name)
{
	if (!g->name && name && *name)
		g->name = xstrdup(name);
}

static void attach_qemu(struct collector *c, struct sample *s, struct proc_ent *e)
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
		set_name_once(g, e->qa.name);
	agent_want_vm(c->agent, e->pid, e->start, e->qa.qmp);
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

/* Guest-RAM RSS from smaps. smaps is the costliest file vtax reads (the
 * kernel walks every mapping's pages), and guest RAM changes slowly: it
 * is read again every SMAPS_EVERY_NS per VM. */
#define SMAPS_EVERY_NS (5000000000ull)
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
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)g->main_pid);
	uint64_t ram_rss = VT_UNKNOWN, total, huge = VT_UNKNOWN;
	if (!read_file_at(AT_FDCWD, path, &c->buf, 64u << 20) &&
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
	struct proc_ent *pe = procs_list(c->procs, &np);
	for (size_t i = 0; i < np; i++)
		if (pe[i].pid == (int)g->main_pid)
			return pe[i].start;
	/* a guest without a cgroup is its process, born when it started */
	return !g->cgroup ? g->birth : VT_UNKNOWN;
}

/* What the agent learnt: container names, a VM's own memory view. */
static void agent_facts(struct collector *c, struct guest_sample *g)
{
	char name[256];
	if (runtimes[g->runtime].api.sock &&
	    agent_container_name(c->agent, g->runtime, g->id, name, sizeof(name)))
		set_name_once(g, name);
	struct vm_facts f;
	if (!g->main_pid)
		return;
	uint64_t start = main_start(c, g);
	bool have = agent_vm(c->agent, (int)g->main_pid, start, &f);
	uint64_t blk;
	procs_qemu_threads(c->procs, (int)g->main_pid, have ? f.vcpu_tids : NULL, have ? f.nvcpu : 0,
			   g->tg_cpu_ns, g->tg_threads, &blk);
	if (c->delayacct && blk != VT_UNKNOWN)
		g->p_blkio_ns = blk; /* every thread's, not only the main one's */
	if (!have)
		return;
	g->g_total = f.total;
	g->g_avail = f.avail;
	g->g_free = f.free;
	g->g_cache = f.cache;
	if (f.note[0])
		g->note = xstrdup(f.note);
}

/* Names from a runtime's config file (Proxmox), re-read only when the
 * file changes. */
static void config_name(struct collector *c, struct guest_sample *g)
{
	const char *sub = runtimes[g->runtime].config.subdir;
	const char *key = runtimes[g->runtime].config.key;
	if (!sub)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s.conf", c->pve_dir, sub, g->id);
	struct stat st;
	if (stat(path, &st))
		return;
	struct pve_ent *e = NULL;
	for (size_t i = 0; i < c->npve; i++)
		if (!strcmp(c->pve[i].path, path))
			e = &c->pve[i];
	if (!e) {
		c->pve = xrealloc(c->pve, (c->npve + 1) * sizeof(*c->pve));
		e = &c->pve[c->npve++];
		memset(e, 0, sizeof(*e));
		str_copy(e->path, sizeof(e->path), path);
	}
	if (e->mtime_ns != (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec ||
	    e->size != (uint64_t)st.st_size) {
		e->mtime_ns = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
		e->size = (uint64_t)st.st_size;
		e->name[0] = '\0';
		if (!read_file_at(AT_FDCWD, path, &c->buf, 1u << 20))
			parse_pve_conf(c->buf.s, key, e->name, sizeof(e->name));
	}
	set_name_once(g, e->name);
}

/* The focused guest's processes, for the detail pane. */
static void read_focus(struct collector *c, struct sample *s)
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
			cgroup_count_procs(&c->cg, g->cgroup, &c->pidbuf, &np);
			pids = c->pidbuf;
		} else if (g->main_pid) {
			np = 1;
		}
		s->focus = xstrdup(key);
		s->fprocs = xcalloc(np < FOCUS_MAX ? np + 1 : FOCUS_MAX, sizeof(*s->fprocs));
		s->nfprocs = procs_read_list(c->procs, pids, np, s->fprocs, FOCUS_MAX);
		return;
	}
}

static int cmp_lim(const void *a, const void *b)
{
	return strcmp(((const struct lim_ent *)a)->path, ((const struct lim_ent *)b)->path);
}

/* A cached limit for g, or NULL when it must be read again. */
static const struct lim_ent *limit_cached(struct collector *c, const struct guest_sample *g,
					  uint64_t now)
{
	if (!c->nlim)
		return NULL;
	struct lim_ent key = {.path = g->cgroup};
	const struct lim_ent *e = bsearch(&key, c->lim, c->nlim, sizeof(*c->lim), cmp_lim);
	if (!e || e->birth != g->birth || now - e->read_ns > LIMIT_EVERY_NS)
		return NULL;
	return e;
}

/* Keep this refresh's limits for the next one. */
static void limit_remember(struct collector *c, const struct sample *s, const uint64_t *read_ns)
{
	for (size_t i = 0; i < c->nlim; i++)
		free(c->lim[i].path);
	c->lim = xrealloc(c->lim, (s->nguests + 1) * sizeof(*c->lim));
	c->nlim = 0;
	for (size_t i = 0; i < s->nguests; i++) {
		const struct guest_sample *g = &s->guests[i];
		if (!g->cgroup)
			continue;
		c->lim[c->nlim++] = (struct lim_ent){xstrdup(g->cgroup), g->birth, g->cg_mem_limit,
						     read_ns[i]};
	}
	qsort(c->lim, c->nlim, sizeof(*c->lim), cmp_lim);
}

static int cmp_guest(const void *a, const void *b)
{
	return guest_sample_cmp(a, b);
}

/* Whether a cgroup guest is new since the last refresh (the limit cache
 * holds the last refresh's guests). */
static bool new_guests(struct collector *c, const struct sample *s, size_t ncg)
{
	for (size_t i = 0; i < ncg; i++) {
		struct lim_ent key = {.path = s->guests[i].cgroup};
		const struct lim_ent *e =
			c->nlim ? bsearch(&key, c->lim, c->nlim, sizeof(*c->lim), cmp_lim) : NULL;
		if (!e || e->birth != s->guests[i].birth)
			return true;
	}
	return false;
}

int collector_sample(struct collector *c, struct sample *s)
{
	sample_clear(s);
	int err = host_read(c->host, &s->host);
	if (err)
		return err;
	s->cg_version = (uint32_t)c->cg.version;
	c->delayacct = 0;
	if (!read_file_at(AT_FDCWD, "/proc/sys/kernel/task_delayacct", &c->buf, 16))
		c->delayacct = c->buf.s[0] == '1';
	s->delayacct = c->delayacct;

	struct add_ctx a = {c, s};
	cgroup_begin(&c->cg);
	discover_walk(&c->cg, on_guest, &a);
	size_t ncg = s->nguests;

	/* before the cache below is replaced by this refresh's guests */
	bool appeared = new_guests(c, s, ncg);

	/* A full look at /proc (the first, and one after the pid allocator
	 * wrapped) reads every process's comm: containers' processes, most
	 * of a host's, are passed by, found in their cgroups for far less */
	uint64_t forks = s->host.forks;
	bool first = !c->last_scan_ns;
	bool full = first || forks == VT_UNKNOWN || forks - c->forks_at_full >= c->pid_max / 2;
	bool forked = forks == VT_UNKNOWN || forks != c->forks_at_scan;
	bool scan = first || appeared || (forked && now_mono_ns() - c->last_scan_ns >= SCAN_EVERY_NS);
	int *skip = NULL;
	size_t nskip = 0;

	/* counters of cgroup guests */
	uint64_t *lim_read = xcalloc(ncg + 1, sizeof(*lim_read));
	bool *gone = NULL;
	for (size_t i = 0; i < ncg; i++) {
		struct guest_sample *g = &s->guests[i];
		g->at_ns = now_mono_ns();
		const struct lim_ent *le = limit_cached(c, g, g->at_ns);
		char cpu_rel[4200];
		const char *cr = NULL;
		if (g->cpu_payload_v2) {
			snprintf(cpu_rel, sizeof(cpu_rel), "%s/%s", g->cgroup,
				 runtimes[g->runtime].payload);
			cr = cpu_rel;
		}
		if (cgroup_read_guest(&c->cg, g->cgroup, cr, g->birth, g, le == NULL) == -ENOENT &&
		    !cgroup_exists(&c->cg, g->cgroup) && !cgroup_exists_v2(&c->cg, g->cgroup)) {
			/* it went away after discovery: no row of dashes for it */
			g->nprocs = 0;
			gone = gone ? gone : xcalloc(ncg, sizeof(*gone));
			gone[i] = true;
			continue;
		}
		if (c->cg.cpu_at_ns)
			g->at_ns = c->cg.cpu_at_ns;
		if (le)
			g->cg_mem_limit = le->limit;
		lim_read[i] = le ? le->read_ns : g->at_ns;
		if (g->cg_io_some_us != VT_UNKNOWN)
			s->psi_guest = 1;
		int want_pids = g->cg_io_some_us == VT_UNKNOWN && c->delayacct;
		size_t np = 0;
		/* pids.current is one read; counting cgroup.procs walks the subtree */
		g->nprocs = want_pids ? VT_UNKNOWN : cgroup_count_tasks(&c->cg, g->cgroup);
		if (want_pids) {
			/* delay accounting counts each thread apart: list them all */
			g->nprocs = cgroup_list_threads(&c->cg, g->cgroup, &c->pidbuf, &np);
			if (runtime_kind(g->runtime) == KIND_CT)
				g->p_blkio_ns = procs_blkio_sum(c->procs, c->pidbuf, np);
		} else if (g->nprocs == VT_UNKNOWN) {
			g->nprocs = cgroup_count_procs(&c->cg, g->cgroup, NULL, &np);
		}
		if (g->helper_cg) {
			uint64_t cpu, mem;
			if (!cgroup_read_helper(&c->cg, g->helper_cg, &cpu, &mem)) {
				g->h_cpu_ns = add_known(g->h_cpu_ns, cpu);
				g->h_mem = add_known(g->h_mem, mem);
			}
		}
		config_name(c, g);
		if (full && scan && runtime_kind(g->runtime) == KIND_CT)
			cgroup_count_procs(&c->cg, g->cgroup, &skip, &nskip);
	}
	if (gone) {
		size_t k = 0;
		for (size_t i = 0; i < ncg; i++) {
			struct guest_sample *g = &s->guests[i];
			if (gone[i]) {
				guest_sample_release(g);
				continue;
			}
			lim_read[k] = lim_read[i];
			s->guests[k++] = *g;
		}
		/* only cgroup guests are in the sample yet */
		s->nguests = k;
		ncg = k;
		free(gone);
	}
	/* guests[0..ncg) are still the cgroup guests here */
	struct sample cg_only = *s;
	cg_only.nguests = ncg;
	limit_remember(c, &cg_only, lim_read);
	free(lim_read);
	cgroup_end(&c->cg);

	/* processes: QEMU first (they may create guests), then helpers. /proc
	 * is listed again only every SCAN_EVERY_NS or when a new guest cgroup
	 * appears (its QEMU or helper then shows at once); tracked processes
	 * are read every time. */
	uint64_t now = now_mono_ns();
	/* scan and full as decided above; a pid can be reused only after the
	 * allocator wrapped around */
	if (scan) {
		c->last_scan_ns = now;
		c->forks_at_scan = forks;
	}
	if (full && scan)
		c->forks_at_full = forks;
	if (skip)
		procs_skip(c->procs, skip, nskip);
	procs_update(c->procs, scan, full && scan);
	agent_begin(c->agent);
	for (size_t i = 0; i < ncg; i++)
		agent_want_container(c->agent, s->guests[i].runtime, s->guests[i].id);
	size_t np;
	struct proc_ent *pe = procs_list(c->procs, &np);
	for (size_t i = 0; i < np; i++)
		if (pe[i].cls == PC_QEMU)
			attach_qemu(c, s, &pe[i]);
	for (size_t i = 0; i < np; i++) {
		struct proc_ent *e = &pe[i];
		if (e->cls == PC_HELPER) {
			struct guest_sample *g = find_helper_owner(s, e);
			if (!g || (g->helper_cg && e->cgroup && under(e->cgroup, g->helper_cg)))
				continue; /* counted through its cgroup already */
			if (g->cgroup && e->cgroup && under(e->cgroup, g->cgroup))
				continue; /* inside the guest: the guest's own work */
			g->h_cpu_ns += add_known(e->utime_ns, e->stime_ns);
			g->h_mem += e->rss != VT_UNKNOWN ? e->rss : 0;
			g->h_count++;
		}
	}
	agent_commit(c->agent);
	for (size_t i = 0; i < s->nguests; i++) {
		struct guest_sample *g = &s->guests[i];
		if (g->main_pid)
			read_kvm(c, g, read_vm(c, g, main_start(c, g)));
		agent_facts(c, g);
		if (!g->name)
			g->name = runtime_fallback_name(g->runtime, g->id);
	}
	/* vhost kernel threads (older kernels) serve the VM whose pid they name */
	for (size_t i = 0; i < np; i++) {
		struct proc_ent *e = &pe[i];
		if (e->cls != PC_VHOST_KT)
			continue;
		for (size_t k = 0; k < s->nguests; k++) {
			struct guest_sample *g = &s->guests[k];
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
	if (s->nguests)
		qsort(s->guests, s->nguests, sizeof(*s->guests), cmp_guest);
	vm_sweep(c);
	if (c->focus)
		read_focus(c, s);
	s->notice = agent_notice(c->agent);
	if (!c->told_uid && !s->notice && geteuid() != 0) {
		c->told_uid = true;
		s->notice = xasprintf("running as uid %u, not root: VM working sets and memory "
				      "tax (QEMU's /proc/PID/smaps), the guests' own memory (QMP "
				      "sockets) and container names (Engine API sockets) need root "
				      "and show as -", (unsigned)geteuid());
	}
	return 0;
}
