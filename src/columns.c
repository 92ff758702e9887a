/* The guest value table, the cell formatter and the comparator every view
 * shares. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "columns.h"
#include "jsonx.h"
#include "util.h"
#include "why.h"

static const char *kind_text(const struct guest_view *v) { return kind_name(v->kind); }
static const char *id_text(const struct guest_view *v) { return v->g->id ? v->g->id : ""; }
static const char *name_text(const struct guest_view *v) { return v->g->name ? v->g->name : ""; }
static const char *name_json(const struct guest_view *v) { return v->g->name; }
static const char *rt_text(const struct guest_view *v) { return runtime_short(v->g->runtime); }
static const char *rt_json(const struct guest_view *v) { return runtime_name(v->g->runtime); }
static const char *cgroup_text(const struct guest_view *v) { return v->g->cgroup; }
static const char *iow_src_text(const struct guest_view *v) { return iow_src_name(v->iow_src); }
static const char *note_text(const struct guest_view *v) { return v->g->note; }
static const char *node_text(const struct guest_view *v) { return v->g->node ? v->g->node : ""; }
static const char *node_json(const struct guest_view *v) { return v->g->node; }
static const char *qga_note_text(const struct guest_view *v) { return v->g->qga_note; }
static const char *io_src_text(const struct guest_view *v) { return io_src_name(v->io_src); }
static const char *wait_note_text(const struct guest_view *v) { return v->g->wait_note; }

/* cpu.vcpus: a VM's vCPU threads, each one's time on a CPU and waiting
 * for one; null without vCPU threads. */
static json_object *vcpus_json(const struct guest_view *v)
{
	if (!v->vcpus)
		return NULL;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < v->nvcpus; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "index", json_object_new_int64((int64_t)v->vcpus[i].index));
		json_object_object_add(o, "run", jx_num(v->vcpus[i].run, 2));
		json_object_object_add(o, "wait", jx_num(v->vcpus[i].wait, 2));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* io.drives: one object per drive QMP reported; null without QMP. */
static json_object *drives_json(const struct guest_view *v)
{
	if (!v->drives)
		return NULL;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < v->ndrives; i++) {
		const struct drive_view *d = &v->drives[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", jx_str(d->d->name));
		json_object_object_add(o, "read", jx_num(d->read, 0));
		json_object_object_add(o, "write", jx_num(d->write, 0));
		json_object_object_add(o, "read_ops", jx_num(d->read_ops, 1));
		json_object_object_add(o, "write_ops", jx_num(d->write_ops, 1));
		json_object_object_add(o, "latency_ms", jx_num(d->latency_ms, 3));
		json_object_array_add(arr, o);
	}
	return arr;
}

static const char *no_text(const struct guest_view *v) { (void)v; return NULL; }

/* cpu.tax_parts and mem.tax_parts: the ledger's parts that apply to the
 * guest, part name to value; null when the tax is unknown */
static json_object *cpu_parts_json(const struct guest_view *v)
{
	if (isnan(v->cpu_tax))
		return NULL;
	json_object *o = json_object_new_object();
	for (int p = 0; p < TCP_COUNT; p++)
		if (!isnan(v->cpu_part[p]))
			json_object_object_add(o, tax_cpu_part_name((enum tax_cpu_part)p),
					       jx_num(v->cpu_part[p], 2));
	return o;
}

/* why: the sentence the detail pane shows */
static json_object *why_json(const struct guest_view *v)
{
	struct sb out = {0};
	why_sentence(v, &out);
	json_object *o = jx_str(out.s ? out.s : "");
	sb_free(&out);
	return o;
}

static json_object *mem_parts_json(const struct guest_view *v)
{
	if (v->mem_tax == VT_UNKNOWN)
		return NULL;
	json_object *o = json_object_new_object();
	for (int p = 0; p < TMP_COUNT; p++)
		if (v->mem_part[p] != VT_UNKNOWN)
			json_object_object_add(o, tax_mem_part_name((enum tax_mem_part)p),
					       jx_u64(v->mem_part[p]));
	return o;
}

