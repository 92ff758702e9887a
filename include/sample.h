/* One sample of the host: plain counters, no rates and no library
 * pointers. Produced by collect.c or record.c (replay), consumed by the
 * pure model. Every counter carries its unit; VT_UNKNOWN marks a value
 * that could not be read (shown as "-", never as 0). */
#ifndef VTAX_SAMPLE_H
#define VTAX_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* Host-wide counters. */
struct host_sample {
	uint64_t mono_ns;          /* ns, CLOCK_MONOTONIC at sampling */
	int64_t real_ms;           /* ms since the epoch */
	uint32_t ncpus;            /* online CPUs */
	uint64_t hz;               /* USER_HZ, ticks per second */
	/* /proc/stat "cpu" line, ticks; user includes guest, nice includes
	 * guest_nice, as the kernel counts them. */
	uint64_t t_user, t_nice, t_system, t_idle, t_iowait, t_irq, t_softirq,
		t_steal, t_guest, t_guest_nice;
	/* /proc/meminfo, bytes */
	uint64_t mem_total, mem_free, mem_available, mem_buffers, mem_cached,
		mem_anon, mem_shmem, swap_total, swap_free;
	uint64_t huge_total, huge_free; /* pages of huge_size */
	uint64_t huge_size;        /* bytes */
	uint64_t ksm_sharing;      /* bytes: pages_sharing x page size */
	uint64_t zfs_arc;          /* bytes: arcstats "size" */
	/* /proc/pressure, us of stall ("some" / "full" totals) */
	uint64_t psi_cpu_some, psi_io_some, psi_io_full, psi_mem_some, psi_mem_full;
	uint64_t forks;            /* processes created since boot (/proc/stat) */
	/* /proc/diskstats summed over the host's physical whole disks (those
	 * in /sys/block with a device behind them: partitions, loop, dm, md,
	 * zram, nbd and ZFS zvols are counted where they land instead) */
	uint64_t disk_rbytes, disk_wbytes; /* bytes */
	uint64_t disk_rios, disk_wios;     /* operations completed */
	double load1, load5, load15;
	double uptime_s;
	char hostname[256];
	/* vtax's own cost, read when the sample is complete (unknown when
	 * vtax reads fixture trees instead of this host's /proc) */
	uint64_t self_cpu_ns;      /* ns: its user + system CPU, all its threads
				      (getrusage RUSAGE_SELF) */
	uint64_t self_rss;         /* bytes: its VmRSS (/proc/self/status) */
};

/* Per-thread-group CPU of a QEMU process. */
enum tgroup {
	TG_VCPU,      /* "CPU n/KVM", "CPU n/TCG" */
	TG_EMU,       /* main loop and every other thread ("IO mon_iothread" too) */
	TG_IO,        /* "IO iothreadN": -object iothread, for drives and NICs */
	TG_POOL,      /* "worker": the thread pool's threads, blocking I/O for drives
			 (aio=threads, and flush, discard under any aio mode) */
	TG_VHOST,     /* "vhost-PID" worker threads or kernel threads */
	TG_COUNT
};
const char *tgroup_name(enum tgroup g);

/* One drive of a VM, from QMP query-blockstats: counters since QEMU
 * started. */
#define DRIVE_MAX 64
struct drive_sample {
	char name[64];             /* qdev id or node name ("drive-scsi0", "virtio0") */
	uint64_t rd_bytes, wr_bytes; /* bytes */
	uint64_t rd_ops, wr_ops;   /* operations */
	uint64_t rd_time_ns, wr_time_ns; /* ns: total time of those operations */
};

/* One vCPU thread of a VM, from /proc/PID/task/TID/schedstat: counters
 * since the thread started. */
struct vcpu_sample {
	uint64_t index;            /* n of its "CPU n/KVM" name (or QMP's order) */
	uint64_t run_ns;           /* ns: time on a CPU */
	uint64_t wait_ns;          /* ns: time runnable, waiting for a CPU */
};

/* One network interface of a guest, counted from the guest's side: rx
 * is what the guest received (a host-side tap's or veth's transmit). */
