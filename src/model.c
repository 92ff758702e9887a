/* Rates and virtualization tax from two samples. Pure. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contention.h"
#include "ledger.h"
#include "model.h"
#include "util.h"

const char *iow_src_name(enum iow_src s)
{
	return s == IOW_PSI ? "psi" : s == IOW_DELAYACCT ? "delayacct" : NULL;
}

const char *io_src_name(enum io_src s)
{
	return s == IO_QMP ? "qmp" : s == IO_CGROUP ? "cgroup" : s == IO_TASK ? "task" : NULL;
}

const char *hcpu_name(enum hcpu c)
{
	static const char *const n[HC_COUNT] = {
		[HC_USER] = "user", [HC_NICE] = "nice", [HC_SYSTEM] = "system", [HC_IRQ] = "irq",
		[HC_SOFTIRQ] = "softirq", [HC_IOWAIT] = "iowait", [HC_STEAL] = "steal",
		[HC_GUEST] = "guest", [HC_IDLE] = "idle",
	};
	return (unsigned)c < HC_COUNT ? n[c] : "?";
}

static double pct(uint64_t delta_ns, uint64_t dt_ns)
{
	if (delta_ns == VT_UNKNOWN || !dt_ns)
		return VT_NAN;
	return (double)delta_ns * 100.0 / (double)dt_ns;
}

/* A pressure stall total (us) as % of the interval. */
static double stall_pct(uint64_t now_us, uint64_t before_us, uint64_t dt_ns)
{
	uint64_t d = counter_delta(now_us, before_us);
	return d == VT_UNKNOWN ? VT_NAN : pct(d * 1000, dt_ns);
}

/* per second */
static double rate(uint64_t delta, uint64_t dt_ns)
{
	if (delta == VT_UNKNOWN || !dt_ns)
		return VT_NAN;
	return (double)delta * 1e9 / (double)dt_ns;
}

static int cmp_ptr(const void *a, const void *b)
{
	return guest_sample_cmp(*(const struct guest_sample *const *)a, *(const struct guest_sample *const *)b);
}

static const struct guest_sample *find_prev(const struct guest_sample *const *idx, size_t n,
					    const struct guest_sample *g)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = guest_sample_cmp(idx[mid], g);
		if (!c)
			/* same name but born again (recreated cgroup, reused pid) */
			return idx[mid]->birth == g->birth ? idx[mid] : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A guest and its helpers cannot run for longer than every CPU of the host
 * during the interval. Counters can still say so: process times come in
 * 10 ms clock ticks (over a 50 ms interval one tick is 20% of a CPU), and
 * the kernel folds a running task's time into its counters late. Past the
 * limit, scale every part down to it, as htop caps a process at 100% per
 * CPU, and say so (cpu_capped). */
static void cap_cpu(struct guest_view *v, double helpers, unsigned ncpus)
{
	if (!ncpus)
		return;
	double limit = 100.0 * ncpus;
	double tg = 0;
	for (int t = 0; t < TG_COUNT; t++)
		if (!isnan(v->tg_pct[t]))
			tg += v->tg_pct[t];
	if (tg > limit) {
		for (int t = 0; t < TG_COUNT; t++)
			v->tg_pct[t] *= limit / tg;
		v->cpu_capped = true;
	}
	double sum = isnan(v->cpu_total) ? helpers : v->cpu_total + helpers;
	if (sum <= limit)
		return;
	double k = limit / sum;
	v->cpu_usr *= k;
	v->cpu_sys *= k;
	v->cpu_guest *= k;
	v->cpu_total *= k;
	v->cpu_tax *= k;
	v->cpu_capped = true;
}

