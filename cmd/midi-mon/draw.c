/* draw.c: drawing the interactive monitor: two status lines, the activity
 * panel (a light and a count per group and channel, counts per type), the
 * log or the help or a line's detail, and the key hints or a prompt at the
 * bottom. Names and text are UTF-8, cut to the screen by display width. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "midi/identity.h"
#include "midi/msg.h"
#include "ui.h"

#define CP_GREEN 1
#define CP_YELLOW 2
#define CP_RED 3
#define CP_CYAN 4

static const char *const help_text[] = {
	"Keys",
	"  q            quit (exit status 5 if messages were lost)",
	"  ?            this help (any key closes it)",
	"  space        pause or resume the log; messages keep being received and counted",
	"  Up, Down     select a line (pauses); PgUp, PgDn, Home, End move further",
	"  Enter        detail of the selected line: the packet, every SysEx byte,",
	"               Identity Replies decoded",
	"  Esc          leave the selection (space resumes)",
	"  t            types to show, as for --type (note,cc); a list of -x and +x",
	"               hides and shows types in the set in force; empty: the default",
	"  g            groups to show, 1-16 and ranges (1,3-4); empty: all",
	"  c            channels to show, 1-16 and ranges; empty: all",
	"  k            show or hide timing clock",
	"  s            show or hide active sensing",
	"  r            the filters of the command line again",
	"",
	"Filters apply to messages from then on. The lights and counts above the log",
	"count every message received, shown or not.",
};

static int attr_color(int pair)
{
	return has_colors() ? COLOR_PAIR(pair) : 0;
}

/* Write s at (y, x) in at most w columns, by display width. */
static int put(int y, int x, const char *s, int w)
{
	wchar_t wb[512];
	mbstate_t st;
	const char *src = s;
	memset(&st, 0, sizeof st);
	if (w <= 0)
		return 0;
	size_t n = mbsrtowcs(wb, &src, sizeof wb / sizeof wb[0] - 1, &st);
	if (n == (size_t)-1) { /* not valid in the locale: the bytes as they are */
		mvaddnstr(y, x, s, w);
		return (int)strnlen(s, (size_t)w);
	}
	int cols = 0;
	size_t i;
	for (i = 0; i < n; i++) {
		int cw = wcwidth(wb[i]);
		if (cw < 0) {
			wb[i] = L'?';
			cw = 1;
		}
		if (cols + cw > w)
			break;
		cols += cw;
	}
	mvaddnwstr(y, x, wb, (int)i);
	return cols;
}

