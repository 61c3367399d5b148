/* bench_broker.c: the broker's latency, throughput, open time and memory,
 * each with a baseline measured in the same run. Prints ONE JSON object:
 * {"bench":"broker","results":[{"name":...,"unit":...,...}],"note":...}
 * - ping_rtt: round trip through diag:ping (client -> in ring -> host
 *   process -> out ring -> client) vs a pipe ping-pong between two processes;
 *   sporadic (1 ms and 10 ms gaps) through midi_conn_fd, next to the floor
 *   of a shared-memory broker and an app-to-app round trip through a
 *   loopback pair (loop_pair_rtt_fd_*), all against the same pipe
 * - oneway_sporadic / oneway_burst: loopback-a -> loopback-b, 1 message per
 *   ms and back-to-back bursts, vs a pipe (latency from the writer's stamp)
 * - throughput_single / throughput_batch64: packets/s between two
 *   processes vs a plain SPSC shared-memory ring and a pipe with batches
 * - sched_lateness_1ms: scheduled sends (2000 packets due 1 ms apart,
 *   handed over at once by a sender that then exits) received on
 *   loopback-b: arrival minus due time, vs clock_nanosleep(TIMER_ABSTIME)
 *   to the same due times with the default timer slack
 * - open: midi_open + midi_close of diag:loopback-b
 * - memory: bytes mapped per endpoint segment and registry, and allocated
 * Uses a fresh runtime directory on /dev/shm when there is one. */
#include "bench.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "midi/endpoint.h"

#define NSAMPLES 20000

static int nres;

static void emit_lat(const char *name, uint64_t *v, size_t n, const char *baseline_name,
		     uint64_t *b, size_t bn)
{
	qsort(v, n, sizeof *v, bench_cmp_u64);
	printf("%s{\"name\":\"%s\",\"unit\":\"us\",\"samples\":%zu,\"p50\":%.2f,\"p99\":%.2f,"
	       "\"max\":%.2f", nres++ ? "," : "", name, n, v[n / 2] / 1e3,
	       v[n * 99 / 100] / 1e3, v[n - 1] / 1e3);
	if (b && bn) {
		qsort(b, bn, sizeof *b, bench_cmp_u64);
		printf(",\"baseline\":\"%s\",\"baseline_p50\":%.2f,\"baseline_p99\":%.2f,"
		       "\"baseline_max\":%.2f,\"p50_ratio\":%.2f,\"p99_ratio\":%.2f",
		       baseline_name, b[bn / 2] / 1e3, b[bn * 99 / 100] / 1e3, b[bn - 1] / 1e3,
		       (double)v[n / 2] / (double)(b[bn / 2] ? b[bn / 2] : 1),
		       (double)v[n * 99 / 100] / (double)(b[bn * 99 / 100] ? b[bn * 99 / 100] : 1));
	}
	printf("}");
}

static void emit_rate(const char *name, double per_sec, uint64_t lost, const char *bname,
		      double bper_sec)
{
	printf("%s{\"name\":\"%s\",\"unit\":\"packets/s\",\"per_sec\":%.0f,\"lost\":%llu",
	       nres++ ? "," : "", name, per_sec, (unsigned long long)lost);
	if (bname)
		printf(",\"baseline\":\"%s\",\"baseline_per_sec\":%.0f", bname, bper_sec);
	printf("}");
}

static void die(const char *what, const midi_error *e)
{
	fprintf(stderr, "bench_broker: %s: %s\n", what, e ? e->msg : "");
	exit(1);
}

/* ---- scheduled sends ---- */

#define SCHED_N 2000

