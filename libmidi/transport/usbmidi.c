/* usbmidi.c: the USB MIDI 1.0 event packet codec (usbmidi.h). Device to
 * host, each packet's bytes (as many as its Code Index Number says) go
 * through the library's byte-stream translator of its cable, so SysEx,
 * running status and real-time bytes follow SPEC.md section 3 exactly as
 * for a byte stream. Host to device, midi_u2b gives a message's bytes and
 * they are packed by the class's CIN table. */
#include "transport/usbmidi.h"

#include <string.h>

/* USB MIDI 1.0 table 4-1: MIDI bytes per Code Index Number. */
static const uint8_t cin_len[16] = {
	0, /* 0 miscellaneous, reserved */
	0, /* 1 cable events, reserved */
	2, /* 2 two-byte System Common */
	3, /* 3 three-byte System Common */
	3, /* 4 SysEx starts or continues */
	1, /* 5 single-byte System Common, or SysEx ends with one byte */
	2, /* 6 SysEx ends with two bytes */
	3, /* 7 SysEx ends with three bytes */
	3, /* 8 Note Off */
	3, /* 9 Note On */
	3, /* A Poly Key Pressure */
	3, /* B Control Change */
	2, /* C Program Change */
	2, /* D Channel Pressure */
	3, /* E Pitch Bend */
	1, /* F single byte */
};

unsigned usbmidi_cin_len(unsigned cin)
{
	return cin_len[cin & 0xF];
}

void usbmidi_dec_init(usbmidi_dec *d)
{
	memset(d, 0, sizeof *d);
	for (unsigned c = 0; c < 16; c++)
		midi_b2u_init(&d->cable[c], c);
}

int usbmidi_dec_feed(usbmidi_dec *d, const uint8_t *buf, size_t n, midi_ump_cb cb, void *ctx)
{
	size_t i;
	for (i = 0; i + 4 <= n; i += 4) {
		const uint8_t *p = buf + i;
		unsigned cable = p[0] >> 4, len = cin_len[p[0] & 0xF];
		if (!p[0] && !p[1] && !p[2] && !p[3]) {
			d->padding++;
			continue;
		}
		if (!len) {
			d->reserved++;
			continue;
		}
		int rc = midi_b2u_feed(&d->cable[cable], p + 1, len, cb, ctx);
		if (rc)
			return rc;
	}
	d->partial += n - i;
	return 0;
}

void usbmidi_enc_init(usbmidi_enc *e)
{
	memset(e, 0, sizeof *e);
}

struct pk {
	uint8_t *b;
	size_t n;
};

static void pk_put(struct pk *k, unsigned cable, unsigned cin, const uint8_t *m, unsigned len)
{
	uint8_t *o = k->b + k->n;
	o[0] = (uint8_t)(cable << 4 | cin);
	o[1] = len > 0 ? m[0] : 0;
	o[2] = len > 1 ? m[1] : 0;
	o[3] = len > 2 ? m[2] : 0;
	k->n += 4;
}

/* One SysEx byte (F0, data, or F7) of cable c. */
static void sx_byte(usbmidi_enc *e, struct pk *k, unsigned c, uint8_t b)
{
	uint8_t m[3];
	unsigned n = e->npend[c];
	memcpy(m, e->pend[c], n);
	m[n++] = b;
	if (b == 0xF7) {
		pk_put(k, c, 4 + n, m, n); /* CIN 5, 6, 7 */
		e->npend[c] = 0;
		e->in_sysex[c] = 0;
	} else if (n == 3) {
		pk_put(k, c, 4, m, 3);
		e->npend[c] = 0;
	} else {
		memcpy(e->pend[c], m, n);
		e->npend[c] = (uint8_t)n;
	}
}

/* One whole non-SysEx message (full status, from midi_u2b) of cable c. */
static void msg(usbmidi_enc *e, struct pk *k, unsigned c, const uint8_t *m, unsigned len)
{
	uint8_t st = m[0];
	if (st >= 0xF8) {
		pk_put(k, c, 0xF, m, 1);
		return;
	}
	if (e->in_sysex[c])
		sx_byte(e, k, c, 0xF7);
	if (st < 0xF0)
		pk_put(k, c, st >> 4, m, len);
	else if (len == 1)
		pk_put(k, c, 5, m, 1); /* F6 */
	else
		pk_put(k, c, len, m, len); /* F1, F3: CIN 2; F2: CIN 3 */
}

int usbmidi_enc_put(usbmidi_enc *e, const midi_ump *p, uint8_t *out, size_t cap)
{
	uint8_t bytes[16], pkts[USBMIDI_ENC_MAX];
	midi_u2b u;
	midi_u2b_init(&u);
	int nb = midi_u2b_put(&u, p, bytes, sizeof bytes);
	if (nb <= 0) {
		e->dropped++;
		return 0;
	}
	unsigned c = midi_ump_group(p);
	usbmidi_enc save = *e;
	struct pk k = {pkts, 0};
	if (midi_ump_mt(p) == MIDI_MT_DATA64) {
		for (int i = 0; i < nb; i++) {
			uint8_t b = bytes[i];
			if (b == 0xF0) {
				if (e->in_sysex[c]) /* a Start inside a SysEx: end that one */
					sx_byte(e, &k, c, 0xF7);
				e->in_sysex[c] = 1;
			} else if (!e->in_sysex[c]) {
				continue; /* Continue / End with no Start: dropped */
			}
			sx_byte(e, &k, c, b);
		}
	} else {
		/* MT1 / MT2 give one message; MT4 may give several (RPN, bank) */
		for (int i = 0; i < nb;) {
			uint8_t st = bytes[i];
			unsigned len = st >= 0xF0 ? (st == 0xF2 ? 3 : st == 0xF1 || st == 0xF3 ? 2 : 1)
				       : (st & 0xF0) == 0xC0 || (st & 0xF0) == 0xD0 ? 2 : 3;
			if (i + (int)len > nb)
				break;
			msg(e, &k, c, bytes + i, len);
			i += (int)len;
		}
	}
	if (k.n > cap) {
		*e = save;
		return -1;
	}
	memcpy(out, pkts, k.n);
	return (int)k.n;
}
