/* test_bell.c: doorbells (bell.c) as the host loop uses them, and the
 * per-process key that every lock and table entry is stamped with:
 * - an edge-triggered bell that is not emptied still wakes at every ring
 *   (the host loop empties it only every few waits where bell_edge_ok)
 * - a level-triggered bell is readable until drained, and drains
 * - proc_key_self is computed once per process, yet a forked child gets
 *   its own key (its pid), not its parent's cached one. */
#include "testutil.h"

#include <sys/epoll.h>

#include "broker/broker.h"

static char dir[256];

static int fresh(void **state)
{
	(void)state;
	test_fresh_runtime(dir, sizeof dir, "bell", "none.conf");
	return 0;
}

static int events(int ep)
{
	struct epoll_event ev;
	return epoll_wait(ep, &ev, 1, 0);
}

static void test_edge_bell_wakes_at_every_ring(void **state)
{
	(void)state;
	if (!bell_edge_ok())
		skip(); /* this kernel: the host drains before every wait */
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	uint64_t id;
	int fd = bell_create(rt, &id, &e);
	assert_true(fd >= 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(events(ep), 0);
	/* Rung by "another process" (through the name, as ringers do), never
	 * emptied in between: each ring is one wake-up. */
	for (int k = 0; k < 100; k++) {
		bell_ring(rt, id);
		assert_int_equal(events(ep), 1);
		assert_int_equal(events(ep), 0); /* consumed until the next ring */
	}
	assert_true(bell_drain(fd));
	assert_false(bell_drain(fd));
	bell_ring(rt, id);
	assert_int_equal(events(ep), 1);
	close(ep);
	close(fd);
	bell_unlink(rt, id);
	rt_put(rt);
}

static void test_level_bell_until_drained(void **state)
{
	(void)state;
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	uint64_t id;
	int fd = bell_create(rt, &id, &e);
	assert_true(fd >= 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	bell_ring(rt, id);
	bell_ring(rt, id);
	assert_int_equal(events(ep), 1);
	assert_int_equal(events(ep), 1); /* still readable */
	assert_true(bell_drain(fd));
	assert_int_equal(events(ep), 0);
	close(ep);
	close(fd);
	bell_unlink(rt, id);
	rt_put(rt);
}

static void test_proc_key_per_process(void **state)
{
	(void)state;
	uint64_t mine = proc_key_self();
	assert_int_equal((uint32_t)mine, (uint32_t)getpid());
	assert_true(mine == proc_key_self()); /* cached: the same */
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t k = proc_key_self();
		(void)!write(p[1], &k, sizeof k);
		_exit(0);
	}
	close(p[1]);
	uint64_t child = 0;
	assert_int_equal(read(p[0], &child, sizeof child), (ssize_t)sizeof child);
	close(p[0]);
	waitpid(pid, NULL, 0);
	assert_true(child != mine);
	assert_int_equal((uint32_t)child, (uint32_t)pid);
	assert_true(proc_key_alive(mine));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_edge_bell_wakes_at_every_ring, fresh),
		cmocka_unit_test_setup(test_level_bell_until_drained, fresh),
		cmocka_unit_test(test_proc_key_per_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
