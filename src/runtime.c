/* The runtime table, and the small rules that read it: names, helper
 * processes and their attribution, payload cgroups, fallback names,
 * export names, and the id syntaxes of cgroup patterns. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "runtime.h"
#include "util.h"

static const char *docker_option(const struct agent_opts *o)
{
	return o->docker_sock;
}

static const char *podman_option(const struct agent_opts *o)
{
	return o->podman_sock;
}

/* Helper processes; runtimes point at theirs. */
static const struct helper_proc lxc_monitor = {
	/* "[lxc monitor] /var/lib/lxc NAME" as one argv string */
	.comm = "lxc", .title = "[lxc monitor] ", .match = MATCH_EXACT,
};
static const struct helper_proc containerd_shim = {
	/* containerd-shim-runc-v2 -namespace moby -id ID -address ... */
	.comm = "containerd-shim", .argv0 = "containerd-shim*", .flag = "-id",
	.match = MATCH_PREFIX,
};
static const struct helper_proc conmon = {
	.comm = "conmon", .argv0 = "conmon", .flag = "-c", .match = MATCH_PREFIX,
};

const struct runtime_def runtimes[] = {
	[RT_PVE_QEMU] = {
		.name = "proxmox-vm", .short_name = "pve-vm", .kind = KIND_VM,
		.description = "Proxmox VE virtual machine (/qemu.slice/VMID.scope)",
		.cgroups = {{"qemu.slice/{digits}.scope", NULL}},
		.config = {"qemu-server", "name"},
		.qemu_name = true,
		.netif = {"tap{id}i{n}"},
		.export_object = "qemu",
		.qmp_sock = "/var/run/qemu-server/{id}.qmp",
		.qga_sock = "/var/run/qemu-server/{id}.qga",
	},
	[RT_PVE_LXC] = {
		.name = "proxmox-ct", .short_name = "pve-ct", .kind = KIND_CT,
		.description = "Proxmox VE container (/lxc/VMID)",
		.cgroups = {{"/lxc/{digits}", "/lxc.monitor/{id}"}},
		.helper_cgroups = {"/lxc.monitor/*"},
		.helper = &lxc_monitor,
		.config = {"lxc", "hostname"},
		.netif = {"veth{id}i{n}"},
		.export_object = "lxc",
	},
	[RT_LXC] = {
		.name = "lxc", .short_name = "lxc", .kind = KIND_CT,
		.description = "LXC, LXD or Incus container (lxc.payload.NAME, legacy /lxc/NAME)",
		.cgroups = {{"/lxc/{text}", NULL}, {"lxc.payload.{text}", "{parent}/lxc.monitor.{id}"}},
		.helper_cgroups = {"lxc.monitor*"},
		.helper = &lxc_monitor,
	},
	[RT_LIBVIRT] = {
		.name = "libvirt", .short_name = "libvirt", .kind = KIND_VM,
		.description = "libvirt QEMU domain (machine-qemu-N-NAME.scope, "
			       "machine/qemu-N-NAME.libvirt-qemu)",
		/* the second: libvirtd without systemd (older ones: NAME.libvirt-qemu) */
		.cgroups = {{"machine-qemu\\x2d{libvirt}.scope", NULL}, {"{libvirt}.libvirt-qemu", NULL}},
		.cgroup_names = true,
		.qemu_name = true,
		.libvirt_api = true,
	},
	[RT_NSPAWN] = {
		.name = "nspawn", .short_name = "nspawn", .kind = KIND_CT,
		.description = "systemd-nspawn container (machine.slice/machine-NAME.scope)",
		.cgroups = {{"machine.slice/machine-{escaped}.scope", NULL}},
		.cgroup_names = true,
		.helper_cgroups = {"supervisor"},
		.payload = "payload", .payload_helper = "supervisor",
	},
	[RT_DOCKER] = {
		.name = "docker", .short_name = "docker", .kind = KIND_CT,
		.description = "Docker container (docker-ID.scope, /docker/ID)",
		.cgroups = {{"docker-{hex}.scope", NULL}, {"docker/{hex}", NULL}},
		.helper = &containerd_shim,
		.api = {API_ENGINE, "/containers/json", "/var/run/docker.sock", "DOCKER_HOST",
			docker_option},
		.fallback = {"", 12},
	},
	[RT_PODMAN] = {
		.name = "podman", .short_name = "podman", .kind = KIND_CT,
		.description = "Podman container (libpod-ID.scope, libpod_parent/libpod-ID)",
		.cgroups = {{"libpod-{hex}.scope", "{parent}/libpod-conmon-{id}.scope"},
			    {"libpod-{hex}", NULL}},
		.helper_cgroups = {"libpod-conmon-*"},
		.helper = &conmon,
		/* its Docker-compatible API: the same reply as Docker's */
		.api = {API_ENGINE, "/containers/json", "/run/podman/podman.sock", NULL, podman_option},
		.fallback = {"", 12},
	},
	[RT_QEMU] = {
		.name = "qemu", .short_name = "qemu", .kind = KIND_VM,
		.description = "QEMU process in no runtime's cgroup (id: its pid)",
		.qemu_name = true,
		.fallback = {"qemu-", 0},
	},
};
/* No size assertion: declared [RT_COUNT] in runtime.h, the table always
 * has that size, and a forgotten entry is zeros that no compiler sees.
 * tests/unit-runtime.c (runtime_complete) walks every entry instead. */