/* Lateness (arrival - due) of SCHED_N scheduled packets 1 ms apart. */
static void sched_lateness(uint64_t *v)
{
	midi_error e;
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	if (!b)
		die("open loopback-b", &e);
	uint64_t start = bench_now_ns() + 100000000ull;
	pid_t pid = fork();
	if (pid == 0) {
		midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
		static midi_packet p[SCHED_N];
		for (uint32_t k = 0; k < SCHED_N; k++)
			p[k] = (midi_packet){start + k * 1000000ull,
					     midi_ump_make(0x40903c00, k, 0, 0)};
		if (!a || midi_send(a, p, SCHED_N, &e) < 0 || midi_flush(a, 5000, &e) < 0)
			_exit(1);
		midi_close(a);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("scheduled sender failed", NULL);
	size_t got = 0;
	midi_packet r[64];
	while (got < SCHED_N) {
		int n = midi_recv(b, r, 64, 5000, &e);
		if (n <= 0)
			die("scheduled packets missing", n < 0 ? &e : NULL);
		for (int k = 0; k < n && got < SCHED_N; k++, got++)
			v[got] = r[k].time_ns - (start + r[k].ump.w[1] * 1000000ull);
	}
	midi_close(b);
}

static void nanosleep_lateness(uint64_t *v)
{
	uint64_t start = bench_now_ns() + 10000000ull;
	for (size_t k = 0; k < SCHED_N; k++) {
		uint64_t due = start + k * 1000000ull;
		struct timespec ts = {(time_t)(due / 1000000000ull), (long)(due % 1000000000ull)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
			;
		v[k] = bench_now_ns() - due;
	}
}

/* ---- round trips ---- */

static size_t ping_rtt(uint64_t *v)
{
	midi_error e;
	midi_conn *c = midi_open("diag:ping", 0, &e);
	if (!c)
		die("open diag:ping", &e);
	midi_packet p = {0, midi_ump_make(0x20903c7f, 0, 0, 0)}, r[4];
	for (int i = -1000; i < NSAMPLES; i++) {
		uint64_t t0 = bench_now_ns();
		if (midi_send(c, &p, 1, &e) < 0 || midi_recv(c, r, 4, 2000, &e) != 1)
			die("ping", &e);
		if (i >= 0)
			v[i] = bench_now_ns() - t0;
	}
	midi_close(c);
	return NSAMPLES;
}

/* A pipe ping-pong partner: a child process that answers every 16-byte
 * message. With `poll_first` it waits in poll(2) before each read, as a
 * program's main loop does; otherwise it blocks in read(2). */
struct pipe_pp {
	int to, from;
	pid_t pid;
};

static void pipe_pp_start(struct pipe_pp *pp, int poll_first)
{
	int a[2], b[2];
	if (pipe(a) || pipe(b))
		die("pipe", NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		char m[16];
		close(a[1]);
		close(b[0]);
		for (;;) {
			struct pollfd pf = {.fd = a[0], .events = POLLIN};
			if (poll_first)
				poll(&pf, 1, -1);
			if (read(a[0], m, 16) != 16 || write(b[1], m, 16) != 16)
				break;
		}
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	pp->to = a[1];
	pp->from = b[0];
	pp->pid = pid;
}

/* One round trip; with `poll_first` the reply is awaited in poll(2). */
static uint64_t pipe_pp_ping(struct pipe_pp *pp, int poll_first)
{
	char m[16] = {0};
	uint64_t t0 = bench_now_ns();
	struct pollfd pf = {.fd = pp->from, .events = POLLIN};
	if (write(pp->to, m, 16) != 16 || (poll_first && poll(&pf, 1, 2000) != 1) ||
	    read(pp->from, m, 16) != 16)
		die("pipe ping", NULL);
	return bench_now_ns() - t0;
}

static void pipe_pp_stop(struct pipe_pp *pp)
{
	close(pp->to);
	waitpid(pp->pid, NULL, 0);
	close(pp->from);
}

/* Back to back (no gap), both ends blocking in read(2). */
static size_t pipe_rtt(uint64_t *v)
{
	struct pipe_pp pp;
	pipe_pp_start(&pp, 0);
	for (int i = -1000; i < NSAMPLES; i++) {
		uint64_t t = pipe_pp_ping(&pp, 0);
		if (i >= 0)
			v[i] = t;
	}
	pipe_pp_stop(&pp);
	return NSAMPLES;
}

/* The floor of the broker's shape, without the broker: a 16-byte packet
 * through a plain shared-memory ring to a child and back through another,
 * each direction announced by 8 bytes written into a pipe (a "bell"). The
 * child waits in epoll_wait on its bell, edge-triggered, and does not empty
 * it at each wake-up (as a host helper does); the parent waits in poll(2)
 * on an epoll set holding its bell, then empties it (as midi_conn_fd and
 * midi_recv do). The same system calls per round trip as the pipe
 * ping-pong, less the child's read, and the data in shared memory instead
 * of the pipe: what any shared-memory broker with pipe wake-ups costs before
 * it does any work of its own. */
struct floor_ring {
	_Alignas(64) uint64_t head;
	_Alignas(64) uint64_t slot[64][2];
};

struct floor_pp {
	struct floor_ring *r; /* [0] to the child, [1] back */
	int to_bell, from_bell, epfd;
	uint64_t seen;
	pid_t pid;
};

static void floor_child(struct floor_ring *r, int bell, int reply)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, bell, &ev) < 0)
		_exit(1);
	uint64_t seen = 0;
	for (unsigned k = 0;; k++) {
		char d[256];
		if (k % 32 == 31) /* the edge-triggered bell, emptied now and then */
			while (read(bell, d, sizeof d) == (ssize_t)sizeof d)
				;
		struct epoll_event got;
		if (epoll_wait(ep, &got, 1, -1) < 0)
			_exit(1);
		if (got.events & EPOLLHUP)
			_exit(0);
		while (seen < __atomic_load_n(&r[0].head, __ATOMIC_ACQUIRE)) {
			const uint64_t *in = r[0].slot[seen++ % 64];
			uint64_t h = r[1].head, one = 1;
			r[1].slot[h % 64][0] = in[0];
			r[1].slot[h % 64][1] = in[1];
			__atomic_store_n(&r[1].head, h + 1, __ATOMIC_RELEASE);
			if (write(reply, &one, sizeof one) < 0)
				_exit(0);
		}
	}
}

