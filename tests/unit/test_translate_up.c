/* test_translate_up.c: MIDI 1.0 protocol (MT2) -> MIDI 2.0 protocol (MT4),
 * midi_up_*: every MT2 status, bank select, RPN/NRPN sequences, the
 * waiting Data Entry MSB and when it is flushed, CC 38 alone, deselection
 * with RPN 7F/7F, data entry with nothing selected, pass-through. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "midi/translate.h"

struct cap {
	uint32_t w[256];
	size_t n;
	int stop_at; /* return 7 from the callback at this packet (1-based) */
	int npkt;
};

static int cap_cb(void *ctx, const midi_ump *p)
{
	struct cap *c = ctx;
	unsigned nw = midi_ump_words(p);
	assert_true(c->n + nw <= 256);
	for (unsigned i = 0; i < nw; i++)
		c->w[c->n++] = p->w[i];
	return ++c->npkt == c->stop_at ? 7 : 0;
}

static void dump(const char *what, const uint32_t *w, size_t n)
{
	fprintf(stderr, "%s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %08X", w[i]);
	fprintf(stderr, "\n");
}

/* Feed MT2 words (and, via words with another MT, anything else), end the
 * stream, compare everything produced. */
static void check_up(const uint32_t *in, size_t nin, const uint32_t *want, size_t nwant)
{
	midi_up s;
	struct cap c = {.n = 0};
	midi_up_init(&s);
	for (size_t i = 0; i < nin;) {
		midi_ump p = midi_ump_make(in[i], i + 1 < nin ? in[i + 1] : 0, 0, 0);
		assert_int_equal(midi_up_put(&s, &p, cap_cb, &c), 0);
		i += midi_ump_words(&p);
	}
	assert_int_equal(midi_up_end(&s, cap_cb, &c), 0);
	if (c.n != nwant || (nwant && memcmp(c.w, want, nwant * 4) != 0)) {
		dump("want", want, nwant);
		dump("got ", c.w, c.n);
		fail_msg("midi_up output differs");
	}
}

#define W(...) ((const uint32_t[]){__VA_ARGS__}), sizeof((const uint32_t[]){__VA_ARGS__}) / 4
#define NONE NULL, 0
#define UP(in, out) check_up(in, out)

static void test_notes(void **state)
{
	(void)state;
	UP(W(0x20903C64), W(0x40903C00, 0xC9240000));
	UP(W(0x20903C40), W(0x40903C00, 0x80000000));
	UP(W(0x23957F7F), W(0x43957F00, 0xFFFF0000));
	UP(W(0x20803C40), W(0x40803C00, 0x80000000));
	UP(W(0x20813C00), W(0x40813C00, 0x00000000));
}

static void test_note_on_velocity_zero_is_note_off(void **state)
{
	(void)state;
	UP(W(0x20903C00), W(0x40803C00, 0x80000000));
	UP(W(0x2A9F0100), W(0x4A8F0100, 0x80000000));
}

static void test_pressure_cc_bend(void **state)
{
	(void)state;
	UP(W(0x20A03C7F), W(0x40A03C00, 0xFFFFFFFF));
	UP(W(0x20A03C40), W(0x40A03C00, 0x80000000));
	UP(W(0x20B00741), W(0x40B00700, 0x82082082));
	UP(W(0x20B00700), W(0x40B00700, 0x00000000));
	UP(W(0x20D05000), W(0x40D00000, 0xA0820820));
	UP(W(0x20E00040), W(0x40E00000, 0x80000000));
	UP(W(0x20E00140), W(0x40E00000, 0x80040020));
	UP(W(0x20E07F7F), W(0x40E00000, 0xFFFFFFFF));
	UP(W(0x20E00000), W(0x40E00000, 0x00000000));
}

static void test_program_change_without_bank(void **state)
{
	(void)state;
	UP(W(0x20C00500), W(0x40C00000, 0x05000000));
}

static void test_bank_select(void **state)
{
	(void)state;
	/* CC0 and CC32 are not sent on their own; the PC carries them */
	UP(W(0x20B00001, 0x20B02002, 0x20C00500), W(0x40C00001, 0x05000102));
	/* LSB first works the same */
	UP(W(0x20B02002, 0x20B00001, 0x20C00500), W(0x40C00001, 0x05000102));
	/* CC0 alone: the LSB keeps its value, 0 at start */
	UP(W(0x20B00003, 0x20C00100), W(0x40C00001, 0x01000300));
	/* CC32 alone: the MSB keeps its value, 0 at start */
	UP(W(0x20B02009, 0x20C00100), W(0x40C00001, 0x01000009));
	/* the other half keeps its last value */
	UP(W(0x20B00003, 0x20B02004, 0x20C00100, 0x20B02009, 0x20C00200),
	   W(0x40C00001, 0x01000304, 0x40C00001, 0x02000309));
	/* used once: the next PC has no bank */
	UP(W(0x20B00003, 0x20C00100, 0x20C00200), W(0x40C00001, 0x01000300, 0x40C00000, 0x02000000));
	/* per channel and per group */
	UP(W(0x20B00003, 0x20C10100, 0x21C00100, 0x20C00200),
	   W(0x40C10000, 0x01000000, 0x41C00000, 0x01000000, 0x40C00001, 0x02000300));
}

