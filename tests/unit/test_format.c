/* test_format.c: the input/output formats (midi/format.h): text lines for
 * every message kind read back to the same packets, ump/hex/bin readers
 * and printers, JSON validity, every error path with its line and column,
 * input split at every byte, overlong lines, timing. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/format.h"
#include "midi/msg.h"

typedef struct pkts {
	midi_packet p[4096];
	size_t n;
	int stop_at; /* return 7 from the callback at this packet (1-based), 0 never */
} pkts;

static int collect(void *ctx, const midi_packet *p)
{
	pkts *c = ctx;
	if (c->n < 4096)
		c->p[c->n++] = *p;
	return c->stop_at && (int)c->n == c->stop_at ? 7 : 0;
}

/* Read s (in pieces of `step` bytes, 0 = whole) in format f. */
static int read_str(midi_format f, const char *s, size_t len, size_t step, pkts *out, midi_error *e)
{
	midi_reader *r = midi_reader_new(f, 0, e);
	assert_non_null(r);
	int rc = 0;
	out->n = 0;
	out->stop_at = 0;
	if (step == 0)
		step = len ? len : 1;
	for (size_t i = 0; i < len && rc == 0; i += step)
		rc = midi_reader_feed(r, s + i, len - i < step ? len - i : step, collect, out, e);
	if (rc == 0)
		rc = midi_reader_end(r, collect, out, e);
	midi_reader_free(r);
	return rc;
}

static int read_text(midi_format f, const char *s, pkts *out, midi_error *e)
{
	return read_str(f, s, strlen(s), 0, out, e);
}

/* Print packets in format f into a malloc'd string. */
static char *print_all(midi_format f, unsigned flags, const midi_packet *p, size_t n, size_t *len)
{
	char *buf = NULL;
	size_t sz = 0;
	FILE *out = open_memstream(&buf, &sz);
	midi_error e;
	midi_printer *pr = midi_printer_new(f, flags, 0, &e);
	assert_non_null(pr);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(midi_printer_put(pr, &p[i], out), 0);
	assert_int_equal(midi_printer_end(pr, out), 0);
	midi_printer_free(pr);
	fclose(out);
	if (len)
		*len = sz;
	return buf;
}

static void assert_same_packets(const pkts *a, const pkts *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_memory_equal(a->p[i].ump.w, b->p[i].ump.w, sizeof a->p[i].ump.w);
		assert_int_equal(a->p[i].time_ns, b->p[i].time_ns);
	}
}

static void test_names(void **state)
{
	midi_format f;
	midi_error e;
	assert_int_equal(midi_format_parse_name("TEXT", &f, &e), 0);
	assert_int_equal(f, MIDI_FMT_TEXT);
	assert_int_equal(midi_format_parse_name("smf", &f, &e), 0);
	assert_int_equal(f, MIDI_FMT_SMF);
	assert_int_equal(midi_format_parse_name("xml", &f, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "\"xml\""));
	assert_string_equal(midi_format_name(MIDI_FMT_JSON), "json");
	assert_null(midi_reader_new(MIDI_FMT_JSON, 0, &e));
	/* smf is printed too: a whole file at the end */
	midi_printer *pr = midi_printer_new(MIDI_FMT_SMF, 0, 0, &e);
	assert_non_null(pr);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	midi_packet p = {.time_ns = 500000000, .ump = midi_ump_make(0x20903C64, 0, 0, 0)};
	assert_int_equal(midi_printer_put(pr, &p, out), 0);
	assert_int_equal(midi_printer_end(pr, out), 0);
	fclose(out);
	/* format 1: header, tempo track, the channel's named track; 960 ticks at 120 bpm */
	assert_int_equal(len, 14 + (8 + 11) + (8 + 21 + 5 + 4));
	assert_memory_equal(buf + len - 9, "\x87\x40\x90\x3C\x64\x00\xFF\x2F\x00", 9);
	assert_int_equal(midi_printer_dropped(pr), 0);
	free(buf);
	midi_printer_free(pr);
	midi_smf_wopts o = {.format = 3};
	assert_null(midi_printer_new_smf(&o, 0, 0, &e));
	assert_non_null(strstr(e.msg, "format 3"));
}

