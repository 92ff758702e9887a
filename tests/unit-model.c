/* The model against numbers worked out by hand. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* What the kernel knows: throttling, OOM kills and their flag, kernel
 * memory from its parts, KVM's page tables in a VM's memory tax. */
static void kernel_facts(void)
{
	struct sample a = {0}, b = {0};
	host(&a, S(100), 1000, 100, 500, 5000, 50, 20, 30, 0);
	host(&b, S(102), 1100, 110, 520, 5060, 55, 22, 33, 0);
	struct guest_sample *ca = add(&a, RT_LXC, "capped", 7);
	struct guest_sample *cb = add(&b, RT_LXC, "capped", 7);
	ca->cg_throttled_ns = S(5);
	cb->cg_throttled_ns = S(6.6);  /* 1.6 s throttled of 2 s */
	ca->cg_oom_kills = 3;
	cb->cg_oom_kills = 4;
	cb->cg_kmem_slab = 4 * MiB;    /* no "kernel" key: the sum of the parts */
	cb->cg_kmem_pagetables = 1 * MiB;
	cb->cg_kmem_sock = 8 * MiB;    /* not part of "kernel" */
	struct guest_sample *oa = add(&a, RT_LXC, "old-oom", 8);
	struct guest_sample *ob = add(&b, RT_LXC, "old-oom", 8);
	oa->cg_oom_kills = ob->cg_oom_kills = 1;
	ob->cg_oom_at_ns = S(102) - OOM_RECENT_NS + S(1); /* 59 s ago */
	struct guest_sample *la = add(&a, RT_LXC, "long-ago", 9);
	struct guest_sample *lb = add(&b, RT_LXC, "long-ago", 9);
	la->cg_oom_kills = lb->cg_oom_kills = 1;
	lb->cg_oom_at_ns = S(102) - OOM_RECENT_NS - S(1);
	lb->cg_kmem = 5 * MiB;
	struct guest_sample *va = add(&a, RT_PVE_QEMU, "300", 10);
	struct guest_sample *vb = add(&b, RT_PVE_QEMU, "300", 10);
	va->main_pid = vb->main_pid = 4000;
	vb->cg_mem_current = 1100 * MiB;
	vb->g_total = 1024 * MiB;
	vb->g_avail = 124 * MiB;       /* used 900M: tax 200M */
	vb->g_cache = 50 * MiB;
	vb->cg_mem_file = 0;
	vb->cg_kmem_sec_pagetables = 6 * MiB;
	struct frame f;
	model_compute(&a, &b, &f);
	const struct guest_view *gv = find(&f, "capped");
	CHECK_NEAR(gv->cpu_throttled, 80.0, 1e-6);
	CHECK_U64(gv->oom_kills, 1);
	CHECK(gv->oom_recent, "a kill in the interval is recent");
	CHECK_U64(gv->mem_kernel, 5 * MiB);
	gv = find(&f, "old-oom");
	CHECK_U64(gv->oom_kills, 0);
	CHECK(gv->oom_recent, "a kill seen 59 s ago is recent");
	CHECK(isnan(gv->cpu_throttled), "no cpu.stat throttling: unknown");
	CHECK_U64(gv->mem_kernel, VT_UNKNOWN);
	gv = find(&f, "long-ago");
	CHECK(!gv->oom_recent, "a kill seen 61 s ago is not");
	CHECK_U64(gv->mem_kernel, 5 * MiB);
	gv = find(&f, "300");
	/* the ledger: the 200M tax is KVM's page tables, the guest's cache
	 * and QEMU's rest, to the byte */
	CHECK_U64(gv->mem_part[TMP_KVM_PT], 6 * MiB);
	CHECK_U64(gv->mem_part[TMP_HOST_CACHE], 0);
	CHECK_U64(gv->mem_part[TMP_GUEST_CACHE], 50 * MiB);
	CHECK_U64(gv->mem_part[TMP_QEMU], 200 * MiB - 50 * MiB - 6 * MiB);
	frame_free(&f);
	model_compute(NULL, &b, &f);
	gv = find(&f, "capped");
	CHECK(gv->oom_kills == VT_UNKNOWN && !gv->oom_recent, "first frame: kills unknown");
	frame_free(&f);
	sample_free(&a);
	sample_free(&b);
}

