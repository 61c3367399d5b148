/* test_smf.c: the Standard MIDI File reader (midi_smf_parse,
 * midi_smf_to_ump) on small files built here byte by byte: running status,
 * tempo map, SMPTE division, merging of format 1 tracks (ties by track),
 * format 2 tracks played one after another, SysEx events (complete,
 * continued by F7 events, F7 escapes), unknown chunks, and every error
 * with the byte offset it names. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/smf.h"
#include "midi/translate.h"

/* ---- building files ---- */
struct file {
	uint8_t b[200000];
	size_t n;
	size_t chunk; /* offset of the open chunk's length field */
};

static void put(struct file *f, const uint8_t *b, size_t n)
{
	assert_true(f->n + n <= sizeof f->b);
	memcpy(f->b + f->n, b, n);
	f->n += n;
}
#define PUT(f, ...) put(f, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void put_vlq(struct file *f, uint32_t v)
{
	uint8_t t[5];
	int k = 0;
	t[k++] = v & 0x7F;
	while (v >>= 7)
		t[k++] = 0x80 | (v & 0x7F);
	while (k)
		put(f, &t[--k], 1);
}

static void header(struct file *f, unsigned format, unsigned ntrks, unsigned division)
{
	f->n = 0;
	PUT(f, 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, format, 0, ntrks, division >> 8, division & 0xFF);
}

static void begin(struct file *f, const char *id)
{
	put(f, (const uint8_t *)id, 4);
	f->chunk = f->n;
	PUT(f, 0, 0, 0, 0);
}

static void end_chunk(struct file *f)
{
	size_t len = f->n - f->chunk - 4;
	f->b[f->chunk] = len >> 24;
	f->b[f->chunk + 1] = len >> 16;
	f->b[f->chunk + 2] = len >> 8;
	f->b[f->chunk + 3] = len;
}

/* ---- collecting events ---- */
struct evs {
	struct {
		uint64_t ns, tick;
		unsigned track;
		char hex[400];
	} e[64];
	int n;
	int stop_at;
};

static int ev_cb(void *ctx, const midi_smf_event *ev)
{
	struct evs *v = ctx;
	assert_true(v->n < 64);
	v->e[v->n].ns = ev->time_ns;
	v->e[v->n].tick = ev->tick;
	v->e[v->n].track = ev->track;
	char *h = v->e[v->n].hex;
	h[0] = 0;
	for (unsigned i = 0; i < ev->len && i < 120; i++)
		sprintf(h + strlen(h), i ? " %02X" : "%02X", ev->data[i]);
	v->n++;
	return v->n == v->stop_at ? 9 : 0;
}

static struct file F;
static struct evs V;

static void parse_ok(void)
{
	midi_error e;
	memset(&V, 0, sizeof V);
	int rc = midi_smf_parse(F.b, F.n, ev_cb, &V, &e);
	if (rc)
		fail_msg("parse failed: %s", e.msg);
}

#define EV(i, tick_, ns_, track_, hex_)                                                            \
	do {                                                                                       \
		assert_int_equal(V.e[i].tick, tick_);                                              \
		assert_int_equal(V.e[i].ns, ns_);                                                  \
		assert_int_equal(V.e[i].track, track_);                                            \
		assert_string_equal(V.e[i].hex, hex_);                                             \
	} while (0)

static void test_format0_running_status(void **state)
{
	(void)state;
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x3C, 0x64);
	PUT(&F, 0x60, 0x3E, 0x70);             /* running status, tick 96 */
	PUT(&F, 0x00, 0xFF, 0x01, 0x02, 'h', 'i'); /* text meta: not emitted */
	PUT(&F, 0x30, 0x3C, 0x00);             /* running status survives the meta */
	PUT(&F, 0x00, 0xC1, 0x05, 0x00, 0x06); /* program change + running status */
	PUT(&F, 0x00, 0xFF, 0x2F, 0x00);
	end_chunk(&F);
	parse_ok();
	assert_int_equal(V.n, 5);
	EV(0, 0, 0, 0, "90 3C 64");
	EV(1, 96, 500000000, 0, "90 3E 70");
	EV(2, 144, 750000000, 0, "90 3C 00");
	EV(3, 144, 750000000, 0, "C1 05");
	EV(4, 144, 750000000, 0, "C1 06");
}

