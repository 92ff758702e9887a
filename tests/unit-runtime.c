/* The runtime table: every entry complete, names that records hold,
 * helper attribution, payload cgroups and fallback names. */
#include "config.h"

#include <stdlib.h>

#include "runtime.h"
#include "sample.h"
#include "tap.h"
#include "util.h"

static void table_complete(void)
{
	/* records and JSON hold these names: they never change */
	static const char *const names[RT_COUNT] = {
		[RT_PVE_QEMU] = "proxmox-vm", [RT_PVE_LXC] = "proxmox-ct", [RT_LXC] = "lxc",
		[RT_LIBVIRT] = "libvirt", [RT_NSPAWN] = "nspawn", [RT_DOCKER] = "docker",
		[RT_PODMAN] = "podman", [RT_QEMU] = "qemu",
	};
	for (int rt = 0; rt < RT_COUNT; rt++) {
		const struct runtime_def *d = &runtimes[rt];
		CHECK(d->name && d->short_name && d->description, "runtime %d has every label", rt);
		if (!d->name || !d->short_name || !d->description)
			continue;
		CHECK_STR(runtime_name((enum runtime)rt), names[rt]);
		CHECK(strlen(d->short_name) <= 7, "%s: short name fits 7 columns", d->name);
		CHECK_INT(runtime_from_name(d->name), rt);
		CHECK(d->kind == KIND_VM || d->kind == KIND_CT, "%s: a kind", d->name);
		CHECK(!d->payload == !d->payload_helper, "%s: payload and its helper go together",
		      d->name);
		CHECK(!d->config.subdir == !d->config.key, "%s: config dir and key go together",
		      d->name);
		CHECK(!d->helper || d->cgroups[0].pattern,
		      "%s: a helper serves guests found in cgroups", d->name);
	}
	CHECK_STR(runtime_short(RT_PVE_QEMU), "pve-vm");
	CHECK_STR(runtime_short(RT_PVE_LXC), "pve-ct");
	CHECK_STR(runtime_name(RT_COUNT), "?");
	CHECK_INT(runtime_from_name("pve-vm"), -1);
	CHECK_INT(runtime_kind(RT_LIBVIRT), KIND_VM);
	CHECK_INT(runtime_kind(RT_NSPAWN), KIND_CT);
	CHECK_STR(kind_name(KIND_VM), "vm");
}

static void helpers(void)
{
	const char *d = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	enum helper_type shim = runtime_helper_type(RT_DOCKER), conmon = runtime_helper_type(RT_PODMAN);
	enum helper_type monitor = runtime_helper_type(RT_LXC);
	CHECK(shim != HELPER_NONE && conmon != HELPER_NONE && monitor != HELPER_NONE, "helpers");
	CHECK(shim != conmon && shim != monitor && conmon != monitor, "three helpers");
	CHECK_INT(runtime_helper_type(RT_PVE_LXC), monitor);
	CHECK_INT(runtime_helper_type(RT_QEMU), HELPER_NONE);
	CHECK_INT(runtime_helper_type(RT_COUNT), HELPER_NONE);
	CHECK(runtime_helper_serves(RT_DOCKER, shim, d, d), "shim -id is the container id");
	CHECK(runtime_helper_serves(RT_PODMAN, conmon, d, d), "conmon -c is the container id");
	CHECK(!runtime_helper_serves(RT_DOCKER, conmon, d, d), "conmon serves no Docker");
	CHECK(!runtime_helper_serves(RT_DOCKER, shim, "fedcba9876543210", d),
	      "another container's shim");
	CHECK(runtime_helper_serves(RT_LXC, monitor, "web", "web"), "lxc monitor by name");
	CHECK(runtime_helper_serves(RT_PVE_LXC, monitor, "101", "101"), "pve monitor by vmid");
	CHECK(!runtime_helper_serves(RT_LXC, monitor, "web2", "web"),
	      "lxc monitor names match whole");
	CHECK(!runtime_helper_serves(RT_NSPAWN, HELPER_NONE, "x", "x"), "nothing is HELPER_NONE's");
	CHECK(!runtime_helper_serves(RT_QEMU, shim, "1", "1"), "QEMU has no helper process");
	CHECK(!runtime_helper_serves(RT_COUNT, shim, d, d), "no runtime, no helper");
}

