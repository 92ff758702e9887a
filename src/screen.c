/* The curses screen: paint view lines, wait for keys in the input wait,
 * refresh on time. Nothing here computes a number. */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columns.h"
#include "model.h"
#include "keys.h"
#include "screen.h"
#include "settings.h"
#include "snapshot.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Display attribute of each view attribute, with and without colour.
 * Meaning never rests on colour alone: bars differ by character too. */
static attr_t attr_of[VA_COUNT];

static void setup_attrs(bool color)
{
	for (int i = 0; i < VA_COUNT; i++)
		attr_of[i] = A_NORMAL;
	attr_of[VA_TITLE] = A_BOLD;
	attr_of[VA_LABEL] = A_BOLD;
	/* without colour the table header is underlined and the selected row
	 * reversed, so a selected first row cannot pass for the header */
	attr_of[VA_HEADER] = A_BOLD | A_UNDERLINE;
	attr_of[VA_SORTED] = A_REVERSE | A_BOLD | A_UNDERLINE;
	attr_of[VA_SELECTED] = A_REVERSE;
	attr_of[VA_WARN] = A_BOLD;
	attr_of[VA_TAX] = A_BOLD;
	attr_of[VA_FKEY] = A_BOLD;
	attr_of[VA_FTEXT] = A_REVERSE;
	if (!color)
		return;
	start_color();
	use_default_colors();
	static const struct {
		enum vattr a;
		short fg, bg;
		attr_t extra;
	} pairs[] = {
		{VA_LABEL, COLOR_CYAN, -1, A_BOLD},
		{VA_HEADER, COLOR_BLACK, COLOR_GREEN, 0},
		{VA_SORTED, COLOR_BLACK, COLOR_CYAN, A_BOLD},
		{VA_SELECTED, COLOR_BLACK, COLOR_CYAN, 0},
		{VA_DIM, COLOR_BLUE, -1, A_BOLD},
		{VA_WARN, COLOR_RED, -1, A_BOLD},
		{VA_USR, COLOR_GREEN, -1, 0},
		{VA_SYS, COLOR_RED, -1, 0},
		{VA_GUEST, COLOR_CYAN, -1, 0},
		{VA_IOW, COLOR_BLUE, -1, A_BOLD},
		{VA_STEAL, COLOR_MAGENTA, -1, 0},
		{VA_IRQ, COLOR_YELLOW, -1, 0},
		{VA_WSET, COLOR_GREEN, -1, 0},
		{VA_CACHE, COLOR_BLUE, -1, A_BOLD},
		{VA_ARC, COLOR_MAGENTA, -1, 0},
		{VA_TAX, COLOR_YELLOW, -1, A_BOLD},
		{VA_OWN, COLOR_RED, -1, 0},
		{VA_FKEY, -1, -1, A_BOLD},
		{VA_FTEXT, COLOR_BLACK, COLOR_CYAN, 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		short n = (short)(i + 1);
		if (n >= COLOR_PAIRS)
			break;
		if (init_pair(n, pairs[i].fg, pairs[i].bg) == OK)
			attr_of[pairs[i].a] = COLOR_PAIR(n) | pairs[i].extra;
	}
}

static void paint(const struct vscreen *vs)
{
	erase();
	int rows = vs->n < LINES ? vs->n : LINES;
	for (int y = 0; y < rows; y++) {
		const struct vline *l = &vs->lines[y];
		const char *t = l->text;
		int w = l->width < COLS ? l->width : COLS;
		int x = 0;
		size_t off = 0;
		while (x < w) {
			unsigned char a = l->attr[x];
			size_t start = off;
			int x0 = x;
			while (x < w && l->attr[x] == a) {
				unsigned char c = (unsigned char)t[off];
				off += c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
				x++;
			}
			/* the bottom-right cell would scroll some terminals */
			if (y == LINES - 1 && x == COLS && off > start) {
				size_t back = off - 1;
				while (back > start && ((unsigned char)t[back] & 0xc0) == 0x80)
					back--;
				off = back;
				x--;
				if (off == start)
					break;
			}
			attrset(attr_of[a < VA_COUNT ? a : 0]);
			mvaddnstr(y, x0, t + start, (int)(off - start));
		}
	}
	attrset(A_NORMAL);
	refresh();
}

struct screen_state {
	struct ui *u;
	const struct screen_opts *o;
	struct pipeline *p;
	struct vscreen vs;
	bool ended;
	bool quit;
	int rc;
	int64_t self_hot_ms;        /* since when vtax's own CPU is over SELF_HOT_PCT
				       (frame time), -1 it is not */
	bool self_told;             /* the footer said so (once a run) */
	bool settled;               /* the source had its settle for this sample */
};

static void set_status(struct ui *u, bool err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_status(struct ui *u, bool err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(u->status, sizeof(u->status), fmt, ap);
	va_end(ap);
	u->status_err = err;
	u->status_of_sample = false;
}

/* Another sample is shown: a message true of the last one goes. */
static void sample_changed(struct ui *u)
{
	if (u->status_of_sample)
		u->status[0] = '\0';
	u->status_of_sample = false;
}

/* Find the selected guest again after a re-sort or a new frame. */
static void resync_selection(struct screen_state *s)
{
	size_t *idx;
	size_t n = view_rows(&s->p->f, s->u, &idx);
	int found = -1;
	if (!s->u->sel_chosen) {
		s->u->sel_key[0] = '\0';
		s->u->sel = 0;
	}
	for (size_t i = 0; i < n && s->u->sel_key[0]; i++) {
		char key[200];
		guest_sample_key(s->p->f.guests[idx[i]].g, key, sizeof(key));
		if (!strcmp(key, s->u->sel_key))
			found = (int)i;
	}
	if (found >= 0)
		s->u->sel = found;
	if (s->u->sel >= (int)n)
		s->u->sel = (int)n - 1;
	if (s->u->sel < 0)
		s->u->sel = 0;
	if (n)
		guest_sample_key(s->p->f.guests[idx[s->u->sel]].g, s->u->sel_key, sizeof(s->u->sel_key));
	free(idx);
}

static void keep_visible(struct screen_state *s)
{
	int page = s->vs.page > 0 ? s->vs.page : 1;
	if (s->u->sel < s->u->top)
		s->u->top = s->u->sel;
	if (s->u->sel >= s->u->top + page)
		s->u->top = s->u->sel - page + 1;
	if (s->u->top < 0)
		s->u->top = 0;
}

static void resort(struct screen_state *s)
{
	pipeline_sort(s->p, s->u->sort, s->u->desc);
	resync_selection(s);
	keep_visible(s);
}

/* Where the shown sample is in a history replay, for the header. */
static void where(struct screen_state *s)
{
	size_t pos, n;
	if (s->u->travel && pipeline_where(s->p, &pos, &n)) {
		s->u->tpos = pos;
		s->u->tcount = n;
	}
}

/* vtax's own CPU, % of one CPU, that a minute long earns a word */
#define SELF_HOT_PCT 2.0
#define SELF_HOT_MS 60000

/* A live vtax that has cost more than SELF_HOT_PCT of a CPU for a minute
 * says so once, with the remedy. */
static void watch_self(struct screen_state *s)
{
	const struct frame *f = &s->p->f;
	/* a replay's or a cluster's (its nodes') cost is not this vtax's */
	if (s->self_told || s->p->src->replay || s->p->src->prev)
		return;
	if (!(f->host.self_cpu > SELF_HOT_PCT)) {
		s->self_hot_ms = -1;
		return;
	}
	if (s->self_hot_ms < 0)
		s->self_hot_ms = f->time_ms;
	if (f->time_ms - s->self_hot_ms < SELF_HOT_MS)
		return;
	s->self_told = true;
	set_status(s->u, false, "vtax itself has used %.1f%% of a CPU for a minute (every %.1fs): "
		   "a longer interval costs less (d, or -d 5)", f->host.self_cpu,
		   (double)s->u->delay_ns / 1e9);
}

/* Take the next sample and recompute the frame. */
static int advance(struct screen_state *s)
{
	char *cause = NULL;
	pipeline_focus(s->p, s->u->detail ? s->u->sel_key : NULL);
	int r = pipeline_step(s->p, s->u->sort, s->u->desc, &cause);
	if (r <= 0) {
		if (r < 0) {
			set_status(s->u, true, "%s", cause ? cause : "cannot read the host");
		} else if (!s->ended && !s->u->status[0]) {
			/* a message the admin asked for (a saved snapshot) stays;
			 * the header says [ENDED] either way */
			set_status(s->u, false, "end of the replay%s%s: the last frame stays; q quits",
				   cause ? ": " : "", cause ? cause : "");
			s->u->status_of_sample = true;
		}
		s->ended = true;
		s->u->ended = true;
		free(cause);
		return r;
	}
	sample_changed(s->u);
	s->settled = false;
	if (s->p->cur->notice)
		set_status(s->u, true, "%s", s->p->cur->notice);
	else
		watch_self(s);
	where(s);
	resync_selection(s);
	keep_visible(s);
	return 1;
}

/* Show the sample at position pos of the history replay. */
static void travel_to(struct screen_state *s, size_t pos)
{
	char *cause = NULL;
	pipeline_focus(s->p, s->u->detail ? s->u->sel_key : NULL);
	if (pipeline_seek(s->p, pos, s->u->sort, s->u->desc, &cause) <= 0) {
		set_status(s->u, true, "%s", cause ? cause : "no sample there");
	} else {
		s->ended = false;
		s->u->ended = false;
		sample_changed(s->u);
	}
	free(cause);
	where(s);
	resync_selection(s);
	keep_visible(s);
}

static void move_sel(struct screen_state *s, int delta, bool absolute)
{
	size_t *idx;
	size_t n = view_rows(&s->p->f, s->u, &idx);
	int sel = absolute ? delta : s->u->sel + delta;
	if (sel >= (int)n)
		sel = (int)n - 1;
	if (sel < 0)
		sel = 0;
	s->u->sel = sel;
	s->u->sel_chosen = true;
	if (n)
		guest_sample_key(s->p->f.guests[idx[sel]].g, s->u->sel_key, sizeof(s->u->sel_key));
	free(idx);
	keep_visible(s);
}

static void sort_by(struct screen_state *s, enum col_id c, bool desc)
{
	s->u->sort = c;
	s->u->desc = desc;
	resort(s);
	set_status(s->u, false, "sorted by %s, %s", columns[c].title,
		   desc ? "biggest first" : "smallest first");
}

/* Next or previous shown column for < and >. */
static void sort_step(struct screen_state *s, int dir)
{
	int c = (int)s->u->sort;
	for (int i = 0; i < COL_COUNT; i++) {
		c = (c + dir + COL_COUNT) % COL_COUNT;
		if (s->u->cols[c])
			break;
	}
	bool desc = columns[c].unit != UNIT_TEXT;
	sort_by(s, (enum col_id)c, desc);
}

static void save_snapshot(struct screen_state *s)
{
	char *dir = snapshot_dir(s->o->snapshot_dir);
	char path[4096], *cause = NULL;
	int r = snapshot_save(dir, &s->p->f, s->u, &s->p->hist, s->p->cap, COLS, path, sizeof(path),
			      &cause);
	if (r < 0)
		set_status(s->u, true, "%s", cause);
	else if (cause)
		set_status(s->u, true, "snapshot saved: %s (and .json; %s)", path, cause);
	else
		set_status(s->u, false, "snapshot saved: %s (and .json%s)", path, r ? ", .zst" : "");
	free(cause);
	free(dir);
}

static void input_key(struct screen_state *s, int ch)
{
	struct ui *u = s->u;
	size_t len = strlen(u->inbuf);
	if (ch == 27) {
		if (u->input == '/') {
			/* Esc clears the filter, as the help says */
			u->filter[0] = '\0';
			resync_selection(s);
			set_status(u, false, "filter cleared");
		} else {
			u->status[0] = '\0';
		}
		u->input = 0;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (u->input == '/') {
			str_copy(u->filter, sizeof(u->filter), u->inbuf);
			u->sel = 0;
			u->top = 0;
			u->sel_key[0] = '\0';
			resync_selection(s);
			u->status[0] = '\0';
		} else if (u->input == 'b') {
			/* relative times count from the replayed moment */
			int64_t ms;
			struct hist_reader *hr = source_hist_reader(s->p->src);
			if (!hr || parse_when(u->inbuf, s->p->f.time_ms, &ms))
				set_status(u, true, "not a time: %s (22:00, -2h, 2026-11-28 22:00, @EPOCH)",
					   u->inbuf);
			else
				travel_to(s, hist_find_time(hr, ms));
		} else {
			uint64_t ns;
			if (parse_seconds(u->inbuf, &ns) || ns < DELAY_MIN_NS)
				set_status(u, true, "delay must be a number of seconds, at least "
					   DELAY_MIN_TEXT);
			else {
				u->delay_ns = ns;
				set_status(u, false, "refreshing every %.1f s", (double)ns / 1e9);
			}
		}
		u->input = 0;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (u->inbuf_fresh)
			u->inbuf[0] = '\0';
		else if (len)
			u->inbuf[len - 1] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(u->inbuf)) {
		if (u->inbuf_fresh)
			len = 0;    /* the shown value is replaced, not added to */
		u->inbuf[len] = (char)ch;
		u->inbuf[len + 1] = '\0';
	}
	u->inbuf_fresh = false;
	if (u->input == '/') {
		/* filter as you type */
		str_copy(u->filter, sizeof(u->filter), u->inbuf);
		resync_selection(s);
	}
}

static void picker_key(struct screen_state *s, int ch)
{
	struct ui *u = s->u;
	switch (ch) {
	case KEY_UP: case 'k':
		for (int c = u->picker_sel - 1; c >= 0; c--)
			if (column_is_table(c)) {
				u->picker_sel = c;
				break;
			}
		break;
	case KEY_DOWN: case 'j':
		for (int c = u->picker_sel + 1; c < COL_COUNT; c++)
			if (column_is_table(c)) {
				u->picker_sel = c;
				break;
			}
		break;
	case ' ':
		if (u->picker_sel != COL_ID)
			u->cols[u->picker_sel] = !u->cols[u->picker_sel];
		u->cols_chosen = true;
		break;
	case '\n': case '\r': case KEY_ENTER:
		u->cols[u->picker_sel] = true;
		u->cols_chosen = true;
		u->picker = false;
		sort_by(s, (enum col_id)u->picker_sel, columns[u->picker_sel].unit != UNIT_TEXT);
		break;
	default:
		u->picker = false;
		break;
	}
}

static void mouse_key(struct screen_state *s)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	if (ev.y == s->vs.header_row) {
		for (int c = 0; c < COL_COUNT; c++) {
			if (s->vs.col_x[c] < 0 || ev.x < s->vs.col_x[c] ||
			    ev.x >= s->vs.col_x[c] + s->vs.col_w[c] + 1)
				continue;
			if ((enum col_id)c == s->u->sort)
				sort_by(s, (enum col_id)c, !s->u->desc);
			else
				sort_by(s, (enum col_id)c, columns[c].unit != UNIT_TEXT);
			return;
		}
	} else if (s->vs.table_top >= 0 && ev.y >= s->vs.table_top &&
		   ev.y < s->vs.table_top + s->vs.table_rows) {
		move_sel(s, s->u->top + ev.y - s->vs.table_top, true);
	}
}

/* ---- what the keys do (the table below names them) ---------------------- */

static void k_quit(struct screen_state *s, int arg) { (void)arg; s->quit = true; }
static void k_move(struct screen_state *s, int arg) { move_sel(s, arg, false); }
static void k_page(struct screen_state *s, int dir)
{
	move_sel(s, dir * (s->vs.page > 1 ? s->vs.page - 1 : 1), false);
}
static void k_jump(struct screen_state *s, int end) { move_sel(s, end ? 1 << 30 : 0, true); }
static void k_detail(struct screen_state *s, int arg)
{
	(void)arg;
	s->u->detail = !s->u->detail;
	keep_visible(s);
}
static void k_sort_step(struct screen_state *s, int dir) { sort_step(s, dir); }
static void k_picker(struct screen_state *s, int arg)
{
	(void)arg;
	s->u->picker = true;
	s->u->picker_sel = (int)s->u->sort;
}
static void k_sort(struct screen_state *s, int col) { sort_by(s, (enum col_id)col, true); }
static void k_invert(struct screen_state *s, int arg) { (void)arg; sort_by(s, s->u->sort, !s->u->desc); }
static void k_prompt(struct screen_state *s, int which)
{
	struct ui *u = s->u;
	u->input = which;
	if (which == '/')
		str_copy(u->inbuf, sizeof(u->inbuf), u->filter);
	else if (which == 'b')
		u->inbuf[0] = '\0';
	else
		snprintf(u->inbuf, sizeof(u->inbuf), "%.3g", (double)u->delay_ns / 1e9);
	u->inbuf_fresh = which == 'd';
}
static void k_unfilter(struct screen_state *s, int arg)
{
	(void)arg;
	if (s->u->filter[0]) {
		s->u->filter[0] = '\0';
		resync_selection(s);
		set_status(s->u, false, "filter cleared");
	}
}
static void k_view(struct screen_state *s, int arg)
{
	struct ui *u = s->u;
	(void)arg;
	u->mode = (enum vmode)((u->mode + 1) % MODE_COUNT);
	u->sel = 0;
	u->top = 0;
	resync_selection(s);
	set_status(u, false, "showing %s", vmode_name(u->mode));
}
static void k_next(struct screen_state *s, int arg)
{
	(void)arg;
	if (!s->ended)
		advance(s);
}
static void k_prev(struct screen_state *s, int arg)
{
	(void)arg;
	size_t from = s->u->tpos;
	if (from == 0) {
		set_status(s->u, false, "this is the first sample of the period");
		s->u->status_of_sample = true;
		return;
	}
	/* a damaged chunk leaves positions without a sample: step over them */
	for (size_t to = from - 1;; to--) {
		travel_to(s, to);
		if (s->u->tpos < from || to == 0)
			break;
	}
}
static void k_freeze(struct screen_state *s, int arg)
{
	(void)arg;
	s->u->frozen = !s->u->frozen;
	if (s->u->travel) {
		set_status(s->u, false, s->u->frozen ? "paused: t/T step, b jumps, Space plays"
						     : "playing at the recorded pace");
		return;
	}
	set_status(s->u, false, s->u->frozen ? "frozen: the view stays as it is; Space resumes"
					     : "live again");
}
static void k_save(struct screen_state *s, int arg) { (void)arg; save_snapshot(s); }
static void k_write(struct screen_state *s, int arg)
{
	char *where = NULL, *cause = NULL;
	(void)arg;
	if (settings_save(s->u, &where, &cause) == 0)
		set_status(s->u, false, "settings written to %s", where);
	else
		set_status(s->u, true, "%s", cause);
	free(where);
	free(cause);
}
static void k_help(struct screen_state *s, int arg)
{
	(void)arg;
	s->u->help = true;
	s->u->help_top = 0;
}
static void k_blame(struct screen_state *s, int arg)
{
	(void)arg;
	s->u->blame = !s->u->blame;
}
static void k_mouse(struct screen_state *s, int arg) { (void)arg; mouse_key(s); }
static void k_none(struct screen_state *s, int arg) { (void)s; (void)arg; }

/* In table order: the help screen lists the keys so, and the footer's
 * key bar shows those with a bar_key so. The sort keys T, P and M, help,
 * save and quit never leave the bar. */
/* .when is KEY_ANY unless an entry names it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const struct key_def key_table[] = {
	{"Up k", "Up/Down j/k", "move the selection", .run = k_move, .arg = -1},
	{"Down j", .run = k_move, .arg = 1},
	{"PgUp", "PgUp/PgDn", "move the selection a page", .run = k_page, .arg = -1},
	{"PgDn", .run = k_page, .arg = 1},
	{"Home g", "Home/End g/G", "to the first or the last guest", .run = k_jump, .arg = 0},
	{"End G", .run = k_jump, .arg = 1},
	{"h ? F1", "h ? F1", "this help", "h", "Help", 0, k_help, 0},
	{"Enter Return KEnter Tab", "Enter Tab", "details of the selected guest (threads, memory, "
	 "why, history)", "Enter", "Detail", 7, k_detail, 0},
	{"/", "/", "filter by name, id or runtime (Esc clears it)", "/", "Filter", 6, k_prompt, '/'},
	{"Esc", "Esc", "clear the filter", .run = k_unfilter},
	{"v", "v", "all guests / VMs / containers", "v", "View", 5, k_view, 0},
	{"<", "< >", "previous / next sort column", "<>", "Sort", 4, k_sort_step, -1},
	{">", .run = k_sort_step, .arg = 1},
	{"F6", "F6", "choose columns", .run = k_picker},
	{"B", "B", "blame: guests ranked by what they imposed on the others over the last "
	 "minute (CPU taken while others waited, disk share while the host stalled), beside "
	 "what each suffered; B again returns", "B", "Blame", 8, k_blame, 0},
	{"T", "T", "sort by CPU tax (the default)", "T", "Tax", 0, k_sort, COL_TAX, KEY_NOT_TRAVEL},
	{"t", "t", "history replay: the next sample", "t", "Next", 0, k_next, 0, KEY_TRAVEL},
	{"T", "T", "history replay: the previous sample (sort by tax with < > or F6)", "T", "Prev",
	 0, k_prev, 0, KEY_TRAVEL},
	{"b", "b", "history replay: jump to a time (22:00, -2h from the shown moment, "
	 "2026-11-28 22:00)", "b", "Jump", 0, k_prompt, 'b', KEY_TRAVEL},
	{"P", "P", "sort by CPU", "P", "CPU", 0, k_sort, COL_CPU},
	{"M", "M", "sort by host memory", "M", "Mem", 0, k_sort, COL_MEM},
	{"m", "m", "sort by memory tax (MTAX)", "m", "MTax", 0, k_sort, COL_MTAX},
	{"I", "I", "invert the sort order", "I", "Invert", 2, k_invert, 0},
	{"d", "d", "set the refresh delay", "d", "Delay", 3, k_prompt, 'd'},
	{"Space", "Space", "freeze / unfreeze the view", "Spc", "Freeze", 1, k_freeze, 0,
	 KEY_NOT_TRAVEL},
	{"Space", "Space", "history replay: pause / play at the recorded pace", "Spc", "Play", 1,
	 k_freeze, 0, KEY_TRAVEL},
	{"s", "s", "save a snapshot: .txt, .json and .zst (the last minutes)", "s", "Save", 0,
	 k_save, 0},
	{"W", "W", "write settings (vtaxrc)", .run = k_write},
	{"q F10", "q F10 Ctrl-C", "quit", "q", "Quit", 0, k_quit, 0},
	{"Mouse", "Mouse", "click a column header to sort by it, a row to select it",
	 .run = k_mouse},
	{"Resize", .run = k_none},
};
#pragma GCC diagnostic pop
const size_t key_table_n = ARRAY_SIZE(key_table);

/* What the terminal sends for a key name; a one-character name is that
 * character. */
static int key_code(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int code;
	} names[] = {
		{"Up", KEY_UP}, {"Down", KEY_DOWN}, {"PgUp", KEY_PPAGE}, {"PgDn", KEY_NPAGE},
		{"Home", KEY_HOME}, {"End", KEY_END}, {"Enter", '\n'}, {"Return", '\r'},
		{"KEnter", KEY_ENTER}, {"Tab", '\t'}, {"Esc", 27}, {"Space", ' '},
		{"F1", KEY_F(1)}, {"F6", KEY_F(6)}, {"F10", KEY_F(10)}, {"Mouse", KEY_MOUSE},
		{"Resize", KEY_RESIZE},
	};
	if (len == 1)
		return (unsigned char)name[0];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == len && !strncmp(names[i].name, name, len))
			return names[i].code;
	return -1;
}

