/* clock.c: midi-send --clock BPM. MIDI clock at a tempo, driven by the
 * broker's scheduler: the ticks (midi_clock, libmidi) are handed over
 * CHUNK_NS ahead with their due times and refilled when less than
 * REFILL_NS is left, so their timing is the scheduler's and this process
 * only wakes twice a second. Start (or Song Position and Continue) goes
 * first, Stop last, at the end of --duration. A new tempo read from
 * standard input (one BPM a line) takes back what is scheduled
 * (midi_cancel), changes the tempo from now with the position kept, and
 * hands the ticks over again. Stop means stop: SIGINT or SIGTERM takes
 * back what is scheduled, sends Stop at once, and the process dies of the
 * signal. Before the first tick, the first handover waits for the
 * scheduler to take it (it may have to be started); if that made the
 * start late, the start moves. The dry run prints the whole duration. */
#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli.h"
#include "midi/clock.h"
#include "midi/msg.h"

#define CHUNK_NS 1000000000ull  /* handed over this far ahead */
#define REFILL_NS 500000000ull  /* refilled when less than this is left */
#define LEAD_NS 20000000ull     /* from the first handover to the first tick */
#define MARGIN_NS 2000000ull    /* the scheduler must have taken it by then */
#define BATCH 512
#define LINE_MAX_LEN 256

struct run {
	const struct clock_opts *o;
	midi_conn *conn;
	midi_clock clk;
	uint64_t t0;       /* the first tick's time (and Start's) */
	uint64_t end;      /* Stop's time with --duration, else 0 */
	uint64_t horizon;  /* ticks due before this are handed over */
	int begin_sent;    /* Start/Continue handed over (cancelled: 0 again) */
	int stop_sent;     /* Stop at end handed over */
	int bad_input;     /* a line of standard input was no tempo */
	midi_error e;
	/* standard input: tempo lines */
	int in_open;
	char line[LINE_MAX_LEN];
	size_t nline;
	int lineno;
	int too_long;
};

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static midi_ump sys_msg(const struct run *r, unsigned status)
{
	return midi_ump_system(r->o->group, status, 0, 0);
}

/* Hand packets over; a due time already passed means now (the broker
 * refuses times in the past). */
static int send_pkts(struct run *r, midi_packet *p, size_t n)
{
	if (!n)
		return 0;
	uint64_t now = cli_now_ns();
	for (size_t k = 0; k < n; k++)
		if (p[k].time_ns <= now)
			p[k].time_ns = 0;
	return midi_send(r->conn, p, n, &r->e);
}

/* Start or Continue at t0 (a Song Position before it was sent at once). */
static int send_begin(struct run *r)
{
	if (r->begin_sent || r->o->begin == CLOCK_BEGIN_NONE)
		return 0;
	midi_packet p = {.time_ns = r->t0,
			 .ump = sys_msg(r, r->o->begin == CLOCK_BEGIN_START ? 0xFA : 0xFB)};
	int rc = send_pkts(r, &p, 1);
	if (rc == 0)
		r->begin_sent = 1;
	return rc;
}

/* Hand over the ticks due within CHUNK_NS from now (up to the end), and
 * Stop at the end once it is within reach. */
static int refill(struct run *r)
{
	static midi_packet p[BATCH];
	uint64_t until = cli_now_ns() + CHUNK_NS;
	if (r->end && until >= r->end)
		until = r->end;
	size_t n;
	while ((n = midi_clock_fill(&r->clk, until, p, BATCH)) > 0) {
		int rc = send_pkts(r, p, n);
		if (rc < 0) {
			midi_clock_cancelled(&r->clk, n, 0); /* not handed over */
			return rc;
		}
	}
	r->horizon = until;
	if (r->end && until == r->end && !r->stop_sent && r->o->begin != CLOCK_BEGIN_NONE) {
		p[0].time_ns = r->end;
		p[0].ump = sys_msg(r, 0xFC);
		int rc = send_pkts(r, p, 1);
		if (rc < 0)
			return rc;
		r->stop_sent = 1;
	}
	return 0;
}

/* Take back what the scheduler holds of ours and account for it: in
 * order of due time Start/Continue, the ticks, Stop; the last `count` of
 * them were taken back. */
