/* down.c: UMP MIDI 2.0 protocol (MT4) -> MIDI 1.0 protocol (MT2),
 * midi_down_*. Stateless: values scale down by shifting; a Note On whose
 * velocity scales to 0 goes out with velocity 1; note attributes are
 * ignored; Registered / Assignable Controllers become CC 101/100 (99/98),
 * 6, 38 every time; a Program Change with bank-valid becomes CC 0, CC 32 and
 * the Program Change. Relative controllers, per-note controllers, per-note
 * pitch bend, per-note management and undefined opcodes have no MIDI 1.0
 * form: dropped and counted (midi_down_dropped). Non-MT4 packets pass unchanged. */
#include "midi/translate.h"

void midi_down_init(midi_down *s)
{
	s->dropped = 0;
}

uint64_t midi_down_dropped(const midi_down *s)
{
	return s->dropped;
}

static int put2(uint32_t head, unsigned st, unsigned d0, unsigned d1, midi_ump_cb cb, void *ctx)
{
	midi_ump p = {{head | (st & 0xFF) << 16 | (d0 & 0x7F) << 8 | (d1 & 0x7F), 0, 0, 0}};
	return cb(ctx, &p);
}

int midi_down_put(midi_down *s, const midi_ump *in, midi_ump_cb cb, void *ctx)
{
	if (midi_ump_mt(in) != MIDI_MT_MIDI2_CV)
		return cb(ctx, in);
	uint32_t w0 = in->w[0], w1 = in->w[1];
	uint32_t head = 0x20000000u | (w0 & 0x0F000000u);
	unsigned op = (w0 >> 20) & 0xF, ch = (w0 >> 16) & 0xF;
	unsigned b2 = (w0 >> 8) & 0x7F, b3 = w0 & 0xFF;
	int rc;

	switch (op) {
	case 0x8:
		return put2(head, 0x80 | ch, b2, w1 >> 25, cb, ctx);
	case 0x9: {
		unsigned vel = w1 >> 25;
		return put2(head, 0x90 | ch, b2, vel ? vel : 1, cb, ctx);
	}
	case 0xA:
		return put2(head, 0xA0 | ch, b2, w1 >> 25, cb, ctx);
	case 0xB:
		return put2(head, 0xB0 | ch, b2, w1 >> 25, cb, ctx);
	case 0xC:
		if (b3 & 1) {
			rc = put2(head, 0xB0 | ch, 0, (w1 >> 8) & 0x7F, cb, ctx);
			if (!rc)
				rc = put2(head, 0xB0 | ch, 32, w1 & 0x7F, cb, ctx);
			if (rc)
				return rc;
		}
		return put2(head, 0xC0 | ch, (w1 >> 24) & 0x7F, 0, cb, ctx);
	case 0xD:
		return put2(head, 0xD0 | ch, w1 >> 25, 0, cb, ctx);
	case 0xE: {
		uint32_t v14 = w1 >> 18;
		return put2(head, 0xE0 | ch, v14 & 0x7F, v14 >> 7, cb, ctx);
	}
	case 0x2:
	case 0x3: {
		unsigned sel_msb = op == 0x2 ? 101 : 99, sel_lsb = op == 0x2 ? 100 : 98;
		unsigned bank = (w0 >> 8) & 0x7F, index = w0 & 0x7F;
		rc = put2(head, 0xB0 | ch, sel_msb, bank, cb, ctx);
		if (!rc)
			rc = put2(head, 0xB0 | ch, sel_lsb, index, cb, ctx);
		if (!rc)
			rc = put2(head, 0xB0 | ch, 6, w1 >> 25, cb, ctx);
		if (!rc)
			rc = put2(head, 0xB0 | ch, 38, (w1 >> 18) & 0x7F, cb, ctx);
		return rc;
	}
	default: /* 0 1 per-note controllers, 4 5 relative, 6 per-note pitch
		  * bend, F per-note management, 7 undefined */
		s->dropped++;
		return 0;
	}
}
