/* test_alsa_qclock.c: the alsa host's queue clock (alsa_qclock.c), no
 * kernel needed: nothing is stamped before a measurement; the most precise
 * offset is kept against looser ones that agree with it; a queue clock
 * that runs slow against CLOCK_MONOTONIC (an emulated timer) keeps arrivals
 * within the drift of one look and one window; stamps in the future
 * or before the clock's start are refused. */
#include "testutil.h"

#include "transport/alsa.h"

#define MS 1000000ull
#define S 1000000000ull

static void test_unmeasured(void **state)
{
	(void)state;
	struct alsa_qclock q = {0};
	assert_int_equal(alsa_qclock_stamp(&q, 5 * S, 100 * S), 0);
}

static void test_precise_kept(void **state)
{
	(void)state;
	struct alsa_qclock q = {0};
	/* The queue started at 100 s of CLOCK_MONOTONIC. */
	assert_int_equal(alsa_qclock_update(&q, (int64_t)(100 * S), 10000, 101 * S), 1);
	assert_int_equal(alsa_qclock_stamp(&q, 1 * S, 102 * S), 101 * S);
	/* A looser look that agrees (within both windows) changes nothing. */
	assert_int_equal(alsa_qclock_update(&q, (int64_t)(100 * S + 40000), 100000, 102 * S), 0);
	assert_int_equal(q.off, (int64_t)(100 * S));
	/* A more precise one replaces it. */
	assert_int_equal(alsa_qclock_update(&q, (int64_t)(100 * S + 2000), 4000, 103 * S), 1);
	assert_int_equal(q.off, (int64_t)(100 * S + 2000));
	/* A looser one, once the kept one is old, replaces it. */
	assert_int_equal(alsa_qclock_update(&q, (int64_t)(100 * S + 3000), 100000,
					    103 * S + ALSA_QCLOCK_KEEP_NS),
			 1);
	assert_int_equal(q.win, 100000);
}

static void test_refused(void **state)
{
	(void)state;
	struct alsa_qclock q = {0};
	alsa_qclock_update(&q, (int64_t)(100 * S), 10000, 101 * S);
	/* After now: the caller times the event itself. */
	assert_int_equal(alsa_qclock_stamp(&q, 3 * S, 102 * S), 0);
	/* At or before CLOCK_MONOTONIC's start. */
	alsa_qclock_update(&q, -(int64_t)(100 * S), 1, 200 * S);
	assert_int_equal(alsa_qclock_stamp(&q, 50 * S, 200 * S), 0);
	assert_int_equal(alsa_qclock_stamp(&q, 100 * S, 200 * S), 0);
}

/* A queue whose clock gains only 990 ns per 1000 ns of CLOCK_MONOTONIC.
 * Measured precisely once (10 us), then every 50 ms in looser windows (100
 * us, as under TCG), as the host does while events come; an event every
 * 10 ms for 5 s is stamped with the queue's time when it arrives. Kept for
 * good, the first offset would stamp the last events 50 ms early, long
 * before they were even sent. */
static void test_slow_queue_clock(void **state)
{
	(void)state;
	struct alsa_qclock q = {0};
	const uint64_t t0 = 100 * S;
	uint64_t worst_early = 0, worst_late = 0;
	for (uint64_t t = t0; t < t0 + 5 * S; t += 10 * MS) {
		uint64_t win = t == t0 ? 10000 : 100000;
		if ((t - t0) % (50 * MS) == 0) {
			uint64_t mid = t + win / 2;
			uint64_t qt = (mid - t0) / 1000 * 990;
			alsa_qclock_update(&q, (int64_t)mid - (int64_t)qt, win, t + win);
		}
		uint64_t at = t + 300000;
		uint64_t stamp = alsa_qclock_stamp(&q, (at - t0) / 1000 * 990, at + 50000);
		assert_true(stamp != 0);
		if (stamp < at && at - stamp > worst_early)
			worst_early = at - stamp;
		if (stamp > at && stamp - at > worst_late)
			worst_late = stamp - at;
	}
	/* Off by the drift of at most 50 ms (0.5 ms) and one window at most. */
	assert_true(worst_early <= 600000);
	assert_true(worst_late <= 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unmeasured),
		cmocka_unit_test(test_precise_kept),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_slow_queue_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
