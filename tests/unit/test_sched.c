/* test_sched.c: scheduled sends (midi_send with a future time_ns): held by
 * the runtime directory's scheduler and delivered no earlier than their due
 * time, also after the sender exited; equal due times keep each sender's
 * order; a scheduled SysEx arrives whole; bad timestamps are refused with
 * the packet index; a SIGKILLed scheduler is replaced without losing what
 * it had accepted, also by a receiver blocked in midi_recv that never sent
 * anything; sched_pidfd names the running scheduler and tells when it dies;
 * a full queue is refused; an endpoint removed before the due time has its
 * messages dropped and counted; midi_cancel takes back one connection's
 * pending messages and says how many; a "now" message never overtakes a
 * scheduled one, however late a starved scheduler. Fresh MIDI_RUNTIME_DIR per test; senders
 * are forked processes, which pick their due times themselves and report
 * them through a pipe, so that nothing assumes how fast a process starts
 * (valgrind makes that 5-10 times slower). Garbage in the scheduler's file:
 * test_sched_hostile.c. */
#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/sched.h"
#include "midi/endpoint.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "sched", "none.conf");
	unsetenv("MIDI_SCHED_SLOTS");
	return 0;
}

/* Receive exactly want packets within ms (fewer if they do not come). */
static size_t recv_n(midi_conn *c, midi_packet *out, size_t want, int ms)
{
	midi_error e;
	size_t got = 0;
	uint64_t end = test_now_ns() + (uint64_t)ms * 1000000ull;
	while (got < want) {
		uint64_t now = test_now_ns();
		if (now >= end)
			break;
		int n = midi_recv(c, out + got, want - got, (int)((end - now) / 1000000 + 1), &e);
		assert_true(n >= 0);
		got += (size_t)n;
	}
	return got;
}

static void wait_child(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void kill_and_wait(pid_t pid)
{
	assert_int_equal(kill(pid, SIGKILL), 0);
	for (int k = 0; k < 500 && !test_proc_gone(pid); k++)
		usleep(10000);
	assert_true(test_proc_gone(pid));
}

/* What the test means: the message arrives at (not before) its due time,
 * exactly once, although its sender was killed right after the hand-over
 * (midi_flush), whether that kill came before the due time (the usual
 * case: 500 ms ahead) or, on a slow machine, after it. */
static void test_after_sender_exit(void **state)
{
	(void)state;
	midi_error e;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
		uint64_t due = test_now_ns() + 500000000ull;
		midi_packet p = test_pk(due, 0x20903c64, 0);
		if (!a || midi_send(a, &p, 1, &e) < 0 || midi_flush(a, 5000, &e) < 0)
			_exit(1);
		test_put_u64(pfd[1], due);
		kill(getpid(), SIGKILL); /* killed right after the hand-over */
		_exit(2);
	}
	close(pfd[1]);
	/* Opened after the fork, so the sender (and the scheduler it starts)
	 * hold nothing of it; long before the due time, picked after the
	 * sender connected. */
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	uint64_t due = test_get_u64(pfd[0]);
	close(pfd[0]);
	midi_packet r[2];
	assert_int_equal(recv_n(b, r, 1, 5000), 1);
	assert_int_equal(r[0].ump.w[0], 0x20903c64);
	assert_true(r[0].time_ns >= due);
	assert_true(r[0].time_ns < due + 1000000000ull);
	assert_int_equal(midi_recv(b, r, 2, 300, &e), 0); /* exactly once */
	midi_close(b);
}

/* Two sender processes connect, then get one due time 2 s ahead from the
 * parent (so it does not matter how long they took to start) and send;
 * returns that due time. */
