/* Sample lifetime, guest identity (key and order) and the counter field
 * tables that record and replay walk. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "util.h"

const char *tgroup_name(enum tgroup g)
{
	static const char *const names[TG_COUNT] = {
		[TG_VCPU] = "vcpu", [TG_EMU] = "emulator", [TG_IO] = "iothread", [TG_POOL] = "pool",
		[TG_VHOST] = "vhost",
	};
	return (unsigned)g < TG_COUNT ? names[g] : "?";
}

#define HF(f) {#f, offsetof(struct host_sample, f)}
const struct u64_field host_u64_fields[] = {
	HF(mono_ns), HF(hz), HF(t_user), HF(t_nice), HF(t_system), HF(t_idle), HF(t_iowait),
	HF(t_irq), HF(t_softirq), HF(t_steal), HF(t_guest), HF(t_guest_nice), HF(mem_total),
	HF(mem_free), HF(mem_available), HF(mem_buffers), HF(mem_cached), HF(mem_anon),
	HF(mem_shmem), HF(swap_total), HF(swap_free), HF(huge_total), HF(huge_free),
	HF(huge_size), HF(ksm_sharing), HF(zfs_arc), HF(psi_cpu_some), HF(psi_io_some),
	HF(psi_io_full), HF(psi_mem_some), HF(psi_mem_full), HF(forks),
};
const size_t host_u64_nfields = ARRAY_SIZE(host_u64_fields);

#define GF(f) {#f, offsetof(struct guest_sample, f)}
#define GFA(f, i, n) {n, offsetof(struct guest_sample, f) + (i) * sizeof(uint64_t)}
const struct u64_field guest_u64_fields[] = {
	GF(birth), GF(nprocs), GF(main_pid), GF(at_ns), GF(cg_usage_ns), GF(cg_user_ns), GF(cg_system_ns),
	GF(cg_mem_current), GF(cg_mem_anon), GF(cg_mem_file), GF(cg_mem_inactive_file),
	GF(cg_mem_shmem), GF(cg_mem_limit), GF(cg_io_some_us), GF(cg_cpu_some_us), GF(cg_mem_some_us), GF(cg_io_rbytes), GF(cg_io_wbytes), GF(p_utime_ns), GF(p_stime_ns),
	GF(p_gtime_ns), GF(p_blkio_ns), GF(p_rss), GF(p_rss_anon), GF(p_rss_file), GF(p_rss_shmem), GF(p_hugetlb), GF(h_cpu_ns), GF(h_mem), GF(h_count),
	GF(vm_ram_size), GF(vm_ram_rss), GF(kvm_exits),
	GFA(tg_cpu_ns, TG_VCPU, "tg_vcpu_ns"), GFA(tg_cpu_ns, TG_EMU, "tg_emu_ns"),
	GFA(tg_cpu_ns, TG_IO, "tg_io_ns"), GFA(tg_cpu_ns, TG_VHOST, "tg_vhost_ns"),
	GFA(tg_cpu_ns, TG_POOL, "tg_pool_ns"),
	GFA(tg_threads, TG_VCPU, "tg_vcpu_threads"), GFA(tg_threads, TG_EMU, "tg_emu_threads"),
	GFA(tg_threads, TG_IO, "tg_io_threads"), GFA(tg_threads, TG_VHOST, "tg_vhost_threads"),
	GFA(tg_threads, TG_POOL, "tg_pool_threads"),
	GF(g_total), GF(g_avail), GF(g_free), GF(g_cache),
	GF(lv_at_ns), GF(lv_state), GF(lv_cpu_ns), GF(lv_vcpu_ns), GF(lv_net_rx_bytes),
	GF(lv_net_tx_bytes), GF(lv_blk_rd_bytes), GF(lv_blk_wr_bytes),
	GF(cg_kmem), GF(cg_kmem_stack), GF(cg_kmem_pagetables), GF(cg_kmem_sec_pagetables),
	GF(cg_kmem_slab), GF(cg_kmem_percpu), GF(cg_kmem_sock), GF(cg_swap), GF(cg_oom_kills),
	GF(cg_oom_at_ns), GF(cg_nr_throttled), GF(cg_throttled_ns), GF(vm_ksm_merging),
	GF(vm_ksm_profit),
	GF(qga_ncpu), GF(qga_user), GF(qga_system), GF(qga_iowait), GF(qga_steal), GF(qga_idle),
	GF(qga_prev_user), GF(qga_prev_system), GF(qga_prev_iowait), GF(qga_prev_steal),
	GF(qga_prev_idle),
	GF(cg_io_rios), GF(cg_io_wios), GF(p_io_rbytes), GF(p_io_wbytes), GF(vm_balloon),
	GF(drv_at_ns),
};
const size_t guest_u64_nfields = ARRAY_SIZE(guest_u64_fields);

void guest_sample_init(struct guest_sample *g)
{
	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < guest_u64_nfields; i++)
		*field_ptr(g, &guest_u64_fields[i]) = VT_UNKNOWN;
	g->main_pid = 0;
	g->nprocs = 0;
	g->h_cpu_ns = 0;
	g->h_mem = 0;
	g->h_count = 0;
}

void host_sample_init(struct host_sample *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < host_u64_nfields; i++)
		*field_ptr(h, &host_u64_fields[i]) = VT_UNKNOWN;
	h->load1 = h->load5 = h->load15 = -1;
	h->uptime_s = -1;
}

struct guest_sample *sample_add_guest(struct sample *s)
{
	if (s->nguests == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->guests = xrealloc(s->guests, s->cap * sizeof(*s->guests));
	}
	struct guest_sample *g = &s->guests[s->nguests++];
	guest_sample_init(g);
	return g;
}

void guest_sample_release(struct guest_sample *g)
{
	free(g->id);
	free(g->name);
	free(g->cgroup);
	free(g->helper_cg);
	free(g->note);
	free(g->node);
	free(g->qga_note);
	free(g->drives);
	g->drives = NULL;
	g->ndrives = 0;
	free(g->nics);
	g->nics = NULL;
	g->nnics = 0;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void *dup_array(const void *p, size_t n, size_t size)
{
	if (!p)
		return NULL;
	void *d = xcalloc(n + 1, size);
	memcpy(d, p, n * size);
	return d;
}

void guest_sample_copy(struct guest_sample *d, const struct guest_sample *g)
{
	*d = *g;
	d->id = dup_or_null(g->id);
	d->name = dup_or_null(g->name);
	d->cgroup = dup_or_null(g->cgroup);
	d->helper_cg = dup_or_null(g->helper_cg);
	d->note = dup_or_null(g->note);
	d->node = dup_or_null(g->node);
	d->qga_note = dup_or_null(g->qga_note);
	d->drives = dup_array(g->drives, g->ndrives, sizeof(*g->drives));
	d->nics = dup_array(g->nics, g->nnics, sizeof(*g->nics));
}

void sample_clear(struct sample *s)
{
	for (size_t i = 0; i < s->nguests; i++)
		guest_sample_release(&s->guests[i]);
	s->nguests = 0;
	free(s->focus);
	s->focus = NULL;
	free(s->notice);
	s->notice = NULL;
	free(s->fprocs);
	s->fprocs = NULL;
	s->nfprocs = 0;
	for (size_t i = 0; i < s->nnodes; i++) {
		free(s->nodes[i].name);
		free(s->nodes[i].addr);
		free(s->nodes[i].error);
	}
	free(s->nodes);
	s->nodes = NULL;
	s->nnodes = 0;
}

void sample_free(struct sample *s)
{
	sample_clear(s);
	free(s->guests);
	s->guests = NULL;
	s->cap = 0;
}

void guest_sample_key(const struct guest_sample *g, char *buf, size_t sz)
{
	snprintf(buf, sz, "%s/%.180s", runtime_name(g->runtime), g->id);
}

static bool numeric(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int guest_sample_cmp(const struct guest_sample *a, const struct guest_sample *b)
{
	enum guest_kind ka = runtime_kind(a->runtime), kb = runtime_kind(b->runtime);
	if (ka != kb)
		return (int)ka - (int)kb;
	if (a->runtime != b->runtime)
		return (int)a->runtime - (int)b->runtime;
	if (numeric(a->id) && numeric(b->id)) {
		size_t la = strlen(a->id), lb = strlen(b->id);
		if (la != lb)
			return la < lb ? -1 : 1;
	}
	int r = strcmp(a->id, b->id);
	/* guests of a cluster view are told apart by their node too */
	return r ? r : strcmp(a->node ? a->node : "", b->node ? b->node : "");
}
