/* test_ring.c: multi-client semantics of the broadcast rings, across
 * processes: three readers each get all 100,000 packets byte for byte and
 * in order; four concurrent senders (two of them sending DX7-sized SysEx on
 * the same group) arrive whole and in per-sender order; a reader that stops
 * while 3x the ring is sent is told exactly how many it lost while another
 * loses none; flow control: a reader that is slower than the sender but
 * keeps reading loses nothing of a burst of 10x the ring, even while
 * another reader is stopped (SIGSTOP) and so loses. Each test uses a fresh
 * MIDI_RUNTIME_DIR. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "midi/endpoint.h"

static int fresh_runtime(void **state)
{
	(void)state;
	static char dir[256];
	test_fresh_runtime(dir, sizeof dir, "ring", "none.conf");
	unsetenv("MIDI_RING_SLOTS");
	return 0;
}

/* Packet i of the numbered stream: all message sizes, every word used. */
static midi_ump numbered(uint32_t i)
{
	switch (i % 4) {
	case 0: return midi_ump_make(0x20900000u | (i & 0x7f7f), 0, 0, 0);
	case 1: return midi_ump_make(0x40900000u | (i & 0xffff), i, 0, 0);
	case 2: return midi_ump_make(0xB0000000u | (i & 0xffffff), i * 7, i * 13, 0);
	default: return midi_ump_make(0xF0000000u | (i & 0xffffff), i, ~i, i ^ 0x5a5a5a5a);
	}
}

#define N_PACKETS 100000

static int reader_numbered(int ready_fd)
{
	midi_error e;
	midi_conn *c = midi_open("diag:loopback-b", 0, &e);
	if (!c)
		return 10;
	(void)!write(ready_fd, "r", 1);
	static midi_packet buf[512];
	uint32_t next = 0;
	while (next < N_PACKETS) {
		int n = midi_recv(c, buf, 512, 10000, &e);
		if (n <= 0)
			return 11;
		for (int k = 0; k < n; k++, next++) {
			midi_ump want = numbered(next);
			if (memcmp(&buf[k].ump, &want, sizeof want) != 0)
				return 12;
		}
	}
	if (midi_conn_lost(c) != 0)
		return 13;
	midi_close(c);
	return 0;
}

static void test_three_readers_100k(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pids[3];
	for (int k = 0; k < 3; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			alarm(60);
			close(p[0]);
			_exit(reader_numbered(p[1]));
		}
	}
	close(p[1]);
	char ch;
	for (int k = 0; k < 3; k++)
		assert_int_equal(read(p[0], &ch, 1), 1);
	close(p[0]);
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(a);
	static midi_packet batch[100];
	uint32_t i = 0, size = 1;
	while (i < N_PACKETS) {
		uint32_t n = size;
		if (n > N_PACKETS - i)
			n = N_PACKETS - i;
		for (uint32_t k = 0; k < n; k++) {
			batch[k].time_ns = 0;
			batch[k].ump = numbered(i + k);
		}
		assert_int_equal(midi_send(a, batch, n, &e), 0);
		i += n;
		size = size % 100 + 1;
	}
	midi_close(a);
	for (int k = 0; k < 3; k++)
		test_wait_ok(pids[k], "reader");
}

/* ---- four senders ---- */

#define SX_DATA 4102 /* DX7 bulk dump: 4104 bytes with F0 and F7 */
#define SX_MSGS 12
#define NOTES 20000

/* SysEx7 packets for message m of sender s: data[0]=s, [1]=m, then a pattern. */
static size_t sysex_packets(int s, int m, midi_packet *out)
{
	static uint8_t data[SX_DATA];
	data[0] = (uint8_t)s;
	data[1] = (uint8_t)m;
	for (int k = 2; k < SX_DATA; k++)
		data[k] = (uint8_t)((k * 3 + m + s) & 0x7f);
	size_t n = 0;
	for (int off = 0; off < SX_DATA; off += 6) {
		int len = SX_DATA - off < 6 ? SX_DATA - off : 6;
		unsigned st = SX_DATA <= 6 ? 0 : off == 0 ? 1 : off + len >= SX_DATA ? 3 : 2;
		uint8_t b[6] = {0};
		memcpy(b, data + off, (size_t)len);
		out[n].time_ns = 0;
		out[n].ump = midi_ump_make(0x30000000u | (st << 20) | ((uint32_t)len << 16) |
					   ((uint32_t)b[0] << 8) | b[1],
					   ((uint32_t)b[2] << 24) | ((uint32_t)b[3] << 16) |
					   ((uint32_t)b[4] << 8) | b[5], 0, 0);
		n++;
	}
	return n;
}

