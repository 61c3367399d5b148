/* test_sysex.c: SysEx7/SysEx8 chunking into packets and reassembly per
 * group (midi_sysex7_chunk, midi_sysex8_chunk, midi_sysex_asm_*): exact
 * packets for the boundary sizes, round trips of every length up to a few
 * packets, interleaved groups, protocol errors and the size limit; the
 * SysEx form of one packet (midi_ump_sysex_kind, midi_sysex_part_of) and
 * packets into an array (midi_sysex7_packets). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "midi/translate.h"

struct cap {
	midi_ump p[1024];
	size_t n;
};

static int cap_cb(void *ctx, const midi_ump *p)
{
	struct cap *c = ctx;
	assert_true(c->n < 1024);
	c->p[c->n++] = *p;
	return 0;
}

static uint8_t seq[4096];

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof seq; i++)
		seq[i] = (i * 7 + 1) & 0x7F;
	return 0;
}

static void test_sysex7_packets(void **state)
{
	(void)state;
	static struct cap c;
	const uint8_t d[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
	c.n = 0;
	midi_sysex7_chunk(0, d, 0, cap_cb, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.p[0].w[0], 0x30000000);
	assert_int_equal(c.p[0].w[1], 0);
	c.n = 0;
	midi_sysex7_chunk(2, d, 6, cap_cb, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.p[0].w[0], 0x32060102);
	assert_int_equal(c.p[0].w[1], 0x03040506);
	c.n = 0;
	midi_sysex7_chunk(0, d, 12, cap_cb, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.p[0].w[0], 0x30160102);
	assert_int_equal(c.p[1].w[0], 0x30360708);
	assert_int_equal(c.p[1].w[1], 0x090A0B0C);
	c.n = 0;
	midi_sysex7_chunk(0, d, 13, cap_cb, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.p[1].w[0], 0x30260708);
	assert_int_equal(c.p[2].w[0], 0x30310D00);
	assert_int_equal(c.p[2].w[1], 0);
}

static void test_sysex8_packets(void **state)
{
	(void)state;
	static struct cap c;
	uint8_t d[27];
	for (int i = 0; i < 27; i++)
		d[i] = 0x80 + i; /* SysEx8 carries 8-bit data */
	c.n = 0;
	midi_sysex8_chunk(1, 0x42, d, 0, cap_cb, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.p[0].w[0], 0x51014200);
	c.n = 0;
	midi_sysex8_chunk(0, 0x42, d, 13, cap_cb, &c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.p[0].w[0], 0x500E4280);
	assert_int_equal(c.p[0].w[1], 0x81828384);
	assert_int_equal(c.p[0].w[3], 0x898A8B8C);
	c.n = 0;
	midi_sysex8_chunk(0, 7, d, 14, cap_cb, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.p[0].w[0], 0x501E0780);
	assert_int_equal(c.p[1].w[0], 0x5032078D);
	assert_int_equal(c.p[1].w[1], 0);
	c.n = 0;
	midi_sysex8_chunk(0, 7, d, 27, cap_cb, &c);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.p[1].w[0], 0x502E078D);
	assert_int_equal(c.p[2].w[0], 0x5032079A);
}

static void test_packet_counts(void **state)
{
	(void)state;
	static struct cap c;
	for (size_t n = 0; n <= 200; n++) {
		c.n = 0;
		midi_sysex7_chunk(0, seq, n, cap_cb, &c);
		assert_int_equal(c.n, n == 0 ? 1 : (n + 5) / 6);
		c.n = 0;
		midi_sysex8_chunk(0, 0, seq, n, cap_cb, &c);
		assert_int_equal(c.n, n == 0 ? 1 : (n + 12) / 13);
	}
}

static void roundtrip(unsigned kind, size_t n, unsigned group)
{
	static struct cap c;
	midi_sysex_asm a;
	unsigned g = 99, k = 99;
	const uint8_t *data = NULL;
	size_t len = 0;
	int done = 0;
	c.n = 0;
	if (kind == 7)
		midi_sysex7_chunk(group, seq, n, cap_cb, &c);
	else
		midi_sysex8_chunk(group, 0x33, seq, n, cap_cb, &c);
	midi_sysex_asm_init(&a);
	for (size_t i = 0; i < c.n; i++) {
		int rc = midi_sysex_asm_put(&a, &c.p[i], &g, &k, &data, &len);
		assert_int_equal(rc, i + 1 == c.n ? 1 : 0);
		done += rc;
	}
	assert_int_equal(done, 1);
	assert_int_equal(g, group);
	assert_int_equal(k, kind);
	if (kind == 7) {
		assert_int_equal(len, n);
		if (n)
			assert_memory_equal(data, seq, n);
	} else {
		assert_int_equal(len, n + 1);
		assert_int_equal(data[0], 0x33);
		if (n)
			assert_memory_equal(data + 1, seq, n);
	}
	midi_sysex_asm_free(&a);
}

