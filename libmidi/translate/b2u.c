/* b2u.c: MIDI 1.0 byte stream -> UMP (MT1 system, MT2 channel voice, MT3
 * SysEx7), midi_b2u_*. A byte-at-a-time state machine, so any split of the
 * input gives the same packets. Edge policies (as midi_translate(3) states them):
 * - running status for channel messages; System Exclusive and System Common
 *   (F0-F7, a stray F7 and the undefined F4/F5 included) cancel it;
 * - real-time bytes (F8, FA-FC, FE, FF) come out at once as MT1 wherever
 *   they appear, disturbing nothing; the undefined F9 and FD are dropped and
 *   disturb nothing either;
 * - data bytes with no status in force are dropped;
 * - a non-real-time status inside a SysEx ends it as if F7 had come;
 * - SysEx bytes are held six at a time; a full packet goes out only when
 *   the next byte arrives, so it is Start/Continue if more follows and
 *   Complete/End otherwise (never an empty End). */
#include "midi/translate.h"

void midi_b2u_init(midi_b2u *s, unsigned group)
{
	*s = (midi_b2u){0};
	s->group = group & 0xF;
}

static int put1(midi_b2u *s, uint32_t w0, midi_ump_cb cb, void *ctx)
{
	midi_ump p = {{w0 | (uint32_t)s->group << 24, 0, 0, 0}};
	return cb(ctx, &p);
}

/* Emit the held SysEx bytes as an MT3 packet with the given status
 * (0 Complete, 1 Start, 2 Continue, 3 End). */
static int sx_emit(midi_b2u *s, unsigned st, midi_ump_cb cb, void *ctx)
{
	uint8_t b[6] = {0};
	unsigned n = s->nsx;
	for (unsigned i = 0; i < n; i++)
		b[i] = s->sx[i];
	s->nsx = 0;
	midi_ump p = {{0x30000000u | (uint32_t)s->group << 24 | st << 20 | n << 16 |
			       (uint32_t)b[0] << 8 | b[1],
		       (uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5], 0,
		       0}};
	return cb(ctx, &p);
}

/* The SysEx in progress ends here (F7 or an interrupting status). */
static int sx_end(midi_b2u *s, midi_ump_cb cb, void *ctx)
{
	unsigned st = s->sx_started ? 3 : 0;
	s->in_sysex = 0;
	s->sx_started = 0;
	return sx_emit(s, st, cb, ctx);
}

static int sx_byte(midi_b2u *s, uint8_t b, midi_ump_cb cb, void *ctx)
{
	int rc = 0;
	if (s->nsx == 6) {
		unsigned st = s->sx_started ? 2 : 1;
		s->sx_started = 1;
		rc = sx_emit(s, st, cb, ctx);
	}
	s->sx[s->nsx++] = b;
	return rc;
}

/* A data byte completed the message being built. */
static int msg_done(midi_b2u *s, midi_ump_cb cb, void *ctx)
{
	uint8_t st = s->status;
	uint32_t d1 = s->need == 2 ? s->data[1] : 0;
	uint32_t w = (uint32_t)st << 16 | (uint32_t)s->data[0] << 8 | d1;
	s->ndata = 0;
	if (st >= 0xF0) {
		s->status = 0; /* System Common: no running status */
		return put1(s, 0x10000000u | w, cb, ctx);
	}
	return put1(s, 0x20000000u | w, cb, ctx);
}

static int status_byte(midi_b2u *s, uint8_t b, midi_ump_cb cb, void *ctx)
{
	int rc;
	if (b >= 0xF8) {
		if (b == 0xF9 || b == 0xFD)
			return 0;
		return put1(s, 0x10000000u | (uint32_t)b << 16, cb, ctx);
	}
	/* Any other status ends a message in progress and running status. */
	s->status = 0;
	s->ndata = 0;
	if (s->in_sysex) {
		rc = sx_end(s, cb, ctx);
		if (rc)
			return rc;
		if (b == 0xF7)
			return 0;
	}
	if (b < 0xF0) {
		s->status = b;
		s->need = (b & 0xF0) == 0xC0 || (b & 0xF0) == 0xD0 ? 1 : 2;
		return 0;
	}
	switch (b) {
	case 0xF0:
		s->in_sysex = 1;
		s->sx_started = 0;
		s->nsx = 0;
		return 0;
	case 0xF1:
	case 0xF3:
		s->status = b;
		s->need = 1;
		return 0;
	case 0xF2:
		s->status = b;
		s->need = 2;
		return 0;
	case 0xF6:
		return put1(s, 0x10F60000u, cb, ctx);
	default: /* F4, F5 undefined, F7 stray: dropped */
		return 0;
	}
}

int midi_b2u_feed(midi_b2u *s, const uint8_t *b, size_t n, midi_ump_cb cb, void *ctx)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		uint8_t c = b[i];
		if (c & 0x80) {
			rc = status_byte(s, c, cb, ctx);
		} else if (s->in_sysex) {
			rc = sx_byte(s, c, cb, ctx);
		} else if (s->status) {
			s->data[s->ndata++] = c;
			if (s->ndata == s->need)
				rc = msg_done(s, cb, ctx);
		}
		/* else: a data byte with no status in force is dropped */
	}
	return rc;
}

int midi_b2u_end(midi_b2u *s, midi_ump_cb cb, void *ctx, int *truncated)
{
	int trunc = 0, rc = 0;
	if (s->in_sysex) {
		trunc = 1;
		rc = sx_end(s, cb, ctx);
	} else if (s->status && (s->ndata > 0 || s->status >= 0xF0)) {
		trunc = 1; /* an incomplete message is dropped */
	}
	s->status = 0;
	s->ndata = 0;
	if (truncated)
		*truncated = trunc;
	return rc;
}
