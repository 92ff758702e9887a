/* Inside the collector: its state and the steps of one refresh, shared
 * by collect.c (the order of the steps, scan policy, host) and the files
 * that do the steps: collect-cgroup.c (guests from the cgroup tree and
 * their counters), collect-procs.c (QEMU, helpers and vhost threads from
 * the process table), collect-vm.c (smaps, KVM exits, QEMU threads and
 * balloon) and collect-names.c (where names come from). Nothing outside
 * the collector includes this. */
#ifndef VTAX_COLLECT_INT_H
#define VTAX_COLLECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "cgroup.h"
#include "collect.h"
#include "discover.h"
#include "host.h"
#include "net.h"
#include "procs.h"
#include "profile.h"
#include "util.h"

/* collect-cgroup.c: a memory limit read in the last refresh. */
struct lim_ent {
	char *path;
	uint64_t birth, limit, read_ns;
	uint64_t oom_kills, oom_at_ns;  /* count, ns: to see the OOM count rise */
	uint64_t tio_r, tio_w;          /* bytes: its tasks' /proc/PID/io sums, or unknown */
	uint64_t tio_read_ns;           /* when they were read */
	uint64_t tio_cpu;               /* ns: the cgroup's CPU time then, or unknown */
	bool tio_idle;                  /* the same sums as the read before */
	bool no_quota;                  /* no v1 CPU quota at the limit read: */
	uint64_t thr_n, thr_ns;         /* the throttling counters, carried */
	struct cg_carry carry;          /* its counters, for an idle refresh */
	uint64_t full_ns;               /* when they were last all read */
	uint64_t nprocs;                /* its task count then */
	uint64_t helper_absent_ns;      /* when its helper cgroup was found absent,
					   VT_UNKNOWN: present or not looked for */
	/* its tasks' I/O sums are to be read once the frame is out
	 * (collector_settle): the CPU time read from cpu_rel (owned; NULL:
	 * path) tells whether they are those of tio_read_ns */
	bool tio_pending;
	char *cpu_rel;
	bool tio_late;                  /* tio_r, tio_w were read after the sample */
};

/* collect-wait.c: a task's run delay at the last read. */
struct task_delay {
	int tid;
	uint64_t ns;
};

/* collect-wait.c: a container's wait between refreshes. */
struct wait_ent {
	char *path;
	uint64_t birth;
	uint64_t acc;               /* ns: the wait summed since vtax first read it */
	uint64_t cpu;               /* ns: the cgroup's CPU time at the last read */
	struct task_delay *t;       /* owned: its tasks then, sorted by tid */
	size_t nt;
	bool based;                 /* t holds a read of its tasks */
	uint64_t epoch;             /* baselines taken: the sample's wait_epoch */
	bool used;                  /* seen in this refresh */
};

/* collect-vm.c: what is kept of a VM between refreshes. */
struct vm_ent {
	uint64_t pid, start;
	uint64_t ram_rss, hugetlb;  /* bytes, from smaps */
	uint64_t read_ns;           /* when smaps was read */
	bool seen;
	char kvm[32];               /* its debugfs kvm dir "PID-FD", "" if none */
	uint64_t kvm_look_ns;       /* when it was last looked for */
};

/* collect-vm.c: one VM directory of KVM's debugfs. */
struct kvm_ent {
	int pid;
	char name[32];
};

/* collect-net.c: where one guest's network is, from the last rebuild of
 * the map (interfaces or guests changed). */
struct net_ent {
	char key[200];             /* guest_sample_key() */
	uint64_t birth;
	enum net_state state;
	int *ifidx;                /* host-side interfaces (owned), counted flipped */
	size_t nif;
	int pid;                   /* > 0: no host peer, read /proc/PID/net/dev */
};

/* collect-pids.c: a guest's processes (cgroup.procs, its subtree's too), read
 * once a refresh however many steps want them. */
struct pid_list {
	char *cgroup;              /* the guest's, owned */
	int *pids;                 /* owned */
	size_t n;
};

/* collect-names.c: a Proxmox config file's name, by path. */
struct pve_ent {
	char path[512];
	uint64_t mtime_ns, size;
	char name[256];
};

struct collector {
	int proc_fd;               /* proc_root: what vtax reads of /proc itself */
	int sys_fd;                /* sys_root, or -1 */
	struct cgfs cg;
	struct discover_cache disc; /* the cgroup tree's guests, while it stands */
	struct procs *procs;
	struct host_reader *host;
	struct agent *agent;
	struct sb buf;             /* scratch for small reads */
	int *pidbuf;               /* scratch for pid lists */
	struct pid_list *plist;    /* this refresh's guests' processes */
	size_t nplist;
	int delayacct;             /* kernel.task_delayacct, read each refresh */
	char *focus;               /* "runtime/id" whose processes are wanted */
	bool told_uid;             /* the non-root notice was given */
	struct profile prof;       /* --profile-steps */
	bool self;                 /* proc_root is this host's /proc: vtax's own
				      cost is read (fixture trees leave it unknown) */

