/* test_smf_write.c: the Standard MIDI File writer (midi_smf_writer_*) byte
 * by byte: format 0 and 1 headers and tracks, delta times from packet
 * times at a tempo and division, no running status, the tempo meta event
 * (starting tempo, Flex Data Set Tempo), SysEx whole as F0 events (long
 * ones too), System messages as F7 escapes, MIDI 2.0 translated, End of
 * Track, what is dropped; the low-level event API and its errors; and the
 * reader's MIDI_SMF_TEMPO flag, with files read back by midi_smf_parse. */
#include "testutil.h"

#include "midi/msg.h"
#include "midi/smf.h"
#include "midi/translate.h"

#define MS 1000000ull

static midi_smf_writer *writer(unsigned format, unsigned division, uint32_t tempo)
{
	midi_error e = {0};
	midi_smf_wopts o = {.format = format, .division = division, .tempo_us = tempo};
	midi_smf_writer *w = midi_smf_writer_new(&o, &e);
	assert_non_null(w);
	return w;
}

static void put(midi_smf_writer *w, uint64_t t, midi_ump u)
{
	midi_error e = {0};
	midi_packet p = {.time_ns = t, .ump = u};
	assert_int_equal(midi_smf_writer_put(w, &p, &e), 0);
}

struct img {
	uint8_t *b;
	size_t n;
};

static struct img finish(midi_smf_writer *w)
{
	midi_error e = {0};
	struct img i;
	assert_int_equal(midi_smf_writer_finish(w, &i.b, &i.n, &e), 0);
	return i;
}

