/* test_translate.c: MIDI 1.0 byte stream <-> UMP (midi_b2u_*, midi_u2b_put):
 * every edge policy midi_translate(3) states, as its own test with the exact
 * packets expected, each checked unsplit, at every two-piece split and
 * byte by byte; the inverse direction; random streams split at random
 * points; the readers' inline fast path (translate/b2u_inline.h) against
 * midi_b2u_feed on random streams. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/translate.h"
#include "translate/b2u_inline.h"

struct cap {
	uint32_t w[4096];
	size_t n;      /* words */
	size_t npkt;
};

static int cap_cb(void *ctx, const midi_ump *p)
{
	struct cap *c = ctx;
	unsigned nw = midi_ump_words(p);
	assert_true(c->n + nw <= 4096);
	for (unsigned i = 0; i < nw; i++)
		c->w[c->n++] = p->w[i];
	c->npkt++;
	return 0;
}

/* Feed `b` cut at the given points (ascending, 0 < cut < n), then end. */
static void run_split(const uint8_t *b, size_t n, const size_t *cuts, size_t ncut, struct cap *c,
		      int *trunc)
{
	midi_b2u s;
	size_t off = 0;
	midi_b2u_init(&s, 0);
	c->n = c->npkt = 0;
	for (size_t i = 0; i <= ncut; i++) {
		size_t end = i < ncut ? cuts[i] : n;
		assert_int_equal(midi_b2u_feed(&s, b + off, end - off, cap_cb, c), 0);
		off = end;
	}
	assert_int_equal(midi_b2u_end(&s, cap_cb, c, trunc), 0);
}

static void dump_words(const char *what, const uint32_t *w, size_t n)
{
	fprintf(stderr, "%s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %08X", w[i]);
	fprintf(stderr, "\n");
}

static void check_b2u_trunc(const uint8_t *b, size_t n, const uint32_t *want, size_t nwant,
			    int want_trunc)
{
	static struct cap c, c2;
	int trunc = -1;
	run_split(b, n, NULL, 0, &c, &trunc);
	if (c.n != nwant || (nwant && memcmp(c.w, want, nwant * 4) != 0)) {
		dump_words("want", want, nwant);
		dump_words("got ", c.w, c.n);
		fail_msg("byte stream -> UMP differs");
	}
	assert_int_equal(trunc, want_trunc);
	/* every two-piece split */
	for (size_t cut = 1; cut < n; cut++) {
		run_split(b, n, &cut, 1, &c2, &trunc);
		if (c2.n != c.n || memcmp(c2.w, c.w, c.n * 4) != 0)
			fail_msg("output differs when input is split at byte %zu", cut);
	}
	/* byte by byte */
	size_t cuts[256];
	for (size_t i = 1; i < n && i < 256; i++)
		cuts[i - 1] = i;
	if (n >= 2 && n <= 256) {
		run_split(b, n, cuts, n - 1, &c2, &trunc);
		if (c2.n != c.n || memcmp(c2.w, c.w, c.n * 4) != 0)
			fail_msg("output differs when input is fed byte by byte");
	}
}

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})
#define WORDS(...) ((const uint32_t[]){__VA_ARGS__}), sizeof((const uint32_t[]){__VA_ARGS__}) / 4
#define NOWORDS NULL, 0
#define B2U(bytes, words) check_b2u_trunc(bytes, words, 0)
#define B2U_TRUNC(bytes, words) check_b2u_trunc(bytes, words, 1)

static void test_channel_messages(void **state)
{
	(void)state;
	B2U(BYTES(0x90, 0x3C, 0x64), WORDS(0x20903C64));
	B2U(BYTES(0x83, 0x3C, 0x40), WORDS(0x20833C40));
	B2U(BYTES(0xA1, 0x3C, 0x10), WORDS(0x20A13C10));
	B2U(BYTES(0xB2, 0x07, 0x7F), WORDS(0x20B2077F));
	B2U(BYTES(0xC3, 0x05), WORDS(0x20C30500));
	B2U(BYTES(0xD4, 0x40), WORDS(0x20D44000));
	B2U(BYTES(0xEF, 0x00, 0x40), WORDS(0x20EF0040));
}