static int putf(int y, int x, int w, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int putf(int y, int x, int w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return put(y, x, buf, w);
}

/* A count in 3 columns: 999, 12k, 99M, 12G. */
static void count3(uint64_t v, char out[8])
{
	static const char unit[] = "kMGTPE";
	if (v < 1000) {
		snprintf(out, 8, "%3u", (unsigned)v);
		return;
	}
	int u = 0;
	v /= 1000;
	while (v >= 100 && unit[u + 1]) {
		v /= 1000;
		u++;
	}
	snprintf(out, 8, "%2u%c", (unsigned)v, unit[u]);
}

static void status_lines(struct mon_ui *ui)
{
	const midi_endpoint_info *info = midi_conn_info(ui->o->conn);
	char state[640], filt[256];
	int sattr = A_BOLD;
	if (ui->closed) {
		snprintf(state, sizeof state, "CLOSED: %s ", ui->closed_msg);
		sattr |= attr_color(CP_RED);
	} else if (ui->away) {
		snprintf(state, sizeof state, "WAITING for the endpoint to come back ");
		sattr |= attr_color(CP_YELLOW);
	} else if (ui->paused) {
		snprintf(state, sizeof state, "PAUSED (+%llu new) ",
			 (unsigned long long)(ui->log.end - ui->view_end));
		sattr |= attr_color(CP_YELLOW);
	} else {
		snprintf(state, sizeof state, "LIVE ");
	}
	mvhline(0, 0, ' ' | A_REVERSE, COLS);
	attron(A_REVERSE);
	int sw = (int)strlen(state);
	if (sw > COLS)
		sw = COLS;
	put(0, 0, "", 0);
	putf(0, 0, COLS - sw - 1, " midi-mon  %s  %s", info->id, info->name);
	attron(sattr);
	put(0, COLS - sw, state, sw);
	attroff(sattr);
	attroff(A_REVERSE);

	move(1, 0);
	clrtoeol();
	int x = putf(1, 0, COLS, "received %llu  shown %llu  ", (unsigned long long)ui->received,
		     (unsigned long long)ui->shown);
	int la = ui->lost ? (A_BOLD | attr_color(CP_RED)) : 0;
	attron(la);
	x += putf(1, x, COLS - x, "lost %llu", (unsigned long long)ui->lost);
	attroff(la);
	mon_filter_describe(&ui->filter, filt, sizeof filt);
	putf(1, x, COLS - x, "  dropped %llu  | %s", (unsigned long long)mon_log_first(&ui->log), filt);
}

static void light(int level, uint64_t count)
{
	static const char glyph[] = " .oO#";
	int a = level >= 3 ? (int)A_BOLD | attr_color(CP_GREEN) : level ? attr_color(CP_GREEN) : (int)A_DIM;
	attron(a);
	addch((chtype)(level ? glyph[level] : count ? '.' : ' '));
	attroff(a);
}

/* The activity panel from row y; returns the next free row. */
static int activity(struct mon_ui *ui, int y, int max_groups, uint64_t now)
{
	const struct mon_activity *a = &ui->act;
	/* Cells of a light and a count; narrower, lights only; narrowest,
	 * channels numbered 1-9 then A-G. */
	int wide = COLS >= 4 + MON_CELLS * 5;
	int cw = wide ? 5 : COLS >= 4 + MON_CELLS * 3 ? 3 : 2;
	int used = 0;
	for (int g = 0; g < 16; g++)
		used += a->groups_used >> g & 1;
	move(y, 0);
	clrtoeol();
	attron(A_BOLD);
	put(y, 0, "grp", 4);
	for (int c = 0; c < MON_CELLS && 4 + (c + 1) * cw <= COLS; c++) {
		if (c == 16)
			putf(y, 4 + c * cw, cw, "%*s", cw, cw == 5 ? "sys" : "s");
		else if (cw > 2)
			putf(y, 4 + c * cw, cw, "%*d", cw, c + 1);
		else
			putf(y, 4 + c * cw, cw, " %c", "123456789ABCDEFG"[c]);
	}
	attroff(A_BOLD);
	y++;
	int rows = 0;
	for (int g = 0; g < 16 && rows < max_groups; g++) {
		if (!(a->groups_used >> g & 1) && !(used == 0 && g == 0))
			continue;
		move(y, 0);
		clrtoeol();
		putf(y, 0, 4, "%-3d", g + 1);
		for (int c = 0; c < MON_CELLS && 4 + (c + 1) * cw <= COLS; c++) {
			char n[8];
			move(y, 4 + c * cw + 1);
			light(mon_activity_level(a->last[g][c], now), a->count[g][c]);
			if (wide) {
				count3(a->count[g][c], n);
				put(y, 4 + c * cw + 2, a->count[g][c] ? n : "", 3);
			}
		}
		y++;
		rows++;
	}
	/* Counts per type, those seen. */
	move(y, 0);
	clrtoeol();
	int x = 0;
	if (used > rows) {
		attron(A_BOLD);
		x += putf(y, x, COLS - x, "(%d more groups)  ", used - rows);
		attroff(A_BOLD);
	}
	for (int t = 0; t < MON_TYPES && x < COLS; t++) {
		if (!a->types[t])
			continue;
		x += putf(y, x, COLS - x, "%s %llu  ", midi_filter_type_str((unsigned)t),
			      (unsigned long long)a->types[t]);
	}
	if (a->ungrouped && x < COLS)
		putf(y, x, COLS - x, "(no group: %llu)", (unsigned long long)a->ungrouped);
	if (!x && !a->ungrouped && !used)
		put(y, 0, "no messages yet", COLS);
	return y + 1;
}

static double seconds(const struct mon_ui *ui, uint64_t t)
{
	if (ui->o->abs_time)
		return t / 1e9;
	return t > ui->o->start ? (t - ui->o->start) / 1e9 : 0.0;
}

static void log_lines(struct mon_ui *ui, int top, int rows)
{
	uint64_t first = mon_log_first(&ui->log), end = ui->log.end;
	if (ui->paused) {
		/* Lines evicted from the frozen view: slide it to the oldest
		 * lines still held. */
		if (first > 0 && ui->view_end < first + (uint64_t)rows)
			ui->view_end = first + (uint64_t)rows < end ? first + (uint64_t)rows : end;
		if (ui->sel != MON_NO_SEL && ui->sel < first)
			ui->sel = first;
		end = ui->view_end;
	}
	uint64_t start = end > (uint64_t)rows ? end - (uint64_t)rows : 0;
	if (start < first)
		start = first;
	for (int i = 0; i < rows; i++) {
		int y = top + i;
		move(y, 0);
		clrtoeol();
		const struct mon_line *ln = start + (uint64_t)i < end ? mon_log_get(&ui->log, start + (uint64_t)i) : NULL;
		if (!ln)
			continue;
		char g[4] = "-", c[5] = "-";
		if (ln->group != MON_NO_CHANNEL)
			snprintf(g, sizeof g, "%u", ln->group + 1);
		if (ln->channel != MON_NO_CHANNEL)
			snprintf(c, sizeof c, "%u", ln->channel + 1);
		int a = start + (uint64_t)i == ui->sel ? A_REVERSE : 0;
		if (a)
			mvhline(y, 0, ' ' | A_REVERSE, COLS);
		attron(a);
		int x = putf(y, 0, COLS, "%12.6f %3s %3s  ", seconds(ui, ln->time_ns), g, c);
		int ta = ln->sysex ? attr_color(CP_CYAN) : 0;
		attron(ta);
		put(y, x, ln->text, COLS - x);
		attroff(ta);
		attroff(a);
	}
}

/* Line idx of the detail view of ln into buf; 0 past the end. */
static int detail_line(const struct mon_ui *ui, const struct mon_line *ln, uint64_t seq, int idx,
		       char *buf, size_t n)
{
	char tmp[200];
	const uint8_t *d = ln->data;
	size_t len = ln->len;
	unsigned dev;
	midi_stream_identity id;
	int ident = ln->sysex == 7 && d && midi_identity_reply_parse(d, len, &dev, &id) == 0;
	if (ln->sysex == 8 && len > 0) { /* stream id first */
		d = d ? d + 1 : NULL;
		len--;
	}
	switch (idx) {
	case 0:
		snprintf(buf, n, "Line %llu, at %.6f s", (unsigned long long)seq + 1, seconds(ui, ln->time_ns));
		return 1;
	case 1: {
		int k = snprintf(buf, n, "Packet:  ");
		for (unsigned i = 0; i < midi_ump_words(&ln->ump); i++)
			k += snprintf(buf + k, n - (size_t)k, "%08X ", (unsigned)ln->ump.w[i]);
		if (ln->sysex)
			snprintf(buf + k, n - (size_t)k, "(the last of the SysEx)");
		return 1;
	}
	case 2:
		midi_ump_describe(&ln->ump, tmp, sizeof tmp);
		snprintf(buf, n, "Decoded: %s", tmp);
		return 1;
	case 3:
		snprintf(buf, n, "Log:     %s", ln->text);
		return 1;
	}
	if (!ln->sysex)
		return 0;
	idx -= 4;
	switch (idx) {
	case 0:
		buf[0] = 0;
		return 1;
	case 1:
		if (ln->sysex == 8)
			snprintf(buf, n, "SysEx8, stream %u: %zu bytes after the stream id", ln->data ? ln->data[0] : 0, len);
		else
			snprintf(buf, n, "SysEx7: %zu bytes between F0 and F7", len);
		return 1;
	case 2:
		if (!ln->data)
			snprintf(buf, n, "(the bytes are no longer kept: the log keeps the last %u MiB of SysEx)",
				 MON_SYSEX_BUDGET >> 20);
		else if (ident && id.manufacturer[0] == 0)
			snprintf(buf, n, "Identity Reply: device %u, manufacturer 00 %02X %02X, family %u, model %u, version %u.%u.%u.%u",
				 dev, id.manufacturer[1], id.manufacturer[2], id.family, id.model,
				 id.version[0], id.version[1], id.version[2], id.version[3]);
		else if (ident)
			snprintf(buf, n, "Identity Reply: device %u, manufacturer %02X, family %u, model %u, version %u.%u.%u.%u",
				 dev, id.manufacturer[0], id.family, id.model,
				 id.version[0], id.version[1], id.version[2], id.version[3]);
		else
			buf[0] = 0;
		return 1;
	}
	idx -= 3;
	if (!d || (size_t)idx * 16 >= len)
		return 0;
	size_t off = (size_t)idx * 16, k = (size_t)snprintf(buf, n, "%06zX ", off);
	char ascii[17];
	size_t i;
	for (i = 0; i < 16 && off + i < len; i++) {
		k += (size_t)snprintf(buf + k, n - k, " %02X", d[off + i]);
		ascii[i] = d[off + i] >= 0x20 && d[off + i] < 0x7F ? (char)d[off + i] : '.';
	}
	ascii[i] = 0;
	snprintf(buf + k, n - k, "%*s  %s", (int)(16 - i) * 3, "", ascii);
	return 1;
}

static void detail(struct mon_ui *ui, int top, int rows)
{
	const struct mon_line *ln = mon_log_get(&ui->log, ui->detail_seq);
	char buf[256];
	for (int i = 0; i < rows; i++) {
		move(top + i, 0);
		clrtoeol();
	}
	if (!ln) {
		put(top, 0, "That line is no longer in the log.", COLS);
		return;
	}
	int total = 0;
	while (detail_line(ui, ln, ui->detail_seq, total, buf, sizeof buf))
		total++;
	if (ui->detail_top > total - rows)
		ui->detail_top = total - rows;
	if (ui->detail_top < 0)
		ui->detail_top = 0;
	for (int i = 0; i < rows && ui->detail_top + i < total; i++) {
		detail_line(ui, ln, ui->detail_seq, ui->detail_top + i, buf, sizeof buf);
		put(top + i, 0, buf, COLS);
	}
}

static void bottom_line(struct mon_ui *ui)
{
	int y = LINES - 1;
	move(y, 0);
	clrtoeol();
	if (ui->prompt) {
		static const char *const label[] = {
			['t'] = "types (note,cc or -x,+y; empty: default): ",
			['g'] = "groups (1-16, e.g. 1,3-4; empty: all): ",
			['c'] = "channels (1-16, e.g. 10; empty: all): ",
		};
		attron(A_BOLD);
		int x = put(y, 0, label[ui->prompt], COLS);
		attroff(A_BOLD);
		putf(y, x, COLS - x, "%s_", ui->input);
	} else if (ui->note[0]) {
		attron(A_BOLD | attr_color(CP_YELLOW));
		put(y, 0, ui->note, COLS);
		attroff(A_BOLD | attr_color(CP_YELLOW));
	} else if (ui->view == VIEW_DETAIL) {
		put(y, 0, "Up/Down/PgUp/PgDn scroll  Esc or Enter: back to the log  q quit", COLS);
	} else if (ui->view == VIEW_HELP) {
		put(y, 0, "any key: back to the log  q quit", COLS);
	} else {
		put(y, 0, "q quit  ? help  space pause  Up/Down select  Enter detail  t g c filter  k clock  s sense",
		    COLS);
	}
}

void mon_draw(struct mon_ui *ui, uint64_t now)
{
	status_lines(ui);
	int y = 2;
	int max_groups = (LINES - 10) / 3;
	if (LINES >= 12) {
		if (max_groups < 1)
			max_groups = 1;
		y = activity(ui, y, max_groups, now);
	}
	move(y, 0);
	clrtoeol();
	attron(A_UNDERLINE);
	mvhline(y, 0, ' ' | A_UNDERLINE, COLS);
	if (ui->view == VIEW_LOG)
		put(y, 0, "        time grp  ch  message", COLS);
	else
		put(y, 0, ui->view == VIEW_HELP ? "help" : "detail", COLS);
	attroff(A_UNDERLINE);
	y++;
	int rows = LINES - 1 - y;
	if (rows < 1)
		rows = 1;
	ui->log_rows = rows;
	if (ui->view == VIEW_HELP) {
		for (int i = 0; i < rows; i++) {
			move(y + i, 0);
			clrtoeol();
			if (i < (int)(sizeof help_text / sizeof help_text[0]))
				put(y + i, 0, help_text[i], COLS);
		}
	} else if (ui->view == VIEW_DETAIL) {
		detail(ui, y, rows);
	} else {
		log_lines(ui, y, rows);
	}
	bottom_line(ui);
	refresh();
}
