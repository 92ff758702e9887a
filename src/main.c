/* vtax: command line, the refresh loop and output selection. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect.h"
#include "columns.h"
#include "model.h"
#include "record.h"
#include "render.h"
#include "screen.h"
#include "settings.h"
#include "util.h"

struct opts {
	int batch;
	int json;
	long iterations;           /* 0 = forever */
	uint64_t delay_ns;
	const char *record;
	const char *replay;
	struct render_opts ro;
	struct collect_opts co;
	int sort_set, delay_set, cols_set;
	int ascii, no_color;
	const char *snapshot_dir;
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: vtax [OPTION]...\n"
		"Show every VM and container on this host with the host resources each one\n"
		"costs: CPU split into usr, sys, guest and iowait, memory split into working\n"
		"set and page cache, and the virtualization tax.\n"
		"\n"
		"  -b, --batch            plain text frames, like top -b (the default when\n"
		"                         standard output is not a terminal)\n"
		"  -n, --iterations=N     stop after N frames\n"
		"  -d, --delay=SECS       seconds between refreshes (default 2, fractions allowed)\n"
		"  -j, --json             one JSON object per refresh (JSON Lines)\n"
		"  -s, --sort=COLUMN      sort by COLUMN (default cpu_tax); see --list-columns\n"
		"  -r, --reverse          sort ascending instead of descending\n"
		"  -o, --columns=LIST     show these columns (comma-separated names), or\n"
		"                         +LIST: the default ones and these\n"
		"      --record=FILE      also append raw samples to FILE (JSON Lines)\n"
		"      --replay=FILE      read samples from FILE instead of the live host\n"
		"      --snapshot-dir=DIR where the s key saves snapshots (default: the\n"
		"                         current directory if writable, else $HOME)\n"
		"      --ascii            draw with ASCII only (default in a non-UTF-8 locale)\n"
		"      --no-color         no colours (also when NO_COLOR is set)\n"
		"      --enable-balloon-stats  turn on a VM's balloon statistics (QMP\n"
		"                         guest-stats-polling-interval 2) when they are off\n"
		"      --docker-socket=PATH   Docker API socket (default: DOCKER_HOST or\n"
		"                         /var/run/docker.sock)\n"
		"      --podman-socket=PATH   Podman API socket (default /run/podman/podman.sock)\n"
		"      --cgroup-root=DIR  read cgroups below DIR (default /sys/fs/cgroup)\n"
		"      --proc-root=DIR    read vtax's own /proc files below DIR (default /proc)\n"
		"      --pve-dir=DIR      Proxmox configuration directory (default /etc/pve)\n"
		"      --kvm-debugfs=DIR  KVM's debugfs directory, for exits/s (default\n"
		"                         /sys/kernel/debug/kvm)\n"
		"      --list-columns     list the columns and what they mean\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"
		"\n"
		"Full documentation: man vtax\n");
}