const char *runtime_name(enum runtime rt)
{
	return (unsigned)rt < RT_COUNT ? runtimes[rt].name : "?";
}

const char *runtime_short(enum runtime rt)
{
	return (unsigned)rt < RT_COUNT ? runtimes[rt].short_name : "?";
}

int runtime_from_name(const char *s)
{
	for (int i = 0; i < RT_COUNT; i++)
		if (!strcmp(runtimes[i].name, s))
			return i;
	return -1;
}

enum guest_kind runtime_kind(enum runtime rt)
{
	return (unsigned)rt < RT_COUNT ? runtimes[rt].kind : KIND_CT;
}

const char *runtime_export_object(enum runtime rt)
{
	if ((unsigned)rt < RT_COUNT && runtimes[rt].export_object)
		return runtimes[rt].export_object;
	return runtime_name(rt);
}

const char *kind_name(enum guest_kind k)
{
	return k == KIND_VM ? "vm" : "container";
}

void runtime_expand(char *out, size_t sz, const char *tmpl, const char *parent, size_t plen,
		    const char *id)
{
	size_t o = 0;
	for (const char *t = tmpl; *t;) {
		const char *s = t;
		size_t n = 1;
		if (!strncmp(t, "{parent}", 8)) {
			s = parent;
			n = plen;
			t += 8;
		} else if (!strncmp(t, "{id}", 4)) {
			s = id;
			n = strlen(id);
			t += 4;
		} else {
			t++;
		}
		for (size_t i = 0; i < n && o + 1 < sz; i++)
			out[o++] = s[i];
	}
	if (sz)
		out[o] = '\0';
}

enum helper_type runtime_helper_type(enum runtime rt)
{
	if ((unsigned)rt >= RT_COUNT || !runtimes[rt].helper)
		return HELPER_NONE;
	/* the first runtime with this helper speaks for all that share it */
	int first = 0;
	while (runtimes[first].helper != runtimes[rt].helper)
		first++;
	return (enum helper_type)(HELPER_RUNTIME + first);
}

bool runtime_helper_serves(enum runtime rt, enum helper_type t, const char *key, const char *id)
{
	if (t == HELPER_NONE || runtime_helper_type(rt) != t)
		return false;
	if (runtimes[rt].helper->match == MATCH_PREFIX)
		return !strncmp(id, key, strlen(id));
	return !strcmp(id, key);
}

