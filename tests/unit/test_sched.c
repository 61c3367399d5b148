/* test_sched.c: scheduled sends (midi_send with a future time_ns): held by
 * the runtime directory's scheduler and delivered no earlier than their due
 * time, also after the sender exited; equal due times keep each sender's
 * order; a scheduled SysEx arrives whole; bad timestamps are refused with
 * the packet index; a SIGKILLed scheduler is replaced without losing what
 * it had accepted; a full queue is refused; an endpoint removed before the
 * due time has its messages dropped and counted. Fresh MIDI_RUNTIME_DIR per
 * test; senders are forked processes. */
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/sched.h"
#include "midi/endpoint.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "sched", "none.conf");
	unsetenv("MIDI_SCHED_SLOTS");
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static midi_packet pk(uint64_t t, uint32_t w0, uint32_t w1)
{
	midi_packet p = {t, midi_ump_make(w0, w1, 0, 0)};
	return p;
}

/* Receive exactly want packets within ms (fewer if they do not come). */
static size_t recv_n(midi_conn *c, midi_packet *out, size_t want, int ms)
{
	midi_error e;
	size_t got = 0;
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
	while (got < want) {
		uint64_t now = now_ns();
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

static void test_after_sender_exit(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	uint64_t due = now_ns() + 200000000ull;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
		midi_packet p = pk(due, 0x20903c64, 0);
		if (!a || midi_send(a, &p, 1, &e) < 0 || midi_flush(a, 5000, &e) < 0)
			_exit(1);
		kill(getpid(), SIGKILL); /* killed right after the hand-over */
		_exit(2);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	uint64_t exited = now_ns();
	midi_packet r[2];
	assert_int_equal(recv_n(b, r, 1, 5000), 1);
	assert_int_equal(r[0].ump.w[0], 0x20903c64);
	assert_true(r[0].time_ns >= due);
	assert_true(r[0].time_ns >= exited);
	assert_true(r[0].time_ns < due + 1000000000ull);
	assert_int_equal(midi_recv(b, r, 2, 100, &e), 0); /* exactly once */
	midi_close(b);
}

static void test_same_due_order(void **state)
{
	(void)state;
	enum { PER = 1000, CALL = 50 };
	midi_error e;
	uint64_t due = now_ns() + 2000000000ull; /* senders may be slow (valgrind) */
	pid_t pids[2];
	for (int s = 0; s < 2; s++) {
		pids[s] = fork();
		assert_true(pids[s] >= 0);
		if (pids[s] == 0) {
			midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
			if (!a)
				_exit(1);
			midi_packet p[CALL];
			for (int k = 0; k < PER; k += CALL) {
				for (int j = 0; j < CALL; j++)
					p[j] = pk(due, 0x40900000u | ((uint32_t)s << 16),
						  (uint32_t)(k + j));
				if (midi_send(a, p, CALL, &e) < 0) {
					fprintf(stderr, "sender %d: %s\n", s, e.msg);
					_exit(2);
				}
			}
			int r = midi_flush(a, 5000, &e);
			midi_close(a);
			_exit(r < 0 ? 3 : 0);
		}
	}
	/* Opened after the forks, so the senders hold nothing of it (valgrind
	 * would call it lost in them); their packets are due 2 s later. */
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	wait_child(pids[0]);
	wait_child(pids[1]);
	static midi_packet r[2 * PER];
	assert_int_equal(recv_n(b, r, 2 * PER, 10000), 2 * PER);
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
		p[k] = pk(due, 0x30000000u | st << 20 | 6u << 16 | (uint32_t)id << 8 | (uint32_t)(k & 0x7f),
			  0x01020304);
	}
}

static void test_sysex_whole(void **state)
{
	(void)state;
	enum { N = 200 };
	midi_error e;
	uint64_t due = now_ns() + 2000000000ull;
	pid_t pids[2];
	for (int s = 0; s < 2; s++) {
		pids[s] = fork();
		assert_true(pids[s] >= 0);
		if (pids[s] == 0) {
			midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
			midi_packet p[N];
			if (!a)
				_exit(1);
			sysex_packets(p, N, due, (uint8_t)(0x10 + s));
			/* In three calls: held by the connection until its end. */
			if (midi_send(a, p, 70, &e) < 0 || midi_send(a, p + 70, 70, &e) < 0 ||
			    midi_send(a, p + 140, N - 140, &e) < 0) {
				fprintf(stderr, "sender %d: %s\n", s, e.msg);
				_exit(2);
			}
			int r = midi_flush(a, 5000, &e);
			midi_close(a);
			_exit(r < 0 ? 3 : 0);
		}
	}
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	wait_child(pids[0]);
	wait_child(pids[1]);
	midi_packet r[2 * N];
	assert_int_equal(recv_n(b, r, 2 * N, 10000), 2 * N);
	for (int half = 0; half < 2; half++) {
		uint32_t id = (r[half * N].ump.w[0] >> 8) & 0xff;
		for (int k = 0; k < N; k++) {
			const midi_packet *x = &r[half * N + k];
			uint32_t st = k == 0 ? 1 : k == N - 1 ? 3 : 2;
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
	uint64_t now = now_ns();
	midi_packet p[2] = {pk(0, 0x20903c64, 0), pk(now - 1000000000ull, 0x20803c00, 0)};
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
	p[1].time_ns = now_ns() - 1000000ull;
	assert_int_equal(midi_send(a, p, 2, &e), 0);
	assert_int_equal(recv_n(b, r, 2, 2000), 2);
	midi_close(a);
	midi_close(b);
}

static int proc_gone(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

static void test_takeover(void **state)
{
	(void)state;
	enum { N = 5 };
	midi_error e;
	uint64_t due0 = now_ns() + 3000000000ull; /* killed well before the first */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
		midi_packet p[N];
		for (int k = 0; k < N; k++)
			p[k] = pk(due0 + (uint64_t)k * 100000000ull, 0x20903c00 | (uint32_t)k, 0);
		if (!a || midi_send(a, p, N, &e) < 0 || midi_flush(a, 5000, &e) < 0)
			_exit(1);
		midi_close(a);
		_exit(0);
	}
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	wait_child(pid);
	struct sched_stats st;
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.pending, N);
	assert_int_equal(st.starts, 1);
	assert_true(st.pid > 0);
	assert_int_equal(kill(st.pid, SIGKILL), 0);
	for (int k = 0; k < 200 && !proc_gone(st.pid); k++)
		usleep(10000);
	assert_true(proc_gone(st.pid));
	/* A waiting receiver notices and starts a new scheduler. */
	midi_packet r[N + 1];
	assert_int_equal(recv_n(b, r, N, 5000), N);
	for (int k = 0; k < N; k++) {
		assert_int_equal(r[k].ump.w[0], 0x20903c00 | (uint32_t)k);
		assert_true(r[k].time_ns >= due0 + (uint64_t)k * 100000000ull);
	}
	assert_int_equal(midi_recv(b, r, N + 1, 100, &e), 0);
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.starts, 2);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.delivered, N);
	midi_close(b);
}

