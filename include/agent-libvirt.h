/* libvirt through its own read-only API: name, id, state, balloon, vCPU,
 * interface and block statistics of the domains libvirtd runs, for the
 * VMs whose QMP monitor libvirtd holds. libvirt.so.0 is opened only when
 * its socket exists; every call runs in a worker thread of its own, so
 * a hung libvirtd costs a notice, never a late refresh. Used by the
 * agent (agent.c) only. */
#ifndef VTAX_AGENT_LIBVIRT_H
#define VTAX_AGENT_LIBVIRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LV_SOCK "/run/libvirt/libvirt-sock-ro"

/* One running domain as virConnectGetAllDomainStats reported it; every
 * counter VT_UNKNOWN when libvirt did not give it. */
struct lv_domain {
	int id;                    /* libvirt's domain id */
	char name[256];
	uint64_t state;            /* virDomainState: 1 running, 3 paused, ... */
	uint64_t at_ns;            /* ns, CLOCK_MONOTONIC when the answer came */
	uint64_t cpu_ns;           /* ns: cpu.time (wrong on this hybrid host, see
				      doc/accuracy.md) */
	uint64_t vcpu_ns;          /* ns: sum of vcpu.N.time */
	uint64_t bal_current;      /* bytes: balloon.current */
	uint64_t bal_available;    /* bytes: balloon.available (guest MemTotal) */
	uint64_t bal_usable;       /* bytes: balloon.usable (guest MemAvailable) */
	uint64_t bal_unused;       /* bytes: balloon.unused (guest MemFree) */
	uint64_t bal_caches;       /* bytes: balloon.disk_caches */
	uint64_t net_rx, net_tx;   /* bytes: net.N.rx.bytes, tx.bytes, all interfaces */
	uint64_t blk_rd, blk_wr;   /* bytes: block.N.rd.bytes, wr.bytes, all disks */
};

/* Reset d to unknown. */
void lv_domain_init(struct lv_domain *d);
/* Take one typed parameter of a domain's record: field is libvirt's name
 * ("balloon.usable"), v its value as an unsigned number. Unknown fields
 * are ignored; sums (net, block, vcpu) add up. */
void lv_domain_stat(struct lv_domain *d, const char *field, uint64_t v);

struct lvirt;

/* sock: the read-only socket that says libvirtd runs (LV_SOCK);
 * timeout_ms: how long one question may take before it is reported. */
struct lvirt *lvirt_new(const char *sock, long timeout_ms);
/* Frees it; a worker stuck in a hung libvirtd is left to exit with the
 * process (its state is not freed under it). */
void lvirt_free(struct lvirt *l);
/* Called by the agent thread: asks again when due (every 2 s while
 * wanted). Returns 1 with a message in msg when there is a problem to
 * report, 0 when all is well, -1 when there is nothing to say. */
int lvirt_poll(struct lvirt *l, bool wanted, char *msg, size_t msgsz);
/* The latest facts of the domain with this id (decimal); false if none. */
bool lvirt_domain(struct lvirt *l, const char *id, struct lv_domain *out);

#endif
