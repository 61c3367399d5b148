/* test_sched_hostile.c: garbage in the scheduler's shared file `sched`
 * (every field of it is untrusted): a process scribbling random bytes,
 * 0xFF runs, plausible headers, garbage heads and table entries over it
 * while 2,000 messages are pending neither crashes nor hangs the scheduler
 * (the same process delivers every one of them on time) nor lets garbage
 * through to a receiver, and messages sent meanwhile mostly arrive; entries
 * with uid 0, a bad kind or a due time too far ahead are dropped and
 * counted, in the input ring and in the table a successor rebuilds from; a
 * garbage header is repaired in place without losing what is pending.
 * Fresh MIDI_RUNTIME_DIR per test; senders and the scribbler are forked
 * processes; every wait is bounded. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/sched.h"
#include "midi/endpoint.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "schedh", "none.conf");
	unsetenv("MIDI_SCHED_SLOTS");
	return 0;
}

/* Wait for a child at most ms; kill it and fail if it hangs. */
static void wait_bounded(pid_t pid, int ms, const char *what)
{
	for (int k = 0; k < ms; k++) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		assert_true(r >= 0);
		if (r == pid) {
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				fail_msg("%s: %s %d", what, WIFEXITED(st) ? "exit" : "signal",
					 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			return;
		}
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("%s hangs (more than %d ms)", what, ms);
}

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int sched_fd(int flags)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", rtdir, SCHED_FILE);
	int fd = open(path, flags | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void pw(int fd, const void *buf, size_t n, uint64_t off)
{
	if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
		_exit(7);
}

/* The scribbler: until `until`, every 0.2-2 ms one of: random bytes or a
 * 0xFF run anywhere, a random / 0xFF / plausible (valid but with garbage
 * counters, cursor, key, capacity) header, a garbage or slightly moved
 * input head, a garbage or well-formed-but-impossible table entry, an input
 * slot copied to another place. Never truncates the file. */
static void scribble(uint64_t until, uint64_t seed)
{
	int fd = sched_fd(O_RDWR);
	struct stat st;
	if (fstat(fd, &st) < 0)
		_exit(2);
	uint64_t size = (uint64_t)st.st_size;
	struct sched_hdr good;
	if (pread(fd, &good, sizeof good, 0) != (ssize_t)sizeof good)
		_exit(3);
	uint64_t cap = good.cap, in_off, tab_off, total;
	sched_layout(cap, &in_off, &tab_off, &total);
	if (total != size)
		_exit(4);
	uint64_t slots_off = in_off + RING_HDR_BYTES;
	rng = seed | 1;
	static unsigned char buf[4096];
	while (test_now_ns() < until) {
		size_t n = 1 + rnd() % sizeof buf;
		switch (rnd() % 10) {
		case 0: /* random bytes anywhere */
		case 1:
			for (size_t k = 0; k < n; k++)
				buf[k] = (unsigned char)rnd();
			pw(fd, buf, n, rnd() % (size - n));
			break;
		case 2: /* 0xFF anywhere */
			memset(buf, 0xff, n);
			pw(fd, buf, n, rnd() % (size - n));
			break;
		case 3: { /* the whole header: random, 0xFF or zero */
			int how = (int)(rnd() % 3);
			for (size_t k = 0; k < SCHED_HDR_BYTES; k++)
				buf[k] = how == 0 ? (unsigned char)rnd() : how == 1 ? 0xff : 0;
			pw(fd, buf, SCHED_HDR_BYTES, 0);
			break;
		}
		case 4: { /* a plausible header with garbage values */
			struct sched_hdr h = good;
			switch (rnd() % 4) {
			case 0: h.cursor = rnd() % 5000; break;
			case 1: h.pending = rnd() % (2 * cap); break;
			case 2: h.key = rnd(); h.pid = (uint32_t)rnd(); break;
			default: h.cap = 64; h.total = 4096 * (1 + rnd() % 4); break;
			}
			h.sleeping = (uint32_t)(rnd() % 2);
			pw(fd, &h, sizeof h, 0);
			break;
		}
		case 5: { /* the input head: garbage, or moved a little */
			uint64_t head;
			if (pread(fd, &head, sizeof head, in_off) != (ssize_t)sizeof head)
				_exit(5);
			uint64_t v[2] = {rnd(), rnd()};
			if (rnd() % 2)
				head = v[0];
			else
				head += (rnd() % 64) - 32;
			pw(fd, &head, sizeof head, in_off);
			if (rnd() % 2)
				pw(fd, v, sizeof v, in_off + 64); /* futex, sleepers */
			break;
		}
		case 6: { /* a table entry: garbage, or valid but impossible */
			struct sched_ent x;
			for (size_t k = 0; k < sizeof x; k++)
				((unsigned char *)&x)[k] = (unsigned char)rnd();
			x.state = 1;
			if (rnd() % 2) {
				x.uid = rnd() % 2 ? 0 : x.uid;
				x.kind = (uint32_t)(rnd() % 10);
				x.due = test_now_ns() + rnd() % 1000000000ull;
				x.check = sched_sum(x.seq, x.due, x.uid, x.tag, x.kind, x.w);
			}
			pw(fd, &x, sizeof x, tab_off + (rnd() % cap) * sizeof x);
			break;
		}
		case 7: { /* one input slot copied over another */
			struct sched_in x;
			if (pread(fd, &x, sizeof x, slots_off + (rnd() % cap) * sizeof x) !=
			    (ssize_t)sizeof x)
				_exit(6);
			pw(fd, &x, sizeof x, slots_off + (rnd() % cap) * sizeof x);
			break;
		}
		default: /* a few garbage input slots */
			for (size_t k = 0; k < 4 * sizeof(struct sched_in); k++)
				buf[k] = (unsigned char)rnd();
			pw(fd, buf, 4 * sizeof(struct sched_in),
			   slots_off + (rnd() % (cap - 4)) * sizeof(struct sched_in));
			break;
		}
		usleep((useconds_t)(200 + rnd() % 1800));
	}
	close(fd);
}

enum { N = 2000, M = 400, BATCH = 10 };
#define W_MAIN 0x40900000u
#define W_LATE 0x40910000u

/* Sends M messages in batches of BATCH while the file is scribbled on,
 * each due 300 ms ahead; reports every accepted batch (first id, due). */
static void late_sender(int out, uint64_t until)
{
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	if (!a)
		_exit(1);
	for (uint32_t id = N; id < N + M && test_now_ns() < until; id += BATCH) {
		midi_packet p[BATCH];
		uint64_t due = test_now_ns() + 300000000ull;
		for (int k = 0; k < BATCH; k++)
			p[k] = test_pk(due, W_LATE, id + (uint32_t)k);
		uint64_t rec[2] = {id, due}; /* one write: never split in the pipe */
		if (midi_send(a, p, BATCH, &e) == 0 && write(out, rec, sizeof rec) != (ssize_t)sizeof rec)
			_exit(2);
		usleep(20000);
	}
	midi_flush(a, 3000, &e); /* bounded; garbage may have eaten some */
	midi_close(a);
	_exit(0);
}

/* 2,000 messages pending (taken by the scheduler) due 1.5-2.5 s ahead; a
 * scribbler works on the file from then until after the last is due, and
 * another sender sends meanwhile. The scheduler must be the same process
 * at the end, every pending message must arrive once, no earlier than its
 * due time and at most 1 s after it, nothing but what was sent may arrive,
 * and at least 80 % of what the late sender got accepted must arrive (the
 * rest may have been destroyed in the input ring before it was taken). */
static void test_scribble_while_pending(void **state)
{
	(void)state;
	const uint64_t step = 500000ull, late_max = 1000000000ull;
	midi_error e;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t sender = fork();
	assert_true(sender >= 0);
	if (sender == 0) {
		close(pfd[0]);
		midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
		static midi_packet p[N];
		uint64_t base = test_now_ns() + 1500000000ull;
		for (int k = 0; k < N; k++)
			p[k] = test_pk(base + (uint64_t)k * step, W_MAIN, (uint32_t)k);
		for (int k = 0; k < N; k += 500)
			if (!a || midi_send(a, p + k, 500, &e) < 0)
				_exit(1);
		if (midi_flush(a, 10000, &e) < 0)
			_exit(2);
		midi_close(a);
		test_put_u64(pfd[1], base);
		_exit(0);
	}
	close(pfd[1]);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	wait_bounded(sender, 20000, "sender");
	uint64_t base = test_get_u64(pfd[0]);
	close(pfd[0]);
	struct sched_stats st;
	assert_int_equal(sched_get_stats(&st, &e), 0);
	pid_t sched_pid = st.pid;
	assert_true(sched_pid > 0);
	assert_true(st.pending + st.delivered >= N); /* all taken (counted before freed) */
	uint64_t until = base + (uint64_t)N * step + 200000000ull;
	uint64_t seed = test_now_ns() ^ (uint64_t)getpid() << 32;
	print_message("scribbler seed %llu\n", (unsigned long long)seed);
	pid_t scrib = fork();
	assert_true(scrib >= 0);
	if (scrib == 0) {
		scribble(until, seed);
		_exit(0);
	}
	int lfd[2];
	assert_int_equal(pipe(lfd), 0);
	pid_t late = fork();
	assert_true(late >= 0);
	if (late == 0) {
		close(lfd[0]);
		late_sender(lfd[1], until);
	}
	close(lfd[1]);
	assert_int_equal(fcntl(lfd[0], F_SETFL, O_NONBLOCK), 0);

	static uint64_t first[N + M], due_of[N + M];
	static unsigned count[N + M];
	for (int k = 0; k < N; k++)
		due_of[k] = base + (uint64_t)k * step;
	size_t main_got = 0, late_acc = 0, late_got = 0;
	int late_done = 0;
	uint64_t deadline = until + 10000000000ull;
	static midi_packet r[512];
	while (test_now_ns() < deadline) {
		if (!late_done) {
			uint64_t v[2];
			ssize_t n = read(lfd[0], v, sizeof v);
			if (n == 0)
				late_done = 1;
			else if (n == (ssize_t)sizeof v) {
				assert_true(v[0] >= N && v[0] + BATCH <= N + M);
				for (int k = 0; k < BATCH; k++)
					due_of[v[0] + (uint64_t)k] = v[1];
				late_acc += BATCH;
				continue;
			} else {
				assert_true(n < 0 && errno == EAGAIN);
			}
		}
		if (main_got == N && late_done && late_got == late_acc)
			break;
		if (late_done && main_got == N && test_now_ns() > until + 2 * late_max)
			break; /* what has not come by now was destroyed */
		int n = midi_recv(b, r, 512, 100, &e);
		assert_true(n >= 0);
		for (int k = 0; k < n; k++) {
			uint32_t id = r[k].ump.w[1];
			uint32_t w0 = r[k].ump.w[0];
			if (!(w0 == W_MAIN && id < N) && !(w0 == W_LATE && id >= N && id < N + M))
				fail_msg("garbage delivered: %08x %08x", w0, id);
			if (count[id]++ == 0) {
				first[id] = r[k].time_ns;
				if (id < N)
					main_got++;
				else
					late_got++;
			}
		}
	}
	/* The same scheduler, alive (it exits only after 3 s of idleness). */
	assert_false(test_proc_gone(sched_pid));
	wait_bounded(scrib, 10000, "scribbler");
	wait_bounded(late, 10000, "late sender");
	close(lfd[0]);
	print_message("pending %zu of %d, late %zu of %zu accepted\n", main_got, N, late_got,
		      late_acc);
	assert_int_equal(main_got, N);
	for (int k = 0; k < N + M; k++) {
		if (!count[k])
			continue;
		if (count[k] != 1)
			fail_msg("message %d arrived %u times", k, count[k]);
		assert_true(due_of[k] != 0); /* only what was accepted */
		if (first[k] < due_of[k] || first[k] > due_of[k] + late_max)
			fail_msg("message %d arrived %.3f ms after its due time", k,
				 ((double)first[k] - (double)due_of[k]) / 1e6);
	}
	assert_true(late_got * 5 >= late_acc * 4);
	/* Its own pid is back in the header, the file is good again. */
	int same = 0;
	for (int k = 0; k < 200 && !same; k++) {
		assert_int_equal(sched_get_stats(&st, &e), 0);
		same = st.pid == sched_pid;
		if (!same)
			usleep(10000);
	}
	assert_true(same);
	assert_false(test_proc_gone(sched_pid));
	midi_close(b);
}

/* Maps the segment of the current runtime directory. */
static void map_sched(struct rt **rt, struct sched_client *sc)
{
	midi_error e;
	*rt = rt_get(&e);
	assert_non_null(*rt);
	assert_int_equal(sched_client_open(*rt, sc, &e), 0);
}

/* Entries no sender writes, handed over well-formed (valid check sum):
 * uid 0, kind 7, a due time two hours ahead are dropped as garbage, a uid
 * no endpoint has is dropped as gone; the scheduler survives and the good
 * messages around them arrive. Then the same in the table a successor
 * rebuilds from, plus an entry that fails its check sum. */
static void test_bad_entries(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	uint64_t due1 = test_now_ns() + 300000000ull;
	midi_packet p = test_pk(due1, W_MAIN, 1);
	assert_int_equal(midi_send(a, &p, 1, &e), 0);
	struct rt *rt;
	struct sched_client sc;
	map_sched(&rt, &sc);
	struct sched_stats st;
	for (int k = 0; k < 500; k++) { /* the scheduler just started */
		assert_int_equal(sched_get_stats(&st, &e), 0);
		if (st.pid > 0)
			break;
		usleep(10000);
	}
	pid_t pid0 = st.pid;
	assert_true(pid0 > 0);
	uint64_t soon = test_now_ns() + 100000000ull;
	struct sched_in bad[4] = {
		{.due = soon, .uid = 0, .kind = SCHED_TO_OUT, .w = {0x20903c7f}},
		{.due = soon, .uid = 0x7fffffff12345ull, .kind = 7, .w = {0x20903c7f}},
		{.due = soon + 7200000000000ull, .uid = 0x7fffffff12345ull, .w = {0x20903c7f}},
		{.due = soon, .uid = 0x7fffffff12345ull, .kind = SCHED_TO_IN, .w = {0x20903c7f}},
	};
	assert_int_equal(sched_put(rt, &sc, bad, 4, &e), 0);
	uint64_t due2 = test_now_ns() + 400000000ull;
	p = test_pk(due2, W_MAIN, 2);
	assert_int_equal(midi_send(a, &p, 1, &e), 0);
	assert_int_equal(midi_flush(a, 5000, &e), 0);
	midi_packet r[4];
	int got = 0;
	uint64_t end = test_now_ns() + 5000000000ull;
	while (got < 2 && test_now_ns() < end) {
		int n = midi_recv(b, r + got, 4 - (size_t)got, 100, &e);
		assert_true(n >= 0);
		got += n;
	}
	assert_int_equal(got, 2);
	assert_int_equal(r[0].ump.w[1], 1);
	assert_int_equal(r[1].ump.w[1], 2);
	assert_true(r[0].time_ns >= due1);
	assert_true(r[1].time_ns >= due2);
	for (int k = 0; k < 100; k++) {
		assert_int_equal(sched_get_stats(&st, &e), 0);
		if (st.pending == 0)
			break;
		usleep(10000);
	}
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.garbage, 3);
	assert_int_equal(st.dropped, 1); /* the endpoint that does not exist */
	assert_int_equal(st.delivered, 2);
	assert_int_equal(st.pid, pid0);
	assert_false(test_proc_gone(pid0));

	/* The table: a good pending message, and entries around it. */
	uint64_t due3 = test_now_ns() + 1500000000ull;
	p = test_pk(due3, W_MAIN, 3);
	assert_int_equal(midi_send(a, &p, 1, &e), 0);
	assert_int_equal(midi_flush(a, 5000, &e), 0);
	uint64_t cap = sc.m.mask + 1, placed = 0;
	for (uint64_t i = 0; i < cap && placed < 3; i++) {
		struct sched_ent *x = &sc.m.tab[i];
		if (__atomic_load_n(&x->state, __ATOMIC_ACQUIRE) != 0)
			continue;
		struct sched_ent y = {.seq = 1000 + i, .due = test_now_ns() + 100000000ull,
				      .uid = placed == 0 ? 0 : 0x7fffffff12345ull,
				      .kind = placed == 1 ? 9 : SCHED_TO_OUT, .w = {0x20903c7f}};
		y.check = sched_sum(y.seq, y.due, y.uid, y.tag, y.kind, y.w);
		if (placed == 2)
			y.check ^= 0x5a5a; /* fails its check sum */
		y.state = 1;
		*x = y;
		placed++;
	}
	assert_int_equal(placed, 3);
	assert_int_equal(kill(pid0, SIGKILL), 0);
	for (int k = 0; k < 500 && !test_proc_gone(pid0); k++)
		usleep(10000);
	assert_true(test_proc_gone(pid0));
	/* A waiting receiver starts the successor, which drops the three. */
	got = 0;
	end = test_now_ns() + 10000000000ull;
	while (got < 1 && test_now_ns() < end) {
		int n = midi_recv(b, r, 4, 100, &e);
		assert_true(n >= 0);
		got += n;
	}
	assert_int_equal(got, 1);
	assert_int_equal(r[0].ump.w[1], 3);
	assert_true(r[0].time_ns >= due3);
	assert_int_equal(midi_recv(b, r, 4, 300, &e), 0);
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_true(st.pid != pid0);
	assert_false(test_proc_gone(st.pid));
	assert_int_equal(st.starts, 2);
	assert_int_equal(st.garbage, 6);
	assert_int_equal(st.dropped, 1);
	sched_client_close(&sc);
	rt_put(rt);
	midi_close(a);
	midi_close(b);
}

/* The header overwritten (0xFF, random, zero) while messages are pending:
 * a new sender's mapping repairs it in place (the file keeps its size and
 * contents), its messages and the pending ones arrive, from the same
 * scheduler; then garbage header and head with the scheduler killed: the
 * successor rebuilds from the table and the ring. */
static void test_garbage_header(void **state)
{
	(void)state;
	enum { P = 300 };
	midi_error e;
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(a);
	assert_non_null(b);
	static midi_packet p[P];
	uint64_t base = test_now_ns() + 1000000000ull;
	for (int k = 0; k < P; k++)
		p[k] = test_pk(base + (uint64_t)k * 1000000ull, W_MAIN, (uint32_t)k);
	assert_int_equal(midi_send(a, p, P, &e), 0);
	assert_int_equal(midi_flush(a, 5000, &e), 0);
	midi_close(a);
	struct sched_stats st;
	assert_int_equal(sched_get_stats(&st, &e), 0);
	pid_t pid0 = st.pid;
	int fd = sched_fd(O_RDWR);
	struct stat s0, s1;
	assert_int_equal(fstat(fd, &s0), 0);
	static unsigned char buf[SCHED_HDR_BYTES];
	for (int how = 0; how < 3; how++) {
		for (size_t k = 0; k < sizeof buf; k++)
			buf[k] = how == 0 ? 0xff : how == 1 ? (unsigned char)(k * 131 + 7) : 0;
		assert_int_equal(pwrite(fd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
		/* A new sender (a fresh mapping) sends at once. */
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			midi_conn *a2 = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
			midi_packet q = test_pk(test_now_ns() + 200000000ull, W_LATE, (uint32_t)how);
			if (!a2 || midi_send(a2, &q, 1, &e) < 0 || midi_flush(a2, 3000, &e) < 0) {
				fprintf(stderr, "sender: %s\n", e.msg);
				_exit(1);
			}
			midi_close(a2);
			_exit(0);
		}
		wait_bounded(pid, 10000, "sender after a garbage header");
	}
	assert_int_equal(fstat(fd, &s1), 0);
	assert_int_equal(s1.st_size, s0.st_size);
	static midi_packet r[P + 8];
	static int seen[P];
	int main_got = 0, late_got = 0;
	uint64_t end = test_now_ns() + 15000000000ull;
	while ((main_got < P || late_got < 3) && test_now_ns() < end) {
		int n = midi_recv(b, r, P + 8, 100, &e);
		assert_true(n >= 0);
		for (int k = 0; k < n; k++) {
			if (r[k].ump.w[0] == W_LATE) {
				late_got++;
				continue;
			}
			uint32_t id = r[k].ump.w[1];
			assert_int_equal(r[k].ump.w[0], W_MAIN);
			assert_true(id < P);
			assert_int_equal(seen[id], 0);
			seen[id] = 1;
			main_got++;
			assert_true(r[k].time_ns >= base + id * 1000000ull);
		}
	}
	assert_int_equal(main_got, P);
	assert_int_equal(late_got, 3);
	assert_false(test_proc_gone(pid0));
	assert_int_equal(sched_get_stats(&st, &e), 0);
	assert_int_equal(st.pid, pid0);

	/* Killed with a garbage header and head: the successor goes on. */
	a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(a);
	uint64_t due = test_now_ns() + 1500000000ull;
	midi_packet q[3] = {test_pk(due, W_MAIN, 0), test_pk(due, W_MAIN, 1), test_pk(due, W_MAIN, 2)};
	assert_int_equal(midi_send(a, q, 3, &e), 0);
	assert_int_equal(midi_flush(a, 5000, &e), 0);
	assert_int_equal(kill(pid0, SIGKILL), 0);
	for (int k = 0; k < 500 && !test_proc_gone(pid0); k++)
		usleep(10000);
	assert_true(test_proc_gone(pid0));
	memset(buf, 0xff, sizeof buf);
	assert_int_equal(pwrite(fd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
	uint64_t head = 0x123456789ull;
	assert_int_equal(pwrite(fd, &head, sizeof head, SCHED_HDR_BYTES), (ssize_t)sizeof head);
	int got = 0;
	end = test_now_ns() + 10000000000ull;
	while (got < 3 && test_now_ns() < end) {
		int n = midi_recv(b, r + got, 8, 100, &e);
		assert_true(n >= 0);
		got += n;
	}
	assert_int_equal(got, 3);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(r[k].ump.w[1], (uint32_t)k);
		assert_true(r[k].time_ns >= due);
	}
	/* And it takes new messages again. */
	due = test_now_ns() + 200000000ull;
	q[0] = test_pk(due, W_MAIN, 7);
	assert_int_equal(midi_send(a, q, 1, &e), 0);
	assert_int_equal(midi_flush(a, 5000, &e), 0);
	got = 0;
	end = test_now_ns() + 5000000000ull;
	while (got < 1 && test_now_ns() < end) {
		int n = midi_recv(b, r, 8, 100, &e);
		assert_true(n >= 0);
		got += n;
	}
	assert_int_equal(got, 1);
	assert_int_equal(r[0].ump.w[1], 7);
	assert_true(r[0].time_ns >= due);
	assert_int_equal(fstat(fd, &s1), 0);
	assert_int_equal(s1.st_size, s0.st_size);
	close(fd);
	midi_close(a);
	midi_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_scribble_while_pending, fresh_runtime),
		cmocka_unit_test_setup(test_bad_entries, fresh_runtime),
		cmocka_unit_test_setup(test_garbage_header, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
