/* ui.h: the interactive monitor's state, shared by its loop (tui.c), its
 * drawing (draw.c), its keys (keys.c) and the filter summary (filters.c).
 * Presentation only: decoding, filtering and printing are libmidi's. */
#ifndef MON_UI_H
#define MON_UI_H

#include <stdio.h>

#include "activity.h"
#include "log.h"
#include "midi/format.h"
#include "midi/translate.h"
#include "tui.h"

#define MON_LOG_LINES 10000
#define MON_SYSEX_BUDGET (16u << 20)
#define MON_NO_SEL UINT64_MAX

enum mon_view { VIEW_LOG, VIEW_HELP, VIEW_DETAIL };

struct mon_ui {
	const struct mon_tui_opts *o;
	midi_filter filter;          /* in force now */
	midi_printer *printer;       /* text format, one line per message */
	FILE *mem;                   /* the printer writes here */
	char membuf[4096];
	midi_sysex_asm sysex;
	struct mon_log log;
	struct mon_activity act;

	uint64_t received;           /* messages received (filtered out included) */
	uint64_t shown;              /* messages let through into the log */
	uint64_t lost;               /* midi_conn_lost */
	int closed;                  /* the endpoint went away for good */
	int away;                    /* --reconnect: waiting for it to come back */
	char closed_msg[600];
	int failed;                  /* a runtime error happened (in err) */
	midi_error err;              /* why the endpoint closed, or the error */

	int paused;
	uint64_t view_end;           /* paused: sequence after the last line shown */
	uint64_t sel;                /* selected line, MON_NO_SEL for none */
	enum mon_view view;
	uint64_t detail_seq;         /* the line the detail view shows */
	int detail_top;              /* detail view scroll */

	int prompt;                  /* 0, or the key whose list is being typed: t g c */
	char input[128];
	size_t input_len;
	char note[640];              /* a message for the bottom line until the next key */

	int quit;
	int dirty;
	int log_rows;                /* rows of the log in the last drawing */
};

/* filters.c */
/* Apply a list typed after key t, g or c. 0, or -1 with ui->note set. */
int mon_filter_apply(struct mon_ui *ui, int key, const char *list);
/* Short summary of the filter in force ("hide clock,sense", "groups 1-2"). */
void mon_filter_describe(const midi_filter *f, char *buf, size_t n);
/* 1 when the filter lets clock (kind 'k') or active sensing ('s') through. */
int mon_filter_shows(const midi_filter *f, int kind);

/* draw.c */
void mon_draw(struct mon_ui *ui, uint64_t now_ns);

/* keys.c */
void mon_key(struct mon_ui *ui, int key);

#endif
