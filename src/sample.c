/* The sample schema (every field, as record, replay and the compact
 * history carry it), sample lifetime, and guest identity (key, order). */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
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

_Static_assert(sizeof(int) == sizeof(uint32_t) && sizeof(int) == sizeof(enum net_state) &&
	       sizeof(int) == sizeof(enum runtime), "FT_INT and FT_RUNTIME are read as int");
_Static_assert(offsetof(struct host_sample, load15) ==
	       offsetof(struct host_sample, load1) + 2 * sizeof(double), "load: three in a row");

#define MSIZE(type, m) sizeof(((type *)0)->m)
#define HEAD(n) .hist = HIST_HEAD, .at = (n)
#define TAIL(n) .hist = HIST_TAIL, .at = (n)
#define BLOCK(n) .hist = HIST_BLOCK, .at = (n)
/* A field that is member m of struct T, under the name nm. */
#define AT(T, nm, m, t) .name = (nm), .type = (t), .off = offsetof(struct T, m)

static const struct schema drive_schema, vcpu_schema, nic_schema, proc_schema, node_schema;

/* The sample: its host, its guests, and the focused guest's processes. */
#define S(m, t) AT(sample, #m, m, t)
static const struct field sample_fields[] = {
	{S(host, FT_OBJECT), .flags = FL_REQ, .sub = &host_schema},
	{S(nodes, FT_ROWS), .flags = FL_LOCAL, .n = offsetof(struct sample, nnodes), .sub = &node_schema},
	{S(notice, FT_STR), .flags = FL_LOCAL},
	{S(cg_version, FT_INT), .hi = 255, HEAD(3)},
	{S(psi_guest, FT_BOOL), HEAD(4)},
	{S(delayacct, FT_BOOL), HEAD(4)},
	{S(guests, FT_ROWS), .flags = FL_REQ, .n = offsetof(struct sample, nguests),
	 .cap = offsetof(struct sample, cap), .hi = 100000, .sub = &guest_schema, TAIL(1)},
	{S(focus, FT_STR), .flags = FL_OPT, TAIL(2)},
	{AT(sample, "focus_procs", fprocs, FT_ROWS), .flags = FL_GATED,
	 .n = offsetof(struct sample, nfprocs), .hi = FOCUS_MAX, .sub = &proc_schema, TAIL(3)},
};
const struct schema sample_schema = {.what = "sample", .f = sample_fields,
				     .n = ARRAY_SIZE(sample_fields), .size = sizeof(struct sample)};

#define H(m, t) AT(host_sample, #m, m, t)
#define HF(m) {H(m, FT_U64)}
static const struct field host_fields[] = {
	{H(hostname, FT_CHARS), .n = MSIZE(struct host_sample, hostname), .text = "replay", HEAD(7)},
	{H(real_ms, FT_I64), HEAD(1)},
	{H(ncpus, FT_INT), .lo = 1, .hi = 65536, HEAD(2)},
	{AT(host_sample, "load", load1, FT_DOUBLE), .n = 3, HEAD(5)},
	{H(uptime_s, FT_DOUBLE), .n = 1, HEAD(6)},
	/* the counters, host_u64_fields */
	HF(mono_ns), HF(hz), HF(t_user), HF(t_nice), HF(t_system), HF(t_idle), HF(t_iowait),
	HF(t_irq), HF(t_softirq), HF(t_steal), HF(t_guest), HF(t_guest_nice), HF(mem_total),
	HF(mem_free), HF(mem_available), HF(mem_buffers), HF(mem_cached), HF(mem_anon),
	HF(mem_shmem), HF(swap_total), HF(swap_free), HF(huge_total), HF(huge_free),
	HF(huge_size), HF(ksm_sharing), HF(zfs_arc), HF(psi_cpu_some), HF(psi_io_some),
	HF(psi_io_full), HF(psi_mem_some), HF(psi_mem_full), HF(forks), HF(disk_rbytes),
	HF(disk_wbytes), HF(disk_rios), HF(disk_wios), HF(self_cpu_ns), HF(self_rss),
};
const struct schema host_schema = {.what = "host", .f = host_fields, .n = ARRAY_SIZE(host_fields),
				   .size = sizeof(struct host_sample)};
