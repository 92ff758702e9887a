/* --profile-steps (include/profile.h). */
#include "config.h"

#include <string.h>
#include <time.h>

#include "profile.h"

uint64_t prof_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void prof_begin(struct profile *p)
{
	if (p->on)
		p->mark = prof_cpu_ns();
}

void prof_mark(struct profile *p, const char *name)
{
	if (!p->on)
		return;
	uint64_t now = prof_cpu_ns(), d = now - p->mark;
	p->mark = now;
	int i = 0;
	while (i < p->n && strcmp(p->step[i].name, name))
		i++;
	if (i == p->n) {
		if (p->n == PROF_STEPS_MAX)
			return;
		p->step[p->n++] = (struct prof_step){.name = name};
	}
	if (p->refreshes == 0)
		p->step[i].first_ns += d;
	else
		p->step[i].ns += d;
}

void prof_after(struct profile *p, const char *name)
{
	if (!p->on || !p->refreshes)
		return;
	p->refreshes--;
	prof_mark(p, name);
	p->refreshes++;
}

void prof_end(struct profile *p, size_t guests)
{
	if (!p->on)
		return;
	if (p->refreshes)
		p->guests += guests;
	p->refreshes++;
}

void prof_print(const struct profile *p, FILE *fp)
{
	if (!p->on || !p->refreshes)
		return;
	int later = p->refreshes - 1;
	double g = later ? (double)p->guests / later : 0;
	uint64_t first = 0, all = 0;
	for (int i = 0; i < p->n; i++) {
		first += p->step[i].first_ns;
		all += p->step[i].ns;
	}
	fprintf(fp, "vtax --profile-steps: CPU of each collection step (this thread's clock); "
		    "%d refreshes, %.0f guests on average after the first\n\n", p->refreshes, g);
	fprintf(fp, "| step | first refresh (ms) | per refresh after it (ms) | per guest (us) | share |\n");
	fprintf(fp, "|---|---|---|---|---|\n");
	for (int i = 0; i < p->n; i++) {
		const struct prof_step *s = &p->step[i];
		double per = later ? (double)s->ns / later / 1e6 : 0;
		fprintf(fp, "| %s | %.2f | %.3f | %.1f | %.0f%% |\n", s->name, (double)s->first_ns / 1e6, per,
			g > 0 ? per * 1000 / g : 0, all ? 100.0 * (double)s->ns / (double)all : 0);
	}
	fprintf(fp, "| all collection | %.2f | %.3f | %.1f | 100%% |\n", (double)first / 1e6,
		later ? (double)all / later / 1e6 : 0,
		later && g > 0 ? (double)all / later / 1e3 / g : 0);
}