static void guest_cpu(const struct guest_sample *p, const struct guest_sample *g, uint64_t dt,
		      unsigned ncpus, struct guest_view *v)
{
	bool vm = v->kind == KIND_VM;
	uint64_t gtime = vm ? counter_delta(g->p_gtime_ns, p->p_gtime_ns) : VT_UNKNOWN;
	uint64_t user = counter_delta(g->cg_user_ns, p->cg_user_ns);
	uint64_t sys = counter_delta(g->cg_system_ns, p->cg_system_ns);
	if (user == VT_UNKNOWN || sys == VT_UNKNOWN) {
		/* no cgroup: the QEMU process itself */
		user = counter_delta(g->p_utime_ns, p->p_utime_ns);
		sys = counter_delta(g->p_stime_ns, p->p_stime_ns);
	} else {
		/* The kernel splits a cgroup's exact runtime (usage) into user and
		 * system in the ratio of its tick samples, never letting either go
		 * back: over a short interval one can jump by more than the time
		 * that passed (the churn soak saw 455% on 2 CPUs). The sum is
		 * exact, so split usage in the ratio of the two deltas. */
		uint64_t usage = counter_delta(g->cg_usage_ns, p->cg_usage_ns);
		if (usage != VT_UNKNOWN && user + sys > 0 && user + sys != usage) {
			double share = (double)user / (double)(user + sys);
			user = (uint64_t)((double)usage * share + 0.5);
			if (user > usage)
				user = usage;
			sys = usage - user;
		}
	}
	/* the kernel counts guest time inside user time: take it out once */
	uint64_t usr = user;
	if (user != VT_UNKNOWN && gtime != VT_UNKNOWN)
		usr = sat_sub(user, gtime);
	v->cpu_usr = pct(usr, dt);
	v->cpu_sys = pct(sys, dt);
	v->cpu_guest = vm ? pct(gtime, dt) : VT_NAN;
	if (isnan(v->cpu_usr) || isnan(v->cpu_sys)) {
		v->cpu_total = VT_NAN;
	} else {
		v->cpu_total = v->cpu_usr + v->cpu_sys + (isnan(v->cpu_guest) ? 0 : v->cpu_guest);
	}
	double helpers = pct(counter_delta(g->h_cpu_ns, p->h_cpu_ns), dt);
	if (isnan(helpers))
		helpers = 0;
	v->cpu_helpers = helpers;
	if (vm)
		v->cpu_tax = isnan(v->cpu_total) ? VT_NAN : v->cpu_usr + v->cpu_sys + helpers;
	else
		v->cpu_tax = helpers;

	/* stall_pct is unknown when either counter is */
	v->stall_cpu = stall_pct(g->cg_cpu_some_us, p->cg_cpu_some_us, dt);
	v->stall_mem = stall_pct(g->cg_mem_some_us, p->cg_mem_some_us, dt);
	v->stall_io = stall_pct(g->cg_io_some_us, p->cg_io_some_us, dt);
	if (!isnan(v->stall_io)) {
		v->cpu_iowait = v->stall_io;
		v->iow_src = IOW_PSI;
	} else {
		uint64_t blk = counter_delta(g->p_blkio_ns, p->p_blkio_ns);
		v->cpu_iowait = pct(blk, dt);
		v->iow_src = blk == VT_UNKNOWN ? IOW_NONE : IOW_DELAYACCT;
	}
	for (int t = 0; t < TG_COUNT; t++)
		v->tg_pct[t] = pct(counter_delta(g->tg_cpu_ns[t], p->tg_cpu_ns[t]), dt);
	v->kvm_exits_ps = rate(counter_delta(g->kvm_exits, p->kvm_exits), dt);
	v->cpu_throttled = pct(counter_delta(g->cg_throttled_ns, p->cg_throttled_ns), dt);
	v->oom_kills = counter_delta(g->cg_oom_kills, p->cg_oom_kills);
	cap_cpu(v, helpers, ncpus);
}

/* Sum of two counters, unknown when either is. */
static uint64_t add_u(uint64_t a, uint64_t b)
{
	return a == VT_UNKNOWN || b == VT_UNKNOWN ? VT_UNKNOWN : a + b;
}

static const struct drive_sample *find_drive(const struct guest_sample *p, const char *name)
{
	for (size_t i = 0; i < p->ndrives; i++)
		if (!strcmp(p->drives[i].name, name))
			return &p->drives[i];
	return NULL;
}