static void test_note_on_velocity_zero_stays(void **state)
{
	(void)state;
	B2U(BYTES(0x90, 0x3C, 0x00), WORDS(0x20903C00));
}

static void test_running_status(void **state)
{
	(void)state;
	B2U(BYTES(0x90, 0x3C, 0x64, 0x3E, 0x70, 0x40, 0x00),
	    WORDS(0x20903C64, 0x20903E70, 0x20904000));
	B2U(BYTES(0xC0, 0x05, 0x06, 0x07), WORDS(0x20C00500, 0x20C00600, 0x20C00700));
	B2U(BYTES(0xD0, 0x01, 0x02), WORDS(0x20D00100, 0x20D00200));
	B2U(BYTES(0xE0, 0x00, 0x40, 0x7F, 0x7F), WORDS(0x20E00040, 0x20E07F7F));
}

static void test_group(void **state)
{
	(void)state;
	struct cap c = {.n = 0};
	midi_b2u s;
	midi_b2u_init(&s, 5);
	const uint8_t b[] = {0x90, 0x3C, 0x64, 0xF8, 0xF0, 0x01, 0xF7};
	assert_int_equal(midi_b2u_feed(&s, b, sizeof b, cap_cb, &c), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.w[0], 0x25903C64);
	assert_int_equal(c.w[1], 0x15F80000);
	assert_int_equal(c.w[2], 0x35010100);
	assert_int_equal(c.w[3], 0x00000000);
}

static void test_realtime_inside_message(void **state)
{
	(void)state;
	B2U(BYTES(0x90, 0xF8, 0x3C, 0xFE, 0x64), WORDS(0x10F80000, 0x10FE0000, 0x20903C64));
	B2U(BYTES(0xF2, 0x01, 0xFA, 0x02), WORDS(0x10FA0000, 0x10F20102));
}

static void test_realtime_keeps_running_status(void **state)
{
	(void)state;
	B2U(BYTES(0x90, 0x3C, 0x64, 0xF8, 0x3E, 0x70, 0xFC, 0xFB, 0x40, 0x41),
	    WORDS(0x20903C64, 0x10F80000, 0x20903E70, 0x10FC0000, 0x10FB0000, 0x20904041));
}

static void test_every_realtime_status(void **state)
{
	(void)state;
	B2U(BYTES(0xF8, 0xFA, 0xFB, 0xFC, 0xFE, 0xFF),
	    WORDS(0x10F80000, 0x10FA0000, 0x10FB0000, 0x10FC0000, 0x10FE0000, 0x10FF0000));
}

static void test_system_common_cancels_running_status(void **state)
{
	(void)state;
	B2U(BYTES(0x90, 0x3C, 0x64, 0xF6, 0x3E, 0x70), WORDS(0x20903C64, 0x10F60000));
	B2U(BYTES(0x90, 0x3C, 0x64, 0xF1, 0x12, 0x3E, 0x70), WORDS(0x20903C64, 0x10F11200));
	B2U(BYTES(0x90, 0x3C, 0x64, 0xF3, 0x02, 0x3E, 0x70), WORDS(0x20903C64, 0x10F30200));
	B2U(BYTES(0x90, 0x3C, 0x64, 0xF2, 0x01, 0x02, 0x3E, 0x70), WORDS(0x20903C64, 0x10F20102));
}

static void test_system_common_messages(void **state)
{
	(void)state;
	B2U(BYTES(0xF6), WORDS(0x10F60000));
	B2U(BYTES(0xF1, 0x35), WORDS(0x10F13500));
	B2U(BYTES(0xF3, 0x07), WORDS(0x10F30700));
	B2U(BYTES(0xF2, 0x10, 0x20), WORDS(0x10F21020));
	/* no running status for system common: the extra data is dropped */
	B2U(BYTES(0xF1, 0x01, 0x02, 0xF3, 0x03, 0x04), WORDS(0x10F10100, 0x10F30300));
}

static void test_stray_f7(void **state)
{
	(void)state;
	B2U(BYTES(0xF7), NOWORDS);
	/* dropped, and as System Common it cancels running status */
	B2U(BYTES(0x90, 0x3C, 0x64, 0xF7, 0x3E, 0x70), WORDS(0x20903C64));
	/* in the middle of a message: the message is abandoned */
	B2U(BYTES(0x90, 0x3C, 0xF7, 0x64, 0x90, 0x3C, 0x65), WORDS(0x20903C65));
}

