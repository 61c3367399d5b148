/* test_ump.c: the UMP message model (midi/msg.h): wire layouts of the
 * builders, builder -> decoder -> encoder round trips for every kind,
 * canonical-form detection, describe on any packet, note names, UMP Stream
 * discovery helpers and name series. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/msg.h"

static void assert_words(const midi_ump *p, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3)
{
	assert_int_equal(p->w[0], w0);
	assert_int_equal(p->w[1], w1);
	assert_int_equal(p->w[2], w2);
	assert_int_equal(p->w[3], w3);
}

/* encode(decode(p)) == p and the kind is the expected one */
static midi_msg roundtrip(midi_ump p, unsigned kind)
{
	midi_msg m;
	midi_ump q;
	midi_msg_decode(&p, &m);
	assert_int_equal(m.kind, kind);
	assert_int_equal(midi_msg_encode(&m, &q), 0);
	assert_memory_equal(p.w, q.w, sizeof q.w);
	assert_true(midi_msg_is_canonical(&p));
	return m;
}

/* The packet size of every message type (UMP 1.1, table 4), and that only the
 * top four bits of a word choose it. */
static void test_mt_words(void **state)
{
	(void)state;
	static const unsigned want[16] = {1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4};
	for (unsigned mt = 0; mt < 16; mt++) {
		assert_int_equal(midi_mt_words(mt), want[mt]);
		assert_int_equal(midi_mt_words(mt | 0x30), want[mt]);
		midi_ump u = midi_ump_make((uint32_t)mt << 28 | 0x0FFFFFFF, 0, 0, 0);
		assert_int_equal(midi_ump_words(&u), want[mt]);
	}
}

static void test_layouts_midi1(void **state)
{
	midi_ump p = midi_ump_m1_note_on(0, 0, 60, 100);
	assert_words(&p, 0x20903C64, 0, 0, 0);
	p = midi_ump_m1_note_off(15, 15, 127, 0);
	assert_words(&p, 0x2F8F7F00, 0, 0, 0);
	p = midi_ump_m1_pitch_bend(1, 2, 8192);
	assert_words(&p, 0x21E20040, 0, 0, 0);
	p = midi_ump_m1_program(0, 3, 5);
	assert_words(&p, 0x20C30500, 0, 0, 0);
	p = midi_ump_m1_channel_pressure(0, 0, 99);
	assert_words(&p, 0x20D06300, 0, 0, 0);
	p = midi_ump_song_position(2, 1000);
	assert_words(&p, 0x12F26807, 0, 0, 0);
}

static void test_layouts_midi2(void **state)
{
	midi_ump p = midi_ump_m2_note_on(0, 0, 60, 0x8208, 3, 0x1234);
	assert_words(&p, 0x40903C03, 0x82081234, 0, 0);
	p = midi_ump_m2_program(1, 2, 7, 1, 3, 4);
	assert_words(&p, 0x41C20001, 0x07000304, 0, 0);
	p = midi_ump_m2_controller(0, 0, 2, 0, 1, 0x80000000u); /* RPN 0/1 */
	assert_words(&p, 0x40200001, 0x80000000, 0, 0);
	p = midi_ump_m2_controller(0, 1, 1, 60, 200, 5);         /* per-note assignable */
	assert_words(&p, 0x40113CC8, 5, 0, 0);
	p = midi_ump_m2_pn_management(0, 0, 60, 1, 1);
	assert_words(&p, 0x40F03C03, 0, 0, 0);
	p = midi_ump_m2_pn_pitch_bend(0, 0, 61, 0x80000000u);
	assert_words(&p, 0x40603D00, 0x80000000, 0, 0);
	p = midi_ump_m2_cc(3, 4, 7, 0xFFFFFFFFu);
	assert_words(&p, 0x43B40700, 0xFFFFFFFF, 0, 0);
}

static void test_layouts_data(void **state)
{
	const uint8_t d[13] = {0x7E, 0x7F, 0x06, 0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99};
	midi_ump p = midi_ump_sysex7(0, MIDI_FORM_COMPLETE, d, 4);
	assert_words(&p, 0x30047E7F, 0x06010000, 0, 0);
	p = midi_ump_sysex7(2, MIDI_FORM_START, d, 6);
	assert_words(&p, 0x32167E7F, 0x06011122, 0, 0);
	p = midi_ump_sysex8(0, MIDI_FORM_COMPLETE, 5, d, 13);
	assert_words(&p, 0x500E057E, 0x7F060111, 0x22334455, 0x66778899);
	p = midi_ump_jr_timestamp(0x1234);
	assert_words(&p, 0x00201234, 0, 0, 0);
	p = midi_ump_delta_clockstamp(0xFFFFF);
	assert_words(&p, 0x004FFFFF, 0, 0, 0);
	p = midi_ump_flex_tempo(1, 50000000);
	assert_words(&p, 0xD1100000, 50000000, 0, 0);
}