static int take_back(struct run *r)
{
	uint64_t count;
	int rc = midi_cancel(r->conn, &count, &r->e);
	if (rc < 0)
		return rc;
	uint64_t now = cli_now_ns();
	if (count == UINT64_MAX) { /* unknown: by time */
		if (r->stop_sent && r->end > now)
			r->stop_sent = 0;
		midi_clock_cancelled(&r->clk, UINT64_MAX, now);
		if (r->begin_sent && r->t0 > now)
			r->begin_sent = 0;
		return 0;
	}
	if (r->stop_sent && count) {
		r->stop_sent = 0;
		count--;
	}
	uint64_t given = r->clk.next - r->clk.first;
	uint64_t ticks = count < given ? count : given;
	midi_clock_cancelled(&r->clk, ticks, now);
	count -= ticks;
	if (count && r->begin_sent)
		r->begin_sent = 0;
	return 0;
}

/* The first handover: Start and the first tick only. The scheduler may
 * have to be started first: if it took them too late for the first tick,
 * take back what it still has and move the whole schedule (and the end)
 * later by as much (it runs now). Then the first chunk. */
static int start(struct run *r)
{
	const struct clock_opts *o = r->o;
	uint64_t now = cli_now_ns();
	r->t0 = now + LEAD_NS;
	int rc = midi_clock_init(&r->clk, o->bpm, r->t0, o->spp > 0 ? (unsigned)o->spp : 0,
				 o->group, &r->e);
	if (rc < 0)
		return rc;
	if (o->duration > 0)
		r->end = r->t0 + (uint64_t)(o->duration * 1e9 + 0.5);
	if (o->spp >= 0) { /* at once: the receiver finds its place before Continue */
		midi_packet p = {.time_ns = 0, .ump = midi_ump_song_position(o->group, (unsigned)o->spp)};
		rc = send_pkts(r, &p, 1);
		if (rc < 0)
			return rc;
	}
	for (int attempt = 0;; attempt++) {
		midi_packet p[1];
		rc = send_begin(r);
		if (rc == 0 && midi_clock_fill(&r->clk, r->t0 + 1, p, 1) == 1) {
			rc = send_pkts(r, p, 1);
			if (rc < 0)
				midi_clock_cancelled(&r->clk, 1, 0);
		}
		if (rc == 0)
			rc = midi_flush(r->conn, 10000, &r->e);
		if (rc < 0)
			return rc;
		if (cli_now_ns() + MARGIN_NS <= r->t0 || attempt == 3)
			break;
		rc = take_back(r);
		if (rc < 0)
			return rc;
		/* The same grid, later: ticks exactly as many before the end. */
		uint64_t t0 = cli_now_ns() + LEAD_NS;
		uint64_t late = t0 - midi_clock_due(&r->clk, r->clk.next);
		midi_clock_shift(&r->clk, r->clk.origin_tick, (uint64_t)r->clk.origin_ns + late);
		r->t0 = t0;
		if (r->end)
			r->end += late;
	}
	return refill(r);
}

/* A new tempo from now: what is scheduled is taken back and handed over
 * again at the new tempo, the position kept. */
static int retempo(struct run *r, double bpm)
{
	int rc = take_back(r);
	if (rc < 0)
		return rc;
	rc = midi_clock_tempo(&r->clk, bpm, cli_now_ns(), &r->e);
	if (rc == 0)
		rc = send_begin(r);
	if (rc == 0)
		rc = refill(r);
	return rc;
}

/* One line of standard input: a tempo, blank, or a # comment. */
static int input_line(struct run *r, char *s)
{
	char *hash = strchr(s, '#');
	if (hash)
		*hash = 0;
	if (strspn(s, " \t\r") == strlen(s))
		return 0;
	double bpm;
	midi_error e = {0};
	if (midi_clock_parse_bpm(s, &bpm, &e) < 0) {
		cli_warn("standard input, line %d: %s", r->lineno, e.msg);
		r->bad_input = 1;
		return 0;
	}
	return retempo(r, bpm);
}

