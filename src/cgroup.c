/* cgroupfs reads for v2, v1 and hybrid hierarchies, through dir fds. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	c->fd_v2 = c->fd_mem = c->fd_cpuacct = c->fd_blkio = c->fd_walk = -1;
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
	int fds[] = {c->fd_v2, c->fd_mem, c->fd_cpuacct, c->fd_blkio};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	sb_free(&c->buf);
	sb_free(&c->path);
	memset(c, 0, sizeof(*c));
	c->fd_v2 = c->fd_mem = c->fd_cpuacct = c->fd_blkio = c->fd_walk = -1;
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

/* Read rel/file in hierarchy fd into c->buf. */
static int cg_read(struct cgfs *c, int fd, const char *rel, const char *file)
{
	if (fd < 0)
		return -ENOENT;
	return read_file_at(fd, rel_path(c, rel, file), &c->buf, 65536);
}

static void kv(struct cgfs *c, const char *key, uint64_t *out, uint64_t mul)
{
	uint64_t v;
	if (!parse_kv_u64(c->buf.s, key, &v))
		*out = v * mul;
}

static void read_cpu(struct cgfs *c, const char *rel, struct guest_sample *g)
{
	if (!cg_read(c, c->fd_v2, rel, "cpu.stat")) {
		kv(c, "usage_usec", &g->cg_usage_ns, 1000);
		kv(c, "user_usec", &g->cg_user_ns, 1000);
		kv(c, "system_usec", &g->cg_system_ns, 1000);
		if (g->cg_usage_ns != VT_UNKNOWN)
			return;
	}
	if (c->fd_cpuacct < 0)
		return;
	uint64_t v;
	if (!cg_read(c, c->fd_cpuacct, rel, "cpuacct.usage") && !parse_u64(c->buf.s, &v))
		g->cg_usage_ns = v;
	if (!cg_read(c, c->fd_cpuacct, rel, "cpuacct.usage_user") && !parse_u64(c->buf.s, &v))
		g->cg_user_ns = v;
	if (!cg_read(c, c->fd_cpuacct, rel, "cpuacct.usage_sys") && !parse_u64(c->buf.s, &v))
		g->cg_system_ns = v;
	if (g->cg_user_ns != VT_UNKNOWN && g->cg_system_ns != VT_UNKNOWN)
		return;
	/* older kernels: cpuacct.stat in USER_HZ ticks */
	if (!cg_read(c, c->fd_cpuacct, rel, "cpuacct.stat")) {
		uint64_t hz = (uint64_t)sysconf(_SC_CLK_TCK);
		uint64_t mul = hz ? 1000000000ull / hz : 10000000ull;
		kv(c, "user", &g->cg_user_ns, mul);
		kv(c, "system", &g->cg_system_ns, mul);
	}
}

static void read_mem(struct cgfs *c, const char *rel, struct guest_sample *g)
{
	uint64_t v;
	if (c->version == 2) {
		if (!cg_read(c, c->fd_v2, rel, "memory.current") && !parse_u64(c->buf.s, &v))
			g->cg_mem_current = v;
		if (!cg_read(c, c->fd_v2, rel, "memory.max") && !parse_u64(c->buf.s, &v))
			g->cg_mem_limit = v;
		if (!cg_read(c, c->fd_v2, rel, "memory.stat")) {
			kv(c, "anon", &g->cg_mem_anon, 1);
			kv(c, "file", &g->cg_mem_file, 1);
			kv(c, "inactive_file", &g->cg_mem_inactive_file, 1);
			kv(c, "shmem", &g->cg_mem_shmem, 1);
		}
		return;
	}
	if (c->fd_mem < 0)
		return;
	if (!cg_read(c, c->fd_mem, rel, "memory.usage_in_bytes") && !parse_u64(c->buf.s, &v))
		g->cg_mem_current = v;
	if (!cg_read(c, c->fd_mem, rel, "memory.limit_in_bytes") && !parse_u64(c->buf.s, &v))
		g->cg_mem_limit = v >= (1ull << 62) ? VT_UNKNOWN : v;
	if (!cg_read(c, c->fd_mem, rel, "memory.stat")) {
		/* total_* include child cgroups, like v2's hierarchical stat */
		kv(c, "total_rss", &g->cg_mem_anon, 1);
		kv(c, "total_cache", &g->cg_mem_file, 1);
		kv(c, "total_inactive_file", &g->cg_mem_inactive_file, 1);
		kv(c, "total_shmem", &g->cg_mem_shmem, 1);
	}
}

int cgroup_read_guest(struct cgfs *c, const char *rel, struct guest_sample *g)
{
	if (!cgroup_exists(c, rel))
		return -ENOENT;
	read_cpu(c, rel, g);
	read_mem(c, rel, g);
	uint64_t v;
	if (!cg_read(c, c->fd_v2, rel, "io.pressure") && !parse_pressure(c->buf.s, "some", &v))
		g->cg_io_some_us = v;
	uint64_t r, w;
	if (c->version == 2) {
		if (!cg_read(c, c->fd_v2, rel, "io.stat") && !parse_io_stat(c->buf.s, &r, &w)) {
			g->cg_io_rbytes = r;
			g->cg_io_wbytes = w;
		}
	} else if (!cg_read(c, c->fd_blkio, rel, "blkio.throttle.io_service_bytes_recursive") &&
		   !parse_blkio_bytes(c->buf.s, &r, &w)) {
		g->cg_io_rbytes = r;
		g->cg_io_wbytes = w;
	}
	return 0;
}

int cgroup_read_helper(struct cgfs *c, const char *rel, uint64_t *cpu_ns, uint64_t *mem)
{
	if (!cgroup_exists(c, rel))
		return -ENOENT;
	struct guest_sample g;
	guest_sample_init(&g);
	read_cpu(c, rel, &g);
	read_mem(c, rel, &g);
	*cpu_ns = g.cg_usage_ns != VT_UNKNOWN ? g.cg_usage_ns
		  : add_known(g.cg_user_ns, g.cg_system_ns);
	*mem = g.cg_mem_current;
	return 0;
}

int cgroup_exists(struct cgfs *c, const char *rel)
{
	while (*rel == '/')
		rel++;
	if (!*rel)
		return 1;
	struct stat st;
	return fstatat(c->fd_walk, rel, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static uint64_t count_dir(struct cgfs *c, int dfd, int depth, int **pids, size_t *npids,
			  size_t *cap)
{
	uint64_t n = 0;
	if (read_file_at(dfd, "cgroup.procs", &c->buf, 0) == 0) {
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
	if (depth >= 8)
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
		n += count_dir(c, sub, depth + 1, pids, npids, cap);
		close(sub);
	}
	closedir(d);
	return n;
}

uint64_t cgroup_count_procs(struct cgfs *c, const char *rel, int **pids, size_t *npids)
{
	while (*rel == '/')
		rel++;
	int dfd = *rel ? open_dir(c->fd_walk, rel) : dup(c->fd_walk);
	if (dfd < 0)
		return 0;
	size_t cap = pids ? *npids : 0;
	uint64_t n = count_dir(c, dfd, 0, pids, npids, &cap);
	close(dfd);
	return n;
}