static void test_layouts_stream(void **state)
{
	midi_ump p = midi_stream_ep_discovery(1, 1, MIDI_DISCOVER_ALL);
	assert_words(&p, 0xF0000101, 0x1F, 0, 0);
	midi_stream_ep_info ei = {1, 1, 3, 1, 1, 1, 0, 1};
	p = midi_stream_ep_info_build(&ei);
	assert_words(&p, 0xF0010101, 0x83000301, 0, 0);
	midi_stream_identity id = {{0x00, 0x20, 0x29}, 0x1234 & 0x3FFF, 0x0102, {1, 2, 3, 4}};
	p = midi_stream_identity_build(&id);
	assert_words(&p, 0xF0020000, 0x00002029, 0x34240202, 0x01020304);
	p = midi_stream_config(1, 2, 0, 1);
	assert_words(&p, 0xF0050201, 0, 0, 0);
	p = midi_stream_fb_discovery(MIDI_FB_ALL, MIDI_DISCOVER_FB_INFO | MIDI_DISCOVER_FB_NAME);
	assert_words(&p, 0xF010FF03, 0, 0, 0);
	midi_stream_fb_info fb = {2, 1, 3, 1, 3, 4, 2, 0x11, 0};
	p = midi_stream_fb_info_build(&fb);
	assert_words(&p, 0xF0118237, 0x04021100, 0, 0);

	midi_stream_ep_info ei2;
	midi_stream_identity id2;
	midi_stream_fb_info fb2;
	assert_int_equal(midi_stream_ep_info_parse(&p, &ei2), -MIDI_ERR_INPUT);
	assert_int_equal(midi_stream_fb_info_parse(&p, &fb2), 0);
	assert_memory_equal(&fb, &fb2, sizeof fb);
	p = midi_stream_ep_info_build(&ei);
	assert_int_equal(midi_stream_ep_info_parse(&p, &ei2), 0);
	assert_memory_equal(&ei, &ei2, sizeof ei);
	p = midi_stream_identity_build(&id);
	assert_int_equal(midi_stream_identity_parse(&p, &id2), 0);
	assert_memory_equal(id.manufacturer, id2.manufacturer, 3);
	assert_memory_equal(id.version, id2.version, 4);
	assert_int_equal(id.family, id2.family);
	assert_int_equal(id.model, id2.model);
}

