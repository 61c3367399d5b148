/* looptest.h: the loop test behind `midi-loop test OUT IN`: numbered test
 * messages of three kinds (their encoding and matching), the accounting of
 * a run (sent, received, lost, reordered, duplicated, foreign), latency
 * statistics and the report in text and JSON.
 *
 * A run sends sequence numbers 0, 1, 2, ... count-1. A kind carries a
 * sequence number modulo midi_looptest_modulus(kind); on receipt the full
 * number is the most recent one sent with that remainder, so a run may be
 * longer than the modulus as long as fewer than modulus messages are in
 * flight at once. */
#ifndef MIDI_LOOPTEST_H
#define MIDI_LOOPTEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "midi/error.h"
#include "midi/ump.h"

enum midi_looptest_kind {
	/* SysEx7 Complete of 6 bytes: 7D (non-commercial), a run tag 0-127
	 * and the number in four 7-bit bytes (28 bits). Survives MIDI 1.0 byte
	 * paths and USB MIDI 1.0: on the wire F0 7D TT SS SS SS SS F7. */
	MIDI_LOOPTEST_SYSEX = 0,
	/* MIDI 1.0 Note On (MT2) on channel 16: note * 127 + velocity - 1
	 * (velocity 1-127, never 0); modulus 16256. Also recognised as a
	 * MIDI 2.0 Note On (MT4) whose velocity scales down to the same. */
	MIDI_LOOPTEST_NOTE = 1,
	/* MIDI 2.0 Note On (MT4) on channel 16, no attribute: note << 16 |
	 * 16-bit velocity (23 bits). For UMP paths speaking MIDI 2.0. */
	MIDI_LOOPTEST_UMP = 2,
};

#define MIDI_LOOPTEST_CHANNEL 15 /* wire value: channel 16 */

/* "sysex", "note", "ump" (any case): 0 and *kind, or -MIDI_ERR_INPUT
 * naming the unknown kind. */
int midi_looptest_kind_parse(const char *name, enum midi_looptest_kind *kind, midi_error *e);
const char *midi_looptest_kind_name(enum midi_looptest_kind kind);
/* Distinct numbers the kind carries: 2^28, 16256 or 2^23. */
uint64_t midi_looptest_modulus(enum midi_looptest_kind kind);

/* The test message for seq (taken modulo the modulus) on group 0-15; tag
 * (0-127) is carried by SYSEX only. */
midi_ump midi_looptest_encode(enum midi_looptest_kind kind, unsigned group, unsigned tag, uint64_t seq);
/* If p is a test message of the kind (on any group; SYSEX with this tag):
 * 1 and *wire (< modulus), else 0. */
int midi_looptest_decode(enum midi_looptest_kind kind, unsigned tag, const midi_ump *p, uint64_t *wire);
/* The full sequence number of wire when numbers 0..sent-1 have been sent:
 * the greatest s < sent with s % modulus == wire. 0 and *seq, or
 * -MIDI_ERR_INPUT when no such number was sent. */
int midi_looptest_unwrap(enum midi_looptest_kind kind, uint64_t wire, uint64_t sent, uint64_t *seq);

/* Latency statistics of n values in ns. Percentiles are nearest-rank (the
 * median is the 50th); jitter is the population standard deviation. */
typedef struct midi_latency_stats {
	uint64_t n;
	uint64_t min, median, p99, max;
	double mean, jitter;
} midi_latency_stats;

/* Nearest-rank percentile (0-100) of n >= 1 sorted values. */
uint64_t midi_percentile(const uint64_t *sorted, size_t n, unsigned pct);
/* Statistics of v[0..n-1] (any order, not modified; n may be 0: all
 * zero). 0 or -MIDI_ERR_RUNTIME when out of memory. */
int midi_latency_stats_of(const uint64_t *v, size_t n, midi_latency_stats *out, midi_error *e);

/* A run. */
typedef struct midi_looptest midi_looptest;

#define MIDI_LOOPTEST_MAX_COUNT 1000000u

/* A run of count messages (1 to MIDI_LOOPTEST_MAX_COUNT). NULL on error. */
midi_looptest *midi_looptest_new(enum midi_looptest_kind kind, unsigned group, unsigned tag,
				 uint64_t count, midi_error *e);
void midi_looptest_free(midi_looptest *t);

/* The next message to send, recording now_ns as its send time: 1 and *out,
 * or 0 when all count were sent. */
int midi_looptest_next(midi_looptest *t, uint64_t now_ns, midi_ump *out);

/* What a received packet was. */
enum midi_looptest_arrival {
	MIDI_LOOPTEST_FOREIGN = 0,   /* not a test message of this run (ignored, counted) */
	MIDI_LOOPTEST_RECEIVED = 1,  /* a test message, first arrival */
	MIDI_LOOPTEST_DUPLICATE = 2, /* a test message that had arrived already */
};
/* Account for a packet received at p->time_ns (CLOCK_MONOTONIC; its latency
 * is time_ns minus the send time, 0 if earlier). A first arrival whose
 * number is below the highest number received so far counts as reordered. */
enum midi_looptest_arrival midi_looptest_receive(midi_looptest *t, const midi_packet *p);

/* Messages in flight at now_ns: sent, not received, and sent no longer than
 * max_age_ns ago (older ones stop counting, for good). For a window of
 * messages in flight. */
uint64_t midi_looptest_in_flight(midi_looptest *t, uint64_t now_ns, uint64_t max_age_ns);
/* Send time of the oldest message in flight as of the last
 * midi_looptest_in_flight: 1 and *sent_ns, or 0 when none. */
int midi_looptest_oldest(const midi_looptest *t, uint64_t *sent_ns);

typedef struct midi_looptest_counts {
	uint64_t count;      /* to send */
	uint64_t sent;
	uint64_t received;   /* distinct test messages that came back */
	uint64_t lost;       /* sent - received */
	uint64_t reordered;  /* first arrivals after a higher number */
	uint64_t duplicates; /* arrivals of a number received already */
	uint64_t foreign;    /* packets that were not test messages of this run */
} midi_looptest_counts;
void midi_looptest_get_counts(const midi_looptest *t, midi_looptest_counts *c);
/* Statistics of the latencies of the received messages (first arrivals). */
int midi_looptest_latency(const midi_looptest *t, midi_latency_stats *out, midi_error *e);

/* The report of a run. */
typedef struct midi_looptest_report {
	const char *out_id, *in_id; /* endpoint ids */
	enum midi_looptest_kind kind;
	midi_looptest_counts counts;
	midi_latency_stats latency; /* latency.n == 0: nothing came back */
	uint64_t reader_lost;       /* lost by the receiving connection falling behind */
	double seconds;             /* duration of the run */
	int status;                 /* exit status the run ends with */
	const char *result;         /* one word: "pass", "lost", "no-return", ... */
} midi_looptest_report;

/* Two lines:
 *   OUT -> IN: S sent, R received, L lost, O reordered, D duplicated, F foreign
 *   latency (us): min X  median X  p99 X  max X  mean X  jitter X
 * (the second only when something came back). 0 or -MIDI_ERR_RUNTIME (errno
 * set). */
int midi_looptest_write_text(FILE *f, const midi_looptest_report *r);
/* One line of JSON: out, in, kind, count, sent, received, lost, reordered,
 * duplicates, foreign, reader_lost, latency_us {min, median, p99, max,
 * mean} or null, jitter_us or null, seconds, status, result. 0 or
 * -MIDI_ERR_RUNTIME (errno set). */
int midi_looptest_write_json(FILE *f, const midi_looptest_report *r);

#endif
