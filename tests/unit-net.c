/* The rtnetlink link dump and /proc/PID/net/dev parsers on buffers made
 * here, and one real dump of this host's interfaces. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "net.h"
#include "tap.h"

static char buf[4096] __attribute__((aligned(4)));

static size_t put_attr(char *at, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(void *)at;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	return RTA_SPACE(len);
}

/* One RTM_NEWLINK message at off; returns its aligned length. */
static size_t link_msg(size_t off, int ifindex, const char *name, int peer, int nsid,
		       uint64_t rx, uint64_t tx)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(void *)(buf + off);
	memset(h, 0, 1024);
	h->nlmsg_type = RTM_NEWLINK;
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	ifi->ifi_index = ifindex;
	size_t len = NLMSG_LENGTH(sizeof(*ifi));
	char *at = (char *)h + NLMSG_ALIGN(len);
	at += put_attr(at, IFLA_IFNAME, name, strlen(name) + 1);
	if (peer)
		at += put_attr(at, IFLA_LINK, &peer, sizeof(peer));
	if (nsid >= 0)
		at += put_attr(at, IFLA_LINK_NETNSID, &nsid, sizeof(nsid));
	struct rtnl_link_stats64 st = {.rx_bytes = rx, .tx_bytes = tx, .rx_packets = 3,
				       .tx_packets = 4, .rx_dropped = 5, .tx_errors = 6};
	at += put_attr(at, IFLA_STATS64, &st, sizeof(st));
	h->nlmsg_len = (uint32_t)(at - (char *)h);
	return NLMSG_ALIGN(h->nlmsg_len);
}

static void parse_links(void)
{
	struct net_links l = {0};
	size_t off = link_msg(0, 7, "veth0a", 2, 3, 100, 200);
	off += link_msg(off, 2, "tap100i0", 0, -1, 1ull << 40, 9);
	CHECK_INT(net_parse_links(buf, off, &l), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(l.v[0].ifindex, 7);
	CHECK_STR(l.v[0].name, "veth0a");
	CHECK_INT(l.v[0].link, 2);
	CHECK_INT(l.v[0].link_nsid, 3);
	CHECK_U64(l.v[0].rx_bytes, 100);
	CHECK_U64(l.v[0].tx_bytes, 200);
	CHECK_U64(l.v[0].rx_dropped, 5);
	CHECK_U64(l.v[0].tx_errors, 6);
	CHECK_INT(l.v[1].link_nsid, -1);
	CHECK_U64(l.v[1].rx_bytes, 1ull << 40);
	/* the end of the dump */
	struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;
	h->nlmsg_type = NLMSG_DONE;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	CHECK_INT(net_parse_links(buf, NLMSG_ALIGN(h->nlmsg_len), &l), 1);
	/* a cut message is refused, not read past */
	off = link_msg(0, 9, "x", 0, -1, 1, 1);
	CHECK(net_parse_links(buf, off - 8, &l) < 0, "a cut message");
	net_links_free(&l);
}

/* RTM_NEWSTATS: the counters by ifindex, nothing else */
static void parse_stats(void)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf;
	memset(buf, 0, sizeof(buf));
	h->nlmsg_type = RTM_NEWSTATS;
	struct if_stats_msg *ifs = NLMSG_DATA(h);
	ifs->ifindex = 42;
	char *at = (char *)h + NLMSG_ALIGN(NLMSG_LENGTH(sizeof(*ifs)));
	struct rtnl_link_stats64 st = {.rx_bytes = 7000, .tx_bytes = 9000, .tx_dropped = 2};
	at += put_attr(at, IFLA_STATS_LINK_64, &st, sizeof(st));
	h->nlmsg_len = (uint32_t)(at - (char *)h);
	struct net_links l = {0};
	CHECK_INT(net_parse_links(buf, NLMSG_ALIGN(h->nlmsg_len), &l), 0);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.v[0].ifindex, 42);
	CHECK_STR(l.v[0].name, "");
	CHECK_U64(l.v[0].rx_bytes, 7000);
	CHECK_U64(l.v[0].tx_bytes, 9000);
	CHECK_U64(l.v[0].tx_dropped, 2);
	net_links_free(&l);
}

static void parse_dev(void)
{
	const char *text =
		"Inter-|   Receive                                                |  Transmit\n"
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
		"    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0\n"
		"  eth0: 5000000    4000    1    2    0     0          0         0   700000    3000    3    4    0     0       0          0\n";
	struct net_links l = {0};
	CHECK_INT(net_parse_dev(text, &l), 1);
	CHECK_STR(l.v[0].name, "eth0");
	CHECK_U64(l.v[0].rx_bytes, 5000000);
	CHECK_U64(l.v[0].rx_packets, 4000);
	CHECK_U64(l.v[0].rx_errors, 1);
	CHECK_U64(l.v[0].rx_dropped, 2);
	CHECK_U64(l.v[0].tx_bytes, 700000);
	CHECK_U64(l.v[0].tx_packets, 3000);
	CHECK_U64(l.v[0].tx_errors, 3);
	CHECK_U64(l.v[0].tx_dropped, 4);
	CHECK(net_parse_dev("nothing here\n", &l) < 0, "not net/dev");
	net_links_free(&l);
}

/* This host: the dump holds lo, sorted, and finds it by ifindex. */
static void live_dump(void)
{
	int fd = net_open();
	CHECK(fd >= 0, "rtnetlink socket: %d", fd);
	if (fd < 0)
		return;
	struct net_links l = {0};
	CHECK_INT(net_dump_links(fd, &l), 0);
	const struct net_link *lo = net_find(&l, 1);
	CHECK(lo && !strcmp(lo->name, "lo"), "lo is ifindex 1");
	for (size_t i = 1; i < l.n; i++)
		CHECK(l.v[i - 1].ifindex < l.v[i].ifindex, "sorted by ifindex");
	CHECK(!net_find(&l, 0x7fffffff), "no such interface");
	/* the counters' dump (other tests may add interfaces meanwhile) */
	struct net_links st = {0};
	CHECK_INT(net_dump_stats(fd, &st), 0);
	for (size_t i = 1; i < st.n; i++)
		CHECK(st.v[i - 1].ifindex < st.v[i].ifindex, "sorted by ifindex");
	const struct net_link *lo2 = net_find(&st, 1);
	CHECK(lo2 && lo2->rx_bytes >= lo->rx_bytes, "lo's counters only grow");
	net_links_free(&st);
	net_links_free(&l);
	close(fd);
}

int main(void)
{
	parse_links();
	parse_stats();
	parse_dev();
	live_dump();
	return t_done("unit-net");
}