/* Per drive from two QMP replies; false when there is no pair. */
static bool guest_drives(const struct guest_sample *p, const struct guest_sample *g,
			 struct guest_view *v)
{
	if (!g->drives || !p->drives || g->drv_at_ns == VT_UNKNOWN || p->drv_at_ns == VT_UNKNOWN)
		return false;
	/* the same reply twice (refreshes faster than QMP answers): no rate */
	uint64_t ddt = g->drv_at_ns > p->drv_at_ns ? g->drv_at_ns - p->drv_at_ns : 0;
	v->drives = xcalloc(g->ndrives + 1, sizeof(*v->drives));
	v->ndrives = g->ndrives;
	double sum[4] = {0, 0, 0, 0};
	bool known[4] = {true, true, true, true};
	for (size_t i = 0; i < g->ndrives; i++) {
		const struct drive_sample *d = &g->drives[i], *q = find_drive(p, d->name);
		struct drive_view *dv = &v->drives[i];
		dv->d = d;
		dv->read = dv->write = dv->read_ops = dv->write_ops = dv->latency_ms = VT_NAN;
		if (!q || !ddt)
			continue;
		dv->read = rate(counter_delta(d->rd_bytes, q->rd_bytes), ddt);
		dv->write = rate(counter_delta(d->wr_bytes, q->wr_bytes), ddt);
		dv->read_ops = rate(counter_delta(d->rd_ops, q->rd_ops), ddt);
		dv->write_ops = rate(counter_delta(d->wr_ops, q->wr_ops), ddt);
		uint64_t ops = add_u(counter_delta(d->rd_ops, q->rd_ops),
				       counter_delta(d->wr_ops, q->wr_ops));
		uint64_t t = add_u(counter_delta(d->rd_time_ns, q->rd_time_ns),
				     counter_delta(d->wr_time_ns, q->wr_time_ns));
		if (ops && ops != VT_UNKNOWN && t != VT_UNKNOWN)
			dv->latency_ms = (double)t / (double)ops / 1e6;
	}
	for (size_t i = 0; i < v->ndrives; i++) {
		double x[4] = {v->drives[i].read, v->drives[i].write, v->drives[i].read_ops,
			       v->drives[i].write_ops};
		for (int k = 0; k < 4; k++) {
			if (isnan(x[k]))
				known[k] = false;
			else
				sum[k] += x[k];
		}
	}
	v->io_read_bps = known[0] ? sum[0] : VT_NAN;
	v->io_write_bps = known[1] ? sum[1] : VT_NAN;
	v->io_read_ops = known[2] ? sum[2] : VT_NAN;
	v->io_write_ops = known[3] ? sum[3] : VT_NAN;
	v->io_src = IO_QMP;
	return true;
}

/* Disk I/O: a VM's drives over QMP; else the cgroup's, unless it counts
 * nothing while the guest's tasks do I/O (ZFS datasets; v1 blkio, which
 * on some kernels counts only throttled I/O: a VM's there is not trusted). */
static void guest_io(const struct guest_sample *p, const struct guest_sample *g, uint64_t dt,
		     bool v2, struct guest_view *v)
{
	if (guest_drives(p, g, v))
		return;
	uint64_t cr = counter_delta(g->cg_io_rbytes, p->cg_io_rbytes);
	uint64_t cw = counter_delta(g->cg_io_wbytes, p->cg_io_wbytes);
	uint64_t tr = counter_delta(g->p_io_rbytes, p->p_io_rbytes);
	uint64_t tw = counter_delta(g->p_io_wbytes, p->p_io_wbytes);
	uint64_t tdt = dt;
	if ((tr == VT_UNKNOWN || tw == VT_UNKNOWN) && g->p_io_base_ns != VT_UNKNOWN &&
	    g->at_ns != VT_UNKNOWN && g->at_ns > g->p_io_base_ns) {
		/* the sums were read after the sample before (a container
		 * seen first there): the interval runs from that read */
		tr = counter_delta(g->p_io_rbytes, g->p_io_base_rbytes);
		tw = counter_delta(g->p_io_wbytes, g->p_io_base_wbytes);
		tdt = g->at_ns - g->p_io_base_ns;
	}
	bool cg = cr != VT_UNKNOWN && cw != VT_UNKNOWN && (v2 || v->kind != KIND_VM);
	bool task = tr != VT_UNKNOWN && tw != VT_UNKNOWN;
	if (cg && !(task && cr + cw == 0 && tr + tw > 0)) {
		v->io_src = IO_CGROUP;
		v->io_read_bps = rate(cr, dt);
		v->io_write_bps = rate(cw, dt);
		v->io_read_ops = rate(counter_delta(g->cg_io_rios, p->cg_io_rios), dt);
		v->io_write_ops = rate(counter_delta(g->cg_io_wios, p->cg_io_wios), dt);
	} else if (task) {
		v->io_src = IO_TASK;
		v->io_read_bps = rate(tr, tdt);
		v->io_write_bps = rate(tw, tdt);
	}
}

/* A VM's I/O tax: its iothreads, thread-pool workers (they do the
 * blocking reads and writes of aio=threads drives) and vhost workers;
 * without an iothread its drives are served by the main loop, so the
 * emulator threads too. A record from before the pool was counted apart
 * has it unknown: its workers are then in the emulator group. */
static void guest_io_tax(const struct guest_sample *g, struct guest_view *v)
{
	if (v->kind != KIND_VM || isnan(v->tg_pct[TG_IO]) || isnan(v->tg_pct[TG_EMU]))
		return;
	v->cpu_io_tax = v->tg_pct[TG_IO] + (isnan(v->tg_pct[TG_POOL]) ? 0 : v->tg_pct[TG_POOL]) +
			(isnan(v->tg_pct[TG_VHOST]) ? 0 : v->tg_pct[TG_VHOST]);
	if (g->tg_threads[TG_IO] == 0)
		v->cpu_io_tax += v->tg_pct[TG_EMU];
	double bps = (isnan(v->io_read_bps) ? 0 : v->io_read_bps) +
		     (isnan(v->io_write_bps) ? 0 : v->io_write_bps);
	if (bps >= 65536)
		v->cpu_per_gb = v->cpu_io_tax / 100.0 / (bps / 1e9);
}

