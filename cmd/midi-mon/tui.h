/* tui.h: midi-mon's interactive ncurses monitor, the entry point that
 * cmd/midi-mon.c calls when standard input and output are terminals and no
 * format was asked for. */
#ifndef MON_TUI_H
#define MON_TUI_H

#include <signal.h>
#include <stdint.h>

#include "midi/endpoint.h"
#include "midi/filter.h"

struct mon_tui_opts {
	midi_conn *conn;
	midi_filter filter;        /* initial filter (the command line's) */
	unsigned long count;       /* end after this many shown messages, 0 = no limit */
	uint64_t deadline;         /* CLOCK_MONOTONIC ns to end at, 0 = none */
	uint64_t start;            /* time 0 of the log's timestamps */
	int abs_time;              /* log absolute monotonic seconds instead */
	int reconnect;             /* the connection was opened with MIDI_OPEN_RECONNECT */
	const sigset_t *waitmask;  /* signal mask while waiting (INT and TERM unblocked) */
	volatile sig_atomic_t *stop_signal; /* set by the INT/TERM handler */
};

/* Run until q, a signal, the count or the deadline. Restores the terminal,
 * then reports on standard error as line mode does (lost messages, the
 * endpoint gone). Returns the exit status: 1 when the endpoint went away
 * (without --reconnect) or on a runtime error, else 5 when messages were
 * lost, else 4 when the deadline came before the count, else 0. */
int mon_tui_run(const struct mon_tui_opts *o);

#endif