static void floor_start(struct floor_pp *f)
{
	int cb[2], pb[2];
	f->r = mmap(NULL, 2 * sizeof *f->r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	if (f->r == MAP_FAILED || pipe2(cb, O_NONBLOCK) || pipe2(pb, O_NONBLOCK))
		die("floor ring", NULL);
	f->pid = fork();
	if (f->pid < 0)
		die("fork", NULL);
	if (f->pid == 0) {
		close(cb[1]);
		close(pb[0]);
		floor_child(f->r, cb[0], pb[1]);
	}
	close(cb[0]);
	close(pb[1]);
	f->to_bell = cb[1];
	f->from_bell = pb[0];
	f->seen = 0;
	f->epfd = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	if (f->epfd < 0 || epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->from_bell, &ev) < 0)
		die("floor epoll", NULL);
}

static uint64_t floor_ping(struct floor_pp *f)
{
	uint64_t t0 = bench_now_ns(), one = 1;
	struct floor_ring *r = f->r;
	uint64_t h = r[0].head;
	r[0].slot[h % 64][0] = 0x20903c7f;
	r[0].slot[h % 64][1] = t0;
	__atomic_store_n(&r[0].head, h + 1, __ATOMIC_RELEASE);
	if (write(f->to_bell, &one, sizeof one) != (ssize_t)sizeof one)
		die("floor ping", NULL);
	while (__atomic_load_n(&r[1].head, __ATOMIC_ACQUIRE) <= f->seen) {
		struct pollfd pf = {.fd = f->epfd, .events = POLLIN};
		char d[256];
		if (poll(&pf, 1, 2000) != 1)
			die("floor ping: no reply", NULL);
		while (read(f->from_bell, d, sizeof d) == (ssize_t)sizeof d)
			;
	}
	volatile uint64_t got = r[1].slot[f->seen++ % 64][0];
	(void)got;
	return bench_now_ns() - t0;
}

static void floor_stop(struct floor_pp *f)
{
	close(f->to_bell);
	waitpid(f->pid, NULL, 0);
	close(f->from_bell);
	close(f->epfd);
	munmap(f->r, 2 * sizeof *f->r);
}

