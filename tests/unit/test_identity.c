/* test_identity.c: midi_identity_reply_parse on replies with 1- and 3-byte
 * manufacturer ids and on everything that is not an Identity Reply. */
#include "testutil.h"

#include "midi/identity.h"

static void one_byte_manufacturer(void **state)
{
	/* Roland-style reply: device 10, id 41, family 0x0123, model 0x0281. */
	const uint8_t p[] = {0x7E, 0x10, 0x06, 0x02, 0x41, 0x23, 0x02, 0x01, 0x05, 1, 2, 3, 4};
	midi_stream_identity id;
	unsigned dev = 99;
	assert_int_equal(midi_identity_reply_parse(p, sizeof p, &dev, &id), 0);
	assert_int_equal(dev, 0x10);
	assert_int_equal(id.manufacturer[0], 0x41);
	assert_int_equal(id.manufacturer[1], 0);
	assert_int_equal(id.manufacturer[2], 0);
	assert_int_equal(id.family, 0x23 | 0x02 << 7);
	assert_int_equal(id.model, 0x01 | 0x05 << 7);
	assert_memory_equal(id.version, ((uint8_t[]){1, 2, 3, 4}), 4);
}

static void three_byte_manufacturer(void **state)
{
	const uint8_t p[] = {0x7E, 0x7F, 0x06, 0x02, 0x00, 0x20, 0x29, 0x7F, 0x7F,
			     0x00, 0x01, 9, 8, 7, 6};
	midi_stream_identity id;
	unsigned dev;
	assert_int_equal(midi_identity_reply_parse(p, sizeof p, &dev, &id), 0);
	assert_int_equal(dev, 0x7F);
	assert_memory_equal(id.manufacturer, ((uint8_t[]){0x00, 0x20, 0x29}), 3);
	assert_int_equal(id.family, 0x3FFF);
	assert_int_equal(id.model, 0x80);
	assert_memory_equal(id.version, ((uint8_t[]){9, 8, 7, 6}), 4);
}

static void not_a_reply(void **state)
{
	midi_stream_identity id;
	unsigned dev;
	const uint8_t request[] = {0x7E, 0x7F, 0x06, 0x01};
	const uint8_t realtime[] = {0x7F, 0x10, 0x06, 0x02, 0x41, 0, 0, 0, 0, 1, 2, 3, 4};
	const uint8_t short_one[] = {0x7E, 0x10, 0x06, 0x02, 0x41, 0, 0, 0, 0, 1, 2, 3};
	const uint8_t long_one[] = {0x7E, 0x10, 0x06, 0x02, 0x41, 0, 0, 0, 0, 1, 2, 3, 4, 5};
	const uint8_t high_bit[] = {0x7E, 0x10, 0x06, 0x02, 0x41, 0, 0x80, 0, 0, 1, 2, 3, 4};
	assert_int_equal(midi_identity_reply_parse(request, sizeof request, &dev, &id), -MIDI_ERR_INPUT);
	assert_int_equal(midi_identity_reply_parse(realtime, sizeof realtime, &dev, &id), -MIDI_ERR_INPUT);
	assert_int_equal(midi_identity_reply_parse(short_one, sizeof short_one, &dev, &id), -MIDI_ERR_INPUT);
	assert_int_equal(midi_identity_reply_parse(long_one, sizeof long_one, &dev, &id), -MIDI_ERR_INPUT);
	assert_int_equal(midi_identity_reply_parse(high_bit, sizeof high_bit, &dev, &id), -MIDI_ERR_INPUT);
	assert_int_equal(midi_identity_reply_parse(NULL, 0, &dev, &id), -MIDI_ERR_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_byte_manufacturer),
		cmocka_unit_test(three_byte_manufacturer),
		cmocka_unit_test(not_a_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
