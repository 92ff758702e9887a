/* The runtime and column tables, the two the views walk: every entry
 * complete (a forgotten one is zeros, which no compiler catches), names
 * that records hold, helper attribution, payload cgroups, fallback
 * names, id syntaxes and export names. */
#include "config.h"

#include <stdlib.h>
#include <strings.h>

#include "columns.h"
#include "discover.h"
#include "runtime.h"
#include "sample.h"
#include "tap.h"
#include "util.h"

static bool filled(const char *s)
{
	return s && *s;
}

/* Whether every "{...}" in a template is one of the allowed names. */
static bool placeholders(const char *t, const char *const *allowed)
{
	for (const char *o = strchr(t, '{'); o; o = strchr(o + 1, '{')) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strncmp(o, *a, strlen(*a));
		if (!ok)
			return false;
	}
	return true;
}

/* A key of each id syntax, for a path that the pattern must find. */
static const char *sample_key(const char *form, size_t fl)
{
	static const char *const keys[][2] = {
		{"digits", "100"},
		{"hex", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"text", "web"},
		{"escaped", "build\\x2dbox"},
		{"libvirt", "1\\x2dweb"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strlen(keys[i][0]) == fl && !strncmp(form, keys[i][0], fl))
			return keys[i][1];
	return NULL;
}

/* A cgroup rule: a pattern with one known id syntax, which finds a path
 * made from it for this runtime (not an earlier one), and a helper
 * template that fills in only what it can. */
static void rule_complete(enum runtime rt, const struct cg_rule *r)
{
	const char *name = runtimes[rt].name, *p = r->pattern;
	const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
	CHECK(close && !strchr(close, '{'), "%s: \"%s\" has one {KEY}", name, p);
	if (!close)
		return;
	size_t fl = (size_t)(close - open - 1);
	const char *key = sample_key(open + 1, fl);
	CHECK(key && runtime_parse_id(open + 1, fl, key, strlen(key), (char[128]){0}, 128,
				      (char[256]){0}, 256),
	      "%s: \"%s\": an id syntax runtime_parse_id() knows (and a sample key here)", name, p);
	if (!key)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s%.*s%s%s", *p == '/' ? "" : "/", (int)(open - p), p, key,
		 close + 1);
	struct guest_match m;
	CHECK(discover_classify(path, &m) && m.rt == rt, "%s: %s is found as its guest (got %s)",
	      name, path, runtime_name(m.rt));
	static const char *const fills[] = {"{parent}", "{id}", NULL};
	CHECK(!r->helper || placeholders(r->helper, fills), "%s: helper cgroup \"%s\"", name,
	      r->helper);
}

static void runtime_complete(enum runtime rt)
{
	const struct runtime_def *d = &runtimes[rt];
	CHECK(strlen(d->short_name) <= 7, "%s: short name fits 7 columns", d->name);
	CHECK_INT(runtime_from_name(d->name), rt);
	for (int o = 0; o < (int)rt; o++)
		CHECK(!runtimes[o].short_name || strcmp(runtimes[o].short_name, d->short_name),
		      "%s: short name taken by %s", d->name, runtimes[o].name);
	CHECK(d->kind == KIND_VM || d->kind == KIND_CT, "%s: a kind", d->name);

	/* found by a cgroup pattern; QEMU processes outside every guest's
	 * cgroup are the one exception (collect-procs.c) */
	CHECK(d->cgroups[0].pattern || rt == RT_QEMU, "%s: a cgroup pattern", d->name);
	for (size_t i = 0; i < ARRAY_SIZE(d->cgroups); i++) {
		if (!d->cgroups[i].pattern) {
			CHECK(!d->cgroups[i].helper, "%s: a helper cgroup without a pattern", d->name);
			continue;
		}
		CHECK(i == 0 || d->cgroups[i - 1].pattern, "%s: rules without a gap", d->name);
		rule_complete(rt, &d->cgroups[i]);
	}
	CHECK(!d->payload == !d->payload_helper, "%s: payload and its helper go together",
	      d->name);
	CHECK(!d->config.subdir == !d->config.key, "%s: config dir and key go together", d->name);

	const struct helper_proc *h = d->helper;
	if (h) {
		CHECK(d->cgroups[0].pattern, "%s: a helper serves guests found in cgroups", d->name);
		CHECK(filled(h->comm), "%s: its helper's comm", d->name);
		CHECK(!h->argv0 != !h->title, "%s: its helper by argv[0] or by title", d->name);
		CHECK(!h->argv0 == !h->flag, "%s: its helper's argv[0] and option go together",
		      d->name);
		CHECK(runtime_helper_type(rt) != HELPER_NONE, "%s: a helper type", d->name);
	}

	bool api = d->api.kind != API_NONE;
	CHECK(api == (d->api.sock != NULL), "%s: an API has a socket, a socket an API", d->name);
	CHECK(!api || (d->api.path && d->api.path[0] == '/'), "%s: what to ask its API", d->name);
	CHECK(api || (!d->api.env && !d->api.option), "%s: socket settings without an API",
	      d->name);

	CHECK(d->fallback.len >= 0, "%s: fallback length", d->name);
	static const char *const netfills[] = {"{id}", "{n}", NULL};
	for (size_t i = 0; i < ARRAY_SIZE(d->netif); i++)
		CHECK(!d->netif[i] || (strstr(d->netif[i], "{id}") &&
				       placeholders(d->netif[i], netfills)),
		      "%s: interface names \"%s\" hold the id", d->name, d->netif[i]);
	CHECK(!d->export_object || filled(d->export_object), "%s: export object", d->name);
}

