/* smf_put.c: timed UMP packets into the Standard MIDI File writer
 * (midi_smf_writer_put): packet times become ticks with the writer's tempo
 * map (the starting tempo, then each Flex Data Set Tempo received, which is
 * also written as an FF 51 meta event), MIDI 2.0 channel voice messages
 * are translated to MIDI 1.0 (midi_down), SysEx7 is reassembled per group
 * and written whole at the time of its first packet, and in format 1 each
 * group's channels (and its SysEx and system messages) get a track of their
 * own, named, made on first use. */
#include "smf_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/msg.h"

/* Relative time of a packet: from origin_ns, or from the first packet. */
static uint64_t rel_ns(midi_smf_writer *w, uint64_t t)
{
	if (w->from_first && !w->based) {
		w->origin_ns = t;
		w->based = 1;
	}
	return t > w->origin_ns ? t - w->origin_ns : 0;
}

/* Relative time -> tick, rounded to the nearest, in the last stretch of
 * the tempo map (an earlier time gives that stretch's first tick). */
static uint64_t tick_at(const midi_smf_writer *w, uint64_t ns)
{
	const struct smfw_seg *s = &w->seg[w->nseg - 1];
	if (ns <= s->ns)
		return s->tick;
	unsigned __int128 per = (unsigned __int128)s->us * 1000u; /* ns per quarter note */
	unsigned __int128 q = (unsigned __int128)(ns - s->ns) * w->division;
	return s->tick + (uint64_t)((2 * q + per) / (2 * per));
}

static int oom(midi_error *e)
{
	return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
}

/* The track of a group's channel (16: SysEx and system messages). */
static int track_for(midi_smf_writer *w, unsigned g, unsigned ch, unsigned *track)
{
	if (w->format == 0) {
		*track = 0;
		return 0;
	}
	if (!w->track_of[g][ch]) {
		unsigned t = w->ntr < SMFW_MAX_TRACKS ? (unsigned)w->ntr : SMFW_MAX_TRACKS - 1;
		char name[40];
		int n = ch < 16 ? snprintf(name, sizeof name, "Group %u Channel %u", g + 1, ch + 1)
				: snprintf(name, sizeof name, "Group %u System", g + 1);
		if (t == w->ntr && smfw_add(w, t, 0, 0x03, (const uint8_t *)name, (size_t)n) < 0)
			return -1;
		w->track_of[g][ch] = (uint16_t)t;
	}
	*track = w->track_of[g][ch];
	return 0;
}

/* One MIDI 1.0 message (1-3 bytes) at relative time ns. */
static int put_msg(midi_smf_writer *w, unsigned g, const uint8_t *b, size_t n, uint64_t ns)
{
	unsigned track;
	unsigned ch = b[0] < 0xF0 ? (b[0] & 0xFu) : 16u;
	if (track_for(w, g, ch, &track) < 0)
		return -1;
	return smfw_add(w, track, tick_at(w, ns), 0, b, n);
}

/* An MT1 or MT2 packet. */
static int put_simple(midi_smf_writer *w, const midi_ump *u, uint64_t ns)
{
	midi_u2b u2b;
	uint8_t b[16];
	midi_u2b_init(&u2b);
	int n = midi_u2b_put(&u2b, u, b, sizeof b);
	if (n <= 0) {
		w->dropped++;
		return 0;
	}
	return put_msg(w, midi_ump_group(u), b, (size_t)n, ns);
}

struct down_ctx {
	midi_smf_writer *w;
	uint64_t ns;
	int failed;
};

static int down_cb(void *ctx, const midi_ump *u)
{
	struct down_ctx *d = ctx;
	if (put_simple(d->w, u, d->ns) < 0) {
		d->failed = 1;
		return 1;
	}
	return 0;
}

static int put_sysex(midi_smf_writer *w, const midi_ump *u, uint64_t t, midi_error *e)
{
	unsigned g = midi_ump_group(u), st = (u->w[0] >> 20) & 0xF, grp, kind;
	const uint8_t *data;
	size_t len;
	if (st == 0 || st == 1)
		w->sx_ns[g] = rel_ns(w, t);
	int r = midi_sysex_asm_put(&w->sx, u, &grp, &kind, &data, &len);
	if (r < 0 || (r == 1 && kind != 7)) { /* a stray part, or SysEx8 */
		w->dropped++;
		return 0;
	}
	if (r == 0)
		return 0;
	uint8_t *b = malloc(len + 2);
	if (!b)
		return oom(e);
	b[0] = 0xF0;
	memcpy(b + 1, data, len);
	b[len + 1] = 0xF7;
	unsigned track;
	int rc = track_for(w, grp, 16, &track);
	if (rc == 0)
		rc = smfw_add(w, track, tick_at(w, w->sx_ns[grp]), 0, b, len + 2);
	free(b);
	return rc < 0 ? oom(e) : 0;
}

/* Flex Data: a Set Tempo changes the tempo map; anything else is dropped. */
static int put_flex(midi_smf_writer *w, const midi_ump *u, uint64_t t, midi_error *e)
{
	uint32_t w0 = u->w[0];
	if ((w0 >> 22 & 3) != 0 || (w0 >> 8 & 0xFF) != 0 || (w0 & 0xFF) != 0 || u->w[1] == 0) {
		w->dropped++;
		return 0;
	}
	uint64_t us = (u->w[1] + 50ull) / 100u; /* 10 ns units -> microseconds */
	if (us < 1)
		us = 1;
	if (us > 0xFFFFFF)
		us = 0xFFFFFF;
	uint64_t ns = rel_ns(w, t), tick = tick_at(w, ns);
	if (smfw_tempo(w, tick, (uint32_t)us) < 0)
		return oom(e);
	struct smfw_seg *last = &w->seg[w->nseg - 1];
	if (last->tick == tick) {
		last->us = (uint32_t)us;
		return 0;
	}
	if (w->nseg == w->segcap) {
		size_t cap = w->segcap * 2;
		struct smfw_seg *s = realloc(w->seg, cap * sizeof *s);
		if (!s)
			return oom(e);
		w->seg = s;
		w->segcap = cap;
	}
	w->seg[w->nseg++] = (struct smfw_seg){.ns = ns, .tick = tick, .us = (uint32_t)us};
	return 0;
}

int midi_smf_writer_put(midi_smf_writer *w, const midi_packet *p, midi_error *e)
{
	const midi_ump *u = &p->ump;
	switch (midi_ump_mt(u)) {
	case MIDI_MT_UTILITY:
		return 0;
	case MIDI_MT_SYSTEM:
	case MIDI_MT_MIDI1_CV:
		return put_simple(w, u, rel_ns(w, p->time_ns)) < 0 ? oom(e) : 0;
	case MIDI_MT_MIDI2_CV: {
		midi_down down;
		midi_down_init(&down);
		struct down_ctx d = {.w = w, .ns = rel_ns(w, p->time_ns)};
		midi_down_put(&down, u, down_cb, &d);
		w->dropped += midi_down_dropped(&down);
		return d.failed ? oom(e) : 0;
	}
	case MIDI_MT_DATA64:
	case MIDI_MT_DATA128:
		if (!midi_ump_sysex_kind(u)) { /* Mixed Data Set */
			w->dropped++;
			return 0;
		}
		return put_sysex(w, u, p->time_ns, e);
	case MIDI_MT_FLEX:
		return put_flex(w, u, p->time_ns, e);
	default:
		w->dropped++;
		return 0;
	}
}
