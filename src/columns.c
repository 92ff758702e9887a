/* The guest column table and the cell formatter every view shares. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "columns.h"
#include "util.h"

const struct column columns[COL_COUNT] = {
	[COL_ID] = {"id", "ID", 3, UNIT_TEXT, true, true, "id",
		    "vmid, container id (12 shown), machine name or QEMU pid"},
	[COL_NAME] = {"name", "NAME", 8, UNIT_TEXT, true, true, "name",
		      "guest name: Proxmox config, QEMU -name, cgroup name"},
	[COL_RUNTIME] = {"runtime", "RUNTIME", 7, UNIT_TEXT, true, true, "runtime",
			 "proxmox-vm (pve-vm), proxmox-ct (pve-ct), libvirt, qemu, lxc, docker, podman, nspawn"},
	[COL_PIDS] = {"pids", "PIDS", 5, UNIT_COUNT, false, false, "pids",
		      "tasks in the guest (pids.current, threads too), else processes"},
	[COL_CPU] = {"cpu", "CPU%", 4, UNIT_PCT, false, true, "cpu.total",
		     "usr + sys + guest, % of one CPU"},
	[COL_USR] = {"usr", "USR", 4, UNIT_PCT, false, true, "cpu.usr",
		     "user time outside guest mode, % of one CPU"},
	[COL_SYS] = {"sys", "SYS", 4, UNIT_PCT, false, true, "cpu.sys",
		     "kernel time, % of one CPU"},
	[COL_GUEST] = {"guest", "GUEST", 5, UNIT_PCT, false, true, "cpu.guest",
		       "time the CPU ran guest code (VMs; /proc/PID/stat field 43)"},
	[COL_IOW] = {"iowait", "IOW", 4, UNIT_PCT, false, true, "cpu.iowait",
		     "share of the interval the guest's tasks stalled on I/O"},
	[COL_TAX] = {"cpu_tax", "TAX%", 4, UNIT_PCT, false, true, "cpu.tax",
		     "host CPU beyond the guest's own work: VM all but guest time, "
		     "container its helpers"},
	[COL_MEM] = {"mem", "MEM", 4, UNIT_BYTES, false, true, "mem.host",
		     "host RAM held for the guest (cgroup usage or RSS, plus helpers)"},
	[COL_WSET] = {"wset", "WSET", 4, UNIT_BYTES, false, true, "mem.working_set",
		      "working set: container usage - inactive file; VM guest used or RAM RSS"},
	[COL_CACHE] = {"cache", "CACHE", 5, UNIT_BYTES, false, true, "mem.page_cache",
		       "host page cache charged to the guest"},
	[COL_MTAX] = {"mem_tax", "MTAX", 5, UNIT_BYTES, false, true, "mem.tax",
		      "host RAM beyond the working set (\">\": a lower bound)"},
	[COL_GTOTAL] = {"guest_total", "GTOTAL", 4, UNIT_BYTES, false, false, "mem.guest_total",
			"guest's own total memory (balloon statistics)"},
	[COL_GUSED] = {"guest_used", "GUSED", 4, UNIT_BYTES, false, false, "mem.guest_used",
		       "guest's own used memory: total - available"},
	[COL_GCACHE] = {"guest_cache", "GCACHE", 4, UNIT_BYTES, false, false, "mem.guest_cache",
			"guest's own page cache"},
	[COL_READ] = {"read", "READ/s", 6, UNIT_RATE, false, false, "io.read",
		      "bytes read per second through the block layer (io.stat, blkio)"},
	[COL_WRITE] = {"write", "WRITE/s", 7, UNIT_RATE, false, false, "io.write",
		       "bytes written per second through the block layer"},
	[COL_EXITS] = {"exits", "EXITS/s", 7, UNIT_PER_S, false, false, "kvm_exits",
		       "KVM exits per second, all vCPUs (debugfs kvm/PID-FD/exits; root, KVM only)"},
};

_Static_assert(sizeof(columns) / sizeof(columns[0]) == COL_COUNT, "one entry per column");

int column_find(const char *name)
{
	for (int i = 0; i < COL_COUNT; i++)
		if (!strcasecmp(columns[i].name, name) || !strcasecmp(columns[i].title, name))
			return i;
	return -1;
}

/* Bytes scaled by 1024 with a unit letter; narrow keeps it to 4 chars. */
static void fmt_scaled(char *buf, size_t sz, uint64_t v, bool narrow)
{
	static const char units[] = "BKMGTPE";
	if (v == VT_UNKNOWN) {
		snprintf(buf, sz, "-");
		return;
	}
	double d = (double)v;
	int u = 0;
	while ((narrow ? d >= 999.5 : d >= 1024.0) && u < 6) {
		d /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, sz, "%lluB", (unsigned long long)v);
	else if (narrow)
		snprintf(buf, sz, d < 9.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
	else
		snprintf(buf, sz, d < 9.995 ? "%.2f%c" : d < 99.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
}

void fmt_bytes(char *buf, size_t sz, uint64_t v)
{
	fmt_scaled(buf, sz, v, false);
}

void fmt_bytes_short(char *buf, size_t sz, uint64_t v)
{
	fmt_scaled(buf, sz, v, true);
}

/* A rate of events in at most 5 characters: "950", "12.3k", "4.1M", "-". */
static void fmt_count(char *buf, size_t sz, double d)
{
	static const char units[] = " kMGT";
	if (isnan(d)) {
		snprintf(buf, sz, "-");
		return;
	}
	int u = 0;
	while (d >= 999.5 && u < 4) {
		d /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, sz, "%.0f", d);
	else
		snprintf(buf, sz, d < 9.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
}

static double num(enum col_id c, const struct guest_view *v)
{
	switch (c) {
	case COL_PIDS: return (double)v->g->nprocs;
	case COL_CPU: return v->cpu_total;
	case COL_USR: return v->cpu_usr;
	case COL_SYS: return v->cpu_sys;
	case COL_GUEST: return v->cpu_guest;
	case COL_IOW: return v->cpu_iowait;
	case COL_TAX: return v->cpu_tax;
	case COL_READ: return v->io_read_bps;
	case COL_WRITE: return v->io_write_bps;
	case COL_EXITS: return v->kvm_exits_ps;
	default: break;
	}
	uint64_t b = VT_UNKNOWN;
	switch (c) {
	case COL_MEM: b = v->mem_host; break;
	case COL_WSET: b = v->mem_ws; break;
	case COL_CACHE: b = v->mem_cache; break;
	case COL_MTAX: b = v->mem_tax; break;
	case COL_GTOTAL: b = v->g_total; break;
	case COL_GUSED: b = v->g_used; break;
	case COL_GCACHE: b = v->g_cache; break;
	default: break;
	}
	return b == VT_UNKNOWN ? VT_NAN : (double)b;
}

static const char *text(enum col_id c, const struct guest_view *v)
{
	switch (c) {
	case COL_ID: return v->g->id ? v->g->id : "";
	case COL_NAME: return v->g->name ? v->g->name : "";
	case COL_RUNTIME: return runtime_short(v->g->runtime);
	default: return "";
	}
}

void column_cell(enum col_id c, const struct guest_view *v, char *buf, size_t bufsz, int width)
{
	char raw[512];
	const struct column *col = &columns[c];
	switch (col->unit) {
	case UNIT_TEXT:
		sanitize(raw, sizeof(raw), text(c, v));
		break;
	case UNIT_COUNT:
		snprintf(raw, sizeof(raw), "%llu", (unsigned long long)v->g->nprocs);
		break;
	case UNIT_PCT: {
		double d = num(c, v);
		if (isnan(d))
			snprintf(raw, sizeof(raw), "-");
		else
			snprintf(raw, sizeof(raw), d < 99.95 ? "%.1f" : "%.0f", d);
		break;
	}
	case UNIT_RATE: {
		double d = num(c, v);
		/* VT_UNKNOWN - 1: the largest that converts (rates of replayed
		 * counters can be absurd) */
		fmt_bytes_short(raw, sizeof(raw), isnan(d) ? VT_UNKNOWN
				: d + 0.5 >= 1.8e19 ? VT_UNKNOWN - 1 : (uint64_t)(d + 0.5));
		break;
	}
	case UNIT_PER_S: {
		double d = num(c, v);
		fmt_count(raw, sizeof(raw), d);
		break;
	}
	case UNIT_BYTES: {
		double d = num(c, v);
		char b[32];
		fmt_bytes_short(b, sizeof(b), isnan(d) ? VT_UNKNOWN : (uint64_t)d);
		snprintf(raw, sizeof(raw), "%s%s", (c == COL_MTAX && v->mem_tax_lower_bound && !isnan(d)) ? ">" : "", b);
		break;
	}
	}
	if (width <= 0) {
		snprintf(buf, bufsz, "%s", raw);
		return;
	}
	/* cut to width in characters, keeping UTF-8 sequences whole */
	size_t bytes = 0, before_last = 0;
	int chars = 0;
	while (raw[bytes] && chars < width) {
		before_last = bytes;
		bytes += u8_step((unsigned char)raw[bytes]);
		chars++;
	}
	if (col->left && c != COL_ID && raw[bytes] && width >= 2) {
		/* cut: the last cell says so, so two names that share their
		 * first letters do not look the same */
		snprintf(buf, bufsz, "%.*s~", (int)before_last, raw);
	} else if (col->left)
		snprintf(buf, bufsz, "%.*s%*s", (int)bytes, raw, width - chars, "");
	else
		snprintf(buf, bufsz, "%*s%.*s", width - chars, "", (int)bytes, raw);
}

static int tiebreak(const struct guest_view *a, const struct guest_view *b)
{
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if (a->g->runtime != b->g->runtime)
		return (int)a->g->runtime - (int)b->g->runtime;
	return strcmp(a->g->id, b->g->id);
}

int column_compare(enum col_id c, bool desc, const struct guest_view *a, const struct guest_view *b)
{
	int r = 0;
	if (columns[c].unit == UNIT_TEXT) {
		r = strcmp(text(c, a), text(c, b));
		if (desc)
			r = -r;
	} else {
		double x = num(c, a), y = num(c, b);
		/* unknown values sort last either way */
		if (isnan(x) != isnan(y))
			return isnan(x) ? 1 : -1;
		if (!isnan(x) && x != y)
			r = (x < y) ? -1 : 1;
		if (desc)
			r = -r;
	}
	return r ? r : tiebreak(a, b);
}

static enum col_id sort_col;
static bool sort_desc;

static int cmp_view(const void *a, const void *b)
{
	return column_compare(sort_col, sort_desc, a, b);
}

void columns_sort(struct frame *f, enum col_id c, bool desc)
{
	sort_col = c;
	sort_desc = desc;
	if (f->n)
		qsort(f->guests, f->n, sizeof(*f->guests), cmp_view);
}
