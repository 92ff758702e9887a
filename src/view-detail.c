/* The detail pane of the selected guest and its explanation. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lines.h"
#include "runtime.h"
#include "util.h"
#include "view-parts.h"
#include "why.h"

static void spark(struct lb *b, const float *v, int n, int head, int cols, bool ascii, enum vattr a)
{
	static const char *const uni[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
					  "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
					  "\xe2\x96\x87", "\xe2\x96\x88"};
	static const char *const asc[] = {" ", ".", ".", ":", ":", "-", "=", "+", "#"};
	int take = n < cols ? n : cols;
	float max = 0;
	for (int i = 0; i < take; i++) {
		float x = v[(head - take + i + HIST_N) % HIST_N];
		if (x > max)
			max = x;
	}
	lb_fill(b, " ", cols - take, VA_NORMAL);
	for (int i = 0; i < take; i++) {
		float x = v[(head - take + i + HIST_N) % HIST_N];
		float r = max > 0 && isfinite(max) ? x / max : (x > 0 ? 1.0f : 0.0f);
		if (!(r >= 0.0f))
			r = 0.0f;
		int lvl = (int)((r < 1.0f ? r : 1.0f) * 8.0f + 0.5f);
		if (x > 0 && lvl == 0)
			lvl = 1;
		lb_put(b, ascii ? asc[lvl] : uni[lvl], a);
	}
}

static void title_line(struct vscreen *vs, const struct guest_view *v, const struct ui *u, int width)
{
	const struct guest_sample *g = v->g;
	char name[128], id[80], cg[256];
	sanitize(name, sizeof(name), g->name ? g->name : "");
	sanitize(id, sizeof(id), g->id);
	/* a 64-digit container id, shortened as the ID column shows it */
	int idlen = runtimes[g->runtime].fallback.len;
	if (idlen > 0 && idlen < (int)sizeof(id) && (int)strlen(id) > idlen)
		id[idlen] = '\0';
	sanitize(cg, sizeof(cg), g->cgroup ? g->cgroup : "-");
	struct lb b;
	lb_new(vs, width, &b);
	lb_fill(&b, u->ascii ? "-" : "\xe2\x94\x80", 2, VA_DIM);
	lb_printf(&b, VA_TITLE, " %s %s ", id, name);
	lb_printf(&b, VA_DIM, "(%s %s", kind_name(v->kind), runtime_name(g->runtime));
	if (g->main_pid)
		lb_printf(&b, VA_DIM, ", pid %llu", (unsigned long long)g->main_pid);
	lb_printf(&b, VA_DIM, ", %llu process%s, cgroup %s) ", (unsigned long long)g->nprocs,
		  g->nprocs == 1 ? "" : "es", cg);
	lb_fill(&b, u->ascii ? "-" : "\xe2\x94\x80", width, VA_DIM);
	lb_finish(vs, &b);
}

/* A VM's QEMU thread groups, or a container's helpers. */
static void threads_line(struct vscreen *vs, const struct guest_view *v, int width)
{
	const struct guest_sample *g = v->g;
	struct lb b;
	lb_new(vs, width, &b);
	if (v->kind == KIND_VM && g->main_pid) {
		lb_put(&b, " threads ", VA_LABEL);
		for (int t = 0; t < TG_COUNT; t++) {
			uint64_t n = g->tg_threads[t];
			/* a record from before this group was counted apart */
			if (n == VT_UNKNOWN && g->tg_threads[TG_VCPU] != VT_UNKNOWN)
				continue;
			if (isnan(v->tg_pct[t]))
				lb_printf(&b, VA_NORMAL, " %s -", tgroup_name((enum tgroup)t));
			else
				lb_printf(&b, VA_NORMAL, " %s %.1f%%", tgroup_name((enum tgroup)t), v->tg_pct[t]);
			if (n != VT_UNKNOWN)
				lb_printf(&b, VA_DIM, " (%llu)", (unsigned long long)n);
		}
		/* what the I/O costs per GB moved: vhost vs none, iothread vs none */
		char io[80];
		int n = isnan(v->cpu_io_tax) ? 0
			: isnan(v->cpu_per_gb) ? snprintf(io, sizeof(io), "  I/O %.1f%%", v->cpu_io_tax)
			: snprintf(io, sizeof(io), "  I/O %.1f%%, %.2f CPU s per GB moved",
				   v->cpu_io_tax, v->cpu_per_gb);
		if (n > 0 && b.x + n <= width)
			lb_put(&b, io, VA_NORMAL);
	} else {
		char hm[16];
		fmt_bytes(hm, sizeof(hm), g->h_mem);
		lb_put(&b, " helpers ", VA_LABEL);
		lb_printf(&b, VA_NORMAL, " %llu process%s", (unsigned long long)g->h_count,
			  g->h_count == 1 ? "" : "es");
		if (g->helper_cg) {
			char hc[200];
			sanitize(hc, sizeof(hc), g->helper_cg);
			lb_printf(&b, VA_NORMAL, " + cgroup %s", hc);
		}
		lb_printf(&b, VA_NORMAL, ": RAM %s, CPU ", hm);
		lb_printf(&b, VA_NORMAL, isnan(v->cpu_tax) ? "-" : "%.1f%%", isnan(v->cpu_tax) ? 0 : v->cpu_tax);
	}
	lb_finish(vs, &b);
}