static void test_tempo_map(void **state)
{
	(void)state;
	header(&F, 1, 2, 480);
	begin(&F, "MTrk"); /* tempo track */
	PUT(&F, 0x00, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40); /* 1 s per quarter */
	put_vlq(&F, 960);
	PUT(&F, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20); /* 0.5 s at tick 960 */
	PUT(&F, 0x00, 0xFF, 0x2F, 0x00);
	end_chunk(&F);
	begin(&F, "MTrk");
	put_vlq(&F, 480);
	PUT(&F, 0x90, 0x3C, 0x64); /* tick 480: 1 s */
	put_vlq(&F, 480);
	PUT(&F, 0x80, 0x3C, 0x40); /* tick 960: 2 s (same tick as the change) */
	put_vlq(&F, 240);
	PUT(&F, 0x90, 0x3E, 0x64); /* tick 1200: 2 s + 0.25 s */
	PUT(&F, 0x00, 0xFF, 0x2F, 0x00);
	end_chunk(&F);
	parse_ok();
	assert_int_equal(V.n, 3);
	EV(0, 480, 1000000000ull, 1, "90 3C 64");
	EV(1, 960, 2000000000ull, 1, "80 3C 40");
	EV(2, 1200, 2250000000ull, 1, "90 3E 64");
}

static void test_smpte_division(void **state)
{
	(void)state;
	/* 25 fps, 40 ticks per frame: 1 ms per tick; tempo is ignored */
	header(&F, 0, 1, 0xE728);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40);
	PUT(&F, 0x0A, 0x90, 0x3C, 0x64);
	put_vlq(&F, 1000);
	PUT(&F, 0x80, 0x3C, 0x40);
	end_chunk(&F);
	parse_ok();
	assert_int_equal(V.n, 2);
	EV(0, 10, 10000000, 0, "90 3C 64");
	EV(1, 1010, 1010000000, 0, "80 3C 40");
	/* 29.97 fps drop frame, 100 ticks per frame: 30000 ticks = 10.01 s */
	header(&F, 0, 1, 0xE364);
	begin(&F, "MTrk");
	put_vlq(&F, 30000);
	PUT(&F, 0x90, 0x3C, 0x64);
	end_chunk(&F);
	parse_ok();
	EV(0, 30000, 10010000000ull, 0, "90 3C 64");
}

static void test_format1_merge_ties_by_track(void **state)
{
	(void)state;
	header(&F, 1, 3, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x10, 0x92, 0x01, 0x01, 0x00, 0x92, 0x02, 0x02);
	end_chunk(&F);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x91, 0x03, 0x03, 0x10, 0x91, 0x04, 0x04);
	end_chunk(&F);
	begin(&F, "MTrk");
	PUT(&F, 0x10, 0x90, 0x05, 0x05, 0x01, 0x90, 0x06, 0x06);
	end_chunk(&F);
	parse_ok();
	assert_int_equal(V.n, 6);
	EV(0, 0, 0, 1, "91 03 03");
	EV(1, 16, 83333333, 0, "92 01 01");
	EV(2, 16, 83333333, 0, "92 02 02");
	EV(3, 16, 83333333, 1, "91 04 04");
	EV(4, 16, 83333333, 2, "90 05 05");
	EV(5, 17, 88541666, 2, "90 06 06");
}

static void test_format2_sequential(void **state)
{
	(void)state;
	header(&F, 2, 2, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x01, 0x01, 0x60, 0xFF, 0x2F, 0x00); /* ends at 96 */
	end_chunk(&F);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x02, 0x02, 0x60, 0x90, 0x03, 0x03);
	end_chunk(&F);
	parse_ok();
	assert_int_equal(V.n, 3);
	EV(0, 0, 0, 0, "90 01 01");
	EV(1, 96, 500000000, 1, "90 02 02");
	EV(2, 192, 1000000000, 1, "90 03 03");
}

static void test_sysex_events(void **state)
{
	(void)state;
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7);  /* complete */
	PUT(&F, 0x00, 0xF0, 0x03, 0x43, 0x12, 0x00);              /* first packet */
	PUT(&F, 0x10, 0xF7, 0x04, 0x01, 0x02, 0x03, 0xF7);        /* continuation */
	PUT(&F, 0x00, 0xF7, 0x02, 0xF3, 0x01);                    /* escape: song select */
	PUT(&F, 0x00, 0xF7, 0x00);                                /* empty: nothing */
	PUT(&F, 0x00, 0xF0, 0x00);                                /* bare F0 */
	PUT(&F, 0x00, 0xF7, 0x01, 0xF7);
	end_chunk(&F);
	parse_ok();
	assert_int_equal(V.n, 6);
	EV(0, 0, 0, 0, "F0 7E 7F 09 01 F7");
	EV(1, 0, 0, 0, "F0 43 12 00");
	EV(2, 16, 83333333, 0, "01 02 03 F7");
	EV(3, 16, 83333333, 0, "F3 01");
	EV(4, 16, 83333333, 0, "F0");
	EV(5, 16, 83333333, 0, "F7");
}

