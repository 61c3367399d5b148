/* test_jr.c: JR timestamps without a broker (jr/jr.h): what a sender puts
 * before its messages (a clock when the last is 200 ms old, a timestamp per
 * send and per tick, nothing once the application sends its own), and how
 * a receiver corrects arrival times: transport delays removed down to the
 * smallest seen, 16-bit wrap-around, a timestamp before any clock ignored,
 * a timestamp's reach, a restarted sender re-synchronised, slow drift
 * followed; a sender -> random delays (0.5 to 30.5 ms) -> receiver round
 * trip gives back the send times plus the smallest delay, to 3 ms. */
#include "testutil.h"

#include "jr/jr.h"
#include "midi/msg.h"

#define MS 1000000ull

static midi_packet msg(uint64_t t, uint32_t w0)
{
	midi_packet p = {t, midi_ump_make(w0, 0, 0, 0)};
	return p;
}

static unsigned jr_kind(const midi_packet *p)
{
	return jr_is_jr(&p->ump) ? (p->ump.w[0] >> 20) & 0xF : 0;
}

static void test_tx_clock_and_stamps(void **state)
{
	(void)state;
	struct jr_tx t = {0};
	midi_packet in[2] = {msg(0, 0x20903C64), msg(0, 0x20803C00)}, out[6];
	uint64_t now = 5000 * MS;
	size_t n = jr_tx_expand(&t, in, 2, now, out);
	assert_int_equal(n, 4);
	assert_int_equal(jr_kind(&out[0]), 1);
	assert_int_equal(jr_kind(&out[1]), 2);
	assert_int_equal(out[0].ump.w[0] & 0xFFFF, (now / JR_TICK_NS) & 0xFFFF);
	assert_int_equal(out[1].ump.w[0] & 0xFFFF, (now / JR_TICK_NS) & 0xFFFF);
	assert_int_equal(out[2].ump.w[0], 0x20903C64);
	assert_int_equal(out[3].ump.w[0], 0x20803C00);
	/* 100 ms later: a timestamp, no clock. */
	n = jr_tx_expand(&t, in, 1, now + 100 * MS, out);
	assert_int_equal(n, 2);
	assert_int_equal(jr_kind(&out[0]), 2);
	/* 200 ms after the clock: a clock again. */
	n = jr_tx_expand(&t, in, 1, now + 200 * MS, out);
	assert_int_equal(n, 3);
	assert_int_equal(jr_kind(&out[0]), 1);
	/* Scheduled messages a second apart: each its own timestamp, with
	 * its time and the packets' time kept. */
	midi_packet sch[2] = {msg(now + 1000 * MS, 0x20903C64), msg(now + 1100 * MS, 0x20803C00)};
	n = jr_tx_expand(&t, sch, 2, now + 300 * MS, out);
	assert_int_equal(n, 5); /* clock ts msg ts msg */
	assert_int_equal(out[1].ump.w[0] & 0xFFFF, ((now + 1000 * MS) / JR_TICK_NS) & 0xFFFF);
	assert_true(out[1].time_ns == now + 1000 * MS);
	assert_int_equal(jr_kind(&out[3]), 2);
	assert_true(out[3].time_ns == now + 1100 * MS);
	assert_int_equal(t.clocks, 3);
	/* The application sends its own: left alone from then on. */
	midi_packet own[2] = {msg(0, 0x00100000), msg(0, 0x20903C64)};
	assert_int_equal(jr_tx_expand(&t, own, 2, now + 2000 * MS, out), 2);
	assert_int_equal(jr_tx_expand(&t, in, 1, now + 3000 * MS, out), 1);
	assert_int_equal(out[0].ump.w[0], 0x20903C64);
}

static void test_rx_removes_delay(void **state)
{
	(void)state;
	struct jr_rx r = {0};
	uint64_t base = 10000 * MS;
	/* Sender tick 1000 sent at base, arriving 1 ms late; a message
	 * timestamped 100 ms later arrives 40 ms late. */
	midi_packet p[6] = {
		msg(base + 1 * MS, 0x001003E8),  /* JR Clock 1000 */
		msg(base + 1 * MS, 0x002003E8),  /* JR Timestamp 1000 */
		msg(base + 1 * MS, 0x20903C64),
		msg(base + 140 * MS, 0x20200000 | ((1000 + 3125) & 0xFFFF)), /* not JR: MT2 */
	};
	p[3] = msg(base + 140 * MS, 0x00200000 | (1000 + 3125)); /* JR Timestamp +100 ms */
	p[4] = msg(base + 140 * MS, 0x20803C00);
	size_t n = jr_rx_filter(&r, p, 5);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].ump.w[0], 0x20903C64);
	assert_true(p[0].time_ns == base + 1 * MS);
	assert_int_equal(p[1].ump.w[0], 0x20803C00);
	assert_true(p[1].time_ns == base + 101 * MS);
	assert_int_equal(r.clocks, 1);
	assert_int_equal(r.stamps, 2);
	/* A later clock with less delay lowers the offset. */
	jr_rx_clock(&r, 1000 + 6250, base + 200 * MS + 200000); /* 0.2 ms late */
	jr_rx_stamp(&r, 1000 + 6250, base + 230 * MS);
	assert_true(jr_rx_time(&r, base + 230 * MS) == base + 200 * MS + 200000);
	/* The timestamp reaches 20 ms of arrivals, not more. */
	assert_true(jr_rx_time(&r, base + 260 * MS) == base + 260 * MS);
	/* Never later than the arrival. */
	jr_rx_stamp(&r, 1000 + 6250 + 31250, base + 300 * MS); /* claims +1 s */
	assert_true(jr_rx_time(&r, base + 300 * MS) == base + 300 * MS);
}

