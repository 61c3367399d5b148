/* u2b.c: UMP -> MIDI 1.0 byte stream, midi_u2b_*. The exact inverse of
 * b2u.c for MT1, MT2 and MT3 (full status on every message: no running
 * status in the output); MT4 goes through midi_down first. Packets with no
 * byte form (MT0, MT5, MTD, MTF, reserved MTs, undefined statuses and
 * untranslatable MT4) give 0 bytes and are counted in `dropped`. */
#include "midi/translate.h"

void midi_u2b_init(midi_u2b *s)
{
	s->dropped = 0;
}

uint64_t midi_u2b_dropped(const midi_u2b *s)
{
	return s->dropped;
}

/* Bytes of one MT1/MT2/MT3 packet into b (room for 8), or 0 if none. */
static int bytes_of(const midi_ump *p, uint8_t *b)
{
	uint32_t w0 = p->w[0], w1 = p->w[1];
	unsigned st = (w0 >> 16) & 0xFF, d0 = (w0 >> 8) & 0x7F, d1 = w0 & 0x7F;

	switch (midi_ump_mt(p)) {
	case MIDI_MT_SYSTEM:
		b[0] = st;
		b[1] = d0;
		b[2] = d1;
		switch (st) {
		case 0xF1:
		case 0xF3:
			return 2;
		case 0xF2:
			return 3;
		case 0xF6:
		case 0xF8:
		case 0xFA:
		case 0xFB:
		case 0xFC:
		case 0xFE:
		case 0xFF:
			return 1;
		default:
			return 0;
		}
	case MIDI_MT_MIDI1_CV:
		if (st < 0x80 || st >= 0xF0)
			return 0;
		b[0] = st;
		b[1] = d0;
		b[2] = d1;
		return (st & 0xF0) == 0xC0 || (st & 0xF0) == 0xD0 ? 2 : 3;
	case MIDI_MT_DATA64: {
		unsigned kind = (w0 >> 20) & 0xF, n = (w0 >> 16) & 0xF, k = 0;
		uint8_t d[6] = {(w0 >> 8) & 0x7F, w0 & 0x7F,        (w1 >> 24) & 0x7F,
				(w1 >> 16) & 0x7F, (w1 >> 8) & 0x7F, w1 & 0x7F};
		if (kind > 3 || n > 6)
			return 0;
		if (kind == 0 || kind == 1)
			b[k++] = 0xF0;
		for (unsigned i = 0; i < n; i++)
			b[k++] = d[i];
		if (kind == 0 || kind == 3)
			b[k++] = 0xF7;
		return (int)k;
	}
	default:
		return 0;
	}
}

struct down_buf {
	midi_ump p[4];
	unsigned n;
};

static int collect(void *ctx, const midi_ump *p)
{
	struct down_buf *d = ctx;
	if (d->n < 4)
		d->p[d->n++] = *p;
	return 0;
}

int midi_u2b_put(midi_u2b *s, const midi_ump *p, uint8_t *out, size_t cap)
{
	uint8_t b[16];
	int n = 0;

	if (midi_ump_mt(p) == MIDI_MT_MIDI2_CV) {
		struct down_buf d = {.n = 0};
		midi_down down;
		midi_down_init(&down);
		midi_down_put(&down, p, collect, &d);
		for (unsigned i = 0; i < d.n; i++)
			n += bytes_of(&d.p[i], b + n);
	} else {
		n = bytes_of(p, b);
	}
	if (n == 0) {
		s->dropped++;
		return 0;
	}
	if ((size_t)n > cap)
		return -MIDI_ERR_INPUT;
	for (int i = 0; i < n; i++)
		out[i] = b[i];
	return n;
}