static void qga_set(struct guest_sample *g, uint64_t ncpu, const uint64_t cur[5], const uint64_t *prev)
{
	g->qga_ncpu = ncpu;
	uint64_t *c[5] = {&g->qga_user, &g->qga_system, &g->qga_iowait, &g->qga_steal, &g->qga_idle};
	uint64_t *pv[5] = {&g->qga_prev_user, &g->qga_prev_system, &g->qga_prev_iowait,
			   &g->qga_prev_steal, &g->qga_prev_idle};
	for (size_t k = 0; k < 5; k++) {
		*c[k] = cur[k];
		*pv[k] = prev ? prev[k] : VT_UNKNOWN;
	}
}

/* Inside the guest: its agent's counters, split over the guest's own
 * time (2 vCPUs: 4000 ms of CPU time between the readings). */
static void test_inside(void)
{
	struct sample a = {0}, b = {0};
	struct frame f;
	host(&a, S(1), 1000, 100, 500, 5000, 50, 20, 30, 400);
	host(&b, S(3), 1100, 110, 520, 5060, 55, 22, 33, 440);
	const uint64_t r0[5] = {1000, 500, 0, 0, 3000};
	const uint64_t r1[5] = {2500, 1000, 100, 200, 4700};
	const uint64_t r2[5] = {2600, 1100, 100, 200, 4700};
	qga_set(add(&a, RT_PVE_QEMU, "100", 7), 2, r0, NULL);
	qga_set(add(&b, RT_PVE_QEMU, "100", 7), 2, r1, r0);
	/* the agent was not asked between the samples: its last two readings */
	qga_set(add(&a, RT_PVE_QEMU, "101", 7), 2, r1, r0);
	qga_set(add(&b, RT_PVE_QEMU, "101", 7), 2, r1, r0);
	/* the guest rebooted: counters went back, no earlier reading */
	qga_set(add(&a, RT_PVE_QEMU, "102", 7), 2, r1, NULL);
	qga_set(add(&b, RT_PVE_QEMU, "102", 7), 2, r0, NULL);
	/* a vCPU was added: the previous sample's sum is not comparable */
	qga_set(add(&a, RT_PVE_QEMU, "103", 7), 1, r0, NULL);
	qga_set(add(&b, RT_PVE_QEMU, "103", 7), 2, r2, r1);
	add(&a, RT_PVE_QEMU, "104", 7);
	struct guest_sample *na = add(&b, RT_PVE_QEMU, "104", 7);
	na->qga_note = xstrdup("no guest agent");
	model_compute(&a, &b, &f);
	const struct guest_view *v = find(&f, "100");
	CHECK(v && fabs(v->gcpu_user - 75) < 1e-9 && fabs(v->gcpu_system - 25) < 1e-9 &&
		      fabs(v->gcpu_iowait - 5) < 1e-9 && fabs(v->gcpu_steal - 10) < 1e-9 &&
		      fabs(v->gcpu_idle - 85) < 1e-9,
	      "guest split from two samples: %g %g %g %g %g", v ? v->gcpu_user : -1,
	      v ? v->gcpu_system : -1, v ? v->gcpu_iowait : -1, v ? v->gcpu_steal : -1,
	      v ? v->gcpu_idle : -1);
	v = find(&f, "101");
	CHECK(v && fabs(v->gcpu_user - 75) < 1e-9 && fabs(v->gcpu_idle - 85) < 1e-9,
	      "same reading twice: the agent's own last interval");
	v = find(&f, "102");
	CHECK(v && isnan(v->gcpu_user) && isnan(v->gcpu_steal), "counters went back: unknown");
	v = find(&f, "103");
	CHECK(v && fabs(v->gcpu_user - 100) < 1e-9 && fabs(v->gcpu_system - 100) < 1e-9 &&
		      fabs(v->gcpu_idle) < 1e-9,
	      "vCPU count changed: the agent's own last interval (%g %g)", v ? v->gcpu_user : -1,
	      v ? v->gcpu_system : -1);
	v = find(&f, "104");
	CHECK(v && isnan(v->gcpu_user) && isnan(v->gcpu_idle), "no agent: unknown");
	frame_free(&f);
	/* the first frame has the agent's own interval already */
	model_compute(NULL, &b, &f);
	v = find(&f, "100");
	CHECK(v && fabs(v->gcpu_user - 75) < 1e-9, "first frame: the agent's last interval");
	frame_free(&f);
	sample_free(&a);
	sample_free(&b);
}

