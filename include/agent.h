/* The agent: one worker thread that talks to sockets so that a refresh
 * never waits on them. It asks the Docker and Podman Engine APIs (libcurl
 * over unix sockets) for container names, and each VM's QMP socket for
 * balloon statistics. The collector tells it what exists and reads the
 * latest answers without blocking. */
#ifndef VTAX_AGENT_H
#define VTAX_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sample.h"

struct agent_opts {
	bool enable_balloon_stats;  /* may set guest-stats-polling-interval */
	const char *docker_sock;    /* NULL: DOCKER_HOST or /var/run/docker.sock */
	const char *podman_sock;    /* NULL: /run/podman/podman.sock */
	long timeout_ms;            /* per request; 0: 300 */
};

struct agent;

struct agent *agent_new(const struct agent_opts *o);
void agent_free(struct agent *a);

/* What exists now: call agent_begin(), then want_* for each guest, then
 * agent_commit(). Never blocks on I/O. */
void agent_begin(struct agent *a);
void agent_want_vm(struct agent *a, int pid, uint64_t start, const char *qmp_path);
void agent_want_container(struct agent *a, enum runtime rt, const char *id);
/* A VM of a runtime that libvirt manages exists (runtime_def.libvirt_api). */
void agent_want_libvirt(struct agent *a);
void agent_commit(struct agent *a);

/* The guest's own memory, bytes (VT_UNKNOWN when not known). note says
 * why it is missing, "" when it is not. */
#define VCPU_MAX 128
struct vm_facts {
	uint64_t total, avail, free, cache;
	char note[200];
	int vcpu_tids[VCPU_MAX];    /* host thread ids of the vCPUs (query-cpus-fast) */
	int nvcpu;
	uint64_t balloon;           /* bytes: query-balloon "actual", VT_UNKNOWN */
	struct drive_sample drives[DRIVE_MAX]; /* query-blockstats */
	int ndrives;                /* -1: not known (no reply) */
	uint64_t drives_ns;         /* CLOCK_MONOTONIC ns of that reply */
};
/* Latest facts for a VM; false when nothing was learnt yet. */
bool agent_vm(struct agent *a, int pid, uint64_t start, struct vm_facts *out);
/* Name of a container from its runtime's API; false when unknown. */
bool agent_container_name(struct agent *a, enum runtime rt, const char *id, char *name,
			  size_t sz);
/* libvirt's latest facts of its domain with this id; false if none. */
struct lv_domain;
bool agent_libvirt_domain(struct agent *a, const char *id, struct lv_domain *out);
/* The next notice about a socket problem (caller frees), NULL if none.
 * Each distinct problem is reported once until it clears. */
char *agent_notice(struct agent *a);

/* The guest agent client (agent-qga.h), run by the same thread; owned
 * by the agent. */
struct qga *agent_qga(struct agent *a);

/* Parsers, exposed for tests and fuzzing. */
typedef void (*engine_fn)(void *arg, const char *id, const char *name, const char *image,
			  const char *state);
int parse_engine_containers(const char *json, size_t len, engine_fn fn, void *arg);
/* A qom-get guest-stats "return" object into f; -ENOENT when the guest
 * has not reported yet. */
int parse_qmp_guest_stats(json_object *ret, struct vm_facts *f);
/* A query-cpus-fast "return" array into f->vcpu_tids. */
int parse_qmp_cpus(json_object *ret, struct vm_facts *f);
/* A query-blockstats "return" array into f->drives: every drive with a
 * device or node name, at most DRIVE_MAX; -EINVAL when it is no array. */
int parse_qmp_blockstats(json_object *ret, struct vm_facts *f);
/* A query-balloon "return" object: its "actual" (bytes) into f->balloon. */
int parse_qmp_balloon(json_object *ret, struct vm_facts *f);
/* The first virtio balloon in a qom-list reply of parent: out = its path. */
int parse_qom_balloon(json_object *list, const char *parent, char *out, size_t outsz);

#endif
