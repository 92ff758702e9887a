/* The metric registry (include/metrics.h): the host's values and the
 * counters of guests, interfaces and drives, and the reader's way back. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

/* ---- guest counters that are not one field ------------------------------- */

static uint64_t cpu_user(const struct guest_sample *g, bool vm)
{
	uint64_t u = g->cg_user_ns != VT_UNKNOWN ? g->cg_user_ns : g->p_utime_ns;
	/* the kernel counts guest time inside user time */
	if (vm && u != VT_UNKNOWN && g->p_gtime_ns != VT_UNKNOWN)
		u = sat_sub(u, g->p_gtime_ns);
	return u;
}

static uint64_t cpu_system(const struct guest_sample *g, bool vm)
{
	(void)vm;
	return g->cg_system_ns != VT_UNKNOWN ? g->cg_system_ns : g->p_stime_ns;
}

static uint64_t cpu_guest(const struct guest_sample *g, bool vm)
{
	return vm ? g->p_gtime_ns : VT_UNKNOWN;
}

/* As the model's TAX%: a VM's host CPU outside guest mode plus its
 * helpers; a container's helpers. */
static uint64_t cpu_tax(const struct guest_sample *g, bool vm)
{
	uint64_t helpers = g->h_cpu_ns == VT_UNKNOWN ? 0 : g->h_cpu_ns;
	if (!vm)
		return helpers;
	uint64_t all = g->cg_usage_ns;
	if (all == VT_UNKNOWN) {
		uint64_t u = g->cg_user_ns != VT_UNKNOWN ? g->cg_user_ns : g->p_utime_ns;
		uint64_t s = cpu_system(g, vm);
		if (u == VT_UNKNOWN || s == VT_UNKNOWN)
			return VT_UNKNOWN;
		all = u + s;
	}
	if (g->p_gtime_ns != VT_UNKNOWN)
		all = sat_sub(all, g->p_gtime_ns);
	return all + helpers;
}

/* Proxmox's diskread and diskwrite (InfluxDB): a VM's drives as QMP
 * counts them, else the guest's cgroup. */
static uint64_t disk_bytes(const struct guest_sample *g, bool read)
{
	if (!g->ndrives)
		return read ? g->cg_io_rbytes : g->cg_io_wbytes;
	uint64_t sum = 0;
	for (size_t i = 0; i < g->ndrives; i++)
		sum += read ? g->drives[i].rd_bytes : g->drives[i].wr_bytes;
	return sum;
}

static uint64_t disk_read(const struct guest_sample *g, bool vm) { (void)vm; return disk_bytes(g, true); }
static uint64_t disk_write(const struct guest_sample *g, bool vm) { (void)vm; return disk_bytes(g, false); }

/* Proxmox's netin and netout: the guest's interfaces summed, netin what it
 * received */
static uint64_t net_bytes(const struct guest_sample *g, bool in)
{
	if (g->net != NET_OWN)
		return VT_UNKNOWN;
	uint64_t sum = 0;
	for (size_t i = 0; i < g->nnics; i++) {
		uint64_t x = in ? g->nics[i].rx_bytes : g->nics[i].tx_bytes;
		if (x == VT_UNKNOWN)
			return VT_UNKNOWN;
		sum += x;
	}
	return sum;
}

static uint64_t net_in(const struct guest_sample *g, bool vm) { (void)vm; return net_bytes(g, true); }
static uint64_t net_out(const struct guest_sample *g, bool vm) { (void)vm; return net_bytes(g, false); }

/* ---- the table -------------------------------------------------------------- */

#define HV(f) .src = MS_VIEW, .off = offsetof(struct host_view, f)
#define HS(f) .src = MS_SAMPLE, .off = offsetof(struct host_sample, f)
#define GS(f) .of = MO_GUEST, .src = MS_SAMPLE, .off = offsetof(struct guest_sample, f)
#define NS(f) .of = MO_NIC, .src = MS_SAMPLE, .off = offsetof(struct nic_sample, f)
#define DS(f) .of = MO_DRIVE, .src = MS_SAMPLE, .off = offsetof(struct drive_sample, f)
/* batch text's header: on line l at place a, as f */
#define TX(l, a, f) .text = {.line = ML_##l, .at = (a), .fmt = (f)}
#define TXW(l, a, f, w) .text = {.line = ML_##l, .at = (a), .fmt = (f), .when = (w)}
#define TXP(l, a, f) .text = {.line = ML_##l, .at = (a), .fmt = (f), .plural = true}   /* "VMs" */
#define HCPU(j, m, a, t, ...) {.json = "cpu." #j, HV(cpu[HC_##m]), .unit = MU_NUM, .decimals = 2, \
			       .rates_only = true, .kind = MK_JSON, TX(CPU, a, " " t " %s"), \
			       __VA_ARGS__}
#define HMEM(j, f, p, h, ...) {.json = "mem." j, HV(f), .unit = MU_U64, .prom = p, .help = h, \
			       __VA_ARGS__}
/* the screen's header: line l's lead at place a, as f, the value in look
 * k and the words in look w */
