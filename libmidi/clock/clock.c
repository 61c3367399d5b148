/* clock.c: the tick schedule of MIDI clock (midi/clock.h). The tempo is
 * kept as an integer of micro-BPM, so the interval of a tick is exactly
 * TICK_K / ubpm ns and a stretch at one tempo is a line through its origin
 * (tick, ns): due times come from the origin by one multiplication, never
 * by adding rounded periods. A tempo change starts a new stretch whose
 * origin keeps the position (the fraction of the tick under way) at the
 * time of the change. Parsing of tempo text. Pure: no I/O. */
#include "midi/clock.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* One tick lasts 60e9 ns / (24 * BPM) = 2.5e15 / micro-BPM ns. */
#define TICK_K 2500000000000000ull

typedef unsigned __int128 u128;

static int bpm_to_ubpm(double bpm, uint64_t *ubpm, midi_error *e)
{
	if (!(bpm >= MIDI_CLOCK_BPM_MIN && bpm <= MIDI_CLOCK_BPM_MAX))
		return midi_error_set(e, MIDI_ERR_INPUT, "tempo %g out of range (%g to %g beats per minute)",
				      bpm, MIDI_CLOCK_BPM_MIN, MIDI_CLOCK_BPM_MAX);
	*ubpm = (uint64_t)llround(bpm * 1e6);
	return 0;
}

int midi_clock_init(midi_clock *c, double bpm, uint64_t start_ns, unsigned spp, unsigned group,
		    midi_error *e)
{
	uint64_t ubpm = 0;
	if (group > 15)
		return midi_error_set(e, MIDI_ERR_INPUT, "group %u out of range (0-15)", group);
	if (spp > MIDI_CLOCK_SPP_MAX)
		return midi_error_set(e, MIDI_ERR_INPUT, "song position %u out of range (0-%u)", spp,
				      MIDI_CLOCK_SPP_MAX);
	int r = bpm_to_ubpm(bpm, &ubpm, e);
	if (r < 0)
		return r;
	c->ubpm = ubpm;
	c->origin_ns = (int64_t)start_ns;
	c->origin_tick = c->first = c->next = (uint64_t)spp * MIDI_CLOCK_PER_SPP;
	c->group = group;
	return 0;
}

double midi_clock_bpm(const midi_clock *c)
{
	return (double)c->ubpm / 1e6;
}

/* ns from the origin to `ticks` ticks after it, at ubpm. */
static uint64_t span_ns(uint64_t ticks, uint64_t ubpm)
{
	return (uint64_t)((u128)ticks * TICK_K / ubpm);
}

uint64_t midi_clock_due(const midi_clock *c, uint64_t tick)
{
	int64_t t;
	if (tick >= c->origin_tick)
		t = c->origin_ns + (int64_t)span_ns(tick - c->origin_tick, c->ubpm);
	else
		t = c->origin_ns - (int64_t)span_ns(c->origin_tick - tick, c->ubpm);
	return t > 0 ? (uint64_t)t : 0;
}

int midi_clock_tempo(midi_clock *c, double bpm, uint64_t at_ns, midi_error *e)
{
	uint64_t ubpm = 0;
	int r = bpm_to_ubpm(bpm, &ubpm, e);
	if (r < 0)
		return r;
	int64_t at = (int64_t)at_ns;
	if (at > c->origin_ns) {
		/* Ticks passed since the origin, and how far into the next. */
		uint64_t elapsed = (uint64_t)(at - c->origin_ns);
		uint64_t k = (uint64_t)((u128)elapsed * c->ubpm / TICK_K);
		uint64_t into = elapsed - span_ns(k, c->ubpm);
		/* The same fraction of a tick at the new tempo: tick k at the
		 * new tempo would have been due that much before at. */
		uint64_t back = (uint64_t)((u128)into * c->ubpm / ubpm);
		c->origin_tick += k;
		c->origin_ns = at - (int64_t)back;
	}
	c->ubpm = ubpm;
	return 0;
}

void midi_clock_shift(midi_clock *c, uint64_t tick, uint64_t at_ns)
{
	c->origin_tick = tick;
	c->origin_ns = (int64_t)at_ns;
}

size_t midi_clock_fill(midi_clock *c, uint64_t until_ns, midi_packet *out, size_t max)
{
	midi_ump tick = midi_ump_system(c->group, 0xF8, 0, 0);
	size_t n = 0;
	while (n < max) {
		uint64_t due = midi_clock_due(c, c->next);
		if (due >= until_ns)
			break;
		out[n].time_ns = due;
		out[n].ump = tick;
		n++;
		c->next++;
	}
	return n;
}

void midi_clock_cancelled(midi_clock *c, uint64_t count, uint64_t now_ns)
{
	if (count == UINT64_MAX) {
		while (c->next > c->first && midi_clock_due(c, c->next - 1) > now_ns)
			c->next--;
		return;
	}
	uint64_t given = c->next - c->first;
	c->next -= count < given ? count : given;
}

unsigned midi_clock_spp(const midi_clock *c)
{
	uint64_t spp = c->next / MIDI_CLOCK_PER_SPP;
	return spp > MIDI_CLOCK_SPP_MAX ? MIDI_CLOCK_SPP_MAX : (unsigned)spp;
}

int midi_clock_parse_bpm(const char *s, double *bpm, midi_error *e)
{
	const char *p = s;
	int digits = 0, dots = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *num = p;
	for (; *p && !isspace((unsigned char)*p); p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (*p == '.' && !dots)
			dots++;
		else
			digits = -1000;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	double v = 0;
	if (digits > 0 && !*p) {
		errno = 0;
		v = strtod(num, NULL);
	}
	if (digits <= 0 || *p || errno || !(v >= MIDI_CLOCK_BPM_MIN && v <= MIDI_CLOCK_BPM_MAX))
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "invalid tempo '%.40s' (expected beats per minute, %g to %g, "
				      "e.g. 120 or 92.5)", s, MIDI_CLOCK_BPM_MIN, MIDI_CLOCK_BPM_MAX);
	*bpm = v;
	return 0;
}
