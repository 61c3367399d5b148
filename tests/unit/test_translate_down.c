/* test_translate_down.c: MIDI 2.0 protocol (MT4) -> MIDI 1.0 protocol (MT2),
 * midi_down_put: every MT4 status, what is dropped and counted, what passes
 * unchanged, and up-then-down giving back the MIDI 1.0 message for every
 * value. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "midi/translate.h"

struct cap {
	uint32_t w[64];
	size_t n;
};

static int cap_cb(void *ctx, const midi_ump *p)
{
	struct cap *c = ctx;
	unsigned nw = midi_ump_words(p);
	assert_true(c->n + nw <= 64);
	for (unsigned i = 0; i < nw; i++)
		c->w[c->n++] = p->w[i];
	return 0;
}

static void check_down(uint32_t w0, uint32_t w1, const uint32_t *want, size_t nwant,
		       unsigned want_dropped)
{
	midi_down s;
	struct cap c = {.n = 0};
	midi_ump p = midi_ump_make(w0, w1, 0, 0);
	midi_down_init(&s);
	assert_int_equal(midi_down_put(&s, &p, cap_cb, &c), 0);
	if (c.n != nwant || (nwant && memcmp(c.w, want, nwant * 4) != 0)) {
		fprintf(stderr, "input %08X %08X gave", w0, w1);
		for (size_t i = 0; i < c.n; i++)
			fprintf(stderr, " %08X", c.w[i]);
		fprintf(stderr, "\n");
		fail_msg("midi_down output differs");
	}
	assert_int_equal(midi_down_dropped(&s), want_dropped);
}

#define W(...) ((const uint32_t[]){__VA_ARGS__}), sizeof((const uint32_t[]){__VA_ARGS__}) / 4
#define DOWN(a, b, out) check_down(a, b, out, 0)
#define DROPPED(a, b) check_down(a, b, NULL, 0, 1)

static void test_notes(void **state)
{
	(void)state;
	DOWN(0x40903C00, 0xFFFF0000, W(0x20903C7F));
	DOWN(0x4A953C00, 0x80000000, W(0x2A953C40));
	DOWN(0x40803C00, 0x82080000, W(0x20803C41));
	DOWN(0x40803C00, 0x00000000, W(0x20803C00));
}

static void test_note_on_velocity_scaling_to_zero(void **state)
{
	(void)state;
	DOWN(0x40903C00, 0x01FF0000, W(0x20903C01));
	DOWN(0x40903C00, 0x00010000, W(0x20903C01));
	DOWN(0x40903C00, 0x00000000, W(0x20903C01));
	DOWN(0x40903C00, 0x02000000, W(0x20903C01));
	DOWN(0x40903C00, 0x04000000, W(0x20903C02));
}

static void test_note_attributes_ignored(void **state)
{
	(void)state;
	DOWN(0x40903C03, 0x8000ABCD, W(0x20903C40));
	DOWN(0x40803C01, 0x80001234, W(0x20803C40));
}

static void test_pressure_cc_bend(void **state)
{
	(void)state;
	DOWN(0x40A03C00, 0xFFFFFFFF, W(0x20A03C7F));
	DOWN(0x40B00700, 0x82082082, W(0x20B00741));
	DOWN(0x40B00700, 0x01FFFFFF, W(0x20B00700));
	DOWN(0x40D00000, 0x80000000, W(0x20D04000));
	DOWN(0x40E00000, 0x80040020, W(0x20E00140));
	DOWN(0x40E00000, 0xFFFFFFFF, W(0x20E07F7F));
	DOWN(0x40E00000, 0x0003FFFF, W(0x20E00000));
}

static void test_program_change(void **state)
{
	(void)state;
	DOWN(0x40C00000, 0x05000000, W(0x20C00500));
	/* bank bytes without the bank-valid flag are ignored */
	DOWN(0x40C00000, 0x05000102, W(0x20C00500));
	DOWN(0x43C20001, 0x05000102, W(0x23B20001, 0x23B22002, 0x23C20500));
}

static void test_registered_assignable(void **state)
{
	(void)state;
	/* every time, all four CCs: MSB = v >> 25, LSB = (v >> 18) & 0x7F */
	DOWN(0x40200000, 0x04000000, W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B02600));
	DOWN(0x41253456, 0x80040020, W(0x21B56534, 0x21B56456, 0x21B50640, 0x21B52601));
	DOWN(0x40300102, 0xFFFFFFFF, W(0x20B06301, 0x20B06202, 0x20B0067F, 0x20B0267F));
}

