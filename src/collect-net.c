/* Each guest's network interfaces. Every refresh: one rtnetlink dump of
 * the host's interface counters (net.c). Only when the interfaces (their
 * ifindexes) or the guests changed: a dump of their names and peers, and
 * the map from guest to interfaces, from
 * the runtime's interface names (Proxmox tap100i0, veth101i0), the tun
 * fds a QEMU holds (/proc/PID/fdinfo "iff:"), and for a container the
 * host-side peers of the interfaces in its namespace (their
 * IFLA_LINK_NETNSID is the container's nsid); without a peer
 * (macvlan, ipvlan) its own /proc/PID/net/dev. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "collect-int.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = mix(h, (unsigned char)*s);
	return mix(h, 0);
}

static void free_map(struct collector *c)
{
	for (size_t i = 0; i < c->nnet; i++)
		free(c->net[i].ifidx);
	free(c->net);
	c->net = NULL;
	c->nnet = 0;
}

void collect_net_free(struct collector *c)
{
	free_map(c);
	net_links_free(&c->links);
	net_links_free(&c->stats);
	net_links_free(&c->devs);
	if (c->nl_fd >= 0)
		close(c->nl_fd);
	c->nl_fd = -1;
}

static void add_if(struct net_ent *e, int ifindex)
{
	for (size_t i = 0; i < e->nif; i++)
		if (e->ifidx[i] == ifindex)
			return;
	e->ifidx = xrealloc(e->ifidx, (e->nif + 1) * sizeof(*e->ifidx));
	e->ifidx[e->nif++] = ifindex;
}

static const struct net_link *link_by_name(const struct net_links *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

/* The taps a QEMU holds: fds on /dev/net/tun, whose fdinfo says "iff:".
 * Returns -errno when its fds cannot be listed (not root). */
static int qemu_taps(struct collector *c, uint64_t pid, struct net_ent *e)
{
	char path[64];
	snprintf(path, sizeof(path), "%llu/fd", (unsigned long long)pid);
	int dfd = openat(c->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	struct dirent *de;
	int err = 0;
	while ((de = readdir(d))) {
		char target[64];
		ssize_t n = readlinkat(dfd, de->d_name, target, sizeof(target) - 1);
		if (n < 0) {
			if (errno == EACCES || errno == EPERM)
				err = -errno;
			continue;
		}
		target[n] = '\0';
		if (strcmp(target, "/dev/net/tun"))
			continue;
		snprintf(path, sizeof(path), "%llu/fdinfo/%.20s", (unsigned long long)pid, de->d_name);
		if (read_small_at(c->proc_fd, path, &c->buf, 4096))
			continue;
		const char *iff = strstr(c->buf.s, "iff:");
		if (!iff)
			continue;
		iff += 4;
		iff += strspn(iff, " \t");
		char name[16];
		size_t len = strcspn(iff, "\n");
		snprintf(name, sizeof(name), "%.*s", (int)(len < 15 ? len : 15), iff);
		const struct net_link *k = link_by_name(&c->links, name);
		if (k)
			add_if(e, k->ifindex);
	}
	closedir(d);
	return err;
}

/* The namespace's inode of /proc/<who>/ns/net, or 0 (open fd in *fd). */
static uint64_t netns_of(struct collector *c, const char *who, int *fd)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/ns/net", who);
	*fd = openat(c->proc_fd, path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return 0;
	}
	return (uint64_t)st.st_ino;
}

/* A container: the host-side peers of its namespace's interfaces, or
 * its own /proc/PID/net/dev when none has a peer here. Its namespace is
 * that of the first of its tasks not in the host's: a runtime's helper
 * may share its cgroup (nspawn's supervisor, where the hierarchy has no
 * payload/ below the scope) and stays in the host's namespace. */
