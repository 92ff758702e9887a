/* The runtime table: every kind of guest vtax knows (Proxmox VMs and
 * containers, LXC, libvirt, nspawn, Docker, Podman, plain QEMU) declared
 * once, with how it is found, named and charged. Discovery, helper
 * attribution and naming loop over it; adding a runtime is one entry. */
#ifndef VTAX_RUNTIME_H
#define VTAX_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum guest_kind {
	KIND_VM,
	KIND_CT,
	KIND_COUNT
};

/* Also the order discovery tries them in, and a tie-break of sorts. */
enum runtime {
	RT_PVE_QEMU,    /* /qemu.slice/<vmid>.scope */
	RT_PVE_LXC,     /* /lxc/<vmid> */
	RT_LXC,         /* lxc.payload.<name>, legacy lxc/<name> */
	RT_LIBVIRT,     /* machine-qemu\x2d<N>\x2d<name>.scope */
	RT_NSPAWN,      /* machine-<name>.scope */
	RT_DOCKER,      /* docker-<id>.scope, /docker/<id> */
	RT_PODMAN,      /* libpod-<id>.scope, libpod_parent/libpod-<id> */
	RT_QEMU,        /* a qemu-system-* process matched by nothing above */
	RT_COUNT
};

/* A cgroup directory that is a guest. pattern is the directory's name,
 * "prefix{KEY}suffix", after an optional parent: "qemu.slice/" asks for
 * a parent directory of that name, a leading '/' for that whole parent
 * path ("/lxc/{digits}"). KEY is the id's syntax (runtime_parse_id):
 *   {digits}   a number (a Proxmox vmid)
 *   {hex}      12 to 64 hex digits (a container id)
 *   {text}     any non-empty text, as it is
 *   {escaped}  systemd-escaped text ("\x2d" is "-")
 *   {libvirt}  escaped "N-name": id N, name the rest (else both the whole)
 * helper: the guest's helper cgroup, "{parent}" and "{id}" filled in
 * ("{parent}/lxc.monitor.{id}"), or NULL. */
struct cg_rule {
	const char *pattern;
	const char *helper;
};

/* How a helper process's key (parse_helper) names the guest it serves. */
enum helper_match {
	MATCH_EXACT,               /* the key is the guest id */
	MATCH_PREFIX,              /* the key starts with the guest id */
};

/* A runtime's helper process (containerd-shim, conmon, the lxc monitor):
 * how parse_helper() knows it by its command line, and how the key it
 * finds there names the guest served. Runtimes that share a helper (LXC
 * and Proxmox's containers) point at the same one. */
struct helper_proc {
	const char *comm;          /* /proc/PID/comm starts with this (the cheap
				      first look, procs.c) */
	const char *argv0;         /* argv[0]'s base name; a trailing '*': a prefix */
	const char *flag;          /* with argv0: the option whose value is the key */
	const char *title;         /* or: argv[0] starts with this title (the process
				      set it), the key its last word */
	enum helper_match match;
};

/* How a runtime's API names its guests (the agent asks it, agent.c). */
enum api_kind {
	API_NONE,
	API_ENGINE,                /* the Docker Engine API, which Podman serves too:
				      GET path over a unix socket, a JSON array of
				      containers with Id and Names */
};

struct agent_opts;

struct runtime_def {
	const char *name;          /* "proxmox-vm": JSON, records, the filter;
				      never changes (records hold it) */
	const char *short_name;    /* at most 7 chars, the RUNTIME column: "pve-vm" */
	enum guest_kind kind;
	const char *description;   /* one line, for the help and the man page */

	/* Discovery. Runtimes are tried in enum order, their rules in
	 * order; the first match wins and its subtree is not descended. */
	struct cg_rule cgroups[2];
	bool cgroup_names;         /* the cgroup's key is the display name too */
	/* Cgroups of helpers, which discovery passes by: globs (a trailing
	 * '*' only) on the directory name, or with a leading '/' on the
	 * whole path. */
	const char *helper_cgroups[2];
	/* A child cgroup holding the guest's own work, measured instead of
	 * the whole when it exists, and its sibling holding the helper;
	 * processes anywhere in the guest's cgroup are the guest's. */
	const char *payload;       /* "payload" */
	const char *payload_helper; /* "supervisor" */

	/* The helper process charged to the guest (besides helper cgroups),
	 * or NULL. */
	const struct helper_proc *helper;