static uint64_t two_senders_same_due(pid_t pids[2], void (*body)(int s, midi_conn *a, uint64_t due))
{
	int ready[2], go[2][2];
	assert_int_equal(pipe(ready), 0);
	for (int s = 0; s < 2; s++) {
		assert_int_equal(pipe(go[s]), 0);
		pids[s] = fork();
		assert_true(pids[s] >= 0);
		if (pids[s] == 0) {
			close(ready[0]);
			close(go[s][1]);
			/* Not the others' either: a parent that fails must leave
			 * them reading end of file, not waiting for ever. */
			for (int j = 0; j < s; j++)
				close(go[j][1]);
			midi_error e;
			midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
			if (!a)
				_exit(1);
			test_put_u64(ready[1], 1);
			uint64_t due;
			if (read(go[s][0], &due, sizeof due) != (ssize_t)sizeof due)
				_exit(8);
			body(s, a, due);
			int r = midi_flush(a, 10000, &e);
			midi_close(a);
			_exit(r < 0 ? 3 : 0);
		}
		close(go[s][0]);
	}
	close(ready[1]);
	test_get_u64(ready[0]);
	test_get_u64(ready[0]);
	close(ready[0]);
	uint64_t due = test_now_ns() + 2000000000ull;
	for (int s = 0; s < 2; s++) {
		assert_int_equal(write(go[s][1], &due, sizeof due), (ssize_t)sizeof due);
		close(go[s][1]);
	}
	return due;
}

enum { PER = 1000, CALL = 50 };

static void order_sender(int s, midi_conn *a, uint64_t due)
{
	midi_error e;
	midi_packet p[CALL];
	for (int k = 0; k < PER; k += CALL) {
		for (int j = 0; j < CALL; j++)
			p[j] = test_pk(due, 0x40900000u | ((uint32_t)s << 16), (uint32_t)(k + j));
		if (midi_send(a, p, CALL, &e) < 0) {
			fprintf(stderr, "sender %d: %s\n", s, e.msg);
			_exit(2);
		}
	}
}

static void test_same_due_order(void **state)
{
	(void)state;
	midi_error e;
	pid_t pids[2];
	uint64_t due = two_senders_same_due(pids, order_sender);
	/* Opened after the forks, so the senders hold nothing of it (valgrind
	 * would call it lost in them); their packets are due 2 s later. */
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	static midi_packet r[2 * PER];
	assert_int_equal(recv_n(b, r, 2 * PER, 20000), 2 * PER);
	wait_child(pids[0]);
	wait_child(pids[1]);
	uint32_t next[2] = {0, 0};
	for (int k = 0; k < 2 * PER; k++) {
		int s = (r[k].ump.w[0] >> 16) & 1;
		assert_int_equal(r[k].ump.w[1], next[s]);
		next[s]++;
		assert_true(r[k].time_ns >= due);
	}
	assert_int_equal(next[0], PER);
	assert_int_equal(next[1], PER);
	midi_close(b);
}

/* SysEx7 on group 1: start, n-2 continues, end; data byte 0 = id, 1 = index. */
static void sysex_packets(midi_packet *p, int n, uint64_t due, uint8_t id)
{
	for (int k = 0; k < n; k++) {
		uint32_t st = k == 0 ? 1 : k == n - 1 ? 3 : 2;
		p[k] = test_pk(due, 0x30000000u | st << 20 | 6u << 16 | (uint32_t)id << 8 | (uint32_t)(k & 0x7f),
			  0x01020304);
	}
}

enum { SX = 200 };

static void sysex_sender(int s, midi_conn *a, uint64_t due)
{
	midi_error e;
	midi_packet p[SX];
	sysex_packets(p, SX, due, (uint8_t)(0x10 + s));
	/* In three calls: held by the connection until its end. */
	if (midi_send(a, p, 70, &e) < 0 || midi_send(a, p + 70, 70, &e) < 0 ||
	    midi_send(a, p + 140, SX - 140, &e) < 0) {
		fprintf(stderr, "sender %d: %s\n", s, e.msg);
		_exit(2);
	}
}

