/* test_rwriter.c: the one ring writer (broker/rwriter.c). Threads of one
 * process sharing one writer, and threads each with their own, never
 * interleave batches and lose nothing; back-pressure: a host that takes
 * one packet per millisecond (a slow device) slows its senders down and
 * loses nothing of a burst several times its input ring; a host that takes
 * nothing makes the send fail with MIDI_ERR_TIMEOUT, naming the endpoint,
 * rather than overrun; a writer killed holding the writer lock leaves it
 * to the next, and its unpublished half batch never reaches readers; a
 * writer lock full of garbage is taken over, one held by a live process
 * times out. Nothing of it crashes. Each test uses a fresh MIDI_RUNTIME_DIR. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "broker/broker.h"
#include "midi/endpoint.h"
#include "midi/virt.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "rwriter", "none.conf");
	return 0;
}

enum { THREADS = 4, BATCHES = 3000, BATCH = 5 };

struct shared {
	struct ring_writer *w;   /* shared writer, or NULL: own writer */
	struct rt *rt;
	struct seg *seg;
	uint32_t id;
};

static void *writer_thread(void *arg)
{
	struct shared *sh = arg;
	struct ring_writer own, *w = sh->w;
	midi_error e;
	if (!w) {
		if (rw_init(&own, sh->rt, sh->seg, 0, &e) < 0)
			return (void *)1;
		w = &own;
	}
	for (uint32_t b = 0; b < BATCHES; b++) {
		if (rw_room(w, BATCH, &e) < 0 || rw_begin(w, &e) < 0)
			return (void *)1;
		for (uint32_t k = 0; k < BATCH; k++) {
			midi_ump u = midi_ump_make(0x40900000 | sh->id, b << 8 | k, 0, 0);
			rw_put(w, &u, 0, 0);
			if (k == 1)
				sched_yield(); /* invite another thread in: the lock must keep it out */
		}
		rw_end(w);
	}
	if (w == &own)
		rw_fini(&own);
	return NULL;
}

/* Map the segment of endpoint `id` (its `out` ring is what readers read). */
static void map_seg(struct rt *rt, const char *id, struct seg *seg)
{
	midi_error e;
	size_t n;
	struct reg_slot *v = malloc(REG_SLOTS * sizeof *v);
	assert_non_null(v);
	assert_int_equal(reg_snapshot(rt, v, &n, &e), 0);
	int corrupt, found = 0;
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].info.id, id) == 0) {
			assert_int_equal(seg_map(rt, v[k].seg, v[k].uid, seg, &corrupt, &e), 0);
			found = 1;
		}
	free(v);
	assert_true(found);
}

static void run_threads(int shared)
{
	midi_error e;
	midi_conn *rx = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(rx);
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	struct seg seg;
	map_seg(rt, "diag:loopback-b", &seg);
	struct ring_writer w;
	assert_int_equal(rw_init(&w, rt, &seg, 0, &e), 0);
	pthread_t t[THREADS];
	struct shared sh[THREADS];
	for (uint32_t k = 0; k < THREADS; k++) {
		sh[k] = (struct shared){shared ? &w : NULL, rt, &seg, k};
		assert_int_equal(pthread_create(&t[k], NULL, writer_thread, &sh[k]), 0);
	}
	uint32_t next_batch[THREADS] = {0};
	size_t got = 0, total = (size_t)THREADS * BATCHES * BATCH;
	midi_packet r[256];
	int in_batch = -1;
	uint32_t expect_k = 0;
	while (got < total) {
		int m = midi_recv(rx, r, 256, 5000, &e);
		assert_true(m > 0);
		for (int j = 0; j < m; j++, got++) {
			uint32_t id = r[j].ump.w[0] & 0xff, b = r[j].ump.w[1] >> 8,
				 k = r[j].ump.w[1] & 0xff;
			assert_true(id < THREADS);
			if (in_batch < 0) {
				assert_int_equal(k, 0);
				assert_int_equal(b, next_batch[id]);
				in_batch = (int)id;
				expect_k = 1;
				continue;
			}
			/* The rest of a batch follows it, never another's packet. */
			assert_int_equal(id, (uint32_t)in_batch);
			assert_int_equal(k, expect_k);
			if (++expect_k == BATCH) {
				next_batch[id]++;
				in_batch = -1;
			}
		}
	}
	for (int k = 0; k < THREADS; k++) {
		void *res;
		pthread_join(t[k], &res);
		assert_null(res);
		assert_int_equal(next_batch[k], BATCHES);
	}
	assert_int_equal(midi_conn_lost(rx), 0);
	rw_fini(&w);
	seg_unmap(&seg);
	rt_put(rt);
	midi_close(rx);
}

