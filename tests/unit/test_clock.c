/* test_clock.c: the tick schedule of MIDI clock (midi/clock.h): exact due
 * times at whole and fractional tempos (no drift over an hour), the
 * packets a fill gives, a tempo change in the middle of a tick keeping the
 * position (slower and faster, on a tick, before the start), taking back
 * cancelled ticks (a count, and an unknown count by time), the Song
 * Position a clock starts from and reaches, shifting the origin, tempo
 * text and the ranges. */
#include "testutil.h"

#include <string.h>

#include "midi/clock.h"

#define S 1000000000ull     /* one second */
#define T0 (1000 * S)       /* a start time far from 0 */

/* |a - b| <= 2 ns: rounding of the integer arithmetic. */
#define assert_near(a, b) assert_true((a) + 2 >= (b) && (b) + 2 >= (a))

static void test_exact_times(void **state)
{
	(void)state;
	midi_clock c;
	midi_error e;
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 0, &e), 0);
	/* 120 BPM: 48 ticks a second, 20833333.33 ns apart, floored. */
	assert_int_equal(midi_clock_due(&c, 0), T0);
	assert_int_equal(midi_clock_due(&c, 1), T0 + 20833333);
	assert_int_equal(midi_clock_due(&c, 2), T0 + 41666666);
	assert_int_equal(midi_clock_due(&c, 3), T0 + 62500000);
	assert_int_equal(midi_clock_due(&c, 24), T0 + S / 2); /* one beat */
	/* An hour later, still exact: no drift. */
	assert_int_equal(midi_clock_due(&c, 48ull * 3600), T0 + 3600 * S);
	assert_int_equal(midi_clock_due(&c, 48ull * 3600 + 1), T0 + 3600 * S + 20833333);
	assert_true(midi_clock_bpm(&c) == 120.0);

	/* 92.5 BPM: 37 ticks a second exactly. */
	assert_int_equal(midi_clock_init(&c, 92.5, T0, 0, 0, &e), 0);
	assert_int_equal(midi_clock_due(&c, 37), T0 + S);
	assert_int_equal(midi_clock_due(&c, 1), T0 + 27027027);
	assert_int_equal(midi_clock_due(&c, 37ull * 7200), T0 + 7200 * S);
	/* The extremes. */
	assert_int_equal(midi_clock_init(&c, 1000, T0, 0, 0, &e), 0);
	assert_int_equal(midi_clock_due(&c, 1), T0 + 2500000);
	assert_int_equal(midi_clock_init(&c, 1, T0, 0, 0, &e), 0);
	assert_int_equal(midi_clock_due(&c, 1), T0 + 2500000000ull);
}

static void test_fill(void **state)
{
	(void)state;
	midi_clock c;
	midi_error e;
	midi_packet p[100];
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 5, &e), 0);
	/* Ticks due before until: [T0, T0 + 1 s) holds 48. */
	assert_int_equal(midi_clock_fill(&c, T0 + S, p, 100), 48);
	for (int i = 0; i < 48; i++) {
		assert_int_equal(p[i].time_ns, midi_clock_due(&c, (uint64_t)i));
		assert_int_equal(p[i].ump.w[0], 0x15F80000u); /* MT1 group 6 F8 */
	}
	assert_int_equal(c.next, 48);
	/* Nothing more before the same time; the next second continues. */
	assert_int_equal(midi_clock_fill(&c, T0 + S, p, 100), 0);
	assert_int_equal(midi_clock_fill(&c, T0 + S + 1, p, 100), 1);
	assert_int_equal(p[0].time_ns, T0 + S);
	/* At most max. */
	assert_int_equal(midi_clock_fill(&c, T0 + 10 * S, p, 10), 10);
	assert_int_equal(p[0].time_ns, midi_clock_due(&c, 49));
	assert_int_equal(c.next, 59);
}

/* A tempo change half-way through tick 10 -> 11: the other half takes
 * half a tick at the new tempo, and the ticks after are new periods. */