const struct field *const host_u64_fields = host_fields + 5;
const size_t host_u64_nfields = ARRAY_SIZE(host_fields) - 5;

#define G(m, t) AT(guest_sample, #m, m, t)
#define GF(m) {G(m, FT_U64)}
#define GFZ(m) {G(m, FT_U64), .flags = FL_ZERO}
#define GFA(m, i, nm) {AT(guest_sample, nm, m[i], FT_U64)}
static const struct field guest_fields[] = {
	{G(runtime, FT_RUNTIME), .flags = FL_KEY | FL_REQ, HEAD(1)},
	{G(id, FT_STR), .flags = FL_KEY | FL_REQ, HEAD(2)},
	{G(name, FT_STR), HEAD(3)},
	{G(cgroup, FT_STR), HEAD(4)},
	{G(helper_cg, FT_STR), HEAD(5)},
	{G(note, FT_STR), .flags = FL_OPT, HEAD(6)},
	{G(node, FT_STR), .flags = FL_OPT, BLOCK(1), .block = "strs"},
	{G(qga_note, FT_STR), .flags = FL_OPT, BLOCK(1)},
	{G(cpu_payload_v2, FT_BOOL), .flags = FL_NOJSON, HEAD(7)},
	GF(birth), GFZ(nprocs), GFZ(main_pid), GF(at_ns), GF(cg_usage_ns), GF(cg_user_ns), GF(cg_system_ns),
	GF(cg_mem_current), GF(cg_mem_anon), GF(cg_mem_file), GF(cg_mem_inactive_file),
	GF(cg_mem_shmem), GF(cg_mem_limit), GF(cg_io_some_us), GF(cg_cpu_some_us), GF(cg_mem_some_us), GF(cg_io_rbytes), GF(cg_io_wbytes), GF(p_utime_ns), GF(p_stime_ns),
	GF(p_gtime_ns), GF(p_blkio_ns), GF(p_rss), GF(p_rss_anon), GF(p_rss_file), GF(p_rss_shmem), GF(p_hugetlb), GFZ(h_cpu_ns), GFZ(h_mem), GFZ(h_count),
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
	{G(drives, FT_ROWS), .flags = FL_NULL, .n = offsetof(struct guest_sample, ndrives),
	 .hi = DRIVE_MAX, .sub = &drive_schema, BLOCK(4)},
	GF(wait_ns), GFZ(wait_epoch), GF(p_io_base_rbytes), GF(p_io_base_wbytes), GF(p_io_base_ns),
	{G(wait_note, FT_STR), .flags = FL_OPT},
	{G(vcpus, FT_ROWS), .flags = FL_NULL, .n = offsetof(struct guest_sample, nvcpus),
	 .hi = 4096, .sub = &vcpu_schema},
	{G(net, FT_INT), .flags = FL_NOJSON, .hi = NET_HOST, BLOCK(2)},
	{G(nics, FT_ROWS), .flags = FL_STATE, .n = offsetof(struct guest_sample, nnics), .hi = 4096,
	 .text = "host", .sub = &nic_schema, BLOCK(3)},
};
const struct schema guest_schema = {.what = "guest", .f = guest_fields, .n = ARRAY_SIZE(guest_fields),
				    .size = sizeof(struct guest_sample)};

#define D(m, i) {AT(drive_sample, #m, m, FT_U64), HEAD(i)}
static const struct field drive_fields[] = {
	{AT(drive_sample, "name", name, FT_CHARS), .flags = FL_REQ, .n = MSIZE(struct drive_sample, name),
	 HEAD(1)},
	D(rd_bytes, 2), D(wr_bytes, 3), D(rd_ops, 4), D(wr_ops, 5), D(rd_time_ns, 6), D(wr_time_ns, 7),
};
static const struct schema drive_schema = {.what = "drive", .f = drive_fields,
					   .n = ARRAY_SIZE(drive_fields),
					   .size = sizeof(struct drive_sample), .fixed = true};

#define V(m, i) {AT(vcpu_sample, #m, m, FT_U64), HEAD(i)}
static const struct field vcpu_fields[] = {
	{AT(vcpu_sample, "index", index, FT_U64), .flags = FL_REQ | FL_ZERO, HEAD(1)},
	V(run_ns, 2), V(wait_ns, 3),
};
static const struct schema vcpu_schema = {.what = "vcpu", .f = vcpu_fields,
					  .n = ARRAY_SIZE(vcpu_fields),
					  .size = sizeof(struct vcpu_sample), .fixed = true};