#define SLEAD(l, a, f, k, w, ...) \
	.screen = {.line = SL_##l, .at = (a), .role = SR_LEAD, .fmt = (f), .look = LOOK_##k, \
		   .words = LOOK_##w, __VA_ARGS__}
/* a part of line l's bar at place a: look k, cells u (Unicode) and c
 * (ASCII), named n in the legend, shown there when w */
#define SPART(l, a, k, u, c, n, w) \
	.screen = {.line = SL_##l, .at = (a), .role = SR_PART, .look = LOOK_##k, .uch = (u), \
		   .ach = (c), .label = (n), .when = (w)}
/* a field of line l at place a (r: FIELD, or LAST after the view's own), as f */
#define SFIELD(r, l, a, f, ...) \
	.screen = {.line = SL_##l, .at = (a), .role = SR_##r, .fmt = (f), __VA_ARGS__}
/* the bars' cells */
#define BLOCK_FULL "\xe2\x96\x88"   /* U+2588 */
#define SHADE_DARK "\xe2\x96\x93"   /* U+2593 */
#define SHADE_MEDIUM "\xe2\x96\x92" /* U+2592 */
#define SHADE_LIGHT "\xe2\x96\x91"  /* U+2591 */
#define QUADRANTS "\xe2\x96\x9a"    /* U+259A */
/* part p of the model's partition of RAM, at its place on the MEM bar */
#define MEM_PART(p, k, u, c, n, w) \
	{HV(mem_bar[p]), .unit = MU_U64, SPART(MEM, 1 + (p), k, u, c, n, w)}
#define TAXCPU(n, p, h) {.prom = "vtax_guest_cpu_tax_part_ratio", .label = "part", .label_value = #n, \
			.of = MO_GUEST, .src = MS_VIEW, .off = offsetof(struct guest_view, cpu_part[p]), \
			.unit = MU_NUM, .scale = 0.01, .influx = "tax_cpu_" #n, .help = h}
#define TAXMEM(n, p, h) {.prom = "vtax_guest_memory_tax_part_bytes", .label = "part", .label_value = #n, \
			.of = MO_GUEST, .src = MS_VIEW, .off = offsetof(struct guest_view, mem_part[p]), \
			.unit = MU_U64, .influx = "tax_mem_" #n, .help = h}
#define NS_TO_S 1e-9
#define US_TO_S 1e-6

const struct metric metrics[] = {
	/* the host: JSON "host" in this order, and its gauges */
	{.json = "name", HS(hostname), .unit = MU_TEXT, .kind = MK_JSON},
	{.prom = "vtax_sample_timestamp_seconds", HS(real_ms), .unit = MU_U64, .scale = 1e-3,
	 .help = "When the exported sample was taken (Unix time)."},
	{.json = "cpus", HV(ncpus), .unit = MU_INT, .prom = "vtax_host_cpus", TX(CPU, 0, "CPU  %s cpus:"),
	 SLEAD(CPU, 0, "CPU%s ", LABEL, LABEL, .width = 3),
	 .fold_to = 1 + offsetof(struct host_sample, ncpus),
	 .help = "Online CPUs of the host."},
	HCPU(user, USER, 1, "usr"), HCPU(nice, NICE, 8, "nice"),
	HCPU(system, SYSTEM, 2, "sys", SPART(CPU, 2, SYS, SHADE_DARK, "=", "sys", MW_ALWAYS)),
	HCPU(irq, IRQ, 6, "irq"), HCPU(softirq, SOFTIRQ, 7, "sirq"),
	HCPU(iowait, IOWAIT, 4, "iow", SPART(CPU, 4, IOW, SHADE_LIGHT, "w", "iow", MW_NONZERO)),
	HCPU(steal, STEAL, 5, "steal", SPART(CPU, 5, STEAL, "!", "!", "steal", MW_NONZERO)),
	HCPU(guest, GUEST, 3, "guest", SPART(CPU, 3, GUEST, SHADE_MEDIUM, "g", "guest", MW_NONZERO)),
	HCPU(idle, IDLE, 9, "idle", SFIELD(FIELD, CPU, 7, " idle %s")),
	/* the screen's alone: the CPU bar's sums of two modes, and the
	 * model's partition of RAM, free memory included (the MEM bar) */
	{HV(cpu_usr_nice), .unit = MU_NUM, SPART(CPU, 1, USR, BLOCK_FULL, "#", "usr", MW_ALWAYS)},
	{HV(cpu_irq_all), .unit = MU_NUM, SPART(CPU, 6, IRQ, ":", ":", "irq", MW_NONZERO)},
	MEM_PART(MP_GUESTS, WSET, BLOCK_FULL, "#", "guests", MW_ALWAYS),
	MEM_PART(MP_TAX, TAX, SHADE_DARK, "T", "tax", MW_ALWAYS),
	MEM_PART(MP_CACHE, CACHE, SHADE_MEDIUM, "c", "cache", MW_ALWAYS),
	MEM_PART(MP_ARC, ARC, SHADE_LIGHT, "a", "arc", MW_NONZERO),  /* no ZFS: none */
	MEM_PART(MP_OWN, OWN, QUADRANTS, "o", "host", MW_ALWAYS),
	MEM_PART(MP_FREE, NORMAL, " ", " ", "free", MW_NONZERO),
	{.json = "mem.total", HV(mem_total), .unit = MU_U64, .prom = "vtax_host_memory_total_bytes",
	 TX(MEM, 0, "MEM  %s total"), SLEAD(MEM, 0, "MEM%s", LABEL, LABEL, .width = 4),
	 .help = "RAM of the host.", .fold_to = 1 + offsetof(struct host_sample, mem_total)},
	HMEM("available", mem_available, "vtax_host_memory_available_bytes",
	     "RAM available without swapping (MemAvailable).", TX(MEM, 1, ", %s available")),
	HMEM("used", mem_used, "vtax_host_memory_used_bytes", "RAM in use: total - available."),
	HMEM("page_cache", page_cache, "vtax_host_memory_page_cache_bytes", "The host's page cache.",
	     TX(MEM, 3, ", page cache %s")),
	HMEM("anon", anon, "vtax_host_memory_anon_bytes", "Anonymous memory of the host."),
	HMEM("zfs_arc", zfs_arc, "vtax_host_memory_zfs_arc_bytes", "ZFS ARC size.",
	     TXW(MEM, 6, ", ZFS ARC %s", MW_KNOWN)),
	HMEM("ksm_shared", ksm_shared, "vtax_host_memory_ksm_shared_bytes",
	     "Memory KSM saves by sharing pages.", TXW(MEM, 7, ", KSM %s", MW_NONZERO)),
	HMEM("hugepages_total", huge_total, "vtax_host_memory_hugepages_total_bytes",
	     "Huge pages reserved.", TXW(MEM, 8, ", hugepages %s", MW_NONZERO)),
	HMEM("hugepages_free", huge_free, "vtax_host_memory_hugepages_free_bytes", "Huge pages free.",
	     TXW(MEM, 9, " (%s free)", MW_WITH)),
	HMEM("guests_working_set", guests_ws, "vtax_host_guests_working_set_bytes",
	     "Sum of the guests' working sets.", TX(MEM, 2, ": guests wset %s")),
	HMEM("guests_tax", guests_tax, "vtax_host_guests_memory_tax_bytes",
	     "Sum of the guests' memory tax.", TX(MEM, 4, ", tax %s")),
	HMEM("guests_host", guests_host, "vtax_host_guests_memory_bytes",
	     "Host RAM held for guests, their helpers included."),
	HMEM("host_own", host_own, "vtax_host_memory_own_bytes",
	     "RAM the host uses for itself beyond its guests and its page cache.",
	     TX(MEM, 5, ", host own %s")),
	{.json = "tax.cpu", HV(tax_cpu), .unit = MU_NUM, .decimals = 2, .scale = 0.01,
	 .prom = "vtax_host_cpu_tax_ratio",
	 .help = "The guests' CPU tax over vtax's last interval (1 = one CPU)."},
	{.json = "tax.cpu_host_pct", HV(tax_cpu_host), .unit = MU_NUM, .decimals = 2, .kind = MK_JSON,
	 TX(TAX, 2, ": virtualization tax CPU %s of host"),
	 SFIELD(FIELD, SUMMARY, 2, "CPU %s of host", .label = " | tax ", .look = LOOK_TAX,
		.words = LOOK_TAX, .num = MN_PCT, .brief = true)},
	{.json = "tax.mem", HV(guests_tax), .unit = MU_U64, .kind = MK_JSON, TX(TAX, 3, ", RAM %s"),
	 SFIELD(FIELD, SUMMARY, 3, ", RAM %s", .look = LOOK_TAX, .words = LOOK_TAX,
		.when = MW_WITH)},
	{.json = "pressure.cpu", HV(psi_cpu), .unit = MU_NUM, .decimals = 2, .kind = MK_JSON,
	 TXW(TAX, 4, "; stalled cpu %s", MW_GROUP),
	 SFIELD(LAST, SUMMARY, 4, "%s", .label = " | stall cpu/io/mem ", .num = MN_WHOLE,
		.when = MW_GROUP)},
	{.json = "pressure.io", HV(psi_io), .unit = MU_NUM, .decimals = 2, .kind = MK_JSON,
	 TXW(TAX, 5, " io %s", MW_WITH),
	 SFIELD(LAST, SUMMARY, 5, "/%s", .num = MN_WHOLE, .when = MW_WITH)},
	{.json = "pressure.memory", HV(psi_mem), .unit = MU_NUM, .decimals = 2, .kind = MK_JSON,
	 TXW(TAX, 6, " mem %s", MW_WITH),
	 SFIELD(LAST, SUMMARY, 6, "/%s", .num = MN_WHOLE_PCT, .when = MW_WITH)},
	{.json = "disk.read", HV(disk_read_bps), .unit = MU_NUM, .kind = MK_JSON},
	{.json = "disk.write", HV(disk_write_bps), .unit = MU_NUM, .kind = MK_JSON},
	{.json = "load#0", HV(load[0]), .unit = MU_NUM, .decimals = 2, .kind = MK_JSON},
	{.json = "load#1", HV(load[1]), .unit = MU_NUM, .decimals = 2, .kind = MK_JSON},
	{.json = "load#2", HV(load[2]), .unit = MU_NUM, .decimals = 2, .kind = MK_JSON},
	{.json = "uptime", HV(uptime_s), .unit = MU_NUM, .kind = MK_JSON},
	/* vtax's own cost: JSON "self", the header's "vtax 0.3% 6M" */
	{.json = "self.cpu", .top = true, HV(self_cpu), .unit = MU_NUM, .decimals = 2, .kind = MK_JSON,
	 .head = "vtax"},
	{.json = "self.rss", .top = true, HV(self_rss), .unit = MU_U64, .head = "vtax",
	 .prom = "vtax_self_resident_bytes", .help = "vtax's own resident memory (VmRSS).",
	 .fold_to = 1 + offsetof(struct host_sample, self_rss)},
	{.prom = "vtax_self_cpu_seconds_total", HS(self_cpu_ns), .unit = MU_U64, .kind = MK_COUNTER,
	 .scale = NS_TO_S, .help = "CPU time vtax itself used, user and system, all its threads."},
	{.json = "guests.vm", HV(n_kind[KIND_VM]), .unit = MU_INT, .prom = "vtax_host_guests",
	 .label = "kind", .label_value = "vm", .help = "Guests running, by kind.",
	 TXP(TAX, 0, "TAX  %s VM"), SLEAD(SUMMARY, 0, "%s VM", LABEL, NORMAL, .plural = true)},
	{.json = "guests.container", HV(n_kind[KIND_CT]), .unit = MU_INT, .prom = "vtax_host_guests",
	 .label = "kind", .label_value = "container", TXP(TAX, 1, ", %s container"),
	 SLEAD(SUMMARY, 1, " %s container", LABEL, NORMAL, .plural = true)},
	/* the host's pressure stall totals (/proc/pressure) */
	{.prom = "vtax_host_pressure_cpu_waiting_seconds_total", HS(psi_cpu_some), .unit = MU_U64,
	 .kind = MK_COUNTER, .scale = US_TO_S,
	 .help = "Time some task of the host waited for a CPU (/proc/pressure/cpu some)."},
	{.prom = "vtax_host_pressure_io_waiting_seconds_total", HS(psi_io_some), .unit = MU_U64,
	 .kind = MK_COUNTER, .scale = US_TO_S, .help = "Time some task of the host stalled on I/O."},
	{.prom = "vtax_host_pressure_io_stalled_seconds_total", HS(psi_io_full), .unit = MU_U64,
	 .kind = MK_COUNTER, .scale = US_TO_S, .help = "Time every task of the host stalled on I/O."},
	{.prom = "vtax_host_pressure_memory_waiting_seconds_total", HS(psi_mem_some), .unit = MU_U64,
	 .kind = MK_COUNTER, .scale = US_TO_S,
	 .help = "Time some task of the host stalled on memory."},
	{.prom = "vtax_host_pressure_memory_stalled_seconds_total", HS(psi_mem_full), .unit = MU_U64,
	 .kind = MK_COUNTER, .scale = US_TO_S,
	 .help = "Time every task of the host stalled on memory."},
	/* the host's physical disks (/proc/diskstats) */
	{.prom = "vtax_host_disk_read_bytes_total", HS(disk_rbytes), .unit = MU_U64,
	 .kind = MK_COUNTER, .help = "Bytes read from the host's physical disks (/proc/diskstats; "
				   "not loop, dm, md, zram or zvols, whose I/O lands on them)."},
	{.prom = "vtax_host_disk_write_bytes_total", HS(disk_wbytes), .unit = MU_U64,
	 .kind = MK_COUNTER, .help = "Bytes written to the host's physical disks."},
	{.prom = "vtax_host_disk_read_operations_total", HS(disk_rios), .unit = MU_U64,
	 .kind = MK_COUNTER, .help = "Reads completed by the host's physical disks."},
	{.prom = "vtax_host_disk_write_operations_total", HS(disk_wios), .unit = MU_U64,
	 .kind = MK_COUNTER, .help = "Writes completed by the host's physical disks."},

	/* each guest's counters */
	{.prom = "vtax_guest_cpu_seconds_total", .label = "mode", .label_value = "user",
	 .of = MO_GUEST, .src = MS_FN, .get = cpu_user, .kind = MK_COUNTER, .unit = MU_U64,
	 .scale = NS_TO_S,
	 .help = "Host CPU time of the guest by mode: user (outside guest mode), system, "
		 "guest (VMs running guest code)."},
	{.prom = "vtax_guest_cpu_seconds_total", .label = "mode", .label_value = "system",
	 .of = MO_GUEST, .src = MS_FN, .get = cpu_system, .kind = MK_COUNTER, .unit = MU_U64,
	 .scale = NS_TO_S},
	{.prom = "vtax_guest_cpu_seconds_total", .label = "mode", .label_value = "guest",
	 .of = MO_GUEST, .src = MS_FN, .get = cpu_guest, .kind = MK_COUNTER, .unit = MU_U64,
	 .scale = NS_TO_S},
	{.prom = "vtax_guest_cpu_tax_seconds_total", .of = MO_GUEST, .src = MS_FN, .get = cpu_tax,
	 .kind = MK_COUNTER, .unit = MU_U64, .scale = NS_TO_S,
	 .help = "Host CPU time beyond the guest's own work (VM: all but guest time, plus "
		 "runtime helpers; container: its helpers)."},
	{.prom = "vtax_guest_cpu_throttled_seconds_total", GS(cg_throttled_ns), .kind = MK_COUNTER,
	 .unit = MU_U64, .scale = NS_TO_S,
	 .help = "Time the guest's tasks were throttled by its own CPU limit, summed over CPUs "
		 "(cpu.stat)."},
	{.prom = "vtax_guest_cpu_throttled_periods_total", GS(cg_nr_throttled), .kind = MK_COUNTER,
	 .unit = MU_U64, .help = "CFS periods in which the guest was throttled (cpu.stat)."},
	{.prom = "vtax_guest_cpu_wait_seconds_total", GS(wait_ns), .kind = MK_COUNTER,
	 .unit = MU_U64, .scale = NS_TO_S, .influx = "cpu_wait_ns",
	 .help = "Time the guest's vCPU threads (a VM) or tasks (a container) were runnable "
		 "but waiting for a host CPU (the scheduler's run delay, schedstat)."},
	{.prom = "vtax_guest_pressure_cpu_waiting_seconds_total", GS(cg_cpu_some_us),
	 .kind = MK_COUNTER, .unit = MU_U64, .scale = US_TO_S,
	 .help = "Time some task of the guest waited for a CPU (cpu.pressure some total)."},
	{.prom = "vtax_guest_pressure_io_waiting_seconds_total", GS(cg_io_some_us),
	 .kind = MK_COUNTER, .unit = MU_U64, .scale = US_TO_S,
	 .help = "Time some task of the guest stalled on I/O (io.pressure some total)."},
	{.prom = "vtax_guest_pressure_memory_waiting_seconds_total", GS(cg_mem_some_us),
	 .kind = MK_COUNTER, .unit = MU_U64, .scale = US_TO_S,
	 .help = "Time some task of the guest stalled on memory (memory.pressure some total)."},
	{.prom = "vtax_guest_io_read_bytes_total", GS(cg_io_rbytes), .kind = MK_COUNTER,
	 .unit = MU_U64, .help = "Bytes read through the block layer (the guest's cgroup)."},
	{.prom = "vtax_guest_io_write_bytes_total", GS(cg_io_wbytes), .kind = MK_COUNTER,
	 .unit = MU_U64, .help = "Bytes written through the block layer (the guest's cgroup)."},
	{.prom = "vtax_guest_io_read_operations_total", GS(cg_io_rios), .kind = MK_COUNTER,
	 .unit = MU_U64, .help = "Read operations through the block layer (the guest's cgroup)."},
	{.prom = "vtax_guest_io_write_operations_total", GS(cg_io_wios), .kind = MK_COUNTER,
	 .unit = MU_U64, .help = "Write operations through the block layer (the guest's cgroup)."},
	{.prom = "vtax_guest_task_io_read_bytes_total", GS(p_io_rbytes), .kind = MK_COUNTER,
	 .unit = MU_U64, .help = "Bytes the guest's tasks read from storage (/proc/PID/io "
				 "read_bytes; vtax's source where the cgroup counts none, as on ZFS)."},
	{.prom = "vtax_guest_task_io_write_bytes_total", GS(p_io_wbytes), .kind = MK_COUNTER,
	 .unit = MU_U64, .help = "Bytes the guest's tasks wrote to storage (/proc/PID/io write_bytes)."},
	{.prom = "vtax_guest_oom_kills_total", GS(cg_oom_kills), .kind = MK_COUNTER, .unit = MU_U64,
	 .help = "Processes the kernel's OOM killer killed in the guest's cgroup."},
	{.prom = "vtax_guest_kvm_exits_total", GS(kvm_exits), .kind = MK_COUNTER, .unit = MU_U64,
	 .help = "KVM exits of all vCPUs."},
	/* what the model's memory figures of a guest are made of (the cluster
	 * view reads them back and lets the model compute; the gauges of the
	 * columns that are one sample field, pids, limit, helpers, swap, KSM and
	 * the guest's own total and cache, come back by the column table) */
	{.prom = "vtax_guest_cgroup_memory_bytes", GS(cg_mem_current), .unit = MU_U64,
	 .help = "The guest cgroup's memory.current (v1: memory.usage_in_bytes)."},
	{.prom = "vtax_guest_cgroup_memory_file_bytes", GS(cg_mem_file), .unit = MU_U64,
	 .help = "Of that, file-backed memory (memory.stat file, v1 total_cache)."},
	{.prom = "vtax_guest_cgroup_memory_inactive_file_bytes", GS(cg_mem_inactive_file),
	 .unit = MU_U64, .help = "Of that, inactive file-backed memory (memory.stat inactive_file)."},
	{.prom = "vtax_guest_cgroup_memory_kernel_bytes", GS(cg_kmem), .unit = MU_U64,
	 .help = "Kernel memory charged to the guest cgroup (memory.stat kernel, v1 kmem usage)."},
	{.prom = "vtax_guest_process_resident_bytes", GS(p_rss), .unit = MU_U64,
	 .help = "RSS of the guest's processes (a VM: its QEMU)."},
	{.prom = "vtax_guest_process_hugetlb_bytes", GS(p_hugetlb), .unit = MU_U64,
	 .help = "Huge pages a VM's QEMU maps (in neither RSS nor memory.current)."},
	{.prom = "vtax_guest_ram_resident_bytes", GS(vm_ram_rss), .unit = MU_U64,
	 .help = "RSS of a VM's guest-RAM mappings."},
	{.prom = "vtax_guest_reported_memory_available_bytes", GS(g_avail), .unit = MU_U64,
	 .help = "Memory a VM reports available (balloon statistics)."},
	/* the tax ledger: each guest's CPU and memory tax in parts */
	TAXCPU(vcpu, TCP_VCPU, "The CPU tax in parts (1 = one CPU), adding up to "
	       "vtax_guest_cpu_tax_ratio: vcpu (vCPU threads outside guest mode), emulator, "
	       "iothread, pool, vhost, helpers, other."),
	TAXCPU(emulator, TCP_EMULATOR, NULL), TAXCPU(iothread, TCP_IOTHREAD, NULL),
	TAXCPU(pool, TCP_POOL, NULL), TAXCPU(vhost, TCP_VHOST, NULL),
	TAXCPU(helpers, TCP_HELPERS, NULL), TAXCPU(other, TCP_OTHER, NULL),
	TAXMEM(kvm_pagetables, TMP_KVM_PT, "The memory tax in parts, adding up to "
	       "vtax_guest_memory_tax_bytes: kvm_pagetables, helpers, host_cache, guest_cache "
	       "(the guest's own page cache held in host RAM), qemu."),
	TAXMEM(helpers, TMP_HELPERS, NULL), TAXMEM(host_cache, TMP_HOST_CACHE, NULL),
	TAXMEM(guest_cache, TMP_GUEST_CACHE, NULL), TAXMEM(qemu, TMP_QEMU, NULL),
	/* InfluxDB only: Proxmox's counters of a guest */
	{.influx = "diskread", .of = MO_GUEST, .src = MS_FN, .get = disk_read, .kind = MK_COUNTER,
	 .unit = MU_U64},
	{.influx = "diskwrite", .of = MO_GUEST, .src = MS_FN, .get = disk_write, .kind = MK_COUNTER,
	 .unit = MU_U64},
	{.influx = "netin", .of = MO_GUEST, .src = MS_FN, .get = net_in, .kind = MK_COUNTER,
	 .unit = MU_U64},
	{.influx = "netout", .of = MO_GUEST, .src = MS_FN, .get = net_out, .kind = MK_COUNTER,
	 .unit = MU_U64},

	/* inside a VM, from its QEMU guest agent: its own /proc/stat */
	{.prom = "vtax_guest_agent_cpu_seconds_total", .label = "mode", .label_value = "user",
	 GS(qga_user), .kind = MK_COUNTER, .unit = MU_U64, .scale = 1e-3,
	 .help = "CPU time inside a VM by mode, summed over its CPUs, from its QEMU guest "
		 "agent (guest-get-cpustats): user (+ nice), system (+ irq, softirq), iowait, "
		 "steal, idle."},
	{.prom = "vtax_guest_agent_cpu_seconds_total", .label = "mode", .label_value = "system",
	 GS(qga_system), .kind = MK_COUNTER, .unit = MU_U64, .scale = 1e-3},
	{.prom = "vtax_guest_agent_cpu_seconds_total", .label = "mode", .label_value = "iowait",
	 GS(qga_iowait), .kind = MK_COUNTER, .unit = MU_U64, .scale = 1e-3},
	{.prom = "vtax_guest_agent_cpu_seconds_total", .label = "mode", .label_value = "steal",
	 GS(qga_steal), .kind = MK_COUNTER, .unit = MU_U64, .scale = 1e-3},
	{.prom = "vtax_guest_agent_cpu_seconds_total", .label = "mode", .label_value = "idle",
	 GS(qga_idle), .kind = MK_COUNTER, .unit = MU_U64, .scale = 1e-3},

	/* each interface of a guest, from the guest's side */
	{.prom = "vtax_guest_network_receive_bytes_total", NS(rx_bytes), .kind = MK_COUNTER, .influx = "netin",
	 .unit = MU_U64, .label = "interface",
	 .help = "Bytes the guest received on an interface (its host-side tap or veth sent)."},
	{.prom = "vtax_guest_network_transmit_bytes_total", NS(tx_bytes), .kind = MK_COUNTER, .influx = "netout",
	 .unit = MU_U64, .label = "interface", .help = "Bytes the guest sent on an interface."},
	{.prom = "vtax_guest_network_receive_packets_total", NS(rx_packets), .kind = MK_COUNTER,
	 .unit = MU_U64, .label = "interface", .help = "Packets the guest received on an interface."},
	{.prom = "vtax_guest_network_transmit_packets_total", NS(tx_packets), .kind = MK_COUNTER,
	 .unit = MU_U64, .label = "interface", .help = "Packets the guest sent on an interface."},
	{.prom = "vtax_guest_network_dropped_packets_total", NS(drops), .kind = MK_COUNTER,
	 .unit = MU_U64, .label = "interface", .help = "Packets dropped on an interface, both ways."},
	{.prom = "vtax_guest_network_errors_total", NS(errors), .kind = MK_COUNTER,
	 .unit = MU_U64, .label = "interface", .help = "Receive and transmit errors of an interface."},

	/* each drive of a VM (QMP query-blockstats) */
	{.prom = "vtax_guest_disk_read_bytes_total", DS(rd_bytes), .kind = MK_COUNTER, .influx = "rd_bytes",
	 .unit = MU_U64, .label = "drive", .help = "Bytes a VM's drive read (QMP query-blockstats)."},
	{.prom = "vtax_guest_disk_written_bytes_total", DS(wr_bytes), .kind = MK_COUNTER, .influx = "wr_bytes",
	 .unit = MU_U64, .label = "drive", .help = "Bytes a VM's drive wrote."},
	{.prom = "vtax_guest_disk_reads_completed_total", DS(rd_ops), .kind = MK_COUNTER, .influx = "rd_operations",
	 .unit = MU_U64, .label = "drive", .help = "Read operations of a VM's drive."},
	{.prom = "vtax_guest_disk_writes_completed_total", DS(wr_ops), .kind = MK_COUNTER, .influx = "wr_operations",
	 .unit = MU_U64, .label = "drive", .help = "Write operations of a VM's drive."},
	{.prom = "vtax_guest_disk_read_time_seconds_total", DS(rd_time_ns), .kind = MK_COUNTER, .influx = "rd_total_time_ns",
	 .unit = MU_U64, .label = "drive", .scale = NS_TO_S,
	 .help = "Time a VM's drive spent on reads, summed over the operations."},
	{.prom = "vtax_guest_disk_write_time_seconds_total", DS(wr_time_ns), .kind = MK_COUNTER, .influx = "wr_total_time_ns",
	 .unit = MU_U64, .label = "drive", .scale = NS_TO_S,
	 .help = "Time a VM's drive spent on writes, summed over the operations."},
};
const size_t metrics_count = ARRAY_SIZE(metrics);

/* ---- values ----------------------------------------------------------------- */

static const void *host_base(const struct metric *m, const struct frame *f)
{
	return m->src == MS_VIEW ? (const void *)&f->host : (const void *)&f->cur->host;
}

double metric_host(const struct metric *m, const struct frame *f)
{
	const char *p = (const char *)host_base(m, f) + m->off;
	switch (m->unit) {
	case MU_INT: {
		unsigned u;
		memcpy(&u, p, sizeof(u));
		return u;
	}
	case MU_U64: {
		uint64_t u;
		memcpy(&u, p, sizeof(u));
		return u == VT_UNKNOWN ? VT_NAN : (double)u;
	}
	case MU_NUM: {
		double d;
		memcpy(&d, p, sizeof(d));
		return d;
	}
	case MU_TEXT:
		break;
	}
	return VT_NAN;
}

static uint64_t u64_at(const void *base, size_t off)
{
	uint64_t u;
	memcpy(&u, (const char *)base + off, sizeof(u));
	return u;
}

uint64_t metric_guest(const struct metric *m, const struct guest_sample *g, bool vm)
{
	if (m->src == MS_VIEW)
		return VT_UNKNOWN;
	return m->src == MS_FN ? m->get(g, vm) : u64_at(g, m->off);
}

double metric_view(const struct metric *m, const struct guest_view *v)
{
	if (m->of != MO_GUEST || m->src != MS_VIEW)
		return VT_NAN;
	if (m->unit == MU_NUM) {
		double d;
		memcpy(&d, (const char *)v + m->off, sizeof(d));
		return d;
	}
	uint64_t u = u64_at(v, m->off);
	return u == VT_UNKNOWN ? VT_NAN : (double)u;
}

uint64_t metric_nic(const struct metric *m, const struct nic_sample *n) { return u64_at(n, m->off); }
uint64_t metric_drive(const struct metric *m, const struct drive_sample *d) { return u64_at(d, m->off); }

static void head_value(char *b, size_t n, const struct metric *m, double d)
{
	if (isnan(d))
		snprintf(b, n, "-");
	else if (m->unit == MU_NUM)
		snprintf(b, n, "%.1f%%", d);
	else
		fmt_bytes_short(b, n, (uint64_t)d);
}

void metrics_head(const struct frame *f, void (*emit)(void *ctx, const char *text), void *ctx)
{
	for (size_t k = 0; k < metrics_count;) {
		const char *head = metrics[k].head;
		if (!head || metrics[k].of != MO_HOST) {
			k++;
			continue;
		}
		char text[96];
		size_t len = (size_t)snprintf(text, sizeof(text), "%s", head);
		bool known = false;
		for (; k < metrics_count && metrics[k].head && !strcmp(metrics[k].head, head); k++) {
			double d = metric_host(&metrics[k], f);
			char v[32];
			head_value(v, sizeof(v), &metrics[k], d);
			known |= !isnan(d);
			if (len < sizeof(text))
				len += (size_t)snprintf(text + len, sizeof(text) - len, " %s", v);
		}
		if (known)
			emit(ctx, text);
	}
}

int metric_find(const char *prom, const char *label_value)
{
	for (size_t i = 0; i < metrics_count; i++) {
		const struct metric *m = &metrics[i];
		if (!m->prom || strcmp(m->prom, prom))
			continue;
		/* a fixed label must match; a free one (interface, drive) takes any */
		if (!m->label_value || (label_value && !strcmp(m->label_value, label_value)))
			return (int)i;
	}
	return -1;
}

/* ---- the reader's way back -------------------------------------------------- */

static uint64_t kept_of(const struct metric *m, double v)
{
	if (isnan(v) || v < 0)
		return VT_UNKNOWN;
	return (uint64_t)llround(v / (m->scale ? m->scale : 1));
}

static void put_u64(void *base, size_t off, uint64_t u) { memcpy((char *)base + off, &u, sizeof(u)); }

void metrics_fold_host(const double *v, struct host_sample *h)
{
	for (size_t i = 0; i < metrics_count; i++) {
		const struct metric *m = &metrics[i];
		if (m->of != MO_HOST || m->src != MS_SAMPLE || m->unit != MU_U64 || !m->prom || isnan(v[i]))
			continue;
		if (m->off == offsetof(struct host_sample, real_ms)) {
			h->real_ms = (int64_t)llround(v[i] * 1000);
			h->mono_ns = (uint64_t)llround(v[i] * 1e9);
		} else {
			put_u64(h, m->off, kept_of(m, v[i]));
		}
	}
	for (size_t i = 0; i < metrics_count; i++) {
		const struct metric *m = &metrics[i];
		if (m->of != MO_HOST || !m->fold_to || isnan(v[i]) || v[i] < 0)
			continue;
		size_t off = m->fold_to - 1;
		if (off == offsetof(struct host_sample, ncpus))
			h->ncpus = v[i] < 1 ? 1 : (uint32_t)v[i];
		else
			put_u64(h, off, kept_of(m, v[i]));
	}
	if (!h->ncpus)
		h->ncpus = 1;
}

double metrics_host_time(const double *v)
{
	for (size_t i = 0; i < metrics_count; i++)
		if (metrics[i].of == MO_HOST && metrics[i].src == MS_SAMPLE &&
		    metrics[i].off == offsetof(struct host_sample, real_ms))
			return v[i];
	return VT_NAN;
}

/* The value read for the guest entry computed by fn */
static double val_of(const double *v, uint64_t (*fn)(const struct guest_sample *, bool))
{
	for (size_t i = 0; i < metrics_count; i++)
		if (metrics[i].src == MS_FN && metrics[i].get == fn)
			return v[i];
	return VT_NAN;
}

/* The CPU split back into the cgroup's counters (the inverse of cpu_user,
 * cpu_system, cpu_guest) and the tax beyond them into the helpers'. */
static void fold_cpu(const double *v, bool vm, struct guest_sample *g)
{
	double user = val_of(v, cpu_user), sys = val_of(v, cpu_system);
	double gt = val_of(v, cpu_guest), tax = val_of(v, cpu_tax);
	double guest = vm && !isnan(gt) ? gt : 0;
	if (!isnan(user) && !isnan(sys)) {
		g->cg_user_ns = (uint64_t)llround((user + guest) * 1e9);
		g->cg_system_ns = (uint64_t)llround(sys * 1e9);
		g->cg_usage_ns = (uint64_t)llround((user + guest + sys) * 1e9);
	}
	if (vm)
		g->p_gtime_ns = isnan(gt) ? VT_UNKNOWN : (uint64_t)llround(gt * 1e9);
	double helpers = vm ? tax - (isnan(user) ? 0 : user) - (isnan(sys) ? 0 : sys) : tax;
	g->h_cpu_ns = isnan(helpers) || helpers < 0 ? 0 : (uint64_t)llround(helpers * 1e9);
}

void metrics_fold_guest(const double *v, bool vm, struct guest_sample *g)
{
	for (size_t i = 0; i < metrics_count; i++)
		if (metrics[i].of == MO_GUEST && metrics[i].src == MS_SAMPLE)
			put_u64(g, metrics[i].off, kept_of(&metrics[i], v[i]));
	fold_cpu(v, vm, g);
}

void metrics_fold_nic(const double *v, struct nic_sample *n)
{
	for (size_t i = 0; i < metrics_count; i++)
		if (metrics[i].of == MO_NIC)
			put_u64(n, metrics[i].off, kept_of(&metrics[i], v[i]));
}

void metrics_fold_drive(const double *v, struct drive_sample *d)
{
	for (size_t i = 0; i < metrics_count; i++)
		if (metrics[i].of == MO_DRIVE)
			put_u64(d, metrics[i].off, kept_of(&metrics[i], v[i]));
}