/* A counter per second, unknown when either side is. */
static double nic_rate(uint64_t now, uint64_t before, uint64_t dt)
{
	return rate(counter_delta(now, before), dt);
}

static const struct nic_sample *find_nic(const struct guest_sample *p, const struct nic_sample *n)
{
	for (size_t i = 0; p && i < p->nnics; i++)
		if (p->nics[i].ifindex == n->ifindex && !strcmp(p->nics[i].name, n->name))
			return &p->nics[i];
	return NULL;
}

static void add_rate(double *sum, double r)
{
	if (!isnan(r))
		*sum = isnan(*sum) ? r : *sum + r;
}

/* Per interface, matched to the previous sample by ifindex and name, and
 * the guest's sums. A guest without interfaces of its own sends 0; one
 * in the host's namespace has no figures. */
static void guest_net(const struct guest_sample *p, const struct guest_sample *g, uint64_t dt,
		      struct guest_view *v)
{
	v->net_rx_bps = v->net_tx_bps = v->net_rx_pps = v->net_tx_pps = VT_NAN;
	v->net_drops_ps = v->net_errors_ps = VT_NAN;
	bool rates = p && dt && p->net == NET_OWN && g->net == NET_OWN;
	if (rates && !g->nnics)
		v->net_rx_bps = v->net_tx_bps = v->net_rx_pps = v->net_tx_pps = v->net_drops_ps =
			v->net_errors_ps = 0;
	for (size_t i = 0; i < v->nnics; i++) {
		struct nic_view *nv = &v->nics[i];
		const struct nic_sample *n = nv->n;
		const struct nic_sample *q = rates ? find_nic(p, n) : NULL;
		nv->rx_bps = nv->tx_bps = nv->rx_pps = nv->tx_pps = nv->drops_ps = nv->errors_ps = VT_NAN;
		if (!q)
			continue;
		nv->rx_bps = nic_rate(n->rx_bytes, q->rx_bytes, dt);
		nv->tx_bps = nic_rate(n->tx_bytes, q->tx_bytes, dt);
		nv->rx_pps = nic_rate(n->rx_packets, q->rx_packets, dt);
		nv->tx_pps = nic_rate(n->tx_packets, q->tx_packets, dt);
		nv->drops_ps = nic_rate(n->drops, q->drops, dt);
		nv->errors_ps = nic_rate(n->errors, q->errors, dt);
		add_rate(&v->net_rx_bps, nv->rx_bps);
		add_rate(&v->net_tx_bps, nv->tx_bps);
		add_rate(&v->net_rx_pps, nv->rx_pps);
		add_rate(&v->net_tx_pps, nv->tx_pps);
		add_rate(&v->net_drops_ps, nv->drops_ps);
		add_rate(&v->net_errors_ps, nv->errors_ps);
	}
}

static void guest_mem(const struct guest_sample *g, struct guest_view *v)
{
	bool vm = v->kind == KIND_VM;
	uint64_t own = g->cg_mem_current != VT_UNKNOWN ? g->cg_mem_current : g->p_rss;
	/* hugetlb pages are in neither RSS nor memory.current */
	if (vm && own != VT_UNKNOWN && g->p_hugetlb != VT_UNKNOWN)
		own += g->p_hugetlb;
	uint64_t helpers = g->h_mem == VT_UNKNOWN ? 0 : g->h_mem;
	v->mem_host = own == VT_UNKNOWN ? VT_UNKNOWN : own + helpers;
	v->mem_cache = g->cg_mem_file;
	bool reported = g->g_total != VT_UNKNOWN && g->g_avail != VT_UNKNOWN;
	v->g_total = g->g_total;
	v->g_used = reported ? sat_sub(g->g_total, g->g_avail) : VT_UNKNOWN;
	v->g_cache = g->g_cache;
	if (!vm) {
		v->mem_ws = (g->cg_mem_current != VT_UNKNOWN && g->cg_mem_inactive_file != VT_UNKNOWN)
				    ? sat_sub(g->cg_mem_current, g->cg_mem_inactive_file)
				    : g->cg_mem_current;
		v->mem_tax = helpers;
		return;
	}
	if (reported) {
		v->mem_ws = v->g_used;
		v->mem_tax = v->mem_host == VT_UNKNOWN ? VT_UNKNOWN : sat_sub(v->mem_host, v->mem_ws);
		return;
	}
	v->mem_ws = g->vm_ram_rss;
	v->mem_tax_lower_bound = true;
	if (own != VT_UNKNOWN && g->vm_ram_rss != VT_UNKNOWN)
		v->mem_tax = sat_sub(own, g->vm_ram_rss) + helpers;
	else
		v->mem_tax = VT_UNKNOWN;
}

