/* usbump.c: the USB MIDI 2.0 data codec (usbmidi.h): on the alternate
 * setting for MIDI 2.0 a bulk or interrupt endpoint carries UMP words,
 * each least significant byte first, the words of a packet in order. The
 * decoder assembles packets word by word, so one may continue in the
 * next transfer; the word 0x00000000 (Utility NOOP, group 0, what devices
 * pad with) is skipped. */
#include "transport/usbmidi.h"

#include <string.h>

void usbump_dec_init(usbump_dec *d)
{
	memset(d, 0, sizeof *d);
}

int usbump_dec_feed(usbump_dec *d, const uint8_t *buf, size_t n, midi_ump_cb cb, void *ctx)
{
	size_t whole = n / 4 * 4;
	d->partial += n - whole;
	for (size_t i = 0; i < whole; i += 4) {
		uint32_t w = (uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 |
			     (uint32_t)buf[i + 2] << 16 | (uint32_t)buf[i + 3] << 24;
		if (d->have == 0) {
			if (w == 0) {
				d->noop++;
				continue;
			}
			d->need = midi_mt_words(w >> 28);
		}
		d->w[d->have++] = w;
		if (d->have < d->need)
			continue;
		midi_ump p;
		memset(&p, 0, sizeof p);
		memcpy(p.w, d->w, d->need * sizeof *p.w);
		d->have = 0;
		int r = cb(ctx, &p);
		if (r)
			return r;
	}
	return 0;
}

int usbump_enc_put(const midi_ump *p, uint8_t *out, size_t cap)
{
	unsigned nw = midi_ump_words(p);
	if (cap < nw * 4u)
		return -1;
	for (unsigned k = 0; k < nw; k++) {
		uint32_t w = p->w[k];
		out[4 * k] = (uint8_t)w;
		out[4 * k + 1] = (uint8_t)(w >> 8);
		out[4 * k + 2] = (uint8_t)(w >> 16);
		out[4 * k + 3] = (uint8_t)(w >> 24);
	}
	return (int)(nw * 4);
}
