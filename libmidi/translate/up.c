/* up.c: UMP MIDI 1.0 protocol (MT2) -> MIDI 2.0 protocol (MT4), midi_up_*,
 * with state per group and channel (as midi_translate(3) states it):
 * - values scale up with the min-center-max rule (velocity 7->16, CC value,
 *   poly and channel pressure 7->32, pitch bend 14->32);
 * - Note On velocity 0 -> Note Off velocity 0x8000, no attribute;
 * - Bank Select CC 0 / CC 32 only mark a bank pending (the other half keeps
 *   its last value, 0 at start); the next Program Change carries it with the
 *   bank-valid flag; neither CC is sent on its own;
 * - RPN (CC 101/100) / NRPN (CC 99/98) select a parameter, which stays
 *   selected until changed; switching between RPN and NRPN forgets the
 *   other half, so both halves of the new kind must come before data entry
 *   counts; RPN 7F/7F deselects. A Data Entry MSB (CC 6) waits for its LSB
 *   (CC 38); the pair becomes one Registered (0x2) / Assignable (0x3)
 *   Controller with bank = parameter MSB, index = parameter LSB and the
 *   14-bit value scaled to 32 bits. A waiting MSB goes out with LSB 0 before
 *   anything else on the same group and channel (any MT2 or MT4 message but
 *   CC 38) and at midi_up_end. CC 38 alone reuses the last Data Entry MSB
 *   seen for the current selection (forgotten when the selection changes;
 *   0 if none) and is sent at once. Data entry with nothing selected is
 *   dropped. CC 6, 38 and 98-101 never go out as plain Control Change.
 * - Data Increment / Decrement (CC 96 / 97) have no MIDI 2.0 counterpart
 *   other than a relative controller whose step size is device-defined, so
 *   they pass as plain Control Change (value scaled) and flush a waiting
 *   MSB like any other message; the receiver applies them as before.
 * Every non-MT2 packet passes unchanged. */
#include "midi/translate.h"

#include <string.h>

enum { SEL_NONE, SEL_RPN, SEL_NRPN };

void midi_up_init(midi_up *s)
{
	memset(s, 0, sizeof *s);
}

static int put4(uint32_t w0, uint32_t w1, midi_ump_cb cb, void *ctx)
{
	midi_ump p = {{w0, w1, 0, 0}};
	return cb(ctx, &p);
}

static int selected(const midi_up_chan *c)
{
	if (c->sel_kind == SEL_NONE || !c->sel_valid_msb || !c->sel_valid_lsb)
		return 0;
	return !(c->sel_kind == SEL_RPN && c->sel_msb == 0x7F && c->sel_lsb == 0x7F);
}

/* Registered/Assignable Controller for the current selection. */
static int put_param(unsigned g, unsigned ch, const midi_up_chan *c, unsigned msb, unsigned lsb,
		     midi_ump_cb cb, void *ctx)
{
	uint32_t op = c->sel_kind == SEL_RPN ? 0x2 : 0x3;
	uint32_t w0 = 0x40000000u | g << 24 | op << 20 | ch << 16 | (uint32_t)c->sel_msb << 8 |
		      c->sel_lsb;
	return put4(w0, midi_scale_up((msb & 0x7F) << 7 | (lsb & 0x7F), 14, 32), cb, ctx);
}

static int flush_waiting(unsigned g, unsigned ch, midi_up_chan *c, midi_ump_cb cb, void *ctx)
{
	if (!c->data_msb_waiting)
		return 0;
	c->data_msb_waiting = 0;
	return put_param(g, ch, c, c->data_msb, 0, cb, ctx);
}

static void select_half(midi_up_chan *c, unsigned cc, unsigned v)
{
	unsigned kind = cc >= 100 ? SEL_RPN : SEL_NRPN;
	int is_msb = cc == 101 || cc == 99;
	int was = selected(c);
	unsigned old_kind = c->sel_kind, old_msb = c->sel_msb, old_lsb = c->sel_lsb;

	if (c->sel_kind != kind) {
		c->sel_kind = kind;
		c->sel_valid_msb = c->sel_valid_lsb = 0;
	}
	if (is_msb) {
		c->sel_msb = v;
		c->sel_valid_msb = 1;
	} else {
		c->sel_lsb = v;
		c->sel_valid_lsb = 1;
	}
	if (!was || !selected(c) || old_kind != c->sel_kind || old_msb != c->sel_msb ||
	    old_lsb != c->sel_lsb)
		c->data_msb_valid = 0;
}

