/* fuzz_usbdesc.c: libFuzzer target for the USB MIDI descriptor parsers
 * (usbdesc.c: configuration and Group Terminal Blocks), the event packet
 * decoder (usbmidi.c) and the MIDI 2.0 word decoder (usbump.c). The input is a
 * configuration descriptor: parsed whole, with wTotalLength forced to the
 * input's length, and cut short (always an error); a result must be within
 * the limits and its cable names must resolve. The same bytes are then
 * decoded as event packets in two transfers, and what they give encodes
 * back to packets that decode to the same UMP (SysEx still held aside).
 * The bytes as Group Terminal Blocks: each block's groups within 16. As
 * UMP words in two transfers: every packet encodes back to its bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/usbmidi.h"

static void check(const struct usbmidi_conf *c, int r)
{
	if (r < -1 || r > USBMIDI_MAX_IFS)
		abort();
	for (int k = 0; k < r; k++) {
		const struct usbmidi_if *f = &c->ifs[k];
		if (f->neps > USBMIDI_MAX_EPS || f->njacks > USBMIDI_MAX_JACKS)
			abort();
		for (size_t e = 0; e < f->neps; e++) {
			if (f->eps[e].ncables > 16)
				abort();
			for (unsigned cb = 0; cb < 17; cb++)
				usbmidi_cable_name(f, &f->eps[e], cb);
		}
	}
}

#define MAXP 16384
struct out {
	midi_ump p[MAXP];
	size_t n;
};

static int add(void *ctx, const midi_ump *p)
{
	struct out *o = ctx;
	if (o->n < MAXP)
		o->p[o->n++] = *p;
	return 0;
}

static struct out a, b;

/* p is of group g and real-time (rt) or not (!rt) */
static int pick(const midi_ump *p, unsigned g, int rt)
{
	int is_rt = midi_ump_mt(p) == MIDI_MT_SYSTEM && midi_ump_status(p) >= 0xF8;
	return midi_ump_group(p) == g && is_rt == rt;
}
static uint8_t wire[MAXP * USBMIDI_ENC_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usbmidi_conf c;
	char err[160];
	if (size > 4096)
		return 0;
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	check(&c, usbmidi_parse_config(buf, size, &c, err, sizeof err));
	if (size >= 4) {
		buf[2] = size & 0xFF;
		buf[3] = (uint8_t)(size >> 8);
		check(&c, usbmidi_parse_config(buf, size, &c, err, sizeof err));
		if (size >= 9 && usbmidi_parse_config(buf, size - 1, &c, err, sizeof err) != -1)
			abort(); /* wTotalLength says more than there is */
	}

	struct usbmidi_gtb gtb[USBMIDI_MAX_GTBS];
	int ng = usbmidi_parse_gtb(buf, size, gtb, USBMIDI_MAX_GTBS, err, sizeof err);
	if (ng < -1 || ng > USBMIDI_MAX_GTBS)
		abort();
	for (int k = 0; k < ng; k++)
		if (gtb[k].ngroups < 1 || gtb[k].first_group + gtb[k].ngroups > 16)
			abort();
	usbump_dec ud;
	usbump_dec_init(&ud);
	a.n = 0;
	size_t ucut = size ? data[0] % (size + 1) : 0;
	usbump_dec_feed(&ud, buf, ucut, add, &a);
	usbump_dec_feed(&ud, buf + ucut, size - ucut, add, &a);
	for (size_t i = 0; i < a.n; i++) {
		uint8_t w[16];
		int k = usbump_enc_put(&a.p[i], w, sizeof w);
		if (k != (int)midi_ump_words(&a.p[i]) * 4 || (k == 4 && a.p[i].w[0] == 0))
			abort(); /* a NOOP word is never a packet */
	}

	usbmidi_dec d;
	usbmidi_dec_init(&d);
	a.n = 0;
	size_t cut = size ? (data[0] % (size / 4 + 1)) * 4 : 0;
	usbmidi_dec_feed(&d, buf, cut, add, &a);
	usbmidi_dec_feed(&d, buf + cut, size - cut, add, &a);
	usbmidi_enc e;
	usbmidi_enc_init(&e);
	size_t m = 0;
	for (size_t i = 0; i < a.n; i++) {
		int k = usbmidi_enc_put(&e, &a.p[i], wire + m, sizeof wire - m);
		if (k < 0 || k % 4)
			abort();
		m += (size_t)k;
	}
	usbmidi_dec_init(&d);
	b.n = 0;
	usbmidi_dec_feed(&d, wire, m, add, &b);
	/* Per group (cable), real-time packets come out at once both ways:
	 * the same ones in the same order. The rest of b is a prefix of the
	 * rest of a: SysEx bytes still held by the second decoder (waiting for
	 * more) lag behind. Groups are independent streams. */
	for (unsigned g = 0; g < 16; g++) {
		size_t i = 0, j = 0;
		for (int rt = 0; rt < 2; rt++) {
			for (i = 0, j = 0;; i++, j++) {
				while (i < a.n && !pick(&a.p[i], g, rt))
					i++;
				while (j < b.n && !pick(&b.p[j], g, rt))
					j++;
				if (j == b.n)
					break;
				if (i == a.n || memcmp(&a.p[i], &b.p[j], sizeof a.p[i]) != 0)
					abort();
			}
			while (rt && i < a.n && !pick(&a.p[i], g, rt))
				i++;
			if (rt && i != a.n) /* a real-time packet missing from b */
				abort();
		}
	}
	free(buf);
	return 0;
}
