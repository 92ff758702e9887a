/* Contention: the tax guests levy on each other. A guest's host-side wait
 * is the scheduler's run delay of its vCPU threads or tasks; its disk
 * share is its bytes over the bytes of the host's physical disks; the
 * blame of an interval charges the others' wait to each guest by its
 * share of the host's CPU, and the host's I/O stall by its share of the
 * disk. Correlation, not proof: doc/metrics.md says what it can and
 * cannot tell. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "contention.h"
#include "util.h"

static double pct_of(uint64_t delta_ns, uint64_t dt_ns)
{
	return delta_ns == VT_UNKNOWN || !dt_ns ? VT_NAN : (double)delta_ns / (double)dt_ns * 100.0;
}

static const struct vcpu_sample *find_vcpu(const struct guest_sample *p, uint64_t index)
{
	for (size_t i = 0; p && i < p->nvcpus; i++)
		if (p->vcpus[i].index == index)
			return &p->vcpus[i];
	return NULL;
}

static void vcpu_waits(const struct guest_sample *p, const struct guest_sample *g, uint64_t gdt,
		       struct guest_view *v)
{
	v->vcpu_worst = -1;
	if (!g->nvcpus)
		return;
	v->vcpus = xcalloc(g->nvcpus, sizeof(*v->vcpus));
	v->nvcpus = g->nvcpus;
	for (size_t i = 0; i < g->nvcpus; i++) {
		const struct vcpu_sample *c = &g->vcpus[i], *q = p ? find_vcpu(p, c->index) : NULL;
		struct vcpu_view *w = &v->vcpus[i];
		w->index = c->index;
		w->run = q ? pct_of(counter_delta(c->run_ns, q->run_ns), gdt) : VT_NAN;
		w->wait = q ? pct_of(counter_delta(c->wait_ns, q->wait_ns), gdt) : VT_NAN;
		if (!isnan(w->wait) && (v->vcpu_worst < 0 || w->wait > v->vcpus[v->vcpu_worst].wait))
			v->vcpu_worst = (int)i;
	}
}

/* Mean time per operation over every drive QMP answered for twice. */
static double drive_latency(const struct guest_sample *p, const struct guest_sample *g)
{
	if (!p || !g->drives || !p->drives || g->drv_at_ns == p->drv_at_ns)
		return VT_NAN;
	double t = 0, ops = 0;
	for (size_t i = 0; i < g->ndrives; i++) {
		const struct drive_sample *d = &g->drives[i];
		for (size_t k = 0; k < p->ndrives; k++) {
			const struct drive_sample *q = &p->drives[k];
			if (strcmp(q->name, d->name))
				continue;
			uint64_t n[2] = {counter_delta(d->rd_ops, q->rd_ops), counter_delta(d->wr_ops, q->wr_ops)};
			uint64_t ns[2] = {counter_delta(d->rd_time_ns, q->rd_time_ns),
					  counter_delta(d->wr_time_ns, q->wr_time_ns)};
			for (int j = 0; j < 2; j++)
				if (n[j] != VT_UNKNOWN && ns[j] != VT_UNKNOWN) {
					ops += (double)n[j];
					t += (double)ns[j];
				}
		}
	}
	return ops > 0 ? t / ops / 1e6 : VT_NAN;
}

void contention_guest(const struct guest_sample *p, const struct guest_sample *g, uint64_t gdt,
		      struct guest_view *v)
{
	v->cpu_wait = v->io_host_share = v->io_latency_ms = VT_NAN;
	v->blame_cpu_s = v->blame_io_s = v->suffer_wait_s = v->suffer_stall_s = VT_NAN;
	v->cpu_wait = p && g->wait_epoch == p->wait_epoch
			      ? pct_of(counter_delta(g->wait_ns, p->wait_ns), gdt) : VT_NAN;
	vcpu_waits(p, g, gdt, v);
	v->io_latency_ms = drive_latency(p, g);
}

static double known_sum(double a, double b)
{
	return isnan(a) ? b : isnan(b) ? a : a + b;
}

/* Each guest's share of the disk's bytes; the guest behind the iowait. */
static void disk_shares(const struct sample *prev, uint64_t dt, struct frame *f)
{
	const struct host_sample *h = &f->cur->host, *q = &prev->host;
	uint64_t r = counter_delta(h->disk_rbytes, q->disk_rbytes);
	uint64_t w = counter_delta(h->disk_wbytes, q->disk_wbytes);
	if (r == VT_UNKNOWN || w == VT_UNKNOWN)
		return;
	f->host.disk_read_bps = (double)r / ((double)dt / 1e9);
	f->host.disk_write_bps = (double)w / ((double)dt / 1e9);
	double host = f->host.disk_read_bps + f->host.disk_write_bps, most = 0;
	for (size_t i = 0; i < f->n; i++) {
		struct guest_view *v = &f->guests[i];
		double b = known_sum(v->io_read_bps, v->io_write_bps);
		if (isnan(b))
			continue;
		/* bytes the disks did not see (page cache, another device)
		 * have no share of them */
		v->io_host_share = host >= 1 ? fmin(100.0, b / host * 100.0) : b > 0 ? VT_NAN : 0;
		if (b > most && !isnan(v->io_host_share)) {
			most = b;
			if (f->host.cpu[HC_IOWAIT] >= IOWAIT_BLAME_PCT || f->host.psi_io >= IOPSI_BLAME_PCT)
				f->host.iowait_guest = i + 1;
		}
	}
}

void contention_frame(const struct sample *prev, uint64_t dt, struct frame *f)
{
	f->host.disk_read_bps = f->host.disk_write_bps = VT_NAN;
	f->host.iowait_guest = 0;
	if (!prev || !dt)
		return;
	disk_shares(prev, dt, f);
	double s = (double)dt / 1e9, waited = 0;
	for (size_t i = 0; i < f->n; i++)
		if (!isnan(f->guests[i].cpu_wait))
			waited += f->guests[i].cpu_wait / 100.0 * s;
	/* the host's I/O stall: PSI "some", else the CPUs' iowait */
	double stall = !isnan(f->host.psi_io) ? f->host.psi_io / 100.0 * s
		       : f->host.cpu[HC_IOWAIT] / 100.0 * s;
	for (size_t i = 0; i < f->n; i++) {
		struct guest_view *v = &f->guests[i];
		if (!v->has_rates)
			continue;
		double own = isnan(v->cpu_wait) ? 0 : v->cpu_wait / 100.0 * s;
		double held = isnan(v->cpu_total) ? 0 : v->cpu_total / 100.0 / f->host.ncpus;
		v->blame_cpu_s = (waited - own) * held;
		v->blame_io_s = isnan(stall) || isnan(v->io_host_share) ? 0
				: stall * v->io_host_share / 100.0;
		v->suffer_wait_s = isnan(v->cpu_wait) ? VT_NAN : own;
		double st = !isnan(v->stall_io) ? v->stall_io : v->cpu_iowait;
		v->suffer_stall_s = isnan(st) ? VT_NAN : st / 100.0 * s;
	}
}
