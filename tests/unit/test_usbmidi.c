/* test_usbmidi.c: the USB MIDI 2.0 word codec (usbump.c): byte order,
 * packets of every size, a packet split across transfers, NOOP padding,
 * partial words, round trips. The USB MIDI 1.0 codec (usbmidi.c): every Code Index
 * Number device -> host with the exact UMP expected, cables as groups,
 * padding, reserved and short packets, SysEx of every length split across
 * packets and transfers both ways, the host -> device CIN table,
 * back-pressure (no room: nothing changes) and round trips. */
#include "testutil.h"

#include "transport/usbmidi.h"

struct cap {
	uint32_t w[8192];
	size_t n;
};

static int cap_cb(void *ctx, const midi_ump *p)
{
	struct cap *c = ctx;
	unsigned nw = midi_ump_words(p);
	assert_true(c->n + nw <= 8192);
	for (unsigned i = 0; i < nw; i++)
		c->w[c->n++] = p->w[i];
	return 0;
}

static void dec(const uint8_t *b, size_t n, const uint32_t *want, size_t nwant)
{
	static struct cap c;
	usbmidi_dec d;
	usbmidi_dec_init(&d);
	c.n = 0;
	assert_int_equal(usbmidi_dec_feed(&d, b, n, cap_cb, &c), 0);
	if (c.n != nwant) {
		for (size_t i = 0; i < c.n; i++)
			fprintf(stderr, " %08X", c.w[i]);
		fprintf(stderr, "\n");
	}
	assert_int_equal(c.n, nwant);
	assert_memory_equal(c.w, want, nwant * 4);
}

static void test_cin_table(void **state)
{
	static const unsigned want[16] = {0, 0, 2, 3, 3, 1, 2, 3, 3, 3, 3, 3, 2, 2, 3, 1};
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(usbmidi_cin_len(i), want[i]);
}

static void test_dec_channel_voice(void **state)
{
	const uint8_t b[] = {0x08, 0x80, 0x3C, 0x40, 0x09, 0x91, 0x3C, 0x64, 0x0A, 0xA2, 0x3C, 0x10,
			     0x0B, 0xB3, 0x07, 0x7F, 0x0C, 0xC4, 0x05, 0x00, 0x0D, 0xD5, 0x33, 0x00,
			     0x0E, 0xE6, 0x00, 0x40};
	const uint32_t w[] = {0x20803C40, 0x20913C64, 0x20A23C10, 0x20B3077F,
			      0x20C40500, 0x20D53300, 0x20E60040};
	dec(b, sizeof b, w, 7);
}

static void test_dec_system(void **state)
{
	const uint8_t b[] = {0x02, 0xF1, 0x23, 0x00, 0x03, 0xF2, 0x10, 0x20, 0x02, 0xF3, 0x05, 0x00,
			     0x05, 0xF6, 0x00, 0x00, 0x0F, 0xF8, 0x00, 0x00, 0x0F, 0xFA, 0x00, 0x00,
			     0x0F, 0xFE, 0x00, 0x00};
	const uint32_t w[] = {0x10F12300, 0x10F21020, 0x10F30500, 0x10F60000,
			      0x10F80000, 0x10FA0000, 0x10FE0000};
	dec(b, sizeof b, w, 7);
}

/* Cable N is group N; each cable has its own SysEx and running state. */
static void test_dec_cables(void **state)
{
	const uint8_t b[] = {0x19, 0x90, 0x3C, 0x64, 0xF9, 0x9F, 0x40, 0x01,
			     0x14, 0xF0, 0x01, 0x02, 0x24, 0xF0, 0x0A, 0x0B, /* two SysEx at once */
			     0x17, 0x03, 0x04, 0xF7, 0x26, 0x0C, 0xF7, 0x00};
	const uint32_t w[] = {0x21903C64, 0x0000, 0x2F9F4001, 0x31040102, 0x03040000,
			      0x32030A0B, 0x0C000000};
	/* (second word of each MT3 listed; the MT2 have one) */
	const uint32_t want[] = {w[0], w[2], w[3], w[4], w[5], w[6]};
	dec(b, sizeof b, want, 6);
}