static void test_roundtrip_every_kind(void **state)
{
	const uint8_t d[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
	midi_msg m;
	roundtrip(midi_ump_noop(), MIDI_MSG_NOOP);
	m = roundtrip(midi_ump_jr_clock(0xBEEF), MIDI_MSG_JR_CLOCK);
	assert_int_equal(m.u.value, 0xBEEF);
	roundtrip(midi_ump_jr_timestamp(7), MIDI_MSG_JR_TIMESTAMP);
	roundtrip(midi_ump_dctpq(960), MIDI_MSG_DCTPQ);
	m = roundtrip(midi_ump_delta_clockstamp(0xABCDE), MIDI_MSG_DELTA_CLOCKSTAMP);
	assert_int_equal(m.u.value, 0xABCDE);
	m = roundtrip(midi_ump_system(3, 0xF1, 0x35, 0), MIDI_MSG_MTC_QUARTER);
	assert_int_equal(m.group, 3);
	assert_int_equal(m.u.value, 0x35);
	m = roundtrip(midi_ump_song_position(0, 16383), MIDI_MSG_SONG_POSITION);
	assert_int_equal(m.u.value, 16383);
	roundtrip(midi_ump_system(0, 0xF3, 9, 0), MIDI_MSG_SONG_SELECT);
	static const struct { unsigned st, kind; } sys[] = {
		{0xF6, MIDI_MSG_TUNE_REQUEST}, {0xF8, MIDI_MSG_CLOCK}, {0xFA, MIDI_MSG_START},
		{0xFB, MIDI_MSG_CONTINUE}, {0xFC, MIDI_MSG_STOP}, {0xFE, MIDI_MSG_ACTIVE_SENSING},
		{0xFF, MIDI_MSG_RESET},
	};
	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
		roundtrip(midi_ump_system(15, sys[i].st, 0, 0), sys[i].kind);

	m = roundtrip(midi_ump_m1_note_on(1, 2, 60, 100), MIDI_MSG_NOTE_ON);
	assert_int_equal(m.protocol, 1);
	assert_int_equal(m.channel, 2);
	assert_int_equal(m.u.note.note, 60);
	assert_int_equal(m.u.note.velocity, 100);
	roundtrip(midi_ump_m1_note_off(1, 2, 60, 0), MIDI_MSG_NOTE_OFF);
	m = roundtrip(midi_ump_m1_poly_pressure(0, 0, 10, 20), MIDI_MSG_POLY_PRESSURE);
	assert_int_equal(m.u.note_value.value, 20);
	m = roundtrip(midi_ump_m1_cc(0, 0, 7, 127), MIDI_MSG_CONTROL_CHANGE);
	assert_int_equal(m.u.ctrl.index, 7);
	roundtrip(midi_ump_m1_program(0, 0, 127), MIDI_MSG_PROGRAM_CHANGE);
	roundtrip(midi_ump_m1_channel_pressure(0, 0, 1), MIDI_MSG_CHANNEL_PRESSURE);
	m = roundtrip(midi_ump_m1_pitch_bend(0, 0, 12345), MIDI_MSG_PITCH_BEND);
	assert_int_equal(m.u.value, 12345);

	m = roundtrip(midi_ump_m2_note_on(0, 9, 61, 65535, 3, 0xABCD), MIDI_MSG_NOTE_ON);
	assert_int_equal(m.protocol, 2);
	assert_int_equal(m.u.note.velocity, 65535);
	assert_int_equal(m.u.note.attr_type, 3);
	assert_int_equal(m.u.note.attr_data, 0xABCD);
	roundtrip(midi_ump_m2_note_off(0, 9, 61, 0, 0, 0), MIDI_MSG_NOTE_OFF);
	roundtrip(midi_ump_m2_poly_pressure(0, 0, 1, 0xFFFFFFFF), MIDI_MSG_POLY_PRESSURE);
	roundtrip(midi_ump_m2_cc(0, 0, 74, 0x12345678), MIDI_MSG_CONTROL_CHANGE);
	m = roundtrip(midi_ump_m2_program(0, 0, 5, 1, 0x7F, 0x01), MIDI_MSG_PROGRAM_CHANGE);
	assert_int_equal(m.u.program.bank_valid, 1);
	assert_int_equal(m.u.program.bank_msb, 0x7F);
	assert_int_equal(m.u.program.bank_lsb, 1);
	roundtrip(midi_ump_m2_program(0, 0, 5, 0, 0, 0), MIDI_MSG_PROGRAM_CHANGE);
	roundtrip(midi_ump_m2_channel_pressure(0, 0, 99), MIDI_MSG_CHANNEL_PRESSURE);
	roundtrip(midi_ump_m2_pitch_bend(0, 0, 0x80000000u), MIDI_MSG_PITCH_BEND);
	static const unsigned ctl[6] = {MIDI_MSG_PN_REGISTERED, MIDI_MSG_PN_ASSIGNABLE,
					MIDI_MSG_REGISTERED, MIDI_MSG_ASSIGNABLE,
					MIDI_MSG_REL_REGISTERED, MIDI_MSG_REL_ASSIGNABLE};
	for (unsigned op = 0; op < 6; op++) {
		m = roundtrip(midi_ump_m2_controller(2, 3, op, 100, op < 2 ? 200 : 100, 0xFFFFFFFBu),
			      ctl[op]);
		assert_int_equal(m.u.ctrl.index, op < 2 ? 200 : 100);
		assert_int_equal(op < 2 ? m.u.ctrl.note : m.u.ctrl.bank, 100);
		assert_int_equal((int32_t)m.u.ctrl.value, -5);
	}
	roundtrip(midi_ump_m2_pn_pitch_bend(0, 0, 60, 1), MIDI_MSG_PN_PITCH_BEND);
	m = roundtrip(midi_ump_m2_pn_management(0, 0, 60, 1, 0), MIDI_MSG_PN_MANAGEMENT);
	assert_int_equal(m.u.pn_mgmt.detach, 1);
	assert_int_equal(m.u.pn_mgmt.reset, 0);

	for (unsigned form = 0; form < 4; form++)
		for (unsigned n = 0; n <= 6; n++) {
			m = roundtrip(midi_ump_sysex7(1, form, d, n), MIDI_MSG_SYSEX7);
			assert_int_equal(m.u.sysex7.len, n);
			assert_int_equal(m.u.sysex7.form, form);
			assert_memory_equal(m.u.sysex7.data, d, n);
		}
	for (unsigned form = 0; form < 4; form++)
		for (unsigned n = 0; n <= 13; n++) {
			m = roundtrip(midi_ump_sysex8(1, form, 200, d, n), MIDI_MSG_SYSEX8);
			assert_int_equal(m.u.sysex8.len, n);
			assert_int_equal(m.u.sysex8.stream_id, 200);
			assert_memory_equal(m.u.sysex8.data, d, n);
		}
	m = roundtrip(midi_ump_make(0x5384000E, 0x00030001, 0x00410010, 0x00200030), MIDI_MSG_MDS_HEADER);
	assert_int_equal(m.u.mds_header.mds_id, 4);
	assert_int_equal(m.u.mds_header.bytes, 14);
	assert_int_equal(m.u.mds_header.chunks, 3);
	assert_int_equal(m.u.mds_header.chunk, 1);
	assert_int_equal(m.u.mds_header.manufacturer, 0x41);
	m = roundtrip(midi_ump_make(0x50940102, 0x03040506, 0x0708090A, 0x0B0C0D0E), MIDI_MSG_MDS_PAYLOAD);
	assert_int_equal(m.u.mds_payload.data[13], 0x0E);

	m = roundtrip(midi_ump_flex_tempo(0, 50000000), MIDI_MSG_FLEX_TEMPO);
	assert_int_equal(m.u.flex.tempo, 50000000);
	m = roundtrip(midi_ump_make(0xD0100001, 0x04020800, 0, 0), MIDI_MSG_FLEX_TIME_SIGNATURE);
	assert_int_equal(m.u.flex.numerator, 4);
	assert_int_equal(m.u.flex.denominator, 2);
	assert_int_equal(m.u.flex.n32, 8);
	m = roundtrip(midi_ump_make(0xD0100002, 0x18010203, 0x04050000, 0), MIDI_MSG_FLEX_METRONOME);
	assert_int_equal(m.u.flex.clicks, 24);
	assert_int_equal(m.u.flex.subdiv[1], 5);
	m = roundtrip(midi_ump_make(0xD0000005 | 3u << 16, 0xD3000000, 0, 0), MIDI_MSG_FLEX_KEY_SIGNATURE);
	assert_int_equal(m.u.flex.sharps_flats, -3);
	assert_int_equal(m.u.flex.tonic, 3);
	assert_int_equal(m.channel, 3);
	m = roundtrip(midi_ump_make(0xD0100006, 0x13010112, 0x21220000, 0xF6070304), MIDI_MSG_FLEX_CHORD_NAME);
	assert_int_equal(m.u.flex.sharps_flats, 1);
	assert_int_equal(m.u.flex.chord_type, 1);
	assert_int_equal(m.u.flex.bass_sharps_flats, -1);
	assert_int_equal(m.u.flex.bass_note, 6);
	roundtrip(midi_ump_make(0xD0107F00, 1, 2, 3), MIDI_MSG_FLEX_OTHER);

	midi_ump fx[4];
	assert_int_equal(midi_flex_text(0, 1, 0, 0x02, 0x01, "Twinkle twinkle little", 22, fx, 4), 2);
	m = roundtrip(fx[0], MIDI_MSG_FLEX_TEXT);
	assert_int_equal(m.u.flex.form, MIDI_FORM_START);
	assert_string_equal(m.u.flex.text, "Twinkle twin");
	m = roundtrip(fx[1], MIDI_MSG_FLEX_TEXT);
	assert_int_equal(m.u.flex.form, MIDI_FORM_END);
	assert_string_equal(m.u.flex.text, "kle little");
	assert_int_equal(midi_flex_text(0, 1, 0, 0x01, 0x01, "abc", 3, fx, 4), 1);
	assert_int_equal(midi_flex_text(0, 1, 0, 0x01, 0x01, "0123456789abcdefghijklmnopqrstuvwxyz!", 37, fx, 3), -MIDI_ERR_INPUT);

	roundtrip(midi_stream_ep_discovery(1, 1, 0x1F), MIDI_MSG_EP_DISCOVERY);
	midi_stream_ep_info ei = {1, 1, 32, 0, 1, 1, 1, 1};
	m = roundtrip(midi_stream_ep_info_build(&ei), MIDI_MSG_EP_INFO);
	assert_int_equal(m.u.stream.num_fbs, 32);
	midi_stream_identity id = {{0x7D, 0, 0}, 16383, 1, {0x7F, 0, 1, 2}};
	m = roundtrip(midi_stream_identity_build(&id), MIDI_MSG_DEVICE_IDENTITY);
	assert_int_equal(m.u.stream.family, 16383);
	roundtrip(midi_stream_config(1, 1, 1, 0), MIDI_MSG_STREAM_CONFIG_REQUEST);
	m = roundtrip(midi_stream_config(0, 2, 0, 0), MIDI_MSG_STREAM_CONFIG_NOTIFY);
	assert_int_equal(m.u.stream.protocol, 2);
	roundtrip(midi_stream_fb_discovery(5, 3), MIDI_MSG_FB_DISCOVERY);
	midi_stream_fb_info fb = {31, 1, 2, 2, 2, 15, 1, 1, 255};
	roundtrip(midi_stream_fb_info_build(&fb), MIDI_MSG_FB_INFO);
	roundtrip(midi_ump_make(0xF0200000, 0, 0, 0), MIDI_MSG_START_OF_CLIP);
	roundtrip(midi_ump_make(0xF0210000, 0, 0, 0), MIDI_MSG_END_OF_CLIP);
	midi_ump nm[7];
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_EP_NAME, 0, "Synth", nm, 7), 1);
	m = roundtrip(nm[0], MIDI_MSG_EP_NAME);
	assert_string_equal(m.u.stream.text, "Synth");
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_PRODUCT_INSTANCE_ID, 0, "SN1", nm, 7), 1);
	roundtrip(nm[0], MIDI_MSG_PRODUCT_INSTANCE_ID);
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_FB_NAME, 7, "Keys", nm, 7), 1);
	m = roundtrip(nm[0], MIDI_MSG_FB_NAME);
	assert_int_equal(m.u.stream.fb, 7);
	assert_string_equal(m.u.stream.text, "Keys");
}

