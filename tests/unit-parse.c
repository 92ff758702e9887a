/* Parsers against real-looking, malformed and truncated inputs. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>

#include "parse.h"
#include "procs.h"
#include "runtime.h"
#include "tap.h"
#include "util.h"

static void test_kv(void)
{
	const char *v2 = "usage_usec 1522262\nuser_usec 1518513\nsystem_usec 3749\n"
			 "nr_periods 0\ncore_sched.force_idle_usec 0\n";
	uint64_t v = 0;
	CHECK_INT(parse_kv_u64(v2, "usage_usec", &v), 0);
	CHECK_U64(v, 1522262);
	CHECK_INT(parse_kv_u64(v2, "system_usec", &v), 0);
	CHECK_U64(v, 3749);
	CHECK_INT(parse_kv_u64(v2, "user", &v), -ENOENT); /* prefix is not a key */
	const char *v1 = "cache 4096\nrss 8192\ntotal_cache 1048576\ntotal_rss 2097152\n"
			 "total_inactive_file 524288\n";
	CHECK_INT(parse_kv_u64(v1, "total_cache", &v), 0);
	CHECK_U64(v, 1048576);
	CHECK_INT(parse_kv_u64(v1, "cache", &v), 0);
	CHECK_U64(v, 4096);
	/* arcstats: name type data */
	const char *arc = "13 1 0x01 147 39984 1\nname type data\nhits 4 123\nsize 4 8589934592\n";
	CHECK_INT(parse_kv_u64(arc, "size", &v), 0);
	CHECK_U64(v, 8589934592ull);
	/* malformed and truncated */
	CHECK_INT(parse_kv_u64("usage_usec abc\n", "usage_usec", &v), -EINVAL);
	CHECK_INT(parse_kv_u64("usage_usec", "usage_usec", &v), -ENOENT);
	CHECK_INT(parse_kv_u64("usage_usec \n", "usage_usec", &v), -EINVAL);
	CHECK_INT(parse_kv_u64("usage_usec 99999999999999999999999\n", "usage_usec", &v), -EINVAL);
	CHECK_INT(parse_kv_u64("", "x", &v), -ENOENT);
	CHECK_INT(parse_kv_u64("user_usec 12", "user_usec", &v), 0); /* no newline */
	CHECK_U64(v, 12);
}

/* parse_kv_set takes each key as parse_kv_u64 does, in one pass. */
static void test_kv_set(void)
{
	const char *bufs[] = {
		"usage_usec 1522262\nuser_usec 1518513\nsystem_usec 3749\nnr_throttled 0\n",
		"cache 4096\nrss 8192\ntotal_cache 1048576\ntotal_rss 2097152\ntotal_rss 7\n",
		"anon abc\nfile 12\nfile 13\nanon 5\n",        /* first line counts, bad or not */
		"file\t77\ninactive_file 3\nfile_mapped 9\nsock",  /* tab; truncated */
		"13 1 0x01 147 39984 1\nname type data\nsize 4 8589934592\n",
		"", "\n\n", "user_usec 12",
	};
	const char *keys[] = {"usage_usec", "user_usec", "system_usec", "total_rss", "cache",
			      "anon", "file", "inactive_file", "sock", "size", "user", "total_cache"};
	enum { NK = sizeof(keys) / sizeof(keys[0]) };
	for (size_t b = 0; b < sizeof(bufs) / sizeof(bufs[0]); b++) {
		uint64_t got[NK], want[NK];
		struct kv_want w[NK];
		size_t nwant = 0;
		for (size_t k = 0; k < NK; k++) {
			got[k] = want[k] = 424242;
			w[k] = (struct kv_want){keys[k], &got[k], k == 0 ? 1000 : 0};
			uint64_t v;
			if (!parse_kv_u64(bufs[b], keys[k], &v)) {
				want[k] = v * (k == 0 ? 1000 : 1);
				nwant++;
			}
		}
		CHECK_U64(parse_kv_set(bufs[b], w, NK), nwant);
		for (size_t k = 0; k < NK; k++)
			CHECK_U64(got[k], want[k]);
	}
	uint64_t a = 1, c = 2;
	struct kv_want w2[] = {{"file", &a, 0}, {"anon", &c, 0}};
	CHECK_U64(parse_kv_set("anon abc\nfile 12\nfile 13\nanon 5\n", w2, 2), 1);
	CHECK_U64(a, 12);
	CHECK_U64(c, 2); /* its first line is malformed: left alone */
}