static void test_rpn(void **state)
{
	(void)state;
	/* pitch bend range 2 semitones: RPN 0/0, MSB 2, LSB 0 */
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B02600), W(0x40200000, 0x04000000));
	/* bank = parameter MSB, index = parameter LSB */
	UP(W(0x25B36501, 0x25B36402, 0x25B30640, 0x25B32600), W(0x45230102, 0x80000000));
	/* selection order does not matter */
	UP(W(0x20B06402, 0x20B06501, 0x20B00602, 0x20B02605), W(0x40200102, 0x04140000));
}

static void test_nrpn(void **state)
{
	(void)state;
	UP(W(0x20B06301, 0x20B06202, 0x20B00640, 0x20B02600), W(0x40300102, 0x80000000));
	UP(W(0x20B0627F, 0x20B0637F, 0x20B0067F, 0x20B0267F), W(0x40307F7F, 0xFFFFFFFF));
}

static void test_selection_stays(void **state)
{
	(void)state;
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B02600, 0x20B00603, 0x20B02600),
	   W(0x40200000, 0x04000000, 0x40200000, 0x06000000));
}

static void test_msb_alone_flushed_at_end(void **state)
{
	(void)state;
	/* a pitch-bend range sent as CC6 alone arrives */
	UP(W(0x20B06500, 0x20B06400, 0x20B0060C), W(0x40200000, 0x18000000));
}

static void test_msb_flushed_before_next_message(void **state)
{
	(void)state;
	/* before a note on the same channel */
	UP(W(0x20B06500, 0x20B06400, 0x20B0060C, 0x20903C64),
	   W(0x40200000, 0x18000000, 0x40903C00, 0xC9240000));
	/* before another CC */
	UP(W(0x20B06500, 0x20B06400, 0x20B0060C, 0x20B00740),
	   W(0x40200000, 0x18000000, 0x40B00700, 0x80000000));
	/* before a second CC6, which then waits in turn */
	UP(W(0x20B06500, 0x20B06400, 0x20B0060C, 0x20B00602),
	   W(0x40200000, 0x18000000, 0x40200000, 0x04000000));
	/* before a selection change, with the old selection */
	UP(W(0x20B06500, 0x20B06400, 0x20B0060C, 0x20B06401, 0x20B00602, 0x20B02601),
	   W(0x40200000, 0x18000000, 0x40200001, 0x04040000));
	/* before a bank select that itself sends nothing */
	UP(W(0x20B06500, 0x20B06400, 0x20B0060C, 0x20B00001, 0x20C00000),
	   W(0x40200000, 0x18000000, 0x40C00001, 0x00000100));
	/* before an MT4 message on the same group and channel */
	UP(W(0x20B06500, 0x20B06400, 0x20B0060C, 0x40903C00, 0xFFFF0000),
	   W(0x40200000, 0x18000000, 0x40903C00, 0xFFFF0000));
}

static void test_msb_not_flushed_by_others(void **state)
{
	(void)state;
	/* another channel, another group, system messages: the MSB still
	 * waits and pairs with its LSB */
	UP(W(0x20B06500, 0x20B06400, 0x20B0060C, 0x20913C64, 0x21B00740, 0x10F80000, 0x30010100,
	     0x00000000, 0x20B02605),
	   W(0x40913C00, 0xC9240000, 0x41B00700, 0x80000000, 0x10F80000, 0x30010100, 0x00000000,
	     0x40200000, 0x18140000));
}

static void test_cc38_alone(void **state)
{
	(void)state;
	/* reuses the last MSB of the selection */
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B02600, 0x20B02605),
	   W(0x40200000, 0x04000000, 0x40200000, 0x04140000));
	/* after a flushed MSB too */
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20903C64, 0x20B02605),
	   W(0x40200000, 0x04000000, 0x40903C00, 0xC9240000, 0x40200000, 0x04140000));
	/* no MSB yet: 0 */
	UP(W(0x20B06500, 0x20B06400, 0x20B02605), W(0x40200000, 0x00140000));
	/* a new selection forgets the MSB of the old one */
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B02600, 0x20B06401, 0x20B02605),
	   W(0x40200000, 0x04000000, 0x40200001, 0x00140000));
	/* re-selecting the same parameter keeps it */
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B02600, 0x20B06400, 0x20B02605),
	   W(0x40200000, 0x04000000, 0x40200000, 0x04140000));
}

