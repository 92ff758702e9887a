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

#include "driver.h"
#include "columns.h"
#include "export.h"
#include "curlx.h"
#include "outputs.h"
#include "serve.h"
#include "model.h"
#include "record.h"
#include "render.h"
#include "report.h"
#include "runtime.h"
#include "screen.h"
#include "settings.h"
#include "snapshot.h"
#include "util.h"

struct opts {
	int batch;
	int json;
	long iterations;           /* 0 = forever */
	uint64_t delay_ns;
	const char *record;
	const char *replay;
	struct ui ui;               /* -s, -r, -o */
	struct collect_opts co;
	int sort_set, delay_set, cols_set;
	int ascii, no_color;
	int headless;               /* --record DIR alone: no output but notices */
	const char *snapshot_dir;
	int batch_set;              /* -b or --json given */
	int exporting;              /* --serve, --textfile or --influx */
	const char *serve, *web_config, *textfile, *influx, *influx_token;
	const char *remote, *prometheus, *remote_auth;
	const char *replays[64];    /* --replay PATH (and PATHs after it) */
	size_t nreplays;
	int64_t since_ms, until_ms; /* --since, --until; INT64_MIN/MAX: open */
	unsigned keep_days;
	uint64_t keep_bytes;
	int keep_set;
	int screen;                 /* --screen: the screen beside --record DIR */
	double capsule_minutes;     /* --capsule-minutes; 0: no capsule */
};

static int fail_usage(const char *what, const char *arg)
{
	fprintf(stderr, "vtax: %s '%s'\nTry 'vtax --help' for more information.\n", what, arg);
	return 2;
}

/* ---- what each option does (the table below names them) ------------------ */

static int o_batch(struct opts *o, const char *a) { (void)a; o->batch = o->batch_set = 1; return 0; }
static int o_json(struct opts *o, const char *a) { (void)a; o->json = o->batch_set = 1; return 0; }
static int o_serve(struct opts *o, const char *a) { o->serve = a; return 0; }
static int o_webcfg(struct opts *o, const char *a) { o->web_config = a; return 0; }
static int o_textfile(struct opts *o, const char *a) { o->textfile = a; return 0; }
static int o_influx(struct opts *o, const char *a) { o->influx = a; return 0; }
static int o_influx_token(struct opts *o, const char *a) { o->influx_token = a; return 0; }
static int o_remote(struct opts *o, const char *a) { o->remote = a; return 0; }
static int o_prometheus(struct opts *o, const char *a) { o->prometheus = a; return 0; }
static int o_remote_auth(struct opts *o, const char *a) { o->remote_auth = a; return 0; }
static int o_record(struct opts *o, const char *a) { o->record = a; return 0; }
static int o_replay(struct opts *o, const char *a)
{
	if (o->nreplays == ARRAY_SIZE(o->replays))
		return fail_usage("too many replay paths at", a);
	if (!o->replay)
		o->replay = a;
	o->replays[o->nreplays++] = a;
	return 0;
}

static int when(const char *a, int64_t *ms)
{
	if (parse_when(a, now_real_ms(), ms))
		return fail_usage("invalid time (-2h, \"2026-11-28 22:00\", 22:00, @EPOCH):", a);
	return 0;
}

static int o_since(struct opts *o, const char *a) { return when(a, &o->since_ms); }
static int o_until(struct opts *o, const char *a) { return when(a, &o->until_ms); }
static int o_screen(struct opts *o, const char *a) { (void)a; o->screen = 1; return 0; }

static int o_keepdays(struct opts *o, const char *a)
{
	char *end;
	errno = 0;
	long v = strtol(a, &end, 10);
	if (errno || *end || v < 0 || v > 100000)
		return fail_usage("invalid number of days:", a);
	o->keep_days = (unsigned)v;
	o->keep_set = 1;
	return 0;
}