static const struct key_def *key_find(int ch, bool travel)
{
	for (size_t i = 0; i < key_table_n; i++) {
		const char *p = key_table[i].bind;
		if (!key_active(&key_table[i], travel))
			continue;
		while (*p) {
			size_t len = strcspn(p, " ");
			if (key_code(p, len) == ch)
				return &key_table[i];
			p += len;
			p += *p == ' ';
		}
	}
	return NULL;
}

/* Keys while the help screen is open: scroll, anything else returns. */
static void help_key(struct ui *u, int ch)
{
	if (ch == KEY_DOWN || ch == 'j' || ch == KEY_NPAGE) {
		u->help_top += ch == KEY_NPAGE ? 10 : 1;
		if (u->help_top > 120)
			u->help_top = 120;
	} else if (ch == KEY_UP || ch == 'k' || ch == KEY_PPAGE) {
		u->help_top -= ch == KEY_PPAGE ? 10 : 1;
		if (u->help_top < 0)
			u->help_top = 0;
	} else if (ch != KEY_RESIZE && ch != KEY_MOUSE) {
		u->help = false;
	}
}

static void key(struct screen_state *s, int ch)
{
	struct ui *u = s->u;
	if (u->input) {
		input_key(s, ch);
	} else if (u->picker) {
		picker_key(s, ch);
	} else if (u->help) {
		help_key(u, ch);
	} else {
		u->status[0] = '\0';
		const struct key_def *k = key_find(ch, u->travel);
		if (k)
			k->run(s, k->arg);
	}
}

