/* The why sentence and the ledger's sums in words (include/why.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "columns.h"
#include "why.h"

/* What each part is, in the sentence. */
static const char *cpu_part_words(enum tax_cpu_part p, bool tcg)
{
	switch (p) {
	case TCP_VCPU: return tcg ? "emulating its vCPUs" : "its vCPUs' exits outside guest mode";
	case TCP_EMULATOR: return "QEMU's device emulation in its main loop";
	case TCP_IOTHREAD: return "QEMU's iothreads";
	case TCP_POOL: return "QEMU's I/O worker threads";
	case TCP_VHOST: return "vhost network workers";
	case TCP_HELPERS: return "its runtime helpers";
	case TCP_OTHER: return "other tasks in its cgroup";
	case TCP_COUNT: break;
	}
	return "?";
}

static const char *mem_part_words(enum tax_mem_part p)
{
	switch (p) {
	case TMP_KVM_PT: return "KVM's page tables";
	case TMP_HELPERS: return "its runtime helpers";
	case TMP_HOST_CACHE: return "host page cache charged to it";
	case TMP_GUEST_CACHE: return "the guest's page cache held in host RAM";
	case TMP_QEMU: return "QEMU's own memory and freed guest pages";
	case TMP_COUNT: break;
	}
	return "?";
}

static int largest_cpu(const struct guest_view *v)
{
	int big = -1;
	for (int p = 0; p < TCP_COUNT; p++)
		if (!isnan(v->cpu_part[p]) && (big < 0 || v->cpu_part[p] > v->cpu_part[big]))
			big = p;
	return big;
}

static int largest_mem(const struct guest_view *v)
{
	int big = -1;
	for (int p = 0; p < TMP_COUNT; p++)
		if (v->mem_part[p] != VT_UNKNOWN && (big < 0 || v->mem_part[p] > v->mem_part[big]))
			big = p;
	return big;
}

/* No guest time while the vCPUs work: QEMU emulates them (TCG). */
static bool emulated(const struct guest_view *v)
{
	return v->kind == KIND_VM && !isnan(v->cpu_guest) && v->cpu_guest < 0.05 &&
	       !isnan(v->tg_pct[TG_VCPU]) && v->tg_pct[TG_VCPU] >= 0.05;
}

static void cpu_clause(const struct guest_view *v, struct sb *out)
{
	int big = largest_cpu(v);
	if (isnan(v->cpu_tax) || big < 0)
		sb_adds(out, "CPU tax not known yet (it needs two samples)");
	else if (v->cpu_tax < 0.05)
		sb_adds(out, "hardly any CPU tax");
	else
		sb_printf(out, "CPU tax %.1f%%, mostly %s (%.1f%%)", v->cpu_tax,
			  cpu_part_words((enum tax_cpu_part)big, emulated(v)), v->cpu_part[big]);
}

static void mem_clause(const struct guest_view *v, struct sb *out)
{
	int big = largest_mem(v);
	char t[16], p[16];
	if (v->mem_tax == VT_UNKNOWN || big < 0) {
		sb_adds(out, "memory tax unknown");
		return;
	}
	fmt_bytes(t, sizeof(t), v->mem_tax);
	fmt_bytes(p, sizeof(p), v->mem_part[big]);
	sb_printf(out, v->mem_tax_lower_bound ? "memory tax at least %s (no report from the guest), "
						"mostly %s (%s)"
					      : "memory tax %s, mostly %s (%s)",
		  t, mem_part_words((enum tax_mem_part)big), p);
}

void why_sentence(const struct guest_view *v, struct sb *out)
{
	size_t start = out->len;
	if (v->kind == KIND_VM) {
		if (emulated(v))
			sb_adds(out, "Emulated (TCG), so its vCPUs' work is QEMU's too: ");
		cpu_clause(v, out);
		sb_adds(out, "; ");
		mem_clause(v, out);
		sb_addc(out, '.');
	} else if (v->g->h_count || (v->g->h_mem && v->g->h_mem != VT_UNKNOWN)) {
		char m[16];
		fmt_bytes(m, sizeof(m), v->mem_tax);
		sb_adds(out, "Its tax is its runtime helpers': ");
		if (isnan(v->cpu_tax))
			sb_adds(out, "CPU not known yet");
		else
			sb_printf(out, "CPU %.1f%%", v->cpu_tax);
		sb_printf(out, ", RAM %s; its page cache is ordinary host cache, not tax.", m);
	} else {
		sb_adds(out, "No helper process found: the host pays only for the container's own "
			     "work.");
	}
	/* a sentence starts with a capital */
	if (out->len > start && out->s[start] >= 'a' && out->s[start] <= 'z')
		out->s[start] = (char)(out->s[start] - 'a' + 'A');
}

void ledger_cpu_text(const struct guest_view *v, struct sb *out)
{
	if (isnan(v->cpu_tax)) {
		sb_adds(out, "-");
		return;
	}
	sb_printf(out, "%.2f%%", v->cpu_tax);
	bool done[TCP_COUNT] = {false}, any = false;
	for (;;) {
		int big = -1;
		for (int p = 0; p < TCP_COUNT; p++)
			if (!done[p] && !isnan(v->cpu_part[p]) && v->cpu_part[p] >= 0.005 &&
			    (big < 0 || v->cpu_part[p] > v->cpu_part[big]))
				big = p;
		if (big < 0)
			break;
		done[big] = true;
		sb_printf(out, " %s %s %.2f", any ? "+" : "=", tax_cpu_part_name((enum tax_cpu_part)big),
			  v->cpu_part[big]);
		any = true;
	}
}

void ledger_mem_text(const struct guest_view *v, struct sb *out)
{
	char b[16];
	fmt_bytes(b, sizeof(b), v->mem_tax);
	sb_printf(out, "%s%s", v->mem_tax_lower_bound && v->mem_tax != VT_UNKNOWN ? ">" : "", b);
	bool done[TMP_COUNT] = {false}, any = false;
	for (;;) {
		int big = -1;
		for (int p = 0; p < TMP_COUNT; p++)
			if (!done[p] && v->mem_part[p] != VT_UNKNOWN && v->mem_part[p] &&
			    (big < 0 || v->mem_part[p] > v->mem_part[big]))
				big = p;
		if (big < 0)
			break;
		done[big] = true;
		fmt_bytes(b, sizeof(b), v->mem_part[big]);
		sb_printf(out, " %s %s %s", any ? "+" : "=", tax_mem_part_name((enum tax_mem_part)big), b);
		any = true;
	}
}