static json_object *rate_json(double v)
{
	if (isnan(v))
		return NULL;
	char b[64];
	snprintf(b, sizeof(b), "%.0f", v);
	return json_object_new_double_s(v, b);
}

/* net.nics: the guest's interfaces, null when its network is unknown or
 * the host's */
static json_object *nics_json(const struct guest_view *v)
{
	if (v->g->net != NET_OWN)
		return NULL;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < v->nnics; i++) {
		const struct nic_view *n = &v->nics[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", jx_str(n->n->name));
		json_object_object_add(o, "rx", rate_json(n->rx_bps));
		json_object_object_add(o, "tx", rate_json(n->tx_bps));
		json_object_object_add(o, "rx_packets", rate_json(n->rx_pps));
		json_object_object_add(o, "tx_packets", rate_json(n->tx_pps));
		json_object_object_add(o, "drops", jx_num(n->drops_ps, 1));
		json_object_array_add(arr, o);
	}
	return arr;
}

#define TEXT(fn) .unit = UNIT_TEXT, .left = true, .text = fn
#define PCT(f) .unit = UNIT_PCT, .src = SRC_VIEW, .off = offsetof(struct guest_view, f), .decimals = 2
#define VBYTES(f) .unit = UNIT_BYTES, .src = SRC_VIEW, .off = offsetof(struct guest_view, f)
#define SBYTES(f) .unit = UNIT_BYTES, .src = SRC_SAMPLE, .off = offsetof(struct guest_sample, f)
#define SCOUNT(f) .unit = UNIT_COUNT, .src = SRC_SAMPLE, .off = offsetof(struct guest_sample, f)
#define LVRATE(f) .unit = UNIT_RATE, .src = SRC_VIEW, .off = offsetof(struct guest_view, f), \
		.when = WHEN_LIBVIRT
#define VBOOL(f) .unit = UNIT_BOOL, .src = SRC_VIEW, .off = offsetof(struct guest_view, f)