/* Kernel memory: memory.stat "kernel" (v2 since 5.18, v1's kmem usage),
 * else the sum of the parts it is made of; and the OOM flag. */
static void guest_kernel(const struct guest_sample *g, uint64_t now_ns, struct guest_view *v)
{
	v->mem_kernel = g->cg_kmem;
	if (v->mem_kernel == VT_UNKNOWN && g->cg_kmem_slab != VT_UNKNOWN) {
		const uint64_t parts[] = {g->cg_kmem_stack, g->cg_kmem_pagetables,
					  g->cg_kmem_sec_pagetables, g->cg_kmem_slab,
					  g->cg_kmem_percpu};
		v->mem_kernel = 0;
		for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
			if (parts[i] != VT_UNKNOWN)
				v->mem_kernel += parts[i];
	}
	v->oom_recent = (v->oom_kills != VT_UNKNOWN && v->oom_kills > 0) ||
			(g->cg_oom_at_ns != VT_UNKNOWN && now_ns != VT_UNKNOWN &&
			 now_ns >= g->cg_oom_at_ns && now_ns - g->cg_oom_at_ns < OOM_RECENT_NS);
}

static void host_cpu(const struct host_sample *p, const struct host_sample *h, struct host_view *v)
{
	uint64_t d[10] = {
		counter_delta(h->t_user, p->t_user),     counter_delta(h->t_nice, p->t_nice),
		counter_delta(h->t_system, p->t_system), counter_delta(h->t_idle, p->t_idle),
		counter_delta(h->t_iowait, p->t_iowait), counter_delta(h->t_irq, p->t_irq),
		counter_delta(h->t_softirq, p->t_softirq), counter_delta(h->t_steal, p->t_steal),
		counter_delta(h->t_guest, p->t_guest),   counter_delta(h->t_guest_nice, p->t_guest_nice),
	};
	for (int i = 0; i < 10; i++)
		if (d[i] == VT_UNKNOWN)
			d[i] = 0;
	/* user and nice already contain guest and guest_nice */
	uint64_t guest = d[8] > d[0] ? d[0] : d[8];
	uint64_t gnice = d[9] > d[1] ? d[1] : d[9];
	uint64_t total = d[0] + d[1] + d[2] + d[3] + d[4] + d[5] + d[6] + d[7];
	if (!total)
		return;
	double t = (double)total;
	v->cpu[HC_USER] = (double)(d[0] - guest) * 100.0 / t;
	v->cpu[HC_NICE] = (double)(d[1] - gnice) * 100.0 / t;
	v->cpu[HC_SYSTEM] = (double)d[2] * 100.0 / t;
	v->cpu[HC_IDLE] = (double)d[3] * 100.0 / t;
	v->cpu[HC_IOWAIT] = (double)d[4] * 100.0 / t;
	v->cpu[HC_IRQ] = (double)d[5] * 100.0 / t;
	v->cpu[HC_SOFTIRQ] = (double)d[6] * 100.0 / t;
	v->cpu[HC_STEAL] = (double)d[7] * 100.0 / t;
	v->cpu[HC_GUEST] = (double)(guest + gnice) * 100.0 / t;
}

static uint64_t sum_known(uint64_t a, uint64_t b)
{
	return b == VT_UNKNOWN ? a : a + b;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_view *x = a, *y = b;
	double cx = isnan(x->cpu) ? -1 : x->cpu, cy = isnan(y->cpu) ? -1 : y->cpu;
	if (cx != cy)
		return cx < cy ? 1 : -1;
	if (x->p->rss != y->p->rss)
		return x->p->rss < y->p->rss ? 1 : -1;
	return (x->p->pid > y->p->pid) - (x->p->pid < y->p->pid);
}

