/* The model: pure functions from two samples to rates and tax. No I/O,
 * no clocks: everything comes from the samples, so replayed samples give
 * exactly the numbers live ones gave. Definitions are in doc/metrics.md. */
#ifndef VTAX_MODEL_H
#define VTAX_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sample.h"

enum iow_src {
	IOW_NONE,       /* unknown */
	IOW_PSI,        /* cgroup io.pressure "some" */
	IOW_DELAYACCT,  /* summed blkio delay of the guest's tasks */
};
const char *iow_src_name(enum iow_src s);   /* "psi", "delayacct", NULL */

/* Where a guest's disk I/O figures come from. */
enum io_src {
	IO_NONE,        /* unknown */
	IO_QMP,         /* QMP query-blockstats, per drive */
	IO_CGROUP,      /* cgroup io.stat / blkio */
	IO_TASK,        /* the guest's tasks' /proc/PID/io */
};
const char *io_src_name(enum io_src s);     /* "qmp", "cgroup", "task", NULL */

/* One drive's rates over the interval between two QMP replies. */
struct drive_view {
	const struct drive_sample *d;  /* into the current sample */
	double read, write;            /* bytes/s; NAN unknown */
	double read_ops, write_ops;    /* operations/s */
	double latency_ms;             /* mean time per operation, ms; NAN without any */
};

/* Host CPU split, % of all CPUs; sums to 100. */
enum hcpu {
	HC_USER,        /* user minus guest */
	HC_NICE,        /* nice minus guest_nice */
	HC_SYSTEM,
	HC_IRQ,
	HC_SOFTIRQ,
	HC_IOWAIT,
	HC_STEAL,
	HC_GUEST,       /* guest + guest_nice */
	HC_IDLE,
	HC_COUNT
};
const char *hcpu_name(enum hcpu c);

/* The tax ledger: a guest's CPU tax and memory tax as named parts that
 * add up to them exactly (src/ledger.c; doc/metrics.md). */
enum tax_cpu_part {
	TCP_VCPU,       /* VM: vCPU threads outside guest mode (KVM exits; all of
			   TCG's emulation) */
	TCP_EMULATOR,   /* VM: QEMU's main loop and its other threads */
	TCP_IOTHREAD,   /* VM: QEMU iothreads */
	TCP_POOL,       /* VM: QEMU's thread-pool workers (aio=threads I/O) */
	TCP_VHOST,      /* VM: vhost workers */
	TCP_HELPERS,    /* runtime helpers: shim, conmon, lxc monitor, ... */
	TCP_OTHER,      /* VM: the rest of its cgroup's time outside guest mode
			   (other tasks; counters read a moment apart) */
	TCP_COUNT
};
const char *tax_cpu_part_name(enum tax_cpu_part p);

enum tax_mem_part {
	TMP_KVM_PT,      /* VM: KVM's own page tables (sec_pagetables) */
	TMP_HELPERS,     /* runtime helpers' memory */
	TMP_HOST_CACHE,  /* VM: host page cache charged to its cgroup */
	TMP_GUEST_CACHE, /* VM: the guest's page cache, held in host RAM (only
			    when the guest reports it) */
	TMP_QEMU,        /* VM: QEMU's own memory and guest pages the guest
			    does not use */
	TMP_COUNT
};
const char *tax_mem_part_name(enum tax_mem_part p);

/* One interface of a guest over the interval, from the guest's side;
 * NAN when the interface is new (or made again) since the last sample. */
struct nic_view {
	const struct nic_sample *n;    /* into the current sample */
	double rx_bps, tx_bps;         /* bytes/s, rx = received by the guest */
	double rx_pps, tx_pps;         /* packets/s */
	double drops_ps, errors_ps;    /* packets dropped / errors per second */
};

/* One vCPU thread of a VM over the interval, % of one CPU. */
struct vcpu_view {
	uint64_t index;                /* its "CPU n" */
	double run, wait;              /* on a CPU, runnable waiting for one; NAN new */
};