static int o_keepsize(struct opts *o, const char *a)
{
	if (parse_bytes(a, &o->keep_bytes))
		return fail_usage("invalid size (500M, 2G):", a);
	o->keep_set = 1;
	return 0;
}
static int o_capsule(struct opts *o, const char *a)
{
	char *end;
	errno = 0;
	double v = strtod(a, &end);
	if (errno || *end || end == a || !(v >= 0) || v > 1440)
		return fail_usage("invalid number of minutes (0 to 1440, fractions allowed):", a);
	o->capsule_minutes = v;
	return 0;
}
static int o_cgroot(struct opts *o, const char *a) { o->co.cgroup_root = a; return 0; }
static int o_procroot(struct opts *o, const char *a) { o->co.proc_root = a; return 0; }
static int o_sysroot(struct opts *o, const char *a) { o->co.sys_root = a; return 0; }
static int o_pve(struct opts *o, const char *a) { o->co.pve_dir = a; return 0; }
static int o_kvm(struct opts *o, const char *a) { o->co.kvm_dir = a; return 0; }
static int o_snapdir(struct opts *o, const char *a) { o->snapshot_dir = a; return 0; }
static int o_ascii(struct opts *o, const char *a) { (void)a; o->ascii = 1; return 0; }
static int o_profile(struct opts *o, const char *a) { (void)a; o->co.profile_steps = true; return 0; }
static int o_nocolor(struct opts *o, const char *a) { (void)a; o->no_color = 1; return 0; }
static int o_docker(struct opts *o, const char *a) { o->co.agent.docker_sock = a; return 0; }
static int o_podman(struct opts *o, const char *a) { o->co.agent.podman_sock = a; return 0; }

static int o_balloon(struct opts *o, const char *a)
{
	(void)a;
	o->co.agent.enable_balloon_stats = true;
	return 0;
}

static int o_iterations(struct opts *o, const char *a)
{
	char *end;
	errno = 0;
	long v = strtol(a, &end, 10);
	if (errno || *end || v < 1)
		return fail_usage("invalid number of iterations", a);
	o->iterations = v;
	return 0;
}

static int o_delay(struct opts *o, const char *a)
{
	if (parse_seconds(a, &o->delay_ns) || o->delay_ns < DELAY_MIN_NS)
		return fail_usage("invalid delay (seconds, at least " DELAY_MIN_TEXT "):", a);
	o->delay_set = 1;
	return 0;
}

static int o_sort(struct opts *o, const char *a)
{
	int col = column_find(a);
	if (col < 0)
		return fail_usage("unknown column (see --list-columns):", a);
	o->ui.sort = (enum col_id)col;
	o->sort_set = 1;
	return 0;
}

static int o_reverse(struct opts *o, const char *a)
{
	(void)a;
	o->ui.desc = false;
	o->sort_set = 1;
	return 0;
}

static int o_columns(struct opts *o, const char *list)
{
	bool add = *list == '+';
	for (int i = 0; i < COL_COUNT; i++)
		o->ui.cols[i] = add && columns[i].def;
	char *copy = xstrdup(list + add), *save = NULL;
	int rc = 0;
	for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
		int col = column_find(t);
		if (col < 0)
			rc = fail_usage("unknown column (see --list-columns):", t);
		else
			o->ui.cols[col] = true;
	}
	free(copy);
	o->cols_set = 1;
	return rc;
}

static int o_listcols(struct opts *o, const char *a)
{
	(void)o, (void)a;
	for (int i = 0; i < COL_COUNT; i++) {
		if (!column_is_table(i))
			continue;
		printf("%-12s %-8s %s\n", columns[i].name, columns[i].title, columns[i].help);
		for (int r = 0; i == COL_RUNTIME && r < RT_COUNT; r++)
			printf("%23s%-7s %-11s %s\n", "", runtimes[r].short_name, runtimes[r].name,
			       runtimes[r].description);
	}
	exit(0);
}

static int o_listmetrics(struct opts *o, const char *a)
{
	(void)o, (void)a;
	export_list(stdout);
	exit(0);
}

static void usage(FILE *fp);
static int o_help(struct opts *o, const char *a) { (void)o, (void)a; usage(stdout); exit(0); }
static int o_version(struct opts *o, const char *a)
{
	(void)o, (void)a;
	printf("vtax %s\n", PACKAGE_VERSION);
	exit(0);
}