/* Every line is the printer's own form: read it, print it, get the same line. */
static const char *const text_lines[] = {
	"grp 1 ch 1 on C3 100",
	"grp 16 ch 16 off G8 0",
	"grp 1 ch 1 off C-2 127",
	"grp 2 ch 3 pp C#4 5",
	"grp 1 ch 1 cc 7 127",
	"grp 1 ch 1 pc 0",
	"grp 1 ch 10 cp 64",
	"grp 1 ch 1 pb 8192",
	"grp 1 ch 1 m2 on C3 32768",
	"grp 1 ch 1 m2 on D3 65535 attr 3 4660",
	"grp 1 ch 1 m2 off D3 0 attr 0 1",
	"grp 1 ch 1 m2 off D3 1",
	"grp 1 ch 1 m2 pp C3 4294967295",
	"grp 1 ch 1 m2 cc 74 2147483648",
	"grp 1 ch 1 m2 pc 5",
	"grp 1 ch 1 m2 pc 5 bank 1 2",
	"grp 1 ch 1 m2 cp 0",
	"grp 1 ch 1 m2 pb 2147483648",
	"grp 1 ch 1 m2 rpn 0 536870912",
	"grp 1 ch 1 m2 nrpn 16383 1",
	"grp 1 ch 1 m2 rrpn 5 -5",
	"grp 1 ch 1 m2 rnrpn 128 2147483647",
	"grp 1 ch 1 m2 pnrc C3 1 2",
	"grp 1 ch 1 m2 pnac C3 255 3",
	"grp 1 ch 1 m2 pnpb A4 2147483648",
	"grp 1 ch 1 m2 pnm C3",
	"grp 1 ch 1 m2 pnm C3 detach",
	"grp 1 ch 1 m2 pnm C3 reset",
	"grp 1 ch 1 m2 pnm C3 detach reset",
	"grp 1 clock",
	"grp 2 start",
	"grp 3 stop",
	"grp 4 continue",
	"grp 5 sense",
	"grp 6 reset",
	"grp 7 tune",
	"grp 8 mtc 53",
	"grp 9 spp 16383",
	"grp 10 songsel 127",
	"grp 1 syx",
	"grp 1 syx 7E 7F 06 01",
	"grp 3 syx 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12",
	"grp 1 syx8 0",
	"grp 1 syx8 255 F0 F7 00 80 FF 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D",
	"ump 00000000  # NOOP",
	"ump 00201234  # JR Timestamp 4660",
	"ump 10F40000  # System group 1 undefined status 0xF4 [10F40000]",
	"ump 20903CE4  # Note On group 1 channel 1 note 60 (C3) velocity 100",
	"ump 40C00000 00000102  # MIDI 2.0 Program Change group 1 channel 1 program 0",
	"ump 30160102 03040506  # SysEx7 start group 1, 6 bytes: 01 02 03 04 05 06",
	"ump 60000000  # Reserved message type 0x6 [60000000]",
	"ump D0100000 02FAF080 00000000 00000000  # Set Tempo group 1 50000000 x 10 ns per quarter note (120.00 bpm)",
	"ump F0000101 0000001F 00000000 00000000  # Endpoint Discovery UMP 1.1 filter 0x1F",
};

static void test_text_every_kind(void **state)
{
	for (size_t i = 0; i < sizeof text_lines / sizeof text_lines[0]; i++) {
		pkts a, b;
		midi_error e;
		size_t len;
		int rc = read_text(MIDI_FMT_TEXT, text_lines[i], &a, &e);
		if (rc)
			fail_msg("%s: %s", text_lines[i], e.msg);
		assert_true(a.n >= 1);
		char *out = print_all(MIDI_FMT_TEXT, 0, a.p, a.n, &len);
		char want[512];
		snprintf(want, sizeof want, "%s\n", text_lines[i]);
		assert_string_equal(out, want);
		assert_int_equal(read_text(MIDI_FMT_TEXT, out, &b, &e), 0);
		assert_same_packets(&a, &b);
		free(out);
	}
}

static void test_text_values(void **state)
{
	pkts a;
	midi_error e;
	assert_int_equal(read_text(MIDI_FMT_TEXT,
				   "on 60 100 ON c3 0x64 Off Db3 group 3 channel 2 on C#3 1\n"
				   "m2 on C3 0x8000 m1 off C3\n"
				   "rpn 0x0001 8192 nrpn 129 16383 pb 0\n"
				   "m2 pc 1 bank 0 0 ump 20903C64 grp 2 syx\n",
				   &a, &e), 0);
	uint32_t want[] = {0x20903C64, 0x20903C64, 0x20803D00, 0x22913D01, 0x42913C00, 0x22813C00,
			   0x22B10000 | 101 << 8 | 0, 0x22B10000 | 100 << 8 | 1, 0x22B10000 | 6 << 8 | 64,
			   0x22B10000 | 38 << 8 | 0,
			   0x22B10000 | 99 << 8 | 1, 0x22B10000 | 98 << 8 | 1, 0x22B10000 | 6 << 8 | 127,
			   0x22B10000 | 38 << 8 | 127, 0x22E10000, 0x42C10001, 0x20903C64, 0x31000000};
	assert_int_equal(a.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < a.n; i++)
		assert_int_equal(a.p[i].ump.w[0], want[i]);
	assert_int_equal(a.p[4].ump.w[1], 0x80000000u);
	assert_int_equal(a.p[15].ump.w[1], 0x01000000u);
}

static void test_text_free_form(void **state)
{
	pkts a, b;
	midi_error e;
	/* arguments continue on the next line; EOL ends a message with all it needs */
	assert_int_equal(read_text(MIDI_FMT_TEXT, "on\n60 # note\n\n100\noff 60\non 61 1", &a, &e), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.p[0].ump.w[0], 0x20903C64);
	assert_int_equal(a.p[1].ump.w[0], 0x20803C00);
	assert_int_equal(a.p[2].ump.w[0], 0x20903D01);
	/* syx data ends at end of line; "#" starts a comment only at a token start */
	assert_int_equal(read_text(MIDI_FMT_TEXT, "syx 01 02 # 03\n04 05 on C#3 1", &b, &e), -MIDI_ERR_INPUT);
	assert_string_equal(e.msg, "line 2, column 1: unknown verb \"04\"");
	/* ...or at the next verb or time token: syx then a control change,
	 * clocks and a delay; after syx8 "cc" is the byte CC */
	assert_int_equal(read_text(MIDI_FMT_TEXT,
				   "syx 7E 7F 06 01 clock +10ms clock syx 01 CC 7 100 syx8 0 cc 01 on 60 1",
				   &b, &e), 0);
	assert_int_equal(b.n, 7);
	assert_int_equal(b.p[0].ump.w[0], 0x30047E7F);
	assert_int_equal(b.p[0].ump.w[1], 0x06010000);
	assert_int_equal(b.p[1].ump.w[0], 0x10F80000);
	assert_int_equal(b.p[2].ump.w[0], 0x10F80000);
	assert_int_equal(b.p[2].time_ns, 10000000);
	assert_int_equal(b.p[3].ump.w[0], 0x30010100);
	assert_int_equal(b.p[4].ump.w[0], 0x20B00764);
	assert_int_equal(b.p[5].ump.w[0], 0x500300CC);
	assert_int_equal(b.p[5].ump.w[1], 0x01000000);
	assert_int_equal(b.p[6].ump.w[0], 0x20903C01);
	assert_int_equal(read_text(MIDI_FMT_TEXT, "  # only a comment\n\r\n", &a, &e), 0);
	assert_int_equal(a.n, 0);
	/* CRLF lines */
	assert_int_equal(read_text(MIDI_FMT_TEXT, "on 60 100\r\nsyx 01\r\n", &a, &e), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.p[1].ump.w[0], 0x30010100);
	/* pnm reset flag versus the System Reset verb */
	assert_int_equal(read_text(MIDI_FMT_TEXT, "pnm 60 reset\nreset", &a, &e), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.p[0].ump.w[0], 0x40F03C01);
	assert_int_equal(a.p[1].ump.w[0], 0x10FF0000);
}