/* " label 1.5%", whole or not at all */
static void pct_part(struct lb *b, const char *label, double v)
{
	if (isnan(v))
		lb_field(b, VA_NORMAL, " %s -", label);
	else
		lb_field(b, VA_NORMAL, " %s %.1f%%", label, v);
}

/* The guest's CPU as the host sees it, and beside it, for a VM, as the
 * guest itself does through its agent (or why it cannot). */
static void cpu_line(struct vscreen *vs, const struct guest_view *v, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, " cpu   ", VA_LABEL);
	pct_part(&b, "usr", v->cpu_usr);
	pct_part(&b, "sys", v->cpu_sys);
	if (v->kind == KIND_VM)
		pct_part(&b, "guest", v->cpu_guest);
	pct_part(&b, "iow", v->cpu_iowait);
	if (v->kind == KIND_VM && v->g->main_pid) {
		lb_put(&b, "  inside the guest:", VA_LABEL);
		if (!isnan(v->gcpu_user)) {
			pct_part(&b, "usr", v->gcpu_user);
			pct_part(&b, "kernel", v->gcpu_system);
			pct_part(&b, "iow", v->gcpu_iowait);
			pct_part(&b, "steal", v->gcpu_steal);
			pct_part(&b, "idle", v->gcpu_idle);
		} else {
			char note[256];
			sanitize(note, sizeof(note), v->g->qga_note ? v->g->qga_note
					: "no guest agent reading yet");
			lb_put(&b, " ", VA_DIM);
			lb_put(&b, note, VA_DIM);
		}
	}
	lb_finish(vs, &b);
}

/* Host-side wait: the share of one CPU its vCPU threads or tasks spent
 * runnable but waiting; a VM's vCPUs beside it, the worst first. */
static void wait_line(struct vscreen *vs, const struct guest_view *v, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, " wait  ", VA_LABEL);
	if (isnan(v->cpu_wait)) {
		char note[256];
		sanitize(note, sizeof(note), v->g->wait_note ? v->g->wait_note
				: v->has_rates ? "- (no run delay read)" : "- (first sample, no rates yet)");
		lb_put(&b, " ", VA_DIM);
		lb_put(&b, note, VA_DIM);
		lb_finish(vs, &b);
		return;
	}
	lb_printf(&b, VA_NORMAL, " %.1f%%", v->cpu_wait);
	if (v->vcpu_worst >= 0) {
		/* the worst vCPU first, then the others as far as they fit */
		const struct vcpu_view *w = &v->vcpus[v->vcpu_worst];
		lb_field(&b, VA_NORMAL, ": vCPU %llu %.1f%%", (unsigned long long)w->index, w->wait);
		for (size_t i = 0; i < v->nvcpus; i++)
			if ((int)i != v->vcpu_worst && !isnan(v->vcpus[i].wait))
				lb_field(&b, VA_NORMAL, ", vCPU %llu %.1f%%",
					 (unsigned long long)v->vcpus[i].index, v->vcpus[i].wait);
	}
	lb_field(&b, VA_DIM, "  (%% of one CPU its %s runnable, waiting for a host CPU)",
		 v->kind == KIND_VM ? "vCPU threads were" : "tasks were");
	lb_finish(vs, &b);
}