static void test_data_without_status_dropped(void **state)
{
	(void)state;
	B2U(BYTES(0x3C, 0x64, 0x00, 0x7F), NOWORDS);
	B2U(BYTES(0x3C, 0x64, 0x90, 0x3C, 0x64), WORDS(0x20903C64));
	B2U(BYTES(0xF8, 0x01, 0xC0, 0x02), WORDS(0x10F80000, 0x20C00200));
}

static void test_status_interrupts_message(void **state)
{
	(void)state;
	B2U(BYTES(0x90, 0x3C, 0x80, 0x3C, 0x40), WORDS(0x20803C40));
	B2U(BYTES(0xF2, 0x01, 0x90, 0x3C, 0x40), WORDS(0x20903C40));
}

static void test_sysex_complete_sizes(void **state)
{
	(void)state;
	B2U(BYTES(0xF0, 0xF7), WORDS(0x30000000, 0x00000000));
	B2U(BYTES(0xF0, 0x7E, 0xF7), WORDS(0x30017E00, 0x00000000));
	B2U(BYTES(0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7), WORDS(0x30047E7F, 0x06010000));
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 0xF7), WORDS(0x30060102, 0x03040506));
}

static void test_sysex_multi_packet(void **state)
{
	(void)state;
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 7, 0xF7),
	    WORDS(0x30160102, 0x03040506, 0x30310700, 0x00000000));
	/* 12 bytes: Start + End, never an empty End */
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xF7),
	    WORDS(0x30160102, 0x03040506, 0x30360708, 0x090A0B0C));
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0xF7),
	    WORDS(0x30160102, 0x03040506, 0x30260708, 0x090A0B0C, 0x30310D00, 0x00000000));
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0xF7),
	    WORDS(0x30160102, 0x03040506, 0x30260708, 0x090A0B0C, 0x30360D0E, 0x0F101112));
}

static void test_realtime_inside_sysex(void **state)
{
	(void)state;
	/* the packet being filled comes out after the real-time message */
	B2U(BYTES(0xF0, 1, 2, 0xF8, 3, 0xF7), WORDS(0x10F80000, 0x30030102, 0x03000000));
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 0xF8, 7, 0xF7),
	    WORDS(0x10F80000, 0x30160102, 0x03040506, 0x30310700, 0x00000000));
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 0xFE, 0xF7), WORDS(0x10FE0000, 0x30060102, 0x03040506));
}

static void test_sysex_interrupted_by_status(void **state)
{
	(void)state;
	/* ends as if F7 had come, then the status is parsed */
	B2U(BYTES(0xF0, 1, 2, 0x90, 0x3C, 0x64), WORDS(0x30020102, 0x00000000, 0x20903C64));
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 7, 0x80, 0x3C, 0x40),
	    WORDS(0x30160102, 0x03040506, 0x30310700, 0x00000000, 0x20803C40));
	B2U(BYTES(0xF0, 1, 0xF0, 2, 0xF7),
	    WORDS(0x30010100, 0x00000000, 0x30010200, 0x00000000));
	B2U(BYTES(0xF0, 1, 0xF6), WORDS(0x30010100, 0x00000000, 0x10F60000));
	B2U(BYTES(0xF0, 0xF1, 0x05), WORDS(0x30000000, 0x00000000, 0x10F10500));
	/* 6 bytes held when interrupted: Complete, not Start + empty End */
	B2U(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 0xC0, 9),
	    WORDS(0x30060102, 0x03040506, 0x20C00900));
}

static void test_undefined_f4_f5(void **state)
{
	(void)state;
	B2U(BYTES(0xF4), NOWORDS);
	B2U(BYTES(0xF5, 0x01), NOWORDS);
	/* end a message in progress */
	B2U(BYTES(0x90, 0x3C, 0xF4, 0x64), NOWORDS);
	/* end running status */
	B2U(BYTES(0x90, 0x3C, 0x64, 0xF5, 0x3E, 0x70), WORDS(0x20903C64));
	/* end a SysEx */
	B2U(BYTES(0xF0, 1, 0xF4, 2, 0xF7), WORDS(0x30010100, 0x00000000));
}

