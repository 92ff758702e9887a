/* rtnetlink done by hand: one RTM_GETSTATS dump gives every interface's
 * 64-bit counters in one round trip (no sysfs file per counter, and none
 * of the per-interface attributes RTM_GETLINK makes the kernel write:
 * a quarter of the cost); an RTM_GETLINK dump gives names, peers and
 * peer namespaces when the interfaces change; RTM_GETNSID names another
 * namespace. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "net.h"
#include "util.h"

int net_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	/* a big host's dump comes in several 32 KiB reads; no need to grow */
	return fd;
}

void net_links_free(struct net_links *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static struct net_link *add_link(struct net_links *l)
{
	l->v = xgrow(l->v, l->n + 1, &l->cap, sizeof(*l->v), 64);
	struct net_link *k = &l->v[l->n++];
	memset(k, 0, sizeof(*k));
	k->link_nsid = -1;
	return k;
}

/* The next netlink message or attribute (both start with a 32-bit
 * length... of different sizes) in buf[*off, size), or NULL at the end or
 * on a length that does not fit; *off moves past it, aligned. */
static void *nl_next(const void *buf, size_t size, size_t *off, size_t hdr, size_t len)
{
	if (*off > size || size - *off < hdr || len < hdr || len > size - *off)
		return NULL;
	void *p = (char *)(uintptr_t)buf + *off;
	size_t step = (len + 3) & ~(size_t)3;
	*off += step < size - *off ? step : size - *off;
	return p;
}

static const struct nlmsghdr *next_msg(const void *buf, size_t size, size_t *off)
{
	if (*off > size || size - *off < sizeof(struct nlmsghdr))
		return NULL;
	const struct nlmsghdr *h = (const void *)((const char *)buf + *off);
	return nl_next(buf, size, off, sizeof(*h), h->nlmsg_len);
}

static const struct rtattr *next_attr(const void *buf, size_t size, size_t *off)
{
	if (*off > size || size - *off < sizeof(struct rtattr))
		return NULL;
	const struct rtattr *a = (const void *)((const char *)buf + *off);
	return nl_next(buf, size, off, sizeof(*a), a->rta_len);
}

static const void *attr_data(const struct rtattr *a)
{
	return (const char *)a + RTA_LENGTH(0);
}

static void take_stats(struct net_link *k, const void *p, size_t plen)
{
	if (plen < sizeof(struct rtnl_link_stats64))
		return;
	struct rtnl_link_stats64 st;
	memcpy(&st, p, sizeof(st));
	k->rx_bytes = st.rx_bytes;
	k->tx_bytes = st.tx_bytes;
	k->rx_packets = st.rx_packets;
	k->tx_packets = st.tx_packets;
	k->rx_dropped = st.rx_dropped;
	k->tx_dropped = st.tx_dropped;
	k->rx_errors = st.rx_errors;
	k->tx_errors = st.tx_errors;
}

/* RTM_NEWSTATS: struct if_stats_msg, then IFLA_STATS_LINK_64 (the
 * attributes of a message of len bytes, header included, at h). */
static void stats_attrs(const struct nlmsghdr *h, struct net_link *k)
{
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct if_stats_msg)));
	const struct rtattr *a;
	while ((a = next_attr(h, h->nlmsg_len, &off)))
		if (a->rta_type == IFLA_STATS_LINK_64)
			take_stats(k, attr_data(a), a->rta_len - RTA_LENGTH(0));
}

static void link_attrs(const struct nlmsghdr *h, struct net_link *k)
{
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg)));
	const struct rtattr *a;
	while ((a = next_attr(h, h->nlmsg_len, &off))) {
		size_t plen = a->rta_len - RTA_LENGTH(0);
		const void *p = attr_data(a);
		switch (a->rta_type) {
		case IFLA_IFNAME: {
			size_t n = strnlen(p, plen);
			if (n >= sizeof(k->name))
				n = sizeof(k->name) - 1;
			memcpy(k->name, p, n);
			k->name[n] = '\0';
			break;
		}
		case IFLA_LINK:
			if (plen >= sizeof(int))
				memcpy(&k->link, p, sizeof(int));
			break;
		case IFLA_LINK_NETNSID:
			if (plen >= sizeof(int))
				memcpy(&k->link_nsid, p, sizeof(int));
			break;
		case IFLA_STATS64:
			take_stats(k, p, plen);
			break;
		default:
			break;
		}
	}
}