static void test_io(void)
{
	uint64_t r, w;
	const char *v2 = "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n"
			 "253:1 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n";
	CHECK_INT(parse_io_stat(v2, &r, &w), 0);
	CHECK_U64(r, 1010);
	CHECK_U64(w, 2020);
	CHECK_INT(parse_io_stat("", &r, &w), 0);
	CHECK_U64(r, 0);
	CHECK_INT(parse_io_stat("8:0 garbage\n", &r, &w), -EINVAL);
	/* live 6.1: a cgroup with an io.max on a disk it has not used yet
	 * lists the disk with no counters; iocost adds keys of its own */
	r = w = 1;
	CHECK_INT(parse_io_stat("254:0 \n", &r, &w), 0);
	CHECK_U64(r, 0);
	CHECK_U64(w, 0);
	CHECK_INT(parse_io_stat("254:0\n8:0 rbytes=512 wbytes=1024 rios=1 wios=1 dbytes=0 dios=0\n", &r, &w), 0);
	CHECK_U64(r, 512);
	CHECK_U64(w, 1024);
	CHECK_INT(parse_io_stat("8:0 cost.vrate=100.00 cost.usage=0 cost.wait=0 cost.indebt=0 cost.indelay=0\n",
				&r, &w), 0);
	CHECK_U64(w, 0);
	CHECK_INT(parse_io_stat("8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0 cost.vrate=100.00\n",
				&r, &w), 0);
	CHECK_U64(r, 4096);
	CHECK_INT(parse_io_stat("8:\n", &r, &w), -EINVAL);
	CHECK_INT(parse_io_stat(":0 \n", &r, &w), -EINVAL);
	const char *v1 = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n"
			 "8:0 Total 12288\n8:16 Read 1\n8:16 Write 2\nTotal 12291\n";
	CHECK_INT(parse_blkio_bytes(v1, &r, &w), 0);
	CHECK_U64(r, 4097);
	CHECK_U64(w, 8194);
	CHECK_INT(parse_blkio_bytes("Total 0\n", &r, &w), 0);
	CHECK_U64(w, 0);
	CHECK_INT(parse_blkio_bytes("nonsense", &r, &w), -EINVAL);
}

static void test_u64(void)
{
	uint64_t v;
	CHECK_INT(parse_u64("2147483648\n", &v), 0);
	CHECK_U64(v, 2147483648ull);
	CHECK_INT(parse_u64("max\n", &v), 0);
	CHECK_U64(v, VT_UNKNOWN);
	CHECK_INT(parse_u64("", &v), -EINVAL);
	CHECK_INT(parse_u64("12x", &v), -EINVAL);
	CHECK_INT(parse_u64("-1", &v), -EINVAL);
}

static void test_pressure(void)
{
	const char *p = "some avg10=4.04 avg60=2.83 avg300=0.82 total=5970561\n"
			"full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n";
	uint64_t v;
	CHECK_INT(parse_pressure(p, "some", &v), 0);
	CHECK_U64(v, 5970561);
	CHECK_INT(parse_pressure(p, "full", &v), 0);
	CHECK_U64(v, 12);
	CHECK_INT(parse_pressure("some avg10=1.00\n", "some", &v), -EINVAL);
	CHECK_INT(parse_pressure("", "some", &v), -ENOENT);
	CHECK_INT(parse_pressure("some total=", "some", &v), -EINVAL);
}