static void test_unknown_and_noncanonical(void **state)
{
	static const uint32_t unknown[] = {
		0x00500000, /* utility status 5 */
		0x10F40000, 0x10F50000, 0x10F90000, 0x10FD0000, 0x10F00000, /* undefined system */
		0x20000000, 0x20F00000, /* MT2 opcodes 0, F */
		0x40700000, /* MT4 opcode 7 */
		0x30700000, 0x30070000, /* SysEx7 status 7, length 7 */
		0x50400000, 0x500F0000, 0x50000000, /* MT5 status 4, length 15, length 0 */
		0x60000000, 0x70000000, 0x80000000, 0x90000000, 0xA0000000, 0xB0000000,
		0xC0000000, 0xE0000000, 0xF3FF0000, /* reserved MTs, stream status 0x3FF */
	};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		midi_ump p = midi_ump_make(unknown[i], 0, 0, 0), q;
		midi_msg m;
		midi_msg_decode(&p, &m);
		assert_int_equal(m.kind, MIDI_MSG_UNKNOWN);
		assert_int_equal(midi_msg_encode(&m, &q), -MIDI_ERR_INPUT);
		assert_false(midi_msg_is_canonical(&p));
	}
	/* reserved bits set: known kind, not canonical */
	static const uint32_t dirty[][2] = {
		{0x20903CE4, 0},          /* velocity with bit 7 */
		{0x20C30501, 0},          /* program change with a second data byte */
		{0x40903C00 | 0x8000, 0}, /* note with bit 7 */
		{0x40F03C04, 0},          /* per-note management reserved flag */
		{0x40F03C00, 1},          /* per-note management data word */
		{0x10F80100, 0},          /* clock with a data byte */
		{0x00010000, 0},          /* NOOP with data */
	};
	for (size_t i = 0; i < sizeof dirty / sizeof dirty[0]; i++) {
		midi_ump p = midi_ump_make(dirty[i][0], dirty[i][1], 0, 0);
		midi_msg m;
		midi_msg_decode(&p, &m);
		assert_int_not_equal(m.kind, MIDI_MSG_UNKNOWN);
		assert_false(midi_msg_is_canonical(&p));
	}
	/* words past the packet size count too */
	midi_ump p = {{0x20903C64, 1, 0, 0}};
	assert_false(midi_msg_is_canonical(&p));
}

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

