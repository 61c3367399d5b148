/* jr.h: JR (jitter reduction) timestamps, the UMP utility messages JR Clock
 * and JR Timestamp (MT 0x0, status 1 and 2): a 16-bit sender time in ticks
 * of 1/31250 s (32 us) that wraps every 2.097 s.
 *
 * Sending (jr_tx_expand): for an endpoint that negotiated receiving JR
 * timestamps, a JR Timestamp goes before the messages of each send and
 * whenever their time changes by a tick, and a JR Clock before it when
 * the sender's last clock is JR_CLOCK_EVERY_NS old or more (or none was
 * sent), so a receiver always holds a clock less than 250 ms older than a
 * timestamp. The sender's time is the message's time (a scheduled message
 * carries its due time). A sender that sends JR messages itself is left
 * alone from then on (jr_tx.app).
 *
 * Receiving (jr_rx_filter): for an endpoint that negotiated sending JR
 * timestamps, JR Clocks give the offset from the sender's clock to ours
 * (the smallest seen: transport delays only ever add; it creeps up by
 * 100 ppm so clock drift is followed, and a sender whose clocks arrive
 * more than 100 ms later than expected twice running is re-synchronised);
 * a JR Timestamp then sets the arrival time of the messages after it (up
 * to the next JR Timestamp or Clock, within JR_APPLY_NS of its arrival) to
 * the sender's time plus that offset, never later than they arrived. The
 * JR messages themselves are consumed. Pure: no I/O. */
#ifndef MIDI_JR_H
#define MIDI_JR_H

#include <stddef.h>
#include <stdint.h>

#include "midi/error.h"
#include "midi/ump.h"

#define JR_TICK_NS 32000ull               /* 1/31250 s */
#define JR_CLOCK_EVERY_NS 200000000ull    /* a clock before a timestamp this often */
#define JR_APPLY_NS 20000000ull           /* a timestamp applies this long */

struct jr_tx {
	int app;              /* the application sends its own JR messages */
	int have_clock, have_ts;
	uint64_t clock_ns;    /* time of the last JR Clock sent */
	uint64_t ts_tick;     /* tick of the last JR Timestamp sent */
	uint64_t clocks, stamps;
};

struct jr_rx {
	int have;             /* a clock was seen: off is valid */
	int late;             /* clocks in a row later than expected by 100 ms */
	int64_t off;          /* our time minus the sender's, ns */
	uint64_t clock_raw;   /* arrival of the last clock */
	int ts_valid;
	uint64_t ts_raw;      /* arrival of the timestamp in force */
	uint64_t ts_time;     /* the corrected time it gives */
	uint64_t clocks, stamps, corrected;
};

/* 1 if u is a JR Clock or JR Timestamp. */
int jr_is_jr(const midi_ump *u);

/* Expand p[0..n) for an endpoint receiving JR timestamps into out (room
 * for 3 * n packets; now: the time of packets whose time_ns is 0). Returns
 * the number of packets written (n unchanged, and p copied, once the
 * application sends JR messages itself). */
size_t jr_tx_expand(struct jr_tx *t, const midi_packet *p, size_t n, uint64_t now,
		    midi_packet *out);

/* jr_tx_expand into *buf, grown as needed (*cap packets): how many
 * packets of *buf to send, or a negative status (e set). */
long jr_tx_prepare(struct jr_tx *t, midi_packet **buf, size_t *cap, const midi_packet *p,
		   size_t n, uint64_t now, midi_error *e);

/* Consume the JR messages among p[0..n) (arrival times in time_ns),
 * correct the others' times; returns how many remain (compacted). */
size_t jr_rx_filter(struct jr_rx *r, midi_packet *p, size_t n);
/* The two steps, for a caller that keeps the JR messages. */
void jr_rx_clock(struct jr_rx *r, unsigned value, uint64_t raw);
void jr_rx_stamp(struct jr_rx *r, unsigned value, uint64_t raw);
/* The time of a message that arrived at raw (not a JR message). */
uint64_t jr_rx_time(struct jr_rx *r, uint64_t raw);

#endif
