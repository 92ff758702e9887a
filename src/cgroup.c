/* cgroupfs reads for v2, v1 and hybrid hierarchies, through dir fds. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdbool.h>

#include "cgroup.h"
#include "parse.h"

static int open_dir(int dfd, const char *name)
{
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int has_file(int dfd, const char *name)
{
	return faccessat(dfd, name, F_OK, 0) == 0;
}

int cgfs_open(struct cgfs *c, const char *root, char **cause)
{
	memset(c, 0, sizeof(*c));
	c->fd_v2 = c->fd_mem = c->fd_cpuacct = c->fd_blkio = c->fd_pids = c->fd_walk = -1;
	c->fd_cpu = -1;
	int rfd = open_dir(AT_FDCWD, root);
	if (rfd < 0) {
		int e = errno;
		*cause = xasprintf("cannot open cgroup root %s: %s", root, strerror(e));
		return -e;
	}
	if (has_file(rfd, "cgroup.controllers")) {
		c->version = 2;
		c->fd_v2 = rfd;
		c->fd_walk = rfd;
		c->proc_ctl = "";
		return 0;
	}
	c->fd_mem = open_dir(rfd, "memory");
	c->fd_cpuacct = open_dir(rfd, "cpuacct");
	if (c->fd_cpuacct < 0)
		c->fd_cpuacct = open_dir(rfd, "cpu,cpuacct");
	c->fd_v2 = open_dir(rfd, "unified");
	c->fd_blkio = open_dir(rfd, "blkio");
	c->fd_pids = open_dir(rfd, "pids");
	c->fd_cpu = open_dir(rfd, "cpu");
	if (c->fd_cpu < 0)
		c->fd_cpu = open_dir(rfd, "cpu,cpuacct");
	close(rfd);
	if (c->fd_mem >= 0) {
		c->fd_walk = c->fd_mem;
		c->proc_ctl = "memory";
	} else if (c->fd_cpuacct >= 0) {
		c->fd_walk = c->fd_cpuacct;
		c->proc_ctl = "cpuacct";
	} else if (c->fd_v2 >= 0) {
		c->fd_walk = c->fd_v2;
		c->proc_ctl = "";
	}
	if (c->fd_walk < 0) {
		*cause = xasprintf("no cgroup hierarchy found below %s (no cgroup.controllers, "
				   "memory, cpuacct or unified)", root);
		return -ENOENT;
	}
	c->version = 1;
	return 0;
}

void cgfs_close(struct cgfs *c)
{
	int fds[] = {c->fd_v2, c->fd_mem, c->fd_cpuacct, c->fd_blkio, c->fd_pids, c->fd_cpu};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	c->gen++;
	cgroup_end(c);
	free(c->handles);
	sb_free(&c->buf);
	sb_free(&c->path);
	memset(c, 0, sizeof(*c));
	c->fd_v2 = c->fd_mem = c->fd_cpuacct = c->fd_blkio = c->fd_pids = c->fd_walk = -1;
	c->fd_cpu = -1;
}

/* "rel/file" without the leading slash, in c->path. */
static const char *rel_path(struct cgfs *c, const char *rel, const char *file)
{
	while (*rel == '/')
		rel++;
	sb_clear(&c->path);
	if (*rel) {
		sb_adds(&c->path, rel);
		sb_addc(&c->path, '/');
	}
	sb_adds(&c->path, file);
	return c->path.s;
}

#define FD_UNTRIED (-1)
#define FD_ABSENT (-2)
#define ABSENT_RETRY 10   /* refreshes before a missing file is looked for again */

static int cmp_handle(const void *a, const void *b)
{
	return strcmp(((const struct cg_handle *)a)->rel, ((const struct cg_handle *)b)->rel);
}

static void handle_close(struct cg_handle *h)
{
	for (int i = 0; i < h->n; i++)
		if (h->f[i].fd >= 0)
			close(h->f[i].fd);
	h->n = 0;
}