static void payloads(void)
{
	const char *ns = "/machine.slice/machine-build.scope";
	const char *pl = "/machine.slice/machine-build.scope/payload";
	CHECK(runtime_owns_cgroup(RT_NSPAWN, pl, "/machine.slice/machine-build.scope/supervisor"),
	      "nspawn: the scope's processes are the guest's");
	CHECK(runtime_owns_cgroup(RT_NSPAWN, pl, ns), "nspawn: the scope itself");
	CHECK(runtime_owns_cgroup(RT_NSPAWN, ns, "/machine.slice/machine-build.scope/x"),
	      "below the cgroup");
	CHECK(!runtime_owns_cgroup(RT_NSPAWN, pl, "/machine.slice/machine-buildx.scope"),
	      "a sibling whose name starts alike");
	CHECK(!runtime_owns_cgroup(RT_DOCKER, "/docker/abc/payload", "/docker/abc"),
	      "only a runtime with a payload child");
	CHECK(!runtime_owns_cgroup(RT_QEMU, NULL, "/"), "no cgroup owns nothing");
}

static void fallback(void)
{
	char *n = runtime_fallback_name(RT_QEMU, "1234");
	CHECK_STR(n, "qemu-1234");
	free(n);
	n = runtime_fallback_name(RT_DOCKER, "0123456789abcdef");
	CHECK_STR(n, "0123456789ab");
	free(n);
	n = runtime_fallback_name(RT_PODMAN, "abc");
	CHECK_STR(n, "abc");
	free(n);
	n = runtime_fallback_name(RT_PVE_QEMU, "100");
	CHECK_STR(n, "100");
	free(n);
}

static bool id_of(const char *form, const char *key, const char *id, const char *name)
{
	char i[16] = "", n[16] = "";
	if (!runtime_parse_id(form, strlen(form), key, strlen(key), i, sizeof(i), n, sizeof(n)))
		return !id;
	return id && !strcmp(i, id) && !strcmp(n, name);
}

/* The id syntaxes of cgroup patterns ({digits}, ...). */
static void ids(void)
{
	CHECK(id_of("digits", "100", "100", "100"), "a vmid");
	CHECK(id_of("digits", "10a", NULL, NULL), "not a vmid");
	CHECK(id_of("hex", "0123456789ab", "0123456789ab", "0123456789ab"), "a short container id");
	CHECK(id_of("hex", "0123456789a", NULL, NULL), "too short for a container id");
	CHECK(id_of("hex", "0123456789ag", NULL, NULL), "not hex");
	CHECK(id_of("text", "web", "web", "web"), "text as it is");
	CHECK(id_of("text", "", NULL, NULL), "an empty key names no guest");
	CHECK(id_of("escaped", "build\\x2dbox", "build-box", "build-box"), "systemd escape");
	CHECK(id_of("libvirt", "qemu\\x2d3\\x2dweb", "3", "web"), "libvirt N-name");
	CHECK(id_of("libvirt", "qemu-12-a", "12", "a"), "libvirt without systemd");
	CHECK(id_of("libvirt", "db", "db", "db"), "libvirt, old name");
	CHECK(id_of("text", "a-rather-long-name", "a-rather-long-n", "a-rather-long-n"), "cut to fit");
	CHECK(id_of("nosuch", "1", NULL, NULL), "an unknown syntax takes nothing");
	CHECK(id_of("dig", "1", NULL, NULL), "a syntax by its whole name");
}

/* Proxmox's own objects, so that its dashboards take vtax's series. */
static void exports(void)
{
	CHECK_STR(runtime_export_object(RT_PVE_QEMU), "qemu");
	CHECK_STR(runtime_export_object(RT_PVE_LXC), "lxc");
	CHECK_STR(runtime_export_object(RT_DOCKER), "docker");
	CHECK_STR(runtime_export_object(RT_QEMU), "qemu");
	CHECK_STR(runtime_export_object(RT_COUNT), "?");
}