static void test_text_timing(void **state)
{
	pkts a, b;
	midi_error e;
	size_t len;
	assert_int_equal(read_text(MIDI_FMT_TEXT,
				   "on 60 1 +10 on 60 2 +1.5ms on 60 3 @2 clock +250us @2.5s clock +7ns\n"
				   "@3000ms stop +1s start",
				   &a, &e), 0);
	uint64_t want[] = {0, 10000000, 11500000, 2000000000, 2500000000, 3000000000, 4000000000};
	assert_int_equal(a.n, 7);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(a.p[i].time_ns, want[i]);
	/* printed with times, read back to the same times (microseconds) */
	char *out = print_all(MIDI_FMT_TEXT, MIDI_PRINT_TIME, a.p, a.n, &len);
	assert_non_null(strstr(out, "@0.011500s grp 1 ch 1 on C3 3\n"));
	assert_int_equal(read_text(MIDI_FMT_TEXT, out, &b, &e), 0);
	assert_same_packets(&a, &b);
	free(out);
	/* the ump and hex readers take timing tokens too */
	assert_int_equal(read_text(MIDI_FMT_UMP, "@1 20903C64 +5 10F80000", &a, &e), 0);
	assert_int_equal(a.p[0].time_ns, 1000000000);
	assert_int_equal(a.p[1].time_ns, 1005000000);
	assert_int_equal(read_text(MIDI_FMT_HEX, "+1s 90 3C 64", &a, &e), 0);
	assert_int_equal(a.p[0].time_ns, 1000000000);
}

struct errcase {
	midi_format f;
	const char *in;
	const char *msg;
	size_t delivered; /* packets delivered before the error */
};

static const struct errcase errors[] = {
	{MIDI_FMT_TEXT, "on 60 100\n  onn 60", "line 2, column 3: unknown verb \"onn\"", 1},
	{MIDI_FMT_TEXT, "on 300 1", "line 1, column 4: note 300 out of range 0-127", 0},
	{MIDI_FMT_TEXT, "on 60 300", "line 1, column 7: velocity 300 out of range 0-127", 0},
	{MIDI_FMT_TEXT, "m2 on 60 65536", "line 1, column 10: velocity 65536 out of range 0-65535", 0},
	{MIDI_FMT_TEXT, "cc 7 1x2", "line 1, column 6: bad number \"1x2\" for value 0-127", 0},
	{MIDI_FMT_TEXT, "on 60 off", "line 1, column 7: expected velocity 0-127 after \"on\", got \"off\"", 0},
	{MIDI_FMT_TEXT, "clock\non 60", "line 2, column 1: \"on\" is missing its velocity at end of input", 1},
	{MIDI_FMT_TEXT, "on H3 1", "line 1, column 4: expected note 0-127 after \"on\", got \"H3\"", 0},
	{MIDI_FMT_TEXT, "on G#8 1", "line 1, column 4: bad note \"G#8\" (names run from C-2 to G8: C3, F#4, Bb-1)", 0},
	{MIDI_FMT_TEXT, "pb 16384", "line 1, column 4: pitch bend 16384 out of range 0-16383", 0},
	{MIDI_FMT_TEXT, "grp 0", "line 1, column 5: group 0 out of range 1-16", 0},
	{MIDI_FMT_TEXT, "ch 17", "line 1, column 4: channel 17 out of range 1-16", 0},
	{MIDI_FMT_TEXT, "rpn 16384 0", "line 1, column 5: parameter 16384 out of range 0-16383", 0},
	{MIDI_FMT_TEXT, "m2 rrpn 1 -2147483649", "line 1, column 11: relative value -2147483649 out of range -2147483648-2147483647", 0},
	{MIDI_FMT_TEXT, "syx 7E F7", "line 1, column 8: SysEx byte F7 out of range 00-7F (leave out F0 and F7)", 0},
	{MIDI_FMT_TEXT, "syx 7E 7", "line 1, column 8: odd number of hex digits in \"7\"", 0},
	{MIDI_FMT_TEXT, "syx 7E zz", "line 1, column 8: bad SysEx byte \"zz\" (expected hex pairs 00-7F)", 0},
	{MIDI_FMT_TEXT, "ump 40903C00", "line 1, column 1: packet of MT 4 needs 2 words, got 1 at end of input", 0},
	{MIDI_FMT_TEXT, "ump 40903C00 on", "line 1, column 14: packet of MT 4 needs 2 words, got 1 before \"on\"", 0},
	{MIDI_FMT_TEXT, "ump 123456789", "line 1, column 5: bad word \"123456789\" (expected 1 to 8 hex digits)", 0},
	{MIDI_FMT_TEXT, "@2 clock @1 clock", "line 1, column 10: time \"@1\" goes backwards (already at 2.000000000s)", 1},
	{MIDI_FMT_TEXT, "+5x", "line 1, column 1: bad time \"+5x\": unknown unit (expected ns, us, ms or s)", 0},
	{MIDI_FMT_TEXT, "+ms", "line 1, column 1: bad time \"+ms\": a number must follow", 0},
	{MIDI_FMT_TEXT, "m2 clock", "line 1, column 4: m2 must be followed by a channel voice message, got \"clock\"", 0},
	{MIDI_FMT_TEXT, "m2", "line 1, column 1: m2 must be followed by a channel voice message, got end of input", 0},
	{MIDI_FMT_TEXT, "m1 pnpb 60 1", "line 1, column 4: \"pnpb\" is a MIDI 2.0 message (no m1 form)", 0},
	{MIDI_FMT_TEXT, "off 60 attr 1 2", "line 1, column 8: \"attr\" belongs to a MIDI 2.0 (m2) note on/off", 1},
	{MIDI_FMT_TEXT, "m2 on 60 1 attr 256 0", "line 1, column 17: attribute type 256 out of range 0-255", 0},
	{MIDI_FMT_TEXT, "m2 pc 1 bank 128 0", "line 1, column 14: bank MSB 128 out of range 0-127", 0},
	{MIDI_FMT_UMP, "20903C64\n40903C00\n", "line 2, column 1: packet of MT 4 needs 2 words, got 1 (a packet may not span lines)", 1},
	{MIDI_FMT_UMP, "20903C64 zz", "line 1, column 10: bad word \"zz\" (expected 1 to 8 hex digits)", 1},
	{MIDI_FMT_UMP, "@1 20903C64 @0 10F80000", "line 1, column 13: time \"@0\" goes backwards (already at 1.000000000s)", 1},
	{MIDI_FMT_HEX, "90 3C 64\n80 3C 4", "line 2, column 7: odd number of hex digits in \"4\"", 1},
	{MIDI_FMT_HEX, "90 3C 64 8g", "line 1, column 11: bad hex byte \"8g\" (expected pairs of hex digits)", 1},
	{MIDI_FMT_HEX, "90 3C 64\n 80 3C", "line 2, column 2: input ends inside the message that begins here", 1},
	{MIDI_FMT_HEX, "F0 01 02\n03", "line 1, column 1: input ends inside the message that begins here", 1},
	{MIDI_FMT_BIN, "\x90\x3C\x64\x80\x3C", "input ends inside the message that begins at byte offset 3", 1},
};

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		pkts a;
		midi_error e;
		memset(&e, 0, sizeof e);
		int rc = read_str(errors[i].f, errors[i].in, strlen(errors[i].in), 0, &a, &e);
		if (rc != -MIDI_ERR_INPUT || strcmp(e.msg, errors[i].msg) != 0)
			fail_msg("input \"%s\": rc %d, message \"%s\", expected \"%s\"", errors[i].in, rc,
				 e.msg, errors[i].msg);
		assert_int_equal(e.code, MIDI_ERR_INPUT);
		if (a.n != errors[i].delivered)
			fail_msg("input \"%s\": %zu packets delivered, expected %zu", errors[i].in, a.n,
				 errors[i].delivered);
	}
}