/* Per-process CPU of the focused guest, matched by pid and start time. */
static void focus_procs(const struct sample *prev, const struct sample *cur, uint64_t dt,
			struct frame *f)
{
	if (!cur->focus || !cur->nfprocs)
		return;
	bool same = prev && dt && prev->focus && !strcmp(prev->focus, cur->focus);
	f->procs = xcalloc(cur->nfprocs, sizeof(*f->procs));
	f->nprocs = cur->nfprocs;
	for (size_t i = 0; i < cur->nfprocs; i++) {
		const struct proc_sample *p = &cur->fprocs[i];
		f->procs[i].p = p;
		f->procs[i].cpu = VT_NAN;
		for (size_t k = 0; same && k < prev->nfprocs; k++) {
			const struct proc_sample *q = &prev->fprocs[k];
			if (q->pid == p->pid && q->start == p->start) {
				f->procs[i].cpu = pct(counter_delta(p->cpu_ns, q->cpu_ns), dt);
				break;
			}
		}
	}
	qsort(f->procs, f->nprocs, sizeof(*f->procs), cmp_proc);
}

/* Host counters: CPU split, pressure and memory (no guest sums yet). */
static void host_view(const struct sample *prev, const struct host_sample *h, uint64_t dt,
		      struct host_view *hv)
{
	hv->ncpus = h->ncpus;
	for (int i = 0; i < HC_COUNT; i++)
		hv->cpu[i] = VT_NAN;
	hv->psi_cpu = hv->psi_io = hv->psi_mem = hv->self_cpu = VT_NAN;
	hv->self_rss = h->self_rss;
	if (dt) {
		host_cpu(&prev->host, h, hv);
		hv->psi_cpu = stall_pct(h->psi_cpu_some, prev->host.psi_cpu_some, dt);
		hv->psi_io = stall_pct(h->psi_io_some, prev->host.psi_io_some, dt);
		hv->psi_mem = stall_pct(h->psi_mem_some, prev->host.psi_mem_some, dt);
		uint64_t self = counter_delta(h->self_cpu_ns, prev->host.self_cpu_ns);
		hv->self_cpu = self == VT_UNKNOWN ? VT_NAN : (double)self * 100.0 / (double)dt;
	}
	hv->cpu_usr_nice = hv->cpu[HC_USER] + (isnan(hv->cpu[HC_NICE]) ? 0 : hv->cpu[HC_NICE]);
	hv->cpu_irq_all = isnan(hv->cpu[HC_IRQ]) ? VT_NAN : hv->cpu[HC_IRQ] + hv->cpu[HC_SOFTIRQ];
	hv->mem_total = h->mem_total;
	hv->mem_available = h->mem_available;
	hv->mem_free = h->mem_free;
	hv->mem_used = (h->mem_total != VT_UNKNOWN && h->mem_available != VT_UNKNOWN)
			       ? sat_sub(h->mem_total, h->mem_available) : VT_UNKNOWN;
	hv->page_cache = (h->mem_cached != VT_UNKNOWN) ? h->mem_cached + sum_known(0, h->mem_buffers)
						       : VT_UNKNOWN;
	hv->anon = h->mem_anon;
	hv->zfs_arc = h->zfs_arc;
	hv->ksm_shared = h->ksm_sharing;
	hv->huge_total = (h->huge_total != VT_UNKNOWN && h->huge_size != VT_UNKNOWN)
				 ? h->huge_total * h->huge_size : VT_UNKNOWN;
	hv->huge_free = (h->huge_free != VT_UNKNOWN && h->huge_size != VT_UNKNOWN)
				? h->huge_free * h->huge_size : VT_UNKNOWN;
	hv->load[0] = h->load1;
	hv->load[1] = h->load5;
	hv->load[2] = h->load15;
	hv->uptime_s = h->uptime_s;
}

/* Totals that need the guests: the host's own memory, the MEM bar. */
static void host_totals(const struct host_sample *h, bool rates, struct host_view *hv)
{
	if (!rates) {
		hv->tax_cpu = VT_NAN;
		hv->guests_cpu = VT_NAN;
	}
	hv->tax_cpu_host = isnan(hv->tax_cpu) ? VT_NAN : hv->tax_cpu / (hv->ncpus ? hv->ncpus : 1);
	/* memory in use that no guest accounts for: the host's own */
	if (h->mem_total != VT_UNKNOWN && h->mem_free != VT_UNKNOWN && hv->page_cache != VT_UNKNOWN) {
		uint64_t used = sat_sub(sat_sub(h->mem_total, h->mem_free), hv->page_cache);
		uint64_t guests_noncache = sat_sub(hv->guests_host, hv->guests_cache);
		hv->host_own = sat_sub(used, guests_noncache);
	} else {
		hv->host_own = VT_UNKNOWN;
	}
	uint64_t arc = hv->zfs_arc == VT_UNKNOWN ? 0 : hv->zfs_arc;
	uint64_t gnc = sat_sub(hv->guests_host, hv->guests_cache);
	uint64_t tax = hv->guests_tax > gnc ? gnc : hv->guests_tax;
	hv->mem_bar[MP_GUESTS] = sat_sub(gnc, tax);
	hv->mem_bar[MP_TAX] = tax;
	hv->mem_bar[MP_CACHE] = hv->page_cache;
	hv->mem_bar[MP_ARC] = arc;
	hv->mem_bar[MP_OWN] = hv->host_own == VT_UNKNOWN ? VT_UNKNOWN : sat_sub(hv->host_own, arc);
	uint64_t rest = hv->mem_total;
	for (int i = 0; i < MP_FREE; i++)
		if (hv->mem_bar[i] != VT_UNKNOWN)
			rest = sat_sub(rest, hv->mem_bar[i]);
	hv->mem_bar[MP_FREE] = rest;
}