static void test_threads_share_one_writer(void **state)
{
	(void)state;
	run_threads(1);
}

static void test_threads_own_writers(void **state)
{
	(void)state;
	run_threads(0);
}

static void test_back_pressure_from_slow_host(void **state)
{
	(void)state;
	enum { N = 3000 };
	midi_error e;
	/* The sender is forked first, owning nothing of ours (valgrind checks
	 * a child's leaks too), and waits for the device. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		midi_conn *c = NULL;
		for (int tries = 0; !c && tries < 1000; tries++) {
			c = midi_open("virt:slow", MIDI_OPEN_SEND_ONLY, &e);
			if (!c) {
				struct timespec ts = {0, 10000000};
				nanosleep(&ts, NULL);
			}
		}
		if (!c)
			_exit(1);
		for (uint32_t k = 0; k < N; k += 100) {
			midi_packet p[100];
			for (uint32_t j = 0; j < 100; j++)
				p[j] = (midi_packet){0, midi_ump_make(0x40903c00, k + j,
								      0, 0)};
			if (midi_send(c, p, 100, &e) < 0)
				_exit(2);
		}
		int st = midi_flush(c, 20000, &e) < 0 ? 3 : 0;
		midi_close(c);
		_exit(st);
	}
	setenv("MIDI_RING_SLOTS", "256", 1); /* a small input ring: N is 12 of it */
	midi_virt *v = midi_virt_open("slow", NULL, &e);
	unsetenv("MIDI_RING_SLOTS");
	assert_non_null(v);
	/* The host: one packet per millisecond at most (a 31.25 kbit/s cable). */
	uint32_t next = 0;
	while (next < N) {
		midi_packet r[1];
		int m = midi_virt_recv(v, r, 1, 10000, &e);
		if (m != 1)
			fail_msg("host: packet %u: midi_virt_recv %d: %s", next, m, m < 0 ? e.msg : "");
		assert_int_equal(r[0].ump.w[1], next);
		next++;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	test_wait_ok(pid, "sender");
	midi_virt_close(v);
}

static void test_stuck_host_times_out(void **state)
{
	(void)state;
	setenv("MIDI_RING_SLOTS", "256", 1);
	midi_error e;
	midi_virt *v = midi_virt_open("stuck", NULL, &e);
	unsetenv("MIDI_RING_SLOTS");
	assert_non_null(v);
	midi_conn *c = midi_open("virt:stuck", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(c);
	midi_packet p[64];
	for (int k = 0; k < 64; k++)
		p[k] = (midi_packet){0, midi_ump_make(0x40903c40, (uint32_t)k, 0, 0)};
	int r = 0;
	for (int k = 0; k < 10 && r == 0; k++)
		r = midi_send(c, p, 64, &e);
	assert_int_equal(r, -MIDI_ERR_TIMEOUT);
	/* It names the endpoint, not its file (ep-UID). */
	if (!strstr(e.msg, "endpoint virt:stuck is not taking messages"))
		fail_msg("%s", e.msg);
	/* What was accepted is all there, nothing overwritten. */
	midi_packet got[64];
	uint64_t n = 0;
	int m;
	while ((m = midi_virt_recv(v, got, 64, 0, &e)) > 0)
		n += (uint64_t)m;
	assert_true(n >= 192 && n <= 256);
	assert_int_equal(n % 64, 0);
	midi_close(c);
	midi_virt_close(v);
}

/* A writer that first wrote with no reader connected still paces a
 * reader that comes later (its cached bound was once "none"). */
struct late_arg {
	midi_conn *a;
	int n;
};

static void *late_sender(void *arg)
{
	struct late_arg *la = arg;
	midi_error e;
	for (int k = 0; k < la->n; k += 32) {
		midi_packet p[32];
		for (int j = 0; j < 32; j++)
			p[j] = (midi_packet){0, midi_ump_make(0x40903c00, (uint32_t)(k + j), 0, 0)};
		if (midi_send(la->a, p, 32, &e) < 0)
			return (void *)1;
	}
	return NULL;
}

static void test_reader_after_first_write(void **state)
{
	(void)state;
	enum { N = 256 * 20 };
	setenv("MIDI_RING_SLOTS", "256", 1); /* the runtime is made now: small rings */
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	unsetenv("MIDI_RING_SLOTS");
	assert_non_null(a);
	midi_packet first = {0, midi_ump_make(0x40903d00, 0, 0, 0)};
	assert_int_equal(midi_send(a, &first, 1, &e), 0); /* nobody reads yet */
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	struct late_arg la = {a, N};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, late_sender, &la), 0);
	int next = 0;
	midi_packet r[16];
	while (next < N) {
		int m = midi_recv(b, r, 16, 5000, &e);
		assert_true(m > 0);
		for (int k = 0; k < m; k++)
			assert_int_equal(r[k].ump.w[1], (uint32_t)next++);
		struct timespec ts = {0, 200000}; /* slow, but steady */
		nanosleep(&ts, NULL);
	}
	void *res;
	pthread_join(t, &res);
	assert_null(res);
	assert_int_equal(midi_conn_lost(b), 0);
	midi_close(b);
	midi_close(a);
}

