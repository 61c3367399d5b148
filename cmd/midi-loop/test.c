/* test.c: `midi-loop test OUT IN`: options, the send/receive loop and the
 * exit status. Numbered messages go out through OUT, paced by an interval
 * or a window of messages in flight, and are matched as they come back on
 * IN; the encoding, matching, accounting, statistics and report are the
 * library's (midi/looptest.h). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "../cli.h"
#include "midi/endpoint.h"
#include "midi/looptest.h"
#include "test.h"

#define DEFAULT_WINDOW 8 /* in flight with -i 0 */
#define RECV_BATCH 256
#define LINGER_MIN_NS 10000000ull /* listening for duplicates once all came back */

struct test_opts {
	const char *out_spec, *in_spec;
	unsigned long count, interval_ms, window, settle_ms, max_loss, max_latency_us, warm_up;
	double timeout_s;
	enum midi_looptest_kind kind;
	unsigned group;
	int json, have_max_latency;
};

/* What the loop ended with. */
struct test_end {
	int nothing_back; /* no test message came back within the settle time */
	int in_warm_up;   /* ...and that was during the warm-up */
	int timed_out;    /* -t reached before all were sent */
	uint64_t reader_lost;
	double seconds;
};

enum { OPT_SETTLE = 256, OPT_KIND, OPT_JSON, OPT_MAX_LOSS, OPT_MAX_LATENCY, OPT_WARM_UP };

