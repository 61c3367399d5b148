/* test_looptest.c: the loop test library (midi/looptest.h): encode/decode
 * round trips of every kind, the wire layout of each kind, wraparound and
 * unwrapping, accounting of loss, reordering, duplicates and foreign
 * packets from synthetic arrivals, the window of messages in flight,
 * latency statistics on known arrays, and the text and JSON reports. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/looptest.h"
#include "midi/translate.h"

static const enum midi_looptest_kind kinds[] = {MIDI_LOOPTEST_SYSEX, MIDI_LOOPTEST_NOTE, MIDI_LOOPTEST_UMP};

static void test_kind_names(void **state)
{
	enum midi_looptest_kind k;
	assert_int_equal(midi_looptest_kind_parse("sysex", &k, NULL), 0);
	assert_int_equal(k, MIDI_LOOPTEST_SYSEX);
	assert_int_equal(midi_looptest_kind_parse("NOTE", &k, NULL), 0);
	assert_int_equal(k, MIDI_LOOPTEST_NOTE);
	assert_int_equal(midi_looptest_kind_parse("Ump", &k, NULL), 0);
	assert_int_equal(k, MIDI_LOOPTEST_UMP);
	assert_int_equal(midi_looptest_kind_parse("cc", &k, NULL), -MIDI_ERR_INPUT);
	assert_int_equal(midi_looptest_kind_parse("", &k, NULL), -MIDI_ERR_INPUT);
	midi_error e = {0};
	assert_int_equal(midi_looptest_kind_parse("cc", &k, &e), -MIDI_ERR_INPUT);
	assert_string_equal(e.msg, "unknown kind 'cc' (expected sysex, note or ump)");
	assert_string_equal(midi_looptest_kind_name(MIDI_LOOPTEST_NOTE), "note");
	assert_int_equal(midi_looptest_modulus(MIDI_LOOPTEST_SYSEX), 1u << 28);
	assert_int_equal(midi_looptest_modulus(MIDI_LOOPTEST_NOTE), 128 * 127);
	assert_int_equal(midi_looptest_modulus(MIDI_LOOPTEST_UMP), 1u << 23);
}

/* Every number below the modulus (sampled densely at both ends) decodes
 * back to itself, on every group. */
static void test_round_trip_every_kind(void **state)
{
	for (unsigned k = 0; k < 3; k++) {
		uint64_t mod = midi_looptest_modulus(kinds[k]);
		for (uint64_t s = 0; s < mod; s += (s < 40000 || s > mod - 40000) ? 1 : 9973) {
			unsigned group = (unsigned)(s % 16);
			midi_ump u = midi_looptest_encode(kinds[k], group, 0x55, s);
			uint64_t wire = ~0ull;
			assert_int_equal(midi_looptest_decode(kinds[k], 0x55, &u, &wire), 1);
			assert_int_equal(wire, s);
			assert_int_equal(midi_ump_group(&u), group);
		}
	}
}

static void test_wire_layout(void **state)
{
	/* SysEx: F0 7D 2A 00 00 02 05 F7 for 261 with tag 0x2A, group 3. */
	midi_ump u = midi_looptest_encode(MIDI_LOOPTEST_SYSEX, 3, 0x2A, 261);
	assert_int_equal(u.w[0], 0x33067D2A);
	assert_int_equal(u.w[1], 0x00000205);
	/* Largest 28-bit number: every byte 7F. */
	u = midi_looptest_encode(MIDI_LOOPTEST_SYSEX, 0, 1, (1u << 28) - 1);
	assert_int_equal(u.w[1], 0x7F7F7F7F);
	/* Note: 300 = 2 * 127 + 46 -> note 2, velocity 47, channel 16. */
	u = midi_looptest_encode(MIDI_LOOPTEST_NOTE, 0, 0, 300);
	assert_int_equal(u.w[0], 0x209F022F);
	/* Velocity never 0: number 0 is note 0 velocity 1. */
	u = midi_looptest_encode(MIDI_LOOPTEST_NOTE, 0, 0, 0);
	assert_int_equal(u.w[0], 0x209F0001);
	/* UMP: 0x12345 -> note 1, velocity 0x2345, no attribute. */
	u = midi_looptest_encode(MIDI_LOOPTEST_UMP, 1, 0, 0x12345);
	assert_int_equal(u.w[0], 0x419F0100);
	assert_int_equal(u.w[1], 0x23450000);
}

