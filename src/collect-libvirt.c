/* VMs that libvirtd runs (a runtime with libvirt_api): libvirtd holds
 * their QMP monitor, so their own memory, name, vCPU, interface and
 * block figures come from libvirt's API, asked by the agent. */
#include "config.h"

#include <stdlib.h>

#include "agent-libvirt.h"
#include "collect-int.h"

static bool by_libvirt(const struct guest_sample *g)
{
	return runtimes[g->runtime].libvirt_api;
}

void collect_want_libvirt(struct collector *c, struct refresh *r)
{
	for (size_t i = 0; i < r->ncg; i++)
		if (by_libvirt(&r->s->guests[i]))
			agent_want_libvirt(c->agent);
}

/* Why a libvirt VM shows no memory of its own. */
static void no_memory_note(struct guest_sample *g, const struct lv_domain *d)
{
	if (g->note || g->g_total != VT_UNKNOWN)
		return; /* QMP said (a hand-made monitor), or said why not */
	if (!d)
		g->note = xstrdup("libvirtd holds this VM's QMP monitor and libvirt's API has "
				  "not told its memory (yet, or see the notice)");
	else if (d->bal_current == VT_UNKNOWN)
		g->note = xstrdup("libvirt: no virtio balloon device, the guest cannot report "
				  "its memory");
	else
		g->note = xstrdup("libvirt: no balloon statistics; set a period: virsh "
				  "dommemstat NAME --period 2 --live, or <stats period='2'/> "
				  "in <memballoon> (and load virtio_balloon in the guest)");
}

static void take(struct guest_sample *g, const struct lv_domain *d)
{
	/* libvirt's name wins over the cgroup's, which libvirt shortens */
	if (d->name[0]) {
		free(g->name);
		g->name = xstrdup(d->name);
	}
	g->lv_at_ns = d->at_ns;
	g->lv_state = d->state;
	g->lv_cpu_ns = d->cpu_ns;
	g->lv_vcpu_ns = d->vcpu_ns;
	g->lv_net_rx_bytes = d->net_rx;
	g->lv_net_tx_bytes = d->net_tx;
	g->lv_blk_rd_bytes = d->blk_rd;
	g->lv_blk_wr_bytes = d->blk_wr;
	if (g->g_total == VT_UNKNOWN && d->bal_available != VT_UNKNOWN &&
	    d->bal_usable != VT_UNKNOWN) {
		g->g_total = d->bal_available;
		g->g_avail = d->bal_usable;
		g->g_free = d->bal_unused;
		g->g_cache = d->bal_caches;
	}
}

void collect_libvirt(struct collector *c, struct refresh *r)
{
	for (size_t i = 0; i < r->ncg; i++) {
		struct guest_sample *g = &r->s->guests[i];
		if (!by_libvirt(g))
			continue;
		struct lv_domain d;
		bool have = agent_libvirt_domain(c->agent, g->id, &d);
		if (have)
			take(g, &d);
		no_memory_note(g, have ? &d : NULL);
	}
}