/* Read what standard input has; act on each whole line. */
static int read_input(struct run *r)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) { /* end (or a background job's terminal: EIO) */
		r->in_open = 0;
		if (n == 0 && r->nline) {
			r->line[r->nline] = 0;
			r->nline = 0;
			r->lineno++;
			return input_line(r, r->line);
		}
		return 0;
	}
	for (ssize_t k = 0; k < n; k++) {
		if (buf[k] != '\n') {
			if (r->nline + 1 < sizeof r->line)
				r->line[r->nline++] = buf[k];
			else
				r->too_long = 1;
			continue;
		}
		r->line[r->nline] = 0;
		r->nline = 0;
		r->lineno++;
		if (r->too_long) {
			cli_warn("standard input, line %d: line too long (a tempo expected)", r->lineno);
			r->bad_input = 1;
			r->too_long = 0;
			continue;
		}
		int rc = input_line(r, r->line);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Stopped by a signal: take back what is scheduled, Stop at once. */
static int stop_now(struct run *r)
{
	int rc = take_back(r);
	if (rc == 0 && r->o->begin != CLOCK_BEGIN_NONE) {
		midi_packet p = {.time_ns = 0, .ump = sys_msg(r, 0xFC)};
		rc = send_pkts(r, &p, 1);
	}
	if (rc == 0)
		rc = midi_flush(r->conn, 2000, &r->e);
	if (rc == 0 && isatty(STDERR_FILENO))
		cli_warn("stopped at song position %u", midi_clock_spp(&r->clk));
	return rc;
}

int clock_run(const struct clock_opts *o, midi_conn *conn)
{
	struct run r = {.o = o, .conn = conn, .in_open = 1};
	sigset_t waitmask;
	cli_stop_signals(on_stop, &waitmask);
	signal(SIGTTIN, SIG_IGN); /* in the background, reading the terminal fails (EIO) */
	int rc = start(&r);
	while (rc == 0 && !stop_sig) {
		uint64_t now = cli_now_ns();
		int all = r.end && r.horizon >= r.end;
		if (all && now >= r.end)
			break;
		uint64_t wake = all ? r.end : r.horizon - REFILL_NS;
		if (now >= wake) {
			rc = refill(&r);
			continue;
		}
		struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
		uint64_t left = wake - now;
		struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
		int n = ppoll(&pfd, r.in_open ? 1 : 0, &ts, &waitmask);
		if (n < 0 && errno != EINTR) {
			midi_error_sys(&r.e, errno, "waiting");
			rc = -1;
		} else if (n > 0 && !stop_sig) {
			if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
				rc = read_input(&r);
			if (pfd.revents & POLLNVAL)
				r.in_open = 0;
		}
	}
	if (stop_sig) {
		int st = 0;
		if (stop_now(&r) < 0)
			st = cli_report(&r.e);
		if (st)
			return st;
		signal(stop_sig, SIG_DFL);
		sigset_t unblock;
		sigemptyset(&unblock);
		sigaddset(&unblock, stop_sig);
		sigprocmask(SIG_UNBLOCK, &unblock, NULL);
		raise(stop_sig);
		return 128 + stop_sig;
	}
	if (rc < 0)
		return cli_report(&r.e);
	if (midi_flush(conn, 2000, &r.e) < 0)
		return cli_report(&r.e);
	return r.bad_input ? EXIT_USAGE : 0;
}

int clock_dry(const struct clock_opts *o, midi_printer *pr, FILE *out, midi_error *e)
{
	static midi_packet p[BATCH];
	midi_clock c;
	uint64_t end = (uint64_t)(o->duration * 1e9 + 0.5);
	if (midi_clock_init(&c, o->bpm, 0, o->spp > 0 ? (unsigned)o->spp : 0, o->group, e) < 0)
		return -1;
	size_t n = 0;
	int stopped = o->begin == CLOCK_BEGIN_NONE; /* no Stop to print */
	if (o->spp >= 0)
		p[n++] = (midi_packet){0, midi_ump_song_position(o->group, (unsigned)o->spp)};
	if (o->begin != CLOCK_BEGIN_NONE)
		p[n++] = (midi_packet){0, midi_ump_system(o->group, o->begin == CLOCK_BEGIN_START ? 0xFA : 0xFB, 0, 0)};
	for (;;) {
		n += midi_clock_fill(&c, end, p + n, BATCH - n);
		int done = midi_clock_due(&c, c.next) >= end;
		if (done && !stopped && n < BATCH) {
			p[n++] = (midi_packet){end, midi_ump_system(o->group, 0xFC, 0, 0)};
			stopped = 1;
		}
		errno = 0;
		if (n && midi_printer_put_many(pr, p, n, out) < 0)
			goto fail;
		n = 0;
		if (done && stopped)
			return 0;
	}
fail:
	midi_error_sys(e, errno ? errno : EIO, "writing standard output");
	return -1;
}
