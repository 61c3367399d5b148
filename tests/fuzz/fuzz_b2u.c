/* fuzz_b2u.c: libFuzzer target for the byte-stream translator. The first
 * input byte picks a split point; the rest is a MIDI 1.0 byte stream fed
 * whole and then in two pieces (and byte by byte): the packets must be the
 * same. Every packet must then go through midi_u2b_put, midi_up and
 * midi_down and the SysEx reassembler without trouble, and the bytes u2b
 * gives must translate back to the same packets when no real-time byte
 * moved inside a SysEx. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midi/translate.h"

#define MAXP 65536

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

static int sink(void *ctx, const midi_ump *p)
{
	(void)ctx;
	(void)p;
	return 0;
}

static void run(const uint8_t *b, size_t n, size_t cut, struct out *o, int *trunc)
{
	midi_b2u s;
	midi_b2u_init(&s, 3);
	o->n = 0;
	if (cut > n)
		cut = n;
	midi_b2u_feed(&s, b, cut, add, o);
	midi_b2u_feed(&s, b + cut, n - cut, add, o);
	midi_b2u_end(&s, add, o, trunc);
}

static struct out a, b, c;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 8192)
		return 0;
	size_t cut = data[0] % size;
	const uint8_t *bytes = data + 1;
	size_t n = size - 1;
	int t1, t2, t3;

	run(bytes, n, 0, &a, &t1);
	run(bytes, n, cut, &b, &t2);
	if (a.n != b.n || memcmp(a.p, b.p, a.n * sizeof a.p[0]) != 0 || t1 != t2)
		abort();
	midi_b2u s;
	midi_b2u_init(&s, 3);
	c.n = 0;
	for (size_t i = 0; i < n; i++)
		midi_b2u_feed(&s, bytes + i, 1, add, &c);
	midi_b2u_end(&s, add, &c, &t3);
	if (a.n != c.n || memcmp(a.p, c.p, a.n * sizeof a.p[0]) != 0 || t1 != t3)
		abort();

	/* every packet has a byte form; bytes -> UMP again gives the same
	 * packets apart from real-time ones, which may move ahead of SysEx */
	static uint8_t back[MAXP * 8];
	size_t m = 0;
	midi_u2b u;
	midi_up up;
	midi_down down;
	midi_sysex_asm as;
	midi_u2b_init(&u);
	midi_up_init(&up);
	midi_down_init(&down);
	midi_sysex_asm_init(&as);
	for (size_t i = 0; i < a.n; i++) {
		int k = midi_u2b_put(&u, &a.p[i], back + m, sizeof back - m);
		if (k <= 0)
			abort();
		m += (size_t)k;
		midi_up_put(&up, &a.p[i], sink, NULL);
		midi_down_put(&down, &a.p[i], sink, NULL);
		unsigned g, kind;
		const uint8_t *d;
		size_t len;
		midi_sysex_asm_put(&as, &a.p[i], &g, &kind, &d, &len);
	}
	midi_up_end(&up, sink, NULL);
	midi_sysex_asm_free(&as);
	run(back, m, 0, &b, &t2);
	size_t i = 0, j = 0;
	for (;;) {
		while (i < a.n && (a.p[i].w[0] >> 28) == 1 && ((a.p[i].w[0] >> 16) & 0xFF) >= 0xF8)
			i++;
		while (j < b.n && (b.p[j].w[0] >> 28) == 1 && ((b.p[j].w[0] >> 16) & 0xFF) >= 0xF8)
			j++;
		if (i == a.n || j == b.n)
			break;
		if (memcmp(&a.p[i], &b.p[j], sizeof a.p[i]) != 0)
			abort();
		i++;
		j++;
	}
	if (i != a.n || j != b.n)
		abort();
	return 0;
}
