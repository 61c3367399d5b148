/* test_scale.c: midi_scale_up / midi_scale_down (min-center-max rule):
 * corner values from the MIDI 2.0 specification, down(up(x)) == x for
 * every 7-bit and 14-bit value, monotony, and the reference algorithm. */
#include "testutil.h"

#include "midi/translate.h"

static void test_corners_7_32(void **state)
{
	(void)state;
	assert_int_equal(midi_scale_up(0x00, 7, 32), 0x00000000u);
	assert_int_equal(midi_scale_up(0x01, 7, 32), 0x02000000u);
	assert_int_equal(midi_scale_up(0x3F, 7, 32), 0x7E000000u);
	assert_int_equal(midi_scale_up(0x40, 7, 32), 0x80000000u);
	assert_int_equal(midi_scale_up(0x41, 7, 32), 0x82082082u);
	assert_int_equal(midi_scale_up(0x7F, 7, 32), 0xFFFFFFFFu);
}

static void test_corners_14_32(void **state)
{
	(void)state;
	assert_int_equal(midi_scale_up(0x0000, 14, 32), 0x00000000u);
	assert_int_equal(midi_scale_up(0x2000, 14, 32), 0x80000000u);
	assert_int_equal(midi_scale_up(0x2001, 14, 32), 0x80040020u);
	assert_int_equal(midi_scale_up(0x3FFF, 14, 32), 0xFFFFFFFFu);
}

static void test_corners_7_16(void **state)
{
	(void)state;
	assert_int_equal(midi_scale_up(0x00, 7, 16), 0x0000);
	assert_int_equal(midi_scale_up(0x40, 7, 16), 0x8000);
	assert_int_equal(midi_scale_up(0x41, 7, 16), 0x8208);
	assert_int_equal(midi_scale_up(0x7F, 7, 16), 0xFFFF);
}

static void test_down_shifts(void **state)
{
	(void)state;
	assert_int_equal(midi_scale_down(0xFFFFFFFFu, 32, 7), 0x7F);
	assert_int_equal(midi_scale_down(0x81FFFFFFu, 32, 7), 0x40);
	assert_int_equal(midi_scale_down(0x80040020u, 32, 14), 0x2001);
	assert_int_equal(midi_scale_down(0x8208, 16, 7), 0x41);
	assert_int_equal(midi_scale_down(0x01FFFFFFu, 32, 7), 0);
	/* same width: identity */
	assert_int_equal(midi_scale_up(0x55, 7, 7), 0x55);
	assert_int_equal(midi_scale_down(0x1234, 14, 14), 0x1234);
}

/* The algorithm as written in the MIDI 2.0 specification (M2-104 D.3),
 * transcribed independently of scale.c, for a full comparison. */
static uint32_t reference_up(uint32_t v, unsigned src, unsigned dst)
{
	unsigned scale = dst - src;
	uint64_t shifted = (uint64_t)v << scale;
	uint32_t center = 1u << (src - 1);
	if (v <= center)
		return (uint32_t)shifted;
	unsigned rbits = src - 1;
	uint64_t rv = v & ((1u << rbits) - 1);
	rv = scale > rbits ? rv << (scale - rbits) : rv >> (rbits - scale);
	while (rv) {
		shifted |= rv;
		rv >>= rbits;
	}
	return (uint32_t)shifted;
}

static void check_width(unsigned src, unsigned dst)
{
	uint32_t prev = 0;
	for (uint32_t x = 0; x < (1u << src); x++) {
		uint32_t u = midi_scale_up(x, src, dst);
		if (midi_scale_down(u, dst, src) != x)
			fail_msg("down(up(0x%X)) %u->%u gave 0x%X", x, src, dst,
				 midi_scale_down(u, dst, src));
		if (u != reference_up(x, src, dst))
			fail_msg("up(0x%X) %u->%u = 0x%X, reference 0x%X", x, src, dst, u,
				 reference_up(x, src, dst));
		if (x > 0 && u <= prev)
			fail_msg("up not strictly increasing at 0x%X (%u->%u)", x, src, dst);
		prev = u;
	}
	uint32_t max = dst == 32 ? 0xFFFFFFFFu : (1u << dst) - 1;
	assert_int_equal(midi_scale_up((1u << src) - 1, src, dst), max);
	assert_int_equal(midi_scale_up(1u << (src - 1), src, dst), 1u << (dst - 1));
}

static void test_every_7bit_value(void **state)
{
	(void)state;
	check_width(7, 16);
	check_width(7, 32);
	check_width(7, 14);
}

static void test_every_14bit_value(void **state)
{
	(void)state;
	check_width(14, 32);
	check_width(14, 16);
}

static void test_every_16bit_value(void **state)
{
	(void)state;
	check_width(16, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corners_7_32),	 cmocka_unit_test(test_corners_14_32),
		cmocka_unit_test(test_corners_7_16),	 cmocka_unit_test(test_down_shifts),
		cmocka_unit_test(test_every_7bit_value), cmocka_unit_test(test_every_14bit_value),
		cmocka_unit_test(test_every_16bit_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