static void test_error_sticks_and_stop(void **state)
{
	pkts a = {.n = 0};
	midi_error e;
	midi_reader *r = midi_reader_new(MIDI_FMT_TEXT, 0, &e);
	assert_int_equal(midi_reader_feed(r, "clock onn\n", 10, collect, &a, &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_reader_feed(r, "clock\n", 6, collect, &a, &e), -MIDI_ERR_INPUT);
	assert_string_equal(e.msg, "line 1, column 7: unknown verb \"onn\"");
	assert_int_equal(midi_reader_end(r, collect, &a, &e), -MIDI_ERR_INPUT);
	assert_int_equal(a.n, 1);
	midi_reader_free(r);
	/* a callback's non-zero value stops the feed and comes back */
	a.n = 0;
	a.stop_at = 2;
	r = midi_reader_new(MIDI_FMT_TEXT, 0, &e);
	assert_int_equal(midi_reader_feed(r, "clock start stop\n", 17, collect, &a, &e), 7);
	assert_int_equal(a.n, 2);
	midi_reader_free(r);
}

static void test_overlong_line(void **state)
{
	size_t big = 1 << 20;
	char *s = malloc(big + 32);
	static const midi_format fmts[] = {MIDI_FMT_TEXT, MIDI_FMT_UMP, MIDI_FMT_HEX};
	static const char *const first[] = {"clock\n", "10F80000\n", "F8\n"};
	for (size_t f = 0; f < 3; f++) {
		pkts a;
		midi_error e;
		size_t k = strlen(first[f]);
		memcpy(s, first[f], k);
		memset(s + k, ' ', big);
		strcpy(s + k + big, "\n");
		int rc = read_str(fmts[f], s, strlen(s), 4096, &a, &e);
		assert_int_equal(rc, -MIDI_ERR_INPUT);
		assert_string_equal(e.msg, "line 2, column 65537: line longer than 65536 bytes");
		assert_int_equal(a.n, 1);
	}
	/* exactly 65536 bytes is fine */
	memset(s, ' ', 65536);
	strcpy(s + 65531, "clock\n");
	pkts a;
	midi_error e;
	assert_int_equal(read_str(MIDI_FMT_TEXT, s, strlen(s), 1000, &a, &e), 0);
	assert_int_equal(a.n, 1);
	free(s);
}

static const char *const split_docs[][2] = {
	{"text", "grp 2 ch 3 on C3 100 +10ms off C3\nm2 on 61 65535 attr 1 2\nsyx 7E 7F 06 01 02 03 04 05 06 07\n"
		 "@1.25 ump 40903C00 82080000 # c\nsyx8 1 FF 00\n m2 pnm 60 detach\n reset\n pc 3"},
	{"ump", "20903C64 0x40903c00 0x82080000 # x\n\n  10f80000,30010100\t00000000\n@0.5 F0000101 1F 0 0"},
	{"hex", "90 3C 64 3E 64 F0 01 02\n03 04 05 06 07 F7 B0 07,7F 0xC0 05 903C00 F8 # clock\n"},
};

static void test_split_everywhere(void **state)
{
	for (size_t d = 0; d < sizeof split_docs / sizeof split_docs[0]; d++) {
		midi_format f;
		midi_error e;
		pkts whole, part;
		assert_int_equal(midi_format_parse_name(split_docs[d][0], &f, &e), 0);
		const char *s = split_docs[d][1];
		size_t len = strlen(s);
		if (read_str(f, s, len, 0, &whole, &e))
			fail_msg("%s: %s", split_docs[d][0], e.msg);
		assert_true(whole.n > 3);
		for (size_t step = 1; step <= 3; step++) {
			assert_int_equal(read_str(f, s, len, step, &part, &e), 0);
			assert_same_packets(&whole, &part);
		}
		/* two pieces split at every byte */
		for (size_t cut = 0; cut <= len; cut++) {
			midi_reader *r = midi_reader_new(f, 0, &e);
			part.n = 0;
			assert_int_equal(midi_reader_feed(r, s, cut, collect, &part, &e), 0);
			assert_int_equal(midi_reader_feed(r, s + cut, len - cut, collect, &part, &e), 0);
			assert_int_equal(midi_reader_end(r, collect, &part, &e), 0);
			midi_reader_free(r);
			assert_same_packets(&whole, &part);
		}
	}
}

static void test_ump_format(void **state)
{
	pkts a, b;
	midi_error e;
	size_t len;
	assert_int_equal(read_text(MIDI_FMT_UMP, "20903c64 0X40903C00 82080000 # x\n3 4\n", &a, &e), 0);
	assert_int_equal(a.n, 4);
	assert_int_equal(a.p[1].ump.w[1], 0x82080000);
	assert_int_equal(a.p[2].ump.w[0], 3);
	a.n = 3;
	char *out = print_all(MIDI_FMT_UMP, 0, a.p, a.n, &len);
	assert_string_equal(out, "20903C64\n40903C00 82080000\n00000003\n");
	assert_int_equal(read_text(MIDI_FMT_UMP, out, &b, &e), 0);
	assert_same_packets(&a, &b);
	free(out);
	a.p[0].time_ns = 1500000;
	out = print_all(MIDI_FMT_UMP, MIDI_PRINT_TIME, a.p, 1, &len);
	assert_string_equal(out, "@0.001500s 20903C64\n");
	free(out);
}

/* midi_printer_put_many prints what as many midi_printer_put calls print,
 * in every format, with and without time, across its 8 KB buffer. */
static void test_put_many(void **state)
{
	enum { N = 1500 };
	static midi_packet p[N];
	for (size_t k = 0; k < N; k++) {
		uint32_t w0 = k % 3 == 0 ? 0x40903C00u | (uint32_t)(k & 0x7F) << 24 >> 24
			      : k % 3 == 1 ? 0x20903C40u : 0xF0030102u + (uint32_t)k;
		p[k].time_ns = 1000000ull * k;
		p[k].ump = midi_ump_make(w0, 0xC9240000u + (uint32_t)k, 0x11223344u, 0x55667788u);
	}
	const midi_format fs[] = {MIDI_FMT_UMP, MIDI_FMT_HEX, MIDI_FMT_TEXT, MIDI_FMT_JSON};
	for (size_t f = 0; f < sizeof fs / sizeof *fs; f++)
		for (unsigned flags = 0; flags <= MIDI_PRINT_TIME; flags += MIDI_PRINT_TIME) {
			char *a = NULL, *b = NULL;
			size_t na = 0, nb = 0;
			FILE *fa = open_memstream(&a, &na), *fb = open_memstream(&b, &nb);
			midi_printer *pa = midi_printer_new(fs[f], flags, 0, NULL);
			midi_printer *pb = midi_printer_new(fs[f], flags, 0, NULL);
			for (size_t k = 0; k < N; k++)
				assert_int_equal(midi_printer_put(pa, &p[k], fa), 0);
			assert_int_equal(midi_printer_put_many(pb, p, 7, fb), 0);
			assert_int_equal(midi_printer_put_many(pb, p + 7, N - 7, fb), 0);
			assert_int_equal(midi_printer_end(pa, fa), 0);
			assert_int_equal(midi_printer_end(pb, fb), 0);
			fclose(fa);
			fclose(fb);
			assert_true(na > 8192);
			assert_int_equal(na, nb);
			assert_memory_equal(a, b, na);
			midi_printer_free(pa);
			midi_printer_free(pb);
			free(a);
			free(b);
		}
}

static void test_hex_format(void **state)
{
	pkts a, b;
	midi_error e;
	size_t len;
	/* running status across lines, SysEx across lines, real time inside */
	assert_int_equal(read_text(MIDI_FMT_HEX, "90 3C 64\n3E 64 F0 7E\n F8 7F 06 01 F7 c0 05", &a, &e), 0);
	char *out = print_all(MIDI_FMT_HEX, 0, a.p, a.n, &len);
	assert_string_equal(out, "90 3C 64\n90 3E 64\nF8\nF0 7E 7F 06 01 F7\nC0 05\n");
	assert_int_equal(read_text(MIDI_FMT_HEX, out, &b, &e), 0);
	/* the re-read has the clock first: same packets otherwise */
	assert_int_equal(b.n, a.n);
	free(out);
	/* MT4 goes out as MIDI 1.0; packets with no byte form print nothing */
	assert_int_equal(read_text(MIDI_FMT_TEXT, "m2 on 60 65535\nm2 pc 5 bank 1 2\nump 00000000\n"
				   "syx 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E", &a, &e), 0);
	out = print_all(MIDI_FMT_HEX, 0, a.p, a.n, &len);
	assert_string_equal(out, "90 3C 7F\nB0 00 01\nB0 20 02\nC0 05\n"
				 "F0 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E F7\n");
	free(out);
	/* an unfinished SysEx is printed as far as it got */
	assert_int_equal(read_text(MIDI_FMT_UMP, "30160102 03040506", &a, &e), 0);
	out = print_all(MIDI_FMT_HEX, 0, a.p, a.n, &len);
	assert_string_equal(out, "F0 01 02 03 04 05 06\n");
	free(out);
}

static void test_bin_format(void **state)
{
	pkts a, b;
	midi_error e;
	size_t len;
	static const uint8_t raw[] = {0xF0, 0x43, 0x10, 0x4C, 0x00, 0x00, 0x7E, 0x00, 0xF7,
				      0x90, 0x3C, 0x64, 0x3C, 0x00, 0xF0, 0xF7};
	assert_int_equal(read_str(MIDI_FMT_BIN, (const char *)raw, sizeof raw, 1, &a, &e), 0);
	assert_int_equal(a.n, 5);
	char *out = print_all(MIDI_FMT_BIN, 0, a.p, a.n, &len);
	static const uint8_t back[] = {0xF0, 0x43, 0x10, 0x4C, 0x00, 0x00, 0x7E, 0x00, 0xF7,
				       0x90, 0x3C, 0x64, 0x90, 0x3C, 0x00, 0xF0, 0xF7};
	assert_int_equal(len, sizeof back);
	assert_memory_equal(out, back, sizeof back);
	assert_int_equal(read_str(MIDI_FMT_BIN, out, len, 0, &b, &e), 0);
	assert_same_packets(&a, &b);
	free(out);
}

/* ---- a small JSON validator (objects, arrays, strings, numbers, literals) ---- */
static const char *jv(const char *s);
static const char *jws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}
static const char *jstring(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s && *s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
						return NULL;
				s += 4;
			} else if (!strchr("\"\\/bfnrt", *s) || !*s) {
				return NULL;
			}
		}
		s++;
	}
	return *s == '"' ? s + 1 : NULL;
}
static const char *jv(const char *s)
{
	s = jws(s);
	if (*s == '{' || *s == '[') {
		char close = *s == '{' ? '}' : ']';
		int obj = *s == '{';
		s = jws(s + 1);
		if (*s == close)
			return s + 1;
		for (;;) {
			if (obj) {
				s = jstring(jws(s));
				if (!s)
					return NULL;
				s = jws(s);
				if (*s++ != ':')
					return NULL;
			}
			s = jv(s);
			if (!s)
				return NULL;
			s = jws(s);
			if (*s == ',') {
				s++;
				continue;
			}
			return *s == close ? s + 1 : NULL;
		}
	}
	if (*s == '"')
		return jstring(s);
	if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	const char *t = s;
	if (*s == '-')
		s++;
	while (*s >= '0' && *s <= '9')
		s++;
	return s > t ? s : NULL;
}