/* Sporadic round trips through the pollable descriptor: one ping every
 * gap_us, the reply awaited in poll(2) on midi_conn_fd (as a program with
 * a main loop does), against a pipe ping-pong at the same gap whose both
 * ends wait in poll(2). The two alternate sample by sample (fd ping, gap,
 * pipe ping, gap, floor ping, gap, ...) so that all see the same machine.
 * Any array may be NULL to leave that side out. */
static void sleep_us(int us)
{
	if (us <= 0)
		return;
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000L};
	nanosleep(&ts, NULL);
}

static uint64_t fd_ping(midi_conn *c, int fd)
{
	midi_error e;
	midi_packet p = {0, midi_ump_make(0x20903c7f, 0, 0, 0)}, r[4];
	uint64_t t0 = bench_now_ns();
	if (midi_send(c, &p, 1, &e) < 0)
		die("ping", &e);
	int got = 0;
	while (!got) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 2000) != 1)
			die("ping reply did not wake the descriptor", NULL);
		got = midi_recv(c, r, 4, 0, &e);
		if (got < 0)
			die("ping recv", &e);
	}
	return bench_now_ns() - t0;
}

/* App to app: the partner is another client of the broker, a child that
 * waits in poll(2) on midi_conn_fd of loop:bench-pp-b and sends back what
 * it receives; the ping goes to loop:bench-pp-a. No host on the way: both
 * ends run the library's send and receive paths. The child leaves when
 * the pipe from its parent closes. */
struct loop_pp {
	midi_conn *c;
	int fd, hup;
	pid_t pid;
};

static void loop_echo(int hup)
{
	midi_error e;
	midi_conn *ec = midi_open("loop:bench-pp-b", 0, &e);
	int efd = ec ? midi_conn_fd(ec, &e) : -1;
	if (efd < 0)
		_exit(1);
	if (write(hup, "", 1) != 1) /* ready */
		_exit(1);
	for (;;) {
		struct pollfd pf[2] = {{.fd = efd, .events = POLLIN}, {.fd = hup, .events = POLLIN}};
		if (poll(pf, 2, -1) < 0 || pf[1].revents)
			break;
		midi_packet r[4];
		int got = midi_recv(ec, r, 4, 0, &e);
		if (got < 0)
			_exit(1);
		for (int k = 0; k < got; k++)
			r[k].time_ns = 0;
		if (got > 0 && midi_send(ec, r, (size_t)got, &e) < 0)
			_exit(1);
	}
	midi_close(ec);
	_exit(0);
}

static void loop_pp_start(struct loop_pp *lp)
{
	midi_error e;
	int s[2];
	char ready;
	if (midi_loop_create("bench-pp", &e) < 0)
		die("loop bench-pp", &e);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) < 0)
		die("socketpair", NULL);
	lp->pid = fork();
	if (lp->pid < 0)
		die("fork", NULL);
	if (lp->pid == 0) {
		close(s[0]);
		loop_echo(s[1]);
	}
	close(s[1]);
	lp->hup = s[0];
	if (read(lp->hup, &ready, 1) != 1)
		die("loop echo did not start", NULL);
	lp->c = midi_open("loop:bench-pp-a", 0, &e);
	if (!lp->c || (lp->fd = midi_conn_fd(lp->c, &e)) < 0)
		die("open loop:bench-pp-a", &e);
}

static void loop_pp_stop(struct loop_pp *lp)
{
	midi_error e;
	close(lp->hup);
	waitpid(lp->pid, NULL, 0);
	midi_close(lp->c);
	midi_loop_remove("bench-pp", &e);
}

