/* The tax ledger: a guest's CPU and memory tax as named parts that add up
 * to the tax exactly (doc/metrics.md, "The tax ledger"). Pure: from the
 * guest's view and sample, into its cpu_part[] and mem_part[]. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ledger.h"
#include "util.h"

const char *tax_cpu_part_name(enum tax_cpu_part p)
{
	static const char *const n[TCP_COUNT] = {
		[TCP_VCPU] = "vcpu", [TCP_EMULATOR] = "emulator", [TCP_IOTHREAD] = "iothread",
		[TCP_POOL] = "pool", [TCP_VHOST] = "vhost", [TCP_HELPERS] = "helpers",
		[TCP_OTHER] = "other",
	};
	return (unsigned)p < TCP_COUNT ? n[p] : "?";
}

const char *tax_mem_part_name(enum tax_mem_part p)
{
	static const char *const n[TMP_COUNT] = {
		[TMP_GUEST_CACHE] = "guest_cache", [TMP_HOST_CACHE] = "host_cache",
		[TMP_KVM_PT] = "kvm_pagetables", [TMP_HELPERS] = "helpers", [TMP_QEMU] = "qemu",
	};
	return (unsigned)p < TMP_COUNT ? n[p] : "?";
}

static double known(double x) { return isnan(x) || x < 0 ? 0 : x; }

/* Parts in hundredths: each rounded, the difference to the rounded total
 * given to the largest, so that what JSON prints adds up too. */
static void round_parts(double *part, int n, double total)
{
	long want = lround(total * 100), sum = 0;
	int big = -1;
	for (int i = 0; i < n; i++) {
		if (isnan(part[i]))
			continue;
		long h = lround(part[i] * 100);
		part[i] = (double)h / 100;
		sum += h;
		if (big < 0 || part[i] > part[big])
			big = i;
	}
	if (big >= 0)
		part[big] = (double)(lround(part[big] * 100) + want - sum) / 100;
}

/* A VM's CPU tax: its QEMU thread groups outside guest mode and its
 * helpers; what they do not explain is "other". Thread counters and the
 * cgroup's are read a moment apart: parts that say more than the tax are
 * scaled down to it. */
static void cpu_vm(const struct guest_view *v, double *part)
{
	part[TCP_VCPU] = known(known(v->tg_pct[TG_VCPU]) - known(v->cpu_guest));
	part[TCP_EMULATOR] = known(v->tg_pct[TG_EMU]);
	part[TCP_IOTHREAD] = known(v->tg_pct[TG_IO]);
	part[TCP_POOL] = known(v->tg_pct[TG_POOL]);
	part[TCP_VHOST] = known(v->tg_pct[TG_VHOST]);
	part[TCP_HELPERS] = known(v->cpu_helpers);
	double sum = 0;
	for (int i = 0; i < TCP_OTHER; i++)
		sum += part[i];
	if (sum > v->cpu_tax) {
		for (int i = 0; i < TCP_OTHER; i++)
			part[i] *= v->cpu_tax / sum;
		part[TCP_OTHER] = 0;
	} else {
		part[TCP_OTHER] = v->cpu_tax - sum;
	}
}

static void ledger_cpu(const struct guest_view *v, double *part)
{
	for (int i = 0; i < TCP_COUNT; i++)
		part[i] = VT_NAN;
	if (isnan(v->cpu_tax))
		return;
	if (v->kind == KIND_VM)
		cpu_vm(v, part);
	else
		part[TCP_HELPERS] = v->cpu_tax;  /* a container's tax is its helpers' */
	round_parts(part, TCP_COUNT, v->cpu_tax);
}

/* take: as much of want as is left of the tax (unknown counts as 0) */
static uint64_t take(uint64_t want, uint64_t *left)
{
	uint64_t t = want == VT_UNKNOWN ? 0 : want < *left ? want : *left;
	*left -= t;
	return t;
}

/* The memory tax carved in order, what the host counts itself first:
 * KVM's page tables, the helpers, host page cache charged to the VM; then
 * the guest's own page cache (only when the guest reports it, and at most
 * what is left); the rest is QEMU's. */
static void ledger_mem(const struct guest_view *v, uint64_t *part)
{
	const struct guest_sample *g = v->g;
	for (int i = 0; i < TMP_COUNT; i++)
		part[i] = VT_UNKNOWN;
	if (v->mem_tax == VT_UNKNOWN)
		return;
	uint64_t left = v->mem_tax;
	if (v->kind != KIND_VM) {
		part[TMP_HELPERS] = left;
		return;
	}
	part[TMP_KVM_PT] = take(g->cg_kmem_sec_pagetables, &left);
	part[TMP_HELPERS] = take(g->h_mem, &left);
	part[TMP_HOST_CACHE] = take(v->mem_cache, &left);
	if (!v->mem_tax_lower_bound)
		part[TMP_GUEST_CACHE] = take(v->g_cache, &left);
	part[TMP_QEMU] = left;
}

void guest_ledger(struct guest_view *v)
{
	ledger_cpu(v, v->cpu_part);
	ledger_mem(v, v->mem_part);
}
