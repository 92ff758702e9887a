/* Exporters' formats: a frame as Prometheus text exposition and as
 * InfluxDB line protocol in Proxmox's schema (doc/export.md), from the
 * metric registry (metrics.h) and the column table. Pure
 * formatting, plus the little state that keeps exported counters from
 * going back. */
#ifndef VTAX_EXPORT_H
#define VTAX_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "util.h"

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
/* Every Prometheus family vtax may write, one "NAME TYPE HELP" line each
 * (--list-metrics). */
void export_list(FILE *fp);

void export_prom(struct sb *out, const struct frame *f, const struct export_state *st);

/* InfluxDB line protocol (ns timestamps): per guest, measurement
 * "system" with Proxmox's tags and fields plus vtax's own, and Proxmox's
 * "nics" and "blockstat" lines (tag instance) per interface and drive. */
void export_influx(struct sb *out, const struct frame *f, const struct export_state *st);

/* The Proxmox object a guest is ("qemu", "lxc"), else its runtime name. */
const char *export_object(const struct guest_view *v);

#endif