static void test_queue_full(void **state)
{
	(void)state;
	enum { CAP = 256 };
	setenv("MIDI_SCHED_SLOTS", "256", 1); /* read when the segment is made */
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(a);
	uint64_t due = now_ns() + 1000000000ull;
	static midi_packet p[CAP + 1];
	for (int k = 0; k <= CAP; k++)
		p[k] = pk(due, 0x20903c40, 0);
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
	uint64_t due = now_ns() + 300000000ull;
	midi_packet p[3] = {pk(due, 0x20903c40, 0), pk(due, 0x20903c41, 0),
			    pk(due, 0x20903c42, 0)};
	assert_int_equal(midi_send(a, p, 3, &e), 0);
	assert_int_equal(midi_flush(a, 5000, &e), 0);
	midi_close(a);
	assert_int_equal(midi_loop_remove("gone", &e), 0);
	struct sched_stats st;
	for (int k = 0; k < 300; k++) {
		assert_int_equal(sched_get_stats(&st, &e), 0);
		if (st.pending == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.delivered, 0);
	assert_true(now_ns() >= due);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_after_sender_exit, fresh_runtime),
		cmocka_unit_test_setup(test_same_due_order, fresh_runtime),
		cmocka_unit_test_setup(test_sysex_whole, fresh_runtime),
		cmocka_unit_test_setup(test_refused, fresh_runtime),
		cmocka_unit_test_setup(test_takeover, fresh_runtime),
		cmocka_unit_test_setup(test_queue_full, fresh_runtime),
		cmocka_unit_test_setup(test_removed_endpoint_dropped, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