/* 0, a usage status, or -1 after --help. */
static int test_options(int argc, char **argv, struct test_opts *o, void (*usage)(FILE *))
{
	static const struct option opts[] = {
		{"count", required_argument, 0, 'c'},
		{"interval", required_argument, 0, 'i'},
		{"window", required_argument, 0, 'w'},
		{"timeout", required_argument, 0, 't'},
		{"settle", required_argument, 0, OPT_SETTLE},
		{"kind", required_argument, 0, OPT_KIND},
		{"group", required_argument, 0, 'g'},
		{"json", no_argument, 0, OPT_JSON},
		{"max-loss", required_argument, 0, OPT_MAX_LOSS},
		{"max-latency-us", required_argument, 0, OPT_MAX_LATENCY},
		{"warm-up", required_argument, 0, OPT_WARM_UP},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	unsigned long group = 1;
	int c;

	o->count = 1000;
	o->interval_ms = 1;
	o->settle_ms = 1000;
	o->kind = MIDI_LOOPTEST_SYSEX;
	optind = 0; /* full reinitialisation: options may follow OUT and IN */
	while ((c = getopt_long(argc, argv, "c:i:w:t:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (cli_uint(optarg, 1, MIDI_LOOPTEST_MAX_COUNT, "count", &o->count) < 0)
				return EXIT_USAGE;
			break;
		case 'i':
			if (cli_uint(optarg, 0, 60000, "interval", &o->interval_ms) < 0)
				return EXIT_USAGE;
			break;
		case 'w':
			if (cli_uint(optarg, 1, 1000000, "window", &o->window) < 0)
				return EXIT_USAGE;
			break;
		case 't':
			if (cli_seconds(optarg, "timeout", &o->timeout_s) < 0)
				return EXIT_USAGE;
			if (o->timeout_s <= 0)
				return cli_usage_error("invalid timeout '%s' (must be more than 0 seconds)", optarg);
			break;
		case OPT_SETTLE:
			if (cli_uint(optarg, 1, 3600000, "settle time", &o->settle_ms) < 0)
				return EXIT_USAGE;
			break;
		case OPT_KIND: {
			midi_error e = {0};
			if (midi_looptest_kind_parse(optarg, &o->kind, &e) < 0)
				return cli_usage_error("%s", e.msg);
			break;
		}
		case 'g':
			if (cli_uint(optarg, 1, 16, "group", &group) < 0)
				return EXIT_USAGE;
			break;
		case OPT_JSON: o->json = 1; break;
		case OPT_MAX_LOSS:
			if (cli_uint(optarg, 0, MIDI_LOOPTEST_MAX_COUNT, "maximum loss", &o->max_loss) < 0)
				return EXIT_USAGE;
			break;
		case OPT_MAX_LATENCY:
			if (cli_uint(optarg, 1, 3600000000ul, "maximum latency", &o->max_latency_us) < 0)
				return EXIT_USAGE;
			o->have_max_latency = 1;
			break;
		case OPT_WARM_UP:
			if (cli_uint(optarg, 0, 10000, "warm-up", &o->warm_up) < 0)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return -1;
		default: return cli_bad_option(argv, "c:i:w:t:g:h", "test");
		}
	}
	if (argc - optind != 2)
		return argc - optind < 2 ? cli_usage_error("test takes OUT and IN endpoints")
					 : cli_usage_error("unexpected argument '%s' for test", argv[optind + 2]);
	o->out_spec = argv[optind];
	o->in_spec = argv[optind + 1];
	o->group = (unsigned)group - 1;
	if (!o->window && o->interval_ms == 0)
		o->window = DEFAULT_WINDOW;
	return 0;
}

/* Wait until deadline (CLOCK_MONOTONIC ns) or until fd is readable. */
static int wait_readable(int fd, uint64_t deadline, midi_error *e)
{
	uint64_t now = cli_now_ns();
	uint64_t d = deadline > now ? deadline - now : 0;
	struct timespec ts = {.tv_sec = (time_t)(d / 1000000000u), .tv_nsec = (long)(d % 1000000000u)};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
		return midi_error_sys(e, errno, "waiting for messages");
	return 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Send (until all are sent or the timeout) and match until every message
 * sent came back (and a linger of twice the largest latency, at least
 * 10 ms, at most the settle time, passed without more), or the settle time
 * after the last send passed, or nothing came back within the settle time
 * of the first. 0 or a negative status (e filled). */
static int run(const struct test_opts *o, midi_conn *out, midi_conn *in, midi_looptest *t,
	       struct test_end *end, midi_error *e)
{
	const uint64_t settle = o->settle_ms * 1000000ull, interval = o->interval_ms * 1000000ull;
	const uint64_t start = cli_now_ns();
	const uint64_t deadline = o->timeout_s > 0 ? start + (uint64_t)(o->timeout_s * 1e9) : UINT64_MAX;
	uint64_t next_send = start, last_send = start, all_back = 0, linger = 0;
	midi_packet buf[RECV_BATCH];
	midi_looptest_counts c;
	int fd = midi_conn_fd(in, e);
	if (fd < 0)
		return -MIDI_ERR_RUNTIME;
	for (;;) {
		int n;
		while ((n = midi_recv(in, buf, RECV_BATCH, 0, e)) > 0) {
			uint64_t now = cli_now_ns();
			for (int i = 0; i < n; i++) {
				if (!buf[i].time_ns)
					buf[i].time_ns = now;
				midi_looptest_receive(t, &buf[i]);
			}
		}
		if (n < 0)
			return n;
		uint64_t now = cli_now_ns();
		midi_looptest_get_counts(t, &c);
		if (now >= deadline && c.sent < c.count)
			end->timed_out = 1; /* stop sending; what is in flight may still come */
		int done_sending = c.sent == c.count || end->timed_out;
		if (done_sending && c.received == c.sent && !all_back) {
			/* Listen a little longer for duplicates of the last ones. */
			midi_latency_stats l;
			if (midi_looptest_latency(t, &l, e) < 0)
				return -MIDI_ERR_RUNTIME;
			linger = min_u64(settle, l.max * 2 > LINGER_MIN_NS ? l.max * 2 : LINGER_MIN_NS);
			all_back = now;
		}
		if (all_back && now - all_back >= linger)
			break;
		if (c.received == 0 && c.sent > 0 && now - start >= settle) {
			end->nothing_back = 1;
			break;
		}
		if (done_sending && now - last_send >= settle)
			break;

		uint64_t wake = UINT64_MAX;
		if (all_back)
			wake = all_back + linger;
		else if (c.received == 0)
			wake = start + settle;
		if (done_sending) {
			wake = min_u64(wake, last_send + settle);
		} else if (o->window && midi_looptest_in_flight(t, now, settle) >= o->window) {
			uint64_t oldest;
			if (midi_looptest_oldest(t, &oldest)) /* its slot frees when it expires */
				wake = min_u64(wake, oldest + settle + 1);
			wake = min_u64(wake, deadline);
		} else if (now >= next_send) {
			midi_ump u;
			midi_looptest_next(t, now, &u);
			if (midi_send_ump(out, &u, e) < 0)
				return -e->code;
			last_send = now;
			/* Fixed pace; when late, go on from now rather than burst. */
			next_send += interval;
			if (next_send < now)
				next_send = now;
			continue;
		} else {
			wake = min_u64(wake, min_u64(next_send, deadline));
		}
		if (wait_readable(fd, wake, e) < 0)
			return -MIDI_ERR_RUNTIME;
	}
	end->reader_lost = midi_conn_lost(in);
	end->seconds = (double)(cli_now_ns() - start) / 1e9;
	return 0;
}

/* --warm-up: that many messages first, paced as the run is, under a tag of
 * their own, and awaited as the run awaits its own (no -t), so that what
 * the first messages of a path pay once (a host started, a device woken)
 * is not in the figures. They are not counted; if none came back, the run
 * does not start (end->nothing_back). 0 or a negative status. */
static int warm_up(const struct test_opts *o, midi_conn *out, midi_conn *in, unsigned tag,
		   struct test_end *end, midi_error *e)
{
	if (!o->warm_up)
		return 0;
	struct test_opts w = *o;
	w.timeout_s = 0;
	midi_looptest *t = midi_looptest_new(o->kind, o->group, tag % 127 + 1, o->warm_up, e);
	if (!t)
		return -MIDI_ERR_RUNTIME;
	struct test_end we = {0};
	int st = run(&w, out, in, t, &we, e);
	midi_looptest_free(t);
	end->nothing_back = end->in_warm_up = we.nothing_back;
	if (we.nothing_back)
		end->seconds = we.seconds;
	return st;
}

/* The exit status of a finished run, its one-word result, and why (into
 * why, for standard error; empty when it passed). */
static int verdict(const struct test_opts *o, const struct test_end *end, const midi_looptest_counts *c,
		   const midi_latency_stats *l, const char **result, char *why, size_t cap)
{
	why[0] = 0;
	if (end->nothing_back) {
		*result = "no-return";
		snprintf(why, cap, "nothing came back on %s within %lu ms of the first %smessage sent to %s "
			 "(is %s connected to %s?)",
			 o->in_spec, o->settle_ms, end->in_warm_up ? "warm-up " : "", o->out_spec,
			 o->out_spec, o->in_spec);
		return EXIT_TIMEOUT;
	}
	if (c->lost > o->max_loss) {
		*result = "lost";
		snprintf(why, cap, "%llu of %llu messages were lost (at most %lu allowed)", (unsigned long long)c->lost,
			 (unsigned long long)c->sent, o->max_loss);
		return EXIT_LOST;
	}
	if (end->timed_out && c->sent < c->count) {
		*result = "timeout";
		snprintf(why, cap, "timed out after %.3g s with %llu of %llu messages sent", o->timeout_s,
			 (unsigned long long)c->sent, (unsigned long long)c->count);
		return EXIT_TIMEOUT;
	}
	if (o->have_max_latency && l->max > o->max_latency_us * 1000ull) {
		*result = "slow";
		snprintf(why, cap, "latency up to %.1f us, more than the %lu us allowed", l->max / 1e3, o->max_latency_us);
		return EXIT_RUNTIME;
	}
	if (c->duplicates || c->reordered) {
		*result = "disorder";
		snprintf(why, cap, "the path duplicated %llu and reordered %llu messages", (unsigned long long)c->duplicates,
			 (unsigned long long)c->reordered);
		return EXIT_RUNTIME;
	}
	*result = "pass";
	return 0;
}

int cmd_test(int argc, char **argv, void (*usage)(FILE *))
{
	struct test_opts o = {0};
	int st = test_options(argc, argv, &o, usage);
	if (st)
		return st < 0 ? 0 : st;

	midi_error e = {0};
	/* IN first, so nothing sent can come back before it listens. */
	midi_conn *in = midi_open(o.in_spec, 0, &e);
	if (!in)
		return cli_report(&e);
	midi_conn *out = midi_open(o.out_spec, MIDI_OPEN_SEND_ONLY, &e);
	if (!out) {
		midi_close(in);
		return cli_report(&e);
	}
	/* A tag 1-127 for this run's SysEx, so stragglers of another run
	 * (or midi-loop ping, tag 0) are told apart. */
	unsigned tag = (unsigned)((getpid() ^ (cli_now_ns() >> 10)) % 127 + 1);
	midi_looptest *t = midi_looptest_new(o.kind, o.group, tag, o.count, &e);
	if (!t) {
		midi_close(out);
		midi_close(in);
		return cli_report(&e);
	}
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* pace sends to the microsecond */

	struct test_end end = {0};
	midi_looptest_report r = {0};
	st = warm_up(&o, out, in, tag, &end, &e);
	if (st == 0 && !end.nothing_back)
		st = run(&o, out, in, t, &end, &e);
	if (st == 0)
		st = midi_looptest_latency(t, &r.latency, &e);
	if (st < 0) {
		st = cli_report(&e);
	} else {
		r.out_id = midi_conn_info(out)->id;
		r.in_id = midi_conn_info(in)->id;
		r.kind = o.kind;
		midi_looptest_get_counts(t, &r.counts);
		r.reader_lost = end.reader_lost;
		r.seconds = end.seconds;
		char why[512];
		r.status = verdict(&o, &end, &r.counts, &r.latency, &r.result, why, sizeof why);
		st = r.status;
		int w = o.json ? midi_looptest_write_json(stdout, &r) : midi_looptest_write_text(stdout, &r);
		if (w < 0 || fflush(stdout) != 0) {
			midi_error_sys(&e, errno, "writing standard output");
			st = cli_report(&e);
		}
		if (end.reader_lost)
			cli_warn("this program fell behind and lost %llu messages received on %s (counted as lost)",
				 (unsigned long long)end.reader_lost, r.in_id);
		if (why[0])
			cli_warn("%s", why);
	}
	midi_looptest_free(t);
	midi_close(out);
	midi_close(in);
	return st;
}