/* "12K/s", or "-" when unknown */
static void rate_text(char *buf, size_t sz, double bps)
{
	if (isnan(bps)) {
		snprintf(buf, sz, "-");
		return;
	}
	fmt_bytes_short(buf, sz, bps >= 1.8e19 ? VT_UNKNOWN - 1 : (uint64_t)(bps + 0.5));
	size_t l = strlen(buf);
	snprintf(buf + l, sz - l, "/s");
}

/* The guest's network at b's cursor: each interface's traffic from the
 * guest's side, as many as fit; or why there is none of its own. */
static void net_items(struct lb *b, const struct guest_view *v, bool terse)
{
	const struct guest_sample *g = v->g;
	if (g->net == NET_HOST) {
		lb_put(b, terse ? "the host's namespace"
				: "uses the host's network namespace: no traffic of its own to show",
		       VA_DIM);
		return;
	}
	if (g->net == NET_UNKNOWN) {
		lb_put(b, terse ? "-" : "- (interfaces not found: a VM's taps and a container's "
					"namespace need root)", VA_DIM);
		return;
	}
	if (!v->nnics) {
		lb_put(b, "no interface but lo", VA_DIM);
		return;
	}
	for (size_t i = 0; i < v->nnics; i++) {
		const struct nic_view *n = &v->nics[i];
		char name[64], rx[16], tx[16], item[200];
		sanitize(name, sizeof(name), n->n->name);
		rate_text(rx, sizeof(rx), n->rx_bps);
		rate_text(tx, sizeof(tx), n->tx_bps);
		int len = snprintf(item, sizeof(item), "%s%s rx %s", i ? ", " : "", name, rx);
		if (!isnan(n->rx_pps))
			len += snprintf(item + len, sizeof(item) - (size_t)len, " %.0f pkt/s", n->rx_pps);
		len += snprintf(item + len, sizeof(item) - (size_t)len, " tx %s", tx);
		if (!isnan(n->tx_pps))
			len += snprintf(item + len, sizeof(item) - (size_t)len, " %.0f pkt/s", n->tx_pps);
		if (!isnan(n->drops_ps) && n->drops_ps >= 0.05)
			len += snprintf(item + len, sizeof(item) - (size_t)len, " drops %.1f/s",
					n->drops_ps);
		if (!isnan(n->errors_ps) && n->errors_ps >= 0.05)
			len += snprintf(item + len, sizeof(item) - (size_t)len, " errors %.1f/s",
					n->errors_ps);
		if (b->x + len > b->width - 8 && i) {
			lb_printf(b, VA_DIM, " +%zu", v->nnics - i);
			return;
		}
		lb_put(b, item, VA_NORMAL);
	}
}

static void net_line(struct vscreen *vs, const struct guest_view *v, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, " net   ", VA_LABEL);
	net_items(&b, v, false);
	lb_finish(vs, &b);
}

/* "read 1.2M/s 30 op/s write 512K/s 4 op/s" (ops left out when unknown) */
static int io_text(char *buf, size_t sz, double r, double rops, double w, double wops)
{
	char rb[16], wb[16];
	rate_text(rb, sizeof(rb), r);
	rate_text(wb, sizeof(wb), w);
	int len = snprintf(buf, sz, "read %s", rb);
	if (!isnan(rops))
		len += snprintf(buf + len, sz - (size_t)len, " %.0f op/s", rops);
	len += snprintf(buf + len, sz - (size_t)len, " write %s", wb);
	if (!isnan(wops))
		len += snprintf(buf + len, sz - (size_t)len, " %.0f op/s", wops);
	return len;
}

/* The guest's disk I/O at b's cursor: a VM's drives one by one (QMP), as
 * many as fit, with their mean latency; else the whole guest's, and
 * where it came from. */