/* Numbers wrap at the modulus: seq and seq + modulus are the same message. */
static void test_wraparound(void **state)
{
	for (unsigned k = 0; k < 3; k++) {
		uint64_t mod = midi_looptest_modulus(kinds[k]);
		midi_ump a = midi_looptest_encode(kinds[k], 0, 9, 5);
		midi_ump b = midi_looptest_encode(kinds[k], 0, 9, mod + 5);
		assert_memory_equal(&a, &b, sizeof a);
		uint64_t seq;
		/* With mod + 10 sent, wire 5 is the second 5 ... */
		assert_int_equal(midi_looptest_unwrap(kinds[k], 5, mod + 10, &seq), 0);
		assert_int_equal(seq, mod + 5);
		/* ... and wire 20 the first 20 (mod + 20 not sent yet). */
		assert_int_equal(midi_looptest_unwrap(kinds[k], 20, mod + 10, &seq), 0);
		assert_int_equal(seq, 20);
		/* Nothing or too little sent: no match. */
		assert_int_equal(midi_looptest_unwrap(kinds[k], 0, 0, &seq), -MIDI_ERR_INPUT);
		assert_int_equal(midi_looptest_unwrap(kinds[k], 7, 7, &seq), -MIDI_ERR_INPUT);
		assert_int_equal(midi_looptest_unwrap(kinds[k], 6, 7, &seq), 0);
		assert_int_equal(seq, 6);
		assert_int_equal(midi_looptest_unwrap(kinds[k], mod, 2 * mod, &seq), -MIDI_ERR_INPUT);
		assert_int_equal(midi_looptest_unwrap(kinds[k], mod - 1, 2 * mod, &seq), 0);
		assert_int_equal(seq, 2 * mod - 1);
	}
}

static void test_decode_rejects_foreign(void **state)
{
	uint64_t w;
	midi_ump u;
	/* SysEx: another tag, another manufacturer, a Start packet, 5 bytes. */
	u = midi_looptest_encode(MIDI_LOOPTEST_SYSEX, 0, 0x11, 3);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_SYSEX, 0x12, &u, &w), 0);
	u = midi_ump_make(0x30067E11, 0, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_SYSEX, 0x11, &u, &w), 0);
	u = midi_ump_make(0x30167D11, 0, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_SYSEX, 0x11, &u, &w), 0);
	u = midi_ump_make(0x30057D11, 0, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_SYSEX, 0x11, &u, &w), 0);
	/* A midi-loop ping (tag byte 0) is not a test message of tag 1. */
	u = midi_ump_make(0x30067D00, 0x00000001, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_SYSEX, 1, &u, &w), 0);
	/* Note: another channel, Note Off, velocity 0, clock, a UMP note. */
	u = midi_ump_make(0x20903C64, 0, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_NOTE, 0, &u, &w), 0);
	u = midi_ump_make(0x208F3C64, 0, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_NOTE, 0, &u, &w), 0);
	u = midi_ump_make(0x209F3C00, 0, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_NOTE, 0, &u, &w), 0);
	u = midi_ump_make(0x10F80000, 0, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_NOTE, 0, &u, &w), 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_UMP, 0, &u, &w), 0);
	/* UMP: MIDI 1.0 note on channel 16, an attribute, a note above 127. */
	u = midi_ump_make(0x209F3C64, 0, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_UMP, 0, &u, &w), 0);
	u = midi_ump_make(0x409F3C03, 0x12340001, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_UMP, 0, &u, &w), 0);
	u = midi_ump_make(0x409FBC00, 0x12340000, 0, 0);
	assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_UMP, 0, &u, &w), 0);
}

/* The note kind also recognises its messages after a MIDI 1.0 -> 2.0
 * translation (velocity scaled up to 16 bits). */
static void test_note_through_midi2(void **state)
{
	for (uint64_t s = 0; s < midi_looptest_modulus(MIDI_LOOPTEST_NOTE); s++) {
		midi_ump u = midi_looptest_encode(MIDI_LOOPTEST_NOTE, 2, 0, s);
		uint32_t note = u.w[0] >> 8 & 0x7F, vel = u.w[0] & 0x7F;
		midi_ump m2 = midi_ump_make(0x429F0000u | note << 8, midi_scale_up(vel, 7, 16) << 16, 0, 0);
		uint64_t w;
		assert_int_equal(midi_looptest_decode(MIDI_LOOPTEST_NOTE, 0, &m2, &w), 1);
		assert_int_equal(w, s);
	}
}

