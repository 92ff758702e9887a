/* The collector: one live sample as a list of steps, and the policy of
 * when to list /proc again. The steps live in collect-*.c (collect-int.h
 * lists them); host counters come from host.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect-int.h"
#include "parse.h"

/* Full /proc listing at most this often (and when a guest cgroup appears). */
#define SCAN_EVERY_NS (5000000000ull)

void collector_set_focus(struct collector *c, const char *key)
{
	free(c->focus);
	c->focus = key && *key ? xstrdup(key) : NULL;
}

static int open_dir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

struct collector *collector_new(const struct collect_opts *o, char **cause)
{
	struct collector *c = xcalloc(1, sizeof(*c));
	c->nl_fd = -1;
	const char *proc = o->proc_root ? o->proc_root : "/proc";
	c->proc_fd = open_dir(proc);
	c->self = !strcmp(proc, "/proc") || !strcmp(proc, "/proc/");
	if (c->proc_fd < 0) {
		*cause = xasprintf("cannot open the proc root %s: %s", proc, strerror(errno));
		free(c);
		return NULL;
	}
	/* without /sys, KSM is unknown */
	c->sys_fd = open_dir(o->sys_root ? o->sys_root : "/sys");
	const char *root = o->cgroup_root ? o->cgroup_root : "/sys/fs/cgroup";
	if (cgfs_open(&c->cg, root, cause) < 0) {
		close(c->proc_fd);
		if (c->sys_fd >= 0)
			close(c->sys_fd);
		free(c);
		return NULL;
	}
	c->cg.pressure = o->guest_pressure;
	c->prof.on = o->profile_steps;
	c->host = host_reader_new(c->proc_fd, c->sys_fd, cause);
	if (!c->host) {
		collector_free(c);
		return NULL;
	}
	c->procs = procs_new(c->cg.proc_ctl, c->proc_fd);
	if (!c->procs) {
		*cause = xstrdup("cannot set up libproc2 process reading");
		collector_free(c);
		return NULL;
	}
	c->pve_dir = xstrdup(o->pve_dir ? o->pve_dir : "/etc/pve");
	c->kvm_dir = xstrdup(o->kvm_dir ? o->kvm_dir : "/sys/kernel/debug/kvm");
	c->pid_max = 32768;
	if (!read_small_at(c->proc_fd, "sys/kernel/pid_max", &c->buf, 64))
		parse_u64(c->buf.s, &c->pid_max);
	c->agent = agent_new(&o->agent);
	return c;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	prof_print(&c->prof, stderr);
	agent_free(c->agent);
	collect_net_free(c);
	collect_wait_sweep(c, true);
	discover_cache_free(&c->disc);
	cgfs_close(&c->cg);
	procs_free(c->procs);
	host_reader_free(c->host);
	close(c->proc_fd);
	if (c->sys_fd >= 0)
		close(c->sys_fd);
	free(c->pve_dir);
	free(c->kvm_dir);
	free(c->kvm);
	free(c->pve);
	free(c->vm);
	for (size_t i = 0; i < c->nlim; i++) {
		free(c->lim[i].path);
		free(c->lim[i].cpu_rel);
	}
	free(c->lim);
	free(c->pidbuf);
	collect_pids_clear(c);
	free(c->focus);
	sb_free(&c->buf);
	free(c);
}

void collector_settle(struct collector *c)
{
	prof_begin(&c->prof);
	collect_settle_task_io(c);
	prof_after(&c->prof, "task I/O bases, once the frame is out");
}

static int read_host(struct collector *c, struct sample *s)
{
	int err = host_read(c->host, &s->host);
	if (err)
		return err;
	s->cg_version = (uint32_t)c->cg.version;
	c->delayacct = 0;
	if (!read_file_at(c->proc_fd, "sys/kernel/task_delayacct", &c->buf, 16))
		c->delayacct = c->buf.s[0] == '1';
	s->delayacct = c->delayacct;
	return 0;
}

/* Policy, reading nothing: whether this refresh lists /proc again, at
 * most every SCAN_EVERY_NS when processes were made, at once when a new
 * guest cgroup appeared (its QEMU or helper then shows in the same
 * refresh); and whether the look is full (the first one, and one after
 * the pid allocator wrapped, when a pid may have been reused). */
static void decide_scan(const struct collector *c, struct refresh *r)
{
	uint64_t forks = r->s->host.forks;
	bool first = !c->last_scan_ns;
	bool full = first || forks == VT_UNKNOWN || forks - c->forks_at_full >= c->pid_max / 2;
	bool forked = forks == VT_UNKNOWN || forks != c->forks_at_scan;
	r->scan = first || r->appeared ||
		  (forked && now_mono_ns() - c->last_scan_ns >= SCAN_EVERY_NS);
	r->full = full && r->scan;
}

static int cmp_guest(const void *a, const void *b)
{
	return guest_sample_cmp(a, b);
}

static void finish(struct collector *c, struct sample *s)
{
	if (s->nguests)
		qsort(s->guests, s->nguests, sizeof(*s->guests), cmp_guest);
	if (c->focus)
		collect_focus(c, s);
	if (c->self)
		host_read_self(c->host, &s->host);   /* last: this sample's own cost included */
	s->notice = agent_notice(c->agent);
	if (!c->told_uid && !s->notice && geteuid() != 0) {
		c->told_uid = true;
		s->notice = xasprintf("running as uid %u, not root: VM working sets and memory "
				      "tax (QEMU's /proc/PID/smaps), the guests' own memory and VM "
				      "disk I/O (QMP sockets, /proc/PID/io), container names "
				      "(Engine API sockets) and network figures (QEMU's tap fds, "
				      "containers' namespaces) need root and show as -",
				      (unsigned)geteuid());
	}
}

int collector_sample(struct collector *c, struct sample *s)
{
	struct refresh r = {.s = s};
	struct profile *p = &c->prof;
	prof_begin(p);
	collect_pids_clear(c);   /* the last refresh's, whose sample is cleared now */
	sample_clear(s);
	int err = read_host(c, s);
	if (err)
		return err;
	prof_mark(p, "host counters");
	collect_discover(c, &r);        /* guests from the cgroup tree */
	decide_scan(c, &r);
	prof_mark(p, "discovery (cgroup tree)");
	collect_cgroup_guests(c, &r);   /* their counters; vanished ones dropped */
	prof_mark(p, "cgroup counters (and container wait)");
	collect_config_names(c, &r);
	prof_mark(p, "config names");
	collect_processes(c, &r);       /* the process table */
	prof_mark(p, "process table");
	agent_begin(c->agent);          /* what exists, told under the agent's lock */
	collect_want_names(c, &r);
	collect_want_libvirt(c, &r);
	collect_attach_qemu(c, &r);     /* QEMU to its VM, or a plain QEMU guest */
	agent_commit(c->agent);
	collect_attach_helpers(c, &r);
	collect_api_names(c, &r);
	prof_mark(p, "QEMU, helpers, API names");
	collect_vm_facts(c, &r);        /* smaps, KVM exits, threads, balloon */
	collect_vhost_threads(c, &r);   /* after the thread groups they add to */
	prof_mark(p, "VM facts (smaps, threads, vCPU wait)");
	collect_libvirt(c, &r);         /* libvirt's names, memory, net, disk */
	collect_net(c, &r);             /* one interface dump; the map when it changed */
	prof_mark(p, "network (and libvirt)");
	collect_fallback_names(&r);
	finish(c, s);                   /* sort, the focused guest, notices */
	prof_mark(p, "sort, focus, notices");
	prof_end(p, s->nguests);
	return 0;
}