static void expect(struct img i, const uint8_t *want, size_t n)
{
	if (i.n != n || memcmp(i.b, want, n) != 0) {
		for (size_t k = 0; k < i.n; k++)
			fprintf(stderr, "%02X%s", i.b[k], k + 1 < i.n ? " " : "\n");
		fail_msg("image of %zu bytes differs (%zu expected)", i.n, n);
	}
}
#define EXPECT(i, ...) \
	expect(i, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void test_format0_notes(void **state)
{
	(void)state;
	midi_smf_writer *w = writer(0, 480, 500000);
	/* a quarter note is 500 ms: 480 ticks */
	put(w, 0, midi_ump_m1_note_on(0, 0, 60, 100));
	put(w, 500 * MS, midi_ump_m1_note_off(0, 0, 60, 0));
	put(w, 500 * MS, midi_ump_m1_note_on(0, 9, 36, 90));  /* same status twice: */
	put(w, 1250 * MS, midi_ump_m1_note_on(0, 9, 36, 0)); /* no running status */
	struct img i = finish(w);
	EXPECT(i, 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0,
	       'M', 'T', 'r', 'k', 0, 0, 0, 29,
	       0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,
	       0x00, 0x90, 60, 100,
	       0x83, 0x60, 0x80, 60, 0,
	       0x00, 0x99, 36, 90,
	       0x85, 0x50, 0x99, 36, 0, /* 720 ticks later */
	       0x00, 0xFF, 0x2F, 0x00);
	free(i.b);
	midi_smf_writer_free(w);
}

static void test_format1_tracks(void **state)
{
	(void)state;
	midi_smf_writer *w = writer(1, 96, 1000000); /* 60 bpm: 96 ticks a second */
	put(w, 1000 * MS, midi_ump_m1_cc(0, 2, 7, 100));
	put(w, 1500 * MS, midi_ump_m1_program(1, 0, 5));
	put(w, 2000 * MS, midi_ump_m1_cc(0, 2, 7, 90));
	put(w, 2000 * MS, midi_ump_system(0, 0xF8, 0, 0));
	struct img i = finish(w);
	EXPECT(i, 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 4, 0, 96,
	       'M', 'T', 'r', 'k', 0, 0, 0, 11,
	       0x00, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40, 0x00, 0xFF, 0x2F, 0x00,
	       'M', 'T', 'r', 'k', 0, 0, 0, 33,
	       0x00, 0xFF, 0x03, 17, 'G', 'r', 'o', 'u', 'p', ' ', '1', ' ',
	       'C', 'h', 'a', 'n', 'n', 'e', 'l', ' ', '3',
	       0x60, 0xB2, 7, 100, 0x60, 0xB2, 7, 90, 0x00, 0xFF, 0x2F, 0x00,
	       'M', 'T', 'r', 'k', 0, 0, 0, 29,
	       0x00, 0xFF, 0x03, 17, 'G', 'r', 'o', 'u', 'p', ' ', '2', ' ',
	       'C', 'h', 'a', 'n', 'n', 'e', 'l', ' ', '1',
	       0x81, 0x10, 0xC0, 5, 0x00, 0xFF, 0x2F, 0x00,
	       'M', 'T', 'r', 'k', 0, 0, 0, 27,
	       0x00, 0xFF, 0x03, 14, 'G', 'r', 'o', 'u', 'p', ' ', '1', ' ',
	       'S', 'y', 's', 't', 'e', 'm',
	       0x81, 0x40, 0xF7, 0x01, 0xF8, 0x00, 0xFF, 0x2F, 0x00);
	free(i.b);
	midi_smf_writer_free(w);
}

/* Read an image back: "tick:hex bytes" per event, in a string. */
struct dump {
	char s[200000];
	size_t n;
};

static int dump_cb(void *ctx, const midi_smf_event *ev)
{
	struct dump *d = ctx;
	d->n += (size_t)snprintf(d->s + d->n, sizeof d->s - d->n, "%llu:",
				 (unsigned long long)ev->tick);
	for (unsigned k = 0; k < ev->len && d->n + 4 < sizeof d->s; k++)
		d->n += (size_t)snprintf(d->s + d->n, sizeof d->s - d->n, "%02X", ev->data[k]);
	d->n += (size_t)snprintf(d->s + d->n, sizeof d->s - d->n, " ");
	return 0;
}

static void read_back(struct img i, unsigned flags, struct dump *d)
{
	midi_error e = {0};
	d->n = 0;
	d->s[0] = 0;
	assert_int_equal(midi_smf_parse_flags(i.b, i.n, flags, dump_cb, d, &e), 0);
}

static void test_midi2_translated(void **state)
{
	(void)state;
	midi_smf_writer *w = writer(0, 480, 500000);
	put(w, 0, midi_ump_m2_note_on(0, 0, 60, 0x8000, 0, 0));
	put(w, 0, midi_ump_m2_controller(0, 0, 0x2, 0, 7, 0x80000000u)); /* RPN 0/7 */
	put(w, 0, midi_ump_m2_program(0, 0, 5, 1, 1, 2));
	put(w, 0, midi_ump_m2_pn_pitch_bend(0, 0, 60, 0)); /* no MIDI 1.0 form */
	put(w, 0, midi_ump_make(0x00000000, 0, 0, 0));      /* NOOP: ignored */
	assert_int_equal(midi_smf_writer_dropped(w), 1);
	struct img i = finish(w);
	static struct dump d;
	read_back(i, 0, &d);
	assert_string_equal(d.s, "0:903C40 0:B06500 0:B06407 0:B00640 0:B02600 "
				 "0:B00001 0:B02002 0:C005 ");
	free(i.b);
	midi_smf_writer_free(w);
}

static void test_sysex(void **state)
{
	(void)state;
	midi_smf_writer *w = writer(0, 480, 500000);
	/* a 1000-byte SysEx in packets from 10 ms on, a note in between:
	 * the SysEx is one event at the time of its first packet */
	uint8_t data[1000];
	for (int k = 0; k < 1000; k++)
		data[k] = (uint8_t)(k & 0x7F);
	midi_ump pk[200];
	int n = midi_sysex7_packets(0, data, sizeof data, pk, 200);
	assert_int_equal(n, 167);
	for (int k = 0; k < n; k++) {
		put(w, 10 * MS + (uint64_t)k * MS, pk[k]);
		if (k == 0)
			put(w, 11 * MS, midi_ump_m1_note_on(0, 0, 60, 1));
	}
	put(w, 500 * MS, midi_ump_sysex7(0, 0, (const uint8_t[]){0x7E, 0x7F, 0x06, 0x01}, 4));
	struct img i = finish(w);
	/* header 14, MTrk 8, tempo 7, note 4 (delta 11: 10.56 ticks), F0
	 * event: delta 0 (its tick 10 is before the note: never back), F0,
	 * length 1001 (2 bytes), 1001 bytes */
	size_t at = 14 + 8 + 7;
	assert_memory_equal(i.b + at, ((const uint8_t[]){0x0B, 0x90, 60, 1, 0x00, 0xF0, 0x87, 0x69}), 8);
	assert_memory_equal(i.b + at + 8, data, 1000);
	assert_int_equal(i.b[at + 8 + 1000], 0xF7);
	static struct dump d;
	read_back(i, 0, &d);
	assert_int_equal(strncmp(d.s, "11:903C01 11:F000010203", 23), 0);
	assert_non_null(strstr(d.s, "656667F7 480:F07E7F0601F7 "));
	free(i.b);
	midi_smf_writer_free(w);
}

static void test_tempo_changes(void **state)
{
	(void)state;
	midi_smf_writer *w = writer(1, 480, 500000);
	/* Set Tempo at 0 replaces the starting tempo; then 60 bpm from 1 s */
	put(w, 0, midi_ump_flex_tempo(0, 25000000)); /* 250 ms: 240 bpm */
	put(w, 250 * MS, midi_ump_m1_note_on(0, 0, 60, 100)); /* 480 */
	put(w, 1000 * MS, midi_ump_flex_tempo(0, 100000000)); /* at 1920 */
	put(w, 1500 * MS, midi_ump_m1_note_off(0, 0, 60, 0)); /* 1920 + 240 */
	put(w, 1500 * MS, midi_ump_flex_tempo(0, 5000)); /* another kind of flex: */
	put(w, 1500 * MS, midi_ump_make(0xD0100001u, 0, 0, 0)); /* dropped */
	assert_int_equal(midi_smf_writer_dropped(w), 1);
	struct img i = finish(w);
	static struct dump d;
	read_back(i, MIDI_SMF_TEMPO, &d);
	assert_string_equal(d.s, "0:FF510303D090 480:903C64 1920:FF51030F4240 "
				 "2160:FF5103000032 2160:803C00 ");
	free(i.b);
	midi_smf_writer_free(w);
}

static void test_origin(void **state)
{
	(void)state;
	midi_error e = {0};
	midi_smf_wopts o = {.format = 0, .division = 1000, .tempo_us = 1000000, .from_first = 1};
	midi_smf_writer *w = midi_smf_writer_new(&o, &e);
	put(w, 5000 * MS, midi_ump_m1_note_on(0, 0, 60, 1));
	put(w, 5002 * MS, midi_ump_m1_note_on(0, 0, 61, 1));
	put(w, 4000 * MS, midi_ump_m1_note_on(0, 0, 62, 1)); /* earlier: never back */
	struct img i = finish(w);
	static struct dump d;
	read_back(i, 0, &d);
	assert_string_equal(d.s, "0:903C01 2:903D01 2:903E01 ");
	free(i.b);
	midi_smf_writer_free(w);
	o = (midi_smf_wopts){.format = 0, .division = 1000, .tempo_us = 1000000, .origin_ns = 4000 * MS};
	w = midi_smf_writer_new(&o, &e);
	put(w, 5000 * MS, midi_ump_m1_note_on(0, 0, 60, 1));
	i = finish(w);
	read_back(i, 0, &d);
	assert_string_equal(d.s, "1000:903C01 ");
	free(i.b);
	midi_smf_writer_free(w);
}

static void test_long_gap(void **state)
{
	(void)state;
	midi_error e = {0};
	midi_smf_writer *w = writer(0, 960, 500000);
	uint8_t on[] = {0x90, 60, 1};
	uint64_t far = 0x0FFFFFFFull * 2 + 5;
	assert_int_equal(midi_smf_writer_event(w, far, 0, on, 3, &e), 0);
	struct img i = finish(w);
	static struct dump d;
	read_back(i, 0, &d);
	char want[64];
	snprintf(want, sizeof want, "%llu:903C01 ", (unsigned long long)far);
	assert_string_equal(d.s, want);
	free(i.b);
	midi_smf_writer_free(w);
}

static void test_event_api(void **state)
{
	(void)state;
	midi_error e = {0};
	midi_smf_writer *w = writer(1, 480, 500000);
	const uint8_t sx[] = {0xF0, 0x01, 0xF7}, spp[] = {0xF2, 0x10, 0x20};
	assert_int_equal(midi_smf_writer_event(w, 10, 2, (const uint8_t[]){0xC1, 3}, 2, &e), 0);
	assert_int_equal(midi_smf_writer_event(w, 20, 2, sx, 3, &e), 0);
	assert_int_equal(midi_smf_writer_event(w, 30, 2, spp, 3, &e), 0);
	assert_int_equal(midi_smf_writer_event(w, 29, 2, spp, 3, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "before the track's last event"));
	assert_int_equal(midi_smf_writer_event(w, 40, 2, (const uint8_t[]){0x90, 1}, 2, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "wrong length"));
	assert_int_equal(midi_smf_writer_event(w, 40, 2, (const uint8_t[]){0xF0, 1}, 2, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "F7"));
	assert_int_equal(midi_smf_writer_event(w, 40, 2, (const uint8_t[]){0x90, 0x80, 1}, 3, &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_smf_writer_event(w, 40, 2, (const uint8_t[]){0xF4}, 1, &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_smf_writer_event(w, 40, 2, (const uint8_t[]){0xF7}, 1, &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_smf_writer_event(w, 40, 256, sx, 3, &e), -MIDI_ERR_INPUT);
	struct img i = finish(w);
	/* tempo track, an empty track 1, track 2 */
	assert_int_equal(i.b[11], 3);
	static struct dump d;
	read_back(i, 0, &d);
	assert_string_equal(d.s, "10:C103 20:F001F7 30:F21020 ");
	free(i.b);
	midi_smf_writer_free(w);
	w = writer(0, 480, 500000);
	assert_int_equal(midi_smf_writer_event(w, 0, 1, sx, 3, &e), -MIDI_ERR_INPUT);
	midi_smf_writer_free(w);
}

static void test_bad_options(void **state)
{
	(void)state;
	midi_error e = {0};
	midi_smf_wopts o = {.format = 2};
	assert_null(midi_smf_writer_new(&o, &e));
	assert_non_null(strstr(e.msg, "format 2"));
	o = (midi_smf_wopts){.division = 0x8000};
	assert_null(midi_smf_writer_new(&o, &e));
	assert_non_null(strstr(e.msg, "division"));
	o = (midi_smf_wopts){.tempo_us = 0x1000000};
	assert_null(midi_smf_writer_new(&o, &e));
	assert_non_null(strstr(e.msg, "tempo"));
	midi_smf_writer *w = midi_smf_writer_new(NULL, &e); /* defaults: format 1, 960 */
	assert_non_null(w);
	struct img i = finish(w);
	EXPECT(i, 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 1, 0x03, 0xC0,
	       'M', 'T', 'r', 'k', 0, 0, 0, 11,
	       0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, 0x00, 0xFF, 0x2F, 0x00);
	free(i.b);
	midi_smf_writer_free(w);
}

/* The reader passes tempo on with MIDI_SMF_TEMPO, as Flex Data from
 * midi_smf_to_ump_flags; a file written from those packets has the same
 * events at the same ticks. */
static void test_round_trip_tempo(void **state)
{
	(void)state;
	midi_smf_writer *w = writer(1, 192, 600000);
	midi_error e = {0};
	const uint8_t t1[] = {0x90, 60, 100}, t2[] = {0x80, 60, 0}, rt[] = {0xFA};
	assert_int_equal(midi_smf_writer_event(w, 0, 1, t1, 3, &e), 0);
	assert_int_equal(midi_smf_writer_event(w, 100, 1, t2, 3, &e), 0);
	assert_int_equal(midi_smf_writer_event(w, 300, 2, rt, 1, &e), 0);
	struct img a = finish(w);
	midi_smf_writer_free(w);
	midi_packet *pk;
	size_t n;
	assert_int_equal(midi_smf_to_ump_flags(a.b, a.n, 0, MIDI_SMF_TEMPO, &pk, &n, &e), 0);
	assert_int_equal(n, 4);
	assert_int_equal(pk[0].ump.w[0], 0xD0100000u);
	assert_int_equal(pk[0].ump.w[1], 60000000u);
	assert_int_equal(pk[3].ump.w[0], 0x10FA0000u);
	w = writer(0, 192, 500000);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(midi_smf_writer_put(w, &pk[k], &e), 0);
	free(pk);
	struct img b = finish(w);
	midi_smf_writer_free(w);
	static struct dump da, db;
	read_back(a, MIDI_SMF_TEMPO, &da);
	read_back(b, MIDI_SMF_TEMPO, &db);
	assert_string_equal(da.s, "0:FF51030927C0 0:903C64 100:803C00 300:FA ");
	assert_string_equal(db.s, da.s);
	/* without the flag, as before */
	assert_int_equal(midi_smf_to_ump(a.b, a.n, 0, &pk, &n, &e), 0);
	assert_int_equal(n, 3);
	free(pk);
	free(a.b);
	free(b.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format0_notes),
		cmocka_unit_test(test_format1_tracks),
		cmocka_unit_test(test_midi2_translated),
		cmocka_unit_test(test_sysex),
		cmocka_unit_test(test_tempo_changes),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_long_gap),
		cmocka_unit_test(test_event_api),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_round_trip_tempo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
