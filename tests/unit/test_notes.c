/* test_notes.c: what a sender left sounding (midi/notes.h): Note On/Off
 * of both protocols per group, channel and note (MIDI 1.0 velocity 0 is a
 * Note Off), the release in the Note On's protocol and then nothing; the
 * last packets in due order taken back by a cancel (also sent out of due
 * order), an unknown count taking every recent Note On as sounding,
 * settled packets folded into the state; the panic's 48 packets. */
#include "testutil.h"

#include <string.h>

#include "midi/notes.h"

#define S 1000000000ull /* one second */

typedef struct {
	midi_ump p[64];
	size_t n;
} out_t;

static int collect(void *ctx, const midi_ump *u)
{
	out_t *o = ctx;
	assert_true(o->n < 64);
	o->p[o->n++] = *u;
	return 0;
}

static void sent(midi_notes *n, uint32_t w0, uint64_t due, uint64_t now)
{
	midi_error e;
	midi_ump u = {{w0, 0x80000000u, 0, 0}};
	assert_int_equal(midi_notes_sent(n, &u, due, now, &e), 0);
}

static void test_release_per_protocol(void **state)
{
	(void)state;
	midi_error e;
	midi_notes *n = midi_notes_new(&e);
	assert_non_null(n);
	uint64_t t = 100 * S;
	sent(n, 0x20903C64, 0, t);       /* grp 1 ch 1 on 60 */
	sent(n, 0x41923E00, 0, t);       /* grp 2 ch 3 m2 on 62 */
	sent(n, 0x20913C64, 0, t);       /* grp 1 ch 2 on 60 */
	sent(n, 0x20913C00, 0, t);       /* velocity 0: off */
	sent(n, 0x20904064, 0, t);       /* on 64 */
	sent(n, 0x20804000, 0, t);       /* off 64 */
	sent(n, 0x20B00764, 0, t);       /* a cc changes nothing */
	out_t o = {0};
	assert_int_equal(midi_notes_release(n, collect, &o), 2);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.p[0].w[0], 0x20803C00);
	assert_int_equal(o.p[1].w[0], 0x41823E00);
	assert_int_equal(o.p[1].w[1], 0);
	o.n = 0;
	assert_int_equal(midi_notes_release(n, collect, &o), 0); /* nothing left */
	midi_notes_free(n);
}

static void test_cancelled_in_due_order(void **state)
{
	(void)state;
	midi_error e;
	midi_notes *n = midi_notes_new(&e);
	uint64_t t = 100 * S;
	/* on 60 now, off 60 at +2 s, on 62 at +1 s (sent after the off),
	 * off 62 at +3 s: the last two in due order are off 60 and off 62. */
	sent(n, 0x20903C64, 0, t);
	sent(n, 0x20803C00, t + 2 * S, t);
	sent(n, 0x20903E64, t + 1 * S, t);
	sent(n, 0x20803E00, t + 3 * S, t);
	midi_notes_cancelled(n, 2);
	out_t o = {0};
	assert_int_equal(midi_notes_release(n, collect, &o), 2);
	assert_int_equal(o.p[0].w[0], 0x20803C00);
	assert_int_equal(o.p[1].w[0], 0x20803E00);
	/* Cancelling everything: nothing was delivered, nothing sounds. */
	sent(n, 0x20903C64, t + S, t);
	midi_notes_cancelled(n, 1000);
	assert_int_equal(midi_notes_release(n, collect, &o), 0);
	/* Nothing cancelled: the off was delivered. */
	sent(n, 0x20903C64, t + S, t);
	sent(n, 0x20803C00, t + 2 * S, t);
	midi_notes_cancelled(n, 0);
	assert_int_equal(midi_notes_release(n, collect, &o), 0);
	midi_notes_free(n);
}

static void test_unknown_and_settled(void **state)
{
	(void)state;
	midi_error e;
	midi_notes *n = midi_notes_new(&e);
	uint64_t t = 100 * S;
	/* Long settled: on 50 (still on), on/off 51. */
	sent(n, 0x20903264, 0, t);
	sent(n, 0x20903364, 0, t);
	sent(n, 0x20803300, 0, t);
	/* 20 s later (the above fold into the state): on/off 60, on 61. */
	sent(n, 0x20903C64, 0, t + 20 * S);
	sent(n, 0x20803C00, t + 21 * S, t + 20 * S);
	sent(n, 0x20903D64, t + 22 * S, t + 20 * S);
	midi_notes_cancelled(n, UINT64_MAX);
	out_t o = {0};
	/* 50 from the state; 60 and 61 had a Note On not yet settled. */
	assert_int_equal(midi_notes_release(n, collect, &o), 3);
	assert_int_equal(o.p[0].w[0], 0x20803200);
	assert_int_equal(o.p[1].w[0], 0x20803C00);
	assert_int_equal(o.p[2].w[0], 0x20803D00);
	midi_notes_free(n);
}

static void test_panic(void **state)
{
	(void)state;
	out_t o = {0};
	assert_int_equal(midi_panic(4, collect, &o), 0);
	assert_int_equal(o.n, 48);
	assert_int_equal(o.p[0].w[0], 0x24B07B00);
	assert_int_equal(o.p[1].w[0], 0x24B07800);
	assert_int_equal(o.p[2].w[0], 0x24B07900);
	assert_int_equal(o.p[47].w[0], 0x24BF7900);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_per_protocol),
		cmocka_unit_test(test_cancelled_in_due_order),
		cmocka_unit_test(test_unknown_and_settled),
		cmocka_unit_test(test_panic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