static void test_roundtrip_lengths(void **state)
{
	(void)state;
	for (size_t n = 0; n < 100; n++) {
		roundtrip(7, n, n & 15);
		roundtrip(8, n, n & 15);
	}
	roundtrip(7, 4096, 3);
	roundtrip(8, 4096, 4);
}

static void test_interleaved_groups(void **state)
{
	(void)state;
	static struct cap c1, c2;
	midi_sysex_asm a;
	const uint8_t *data;
	size_t len;
	unsigned g, k;
	c1.n = c2.n = 0;
	midi_sysex7_chunk(1, seq, 30, cap_cb, &c1);
	midi_sysex7_chunk(2, seq + 100, 20, cap_cb, &c2);
	midi_sysex_asm_init(&a);
	size_t i = 0, j = 0;
	int got = 0;
	while (i < c1.n || j < c2.n) {
		if (i < c1.n && midi_sysex_asm_put(&a, &c1.p[i++], &g, &k, &data, &len) == 1) {
			assert_int_equal(g, 1);
			assert_int_equal(len, 30);
			assert_memory_equal(data, seq, 30);
			got++;
		}
		if (j < c2.n && midi_sysex_asm_put(&a, &c2.p[j++], &g, &k, &data, &len) == 1) {
			assert_int_equal(g, 2);
			assert_int_equal(len, 20);
			assert_memory_equal(data, seq + 100, 20);
			got++;
		}
	}
	assert_int_equal(got, 2);
	midi_sysex_asm_free(&a);
}

static void test_protocol_errors(void **state)
{
	(void)state;
	midi_sysex_asm a;
	const uint8_t *data;
	size_t len;
	unsigned g, k;
	midi_ump cont = midi_ump_make(0x30260102, 0x03040506, 0, 0);
	midi_ump end = midi_ump_make(0x30310100, 0, 0, 0);
	midi_ump start = midi_ump_make(0x30160102, 0x03040506, 0, 0);
	midi_ump end8 = midi_ump_make(0x50320001, 0, 0, 0);
	midi_ump bad = midi_ump_make(0x30070000, 0, 0, 0); /* 7 bytes in a SysEx7 packet */
	midi_sysex_asm_init(&a);
	assert_int_equal(midi_sysex_asm_put(&a, &cont, &g, &k, &data, &len), -MIDI_ERR_INPUT);
	assert_int_equal(midi_sysex_asm_put(&a, &end, &g, &k, &data, &len), -MIDI_ERR_INPUT);
	assert_int_equal(midi_sysex_asm_put(&a, &bad, &g, &k, &data, &len), -MIDI_ERR_INPUT);
	/* a SysEx8 End does not close a SysEx7 Start; the group is reset */
	assert_int_equal(midi_sysex_asm_put(&a, &start, &g, &k, &data, &len), 0);
	assert_int_equal(midi_sysex_asm_put(&a, &end8, &g, &k, &data, &len), -MIDI_ERR_INPUT);
	assert_int_equal(midi_sysex_asm_put(&a, &end, &g, &k, &data, &len), -MIDI_ERR_INPUT);
	/* a new Start abandons an open message */
	assert_int_equal(midi_sysex_asm_put(&a, &start, &g, &k, &data, &len), 0);
	assert_int_equal(midi_sysex_asm_put(&a, &start, &g, &k, &data, &len), 0);
	assert_int_equal(midi_sysex_asm_put(&a, &end, &g, &k, &data, &len), 1);
	assert_int_equal(len, 7);
	/* not SysEx */
	midi_ump note = midi_ump_make(0x20903C64, 0, 0, 0);
	midi_ump mds = midi_ump_make(0x50800000, 0, 0, 0); /* mixed data set */
	assert_int_equal(midi_sysex_asm_put(&a, &note, &g, &k, &data, &len), 0);
	assert_int_equal(midi_sysex_asm_put(&a, &mds, &g, &k, &data, &len), 0);
	midi_sysex_asm_free(&a);
}