/* Whether path equals prefix (its first n bytes) or lies below it. */
static bool under_n(const char *path, const char *prefix, size_t n)
{
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

bool runtime_owns_cgroup(enum runtime rt, const char *cgroup, const char *path)
{
	if (!cgroup)
		return false;
	if (under_n(path, cgroup, strlen(cgroup)))
		return true;
	/* a payload child is measured; the processes of the whole are the guest's */
	const char *payload = (unsigned)rt < RT_COUNT ? runtimes[rt].payload : NULL;
	const char *slash = strrchr(cgroup, '/');
	if (!payload || !slash || strcmp(slash + 1, payload))
		return false;
	return under_n(path, cgroup, (size_t)(slash - cgroup));
}

char *runtime_fallback_name(enum runtime rt, const char *id)
{
	const char *prefix = "";
	int len = 0;
	if ((unsigned)rt < RT_COUNT) {
		prefix = runtimes[rt].fallback.prefix ? runtimes[rt].fallback.prefix : "";
		len = runtimes[rt].fallback.len;
	}
	return xasprintf("%s%.*s", prefix, len > 0 ? len : INT_MAX, id);
}

/* ifname against one template: text, "{id}" (the id), "{n}" (digits). */
static bool netif_match(const char *t, const char *ifname, const char *id)
{
	const char *p = ifname;
	while (*t) {
		if (!strncmp(t, "{id}", 4)) {
			size_t n = strlen(id);
			if (!n || strncmp(p, id, n))
				return false;
			p += n;
			t += 4;
		} else if (!strncmp(t, "{n}", 3)) {
			if (!isdigit((unsigned char)*p))
				return false;
			while (isdigit((unsigned char)*p))
				p++;
			t += 3;
		} else if (*t++ != *p++) {
			return false;
		}
	}
	return !*p;
}

bool runtime_netif_match(enum runtime rt, const char *ifname, const char *id)
{
	if ((unsigned)rt >= RT_COUNT)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(runtimes[rt].netif); i++)
		if (runtimes[rt].netif[i] && netif_match(runtimes[rt].netif[i], ifname, id))
			return true;
	return false;
}

/* Id syntaxes: the {KEY} of a cgroup pattern. */

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static void set(char *dst, size_t sz, const char *s, size_t n)
{
	if (n >= sz)
		n = sz - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* What a cgroup name's key gives: the guest's id and display name. */
struct key_out {
	char *id;
	size_t idsz;
	char *name;
	size_t namesz;
};

/* The key as it is, for both. */
static bool take_text(const char *k, size_t kl, const struct key_out *o)
{
	set(o->id, o->idsz, k, kl);
	set(o->name, o->namesz, k, kl);
	return true;
}

static bool take_digits(const char *k, size_t kl, const struct key_out *o)
{
	return all_digits(k, kl) && take_text(k, kl, o);
}

/* a container id: Docker's and Podman's are 64, short forms 12 */
static bool take_hex(const char *k, size_t kl, const struct key_out *o)
{
	if (kl < 12 || kl > 64)
		return false;
	for (size_t i = 0; i < kl; i++)
		if (!isxdigit((unsigned char)k[i]))
			return false;
	return take_text(k, kl, o);
}

static bool take_escaped(const char *k, size_t kl, const struct key_out *o)
{
	cg_unescape(k, kl, o->id, o->idsz);
	str_copy(o->name, o->namesz, o->id);
	return true;
}

/* libvirt's "N-name": the domain id N, its name the rest */
static bool take_libvirt(const char *k, size_t kl, const struct key_out *o)
{
	char unb[256], *un = unb;
	cg_unescape(k, kl, unb, sizeof(unb));
	/* without systemd libvirtd makes "qemu-N-name.libvirt-qemu" */
	if (!strncmp(un, "qemu-", 5) && un[5] >= '0' && un[5] <= '9')
		un += 5;
	char *dash = strchr(un, '-');
	if (dash && all_digits(un, (size_t)(dash - un))) {
		set(o->id, o->idsz, un, (size_t)(dash - un));
		str_copy(o->name, o->namesz, dash + 1);
	} else {
		str_copy(o->id, o->idsz, un);
		str_copy(o->name, o->namesz, un);
	}
	return true;
}

static const struct id_syntax {
	const char *form;          /* the {KEY} of a cgroup pattern */
	bool (*take)(const char *k, size_t kl, const struct key_out *o);
} id_syntaxes[] = {
	{"digits", take_digits},
	{"hex", take_hex},
	{"text", take_text},
	{"escaped", take_escaped},
	{"libvirt", take_libvirt},
};

bool runtime_parse_id(const char *form, size_t fl, const char *key, size_t kl, char *id,
		      size_t idsz, char *name, size_t namesz)
{
	if (!kl || !idsz || !namesz)
		return false;
	const struct key_out o = {id, idsz, name, namesz};
	for (size_t i = 0; i < ARRAY_SIZE(id_syntaxes); i++)
		if (strlen(id_syntaxes[i].form) == fl && !strncmp(form, id_syntaxes[i].form, fl))
			return id_syntaxes[i].take(key, kl, &o);
	return false;
}