static int control_change(unsigned g, unsigned ch, midi_up_chan *c, unsigned cc, unsigned v,
			  midi_ump_cb cb, void *ctx)
{
	switch (cc) {
	case 0:
		c->bank_msb = v;
		c->bank_pending = 1;
		return 0;
	case 32:
		c->bank_lsb = v;
		c->bank_pending = 1;
		return 0;
	case 98:
	case 99:
	case 100:
	case 101:
		select_half(c, cc, v);
		return 0;
	case 6:
		if (selected(c)) {
			c->data_msb = v;
			c->data_msb_valid = 1;
			c->data_msb_waiting = 1;
		}
		return 0;
	case 38:
		if (!selected(c))
			return 0;
		c->data_msb_waiting = 0;
		return put_param(g, ch, c, c->data_msb_valid ? c->data_msb : 0, v, cb, ctx);
	default:
		return put4(0x40000000u | g << 24 | (0xB0u | ch) << 16 | cc << 8,
			    midi_scale_up(v, 7, 32), cb, ctx);
	}
}

int midi_up_put(midi_up *s, const midi_ump *in, midi_ump_cb cb, void *ctx)
{
	unsigned mt = midi_ump_mt(in);
	if (mt != MIDI_MT_MIDI1_CV && mt != MIDI_MT_MIDI2_CV)
		return cb(ctx, in);

	uint32_t w0 = in->w[0];
	unsigned g = (w0 >> 24) & 0xF, st = (w0 >> 16) & 0xFF, ch = st & 0xF, op = st >> 4;
	unsigned d0 = (w0 >> 8) & 0x7F, d1 = w0 & 0x7F;
	midi_up_chan *c = &s->ch[g][ch];
	uint32_t head = 0x40000000u | g << 24 | (uint32_t)st << 16;
	int rc;

	/* A waiting Data Entry MSB goes out before anything else on this group
	 * and channel, except the CC 38 that completes it. */
	if (!(mt == MIDI_MT_MIDI1_CV && op == 0xB && d0 == 38)) {
		rc = flush_waiting(g, ch, c, cb, ctx);
		if (rc)
			return rc;
	}
	if (mt == MIDI_MT_MIDI2_CV || op < 0x8 || op == 0xF)
		return cb(ctx, in);

	switch (op) {
	case 0x8:
		return put4(head | d0 << 8, midi_scale_up(d1, 7, 16) << 16, cb, ctx);
	case 0x9:
		if (d1 == 0)
			return put4(0x40000000u | g << 24 | (0x80u | ch) << 16 | d0 << 8, 0x80000000u,
				    cb, ctx);
		return put4(head | d0 << 8, midi_scale_up(d1, 7, 16) << 16, cb, ctx);
	case 0xA:
		return put4(head | d0 << 8, midi_scale_up(d1, 7, 32), cb, ctx);
	case 0xB:
		return control_change(g, ch, c, d0, d1, cb, ctx);
	case 0xC: {
		uint32_t w1 = (uint32_t)d0 << 24, flags = 0;
		if (c->bank_pending) {
			flags = 1;
			w1 |= (uint32_t)c->bank_msb << 8 | c->bank_lsb;
			c->bank_pending = 0;
		}
		return put4(head | flags, w1, cb, ctx);
	}
	case 0xD:
		return put4(head, midi_scale_up(d0, 7, 32), cb, ctx);
	default: /* 0xE */
		return put4(head, midi_scale_up(d1 << 7 | d0, 14, 32), cb, ctx);
	}
}

int midi_up_end(midi_up *s, midi_ump_cb cb, void *ctx)
{
	for (unsigned g = 0; g < 16; g++)
		for (unsigned ch = 0; ch < 16; ch++) {
			int rc = flush_waiting(g, ch, &s->ch[g][ch], cb, ctx);
			if (rc)
				return rc;
		}
	return 0;
}
