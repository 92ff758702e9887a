/* The guest agent client against fake agents on unix sockets (a good
 * one with stale output before its answer, a hung one, one with a 10 MB
 * reply, an old one, a silent one, none at all), and its reply parser on
 * real, malformed and hostile replies. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent-qga.h"
#include "tap.h"
#include "util.h"

enum mode { GOOD, HANG, HUGE, OLD, SILENT };

struct fake {
	int fd;
	enum mode mode;
	size_t sent;                  /* bytes of the huge reply written */
	char path[108];
};

static const char cpustats[] =
	"{\"return\": [{\"cpu\": 0, \"guestnice\": 0, \"idle\": 5000, \"steal\": 30, \"iowait\": 20, "
	"\"system\": 700, \"guest\": 0, \"nice\": 10, \"irq\": 5, \"type\": \"linux\", \"user\": 1990, "
	"\"softirq\": 45}, {\"cpu\": 1, \"idle\": 6000, \"steal\": 0, \"iowait\": 0, \"system\": 300, "
	"\"nice\": 0, \"type\": \"linux\", \"user\": 1000, \"softirq\": 0, \"irq\": 0}]}\n";

/* Read one line of the client's into buf. */
static int read_line(int c, char *buf, size_t sz)
{
	size_t n = 0;
	while (n + 1 < sz) {
		ssize_t r = read(c, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return 0;
}

static void put(int c, const char *s, size_t n)
{
	if (write(c, s, n) != (ssize_t)n) {
		/* the client went away: that is what some cases test */
	}
}

static void *serve(void *arg)
{
	struct fake *f = arg;
	int c = accept(f->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	char req[512];
	if (f->mode == SILENT) {
		while (read(c, req, sizeof(req)) > 0)
			;
		close(c);
		return NULL;
	}
	if (read_line(c, req, sizeof(req))) {
		close(c);
		return NULL;
	}
	const char *id = strstr(req, "\"id\":");
	unsigned v = id ? (unsigned)strtoul(id + 5, NULL, 10) : 0;
	char out[256];
	/* stale output first: another client's unread reply, and the error
	 * the agent gives for the 0xFF, then a sync answer with a wrong id */
	int n = snprintf(out, sizeof(out),
			 "{\"return\": [{\"cpu\": 0, \"type\": \"linux\", \"user\": 1}]}\n"
			 "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\n"
			 "\xff{\"return\": %u}\n\xff{\"return\": %u}\n", v + 1000, v);
	put(c, out, (size_t)n);
	if (read_line(c, req, sizeof(req)) || !strstr(req, "guest-get-cpustats")) {
		close(c);
		return NULL;
	}
	if (f->mode == GOOD) {
		put(c, cpustats, strlen(cpustats));
	} else if (f->mode == OLD) {
		static const char e[] = "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The "
					"command guest-get-cpustats has not been found\"}}\n";
		put(c, e, strlen(e));
	} else if (f->mode == HANG) {
		put(c, cpustats, 40);
		while (read(c, req, sizeof(req)) > 0)
			;
	} else if (f->mode == HUGE) {
		static char chunk[65536];
		memset(chunk, ' ', sizeof(chunk));
		put(c, "{\"return\": [", 12);
		while (f->sent < (10u << 20)) {
			ssize_t w = send(c, chunk, sizeof(chunk), MSG_NOSIGNAL);
			if (w <= 0)
				break;
			f->sent += (size_t)w;
		}
	}
	close(c);
	return NULL;
}

static int fake_start(struct fake *f, pthread_t *t, enum mode m, const char *dir, const char *name)
{
	memset(f, 0, sizeof(*f));
	f->mode = m;
	snprintf(f->path, sizeof(f->path), "%s/%s", dir, name);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	str_copy(sa.sun_path, sizeof(sa.sun_path), f->path);
	f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f->fd, 4))
		return -1;
	return pthread_create(t, NULL, serve, f);
}

static void fake_stop(struct fake *f, pthread_t t)
{
	shutdown(f->fd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(f->fd);
	unlink(f->path);
}

/* One round of the client for one VM with this socket. */
static bool ask(const char *path, struct qga_facts *out, uint64_t *ms)
{
	struct qga *q = qga_new(100);
	bool stop = false;
	qga_begin(q);
	qga_want(q, 42, 7, path);
	qga_commit(q);
	uint64_t t0 = now_mono_ns();
	qga_work(q, &stop);
	*ms = (now_mono_ns() - t0) / 1000000;
	bool have = qga_get(q, 42, 7, out);
	char *n = qga_notice(q);
	char *n2 = qga_notice(q);
	if (n)
		str_copy(out->note, sizeof(out->note), n);
	CHECK(!n2, "one notice per problem");
	free(n);
	free(n2);
	qga_free(q);
	return have;
}

static void test_sessions(void)
{
	char dir[] = "/tmp/vtax-unit-qga-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp");
		return;
	}
	struct fake f;
	pthread_t t;
	struct qga_facts r;
	uint64_t ms;

	CHECK_INT(fake_start(&f, &t, GOOD, dir, "good"), 0);
	CHECK(ask(f.path, &r, &ms), "good agent: a reading");
	fake_stop(&f, t);
	CHECK_U64(r.cur.ncpu, 2);
	CHECK_U64(r.cur.user, 2990 + 10);
	CHECK_U64(r.cur.system, 700 + 5 + 45 + 300);
	CHECK_U64(r.cur.iowait, 20);
	CHECK_U64(r.cur.steal, 30);
	CHECK_U64(r.cur.idle, 11000);
	CHECK_STR(r.note, "");

	CHECK_INT(fake_start(&f, &t, HANG, dir, "hang"), 0);
	CHECK(ask(f.path, &r, &ms), "hung agent: asked");
	fake_stop(&f, t);
	CHECK(!r.cur.ncpu, "hung mid-reply: no reading");
	CHECK(strstr(r.note, "no complete answer within 200 ms") != NULL, "hung: %s", r.note);
	CHECK(ms < 1000, "hung: the session ends at its deadline (%llu ms)", (unsigned long long)ms);

	CHECK_INT(fake_start(&f, &t, HUGE, dir, "huge"), 0);
	CHECK(ask(f.path, &r, &ms), "huge reply: asked");
	fake_stop(&f, t);
	CHECK(strstr(r.note, "larger than 2 MiB") != NULL, "huge: %s", r.note);
	CHECK(f.sent < (6u << 20), "huge: vtax stopped reading (%zu bytes sent of 10 MiB)", f.sent);
	CHECK(ms < 1000, "huge: on time (%llu ms)", (unsigned long long)ms);

	CHECK_INT(fake_start(&f, &t, OLD, dir, "old"), 0);
	CHECK(ask(f.path, &r, &ms), "old agent: asked");
	fake_stop(&f, t);
	CHECK(strstr(r.note, "needs qemu-ga 7.1") != NULL, "old: %s", r.note);

	CHECK_INT(fake_start(&f, &t, SILENT, dir, "silent"), 0);
	CHECK(ask(f.path, &r, &ms), "silent agent: asked");
	fake_stop(&f, t);
	CHECK(strstr(r.note, "does not answer") != NULL, "silent: %s", r.note);

	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.qga", dir);
	struct qga *q = qga_new(100);
	bool stop = false;
	qga_begin(q);
	qga_want(q, 42, 7, missing);
	qga_want(q, 43, 7, "");
	CHECK(qga_commit(q), "a socket to ask");
	qga_work(q, &stop);
	CHECK(qga_get(q, 42, 7, &r) && strstr(r.note, "does not exist"), "missing socket: %s", r.note);
	CHECK(qga_get(q, 43, 7, &r) && strstr(r.note, "no virtio-serial port"), "no port: %s", r.note);
	char *n = qga_notice(q);
	CHECK(!n, "no socket or no port is the VM's setting, not a notice");
	free(n);
	qga_begin(q);
	qga_want(q, 43, 7, NULL);
	CHECK(!qga_commit(q), "only portless VMs: nothing to ask, no thread needed");
	CHECK(!qga_get(q, 42, 7, &r), "a VM gone is forgotten");
	qga_free(q);
	rmdir(dir);
}