static void test_sysex_cancels_running_status(void **state)
{
	(void)state;
	midi_error e;
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x3C, 0x64, 0x00, 0xF0, 0x01, 0xF7, 0x00, 0x3C, 0x00);
	end_chunk(&F);
	memset(&V, 0, sizeof V);
	assert_int_equal(midi_smf_parse(F.b, F.n, ev_cb, &V, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "no running status"));
	assert_non_null(strstr(e.msg, "offset 31"));
}

static void test_unknown_chunks_skipped(void **state)
{
	(void)state;
	header(&F, 0, 1, 96);
	begin(&F, "XFIH");
	PUT(&F, 0x90, 0x3C, 0x64, 0xFF);
	end_chunk(&F);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x3C, 0x64);
	end_chunk(&F);
	begin(&F, "junk");
	end_chunk(&F);
	parse_ok();
	assert_int_equal(V.n, 1);
	EV(0, 0, 0, 0, "90 3C 64");
}

static void test_long_mthd(void **state)
{
	(void)state;
	/* a longer MThd (future extensions) is accepted */
	F.n = 0;
	PUT(&F, 'M', 'T', 'h', 'd', 0, 0, 0, 8, 0, 0, 0, 1, 0, 96, 0xAA, 0xBB);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xC0, 0x01);
	end_chunk(&F);
	parse_ok();
	assert_int_equal(V.n, 1);
	EV(0, 0, 0, 0, "C0 01");
}

static void check_error(const char *want1, const char *want2)
{
	midi_error e;
	memset(&V, 0, sizeof V);
	int rc = midi_smf_parse(F.b, F.n, ev_cb, &V, &e);
	assert_int_equal(rc, -MIDI_ERR_INPUT);
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	if (!strstr(e.msg, want1) || (want2 && !strstr(e.msg, want2)))
		fail_msg("error \"%s\" should mention \"%s\" and \"%s\"", e.msg, want1,
			 want2 ? want2 : "");
	assert_int_equal(V.n, 0); /* nothing is delivered from a bad file */
	/* and the UMP conversion reports the same */
	midi_packet *pk = (midi_packet *)1;
	size_t count = 99;
	assert_int_equal(midi_smf_to_ump(F.b, F.n, 0, &pk, &count, &e), -MIDI_ERR_INPUT);
	assert_null(pk);
	assert_int_equal(count, 0);
}

static void test_errors(void **state)
{
	(void)state;
	/* missing MThd */
	F.n = 0;
	PUT(&F, 'R', 'I', 'F', 'F', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96);
	check_error("no MThd", "offset 0");
	F.n = 0;
	PUT(&F, 'M', 'T');
	check_error("no MThd", NULL);
	/* MThd too short / truncated */
	F.n = 0;
	PUT(&F, 'M', 'T', 'h', 'd', 0, 0, 0, 4, 0, 0, 0, 1);
	check_error("at least 6", NULL);
	F.n = 0;
	PUT(&F, 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0);
	check_error("truncated chunk 'MThd'", "offset 0");
	/* unsupported format, zero division */
	header(&F, 3, 1, 96);
	check_error("unsupported format 3", NULL);
	header(&F, 0, 1, 0);
	check_error("division", NULL);
	/* truncated track chunk */
	header(&F, 0, 1, 96);
	PUT(&F, 'M', 'T', 'r', 'k', 0, 0, 0, 10, 0x00, 0x90, 0x3C);
	check_error("truncated chunk 'MTrk'", "offset 14");
	/* truncated chunk header */
	header(&F, 0, 1, 96);
	PUT(&F, 'M', 'T', 'r');
	check_error("truncated chunk header", "offset 14");
	/* VLQ too long */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x81, 0x82, 0x83, 0x84, 0x05, 0x90, 0x3C, 0x64);
	end_chunk(&F);
	check_error("longer than 4 bytes", "offset 22");
	/* running status with none set */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x3C, 0x64);
	end_chunk(&F);
	check_error("no running status", "offset 23");
	/* message data past the end of the chunk */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x3C);
	end_chunk(&F);
	check_error("runs past the end", "offset 23");
	/* delta time with no event after it */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x3C, 0x64, 0x00);
	end_chunk(&F);
	check_error("runs past the end", "offset 27");
	/* VLQ cut by the end of the chunk */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x3C, 0x64, 0x81);
	end_chunk(&F);
	check_error("delta time", "offset 26");
	/* meta and SysEx data past the end */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xFF, 0x01, 0x05, 'a');
	end_chunk(&F);
	check_error("meta event", "offset 23");
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xF0, 0x05, 0x01);
	end_chunk(&F);
	check_error("SysEx event", "offset 23");
	/* a data byte where one is due */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x3C, 0x90);
	end_chunk(&F);
	check_error("data byte expected", "offset 25");
	/* status bytes a file may not hold */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xF8);
	end_chunk(&F);
	check_error("0xF8", "offset 23");
}