static void test_dec_padding_reserved_short(void **state)
{
	/* padding, reserved CIN 0 / 1 with data, a Note On, 3 stray bytes */
	const uint8_t b[] = {0, 0, 0, 0, 0x00, 0x90, 0x3C, 0x64, 0x01, 0x01, 0x02, 0x03,
			     0x09, 0x90, 0x3C, 0x64, 0, 0, 0, 0, 0x09, 0x90, 0x3C};
	usbmidi_dec d;
	struct cap c = {.n = 0};
	usbmidi_dec_init(&d);
	assert_int_equal(usbmidi_dec_feed(&d, b, sizeof b, cap_cb, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.w[0], 0x20903C64);
	assert_int_equal(d.padding, 2);
	assert_int_equal(d.reserved, 2);
	assert_int_equal(d.partial, 3);
	/* an empty transfer (zero-length packet) is nothing */
	assert_int_equal(usbmidi_dec_feed(&d, b, 0, cap_cb, &c), 0);
	assert_int_equal(c.n, 1);
}

/* CIN F carries any single byte: a device sending a message byte by byte. */
static void test_dec_single_bytes(void **state)
{
	const uint8_t b[] = {0x0F, 0x90, 0, 0, 0x0F, 0x3C, 0, 0, 0x0F, 0xF8, 0, 0, 0x0F, 0x64, 0, 0};
	const uint32_t w[] = {0x10F80000, 0x20903C64};
	dec(b, sizeof b, w, 2);
}

static void test_dec_sysex_short_forms(void **state)
{
	const uint8_t one[] = {0x06, 0xF0, 0xF7, 0x00};       /* F0 F7 */
	const uint8_t two[] = {0x07, 0xF0, 0x7E, 0xF7};       /* F0 7E F7 */
	const uint8_t three[] = {0x04, 0xF0, 0x01, 0x02, 0x05, 0xF7, 0, 0};
	const uint32_t w1[] = {0x30000000, 0};
	const uint32_t w2[] = {0x30017E00, 0};
	const uint32_t w3[] = {0x30020102, 0};
	dec(one, sizeof one, w1, 2);
	dec(two, sizeof two, w2, 2);
	dec(three, sizeof three, w3, 2);
}

/* Bytes of a SysEx of n data bytes as event packets on cable c. */
static size_t sysex_packets(unsigned c, size_t n, uint8_t *out)
{
	uint8_t m[4096];
	size_t k = 0, o = 0;
	m[k++] = 0xF0;
	for (size_t i = 0; i < n; i++)
		m[k++] = (uint8_t)(i * 7 & 0x7F);
	m[k++] = 0xF7;
	for (size_t i = 0; i < k; i += 3) {
		size_t left = k - i, len = left > 3 ? 3 : left;
		out[o] = (uint8_t)(c << 4 | (left > 3 ? 4 : 4 + len));
		for (size_t j = 0; j < 3; j++)
			out[o + 1 + j] = j < len ? m[i + j] : 0;
		o += 4;
	}
	return o;
}

static void check_sysex_ump(const struct cap *c, unsigned g, size_t n)
{
	size_t got = 0, npk = c->n / 2;
	for (size_t p = 0; p < npk; p++) {
		uint32_t w0 = c->w[2 * p], w1 = c->w[2 * p + 1];
		unsigned st = (w0 >> 20) & 0xF, cnt = (w0 >> 16) & 0xF;
		assert_int_equal(w0 >> 28, 3);
		assert_int_equal((w0 >> 24) & 0xF, g);
		assert_int_equal(st, npk == 1 ? 0 : p == 0 ? 1 : p == npk - 1 ? 3 : 2);
		uint8_t d[6] = {w0 >> 8, w0, w1 >> 24, w1 >> 16, w1 >> 8, w1};
		for (unsigned i = 0; i < cnt; i++, got++)
			assert_int_equal(d[i], got * 7 & 0x7F);
	}
	assert_int_equal(got, n);
}

/* Every length 0..300, whole and with the transfer cut at every packet. */
static void test_dec_sysex_every_length(void **state)
{
	static uint8_t b[4096];
	static struct cap c;
	for (size_t n = 0; n <= 300; n++) {
		size_t len = sysex_packets(5, n, b);
		for (size_t cut = 0; cut <= len; cut += n > 40 ? 28 : 4) {
			usbmidi_dec d;
			usbmidi_dec_init(&d);
			c.n = 0;
			assert_int_equal(usbmidi_dec_feed(&d, b, cut, cap_cb, &c), 0);
			assert_int_equal(usbmidi_dec_feed(&d, b + cut, len - cut, cap_cb, &c), 0);
			check_sysex_ump(&c, 5, n);
		}
	}
}

static int enc(usbmidi_enc *e, uint32_t w0, uint32_t w1, uint8_t *out)
{
	midi_ump p = {{w0, w1, 0, 0}};
	return usbmidi_enc_put(e, &p, out, USBMIDI_ENC_MAX);
}

static void test_enc_cin_table(void **state)
{
	static const struct {
		uint32_t w0;
		uint8_t pkt[4];
	} t[] = {
		{0x20803C40, {0x08, 0x80, 0x3C, 0x40}}, {0x21913C64, {0x19, 0x91, 0x3C, 0x64}},
		{0x22A23C10, {0x2A, 0xA2, 0x3C, 0x10}}, {0x2FB3077F, {0xFB, 0xB3, 0x07, 0x7F}},
		{0x20C40500, {0x0C, 0xC4, 0x05, 0x00}}, {0x20D53300, {0x0D, 0xD5, 0x33, 0x00}},
		{0x20E60040, {0x0E, 0xE6, 0x00, 0x40}}, {0x10F12300, {0x02, 0xF1, 0x23, 0x00}},
		{0x13F21020, {0x33, 0xF2, 0x10, 0x20}}, {0x10F30500, {0x02, 0xF3, 0x05, 0x00}},
		{0x10F60000, {0x05, 0xF6, 0x00, 0x00}}, {0x10F80000, {0x0F, 0xF8, 0x00, 0x00}},
		{0x1EFA0000, {0xEF, 0xFA, 0x00, 0x00}}, {0x10FB0000, {0x0F, 0xFB, 0x00, 0x00}},
		{0x10FC0000, {0x0F, 0xFC, 0x00, 0x00}}, {0x10FE0000, {0x0F, 0xFE, 0x00, 0x00}},
		{0x10FF0000, {0x0F, 0xFF, 0x00, 0x00}},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		usbmidi_enc e;
		uint8_t out[USBMIDI_ENC_MAX];
		usbmidi_enc_init(&e);
		assert_int_equal(enc(&e, t[i].w0, 0, out), 4);
		assert_memory_equal(out, t[i].pkt, 4);
	}
}

static void test_enc_no_form(void **state)
{
	usbmidi_enc e;
	uint8_t out[USBMIDI_ENC_MAX];
	usbmidi_enc_init(&e);
	assert_int_equal(enc(&e, 0x00000000, 0, out), 0);    /* NOOP */
	assert_int_equal(enc(&e, 0xF0000000, 0, out), 0);    /* stream */
	assert_int_equal(enc(&e, 0x10F40000, 0, out), 0);    /* undefined */
	assert_int_equal(e.dropped, 3);
}

/* MT4 goes down to MIDI 1.0 (one note on; a program change with bank gives
 * three messages). */
static void test_enc_mt4(void **state)
{
	usbmidi_enc e;
	uint8_t out[USBMIDI_ENC_MAX];
	usbmidi_enc_init(&e);
	assert_int_equal(enc(&e, 0x42903C00, 0x80000000, out), 4);
	assert_int_equal(out[0], 0x29);
	assert_int_equal(out[1], 0x90);
	assert_int_equal(out[2], 0x3C);
	assert_int_equal(out[3], 0x40);
	int n = enc(&e, 0x40C00001, 0x05000102, out);
	assert_int_equal(n, 12);
	const uint8_t want[] = {0x0B, 0xB0, 0x00, 0x01, 0x0B, 0xB0, 0x20, 0x02, 0x0C, 0xC0, 0x05, 0x00};
	assert_memory_equal(out, want, 12);
}

/* A SysEx of every length, in UMP as the byte translator makes it, gives
 * exactly the class's packet layout on cable 2. */
static void test_enc_sysex_every_length(void **state)
{
	static uint8_t want[4096], got[4096];
	static struct cap c;
	for (size_t n = 0; n <= 300; n++) {
		size_t len = sysex_packets(2, n, want);
		/* UMP for it: decode the reference packets */
		usbmidi_dec d;
		usbmidi_dec_init(&d);
		c.n = 0;
		assert_int_equal(usbmidi_dec_feed(&d, want, len, cap_cb, &c), 0);
		usbmidi_enc e;
		usbmidi_enc_init(&e);
		size_t o = 0;
		for (size_t p = 0; p < c.n; p += 2) {
			int k = enc(&e, c.w[p], c.w[p + 1], got + o);
			assert_true(k >= 0);
			o += (size_t)k;
		}
		assert_int_equal(o, len);
		assert_memory_equal(got, want, len);
	}
}

/* Real-time between SysEx packets goes out at once; another status ends
 * the SysEx with F7 first; a Continue with no Start is dropped. */
static void test_enc_sysex_interleaved(void **state)
{
	usbmidi_enc e;
	uint8_t o[USBMIDI_ENC_MAX];
	usbmidi_enc_init(&e);
	assert_int_equal(enc(&e, 0x30160102, 0x03040506, o), 8); /* Start F0 01..06 */
	const uint8_t a[] = {0x04, 0xF0, 0x01, 0x02, 0x04, 0x03, 0x04, 0x05};
	assert_memory_equal(o, a, 8);
	assert_int_equal(enc(&e, 0x10F80000, 0, o), 4); /* clock: 06 still held */
	assert_int_equal(o[0], 0x0F);
	assert_int_equal(enc(&e, 0x20903C64, 0, o), 8); /* ends the SysEx */
	const uint8_t b[] = {0x06, 0x06, 0xF7, 0x00, 0x09, 0x90, 0x3C, 0x64};
	assert_memory_equal(o, b, 8);
	assert_int_equal(enc(&e, 0x30220102, 0, o), 0); /* Continue alone */
	assert_int_equal(enc(&e, 0x30320102, 0, o), 0); /* End alone */
	/* a new Start inside a SysEx ends the first */
	assert_int_equal(enc(&e, 0x30110100, 0, o), 0);    /* F0 01 held */
	assert_int_equal(enc(&e, 0x30110200, 0, o), 4);
	const uint8_t c2[] = {0x07, 0xF0, 0x01, 0xF7, 0x00, 0, 0, 0};
	assert_memory_equal(o, c2, 4);
}

/* No room: -1 and the state is as before, so the packet can be offered
 * again and nothing is lost or doubled. */
static void test_enc_no_room(void **state)
{
	usbmidi_enc e;
	uint8_t o[USBMIDI_ENC_MAX];
	usbmidi_enc_init(&e);
	midi_ump p = {{0x30160102, 0x03040506, 0, 0}}; /* Start + 6 = 7 bytes: 2 packets */
	assert_int_equal(usbmidi_enc_put(&e, &p, o, 4), -1);
	assert_int_equal(usbmidi_enc_put(&e, &p, o, 7), -1);
	assert_int_equal(usbmidi_enc_put(&e, &p, o, 8), 8);
	midi_ump q = {{0x30310700, 0, 0, 0}}; /* End: 06 07 F7 */
	assert_int_equal(usbmidi_enc_put(&e, &q, o, 3), -1);
	assert_int_equal(usbmidi_enc_put(&e, &q, o, 4), 4);
	const uint8_t w[] = {0x07, 0x06, 0x07, 0xF7};
	assert_memory_equal(o, w, 4);
}

/* Random messages on random cables: encode, decode, same UMP. */
static void test_roundtrip_random(void **state)
{
	static struct cap in, back;
	static uint8_t wire[1 << 16];
	srand(9);
	for (int round = 0; round < 50; round++) {
		/* make UMP by decoding random well-formed byte messages */
		midi_b2u b[16];
		for (unsigned g = 0; g < 16; g++)
			midi_b2u_init(&b[g], g);
		in.n = 0;
		for (int m = 0; m < 100; m++) {
			unsigned g = (unsigned)rand() % 16;
			uint8_t msgb[64];
			size_t k = 0;
			int kind = rand() % 4;
			if (kind == 0) {
				msgb[k++] = (uint8_t)(0x80 | (rand() % 0x70));
				msgb[k++] = rand() & 0x7F;
				msgb[k++] = rand() & 0x7F;
				if ((msgb[0] & 0xF0) == 0xC0 || (msgb[0] & 0xF0) == 0xD0)
					k--;
			} else if (kind == 1) {
				msgb[k++] = 0xF8;
			} else {
				size_t n = (size_t)rand() % 40;
				msgb[k++] = 0xF0;
				for (size_t i = 0; i < n; i++)
					msgb[k++] = rand() & 0x7F;
				msgb[k++] = 0xF7;
			}
			assert_int_equal(midi_b2u_feed(&b[g], msgb, k, cap_cb, &in), 0);
		}
		usbmidi_enc e;
		usbmidi_enc_init(&e);
		size_t o = 0;
		for (size_t i = 0; i < in.n;) {
			midi_ump p = {{in.w[i], 0, 0, 0}};
			unsigned nw = midi_ump_words(&p);
			for (unsigned j = 1; j < nw; j++)
				p.w[j] = in.w[i + j];
			int k = usbmidi_enc_put(&e, &p, wire + o, sizeof wire - o);
			assert_true(k > 0);
			o += (size_t)k;
			i += nw;
		}
		usbmidi_dec d;
		usbmidi_dec_init(&d);
		back.n = 0;
		size_t off = 0;
		while (off < o) { /* transfers of random whole-packet sizes */
			size_t t = 4 * (1 + (size_t)rand() % 16);
			if (t > o - off)
				t = o - off;
			assert_int_equal(usbmidi_dec_feed(&d, wire + off, t, cap_cb, &back), 0);
			off += t;
		}
		assert_int_equal(back.n, in.n);
		assert_memory_equal(back.w, in.w, in.n * 4);
	}
}

/* ---- USB MIDI 2.0: UMP words ---- */

static void test_ump_words(void **state)
{
	static struct cap c;
	usbump_dec d;
	usbump_dec_init(&d);
	c.n = 0;
	/* a MIDI 2.0 note on (2 words), a NOOP (padding), a SysEx8 (4 words)
	 * split across transfers, one cut inside a word, then a JR timestamp */
	const uint8_t t1[] = {0x00, 0x3c, 0x90, 0x40, 0x00, 0x00, 0x24, 0xc9, 0, 0, 0, 0,
			      0x00, 0x05, 0x1e, 0x51, 0x04, 0x03};
	assert_int_equal(usbump_dec_feed(&d, t1, sizeof t1, cap_cb, &c), 0);
	assert_int_equal(d.partial, 2); /* 04 03: not a whole word, dropped */
	assert_int_equal(d.noop, 1);
	assert_int_equal(c.n, 2);
	const uint8_t t2[] = {0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05};
	const uint8_t t3[] = {0x0c, 0x0b, 0x0a, 0x09, 0x34, 0x12, 0x20, 0x00};
	assert_int_equal(usbump_dec_feed(&d, t2, sizeof t2, cap_cb, &c), 0);
	assert_int_equal(c.n, 2); /* the SysEx8 is not whole yet */
	assert_int_equal(usbump_dec_feed(&d, t3, sizeof t3, cap_cb, &c), 0);
	const uint32_t want[] = {0x40903c00, 0xc9240000, 0x511e0500, 0x01020304, 0x05060708,
				 0x090a0b0c, 0x00201234};
	assert_int_equal(c.n, 7);
	assert_memory_equal(c.w, want, sizeof want);
}

static int put2(void *ctx, const midi_ump *p)
{
	uint8_t *b = ctx;
	uint8_t w[16];
	int n = usbump_enc_put(p, w, sizeof w);
	assert_int_equal(n, (int)midi_ump_words(p) * 4);
	assert_int_equal(usbump_enc_put(p, w, (size_t)n - 1), -1); /* no room */
	memcpy(b + b[0] + 1, w, (size_t)n);
	b[0] = (uint8_t)(b[0] + n);
	return 0;
}

/* Every message type's size both ways: the bytes decode to the packets
 * they came from and encode back to the same bytes. */
static void test_ump_round_trip(void **state)
{
	uint8_t in[16 * 16], out[1 + 16 * 16] = {0};
	size_t n = 0;
	for (unsigned mt = 0; mt < 16; mt++) {
		unsigned nw = midi_mt_words(mt);
		for (unsigned k = 0; k < nw; k++) {
			uint32_t w = k ? 0x01020304u * (mt + 1) : mt << 28 | 0x0A000000u | mt;
			for (int b = 0; b < 4; b++)
				in[n++] = (uint8_t)(w >> (8 * b));
		}
	}
	usbump_dec d;
	usbump_dec_init(&d);
	assert_int_equal(usbump_dec_feed(&d, in, n, put2, out), 0);
	assert_int_equal(out[0], n);
	assert_memory_equal(out + 1, in, n);
	assert_int_equal(d.noop + d.partial, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ump_words),
		cmocka_unit_test(test_ump_round_trip),
		cmocka_unit_test(test_cin_table),
		cmocka_unit_test(test_dec_channel_voice),
		cmocka_unit_test(test_dec_system),
		cmocka_unit_test(test_dec_cables),
		cmocka_unit_test(test_dec_padding_reserved_short),
		cmocka_unit_test(test_dec_single_bytes),
		cmocka_unit_test(test_dec_sysex_short_forms),
		cmocka_unit_test(test_dec_sysex_every_length),
		cmocka_unit_test(test_enc_cin_table),
		cmocka_unit_test(test_enc_no_form),
		cmocka_unit_test(test_enc_mt4),
		cmocka_unit_test(test_enc_sysex_every_length),
		cmocka_unit_test(test_enc_sysex_interleaved),
		cmocka_unit_test(test_enc_no_room),
		cmocka_unit_test(test_roundtrip_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