static int sender(int s)
{
	midi_error e;
	midi_conn *c = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	if (!c)
		return 20;
	static midi_packet sx[700];
	if (s == 0 || s == 2) {
		for (int m = 0; m < SX_MSGS; m++) {
			size_t n = sysex_packets(s, m, sx);
			/* Sender 0 sends packet by packet, sender 2 in uneven chunks. */
			size_t step = s == 0 ? 1 : 37;
			for (size_t k = 0; k < n; k += step)
				if (midi_send(c, sx + k, n - k < step ? n - k : step, &e) < 0)
					return 21;
			/* Notes in between too. */
			midi_packet note = {0, midi_ump_make(0x40900000u, ((uint32_t)s << 24) | (uint32_t)m, 0, 0)};
			if (midi_send(c, &note, 1, &e) < 0)
				return 22;
		}
	} else {
		for (uint32_t i = 0; i < NOTES; i++) {
			midi_packet note = {0, midi_ump_make(0x40900000u, ((uint32_t)s << 24) | i, 0, 0)};
			if (midi_send(c, &note, 1, &e) < 0)
				return 23;
		}
	}
	midi_close(c);
	return 0;
}

static int reader_mixed(int ready_fd)
{
	midi_error e;
	midi_conn *c = midi_open("diag:loopback-b", 0, &e);
	if (!c)
		return 30;
	(void)!write(ready_fd, "r", 1);
	uint32_t next[4] = {0, 0, 0, 0};
	int sx_done[4] = {0, 0, 0, 0};
	static uint8_t cur[SX_DATA + 16];
	size_t curlen = 0;
	int in_sysex = 0;
	uint32_t want_total = 2 * NOTES + 2 * SX_MSGS;
	uint32_t total = 0;
	static midi_packet buf[512];
	while (total < want_total) {
		int n = midi_recv(c, buf, 512, 10000, &e);
		if (n <= 0)
			return 31;
		for (int k = 0; k < n; k++) {
			const midi_ump *u = &buf[k].ump;
			if (midi_ump_mt(u) == 4) {
				uint32_t s = u->w[1] >> 24, i = u->w[1] & 0xffffff;
				if (s > 3 || i != next[s]++)
					return 32; /* per-sender order */
				if (s == 1 || s == 3)
					total++;
				continue;
			}
			if (midi_ump_mt(u) != 3)
				return 33;
			unsigned st = (u->w[0] >> 20) & 0xf, len = (u->w[0] >> 16) & 0xf;
			uint8_t b[6] = {(uint8_t)(u->w[0] >> 8), (uint8_t)u->w[0],
					(uint8_t)(u->w[1] >> 24), (uint8_t)(u->w[1] >> 16),
					(uint8_t)(u->w[1] >> 8), (uint8_t)u->w[1]};
			if (st == 1) {
				if (in_sysex)
					return 34; /* a Start inside another SysEx: interleaved */
				in_sysex = 1;
				curlen = 0;
			} else if (!in_sysex) {
				return 35;
			}
			if (len > 6 || curlen + len > SX_DATA)
				return 36;
			memcpy(cur + curlen, b, len);
			curlen += len;
			if (st == 3) {
				in_sysex = 0;
				if (curlen != SX_DATA)
					return 37;
				int s = cur[0], m = cur[1];
				if ((s != 0 && s != 2) || m != sx_done[s])
					return 38;
				for (int j = 2; j < SX_DATA; j++)
					if (cur[j] != (uint8_t)((j * 3 + m + s) & 0x7f))
						return 39; /* bytes of someone else's SysEx */
				sx_done[s]++;
				total++;
			}
		}
	}
	if (sx_done[0] != SX_MSGS || sx_done[2] != SX_MSGS || next[1] != NOTES ||
	    next[3] != NOTES || midi_conn_lost(c))
		return 40;
	midi_close(c);
	return 0;
}

