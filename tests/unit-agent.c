/* Engine API and QMP reply parsers: real-looking, malformed, hostile. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-libvirt.h"
#include "agent.h"
#include "tap.h"
#include "util.h"

struct seen {
	int n;
	char id[80], name[256];
};

static void on(void *arg, const char *id, const char *name, const char *image, const char *state)
{
	(void)image;
	(void)state;
	struct seen *s = arg;
	s->n++;
	str_copy(s->id, sizeof(s->id), id);
	str_copy(s->name, sizeof(s->name), name);
}

static int parse(const char *json, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return parse_engine_containers(json, strlen(json), on, s);
}

/* A tiny Engine API on a unix socket that counts the requests it gets. */
struct fake_api {
	int fd;
	int requests;
	const char *body;
	char line[128];               /* the first request's first line */
};

static void *serve(void *arg)
{
	struct fake_api *f = arg;
	for (;;) {
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			break;
		char req[4096];
		ssize_t got = read(c, req, sizeof(req) - 1);
		if (got > 0 && !__atomic_fetch_add(&f->requests, 1, __ATOMIC_SEQ_CST)) {
			req[got] = '\0';
			snprintf(f->line, sizeof(f->line), "%.*s", (int)strcspn(req, "\r\n"), req);
		}
		char out[1024];
		int n = snprintf(out, sizeof(out),
				 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				 strlen(f->body), f->body);
		if (write(c, out, (size_t)n) != n)
			break;
		close(c);
	}
	return NULL;
}

/* Requests the agent makes over `refreshes` refreshes that each want `id`;
 * -1 when the fake API cannot start or libcurl is missing. */
static int count_asks(const char *id, int refreshes, char *name, size_t namesz, char *line,
		      size_t linesz)
{
	char path[] = "/tmp/vtax-unit-agent-XXXXXX";
	if (!mkdtemp(path))
		return -1;
	char sock[sizeof(path) + 16];
	snprintf(sock, sizeof(sock), "%s/api.sock", path);
	struct fake_api f = {.body = "[{\"Id\":\"aaaa1111\",\"Names\":[\"/web\"]}]"};
	f.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (f.fd < 0 || bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f.fd, 8))
		return -1;
	pthread_t t;
	if (pthread_create(&t, NULL, serve, &f))
		return -1;
	struct agent_opts o = {.docker_sock = sock, .podman_sock = "/nonexistent/podman.sock"};
	struct agent *a = agent_new(&o);
	name[0] = '\0';
	for (int i = 0; i < refreshes; i++) {
		agent_begin(a);
		agent_want_container(a, RT_DOCKER, id);
		agent_commit(a);
		usleep(150000);
		agent_container_name(a, RT_DOCKER, id, name, namesz);
	}
	agent_free(a);
	shutdown(f.fd, SHUT_RDWR);
	close(f.fd);
	pthread_join(t, NULL);
	snprintf(line, linesz, "%s", f.line);
	unlink(sock);
	rmdir(path);
	return __atomic_load_n(&f.requests, __ATOMIC_SEQ_CST);
}