static void disk_items(struct lb *b, const struct guest_view *v, bool terse)
{
	char item[256];
	if (v->io_src == IO_QMP && v->ndrives) {
		for (size_t i = 0; i < v->ndrives; i++) {
			const struct drive_view *d = &v->drives[i];
			char name[64];
			sanitize(name, sizeof(name), d->d->name);
			int len = snprintf(item, sizeof(item), "%s%s ", i ? ", " : "", name);
			len += io_text(item + len, sizeof(item) - (size_t)len, d->read, d->read_ops,
				       d->write, d->write_ops);
			if (!isnan(d->latency_ms))
				len += snprintf(item + len, sizeof(item) - (size_t)len, " %.1f ms",
						d->latency_ms);
			if (b->x + len > b->width - 8 && i) {
				lb_printf(b, VA_DIM, " +%zu", v->ndrives - i);
				return;
			}
			lb_put(b, item, VA_NORMAL);
		}
	} else if (v->io_src == IO_QMP) {
		lb_put(b, terse ? "no drive" : "no drive (QMP query-blockstats lists none)", VA_DIM);
	} else if (v->io_src == IO_CGROUP || v->io_src == IO_TASK) {
		io_text(item, sizeof(item), v->io_read_bps, v->io_read_ops, v->io_write_bps,
			v->io_write_ops);
		lb_put(b, item, VA_NORMAL);
		if (terse)
			lb_put(b, v->io_src == IO_CGROUP ? " (cgroup)" : " (tasks)", VA_DIM);
		else
			lb_put(b, v->io_src == IO_CGROUP ? "  (its cgroup's io counters)"
							 : "  (its tasks' /proc/PID/io)", VA_DIM);
	} else if (terse) {
		lb_put(b, "-", VA_DIM);
	} else {
		lb_put(b, v->has_rates ? "- (no drive over QMP, no usable cgroup io counters, "
					 "its tasks' I/O not readable)"
				       : "- (rates from the next refresh)", VA_DIM);
	}
}

static void disk_line(struct vscreen *vs, const struct guest_view *v, int width)
{
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, " disk  ", VA_LABEL);
	disk_items(&b, v, false);
	if (!isnan(v->io_host_share))
		lb_field(&b, VA_NORMAL, "; %.1f%% of the host's disk bytes", v->io_host_share);
	if (!isnan(v->io_latency_ms))
		lb_field(&b, VA_NORMAL, ", %.2f ms per operation", v->io_latency_ms);
	lb_finish(vs, &b);
}

/* Batch text's I/O block: a line per guest with interfaces or disk
 * figures, its network and disk as the detail pane shows them. */
void view_io_lines(struct vscreen *vs, const struct frame *f)
{
	enum { W = 480 };
	bool any = false;
	for (size_t i = 0; i < f->n; i++) {
		const struct guest_view *v = &f->guests[i];
		if (!v->nnics && !v->ndrives && v->io_src == IO_NONE)
			continue;
		if (!any)
			line_text(vs, W, "I/O  each guest's interfaces and drives (rates from the guest's side)",
				  VA_NORMAL);
		any = true;
		char id[64], name[128];
		sanitize(id, sizeof(id), v->g->id ? v->g->id : "-");
		sanitize(name, sizeof(name), v->g->name ? v->g->name : "-");
		struct lb b;
		lb_new(vs, W, &b);
		/* a guest whose id is its name is named once, as in the table */
		if (!strcmp(id, name))
			lb_printf(&b, VA_NORMAL, "%s  net ", name);
		else
			lb_printf(&b, VA_NORMAL, "%.12s %s  net ", id, name);
		net_items(&b, v, true);
		lb_put(&b, "; disk ", VA_NORMAL);
		disk_items(&b, v, true);
		lb_finish(vs, &b);
	}
}

/* bytes as % of scale for a bar; NAN when unknown */
static double share(uint64_t bytes, double scale)
{
	return bytes == VT_UNKNOWN || !scale ? VT_NAN : (double)bytes * 100 / scale;
}

