/* Network: an rtnetlink reply buffer (RTM_NEWLINK, RTM_NEWSTATS, errors)
 * and /proc/PID/net/dev text. */
#include "config.h"

#include "fuzz.h"
#include "net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* netlink buffers are 4-byte aligned: an aligned copy, as recv() gives */
	uint32_t *buf = malloc(size / 4 * 4 + 4);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	struct net_links l = {0};
	net_parse_links(buf, size, &l);
	free(buf);
	char *s = fuzz_str(data, size);
	net_parse_dev(s, &l);
	net_links_free(&l);
	free(s);
	return 0;
}