static void test_tempo_keeps_phase(void **state)
{
	(void)state;
	midi_clock c;
	midi_error e;
	/* Slower: 120 -> 60 BPM at 10.5 ticks (218.75 ms). */
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 0, &e), 0);
	uint64_t at = T0 + 218750000;
	assert_int_equal(midi_clock_tempo(&c, 60, at, &e), 0);
	assert_int_equal(c.origin_tick, 10);
	assert_near(midi_clock_due(&c, 11), at + 20833333);        /* half of 41.67 ms */
	assert_near(midi_clock_due(&c, 12), at + 20833333 + 41666667);
	assert_near(midi_clock_due(&c, 35), at + 20833333 + S); /* a beat later */
	assert_true(midi_clock_bpm(&c) == 60.0);
	/* Faster: 120 -> 240 BPM a quarter into tick 20 -> 21. */
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 0, &e), 0);
	at = midi_clock_due(&c, 20) + 5208333;
	assert_int_equal(midi_clock_tempo(&c, 240, at, &e), 0);
	assert_near(midi_clock_due(&c, 21), at + 7812500); /* 3/4 of 10.42 ms */
	assert_near(midi_clock_due(&c, 22), at + 7812500 + 10416667);
	/* And back: the position is kept each time, so a change to the same
	 * tempo changes nothing. */
	uint64_t d30 = midi_clock_due(&c, 30);
	assert_int_equal(midi_clock_tempo(&c, 240, at + 30000000, &e), 0);
	assert_near(midi_clock_due(&c, 30), d30);
	/* On a tick: the next one a whole new period later. */
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 0, &e), 0);
	at = midi_clock_due(&c, 48);
	assert_int_equal(midi_clock_tempo(&c, 90, at, &e), 0);
	assert_near(midi_clock_due(&c, 48), at);
	assert_near(midi_clock_due(&c, 49), at + 27777778);
	assert_near(midi_clock_due(&c, 48 + 36), at + S); /* 36 ticks a second at 90 */
	/* Before the start: the first tick stays, at the new tempo after. */
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 0, &e), 0);
	assert_int_equal(midi_clock_tempo(&c, 60, T0 - S, &e), 0);
	assert_int_equal(midi_clock_due(&c, 0), T0);
	assert_int_equal(midi_clock_due(&c, 24), T0 + S);
	/* A bad tempo changes nothing. */
	assert_int_equal(midi_clock_tempo(&c, 0.5, T0 + S, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "out of range"));
	assert_int_equal(midi_clock_due(&c, 24), T0 + S);
}

/* The fill after a tempo change and a cancel gives the ticks taken back
 * at the new tempo; those before the change at once. */
static void test_cancelled(void **state)
{
	(void)state;
	midi_clock c;
	midi_error e;
	midi_packet p[100];
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 0, &e), 0);
	assert_int_equal(midi_clock_fill(&c, T0 + S, p, 100), 48);
	midi_clock_cancelled(&c, 10, 0);
	assert_int_equal(c.next, 38);
	assert_int_equal(midi_clock_fill(&c, T0 + S, p, 100), 10);
	assert_int_equal(p[0].time_ns, midi_clock_due(&c, 38));
	/* More than were given: back to the first. */
	midi_clock_cancelled(&c, 1000, 0);
	assert_int_equal(c.next, 0);
	/* An unknown count: every tick due after now. */
	assert_int_equal(midi_clock_fill(&c, T0 + S, p, 100), 48);
	midi_clock_cancelled(&c, UINT64_MAX, T0 + S / 2);
	assert_int_equal(c.next, 25); /* tick 24 is due at T0 + 0.5 s: delivered */
	/* Taken back, tempo changed after tick 25's time: 25 keeps its time
	 * (due before the change), 26 on comes at 60 BPM. */
	uint64_t at = midi_clock_due(&c, 25) + 10000000;
	assert_int_equal(midi_clock_tempo(&c, 60, at, &e), 0);
	assert_int_equal(midi_clock_fill(&c, at + S, p, 100), 25);
	assert_true(p[0].time_ns <= at);
	assert_near(p[1].time_ns, at + (41666667 - 2 * 10000000)); /* 10.83 of 20.83 ms left, doubled */
	assert_near(p[2].time_ns - p[1].time_ns, 41666667);
}

