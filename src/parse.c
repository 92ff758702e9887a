/* Pure text parsers: kernel files, QEMU command lines, Proxmox configs. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "runtime.h"
#include "util.h"

static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');
	return nl ? nl + 1 : NULL;
}

static int scan_u64(const char *p, const char **end, uint64_t *out)
{
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	uint64_t v = 0;
	while (isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		p++;
	}
	*out = v;
	if (end)
		*end = p;
	return 0;
}

/* The last whitespace-separated token of the line at p, after its key of
 * klen bytes. */
static int kv_value(const char *p, size_t klen, uint64_t *out)
{
	const char *eol = strchr(p, '\n');
	if (!eol)
		eol = p + strlen(p);
	const char *t = eol;
	while (t > p + klen && isspace((unsigned char)t[-1]))
		t--;
	const char *e = t;
	while (t > p + klen && !isspace((unsigned char)t[-1]))
		t--;
	if (t == e)
		return -EINVAL;
	const char *end;
	if (scan_u64(t, &end, out) || end != e)
		return -EINVAL;
	return 0;
}

int parse_kv_u64(const char *buf, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);
	for (const char *p = buf; p && *p; p = next_line(p)) {
		if (strncmp(p, key, klen) || (p[klen] != ' ' && p[klen] != '\t'))
			continue;
		return kv_value(p, klen, out);
	}
	return -ENOENT;
}

size_t parse_kv_set(const char *buf, const struct kv_want *want, size_t n)
{
	size_t klen[KV_SET_MAX];
	bool done[KV_SET_MAX] = {0};
	size_t left = n < KV_SET_MAX ? n : KV_SET_MAX, found = 0;
	n = left;
	for (size_t i = 0; i < n; i++)
		klen[i] = strlen(want[i].key);
	for (const char *p = buf; p && *p && left; p = next_line(p)) {
		size_t l = 0;
		while (p[l] && p[l] != ' ' && p[l] != '\t' && p[l] != '\n')
			l++;
		if (p[l] != ' ' && p[l] != '\t')
			continue;
		for (size_t i = 0; i < n; i++) {
			if (done[i] || klen[i] != l || memcmp(p, want[i].key, l))
				continue;
			/* the first line with the key counts, as in parse_kv_u64 */
			done[i] = true;
			left--;
			uint64_t v;
			if (!kv_value(p, l, &v)) {
				*want[i].out = v * (want[i].mul ? want[i].mul : 1);
				found++;
			}
			break;
		}
	}
	return found;
}

int parse_u64(const char *buf, uint64_t *out)
{
	while (isspace((unsigned char)*buf))
		buf++;
	if (!strncmp(buf, "max", 3)) {
		*out = VT_UNKNOWN;
		return 0;
	}
	const char *end;
	if (scan_u64(buf, &end, out))
		return -EINVAL;
	while (isspace((unsigned char)*end))
		end++;
	return *end ? -EINVAL : 0;
}

int parse_pressure(const char *buf, const char *which, uint64_t *total_us)
{
	size_t wl = strlen(which);
	for (const char *p = buf; p && *p; p = next_line(p)) {
		if (strncmp(p, which, wl) || p[wl] != ' ')
			continue;
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		for (const char *t = p; t && t < p + n; t = memchr(t, ' ', (size_t)(p + n - t))) {
			while (*t == ' ')
				t++;
			if (!strncmp(t, "total=", 6))
				return scan_u64(t + 6, NULL, total_us);
		}
		return -EINVAL;
	}
	return -ENOENT;
}