static void test_json(void **state)
{
	pkts a;
	midi_error e;
	size_t len;
	midi_ump nm[7];
	assert_int_equal(read_text(MIDI_FMT_TEXT, "grp 1 ch 1 on C3 100", &a, &e), 0);
	char *out = print_all(MIDI_FMT_JSON, 0, a.p, a.n, &len);
	assert_string_equal(out, "{\"time\":0,\"group\":1,\"channel\":1,\"type\":\"note_on\",\"protocol\":\"midi1\","
				 "\"note\":60,\"velocity\":100,\"words\":[\"20903C64\"],\"text\":\"grp 1 ch 1 on C3 100\","
				 "\"description\":\"Note On group 1 channel 1 note 60 (C3) velocity 100\"}\n");
	free(out);
	/* names with quotes, control characters and broken UTF-8 stay valid JSON */
	int n = midi_stream_name_build(MIDI_STREAM_EP_NAME, 0, "a\"b\\c\x01\xC3\xA9\xFF\xC3", nm, 7);
	assert_int_equal(n, 1);
	a.n = 0;
	a.p[a.n++] = (midi_packet){0, nm[0]};
	out = print_all(MIDI_FMT_JSON, 0, a.p, a.n, &len);
	assert_non_null(strstr(out, "\"name\":\"a\\\"b\\\\c\\u0001\xC3\xA9\\ufffd\\ufffd\""));
	free(out);
	/* stream messages are decoded */
	midi_stream_fb_info fb = {1, 1, 3, 0, 3, 0, 2, 0x11, 0};
	a.n = 0;
	a.p[a.n++] = (midi_packet){5000, midi_stream_fb_info_build(&fb)};
	out = print_all(MIDI_FMT_JSON, MIDI_PRINT_ABSTIME, a.p, a.n, &len);
	assert_non_null(strstr(out, "{\"time\":5000,\"type\":\"function_block_info\",\"status\":17,"
				    "\"function_block\":1,\"active\":true,\"direction\":3,\"midi1\":0,"
				    "\"ui_hint\":3,\"first_group\":1,\"groups\":2,"));
	free(out);
	/* random packets: every line is one valid JSON object */
	uint64_t seed = 88172645463325252ull;
	a.n = 0;
	for (int i = 0; i < 3000; i++) {
		midi_packet p = {0};
		for (int w = 0; w < 4; w++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			p.ump.w[w] = (uint32_t)seed;
		}
		p.ump = midi_ump_make(p.ump.w[0], p.ump.w[1], p.ump.w[2], p.ump.w[3]);
		p.time_ns = (uint64_t)i * 1000;
		a.p[a.n++] = p;
	}
	out = print_all(MIDI_FMT_JSON, 0, a.p, a.n, &len);
	size_t lines = 0;
	for (char *l = out; *l; lines++) {
		char *nl = strchr(l, '\n');
		assert_non_null(nl);
		*nl = 0;
		const char *end = jv(l);
		if (!end || *end)
			fail_msg("invalid JSON: %s", l);
		assert_non_null(strstr(l, "\"words\":["));
		l = nl + 1;
	}
	assert_int_equal(lines, a.n);
	free(out);
}