/* libvirt's interface and block rates, over the interval between its
 * two answers (the agent asks every 2 s, apart from the refreshes). */
static void guest_libvirt(const struct guest_sample *p, const struct guest_sample *g,
			  struct guest_view *v)
{
	uint64_t dt = counter_delta(g->lv_at_ns, p->lv_at_ns);
	if (dt == VT_UNKNOWN || !dt)
		return; /* no answer, or the same answer twice: no rate yet */
	v->lv_net_rx_bps = rate(counter_delta(g->lv_net_rx_bytes, p->lv_net_rx_bytes), dt);
	v->lv_net_tx_bps = rate(counter_delta(g->lv_net_tx_bytes, p->lv_net_tx_bytes), dt);
	v->lv_blk_rd_bps = rate(counter_delta(g->lv_blk_rd_bytes, p->lv_blk_rd_bytes), dt);
	v->lv_blk_wr_bps = rate(counter_delta(g->lv_blk_wr_bytes, p->lv_blk_wr_bytes), dt);
}

/* One guest's view: rates against its previous sample p (or none). */
/* The guest's CPU as its agent saw it: each part's share of the change
 * of all parts, times the guest's CPUs, so the guest's own clock sets the
 * interval, not when the agent happened to be asked. The change is
 * between the two samples' readings, else between the agent's last two
 * (a refresh faster than the agent is asked). */
static void guest_inside(const struct guest_sample *p, const struct guest_sample *g,
			 struct guest_view *v)
{
	double *out[5] = {&v->gcpu_user, &v->gcpu_system, &v->gcpu_iowait, &v->gcpu_steal,
			  &v->gcpu_idle};
	for (size_t k = 0; k < 5; k++)
		*out[k] = VT_NAN;
	if (g->qga_ncpu == VT_UNKNOWN || !g->qga_ncpu)
		return;
	const uint64_t now[5] = {g->qga_user, g->qga_system, g->qga_iowait, g->qga_steal, g->qga_idle};
	const uint64_t bp[5] = {p ? p->qga_user : VT_UNKNOWN, p ? p->qga_system : 0,
				p ? p->qga_iowait : 0, p ? p->qga_steal : 0, p ? p->qga_idle : 0};
	const uint64_t bg[5] = {g->qga_prev_user, g->qga_prev_system, g->qga_prev_iowait,
				g->qga_prev_steal, g->qga_prev_idle};
	const uint64_t *cand[2] = {p && p->qga_ncpu == g->qga_ncpu ? bp : NULL, bg};
	for (size_t c = 0; c < 2; c++) {
		const uint64_t *before = cand[c];
		if (!before)
			continue;
		double d[5], sum = 0;
		bool ok = true;
		for (size_t k = 0; k < 5 && ok; k++) {
			/* a counter gone back (the guest rebooted) spoils the split */
			ok = now[k] != VT_UNKNOWN && before[k] != VT_UNKNOWN && now[k] >= before[k];
			d[k] = ok ? (double)(now[k] - before[k]) : 0;
			sum += d[k];
		}
		if (!ok || sum <= 0)
			continue;
		for (size_t k = 0; k < 5; k++)
			*out[k] = d[k] / sum * (double)g->qga_ncpu * 100.0;
		return;
	}
}