/* Whether the terminal has hung up: getch() then fails at once, forever. */
static bool terminal_gone(void)
{
	struct pollfd p = {STDIN_FILENO, POLLIN, 0};
	if (poll(&p, 1, 0) < 0)
		return errno != EINTR;
	return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

/* Whether the terminal can draw the bars' Unicode blocks: a UTF-8
 * locale, and not a console whose font may lack them (the Linux
 * console, a VT100-style terminal). */
static bool unicode_terminal(void)
{
	const char *cs = nl_langinfo(CODESET);
	if (!cs || strcmp(cs, "UTF-8"))
		return false;
	const char *term = getenv("TERM");
	static const char *const plain[] = {"linux", "vt1", "vt2", "vt52", "ansi", "dumb", "cons25"};
	for (size_t i = 0; term && i < ARRAY_SIZE(plain); i++)
		if (!strncmp(term, plain[i], strlen(plain[i])))
			return false;
	return true;
}

static int ms_until(uint64_t deadline)
{
	uint64_t now = now_mono_ns();
	if (now >= deadline)
		return 0;
	uint64_t ms = (deadline - now + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

int screen_run(struct ui *u, const struct screen_opts *o, struct pipeline *p)
{
	struct screen_state s;
	memset(&s, 0, sizeof(s));
	s.u = u;
	s.o = o;
	s.p = p;
	s.self_hot_ms = -1;
	resort(&s);

	u->ascii = o->ascii || !unicode_terminal();
	const char *nc = getenv("NO_COLOR");
	bool color = !o->no_color && !(nc && *nc);

	on_quit_signals(on_signal);

	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		fprintf(stderr, "vtax: cannot use this terminal (TERM=%s); try -b for batch output\n",
			getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
	mouseinterval(0);
	setup_attrs(color && has_colors());
	if (o->notice)
		set_status(u, true, "%s", o->notice);
	else if (p->cur->notice)
		set_status(u, true, "%s", p->cur->notice);

	u->travel = source_hist_reader(p->src) != NULL;
	where(&s);
	uint64_t deadline = now_mono_ns() + u->delay_ns;
	while (!s.quit && !got_signal) {
		view_build(&s.vs, &p->f, u, &p->hist, COLS, LINES);
		keep_visible(&s);
		paint(&s.vs);
		if (!s.settled) {
			/* this sample's frame is on the screen: now what the next needs */
			pipeline_settle(p);
			s.settled = true;
		}
		/* sleep in the input wait: no CPU until a key or the deadline */
		timeout(u->frozen || s.ended ? -1 : ms_until(deadline));
		int ch = getch();
		if (got_signal)
			break;
		if (ch == ERR && terminal_gone())
			break; /* the terminal went away without a SIGHUP reaching us */
		if (ch == ERR) {
			if (!u->frozen && !s.ended && now_mono_ns() >= deadline) {
				int64_t before = p->f.time_ms;
				advance(&s);
				deadline += u->delay_ns;
				if (u->travel && p->f.time_ms > before) {
					/* play at the recorded pace (at most a minute a step) */
					int64_t gap = p->f.time_ms - before;
					deadline = now_mono_ns() + (uint64_t)(gap < 60000 ? gap : 60000) * 1000000u;
				}
				if (deadline < now_mono_ns())
					deadline = now_mono_ns() + u->delay_ns;
			}
			continue;
		}
		key(&s, ch);
	}
	endwin();
	delscreen(scr);
	vscreen_free(&s.vs);
	return s.rc;
}