/* Random packets -> text -> read -> the same packets (SysEx kept aside:
 * it is held until complete, so its order may change); with SysEx, the
 * text form is a fixed point. */
static void test_text_random_roundtrip(void **state)
{
	static pkts a, b;
	midi_error e;
	uint64_t seed = 0x2545F4914F6CDD1Dull;
	for (int round = 0; round < 40; round++) {
		a.n = 0;
		for (int i = 0; i < 1000; i++) {
			midi_packet p = {0};
			for (int w = 0; w < 4; w++) {
				seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
				p.ump.w[w] = (uint32_t)seed;
			}
			unsigned mt = p.ump.w[0] >> 28;
			if (mt == 3 || mt == 5)
				p.ump.w[0] = (p.ump.w[0] & 0x0FFFFFFF) | 0x20000000; /* no SysEx here */
			if (i % 2 && (mt == 2 || mt == 4 || mt == 1)) {
				/* make half of them canonical so the verb forms get exercised */
				midi_msg m;
				midi_msg_decode(&p.ump, &m);
				if (midi_msg_encode(&m, &p.ump) < 0)
					p.ump = midi_ump_make(p.ump.w[0], p.ump.w[1], 0, 0);
			}
			p.ump = midi_ump_make(p.ump.w[0], p.ump.w[1], p.ump.w[2], p.ump.w[3]);
			p.time_ns = (uint64_t)i * 1000;
			a.p[a.n++] = p;
		}
		size_t len;
		char *out = print_all(MIDI_FMT_TEXT, MIDI_PRINT_TIME, a.p, a.n, &len);
		if (read_text(MIDI_FMT_TEXT, out, &b, &e))
			fail_msg("%s", e.msg);
		assert_same_packets(&a, &b);
		free(out);
	}
	/* SysEx of every length and chunking, valid or not: the same packets
	 * come back, in order within each group's SysEx7 and SysEx8 streams
	 * (held SysEx may move relative to other packets) */
	for (int round = 0; round < 40; round++) {
		a.n = 0;
		for (int i = 0; i < 300; i++) {
			midi_packet p = {0};
			for (int w = 0; w < 4; w++) {
				seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
				p.ump.w[w] = (uint32_t)seed;
			}
			p.ump.w[0] = (p.ump.w[0] & 0x0F3FFFFF) | (i % 3 ? 0x30000000 : 0x50000000);
			if (i % 5 == 0)
				p.ump.w[0] &= 0xF3FFFFFF; /* more canonical lengths and streams */
			if (i % 7 == 0)
				p.ump.w[0] = (p.ump.w[0] & 0xFF00FFFF) | 0x20000; /* shorter */
			p.ump = midi_ump_make(p.ump.w[0], p.ump.w[1], p.ump.w[2], p.ump.w[3]);
			a.p[a.n++] = p;
		}
		size_t l1;
		char *o1 = print_all(MIDI_FMT_TEXT, 0, a.p, a.n, &l1);
		assert_int_equal(read_text(MIDI_FMT_TEXT, o1, &b, &e), 0);
		assert_int_equal(b.n, a.n);
		for (unsigned cls = 0; cls < 32; cls++) {
			size_t i = 0, j = 0;
			for (;;) {
				while (i < a.n && ((a.p[i].ump.w[0] >> 28) == 5) * 16 + ((a.p[i].ump.w[0] >> 24) & 15) != cls)
					i++;
				while (j < b.n && ((b.p[j].ump.w[0] >> 28) == 5) * 16 + ((b.p[j].ump.w[0] >> 24) & 15) != cls)
					j++;
				assert_int_equal(i < a.n, j < b.n);
				if (i >= a.n)
					break;
				assert_memory_equal(a.p[i].ump.w, b.p[j].ump.w, sizeof a.p[i].ump.w);
				i++, j++;
			}
		}
		free(o1);
	}
}