int parse_proc_cgroup(const char *buf, const char *controller, char *out, size_t outsz)
{
	size_t cl = strlen(controller);
	for (const char *p = buf; p && *p; p = next_line(p)) {
		const char *c1 = strchr(p, ':');
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (!c1 || c1 > eol)
			continue;
		const char *c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1));
		if (!c2)
			continue;
		const char *ctl = c1 + 1;
		size_t ctl_len = (size_t)(c2 - ctl);
		int match = 0;
		if (!cl) {
			match = ctl_len == 0 && c1 - p == 1 && p[0] == '0';
		} else {
			/* a comma-separated list such as "cpu,cpuacct" */
			const char *t = ctl;
			while (t < c2) {
				const char *comma = memchr(t, ',', (size_t)(c2 - t));
				const char *te = comma ? comma : c2;
				if ((size_t)(te - t) == cl && !strncmp(t, controller, cl))
					match = 1;
				t = te + 1;
			}
		}
		if (!match)
			continue;
		size_t n = (size_t)(eol - c2 - 1);
		if (n + 1 > outsz)
			return -ENAMETOOLONG;
		memcpy(out, c2 + 1, n);
		out[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* "MAJ:MIN" at p, ending at a space or the line's end. */
static int dev_token(const char *p, const char *eol)
{
	const char *t = p;
	while (t < eol && isdigit((unsigned char)*t))
		t++;
	if (t == p || t >= eol || *t != ':')
		return 0;
	const char *m = ++t;
	while (t < eol && isdigit((unsigned char)*t))
		t++;
	return t > m && (t == eol || *t == ' ');
}

int parse_io_stat_keys(const char *buf, const char *rkey, const char *wkey, uint64_t *rbytes,
		       uint64_t *wbytes)
{
	uint64_t r = 0, w = 0;
	int seen = 0;
	size_t rl = strlen(rkey), wl = strlen(wkey);
	for (const char *p = buf; p && *p; p = next_line(p)) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		/* A device the cgroup has a blkg for: "MAJ:MIN" and key=value
		 * tokens. The kernel prints the counters only once one is not
		 * zero, so "254:0 " alone (a cgroup with an io.max on a disk it
		 * has not used yet) and "8:0 cost.vrate=.." (iocost's own keys)
		 * are devices with nothing read or written. */
		if (dev_token(p, eol)) {
			int ok = 1;
			const char *t = p;
			while (t < eol && *t != ' ')
				t++;
			while (t < eol) {
				while (t < eol && *t == ' ')
					t++;
				int eq = 0, len = 0;
				for (; t < eol && *t != ' '; t++, len++)
					eq |= *t == '=';
				if (len && !eq)
					ok = 0;
			}
			seen |= ok;
		}
		for (const char *t = p; t < eol; t++) {
			if (t != p && t[-1] != ' ')
				continue;
			uint64_t v;
			if (!strncmp(t, rkey, rl) && !scan_u64(t + rl, NULL, &v)) {
				r += v;
				seen = 1;
			} else if (!strncmp(t, wkey, wl) && !scan_u64(t + wl, NULL, &v)) {
				w += v;
				seen = 1;
			}
		}
	}
	if (!seen && *buf)
		return -EINVAL;
	*rbytes = r;
	*wbytes = w;
	return 0;
}

int parse_io_stat(const char *buf, uint64_t *rbytes, uint64_t *wbytes)
{
	return parse_io_stat_keys(buf, "rbytes=", "wbytes=", rbytes, wbytes);
}

int parse_proc_io(const char *buf, uint64_t *rbytes, uint64_t *wbytes)
{
	int seen = 0;
	for (const char *p = buf; p && *p; p = next_line(p)) {
		if (!strncmp(p, "read_bytes: ", 12) && !scan_u64(p + 12, NULL, rbytes))
			seen |= 1;
		else if (!strncmp(p, "write_bytes: ", 13) && !scan_u64(p + 13, NULL, wbytes))
			seen |= 2;
	}
	return seen == 3 ? 0 : -EINVAL;
}

