/* Network interfaces: every interface of vtax's own network namespace
 * from one rtnetlink dump per refresh (RTM_GETSTATS: counters; and
 * RTM_GETLINK when they change: name, peer and the peer's namespace
 * id), the id of another namespace
 * (RTM_GETNSID), and /proc/PID/net/dev for a namespace without a peer
 * in ours. */
#ifndef VTAX_NET_H
#define VTAX_NET_H

#include <stddef.h>
#include <stdint.h>

/* One interface, counted from the side it is on (the host's, for a tap
 * or a veth: its rx is what the guest sent). */
struct net_link {
	int ifindex;
	int link;                  /* IFLA_LINK: the peer's ifindex, 0 none */
	int link_nsid;             /* IFLA_LINK_NETNSID: the peer's namespace, -1 ours */
	char name[16];
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets; /* bytes, packets */
	uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors; /* packets */
};

/* A list of interfaces, sorted by ifindex after net_dump_links(). */
struct net_links {
	struct net_link *v;        /* owned */
	size_t n, cap;
};

/* A NETLINK_ROUTE socket; -errno on failure. */
int net_open(void);
/* Replace l with every interface of the socket's namespace. 0 or -errno. */
int net_dump_links(int fd, struct net_links *l);
/* The same with counters and ifindex only (no names, peers): the cheap
 * dump for every refresh. */
int net_dump_stats(int fd, struct net_links *l);
/* Parse the messages (RTM_NEWLINK, RTM_NEWSTATS) of one reply buffer
 * into l (appending): 1 when the
 * dump is done (NLMSG_DONE), 0 when more is to come, -errno on an error
 * message or a malformed buffer. Pure, for tests and fuzzing. */
int net_parse_links(const void *buf, size_t len, struct net_links *l);
/* The interface with this ifindex, or NULL (l sorted). */
const struct net_link *net_find(const struct net_links *l, int ifindex);
/* The id our namespace gives the namespace of nsfd (/proc/PID/ns/net):
 * >= 0, -1 when none is assigned, -errno on failure. */
int net_nsid(int fd, int nsfd);
/* Parse /proc/PID/net/dev text into l (appending; "lo" left out). Returns
 * the interfaces added, -EINVAL when the text is not that file. */
int net_parse_dev(const char *text, struct net_links *l);
void net_links_free(struct net_links *l);

#endif