	/* scan policy (collect.c) */
	uint64_t last_scan_ns;     /* last /proc listing */
	uint64_t forks_at_scan;    /* /proc/stat processes at that listing */
	uint64_t forks_at_full;    /* ... and at the last full classification */
	uint64_t pid_max;          /* kernel.pid_max */

	/* collect-cgroup.c */
	struct lim_ent *lim;       /* sorted by path, from the last refresh */
	size_t nlim;

	/* collect-wait.c */
	struct wait_ent *wait;     /* containers whose tasks' wait was read */
	size_t nwait, nwait_sorted;

	/* collect-vm.c */
	struct vm_ent *vm;         /* smaps results per VM */
	size_t nvm;
	char *kvm_dir;             /* debugfs kvm directory */
	struct kvm_ent *kvm;       /* its last listing */
	size_t nkvm;
	uint64_t kvm_list_ns;      /* when it was listed, 0 never */

	/* collect-net.c */
	int nl_fd;                 /* rtnetlink socket; -1 not open, -2 cannot be */
	uint64_t self_netns;       /* vtax's network namespace (inode), 0 unknown */
	struct net_links links;    /* interfaces with names, from the last map */
	struct net_links stats;    /* this refresh's counters */
	struct net_links devs;     /* scratch for /proc/PID/net/dev */
	uint64_t links_sig, guests_sig; /* what the map was built for */
	struct net_ent *net;       /* the map, sorted by key */
	size_t nnet;
	bool net_stale;            /* rebuild at the next refresh */

	/* collect-names.c */
	char *pve_dir;
	struct pve_ent *pve;       /* Proxmox config names by path */
	size_t npve;
};

/* One refresh as it goes from step to step. */
struct refresh {
	struct sample *s;
	size_t ncg;                /* guests[0..ncg) came from the cgroup tree */
	bool appeared;             /* one of them is new since the last refresh */
	bool scan;                 /* list /proc for new processes */
	bool full;                 /* ... and classify every one again */
};

/* collect-pids.c: the processes of the guest whose cgroup is rel, as
 * read first in this refresh (*n of them; NULL when none); the clear
 * forgets them (at the start of a refresh) */
const int *collect_guest_pids(struct collector *c, const char *rel, size_t *n);
void collect_pids_clear(struct collector *c);

/* collect-cgroup.c */
void collect_discover(struct collector *c, struct refresh *r);
void collect_cgroup_guests(struct collector *c, struct refresh *r);
/* The task I/O sums of containers seen first in the last refresh. */
void collect_settle_task_io(struct collector *c);

/* collect-procs.c */
void collect_processes(struct collector *c, struct refresh *r);
void collect_attach_qemu(struct collector *c, struct refresh *r);
void collect_attach_helpers(struct collector *c, struct refresh *r);
void collect_vhost_threads(struct collector *c, struct refresh *r);
void collect_focus(struct collector *c, struct sample *s);

/* collect-wait.c: a container's wait (cgroup open: from read_guest);
 * the sweep drops the entries of containers gone (all: every entry) */
void collect_task_wait(struct collector *c, struct guest_sample *g);
/* A task's /proc schedstat below proc_root (path "TID/schedstat"): its
 * time on a CPU and its run delay, ns. -1 when gone or unreadable. */
int collect_schedstat(struct collector *c, const char *path, uint64_t *run_ns, uint64_t *wait_ns);
void collect_wait_sweep(struct collector *c, bool all);

/* collect-vm.c */
void collect_vm_facts(struct collector *c, struct refresh *r);
/* Tell the agent where the VM's guest agent listens: qga_path from its
 * QEMU command line, else its runtime's qga_sock ("" when neither). */
void collect_want_qga(struct collector *c, const struct guest_sample *g, int pid, uint64_t start,
		      const char *qga_path);

/* collect-libvirt.c: VMs that libvirtd runs, through libvirt's API */
void collect_want_libvirt(struct collector *c, struct refresh *r);
void collect_libvirt(struct collector *c, struct refresh *r);

/* collect-net.c */
void collect_net(struct collector *c, struct refresh *r);
void collect_net_free(struct collector *c);

/* collect-names.c: in the order the sources win (runtime.h) */
void collect_config_names(struct collector *c, struct refresh *r);
void collect_want_names(struct collector *c, struct refresh *r);
void collect_api_names(struct collector *c, struct refresh *r);
void collect_fallback_names(struct refresh *r);
/* Give g this name unless it has one (the first source wins). */
void collect_name_once(struct guest_sample *g, const char *name);

#endif