static void test_sysex_whole(void **state)
{
	(void)state;
	midi_error e;
	pid_t pids[2];
	uint64_t due = two_senders_same_due(pids, sysex_sender);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	midi_packet r[2 * SX];
	assert_int_equal(recv_n(b, r, 2 * SX, 20000), 2 * SX);
	wait_child(pids[0]);
	wait_child(pids[1]);
	for (int half = 0; half < 2; half++) {
		uint32_t id = (r[half * SX].ump.w[0] >> 8) & 0xff;
		for (int k = 0; k < SX; k++) {
			const midi_packet *x = &r[half * SX + k];
			uint32_t st = k == 0 ? 1 : k == SX - 1 ? 3 : 2;
			assert_int_equal((x->ump.w[0] >> 20) & 0xf, st);
			assert_int_equal((x->ump.w[0] >> 8) & 0xff, id);
			assert_int_equal(x->ump.w[0] & 0x7f, (uint32_t)(k & 0x7f));
			assert_true(x->time_ns >= due);
		}
	}
	midi_close(b);
}

static void test_refused(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	uint64_t now = test_now_ns();
	midi_packet p[2] = {test_pk(0, 0x20903c64, 0), test_pk(now - 1000000000ull, 0x20803c00, 0)};
	assert_int_equal(midi_send(a, p, 2, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "packet 2: timestamp is "));
	assert_non_null(strstr(e.msg, " ms in the past"));
	p[1].time_ns = now + 7200000000000ull;
	assert_int_equal(midi_send(a, p, 2, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "packet 2: timestamp is 7")); /* 7200.0 s less the time since now */
	assert_non_null(strstr(e.msg, "s ahead (at most 1 hour allowed)"));
	midi_packet r[2];
	assert_int_equal(midi_recv(b, r, 2, 100, &e), 0); /* nothing of those calls */
	/* Just now (within the tolerance): sent at once. */
	p[1].time_ns = test_now_ns() - 1000000ull;
	assert_int_equal(midi_send(a, p, 2, &e), 0);
	assert_int_equal(recv_n(b, r, 2, 5000), 2);
	midi_close(a);
	midi_close(b);
}

static void test_takeover(void **state)
{
	(void)state;
	enum { N = 5 };
	midi_error e;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
		uint64_t due0 = test_now_ns() + 4000000000ull; /* killed well before the first */
		midi_packet p[N];
		for (int k = 0; k < N; k++)
			p[k] = test_pk(due0 + (uint64_t)k * 100000000ull, 0x20903c00 | (uint32_t)k, 0);
		if (!a || midi_send(a, p, N, &e) < 0 || midi_flush(a, 5000, &e) < 0)
			_exit(1);
		test_put_u64(pfd[1], due0);
		midi_close(a);
		_exit(0);
	}
	close(pfd[1]);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	wait_child(pid);
	uint64_t due0 = test_get_u64(pfd[0]);
	close(pfd[0]);
	struct sched_stats st;
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.starts, 1);
	assert_true(st.pid > 0);
	assert_true(test_now_ns() < due0); /* 4 s for a flush and an exit */
	assert_int_equal(st.pending, N);
	kill_and_wait(st.pid);
	/* A waiting receiver notices and starts a new scheduler. */
	midi_packet r[N + 1];
	assert_int_equal(recv_n(b, r, N, 10000), N);
	for (int k = 0; k < N; k++) {
		assert_int_equal(r[k].ump.w[0], 0x20903c00 | (uint32_t)k);
		assert_true(r[k].time_ns >= due0 + (uint64_t)k * 100000000ull);
	}
	assert_int_equal(midi_recv(b, r, N + 1, 300, &e), 0);
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.starts, 2);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.delivered, N);
	midi_close(b);
}

/* A receiver blocked in midi_recv (10 s timeout), which never sent
 * anything itself, restarts a SIGKILLed scheduler while messages are
 * pending (libmidi(3): within 200 ms), so each of 500 messages due
 * 0.3-1.5 s ahead still arrives, no earlier than its due time and at most
 * 1 s after it (generous for a slow, busy machine). The sender exits after
 * the hand-over; a separate process kills the scheduler once a fifth of the
 * messages went out; nobody else could start a new one. */
