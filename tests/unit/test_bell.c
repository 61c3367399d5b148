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

/* A bell of the test's runtime directory in an epoll set of its own, as a
 * host loop holds it (events: EPOLLIN, with or without EPOLLET). */
struct bellset {
	struct rt *rt;
	uint64_t id;
	int fd, ep;
};

static void bellset_open(struct bellset *b, uint32_t events_mask)
{
	midi_error e;
	b->rt = rt_get(&e);
	assert_non_null(b->rt);
	b->fd = bell_create(b->rt, &b->id, &e);
	assert_true(b->fd >= 0);
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = events_mask};
	assert_int_equal(epoll_ctl(b->ep, EPOLL_CTL_ADD, b->fd, &ev), 0);
}

static void bellset_close(struct bellset *b)
{
	close(b->ep);
	close(b->fd);
	bell_unlink(b->rt, b->id);
	rt_put(b->rt);
}

static void test_edge_bell_wakes_at_every_ring(void **state)
{
	(void)state;
	if (!bell_edge_ok())
		skip(); /* this kernel: the host drains before every wait */
	struct bellset b;
	bellset_open(&b, EPOLLIN | EPOLLET);
	assert_int_equal(events(b.ep), 0);
	/* Rung by "another process" (through the name, as ringers do), never
	 * emptied in between: each ring is one wake-up. */
	for (int k = 0; k < 100; k++) {
		bell_ring(b.rt, b.id);
		assert_int_equal(events(b.ep), 1);
		assert_int_equal(events(b.ep), 0); /* consumed until the next ring */
	}
	assert_true(bell_drain(b.fd));
	assert_false(bell_drain(b.fd));
	bell_ring(b.rt, b.id);
	assert_int_equal(events(b.ep), 1);
	bellset_close(&b);
}

static void test_level_bell_until_drained(void **state)
{
	(void)state;
	struct bellset b;
	bellset_open(&b, EPOLLIN);
	bell_ring(b.rt, b.id);
	bell_ring(b.rt, b.id);
	assert_int_equal(events(b.ep), 1);
	assert_int_equal(events(b.ep), 1); /* still readable */
	assert_true(bell_drain(b.fd));
	assert_int_equal(events(b.ep), 0);
	bellset_close(&b);
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