static void test_no_midi1_form_dropped(void **state)
{
	(void)state;
	DROPPED(0x40003C01, 0x80000000); /* registered per-note controller */
	DROPPED(0x40103C01, 0x80000000); /* assignable per-note controller */
	DROPPED(0x40400000, 0x00000001); /* relative registered */
	DROPPED(0x40500000, 0x00000001); /* relative assignable */
	DROPPED(0x40603C00, 0x80000000); /* per-note pitch bend */
	DROPPED(0x40F03C03, 0x00000000); /* per-note management */
	DROPPED(0x40700000, 0x00000000); /* undefined opcode */
	/* the count accumulates */
	midi_down s;
	struct cap c = {.n = 0};
	midi_down_init(&s);
	midi_ump a = midi_ump_make(0x40603C00, 0, 0, 0), b = midi_ump_make(0x40400000, 0, 0, 0);
	midi_down_put(&s, &a, cap_cb, &c);
	midi_down_put(&s, &b, cap_cb, &c);
	assert_int_equal(midi_down_dropped(&s), 2);
	assert_int_equal(c.n, 0);
}

static void test_other_mts_pass(void **state)
{
	(void)state;
	DOWN(0x20903C64, 0, W(0x20903C64));
	DOWN(0x10F80000, 0, W(0x10F80000));
	DOWN(0x30160102, 0x03040506, W(0x30160102, 0x03040506));
	DOWN(0x00200123, 0, W(0x00200123));
	midi_down s;
	struct cap c = {.n = 0};
	midi_ump p = midi_ump_make(0xF0010203, 4, 5, 6);
	midi_down_init(&s);
	assert_int_equal(midi_down_put(&s, &p, cap_cb, &c), 0);
	assert_int_equal(c.n, 4);
	assert_memory_equal(c.w, p.w, 16);
	assert_int_equal(midi_down_dropped(&s), 0);
}

/* ---- up then down ---- */

struct one {
	midi_ump p[8];
	int n;
};

static int one_cb(void *ctx, const midi_ump *p)
{
	struct one *o = ctx;
	assert_true(o->n < 8);
	o->p[o->n++] = *p;
	return 0;
}

/* MT2 -> midi_up -> midi_down: must come back as itself. */
static void roundtrip(uint32_t w0)
{
	midi_up up;
	midi_down down;
	struct one a = {.n = 0}, b = {.n = 0};
	midi_ump p = midi_ump_make(w0, 0, 0, 0);
	midi_up_init(&up);
	midi_down_init(&down);
	midi_up_put(&up, &p, one_cb, &a);
	assert_int_equal(a.n, 1);
	midi_down_put(&down, &a.p[0], one_cb, &b);
	assert_int_equal(b.n, 1);
	if (b.p[0].w[0] != w0)
		fail_msg("%08X -> %08X %08X -> %08X", w0, a.p[0].w[0], a.p[0].w[1], b.p[0].w[0]);
}

static void test_up_down_every_value(void **state)
{
	(void)state;
	for (uint32_t v = 0; v < 128; v++) {
		if (v > 0)
			roundtrip(0x20903C00 | v);
		roundtrip(0x20833C00 | v);
		roundtrip(0x20A03C00 | v);
		roundtrip(0x20B00700 | v);
		roundtrip(0x20B07F00 | v);
		roundtrip(0x20C00000 | v << 8);
		roundtrip(0x20D00000 | v << 8);
	}
	for (uint32_t v = 0; v < 16384; v++)
		roundtrip(0x20E00000 | (v & 0x7F) << 8 | v >> 7);
}

/* RPN data entry through midi_up then midi_down gives the four CCs, for
 * every 14-bit value. */
static void test_up_down_rpn_every_value(void **state)
{
	(void)state;
	for (uint32_t v = 0; v < 16384; v += 1) {
		midi_up up;
		midi_down down;
		struct one a = {.n = 0}, b = {.n = 0};
		const uint32_t in[] = {0x20B06501, 0x20B06402, 0x20B00600 | v >> 7,
				       0x20B02600 | (v & 0x7F)};
		midi_up_init(&up);
		midi_down_init(&down);
		for (int i = 0; i < 4; i++) {
			midi_ump p = midi_ump_make(in[i], 0, 0, 0);
			midi_up_put(&up, &p, one_cb, &a);
		}
		assert_int_equal(a.n, 1);
		midi_down_put(&down, &a.p[0], one_cb, &b);
		assert_int_equal(b.n, 4);
		for (int i = 0; i < 4; i++)
			assert_int_equal(b.p[i].w[0], in[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_note_on_velocity_scaling_to_zero),
		cmocka_unit_test(test_note_attributes_ignored),
		cmocka_unit_test(test_pressure_cc_bend),
		cmocka_unit_test(test_program_change),
		cmocka_unit_test(test_registered_assignable),
		cmocka_unit_test(test_no_midi1_form_dropped),
		cmocka_unit_test(test_other_mts_pass),
		cmocka_unit_test(test_up_down_every_value),
		cmocka_unit_test(test_up_down_rpn_every_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