/* Send n messages at times 1000 * i. */
static midi_looptest *run_of(enum midi_looptest_kind kind, uint64_t n, midi_ump *msgs)
{
	midi_looptest *t = midi_looptest_new(kind, 0, 7, n, NULL);
	assert_non_null(t);
	for (uint64_t i = 0; i < n; i++) {
		midi_ump u;
		assert_int_equal(midi_looptest_next(t, 1000 * (i + 1), &u), 1);
		if (msgs)
			msgs[i] = u;
	}
	midi_ump u;
	assert_int_equal(midi_looptest_next(t, 0, &u), 0);
	return t;
}

static enum midi_looptest_arrival arrive(midi_looptest *t, const midi_ump *u, uint64_t at)
{
	midi_packet p = {.time_ns = at, .ump = *u};
	return midi_looptest_receive(t, &p);
}

static void test_accounting(void **state)
{
	midi_ump m[10];
	midi_looptest *t = run_of(MIDI_LOOPTEST_SYSEX, 10, m);
	/* 0 1 3 2 2 5 9 8 + clock + a note: 4, 6, 7 lost; 2 and 8 reordered;
	 * 2 duplicated; 2 foreign. */
	static const int order[] = {0, 1, 3, 2, 2, 5, 9, 8};
	midi_ump clock = midi_ump_make(0x10F80000, 0, 0, 0), note = midi_ump_make(0x20903C64, 0, 0, 0);
	assert_int_equal(arrive(t, &clock, 1), MIDI_LOOPTEST_FOREIGN);
	for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++) {
		enum midi_looptest_arrival a = arrive(t, &m[order[i]], 1000 * (order[i] + 1) + 100 * (i + 1));
		assert_int_equal(a, i == 4 ? MIDI_LOOPTEST_DUPLICATE : MIDI_LOOPTEST_RECEIVED);
	}
	assert_int_equal(arrive(t, &note, 1), MIDI_LOOPTEST_FOREIGN);
	midi_looptest_counts c;
	midi_looptest_get_counts(t, &c);
	assert_int_equal(c.count, 10);
	assert_int_equal(c.sent, 10);
	assert_int_equal(c.received, 7);
	assert_int_equal(c.lost, 3);
	assert_int_equal(c.reordered, 2);
	assert_int_equal(c.duplicates, 1);
	assert_int_equal(c.foreign, 2);
	/* Latencies 100, 200, 300, 400, 600, 700, 800 ns. */
	midi_latency_stats l;
	assert_int_equal(midi_looptest_latency(t, &l, NULL), 0);
	assert_int_equal(l.n, 7);
	assert_int_equal(l.min, 100);
	assert_int_equal(l.max, 800);
	assert_int_equal(l.median, 400);
	assert_int_equal(l.p99, 800);
	assert_true(l.mean > 442.8 && l.mean < 442.9);
	midi_looptest_free(t);
}

/* A message of a number not sent yet is foreign, as is an arrival before
 * anything was sent. An arrival timestamped before its send has latency 0. */
static void test_not_sent_yet(void **state)
{
	midi_looptest *t = midi_looptest_new(MIDI_LOOPTEST_NOTE, 0, 0, 5, NULL);
	midi_ump early = midi_looptest_encode(MIDI_LOOPTEST_NOTE, 0, 0, 0), u;
	assert_int_equal(arrive(t, &early, 5), MIDI_LOOPTEST_FOREIGN);
	assert_int_equal(midi_looptest_next(t, 1000, &u), 1);
	midi_ump later = midi_looptest_encode(MIDI_LOOPTEST_NOTE, 0, 0, 3);
	assert_int_equal(arrive(t, &later, 2000), MIDI_LOOPTEST_FOREIGN);
	assert_int_equal(arrive(t, &u, 500), MIDI_LOOPTEST_RECEIVED);
	midi_latency_stats l;
	assert_int_equal(midi_looptest_latency(t, &l, NULL), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.max, 0);
	midi_looptest_counts c;
	midi_looptest_get_counts(t, &c);
	assert_int_equal(c.foreign, 2);
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.lost, 0);
	midi_looptest_free(t);
}

/* A run longer than the note modulus: every message comes back in order,
 * matched to the right number (latency 50 each), none reordered. */