static void test_recv_restarts_killed(void **state)
{
	(void)state;
	enum { N = 500 };
	const uint64_t step = 2400000ull, late_max = 1000000000ull;
	midi_error e;
	int to_killer[2], to_parent[2];
	assert_int_equal(pipe(to_killer), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid_t sender = fork();
	assert_true(sender >= 0);
	if (sender == 0) {
		midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
		static midi_packet p[N];
		uint64_t base = test_now_ns() + 1000000000ull; /* after the sender is gone, even on a busy machine */
		for (int k = 0; k < N; k++)
			p[k] = test_pk(base + (uint64_t)k * step, 0x40903c00, (uint32_t)k);
		if (!a || midi_send(a, p, N, &e) < 0 || midi_flush(a, 5000, &e) < 0)
			_exit(1);
		midi_close(a);
		test_put_u64(to_killer[1], base);
		_exit(0);
	}
	pid_t killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		uint64_t base;
		if (read(to_killer[0], &base, sizeof base) != (ssize_t)sizeof base)
			_exit(1);
		while (!test_proc_gone(sender)) /* the parent reaps it later */
			usleep(1000);
		struct sched_stats ss;
		do {
			usleep(2000);
			if (sched_get_stats(&ss, &e) < 0 || ss.pid <= 0)
				_exit(2);
		} while (ss.delivered < N / 5 && ss.pending > 0);
		if (kill(ss.pid, SIGKILL) < 0)
			_exit(3);
		test_put_u64(to_parent[1], base);
		test_put_u64(to_parent[1], (uint64_t)ss.pid);
		test_put_u64(to_parent[1], ss.delivered);
		_exit(0);
	}
	close(to_killer[0]);
	close(to_killer[1]);
	close(to_parent[1]);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	static midi_packet r[2 * N];
	static uint64_t first[N];
	size_t distinct = 0, got = 0;
	uint64_t end = test_now_ns() + 20000000000ull;
	while (distinct < N && test_now_ns() < end) {
		int n = midi_recv(b, r, 2 * N, 10000, &e);
		assert_true(n >= 0);
		for (int k = 0; k < n; k++) {
			uint32_t id = r[k].ump.w[1];
			assert_int_equal(r[k].ump.w[0], 0x40903c00);
			assert_true(id < N);
			if (!first[id]) {
				first[id] = r[k].time_ns;
				distinct++;
			}
		}
		got += (size_t)n;
	}
	test_wait_ok(sender, "sender");
	test_wait_ok(killer, "killer");
	uint64_t base = test_get_u64(to_parent[0]);
	pid_t killed = (pid_t)test_get_u64(to_parent[0]);
	uint64_t at_kill = test_get_u64(to_parent[0]);
	close(to_parent[0]);
	assert_true(at_kill < N); /* killed with messages still to go */
	assert_int_equal(distinct, N);
	assert_true(got - distinct <= 8); /* only those being written at the kill twice */
	for (int k = 0; k < N; k++) {
		uint64_t due = base + (uint64_t)k * step;
		if (first[k] < due || first[k] > due + late_max)
			fail_msg("message %d arrived %.3f ms after its due time", k,
				 ((double)first[k] - (double)due) / 1e6);
	}
	struct sched_stats st;
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.starts, 2);
	assert_true(st.pid != killed);
	midi_close(b);
}

/* sched_pidfd: -1 while nothing is scheduled; with something pending, a
 * pidfd of the running scheduler that becomes readable when it is killed;
 * -1 while none runs, until sched_watch started another; -1 for a key in
 * the header that names a live process that is not the scheduler. Where
 * pidfd_open is missing (old kernels; valgrind 3.19 does not know it) it is
 * always -1 and waiters fall back to sched_watch every 100 ms. */