/* A container has no view of its own: its busiest processes instead. */
static void top_procs(struct lb *b, const struct frame *f, const struct guest_view *v,
		      const struct ui *u, int width)
{
	char key[200];
	guest_sample_key(v->g, key, sizeof(key));
	bool mine = f && f->cur->focus && !strcmp(f->cur->focus, key);
	b->x = 0;
	lb_put(b, " top   ", VA_LABEL);
	/* say only what will come true: a replay that ended has no next
	 * sample, and a recording holds the processes of the guest whose
	 * pane was open while it recorded */
	if (!mine)
		lb_put(b, u->ended ? "no process list: the replay has ended"
			  : f && f->cur->focus ? "processes appear at the next refresh"
			  : "processes appear at the next refresh, if the recording has them", VA_DIM);
	for (size_t i = 0; mine && i < f->nprocs; i++) {
		const struct proc_view *pv = &f->procs[i];
		char comm[64], rss[16];
		sanitize(comm, sizeof(comm), pv->p->comm);
		fmt_bytes_short(rss, sizeof(rss), pv->p->rss);
		if (b->x + (int)strlen(comm) + 18 > width)
			break;
		lb_printf(b, VA_NORMAL, "%s%s", i ? ", " : "", comm);
		lb_printf(b, VA_DIM, " %d", pv->p->pid);
		if (isnan(pv->cpu))
			lb_printf(b, VA_NORMAL, " - %s", rss);
		else
			lb_printf(b, VA_NORMAL, " %.1f%% %s", pv->cpu, rss);
	}
}

/* Host view and guest view of memory, two bars on one scale, as wide as
 * the longer text beside them leaves room for. */
static void memory_lines(struct vscreen *vs, const struct frame *f, const struct guest_view *v,
			 const struct ui *u, int width)
{
	char m1[16], m2[16], m3[16], m4[16];
	char htext[128], gtext[128] = "";
	fmt_bytes(m1, sizeof(m1), v->mem_host);
	fmt_bytes(m2, sizeof(m2), v->mem_ws);
	fmt_bytes(m3, sizeof(m3), v->mem_cache);
	fmt_bytes(m4, sizeof(m4), v->mem_tax);
	/* what the host holds, as the sum it is: a VM that reports its
	 * memory holds its working set and its tax; a container holds too
	 * the inactive file pages that are not in its working set (page
	 * cache the host reclaims first); a lower bound cannot be summed */
	uint64_t rest = v->mem_host == VT_UNKNOWN || v->mem_ws == VT_UNKNOWN || v->mem_tax == VT_UNKNOWN
				? VT_UNKNOWN : sat_sub(v->mem_host, v->mem_ws + v->mem_tax);
	if (v->mem_tax_lower_bound || rest == VT_UNKNOWN)
		snprintf(htext, sizeof(htext), " held %s: wset %s, tax %s%s", m1, m2,
			 v->mem_tax_lower_bound ? ">" : "", m4);
	else if (v->kind == KIND_VM || rest == 0)
		snprintf(htext, sizeof(htext), " held %s = wset %s + tax %s", m1, m2, m4);
	else {
		fmt_bytes(m3, sizeof(m3), rest);
		snprintf(htext, sizeof(htext), " held %s = wset %s + inactive cache %s + tax %s", m1,
			 m2, m3, m4);
	}
	if (v->g->vm_balloon != VT_UNKNOWN && v->mem_host != VT_UNKNOWN) {
		/* a ballooned VM: how the host's memory compares with the target */
		char bt[16], diff[16];
		uint64_t b = v->g->vm_balloon, h = v->mem_host;
		fmt_bytes(bt, sizeof(bt), b);
		fmt_bytes(diff, sizeof(diff), h > b ? h - b : b - h);
		size_t l = strlen(htext);
		snprintf(htext + l, sizeof(htext) - l, "; balloon %s, held %s%s", bt,
			 h > b ? "+" : "-", diff);
	}
	double scale = v->mem_host == VT_UNKNOWN ? 0 : (double)v->mem_host;
	if (v->g_total != VT_UNKNOWN && (double)v->g_total > scale)
		scale = (double)v->g_total;
	bool guest = v->g_total != VT_UNKNOWN && scale;
	if (guest) {
		fmt_bytes(m1, sizeof(m1), v->g_total);
		fmt_bytes(m2, sizeof(m2), v->g_used);
		fmt_bytes(m3, sizeof(m3), v->g_cache);
		snprintf(gtext, sizeof(gtext), " total %s: used %s, cache %s", m1, m2, m3);
	}
	int textw = (int)(strlen(htext) > strlen(gtext) ? strlen(htext) : strlen(gtext));
	int bw = width - 7 - 2 - textw - 1;
	bw = bw > 40 ? 40 : bw < 8 ? 8 : bw;
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, " host  ", VA_LABEL);
	const struct seg hs[] = {{share(v->mem_ws, scale), VA_WSET, "\xe2\x96\x88", "#", "wset"},
				 {share(v->mem_tax, scale), VA_TAX, "\xe2\x96\x93", "T", "tax"}};
	bar(&b, hs, 2, bw, u->ascii);
	lb_put(&b, htext, VA_NORMAL);
	lb_finish(vs, &b);

	lb_new(vs, width, &b);
	lb_put(&b, " guest ", VA_LABEL);
	if (guest) {
		const struct seg gs[] = {{share(v->g_used, scale), VA_WSET, "\xe2\x96\x88", "#", "used"},
					 {share(v->g_cache, scale), VA_CACHE, "\xe2\x96\x92", "c", "cache"}};
		bar(&b, gs, 2, bw, u->ascii);
		lb_put(&b, gtext, VA_NORMAL);
	} else if (v->kind == KIND_VM) {
		char note[256];
		sanitize(note, sizeof(note), v->g->note ? v->g->note :
			 "the guest does not report its memory (no QMP socket found)");
		lb_put(&b, note, VA_DIM);
	} else {
		top_procs(&b, f, v, u, width);
	}
	lb_finish(vs, &b);
}

