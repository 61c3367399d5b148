/* test_bell.c: doorbells (bell.c) as the host loop uses them, and the
 * per-process key that every lock and table entry is stamped with:
 * - an edge-triggered bell that is not emptied still wakes at every ring
 *   (the host loop empties it only every few waits where bell_edge_ok)
 * - a level-triggered bell is readable until drained, and drains
 *   (both for the two kinds: a pipe bell, a FIFO bell)
 * - a pipe bell is a link to its owner's /proc/PID/fd that another process
 *   rings; a link whose inode does not match the ID (left by an owner that
 *   died, its pid and descriptor reused) is never written into
 * - a process others may not open through /proc (not dumpable) makes
 *   FIFO bells, which other processes ring; so does MIDI_BELLS=fifo
 * - threads ringing at once, through more bells than the descriptor cache
 *   holds, lose no ring
 * - proc_key_self is computed once per process, yet a forked child gets
 *   its own key (its pid), not its parent's cached one. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

static void bellset_open_kind(struct bellset *b, uint32_t events_mask, int fifo)
{
	midi_error e;
	b->rt = rt_get(&e);
	assert_non_null(b->rt);
	b->fd = fifo ? bell_create_fifo(b->rt, &b->id, &e) : bell_create(b->rt, &b->id, &e);
	assert_true(b->fd >= 0);
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = events_mask};
	assert_int_equal(epoll_ctl(b->ep, EPOLL_CTL_ADD, b->fd, &ev), 0);
}

static void bellset_open(struct bellset *b, uint32_t events_mask)
{
	bellset_open_kind(b, events_mask, 0);
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

static void level_bell_until_drained(int fifo)
{
	struct bellset b;
	bellset_open_kind(&b, EPOLLIN, fifo);
	assert_int_equal(!(b.id >> 63), fifo); /* the kind asked for */
	bell_ring(b.rt, b.id);
	bell_ring(b.rt, b.id);
	assert_int_equal(events(b.ep), 1);
	assert_int_equal(events(b.ep), 1); /* still readable */
	assert_true(bell_drain(b.fd));
	assert_int_equal(events(b.ep), 0);
	bellset_close(&b);
}

static void test_level_bell_until_drained(void **state)
{
	(void)state;
	level_bell_until_drained(0);
	level_bell_until_drained(1);
}

/* Rings bell id from a child process. */
static void ring_from_child(struct rt *rt, uint64_t id)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bell_ring(rt, id);
		_exit(0);
	}
	test_wait_ok(pid, "ringer");
}

static void bell_path(char *buf, size_t n, uint64_t id)
{
	snprintf(buf, n, "%s/bell-%016llx", dir, (unsigned long long)id);
}

static void test_pipe_bell_rung_by_another_process(void **state)
{
	(void)state;
	struct bellset b;
	bellset_open(&b, EPOLLIN);
	assert_true(b.id >> 63);
	char path[320], target[64], want[64];
	bell_path(path, sizeof path, b.id);
	ssize_t n = readlink(path, target, sizeof target - 1);
	assert_true(n > 0);
	target[n] = '\0';
	snprintf(want, sizeof want, "/proc/%d/fd/%d", (int)getpid(), b.fd);
	assert_string_equal(target, want);
	struct stat st;
	assert_int_equal(fstat(b.fd, &st), 0);
	assert_int_equal((uint32_t)st.st_ino, (uint32_t)b.id);
	ring_from_child(b.rt, b.id);
	assert_int_equal(events(b.ep), 1);
	assert_true(bell_drain(b.fd));
	bellset_close(&b);
	assert_int_equal(access(path, F_OK), -1); /* unlinked */
}

static void test_stale_pipe_bell_never_rings_another_pipe(void **state)
{
	(void)state;
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	/* Someone else's pipe at the place a dead owner's link points to. */
	int p[2];
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	struct stat st;
	assert_int_equal(fstat(p[0], &st), 0);
	uint64_t id = (1ull << 63) | 0x1234567800000000ull | (uint32_t)(st.st_ino + 1);
	char path[320], target[64];
	bell_path(path, sizeof path, id);
	snprintf(target, sizeof target, "/proc/%d/fd/%d", (int)getpid(), p[1]);
	assert_int_equal(symlink(target, path), 0);
	ring_from_child(rt, id);
	bell_ring(rt, id);
	char c;
	assert_int_equal(read(p[0], &c, 1), -1); /* nothing was written */
	assert_int_equal(errno, EAGAIN);
	/* With the right inode it is that pipe's bell. */
	uint64_t id2 = (1ull << 63) | 0x1234567800000000ull | (uint32_t)st.st_ino;
	char path2[320];
	bell_path(path2, sizeof path2, id2);
	assert_int_equal(symlink(target, path2), 0);
	bell_ring(rt, id2);
	assert_int_equal(read(p[0], &c, 1), 1);
	bell_unlink(rt, id);
	bell_unlink(rt, id2);
	close(p[0]);
	close(p[1]);
	rt_put(rt);
}

