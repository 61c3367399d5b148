/* sysex.c: SysEx payloads into UMP packets (midi_sysex7_chunk and
 * midi_sysex7_packets: MT3, 6 bytes per packet; midi_sysex8_chunk: MT5,
 * stream id + 13 bytes per packet), the SysEx form of one packet
 * (midi_ump_sysex_kind, midi_sysex_part_of) and reassembly of SysEx7/SysEx8
 * packets per group (midi_sysex_asm_*). */
#include "midi/translate.h"

#include <stdlib.h>
#include <string.h>

#define SYSEX_DEFAULT_MAX (16u << 20)

static unsigned chunk_status(size_t off, size_t take, size_t n)
{
	int first = off == 0, last = off + take >= n;
	return first && last ? 0 : first ? 1 : last ? 3 : 2;
}

int midi_sysex7_chunk(unsigned group, const uint8_t *data, size_t n, midi_ump_cb cb, void *ctx)
{
	size_t off = 0;
	do {
		size_t take = n - off > 6 ? 6 : n - off;
		uint8_t b[6] = {0};
		for (size_t i = 0; i < take; i++)
			b[i] = data[off + i] & 0x7F;
		uint32_t st = chunk_status(off, take, n);
		midi_ump p = {{0x30000000u | (group & 0xF) << 24 | st << 20 | (uint32_t)take << 16 |
				       (uint32_t)b[0] << 8 | b[1],
			       (uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5],
			       0, 0}};
		int rc = cb(ctx, &p);
		if (rc)
			return rc;
		off += take;
	} while (off < n);
	return 0;
}

struct collect {
	midi_ump *out;
	size_t n, max;
};

static int collect(void *ctx, const midi_ump *p)
{
	struct collect *c = ctx;
	if (c->n == c->max)
		return -MIDI_ERR_INPUT;
	c->out[c->n++] = *p;
	return 0;
}

int midi_sysex7_packets(unsigned group, const uint8_t *data, size_t n, midi_ump *out, size_t max)
{
	struct collect c = {out, 0, max};
	int r = midi_sysex7_chunk(group, data, n, collect, &c);
	return r < 0 ? r : (int)c.n;
}

int midi_sysex8_chunk(unsigned group, unsigned stream_id, const uint8_t *data, size_t n,
		      midi_ump_cb cb, void *ctx)
{
	size_t off = 0;
	do {
		size_t take = n - off > 13 ? 13 : n - off;
		uint8_t b[14] = {0};
		b[0] = stream_id & 0xFF;
		for (size_t i = 0; i < take; i++)
			b[1 + i] = data[off + i];
		uint32_t st = chunk_status(off, take, n);
		midi_ump p;
		p.w[0] = 0x50000000u | (group & 0xF) << 24 | st << 20 | (uint32_t)(take + 1) << 16 |
			 (uint32_t)b[0] << 8 | b[1];
		for (unsigned w = 1; w < 4; w++) {
			const uint8_t *q = b + 2 + (w - 1) * 4;
			p.w[w] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
		}
		int rc = cb(ctx, &p);
		if (rc)
			return rc;
		off += take;
	} while (off < n);
	return 0;
}

int midi_ump_sysex_kind(const midi_ump *p)
{
	unsigned mt = midi_ump_mt(p), st = (p->w[0] >> 20) & 0xF;
	if (st > 3)
		return 0; /* reserved, or Mixed Data Set */
	return mt == MIDI_MT_DATA64 ? 7 : mt == MIDI_MT_DATA128 ? 8 : 0;
}