static void test_run_across_wrap(void **state)
{
	uint64_t n = 3 * midi_looptest_modulus(MIDI_LOOPTEST_NOTE) + 17;
	midi_looptest *t = midi_looptest_new(MIDI_LOOPTEST_NOTE, 0, 0, n, NULL);
	for (uint64_t i = 0; i < n; i++) {
		midi_ump u;
		assert_int_equal(midi_looptest_next(t, 100 * i + 1, &u), 1);
		/* Arrivals lag two messages behind the sends. */
		if (i >= 2) {
			midi_ump back = midi_looptest_encode(MIDI_LOOPTEST_NOTE, 0, 0, i - 2);
			assert_int_equal(arrive(t, &back, 100 * (i - 2) + 51), MIDI_LOOPTEST_RECEIVED);
		}
	}
	for (uint64_t i = n - 2; i < n; i++) {
		midi_ump back = midi_looptest_encode(MIDI_LOOPTEST_NOTE, 0, 0, i);
		assert_int_equal(arrive(t, &back, 100 * i + 51), MIDI_LOOPTEST_RECEIVED);
	}
	midi_looptest_counts c;
	midi_looptest_get_counts(t, &c);
	assert_int_equal(c.received, n);
	assert_int_equal(c.lost, 0);
	assert_int_equal(c.reordered, 0);
	assert_int_equal(c.duplicates, 0);
	midi_latency_stats l;
	assert_int_equal(midi_looptest_latency(t, &l, NULL), 0);
	assert_int_equal(l.min, 50);
	assert_int_equal(l.max, 50);
	assert_true(l.jitter == 0.0);
	midi_looptest_free(t);
}

static void test_window(void **state)
{
	midi_ump m[6];
	midi_looptest *t = midi_looptest_new(MIDI_LOOPTEST_UMP, 0, 0, 6, NULL);
	uint64_t at;
	assert_int_equal(midi_looptest_oldest(t, &at), 0);
	assert_int_equal(midi_looptest_in_flight(t, 0, 1000), 0);
	for (int i = 0; i < 4; i++)
		midi_looptest_next(t, 100 * (i + 1), &m[i]); /* sent at 100..400 */
	assert_int_equal(midi_looptest_in_flight(t, 400, 1000), 4);
	arrive(t, &m[1], 450);
	assert_int_equal(midi_looptest_in_flight(t, 450, 1000), 3);
	assert_int_equal(midi_looptest_oldest(t, &at), 1);
	assert_int_equal(at, 100);
	/* At 1150, number 0 (sent at 100) is older than 1000: out of the window. */
	assert_int_equal(midi_looptest_in_flight(t, 1150, 1000), 2);
	assert_int_equal(midi_looptest_oldest(t, &at), 1);
	assert_int_equal(at, 300);
	/* Its late arrival does not count in the window again, but is received. */
	arrive(t, &m[0], 1200);
	assert_int_equal(midi_looptest_in_flight(t, 1200, 1000), 2);
	arrive(t, &m[2], 1210);
	arrive(t, &m[3], 1220);
	assert_int_equal(midi_looptest_in_flight(t, 1220, 1000), 0);
	assert_int_equal(midi_looptest_oldest(t, &at), 0);
	midi_looptest_next(t, 1300, &m[4]);
	assert_int_equal(midi_looptest_in_flight(t, 1300, 1000), 1);
	midi_looptest_counts c;
	midi_looptest_get_counts(t, &c);
	assert_int_equal(c.received, 4);
	assert_int_equal(c.lost, 1);
	assert_int_equal(c.reordered, 1); /* 0 after 1 */
	midi_looptest_free(t);
}