const struct column columns[COL_COUNT] = {
	[COL_KIND] = {TEXT(kind_text), .json = "kind"},
	[COL_NODE] = {"node", "NODE", 4, TEXT(node_text), .json_text = node_json, .json = "node",
		      .when = WHEN_SET, .hint = HINT_DIM,
		      .help = "cluster node the guest runs on (--remote, --prometheus)", .prio = 4},
	[COL_ID] = {"id", "ID", 3, TEXT(id_text), .def = true, .json = "id", .hint = HINT_DIM,
		    .help = "vmid, container id (12 shown), machine name or QEMU pid", .prio = 2},
	[COL_NAME] = {"name", "NAME", 8, TEXT(name_text), .json_text = name_json, .def = true,
		      .json = "name", .help = "guest name: Proxmox config, QEMU -name, cgroup name", .prio = 1},
	[COL_RUNTIME] = {"runtime", "RUNTIME", 7, TEXT(rt_text), .json_text = rt_json, .def = true,
			 .json = "runtime", .hint = HINT_DIM,
			 .help = "the guest's runtime (JSON name, and the short one shown):", .prio = 7},
	[COL_CGROUP] = {TEXT(cgroup_text), .json = "cgroup"},
	[COL_PIDS] = {"pids", "PIDS", 5, SCOUNT(nprocs), .json = "pids", .prom = "tasks",
		      .help = "tasks in the guest (pids.current, threads too), else processes", .prio = 19, .wide = 8},
	[COL_MAIN_PID] = {SCOUNT(main_pid), .json = "main_pid", .zero_null = true},
	[COL_STALL_CPU] = {PCT(stall_cpu), .json = "pressure.cpu"},
	[COL_STALL_IO] = {PCT(stall_io), .json = "pressure.io"},
	[COL_STALL_MEM] = {PCT(stall_mem), .json = "pressure.memory"},
	[COL_CPU] = {"cpu", "CPU%", 4, PCT(cpu_total), .def = true, .json = "cpu.total",
		     .help = "usr + sys + guest, % of one CPU", .prio = 5},
	[COL_USR] = {"usr", "USR", 4, PCT(cpu_usr), .def = true, .json = "cpu.usr",
		     .help = "user time outside guest mode, % of one CPU", .prio = 13},
	[COL_SYS] = {"sys", "SYS", 4, PCT(cpu_sys), .def = true, .json = "cpu.sys",
		     .help = "kernel time, % of one CPU", .prio = 12},
	[COL_GUEST] = {"guest", "GUEST", 5, PCT(cpu_guest), .def = true, .json = "cpu.guest",
		       .hint = HINT_GUEST,
		       .help = "time the CPU ran guest code (VMs; /proc/PID/stat field 43)", .prio = 9},
	[COL_IOW] = {"iowait", "IOW", 4, PCT(cpu_iowait), .def = true, .json = "cpu.iowait",
		     .help = "share of the interval the guest's tasks stalled on I/O", .prio = 11},
	[COL_IOW_SRC] = {TEXT(iow_src_text), .json = "cpu.iowait_source"},
	[COL_WAIT] = {"wait", "WAIT%", 5, PCT(cpu_wait), .def = true, .json = "cpu.wait",
		      .prom = "cpu_wait_ratio", .influx = "cpu_wait",
		      .help = "runnable but waiting for a host CPU (its vCPU threads' or tasks' "
			      "run delay, schedstat), % of one CPU", .prio = 14},
	[COL_WAIT_NOTE] = {TEXT(wait_note_text), .json_text = wait_note_text, .json = "cpu.wait_note", .when = WHEN_SET},
	[COL_WAIT_VCPUS] = {.unit = UNIT_TEXT, .json = "cpu.vcpus", .json_fn = vcpus_json,
			    .when = WHEN_VM_PROC},
	[COL_TAX] = {"cpu_tax", "TAX%", 4, PCT(cpu_tax), .def = true, .json = "cpu.tax", .prom = "cpu_tax_ratio", .influx = "tax_cpu",
		     .hint = HINT_TAX,
		     .help = "host CPU beyond the guest's own work: VM all but guest time, "
			     "container its helpers", .prio = 3},
	[COL_TAX_PARTS] = {.unit = UNIT_TEXT, .json = "cpu.tax_parts", .json_fn = cpu_parts_json},
	[COL_IOTAX] = {"io_tax", "IOTAX%", 6, PCT(cpu_io_tax), .json = "cpu.io_tax", .prom = "cpu_io_tax_ratio",
		       .hint = HINT_TAX,
		       .help = "CPU of a VM's I/O: iothreads, thread-pool workers and vhost workers, "
			       "the emulator threads too without an iothread, % of one CPU", .prio = 22, .wide = 8},
	[COL_CAPPED] = {VBOOL(cpu_capped), .json = "cpu.capped"},
	[COL_TG_VCPU] = {PCT(tg_pct[TG_VCPU]), .json = "cpu.threads.vcpu", .when = WHEN_VM_PROC},
	[COL_TG_EMU] = {PCT(tg_pct[TG_EMU]), .json = "cpu.threads.emulator", .when = WHEN_VM_PROC},
	[COL_TG_IO] = {PCT(tg_pct[TG_IO]), .json = "cpu.threads.iothread", .when = WHEN_VM_PROC},
	[COL_TG_POOL] = {PCT(tg_pct[TG_POOL]), .json = "cpu.threads.pool", .when = WHEN_VM_PROC},
	[COL_TG_VHOST] = {PCT(tg_pct[TG_VHOST]), .json = "cpu.threads.vhost", .when = WHEN_VM_PROC},
	[COL_MEM] = {"mem", "MEM", 4, VBYTES(mem_host), .def = true, .json = "mem.host", .prom = "memory_host_bytes", .influx = "memhost",
		     .help = "host RAM held for the guest (cgroup usage or RSS, plus helpers)", .prio = 6},
	[COL_WSET] = {"wset", "WSET", 4, VBYTES(mem_ws), .def = true, .json = "mem.working_set", .prom = "memory_working_set_bytes",
		      .influx = "wset",
		      .help = "working set: container usage - inactive file; VM guest used or RAM RSS", .prio = 8},
	[COL_CACHE] = {"cache", "CACHE", 5, VBYTES(mem_cache), .def = true, .json = "mem.page_cache", .prom = "memory_page_cache_bytes",
		       .influx = "page_cache",
		       .help = "host page cache charged to the guest", .prio = 10},
	[COL_MTAX] = {"mem_tax", "MTAX", 5, VBYTES(mem_tax), .def = true, .json = "mem.tax", .prom = "memory_tax_bytes", .influx = "tax_mem",
		      .lower_bound = true, .hint = HINT_TAX,
		      .help = "host RAM beyond the working set (\">\": a lower bound)", .prio = 4},
	[COL_MTAX_LB] = {VBOOL(mem_tax_lower_bound), .json = "mem.tax_lower_bound",
			 .prom = "memory_tax_lower_bound", .influx = "tax_mem_lower_bound",
			 .help = "1 when the memory tax is a lower bound (a VM that does not report "
				 "its own memory)"},
	[COL_MTAX_PARTS] = {.unit = UNIT_TEXT, .json = "mem.tax_parts", .json_fn = mem_parts_json},
	[COL_GTOTAL] = {"guest_total", "GTOTAL", 4, SBYTES(g_total), .json = "mem.guest_total",
			.prom = "memory_guest_total_bytes", .influx = "guest_total",
			.help = "guest's own total memory (balloon statistics)", .prio = 17, .wide = 6},
	[COL_GUSED] = {"guest_used", "GUSED", 4, VBYTES(g_used), .json = "mem.guest_used",
		       .prom = "memory_guest_used_bytes", .influx = "guest_used",
		       .help = "guest's own used memory: total - available", .prio = 16, .wide = 5},
	[COL_GCACHE] = {"guest_cache", "GCACHE", 4, SBYTES(g_cache), .json = "mem.guest_cache",
			.prom = "memory_guest_cache_bytes", .influx = "guest_cache",
			.help = "guest's own page cache", .prio = 18, .wide = 7},
	[COL_BALLOON] = {"balloon", "BALLOON", 7, SBYTES(vm_balloon), .json = "mem.balloon_target",
			 .help = "a VM's balloon target: guest RAM QEMU lets the guest keep "
				 "(QMP query-balloon \"actual\")", .prio = 23},
	[COL_LIMIT] = {SBYTES(cg_mem_limit), .json = "mem.limit", .prom = "memory_limit_bytes",
		       .help = "the guest cgroup's memory limit"},
	[COL_HMEM] = {SBYTES(h_mem), .json = "mem.helpers", .prom = "memory_helpers_bytes",
		      .help = "host RAM of the guest's runtime helpers (shim, conmon, lxc monitor)"},
	[COL_QRSS] = {SBYTES(p_rss), .json = "mem.qemu.rss", .when = WHEN_VM_PROC},
	[COL_QANON] = {SBYTES(p_rss_anon), .json = "mem.qemu.anon", .when = WHEN_VM_PROC},
	[COL_QFILE] = {SBYTES(p_rss_file), .json = "mem.qemu.file", .when = WHEN_VM_PROC},
	[COL_QSHMEM] = {SBYTES(p_rss_shmem), .json = "mem.qemu.shmem", .when = WHEN_VM_PROC},
	[COL_KSM] = {"ksm", "KSM", 4, SBYTES(vm_ksm_merging), .json = "mem.ksm", .when = WHEN_VM_PROC,
		     .prom = "memory_ksm_bytes",
		     .help = "VM memory merged by KSM (/proc/PID/ksm_stat ksm_merging_pages)", .prio = 21},
	[COL_KSM_PROFIT] = {SBYTES(vm_ksm_profit), .json = "mem.ksm_profit", .when = WHEN_VM_PROC},
	[COL_KMEM] = {"kmem", "KMEM", 4, VBYTES(mem_kernel), .json = "mem.kernel.total",
		      .prom = "memory_kernel_bytes",
		      .help = "kernel memory charged to the guest (memory.stat kernel, kmem)", .prio = 22},
	[COL_KPT] = {SBYTES(cg_kmem_pagetables), .json = "mem.kernel.pagetables"},
	[COL_KSECPT] = {SBYTES(cg_kmem_sec_pagetables), .json = "mem.kernel.sec_pagetables"},
	[COL_KSLAB] = {SBYTES(cg_kmem_slab), .json = "mem.kernel.slab"},
	[COL_KPERCPU] = {SBYTES(cg_kmem_percpu), .json = "mem.kernel.percpu"},
	[COL_KSOCK] = {SBYTES(cg_kmem_sock), .json = "mem.kernel.sock"},
	[COL_SWAP] = {"swap", "SWAP", 4, SBYTES(cg_swap), .json = "mem.swap", .prom = "memory_swap_bytes",
		      .help = "guest memory in swap (memory.swap.current, total_swap)", .prio = 23},
	[COL_OOM] = {"oom", "OOM", 3, .unit = UNIT_COUNT, .src = SRC_VIEW,
		     .off = offsetof(struct guest_view, oom_kills), .json = "mem.oom_kills",
		     .help = "OOM kills in the guest in the interval (row marked \"!\" for a minute)",
		     .prio = 24},
	[COL_OOM_RECENT] = {VBOOL(oom_recent), .json = "mem.oom_recent"},
	[COL_THRTL] = {"throttled", "THRTL%", 6, PCT(cpu_throttled), .json = "cpu.throttled",
		       .help = "time throttled by its own CPU limit, % of the interval (cpu.stat)",
		       .prio = 25, .wide = 8},
	[COL_READ] = {"read", "DISK R/s", 8, .unit = UNIT_RATE, .off = offsetof(struct guest_view, io_read_bps),
		      .json = "io.read",
		      .help = "disk bytes read per second: a VM's drives (QMP), else io.stat/blkio, "
			      "else its tasks' /proc/PID/io", .prio = 14, .wide = 1},
	[COL_WRITE] = {"write", "DISK W/s", 8, .unit = UNIT_RATE,
		       .off = offsetof(struct guest_view, io_write_bps), .json = "io.write",
		       .help = "disk bytes written per second, from the same source", .prio = 15, .wide = 2},
	[COL_READ_OPS] = {"read_ops", "RD OP/s", 7, .unit = UNIT_PER_S,
			  .off = offsetof(struct guest_view, io_read_ops), .decimals = 1,
			  .json = "io.read_ops",
			  .help = "disk read operations per second (QMP or cgroup; not from tasks)",
			  .prio = 24},
	[COL_WRITE_OPS] = {"write_ops", "WR OP/s", 7, .unit = UNIT_PER_S,
			   .off = offsetof(struct guest_view, io_write_ops), .decimals = 1,
			   .json = "io.write_ops", .help = "disk write operations per second", .prio = 25},
	[COL_IO_SHARE] = {"disk_share", "DISK%", 5, .unit = UNIT_PCT, .src = SRC_VIEW,
			  .off = offsetof(struct guest_view, io_host_share), .decimals = 1,
			  .json = "io.host_share", .prom = "io_host_share_ratio", .influx = "io_host_share",
			  .help = "its share of the bytes the host's physical disks moved, %",
			  .prio = 16, .wide = 11},
	[COL_IO_LAT] = {.unit = UNIT_PER_S, .src = SRC_VIEW, .off = offsetof(struct guest_view, io_latency_ms),
			.decimals = 2, .json = "io.latency"},
	[COL_IO_SRC] = {TEXT(io_src_text), .json = "io.source"},
	[COL_DRIVES] = {.unit = UNIT_TEXT, .json = "io.drives", .json_fn = drives_json},
	[COL_NET_RX] = {"net_rx", "NET RX/s", 8, .unit = UNIT_RATE,
			.off = offsetof(struct guest_view, net_rx_bps), .json = "net.rx",
			.help = "bytes/s the guest received over its interfaces (host tap/veth transmit)",
			.prio = 21, .wide = 3},
	[COL_NET_TX] = {"net_tx", "NET TX/s", 8, .unit = UNIT_RATE,
			.off = offsetof(struct guest_view, net_tx_bps), .json = "net.tx",
			.help = "bytes/s the guest sent over its interfaces (host tap/veth receive)",
			.prio = 22, .wide = 4},
	[COL_NET_RXP] = {.unit = UNIT_PER_S, .off = offsetof(struct guest_view, net_rx_pps),
			 .json = "net.rx_packets"},
	[COL_NET_TXP] = {.unit = UNIT_PER_S, .off = offsetof(struct guest_view, net_tx_pps),
			 .json = "net.tx_packets"},
	[COL_NET_DROPS] = {.unit = UNIT_PER_S, .off = offsetof(struct guest_view, net_drops_ps),
			   .decimals = 1, .json = "net.drops"},
	[COL_NET_NICS] = {TEXT(no_text), .json_fn = nics_json, .json = "net.nics"},
	[COL_EXITS] = {"exits", "EXITS/s", 7, .unit = UNIT_PER_S,
		       .off = offsetof(struct guest_view, kvm_exits_ps), .decimals = 1,
		       .json = "kvm_exits",
		       .help = "KVM exits per second, all vCPUs (debugfs kvm/PID-FD/exits; root, KVM only)", .prio = 20, .wide = 9},
	[COL_GUSR] = {"guest_user", "GUSR", 4, PCT(gcpu_user), .json = "guest_view.cpu.user",
		      .when = WHEN_VM_PROC,
		      .help = "user time inside the guest, its agent's /proc/stat, % of one CPU",
		      .prio = 21, .wide = 8},
	[COL_GSYS] = {"guest_system", "GSYS", 4, PCT(gcpu_system), .json = "guest_view.cpu.system",
		      .when = WHEN_VM_PROC,
		      .help = "the guest kernel's time (system, irq, softirq), from its agent",
		      .prio = 22, .wide = 9},
	[COL_GIOW] = {PCT(gcpu_iowait), .json = "guest_view.cpu.iowait", .when = WHEN_VM_PROC},
	[COL_GSTEAL] = {"guest_steal", "GSTEAL", 6, PCT(gcpu_steal), .json = "guest_view.cpu.steal",
			.when = WHEN_VM_PROC,
			.help = "steal inside the guest: its vCPUs ready, the host ran others",
			.prio = 23, .wide = 10},
	[COL_GIDLE] = {PCT(gcpu_idle), .json = "guest_view.cpu.idle", .when = WHEN_VM_PROC},
	[COL_GNOTE] = {TEXT(qga_note_text), .json = "guest_view.note", .when = WHEN_VM_PROC},
	[COL_HELPERS] = {SCOUNT(h_count), .json = "helpers"},
	[COL_NOTE] = {TEXT(note_text), .json = "note"},
	[COL_WHY] = {.unit = UNIT_TEXT, .json = "why", .json_fn = why_json},
	/* libvirt's own figures, beside vtax's (doc/accuracy.md) */
	[COL_LV_STATE] = {SCOUNT(lv_state), .json = "libvirt.state", .when = WHEN_LIBVIRT},
	[COL_LV_NET_RX] = {LVRATE(lv_net_rx_bps), .json = "libvirt.net.rx"},
	[COL_LV_NET_TX] = {LVRATE(lv_net_tx_bps), .json = "libvirt.net.tx"},
	[COL_LV_BLK_RD] = {LVRATE(lv_blk_rd_bps), .json = "libvirt.block.read"},
	[COL_LV_BLK_WR] = {LVRATE(lv_blk_wr_bps), .json = "libvirt.block.write"},
	[COL_LV_NET_RX_BYTES] = {SBYTES(lv_net_rx_bytes), .json = "libvirt.net.rx_bytes", .when = WHEN_LIBVIRT},
	[COL_LV_NET_TX_BYTES] = {SBYTES(lv_net_tx_bytes), .json = "libvirt.net.tx_bytes", .when = WHEN_LIBVIRT},
	[COL_LV_BLK_RD_BYTES] = {SBYTES(lv_blk_rd_bytes), .json = "libvirt.block.read_bytes", .when = WHEN_LIBVIRT},
	[COL_LV_BLK_WR_BYTES] = {SBYTES(lv_blk_wr_bytes), .json = "libvirt.block.write_bytes", .when = WHEN_LIBVIRT},
};