static int fail_usage(const char *what, const char *arg)
{
	fprintf(stderr, "vtax: %s '%s'\nTry 'vtax --help' for more information.\n", what, arg);
	return 2;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_RECORD = 256, OPT_REPLAY, OPT_CGROOT, OPT_PVE, OPT_LISTCOLS, OPT_SNAPDIR,
	       OPT_ASCII, OPT_NOCOLOR, OPT_BALLOON, OPT_DOCKER, OPT_PODMAN, OPT_KVM, OPT_PROCROOT };
	static const struct option longopts[] = {
		{"batch", no_argument, NULL, 'b'},
		{"iterations", required_argument, NULL, 'n'},
		{"delay", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"sort", required_argument, NULL, 's'},
		{"reverse", no_argument, NULL, 'r'},
		{"columns", required_argument, NULL, 'o'},
		{"record", required_argument, NULL, OPT_RECORD},
		{"replay", required_argument, NULL, OPT_REPLAY},
		{"cgroup-root", required_argument, NULL, OPT_CGROOT},
		{"proc-root", required_argument, NULL, OPT_PROCROOT},
		{"pve-dir", required_argument, NULL, OPT_PVE},
		{"kvm-debugfs", required_argument, NULL, OPT_KVM},
		{"list-columns", no_argument, NULL, OPT_LISTCOLS},
		{"snapshot-dir", required_argument, NULL, OPT_SNAPDIR},
		{"enable-balloon-stats", no_argument, NULL, OPT_BALLOON},
		{"docker-socket", required_argument, NULL, OPT_DOCKER},
		{"podman-socket", required_argument, NULL, OPT_PODMAN},
		{"ascii", no_argument, NULL, OPT_ASCII},
		{"no-color", no_argument, NULL, OPT_NOCOLOR},
		{"no-colour", no_argument, NULL, OPT_NOCOLOR},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":bn:d:js:ro:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->batch = 1;
			break;
		case 'n': {
			char *end;
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1)
				return fail_usage("invalid number of iterations", optarg);
			o->iterations = v;
			break;
		}
		case 'd':
			if (parse_seconds(optarg, &o->delay_ns) || o->delay_ns < 10000000ull)
				return fail_usage("invalid delay (seconds, at least 0.01):", optarg);
			o->delay_set = 1;
			break;
		case 'j':
			o->json = 1;
			break;
		case 's': {
			int col = column_find(optarg);
			if (col < 0)
				return fail_usage("unknown column (see --list-columns):", optarg);
			o->ro.sort = (enum col_id)col;
			o->sort_set = 1;
			break;
		}
		case 'r':
			o->ro.desc = false;
			o->sort_set = 1;
			break;
		case 'o': {
			const char *list = optarg;
			bool add = *list == '+';
			for (int i = 0; i < COL_COUNT; i++)
				o->ro.cols[i] = add && columns[i].def;
			char *copy = xstrdup(list + add), *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				int col = column_find(t);
				if (col < 0) {
					int rc = fail_usage("unknown column (see --list-columns):", t);
					free(copy);
					return rc;
				}
				o->ro.cols[col] = true;
			}
			free(copy);
			o->cols_set = 1;
			break;
		}
		case OPT_RECORD:
			o->record = optarg;
			break;
		case OPT_REPLAY:
			o->replay = optarg;
			break;
		case OPT_CGROOT:
			o->co.cgroup_root = optarg;
			break;
		case OPT_PROCROOT:
			o->co.proc_root = optarg;
			break;
		case OPT_PVE:
			o->co.pve_dir = optarg;
			break;
		case OPT_KVM:
			o->co.kvm_dir = optarg;
			break;
		case OPT_BALLOON:
			o->co.agent.enable_balloon_stats = true;
			break;
		case OPT_DOCKER:
			o->co.agent.docker_sock = optarg;
			break;
		case OPT_PODMAN:
			o->co.agent.podman_sock = optarg;
			break;
		case OPT_SNAPDIR:
			o->snapshot_dir = optarg;
			break;
		case OPT_ASCII:
			o->ascii = 1;
			break;
		case OPT_NOCOLOR:
			o->no_color = 1;
			break;
		case OPT_LISTCOLS:
			for (int i = 0; i < COL_COUNT; i++)
				printf("%-12s %-8s %s\n", columns[i].name, columns[i].title, columns[i].help);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("vtax %s\n", PACKAGE_VERSION);
			exit(0);
		case ':':
			return fail_usage("option needs an argument:", argv[optind - 1]);
		default:
			return fail_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail_usage("unexpected argument", argv[optind]);
	return 0;
}

/* Write all of b to fd; EPIPE (reader gone, as with | head) ends quietly. */
static int write_out(FILE *fp, const struct sb *b)
{
	if (fwrite(b->s, 1, b->len, fp) != b->len || fflush(fp)) {
		if (errno == EPIPE)
			exit(0);
		return -errno;
	}
	return 0;
}

static volatile sig_atomic_t stop_batch;

static void on_stop(int sig)
{
	stop_batch = sig;
}

static void sleep_until(uint64_t deadline)
{
	while (!stop_batch) {
		uint64_t now = now_mono_ns();
		if (now >= deadline)
			return;
		uint64_t left = deadline - now;
		struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
		if (nanosleep(&ts, NULL) == 0)
			return;
	}
}

struct live_src {
	struct collector *col;
	struct replay *rp;
	FILE *rec;
	const char *rec_path;
	struct sb buf;
	int started;
	uint64_t interval_ns;
};

/* One sample from the collector or the replay file, recorded if asked. */
static int src_next(void *ctx, struct sample *s, char **cause)
{
	struct live_src *ls = ctx;
	if (ls->rp) {
		int r = replay_next(ls->rp, s, cause);
		if (r <= 0)
			return r;
	} else {
		int err = collector_sample(ls->col, s);
		if (err) {
			*cause = xasprintf("cannot read the host: %s", strerror(-err));
			return -1;
		}
	}
	if (ls->rec) {
		sb_clear(&ls->buf);
		record_sample(&ls->buf, s);
		if (fwrite(ls->buf.s, 1, ls->buf.len, ls->rec) != ls->buf.len || fflush(ls->rec)) {
			*cause = xasprintf("cannot write %s: %s", ls->rec_path, strerror(errno));
			return -1;
		}
	}
	return 1;
}

static void src_focus(void *ctx, const char *key)
{
	struct live_src *ls = ctx;
	if (ls->col)
		collector_set_focus(ls->col, key);
}