static void test_undefined_f9_fd(void **state)
{
	(void)state;
	B2U(BYTES(0xF9, 0xFD), NOWORDS);
	B2U(BYTES(0x90, 0xF9, 0x3C, 0xFD, 0x64, 0x3E, 0xF9, 0x70),
	    WORDS(0x20903C64, 0x20903E70));
	B2U(BYTES(0xF0, 1, 0xF9, 2, 0xFD, 0xF7), WORDS(0x30020102, 0x00000000));
}

static void test_end_truncation(void **state)
{
	(void)state;
	B2U_TRUNC(BYTES(0xF0, 1, 2), WORDS(0x30020102, 0x00000000));
	B2U_TRUNC(BYTES(0xF0, 1, 2, 3, 4, 5, 6, 7),
		  WORDS(0x30160102, 0x03040506, 0x30310700, 0x00000000));
	B2U_TRUNC(BYTES(0xF0), WORDS(0x30000000, 0x00000000));
	B2U_TRUNC(BYTES(0x90, 0x3C), NOWORDS);
	B2U_TRUNC(BYTES(0x90, 0x3C, 0x64, 0x3E), WORDS(0x20903C64));
	B2U_TRUNC(BYTES(0xF2, 0x01), NOWORDS);
	B2U_TRUNC(BYTES(0xF1), NOWORDS);
	/* running status in force with no data pending is not truncation */
	B2U(BYTES(0x90, 0x3C, 0x64), WORDS(0x20903C64));
	B2U(BYTES(0x90), NOWORDS);
}

static int stop_cb(void *ctx, const midi_ump *p)
{
	int *n = ctx;
	(void)p;
	return ++*n == 2 ? 42 : 0;
}

static void test_callback_stops_feed(void **state)
{
	(void)state;
	midi_b2u s;
	int n = 0;
	const uint8_t b[] = {0xF8, 0xF8, 0xF8, 0xF8};
	midi_b2u_init(&s, 0);
	assert_int_equal(midi_b2u_feed(&s, b, sizeof b, stop_cb, &n), 42);
	assert_int_equal(n, 2);
}

/* ---- UMP -> bytes ---- */

static void check_u2b(midi_ump p, const uint8_t *want, size_t n)
{
	midi_u2b s;
	uint8_t out[16];
	midi_u2b_init(&s);
	int got = midi_u2b_put(&s, &p, out, sizeof out);
	assert_int_equal(got, (int)n);
	assert_memory_equal(out, want, n);
	assert_int_equal(midi_u2b_dropped(&s), 0);
}

static midi_ump U(uint32_t a, uint32_t b)
{
	return midi_ump_make(a, b, 0, 0);
}

static void test_u2b_mt1_mt2(void **state)
{
	(void)state;
	check_u2b(U(0x20903C64, 0), BYTES(0x90, 0x3C, 0x64));
	check_u2b(U(0x2F903C00, 0), BYTES(0x90, 0x3C, 0x00));
	check_u2b(U(0x20C30500, 0), BYTES(0xC3, 0x05));
	check_u2b(U(0x20D44000, 0), BYTES(0xD4, 0x40));
	check_u2b(U(0x20EF0040, 0), BYTES(0xEF, 0x00, 0x40));
	check_u2b(U(0x10F21020, 0), BYTES(0xF2, 0x10, 0x20));
	check_u2b(U(0x10F13500, 0), BYTES(0xF1, 0x35));
	check_u2b(U(0x10F30700, 0), BYTES(0xF3, 0x07));
	check_u2b(U(0x10F60000, 0), BYTES(0xF6));
	check_u2b(U(0x13F80000, 0), BYTES(0xF8));
	check_u2b(U(0x10FF0000, 0), BYTES(0xFF));
}