static void test_pidfd(void **state)
{
	(void)state;
	midi_error e;
	int probe = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int have_pidfd = probe >= 0;
	if (probe >= 0)
		close(probe);
	else
		print_message("no pidfd_open here (%s): only the fallback is tested\n",
			      strerror(errno));
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	struct sched_client *sc = NULL;
	assert_int_equal(sched_pidfd(rt, &sc), -1); /* no segment yet */
	assert_null(sc);
	assert_int_equal(sched_watch(rt, &sc, &e), 0);
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
		uint64_t due = test_now_ns() + 3000000000ull;
		midi_packet p[3] = {test_pk(due, 0x20903c01, 0), test_pk(due, 0x20903c02, 0),
				    test_pk(due, 0x20903c03, 0)};
		if (!a || midi_send(a, p, 3, &e) < 0 || midi_flush(a, 5000, &e) < 0)
			_exit(1);
		test_put_u64(pfd[1], due);
		midi_close(a);
		_exit(0);
	}
	close(pfd[1]);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	wait_child(pid);
	uint64_t due = test_get_u64(pfd[0]);
	close(pfd[0]);
	struct sched_stats st;
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_true(st.pid > 0);
	int fd = sched_pidfd(rt, &sc);
	assert_non_null(sc);
	struct pollfd q = {.fd = fd, .events = POLLIN};
	if (have_pidfd) {
		assert_true(fd >= 0);
		assert_int_equal(poll(&q, 1, 0), 0); /* alive */
	} else {
		assert_int_equal(fd, -1);
	}
	assert_int_equal(sched_watch(rt, &sc, &e), 1); /* queued, one runs */
	/* A garbage key naming a live process that is no scheduler (this
	 * one) is not believed; the scheduler writes its own back. */
	uint64_t key = __atomic_load_n(&sc->m.hdr->key, __ATOMIC_ACQUIRE);
	assert_int_equal((pid_t)(key & 0xffffffffu), st.pid);
	__atomic_store_n(&sc->m.hdr->key, proc_key_self(), __ATOMIC_RELEASE);
	assert_int_equal(sched_pidfd(rt, &sc), -1);
	for (int k = 0; k < 300 && __atomic_load_n(&sc->m.hdr->key, __ATOMIC_ACQUIRE) != key; k++)
		usleep(10000);
	assert_int_equal(__atomic_load_n(&sc->m.hdr->key, __ATOMIC_ACQUIRE), key);
	assert_int_equal(kill(st.pid, SIGKILL), 0);
	if (have_pidfd) {
		assert_int_equal(poll(&q, 1, 5000), 1);
		assert_true(q.revents & POLLIN);
		close(fd);
	}
	for (int k = 0; k < 500 && !test_proc_gone(st.pid); k++)
		usleep(10000);
	assert_true(test_proc_gone(st.pid));
	assert_int_equal(sched_pidfd(rt, &sc), -1); /* none runs */
	assert_int_equal(sched_watch(rt, &sc, &e), 1); /* starts one */
	struct sched_stats st2 = {0};
	fd = -1;
	for (int k = 0; k < 500 && (have_pidfd ? fd < 0 : st2.pid <= 0 || st2.pid == st.pid); k++) {
		fd = sched_pidfd(rt, &sc);
		assert_int_equal(sched_get_stats(&st2, &e), 0);
		if (have_pidfd ? fd < 0 : st2.pid <= 0 || st2.pid == st.pid)
			usleep(10000);
	}
	assert_true(have_pidfd ? fd >= 0 : fd == -1);
	assert_int_equal(sched_get_stats(&st2, &e), 0);
	assert_true(st2.pid > 0 && st2.pid != st.pid);
	assert_int_equal(st2.starts, 2);
	midi_packet r[4];
	assert_int_equal(recv_n(b, r, 3, 10000), 3);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(r[k].ump.w[0], 0x20903c01u + (uint32_t)k);
		assert_true(r[k].time_ns >= due);
	}
	int w = 1;
	for (int k = 0; k < 500 && (w = sched_watch(rt, &sc, &e)) != 0; k++)
		usleep(10000); /* pending goes to 0 just after the write */
	assert_int_equal(w, 0); /* nothing queued */
	assert_int_equal(sched_pidfd(rt, &sc), -1);
	if (fd >= 0)
		close(fd);
	sched_client_close(sc);
	free(sc);
	midi_close(b);
	rt_put(rt);
}