/* The handle of rel, made when new, reset when the cgroup was reborn. */
static struct cg_handle *handle_get(struct cgfs *c, const char *rel, uint64_t birth)
{
	struct cg_handle key = {.rel = (char *)(uintptr_t)rel};
	struct cg_handle *h = c->nhandles ? bsearch(&key, c->handles, c->nhandles,
						    sizeof(*c->handles), cmp_handle) : NULL;
	if (!h) {
		if (c->nhandles == c->caphandles) {
			c->caphandles = c->caphandles ? c->caphandles * 2 : 64;
			c->handles = xrealloc(c->handles, c->caphandles * sizeof(*c->handles));
		}
		/* insert in order */
		size_t at = 0;
		while (at < c->nhandles && strcmp(c->handles[at].rel, rel) < 0)
			at++;
		memmove(&c->handles[at + 1], &c->handles[at], (c->nhandles - at) * sizeof(*c->handles));
		c->nhandles++;
		h = &c->handles[at];
		memset(h, 0, sizeof(*h));
		h->rel = xstrdup(rel);
		h->birth = birth;
	} else if (h->birth != birth) {
		handle_close(h);
		h->birth = birth;
	}
	h->gen = c->gen;
	return h;
}

void cgroup_begin(struct cgfs *c)
{
	c->gen++;
}

void cgroup_end(struct cgfs *c)
{
	size_t o = 0;
	for (size_t i = 0; i < c->nhandles; i++) {
		if (c->handles[i].gen == c->gen) {
			c->handles[o++] = c->handles[i];
		} else {
			handle_close(&c->handles[i]);
			free(c->handles[i].rel);
		}
	}
	c->nhandles = o;
	c->cur = NULL;
}

/* pread from offset 0 until a short read: the file as the kernel makes it now. */
static int pread_all(int fd, struct sb *b)
{
	sb_clear(b);
	for (;;) {
		sb_reserve(b, 4096);
		size_t room = b->cap - b->len - 1;
		ssize_t n = pread(fd, b->s + b->len, room, (off_t)b->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			b->s[b->len] = '\0';
			return -errno;
		}
		b->len += (size_t)n;
		if ((size_t)n < room || b->len >= 65536)
			break;
	}
	b->s[b->len] = '\0';
	return 0;
}

/* Read rel/file in hierarchy fd into c->buf: through the current cgroup's
 * open files when there is one, else open, read and close. */
static int cg_read(struct cgfs *c, int fd, const char *rel, const char *file)
{
	if (fd < 0)
		return -ENOENT;
	struct cg_handle *h = c->cur;
	int i = 0;
	if (h) {
		while (i < h->n && (h->f[i].root != fd || h->f[i].name != file))
			i++;
		if (i == h->n) {
			if (h->n == CG_HFILES)
				h = NULL;
			else
				h->f[h->n++] = (struct cg_file){fd, file, FD_UNTRIED, 0};
		}
	}
	if (!h)
		return read_small_at(fd, rel_path(c, rel, file), &c->buf, 65536);
	if (h->f[i].fd == FD_ABSENT && c->gen < h->f[i].retry)
		return -ENOENT;
	if (h->f[i].fd < 0) {
		int ofd = openat(fd, rel_path(c, rel, file), O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (ofd < 0) {
			int e = errno;
			if (e == ENOENT) {
				h->f[i].fd = FD_ABSENT;
				h->f[i].retry = c->gen + ABSENT_RETRY;
			} else if (e == EMFILE || e == ENFILE) {
				/* out of descriptors: read without keeping the file */
				return read_small_at(fd, rel_path(c, rel, file), &c->buf, 65536);
			}
			sb_clear(&c->buf);
			return -e;
		}
		h->f[i].fd = ofd;
	}
	int r = pread_all(h->f[i].fd, &c->buf);
	if (r == -ENODEV || r == -ENOENT) {
		/* the cgroup was removed under the open file */
		close(h->f[i].fd);
		h->f[i].fd = FD_ABSENT;
		h->f[i].retry = c->gen + 1;
		return -ENOENT;
	}
	return r;
}

static void kv(struct cgfs *c, const char *key, uint64_t *out, uint64_t mul)
{
	uint64_t v;
	if (!parse_kv_u64(c->buf.s, key, &v))
		*out = v * mul;
}

/* Several keys of c->buf in one pass (memory.stat has 40-60 lines). */
#define KVS(c, ...) do { \
		const struct kv_want want_[] = {__VA_ARGS__}; \
		parse_kv_set((c)->buf.s, want_, sizeof(want_) / sizeof(want_[0])); \
	} while (0)