static void test_undumpable_process_makes_fifo_bells(void **state)
{
	(void)state;
	int res[2];
	assert_int_equal(pipe(res), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The owner: not dumpable, so others cannot open its /proc/PID/fd. */
		midi_error e;
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		struct rt *rt = rt_get(&e);
		uint64_t id = 0;
		int fd = rt ? bell_create(rt, &id, &e) : -1;
		struct stat st;
		char path[320];
		bell_path(path, sizeof path, id);
		int ok = fd >= 0 && !(id >> 63) && lstat(path, &st) == 0 && S_ISFIFO(st.st_mode);
		test_put_u64(res[1], id);
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		ok = ok && poll(&pf, 1, 5000) == 1; /* rung by the parent */
		bell_unlink(rt, id);
		_exit(ok ? 0 : 1);
	}
	close(res[1]);
	uint64_t id = test_get_u64(res[0]);
	close(res[0]);
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	bell_ring(rt, id);
	test_wait_ok(pid, "undumpable bell owner");
	rt_put(rt);
}

/* Threads of one process ringing bells at once, more bells than the
 * descriptor cache holds (so entries are evicted and closed while others
 * ring): every ring lands, none in a wrong or closed descriptor. */
#define RING_BELLS 40
#define RING_THREADS 4
#define RINGS_EACH 3000

struct ringer {
	struct rt *rt;
	const uint64_t *ids;
	int k;
};

static void *ring_many(void *arg)
{
	struct ringer *r = arg;
	for (int n = 0; n < RINGS_EACH; n++)
		bell_ring(r->rt, r->ids[(r->k * 7 + n * 3) % RING_BELLS]);
	return NULL;
}

static void test_threads_ring_at_once(void **state)
{
	(void)state;
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	uint64_t ids[RING_BELLS];
	int fds[RING_BELLS];
	for (int k = 0; k < RING_BELLS; k++) {
		fds[k] = bell_create(rt, &ids[k], &e);
		assert_true(fds[k] >= 0);
	}
	pthread_t t[RING_THREADS];
	struct ringer r[RING_THREADS];
	for (int k = 0; k < RING_THREADS; k++) {
		r[k] = (struct ringer){rt, ids, k};
		assert_int_equal(pthread_create(&t[k], NULL, ring_many, &r[k]), 0);
	}
	for (int k = 0; k < RING_THREADS; k++)
		assert_int_equal(pthread_join(t[k], NULL), 0);
	long total = 0;
	for (int k = 0; k < RING_BELLS; k++) {
		char buf[4096];
		ssize_t n;
		while ((n = read(fds[k], buf, sizeof buf)) > 0)
			total += n;
		bell_unlink(rt, ids[k]);
		close(fds[k]);
	}
	assert_int_equal(total, (long)RING_THREADS * RINGS_EACH);
	rt_put(rt);
}

/* MIDI_BELLS=fifo: FIFO bells, rung as any; another value: the default. */
static void test_midi_bells_env(void **state)
{
	(void)state;
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	const char *vals[] = {"fifo", "pipe", "FIFO"};
	for (int k = 0; k < 3; k++) {
		assert_int_equal(setenv("MIDI_BELLS", vals[k], 1), 0);
		uint64_t id = 0;
		int fd = bell_create(rt, &id, &e);
		assert_true(fd >= 0);
		char path[320];
		struct stat st;
		bell_path(path, sizeof path, id);
		assert_int_equal(lstat(path, &st), 0);
		int fifo = k == 0;
		assert_int_equal(!(id >> 63), fifo);
		assert_int_equal(S_ISFIFO(st.st_mode) != 0, fifo);
		assert_int_equal(S_ISLNK(st.st_mode) != 0, !fifo);
		bell_ring(rt, id);
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&pf, 1, 5000), 1);
		assert_true(bell_drain(fd));
		bell_unlink(rt, id);
		close(fd);
	}
	unsetenv("MIDI_BELLS");
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
		cmocka_unit_test_setup(test_pipe_bell_rung_by_another_process, fresh),
		cmocka_unit_test_setup(test_stale_pipe_bell_never_rings_another_pipe, fresh),
		cmocka_unit_test_setup(test_undumpable_process_makes_fifo_bells, fresh),
		cmocka_unit_test_setup(test_midi_bells_env, fresh),
		cmocka_unit_test_setup(test_threads_ring_at_once, fresh),
		cmocka_unit_test(test_proc_key_per_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