static void test_queue_full(void **state)
{
	(void)state;
	enum { CAP = 256 };
	setenv("MIDI_SCHED_SLOTS", "256", 1); /* read when the segment is made */
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(a);
	uint64_t due = test_now_ns() + 5000000000ull; /* none is sent while the test runs */
	static midi_packet p[CAP + 1];
	for (int k = 0; k <= CAP; k++)
		p[k] = test_pk(due, 0x20903c40, 0);
	assert_int_equal(midi_send(a, p, CAP + 1, &e), -MIDI_ERR_RUNTIME);
	assert_string_equal(e.msg, "scheduler queue full (0 of 256 pending; 257 more refused)");
	assert_int_equal(midi_send(a, p, CAP - 6, &e), 0);
	assert_int_equal(midi_send(a, p, 6, &e), 0);
	assert_int_equal(midi_send(a, p, 1, &e), -MIDI_ERR_RUNTIME);
	assert_string_equal(e.msg, "scheduler queue full (256 of 256 pending; 1 more refused)");
	assert_int_equal(midi_flush(a, 5000, &e), 0);
	midi_close(a);
	unsetenv("MIDI_SCHED_SLOTS");
}

static void test_removed_endpoint_dropped(void **state)
{
	(void)state;
	midi_error e;
	assert_int_equal(midi_loop_create("gone", &e), 0);
	midi_conn *a = midi_open("loop:gone-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(a);
	uint64_t due = test_now_ns() + 2000000000ull; /* removed long before */
	midi_packet p[3] = {test_pk(due, 0x20903c40, 0), test_pk(due, 0x20903c41, 0),
			    test_pk(due, 0x20903c42, 0)};
	assert_int_equal(midi_send(a, p, 3, &e), 0);
	assert_int_equal(midi_flush(a, 5000, &e), 0);
	midi_close(a);
	assert_int_equal(midi_loop_remove("gone", &e), 0);
	assert_true(test_now_ns() < due);
	struct sched_stats st;
	uint64_t end = due + 10000000000ull;
	do {
		usleep(10000);
		assert_int_equal(sched_get_stats(&st, &e), 0);
	} while (st.pending != 0 && test_now_ns() < end);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.delivered, 0);
	assert_true(test_now_ns() >= due);
}

/* midi_cancel takes back what the scheduler holds of one connection only:
 * the count is exact, the other sender's messages stay pending, nothing
 * cancelled arrives, and the connection schedules again afterwards. Due
 * times a minute ahead, so no machine is slow enough to deliver them
 * before the cancel; nothing waits for them. */
static void test_cancel(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	midi_conn *a2 = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(b);
	assert_non_null(a);
	assert_non_null(a2);
	uint64_t cancelled = 99;
	assert_int_equal(midi_cancel(a, &cancelled, &e), 0); /* nothing scheduled yet */
	assert_int_equal(cancelled, 0);
	uint64_t soon = test_now_ns() + 20000000ull, later = test_now_ns() + 60000000000ull;
	midi_packet p[7] = {
		test_pk(soon, 0x20903c01, 0), test_pk(soon, 0x20903c02, 0), test_pk(soon, 0x20903c03, 0),
		test_pk(later, 0x20803c01, 0), test_pk(later, 0x20803c02, 0),
		test_pk(later, 0x20803c03, 0), test_pk(later, 0x20803c04, 0),
	};
	assert_int_equal(midi_send(a, p, 7, &e), 0);
	midi_packet q[2] = {test_pk(later, 0x20b00101, 0), test_pk(later, 0x20b00102, 0)};
	assert_int_equal(midi_send(a2, q, 2, &e), 0);
	midi_packet r[8];
	assert_int_equal(recv_n(b, r, 3, 20000), 3);
	for (int k = 0; k < 3; k++)
		assert_int_equal(r[k].ump.w[0], p[k].ump.w[0]);
	assert_int_equal(midi_cancel(a, &cancelled, &e), 0);
	assert_int_equal(cancelled, 4);
	struct sched_stats st;
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.pending, 2); /* a2's */
	/* Straight after: a marker now, and a scheduled one soon. */
	midi_packet m[2] = {test_pk(0, 0x20904001, 0), test_pk(test_now_ns() + 20000000ull, 0x20904002, 0)};
	assert_int_equal(midi_send(a, &m[0], 1, &e), 0);
	assert_int_equal(midi_send(a, &m[1], 1, &e), 0);
	assert_int_equal(recv_n(b, r, 2, 20000), 2);
	assert_int_equal(r[0].ump.w[0], 0x20904001);
	assert_int_equal(r[1].ump.w[0], 0x20904002);
	assert_int_equal(midi_cancel(a, &cancelled, &e), 0); /* delivered: nothing left */
	assert_int_equal(cancelled, 0);
	assert_int_equal(midi_cancel(a2, &cancelled, &e), 0);
	assert_int_equal(cancelled, 2);
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.pending, 0);
	assert_true(test_now_ns() < later);
	assert_int_equal(midi_recv(b, r, 8, 0, &e), 0);
	midi_close(a);
	midi_close(a2);
	midi_close(b);
}