/* cg_read, timed: the counter was made between t0 and t1, and a rate
 * divides by the time between two such reads. An open, a blocked cgroup
 * lock or a preemption can put milliseconds between the clock and the
 * read (a container once showed 304% on 2 CPUs at -d 0.05); the file is
 * open after the first try, so a second one is tight. */
static int cg_read_timed(struct cgfs *c, int fd, const char *rel, const char *file)
{
	int r = -ENOENT;
	for (int i = 0; i < 3; i++) {
		uint64_t t0 = now_mono_ns();
		r = cg_read(c, fd, rel, file);
		uint64_t t1 = now_mono_ns();
		if (r)
			return r;
		c->cpu_at_ns = t0 + (t1 - t0) / 2;
		if (t1 - t0 < 1000000)
			break;
	}
	return r;
}

/* Older kernels' split: cpuacct.stat in USER_HZ ticks. */
static bool cpuacct_stat(struct cgfs *c, const char *rel, struct guest_sample *g)
{
	if (cg_read(c, c->fd_cpuacct, rel, "cpuacct.stat"))
		return false;
	c->found = 1;
	uint64_t hz = (uint64_t)sysconf(_SC_CLK_TCK);
	uint64_t mul = hz ? 1000000000ull / hz : 10000000ull;
	KVS(c, {"user", &g->cg_user_ns, mul}, {"system", &g->cg_system_ns, mul});
	return true;
}

/* v1 cpuacct: usage in ns, and its user and system split; an idle
 * cgroup's split is the last refresh's. False when there is none. */
static bool read_cpuacct(struct cgfs *c, const char *rel, struct guest_sample *g)
{
	uint64_t v;
	if (c->fd_cpuacct < 0)
		return false;
	if (cg_read_timed(c, c->fd_cpuacct, rel, "cpuacct.usage"))
		return cpuacct_stat(c, rel, g);
	c->found = 1;
	if (!parse_u64(c->buf.s, &v))
		g->cg_usage_ns = v;
	const struct cg_carry *k = c->carry;
	if (k && k->valid && g->cg_usage_ns != VT_UNKNOWN && g->cg_usage_ns == k->usage_ns &&
	    k->user_ns != VT_UNKNOWN && k->system_ns != VT_UNKNOWN) {
		g->cg_user_ns = k->user_ns;
		g->cg_system_ns = k->system_ns;
		return true;
	}
	if (!cg_read(c, c->fd_cpuacct, rel, "cpuacct.usage_user") && !parse_u64(c->buf.s, &v))
		g->cg_user_ns = v;
	if (!cg_read(c, c->fd_cpuacct, rel, "cpuacct.usage_sys") && !parse_u64(c->buf.s, &v))
		g->cg_system_ns = v;
	if (g->cg_user_ns == VT_UNKNOWN || g->cg_system_ns == VT_UNKNOWN)
		cpuacct_stat(c, rel, g);
	return true;
}

/* The guest's CPU time. A hybrid host has it twice: v1 cpuacct is read
 * first there, as cheap as a counter gets, where the unified cpu.stat
 * makes the kernel flush every CPU's statistics of the cgroup first. */