static void gap_pair(uint64_t *v, uint64_t *b, uint64_t *fl, uint64_t *lpv, size_t n,
		     int gap_us)
{
	midi_error e;
	midi_conn *c = NULL;
	int fd = -1;
	struct pipe_pp pp;
	struct floor_pp fp = {0};
	struct loop_pp lp = {0};
	/* Children first, so that none inherits the ping's connection. */
	if (lpv)
		loop_pp_start(&lp);
	if (b)
		pipe_pp_start(&pp, 1);
	if (fl)
		floor_start(&fp);
	if (v) {
		c = midi_open("diag:ping", 0, &e);
		if (!c)
			die("open diag:ping", &e);
		fd = midi_conn_fd(c, &e);
		if (fd < 0)
			die("midi_conn_fd", &e);
	}
	for (int i = -20; i < (int)n; i++) {
		if (v) {
			sleep_us(gap_us);
			uint64_t t = fd_ping(c, fd);
			if (i >= 0)
				v[i] = t;
		}
		if (b) {
			sleep_us(gap_us);
			uint64_t t = pipe_pp_ping(&pp, 1);
			if (i >= 0)
				b[i] = t;
		}
		if (fl) {
			sleep_us(gap_us);
			uint64_t t = floor_ping(&fp);
			if (i >= 0)
				fl[i] = t;
		}
		if (lpv) {
			sleep_us(gap_us);
			uint64_t t = fd_ping(lp.c, lp.fd);
			if (i >= 0)
				lpv[i] = t;
		}
	}
	if (c)
		midi_close(c);
	/* Later children hold inherited ends of earlier ones' pipes: they go
	 * first. */
	if (fl)
		floor_stop(&fp);
	if (b)
		pipe_pp_stop(&pp);
	if (lpv)
		loop_pp_stop(&lp);
}

/* ---- one-way latency ---- */

#define ONEWAY_N 1000
#define BURSTS 50
#define BURST_LEN 100

/* Receiver child: latency of each of n packets (now - writer stamp),
 * written back through a pipe. */
static void oneway_midi(int n, int gap_us, int burst, uint64_t *v)
{
	int res[2], ready[2];
	if (pipe(res) || pipe(ready))
		die("pipe", NULL);
	pid_t pid = fork();
	if (pid == 0) {
		midi_error e;
		midi_conn *c = midi_open("diag:loopback-b", 0, &e);
		if (!c)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		midi_packet r[256];
		int got = 0;
		while (got < n) {
			int k = midi_recv(c, r, 256, 5000, &e);
			if (k <= 0)
				_exit(2);
			uint64_t now = bench_now_ns();
			for (int j = 0; j < k && got < n; j++, got++) {
				uint64_t d = now - r[j].time_ns;
				(void)!write(res[1], &d, sizeof d);
			}
		}
		_exit(0);
	}
	char ch;
	if (read(ready[0], &ch, 1) != 1)
		die("receiver", NULL);
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	if (!a)
		die("open loopback-a", &e);
	midi_packet p = {0, midi_ump_make(0x20903c7f, 0, 0, 0)};
	for (int i = 0; i < n; i++) {
		if (midi_send(a, &p, 1, &e) < 0)
			die("send", &e);
		if (!burst || (i + 1) % BURST_LEN == 0)
			usleep((useconds_t)gap_us);
	}
	for (int i = 0; i < n; i++)
		if (read(res[0], &v[i], sizeof v[i]) != sizeof v[i])
			die("result pipe", NULL);
	waitpid(pid, NULL, 0);
	midi_close(a);
	close(res[0]);
	close(res[1]);
	close(ready[0]);
	close(ready[1]);
}

static void oneway_pipe(int n, int gap_us, int burst, uint64_t *v)
{
	int d[2], res[2];
	if (pipe(d) || pipe(res))
		die("pipe", NULL);
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t m[2];
		close(d[1]);
		for (int i = 0; i < n; i++) {
			if (read(d[0], m, 16) != 16)
				_exit(1);
			uint64_t lat = bench_now_ns() - m[0];
			(void)!write(res[1], &lat, sizeof lat);
		}
		_exit(0);
	}
	for (int i = 0; i < n; i++) {
		uint64_t m[2] = {bench_now_ns(), 0};
		if (write(d[1], m, 16) != 16)
			die("pipe write", NULL);
		if (!burst || (i + 1) % BURST_LEN == 0)
			usleep((useconds_t)gap_us);
	}
	for (int i = 0; i < n; i++)
		if (read(res[0], &v[i], sizeof v[i]) != sizeof v[i])
			die("result pipe", NULL);
	waitpid(pid, NULL, 0);
	close(d[0]);
	close(d[1]);
	close(res[0]);
	close(res[1]);
}