static void test_u2b_sysex(void **state)
{
	(void)state;
	check_u2b(U(0x30000000, 0), BYTES(0xF0, 0xF7));
	check_u2b(U(0x30047E7F, 0x06010000), BYTES(0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7));
	check_u2b(U(0x30160102, 0x03040506), BYTES(0xF0, 1, 2, 3, 4, 5, 6));
	check_u2b(U(0x30260708, 0x090A0B0C), BYTES(7, 8, 9, 10, 11, 12));
	check_u2b(U(0x30310D00, 0), BYTES(0x0D, 0xF7));
}

static void test_u2b_mt4(void **state)
{
	(void)state;
	check_u2b(U(0x40903C00, 0xFFFF0000), BYTES(0x90, 0x3C, 0x7F));
	/* velocity scaling to 0 is sent as 1 */
	check_u2b(U(0x40903C00, 0x01FF0000), BYTES(0x90, 0x3C, 0x01));
	check_u2b(U(0x40213456, 0x80040020),
		  BYTES(0xB1, 101, 0x34, 0xB1, 100, 0x56, 0xB1, 6, 0x40, 0xB1, 38, 0x01));
	check_u2b(U(0x40C50001, 0x07000203), BYTES(0xB5, 0, 2, 0xB5, 32, 3, 0xC5, 7));
}

static void test_u2b_no_byte_form(void **state)
{
	(void)state;
	const midi_ump none[] = {
		U(0x00000000, 0),	      /* NOOP */
		U(0x00200000, 0),	      /* JR clock */
		midi_ump_make(0x50010000, 0, 0, 0), /* SysEx8 */
		midi_ump_make(0xF0000000, 0, 0, 0), /* stream */
		midi_ump_make(0xD0000000, 0, 0, 0), /* flex */
		U(0x60000000, 0),	      /* reserved */
		U(0x40603C00, 0x80000000),    /* per-note pitch bend */
		U(0x10F40000, 0),	      /* undefined system */
		U(0x20103C00, 0),	      /* not a channel voice status */
		U(0x30400000, 0),	      /* bad SysEx7 status */
	};
	midi_u2b s;
	uint8_t out[16];
	midi_u2b_init(&s);
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		assert_int_equal(midi_u2b_put(&s, &none[i], out, sizeof out), 0);
	assert_int_equal(midi_u2b_dropped(&s), sizeof none / sizeof none[0]);
}

static void test_u2b_small_buffer(void **state)
{
	(void)state;
	midi_u2b s;
	uint8_t out[2];
	midi_ump p = U(0x20903C64, 0);
	midi_u2b_init(&s);
	assert_true(midi_u2b_put(&s, &p, out, sizeof out) < 0);
}

/* Every MT1/MT2 message b2u makes turns back into exactly its bytes. */
static void test_roundtrip_every_short_message(void **state)
{
	(void)state;
	static struct cap c;
	for (unsigned st = 0x80; st <= 0xFF; st++) {
		if ((st >= 0xF0 && st <= 0xF7 && st != 0xF1 && st != 0xF2 && st != 0xF3 && st != 0xF6) ||
		    st == 0xF9 || st == 0xFD)
			continue;
		for (unsigned d = 0; d < 128; d += 5) {
			uint8_t b[3] = {st, d, 127 - d};
			size_t n = st >= 0xF8 || st == 0xF6 ? 1
				   : st == 0xF1 || st == 0xF3 || (st & 0xF0) == 0xC0 ||
						   (st & 0xF0) == 0xD0
					   ? 2
					   : 3;
			int trunc;
			run_split(b, n, NULL, 0, &c, &trunc);
			assert_int_equal(c.npkt, 1);
			midi_ump p = midi_ump_make(c.w[0], 0, 0, 0);
			midi_u2b s;
			uint8_t out[16];
			midi_u2b_init(&s);
			assert_int_equal(midi_u2b_put(&s, &p, out, sizeof out), (int)n);
			assert_memory_equal(out, b, n);
		}
	}
}

/* ---- random streams ---- */

static uint64_t rng_state;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* A byte stream mixing every kind of byte: channel messages with and without
 * running status, real-time anywhere, system common, SysEx, undefined and
 * stray bytes. */