static void test_nothing_selected(void **state)
{
	(void)state;
	UP(W(0x20B00602), NONE);
	UP(W(0x20B02602), NONE);
	UP(W(0x20B00602, 0x20B02602), NONE);
	/* one half of a selection is not a selection */
	UP(W(0x20B06500, 0x20B00602, 0x20B02600), NONE);
	/* switching from RPN to NRPN needs both NRPN halves */
	UP(W(0x20B06500, 0x20B06400, 0x20B06301, 0x20B00602, 0x20B02600), NONE);
	/* selection is per channel */
	UP(W(0x20B06500, 0x20B06400, 0x20B10602, 0x20B12600), NONE);
}

static void test_rpn_null_deselects(void **state)
{
	(void)state;
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B02600, 0x20B0657F, 0x20B0647F, 0x20B00603,
	     0x20B02600),
	   W(0x40200000, 0x04000000));
	/* a waiting MSB goes out before the deselection */
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B0657F, 0x20B0647F, 0x20B02601),
	   W(0x40200000, 0x04000000));
	/* selecting again after the null works */
	UP(W(0x20B0657F, 0x20B0647F, 0x20B06500, 0x20B06400, 0x20B00601, 0x20B02600),
	   W(0x40200000, 0x02000000));
}

static void test_parameter_ccs_never_plain(void **state)
{
	(void)state;
	UP(W(0x20B06201, 0x20B06302, 0x20B06403, 0x20B06504, 0x20B00000, 0x20B02000), NONE);
}

static void test_increment_decrement_plain(void **state)
{
	(void)state;
	UP(W(0x20B06500, 0x20B06400, 0x20B06000, 0x20B06100),
	   W(0x40B06000, 0x00000000, 0x40B06100, 0x00000000));
	/* and they flush a waiting MSB first */
	UP(W(0x20B06500, 0x20B06400, 0x20B00602, 0x20B06000),
	   W(0x40200000, 0x04000000, 0x40B06000, 0x00000000));
}

static void test_other_mts_pass(void **state)
{
	(void)state;
	UP(W(0x10F80000, 0x10F21020, 0x30160102, 0x03040506, 0x00000000, 0x40903C00, 0x12340000),
	   W(0x10F80000, 0x10F21020, 0x30160102, 0x03040506, 0x00000000, 0x40903C00, 0x12340000));
	midi_up s;
	struct cap c = {.n = 0};
	midi_ump p = midi_ump_make(0xF0010000, 1, 2, 3);
	midi_up_init(&s);
	assert_int_equal(midi_up_put(&s, &p, cap_cb, &c), 0);
	assert_int_equal(c.n, 4);
	assert_memory_equal(c.w, p.w, 16);
	p = midi_ump_make(0x50010000, 4, 5, 6);
	assert_int_equal(midi_up_put(&s, &p, cap_cb, &c), 0);
	assert_int_equal(c.n, 8);
	assert_memory_equal(c.w + 4, p.w, 16);
}

static void test_callback_stop(void **state)
{
	(void)state;
	midi_up s;
	struct cap c = {.n = 0, .stop_at = 1};
	midi_up_init(&s);
	const uint32_t seq[] = {0x20B06500, 0x20B06400, 0x20B00602};
	for (int i = 0; i < 3; i++) {
		midi_ump p = midi_ump_make(seq[i], 0, 0, 0);
		assert_int_equal(midi_up_put(&s, &p, cap_cb, &c), 0);
	}
	midi_ump n = midi_ump_make(0x20903C64, 0, 0, 0);
	/* the flushed MSB is stopped by the callback: its value comes back */
	assert_int_equal(midi_up_put(&s, &n, cap_cb, &c), 7);
	assert_int_equal(c.n, 2);
	/* the MSB went out (it is not sent twice) */
	c.stop_at = 0;
	assert_int_equal(midi_up_end(&s, cap_cb, &c), 0);
	assert_int_equal(c.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_note_on_velocity_zero_is_note_off),
		cmocka_unit_test(test_pressure_cc_bend),
		cmocka_unit_test(test_program_change_without_bank),
		cmocka_unit_test(test_bank_select),
		cmocka_unit_test(test_rpn),
		cmocka_unit_test(test_nrpn),
		cmocka_unit_test(test_selection_stays),
		cmocka_unit_test(test_msb_alone_flushed_at_end),
		cmocka_unit_test(test_msb_flushed_before_next_message),
		cmocka_unit_test(test_msb_not_flushed_by_others),
		cmocka_unit_test(test_cc38_alone),
		cmocka_unit_test(test_nothing_selected),
		cmocka_unit_test(test_rpn_null_deselects),
		cmocka_unit_test(test_parameter_ccs_never_plain),
		cmocka_unit_test(test_increment_decrement_plain),
		cmocka_unit_test(test_other_mts_pass),
		cmocka_unit_test(test_callback_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
