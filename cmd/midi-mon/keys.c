/* keys.c: what the interactive monitor's keys do: quit, help, pause,
 * selecting lines and opening their detail, and the filter keys with their
 * prompt (the lists are applied by filters.c). */
#include <curses.h>
#include <string.h>

#include "ui.h"

#define KEY_ESC 27

static void pause_view(struct mon_ui *ui)
{
	if (ui->paused)
		return;
	ui->paused = 1;
	ui->view_end = ui->log.end;
}

static void resume(struct mon_ui *ui)
{
	ui->paused = 0;
	ui->sel = MON_NO_SEL;
}

/* Move the selection by delta lines (or to an end), keeping it in view. */
static void select_line(struct mon_ui *ui, int key)
{
	uint64_t first = mon_log_first(&ui->log), end = ui->log.end;
	int64_t rows = ui->log_rows > 0 ? ui->log_rows : 1;
	if (end == first)
		return;
	pause_view(ui);
	if (ui->sel == MON_NO_SEL || ui->sel < first) {
		ui->sel = ui->view_end > first ? ui->view_end - 1 : first;
		if (key == KEY_UP || key == KEY_DOWN)
			return;
	}
	int64_t s = (int64_t)ui->sel;
	switch (key) {
	case KEY_UP: s--; break;
	case KEY_DOWN: s++; break;
	case KEY_PPAGE: s -= rows; break;
	case KEY_NPAGE: s += rows; break;
	case KEY_HOME: s = (int64_t)first; break;
	case KEY_END: s = (int64_t)end - 1; break;
	}
	if (s < (int64_t)first)
		s = (int64_t)first;
	if (s > (int64_t)end - 1)
		s = (int64_t)end - 1;
	ui->sel = (uint64_t)s;
	if (ui->sel >= ui->view_end)
		ui->view_end = ui->sel + 1;
	if ((int64_t)ui->sel < (int64_t)ui->view_end - rows)
		ui->view_end = ui->sel + (uint64_t)rows;
	if (ui->view_end > end)
		ui->view_end = end;
}

static void prompt_key(struct mon_ui *ui, int key)
{
	if (key == KEY_ESC) {
		ui->prompt = 0;
	} else if (key == '\r' || key == '\n' || key == KEY_ENTER) {
		int which = ui->prompt;
		ui->prompt = 0;
		mon_filter_apply(ui, which, ui->input);
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (ui->input_len)
			ui->input[--ui->input_len] = 0;
	} else if (key >= 0x20 && key < 0x7F && ui->input_len + 1 < sizeof ui->input) {
		ui->input[ui->input_len++] = (char)key;
		ui->input[ui->input_len] = 0;
	}
}

static void detail_key(struct mon_ui *ui, int key)
{
	int page = ui->log_rows > 1 ? ui->log_rows - 1 : 1;
	switch (key) {
	case KEY_UP: ui->detail_top--; break;
	case KEY_DOWN: ui->detail_top++; break;
	case KEY_PPAGE: ui->detail_top -= page; break;
	case KEY_NPAGE: ui->detail_top += page; break;
	case KEY_HOME: ui->detail_top = 0; break;
	case KEY_END: ui->detail_top = 1 << 30; break; /* draw.c clamps */
	case KEY_ESC: case '\r': case '\n': case KEY_ENTER: case KEY_BACKSPACE: case KEY_LEFT:
		ui->view = VIEW_LOG;
		break;
	case '?':
		ui->view = VIEW_HELP;
		break;
	}
	if (ui->detail_top < 0)
		ui->detail_top = 0;
}

void mon_key(struct mon_ui *ui, int key)
{
	ui->dirty = 1;
	if (key == KEY_RESIZE)
		return; /* the next drawing fits the new size */
	ui->note[0] = 0;
	if (ui->prompt) {
		prompt_key(ui, key);
		return;
	}
	if (key == 'q' || key == 'Q') {
		ui->quit = 1;
		return;
	}
	if (ui->view == VIEW_HELP) {
		ui->view = VIEW_LOG;
		return;
	}
	if (ui->view == VIEW_DETAIL) {
		detail_key(ui, key);
		return;
	}
	switch (key) {
	case ' ':
		if (ui->paused)
			resume(ui);
		else
			pause_view(ui);
		break;
	case '?': case 'h': case KEY_F(1):
		ui->view = VIEW_HELP;
		break;
	case KEY_UP: case KEY_DOWN: case KEY_PPAGE: case KEY_NPAGE: case KEY_HOME: case KEY_END:
		select_line(ui, key);
		break;
	case '\r': case '\n': case KEY_ENTER:
		if (ui->sel != MON_NO_SEL && mon_log_get(&ui->log, ui->sel)) {
			ui->view = VIEW_DETAIL;
			ui->detail_seq = ui->sel;
			ui->detail_top = 0;
		} else {
			snprintf(ui->note, sizeof ui->note, "select a line with Up or Down first");
		}
		break;
	case KEY_ESC:
		ui->sel = MON_NO_SEL;
		break;
	case 't': case 'g': case 'c':
		ui->prompt = key;
		ui->input[0] = 0;
		ui->input_len = 0;
		break;
	case 'k': case 's': {
		int on = !mon_filter_shows(&ui->filter, key);
		if (key == 'k')
			midi_filter_show_clock(&ui->filter, on);
		else
			midi_filter_show_sense(&ui->filter, on);
		snprintf(ui->note, sizeof ui->note, "%s %s", key == 'k' ? "timing clock" : "active sensing",
			 on ? "shown" : "hidden");
		break;
	}
	case 'r':
		ui->filter = ui->o->filter;
		snprintf(ui->note, sizeof ui->note, "filters of the command line again");
		break;
	}
}
