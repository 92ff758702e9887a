/* The QEMU guest agent client: asks the agent inside each VM (a
 * virtio-serial port named org.qemu.guest_agent.0) for guest-get-cpustats,
 * the guest's own /proc/stat. It runs in the agent thread (agent.c calls
 * qga_work()); the collector reads the latest counters without blocking.
 * One short session per question: connect, guest-sync-delimited, ask,
 * disconnect. */
#ifndef VTAX_AGENT_QGA_H
#define VTAX_AGENT_QGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The guest's CPU counters, ticks of the guest's USER_HZ summed over its
 * CPUs; all VT_UNKNOWN (ncpu 0) when there is no reading. */
struct qga_cpu {
	uint64_t ncpu;                /* CPUs the guest listed */
	uint64_t user;                /* user + nice */
	uint64_t system;              /* system + irq + softirq */
	uint64_t iowait, steal, idle;
};

struct qga_facts {
	struct qga_cpu cur;           /* the latest reading */
	struct qga_cpu prev;          /* the one before it (ncpu 0: none) */
	char note[200];               /* why there is no reading, "" when there is */
};

struct qga;

struct qga *qga_new(long timeout_ms);
void qga_free(struct qga *q);

/* What exists now: qga_begin(), qga_want() per VM (path "" or NULL: it
 * has no agent port, which its note then says), then qga_commit(), which
 * is true when there is a socket to ask. */
void qga_begin(struct qga *q);
void qga_want(struct qga *q, int pid, uint64_t start, const char *path);
bool qga_commit(struct qga *q);

/* Ask every agent that is due (the agent thread); returns early once
 * *stop is set. */
void qga_work(struct qga *q, const bool *stop);

/* The latest facts of a VM; false when it was not asked yet. */
bool qga_get(struct qga *q, int pid, uint64_t start, struct qga_facts *out);

/* The next notice about an agent socket (caller frees), NULL if none.
 * Each problem is reported once until it clears. */
char *qga_notice(struct qga *q);

/* A guest-get-cpustats reply line ({"return": [...]}) into out: 0,
 * -EPROTO for an error reply (its desc in err), -EINVAL when malformed.
 * Exposed for tests and fuzzing. */
int parse_qga_cpustats(const char *json, size_t len, struct qga_cpu *out, char *err,
		       size_t errsz);

#endif
