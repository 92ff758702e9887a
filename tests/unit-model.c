/* The model against numbers worked out by hand. */
#include "config.h"

#include <stdlib.h>

#include "model.h"
#include "tap.h"
#include "util.h"

#define MiB (1024ull * 1024)
#define S(x) ((uint64_t)((x) * 1e9))

static struct guest_sample *add(struct sample *s, enum runtime rt, const char *id, uint64_t birth)
{
	struct guest_sample *g = sample_add_guest(s);
	g->runtime = rt;
	g->id = xstrdup(id);
	g->name = xstrdup(id);
	g->birth = birth;
	return g;
}

static void host(struct sample *s, uint64_t mono, uint64_t user, uint64_t nice, uint64_t sys,
		 uint64_t idle, uint64_t iow, uint64_t irq, uint64_t sirq, uint64_t guest)
{
	struct host_sample *h = &s->host;
	host_sample_init(h);
	h->mono_ns = mono;
	h->ncpus = 4;
	h->hz = 100;
	h->t_user = user;
	h->t_nice = nice;
	h->t_system = sys;
	h->t_idle = idle;
	h->t_iowait = iow;
	h->t_irq = irq;
	h->t_softirq = sirq;
	h->t_steal = 0;
	h->t_guest = guest;
	h->t_guest_nice = 0;
	h->mem_total = 8192 * MiB;
	h->mem_free = 2048 * MiB;
	h->mem_available = 5000 * MiB;
	h->mem_cached = 3072 * MiB;
	h->mem_buffers = 0;
}

static const struct guest_view *find(const struct frame *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->guests[i].g->id, id))
			return &f->guests[i];
	return NULL;
}

