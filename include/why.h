/* What a guest's tax is made of, in words and in sums, from the ledger
 * (src/ledger.c): the detail pane, batch text's explanation and JSON's
 * "why" all say the same. Pure text from the model. */
#ifndef VTAX_WHY_H
#define VTAX_WHY_H

#include "model.h"
#include "util.h"

/* One sentence, one wording per case: a VM (emulated or not, its memory
 * reported or a lower bound), a container with helpers or without. */
void why_sentence(const struct guest_view *v, struct sb *out);

/* The ledger with its sum: "6.00% = vcpu 1.50 + emulator 3.50", the
 * parts that are not 0, largest first; "-" when the tax is unknown. */
void ledger_cpu_text(const struct guest_view *v, struct sb *out);
void ledger_mem_text(const struct guest_view *v, struct sb *out);

#endif