/* What the kernel knows of the guest: KSM (VMs), kernel memory and its
 * parts, swap, OOM kills and throttling by its own CPU limit. */
static void kernel_line(struct vscreen *vs, const struct guest_view *v, int width)
{
	const struct guest_sample *g = v->g;
	char a[16], b[16];
	struct lb lb;
	lb_new(vs, width, &lb);
	lb_put(&lb, " kernel", VA_LABEL);
	/* what an admin acts on first: a narrow screen cuts the parts */
	lb_printf(&lb, VA_NORMAL, isnan(v->cpu_throttled) ? " throttled -" : " throttled %.1f%%",
		  isnan(v->cpu_throttled) ? 0 : v->cpu_throttled);
	enum vattr oa = v->oom_recent ? VA_WARN : VA_NORMAL;
	if (v->oom_kills == VT_UNKNOWN)
		lb_put(&lb, ", oom -", oa);
	else
		lb_printf(&lb, oa, ", oom %llu", (unsigned long long)v->oom_kills);
	if (v->oom_recent)
		lb_put(&lb, " (recent kill)", VA_WARN);
	fmt_bytes(a, sizeof(a), g->cg_swap);
	lb_printf(&lb, VA_NORMAL, ", swap %s", a);
	if (v->kind == KIND_VM && g->main_pid) {
		fmt_bytes(a, sizeof(a), g->vm_ksm_merging);
		fmt_bytes(b, sizeof(b), g->vm_ksm_profit);
		lb_printf(&lb, VA_NORMAL, ", ksm %s (profit %s)", a, b);
	}
	fmt_bytes(a, sizeof(a), v->mem_kernel);
	lb_printf(&lb, VA_NORMAL, ", kmem %s", a);
	static const struct {
		const char *name;
		size_t off;
	} parts[] = {
		{"kvm pgtables", offsetof(struct guest_sample, cg_kmem_sec_pagetables)},
		{"pgtables", offsetof(struct guest_sample, cg_kmem_pagetables)},
		{"slab", offsetof(struct guest_sample, cg_kmem_slab)},
		{"percpu", offsetof(struct guest_sample, cg_kmem_percpu)},
		{"sock", offsetof(struct guest_sample, cg_kmem_sock)},
	};
	int shown = 0;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		uint64_t x = *(const uint64_t *)(const void *)((const char *)g + parts[i].off);
		/* KVM's page tables exist only for a VM */
		if (x == VT_UNKNOWN || (i == 0 && v->kind != KIND_VM))
			continue;
		fmt_bytes(a, sizeof(a), x);
		/* each part whole, and room kept for the closing parenthesis */
		if (lb.x + 4 + text_width(parts[i].name) + text_width(a) + 1 > lb.width)
			break;
		lb_printf(&lb, VA_DIM, "%s%s %s", shown++ ? ", " : " (", parts[i].name, a);
	}
	if (shown)
		lb_put(&lb, ")", VA_DIM);
	lb_finish(vs, &lb);
}