/* The command line: getopt's tables and --help are made from this one. */
static const struct opt_def {
	const char *name;          /* long option */
	char key;                  /* short option, or 0 */
	const char *arg;           /* its argument's name, NULL: none */
	const char *help;          /* NULL: not listed (an alias) */
	int (*set)(struct opts *o, const char *arg); /* 0, or an exit status */
} options[] = {
	{"batch", 'b', NULL, "plain text frames, like top -b (the default when standard output "
			     "is not a terminal)", o_batch},
	{"iterations", 'n', "N", "stop after N frames", o_iterations},
	{"delay", 'd', "SECS", "seconds between refreshes (default 2, fractions allowed)", o_delay},
	{"json", 'j', NULL, "one JSON object per refresh (JSON Lines)", o_json},
	{"sort", 's', "COLUMN", "sort by COLUMN (default cpu_tax); see --list-columns", o_sort},
	{"reverse", 'r', NULL, "sort ascending instead of descending", o_reverse},
	{"columns", 'o', "LIST", "show these columns (comma-separated names), or +LIST: the "
				 "default ones and these", o_columns},
	{"record", 0, "FILE|DIR", "also append raw samples to FILE (JSON Lines); to DIR (an "
				  "existing directory or a path ending in /): the compact history, "
				  "a file per day, and without -b, -j or --screen nothing else "
				  "(every 10 s unless -d)", o_record},
	{"keep-days", 0, "N", "with --record DIR: remove day files beyond the newest N "
			      "(default 31, 0 keeps all)", o_keepdays},
	{"keep-size", 0, "SIZE", "with --record DIR: remove the oldest day files while all "
				 "take more than SIZE (500M, 2G)", o_keepsize},
	{"screen", 0, NULL, "with --record DIR: show the screen as well", o_screen},
	{"replay", 0, "PATH", "read samples from PATH instead of the live host: a --record "
			      "file or history directory or day file (more PATHs may follow)",
	 o_replay},
	{"since", 0, "TIME", "replay from TIME (-2h, -1d, \"2026-11-28 22:00\", 22:00, @EPOCH)",
	 o_since},
	{"until", 0, "TIME", "replay up to TIME", o_until},
	{"snapshot-dir", 0, "DIR", "where the s key saves snapshots (default: the current "
				   "directory if writable, else $HOME)", o_snapdir},
	{"capsule-minutes", 0, "N", "keep the samples of the last N minutes in memory (default "
				    "10, 0: none), saved by s and SIGUSR1 as a history file",
	 o_capsule},
	{"ascii", 0, NULL, "draw with ASCII only (default in a non-UTF-8 locale)", o_ascii},
	{"no-color", 0, NULL, "no colours (also when NO_COLOR is set)", o_nocolor},
	{"no-colour", 0, NULL, NULL, o_nocolor},
	{"enable-balloon-stats", 0, NULL, "turn on a VM's balloon statistics (QMP "
					  "guest-stats-polling-interval 2) when they are off", o_balloon},
	{"docker-socket", 0, "PATH", "Docker API socket (default: DOCKER_HOST or "
				     "/var/run/docker.sock)", o_docker},
	{"podman-socket", 0, "PATH", "Podman API socket (default /run/podman/podman.sock)", o_podman},
	{"cgroup-root", 0, "DIR", "read cgroups below DIR (default /sys/fs/cgroup)", o_cgroot},
	{"proc-root", 0, "DIR", "read vtax's own /proc files below DIR (default /proc)", o_procroot},
	{"sys-root", 0, "DIR", "read vtax's own /sys files (KSM) below DIR (default /sys)", o_sysroot},
	{"pve-dir", 0, "DIR", "Proxmox configuration directory (default /etc/pve)", o_pve},
	{"kvm-debugfs", 0, "DIR", "KVM's debugfs directory, for exits/s (default "
				  "/sys/kernel/debug/kvm)", o_kvm},
	{"serve", 0, "[ADDR:]PORT", "serve /metrics (Prometheus), /json and /sample over HTTP "
				    "(127.0.0.1 unless ADDR is given); runs without a screen", o_serve},
	{"web-config", 0, "FILE", "TLS and basic auth for --serve (the Prometheus exporters' "
				  "web configuration format)", o_webcfg},
	{"textfile", 0, "DIR", "write DIR/vtax.prom each refresh, for node_exporter's textfile "
			       "collector", o_textfile},
	{"influx", 0, "URL", "push each refresh to InfluxDB in Proxmox's schema: "
			     "http://HOST:8086/write?db=DB, .../api/v2/write?org=O&bucket=B or "
			     "udp://HOST:PORT", o_influx},
	{"influx-token-file", 0, "FILE", "the InfluxDB v2 token (default: $INFLUX_TOKEN)",
	 o_influx_token},
	{"remote", 0, "LIST", "a cluster view: the guests of other nodes' --serve "
			      "(HOST:PORT,...; pve[:PORT]: every node in /etc/pve/.members)", o_remote},
	{"prometheus", 0, "URL", "a cluster view: the guests of every node that the Prometheus "
				 "server at URL scrapes", o_prometheus},
	{"remote-auth", 0, "FILE", "user:password (one line) for --remote and --prometheus",
	 o_remote_auth},
	{"profile-steps", 0, NULL, "at the end, print on stderr the CPU each collection step "
				   "took, first refresh and the ones after it (doc/performance.md)",
	 o_profile},
	{"list-columns", 0, NULL, "list the columns and what they mean", o_listcols},
	{"list-metrics", 0, NULL, "list the Prometheus metrics of --serve and --textfile", o_listmetrics},
	{"help", 'h', NULL, "show this help and exit", o_help},
	{"version", 'V', NULL, "show the version and exit", o_version},
};