static void container_net(struct collector *c, const struct guest_sample *g, struct net_ent *e)
{
	size_t npids = 0;
	if (!g->cgroup)
		return;
	const int *pids = collect_guest_pids(c, g->cgroup, &npids);
	int fd = -1, pid = 0;
	if (!c->self_netns) {
		/* vtax never changes its namespace: looked at once */
		c->self_netns = netns_of(c, "self", &fd);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	uint64_t self = c->self_netns, ns = 0;
	bool host = false;
	for (size_t i = 0; self && i < npids && i < 64; i++) {
		char who[32];
		snprintf(who, sizeof(who), "%d", pids[i]);
		ns = netns_of(c, who, &fd);
		if (ns && ns != self) {
			pid = pids[i];
			break;
		}
		host |= ns == self;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (!pid) {
		if (host)
			e->state = NET_HOST;
		return;                     /* not root, or gone: unknown */
	}
	int nsid = net_nsid(c->nl_fd, fd);
	close(fd);
	e->state = NET_OWN;
	for (size_t i = 0; nsid >= 0 && i < c->links.n; i++)
		if (c->links.v[i].link_nsid == nsid)
			add_if(e, c->links.v[i].ifindex);
	if (!e->nif)
		e->pid = pid;
}

static void map_guest(struct collector *c, const struct guest_sample *g, struct net_ent *e)
{
	guest_sample_key(g, e->key, sizeof(e->key));
	e->birth = g->birth;
	e->state = NET_UNKNOWN;
	/* names the runtime gives its interfaces need no root */
	for (size_t i = 0; g->id && i < c->links.n; i++)
		if (runtime_netif_match(g->runtime, c->links.v[i].name, g->id))
			add_if(e, c->links.v[i].ifindex);
	if (e->nif) {
		e->state = NET_OWN;
		return;
	}
	if (runtime_kind(g->runtime) == KIND_VM) {
		/* a VM without a tap (user-mode network) has no figures here */
		if (g->main_pid && !qemu_taps(c, g->main_pid, e) && e->nif)
			e->state = NET_OWN;
		return;
	}
	container_net(c, g, e);
}

static int cmp_ent(const void *a, const void *b)
{
	const struct net_ent *x = a, *y = b;
	return strcmp(x->key, y->key);
}

static void rebuild(struct collector *c, const struct sample *s)
{
	free_map(c);
	c->net = xcalloc(s->nguests ? s->nguests : 1, sizeof(*c->net));
	c->nnet = s->nguests;
	for (size_t i = 0; i < s->nguests; i++)
		map_guest(c, &s->guests[i], &c->net[i]);
	qsort(c->net, c->nnet, sizeof(*c->net), cmp_ent);
	c->net_stale = false;
}

static struct nic_sample *add_nic(struct guest_sample *g)
{
	g->nics = xrealloc(g->nics, (g->nnics + 1) * sizeof(*g->nics));
	struct nic_sample *n = &g->nics[g->nnics++];
	memset(n, 0, sizeof(*n));
	return n;
}

/* k as the guest sees it: a host-side interface's rx is the guest's tx. */
static void fill_nic(struct nic_sample *n, const struct net_link *k, bool flip, uint64_t ifindex)
{
	str_copy(n->name, sizeof(n->name), k->name);
	n->ifindex = ifindex;
	n->rx_bytes = flip ? k->tx_bytes : k->rx_bytes;
	n->tx_bytes = flip ? k->rx_bytes : k->tx_bytes;
	n->rx_packets = flip ? k->tx_packets : k->rx_packets;
	n->tx_packets = flip ? k->rx_packets : k->tx_packets;
	n->drops = k->rx_dropped + k->tx_dropped;
	n->errors = k->rx_errors + k->tx_errors;
}

static int cmp_nic(const void *a, const void *b)
{
	return strcmp(((const struct nic_sample *)a)->name, ((const struct nic_sample *)b)->name);
}

/* Counters of one guest from its map entry. */
static void fill_guest(struct collector *c, struct guest_sample *g, const struct net_ent *e)
{
	g->net = e->state;
	if (e->state != NET_OWN)
		return;
	for (size_t i = 0; i < e->nif; i++) {
		const struct net_link *k = net_find(&c->stats, e->ifidx[i]);
		const struct net_link *named = net_find(&c->links, e->ifidx[i]);
		if (k && named) {
			struct nic_sample *n = add_nic(g);
			fill_nic(n, k, true, (uint64_t)k->ifindex);
			str_copy(n->name, sizeof(n->name), named->name);
		}
	}
	if (e->pid > 0) {
		char path[64];
		snprintf(path, sizeof(path), "%d/net/dev", e->pid);
		c->devs.n = 0;
		if (read_file_at(c->proc_fd, path, &c->buf, 1 << 20) ||
		    net_parse_dev(c->buf.s, &c->devs) < 0) {
			g->net = NET_UNKNOWN;   /* the process left: look again */
			c->net_stale = true;
			return;
		}
		/* no ifindex in net/dev: the name and the process are the identity */
		for (size_t i = 0; i < c->devs.n; i++)
			fill_nic(add_nic(g), &c->devs.v[i], false, (uint64_t)e->pid);
	}
	if (g->nnics > 1)
		qsort(g->nics, g->nnics, sizeof(*g->nics), cmp_nic);
}

void collect_net(struct collector *c, struct refresh *r)
{
	struct sample *s = r->s;
	if (c->nl_fd == -1) {
		c->nl_fd = net_open();
		if (c->nl_fd < 0)
			c->nl_fd = -2;
	}
	if (c->nl_fd < 0 || net_dump_stats(c->nl_fd, &c->stats))
		return;                     /* every guest's network unknown */
	/* an interface made again under its old name has a new ifindex */
	uint64_t lsig = 0, gsig = 0;
	for (size_t i = 0; i < c->stats.n; i++)
		lsig = mix(lsig, (uint64_t)c->stats.v[i].ifindex);
	char key[200];
	for (size_t i = 0; i < s->nguests; i++) {
		guest_sample_key(&s->guests[i], key, sizeof(key));
		gsig = mix(mix(mix_str(gsig, key), s->guests[i].birth), s->guests[i].main_pid);
	}
	gsig = mix(gsig, s->nguests);
	if (c->net_stale || !c->net || lsig != c->links_sig || gsig != c->guests_sig) {
		if (net_dump_links(c->nl_fd, &c->links))
			return;
		rebuild(c, s);
		c->links_sig = lsig;
		c->guests_sig = gsig;
	}
	for (size_t i = 0; i < s->nguests; i++) {
		struct net_ent want;
		guest_sample_key(&s->guests[i], want.key, sizeof(want.key));
		const struct net_ent *e = c->nnet ? bsearch(&want, c->net, c->nnet, sizeof(*c->net),
							    cmp_ent) : NULL;
		if (e && e->birth == s->guests[i].birth)
			fill_guest(c, &s->guests[i], e);
	}
}