static size_t random_stream(uint8_t *b, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		uint32_t r = rng() % 100;
		if (r < 30)
			b[n++] = rng() & 0x7F;
		else if (r < 55)
			b[n++] = 0x80 | (rng() & 0x7F);
		else if (r < 65)
			b[n++] = 0xF0;
		else if (r < 72)
			b[n++] = 0xF7;
		else if (r < 80)
			b[n++] = 0xF8 + (rng() & 7);
		else if (r < 90)
			b[n++] = 0xF0 + (rng() & 7);
		else {
			size_t len = rng() % 30;
			for (size_t i = 0; i < len && n < cap; i++)
				b[n++] = rng() & 0x7F;
		}
	}
	return n;
}

static void test_random_splits(void **state)
{
	(void)state;
	static uint8_t b[600];
	static struct cap whole, split;
	rng_state = 0x9E3779B97F4A7C15ull;
	for (int iter = 0; iter < 2000; iter++) {
		size_t n = random_stream(b, 1 + rng() % sizeof b);
		int t1, t2;
		run_split(b, n, NULL, 0, &whole, &t1);
		size_t cuts[16], ncut = 0, last = 0;
		for (int k = 0; k < 16; k++) {
			size_t c = last + 1 + rng() % 64;
			if (c >= n)
				break;
			cuts[ncut++] = c;
			last = c;
		}
		run_split(b, n, cuts, ncut, &split, &t2);
		assert_int_equal(split.n, whole.n);
		assert_memory_equal(split.w, whole.w, whole.n * 4);
		assert_int_equal(t1, t2);
		/* and the packets turn back into bytes without complaint */
		midi_u2b u;
		midi_u2b_init(&u);
		for (size_t i = 0; i < whole.n;) {
			midi_ump p = midi_ump_make(whole.w[i], whole.w[i + 1], 0, 0);
			uint8_t out[16];
			assert_true(midi_u2b_put(&u, &p, out, sizeof out) > 0);
			i += midi_ump_words(&p);
		}
		assert_int_equal(midi_u2b_dropped(&u), 0);
	}
}

/* Keep only the packets that are not real-time (MT1 status F8-FF). */
static void strip_realtime(struct cap *c)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n;) {
		unsigned nw = midi_mt_words(c->w[i] >> 28);
		int rt = (c->w[i] >> 28) == 1 && ((c->w[i] >> 16) & 0xFF) >= 0xF8;
		for (unsigned j = 0; j < nw; j++)
			if (!rt)
				c->w[k++] = c->w[i + j];
		i += nw;
	}
	c->n = k;
}

/* A clean random stream (complete messages with full status, SysEx,
 * real-time between messages) goes bytes -> UMP -> bytes unchanged. With
 * real-time bytes inside SysEx too, the bytes come back with each real-time
 * byte moved ahead of the SysEx bytes held with it (b2u emits real-time at
 * once, the SysEx packet after it), so bytes -> UMP -> bytes -> UMP keeps
 * every other packet exactly and the same number of real-time ones. */
static void test_random_roundtrip(void **state)
{
	(void)state;
	static uint8_t b[4096], back[8192];
	static struct cap c1, c2;
	rng_state = 12345;
	for (int iter = 0; iter < 300; iter++) {
		int rt_in_sysex = iter & 1;
		size_t n = 0, nrt = 0;
		while (n < sizeof b - 100) {
			uint32_t r = rng() % 10;
			if (r < 6) {
				uint8_t st = 0x80 | (rng() & 0x6F);
				b[n++] = st;
				b[n++] = rng() & 0x7F;
				if ((st & 0xF0) != 0xC0 && (st & 0xF0) != 0xD0)
					b[n++] = rng() & 0x7F;
			} else if (r < 7) {
				b[n++] = 0xF0;
				size_t len = rng() % 40;
				for (size_t i = 0; i < len; i++) {
					if (rt_in_sysex && rng() % 10 == 0) {
						b[n++] = 0xF8;
						nrt++;
					}
					b[n++] = rng() & 0x7F;
				}
				b[n++] = 0xF7;
			} else {
				b[n++] = 0xF8;
				nrt++;
			}
		}
		int t;
		run_split(b, n, NULL, 0, &c1, &t);
		assert_int_equal(t, 0);
		midi_u2b u;
		midi_u2b_init(&u);
		size_t m = 0;
		for (size_t i = 0; i < c1.n;) {
			midi_ump p = midi_ump_make(c1.w[i], c1.w[i + 1], 0, 0);
			int k = midi_u2b_put(&u, &p, back + m, sizeof back - m);
			assert_true(k > 0);
			m += (size_t)k;
			i += midi_ump_words(&p);
		}
		if (!rt_in_sysex) {
			assert_int_equal(m, n);
			assert_memory_equal(back, b, n);
		}
		run_split(back, m, NULL, 0, &c2, &t);
		size_t before = c2.n;
		strip_realtime(&c1);
		strip_realtime(&c2);
		assert_int_equal((before - c2.n), nrt);
		assert_int_equal(c2.n, c1.n);
		assert_memory_equal(c2.w, c1.w, c1.n * 4);
	}
}