static struct nic_sample *nic(struct guest_sample *g, const char *name, uint64_t ifindex,
			       uint64_t rx, uint64_t tx)
{
	g->net = NET_OWN;
	g->nics = xrealloc(g->nics, (g->nnics + 1) * sizeof(*g->nics));
	struct nic_sample *n = &g->nics[g->nnics++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->ifindex = ifindex;
	n->rx_bytes = rx;
	n->tx_bytes = tx;
	n->rx_packets = rx / 1000;
	n->tx_packets = tx / 1000;
	return n;
}

/* Network rates from the guest's side, per interface and summed; an
 * interface made again has no rate; the host's namespace is unknown, no
 * interface is 0. */
static void net(void)
{
	struct sample a = {0}, b = {0};
	host(&a, S(10), 0, 0, 0, 0, 0, 0, 0, 0);
	host(&b, S(12), 0, 0, 0, 0, 0, 0, 0, 0);
	struct guest_sample *va = add(&a, RT_PVE_QEMU, "100", 1), *vb = add(&b, RT_PVE_QEMU, "100", 1);
	nic(va, "tap100i0", 14, 1000000, 500000)->drops = 10;
	nic(vb, "tap100i0", 14, 3000000, 600000)->drops = 14;
	nic(va, "tap100i1", 15, 0, 0);
	nic(vb, "tap100i1", 15, 40000, 20000);
	struct guest_sample *ca = add(&a, RT_DOCKER, "aa", 2), *cb = add(&b, RT_DOCKER, "aa", 2);
	nic(ca, "vethx", 20, 1000, 1000);
	nic(cb, "vethx", 21, 5000, 5000);   /* deleted and made again: new ifindex */
	struct guest_sample *ha = add(&a, RT_DOCKER, "bb", 3), *hb = add(&b, RT_DOCKER, "bb", 3);
	ha->net = hb->net = NET_HOST;
	struct guest_sample *na = add(&a, RT_DOCKER, "cc", 4), *nb = add(&b, RT_DOCKER, "cc", 4);
	na->net = nb->net = NET_OWN;
	add(&a, RT_DOCKER, "dd", 5);
	add(&b, RT_DOCKER, "dd", 5);        /* unknown (not root) */

	struct frame f;
	model_compute(&a, &b, &f);
	const struct guest_view *v = &f.guests[0];
	CHECK_INT(v->nnics, 2);
	CHECK_NEAR(v->nics[0].rx_bps, 1000000, 1e-6);
	CHECK_NEAR(v->nics[0].tx_bps, 50000, 1e-6);
	CHECK_NEAR(v->nics[0].drops_ps, 2, 1e-9);
	CHECK_NEAR(v->nics[0].rx_pps, 1000, 1e-9);
	CHECK_NEAR(v->net_rx_bps, 1020000, 1e-6);
	CHECK_NEAR(v->net_tx_bps, 60000, 1e-6);
	CHECK_NEAR(v->net_rx_pps, 1020, 1e-9);
	v = &f.guests[1];
	CHECK(isnan(v->nics[0].rx_bps), "a recreated interface has no rate");
	CHECK(isnan(v->net_rx_bps), "nor its guest, when it is its only one");
	CHECK(isnan(f.guests[2].net_rx_bps) && !f.guests[2].nnics, "host namespace: unknown");
	CHECK_NEAR(f.guests[3].net_rx_bps, 0, 0);
	CHECK_NEAR(f.guests[3].net_drops_ps, 0, 0);
	CHECK(isnan(f.guests[4].net_tx_bps), "not found: unknown, not 0");
	frame_free(&f);
	/* first frame: no rates, but the interfaces are there */
	model_compute(NULL, &b, &f);
	CHECK_INT(f.guests[0].nnics, 2);
	CHECK(isnan(f.guests[0].net_rx_bps) && isnan(f.guests[0].nics[1].tx_bps), "first frame");
	CHECK(isnan(f.guests[3].net_rx_bps), "no interfaces: 0 only with a previous sample");
	frame_free(&f);
	sample_free(&a);
	sample_free(&b);
}

int main(void)
{
	net();
	struct sample a = {0}, b = {0};
	host(&a, S(1), 1000, 100, 500, 5000, 50, 20, 30, 400);
	host(&b, S(3), 1100, 110, 520, 5060, 55, 22, 33, 440);

	/* a KVM VM reporting its memory through the balloon */
	struct guest_sample *v = add(&a, RT_PVE_QEMU, "100", 7);
	v->cg_user_ns = S(10);
	v->cg_system_ns = S(1);
	v->p_gtime_ns = S(8);
	v->cg_io_some_us = 1000000;
	v->cg_cpu_some_us = 5000000;
	v->cg_mem_some_us = 0;
	v = add(&b, RT_PVE_QEMU, "100", 7);
	v->cg_user_ns = S(11.2);
	v->cg_system_ns = S(1.1);
	v->p_gtime_ns = S(9);
	v->cg_io_some_us = 1200000;
	v->cg_cpu_some_us = 5500000;
	v->cg_mem_some_us = 20000;
	v->cg_mem_current = 2031 * MiB;
	v->cg_mem_file = 20 * MiB;
	v->g_total = 1974 * MiB;
	v->g_avail = 1464 * MiB;
	v->g_cache = 1524 * MiB;
	v->main_pid = 4242;

	/* an LXC container with its monitor */
	struct guest_sample *c = add(&a, RT_LXC, "web", 9);
	c->cg_user_ns = S(3);
	c->cg_system_ns = S(1);
	c->h_cpu_ns = S(0.5);
	c = add(&b, RT_LXC, "web", 9);
	c->cg_user_ns = S(3.5);
	c->cg_system_ns = S(1.1);
	c->h_cpu_ns = S(0.52);
	c->h_mem = 2 * MiB;
	c->cg_mem_current = 1961 * MiB;
	c->cg_mem_file = 1851 * MiB;
	c->cg_mem_inactive_file = 1750 * MiB;

	/* user jumped 0.9 s in a 2 s interval while usage, the exact sum,
	 * grew 0.4 s: the kernel's user/system split catching up. usage is
	 * split in the ratio of the deltas (0.9 : 0.1): 18% usr, 2% sys */
	struct guest_sample *j = add(&a, RT_DOCKER, "jumpy", 13);
	j->cg_usage_ns = S(20);
	j->cg_user_ns = S(12);
	j->cg_system_ns = S(8);
	j = add(&b, RT_DOCKER, "jumpy", 13);
	j->cg_usage_ns = S(20.4);
	j->cg_user_ns = S(12.9);
	j->cg_system_ns = S(8.1);

	/* plain QEMU under TCG, no cgroup, no balloon */
	struct guest_sample *q = add(&a, RT_QEMU, "555", 11);
	q->p_utime_ns = S(5);
	q->p_stime_ns = S(1);
	q->p_gtime_ns = 0;
	q = add(&b, RT_QEMU, "555", 11);
	q->p_utime_ns = S(6);
	q->p_stime_ns = S(1.2);
	q->p_gtime_ns = 0;
	q->p_rss = 600 * MiB;
	q->vm_ram_rss = 512 * MiB;
	q->main_pid = 555;

	/* recreated under the same name: no rates across the gap */
	struct guest_sample *r = add(&a, RT_DOCKER, "abcabcabcabc", 1);
	r->cg_user_ns = S(100);
	r->cg_system_ns = S(100);
	r = add(&b, RT_DOCKER, "abcabcabcabc", 2);
	r->cg_user_ns = S(1);
	r->cg_system_ns = S(1);

	/* read 1.5 s apart although the host samples are 2 s apart: the
	 * guest's own interval counts */
	struct guest_sample *k = add(&a, RT_LXC, "skew", 5);
	k->cg_user_ns = S(1);
	k->cg_system_ns = 0;
	k->at_ns = S(1.2);
	k = add(&b, RT_LXC, "skew", 5);
	k->cg_user_ns = S(1.75);
	k->cg_system_ns = 0;
	k->at_ns = S(2.7);

	/* counters that went backwards (reset) saturate at zero */
	struct guest_sample *z = add(&a, RT_PODMAN, "def0def0def0", 3);
	z->cg_user_ns = S(50);
	z->cg_system_ns = S(5);
	z = add(&b, RT_PODMAN, "def0def0def0", 3);
	z->cg_user_ns = S(10);
	z->cg_system_ns = S(6);

	/* a plain QEMU whose clock-tick counters say 9 s of CPU in 2 s on a
	 * 4-CPU host: scaled to the 400% that 4 CPUs allow, marked capped */
	struct guest_sample *t = add(&a, RT_QEMU, "777", 17);
	t->p_utime_ns = S(1);
	t->p_stime_ns = S(1);
	t->p_gtime_ns = 0;
	t = add(&b, RT_QEMU, "777", 17);
	t->p_utime_ns = S(8);
	t->p_stime_ns = S(3);
	t->p_gtime_ns = 0;

	/* first frame: memory, no rates */
	struct frame f;
	model_compute(NULL, &b, &f);
	CHECK(!f.has_rates, "first frame has no rates");
	CHECK(isnan(find(&f, "100")->cpu_total), "first frame CPU is unknown, not 0");
	CHECK(isnan(f.host.cpu[HC_USER]), "first frame host CPU unknown");
	CHECK_U64(find(&f, "100")->mem_tax, 1521 * MiB);
	frame_free(&f);

	model_compute(&a, &b, &f);
	CHECK(f.has_rates, "second frame has rates");
	CHECK_NEAR(f.interval_s, 2.0, 1e-9);

	/* host: user 100 (40 guest), nice 10, sys 20, idle 60, iow 5, irq 2, sirq 3: 200 */
	CHECK_NEAR(f.host.cpu[HC_USER], 30.0, 1e-9);
	CHECK_NEAR(f.host.cpu[HC_NICE], 5.0, 1e-9);
	CHECK_NEAR(f.host.cpu[HC_SYSTEM], 10.0, 1e-9);
	CHECK_NEAR(f.host.cpu[HC_IDLE], 30.0, 1e-9);
	CHECK_NEAR(f.host.cpu[HC_IOWAIT], 2.5, 1e-9);
	CHECK_NEAR(f.host.cpu[HC_IRQ], 1.0, 1e-9);
	CHECK_NEAR(f.host.cpu[HC_SOFTIRQ], 1.5, 1e-9);
	CHECK_NEAR(f.host.cpu[HC_GUEST], 20.0, 1e-9);
	double sum = 0;
	for (int i = 0; i < HC_COUNT; i++)
		sum += f.host.cpu[i];
	CHECK_NEAR(sum, 100.0, 1e-9);

	/* VM: user 1.2 s incl. guest 1.0 s, sys 0.1 s, over 2 s */
	const struct guest_view *gv = find(&f, "100");
	CHECK_NEAR(gv->cpu_usr, 10.0, 1e-9);
	CHECK_NEAR(gv->cpu_sys, 5.0, 1e-9);
	CHECK_NEAR(gv->cpu_guest, 50.0, 1e-9);
	CHECK_NEAR(gv->cpu_total, 65.0, 1e-9);
	CHECK_NEAR(gv->cpu_tax, 15.0, 1e-9);
	CHECK_NEAR(gv->cpu_iowait, 10.0, 1e-9);
	CHECK(gv->iow_src == IOW_PSI, "VM iowait from PSI");
	/* cgroup PSI "some": 0.5 s, 0.2 s and 0.02 s stalled in 2 s */
	CHECK_NEAR(gv->stall_cpu, 25.0, 1e-9);
	CHECK_NEAR(gv->stall_io, 10.0, 1e-9);
	CHECK_NEAR(gv->stall_mem, 1.0, 1e-9);
	CHECK_U64(gv->mem_host, 2031 * MiB);
	CHECK_U64(gv->mem_ws, 510 * MiB);
	CHECK_U64(gv->mem_tax, 1521 * MiB);
	CHECK(!gv->mem_tax_lower_bound, "balloon-backed tax is exact");
	CHECK_U64(gv->g_used, 510 * MiB);
	CHECK_U64(gv->g_cache, 1524 * MiB);

	/* container: user 0.5 s, sys 0.1 s, monitor 0.02 s */
	gv = find(&f, "web");
	CHECK_NEAR(gv->cpu_usr, 25.0, 1e-9);
	CHECK_NEAR(gv->cpu_sys, 5.0, 1e-9);
	CHECK(isnan(gv->cpu_guest), "containers have no guest time");
	CHECK_NEAR(gv->cpu_total, 30.0, 1e-9);
	CHECK_NEAR(gv->cpu_tax, 1.0, 1e-6);
	CHECK(isnan(gv->cpu_iowait) && gv->iow_src == IOW_NONE, "no iowait source: unknown");
	CHECK(isnan(gv->stall_cpu) && isnan(gv->stall_mem), "no pressure files: stalls unknown");
	CHECK_U64(gv->mem_host, 1963 * MiB);
	CHECK_U64(gv->mem_ws, 211 * MiB);
	CHECK_U64(gv->mem_cache, 1851 * MiB);
	CHECK_U64(gv->mem_tax, 2 * MiB);

	/* plain QEMU: 1.0 s user, 0.2 s sys, all of it tax under TCG */
	gv = find(&f, "jumpy");
	CHECK(gv != NULL, "container with a jumpy user/system split found");
	if (gv) {
		CHECK_NEAR(gv->cpu_total, 20.0, 1e-6);
		CHECK_NEAR(gv->cpu_usr, 18.0, 1e-6);
		CHECK_NEAR(gv->cpu_sys, 2.0, 1e-6);
	}
	gv = find(&f, "555");
	CHECK_NEAR(gv->cpu_usr, 50.0, 1e-9);
	CHECK_NEAR(gv->cpu_sys, 10.0, 1e-9);
	CHECK_NEAR(gv->cpu_guest, 0.0, 1e-9);
	CHECK_NEAR(gv->cpu_tax, 60.0, 1e-9);
	CHECK_U64(gv->mem_host, 600 * MiB);
	CHECK_U64(gv->mem_ws, 512 * MiB);
	CHECK_U64(gv->mem_tax, 88 * MiB);
	CHECK(gv->mem_tax_lower_bound, "RSS-based tax is a lower bound");

	CHECK(!gv->cpu_capped, "60%% on 4 CPUs is not capped");
	gv = find(&f, "777");
	CHECK(gv->cpu_capped, "450%% on 4 CPUs is capped");
	CHECK_NEAR(gv->cpu_total, 400.0, 1e-6);
	CHECK_NEAR(gv->cpu_usr, 400.0 * 7 / 9, 1e-6);
	CHECK_NEAR(gv->cpu_sys, 400.0 * 2 / 9, 1e-6);
	CHECK_NEAR(gv->cpu_tax, 400.0, 1e-6);

	gv = find(&f, "skew");
	CHECK_NEAR(gv->cpu_usr, 50.0, 1e-9);

	gv = find(&f, "abcabcabcabc");
	CHECK(!gv->has_rates && isnan(gv->cpu_total), "a reborn guest shows no rates");
	gv = find(&f, "def0def0def0");
	CHECK_NEAR(gv->cpu_usr, 0.0, 1e-9);
	CHECK_NEAR(gv->cpu_sys, 50.0, 1e-9);

	/* sums: tax CPU 15 + 1 + 60 + 400 + 0 (podman: no helpers) */
	CHECK_NEAR(f.host.tax_cpu, 476.0, 1e-6);
	CHECK_U64(f.host.guests_tax, (1521 + 2 + 88) * MiB);
	CHECK_INT(f.host.n_kind[KIND_VM], 3);
	CHECK_INT(f.host.n_kind[KIND_CT], 5); /* web, jumpy, abcabc, skew, def0 */
	/* host own: total 8192 - free 2048 - cache 3072 = 3072 non-cache in use;
	 * guests non-cache: VM 2011 + web 112 + qemu 600 */
	CHECK_U64(f.host.host_own, (3072 - 2011 - 112 - 600) * MiB);
	frame_free(&f);

	/* the focused guest's processes: CPU by pid and start time */
	a.focus = xstrdup("lxc/web");
	b.focus = xstrdup("lxc/web");
	a.fprocs = xcalloc(3, sizeof(*a.fprocs));
	b.fprocs = xcalloc(3, sizeof(*b.fprocs));
	a.nfprocs = b.nfprocs = 3;
	struct proc_sample pa[3] = {{10, 100, S(1), 1 * MiB, "nginx"}, {11, 100, S(2), 2 * MiB, "php"},
				    {12, 100, S(3), 3 * MiB, "old"}};
	struct proc_sample pb[3] = {{10, 100, S(1.5), 1 * MiB, "nginx"}, {11, 100, S(2.1), 2 * MiB, "php"},
				    {12, 200, S(0.1), 3 * MiB, "reused"}};
	memcpy(a.fprocs, pa, sizeof(pa));
	memcpy(b.fprocs, pb, sizeof(pb));
	model_compute(&a, &b, &f);
	CHECK_INT(f.nprocs, 3);
	if (f.nprocs == 3) {
		CHECK_INT(f.procs[0].p->pid, 10);
		CHECK_NEAR(f.procs[0].cpu, 25.0, 1e-6);
		CHECK_INT(f.procs[1].p->pid, 11);
		CHECK_NEAR(f.procs[1].cpu, 5.0, 1e-6);
		CHECK(isnan(f.procs[2].cpu), "a reused pid has no rate");
	}
	frame_free(&f);
	free(b.focus);
	b.focus = xstrdup("lxc/other");
	model_compute(&a, &b, &f);
	CHECK(f.nprocs == 3 && isnan(f.procs[0].cpu), "another focus: no rates");
	frame_free(&f);

	CHECK_U64(counter_delta(5, 7), 0);
	CHECK_U64(counter_delta(VT_UNKNOWN, 7), VT_UNKNOWN);
	CHECK_U64(counter_delta(9, 7), 2);

	sample_free(&a);
	sample_free(&b);
	return t_done("unit-model");
}