/* False when an entry lacks its labels: the rest of the tests (and
 * runtime_from_name(), which every entry check calls) would crash on it. */
static bool table_complete(void)
{
	/* records and JSON hold these names: they never change */
	static const char *const names[RT_COUNT] = {
		[RT_PVE_QEMU] = "proxmox-vm", [RT_PVE_LXC] = "proxmox-ct", [RT_LXC] = "lxc",
		[RT_LIBVIRT] = "libvirt", [RT_NSPAWN] = "nspawn", [RT_DOCKER] = "docker",
		[RT_PODMAN] = "podman", [RT_QEMU] = "qemu",
	};
	bool labelled = true;
	for (int rt = 0; rt < RT_COUNT; rt++) {
		const struct runtime_def *d = &runtimes[rt];
		CHECK_STR(runtime_name((enum runtime)rt), names[rt]);
		CHECK(filled(d->name) && filled(d->short_name) && filled(d->description),
		      "runtime %d (%s) has a name, a short name and a description", rt, names[rt]);
		labelled = labelled && filled(d->name) && filled(d->short_name) &&
			   filled(d->description);
	}
	if (!labelled)
		return false;
	for (int rt = 0; rt < RT_COUNT; rt++)
		runtime_complete((enum runtime)rt);
	CHECK_STR(runtime_short(RT_PVE_QEMU), "pve-vm");
	CHECK_STR(runtime_short(RT_PVE_LXC), "pve-ct");
	CHECK_STR(runtime_name(RT_COUNT), "?");
	CHECK_INT(runtime_from_name("pve-vm"), -1);
	CHECK_INT(runtime_kind(RT_LIBVIRT), KIND_VM);
	CHECK_INT(runtime_kind(RT_NSPAWN), KIND_CT);
	CHECK_STR(kind_name(KIND_VM), "vm");
	return true;
}

/* Whether JSON path a is b, or holds it ("mem" holds "mem.host"): the
 * two cannot both be values. */
static bool path_clash(const char *a, const char *b)
{
	size_t n = strlen(a);
	return !strncmp(a, b, n) && (b[n] == '\0' || b[n] == '.');
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

enum clash { CLASH_JSON, CLASH_EXPORT, CLASH_NAME };

/* An earlier column that c clashes with that way, or -1. */
static int clash(int c, enum clash how)
{
	const struct column *a = &columns[c];
	for (int o = 0; o < c; o++) {
		const struct column *b = &columns[o];
		if ((how == CLASH_JSON && b->json &&
		     (path_clash(a->json, b->json) || path_clash(b->json, a->json))) ||
		    (how == CLASH_EXPORT && (same(a->prom, b->prom) || same(a->influx, b->influx))) ||
		    (how == CLASH_NAME && (same(a->name, b->name) || same(a->title, b->title) ||
					   same(a->name, b->title) || same(a->title, b->name))))
			return o;
	}
	return -1;
}

/* The column table: each entry has a JSON path that no other one
 * clashes with and a value to give; a table column has a name, title
 * and help, and neither name nor title is another's (column_find()
 * takes both). */
static void columns_complete(void)
{
	for (int c = 0; c < COL_COUNT; c++) {
		const struct column *col = &columns[c];
		CHECK(filled(col->json), "column %d: a JSON path", c);
		if (!filled(col->json))
			continue;
		const char *j = col->json;
		CHECK(col->unit == UNIT_TEXT ? col->text || col->json_fn : col->off > 0,
		      "%s: a value (a text function, or a number's field)", j);
		CHECK(col->decimals >= 0 && col->wide >= 0, "%s: decimals, wide order", j);
		int o = clash(c, CLASH_JSON);
		CHECK(o < 0, "%s: JSON path clashes with column %d's", j, o);
		o = clash(c, CLASH_EXPORT);
		CHECK(o < 0, "%s: exported under column %d's name", j, o);
		o = clash(c, CLASH_NAME);
		CHECK(o < 0, "%s: name or title taken by column %d", j, o);
		CHECK(!col->name == !col->title, "%s: a name and a title, or neither", j);
		if (!column_is_table(c)) {
			CHECK(!col->def && !col->prio && !col->wide, "%s: JSON only, never shown", j);
			continue;
		}
		CHECK(filled(col->name) && filled(col->title) && filled(col->help),
		      "%s: a table column has a name, a title and help", j);
		CHECK(col->unit != UNIT_TEXT || col->text, "%s: a text cell", j);
		CHECK(col->width > 0 && col->prio > 0, "%s: a width and a priority", j);
	}
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
	columns_complete();
	if (!table_complete())
		return t_done("unit-runtime");
	identity();
	helpers();
	payloads();
	netifs();
	fallback();
	expand();
	exports();
	ids();
	return t_done("unit-runtime");
}
