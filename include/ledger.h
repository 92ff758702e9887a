/* The tax ledger (src/ledger.c): a guest's CPU and memory tax as named
 * parts that add up to the tax exactly. Part of the model. */
#ifndef VTAX_LEDGER_H
#define VTAX_LEDGER_H

#include "model.h"

/* Fill v->cpu_part and v->mem_part from v's CPU, thread groups, memory
 * and sample. */
void guest_ledger(struct guest_view *v);

#endif