static void test_describe_any(void **state)
{
	char buf[512], small[8];
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	for (unsigned i = 0; i < 200000; i++) {
		midi_ump p = {{rnd(&seed), rnd(&seed), rnd(&seed), rnd(&seed)}};
		if (i % 3 == 0) /* bias to known statuses */
			p.w[0] &= 0xF3FFFFFF;
		int n = midi_ump_describe(&p, buf, sizeof buf);
		assert_true(n > 0);
		assert_true((size_t)n < sizeof buf);
		assert_int_equal(strlen(buf), (size_t)n);
		int k = midi_ump_describe(&p, small, sizeof small);
		assert_int_equal(k, n);
		assert_int_equal(strlen(small), (size_t)n < sizeof small ? (size_t)n : sizeof small - 1);
		assert_int_equal(midi_ump_describe(&p, NULL, 0), n);
	}
	midi_ump p = midi_ump_m1_note_on(0, 0, 60, 100);
	midi_ump_describe(&p, buf, sizeof buf);
	assert_string_equal(buf, "Note On group 1 channel 1 note 60 (C3) velocity 100");
	p = midi_ump_make(0x60000000, 0, 0, 0);
	midi_ump_describe(&p, buf, sizeof buf);
	assert_string_equal(buf, "Reserved message type 0x6 [60000000]");
	p = midi_ump_m2_note_on(1, 2, 61, 0x8000, 0, 0);
	midi_ump_describe(&p, buf, sizeof buf);
	assert_string_equal(buf, "MIDI 2.0 Note On group 2 channel 3 note 61 (C#3) velocity 32768");
}

