/* Exporters' formats: a frame as Prometheus text exposition and as
 * InfluxDB line protocol in Proxmox's schema (doc/export.md). Pure
 * formatting, plus the little state that keeps exported counters from
 * going back. */
#ifndef VTAX_EXPORT_H
#define VTAX_EXPORT_H

#include <stdint.h>

#include "model.h"
#include "util.h"

/* The counters exported as Prometheus _total series and Influx fields. */
enum export_counter {
	EC_CPU_USER,    /* ns: user time outside guest mode */
	EC_CPU_SYSTEM,  /* ns */
	EC_CPU_GUEST,   /* ns: guest time (VMs) */
	EC_CPU_TAX,     /* ns: VM all but guest time plus helpers; container helpers */
	EC_IO_READ,     /* bytes through the block layer */
	EC_IO_WRITE,    /* bytes */
	EC_KVM_EXITS,   /* count */
	EC_COUNT
};

/* Counters made monotonic: a raw counter that goes back (a helper process
 * that exited, two counters read a moment apart) keeps its exported value
 * instead of looking like a reset to rate(). Entries follow the guests'
 * identity (node, runtime, id, birth). */
struct export_state;

struct export_state *export_state_new(void);
void export_state_free(struct export_state *st);

/* Take the counters of f's guests; must be called once for each frame
 * before it is formatted. The state keeps no pointer into f. */
void export_update(struct export_state *st, const struct frame *f);

/* Prometheus text exposition format 0.0.4 of f (no timestamps). node is
 * the node label of guests that carry none (this host's name). */
void export_prom(struct sb *out, const struct frame *f, const struct export_state *st);

/* InfluxDB line protocol (ns timestamps), measurement "system" with
 * Proxmox's tags and fields plus vtax's own. */
void export_influx(struct sb *out, const struct frame *f, const struct export_state *st);

/* The Proxmox object a guest is ("qemu", "lxc"), else its runtime name. */
const char *export_object(const struct guest_view *v);

#endif
