/* clock.h: the tick schedule of MIDI clock. At a tempo in beats (quarter
 * notes) per minute, Timing Clock (F8) comes 24 times a beat; a midi_clock
 * gives each tick its due time (CLOCK_MONOTONIC ns) exactly, without the
 * drift of adding rounded periods: tick n of a stretch at one tempo is due
 * at the stretch's origin plus floor((n - origin tick) * 2.5e15 / micro-BPM)
 * ns. A tempo change keeps the position: the fraction of the tick interval
 * under way when it takes effect carries on at the new tempo, so the beat
 * never jumps. A sender hands ticks over ahead of time in chunks
 * (midi_clock_fill), takes back what is not yet due when it must
 * (midi_cancel, midi/endpoint.h) and says how many were taken back
 * (midi_clock_cancelled), so the next fill gives them again, at the new
 * tempo if it changed. Ticks are numbered by song position: Song
 * Position Pointer counts MIDI beats (a sixteenth note, 6 ticks), so a
 * clock that continues from Song Position s begins with tick 6s, and the
 * position reached is the Song Position to continue from. Pure: no I/O.
 * See midi_clock(3). */
#ifndef MIDI_CLOCK_H
#define MIDI_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "midi/error.h"
#include "midi/msg.h"
#include "midi/ump.h"

#define MIDI_CLOCK_PPQN 24       /* Timing Clocks per quarter note */
#define MIDI_CLOCK_PER_SPP 6     /* Timing Clocks per MIDI beat (Song Position unit) */
#define MIDI_CLOCK_SPP_MAX 16383 /* the largest Song Position Pointer */
#define MIDI_CLOCK_BPM_MIN 1.0
#define MIDI_CLOCK_BPM_MAX 1000.0

/* Read the fields, never write them: the functions keep them consistent. */
typedef struct midi_clock {
	uint64_t ubpm;        /* tempo in millionths of a beat per minute */
	int64_t origin_ns;    /* tick origin_tick is due then, at this tempo
	                       * (may lie before 0 after a slow-down) */
	uint64_t origin_tick;
	uint64_t first;       /* the first tick: 6 x the starting Song Position */
	uint64_t next;        /* the tick the next midi_clock_fill gives first */
	unsigned group;       /* 0-15: the group of the Timing Clock packets */
} midi_clock;

/* The first tick, 6 x spp (the Song Position it starts from, 0 for the
 * start of the song), due at start_ns, at bpm (MIDI_CLOCK_BPM_MIN to _MAX,
 * kept to a millionth), on group (0-15). Returns 0, or -MIDI_ERR_INPUT
 * for a tempo, position or group out of range (c unchanged). */
int midi_clock_init(midi_clock *c, double bpm, uint64_t start_ns, unsigned spp,
		    unsigned group, midi_error *e);
/* The tempo is bpm from at_ns on; the position at at_ns is kept. Ticks
 * after at_ns are due where the new tempo puts them; those before it at
 * or before at_ns. Returns 0 or -MIDI_ERR_INPUT (c unchanged). */
int midi_clock_tempo(midi_clock *c, double bpm, uint64_t at_ns, midi_error *e);
/* Tick `tick` is due at at_ns, at the same tempo (a new origin: a start
 * that had to wait, a resumed clock). */
void midi_clock_shift(midi_clock *c, uint64_t tick, uint64_t at_ns);
/* The tempo in beats per minute. */
double midi_clock_bpm(const midi_clock *c);
/* Due time of a tick (0 for a tick before a start at 0). */
uint64_t midi_clock_due(const midi_clock *c, uint64_t tick);
/* The ticks from c->next that are due before until_ns, at most max: one
 * Timing Clock (MT1 F8 on c->group) each in out[] with its due time.
 * Returns the count; c->next moves past them. */
size_t midi_clock_fill(midi_clock *c, uint64_t until_ns, midi_packet *out, size_t max);
/* The last count ticks given (in order) were taken back, so the next fill
 * gives them again. UINT64_MAX (an unknown number): every tick due after
 * now_ns is taken as taken back. */
void midi_clock_cancelled(midi_clock *c, uint64_t count, uint64_t now_ns);
/* The Song Position of the next tick given (the MIDI beat under way
 * when it is not on one), at most MIDI_CLOCK_SPP_MAX: where a clock that
 * stopped continues from. */
unsigned midi_clock_spp(const midi_clock *c);
/* Parse a tempo: a decimal number of beats per minute ("120", "92.5")
 * within MIDI_CLOCK_BPM_MIN to _MAX, blanks around it allowed. Returns 0
 * or -MIDI_ERR_INPUT naming the text. */
int midi_clock_parse_bpm(const char *s, double *bpm, midi_error *e);

#endif