/* A file cut at a chunk boundary parses cleanly to its end: the header's
 * track count is what says tracks are missing, and nothing is delivered. */
static void test_missing_tracks(void **state)
{
	(void)state;
	/* 14 tracks declared, 3 present */
	header(&F, 1, 14, 96);
	for (int t = 0; t < 3; t++) {
		begin(&F, "MTrk");
		PUT(&F, 0x00, 0x90, 0x3C, 0x64, 0x00, 0xFF, 0x2F, 0x00);
		end_chunk(&F);
	}
	char want[80];
	snprintf(want, sizeof want, "file ends after 3 at byte offset %zu", F.n);
	check_error("declares 14 tracks", want);
	/* the header alone */
	header(&F, 0, 1, 96);
	check_error("declares 1 track, file ends after 0 at byte offset 14", NULL);
	/* 65535 tracks declared, none present (an unknown chunk does not count) */
	F.n = 0;
	PUT(&F, 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0xFF, 0xFF, 0, 96);
	begin(&F, "XFIH");
	PUT(&F, 1, 2, 3);
	end_chunk(&F);
	check_error("declares 65535 tracks, file ends after 0", "offset 25");
	/* more tracks than declared stay accepted (as other readers do) */
	header(&F, 0, 1, 96);
	for (int t = 0; t < 2; t++) {
		begin(&F, "MTrk");
		PUT(&F, 0x00, 0x90, 0x3C, 0x64);
		end_chunk(&F);
	}
	parse_ok();
	assert_int_equal(V.n, 2);
}

static void test_callback_stop(void **state)
{
	(void)state;
	midi_error e;
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0x90, 0x3C, 0x64, 0x00, 0x3D, 0x64, 0x00, 0x3E, 0x64);
	end_chunk(&F);
	memset(&V, 0, sizeof V);
	V.stop_at = 2;
	assert_int_equal(midi_smf_parse(F.b, F.n, ev_cb, &V, &e), 9);
	assert_int_equal(V.n, 2);
}

/* ---- to UMP ---- */

static void test_to_ump(void **state)
{
	(void)state;
	midi_error e;
	midi_packet *pk;
	size_t n;
	header(&F, 1, 2, 96);
	begin(&F, "MTrk");
	/* a SysEx split over an F0 event and F7 continuations ... */
	PUT(&F, 0x00, 0xF0, 0x04, 0x01, 0x02, 0x03, 0x04);
	PUT(&F, 0x60, 0xF7, 0x04, 0x05, 0x06, 0x07, 0x08);
	PUT(&F, 0x60, 0xF7, 0x01, 0xF7);
	end_chunk(&F);
	begin(&F, "MTrk");
	/* ... with another track's events in between */
	PUT(&F, 0x30, 0x95, 0x3C, 0x64, 0x60, 0x3C, 0x00);
	end_chunk(&F);
	assert_int_equal(midi_smf_to_ump(F.b, F.n, 3, &pk, &n, &e), 0);
	assert_int_equal(n, 4);
	assert_int_equal(pk[0].time_ns, 250000000);
	assert_int_equal(pk[0].ump.w[0], 0x23953C64);
	/* the first 6 SysEx bytes leave when the 7th arrives, at tick 96 */
	assert_int_equal(pk[1].time_ns, 500000000);
	assert_int_equal(pk[1].ump.w[0], 0x33160102);
	assert_int_equal(pk[1].ump.w[1], 0x03040506);
	assert_int_equal(pk[2].time_ns, 750000000);
	assert_int_equal(pk[2].ump.w[0], 0x23953C00);
	assert_int_equal(pk[3].time_ns, 1000000000);
	assert_int_equal(pk[3].ump.w[0], 0x33320708);
	assert_int_equal(pk[3].ump.w[1], 0);
	free(pk);
}