/* The ledger: each tax with the parts it is the sum of. */
static void ledger_lines(struct vscreen *vs, const struct guest_view *v, int width)
{
	struct sb t = {0};
	sb_adds(&t, "CPU ");
	ledger_cpu_text(v, &t);
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, " ledger ", VA_LABEL);
	lb_put(&b, t.s, VA_NORMAL);
	lb_finish(vs, &b);
	t.len = 0;
	sb_adds(&t, "RAM ");
	ledger_mem_text(v, &t);
	lb_new(vs, width, &b);
	lb_put(&b, "        ", VA_NORMAL);
	lb_put(&b, t.s, VA_NORMAL);
	lb_finish(vs, &b);
	sb_free(&t);
}

/* The why sentence, wrapped at words into up to WHY_ROOM lines (the
 * sparklines and their caption give way to it); only a screen too
 * narrow for that cuts it, with "...". Returns the lines it took. */
#define WHY_ROOM 3
static int why_lines(struct vscreen *vs, const struct guest_view *v, int width)
{
	struct sb why = {0};
	why_sentence(v, &why);
	int room = width - 7, n = 0;
	const char *s = why.s ? why.s : "";
	while (*s && n < WHY_ROOM) {
		size_t cut = room > 10 ? wrap_cut(s, room) : strlen(s);
		char line[512];
		const char *next = s + cut;
		while (*next == ' ')
			next++;
		bool last = n == WHY_ROOM - 1 && *next;
		snprintf(line, sizeof(line), "%.*s%s", (int)(last ? cut - (cut > 3 ? 3 : cut) : cut), s,
			 last ? "..." : "");
		struct lb b;
		lb_new(vs, width, &b);
		lb_put(&b, n ? "       " : " why   ", n ? VA_NORMAL : VA_LABEL);
		lb_put(&b, line, VA_NORMAL);
		lb_finish(vs, &b);
		s = next;
		n++;
	}
	sb_free(&why);
	return n;
}

/* Sparklines of the tax, each scaled to its own top, printed before it;
 * the caption under them gives way to a two-line why sentence. */
static void tax_lines(struct vscreen *vs, const struct guest_view *v, const struct ui *u,
		      const struct history *h, int width, bool caption)
{
	char key[200];
	guest_sample_key(v->g, key, sizeof(key));
	const struct hist_ent *e = h ? history_find(h, key) : NULL;
	int sw = (width - 46) / 2;
	if (sw < 4)
		sw = 4;
	struct lb b;
	lb_new(vs, width, &b);
	lb_put(&b, " tax   ", VA_LABEL);
	float cmax = e ? history_top(e->cpu_tax, e->n, e->head, sw) : 0;
	char rb[16];
	fmt_bytes_short(rb, sizeof(rb), e ? (uint64_t)history_top(e->mem_tax, e->n, e->head, sw) : 0);
	lb_printf(&b, VA_NORMAL, "CPU (top %5.1f%%) ", (double)cmax);
	if (e)
		spark(&b, e->cpu_tax, e->n, e->head, sw, u->ascii, VA_TAX);
	lb_printf(&b, VA_NORMAL, "  RAM (top %5s) ", rb);
	if (e)
		spark(&b, e->mem_tax, e->n, e->head, sw, u->ascii, VA_TAX);
	lb_finish(vs, &b);
	if (!caption)
		return;
	lb_new(vs, width, &b);
	if (e)
		lb_printf(&b, VA_DIM, "       last %d sample%s (%.1f s), newest on the right", e->n,
			  e->n == 1 ? "" : "s", (double)e->n * (double)u->delay_ns / 1e9);
	lb_finish(vs, &b);
}

void detail(struct vscreen *vs, const struct frame *f, const struct guest_view *v,
	    const struct ui *u, const struct history *h, int width)
{
	title_line(vs, v, u, width);
	threads_line(vs, v, width);
	cpu_line(vs, v, width);
	wait_line(vs, v, width);
	net_line(vs, v, width);
	disk_line(vs, v, width);
	memory_lines(vs, f, v, u, width);
	kernel_line(vs, v, width);
	ledger_lines(vs, v, width);
	int why = why_lines(vs, v, width);
	if (why < WHY_ROOM)
		tax_lines(vs, v, u, h, width, why < WHY_ROOM - 1);
}