static int parse(const char *s, struct qga_cpu *c)
{
	char err[128];
	return parse_qga_cpustats(s, strlen(s), c, err, sizeof(err));
}

static void test_parse(void)
{
	struct qga_cpu c;
	CHECK_INT(parse(cpustats, &c), 0);
	CHECK_U64(c.ncpu, 2);
	CHECK_INT(parse("{\"return\": []}", &c), -EINVAL);
	CHECK_U64(c.user, VT_UNKNOWN);
	CHECK_INT(parse("{\"return\": {}}", &c), -EINVAL);
	CHECK_INT(parse("[1,2]", &c), -EINVAL);
	CHECK_INT(parse("{\"return\": [", &c), -EINVAL);
	CHECK_INT(parse("", &c), -EINVAL);
	char err[128];
	CHECK_INT(parse_qga_cpustats("{\"error\": {\"desc\": \"x\"}}", 24, &c, err, sizeof(err)), -EPROTO);
	CHECK_STR(err, "x");
	CHECK_INT(parse_qga_cpustats("{\"error\": 5}", 12, &c, err, sizeof(err)), -EPROTO);
	/* a Windows guest's type, negative and non-number fields, missing
	 * optional ones (an old guest kernel): what is not linux is passed
	 * by, what is not a count is 0 */
	CHECK_INT(parse("{\"return\": [{\"type\": \"windows\", \"user\": 5},"
			"{\"type\": \"linux\", \"user\": -5, \"nice\": \"9\", \"system\": 7, \"idle\": 3},"
			"{\"type\": 7}, 5, null]}", &c), 0);
	CHECK_U64(c.ncpu, 1);
	CHECK_U64(c.user, 0);
	CHECK_U64(c.system, 7);
	CHECK_U64(c.steal, 0);
	CHECK_U64(c.idle, 3);
	/* sums saturate instead of wrapping */
	CHECK_INT(parse("{\"return\": [{\"type\": \"linux\", \"user\": 18446744073709551000},"
			"{\"type\": \"linux\", \"user\": 18446744073709551000}]}", &c), 0);
	CHECK(c.user == UINT64_MAX - 1, "saturated: %llu", (unsigned long long)c.user);
}

int main(void)
{
	test_parse();
	test_sessions();
	return t_done("unit-qga");
}