static void test_writer_killed_holding_lock(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *rx = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(rx);
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	struct seg seg;
	map_seg(rt, "diag:loopback-b", &seg);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Half a batch, then killed with the lock held. */
		struct ring_writer w;
		midi_error ce;
		if (rw_init(&w, rt, &seg, 0, &ce) < 0 || rw_begin(&w, &ce) < 0)
			_exit(1);
		midi_ump u = midi_ump_make(0x40900000, 0xdead, 0, 0);
		rw_put(&w, &u, 0, 0);
		(void)!write(go[1], "x", 1);
		for (;;)
			pause();
	}
	char x;
	assert_int_equal(read(go[0], &x, 1), 1);
	kill(pid, SIGKILL);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	struct ring_writer w;
	assert_int_equal(rw_init(&w, rt, &seg, 0, &e), 0);
	uint64_t t0 = test_now_ns();
	midi_packet p = {0, midi_ump_make(0x40900000, 0xbeef, 0, 0)};
	assert_int_equal(rw_write(&w, &p, NULL, 0, 1, 0, &e), 0);
	assert_true(test_now_ns() - t0 < 1000000000ull); /* not the 2 s lock timeout */
	midi_packet r[4];
	assert_int_equal(midi_recv(rx, r, 4, 2000, &e), 1);
	assert_int_equal(r[0].ump.w[1], 0xbeef);
	assert_int_equal(midi_recv(rx, r, 4, 50, &e), 0);
	close(go[0]);
	close(go[1]);
	rw_fini(&w);
	seg_unmap(&seg);
	rt_put(rt);
	midi_close(rx);
}

/* 1 if the page holding p is mapped in this process (/proc/self/pagemap:
 * bit 63, "present", which needs no privilege). */
static int page_present(const void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	uint64_t v = 0;
	long page = sysconf(_SC_PAGESIZE);
	off_t at = (off_t)((uintptr_t)p / (uintptr_t)page * sizeof v);
	assert_int_equal(pread(fd, &v, sizeof v, at), (ssize_t)sizeof v);
	close(fd);
	return (int)(v >> 63);
}

