/* bench_clock.c: MIDI clock period and jitter. `midi-send --clock 120`
 * (bin/midi-send, or argv[1]) on diag:loopback-a, received on
 * diag:loopback-b with the arrival stamps the broker gives, against the
 * scheduler's own figures in the same run: Timing Clocks at the same
 * 20.83 ms, scheduled by this process with midi_send and received the same
 * way. Rounds alternate (scheduler, clock, scheduler, clock) so both see
 * the same machine. Per case: the mean period and its error in ppm, p50
 * and p99 of the tick interval error |interval - 20.833 ms|, and p50/p99
 * of each tick's lateness against the grid fitted through the least late
 * tick (for the scheduler case also against the due times it was given).
 * BENCH_CLOCK_SECONDS (default 5) per round. Prints one JSON object. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "midi/clock.h"
#include "midi/endpoint.h"
#include "midi/msg.h"

extern char **environ;

#define BPM 120
#define MAXT 100000

struct stats {
	uint64_t n;
	double period_sum_ns; /* sum of (last - first) / (n - 1) over rounds */
	int rounds;
	double *ierr;  /* |interval - nominal|, us */
	size_t ni;
	double *late;  /* against the fitted grid, us */
	size_t nl;
	double *due;   /* against the due time given (scheduler case), us */
	size_t nd;
};

static void die(const char *what, const midi_error *e)
{
	fprintf(stderr, "bench_clock: %s: %s\n", what, e ? e->msg : strerror(errno));
	printf("{\"bench\":\"clock\",\"error\":\"%s\"}\n", what);
	exit(1);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_d);
	size_t k = (size_t)(p * (double)(n - 1) + 0.5);
	return v[k];
}

/* Receive n Timing Clocks (or until a quiet second); their stamps. */
static size_t receive(midi_conn *in, uint64_t *t, size_t n)
{
	midi_packet p[256];
	midi_error e;
	size_t got = 0;
	while (got < n) {
		int r = midi_recv(in, p, 256, 3000, &e);
		if (r < 0)
			die("receiving", &e);
		if (r == 0)
			break;
		for (int k = 0; k < r && got < n; k++)
			if (midi_ump_mt(&p[k].ump) == MIDI_MT_SYSTEM && midi_ump_status(&p[k].ump) == 0xF8)
				t[got++] = p[k].time_ns;
	}
	return got;
}

/* The figures of one round's stamps t[0..n) (due[] may be NULL). */
static void account(struct stats *s, const uint64_t *t, size_t n, const uint64_t *due,
		    const midi_clock *grid)
{
	if (n < 2)
		return;
	double nominal = 2.5e15 / ((double)BPM * 1e6);
	s->n += n;
	s->rounds++;
	s->period_sum_ns += (double)(t[n - 1] - t[0]) / (double)(n - 1);
	for (size_t i = 1; i < n; i++)
		s->ierr[s->ni++] = fabs((double)(t[i] - t[i - 1]) - nominal) / 1e3;
	/* The grid through the least late tick: t0 = min(t[i] - i * P). */
	double t0 = 1e300;
	for (size_t i = 0; i < n; i++) {
		double g = (double)t[i] - (double)(midi_clock_due(grid, i) - midi_clock_due(grid, 0));
		if (g < t0)
			t0 = g;
	}
	for (size_t i = 0; i < n; i++)
		s->late[s->nl++] = ((double)t[i] - (double)(midi_clock_due(grid, i) - midi_clock_due(grid, 0)) - t0) / 1e3;
	if (due)
		for (size_t i = 0; i < n; i++)
			s->due[s->nd++] = ((double)t[i] - (double)due[i]) / 1e3;
}

/* The scheduler alone: n ticks at BPM handed over by this process. */
static void round_sched(midi_conn *out, midi_conn *in, size_t n, struct stats *s)
{
	midi_error e;
	midi_clock c;
	midi_packet *p = calloc(n, sizeof *p);
	uint64_t *t = calloc(n, sizeof *t), *due = calloc(n, sizeof *due);
	if (!p || !t || !due)
		die("out of memory", NULL);
	if (midi_clock_init(&c, BPM, bench_now_ns() + 50000000, 0, 0, &e) < 0)
		die("clock", &e);
	size_t k = midi_clock_fill(&c, UINT64_MAX, p, n);
	for (size_t i = 0; i < k; i++)
		due[i] = p[i].time_ns;
	if (midi_send(out, p, k, &e) < 0)
		die("sending", &e);
	size_t got = receive(in, t, n);
	if (got != n)
		fprintf(stderr, "bench_clock: scheduler: %zu of %zu ticks\n", got, n);
	account(s, t, got, due, &c);
	free(p);
	free(t);
	free(due);
}