int parse_blkio_bytes(const char *buf, uint64_t *rbytes, uint64_t *wbytes)
{
	uint64_t r = 0, w = 0;
	int seen = 0;
	for (const char *p = buf; p && *p; p = next_line(p)) {
		const char *sp = strchr(p, ' ');
		const char *eol = strchr(p, '\n');
		if (!sp || (eol && sp > eol))
			continue;
		uint64_t v;
		if (!strncmp(sp + 1, "Read ", 5) && !scan_u64(sp + 6, NULL, &v)) {
			r += v;
			seen = 1;
		} else if (!strncmp(sp + 1, "Write ", 6) && !scan_u64(sp + 7, NULL, &v)) {
			w += v;
			seen = 1;
		} else if (!strncmp(p, "Total ", 6)) {
			seen = 1;
		}
	}
	if (!seen)
		return -EINVAL;
	*rbytes = r;
	*wbytes = w;
	return 0;
}

int parse_pve_conf(const char *buf, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key);
	for (const char *p = buf; p && *p; p = next_line(p)) {
		if (*p == '[')
			break;
		if (strncmp(p, key, kl) || p[kl] != ':')
			continue;
		const char *v = p + kl + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		const char *e = strchr(v, '\n');
		if (!e)
			e = v + strlen(v);
		while (e > v && isspace((unsigned char)e[-1]))
			e--;
		size_t n = (size_t)(e - v);
		if (n >= outsz)
			n = outsz - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

int parse_size(const char *s, int default_mib, uint64_t *out)
{
	const char *end;
	uint64_t v;
	if (scan_u64(s, &end, &v))
		return -EINVAL;
	uint64_t mul = default_mib ? 1ull << 20 : 1;
	switch (toupper((unsigned char)*end)) {
	case 'K': mul = 1ull << 10; end++; break;
	case 'M': mul = 1ull << 20; end++; break;
	case 'G': mul = 1ull << 30; end++; break;
	case 'T': mul = 1ull << 40; end++; break;
	case 'B': mul = 1; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end && *end != ',')
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

int is_qemu_argv0(const char *argv0)
{
	const char *b = strrchr(argv0, '/');
	b = b ? b + 1 : argv0;
	return !strncmp(b, "qemu-system-", 12) || !strcmp(b, "qemu-kvm") || !strcmp(b, "kvm");
}

/* Copy a QEMU option value up to the first lone comma (",," is a comma). */
static void qemu_opt_value(const char *v, char *out, size_t outsz)
{
	size_t o = 0;
	for (; *v && o + 1 < outsz; v++) {
		if (*v == ',') {
			if (v[1] != ',')
				break;
			v++;
		}
		out[o++] = *v;
	}
	out[o] = '\0';
}

/* Find "key=value" among the comma-separated options of s. */
static int qemu_opt_find(const char *s, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key);
	const char *p = s;
	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			qemu_opt_value(p + kl + 1, out, outsz);
			return 0;
		}
		/* skip to the next single comma */
		const char *c = p;
		while (*c) {
			if (*c == ',' && c[1] == ',') {
				c += 2;
				continue;
			}
			if (*c == ',')
				break;
			c++;
		}
		p = *c ? c + 1 : NULL;
	}
	return -ENOENT;
}