static void test_proc_cgroup(void)
{
	const char *hybrid = "9:name=systemd:/\n8:pids:/lxc.payload.web\n"
			     "4:memory:/lxc.payload.web/sub\n2:cpuacct:/x\n1:cpu,cpuacct:/y\n0::/lxc.payload.web\n";
	char out[256];
	CHECK_INT(parse_proc_cgroup(hybrid, "memory", out, sizeof(out)), 0);
	CHECK_STR(out, "/lxc.payload.web/sub");
	CHECK_INT(parse_proc_cgroup(hybrid, "", out, sizeof(out)), 0);
	CHECK_STR(out, "/lxc.payload.web");
	CHECK_INT(parse_proc_cgroup(hybrid, "cpuacct", out, sizeof(out)), 0);
	CHECK_STR(out, "/x");
	CHECK_INT(parse_proc_cgroup("1:cpu,cpuacct:/y\n", "cpuacct", out, sizeof(out)), 0);
	CHECK_STR(out, "/y");
	CHECK_INT(parse_proc_cgroup("0::/a/b", "", out, sizeof(out)), 0);
	CHECK_STR(out, "/a/b");
	CHECK_INT(parse_proc_cgroup("garbage\n:\n", "", out, sizeof(out)), -ENOENT);
	CHECK_INT(parse_proc_cgroup("0::/very/long/path", "", out, 5), -ENAMETOOLONG);
}

static void test_pve(void)
{
	const char *conf = "boot: order=scsi0\ncores: 2\nmemory: 2048\nname: web-01  \n"
			   "[snap1]\nname: old-name\n";
	char out[64];
	CHECK_INT(parse_pve_conf(conf, "name", out, sizeof(out)), 0);
	CHECK_STR(out, "web-01");
	CHECK_INT(parse_pve_conf("[s]\nname: x\n", "name", out, sizeof(out)), -ENOENT);
	CHECK_INT(parse_pve_conf("hostname: ct1", "hostname", out, sizeof(out)), 0);
	CHECK_STR(out, "ct1");
	CHECK_INT(parse_pve_conf("name:\n", "name", out, sizeof(out)), 0);
	CHECK_STR(out, "");
}

static void test_unescape(void)
{
	char out[64];
	const char *in = "qemu\\x2d1\\x2dweb";
	CHECK_STR(cg_unescape(in, strlen(in), out, sizeof(out)), "qemu-1-web");
	in = "bad\\x2";
	CHECK_STR(cg_unescape(in, strlen(in), out, sizeof(out)), "bad\\x2");
	in = "\\xzz";
	CHECK_STR(cg_unescape(in, strlen(in), out, sizeof(out)), "\\xzz");
}

#define ARGV(...) __VA_ARGS__, sizeof(__VA_ARGS__)