#define N(m, i) {AT(nic_sample, #m, m, FT_U64), HEAD(i)}
static const struct field nic_fields[] = {
	{AT(nic_sample, "name", name, FT_CHARS), .flags = FL_REQ, .n = MSIZE(struct nic_sample, name),
	 HEAD(1)},
	N(ifindex, 2), N(rx_bytes, 3), N(tx_bytes, 4), N(rx_packets, 5), N(tx_packets, 6), N(drops, 7),
	N(errors, 8),
};
static const struct schema nic_schema = {.what = "interface", .f = nic_fields,
					 .n = ARRAY_SIZE(nic_fields), .size = sizeof(struct nic_sample),
					 .fixed = true};

/* The focused guest's processes: a best effort, so a bad value is unknown. */
#define P(m, t) AT(proc_sample, #m, m, t)
static const struct field proc_fields[] = {
	{P(pid, FT_INT), .flags = FL_REQ, .hi = INT_MAX, HEAD(1)},
	{P(start, FT_U64), .flags = FL_ZERO | FL_RAW, HEAD(2)},
	{P(cpu_ns, FT_U64), .flags = FL_RAW, HEAD(3)},
	{P(rss, FT_U64), .flags = FL_RAW, HEAD(4)},
	{P(comm, FT_CHARS), .n = MSIZE(struct proc_sample, comm), .text = "?", HEAD(5)},
};
static const struct schema proc_schema = {.what = "process", .f = proc_fields,
					  .n = ARRAY_SIZE(proc_fields), .size = sizeof(struct proc_sample),
					  .fixed = true, .lenient = true};

/* A cluster view's nodes: the process' own, never recorded. */
#define Z(m, t) AT(node_state, #m, m, t)
static const struct field node_fields[] = {
	{Z(name, FT_STR)}, {Z(addr, FT_STR)}, {Z(up, FT_BOOL)}, {Z(age_s, FT_DOUBLE), .n = 1},
	{Z(error, FT_STR)},
};
static const struct schema node_schema = {.what = "node", .f = node_fields,
					  .n = ARRAY_SIZE(node_fields), .size = sizeof(struct node_state),
					  .fixed = true};

/* ---- walking the schema ------------------------------------------------- */

static void *at(const void *rec, size_t off)
{
	return (char *)(uintptr_t)rec + off;
}

const struct field *schema_field(const struct schema *sc, const char *name)
{
	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->f[i].name, name))
			return &sc->f[i];
	return NULL;
}

void schema_init(const struct schema *sc, void *rec)
{
	memset(rec, 0, sc->size);
	for (const struct field *f = sc->f; f < sc->f + sc->n; f++) {
		if (f->type == FT_U64 && !(f->flags & FL_ZERO))
			*(uint64_t *)at(rec, f->off) = VT_UNKNOWN;
		else if (f->type == FT_DOUBLE)
			for (size_t k = 0; k < f->n; k++)
				((double *)at(rec, f->off))[k] = -1;
		else if (f->type == FT_OBJECT)
			schema_init(f->sub, at(rec, f->off));
	}
}

/* The fields of a table that own memory (strings, arrays, an embedded
 * record), found once: copy and free walk only these. */
static struct owned {
	const struct schema *sc;
	const struct field *f[16];
	const struct owned *sub[16]; /* of f[i]->sub */
	size_t n;
} owned[8];
static pthread_once_t owned_once = PTHREAD_ONCE_INIT;

static const struct owned *find_owned(const struct schema *sc)
{
	size_t i = 0;
	while (i < ARRAY_SIZE(owned) && owned[i].sc && owned[i].sc != sc)
		i++;
	if (i == ARRAY_SIZE(owned))
		abort();
	if (owned[i].sc)
		return &owned[i];
	struct owned *o = &owned[i];
	o->sc = sc;
	for (const struct field *f = sc->f; f < sc->f + sc->n; f++) {
		if (f->type != FT_STR && f->type != FT_OBJECT && f->type != FT_ROWS)
			continue;
		if (o->n == ARRAY_SIZE(o->f))
			abort();
		o->f[o->n] = f;
		o->sub[o->n++] = f->sub ? find_owned(f->sub) : NULL;
	}
	return o;
}