int midi_sysex_part_of(const midi_ump *p, midi_sysex_part *out)
{
	int k = midi_ump_sysex_kind(p);
	unsigned n = (p->w[0] >> 16) & 0xF;
	uint32_t w0 = p->w[0];
	if (k == 7 && n <= 6) {
		uint32_t w1 = p->w[1];
		out->stream_id = 0;
		out->len = (uint8_t)n;
		out->data[0] = (w0 >> 8) & 0x7F;
		out->data[1] = w0 & 0x7F;
		out->data[2] = (w1 >> 24) & 0x7F;
		out->data[3] = (w1 >> 16) & 0x7F;
		out->data[4] = (w1 >> 8) & 0x7F;
		out->data[5] = w1 & 0x7F;
	} else if (k == 8 && n >= 1 && n <= 14) {
		out->stream_id = (w0 >> 8) & 0xFF;
		out->len = (uint8_t)(n - 1);
		out->data[0] = w0 & 0xFF;
		for (unsigned w = 1; w < 4; w++)
			for (unsigned i = 0; i < 4; i++)
				out->data[1 + (w - 1) * 4 + i] = (p->w[w] >> (24 - 8 * i)) & 0xFF;
	} else {
		return -MIDI_ERR_INPUT; /* not SysEx, or a byte count out of range */
	}
	out->kind = (uint8_t)k;
	out->form = (uint8_t)((w0 >> 20) & 0xF);
	out->group = (uint8_t)((w0 >> 24) & 0xF);
	return 0;
}

void midi_sysex_asm_init(midi_sysex_asm *a)
{
	memset(a, 0, sizeof *a);
}

void midi_sysex_asm_free(midi_sysex_asm *a)
{
	for (unsigned g = 0; g < 16; g++)
		free(a->buf[g]);
	size_t max = a->max;
	memset(a, 0, sizeof *a);
	a->max = max;
}

static int append(midi_sysex_asm *a, unsigned g, const uint8_t *b, size_t n)
{
	size_t max = a->max ? a->max : SYSEX_DEFAULT_MAX;
	if (n == 0)
		return 0;
	if (a->len[g] + n > max)
		return -MIDI_ERR_INPUT;
	if (a->len[g] + n > a->cap[g]) {
		size_t cap = a->cap[g] ? a->cap[g] : 256;
		while (cap < a->len[g] + n)
			cap *= 2;
		if (cap > max)
			cap = max;
		uint8_t *nb = realloc(a->buf[g], cap);
		if (!nb)
			return -MIDI_ERR_INPUT;
		a->buf[g] = nb;
		a->cap[g] = cap;
	}
	memcpy(a->buf[g] + a->len[g], b, n);
	a->len[g] += n;
	return 0;
}

static int fail(midi_sysex_asm *a, unsigned g)
{
	a->active[g] = 0;
	a->len[g] = 0;
	return -MIDI_ERR_INPUT;
}

int midi_sysex_asm_put(midi_sysex_asm *a, const midi_ump *p, unsigned *group, unsigned *kind,
		       const uint8_t **data, size_t *len)
{
	unsigned g = midi_ump_group(p), st = (p->w[0] >> 20) & 0xF, k;
	midi_sysex_part part;

	if (!midi_ump_sysex_kind(p))
		return 0; /* not SysEx (Mixed Data Set included) */
	if (midi_sysex_part_of(p, &part) < 0)
		return fail(a, g);
	k = part.kind;

	/* A Start or Complete while a message is open abandons the open one
	 * (its sender lost it); Continue/End must follow a Start of the same
	 * kind. For SysEx8 the stream id (first byte) is kept once, from the
	 * Start or Complete. */
	if (st == 0 || st == 1) {
		a->len[g] = 0;
		a->active[g] = 0;
		int r;
		if (k == 8) { /* the stream id first */
			uint8_t b[14];
			b[0] = part.stream_id;
			memcpy(b + 1, part.data, part.len);
			r = append(a, g, b, part.len + 1u);
		} else {
			r = append(a, g, part.data, part.len);
		}
		if (r < 0)
			return fail(a, g);
		if (st == 1) {
			a->active[g] = k;
			return 0;
		}
	} else {
		if (a->active[g] != k)
			return fail(a, g);
		if (append(a, g, part.data, part.len) < 0)
			return fail(a, g);
		if (st == 2)
			return 0;
	}
	if (group)
		*group = g;
	if (kind)
		*kind = k;
	if (data)
		*data = a->buf[g] ? a->buf[g] : (const uint8_t *)"";
	if (len)
		*len = a->len[g];
	a->active[g] = 0;
	a->len[g] = 0;
	return 1;
}
