/* test_filter.c: midi_filter (filter.h): the default hides clock and active
 * sensing only, type lists replace or edit the set, MIDI 1.0 and MIDI 2.0
 * voice messages classify alike, group and channel sets with ranges, bad
 * lists are refused with the offending item named, message ends. */
#include "testutil.h"

#include <string.h>

#include "midi/filter.h"

static midi_ump u1(uint32_t w0) { return midi_ump_make(w0, 0, 0, 0); }
static midi_ump u2(uint32_t w0, uint32_t w1) { return midi_ump_make(w0, w1, 0, 0); }

static void test_default_hides_clock_and_sense(void **state)
{
	(void)state;
	midi_filter f;
	midi_filter_init(&f);
	midi_ump clock = u1(0x10F80000), sense = u1(0x10FE0000), start = u1(0x10FA0000);
	midi_ump note = u1(0x20903C64), noop = u1(0x00000000);
	midi_ump stream = midi_ump_make(0xF0010101, 0, 0, 0), sysex = u2(0x30047E7F, 0x06010000);
	assert_false(midi_filter_match(&f, &clock));
	assert_false(midi_filter_match(&f, &sense));
	assert_true(midi_filter_match(&f, &start));
	assert_true(midi_filter_match(&f, &note));
	assert_true(midi_filter_match(&f, &noop));
	assert_true(midi_filter_match(&f, &stream));
	assert_true(midi_filter_match(&f, &sysex));
	midi_filter_show_clock(&f, 1);
	assert_true(midi_filter_match(&f, &clock));
	assert_false(midi_filter_match(&f, &sense));
	midi_filter_show_sense(&f, 1);
	assert_true(midi_filter_match(&f, &sense));
}

static void test_type_list_replaces(void **state)
{
	(void)state;
	midi_filter f;
	midi_error e = {0};
	midi_filter_init(&f);
	assert_int_equal(midi_filter_set_types(&f, "note,CC", &e), 0);
	midi_ump on1 = u1(0x20903C64), on2 = u2(0x40903C00, 0xC9240000);
	midi_ump cc1 = u1(0x20B00764), cc2 = u2(0x40B00700, 0x80000000);
	midi_ump pb = u1(0x20E00040), start = u1(0x10FA0000), noop = u1(0);
	assert_true(midi_filter_match(&f, &on1));
	assert_true(midi_filter_match(&f, &on2));
	assert_true(midi_filter_match(&f, &cc1));
	assert_true(midi_filter_match(&f, &cc2));
	assert_false(midi_filter_match(&f, &pb));
	assert_false(midi_filter_match(&f, &start));
	assert_false(midi_filter_match(&f, &noop));
}

static void test_type_list_edits_default(void **state)
{
	(void)state;
	midi_filter f;
	midi_error e = {0};
	midi_filter_init(&f);
	assert_int_equal(midi_filter_set_types(&f, "-pb, clock", &e), 0);
	midi_ump pb = u1(0x20E00040), clock = u1(0x10F80000), note = u1(0x20903C64);
	midi_ump sense = u1(0x10FE0000);
	assert_false(midi_filter_match(&f, &pb));
	assert_true(midi_filter_match(&f, &clock));
	assert_true(midi_filter_match(&f, &note));
	assert_false(midi_filter_match(&f, &sense));
}

static void test_protocol_shorthands(void **state)
{
	(void)state;
	midi_filter f;
	midi_error e = {0};
	midi_filter_init(&f);
	assert_int_equal(midi_filter_set_types(&f, "midi2", &e), 0);
	midi_ump on1 = u1(0x20903C64), on2 = u2(0x40903C00, 0xC9240000);
	midi_ump rpn = u2(0x40200001, 0x12345678), pnm = u2(0x40F03C01, 0);
	assert_false(midi_filter_match(&f, &on1));
	assert_true(midi_filter_match(&f, &on2));
	assert_true(midi_filter_match(&f, &rpn));
	assert_true(midi_filter_match(&f, &pnm));
	assert_string_equal(midi_filter_type_name(&rpn), "rpn");
	assert_string_equal(midi_filter_type_name(&pnm), "pernote");
	assert_string_equal(midi_filter_type_name(&on2), "note");
	assert_int_equal(midi_filter_set_types(&f, "all", &e), 0);
	midi_ump clock = u1(0x10F80000);
	assert_true(midi_filter_match(&f, &clock));
	assert_string_equal(midi_filter_type_name(&clock), "clock");
}