static void usage(FILE *fp)
{
	fprintf(fp, "Usage: vtax [OPTION]...\n"
		    "Show every VM and container on this host with the host resources each one\n"
		    "costs: CPU split into usr, sys, guest and iowait, memory split into working\n"
		    "set and page cache, and the virtualization tax.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct opt_def *d = &options[i];
		if (!d->help)
			continue;
		char left[64];
		snprintf(left, sizeof(left), "  %c%c%s--%s%s%s", d->key ? '-' : ' ',
			 d->key ? d->key : ' ', d->key ? ", " : "  ", d->name, d->arg ? "=" : "",
			 d->arg ? d->arg : "");
		int col = fprintf(fp, "%-24s", left);
		/* the help, wrapped at 79 columns under itself */
		const char *h = d->help;
		while (*h) {
			int start = col < 25 ? 25 : col + 2;
			size_t n = strlen(h) <= (size_t)(79 - start) ? strlen(h) : (size_t)(79 - start);
			while (n < strlen(h) && n > 0 && h[n] != ' ')
				n--;
			fprintf(fp, "%*s%.*s\n", start - col, "", (int)n, h);
			for (h += n; *h == ' '; h++)
				;
			col = 0;
		}
	}
	fprintf(fp, "\nFull documentation: man vtax\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	struct option longopts[ARRAY_SIZE(options) + 1];
	char shorts[2 * ARRAY_SIZE(options) + 2] = ":";
	size_t ns = 1;
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		longopts[i] = (struct option){options[i].name, options[i].arg ? required_argument
									      : no_argument, NULL, 256 + (int)i};
		if (options[i].key) {
			shorts[ns++] = options[i].key;
			if (options[i].arg)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	longopts[ARRAY_SIZE(options)] = (struct option){NULL, 0, NULL, 0};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		size_t i = ARRAY_SIZE(options);
		if (c >= 256)
			i = (size_t)c - 256;
		for (size_t k = 0; c < 256 && k < ARRAY_SIZE(options); k++)
			if (options[k].key == c)
				i = k;
		if (c == ':')
			return fail_usage("option needs an argument:", argv[optind - 1]);
		if (i == ARRAY_SIZE(options))
			return fail_usage("unknown option", argv[optind - 1]);
		int rc = options[i].set(o, optarg);
		if (rc)
			return rc;
	}
	/* vtax --replay DIR day-file... */
	while (o->replay && optind < argc && o->nreplays < ARRAY_SIZE(o->replays))
		o->replays[o->nreplays++] = argv[optind++];
	if (optind < argc)
		return fail_usage("unexpected argument", argv[optind]);
	if (!o->replay && (o->since_ms != INT64_MIN || o->until_ms != INT64_MAX))
		return fail_usage("--since and --until choose what to replay: add", "--replay PATH");
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
static volatile sig_atomic_t want_capsule;

static void on_stop(int sig)
{
	stop_batch = sig;
}

static void on_usr1(int sig)
{
	(void)sig;
	want_capsule = 1;
}

/* SIGUSR1: write the capsule into --snapshot-dir; told on stderr. */
static void save_capsule(const struct opts *o, const struct pipeline *p)
{
	want_capsule = 0;
	char *dir = snapshot_dir(o->snapshot_dir), path[4096], *cause = NULL;
	int64_t first, last;
	size_t n = capsule_samples(p->cap, &first, &last);
	if (snapshot_capsule(dir, p->cap, p->have_frame ? p->cur->host.hostname : "", path,
			     sizeof(path), &cause) == 0)
		fprintf(stderr, "vtax: capsule saved: %s (%zu samples, %.0f s)\n", path, n,
			(double)(last - first) / 1000.0);
	else
		fprintf(stderr, "vtax: %s\n", cause);
	free(cause);
	free(dir);
}

static void sleep_until(uint64_t deadline, const struct opts *o, const struct pipeline *p)
{
	while (!stop_batch) {
		if (want_capsule)
			save_capsule(o, p);
		uint64_t now = now_mono_ns();
		if (now >= deadline)
			return;
		uint64_t left = deadline - now;
		struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
		if (nanosleep(&ts, NULL) == 0)
			return;
	}
}

/* The exit status of a failed step: a bad replay file is 2, else 1. */
static int step_status(const struct pipeline *p)
{
	return p->src->replay && !p->rec_failed ? 2 : 1;
}

static int interactive(struct opts *o, struct pipeline *p)
{
	struct ui u;
	ui_init(&u);
	char *cause = NULL;
	settings_load(&u, &cause);
	if (o->sort_set) {
		u.sort = o->ui.sort;
		u.desc = o->ui.desc;
	}
	if ((o->remote || o->prometheus) && !o->cols_set)
		u.cols[COL_NODE] = true;
	if (o->delay_set)
		u.delay_ns = o->delay_ns;
	if (o->cols_set) {
		memcpy(u.cols, o->ui.cols, sizeof(u.cols));
		u.cols_chosen = true;
	}
	u.unprivileged = !p->src->replay && geteuid() != 0;
	/* SIGUSR1 saves a capsule in batch modes; the screen has s */
	signal(SIGUSR1, SIG_IGN);
	char *why = NULL;
	int r = pipeline_step(p, u.sort, u.desc, &why);
	if (r <= 0) {
		fprintf(stderr, "vtax: %s\n", why ? why : "no sample to show");
		free(why);
		free(cause);
		return r < 0 ? step_status(p) : 2;
	}
	struct screen_opts so = {
		.ascii = o->ascii, .no_color = o->no_color, .snapshot_dir = o->snapshot_dir,
		.notice = cause,
	};
	int rc = screen_run(&u, &so, p);
	free(cause);
	return rc;
}

/* After a replay's last frame, --serve keeps serving it until a signal. */
static void hold(const struct opts *o, const struct pipeline *p)
{
	while (!stop_batch) {
		if (want_capsule)
			save_capsule(o, p);
		struct timespec ts = {1, 0};
		nanosleep(&ts, NULL);
	}
}

/* Frames as text or JSON until the count, the end of a replay or a signal;
 * with only exporters, the same loop prints nothing (headless). */
static int batch(struct opts *o, struct pipeline *p)
{
	bool print = !o->exporting || o->batch_set;
	/* exporters see a replay at the pace it was recorded at: -d */
	bool pace = !p->src->replay || o->exporting;
	struct sb out = {0};
	uint64_t next = now_mono_ns();
	int rc = 0;
	/* a dropped SSH session or ^C ends batch output cleanly, status 0 */
	on_quit_signals(on_stop);
	for (long i = 0; (!o->iterations || i < o->iterations) && !stop_batch; i++) {
		char *cause = NULL;
		int r = pipeline_step(p, o->ui.sort, o->ui.desc, &cause);
		if (r <= 0) {
			if (cause)
				fprintf(stderr, "vtax: %s\n", cause);
			free(cause);
			rc = r < 0 ? step_status(p) : 0;
			if (!r && o->serve && !o->iterations)
				hold(o, p);
			break;
		}
		if (p->cur->notice)
			fprintf(stderr, "vtax: %s\n", p->cur->notice);
		if (want_capsule)
			save_capsule(o, p);
		sb_clear(&out);
		if (!print || o->headless)
			goto next;
		if (o->json) {
			render_json(&out, &p->f);
			sb_addc(&out, '\n');
		} else {
			if (i)
				sb_addc(&out, '\n');
			render_text(&out, &p->f, &o->ui);
		}
		if (!o->headless && write_out(stdout, &out)) {
			fprintf(stderr, "vtax: cannot write output: %s\n", strerror(errno));
			rc = 1;
			break;
		}
next:
		if (!o->iterations || i + 1 < o->iterations)
			pipeline_settle(p);   /* the frame is out: what the next one needs */
		if (pace && (!o->iterations || i + 1 < o->iterations)) {
			next += o->delay_ns;
			uint64_t now = now_mono_ns();
			if (next < now)
				next = now; /* fell behind: do not burst to catch up */
			sleep_until(next, o, p);
		}
	}
	sb_free(&out);
	return rc;
}

/* The record file, refused when it is the replayed one. */
static int open_record(const struct opts *o, FILE **rec)
{
	struct stat rst, pst;
	if (o->replay && stat(o->record, &rst) == 0 && stat(o->replay, &pst) == 0 &&
	    rst.st_dev == pst.st_dev && rst.st_ino == pst.st_ino) {
		fprintf(stderr, "vtax: --record and --replay name the same file (%s)\n", o->record);
		return 2;
	}
	bool is_new = stat(o->record, &rst) != 0 && errno == ENOENT;
	*rec = fopen(o->record, "ae");
	if (!*rec) {
		fprintf(stderr, "vtax: cannot open %s for recording: %s\n", o->record,
			strerror(errno));
		return 2;
	}
	/* a new path could have meant a directory: say which it made */
	if (is_new)
		fprintf(stderr, "vtax: --record: made the file %s (JSON Lines); a path ending in / "
				"makes a directory of compact history instead\n", o->record);
	return 0;
}

/* The exporters the options ask for; 0, or an exit status. */
static int add_outputs(struct opts *o, struct pipeline *p)
{
	char *cause = NULL;
	struct output *out;
	if (o->serve) {
		unsigned port = 0;
		if (!(out = output_serve(o->serve, o->web_config, &port, &cause)))
			goto fail;
		pipeline_add_output(p, out);
		fprintf(stderr, "vtax: serving /metrics, /json and /sample on port %u\n", port);
	}
	if (o->textfile) {
		if (!(out = output_textfile(o->textfile, &cause)))
			goto fail;
		pipeline_add_output(p, out);
	}
	if (o->influx) {
		if (!(out = output_influx(o->influx, o->influx_token, &cause)))
			goto fail;
		pipeline_add_output(p, out);
	}
	return 0;
fail:
	fprintf(stderr, "vtax: %s\n", cause);
	free(cause);
	return 2;
}

/* --record DIR: an existing directory or a path ending in '/'. */
static bool record_is_dir(const char *path)
{
	struct stat st;
	size_t n = strlen(path);
	return (n && path[n - 1] == '/') || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

static int run(struct opts *o)
{
	char *cause = NULL;
	struct source *src;
	bool hist_rec = o->record && record_is_dir(o->record);
	if (o->remote || o->prometheus) {
		struct remote_opts ro = {.delay_ns = o->delay_ns, .auth_file = o->remote_auth};
		src = o->remote ? source_remote(o->remote, &ro, &cause)
				: source_prometheus(o->prometheus, &ro, &cause);
		if (!o->cols_set)
			o->ui.cols[COL_NODE] = true;
	} else if (o->replay) {
		src = source_history(o->replays, o->nreplays, o->since_ms, o->until_ms, &cause);
	} else {
		/* two more files per guest and refresh, shown only in JSON */
		o->co.guest_pressure = o->json || o->record;
		src = source_live(&o->co, &cause);
	}
	if (!src) {
		fprintf(stderr, "vtax: %s\n", cause);
		free(cause);
		return o->replay || o->remote || o->prometheus ? 2 : 1;
	}
	FILE *rec = NULL;
	struct hist_writer *hw = NULL;
	int rc = o->record && !hist_rec ? open_record(o, &rec) : 0;
	for (size_t i = 0; hist_rec && !rc && i < o->nreplays; i++) {
		struct stat rst, pst;
		if (stat(o->record, &rst) == 0 && stat(o->replays[i], &pst) == 0 &&
		    rst.st_dev == pst.st_dev && rst.st_ino == pst.st_ino) {
			fprintf(stderr, "vtax: --record and --replay name the same directory (%s)\n",
				o->record);
			rc = 2;
		}
	}
	if (hist_rec && !rc) {
		struct stat dst;
		if (stat(o->record, &dst) != 0 && errno == ENOENT)
			fprintf(stderr, "vtax: --record: making the directory %s (compact history, a "
					"file per day)\n", o->record);
		struct hist_writer_opts ho = {.dir = o->record, .keep_days = o->keep_set ? o->keep_days : 31,
					      .keep_bytes = o->keep_bytes};
		/* tests close chunks faster than every minute */
		const char *cms = getenv("VTAX_HIST_CHUNK_MS");
		if (cms && atol(cms) > 0)
			ho.chunk_ms = atol(cms);
		hw = hist_writer_new(&ho);
	}
	if (!rc) {
		struct pipeline p;
		pipeline_init(&p, src, rec, o->record);
		p.hw = hw;
		/* tests close the capsule's chunks faster than every minute too */
		const char *cms = getenv("VTAX_HIST_CHUNK_MS");
		p.cap = capsule_new(o->capsule_minutes, cms ? atol(cms) : 0);
		/* ... and keep every sample of a fast refresh */
		const char *step = getenv("VTAX_CAPSULE_STEP_MS");
		if (step && *step)
			capsule_set_step(p.cap, atol(step));
		rc = add_outputs(o, &p);
		if (!rc)
			rc = o->batch || o->headless ? batch(o, &p) : interactive(o, &p);
		pipeline_free(&p);
		capsule_free(p.cap);
	}
	hist_writer_free(hw);
	if (rec)
		fclose(rec);
	source_free(src);
	curlx_cleanup();
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "report")) {
		setlocale(LC_ALL, "");
		setlocale(LC_NUMERIC, "C");
		return report_main(argc - 1, argv + 1);
	}
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.delay_ns = 2000000000ull;
	o.since_ms = INT64_MIN;
	o.until_ms = INT64_MAX;
	o.capsule_minutes = CAPSULE_MINUTES;
	ui_init(&o.ui);
	int r = parse_args(argc, argv, &o);
	if (r)
		return r;
	o.exporting = o.serve || o.textfile || o.influx;
	if ((o.remote != NULL) + (o.prometheus != NULL) + (o.replay != NULL) > 1) {
		fprintf(stderr, "vtax: --remote, --prometheus and --replay exclude each other\n");
		return 2;
	}
	if (o.web_config && !o.serve)
		return fail_usage("--web-config needs --serve:", o.web_config);
	signal(SIGPIPE, SIG_IGN);
	/* from the start, so that an early SIGUSR1 does not end vtax */
	struct sigaction sa = {.sa_handler = on_usr1};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	setlocale(LC_ALL, "");
	/* numbers in text and JSON always use a decimal point */
	setlocale(LC_NUMERIC, "C");
	if (o.record && !o.replay && !o.batch && !o.json && !o.screen && !o.exporting &&
	    record_is_dir(o.record)) {
		o.headless = 1;
		if (!o.delay_set)
			o.delay_ns = 10000000000ull;
	}
	/* --serve runs without a screen; the pushing exporters run beside it */
	if (!o.headless && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO) || o.json || o.serve))
		o.batch = 1;
	return run(&o);
}
