/* test_rtprio.c: real-time scheduling of the hosts of devices (rtprio.c):
 * $MIDI_RT_PRIORITY read (default, 0 = off, out of range = default);
 * SCHED_FIFO at that priority where permitted, not inherited by a child;
 * nothing asked for with 0; as an unprivileged user, capped by
 * RLIMIT_RTPRIO, else a nice value within RLIMIT_NICE, else nothing. Each
 * case runs in a forked child (the scheduling of the test itself stays).
 * The unprivileged cases need root to set the limits and drop to nobody. */
#include "testutil.h"

#include <errno.h>
#include <sched.h>
#include <sys/resource.h>

#include "broker/broker.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static void test_priority_env(void **state)
{
	static const struct {
		const char *v;
		int want;
	} cases[] = {{"", 10}, {"0", 0}, {"1", 1}, {"5", 5}, {"99", 99}, {"100", 10},
		     {"-1", 10}, {"x", 10}, {"5x", 10}};
	unsetenv("MIDI_RT_PRIORITY");
	assert_int_equal(broker_rt_priority(), 10);
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		setenv("MIDI_RT_PRIORITY", cases[k].v, 1);
		assert_int_equal(broker_rt_priority(), cases[k].want);
	}
	unsetenv("MIDI_RT_PRIORITY");
}

/* What the child's broker_realtime got, its policy, priority and nice
 * value, and the policy of a child of its own, packed into the exit
 * status through a pipe. */
struct got {
	int r, policy, prio, nice, child_policy;
};

static struct got in_child(const char *env, rlim_t rtprio, rlim_t nicelim, int drop)
{
	int fd[2];
	assert_int_equal(pipe(fd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		if (env)
			setenv("MIDI_RT_PRIORITY", env, 1);
		else
			unsetenv("MIDI_RT_PRIORITY");
		if (drop) {
			struct rlimit a = {rtprio, rtprio}, b = {nicelim, nicelim};
			if (setrlimit(RLIMIT_RTPRIO, &a) < 0 || setrlimit(RLIMIT_NICE, &b) < 0) {
				/* raising a hard limit needs CAP_SYS_RESOURCE,
				 * which containers often drop */
				struct got no = {.r = -1};
				_exit(write(fd[1], &no, sizeof no) == (ssize_t)sizeof no ? 0 : 3);
			}
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(2);
		}
		struct got g = {0};
		g.r = broker_realtime();
		g.policy = sched_getscheduler(0);
		struct sched_param sp;
		g.prio = sched_getparam(0, &sp) == 0 ? sp.sched_priority : -1;
		errno = 0;
		g.nice = getpriority(PRIO_PROCESS, 0);
		pid_t c = fork();
		if (c == 0)
			_exit(sched_getscheduler(0) & 0xFF);
		int st = 0;
		waitpid(c, &st, 0);
		g.child_policy = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (write(fd[1], &g, sizeof g) != (ssize_t)sizeof g)
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	struct got g;
	assert_int_equal(read(fd[0], &g, sizeof g), (ssize_t)sizeof g);
	close(fd[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return g;
}

/* Whether this process may use SCHED_FIFO (root, or RLIMIT_RTPRIO). */
static int fifo_allowed(void)
{
	struct sched_param sp = {.sched_priority = 1};
	pid_t pid = fork();
	if (pid == 0)
		_exit(sched_setscheduler(0, SCHED_FIFO, &sp) == 0 ? 0 : 1);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void test_fifo(void **state)
{
	struct got g = in_child("7", 0, 0, 0);
	if (!fifo_allowed()) {
		/* not permitted here: it runs as it is (or niced) */
		assert_int_not_equal(g.r, BROKER_RT_FIFO);
		assert_int_equal(g.policy, SCHED_OTHER);
		return;
	}
	assert_int_equal(g.r, BROKER_RT_FIFO);
	assert_int_equal(g.policy, SCHED_FIFO | SCHED_RESET_ON_FORK);
	assert_int_equal(g.prio, 7);
	assert_int_equal(g.child_policy, SCHED_OTHER); /* not inherited */
	g = in_child(NULL, 0, 0, 0);
	assert_int_equal(g.r, BROKER_RT_FIFO);
	assert_int_equal(g.prio, 10);
}

static void test_off(void **state)
{
	errno = 0;
	int nice0 = getpriority(PRIO_PROCESS, 0);
	struct got g = in_child("0", 0, 0, 0);
	assert_int_equal(g.r, BROKER_RT_NONE);
	assert_int_equal(g.policy, SCHED_OTHER);
	assert_int_equal(g.nice, nice0);
}

/* Unprivileged (nobody), with the limits pam_limits would give. A case
 * whose limit cannot be raised here (no CAP_SYS_RESOURCE) is not run; the
 * last (both limits 0) always is. */
static void test_limits(void **state)
{
	if (geteuid() != 0) {
		skip(); /* setting the limits and dropping to nobody needs root */
		return;
	}
	/* RLIMIT_RTPRIO 3: FIFO, capped at 3 */
	struct got g = in_child("10", 3, 0, 1);
	if (g.r != -1) {
		assert_int_equal(g.r, BROKER_RT_FIFO);
		assert_int_equal(g.policy, SCHED_FIFO | SCHED_RESET_ON_FORK);
		assert_int_equal(g.prio, 3);
	}
	/* no RLIMIT_RTPRIO, RLIMIT_NICE 25 (down to nice -5): niced */
	g = in_child("10", 0, 25, 1);
	if (g.r != -1) {
		assert_int_equal(g.r, BROKER_RT_NICE);
		assert_int_equal(g.policy, SCHED_OTHER);
		assert_int_equal(g.nice, -5);
	}
	/* RLIMIT_NICE 40 (down to -20): niced to -10, not further */
	g = in_child("10", 0, 40, 1);
	if (g.r != -1) {
		assert_int_equal(g.r, BROKER_RT_NICE);
		assert_int_equal(g.nice, -10);
	}
	/* neither: it runs as it is */
	errno = 0;
	int nice0 = getpriority(PRIO_PROCESS, 0);
	g = in_child("10", 0, 0, 1);
	assert_int_equal(g.r, BROKER_RT_NONE);
	assert_int_equal(g.policy, SCHED_OTHER);
	assert_int_equal(g.nice, nice0);
	assert_int_equal(g.child_policy, SCHED_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_env),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