static void test_song_position(void **state)
{
	(void)state;
	midi_clock c;
	midi_error e;
	midi_packet p[100];
	/* From Song Position 16 (one 4/4 bar of sixteenths): tick 96 first. */
	assert_int_equal(midi_clock_init(&c, 120, T0, 16, 0, &e), 0);
	assert_int_equal(c.first, 96);
	assert_int_equal(c.next, 96);
	assert_int_equal(midi_clock_due(&c, 96), T0);
	assert_int_equal(midi_clock_spp(&c), 16);
	assert_int_equal(midi_clock_fill(&c, T0 + S, p, 100), 48);
	assert_int_equal(p[0].time_ns, T0);
	assert_int_equal(p[47].time_ns, midi_clock_due(&c, 96 + 47));
	/* 48 ticks = 8 sixteenths on. */
	assert_int_equal(midi_clock_spp(&c), 24);
	/* Taken back: never before the first tick. */
	midi_clock_cancelled(&c, 3, 0);
	assert_int_equal(midi_clock_spp(&c), 23); /* 141 / 6: under way */
	midi_clock_cancelled(&c, 1000, 0);
	assert_int_equal(c.next, 96);
	midi_clock_cancelled(&c, UINT64_MAX, 0);
	assert_int_equal(c.next, 96);
	/* The last position; and one beyond is refused. */
	assert_int_equal(midi_clock_init(&c, 120, T0, MIDI_CLOCK_SPP_MAX, 0, &e), 0);
	assert_int_equal(midi_clock_fill(&c, T0 + S, p, 100), 48);
	assert_int_equal(midi_clock_spp(&c), MIDI_CLOCK_SPP_MAX);
	assert_int_equal(midi_clock_init(&c, 120, T0, MIDI_CLOCK_SPP_MAX + 1, 0, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "song position 16384"));
}

static void test_shift(void **state)
{
	(void)state;
	midi_clock c;
	midi_error e;
	midi_packet p[4];
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 0, &e), 0);
	assert_int_equal(midi_clock_fill(&c, T0 + 1, p, 4), 1);
	/* The start had to wait: tick 1 now due at T0 + 1 s. */
	midi_clock_shift(&c, 1, T0 + S);
	assert_int_equal(midi_clock_fill(&c, T0 + S + 30000000, p, 4), 2);
	assert_int_equal(p[0].time_ns, T0 + S);
	assert_int_equal(p[1].time_ns, T0 + S + 20833333);
}

static void test_parse_and_ranges(void **state)
{
	(void)state;
	midi_error e;
	double v;
	assert_int_equal(midi_clock_parse_bpm("120", &v, &e), 0);
	assert_true(v == 120.0);
	assert_int_equal(midi_clock_parse_bpm(" 92.5\n", &v, &e), 0);
	assert_true(v == 92.5);
	assert_int_equal(midi_clock_parse_bpm("1000", &v, &e), 0);
	assert_int_equal(midi_clock_parse_bpm("1", &v, &e), 0);
	const char *bad[] = {"", "abc", "0", "0.5", "1000.1", "-120", "0x78", "inf", "nan",
			     "120bpm", "120 140", "1e2", ".", "1.2.3"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = -1;
		assert_int_equal(midi_clock_parse_bpm(bad[i], &v, &e), -MIDI_ERR_INPUT);
		assert_true(v == -1);
		assert_non_null(strstr(e.msg, "invalid tempo"));
	}
	midi_clock c;
	assert_int_equal(midi_clock_init(&c, 0.9, T0, 0, 0, &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_clock_init(&c, 1001, T0, 0, 0, &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_clock_init(&c, 120, T0, 0, 16, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "group 16"));
	/* A tempo kept to a millionth. */
	assert_int_equal(midi_clock_init(&c, 120.0000004, T0, 0, 0, &e), 0);
	assert_int_equal(c.ubpm, 120000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_times),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_tempo_keeps_phase),
		cmocka_unit_test(test_cancelled),
		cmocka_unit_test(test_song_position),
		cmocka_unit_test(test_shift),
		cmocka_unit_test(test_parse_and_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