static void test_qemu(void)
{
	struct qemu_args qa;
	static const char a1[] = "/usr/bin/qemu-system-x86_64\0-name\0guest=web,debug-threads=on\0"
				 "-m\0" "2048\0-qmp\0unix:/run/q.sock,server=on,wait=off\0";
	parse_qemu_args(a1, sizeof(a1), &qa);
	CHECK_STR(qa.name, "web");
	CHECK_U64(qa.ram, 2048ull << 20);
	CHECK_STR(qa.qmp, "/run/q.sock");
	static const char a2[] = "/usr/bin/kvm\0-id\0" "100\0-name\0db,,prod,debug-threads=on\0"
				 "-chardev\0socket,id=qmp,path=/var/run/qemu-server/100.qmp,server=on,wait=off\0"
				 "-mon\0chardev=qmp,mode=control\0-m\0size=4G,slots=255,maxmem=8G\0";
	parse_qemu_args(a2, sizeof(a2), &qa);
	CHECK_STR(qa.name, "db,prod");
	CHECK_U64(qa.ram, 4ull << 30);
	CHECK_STR(qa.qmp, "/var/run/qemu-server/100.qmp");
	/* Proxmox: a second control monitor connects out to qmeventd */
	static const char a5[] = "/usr/bin/kvm\0-id\0" "101\0-name\0web,debug-threads=on\0"
				 "-chardev\0socket,id=qmp,path=/var/run/qemu-server/101.qmp,server=on,wait=off\0"
				 "-mon\0chardev=qmp,mode=control\0"
				 "-chardev\0socket,id=qmp-event,path=/var/run/qmeventd.sock,reconnect=5\0"
				 "-mon\0chardev=qmp-event,mode=control\0";
	parse_qemu_args(a5, sizeof(a5), &qa);
	CHECK_STR(qa.qmp, "/var/run/qemu-server/101.qmp");
	static const char a6[] = "qemu\0-chardev\0socket,id=ev,path=/run/ev.sock\0-mon\0chardev=ev,mode=control\0"
				 "-chardev\0socket,id=m,path=/run/m.sock,server,nowait\0-mon\0chardev=m,mode=control\0";
	parse_qemu_args(a6, sizeof(a6), &qa);
	CHECK_STR(qa.qmp, "/run/m.sock");
	static const char a7[] = "qemu\0-qmp\0unix:/run/out.sock\0-qmp\0unix:/run/in.sock,server\0";
	parse_qemu_args(a7, sizeof(a7), &qa);
	CHECK_STR(qa.qmp, "/run/in.sock");
	static const char a3[] = "qemu-system-aarch64\0-m\0";
	parse_qemu_args(a3, sizeof(a3), &qa);
	CHECK_STR(qa.name, "");
	CHECK_U64(qa.ram, 128ull << 20);
	/* cut short: the last argument has no terminator */
	static const char a4[] = {'q', 'e', 'm', 'u', '\0', '-', 'n', 'a', 'm', 'e', '\0', 'x', 'y'};
	parse_qemu_args(a4, sizeof(a4), &qa);
	CHECK_STR(qa.name, "");
	CHECK(is_qemu_argv0("/usr/bin/qemu-system-x86_64"), "qemu-system");
	CHECK(is_qemu_argv0("/usr/bin/kvm"), "kvm");
	CHECK(!is_qemu_argv0("/usr/bin/qemu-img"), "qemu-img is not a VM");
	uint64_t s;
	CHECK_INT(parse_size("512M", 0, &s), 0);
	CHECK_U64(s, 512ull << 20);
	CHECK_INT(parse_size("1G", 0, &s), 0);
	CHECK_U64(s, 1ull << 30);
	CHECK_INT(parse_size("1.5G", 1, &s), -EINVAL);
	CHECK_INT(parse_size("99999999999999999999", 1, &s), -EINVAL);
}