/* No size assertion: declared [COL_COUNT], the table always has that
 * size, and a forgotten entry is zeros that no compiler sees.
 * tests/unit-runtime.c (columns_complete) walks every entry instead. */

int column_find(const char *name)
{
	for (int i = 0; i < COL_COUNT; i++)
		if (column_is_table(i) &&
		    (!strcasecmp(columns[i].name, name) || !strcasecmp(columns[i].title, name)))
			return i;
	return -1;
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

static const void *base_of(const struct column *col, const struct guest_view *v)
{
	return col->src == SRC_VIEW ? (const void *)v : (const void *)v->g;
}

/* The raw uint64 of a BYTES or COUNT column. */
static uint64_t column_u64(const struct column *col, const struct guest_view *v)
{
	const uint64_t *p = (const uint64_t *)(const void *)((const char *)base_of(col, v) + col->off);
	return *p;
}

static bool column_bool(const struct column *col, const struct guest_view *v)
{
	return *(const bool *)(const void *)((const char *)base_of(col, v) + col->off);
}

double column_num(enum col_id c, const struct guest_view *v)
{
	const struct column *col = &columns[c];
	switch (col->unit) {
	case UNIT_PCT:
	case UNIT_RATE:
	case UNIT_PER_S:
		return *(const double *)(const void *)((const char *)v + col->off);
	case UNIT_BYTES:
	case UNIT_COUNT: {
		uint64_t u = column_u64(col, v);
		return u == VT_UNKNOWN ? VT_NAN : (double)u;
	}
	case UNIT_BOOL:
		return column_bool(col, v) ? 1.0 : 0.0;
	case UNIT_TEXT:
		break;
	}
	return VT_NAN;
}

/* The cell's text before it is fitted to a width. */
static void cell_raw(enum col_id c, const struct guest_view *v, char *raw, size_t sz)
{
	const struct column *col = &columns[c];
	double d = column_num(c, v);
	switch (col->unit) {
	case UNIT_TEXT: {
		const char *t = col->text(v);
		sanitize(raw, sz, t ? t : "");
		break;
	}
	case UNIT_COUNT:
	case UNIT_BOOL:
		if (isnan(d))
			snprintf(raw, sz, "-");
		else
			snprintf(raw, sz, "%llu", (unsigned long long)column_u64(col, v));
		break;
	case UNIT_PCT:
		if (isnan(d))
			snprintf(raw, sz, "-");
		else
			snprintf(raw, sz, d < 99.95 ? "%.1f" : "%.0f", d);
		break;
	case UNIT_RATE:
		/* VT_UNKNOWN - 1: the largest that converts (rates of replayed
		 * counters can be absurd) */
		fmt_bytes_short(raw, sz, isnan(d) ? VT_UNKNOWN
				: d + 0.5 >= 1.8e19 ? VT_UNKNOWN - 1 : (uint64_t)(d + 0.5));
		break;
	case UNIT_PER_S:
		fmt_count(raw, sz, d);
		break;
	case UNIT_BYTES: {
		char b[32];
		fmt_bytes_short(b, sizeof(b), isnan(d) ? VT_UNKNOWN : (uint64_t)d);
		snprintf(raw, sz, "%s%s",
			 col->lower_bound && v->mem_tax_lower_bound && !isnan(d) ? ">" : "", b);
		break;
	}
	}
}

void column_cell(enum col_id c, const struct guest_view *v, char *buf, size_t bufsz, int width)
{
	char raw[512];
	const struct column *col = &columns[c];
	cell_raw(c, v, raw, sizeof(raw));
	if (width <= 0) {
		str_copy(buf, bufsz, raw);
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
	/* every row's every cell comes here: copies, not printf */
	size_t pad = (size_t)(width - chars), at = 0;
	if (!bufsz)
		return;
	/* cut: the last cell says so, so two names that share their first
	 * letters do not look the same */
	bool cut = col->left && c != COL_ID && raw[bytes] && width >= 2;
	if (cut) {
		bytes = before_last;
		pad = 0;
	}
	if (!col->left) {
		at = pad < bufsz - 1 ? pad : bufsz - 1;
		memset(buf, ' ', at);
	}
	size_t n = bytes < bufsz - 1 - at ? bytes : bufsz - 1 - at;
	memcpy(buf + at, raw, n);
	at += n;
	if (cut && at < bufsz - 1)
		buf[at++] = '~';
	else if (col->left) {
		size_t p = pad < bufsz - 1 - at ? pad : bufsz - 1 - at;
		memset(buf + at, ' ', p);
		at += p;
	}
	buf[at] = '\0';
}

json_object *column_json(enum col_id c, const struct guest_view *v, bool *skip)
{
	const struct column *col = &columns[c];
	*skip = (col->when == WHEN_VM_PROC && !(v->kind == KIND_VM && v->g->main_pid)) ||
		(col->when == WHEN_SET && col->unit == UNIT_TEXT && !col->json_text(v)) ||
		(col->when == WHEN_LIBVIRT && !runtimes[v->g->runtime].libvirt_api);
	if (*skip)
		return NULL;
	if (col->json_fn)
		return col->json_fn(v);
	switch (col->unit) {
	case UNIT_TEXT:
		return jx_str(col->json_text ? col->json_text(v) : col->text(v));
	case UNIT_COUNT: {
		uint64_t u = column_u64(col, v);
		return (col->zero_null && !u) ? NULL : jx_u64(u);
	}
	case UNIT_BYTES:
		return jx_u64(column_u64(col, v));
	case UNIT_BOOL:
		return json_object_new_boolean(column_bool(col, v));
	case UNIT_PCT:
	case UNIT_RATE:
	case UNIT_PER_S:
		return jx_num(column_num(c, v), col->decimals);
	}
	return NULL;
}


int column_compare(enum col_id c, bool desc, const struct guest_view *a, const struct guest_view *b)
{
	int r = 0;
	if (columns[c].unit == UNIT_TEXT) {
		const char *x = columns[c].text(a), *y = columns[c].text(b);
		r = strcmp(x ? x : "", y ? y : "");
		if (desc)
			r = -r;
	} else {
		double x = column_num(c, a), y = column_num(c, b);
		/* unknown values sort last either way */
		if (isnan(x) != isnan(y))
			return isnan(x) ? 1 : -1;
		if (!isnan(x) && x != y)
			r = (x < y) ? -1 : 1;
		if (desc)
			r = -r;
	}
	return r ? r : guest_sample_cmp(a->g, b->g);
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