struct nic_sample {
	char name[16];             /* host-side name, or the name inside the
				      guest's namespace (no host peer) */
	uint64_t ifindex;          /* with the name, the counter's identity: an
				      interface made again is a new counter */
	uint64_t rx_bytes, tx_bytes;     /* bytes */
	uint64_t rx_packets, tx_packets; /* packets */
	uint64_t drops;            /* packets dropped, both ways */
	uint64_t errors;           /* receive and transmit errors */
};

/* What is known of a guest's network. */
enum net_state {
	NET_UNKNOWN,               /* not found (not root, no process to ask) */
	NET_OWN,                   /* its interfaces are nics[] (maybe none) */
	NET_HOST,                  /* it uses the host's namespace: nothing of its own */
};

/* One guest. The strings are owned by the sample. */
struct guest_sample {
	enum runtime runtime;
	char *id;                  /* vmid, container id, name or pid */
	char *name;                /* display name, raw (sanitised at display) */
	char *cgroup;              /* guest cgroup relative to the root, or NULL */
	char *helper_cg;           /* helper cgroup (lxc monitor, ...), or NULL */
	bool cpu_payload_v2;       /* CPU from cgroup/payload in the unified tree */
	char *note;                /* why the guest's own view is missing, or NULL */
	char *node;                /* the cluster node it runs on (a cluster view's
				      sources), or NULL: this host */
	char *qga_note;            /* why the guest agent's CPU view is missing, or NULL */
	uint64_t birth;            /* identity: cgroup inode or main pid start ticks */
	uint64_t nprocs;           /* processes in the guest */
	uint64_t main_pid;         /* QEMU pid, or 0 */
	uint64_t at_ns;            /* ns, CLOCK_MONOTONIC when its CPU counters were
				      read; rates divide by the change of this */

	/* cgroup counters of the guest's payload cgroup (hierarchical) */
	uint64_t cg_usage_ns, cg_user_ns, cg_system_ns;   /* ns */
	uint64_t cg_mem_current;   /* bytes: memory.current / usage_in_bytes */
	uint64_t cg_mem_anon;      /* bytes: anon / total_rss */
	uint64_t cg_mem_file;      /* bytes: file / total_cache */
	uint64_t cg_mem_inactive_file; /* bytes */
	uint64_t cg_mem_shmem;     /* bytes */
	uint64_t cg_mem_limit;     /* bytes, VT_UNKNOWN when unlimited */
	uint64_t cg_io_some_us;    /* us: io.pressure some total */
	uint64_t cg_cpu_some_us;   /* us: cpu.pressure some total */
	uint64_t cg_mem_some_us;   /* us: memory.pressure some total */
	uint64_t cg_io_rbytes, cg_io_wbytes; /* bytes: io.stat / blkio, all devices */

	/* process counters (the QEMU process of a VM; for a VM without its
	 * own cgroup these are the only CPU source) */
	uint64_t p_utime_ns, p_stime_ns, p_gtime_ns;    /* ns, utime includes gtime */
	uint64_t p_blkio_ns;       /* ns: delay-accounting blkio, summed */
	uint64_t p_rss;            /* bytes: RSS of the guest's processes */
	uint64_t p_rss_anon, p_rss_file, p_rss_shmem; /* bytes: of that, anonymous,
	                            * file-backed and shared memory (QEMU of a VM) */
	uint64_t p_hugetlb;        /* bytes: hugetlb pages mapped by QEMU (not in RSS
				      nor in memory.current) */

	/* runtime helpers charged to this guest (shim, conmon, lxc monitor,
	 * nspawn supervisor): processes and helper cgroups together */
	uint64_t h_cpu_ns;         /* ns: user + system */
	uint64_t h_mem;            /* bytes: RSS or helper cgroup usage */
	uint64_t h_count;          /* helper processes */

	/* VM facts */
	uint64_t vm_ram_size;      /* bytes, from QEMU -m */
	uint64_t vm_ram_rss;       /* bytes: RSS of the guest-RAM mappings */
	uint64_t tg_cpu_ns[TG_COUNT];  /* ns per thread group */
	uint64_t tg_threads[TG_COUNT]; /* threads per group */
	uint64_t kvm_exits;        /* count: KVM exits of all its vCPUs since the VM
				      started (debugfs kvm/PID-FD/exits; root) */