/* midi_b2u_fast, falling back to midi_b2u_feed as the readers do, gives
 * the same packets and leaves the same state as midi_b2u_feed alone, byte
 * by byte, on random streams (mostly channel messages, with running
 * status, System, real-time, SysEx and stray bytes mixed in). */
static void test_fast_path_same_as_feed(void **state)
{
	(void)state;
	static struct cap a, b;
	uint8_t buf[1000];
	srand(8);
	for (int round = 0; round < 300; round++) {
		size_t n = 0;
		while (n < sizeof buf - 3) {
			int k = rand() % 16;
			if (k < 8) /* a channel status and its data, or running status */
				buf[n++] = (uint8_t)(0x80 + rand() % 0x70);
			else if (k < 9)
				buf[n++] = (uint8_t)(0xF0 + rand() % 16);
			buf[n++] = (uint8_t)(rand() % 0x80);
			if (k < 8 || k == 15)
				buf[n++] = (uint8_t)(rand() % 0x80);
		}
		midi_b2u sa, sb;
		midi_b2u_init(&sa, (unsigned)round);
		midi_b2u_init(&sb, (unsigned)round);
		a.n = a.npkt = b.n = b.npkt = 0;
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(midi_b2u_feed(&sa, &buf[i], 1, cap_cb, &a), 0);
			midi_ump u;
			int f = midi_b2u_fast(&sb, buf[i], &u);
			if (f < 0)
				assert_int_equal(midi_b2u_feed(&sb, &buf[i], 1, cap_cb, &b), 0);
			else if (f > 0)
				assert_int_equal(cap_cb(&b, &u), 0);
			assert_memory_equal(&sa, &sb, sizeof sa);
			assert_int_equal(a.n, b.n);
		}
		assert_true(a.npkt > 100);
		assert_int_equal(a.npkt, b.npkt);
		assert_memory_equal(a.w, b.w, a.n * sizeof a.w[0]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_channel_messages),
		cmocka_unit_test(test_note_on_velocity_zero_stays),
		cmocka_unit_test(test_running_status),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_realtime_inside_message),
		cmocka_unit_test(test_realtime_keeps_running_status),
		cmocka_unit_test(test_every_realtime_status),
		cmocka_unit_test(test_system_common_cancels_running_status),
		cmocka_unit_test(test_system_common_messages),
		cmocka_unit_test(test_stray_f7),
		cmocka_unit_test(test_data_without_status_dropped),
		cmocka_unit_test(test_status_interrupts_message),
		cmocka_unit_test(test_sysex_complete_sizes),
		cmocka_unit_test(test_sysex_multi_packet),
		cmocka_unit_test(test_realtime_inside_sysex),
		cmocka_unit_test(test_sysex_interrupted_by_status),
		cmocka_unit_test(test_undefined_f4_f5),
		cmocka_unit_test(test_undefined_f9_fd),
		cmocka_unit_test(test_end_truncation),
		cmocka_unit_test(test_callback_stops_feed),
		cmocka_unit_test(test_u2b_mt1_mt2),
		cmocka_unit_test(test_u2b_sysex),
		cmocka_unit_test(test_u2b_mt4),
		cmocka_unit_test(test_u2b_no_byte_form),
		cmocka_unit_test(test_u2b_small_buffer),
		cmocka_unit_test(test_roundtrip_every_short_message),
		cmocka_unit_test(test_random_splits),
		cmocka_unit_test(test_random_roundtrip),
		cmocka_unit_test(test_fast_path_same_as_feed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