static void test_bad_type_list(void **state)
{
	(void)state;
	midi_filter f, before;
	midi_error e = {0};
	memset(&f, 0, sizeof f); /* padding too: the whole struct is compared */
	midi_filter_init(&f);
	memcpy(&before, &f, sizeof f);
	assert_int_equal(midi_filter_set_types(&f, "note,nots", &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "'nots'"));
	/* unchanged (fields compared: the struct has padding) */
	assert_true(f.types == before.types);
	assert_int_equal(f.groups, before.groups);
	assert_int_equal(f.channels, before.channels);
	assert_int_equal(midi_filter_set_types(&f, "note,,cc", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_filter_set_types(&f, "", &e), -MIDI_ERR_INPUT);
}

static void test_sets(void **state)
{
	(void)state;
	uint16_t s = 0;
	midi_error e = {0};
	assert_int_equal(midi_filter_parse_set("1", "group", &s, &e), 0);
	assert_int_equal(s, 0x0001);
	assert_int_equal(midi_filter_parse_set("1-4,16", "group", &s, &e), 0);
	assert_int_equal(s, 0x800F);
	assert_int_equal(midi_filter_parse_set("10, 2-3", "channel", &s, &e), 0);
	assert_int_equal(s, 0x0206);
	const char *bad[] = {"0", "17", "4-2", "1-", "-3", "a", "1,,2", "", "1-17", "100"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(midi_filter_parse_set(bad[i], "channel", &s, &e), -MIDI_ERR_INPUT);
		assert_non_null(strstr(e.msg, "channel"));
	}
}

static void test_group_and_channel(void **state)
{
	(void)state;
	midi_filter f;
	midi_error e = {0};
	midi_filter_init(&f);
	assert_int_equal(midi_filter_parse_set("2", "group", &f.groups, &e), 0);
	assert_int_equal(midi_filter_parse_set("10", "channel", &f.channels, &e), 0);
	midi_ump g2c10 = u1(0x21993C64), g1c10 = u1(0x20993C64), g2c1 = u1(0x21903C64);
	midi_ump g2start = u1(0x11FA0000), noop = u1(0), stream = midi_ump_make(0xF0010101, 0, 0, 0);
	midi_ump g1sysex = u2(0x30047E7F, 0x06010000);
	assert_true(midi_filter_match(&f, &g2c10));
	assert_false(midi_filter_match(&f, &g1c10));
	assert_false(midi_filter_match(&f, &g2c1));
	assert_true(midi_filter_match(&f, &g2start)); /* no channel: channel set ignored */
	assert_true(midi_filter_match(&f, &noop));    /* no group */
	assert_true(midi_filter_match(&f, &stream));
	assert_false(midi_filter_match(&f, &g1sysex));
}

static void test_message_ends(void **state)
{
	(void)state;
	midi_ump complete = u2(0x30047E7F, 0), start = u2(0x30160102, 0), cont = u2(0x30260102, 0);
	midi_ump end = u2(0x30360708, 0), s8start = midi_ump_make(0x50100000, 0, 0, 0);
	midi_ump note = u1(0x20903C64);
	assert_true(midi_ump_ends_message(&complete));
	assert_false(midi_ump_ends_message(&start));
	assert_false(midi_ump_ends_message(&cont));
	assert_true(midi_ump_ends_message(&end));
	assert_false(midi_ump_ends_message(&s8start));
	assert_true(midi_ump_ends_message(&note));
}

/* The queries: a packet's type number and its name, what a filter passes
 * per type, and showing/hiding types by name. */
static void test_type_queries(void **state)
{
	(void)state;
	static const char *const names[MIDI_FILTER_TYPES] = {
		"note", "pressure", "cc", "pc", "pb", "rpn", "pernote", "sysex",
		"system", "clock", "sense", "utility", "stream", "flex", "other",
	};
	for (unsigned t = 0; t < MIDI_FILTER_TYPES; t++)
		assert_string_equal(midi_filter_type_str(t), names[t]);
	assert_null(midi_filter_type_str(MIDI_FILTER_TYPES));
	midi_ump note1 = u1(0x20903C64), note2 = u2(0x40903C00, 0x80000000);
	midi_ump rpn = u2(0x40200000, 1), clock = u1(0x10F80000), other = u1(0x60000000);
	midi_ump sysex8 = midi_ump_make(0x50010000, 0, 0, 0), flex = midi_ump_make(0xD0000000, 0, 0, 0);
	assert_int_equal(midi_filter_type_of(&note1), MIDI_FILTER_NOTE);
	assert_int_equal(midi_filter_type_of(&note2), MIDI_FILTER_NOTE);
	assert_int_equal(midi_filter_type_of(&rpn), MIDI_FILTER_RPN);
	assert_int_equal(midi_filter_type_of(&clock), MIDI_FILTER_CLOCK);
	assert_int_equal(midi_filter_type_of(&other), MIDI_FILTER_OTHER);
	assert_int_equal(midi_filter_type_of(&sysex8), MIDI_FILTER_SYSEX);
	assert_int_equal(midi_filter_type_of(&flex), MIDI_FILTER_FLEX);
	assert_string_equal(midi_filter_type_name(&flex), "flex");

	midi_filter f;
	midi_filter_init(&f);
	for (unsigned t = 0; t < MIDI_FILTER_TYPES; t++)
		assert_int_equal(midi_filter_passes_type(&f, t),
				 t != MIDI_FILTER_CLOCK && t != MIDI_FILTER_SENSE);
	assert_false(midi_filter_passes_type(&f, MIDI_FILTER_TYPES));
	/* groups and channels are left aside */
	f.groups = f.channels = 0;
	assert_true(midi_filter_passes_type(&f, MIDI_FILTER_NOTE));
	/* one protocol is enough for a voice type */
	midi_error e = {0};
	assert_int_equal(midi_filter_set_types(&f, "midi2", &e), 0);
	assert_true(midi_filter_passes_type(&f, MIDI_FILTER_NOTE));
	assert_false(midi_filter_passes_type(&f, MIDI_FILTER_SYSEX));

	midi_filter_init(&f);
	assert_int_equal(midi_filter_show_types(&f, "clock,sense", 1, &e), 0);
	assert_true(midi_filter_passes_type(&f, MIDI_FILTER_CLOCK));
	assert_true(midi_filter_passes_type(&f, MIDI_FILTER_NOTE));
	assert_int_equal(midi_filter_show_types(&f, "voice", 0, &e), 0);
	assert_false(midi_filter_passes_type(&f, MIDI_FILTER_NOTE));
	assert_false(midi_filter_passes_type(&f, MIDI_FILTER_PERNOTE));
	assert_true(midi_filter_passes_type(&f, MIDI_FILTER_SYSEX));
	assert_false(midi_filter_match(&f, &note1));
	assert_true(midi_filter_match(&f, &clock));
	midi_filter before = f;
	assert_int_equal(midi_filter_show_types(&f, "note,bogus", 1, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "'bogus'"));
	/* unchanged (fields compared: the struct has padding) */
	assert_true(f.types == before.types);
	assert_int_equal(f.groups, before.groups);
	assert_int_equal(f.channels, before.channels);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_hides_clock_and_sense),
		cmocka_unit_test(test_type_list_replaces),
		cmocka_unit_test(test_type_list_edits_default),
		cmocka_unit_test(test_protocol_shorthands),
		cmocka_unit_test(test_bad_type_list),
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_group_and_channel),
		cmocka_unit_test(test_message_ends),
		cmocka_unit_test(test_type_queries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