static int interactive(struct opts *o, struct live_src *ls)
{
	struct ui u;
	ui_init(&u);
	char *cause = NULL;
	settings_load(&u, &cause);
	if (o->sort_set) {
		u.sort = o->ro.sort;
		u.desc = o->ro.desc;
	}
	if (o->delay_set)
		u.delay_ns = o->delay_ns;
	if (o->cols_set)
		memcpy(u.cols, o->ro.cols, sizeof(u.cols));
	u.unprivileged = ls->col && geteuid() != 0;
	struct screen_opts so = {
		.ascii = o->ascii, .no_color = o->no_color, .snapshot_dir = o->snapshot_dir,
		.notice = cause, .replay = ls->rp != NULL,
	};
	struct source src = {src_next, src_focus, ls};
	int rc = screen_run(&u, &so, &src);
	free(cause);
	return rc;
}

static int run(struct opts *o)
{
	char *cause = NULL;
	struct collector *col = NULL;
	struct replay *rp = NULL;
	FILE *rec = NULL;
	int rc = 0;
	if (o->replay) {
		rp = replay_open(o->replay, &cause);
		if (!rp) {
			fprintf(stderr, "vtax: %s\n", cause);
			free(cause);
			return 2;
		}
	} else {
		/* two more files per guest and refresh, shown only in JSON */
		o->co.guest_pressure = o->json || o->record;
		col = collector_new(&o->co, &cause);
		if (!col) {
			fprintf(stderr, "vtax: %s\n", cause);
			free(cause);
			return 1;
		}
	}
	struct stat rst, pst;
	if (o->record && rp && stat(o->record, &rst) == 0 && stat(o->replay, &pst) == 0 &&
	    rst.st_dev == pst.st_dev && rst.st_ino == pst.st_ino) {
		fprintf(stderr, "vtax: --record and --replay name the same file (%s)\n", o->record);
		rc = 2;
		goto out;
	}
	if (o->record) {
		rec = fopen(o->record, "ae");
		if (!rec) {
			fprintf(stderr, "vtax: cannot open %s for recording: %s\n", o->record,
				strerror(errno));
			rc = 2;
			goto out;
		}
	}
	if (!o->batch) {
		struct live_src ls = {.col = col, .rp = rp, .rec = rec, .rec_path = o->record};
		rc = interactive(o, &ls);
		sb_free(&ls.buf);
		goto out;
	}
	struct sample a = {0}, b = {0};
	struct sample *prev = NULL, *cur = &a;
	struct sb out = {0};
	uint64_t next = now_mono_ns();
	if (o->batch) {
		/* a dropped SSH session or ^C ends batch output cleanly, status 0 */
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	for (long i = 0; (!o->iterations || i < o->iterations) && !stop_batch; i++) {
		if (rp) {
			int r = replay_next(rp, cur, &cause);
			if (r <= 0) {
				if (cause) {
					fprintf(stderr, "vtax: %s\n", cause);
					free(cause);
					cause = NULL;
					if (r < 0)
						rc = 2;
				}
				break;
			}
		} else {
			int err = collector_sample(col, cur);
			if (err) {
				fprintf(stderr, "vtax: cannot read the host: %s\n", strerror(-err));
				rc = 1;
				break;
			}
		}
		if (rec) {
			sb_clear(&out);
			record_sample(&out, cur);
			if (write_out(rec, &out)) {
				fprintf(stderr, "vtax: cannot write %s: %s\n", o->record, strerror(errno));
				rc = 1;
				break;
			}
		}
		if (cur->notice)
			fprintf(stderr, "vtax: %s\n", cur->notice);
		struct frame f;
		model_compute(prev, cur, &f);
		columns_sort(&f, o->ro.sort, o->ro.desc);
		sb_clear(&out);
		if (o->json) {
			render_json(&out, &f);
			sb_addc(&out, '\n');
		} else {
			if (i)
				sb_addc(&out, '\n');
			render_text(&out, &f, &o->ro);
		}
		frame_free(&f);
		if (write_out(stdout, &out)) {
			fprintf(stderr, "vtax: cannot write output: %s\n", strerror(errno));
			rc = 1;
			break;
		}
		prev = cur;
		cur = cur == &a ? &b : &a;
		if (!rp && (!o->iterations || i + 1 < o->iterations)) {
			next += o->delay_ns;
			uint64_t now = now_mono_ns();
			if (next < now)
				next = now; /* fell behind: do not burst to catch up */
			sleep_until(next);
		}
	}
	sb_free(&out);
	sample_free(&a);
	sample_free(&b);
out:
	if (rec)
		fclose(rec);
	replay_close(rp);
	collector_free(col);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.delay_ns = 2000000000ull;
	render_opts_default(&o.ro);
	int r = parse_args(argc, argv, &o);
	if (r)
		return r;
	signal(SIGPIPE, SIG_IGN);
	setlocale(LC_ALL, "");
	/* numbers in text and JSON always use a decimal point */
	setlocale(LC_NUMERIC, "C");
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO) || o.json)
		o.batch = 1;
	return run(&o);
}
