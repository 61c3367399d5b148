/* notes.h: what a sender left sounding. A sender records every packet it
 * hands over for delivery (midi_notes_sent); when it stops early it takes
 * back what is still scheduled (midi_cancel, midi/endpoint.h), tells how
 * many were taken back (midi_notes_cancelled), and releases the notes that
 * are still on at the receiver: a Note Off for each, per group, channel and
 * note, in the protocol of its Note On (midi_notes_release). And a panic:
 * All Notes Off, All Sound Off and Reset All Controllers on every channel
 * of a group (midi_panic). Pure: no I/O. */
#ifndef MIDI_NOTES_H
#define MIDI_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "midi/error.h"
#include "midi/ump.h"

typedef struct midi_notes midi_notes;

/* Packets due this long before "now" are taken as delivered: the
 * scheduler is never that late, so they cannot be cancelled any more. */
#define MIDI_NOTES_SETTLE_NS 10000000000ull

midi_notes *midi_notes_new(midi_error *e);
void midi_notes_free(midi_notes *n);
/* One packet handed over, due at due_ns (CLOCK_MONOTONIC; a packet sent
 * for "now" is due now_ns), in the order sent. Note On and Note Off of the
 * MIDI 1.0 (MT2) and MIDI 2.0 (MT4) protocols change the state; every
 * packet counts for midi_notes_cancelled. Returns 0 or -MIDI_ERR_RUNTIME
 * (out of memory). */
int midi_notes_sent(midi_notes *n, const midi_ump *u, uint64_t due_ns, uint64_t now_ns,
		    midi_error *e);
/* The last count packets handed over (in order of due time, equal times in
 * the order sent) never reached the receiver, as midi_cancel says.
 * UINT64_MAX: an unknown number; every note that had a Note On since the
 * last MIDI_NOTES_SETTLE_NS is then taken as sounding. */
void midi_notes_cancelled(midi_notes *n, uint64_t count);
/* A Note Off (velocity 0) to cb for every note still sounding, by group,
 * channel and note, in the protocol of its Note On; then nothing is
 * sounding. Returns the number of Note Offs, or -1 when cb returned
 * non-zero (the rest are not sent). */
long midi_notes_release(midi_notes *n, midi_ump_cb cb, void *ctx);
/* Panic for group (0-15), in the MIDI 1.0 protocol (MT2): on each channel
 * 1-16 All Notes Off (CC 123), All Sound Off (CC 120) and Reset All
 * Controllers (CC 121), value 0: 48 packets to cb. Returns 0 or the
 * non-zero value of cb. */
int midi_panic(unsigned group, midi_ump_cb cb, void *ctx);

#endif
