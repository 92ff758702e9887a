/* Pure parsers for the text the kernel, QEMU command lines and Proxmox
 * configs give us. No I/O: every function takes a NUL-terminated buffer,
 * so unit tests and fuzzers can feed them anything. Return 0 or -errno
 * (-ENOENT: key absent, -EINVAL: malformed). */
#ifndef VTAX_PARSE_H
#define VTAX_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* "key value" lines (cpu.stat, memory.stat, cpuacct.stat, arcstats'
 * "name type value"): the last number on the first line whose first word
 * is key. */
int parse_kv_u64(const char *buf, const char *key, uint64_t *out);
/* Many keys of a "key value" file in one pass: each key found (its first
 * line, as parse_kv_u64 takes it) sets *out to its value times mul (0
 * counts as 1); the others are left alone. At most KV_SET_MAX keys.
 * Returns how many were set. */
#define KV_SET_MAX 16
struct kv_want {
	const char *key;
	uint64_t *out;
	uint64_t mul;
};
size_t parse_kv_set(const char *buf, const struct kv_want *want, size_t n);

/* A file holding one number; "max" yields VT_UNKNOWN (unlimited). */
int parse_u64(const char *buf, uint64_t *out);

/* /proc/pressure and cgroup *.pressure: the total= of the "some" or
 * "full" line, in microseconds. */
int parse_pressure(const char *buf, const char *which, uint64_t *total_us);

/* /proc/PID/cgroup: the path for a v1 controller ("memory") or, with
 * controller "", the v2 "0::" line. */
int parse_proc_cgroup(const char *buf, const char *controller, char *out, size_t outsz);

/* cgroup v2 io.stat ("MAJ:MIN rbytes=.. wbytes=..") or v1
 * blkio.throttle.io_service_bytes_recursive ("MAJ:MIN Read N"): bytes
 * read and written, summed over devices. */
/* /proc/PID/io: read_bytes and write_bytes (storage I/O, bytes). */
int parse_proc_io(const char *buf, uint64_t *rbytes, uint64_t *wbytes);
/* io.stat: the sum over devices of the two keys given ("rios=", "wios="). */
int parse_io_stat_keys(const char *buf, const char *rkey, const char *wkey, uint64_t *r,
		       uint64_t *w);
int parse_io_stat(const char *buf, uint64_t *rbytes, uint64_t *wbytes);
int parse_blkio_bytes(const char *buf, uint64_t *rbytes, uint64_t *wbytes);

/* Proxmox guest config: value of "key:" in the main section (before the
 * first [snapshot] section), trimmed. */
int parse_pve_conf(const char *buf, const char *key, char *out, size_t outsz);


/* QEMU command-line facts. argv is NUL-separated, len bytes. */
struct qemu_args {
	char name[256];            /* -name NAME / guest=NAME, "" if none */
	uint64_t ram;              /* bytes from -m, default 128 MiB */
	char qmp[256];             /* unix socket path of -qmp / a monitor chardev */
	char qga[108];             /* unix socket of the chardev behind the virtio-serial
				      port org.qemu.guest_agent.0, "" if none */
};
void parse_qemu_args(const char *argv, size_t len, struct qemu_args *qa);

/* Whether argv[0] names a QEMU system emulator. */
int is_qemu_argv0(const char *argv0);

/* A size with an optional K/M/G/T suffix; plain numbers are MiB when
 * default_mib is set (QEMU -m), bytes otherwise. */
int parse_size(const char *s, int default_mib, uint64_t *out);

/* Classify argv (NUL-separated, len bytes) by the runtimes' helpers; on a
 * helper, write the guest id or name it serves into id. */
enum helper_type parse_helper(const char *argv, size_t len, char *id, size_t idsz);

/* Whether a process whose comm (/proc/PID/comm) is this may be QEMU or a
 * helper, so that its command line is worth a read. */
int parse_candidate_comm(const char *comm);

/* /proc/PID/smaps: RSS of the mappings that hold guest RAM. Guest RAM is
 * taken as the largest private, non-executable anonymous (or memfd /
 * hugetlbfs) mappings, biggest first, until their sizes reach ram_size
 * (ram_size 0: the single largest one). *rss_total is the RSS of all
 * mappings. */
int parse_smaps_guest_ram(const char *buf, uint64_t ram_size, uint64_t *ram_rss,
			  uint64_t *rss_total, uint64_t *hugetlb);
/* hugetlb pages (Private_Hugetlb + Shared_Hugetlb) are not in Rss: they
 * count towards guest RAM and are returned in *hugetlb. */

#endif