static void guest_view(const struct guest_sample *p, const struct guest_sample *g, uint64_t dt,
		       unsigned ncpus, bool v2, struct nic_view *nics, struct guest_view *v)
{
	v->g = g;
	v->nics = nics;
	v->nnics = g->net == NET_OWN ? g->nnics : 0;
	for (size_t i = 0; i < v->nnics; i++)
		nics[i].n = &g->nics[i];
	guest_net(p, g, dt, v);
	v->kind = runtime_kind(g->runtime);
	v->cpu_usr = v->cpu_sys = v->cpu_guest = v->cpu_iowait = v->cpu_total = v->cpu_tax = VT_NAN;
	v->stall_cpu = v->stall_io = v->stall_mem = VT_NAN;
	v->io_read_bps = v->io_write_bps = v->kvm_exits_ps = VT_NAN;
	v->lv_net_rx_bps = v->lv_net_tx_bps = v->lv_blk_rd_bps = v->lv_blk_wr_bps = VT_NAN;
	v->cpu_throttled = v->cpu_helpers = VT_NAN;
	v->oom_kills = VT_UNKNOWN;
	v->io_read_ops = v->io_write_ops = v->cpu_io_tax = v->cpu_per_gb = VT_NAN;
	for (int t = 0; t < TG_COUNT; t++)
		v->tg_pct[t] = VT_NAN;
	if (p) {
		v->has_rates = true;
		/* the guest's own interval: its counters are read a little
		 * after the host's, by a varying amount */
		uint64_t gdt = dt;
		if (g->at_ns != VT_UNKNOWN && p->at_ns != VT_UNKNOWN && g->at_ns > p->at_ns)
			gdt = g->at_ns - p->at_ns;
		guest_cpu(p, g, gdt, ncpus, v);
		guest_libvirt(p, g, v);
		guest_io(p, g, gdt, v2, v);
		guest_io_tax(g, v);
		contention_guest(p, g, gdt, v);
	} else {
		contention_guest(NULL, g, 0, v);
	}
	guest_mem(g, v);
	guest_inside(p, g, v);
	guest_ledger(v);
}

static void add_to_host(const struct guest_view *v, struct host_view *hv)
{
	hv->n_kind[v->kind]++;
	hv->guests_ws = sum_known(hv->guests_ws, v->mem_ws);
	hv->guests_tax = sum_known(hv->guests_tax, v->mem_tax);
	hv->guests_host = sum_known(hv->guests_host, v->mem_host);
	hv->guests_cache = sum_known(hv->guests_cache, v->mem_cache);
	if (!isnan(v->cpu_tax))
		hv->tax_cpu += v->cpu_tax;
	if (!isnan(v->cpu_total))
		hv->guests_cpu += v->cpu_total;
}

void model_compute(const struct sample *prev, const struct sample *cur, struct frame *f)
{
	memset(f, 0, sizeof(*f));
	f->cur = cur;
	f->time_ms = cur->host.real_ms;
	const struct host_sample *h = &cur->host;
	uint64_t dt = 0;
	if (prev && prev->host.mono_ns != VT_UNKNOWN && h->mono_ns != VT_UNKNOWN &&
	    h->mono_ns > prev->host.mono_ns)
		dt = h->mono_ns - prev->host.mono_ns;
	f->has_rates = dt > 0;
	f->interval_s = dt ? (double)dt / 1e9 : VT_NAN;
	host_view(prev, h, dt, &f->host);

	const struct guest_sample **idx = NULL;
	if (prev && dt && prev->nguests) {
		idx = xmalloc(prev->nguests * sizeof(*idx));
		for (size_t i = 0; i < prev->nguests; i++)
			idx[i] = &prev->guests[i];
		qsort(idx, prev->nguests, sizeof(*idx), cmp_ptr);
	}
	f->n = cur->nguests;
	f->guests = xcalloc(f->n ? f->n : 1, sizeof(*f->guests));
	size_t nnics = 0;
	for (size_t i = 0; i < cur->nguests; i++)
		nnics += cur->guests[i].net == NET_OWN ? cur->guests[i].nnics : 0;
	f->nics = xcalloc(nnics ? nnics : 1, sizeof(*f->nics));
	nnics = 0;
	for (size_t i = 0; i < cur->nguests; i++) {
		const struct guest_sample *g = &cur->guests[i];
		const struct guest_sample *p = idx ? find_prev(idx, prev->nguests, g) : NULL;
		guest_view(p, g, dt, h->ncpus, cur->cg_version == 2, f->nics + nnics, &f->guests[i]);
		guest_kernel(g, h->mono_ns, &f->guests[i]);
		nnics += f->guests[i].nnics;
		add_to_host(&f->guests[i], &f->host);
	}
	free(idx);
	contention_frame(prev, dt, f);
	focus_procs(prev, cur, dt, f);
	host_totals(h, dt > 0, &f->host);
}

void frame_free(struct frame *f)
{
	free(f->nics);
	f->nics = NULL;
	free(f->procs);
	f->procs = NULL;
	f->nprocs = 0;
	for (size_t i = 0; i < f->n; i++) {
		free(f->guests[i].drives);
		free(f->guests[i].vcpus);
	}
	free(f->guests);
	f->guests = NULL;
	f->n = 0;
}