	/* Names. The first source that gives one wins, in this order: the
	 * cgroup (cgroup_names), the config file, QEMU's -name (qemu_name),
	 * the Engine API, then the fallback. */
	struct {
		const char *subdir;    /* <pve-dir>/<subdir>/<id>.conf ("qemu-server") */
		const char *key;       /* its "key:" line ("name") */
	} config;
	bool qemu_name;            /* a QEMU process in the guest names it (-name) */
	struct {
		enum api_kind kind;
		const char *path;      /* what to ask: "/containers/json" */
		const char *sock;      /* default socket, NULL: no API */
		const char *env;       /* environment variable with unix://PATH, or NULL */
		/* the command-line option's value (--docker-socket), or NULL */
		const char *(*option)(const struct agent_opts *o);
	} api;
	struct {
		const char *prefix;    /* "qemu-" */
		int len;               /* then the first len bytes of the id; 0: all */
	} fallback;

	const char *netif[2];      /* host-side network interfaces of the guest,
				      "{id}" and "{n}" (its NIC index) filled in:
				      "tap{id}i{n}" */
	/* Exporters (doc/export.md): the InfluxDB "object" tag and the
	 * Prometheus id "<object>/<id>", Proxmox's own ("qemu", "lxc",
	 * with the vmid as id) so that its dashboards take vtax's series;
	 * NULL: the runtime's name. */
	const char *export_object;
	/* Room for later work; nothing reads these yet. */
	const char *qmp_sock;      /* QMP socket when not on QEMU's command line:
				      "/var/run/qemu-server/{id}.qmp" */
	const char *qga_sock;      /* QEMU guest agent socket:
				      "/var/run/qemu-server/{id}.qga" */
	bool libvirt_api;          /* libvirt manages it: its API can tell more */
};

extern const struct runtime_def runtimes[RT_COUNT];

/* Names used in JSON, records and the table ("proxmox-vm", ...). */
const char *runtime_name(enum runtime rt);
const char *runtime_short(enum runtime rt);    /* at most 7 chars: "pve-vm" */
int runtime_from_name(const char *s);           /* -1 if unknown */
enum guest_kind runtime_kind(enum runtime rt);
const char *kind_name(enum guest_kind k);       /* "vm" / "container" */
/* What exporters call a guest of runtime rt: export_object, else the name. */
const char *runtime_export_object(enum runtime rt);

/* The id and display name in key (kl bytes, part of a cgroup's name) by
 * the id syntax form (fl bytes: "digits", ... as in struct cg_rule),
 * each cut to fit its buffer; false when key is not of that syntax, or
 * there is no such syntax. */
bool runtime_parse_id(const char *form, size_t fl, const char *key, size_t kl, char *id,
		      size_t idsz, char *name, size_t namesz);

/* Fill a template ("{parent}/lxc.monitor.{id}") into out (size sz,
 * always NUL-terminated, cut to fit): {parent} is the first plen bytes
 * of parent, {id} is id. Other text is copied as it is. */
void runtime_expand(char *out, size_t sz, const char *tmpl, const char *parent, size_t plen,
		    const char *id);

/* What parse_helper() calls the helper processes of runtime rt: one
 * value for the runtimes that share a helper; HELPER_NONE without one. */
/* Runtime helper processes (containerd-shim, conmon, the lxc monitor),
 * as the runtime table describes them (runtime_def.helper): HELPER_NONE,
 * or HELPER_RUNTIME + n, the helper of runtime n (runtime_helper_type()
 * says which value a runtime's helper has). */
enum helper_type {
	HELPER_NONE,
	HELPER_RUNTIME,
};
enum helper_type runtime_helper_type(enum runtime rt);

/* Whether a helper process of type t whose key (parse_helper) is key
 * serves the guest of runtime rt with this id. */
bool runtime_helper_serves(enum runtime rt, enum helper_type t, const char *key, const char *id);

/* Whether path (a process's cgroup) lies in the guest of runtime rt
 * whose measured cgroup is cgroup (its payload child, where it has one). */
bool runtime_owns_cgroup(enum runtime rt, const char *cgroup, const char *path);

/* Whether ifname is one of the host-side interfaces the runtime names
 * after the guest (netif: "tap{id}i{n}" takes tap100i0 for guest 100,
 * never fwbr100i0 nor tap1000i0). */
bool runtime_netif_match(enum runtime rt, const char *ifname, const char *id);

/* The name of a guest that no source named (malloc'd): "qemu-1234",
 * the first 12 of a container id, the id. */
char *runtime_fallback_name(enum runtime rt, const char *id);

#endif