static void test_note_names(void **state)
{
	char nn[8];
	unsigned v;
	assert_string_equal(midi_note_name(60, nn), "C3");
	assert_string_equal(midi_note_name(0, nn), "C-2");
	assert_string_equal(midi_note_name(127, nn), "G8");
	for (unsigned n = 0; n < 128; n++) {
		midi_note_name(n, nn);
		assert_int_equal(midi_note_parse(nn, strlen(nn), &v), 0);
		assert_int_equal(v, n);
	}
	assert_int_equal(midi_note_parse("Db3", 3, &v), 0);
	assert_int_equal(v, 61);
	assert_int_equal(midi_note_parse("bb-1", 4, &v), 0);
	assert_int_equal(v, 22);
	assert_int_equal(midi_note_parse("b-2", 3, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(midi_note_parse("c#3", 3, &v), 0);
	assert_int_equal(v, 61);
	assert_int_equal(midi_note_parse("G#8", 3, &v), -MIDI_ERR_INPUT);
	assert_int_equal(midi_note_parse("Cb-2", 4, &v), -MIDI_ERR_INPUT);
	assert_int_equal(midi_note_parse("H3", 2, &v), -MIDI_ERR_INPUT);
	assert_int_equal(midi_note_parse("C", 1, &v), -MIDI_ERR_INPUT);
	assert_int_equal(midi_note_parse("C3x", 3, &v), -MIDI_ERR_INPUT);
}

static void test_name_series(void **state)
{
	char name[200];
	midi_ump pk[8];
	midi_stream_name_asm a;
	for (size_t i = 0; i < sizeof name - 1; i++)
		name[i] = (char)('a' + i % 26);
	name[sizeof name - 1] = 0;
	static const struct { unsigned st, max, per, fb; } cases[] = {
		{MIDI_STREAM_EP_NAME, 98, 14, 0},
		{MIDI_STREAM_PRODUCT_INSTANCE_ID, 42, 14, 0},
		{MIDI_STREAM_FB_NAME, 91, 13, 9},
	};
	for (size_t c = 0; c < 3; c++) {
		for (unsigned len = 0; len <= cases[c].max + 5; len++) {
			char s[200];
			memcpy(s, name, len);
			s[len] = 0;
			int n = midi_stream_name_build(cases[c].st, cases[c].fb, s, pk, 8);
			unsigned kept = len > cases[c].max ? cases[c].max : len;
			unsigned want = kept ? (kept + cases[c].per - 1) / cases[c].per : 1;
			assert_int_equal(n, (int)want);
			midi_stream_name_asm_init(&a);
			for (int i = 0; i < n; i++) {
				midi_msg m;
				midi_msg_decode(&pk[i], &m);
				unsigned form = n == 1 ? 0 : i == 0 ? 1 : i == n - 1 ? 3 : 2;
				assert_int_equal(m.u.stream.form, form);
				assert_int_equal(midi_stream_name_asm_put(&a, &pk[i]), i == n - 1 ? 1 : 0);
			}
			assert_int_equal(a.status, cases[c].st);
			assert_int_equal(a.fb, cases[c].fb);
			assert_int_equal(a.len, kept);
			assert_memory_equal(a.text, s, kept);
		}
	}
	/* 7 packets always suffice; fewer is refused */
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_EP_NAME, 0, name, pk, 6), -MIDI_ERR_INPUT);
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_EP_INFO, 0, "x", pk, 8), -MIDI_ERR_INPUT);
	/* never cut inside a UTF-8 sequence: 97 ASCII + a 2-byte char would give 99 */
	char u[120];
	memset(u, 'x', 97);
	strcpy(u + 97, "\xC3\xA9");
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_EP_NAME, 0, u, pk, 8), 7);
	midi_stream_name_asm_init(&a);
	for (int i = 0; i < 7; i++)
		midi_stream_name_asm_put(&a, &pk[i]);
	assert_int_equal(a.len, 97);
	/* Continue with no Start is an error; other packets are ignored */
	midi_stream_name_asm_init(&a);
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_EP_NAME, 0, name, pk, 8), 7);
	midi_ump noise = midi_ump_m1_note_on(0, 0, 1, 1);
	assert_int_equal(midi_stream_name_asm_put(&a, &noise), 0);
	assert_int_equal(midi_stream_name_asm_put(&a, &pk[1]), -MIDI_ERR_INPUT);
	assert_int_equal(midi_stream_name_asm_put(&a, &pk[6]), -MIDI_ERR_INPUT);
	/* a Function Block name for another block in the middle is an error */
	midi_ump f1[8], f2[8];
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_FB_NAME, 1, name, f1, 8), 7);
	assert_int_equal(midi_stream_name_build(MIDI_STREAM_FB_NAME, 2, name, f2, 8), 7);
	midi_stream_name_asm_init(&a);
	assert_int_equal(midi_stream_name_asm_put(&a, &f1[0]), 0);
	assert_int_equal(midi_stream_name_asm_put(&a, &f2[1]), -MIDI_ERR_INPUT);
}