static void test_to_ump_unterminated_sysex(void **state)
{
	(void)state;
	midi_error e;
	midi_packet *pk;
	size_t n;
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xF0, 0x02, 0x01, 0x02, 0x60, 0x90, 0x3C, 0x64, 0x60, 0xF0, 0x01, 0x05);
	end_chunk(&F);
	assert_int_equal(midi_smf_to_ump(F.b, F.n, 0, &pk, &n, &e), 0);
	assert_int_equal(n, 3);
	/* the channel message ends the SysEx (as a byte stream would) */
	assert_int_equal(pk[0].ump.w[0], 0x30020102);
	assert_int_equal(pk[0].time_ns, 500000000);
	assert_int_equal(pk[1].ump.w[0], 0x20903C64);
	/* the file's end closes the last one, at its event's time */
	assert_int_equal(pk[2].ump.w[0], 0x30010500);
	assert_int_equal(pk[2].time_ns, 1000000000);
	free(pk);

	/* a track ending with an open SysEx before another track's events:
	 * it is closed at the end of the file, so times never go back */
	header(&F, 1, 2, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xF0, 0x02, 0x01, 0x02, 0x00, 0xFF, 0x2F, 0x00);
	end_chunk(&F);
	begin(&F, "MTrk");
	PUT(&F, 0x60, 0x90, 0x3C, 0x64);
	end_chunk(&F);
	assert_int_equal(midi_smf_to_ump(F.b, F.n, 0, &pk, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pk[0].ump.w[0], 0x20903C64);
	assert_int_equal(pk[0].time_ns, 500000000);
	assert_int_equal(pk[1].ump.w[0], 0x30020102);
	assert_int_equal(pk[1].time_ns, 500000000);
	free(pk);
}

static void test_long_sysex_event(void **state)
{
	(void)state;
	midi_error e;
	midi_packet *pk;
	size_t n;
	const size_t len = 70000; /* more than one event's 65535 bytes */
	header(&F, 0, 1, 96);
	begin(&F, "MTrk");
	PUT(&F, 0x00, 0xF0);
	put_vlq(&F, len + 1);
	for (size_t i = 0; i < len; i++)
		PUT(&F, i & 0x7F);
	PUT(&F, 0xF7);
	end_chunk(&F);
	memset(&V, 0, sizeof V);
	assert_int_equal(midi_smf_parse(F.b, F.n, ev_cb, &V, &e), 0);
	assert_int_equal(V.n, 2);
	assert_int_equal(strncmp(V.e[0].hex, "F0 00 01 02", 11), 0);
	assert_int_equal(midi_smf_to_ump(F.b, F.n, 0, &pk, &n, &e), 0);
	assert_int_equal(n, (len + 5) / 6);
	midi_sysex_asm a;
	midi_sysex_asm_init(&a);
	const uint8_t *data = NULL;
	size_t dlen = 0;
	unsigned g, k;
	int done = 0;
	for (size_t i = 0; i < n; i++)
		done += midi_sysex_asm_put(&a, &pk[i].ump, &g, &k, &data, &dlen);
	assert_int_equal(done, 1);
	assert_int_equal(dlen, len);
	for (size_t i = 0; i < len; i++)
		if (data[i] != (i & 0x7F))
			fail_msg("SysEx byte %zu differs", i);
	midi_sysex_asm_free(&a);
	free(pk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format0_running_status),
		cmocka_unit_test(test_tempo_map),
		cmocka_unit_test(test_smpte_division),
		cmocka_unit_test(test_format1_merge_ties_by_track),
		cmocka_unit_test(test_format2_sequential),
		cmocka_unit_test(test_sysex_events),
		cmocka_unit_test(test_sysex_cancels_running_status),
		cmocka_unit_test(test_unknown_chunks_skipped),
		cmocka_unit_test(test_long_mthd),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_tracks),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_to_ump),
		cmocka_unit_test(test_to_ump_unterminated_sysex),
		cmocka_unit_test(test_long_sysex_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