static void test_four_senders_sysex_whole(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t r = fork();
	if (r == 0) {
		alarm(60);
		close(p[0]);
		_exit(reader_mixed(p[1]));
	}
	close(p[1]);
	char ch;
	assert_int_equal(read(p[0], &ch, 1), 1);
	close(p[0]);
	pid_t s[4];
	for (int k = 0; k < 4; k++) {
		s[k] = fork();
		if (s[k] == 0) {
			alarm(60);
			_exit(sender(k));
		}
	}
	for (int k = 0; k < 4; k++)
		test_wait_ok(s[k], "sender");
	test_wait_ok(r, "reader");
}

static void test_slow_reader_counts_loss(void **state)
{
	(void)state;
	setenv("MIDI_RING_SLOTS", "1024", 1);
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	midi_conn *fast = midi_open("diag:loopback-b", 0, &e);
	midi_conn *slow = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(a);
	assert_non_null(fast);
	assert_non_null(slow);
	const uint32_t total = 3 * 1024;
	midi_packet batch[64], r[1024];
	uint32_t got_fast = 0;
	for (uint32_t i = 0; i < total; i += 64) {
		for (int k = 0; k < 64; k++)
			batch[k] = (midi_packet){0, midi_ump_make(0x40900000u, i + (uint32_t)k, 0, 0)};
		assert_int_equal(midi_send(a, batch, 64, &e), 0);
		int n;
		while ((n = midi_recv(fast, r, 1024, 0, &e)) > 0)
			for (int k = 0; k < n; k++)
				assert_int_equal(r[k].ump.w[1], got_fast++);
	}
	assert_int_equal(got_fast, total);
	assert_int_equal(midi_conn_lost(fast), 0);

	/* The slow one now reads: the newest packets, in order, and exactly
	 * as many lost as are missing. */
	uint32_t got = 0, first = UINT32_MAX, last = 0;
	int n;
	while ((n = midi_recv(slow, r, 1024, 0, &e)) > 0)
		for (int k = 0; k < n; k++) {
			if (first == UINT32_MAX)
				first = r[k].ump.w[1];
			else
				assert_int_equal(r[k].ump.w[1], last + 1);
			last = r[k].ump.w[1];
			got++;
		}
	assert_true(got > 0 && got <= 1024);
	assert_int_equal(last, total - 1);
	assert_int_equal(midi_conn_lost(slow), first);
	assert_int_equal(midi_conn_lost(slow) + got, total);
	/* A ring-sized burst in one call is delivered in chunks, no loss for a
	 * reader that keeps up between calls. */
	midi_close(a);
	midi_close(fast);
	midi_close(slow);
	unsetenv("MIDI_RING_SLOTS");
}

static void test_batch_larger_than_ring(void **state)
{
	(void)state;
	setenv("MIDI_RING_SLOTS", "1024", 1);
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	static midi_packet big[5000], r[2048];
	for (uint32_t k = 0; k < 5000; k++)
		big[k] = (midi_packet){0, midi_ump_make(0x40900000u, k, 0, 0)};
	assert_int_equal(midi_send(a, big, 5000, &e), 0);
	/* The reader did not keep up with a 5000-packet batch: it gets the tail
	 * and a loss count that adds up. */
	uint32_t got = 0, last = 0;
	int n;
	while ((n = midi_recv(b, r, 2048, 0, &e)) > 0) {
		got += (uint32_t)n;
		last = r[n - 1].ump.w[1];
	}
	assert_int_equal(last, 4999);
	assert_int_equal(got + midi_conn_lost(b), 5000);
	midi_close(a);
	midi_close(b);
	unsetenv("MIDI_RING_SLOTS");
}

/* A reader slower than the sender that keeps reading: every packet, in
 * order, none lost (writers wait for progressing readers). */