/* midi-send --clock: the program, as a user runs it. */
static void round_clock(const char *prog, midi_conn *in, double seconds, size_t n, struct stats *s)
{
	char dur[32];
	snprintf(dur, sizeof dur, "%.3f", seconds);
	char *argv[] = {(char *)prog, "-e", "diag:loopback-a", "--clock", "120", "--clock-only",
			"--duration", dur, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	if ((errno = posix_spawn(&pid, prog, &fa, NULL, argv, environ)) != 0)
		die(prog, NULL);
	posix_spawn_file_actions_destroy(&fa);
	uint64_t *t = calloc(n, sizeof *t);
	if (!t)
		die("out of memory", NULL);
	size_t got = receive(in, t, n);
	int st;
	waitpid(pid, &st, 0);
	if (got != n || !WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "bench_clock: midi-send: %zu of %zu ticks, status %d\n", got, n, st);
	midi_clock c;
	midi_error e;
	if (midi_clock_init(&c, BPM, 0, 0, 0, &e) < 0)
		die("clock", &e);
	account(s, t, got, NULL, &c);
	free(t);
}

static void print_case(const char *name, struct stats *s, const struct stats *base, int first)
{
	double nominal = 2.5e15 / ((double)BPM * 1e6);
	double period = s->rounds ? s->period_sum_ns / s->rounds : 0;
	double i50 = pct(s->ierr, s->ni, 0.5), i99 = pct(s->ierr, s->ni, 0.99);
	double l50 = pct(s->late, s->nl, 0.5), l99 = pct(s->late, s->nl, 0.99);
	printf("%s{\"name\":\"%s\",\"unit\":\"ticks\",\"items\":%llu,\"bpm\":%d,"
	       "\"period_ns\":%.0f,\"period_err_ppm\":%.1f,"
	       "\"interval_err_p50_us\":%.1f,\"interval_err_p99_us\":%.1f,"
	       "\"late_p50_us\":%.1f,\"late_p99_us\":%.1f",
	       first ? "" : ",", name, (unsigned long long)s->n, BPM, period,
	       (period - nominal) / nominal * 1e6, i50, i99, l50, l99);
	if (s->nd)
		printf(",\"late_vs_due_p50_us\":%.1f,\"late_vs_due_p99_us\":%.1f",
		       pct(s->due, s->nd, 0.5), pct(s->due, s->nd, 0.99));
	if (base) {
		double b50 = pct(base->ierr, base->ni, 0.5), b99 = pct(base->ierr, base->ni, 0.99);
		printf(",\"interval_err_p50_ratio_to_scheduler\":%.2f,"
		       "\"interval_err_p99_ratio_to_scheduler\":%.2f",
		       b50 > 0 ? i50 / b50 : 0, b99 > 0 ? i99 / b99 : 0);
	}
	printf("}");
}

int main(int argc, char **argv)
{
	const char *prog = argc > 1 ? argv[1] : "bin/midi-send";
	double seconds = getenv("BENCH_CLOCK_SECONDS") ? atof(getenv("BENCH_CLOCK_SECONDS")) : 5;
	if (!(seconds >= 0.5 && seconds <= 600))
		seconds = 5;
	char dir[] = "/tmp/midi-bench-clock.XXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	setenv("MIDI_RUNTIME_DIR", dir, 1);
	midi_error e;
	midi_conn *in = midi_open("diag:loopback-b", 0, &e);
	if (!in)
		die("opening diag:loopback-b", &e);
	midi_conn *out = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	if (!out)
		die("opening diag:loopback-a", &e);
	/* Ticks due before the end: ceil(seconds * 48). */
	size_t n = (size_t)ceil(seconds * BPM * 24 / 60 - 1e-9);
	struct stats sched = {0}, clock = {0};
	size_t cap = 2 * n + 2;
	sched.ierr = calloc(cap, sizeof(double));
	sched.late = calloc(cap, sizeof(double));
	sched.due = calloc(cap, sizeof(double));
	clock.ierr = calloc(cap, sizeof(double));
	clock.late = calloc(cap, sizeof(double));
	if (!sched.ierr || !sched.late || !sched.due || !clock.ierr || !clock.late)
		die("out of memory", NULL);
	/* A first short round starts the scheduler; not counted. */
	struct stats warm = {0};
	double w[64], l[64], d[64];
	warm.ierr = w;
	warm.late = l;
	warm.due = d;
	round_sched(out, in, 10, &warm);
	for (int r = 0; r < 2; r++) {
		round_sched(out, in, n, &sched);
		round_clock(prog, in, seconds, n, &clock);
	}
	bench_begin("clock");
	print_case("scheduler: Timing Clock at 120 BPM scheduled by midi_send", &sched, NULL, 1);
	print_case("midi-send --clock 120", &clock, &sched, 0);
	bench_end("arrival stamps on diag:loopback-b; interval error = |interval - 20.833 ms|; "
		  "late = against the grid through the least late tick; two alternating rounds each");
	midi_close(out);
	midi_close(in);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	(void)!system(cmd);
	return 0;
}