static void test_rx_before_clock_and_wrap(void **state)
{
	(void)state;
	struct jr_rx r = {0};
	uint64_t base = 20000 * MS;
	jr_rx_stamp(&r, 500, base);
	assert_true(jr_rx_time(&r, base) == base); /* no clock yet: as it arrived */
	/* Clocks every 250 ms across the 16-bit wrap (65536 ticks = 2.097 s). */
	uint64_t tick = 65536 - 7812 * 2;
	for (int k = 0; k < 8; k++) {
		uint64_t at = base + (uint64_t)k * 250 * MS;
		jr_rx_clock(&r, (unsigned)(tick & 0xFFFF), at + (k % 2) * 3 * MS);
		jr_rx_stamp(&r, (unsigned)((tick + 10) & 0xFFFF), at + 5 * MS);
		uint64_t want = at + 10 * JR_TICK_NS;
		uint64_t got = jr_rx_time(&r, at + 5 * MS);
		assert_true(got >= want - JR_TICK_NS && got <= want + JR_TICK_NS);
		tick += 7812; /* 249.98 ms */
	}
}

static void test_rx_restart_and_drift(void **state)
{
	(void)state;
	struct jr_rx r = {0};
	uint64_t base = 30000 * MS;
	jr_rx_clock(&r, 0, base);
	/* The sender restarts: its clock says 0 again half a second later. */
	jr_rx_clock(&r, 0, base + 500 * MS);
	jr_rx_clock(&r, 3125, base + 600 * MS); /* twice late: re-synchronised */
	jr_rx_stamp(&r, 3125, base + 600 * MS);
	assert_true(jr_rx_time(&r, base + 600 * MS) == base + 600 * MS);
	/* A sender clock 100 ppm slow: the offset follows it. */
	struct jr_rx d = {0};
	uint64_t s = 0;
	for (int k = 0; k <= 400; k++) { /* 100 s of clocks every 250 ms */
		uint64_t local = base + (uint64_t)k * 250 * MS;
		s = (uint64_t)k * 250 * MS * 9999 / 10000; /* sender ns */
		jr_rx_clock(&d, (unsigned)((s / JR_TICK_NS) & 0xFFFF), local);
	}
	uint64_t last = base + 400ull * 250 * MS;
	jr_rx_stamp(&d, (unsigned)((s / JR_TICK_NS) & 0xFFFF), last);
	uint64_t got = jr_rx_time(&d, last);
	assert_true(last - got < 1 * MS); /* within 1 ms after 100 s (10 ms of drift) */
}

/* Sender -> transport delays of 0.5 to 30.5 ms -> receiver. */
static void test_round_trip(void **state)
{
	(void)state;
	struct jr_tx t = {0};
	struct jr_rx r = {0};
	uint64_t base = 40000 * MS, seed = 12345;
	int64_t worst = 0;
	for (int k = 0; k < 2000; k++) {
		uint64_t sent = base + (uint64_t)k * 7 * MS;
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t delay = k == 0 ? 500000 : 500000 + (seed >> 33) % (30 * MS);
		midi_packet in = msg(0, 0x20903C64), out[3];
		size_t n = jr_tx_expand(&t, &in, 1, sent, out);
		for (size_t j = 0; j < n; j++)
			out[j].time_ns = sent + delay;
		size_t m = jr_rx_filter(&r, out, n);
		assert_int_equal(m, 1);
		/* Never before the send plus the smallest delay; after it by far
		 * less than the 30 ms of jitter (the offset creeps up 100 ppm
		 * between clocks that came with little delay). */
		int64_t err = (int64_t)out[0].time_ns - (int64_t)(sent + 500000);
		assert_true(err >= -(int64_t)JR_TICK_NS);
		if (err > worst)
			worst = err;
	}
	print_message("worst %lld ns\n", (long long)worst);
	assert_true(worst < 3 * (int64_t)MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_clock_and_stamps),
		cmocka_unit_test(test_rx_removes_delay),
		cmocka_unit_test(test_rx_before_clock_and_wrap),
		cmocka_unit_test(test_rx_restart_and_drift),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