static void expand(void)
{
	char out[64];
	runtime_expand(out, sizeof(out), "{parent}/lxc.monitor.{id}", "/a/b/lxc.payload.x", 4, "x");
	CHECK_STR(out, "/a/b/lxc.monitor.x");
	runtime_expand(out, sizeof(out), "/lxc.monitor/{id}", "", 0, "101");
	CHECK_STR(out, "/lxc.monitor/101");
	runtime_expand(out, 8, "{parent}/libpod-conmon-{id}.scope", "/m", 2, "abc");
	CHECK_STR(out, "/m/libp");
}

static int cmp(enum runtime ra, const char *ia, enum runtime rb, const char *ib)
{
	struct guest_sample a, b;
	guest_sample_init(&a);
	guest_sample_init(&b);
	a.runtime = ra;
	a.id = (char *)(uintptr_t)ia;
	b.runtime = rb;
	b.id = (char *)(uintptr_t)ib;
	int r = guest_sample_cmp(&a, &b);
	return (r > 0) - (r < 0);
}

static void identity(void)
{
	CHECK_INT(cmp(RT_QEMU, "5", RT_PVE_LXC, "1"), -1);      /* VMs first */
	CHECK_INT(cmp(RT_PVE_QEMU, "9", RT_LIBVIRT, "1"), -1);  /* then by runtime */
	CHECK_INT(cmp(RT_PVE_QEMU, "99", RT_PVE_QEMU, "100"), -1); /* numeric ids by value */
	CHECK_INT(cmp(RT_PVE_QEMU, "100", RT_PVE_QEMU, "99"), 1);
	CHECK_INT(cmp(RT_LXC, "b", RT_LXC, "ab"), 1);           /* others by bytes */
	CHECK_INT(cmp(RT_LXC, "web", RT_LXC, "web"), 0);
	struct guest_sample g;
	guest_sample_init(&g);
	g.runtime = RT_DOCKER;
	g.id = (char *)(uintptr_t)"0123456789abcdef";
	char key[200];
	guest_sample_key(&g, key, sizeof(key));
	CHECK_STR(key, "docker/0123456789abcdef");
	char longid[300];
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	g.id = longid;
	guest_sample_key(&g, key, sizeof(key));
	CHECK_INT(strlen(key), strlen("docker/") + 180);
}

/* Proxmox's interface names: the VM's taps and the container's veths,
 * never the firewall's devices (the same bytes again) nor another
 * guest's whose id starts the same. */
static void netifs(void)
{
	CHECK(runtime_netif_match(RT_PVE_QEMU, "tap100i0", "100"), "tap100i0");
	CHECK(runtime_netif_match(RT_PVE_QEMU, "tap100i12", "100"), "tap100i12");
	CHECK(!runtime_netif_match(RT_PVE_QEMU, "fwbr100i0", "100"), "firewall bridge");
	CHECK(!runtime_netif_match(RT_PVE_QEMU, "fwln100i0", "100"), "firewall link");
	CHECK(!runtime_netif_match(RT_PVE_QEMU, "fwpr100p0", "100"), "firewall port");
	CHECK(!runtime_netif_match(RT_PVE_QEMU, "tap1000i0", "100"), "another vm");
	CHECK(!runtime_netif_match(RT_PVE_QEMU, "tap100i", "100"), "no index");
	CHECK(!runtime_netif_match(RT_PVE_QEMU, "tap100i0x", "100"), "trailing text");
	CHECK(!runtime_netif_match(RT_PVE_QEMU, "veth100i0", "100"), "a CT's name");
	CHECK(runtime_netif_match(RT_PVE_LXC, "veth101i0", "101"), "veth101i0");
	CHECK(!runtime_netif_match(RT_PVE_LXC, "veth101i0", "10"), "not CT 10");
	CHECK(!runtime_netif_match(RT_DOCKER, "veth101i0", "101"), "docker names none");
	CHECK(!runtime_netif_match(RT_PVE_QEMU, "tap0", ""), "empty id");
}

int main(void)
{
	identity();
	table_complete();
	helpers();
	payloads();
	netifs();
	fallback();
	expand();
	exports();
	ids();
	return t_done("unit-runtime");
}