static void read_cpu(struct cgfs *c, const char *rel, struct guest_sample *g)
{
	c->cpu_at_ns = 0;
	if (c->version != 2 && read_cpuacct(c, rel, g))
		return;
	int r = cg_read_timed(c, c->fd_v2, rel, "cpu.stat");
	if (r != -ENOENT)
		c->found = 1;
	if (!r) {
		/* nr_throttled, throttled_usec: with the cpu controller on,
		 * time spent throttled by cpu.max */
		KVS(c, {"usage_usec", &g->cg_usage_ns, 1000}, {"user_usec", &g->cg_user_ns, 1000},
		    {"system_usec", &g->cg_system_ns, 1000}, {"nr_throttled", &g->cg_nr_throttled, 1},
		    {"throttled_usec", &g->cg_throttled_ns, 1000});
		if (g->cg_usage_ns != VT_UNKNOWN)
			return;
	}
	if (c->version == 2)
		read_cpuacct(c, rel, g);
}

/* v2's kernel memory, from the memory.stat read_mem has in c->buf. */
static void kernel_stat(struct cgfs *c, struct guest_sample *g)
{
	KVS(c, {"kernel", &g->cg_kmem, 1}, {"kernel_stack", &g->cg_kmem_stack, 1},
	    {"pagetables", &g->cg_kmem_pagetables, 1},
	    {"sec_pagetables", &g->cg_kmem_sec_pagetables, 1}, {"slab", &g->cg_kmem_slab, 1},
	    {"percpu", &g->cg_kmem_percpu, 1}, {"sock", &g->cg_kmem_sock, 1});
}

/* An idle guest whose usage did not move either: memory.stat as the last
 * refresh read it (the kernel formats 40 to 60 lines for it). */
static bool carry_mem(struct cgfs *c, struct guest_sample *g, bool kernel)
{
	const struct cg_carry *k = c->carry;
	if (!c->idle || !kernel || g->cg_mem_current == VT_UNKNOWN || g->cg_mem_current != k->mem_current)
		return false;
	g->cg_mem_anon = k->anon;
	g->cg_mem_file = k->file;
	g->cg_mem_inactive_file = k->inactive_file;
	g->cg_mem_shmem = k->shmem;
	g->cg_swap = k->swap;
	g->cg_kmem = k->kmem;
	g->cg_kmem_stack = k->kmem_stack;
	g->cg_kmem_pagetables = k->kmem_pt;
	g->cg_kmem_sec_pagetables = k->kmem_secpt;
	g->cg_kmem_slab = k->kmem_slab;
	g->cg_kmem_percpu = k->kmem_percpu;
	g->cg_kmem_sock = k->kmem_sock;
	return true;
}

/* Memory; with kernel, also what read_kernel takes from memory.stat, so
 * that the file (v1's is 40 lines, each formatted by the kernel) is read
 * once a refresh. */
static void read_mem(struct cgfs *c, const char *rel, struct guest_sample *g, bool limit,
		     bool kernel)
{
	uint64_t v;
	int r;
	if (c->version == 2) {
		if ((r = cg_read(c, c->fd_v2, rel, "memory.current")) != -ENOENT)
			c->found = 1;
		if (!r && !parse_u64(c->buf.s, &v))
			g->cg_mem_current = v;
		if (limit && !cg_read(c, c->fd_v2, rel, "memory.max") && !parse_u64(c->buf.s, &v))
			g->cg_mem_limit = v;
		if (carry_mem(c, g, kernel))
			return;
		if (!cg_read(c, c->fd_v2, rel, "memory.stat")) {
			KVS(c, {"anon", &g->cg_mem_anon, 1}, {"file", &g->cg_mem_file, 1},
			    {"inactive_file", &g->cg_mem_inactive_file, 1},
			    {"shmem", &g->cg_mem_shmem, 1});
			if (kernel)
				kernel_stat(c, g);
		}
		return;
	}
	if (c->fd_mem < 0)
		return;
	if ((r = cg_read(c, c->fd_mem, rel, "memory.usage_in_bytes")) != -ENOENT)
		c->found = 1;
	if (!r && !parse_u64(c->buf.s, &v))
		g->cg_mem_current = v;
	if (limit && !cg_read(c, c->fd_mem, rel, "memory.limit_in_bytes") && !parse_u64(c->buf.s, &v))
		g->cg_mem_limit = v >= (1ull << 62) ? VT_UNKNOWN : v;
	if (carry_mem(c, g, kernel))
		return;
	if (!cg_read(c, c->fd_mem, rel, "memory.stat")) {
		/* total_* include child cgroups, like v2's hierarchical stat */
		/* total_swap is there only with swap accounting on */
		uint64_t swap = VT_UNKNOWN;
		KVS(c, {"total_rss", &g->cg_mem_anon, 1}, {"total_cache", &g->cg_mem_file, 1},
		    {"total_inactive_file", &g->cg_mem_inactive_file, 1},
		    {"total_shmem", &g->cg_mem_shmem, 1}, {"total_swap", &swap, 1});
		if (kernel && swap != VT_UNKNOWN)
			g->cg_swap = swap;
	}
}