/* ---- throughput ---- */

#define TP_N 2000000

static double tp_midi(size_t batch, uint64_t *lost)
{
	int res[2], ready[2];
	if (pipe(res) || pipe(ready))
		die("pipe", NULL);
	pid_t pid = fork();
	if (pid == 0) {
		midi_error e;
		midi_conn *c = midi_open("diag:loopback-b", 0, &e);
		if (!c)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		static midi_packet r[4096];
		uint64_t got = 0, t0 = 0;
		while (got + midi_conn_lost(c) < TP_N) {
			int k = midi_recv(c, r, 4096, 5000, &e);
			if (k <= 0)
				break;
			if (!t0)
				t0 = bench_now_ns();
			got += (uint64_t)k;
		}
		uint64_t out[2] = {bench_now_ns() - t0, midi_conn_lost(c)};
		(void)!write(res[1], out, sizeof out);
		_exit(0);
	}
	char ch;
	if (read(ready[0], &ch, 1) != 1)
		die("receiver", NULL);
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	if (!a)
		die("open", &e);
	static midi_packet b[64];
	for (size_t k = 0; k < 64; k++)
		b[k] = (midi_packet){0, midi_ump_make(0x40903c00, (uint32_t)k, 0, 0)};
	for (size_t i = 0; i < TP_N; i += batch)
		if (midi_send(a, b, batch, &e) < 0)
			die("send", &e);
	uint64_t out[2];
	if (read(res[0], out, sizeof out) != sizeof out)
		die("result", NULL);
	waitpid(pid, NULL, 0);
	midi_close(a);
	close(res[0]);
	close(res[1]);
	close(ready[0]);
	close(ready[1]);
	*lost = out[1];
	return (double)(TP_N - out[1]) * 1e9 / (double)(out[0] ? out[0] : 1);
}

/* Baseline: the simplest SPSC ring of 16-byte messages in shared memory,
 * busy-polling both sides, batches of 64. */
static double tp_spsc(void)
{
	enum { SLOTS = 131072 };
	struct spsc {
		volatile uint64_t head;
		char pad[56];
		volatile uint64_t tail;
		char pad2[56];
		uint32_t m[SLOTS][4];
	} *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		die("mmap", NULL);
	int res[2];
	if (pipe(res))
		die("pipe", NULL);
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t pos = 0, t0 = 0, sum = 0;
		while (pos < TP_N) {
			uint64_t h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
			if (h == pos)
				continue;
			if (!t0)
				t0 = bench_now_ns();
			for (; pos < h; pos++)
				sum += r->m[pos % SLOTS][1];
			__atomic_store_n(&r->tail, pos, __ATOMIC_RELEASE);
		}
		uint64_t d = bench_now_ns() - t0;
		bench_sink = sum;
		(void)!write(res[1], &d, sizeof d);
		_exit(0);
	}
	uint64_t pos = 0;
	while (pos < TP_N) {
		while (pos + 64 - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) > SLOTS)
			;
		for (int k = 0; k < 64; k++, pos++) {
			r->m[pos % SLOTS][0] = 0x40903c00;
			r->m[pos % SLOTS][1] = (uint32_t)pos;
		}
		__atomic_store_n(&r->head, pos, __ATOMIC_RELEASE);
	}
	uint64_t d;
	if (read(res[0], &d, sizeof d) != sizeof d)
		die("result", NULL);
	waitpid(pid, NULL, 0);
	munmap(r, sizeof *r);
	close(res[0]);
	close(res[1]);
	return (double)TP_N * 1e9 / (double)d;
}