static int reader_slow_but_steady(int ready_fd, uint32_t total)
{
	midi_error e;
	midi_conn *c = midi_open("diag:loopback-b", 0, &e);
	if (!c)
		return 10;
	(void)!write(ready_fd, "r", 1);
	midi_packet buf[64];
	uint32_t next = 0;
	while (next < total) {
		int n = midi_recv(c, buf, 64, 10000, &e);
		if (n <= 0)
			return 11;
		for (int k = 0; k < n; k++, next++)
			if (buf[k].ump.w[1] != next)
				return 12;
		if (next % 512 < 64) {
			struct timespec ts = {0, 1000000}; /* 1 ms every 512 packets */
			nanosleep(&ts, NULL);
		}
	}
	if (midi_conn_lost(c) != 0)
		return 13;
	midi_close(c);
	return 0;
}

static pid_t flow_children[2];

/* Kill what the flow test forked, even when an assertion failed (a stopped
 * child left behind would hold the test's output open). */
static int kill_flow_children(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++)
		if (flow_children[k] > 0) {
			kill(flow_children[k], SIGKILL);
			waitpid(flow_children[k], NULL, 0);
			flow_children[k] = 0;
		}
	unsetenv("MIDI_RING_SLOTS");
	return 0;
}

static void test_flow_control_slow_reader_loses_nothing(void **state)
{
	(void)state;
	setenv("MIDI_RING_SLOTS", "1024", 1);
	const uint32_t total = 10 * 1024;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t steady = fork();
	if (steady == 0)
		_exit(reader_slow_but_steady(p[1], total));
	flow_children[0] = steady;
	/* A second reader that is stopped for the whole burst. */
	pid_t stopped = fork();
	if (stopped == 0) {
		midi_error e;
		midi_conn *c = midi_open("diag:loopback-b", 0, &e);
		(void)!write(p[1], "r", 1);
		midi_packet buf[64];
		for (;;)
			if (!c || midi_recv(c, buf, 64, -1, &e) < 0)
				_exit(1);
	}
	flow_children[1] = stopped;
	char ch;
	assert_int_equal(read(p[0], &ch, 1), 1);
	assert_int_equal(read(p[0], &ch, 1), 1);
	kill(stopped, SIGSTOP);
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(a);
	midi_packet batch[64];
	for (uint32_t i = 0; i < total; i += 64) {
		for (uint32_t k = 0; k < 64; k++)
			batch[k] = (midi_packet){0, midi_ump_make(0x40900000u, i + k, 0, 0)};
		assert_int_equal(midi_send(a, batch, 64, &e), 0);
	}
	midi_close(a);
	test_wait_ok(steady, "steady reader");
	flow_children[0] = 0;
	close(p[0]);
	close(p[1]);
}

/* One SysEx four times the ring, sent in one call: a reader that is slower
 * but keeps reading gets every packet of it (flow control between the
 * chunks of a batch, not only before it). */
static void test_flow_control_sysex_larger_than_ring(void **state)
{
	(void)state;
	setenv("MIDI_RING_SLOTS", "1024", 1);
	const uint32_t total = 4 * 1024;
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t rd = fork();
	if (rd == 0)
		_exit(reader_slow_but_steady(p[1], total));
	flow_children[0] = rd;
	char ch;
	assert_int_equal(read(p[0], &ch, 1), 1);
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(a);
	static midi_packet sx[4 * 1024];
	for (uint32_t i = 0; i < total; i++) {
		/* SysEx7 Start, Continue..., End: 6 bytes each; w[1] numbers it
		 * for reader_slow_but_steady (its low bytes are SysEx data). */
		uint32_t st = i == 0 ? 1 : i == total - 1 ? 3 : 2;
		sx[i] = (midi_packet){0, midi_ump_make(0x30060000u | st << 20, i, 0, 0)};
	}
	assert_int_equal(midi_send(a, sx, total, &e), 0);
	midi_close(a);
	test_wait_ok(rd, "steady reader");
	flow_children[0] = 0;
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_three_readers_100k, fresh_runtime),
		cmocka_unit_test_setup(test_four_senders_sysex_whole, fresh_runtime),
		cmocka_unit_test_setup(test_slow_reader_counts_loss, fresh_runtime),
		cmocka_unit_test_setup(test_batch_larger_than_ring, fresh_runtime),
		cmocka_unit_test_setup_teardown(test_flow_control_slow_reader_loses_nothing, fresh_runtime,
						kill_flow_children),
		cmocka_unit_test_setup_teardown(test_flow_control_sysex_larger_than_ring, fresh_runtime,
						kill_flow_children),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
