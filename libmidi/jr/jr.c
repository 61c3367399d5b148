/* jr.c: JR Clock / JR Timestamp generation for senders and arrival-time
 * correction for receivers (see jr.h for the rules). */
#include "jr/jr.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midi/msg.h"

#define JR_LATE_NS 100000000ll  /* a clock this much later than expected is "late" */
#define JR_CREEP_DIV 10000      /* the offset creeps up by 1/10000 of the elapsed time */

int jr_is_jr(const midi_ump *u)
{
	if (midi_ump_mt(u) != MIDI_MT_UTILITY)
		return 0;
	unsigned st = (u->w[0] >> 20) & 0xF;
	return st == 1 || st == 2;
}

static void put(midi_packet *o, size_t *k, uint64_t time_ns, midi_ump u)
{
	o[*k].time_ns = time_ns;
	o[*k].ump = u;
	(*k)++;
}

size_t jr_tx_expand(struct jr_tx *t, const midi_packet *p, size_t n, uint64_t now,
		    midi_packet *out)
{
	if (!t->app)
		for (size_t i = 0; i < n; i++)
			if (jr_is_jr(&p[i].ump))
				t->app = 1;
	if (t->app) {
		memcpy(out, p, n * sizeof *p);
		return n;
	}
	size_t k = 0;
	int first = 1;
	for (size_t i = 0; i < n; i++) {
		uint64_t at = p[i].time_ns ? p[i].time_ns : now;
		uint64_t tick = at / JR_TICK_NS;
		if (first || !t->have_ts || tick != t->ts_tick) {
			if (!t->have_clock || at < t->clock_ns || at - t->clock_ns >= JR_CLOCK_EVERY_NS) {
				put(out, &k, p[i].time_ns, midi_ump_jr_clock((unsigned)(tick & 0xFFFF)));
				t->have_clock = 1;
				t->clock_ns = at;
				t->clocks++;
			}
			put(out, &k, p[i].time_ns, midi_ump_jr_timestamp((unsigned)(tick & 0xFFFF)));
			t->have_ts = 1;
			t->ts_tick = tick;
			t->stamps++;
			first = 0;
		}
		out[k++] = p[i];
	}
	return k;
}

long jr_tx_prepare(struct jr_tx *t, midi_packet **buf, size_t *cap, const midi_packet *p,
		   size_t n, uint64_t now, midi_error *e)
{
	if (n > SIZE_MAX / 3 / sizeof *p || n > LONG_MAX / 3)
		return midi_error_set(e, MIDI_ERR_INPUT, "too many packets in one send");
	if (*cap < 3 * n) {
		midi_packet *nb = realloc(*buf, 3 * n * sizeof *nb);
		if (!nb)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		*buf = nb;
		*cap = 3 * n;
	}
	return (long)jr_tx_expand(t, p, n, now, *buf);
}

/* The sender's time (ns, on our time line minus off) of a 16-bit value
 * that arrived at raw: the one nearest to what our clock predicts. */
static int64_t unwrap(const struct jr_rx *r, unsigned value, uint64_t raw)
{
	int64_t pred = ((int64_t)raw - r->off) / (int64_t)JR_TICK_NS;
	int16_t d = (int16_t)(uint16_t)((value & 0xFFFF) - (unsigned)(pred & 0xFFFF));
	return (pred + d) * (int64_t)JR_TICK_NS;
}

void jr_rx_clock(struct jr_rx *r, unsigned value, uint64_t raw)
{
	r->clocks++;
	r->ts_valid = 0;
	if (!r->have) {
		r->have = 1;
		r->off = (int64_t)raw - (int64_t)(value & 0xFFFF) * (int64_t)JR_TICK_NS;
		r->clock_raw = raw;
		r->late = 0;
		return;
	}
	if (raw > r->clock_raw)
		r->off += (int64_t)((raw - r->clock_raw) / JR_CREEP_DIV);
	r->clock_raw = raw;
	int64_t o = (int64_t)raw - unwrap(r, value, raw);
	if (o <= r->off) {
		r->off = o;
		r->late = 0;
	} else if (o - r->off > JR_LATE_NS) {
		/* Twice running: the sender's clock jumped (a restart). */
		if (++r->late >= 2) {
			r->off = o;
			r->late = 0;
		}
	} else {
		r->late = 0;
	}
}

void jr_rx_stamp(struct jr_rx *r, unsigned value, uint64_t raw)
{
	r->stamps++;
	if (!r->have) {
		r->ts_valid = 0;
		return;
	}
	int64_t t = unwrap(r, value, raw) + r->off;
	r->ts_valid = 1;
	r->ts_raw = raw;
	r->ts_time = t < 0 || (uint64_t)t > raw ? raw : (uint64_t)t;
}

uint64_t jr_rx_time(struct jr_rx *r, uint64_t raw)
{
	if (!r->ts_valid || raw < r->ts_raw || raw - r->ts_raw > JR_APPLY_NS)
		return raw;
	r->corrected++;
	return r->ts_time;
}

size_t jr_rx_filter(struct jr_rx *r, midi_packet *p, size_t n)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const midi_ump *u = &p[i].ump;
		if (jr_is_jr(u)) {
			unsigned v = u->w[0] & 0xFFFF;
			if (((u->w[0] >> 20) & 0xF) == 1)
				jr_rx_clock(r, v, p[i].time_ns);
			else
				jr_rx_stamp(r, v, p[i].time_ns);
			continue;
		}
		p[m] = p[i];
		p[m].time_ns = jr_rx_time(r, p[i].time_ns);
		m++;
	}
	return m;
}