static double tp_pipe(size_t batch)
{
	int d[2];
	if (pipe(d))
		die("pipe", NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(d[0]);
		static char buf[64 * 16];
		for (size_t i = 0; i < TP_N / 4; i += batch)
			if (write(d[1], buf, batch * 16) < 0)
				_exit(1);
		_exit(0);
	}
	close(d[1]);
	static char buf[65536];
	uint64_t got = 0, t0 = 0;
	ssize_t k;
	while ((k = read(d[0], buf, sizeof buf)) > 0) {
		if (!t0)
			t0 = bench_now_ns();
		got += (uint64_t)k;
	}
	uint64_t dt = bench_now_ns() - t0;
	waitpid(pid, NULL, 0);
	close(d[0]);
	return (double)(got / 16) * 1e9 / (double)dt;
}

/* ---- open, memory ---- */

static void open_times(uint64_t *v, size_t n)
{
	midi_error e;
	for (size_t i = 0; i < n + 100; i++) {
		uint64_t t0 = bench_now_ns();
		midi_conn *c = midi_open("diag:loopback-b", 0, &e);
		uint64_t t = bench_now_ns() - t0;
		if (!c)
			die("open", &e);
		midi_close(c);
		if (i >= 100)
			v[i - 100] = t;
	}
}

static void memory(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	unsigned long long seg_max = 0, seg_alloc = 0, reg = 0, reg_alloc = 0;
	int nseg = 0;
	while ((de = readdir(d))) {
		char path[600];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (strcmp(de->d_name, "registry") == 0) {
			reg = (unsigned long long)st.st_size;
			reg_alloc = (unsigned long long)st.st_blocks * 512;
		} else if (strncmp(de->d_name, "ep-", 3) == 0 && !strchr(de->d_name, '.')) {
			nseg++;
			if ((unsigned long long)st.st_size > seg_max)
				seg_max = (unsigned long long)st.st_size;
			seg_alloc += (unsigned long long)st.st_blocks * 512;
		}
	}
	closedir(d);
	printf("%s{\"name\":\"memory\",\"unit\":\"bytes\",\"registry_mapped\":%llu,"
	       "\"registry_allocated\":%llu,\"segment_mapped_max\":%llu,\"segments\":%d,"
	       "\"segments_allocated_total\":%llu}",
	       nres++ ? "," : "", reg, reg_alloc, seg_max, nseg, seg_alloc);
}

/* `bench_broker pipe-gap MS N`: only the pipe baseline of a sporadic
 * round trip (bench_ping.sh compares midi-loop ping with it); `fd-gap MS
 * N` only the round trip through midi_conn_fd; `both-gap MS N` the two
 * alternating; `all-gap MS N` those two, the floor (floor_ping) and the
 * app-to-app round trip through a loopback pair (loop_pp).
 * Prints "p50 p99" in microseconds for each, in that order. */
enum { GAP_FD = 1, GAP_PIPE = 2, GAP_FLOOR = 4, GAP_LOOP = 8 };

