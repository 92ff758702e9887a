/* Host counters: libproc2 stat.h and meminfo.h, plus the files libproc2
 * does not cover. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <libproc2/meminfo.h>
#include <libproc2/stat.h>

#include "host.h"
#include "parse.h"
#include "util.h"

/* Positions in our item arrays; libproc2 enum numbers are never stored.
 * The STAT_TIC_SUM_* items are avoided: 4.0.2-4.0.4 count guest twice. */
enum { ST_USER, ST_NICE, ST_SYSTEM, ST_IDLE, ST_IOWAIT, ST_IRQ, ST_SOFTIRQ, ST_STEAL, ST_GUEST,
       ST_GNICE, ST_FORKS, ST_N };
static enum stat_item stat_items[ST_N] = {
	[ST_USER] = STAT_TIC_USER, [ST_NICE] = STAT_TIC_NICE, [ST_SYSTEM] = STAT_TIC_SYSTEM,
	[ST_IDLE] = STAT_TIC_IDLE, [ST_IOWAIT] = STAT_TIC_IOWAIT, [ST_IRQ] = STAT_TIC_IRQ,
	[ST_SOFTIRQ] = STAT_TIC_SOFTIRQ, [ST_STEAL] = STAT_TIC_STOLEN, [ST_GUEST] = STAT_TIC_GUEST,
	[ST_GNICE] = STAT_TIC_GUEST_NICE, [ST_FORKS] = STAT_SYS_PROC_CREATED,
};

enum { MI_TOTAL, MI_FREE, MI_AVAIL, MI_BUFFERS, MI_CACHED, MI_ANON, MI_SHMEM, MI_SWTOTAL,
       MI_SWFREE, MI_HTOTAL, MI_HFREE, MI_HSIZE, MI_N };
static enum meminfo_item mem_items[MI_N] = {
	[MI_TOTAL] = MEMINFO_MEM_TOTAL, [MI_FREE] = MEMINFO_MEM_FREE,
	[MI_AVAIL] = MEMINFO_MEM_AVAILABLE, [MI_BUFFERS] = MEMINFO_MEM_BUFFERS,
	[MI_CACHED] = MEMINFO_MEM_CACHED, [MI_ANON] = MEMINFO_MEM_ANON,
	[MI_SHMEM] = MEMINFO_MEM_SHARED, [MI_SWTOTAL] = MEMINFO_SWAP_TOTAL,
	[MI_SWFREE] = MEMINFO_SWAP_FREE, [MI_HTOTAL] = MEMINFO_MEM_HUGE_TOTAL,
	[MI_HFREE] = MEMINFO_MEM_HUGE_FREE, [MI_HSIZE] = MEMINFO_MEM_HUGE_SIZE,
};

struct host_reader {
	int proc_fd, sys_fd;       /* borrowed */
	struct stat_info *stat;
	struct meminfo_info *mem;
	uint64_t page_size;
	struct sb buf;
	char *disks;               /* physical whole disks, " vda sda " (owned) */
	uint64_t disks_ns;         /* when they were listed; 0 never */
	int online_fd;             /* devices/system/cpu/online, kept open; -1 none */
};

/* The disks are listed again at most this often (hot-plug is rare). */
#define DISKS_EVERY_NS (30000000000ull)

struct host_reader *host_reader_new(int proc_fd, int sys_fd, char **cause)
{
	struct host_reader *r = xcalloc(1, sizeof(*r));
	r->proc_fd = proc_fd;
	r->sys_fd = sys_fd;
	r->online_fd = sys_fd >= 0 ? openat(sys_fd, "devices/system/cpu/online",
					    O_RDONLY | O_CLOEXEC) : -1;
	int e = procps_stat_new(&r->stat);
	if (e < 0) {
		*cause = xasprintf("cannot read /proc/stat: %s", strerror(-e));
		host_reader_free(r);
		return NULL;
	}
	e = procps_meminfo_new(&r->mem);
	if (e < 0) {
		*cause = xasprintf("cannot read /proc/meminfo: %s", strerror(-e));
		host_reader_free(r);
		return NULL;
	}
	long ps = sysconf(_SC_PAGESIZE);
	r->page_size = ps > 0 ? (uint64_t)ps : 4096;
	return r;
}

