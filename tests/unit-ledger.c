/* The tax ledger over every recorded host: each guest's CPU and memory
 * tax parts add up to the tax exactly (the CPU parts as JSON prints them,
 * in hundredths), none is negative, and each kind of guest has the parts
 * it can have. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "record.h"
#include "sample.h"
#include "tap.h"
#include "util.h"

static int guests_seen, cpu_checked, mem_checked;

static void check_guest(const struct guest_view *v, const char *fx)
{
	const char *id = v->g->id ? v->g->id : "?";
	guests_seen++;
	if (!isnan(v->cpu_tax)) {
		long sum = 0;
		for (int p = 0; p < TCP_COUNT; p++) {
			if (isnan(v->cpu_part[p]))
				continue;
			CHECK(v->cpu_part[p] >= 0, "%s %s: cpu part %s < 0", fx, id,
			      tax_cpu_part_name((enum tax_cpu_part)p));
			sum += lround(v->cpu_part[p] * 100);
			if (v->kind != KIND_VM)
				CHECK(p == TCP_HELPERS, "%s %s: a container has only helpers", fx, id);
		}
		CHECK(sum == lround(v->cpu_tax * 100), "%s %s: cpu parts %ld/100, tax %.4f", fx, id, sum,
		      v->cpu_tax);
		cpu_checked++;
	} else {
		for (int p = 0; p < TCP_COUNT; p++)
			CHECK(isnan(v->cpu_part[p]), "%s %s: a cpu part of an unknown tax", fx, id);
	}
	if (v->mem_tax != VT_UNKNOWN) {
		uint64_t sum = 0;
		for (int p = 0; p < TMP_COUNT; p++)
			if (v->mem_part[p] != VT_UNKNOWN)
				sum += v->mem_part[p];
		CHECK_U64(sum, v->mem_tax);
		if (v->mem_tax_lower_bound)
			CHECK(v->mem_part[TMP_GUEST_CACHE] == VT_UNKNOWN,
			      "%s %s: a lower bound cannot split off the guest's cache", fx, id);
		mem_checked++;
	}
}

static void check_fixture(const char *path)
{
	char *cause = NULL;
	struct replay *r = replay_open(path, &cause);
	CHECK(r != NULL, "open %s: %s", path, cause ? cause : "");
	free(cause);
	if (!r)
		return;
	struct sample a = {0}, b = {0}, *prev = NULL, *cur = &a;
	for (;;) {
		cause = NULL;
		int rc = replay_next(r, cur, &cause);
		free(cause);
		if (rc != 1)
			break;
		struct frame f;
		model_compute(prev, cur, &f);
		for (size_t i = 0; i < f.n; i++)
			check_guest(&f.guests[i], strrchr(path, '/') + 1);
		frame_free(&f);
		prev = cur;
		cur = cur == &a ? &b : &a;
	}
	replay_close(r);
	sample_free(&a);
	sample_free(&b);
}

int main(void)
{
	const char *src = getenv("SRCDIR");
	const char *fixtures[] = {"proxmox-node", "proxmox-zfs", "libvirt-host", "containers-host",
				  "big-host", "lab-host", "pve-v2-host"};
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/tests/fixtures/%s.jsonl", src ? src : ".", fixtures[i]);
		check_fixture(path);
	}
	CHECK(guests_seen > 100 && cpu_checked > 50 && mem_checked > 50,
	      "the fixtures gave guests to check (%d seen, %d CPU, %d memory)", guests_seen,
	      cpu_checked, mem_checked);
	printf("# %d guest frames, %d CPU ledgers, %d memory ledgers\n", guests_seen, cpu_checked,
	       mem_checked);
	return t_done("unit-ledger");
}