	/* what the kernel knows of the guest beyond its usage (cgroup files;
	 * KSM from the QEMU process) */
	uint64_t cg_kmem;          /* bytes: memory.stat kernel (v2), memory.kmem.
				      usage_in_bytes (v1); kernel memory charged */
	uint64_t cg_kmem_stack, cg_kmem_pagetables, cg_kmem_sec_pagetables,
		cg_kmem_slab, cg_kmem_percpu, cg_kmem_sock; /* bytes: memory.stat
				      kernel_stack, pagetables, sec_pagetables (KVM's
				      own page tables), slab, percpu, sock (v2) */
	uint64_t cg_swap;          /* bytes: memory.swap.current (v2), memory.stat
				      total_swap (v1) */
	uint64_t cg_oom_kills;     /* count since the cgroup was made: memory.events
				      oom_kill (v2), memory.oom_control oom_kill (v1) */
	uint64_t cg_oom_at_ns;     /* ns, CLOCK_MONOTONIC: when vtax last saw
				      cg_oom_kills rise; VT_UNKNOWN if it has not */
	uint64_t cg_nr_throttled;  /* count: CFS periods throttled (cpu.stat) */
	uint64_t cg_throttled_ns;  /* ns: time throttled by the CPU limit, summed over
				      CPUs (cpu.stat throttled_usec, v1 throttled_time) */
	uint64_t vm_ksm_merging;   /* bytes: QEMU's pages merged by KSM
				      (/proc/PID/ksm_stat ksm_merging_pages x page) */
	uint64_t vm_ksm_profit;    /* bytes: ksm_stat ksm_process_profit (merged
				      and zero pages less KSM's rmap items); 0 when
				      the kernel says it is negative */

	/* guest's own view (balloon statistics), bytes */
	uint64_t g_total, g_avail, g_free, g_cache;

	/* libvirt's API (a runtime with libvirt_api), totals over the domain's
	 * interfaces and disks; rx is what the guest received */
	uint64_t lv_at_ns;         /* ns, CLOCK_MONOTONIC when libvirt answered;
				      lv_* rates divide by the change of this */
	uint64_t lv_state;         /* virDomainState: 1 running, 3 paused, ... */
	uint64_t lv_cpu_ns;        /* ns: cpu.time, libvirt's own figure */
	uint64_t lv_vcpu_ns;       /* ns: vcpu.N.time summed */
	uint64_t lv_net_rx_bytes, lv_net_tx_bytes; /* bytes: net.N.rx/tx.bytes */
	uint64_t lv_blk_rd_bytes, lv_blk_wr_bytes; /* bytes: block.N.rd/wr.bytes */
	/* guest's own CPU time from its QEMU guest agent (guest-get-cpustats,
	 * the guest's /proc/stat), ms summed over the guest's CPUs: the
	 * latest reading, and the agent's reading before it (qga_prev_*, over
	 * the same CPUs) for refreshes faster than the agent is asked */
	uint64_t qga_ncpu;         /* CPUs the guest listed */
	uint64_t qga_user;         /* ms: user + nice */
	uint64_t qga_system;       /* ms: system + irq + softirq */
	uint64_t qga_iowait, qga_steal, qga_idle; /* ms */
	uint64_t qga_prev_user, qga_prev_system, qga_prev_iowait, qga_prev_steal,
		qga_prev_idle;     /* ms */
	/* disk I/O beyond cg_io_*: operations from io.stat / blkio, and the
	 * guest's tasks' /proc/PID/io (where the cgroup counts nothing:
	 * ZFS datasets, v1 blkio outside throttling) */
	uint64_t cg_io_rios, cg_io_wios; /* operations */
	uint64_t p_io_rbytes, p_io_wbytes; /* bytes: read_bytes / write_bytes */
	/* the same sums read after the sample before was taken (vtax reads
	 * a new container's once that frame is out), and when (mono ns):
	 * the base of this interval's task I/O where that sample has none */
	uint64_t p_io_base_rbytes, p_io_base_wbytes, p_io_base_ns;
	uint64_t vm_balloon;       /* bytes: query-balloon "actual", the balloon's
				      target size of guest RAM */
	/* host-side wait: time the guest's vCPU threads (a VM) or tasks (a
	 * container) were runnable but waiting for a host CPU, the scheduler's
	 * run delay (schedstat). A container's is summed from its tasks' own
	 * counters as they move (collect-cgroup.c); tasks that exit take
	 * their last interval's delay with them. */
	uint64_t wait_ns;          /* ns; VT_UNKNOWN with wait_note saying why */
	uint64_t wait_epoch;       /* a container's: the counter started again (its
				      tasks' baseline was taken): no rate across a
				      change of it */
	char *wait_note;           /* why wait_ns is unknown, or NULL */
	struct vcpu_sample *vcpus; /* owned; nvcpus entries (a VM's vCPU threads) */
	size_t nvcpus;
	uint64_t drv_at_ns;        /* ns, CLOCK_MONOTONIC when QMP answered
				      query-blockstats; drive rates divide by its change */
	struct drive_sample *drives; /* owned; ndrives entries (at most DRIVE_MAX) */
	size_t ndrives;
	/* network, from the guest's side */
	enum net_state net;
	struct nic_sample *nics;   /* owned, nnics entries, sorted by name */
	size_t nnics;
};