static void test_size_limit(void **state)
{
	(void)state;
	static struct cap c;
	midi_sysex_asm a;
	const uint8_t *data;
	size_t len;
	unsigned g, k;
	midi_sysex_asm_init(&a);
	a.max = 100;
	c.n = 0;
	midi_sysex7_chunk(0, seq, 100, cap_cb, &c);
	int done = 0;
	for (size_t i = 0; i < c.n; i++)
		done += midi_sysex_asm_put(&a, &c.p[i], &g, &k, &data, &len);
	assert_int_equal(done, 1);
	assert_int_equal(len, 100);
	c.n = 0;
	midi_sysex7_chunk(0, seq, 101, cap_cb, &c);
	int rc = 0;
	size_t i;
	for (i = 0; i < c.n && rc == 0; i++)
		rc = midi_sysex_asm_put(&a, &c.p[i], &g, &k, &data, &len);
	assert_int_equal(rc, -MIDI_ERR_INPUT);
	assert_int_equal(i, c.n); /* the last packet overflowed */
	/* after the error the group is idle again */
	c.n = 0;
	midi_sysex7_chunk(0, seq, 3, cap_cb, &c);
	assert_int_equal(midi_sysex_asm_put(&a, &c.p[0], &g, &k, &data, &len), 1);
	assert_int_equal(len, 3);
	midi_sysex_asm_free(&a);
}

static void test_packet_sysex_form(void **state)
{
	(void)state;
	static struct cap c;
	midi_sysex_part part;
	/* the array form gives the packets the callback form gives */
	midi_ump out[4];
	c.n = 0;
	midi_sysex7_chunk(5, seq, 13, cap_cb, &c);
	assert_int_equal(midi_sysex7_packets(5, seq, 13, out, 4), 3);
	assert_memory_equal(out, c.p, 3 * sizeof out[0]);
	assert_int_equal(midi_sysex7_packets(5, seq, 13, out, 2), -MIDI_ERR_INPUT);
	assert_int_equal(midi_sysex7_packets(0, NULL, 0, out, 1), 1);
	assert_int_equal(out[0].w[0], 0x30000000u);
	/* and each decodes back to its part */
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(midi_ump_sysex_kind(&c.p[k]), 7);
		assert_int_equal(midi_sysex_part_of(&c.p[k], &part), 0);
		assert_int_equal(part.kind, 7);
		assert_int_equal(part.group, 5);
		assert_int_equal(part.form, k == 0 ? 1 : k == 1 ? 2 : 3);
		assert_int_equal(part.len, k < 2 ? 6 : 1);
		assert_memory_equal(part.data, seq + 6 * k, part.len);
	}
	/* SysEx8: the stream id apart, up to 13 bytes */
	c.n = 0;
	midi_sysex8_chunk(2, 0x42, seq, 14, cap_cb, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(midi_ump_sysex_kind(&c.p[0]), 8);
	assert_int_equal(midi_sysex_part_of(&c.p[0], &part), 0);
	assert_int_equal(part.kind, 8);
	assert_int_equal(part.form, 1);
	assert_int_equal(part.group, 2);
	assert_int_equal(part.stream_id, 0x42);
	assert_int_equal(part.len, 13);
	assert_memory_equal(part.data, seq, 13);
	assert_int_equal(midi_sysex_part_of(&c.p[1], &part), 0);
	assert_int_equal(part.form, 3);
	assert_int_equal(part.stream_id, 0x42);
	assert_int_equal(part.len, 1);
	assert_int_equal(part.data[0], seq[13]);
	/* not SysEx: Mixed Data Set, other message types, reserved status */
	midi_ump mds = midi_ump_make(0x50800000, 0, 0, 0), note = midi_ump_make(0x20903C64, 0, 0, 0);
	midi_ump res7 = midi_ump_make(0x30400000, 0, 0, 0);
	assert_int_equal(midi_ump_sysex_kind(&mds), 0);
	assert_int_equal(midi_ump_sysex_kind(&note), 0);
	assert_int_equal(midi_ump_sysex_kind(&res7), 0);
	assert_int_equal(midi_sysex_part_of(&mds, &part), -MIDI_ERR_INPUT);
	assert_int_equal(midi_sysex_part_of(&note, &part), -MIDI_ERR_INPUT);
	/* byte counts out of range */
	midi_ump long7 = midi_ump_make(0x30070000, 0, 0, 0), empty8 = midi_ump_make(0x50000000, 0, 0, 0);
	midi_ump long8 = midi_ump_make(0x500F0000, 0, 0, 0);
	assert_int_equal(midi_ump_sysex_kind(&long7), 7);
	assert_int_equal(midi_sysex_part_of(&long7, &part), -MIDI_ERR_INPUT);
	assert_int_equal(midi_sysex_part_of(&empty8, &part), -MIDI_ERR_INPUT);
	assert_int_equal(midi_sysex_part_of(&long8, &part), -MIDI_ERR_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sysex7_packets),	  cmocka_unit_test(test_sysex8_packets),
		cmocka_unit_test(test_packet_counts),	  cmocka_unit_test(test_roundtrip_lengths),
		cmocka_unit_test(test_interleaved_groups), cmocka_unit_test(test_protocol_errors),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_packet_sysex_form),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