void host_reader_free(struct host_reader *r)
{
	if (!r)
		return;
	if (r->stat)
		procps_stat_unref(&r->stat);
	if (r->mem)
		procps_meminfo_unref(&r->mem);
	if (r->online_fd >= 0)
		close(r->online_fd);
	sb_free(&r->buf);
	free(r->disks);
	free(r);
}

/* Online CPUs: the kernel's list ("0-3,6") re-read from its open file
 * (sysconf opens and parses it at every call), else sysconf's answer. */
static uint32_t online_cpus(struct host_reader *r)
{
	char b[512];
	ssize_t n = r->online_fd >= 0 ? pread(r->online_fd, b, sizeof(b) - 1, 0) : -1;
	long count = 0;
	if (n > 0) {
		b[n] = '\0';
		for (char *p = b; *p >= '0' && *p <= '9';) {
			long lo = strtol(p, &p, 10), hi = lo;
			if (*p == '-')
				hi = strtol(p + 1, &p, 10);
			count += hi >= lo ? hi - lo + 1 : 0;
			if (*p != ',')
				break;
			p++;
		}
	}
	if (count <= 0)
		count = sysconf(_SC_NPROCESSORS_ONLN);
	return count > 0 ? (uint32_t)count : 1;
}

/* /sys/block's entries with a device behind them: disks, not loop, dm,
 * md, zram, nbd or zvols (whose I/O lands on the disks below them). */
static void list_disks(struct host_reader *r, uint64_t now)
{
	struct sb names = {0};
	sb_printf(&names, " ");
	int dfd = r->sys_fd >= 0 ? openat(r->sys_fd, "block", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d && dfd >= 0)
		close(dfd);
	for (struct dirent *e; d && (e = readdir(d));) {
		char dev[300];
		snprintf(dev, sizeof(dev), "%s/device", e->d_name);
		if (e->d_name[0] != '.' && !faccessat(dirfd(d), dev, F_OK, 0))
			sb_printf(&names, "%s ", e->d_name);
	}
	if (d)
		closedir(d);
	free(r->disks);
	r->disks = names.s;
	r->disks_ns = now;
}

/* /proc/diskstats over the physical disks: sectors are 512 bytes. */
static void read_disks(struct host_reader *r, struct host_sample *h)
{
	if (!r->disks_ns || h->mono_ns - r->disks_ns >= DISKS_EVERY_NS)
		list_disks(r, h->mono_ns);
	/* no disk listed (no /sys, or none with a device): unknown, not 0 */
	if (!r->disks || !r->disks[1] || read_file_at(r->proc_fd, "diskstats", &r->buf, 0))
		return;
	uint64_t rb = 0, wb = 0, ri = 0, wi = 0;
	for (const char *l = r->buf.s, *nl; *l; l = nl ? nl + 1 : "") {
		nl = strchr(l, '\n');
		char name[64], pat[70];
		uint64_t rio, rsec, wio, wsec, skip;
		if (sscanf(l, "%*u %*u %63s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " %" SCNu64 " %" SCNu64, name, &rio, &skip, &rsec, &skip, &wio, &skip,
			   &wsec) != 8)
			continue;
		snprintf(pat, sizeof(pat), " %s ", name);
		if (!strstr(r->disks, pat))
			continue;
		rb += rsec * 512;
		wb += wsec * 512;
		ri += rio;
		wi += wio;
	}
	h->disk_rbytes = rb;
	h->disk_wbytes = wb;
	h->disk_rios = ri;
	h->disk_wios = wi;
}