/* One process of the focused guest (the one whose detail pane is open). */
struct proc_sample {
	int pid;
	uint64_t start;            /* ticks since boot */
	uint64_t cpu_ns;           /* ns: utime + stime */
	uint64_t rss;              /* bytes */
	char comm[64];
};

/* A node of a cluster view, as its source last saw it. */
struct node_state {
	char *name;                /* its host name, or its address before it answers */
	char *addr;                /* where it is asked */
	bool up;                   /* answered lately */
	double age_s;              /* seconds since its last sample; < 0 never */
	char *error;               /* why it is down, or NULL */
};

struct sample {
	struct host_sample host;
	struct node_state *nodes;  /* a cluster view's nodes, or NULL */
	size_t nnodes;
	char *notice;              /* a socket problem to tell the user once, or NULL */
	char *focus;               /* "runtime/id" of the focused guest, or NULL */
	struct proc_sample *fprocs; /* its processes (at most FOCUS_MAX) */
	size_t nfprocs;
	struct guest_sample *guests;
	size_t nguests;
	size_t cap;
	uint32_t cg_version;       /* 1 (v1 or hybrid) or 2, 0 = none found */
	bool psi_guest;            /* per-guest io pressure files exist */
	bool delayacct;            /* kernel.task_delayacct is on */
};

#define FOCUS_MAX 256

/* A guest with every counter VT_UNKNOWN and no strings. */
void guest_sample_init(struct guest_sample *g);
/* Free the strings a guest sample owns. */
void guest_sample_release(struct guest_sample *g);
/* d becomes a deep copy of g: its own strings and arrays. */
void guest_sample_copy(struct guest_sample *d, const struct guest_sample *g);
/* "runtime/id" ("proxmox-vm/100"): a guest's name in settings, the
 * focus and the selection. */
void guest_sample_key(const struct guest_sample *g, char *buf, size_t sz);
/* The one order of guests: kind, runtime, then id (numeric ids by
 * value, so 99 comes before 100): negative, 0 or positive. */
int guest_sample_cmp(const struct guest_sample *a, const struct guest_sample *b);
struct guest_sample *sample_add_guest(struct sample *s);
void sample_clear(struct sample *s);   /* drop guests, keep capacity */
void sample_free(struct sample *s);
void host_sample_init(struct host_sample *h);

/* ---- the sample schema ----------------------------------------------------
 * Every field of a sample is one entry of a table in sample.c: its name
 * (the JSON key, the compact history's counter or block; written nowhere
 * else), what it holds, where it lives and how the formats carry it. The
 * JSON Lines record (record.c), the compact history (histfile.c) and
 * init, copy and free below walk the tables, so a new field is one entry
 * (and the collector that fills it). doc/record.md has both formats. */

enum ftype {
	FT_U64,        /* uint64_t, VT_UNKNOWN when unknown */
	FT_I64,        /* int64_t, a clock (the history keeps its change) */
	FT_INT,        /* int, uint32_t or an enum; read in [lo, hi], else lo */
	FT_BOOL,
	FT_DOUBLE,     /* n doubles in a row (a JSON list when n > 1); < 0 unknown */
	FT_STR,        /* char *, owned, NULL when absent */
	FT_CHARS,      /* char[n]; text (or "") when absent */
	FT_RUNTIME,    /* enum runtime, by its name */
	FT_OBJECT,     /* an embedded record of sub (the sample's host) */
	FT_ROWS,       /* an owned array of sub, its size_t count at offset n
			  (and its capacity at offset cap, when not 0) */
};