static void test_helpers(void)
{
	char id[128];
	static const char shim[] = "/usr/bin/containerd-shim-runc-v2\0-namespace\0moby\0-id\0"
				   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0"
				   "-address\0/run/containerd/containerd.sock\0";
	CHECK_INT(parse_helper(shim, sizeof(shim), id, sizeof(id)), runtime_helper_type(RT_DOCKER));
	CHECK_STR(id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	static const char conmon[] = "/usr/bin/conmon\0--api-version\0" "1\0-c\0abcdef012345\0-u\0x\0";
	CHECK_INT(parse_helper(conmon, sizeof(conmon), id, sizeof(id)), runtime_helper_type(RT_PODMAN));
	CHECK_STR(id, "abcdef012345");
	static const char mon[] = "[lxc monitor] /var/lib/lxc web\0";
	CHECK_INT(parse_helper(mon, sizeof(mon), id, sizeof(id)), runtime_helper_type(RT_LXC));
	CHECK_INT(runtime_helper_type(RT_LXC), runtime_helper_type(RT_PVE_LXC));
	CHECK_STR(id, "web");
	/* a program's name decides before a title: this is a shim without -id */
	static const char both[] = "[lxc monitor] /containerd-shim web\0";
	CHECK_INT(parse_helper(both, sizeof(both), id, sizeof(id)), HELPER_NONE);
	static const char other[] = "/bin/bash\0-c\0x\0";
	CHECK_INT(parse_helper(other, sizeof(other), id, sizeof(id)), HELPER_NONE);
	static const char noid[] = "conmon\0-c\0";
	CHECK_INT(parse_helper(noid, sizeof(noid), id, sizeof(id)), HELPER_NONE);
	CHECK_INT(parse_helper("", 0, id, sizeof(id)), HELPER_NONE);
	CHECK_INT(parse_candidate_comm("containerd-shim"), 1);
	CHECK_INT(parse_candidate_comm("conmon"), 1);
	CHECK_INT(parse_candidate_comm("lxc-start"), 1);
	CHECK_INT(parse_candidate_comm("qemu-system-x86"), 1);
	CHECK_INT(parse_candidate_comm("bash"), 0);
}

static void test_smaps(void)
{
	/* a 2 GiB guest RAM mapping, the TCG code buffer (rwx), a library */
	const char *smaps =
		"7f0000000000-7f0080000000 rw-p 00000000 00:00 0 \n"
		"Size:            2097152 kB\nRss:              1048576 kB\n"
		"7f0100000000-7f0140000000 rwxp 00000000 00:00 0 \n"
		"Size:            1048576 kB\nRss:                20480 kB\n"
		"7f0200000000-7f0200100000 r-xp 00000000 08:01 1234  /usr/lib/libc.so.6\n"
		"Size:               1024 kB\nRss:                  800 kB\n"
		"7f0300000000-7f0300400000 rw-p 00000000 00:00 0 \n"
		"Size:               4096 kB\nRss:                 4096 kB\n";
	uint64_t ram, total, huge;
	CHECK_INT(parse_smaps_guest_ram(smaps, 2ull << 30, &ram, &total, &huge), 0);
	CHECK_U64(ram, 1048576ull * 1024);
	CHECK_U64(total, (1048576ull + 20480 + 800 + 4096) * 1024);
	CHECK_INT(parse_smaps_guest_ram(smaps, 0, &ram, &total, &huge), 0);
	CHECK_U64(ram, 1048576ull * 1024);
	/* guest RAM split over two NUMA backends */
	const char *numa =
		"7f0000000000-7f0040000000 rw-p 00000000 00:00 0 \nRss: 1000 kB\n"
		"7f1000000000-7f1040000000 rw-s 00000000 00:05 77 /memfd:mem1 (deleted)\nRss: 2000 kB\n"
		"7f2000000000-7f2000200000 rw-p 00000000 00:00 0 \nRss: 500 kB\n";
	CHECK_INT(parse_smaps_guest_ram(numa, 2ull << 30, &ram, &total, &huge), 0);
	CHECK_U64(ram, 3000ull * 1024);
	CHECK_U64(huge, 0);
	/* a VM on 1 GiB hugepages: RAM is not in Rss, only in *_Hugetlb */
	const char *hp =
		"7f0000000000-7f0080000000 rw-s 00000000 00:0f 42 /dev/hugepages/qemu_back_mem.pc.ram (deleted)\n"
		"Size: 2097152 kB\nRss: 0 kB\nShared_Hugetlb: 0 kB\nPrivate_Hugetlb: 1048576 kB\n"
		"7f0300000000-7f0300400000 rw-p 00000000 00:00 0 \nSize: 4096 kB\nRss: 4096 kB\n";
	CHECK_INT(parse_smaps_guest_ram(hp, 2ull << 30, &ram, &total, &huge), 0);
	CHECK_U64(ram, 1048576ull * 1024);
	CHECK_U64(huge, 1048576ull * 1024);
	CHECK_U64(total, 4096ull * 1024);
	CHECK_INT(parse_smaps_guest_ram("garbage\n", 0, &ram, &total, &huge), -EINVAL);
	CHECK_INT(parse_smaps_guest_ram("7f00-", 0, &ram, &total, &huge), -EINVAL);
}

static void test_sanitize(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		CHECK(0, "the C.UTF-8 locale exists");
	char out[64];
	CHECK_STR(sanitize(out, sizeof(out), "web\x1b[31mred\x07"), "web?[31mred?");
	CHECK_STR(sanitize(out, sizeof(out), "caf\xc3\xa9"), "caf\xc3\xa9");
	CHECK_STR(sanitize(out, sizeof(out), "bad\xff\xfe"), "bad??");
	CHECK_STR(sanitize(out, sizeof(out), "c1\xc2\x9b" "x"), "c1??x");
	CHECK_STR(sanitize(out, sizeof(out), "line\nbreak"), "line?break");
	CHECK_STR(sanitize(out, 5, "\xc3\xa9\xc3\xa9\xc3\xa9"), "\xc3\xa9\xc3\xa9");
	/* one cell per character: what is not one column wide becomes '?' */
	CHECK_STR(sanitize(out, sizeof(out), "a\xe2\x80\x8b" "b"), "a?b");          /* zero-width space */
	CHECK_STR(sanitize(out, sizeof(out), "a\xe2\x80\xae" "b"), "a?b");          /* right-to-left override */
	CHECK_STR(sanitize(out, sizeof(out), "e\xcc\x81"), "e?");                    /* combining accent */
	CHECK_STR(sanitize(out, sizeof(out), "\xe5\x90\x8d" "x"), "?x");            /* double width */
	setlocale(LC_CTYPE, "C");
	CHECK_STR(sanitize(out, sizeof(out), "caf\xc3\xa9"), "caf?");                /* not a UTF-8 locale */
	setlocale(LC_CTYPE, "C.UTF-8");
	char *c = utf8_clean("a\xff" "b\x1b");
	CHECK_STR(c, "a\xef\xbf\xbd" "b\x1b");
	free(c);
	/* an empty name (found by fuzz-record): an empty string, terminated */
	c = utf8_clean("");
	CHECK_STR(c, "");
	free(c);
	uint64_t ns;
	CHECK_INT(parse_seconds("0.5", &ns), 0);
	CHECK_U64(ns, 500000000ull);
	CHECK_INT(parse_seconds("-1", &ns), -EINVAL);
	CHECK_INT(parse_seconds("1s", &ns), -EINVAL);
	CHECK_INT(parse_seconds("nan", &ns), -EINVAL);
}

/* The guest agent's socket: the chardev behind org.qemu.guest_agent.0. */
static void test_qemu_qga(void)
{
	struct qemu_args qa;
	/* as Proxmox writes it (agent: 1) */
	static const char p[] = "/usr/bin/kvm\0-id\0" "100\0"
				"-chardev\0socket,path=/var/run/qemu-server/100.qga,server=on,wait=off,id=qga0\0"
				"-device\0virtio-serial,id=qga0,bus=pci.0,addr=0x8\0"
				"-device\0virtserialport,chardev=qga0,name=org.qemu.guest_agent.0\0";
	parse_qemu_args(p, sizeof(p), &qa);
	CHECK_STR(qa.qga, "/var/run/qemu-server/100.qga");
	/* another port's chardev is not the agent's; a client socket is not asked */
	static const char o[] = "qemu\0-chardev\0socket,id=c1,path=/run/c1,server=on\0"
				"-device\0virtserialport,chardev=c1,name=com.example.x\0"
				"-chardev\0socket,id=c2,path=/run/c2\0"
				"-device\0virtserialport,name=org.qemu.guest_agent.0,chardev=c2\0";
	parse_qemu_args(o, sizeof(o), &qa);
	CHECK_STR(qa.qga, "");
	static const char l[] = "qemu\0--device\0virtserialport,bus=vs.0,nr=1,chardev=charchannel0,"
				"id=channel0,name=org.qemu.guest_agent.0\0"
				"--chardev\0socket,id=charchannel0,fd=33,server=on,wait=off,path=/run/a.sock\0";
	parse_qemu_args(l, sizeof(l), &qa);
	CHECK_STR(qa.qga, "/run/a.sock");
	static const char n[] = "qemu\0-device\0virtserialport,name=org.qemu.guest_agent.0\0";
	parse_qemu_args(n, sizeof(n), &qa);
	CHECK_STR(qa.qga, "");
}

/* QEMU's thread names to groups, and the CPU of threads that exit. */
static void test_qemu_threads(void)
{
	CHECK_INT(qemu_thread_group("CPU 0/KVM"), TG_VCPU);
	CHECK_INT(qemu_thread_group("CPU 11/TCG"), TG_VCPU);
	CHECK_INT(qemu_thread_group("IO iot0"), TG_IO);
	CHECK_INT(qemu_thread_group("IO iothread1"), TG_IO);
	CHECK_INT(qemu_thread_group("IO mon_iothread"), TG_EMU);
	CHECK_INT(qemu_thread_group("worker"), TG_POOL);
	CHECK_INT(qemu_thread_group("vhost-4242"), TG_VHOST);
	CHECK_INT(qemu_thread_group("qemu-system-x86"), TG_EMU);
	CHECK_INT(qemu_thread_group("call_rcu"), TG_EMU);
	CHECK_INT(qemu_thread_group("workers"), TG_EMU); /* the name, not a prefix */
	CHECK_INT(qemu_thread_group(""), TG_EMU);

	/* pid 100 (its stat: the process's 10 s), a vCPU, two workers */
	struct qthreads_mem m = {.pid = 100, .start = 5};
	uint64_t cpu[TG_COUNT], n[TG_COUNT];
	struct qthread t1[] = {
		{.tid = 103, .start = 9, .group = TG_POOL, .ns = 2},
		{.tid = 100, .start = 5, .group = TG_EMU, .ns = 10},
		{.tid = 101, .start = 6, .group = TG_VCPU, .ns = 4},
		{.tid = 102, .start = 8, .group = TG_POOL, .ns = 1},
	};
	qthreads_account(&m, t1, ARRAY_SIZE(t1), cpu, n);
	CHECK_U64(cpu[TG_EMU], 3);
	CHECK_U64(cpu[TG_VCPU], 4);
	CHECK_U64(cpu[TG_POOL], 3);
	CHECK_U64(n[TG_POOL], 2);
	CHECK_U64(n[TG_EMU], 1);
	/* worker 102 exited (the kernel moved its 1 s and 0.5 s more into the
	 * process's total), 103 went on, and tid 102 is reused by a new worker:
	 * the exited one's CPU stays in the pool, the main thread's is its own */
	struct qthread t2[] = {
		{.tid = 100, .start = 5, .group = TG_EMU, .ns = 15},
		{.tid = 101, .start = 6, .group = TG_VCPU, .ns = 5},
		{.tid = 102, .start = 12, .group = TG_POOL, .ns = 1},
		{.tid = 103, .start = 9, .group = TG_POOL, .ns = 3},
	};
	qthreads_account(&m, t2, ARRAY_SIZE(t2), cpu, n);
	CHECK_U64(cpu[TG_POOL], 5);
	CHECK_U64(cpu[TG_VCPU], 5);
	CHECK_U64(cpu[TG_EMU], 5); /* 15 - 5 - 4 - 1: the last 0.5 s of 102 too */
	CHECK_U64(n[TG_POOL], 2);
	/* every worker gone after 10 s idle: no group goes back */
	struct qthread t3[] = {
		{.tid = 100, .start = 5, .group = TG_EMU, .ns = 16},
		{.tid = 101, .start = 6, .group = TG_VCPU, .ns = 6},
	};
	qthreads_account(&m, t3, ARRAY_SIZE(t3), cpu, n);
	CHECK_U64(cpu[TG_POOL], 5);
	CHECK_U64(cpu[TG_EMU], 5);
	CHECK_U64(cpu[TG_VCPU], 6);
	CHECK_U64(n[TG_POOL], 0);
	free(m.t);
}

int main(void)
{
	test_kv();
	test_kv_set();
	test_u64();
	test_io();
	test_pressure();
	test_proc_cgroup();
	test_pve();
	test_unescape();
	test_qemu();
	test_qemu_qga();
	test_helpers();
	test_smaps();
	test_sanitize();
	test_qemu_threads();
	return t_done("unit-parse");
}