/* What the kernel spends and does for the guest beyond its usage:
 * kernel memory, swap, OOM kills and CPU limit throttling. */
static void read_kernel(struct cgfs *c, const char *rel, struct guest_sample *g)
{
	uint64_t v;
	/* memory.stat's part was taken by read_mem */
	if (c->idle && g->cg_mem_current != VT_UNKNOWN && g->cg_mem_current == c->carry->mem_current) {
		/* no task ran: no OOM kill, no kernel memory of its own; and
		 * reclaim, which could move kernel memory or swap, would have
		 * moved its usage */
		g->cg_oom_kills = c->carry->oom_kills;
		if (c->version != 2)
			g->cg_kmem = c->carry->kmem;
		else
			g->cg_swap = c->no_swap ? 0 : c->carry->swap;
	} else if (c->version == 2) {
		if (c->no_swap)
			g->cg_swap = 0;
		else if (!cg_read(c, c->fd_v2, rel, "memory.swap.current") &&
			 !parse_u64(c->buf.s, &v))
			g->cg_swap = v;
		if (!cg_read(c, c->fd_v2, rel, "memory.events"))
			kv(c, "oom_kill", &g->cg_oom_kills, 1);
	} else if (c->fd_mem >= 0) {
		if (!cg_read(c, c->fd_mem, rel, "memory.kmem.usage_in_bytes") &&
		    !parse_u64(c->buf.s, &v))
			g->cg_kmem = v;
		if (!cg_read(c, c->fd_mem, rel, "memory.oom_control"))
			kv(c, "oom_kill", &g->cg_oom_kills, 1);
	}
	/* a hybrid host's unified cpu.stat has no throttling: v1 cpu has it,
	 * at the guest's own cgroup (a payload of CPU only in the unified
	 * tree, nspawn's, is not in v1: its scope's quota throttles it) */
	if (g->cg_throttled_ns == VT_UNKNOWN && c->fd_cpu >= 0 && !c->no_quota &&
	    !cg_read(c, c->fd_cpu, rel, "cpu.stat")) {
		KVS(c, {"nr_throttled", &g->cg_nr_throttled, 1},
		    {"throttled_time", &g->cg_throttled_ns, 1});
	}
}

