/* Host facts read below directory fds: pressure, load, uptime, the ZFS
 * ARC from a fixture /proc, KSM from a fixture /sys; unknown when the
 * files are missing. (/proc/stat and /proc/meminfo come from libproc2.) */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "tap.h"
#include "util.h"

static char root[] = "/tmp/vtax-unit-host.XXXXXX";

/* Write text to root/rel, making the directories on the way. */
static void put(const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static int open_dir(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdir(path, 0755);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int main(void)
{
	if (!mkdtemp(root))
		return 99;
	put("proc/pressure/cpu", "some avg10=1.00 avg60=0.00 avg300=0.00 total=1234\n"
				 "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	put("proc/pressure/io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=5678\n"
				"full avg10=0.00 avg60=0.00 avg300=0.00 total=910\n");
	put("proc/loadavg", "0.50 1.25 2.00 1/100 4242\n");
	put("proc/uptime", "3600.50 7000.00\n");
	put("proc/spl/kstat/zfs/arcstats", "13 1 0x01 123 33456 1234 5678\n"
					   "name                            type data\n"
					   "size                            4    536870912\n");
	put("sys/kernel/mm/ksm/pages_sharing", "1000\n");
	int proc_fd = open_dir("proc"), sys_fd = open_dir("sys");
	char *cause = NULL;
	struct host_reader *r = host_reader_new(proc_fd, sys_fd, &cause);
	CHECK(r != NULL, "host reader: %s", cause ? cause : "");
	struct host_sample h;
	if (r && !host_read(r, &h)) {
		CHECK_U64(h.psi_cpu_some, 1234);
		CHECK_U64(h.psi_io_some, 5678);
		CHECK_U64(h.psi_io_full, 910);
		CHECK_U64(h.psi_mem_some, VT_UNKNOWN); /* no pressure/memory */
		CHECK(h.load1 == 0.5 && h.load5 == 1.25 && h.load15 == 2.0, "load %g %g %g", h.load1,
		      h.load5, h.load15);
		CHECK(h.uptime_s == 3600.5, "uptime %g", h.uptime_s);
		CHECK_U64(h.zfs_arc, 536870912);
		CHECK_U64(h.ksm_sharing, 1000 * (uint64_t)sysconf(_SC_PAGESIZE));
		CHECK(h.t_user != VT_UNKNOWN && h.mem_total != VT_UNKNOWN,
		      "libproc2 still reads /proc/stat and /proc/meminfo");
	}
	host_reader_free(r);

	/* nothing below the fds: every such fact unknown, not 0 */
	int empty = open_dir("empty");
	r = host_reader_new(empty, -1, &cause);
	if (r && !host_read(r, &h)) {
		CHECK_U64(h.psi_cpu_some, VT_UNKNOWN);
		CHECK_U64(h.zfs_arc, VT_UNKNOWN);
		CHECK_U64(h.ksm_sharing, VT_UNKNOWN);
		CHECK(h.uptime_s < 0 && h.load1 < 0, "load and uptime unknown");
	}
	host_reader_free(r);
	close(empty);
	close(proc_fd);
	close(sys_fd);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	free(cause);
	return t_done("unit-host");
}