struct guest_view {
	const struct guest_sample *g;  /* into the current sample */
	enum guest_kind kind;
	bool has_rates;                /* a matching previous sample existed */
	/* CPU, % of one CPU over the interval; NAN when unknown */
	double cpu_usr, cpu_sys, cpu_guest, cpu_iowait, cpu_total, cpu_tax;
	/* % of the interval in which some task of the guest's cgroup waited
	 * for CPU, I/O or memory (cgroup PSI "some"); NAN when unknown */
	double stall_cpu, stall_io, stall_mem;
	bool cpu_capped;               /* counters said more than every CPU: scaled to it */
	enum iow_src iow_src;
	double tg_pct[TG_COUNT];       /* per QEMU thread group */
	double io_read_bps, io_write_bps; /* bytes/s, from io_src */
	double io_read_ops, io_write_ops; /* operations/s, from io_src (NAN: task) */
	enum io_src io_src;
	struct drive_view *drives;     /* owned by the frame; ndrives entries (QMP) */
	size_t ndrives;
	double cpu_io_tax;             /* % of one CPU: a VM's iothreads, thread-pool
					  workers and vhost workers, plus its emulator
					  threads when it has no iothread; NAN unknown */
	double cpu_per_gb;             /* CPU seconds of the I/O tax per GB of disk
					  I/O; NAN below 64 KiB/s */
	double kvm_exits_ps;           /* KVM exits per second (VMs under KVM) */
	/* bytes/s of the libvirt domain's interfaces (rx: to the guest) and
	 * disks, over libvirt's own interval (lv_at_ns); NAN when unknown */
	double lv_net_rx_bps, lv_net_tx_bps, lv_blk_rd_bps, lv_blk_wr_bps;
	/* network, the sum of its interfaces that have a rate; NAN when
	 * unknown or when it uses the host's namespace */
	double net_rx_bps, net_tx_bps, net_rx_pps, net_tx_pps, net_drops_ps, net_errors_ps;
	struct nic_view *nics;         /* into the frame's nics, nnics entries */
	size_t nnics;
	/* memory, bytes; VT_UNKNOWN when unknown */
	uint64_t mem_host, mem_ws, mem_cache, mem_tax;
	bool mem_tax_lower_bound;      /* VM without the guest's own report */
	uint64_t g_total, g_used, g_cache;
	/* inside the guest, from its agent's counters (its own /proc/stat):
	 * % of one CPU; NAN when unknown. user: user + nice, system: system +
	 * irq + softirq, steal: its vCPUs were ready but the host ran others */
	double gcpu_user, gcpu_system, gcpu_iowait, gcpu_steal, gcpu_idle;
	double cpu_helpers;            /* % of one CPU: its runtime helpers' */
	/* the ledger: the parts that apply to the guest (NAN, VT_UNKNOWN
	 * the others, and all of them when the tax is unknown); they add up
	 * to cpu_tax (each a multiple of 0.01, as JSON prints them: the
	 * rounding goes to the largest) and to mem_tax exactly. A lower
	 * bound's parts are the parts of that bound. */
	double cpu_part[TCP_COUNT];
	uint64_t mem_part[TMP_COUNT];
	/* what the kernel knows of the guest (doc/metrics.md) */
	uint64_t mem_kernel;           /* bytes: kernel memory charged to it */
	double cpu_throttled;          /* % of the interval throttled by its CPU limit
				        * (summed over CPUs, like CPU%); NAN unknown */
	uint64_t oom_kills;            /* count: OOM kills in the interval */
	bool oom_recent;               /* an OOM kill in the last OOM_RECENT_NS */
	/* contention (src/contention.c; doc/metrics.md "Contention") */
	double cpu_wait;               /* % of one CPU: its vCPU threads (VM) or tasks
					  (container) runnable, waiting for a host CPU;
					  NAN unknown (g->wait_note says why) */
	struct vcpu_view *vcpus;       /* owned by the frame; nvcpus entries */
	size_t nvcpus;
	int vcpu_worst;                /* index into vcpus of the longest wait, -1 */
	double io_host_share;          /* % of the host's disk bytes in the interval */
	double io_latency_ms;          /* mean ms per disk operation (QMP); NAN unknown */
	/* blame over the interval (seconds): the others' wait charged to it
	 * by its share of the host's CPU, the host's I/O stall charged by its
	 * share of the disk's bytes; what it suffered: its own wait and stall */
	double blame_cpu_s, blame_io_s, suffer_wait_s, suffer_stall_s;
};

/* How long a guest stays flagged after an OOM kill. */
#define OOM_RECENT_NS (60000000000ull)

/* The MEM bar: a partition of the host's RAM, bytes. */
enum mem_part {
	MP_GUESTS,      /* guests' memory outside page cache, less their tax */
	MP_TAX,         /* the guests' memory tax outside page cache */
	MP_CACHE,       /* all page cache, the guests' included */
	MP_ARC,         /* ZFS ARC */
	MP_OWN,         /* the host's own, outside ARC */
	MP_FREE,        /* the rest: total less the parts above */
	MP_COUNT
};

struct host_view {
	uint32_t ncpus;
	double cpu[HC_COUNT];          /* NAN without rates */
	uint64_t mem_total, mem_available, mem_free, mem_used, page_cache, anon, zfs_arc,
		ksm_shared, huge_total, huge_free;  /* bytes */
	uint64_t guests_ws, guests_tax, guests_host, guests_cache, host_own; /* bytes */
	double tax_cpu;                /* % of one CPU, sum over guests */
	double tax_cpu_host;           /* the same as % of all CPUs */
	double cpu_usr_nice;           /* HC_USER + HC_NICE, the CPU bar's first part */
	double cpu_irq_all;            /* HC_IRQ + HC_SOFTIRQ */
	uint64_t mem_bar[MP_COUNT];    /* VT_UNKNOWN where unknown */
	double guests_cpu;             /* % of one CPU, sum of guests' totals */
	unsigned n_kind[KIND_COUNT];
	double psi_cpu, psi_io, psi_mem; /* % of the interval some task stalled */
	double load[3];
	double uptime_s;
	double disk_read_bps, disk_write_bps; /* the physical disks', bytes/s; NAN unknown */
	size_t iowait_guest;           /* with host iowait, 1 + the index into the
					  frame's guests of the guest that moved most of
					  the disk's bytes; 0 none */
	double self_cpu;               /* vtax's own CPU, % of one CPU over the
					  interval; NAN unknown */
	uint64_t self_rss;             /* vtax's own VmRSS, bytes */
};

struct proc_view {
	const struct proc_sample *p;   /* into the current sample */
	double cpu;                    /* % of one CPU, NAN without a previous */
};

struct frame {
	const struct sample *cur;
	int64_t time_ms;
	double interval_s;             /* NAN on the first frame */
	bool has_rates;
	struct host_view host;
	struct guest_view *guests;     /* owned; n entries */
	size_t n;
	struct nic_view *nics;         /* owned: every guest's interfaces */
	struct proc_view *procs;       /* owned: the focused guest's processes, */
	size_t nprocs;                 /* busiest first */
};

/* prev may be NULL (first frame). f keeps pointers into cur: cur must
 * outlive f. */
void model_compute(const struct sample *prev, const struct sample *cur, struct frame *f);
void frame_free(struct frame *f);

#endif