/* A "now" message sent after a scheduled one never overtakes it, however
 * late a starved scheduler is: here it is stopped (SIGSTOP) before it
 * takes the scheduled message, and the "now" message is sent 200 ms after
 * that one's due time. Before the scheduler said what it has written, a
 * connection's "now" messages went straight to the ring 100 ms after its
 * latest due time, and this one arrived first. */
static void test_now_waits_for_starved_scheduler(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(b);
	assert_non_null(a);
	assert_int_equal(midi_schedule_ready(a, 10000, &e), 0);
	struct sched_stats st;
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_true(st.pid > 0);
	assert_int_equal(kill(st.pid, SIGSTOP), 0);
	uint64_t due = test_now_ns() + 20000000ull;
	midi_packet p = test_pk(due, 0x20903c01, 0);
	assert_int_equal(midi_send(a, &p, 1, &e), 0);
	while (test_now_ns() < due + 200000000ull)
		usleep(10000);
	midi_packet m = test_pk(0, 0x20904001, 0);
	assert_int_equal(midi_send(a, &m, 1, &e), 0);
	usleep(50000);
	assert_int_equal(kill(st.pid, SIGCONT), 0);
	midi_packet r[2];
	assert_int_equal(recv_n(b, r, 2, 20000), 2);
	assert_int_equal(r[0].ump.w[0], 0x20903c01);
	assert_int_equal(r[1].ump.w[0], 0x20904001);
	/* all written: "now" goes straight out again (no scheduler needed).
	 * The scheduler counts what it delivered just after writing it. */
	assert_int_equal(midi_flush(a, 10000, &e), 0);
	for (int k = 0; k < 500; k++) {
		assert_int_equal(sched_get_stats(&st, &e), 0);
		if (st.delivered >= 2)
			break;
		usleep(10000);
	}
	uint64_t delivered = st.delivered;
	assert_int_equal(delivered, 2);
	assert_int_equal(midi_send(a, &m, 1, &e), 0);
	assert_int_equal(recv_n(b, r, 1, 20000), 1);
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.delivered, delivered);
	midi_close(a);
	midi_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_after_sender_exit, fresh_runtime),
		cmocka_unit_test_setup(test_same_due_order, fresh_runtime),
		cmocka_unit_test_setup(test_sysex_whole, fresh_runtime),
		cmocka_unit_test_setup(test_refused, fresh_runtime),
		cmocka_unit_test_setup(test_takeover, fresh_runtime),
		cmocka_unit_test_setup(test_recv_restarts_killed, fresh_runtime),
		cmocka_unit_test_setup(test_pidfd, fresh_runtime),
		cmocka_unit_test_setup(test_queue_full, fresh_runtime),
		cmocka_unit_test_setup(test_removed_endpoint_dropped, fresh_runtime),
		cmocka_unit_test_setup(test_cancel, fresh_runtime),
		cmocka_unit_test_setup(test_now_waits_for_starved_scheduler, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