static void read_psi(struct host_reader *r, const char *file, uint64_t *some, uint64_t *full)
{
	if (read_small_at(r->proc_fd, file, &r->buf, 4096))
		return;
	uint64_t v;
	if (some && !parse_pressure(r->buf.s, "some", &v))
		*some = v;
	if (full && !parse_pressure(r->buf.s, "full", &v))
		*full = v;
}

int host_read(struct host_reader *r, struct host_sample *h)
{
	host_sample_init(h);
	h->mono_ns = now_mono_ns();
	h->real_ms = now_real_ms();
	h->ncpus = online_cpus(r);
	long hz = sysconf(_SC_CLK_TCK);
	h->hz = hz > 0 ? (uint64_t)hz : 100;
	if (gethostname(h->hostname, sizeof(h->hostname) - 1))
		snprintf(h->hostname, sizeof(h->hostname), "localhost");

	/* select re-reads every time; get() would cache for a second */
	struct stat_stack *st = procps_stat_select(r->stat, stat_items, ST_N);
	if (!st)
		return errno ? -errno : -EIO;
	uint64_t *t[ST_FORKS] = {&h->t_user, &h->t_nice, &h->t_system, &h->t_idle, &h->t_iowait,
			     &h->t_irq, &h->t_softirq, &h->t_steal, &h->t_guest, &h->t_guest_nice};
	for (int i = 0; i < ST_FORKS; i++)
		*t[i] = st->head[i].result.ull_int;
	h->forks = st->head[ST_FORKS].result.ul_int;

	struct meminfo_stack *ms = procps_meminfo_select(r->mem, mem_items, MI_N);
	if (ms) {
		uint64_t *m[MI_N] = {&h->mem_total, &h->mem_free, &h->mem_available,
				     &h->mem_buffers, &h->mem_cached, &h->mem_anon, &h->mem_shmem,
				     &h->swap_total, &h->swap_free, &h->huge_total, &h->huge_free,
				     &h->huge_size};
		for (int i = 0; i < MI_N; i++) {
			uint64_t v = ms->head[i].result.ul_int;
			/* meminfo is in KiB except the HugePages_* page counts */
			*m[i] = (i == MI_HTOTAL || i == MI_HFREE) ? v : v * 1024;
		}
	}
	read_psi(r, "pressure/cpu", &h->psi_cpu_some, NULL);
	read_psi(r, "pressure/io", &h->psi_io_some, &h->psi_io_full);
	read_psi(r, "pressure/memory", &h->psi_mem_some, &h->psi_mem_full);

	uint64_t v;
	if (!read_small_at(r->sys_fd, "kernel/mm/ksm/pages_sharing", &r->buf, 64) &&
	    !parse_u64(r->buf.s, &v))
		h->ksm_sharing = v * r->page_size;
	if (!read_file_at(r->proc_fd, "spl/kstat/zfs/arcstats", &r->buf, 0) &&
	    !parse_kv_u64(r->buf.s, "size", &v))
		h->zfs_arc = v;
	else
		h->zfs_arc = VT_UNKNOWN;
	read_disks(r, h);
	if (!read_small_at(r->proc_fd, "loadavg", &r->buf, 256))
		sscanf(r->buf.s, "%lf %lf %lf", &h->load1, &h->load5, &h->load15);
	if (!read_small_at(r->proc_fd, "uptime", &r->buf, 256))
		sscanf(r->buf.s, "%lf", &h->uptime_s);
	return 0;
}

void host_read_self(struct host_reader *r, struct host_sample *h)
{
	struct rusage ru;
	if (!getrusage(RUSAGE_SELF, &ru))
		h->self_cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
				 ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
	const char *l;
	/* the reader's buffer: no allocation a refresh */
	if (!read_small_at(r->proc_fd, "self/status", &r->buf, 16384) &&
	    (l = strstr(r->buf.s, "\nVmRSS:")))
		h->self_rss = strtoull(l + 7, NULL, 10) * 1024;   /* "VmRSS:  6012 kB" */
}
