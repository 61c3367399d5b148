/* clock.h: midi-send --clock, MIDI clock at a tempo (clock.c). */
#ifndef MIDI_SEND_CLOCK_H
#define MIDI_SEND_CLOCK_H

#include <stdio.h>

#include "midi/endpoint.h"
#include "midi/format.h"

enum clock_begin {
	CLOCK_BEGIN_START,    /* Start first, Stop last (the default) */
	CLOCK_BEGIN_CONTINUE, /* Continue first (after a Song Position with --spp), Stop last */
	CLOCK_BEGIN_NONE,     /* --clock-only: Timing Clock only */
};

struct clock_opts {
	double bpm;          /* > 0: clock mode */
	double duration;     /* seconds; 0 = until stopped */
	enum clock_begin begin;
	long spp;            /* Song Position sent before Continue; -1 none */
	unsigned group;      /* 0-15 */
};

/* Send the clock to conn until stopped (SIGINT, SIGTERM: what is
 * scheduled is taken back, Stop goes at once, and the process dies of the
 * signal) or for the duration, reading new tempos from standard input.
 * Returns the exit status. */
int clock_run(const struct clock_opts *o, midi_conn *conn);
/* Dry run: print the whole duration with times from the start through
 * pr. Returns 0 or -1 with e filled. */
int clock_dry(const struct clock_opts *o, midi_printer *pr, FILE *out, midi_error *e);

#endif