/* Sporadic messages never meet an unmapped page of the ring (a page fault
 * each time one enters a new page, ~10 us in a VM, was the 99th
 * percentile of a round trip): the writer, after each send, and a reader,
 * after each read, have the pages ahead of them mapped already. */
static void test_pages_mapped_ahead(void **state)
{
	(void)state;
	void *probe = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(probe != MAP_FAILED);
	int can = madvise(probe, 4096, MADV_POPULATE_WRITE) == 0;
	munmap(probe, 4096);
	if (!can)
		skip(); /* a kernel before 5.14: no MADV_POPULATE_WRITE */
	midi_error e;
	midi_conn *rx = midi_open("diag:loopback-b", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(rx); /* the runtime and the endpoint exist */
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	struct seg ws, rs;
	map_seg(rt, "diag:loopback-b", &ws); /* a writer's mapping */
	map_seg(rt, "diag:loopback-b", &rs); /* a reader's */
	struct ring_writer w;
	assert_int_equal(rw_init(&w, rt, &ws, 0, &e), 0);
	struct ring_cursor cur = {ring_head(&rs.out), 0};
	uint64_t slots = ws.out.mask + 1;
	uint64_t n = 3 * RING_AHEAD_BYTES / sizeof(struct ring_slot);
	assert_true(n < slots / 2); /* the default ring: the window matters */
	midi_packet got[4];
	for (uint64_t k = 0; k < n; k++) {
		uint64_t pos = ring_wpos(&ws.out);
		if (k > 0) { /* mapped before this message comes to it */
			assert_true(page_present(&ws.out.slot[pos & ws.out.mask]));
			assert_true(page_present(&rs.out.slot[pos & rs.out.mask]));
		}
		midi_packet p = {0, midi_ump_make(0x20903c40, 0, 0, 0)};
		assert_int_equal(rw_write(&w, &p, NULL, 0, 1, 0, &e), 0);
		assert_int_equal(ring_read(&rs.out, &cur, got, NULL, 4, RING_ALL), 1);
	}
	/* Only a window ahead, not the whole ring at once. */
	uint64_t far = ring_wpos(&ws.out) + slots / 2;
	assert_false(page_present(&ws.out.slot[far & ws.out.mask]));
	rw_fini(&w);
	seg_unmap(&ws);
	seg_unmap(&rs);
	midi_close(rx);
}

static void test_writer_lock_garbage(void **state)
{
	(void)state;
	struct seg_wlock l;
	/* 0xff bytes (pid -1 with the waiters bit), a pid no process has, a
	 * pid beyond any pid_max: taken over, with no crash. */
	const uint32_t bad[] = {0xffffffffu, 0x7ffffffeu, 0x00ffffffu};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		memset(&l, 0xff, sizeof l);
		l.word = bad[k];
		assert_int_equal(wlock_take(&l, 2000), 1);
		wlock_give(&l);
		assert_int_equal(wlock_take(&l, 0), 0); /* free now */
		wlock_give(&l);
	}
	/* Held by a live process (this one's parent, say): a timeout. */
	l.word = (uint32_t)getppid();
	l.key = 0;
	uint64_t t0 = test_now_ns();
	assert_int_equal(wlock_take(&l, 50), -ETIMEDOUT);
	assert_true(test_now_ns() - t0 >= 50000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_threads_share_one_writer, fresh_runtime),
		cmocka_unit_test_setup(test_threads_own_writers, fresh_runtime),
		cmocka_unit_test_setup(test_back_pressure_from_slow_host, fresh_runtime),
		cmocka_unit_test_setup(test_stuck_host_times_out, fresh_runtime),
		cmocka_unit_test_setup(test_reader_after_first_write, fresh_runtime),
		cmocka_unit_test_setup(test_writer_killed_holding_lock, fresh_runtime),
		cmocka_unit_test(test_writer_lock_garbage),
		cmocka_unit_test_setup(test_pages_mapped_ahead, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