/* Does a socket option list make QEMU listen ("server", "server=on")? */
static int qemu_opt_server(const char *s)
{
	char v[16];
	if (!qemu_opt_find(s, "server", v, sizeof(v)))
		return !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1");
	/* a bare "server" flag */
	for (const char *p = s; p && *p;) {
		if (!strncmp(p, "server", 6) && (p[6] == ',' || p[6] == '\0'))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

/* The guest agent's socket: the chardev of the virtserialport named
 * org.qemu.guest_agent.0, when it is a unix socket QEMU listens on. */
static void qemu_find_qga(const char *const *args, size_t n, struct qemu_args *qa)
{
	char chr[64] = "";
	for (size_t i = 0; i + 1 < n && !chr[0]; i++) {
		const char *a = args[i] + (args[i][0] == '-' && args[i][1] == '-');
		char name[64];
		if (strcmp(a, "-device") || strncmp(args[i + 1], "virtserialport,", 15) ||
		    qemu_opt_find(args[i + 1] + 15, "name", name, sizeof(name)) ||
		    strcmp(name, "org.qemu.guest_agent.0") ||
		    qemu_opt_find(args[i + 1] + 15, "chardev", chr, sizeof(chr)))
			chr[0] = '\0';
	}
	for (size_t i = 0; i + 1 < n && chr[0]; i++) {
		const char *a = args[i] + (args[i][0] == '-' && args[i][1] == '-');
		char id[64], path[sizeof(qa->qga)];
		if (strcmp(a, "-chardev") || strncmp(args[i + 1], "socket,", 7))
			continue;
		const char *o = args[i + 1] + 7;
		if (qemu_opt_find(o, "id", id, sizeof(id)) || strcmp(id, chr) ||
		    qemu_opt_find(o, "path", path, sizeof(path)) || !qemu_opt_server(o))
			continue;
		snprintf(qa->qga, sizeof(qa->qga), "%s", path);
		return;
	}
}

void parse_qemu_args(const char *argv, size_t len, struct qemu_args *qa)
{
	memset(qa, 0, sizeof(*qa));
	qa->ram = 128ull << 20;
	const char *args[512];
	size_t n = 0;
	for (size_t i = 0; i < len && n < ARRAY_SIZE(args);) {
		args[n++] = argv + i;
		const char *z = memchr(argv + i, '\0', len - i);
		if (!z)
			break;
		i = (size_t)(z - argv) + 1;
	}
	/* the last arg may be unterminated if len was cut: drop it */
	if (n && memchr(args[n - 1], '\0', len - (size_t)(args[n - 1] - argv)) == NULL)
		n--;
	qemu_find_qga(args, n, qa);
	/* Control monitors, in order.  Proxmox gives two: "qmp" (a socket
	 * QEMU listens on) and "qmp-event" (QEMU connects out to qmeventd);
	 * only a listening socket can be asked. */
	char mon_chardev[4][64];
	size_t nmon = 0;
	int qmp_server = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		const char *a = args[i];
		const char *v = args[i + 1];
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (!strcmp(a, "-name")) {
			if (qemu_opt_find(v, "guest", qa->name, sizeof(qa->name)))
				qemu_opt_value(v, qa->name, sizeof(qa->name));
			i++;
		} else if (!strcmp(a, "-m")) {
			char sz[64];
			uint64_t b;
			if (qemu_opt_find(v, "size", sz, sizeof(sz)))
				qemu_opt_value(v, sz, sizeof(sz));
			if (!parse_size(sz, 1, &b))
				qa->ram = b;
			i++;
		} else if (!strcmp(a, "-qmp")) {
			if (!strncmp(v, "unix:", 5) && !qmp_server) {
				qemu_opt_value(v + 5, qa->qmp, sizeof(qa->qmp));
				qmp_server = qemu_opt_server(v + 5);
			}
			i++;
		} else if (!strcmp(a, "-mon")) {
			char mode[16] = "", chr[64] = "";
			qemu_opt_find(v, "mode", mode, sizeof(mode));
			if (!qemu_opt_find(v, "chardev", chr, sizeof(chr)) && !strcmp(mode, "control") &&
			    nmon < ARRAY_SIZE(mon_chardev))
				snprintf(mon_chardev[nmon++], sizeof(mon_chardev[0]), "%s", chr);
			i++;
		}
	}
	if (qmp_server)
		return;
	/* -chardev socket,id=X,path=P with a QMP monitor on X: the first
	 * listening one, else the first at all */
	for (size_t m = 0; m < nmon; m++) {
		for (size_t i = 0; i + 1 < n; i++) {
			const char *a = args[i];
			if (a[0] == '-' && a[1] == '-')
				a++;
			if (strcmp(a, "-chardev") || strncmp(args[i + 1], "socket,", 7))
				continue;
			const char *o = args[i + 1] + 7;
			char id[64] = "", path[sizeof(qa->qmp)] = "";
			if (qemu_opt_find(o, "id", id, sizeof(id)) || strcmp(id, mon_chardev[m]) ||
			    qemu_opt_find(o, "path", path, sizeof(path)))
				continue;
			if (qemu_opt_server(o)) {
				snprintf(qa->qmp, sizeof(qa->qmp), "%s", path);
				return;
			}
			if (!qa->qmp[0])
				snprintf(qa->qmp, sizeof(qa->qmp), "%s", path);
		}
	}
}

int parse_candidate_comm(const char *comm)
{
	static const char *const qemu[] = {"qemu", "kvm"};
	for (size_t i = 0; i < ARRAY_SIZE(qemu); i++)
		if (!strncmp(comm, qemu[i], strlen(qemu[i])))
			return 1;
	for (int rt = 0; rt < RT_COUNT; rt++) {
		const struct helper_proc *h = runtimes[rt].helper;
		if (h && !strncmp(comm, h->comm, strlen(h->comm)))
			return 1;
	}
	return 0;
}

static int argv0_match(const struct helper_proc *h, const char *a0, const char *base)
{
	if (h->title)
		return !strncmp(a0, h->title, strlen(h->title));
	size_t n = strlen(h->argv0);
	if (n && h->argv0[n - 1] == '*')
		return !strncmp(base, h->argv0, n - 1);
	return !strcmp(base, h->argv0);
}

/* The value of option flag ("-id", or "--id") in argv after argv[0]. */
static int option_value(const char *argv, size_t len, size_t from, const char *flag, char *id,
			size_t idsz)
{
	for (size_t i = from; i < len;) {
		const char *a = argv + i;
		size_t al = strnlen(a, len - i);
		if (al == len - i)
			break;
		size_t next = i + al + 1;
		if ((!strcmp(a, flag) || (a[0] == '-' && !strcmp(a + 1, flag))) && next < len) {
			const char *v = argv + next;
			size_t vl = strnlen(v, len - next);
			if (vl == len - next || !vl)
				break;
			snprintf(id, idsz, "%.*s", (int)vl, v);
			return 0;
		}
		i = next;
	}
	return -ENOENT;
}

/* One helper by its argv: its type and key, HELPER_NONE without its key,
 * or -1 when argv[0] is not this helper at all. */
static int helper_argv(enum runtime rt, const char *argv, size_t len, size_t l0, const char *base,
		       char *id, size_t idsz)
{
	const struct helper_proc *h = runtimes[rt].helper;
	if (!argv0_match(h, argv, base))
		return -1;
	if (h->title) {
		const char *sp = strrchr(argv + strlen(h->title), ' ');
		if (!sp || !sp[1])
			return HELPER_NONE;
		snprintf(id, idsz, "%s", sp + 1);
		return runtime_helper_type(rt);
	}
	if (option_value(argv, len, l0 + 1, h->flag, id, idsz))
		return HELPER_NONE;
	return runtime_helper_type(rt);
}

enum helper_type parse_helper(const char *argv, size_t len, char *id, size_t idsz)
{
	if (!len || !idsz)
		return HELPER_NONE;
	const char *a0 = argv;
	size_t l0 = strnlen(a0, len);
	if (l0 == len)
		return HELPER_NONE;
	const char *base = a0;
	for (const char *c = a0; *c; c++)
		if (*c == '/')
			base = c + 1;
	/* a program's own name first, then titles (which a process sets
	 * itself); the first that fits decides */
	for (int titles = 0; titles <= 1; titles++)
		for (int rt = 0; rt < RT_COUNT; rt++) {
			const struct helper_proc *h = runtimes[rt].helper;
			if (!h || (h->title != NULL) != titles)
				continue;
			int t = helper_argv((enum runtime)rt, argv, len, l0, base, id, idsz);
			if (t >= 0)
				return (enum helper_type)t;
		}
	return HELPER_NONE;
}

struct ram_map {
	uint64_t size, rss;
};

static int cmp_map_desc(const void *a, const void *b)
{
	const struct ram_map *x = a, *y = b;
	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->rss < y->rss ? 1 : x->rss > y->rss ? -1 : 0;
}

static int smaps_header(const char *p, const char *eol, uint64_t *size, int *candidate)
{
	/* start-end perms offset dev inode [path] */
	char *e;
	unsigned long long lo = strtoull(p, &e, 16);
	if (*e != '-')
		return -EINVAL;
	unsigned long long hi = strtoull(e + 1, &e, 16);
	if (*e != ' ' || hi < lo || eol - e < 6)
		return -EINVAL;
	const char *perms = e + 1;
	*size = hi - lo;
	/* skip perms, offset, dev, inode */
	const char *t = perms;
	for (int f = 0; f < 4 && t < eol; f++) {
		while (t < eol && *t != ' ')
			t++;
		while (t < eol && *t == ' ')
			t++;
	}
	size_t plen = (size_t)(eol - t);
	int anon = plen == 0 || (plen >= 6 && !strncmp(t, "/memfd:", 7)) ||
		   (plen >= 15 && !strncmp(t, "/dev/hugepages", 14)) ||
		   (plen >= 11 && !strncmp(t, "/SYSV", 5));
	*candidate = anon && perms[0] == 'r' && perms[1] == 'w' && perms[2] != 'x';
	return 0;
}

int parse_smaps_guest_ram(const char *buf, uint64_t ram_size, uint64_t *ram_rss, uint64_t *rss_total,
			  uint64_t *hugetlb)
{
	uint64_t huge = 0;
	struct ram_map *maps = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	int cur = -1; /* index of the candidate being read, or -1 */
	int seen = 0;
	for (const char *p = buf; p && *p; p = next_line(p)) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if (isxdigit((unsigned char)p[0]) && memchr(p, '-', (size_t)(eol - p)) &&
		    strncmp(p, "Rss:", 4)) {
			uint64_t size;
			int cand;
			if (smaps_header(p, eol, &size, &cand))
				continue;
			seen = 1;
			cur = -1;
			if (cand) {
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					maps = xrealloc(maps, cap * sizeof(*maps));
				}
				maps[n].size = size;
				maps[n].rss = 0;
				cur = (int)n++;
			}
		} else if (!strncmp(p, "Private_Hugetlb:", 16) || !strncmp(p, "Shared_Hugetlb:", 15)) {
			uint64_t kb;
			const char *q = strchr(p, ':') + 1;
			while (*q == ' ')
				q++;
			if (scan_u64(q, NULL, &kb))
				continue;
			huge += kb * 1024;
			if (cur >= 0)
				maps[cur].rss += kb * 1024;
		} else if (!strncmp(p, "Rss:", 4)) {
			uint64_t kb;
			const char *q = p + 4;
			while (*q == ' ')
				q++;
			if (scan_u64(q, NULL, &kb))
				continue;
			total += kb * 1024;
			if (cur >= 0)
				maps[cur].rss += kb * 1024;
		}
	}
	if (!seen) {
		free(maps);
		return -EINVAL;
	}
	if (n)
		qsort(maps, n, sizeof(*maps), cmp_map_desc);
	uint64_t got = 0, rss = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && (ram_size == 0 || got >= ram_size))
			break;
		/* small mappings are QEMU's own, never guest RAM */
		if (i > 0 && maps[i].size < (16ull << 20))
			break;
		got += maps[i].size;
		rss += maps[i].rss;
	}
	free(maps);
	*ram_rss = rss;
	*rss_total = total;
	*hugetlb = huge;
	return 0;
}