int net_parse_links(const void *buf, size_t size, struct net_links *l)
{
	size_t off = 0;
	const struct nlmsghdr *h;
	while ((h = next_msg(buf, size, &off))) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EBADMSG;
			const struct nlmsgerr *e = (const void *)((const char *)h + NLMSG_HDRLEN);
			return e->error ? (e->error < 0 ? e->error : -e->error) : 1;
		}
		if (h->nlmsg_type == RTM_NEWSTATS) {
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct if_stats_msg)))
				return -EBADMSG;
			const struct if_stats_msg *ifs = (const void *)((const char *)h + NLMSG_HDRLEN);
			struct net_link *k = add_link(l);
			k->ifindex = (int)ifs->ifindex;
			stats_attrs(h, k);
			continue;
		}
		if (h->nlmsg_type != RTM_NEWLINK)
			continue;
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
			return -EBADMSG;
		const struct ifinfomsg *ifi = (const void *)((const char *)h + NLMSG_HDRLEN);
		struct net_link *k = add_link(l);
		k->ifindex = ifi->ifi_index;
		link_attrs(h, k);
	}
	return off < size ? -EBADMSG : 0;
}

static int cmp_link(const void *a, const void *b)
{
	const struct net_link *x = a, *y = b;
	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static int request(int fd, uint16_t type, uint16_t flags, const void *body, size_t blen)
{
	struct {
		struct nlmsghdr h;
		char body[64];
	} req;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(blen);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	req.h.nlmsg_seq = 1;
	memcpy(req.body, body, blen);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

static int dump(int fd, struct net_links *l);

int net_dump_links(int fd, struct net_links *l)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	l->n = 0;
	int r = request(fd, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	return r ? r : dump(fd, l);
}

int net_dump_stats(int fd, struct net_links *l)
{
	struct if_stats_msg ifs = {.family = AF_UNSPEC,
				   .filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64)};
	l->n = 0;
	int r = request(fd, RTM_GETSTATS, NLM_F_DUMP, &ifs, sizeof(ifs));
	return r ? r : dump(fd, l);
}

/* Read a dump's replies into l, sorted by ifindex. */
static int dump(int fd, struct net_links *l)
{
	int r;
	static char buf[32768] __attribute__((aligned(4)));
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		r = net_parse_links(buf, (size_t)n, l);
		if (r < 0)
			return r;
		if (r == 1)
			break;
	}
	qsort(l->v, l->n, sizeof(*l->v), cmp_link);
	return 0;
}

const struct net_link *net_find(const struct net_links *l, int ifindex)
{
	struct net_link key = {.ifindex = ifindex};
	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_link) : NULL;
}

int net_nsid(int fd, int nsfd)
{
	struct {
		struct rtgenmsg g;
		char pad[3];
		struct rtattr a;
		int fd;
	} __attribute__((packed)) body;
	memset(&body, 0, sizeof(body));
	body.g.rtgen_family = AF_UNSPEC;
	body.a.rta_type = NETNSA_FD;
	body.a.rta_len = RTA_LENGTH(sizeof(int));
	body.fd = nsfd;
	int r = request(fd, RTM_GETNSID, 0, &body, sizeof(body));
	if (r)
		return r;
	char buf[1024] __attribute__((aligned(4)));
	ssize_t n;
	do
		n = recv(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	size_t off = 0;
	const struct nlmsghdr *h;
	while ((h = next_msg(buf, (size_t)n, &off))) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				return -EPROTO;
			const struct nlmsgerr *e = (const void *)((const char *)h + NLMSG_HDRLEN);
			return e->error < 0 ? e->error : -EPROTO;
		}
		if (h->nlmsg_type != RTM_NEWNSID)
			continue;
		size_t aoff = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct rtgenmsg)));
		const struct rtattr *a;
		while ((a = next_attr(h, h->nlmsg_len, &aoff)))
			if (a->rta_type == NETNSA_NSID && a->rta_len >= RTA_LENGTH(sizeof(int))) {
				int id;
				memcpy(&id, attr_data(a), sizeof(id));
				return id < 0 ? -1 : id;
			}
		return -1;
	}
	return -EPROTO;
}

int net_parse_dev(const char *text, struct net_links *l)
{
	/* two header lines, then "name: rx bytes packets errs drop fifo frame
	 * compressed multicast, tx bytes packets errs drop ..." */
	const char *p = strchr(text, '\n');
	p = p ? strchr(p + 1, '\n') : NULL;
	if (!p || !strstr(text, "Receive"))
		return -EINVAL;
	int added = 0;
	for (p++; *p;) {
		const char *eol = strchr(p, '\n');
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)(ll < sizeof(line) ? ll : sizeof(line) - 1), p);
		p += ll + (eol ? 1 : 0);
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		char *name = line;
		while (*name == ' ')
			name++;
		unsigned long long v[16];
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
				      "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14],
			   &v[15]) != 16)
			continue;
		if (!strcmp(name, "lo"))
			continue;
		struct net_link *k = add_link(l);
		str_copy(k->name, sizeof(k->name), name);
		k->rx_bytes = v[0];
		k->rx_packets = v[1];
		k->rx_errors = v[2];
		k->rx_dropped = v[3];
		k->tx_bytes = v[8];
		k->tx_packets = v[9];
		k->tx_errors = v[10];
		k->tx_dropped = v[11];
		added++;
	}
	return added;
}