static struct drive_sample *drive(struct guest_sample *g, const char *name, uint64_t rb,
				  uint64_t wb, uint64_t ro, uint64_t wo, uint64_t t_ns)
{
	g->drives = xrealloc(g->drives, (g->ndrives + 1) * sizeof(*g->drives));
	struct drive_sample *d = &g->drives[g->ndrives++];
	memset(d, 0, sizeof(*d));
	str_copy(d->name, sizeof(d->name), name);
	d->rd_bytes = rb;
	d->wr_bytes = wb;
	d->rd_ops = ro;
	d->wr_ops = wo;
	d->rd_time_ns = 0;
	d->wr_time_ns = t_ns;
	return d;
}

/* Disk I/O: QMP drives over the time between replies, the cgroup, the
 * tasks where the cgroup counts nothing, and the I/O CPU tax. */
static void test_io(void)
{
	struct sample a = {0}, b = {0};
	host(&a, S(1), 1000, 100, 500, 5000, 50, 20, 30, 400);
	host(&b, S(3), 1100, 110, 520, 5060, 55, 22, 33, 440);
	a.cg_version = b.cg_version = 1;
	/* a VM with two drives; the replies are 1.6 s apart, not 2 */
	struct guest_sample *g = add(&a, RT_PVE_QEMU, "100", 7);
	g->main_pid = 4242;
	g->drv_at_ns = S(0.9);
	drive(g, "drive-scsi0", 0, 100 * MiB, 0, 1000, S(1));
	drive(g, "drive-scsi1", 10 * MiB, 0, 10, 0, 0);
	g->tg_cpu_ns[TG_VCPU] = S(1);
	g->tg_cpu_ns[TG_EMU] = S(1);
	g->tg_cpu_ns[TG_IO] = S(1);
	g->tg_cpu_ns[TG_VHOST] = 0;
	g->cg_io_rbytes = g->cg_io_wbytes = 0;
	g = add(&b, RT_PVE_QEMU, "100", 7);
	g->main_pid = 4242;
	g->drv_at_ns = S(2.5);
	drive(g, "drive-scsi0", 0, 116 * MiB, 0, 1400, S(1.2));
	drive(g, "drive-scsi1", 26 * MiB, 0, 10, 0, 0);
	g->tg_cpu_ns[TG_VCPU] = S(1.5);
	g->tg_cpu_ns[TG_EMU] = S(1.4);
	g->tg_cpu_ns[TG_IO] = S(1.2);
	g->tg_cpu_ns[TG_VHOST] = 0;
	g->tg_threads[TG_IO] = 1;
	g->cg_io_rbytes = g->cg_io_wbytes = 0;
	/* a container on ZFS: io.stat empty, its tasks wrote 8 MiB */
	struct guest_sample *c = add(&a, RT_LXC, "zfs", 9);
	c->cg_io_rbytes = c->cg_io_wbytes = c->cg_io_rios = c->cg_io_wios = 0;
	c->p_io_rbytes = 0;
	c->p_io_wbytes = 0;
	c = add(&b, RT_LXC, "zfs", 9);
	c->cg_io_rbytes = c->cg_io_wbytes = c->cg_io_rios = c->cg_io_wios = 0;
	c->p_io_rbytes = 0;
	c->p_io_wbytes = 8 * MiB;
	/* a container seen first in a: its tasks' sums were read once that
	 * frame was out (0.4 s later); b carries them as the interval's base */
	struct guest_sample *l = add(&a, RT_LXC, "late", 11);
	l->at_ns = S(10);
	l->cg_io_rbytes = l->cg_io_wbytes = 0;
	l = add(&b, RT_LXC, "late", 11);
	l->at_ns = S(12);
	l->cg_io_rbytes = l->cg_io_wbytes = 0;
	l->p_io_rbytes = l->p_io_base_rbytes = 1 * MiB;
	l->p_io_wbytes = 10 * MiB;
	l->p_io_base_wbytes = 2 * MiB;
	l->p_io_base_ns = S(10.4);
	/* a container whose cgroup counts: 4 MiB read in 64 operations */
	struct guest_sample *d = add(&a, RT_DOCKER, "blk", 10);
	d->cg_io_rbytes = d->cg_io_wbytes = d->cg_io_rios = d->cg_io_wios = 0;
	d = add(&b, RT_DOCKER, "blk", 10);
	d->cg_io_rbytes = 4 * MiB;
	d->cg_io_wbytes = 0;
	d->cg_io_rios = 64;
	d->cg_io_wios = 0;
	/* a VM without QMP on a v1 host: its blkio is not trusted, no task io */
	struct guest_sample *n = add(&a, RT_PVE_QEMU, "200", 8);
	n->cg_io_rbytes = n->cg_io_wbytes = 0;
	n = add(&b, RT_PVE_QEMU, "200", 8);
	n->cg_io_rbytes = n->cg_io_wbytes = 0;

	struct frame f;
	model_compute(&a, &b, &f);
	const struct guest_view *v = find(&f, "100");
	CHECK(v && v->io_src == IO_QMP && v->ndrives == 2, "VM: drives from QMP");
	if (v && v->ndrives == 2) {
		CHECK_NEAR(v->drives[0].write, 16.0 * MiB / 1.6, 1e-3);
		CHECK_NEAR(v->drives[0].write_ops, 250.0, 1e-6);
		/* 0.2 s over 400 writes: 0.5 ms each */
		CHECK_NEAR(v->drives[0].latency_ms, 0.5, 1e-9);
		CHECK(isnan(v->drives[1].latency_ms), "no operations: no latency");
		CHECK_NEAR(v->io_read_bps, 16.0 * MiB / 1.6, 1e-3);
		CHECK_NEAR(v->io_write_bps, 10.0 * MiB, 1e-3);
	}
	/* iothread 0.2 s of 2 s = 10%; with an iothread the emulator is not I/O */
	CHECK(v && fabs(v->cpu_io_tax - 10.0) < 1e-6, "I/O tax: the iothread");
	/* 0.1 CPU s/s over 20 MiB/s: 0.1 / 0.02097 GB */
	CHECK(v && fabs(v->cpu_per_gb - 0.1 / (20.0 * MiB / 1e9)) < 1e-6, "CPU per GB moved");
	CHECK(find(&f, "zfs")->io_src == IO_TASK, "ZFS container: io.stat empty, tasks count");
	CHECK_NEAR(find(&f, "zfs")->io_write_bps, 4.0 * MiB, 1e-3);
	CHECK(isnan(find(&f, "zfs")->io_write_ops), "tasks give no operations");
	const struct guest_view *lv = find(&f, "late");
	CHECK(lv && lv->io_src == IO_TASK, "late base: tasks count");
	CHECK_NEAR(lv->io_write_bps, 8.0 * MiB / 1.6, 1e-3);
	CHECK_NEAR(lv->io_read_bps, 0.0, 1e-9);
	CHECK(find(&f, "blk")->io_src == IO_CGROUP, "container: cgroup");
	CHECK_NEAR(find(&f, "blk")->io_read_ops, 32.0, 1e-9);
	CHECK(find(&f, "200")->io_src == IO_NONE && isnan(find(&f, "200")->io_read_bps),
	      "VM on v1 without QMP or task io: unknown, not 0");
	CHECK(isnan(find(&f, "zfs")->cpu_io_tax), "containers have no I/O tax");
	frame_free(&f);

	/* the same QMP reply in both samples: no drive rate, not 0 */
	b.guests[0].drv_at_ns = a.guests[0].drv_at_ns;
	/* no iothread: the emulator threads serve the drives */
	b.guests[0].tg_threads[TG_IO] = 0;
	model_compute(&a, &b, &f);
	v = find(&f, "100");
	CHECK(v && isnan(v->drives[0].write) && isnan(v->io_write_bps), "same reply: unknown rate");
	CHECK(v && fabs(v->cpu_io_tax - 30.0) < 1e-6, "I/O tax without iothread: emulator too");
	frame_free(&f);

	/* the thread pool's workers (aio=threads reads and writes): 0.3 s of
	 * 2 s = 15%, I/O with or without an iothread; unknown above (a record
	 * from before the pool was counted apart) it added nothing */
	a.guests[0].tg_cpu_ns[TG_POOL] = S(2);
	b.guests[0].tg_cpu_ns[TG_POOL] = S(2.3);
	b.guests[0].tg_threads[TG_POOL] = 2;
	model_compute(&a, &b, &f);
	v = find(&f, "100");
	CHECK(v && fabs(v->tg_pct[TG_POOL] - 15.0) < 1e-6, "pool group: 15%%");
	CHECK(v && fabs(v->cpu_io_tax - 45.0) < 1e-6, "I/O tax without iothread: pool and emulator");
	frame_free(&f);
	b.guests[0].tg_threads[TG_IO] = 1;
	model_compute(&a, &b, &f);
	v = find(&f, "100");
	CHECK(v && fabs(v->cpu_io_tax - 25.0) < 1e-6, "I/O tax with an iothread: iothread and pool");
	frame_free(&f);
	sample_free(&a);
	sample_free(&b);
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
	test_io();
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

	/* a libvirt domain: its interface and disk rates over libvirt's own
	 * interval (1.5 s here, not the refresh's 2 s); one without a new
	 * answer has none */
	struct guest_sample *l = add(&a, RT_LIBVIRT, "3", 15);
	l->lv_at_ns = S(10);
	l->lv_net_rx_bytes = 1000;
	l->lv_net_tx_bytes = 0;
	l->lv_blk_rd_bytes = 4096;
	l->lv_blk_wr_bytes = 0;
	l = add(&b, RT_LIBVIRT, "3", 15);
	l->lv_at_ns = S(11.5);
	l->lv_net_rx_bytes = 1000 + 3000;
	l->lv_net_tx_bytes = 1500;
	l->lv_blk_rd_bytes = 4096;
	l->lv_blk_wr_bytes = VT_UNKNOWN;
	l = add(&a, RT_LIBVIRT, "4", 16);
	l->lv_at_ns = S(10);
	l->lv_net_rx_bytes = 5;
	l = add(&b, RT_LIBVIRT, "4", 16);
	l->lv_at_ns = S(10);
	l->lv_net_rx_bytes = 5;

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
	CHECK_NEAR(find(&f, "3")->lv_net_rx_bps, 2000.0, 1e-6);
	CHECK_NEAR(find(&f, "3")->lv_net_tx_bps, 1000.0, 1e-6);
	CHECK_NEAR(find(&f, "3")->lv_blk_rd_bps, 0.0, 1e-6);
	CHECK(isnan(find(&f, "3")->lv_blk_wr_bps), "libvirt: an unknown counter has no rate");
	CHECK(isnan(find(&f, "4")->lv_net_rx_bps), "libvirt: the same answer twice gives no rate");
	CHECK(isnan(find(&f, "100")->lv_net_rx_bps), "not libvirt: no libvirt rate");
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
	CHECK_INT(f.host.n_kind[KIND_VM], 5); /* 100, 555, 777, libvirt 3 and 4 */
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

	kernel_facts();

	CHECK_U64(counter_delta(5, 7), 0);
	CHECK_U64(counter_delta(VT_UNKNOWN, 7), VT_UNKNOWN);
	CHECK_U64(counter_delta(9, 7), 2);

	sample_free(&a);
	sample_free(&b);
	test_inside();
	return t_done("unit-model");
}