/* The text reader's fast path (read_text_fast.c) against its state
 * machine: each MIDI 1.0 channel voice line the printer writes, and
 * variants out of range or cut short, read as it is and with its blanks
 * doubled (which only the state machine takes) give the same packets, the
 * same sticky group and channel, the same error. */
static void test_text_fast_path(void **state)
{
	static pkts a, b;
	static const char *const tails[] = {"", " 1", " x", " 128", " 16384"};
	midi_error e1, e2;
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 20000; i++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		uint32_t w = 0x20800000u | ((uint32_t)seed & 0x0F7F7F7F);
		w |= (uint32_t)(seed >> 32) % 7 << 20; /* opcodes 8-E */
		midi_packet p = {.time_ns = 0, .ump = midi_ump_make(w, 0, 0, 0)};
		char *line = print_all(MIDI_FMT_TEXT, 0, &p, 1, NULL);
		char in[160], slow[320];
		size_t n = strcspn(line, "\n");
		snprintf(in, sizeof in, "%.*s%s\non 60 1\n", (int)n, line, tails[(seed >> 40) % 5]);
		if (seed >> 60 == 0 && n > 4)
			in[n - 1 - (seed >> 44) % 3] = (seed >> 50) % 2 ? '9' : 'Z'; /* a digit or name broken */
		size_t k = 0;
		for (const char *c = in; *c; c++) {
			slow[k++] = *c;
			if (*c == ' ')
				slow[k++] = ' ';
		}
		slow[k] = 0;
		int r1 = read_text(MIDI_FMT_TEXT, in, &a, &e1);
		int r2 = read_text(MIDI_FMT_TEXT, slow, &b, &e2);
		assert_int_equal(r1, r2);
		if (r1)
			assert_int_equal(e1.line, e2.line);
		else
			assert_same_packets(&a, &b);
		free(line);
	}
}