static void find_all_owned(void)
{
	find_owned(&sample_schema);
}

static const struct owned *owned_by(const struct schema *sc)
{
	pthread_once(&owned_once, find_all_owned);
	for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
		if (owned[i].sc == sc)
			return &owned[i];
	abort();
}

/* Free what rec owns; keep_room keeps the arrays that have a capacity. */
static void drop(const struct owned *o, void *rec, bool keep_room)
{
	for (size_t k = 0; k < o->n; k++) {
		const struct field *f = o->f[k];
		void *p = at(rec, f->off);
		if (f->type == FT_STR) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (f->type == FT_OBJECT) {
			drop(o->sub[k], p, keep_room);
		} else {
			char *rows = *(char **)p;
			size_t *n = at(rec, f->n);
			for (size_t i = 0; o->sub[k]->n && i < *n; i++)
				drop(o->sub[k], rows + i * f->sub->size, false);
			*n = 0;
			if (f->cap && keep_room)
				continue;
			free(rows);
			*(char **)p = NULL;
			if (f->cap)
				*(size_t *)at(rec, f->cap) = 0;
		}
	}
}

void schema_release(const struct schema *sc, void *rec)
{
	drop(owned_by(sc), rec, false);
}

/* dst becomes a deep copy of src; room, when given, is what dst was (after
 * sample_clear): the arrays with a capacity are reused. */
static void copy(const struct owned *o, void *dst, const void *src, const void *room)
{
	memcpy(dst, src, o->sc->size);
	for (size_t k = 0; k < o->n; k++) {
		const struct field *f = o->f[k];
		void *d = at(dst, f->off);
		const void *s = at(src, f->off);
		if (f->type == FT_STR) {
			*(char **)d = *(char *const *)s ? xstrdup(*(char *const *)s) : NULL;
		} else if (f->type == FT_OBJECT) {
			copy(o->sub[k], d, s, NULL);
		} else {
			const char *from = *(char *const *)s;
			size_t n = *(const size_t *)at(src, f->n), size = f->sub->size;
			char *to = room && f->cap ? *(char *const *)at(room, f->off) : NULL;
			size_t have = to ? *(const size_t *)at(room, f->cap) : 0;
			if (!from) {
				free(to);
				to = NULL;
				have = 0;
			} else if (have < n + 1) {
				to = xrealloc(to, (have = n + 1) * size);
			}
			bool owns = o->sub[k]->n;
			if (from && !owns)
				memcpy(to, from, n * size);
			for (size_t i = 0; from && owns && i < n; i++)
				copy(o->sub[k], to + i * size, from + i * size, NULL);
			if (from)   /* the room for one more, as the readers leave */
				memset(to + n * size, 0, size);
			*(char **)d = to;
			if (f->cap)
				*(size_t *)at(dst, f->cap) = have;
		}
	}
}

void schema_copy(const struct schema *sc, void *dst, const void *src)
{
	copy(owned_by(sc), dst, src, NULL);
}

void *schema_rows(void *rec, const struct field *f, size_t n)
{
	char **rows = at(rec, f->off);
	size_t *cap = f->cap ? at(rec, f->cap) : NULL;
	if (!cap) {
		*rows = xcalloc(n + 1, f->sub->size);
	} else if (*cap < n + 1) {
		*rows = xrealloc(*rows, (n + 1) * f->sub->size);
		*cap = n + 1;
	}
	return *rows;
}

void sample_copy(struct sample *dst, const struct sample *src)
{
	sample_clear(dst);
	struct sample room = *dst;
	copy(owned_by(&sample_schema), dst, src, &room);
}

void guest_sample_init(struct guest_sample *g)
{
	schema_init(&guest_schema, g);
}

void host_sample_init(struct host_sample *h)
{
	schema_init(&host_schema, h);
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
	schema_release(&guest_schema, g);
}

void guest_sample_copy(struct guest_sample *d, const struct guest_sample *g)
{
	schema_copy(&guest_schema, d, g);
}

void sample_clear(struct sample *s)
{
	drop(owned_by(&sample_schema), s, true);
}

void sample_free(struct sample *s)
{
	drop(owned_by(&sample_schema), s, false);
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