int cgroup_read_guest(struct cgfs *c, const char *rel, const char *cpu_rel, uint64_t birth,
		      struct guest_sample *g, bool limit)
{
	/* no existence check first: a vanished cgroup fails every read */
	c->found = 0;
	c->quota = -1;
	c->cur = handle_get(c, rel, birth);
	read_cpu(c, cpu_rel ? cpu_rel : rel, g);
	c->idle = c->carry && c->carry->valid && g->cg_usage_ns != VT_UNKNOWN &&
		  g->cg_usage_ns == c->carry->usage_ns;
	read_mem(c, rel, g, limit, true);
	if (!c->found) {
		c->cur = NULL;
		return -ENOENT;
	}
	/* v1: no quota ("-1") means nothing can throttle the guest */
	if (limit && c->version != 2 && c->fd_cpu >= 0 &&
	    !cg_read(c, c->fd_cpu, rel, "cpu.cfs_quota_us"))
		c->quota = c->buf.s[0] == '-' ? 0 : 1;
	uint64_t v;
	if (!cg_read(c, c->fd_v2, rel, "io.pressure") && !parse_pressure(c->buf.s, "some", &v))
		g->cg_io_some_us = v;
	if (c->pressure && !cg_read(c, c->fd_v2, rel, "cpu.pressure") &&
	    !parse_pressure(c->buf.s, "some", &v))
		g->cg_cpu_some_us = v;
	if (c->pressure && !cg_read(c, c->fd_v2, rel, "memory.pressure") &&
	    !parse_pressure(c->buf.s, "some", &v))
		g->cg_mem_some_us = v;
	uint64_t r, w;
	if (c->version == 2) {
		if (!cg_read(c, c->fd_v2, rel, "io.stat") && !parse_io_stat(c->buf.s, &r, &w)) {
			g->cg_io_rbytes = r;
			g->cg_io_wbytes = w;
			if (!parse_io_stat_keys(c->buf.s, "rios=", "wios=", &r, &w)) {
				g->cg_io_rios = r;
				g->cg_io_wios = w;
			}
		}
	} else if (c->idle) {
		/* v1 charges no writeback to the cgroup: only its tasks' I/O */
		g->cg_io_rbytes = c->carry->io_r;
		g->cg_io_wbytes = c->carry->io_w;
		g->cg_io_rios = c->carry->io_rios;
		g->cg_io_wios = c->carry->io_wios;
	} else if (!cg_read(c, c->fd_blkio, rel, "blkio.throttle.io_service_bytes_recursive") &&
		   !parse_blkio_bytes(c->buf.s, &r, &w)) {
		g->cg_io_rbytes = r;
		g->cg_io_wbytes = w;
		/* io_serviced has io_service_bytes' layout, in operations */
		if (!cg_read(c, c->fd_blkio, rel, "blkio.throttle.io_serviced_recursive") &&
		    !parse_blkio_bytes(c->buf.s, &r, &w)) {
			g->cg_io_rios = r;
			g->cg_io_wios = w;
		}
	}
	read_kernel(c, rel, g);
	c->cur = NULL;
	return 0;
}

uint64_t cgroup_cpu_now(struct cgfs *c, const char *rel, const char *cpu_rel, uint64_t birth)
{
	struct guest_sample g;
	guest_sample_init(&g);
	const struct cg_carry *carry = c->carry;
	c->carry = NULL;
	c->cur = handle_get(c, rel, birth);
	read_cpu(c, cpu_rel ? cpu_rel : rel, &g);
	c->cur = NULL;
	c->carry = carry;
	return g.cg_usage_ns != VT_UNKNOWN ? g.cg_usage_ns : add_known(g.cg_user_ns, g.cg_system_ns);
}

int cgroup_read_helper(struct cgfs *c, const char *rel, uint64_t *cpu_ns, uint64_t *mem)
{
	/* helper cgroups are often absent: one stat beats seven failed opens */
	if (!cgroup_exists(c, rel) && !cgroup_exists_v2(c, rel))
		return -ENOENT;
	struct guest_sample g;
	guest_sample_init(&g);
	c->found = 0;
	c->cur = handle_get(c, rel, 0);
	read_cpu(c, rel, &g);
	read_mem(c, rel, &g, false, false);
	c->cur = NULL;
	if (!c->found)
		return -ENOENT;
	*cpu_ns = g.cg_usage_ns != VT_UNKNOWN ? g.cg_usage_ns
		  : add_known(g.cg_user_ns, g.cg_system_ns);
	*mem = g.cg_mem_current;
	return 0;
}