static void test_stats_known_arrays(void **state)
{
	midi_latency_stats l;
	/* 1..100 shuffled: median 50, p99 99. */
	uint64_t v[100];
	for (int i = 0; i < 100; i++)
		v[i] = (uint64_t)((i * 37) % 100 + 1);
	assert_int_equal(midi_latency_stats_of(v, 100, &l, NULL), 0);
	assert_int_equal(l.n, 100);
	assert_int_equal(l.min, 1);
	assert_int_equal(l.median, 50);
	assert_int_equal(l.p99, 99);
	assert_int_equal(l.max, 100);
	assert_true(l.mean > 50.49 && l.mean < 50.51);
	/* Not modified. */
	assert_int_equal(v[1], 38);
	/* 2 4 4 4 5 5 7 9: mean 5, standard deviation 2. */
	uint64_t w[] = {9, 4, 2, 4, 5, 7, 4, 5};
	assert_int_equal(midi_latency_stats_of(w, 8, &l, NULL), 0);
	assert_true(l.mean == 5.0);
	assert_true(l.jitter == 2.0);
	assert_int_equal(l.median, 4);
	assert_int_equal(l.p99, 9);
	/* One value; none. */
	uint64_t one = 42;
	assert_int_equal(midi_latency_stats_of(&one, 1, &l, NULL), 0);
	assert_int_equal(l.min, 42);
	assert_int_equal(l.median, 42);
	assert_int_equal(l.p99, 42);
	assert_true(l.jitter == 0.0);
	assert_int_equal(midi_latency_stats_of(NULL, 0, &l, NULL), 0);
	assert_int_equal(l.n, 0);
	/* Nearest rank: of 1000 values the p99 is the 990th. */
	uint64_t *k = malloc(1000 * sizeof *k);
	for (int i = 0; i < 1000; i++)
		k[i] = (uint64_t)i;
	assert_int_equal(midi_percentile(k, 1000, 99), 989);
	assert_int_equal(midi_percentile(k, 1000, 50), 499);
	assert_int_equal(midi_percentile(k, 1000, 0), 0);
	assert_int_equal(midi_percentile(k, 1000, 100), 999);
	free(k);
}

static void test_new_rejects(void **state)
{
	midi_error e = {0};
	assert_null(midi_looptest_new(MIDI_LOOPTEST_SYSEX, 0, 0, 0, &e));
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "count"));
	assert_null(midi_looptest_new(MIDI_LOOPTEST_SYSEX, 0, 0, MIDI_LOOPTEST_MAX_COUNT + 1ull, &e));
	assert_null(midi_looptest_new(MIDI_LOOPTEST_SYSEX, 16, 0, 10, &e));
	assert_null(midi_looptest_new(MIDI_LOOPTEST_SYSEX, 0, 128, 10, &e));
	assert_null(midi_looptest_new((enum midi_looptest_kind)7, 0, 0, 10, &e));
}

static char *report_to_string(int json, const midi_looptest_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(json ? midi_looptest_write_json(f, r) : midi_looptest_write_text(f, r), 0);
	fclose(f);
	return buf;
}

static void test_reports(void **state)
{
	midi_looptest_report r = {
		.out_id = "loop:x-a", .in_id = "odd\"id\\", .kind = MIDI_LOOPTEST_NOTE,
		.counts = {.count = 10, .sent = 10, .received = 9, .lost = 1, .reordered = 2,
			   .duplicates = 3, .foreign = 4},
		.latency = {.n = 9, .min = 1500, .median = 2000, .p99 = 3000, .max = 3100,
			    .mean = 2100, .jitter = 260},
		.reader_lost = 0, .seconds = 1.25, .status = 5, .result = "lost",
	};
	char *s = report_to_string(0, &r);
	assert_string_equal(s, "loop:x-a -> odd\"id\\: 10 sent, 9 received, 1 lost, 2 reordered, 3 duplicated, 4 foreign\n"
			       "latency (us): min 1.5  median 2.0  p99 3.0  max 3.1  mean 2.1  jitter 0.3\n");
	free(s);
	s = report_to_string(1, &r);
	assert_string_equal(s, "{\"out\":\"loop:x-a\",\"in\":\"odd\\\"id\\\\\",\"kind\":\"note\",\"count\":10,"
			       "\"sent\":10,\"received\":9,\"lost\":1,\"reordered\":2,\"duplicates\":3,"
			       "\"foreign\":4,\"reader_lost\":0,\"latency_us\":{\"min\":1.5,\"median\":2.0,"
			       "\"p99\":3.0,\"max\":3.1,\"mean\":2.1},\"jitter_us\":0.3,\"seconds\":1.250000,"
			       "\"status\":5,\"result\":\"lost\"}\n");
	free(s);
	/* Nothing came back: no latency line, nulls in JSON. */
	memset(&r.latency, 0, sizeof r.latency);
	s = report_to_string(0, &r);
	assert_null(strstr(s, "latency"));
	free(s);
	s = report_to_string(1, &r);
	assert_non_null(strstr(s, "\"latency_us\":null,\"jitter_us\":null,"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_round_trip_every_kind),
		cmocka_unit_test(test_wire_layout),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_decode_rejects_foreign),
		cmocka_unit_test(test_note_through_midi2),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_not_sent_yet),
		cmocka_unit_test(test_run_across_wrap),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_stats_known_arrays),
		cmocka_unit_test(test_new_rejects),
		cmocka_unit_test(test_reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