enum {
	FL_KEY = 1 << 0,      /* with the other keys, names its row: the history
				 refers to the previous sample's row of that key */
	FL_REQ = 1 << 1,      /* a record without it is an error (a lenient
				 table's row is left out) */
	FL_OPT = 1 << 2,      /* JSON: left out when absent (NULL) */
	FL_ZERO = 1 << 3,     /* FT_U64: a count, 0 when absent, never unknown;
				 the history's fixed rows keep it as it is */
	FL_RAW = 1 << 4,      /* FT_U64: JSON gives the number even when unknown */
	FL_NOJSON = 1 << 5,   /* not in the JSON record */
	FL_LOCAL = 1 << 6,    /* not recorded: the process' own (not in any format) */
	FL_NULL = 1 << 7,     /* FT_ROWS: NULL (not known) is not the same as none */
	FL_GATED = 1 << 8,    /* FT_ROWS: there only when the field before it is set */
	FL_STATE = 1 << 9,    /* FT_ROWS: the FT_INT before it says what is known:
				 0 nothing (JSON: absent), 1 the rows, 2 none of
				 its own (JSON: text instead of the rows) */
};

/* Where the compact history keeps a field. Format 1 fixed the head and
 * tail of a record and the rows of FT_ROWS by position; a field added
 * later is HIST_AUTO: an FT_U64 a named counter, anything else a block of
 * its own named after it (a field of a fixed row: a block "rows.field"
 * of the record holding the rows). */
enum hist_place {
	HIST_AUTO,
	HIST_HEAD,     /* the record's head, place at (bools sharing a place
			  are the bits of one number) */
	HIST_TAIL,     /* after the counters, place at (the sample's guests) */
	HIST_BLOCK,    /* the record's block at, named by .block or the field
			  (fields sharing it: in table order) */
};

struct schema;

struct field {
	const char *name;
	enum ftype type;
	size_t off;                /* of the value in its record */
	unsigned flags;            /* FL_* */
	enum hist_place hist;
	unsigned at;
	size_t n;                  /* FT_CHARS: its size; FT_DOUBLE: how many;
				      FT_ROWS: offset of the count */
	size_t cap;                /* FT_ROWS: offset of the capacity, 0: none */
	int64_t lo, hi;            /* FT_INT: the range; FT_ROWS: at most hi rows */
	const char *text;          /* FT_CHARS: the value when absent; FL_STATE:
				      what JSON says for state 2 */
	const char *block;         /* HIST_BLOCK: the block's name, on its first
				      field; else the field's own name */
	const struct schema *sub;  /* FT_OBJECT, FT_ROWS */
};

struct schema {
	const char *what;          /* a record's noun, for messages */
	const struct field *f;
	size_t n;
	size_t size;               /* of a record */
	bool fixed;                /* rows format 1 wrote whole: no counters, no
				      blocks of their own */
	bool lenient;              /* JSON: a bad value reads as unknown */
};

extern const struct schema sample_schema, host_schema, guest_schema;

/* The field of sc with that name, or NULL. */
const struct field *schema_field(const struct schema *sc, const char *name);
/* rec becomes empty: zero, unknown counters, doubles -1, no strings. */
void schema_init(const struct schema *sc, void *rec);
/* Free what rec owns: its pointers NULL, its counts 0. */
void schema_release(const struct schema *sc, void *rec);
/* dst (not owning anything) becomes a deep copy of src. */
void schema_copy(const struct schema *sc, void *dst, const void *src);
/* The FT_ROWS field f of rec, holding no rows, gets room for n (its
 * capacity reused, else n + 1 so that none is not NULL): the array. */
void *schema_rows(void *rec, const struct field *f, size_t n);
/* dst (a sample) becomes a deep copy of src. */
void sample_copy(struct sample *dst, const struct sample *src);

static inline uint64_t *field_ptr(void *base, const struct field *f)
{
	return (uint64_t *)(void *)((char *)base + f->off);
}

/* The host's counters by name, a run of host_schema (remote.c sums them). */
extern const struct field *const host_u64_fields;
extern const size_t host_u64_nfields;

#endif