int main(void)
{
	struct seen s;
	CHECK_INT(parse("[{\"Id\":\"abc123\",\"Names\":[\"/web\"],\"Image\":\"nginx\",\"State\":\"running\"}]", &s), 0);
	CHECK_INT(s.n, 1);
	CHECK_STR(s.id, "abc123");
	CHECK_STR(s.name, "web");
	CHECK_INT(parse("[]", &s), 0);
	CHECK_INT(s.n, 0);
	CHECK_INT(parse("[{\"Id\":\"x\"},{\"Names\":[\"/y\"]},7,{\"Id\":\"z\",\"Names\":[]}]", &s), 0);
	CHECK_INT(s.n, 0);
	CHECK_INT(parse("{\"message\":\"page not found\"}", &s), -EINVAL);
	CHECK_INT(parse("[{\"Id\":\"a\",\"Names\":[\"/b\"]", &s), -EINVAL);
	CHECK_INT(parse("", &s), -EINVAL);
	CHECK_INT(parse("[{\"Id\":\"e\",\"Names\":[\"/\\u001b[31mred\"]}]", &s), 0);
	CHECK_STR(s.name, "\x1b[31mred"); /* kept raw here; sanitised on display */

	struct vm_facts f;
	json_object *o = json_tokener_parse(
		"{\"stats\":{\"stat-total-memory\":215814144,\"stat-available-memory\":90255360,"
		"\"stat-free-memory\":86896640,\"stat-disk-caches\":69386240,\"stat-swap-in\":-1},"
		"\"last-update\":1795000000}");
	CHECK_INT(parse_qmp_guest_stats(o, &f), 0);
	CHECK_U64(f.total, 215814144ull);
	CHECK_U64(f.avail, 90255360ull);
	CHECK_U64(f.cache, 69386240ull);
	json_object_put(o);
	o = json_tokener_parse("{\"stats\":{\"stat-total-memory\":-1},\"last-update\":0}");
	CHECK_INT(parse_qmp_guest_stats(o, &f), -ENOENT);
	json_object_put(o);
	o = json_tokener_parse("{\"stats\":{\"stat-total-memory\":1024,\"stat-available-memory\":-1},\"last-update\":5}");
	CHECK_INT(parse_qmp_guest_stats(o, &f), 0);
	CHECK_U64(f.avail, VT_UNKNOWN);
	json_object_put(o);
	o = json_tokener_parse("[1,2]");
	CHECK_INT(parse_qmp_guest_stats(o, &f), -EINVAL);
	CHECK_INT(parse_qmp_cpus(o, &f), 0);
	CHECK_INT(f.nvcpu, 0);
	json_object_put(o);
	o = json_tokener_parse("[{\"cpu-index\":0,\"thread-id\":4242,\"qom-path\":\"/machine/unattached/device[0]\"},"
			       "{\"cpu-index\":1,\"thread-id\":4243},{\"thread-id\":\"x\"},{\"thread-id\":-3}]");
	CHECK_INT(parse_qmp_cpus(o, &f), 0);
	CHECK_INT(f.nvcpu, 2);
	CHECK_INT(f.vcpu_tids[1], 4243);
	json_object_put(o);
	o = json_tokener_parse("{}");
	CHECK_INT(parse_qmp_cpus(o, &f), -EINVAL);
	json_object_put(o);

	/* a balloon added without an id is found through qom-list */
	char bp[128];
	o = json_tokener_parse("[{\"name\":\"type\",\"type\":\"string\"},"
			       "{\"name\":\"device[0]\",\"type\":\"child<virtio-net-pci>\"},"
			       "{\"name\":\"device[1]\",\"type\":\"child<virtio-balloon-pci>\"}]");
	CHECK_INT(parse_qom_balloon(o, "/machine/peripheral-anon", bp, sizeof(bp)), 0);
	CHECK_STR(bp, "/machine/peripheral-anon/device[1]");
	json_object_put(o);
	o = json_tokener_parse("[{\"name\":\"x\\\"y\",\"type\":\"child<virtio-balloon-pci>\"}]");
	CHECK_INT(parse_qom_balloon(o, "/machine/peripheral", bp, sizeof(bp)), -ENOENT);
	json_object_put(o);
	o = json_tokener_parse("{\"error\":1}");
	CHECK_INT(parse_qom_balloon(o, "/machine/peripheral", bp, sizeof(bp)), -EINVAL);
	json_object_put(o);

	/* query-blockstats: -drive ids, -blockdev qdev paths, no name, junk */
	o = json_tokener_parse("[{\"device\":\"drive-scsi0\",\"stats\":{\"rd_bytes\":4096,"
			       "\"wr_bytes\":1048576,\"rd_operations\":1,\"wr_operations\":256,"
			       "\"rd_total_time_ns\":50000,\"wr_total_time_ns\":9000000}},"
			       "{\"device\":\"\",\"qdev\":\"/machine/peripheral/virtio1/virtio-backend\","
			       "\"stats\":{\"rd_bytes\":-1,\"wr_bytes\":\"x\"}},"
			       "{\"device\":\"\",\"stats\":{}},{\"device\":\"d\"},7]");
	CHECK_INT(parse_qmp_blockstats(o, &f), 0);
	CHECK_INT(f.ndrives, 2);
	CHECK_STR(f.drives[0].name, "drive-scsi0");
	CHECK(f.drives[0].wr_bytes == 1048576 && f.drives[0].wr_ops == 256 &&
	      f.drives[0].wr_time_ns == 9000000, "blockstats counters");
	CHECK_STR(f.drives[1].name, "virtio1");
	CHECK(f.drives[1].rd_bytes == VT_UNKNOWN && f.drives[1].wr_bytes == VT_UNKNOWN,
	      "negative or non-integer counters are unknown, never 0");
	json_object_put(o);
	/* 64 drives and more: the first DRIVE_MAX kept */
	struct sb big = {0};
	sb_adds(&big, "[");
	for (int i = 0; i < 80; i++)
		sb_printf(&big, "%s{\"device\":\"drive-virtio%d\",\"stats\":{\"rd_bytes\":%d}}",
			  i ? "," : "", i, i);
	sb_adds(&big, "]");
	o = json_tokener_parse(big.s);
	CHECK_INT(parse_qmp_blockstats(o, &f), 0);
	CHECK_INT(f.ndrives, DRIVE_MAX);
	CHECK_STR(f.drives[63].name, "drive-virtio63");
	json_object_put(o);
	sb_free(&big);
	o = json_tokener_parse("{\"return\":[]}");
	CHECK_INT(parse_qmp_blockstats(o, &f), -EINVAL);
	json_object_put(o);
	/* query-balloon */
	o = json_tokener_parse("{\"actual\":1073741824}");
	CHECK_INT(parse_qmp_balloon(o, &f), 0);
	CHECK(f.balloon == 1073741824ull, "balloon actual");
	json_object_put(o);
	o = json_tokener_parse("{\"actual\":\"1G\"}");
	CHECK_INT(parse_qmp_balloon(o, &f), -EINVAL);
	CHECK(f.balloon == VT_UNKNOWN, "a malformed balloon size is unknown");
	json_object_put(o);

	/* the Engine API is asked when an unknown id appears, not per refresh */
	char name[64], line[128];
	int n = count_asks("aaaa1111", 8, name, sizeof(name), line, sizeof(line));
	if (n < 0) {
		CHECK(0, "the fake Engine API could not start");
	} else {
		CHECK_INT(n, 1);
		CHECK_STR(name, "web");
		/* the path Docker's runtime entry gives */
		CHECK_STR(line, "GET /containers/json HTTP/1.1");
		n = count_asks("bbbb2222", 8, name, sizeof(name), line, sizeof(line));
		CHECK_INT(n, 1); /* an id the API never lists is asked for once */
		CHECK_STR(name, "");
	}

	/* libvirt's typed parameters as virsh domstats printed them here */
	struct lv_domain d;
	lv_domain_init(&d);
	CHECK(d.bal_usable == VT_UNKNOWN && d.net_rx == VT_UNKNOWN, "libvirt domain starts unknown");
	lv_domain_stat(&d, "state.state", 1);
	lv_domain_stat(&d, "balloon.available", 210864);
	lv_domain_stat(&d, "balloon.usable", 184652);
	lv_domain_stat(&d, "balloon.unused", 181412);
	lv_domain_stat(&d, "balloon.disk_caches", 2496);
	lv_domain_stat(&d, "vcpu.0.time", 2300000000);
	lv_domain_stat(&d, "vcpu.1.time", 700000000);
	lv_domain_stat(&d, "vcpu.0.wait", 5);
	lv_domain_stat(&d, "net.0.rx.bytes", 21870);
	lv_domain_stat(&d, "net.1.rx.bytes", 130);
	lv_domain_stat(&d, "net.0.tx.bytes", 21510);
	lv_domain_stat(&d, "net.0.rx.pkts", 33);
	lv_domain_stat(&d, "block.0.rd.bytes", 8400896);
	lv_domain_stat(&d, "block.0.wr.bytes", 8388608);
	lv_domain_stat(&d, "block.0.wr.reqs", 9);
	lv_domain_stat(&d, "block.x.rd.bytes", 99);
	lv_domain_stat(&d, "net..rx.bytes", 99);
	CHECK(d.state == 1, "libvirt state");
	CHECK(d.bal_available == 210864ull * 1024 && d.bal_usable == 184652ull * 1024 &&
	      d.bal_unused == 181412ull * 1024 && d.bal_caches == 2496ull * 1024,
	      "libvirt balloon KiB become bytes");
	CHECK(d.vcpu_ns == 3000000000ull, "libvirt vCPU times add up");
	CHECK(d.net_rx == 22000 && d.net_tx == 21510, "libvirt interfaces add up");
	CHECK(d.blk_rd == 8400896 && d.blk_wr == 8388608, "libvirt disks add up, bad indexes ignored");
	CHECK(d.cpu_ns == VT_UNKNOWN, "libvirt cpu.time unknown when not given");
	return t_done("unit-agent");
}