static int gap_only(int which, int ms, int n)
{
	static uint64_t v[NSAMPLES], b[NSAMPLES], fl[NSAMPLES], lp[NSAMPLES];
	if (n < 1 || n > NSAMPLES || ms < 0)
		return 2;
	gap_pair(which & GAP_FD ? v : NULL, which & GAP_PIPE ? b : NULL,
		 which & GAP_FLOOR ? fl : NULL, which & GAP_LOOP ? lp : NULL, (size_t)n, ms * 1000);
	uint64_t *arr[4] = {v, b, fl, lp};
	const char *sep = "";
	for (int k = 0; k < 4; k++) {
		if (!(which & (1 << k)))
			continue;
		qsort(arr[k], (size_t)n, sizeof *v, bench_cmp_u64);
		printf("%s%.2f %.2f", sep, arr[k][n / 2] / 1e3, arr[k][n * 99 / 100] / 1e3);
		sep = " ";
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "pipe-gap") == 0)
		return gap_only(GAP_PIPE, atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "fd-gap") == 0)
		return gap_only(GAP_FD, atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "both-gap") == 0)
		return gap_only(GAP_FD | GAP_PIPE, atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "all-gap") == 0)
		return gap_only(GAP_FD | GAP_PIPE | GAP_FLOOR | GAP_LOOP, atoi(argv[2]),
				atoi(argv[3]));
	char dir[256];
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof dir, "%s/midi-bench.XXXXXX", base);
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	setenv("MIDI_RUNTIME_DIR", dir, 1);
	char conf[300];
	snprintf(conf, sizeof conf, "%s/none.conf", dir);
	setenv("MIDI_CONFIG", conf, 1);
	signal(SIGPIPE, SIG_IGN);

	static uint64_t v[NSAMPLES], b[NSAMPLES], fl[NSAMPLES], lp[NSAMPLES];
	printf("{\"bench\":\"broker\",\"results\":[");
	fflush(stdout);
	size_t n = ping_rtt(v);
	size_t bn = pipe_rtt(b);
	emit_lat("ping_rtt", v, n, "pipe_pingpong", b, bn);
	/* Sporadic: interleaved runs so both see the same machine state. */
	enum { GAP1_N = 2000, GAP10_N = 400 };
	/* With each, the floor of a shared-memory broker (floor_ping) against
	 * the same pipe, and the round trip against that floor. */
	gap_pair(v, b, fl, lp, GAP1_N, 1000);
	emit_lat("ping_rtt_fd_1ms_gap", v, GAP1_N, "pipe_pingpong_poll_1ms_gap", b, GAP1_N);
	emit_lat("shm_ring_bell_floor_1ms_gap", fl, GAP1_N, "pipe_pingpong_poll_1ms_gap", b,
		 GAP1_N);
	emit_lat("ping_rtt_fd_1ms_gap_over_floor", v, GAP1_N, "shm_ring_bell_floor_1ms_gap", fl,
		 GAP1_N);
	emit_lat("loop_pair_rtt_fd_1ms_gap", lp, GAP1_N, "pipe_pingpong_poll_1ms_gap", b, GAP1_N);
	gap_pair(v, b, fl, lp, GAP10_N, 10000);
	emit_lat("ping_rtt_fd_10ms_gap", v, GAP10_N, "pipe_pingpong_poll_10ms_gap", b, GAP10_N);
	emit_lat("shm_ring_bell_floor_10ms_gap", fl, GAP10_N, "pipe_pingpong_poll_10ms_gap", b,
		 GAP10_N);
	emit_lat("ping_rtt_fd_10ms_gap_over_floor", v, GAP10_N, "shm_ring_bell_floor_10ms_gap", fl,
		 GAP10_N);
	emit_lat("loop_pair_rtt_fd_10ms_gap", lp, GAP10_N, "pipe_pingpong_poll_10ms_gap", b,
		 GAP10_N);

	oneway_midi(ONEWAY_N, 1000, 0, v);
	oneway_pipe(ONEWAY_N, 1000, 0, b);
	emit_lat("oneway_sporadic_1ms", v, ONEWAY_N, "pipe", b, ONEWAY_N);
	oneway_midi(BURSTS * BURST_LEN, 2000, 1, v);
	oneway_pipe(BURSTS * BURST_LEN, 2000, 1, b);
	emit_lat("oneway_burst_100", v, BURSTS * BURST_LEN, "pipe", b, BURSTS * BURST_LEN);

	uint64_t lost1, lost64;
	double s1 = tp_midi(1, &lost1);
	double p1 = tp_pipe(1);
	emit_rate("throughput_single", s1, lost1, "pipe_16B_writes", p1);
	double s64 = tp_midi(64, &lost64);
	double spsc = tp_spsc();
	emit_rate("throughput_batch64", s64, lost64, "spsc_ring_batch64", spsc);

	sched_lateness(v);
	nanosleep_lateness(b);
	emit_lat("sched_lateness_1ms", v, SCHED_N, "clock_nanosleep", b, SCHED_N);

	open_times(v, 2000);
	emit_lat("open", v, 2000, NULL, NULL, 0);
	memory(dir);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	printf("],\"cpus\":%ld,\"runtime_dir\":\"%s\"}\n", cpus, base);
	return 0;
}