static int dir_exists(int root, const char *rel)
{
	while (*rel == '/')
		rel++;
	if (!*rel)
		return 1;
	struct stat st;
	return fstatat(root, rel, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

int cgroup_exists(struct cgfs *c, const char *rel)
{
	return dir_exists(c->fd_walk, rel);
}

int cgroup_exists_v2(struct cgfs *c, const char *rel)
{
	return c->fd_v2 >= 0 && c->fd_v2 != c->fd_walk && dir_exists(c->fd_v2, rel);
}

bool has_subdirs(int dfd)
{
	/* a directory's link count is 2 + its subdirectories on cgroupfs
	 * (kernfs), tmpfs and ext4: 2 says there is none, without listing
	 * the control files; any other count (btrfs says 1) is read */
	struct stat st;
	return fstat(dfd, &st) || st.st_nlink != 2;
}

static uint64_t count_dir(struct cgfs *c, int dfd, int depth, int **pids, size_t *npids,
			  size_t *cap, bool threads)
{
	uint64_t n = 0;
	/* one record per pid: read to the end, not just the first page.
	 * threads: every thread's id (v2 cgroup.threads, v1 tasks) */
	int r = threads ? read_file_at(dfd, "cgroup.threads", &c->buf, 0) : -1;
	if (r && threads)
		r = read_file_at(dfd, "tasks", &c->buf, 0);
	if (r)
		r = read_file_at(dfd, "cgroup.procs", &c->buf, 0);
	if (r == 0) {
		for (char *p = c->buf.s; *p;) {
			char *e;
			long v = strtol(p, &e, 10);
			if (e == p)
				break;
			n++;
			if (pids) {
				if (*npids == *cap) {
					*cap = *cap ? *cap * 2 : 64;
					*pids = xrealloc(*pids, *cap * sizeof(**pids));
				}
				(*pids)[(*npids)++] = (int)v;
			}
			p = e;
			while (*p == '\n')
				p++;
		}
	}
	if (depth >= 8 || !has_subdirs(dfd))
		return n;
	int dup_fd = dup(dfd);
	if (dup_fd < 0)
		return n;
	DIR *d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return n;
	}
	/* dup() shares the offset with dfd: start from the top every time */
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int sub = open_dir(dfd, de->d_name);
		if (sub < 0)
			continue;
		n += count_dir(c, sub, depth + 1, pids, npids, cap, threads);
		close(sub);
	}
	closedir(d);
	return n;
}

uint64_t cgroup_count_tasks(struct cgfs *c, const char *rel, uint64_t birth)
{
	uint64_t v, n = VT_UNKNOWN;
	/* v1 pids hierarchy on hybrid hosts, the cgroup itself on pure v2 */
	int fd = c->fd_pids >= 0 ? c->fd_pids : c->version == 2 ? c->fd_v2 : -1;
	/* kept open with the guest's other files */
	c->cur = handle_get(c, rel, birth);
	if (!cg_read(c, fd, rel, "pids.current") && !parse_u64(c->buf.s, &v) && v != VT_UNKNOWN)
		n = v;
	c->cur = NULL;
	return n;
}

static uint64_t count_tree(struct cgfs *c, const char *rel, int **pids, size_t *npids,
			   bool threads)
{
	while (*rel == '/')
		rel++;
	int dfd = *rel ? open_dir(c->fd_walk, rel) : dup(c->fd_walk);
	if (dfd < 0)
		return 0;
	size_t cap = pids ? *npids : 0;
	uint64_t n = count_dir(c, dfd, 0, pids, npids, &cap, threads);
	close(dfd);
	return n;
}

uint64_t cgroup_count_procs(struct cgfs *c, const char *rel, int **pids, size_t *npids)
{
	return count_tree(c, rel, pids, npids, false);
}

uint64_t cgroup_list_threads(struct cgfs *c, const char *rel, int **tids, size_t *ntids)
{
	return count_tree(c, rel, tids, ntids, true);
}

uint64_t cgroup_list_procs_v2(struct cgfs *c, const char *rel, int **pids, size_t *npids)
{
	if (c->fd_v2 < 0)
		return 0;
	while (*rel == '/')
		rel++;
	int dfd = *rel ? open_dir(c->fd_v2, rel) : -1;
	if (dfd < 0)
		return 0;
	size_t cap = *npids;
	uint64_t n = count_dir(c, dfd, 0, pids, npids, &cap, false);
	close(dfd);
	return n;
}