static void test_encode_rejects_out_of_range(void **state)
{
	midi_msg m;
	midi_ump q;
	midi_ump p = midi_ump_m1_note_on(0, 0, 60, 100);
	midi_msg_decode(&p, &m);
	m.u.note.velocity = 128;
	assert_int_equal(midi_msg_encode(&m, &q), -MIDI_ERR_INPUT);
	assert_int_equal(q.w[0], 0);
	m.u.note.velocity = 1;
	m.channel = 16;
	assert_int_equal(midi_msg_encode(&m, &q), -MIDI_ERR_INPUT);
	p = midi_ump_sysex7(0, 0, (const uint8_t *)"\x01", 1);
	midi_msg_decode(&p, &m);
	m.u.sysex7.data[0] = 0x80;
	assert_int_equal(midi_msg_encode(&m, &q), -MIDI_ERR_INPUT);
	m.kind = MIDI_MSG_KIND_COUNT;
	assert_int_equal(midi_msg_encode(&m, &q), -MIDI_ERR_INPUT);
	assert_string_equal(midi_msg_kind_name(MIDI_MSG_NOTE_ON), "note_on");
	assert_string_equal(midi_msg_kind_name(9999), "unknown");
	for (unsigned k = 0; k < MIDI_MSG_KIND_COUNT; k++) {
		assert_non_null(midi_msg_kind_name(k));
		assert_non_null(midi_msg_kind_title(k));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mt_words),
		cmocka_unit_test(test_layouts_midi1),
		cmocka_unit_test(test_layouts_midi2),
		cmocka_unit_test(test_layouts_data),
		cmocka_unit_test(test_layouts_stream),
		cmocka_unit_test(test_roundtrip_every_kind),
		cmocka_unit_test(test_unknown_and_noncanonical),
		cmocka_unit_test(test_describe_any),
		cmocka_unit_test(test_note_names),
		cmocka_unit_test(test_name_series),
		cmocka_unit_test(test_encode_rejects_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