static void test_text_sysex_hold(void **state)
{
	pkts a, b;
	midi_error e;
	size_t len;
	/* a SysEx split the canonical way prints as one syx line; other packets in between first */
	assert_int_equal(read_text(MIDI_FMT_UMP, "30160102 03040506\n10F80000\n30320708 00000000\n", &a, &e), 0);
	char *out = print_all(MIDI_FMT_TEXT, 0, a.p, a.n, &len);
	assert_string_equal(out, "grp 1 clock\ngrp 1 syx 01 02 03 04 05 06 07 08\n");
	free(out);
	/* split another way: packet by packet, so it reads back the same */
	assert_int_equal(read_text(MIDI_FMT_UMP, "30130102 03000000\n30330405 06000000\n", &a, &e), 0);
	out = print_all(MIDI_FMT_TEXT, 0, a.p, a.n, &len);
	assert_int_equal(read_text(MIDI_FMT_TEXT, out, &b, &e), 0);
	assert_same_packets(&a, &b);
	assert_non_null(strstr(out, "ump 30130102 03000000  # SysEx7 start"));
	free(out);
	/* a stray End and an unfinished Start print as they are */
	assert_int_equal(read_text(MIDI_FMT_UMP, "30310100 00000000\n30110200 00000000\n", &a, &e), 0);
	out = print_all(MIDI_FMT_TEXT, 0, a.p, a.n, &len);
	assert_int_equal(read_text(MIDI_FMT_TEXT, out, &b, &e), 0);
	assert_same_packets(&a, &b);
	free(out);
	/* a SysEx held while later packets print: its time never goes back */
	assert_int_equal(read_text(MIDI_FMT_UMP, "@1 30160102 03040506\n@2 10F80000\n@3 30320708 00000000\n",
				   &a, &e), 0);
	out = print_all(MIDI_FMT_TEXT, MIDI_PRINT_TIME, a.p, a.n, &len);
	assert_string_equal(out, "@2.000000s grp 1 clock\n@2.000000s grp 1 syx 01 02 03 04 05 06 07 08\n");
	assert_int_equal(read_text(MIDI_FMT_TEXT, out, &b, &e), 0);
	free(out);
	/* MIDI_PRINT_FROM_FIRST: times count from the first message printed */
	assert_int_equal(read_text(MIDI_FMT_UMP, "@1.5 10F80000\n@2.25 10FA0000\n", &a, &e), 0);
	out = print_all(MIDI_FMT_TEXT, MIDI_PRINT_TIME | MIDI_PRINT_FROM_FIRST, a.p, a.n, &len);
	assert_string_equal(out, "@0.000000s grp 1 clock\n@0.750000s grp 1 start\n");
	free(out);
	/* a long SysEx (over the one-line limit) still reads back the same */
	static uint8_t big[30000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i % 128);
	char *in = malloc(sizeof big * 3 + 16);
	size_t k = (size_t)sprintf(in, "syx");
	for (size_t i = 0; i < 20000; i++)
		k += (size_t)sprintf(in + k, " %02X", big[i]);
	strcpy(in + k, "\n");
	assert_int_equal(read_text(MIDI_FMT_TEXT, in, &a, &e), 0);
	assert_int_equal(a.n, 3334);
	out = print_all(MIDI_FMT_TEXT, 0, a.p, a.n, &len);
	assert_int_equal(read_text(MIDI_FMT_TEXT, out, &b, &e), 0);
	assert_same_packets(&a, &b);
	free(out);
	free(in);
}

static void test_smf_reader(void **state)
{
	/* format 0, 96 ticks per quarter, tempo 500000 us: note on, 96 ticks, note off */
	static const uint8_t smf[] = {
		'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
		'M', 'T', 'r', 'k', 0, 0, 0, 19,
		0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,
		0x00, 0x90, 0x3C, 0x64,
		0x60, 0x80, 0x3C, 0x00,
		0x00, 0xFF, 0x2F, 0x00,
	};
	pkts a;
	midi_error e;
	assert_int_equal(read_str(MIDI_FMT_SMF, (const char *)smf, sizeof smf, 1, &a, &e), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.p[0].ump.w[0], 0x20903C64);
	assert_int_equal(a.p[0].time_ns, 0);
	assert_int_equal(a.p[1].ump.w[0], 0x20803C00);
	assert_int_equal(a.p[1].time_ns, 500000000);
	assert_int_equal(read_str(MIDI_FMT_SMF, "garbage", 7, 0, &a, &e), -MIDI_ERR_INPUT);
	assert_int_equal(a.n, 0);
	assert_true(strlen(e.msg) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_text_every_kind),
		cmocka_unit_test(test_text_values),
		cmocka_unit_test(test_text_free_form),
		cmocka_unit_test(test_text_timing),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_sticks_and_stop),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_ump_format),
		cmocka_unit_test(test_put_many),
		cmocka_unit_test(test_hex_format),
		cmocka_unit_test(test_bin_format),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text_random_roundtrip),
		cmocka_unit_test(test_text_fast_path),
		cmocka_unit_test(test_text_sysex_hold),
		cmocka_unit_test(test_smf_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
