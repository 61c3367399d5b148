/* midi-mon: print what an endpoint receives, one message per line in a
 * chosen format, filtered by type, group and channel, until a count, a time
 * limit, a signal or the endpoint's end (or, with --reconnect, across the
 * endpoint going away and coming back, with a note on standard error each
 * time). Reports lost messages. With -f smf (or -o FILE.mid) it records to
 * a Standard MIDI File instead, written whole when it stops (a count, a
 * time limit, SIGINT or SIGTERM). Front end only: the broker, the filter
 * and the printers (the SMF writer too) are in libmidi. On a terminal with
 * no -f, the interactive ncurses monitor of cmd/midi-mon/ runs instead of
 * line mode. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "midi-mon/tui.h"
#include "midi/endpoint.h"
#include "midi/filter.h"
#include "midi/format.h"

/* Packets taken from the endpoint and printed at once. */
#define BATCH 4096

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS]\n"
		"Print the MIDI messages an endpoint receives, one per line, or on a\n"
		"terminal show them in an interactive monitor (keys: ? for help, q quits).\n\n"
		"  -e, --endpoint SPEC     endpoint id or name part (default $MIDI_ENDPOINT)\n"
		"  -f, --format FMT        text (default), ump, hex, bin, json (line mode)\n"
		"                          or smf (a Standard MIDI File, written at the end)\n"
		"  -o, --output FILE       write to FILE (a .mid name means -f smf)\n"
		"      --smf-format N      smf: file format 0 (one track) or 1 (default: a\n"
		"                          track per group and channel)\n"
		"      --division TICKS    smf: ticks per quarter note (default 960)\n"
		"      --tempo BPM         smf: the file's tempo (default 120)\n"
		"      --no-tui            line mode on a terminal too\n"
		"  -T, --timestamps        prefix seconds since the monitor started\n"
		"      --abs-time          prefix absolute CLOCK_MONOTONIC seconds instead\n"
		"      --from-first        prefix seconds since the first message shown\n"
		"      --type LIST         message types to show, e.g. note,cc or -pb,clock:\n"
		"                          note pressure cc pc pb rpn pernote sysex system clock\n"
		"                          sense utility stream flex other voice midi1 midi2 all\n"
		"  -g, --group LIST        groups to show, 1-16, e.g. 1,3-4 (default all)\n"
		"      --channel LIST      channels to show, 1-16, e.g. 10 or 1-8 (default all)\n"
		"      --clock             show timing clock (hidden by default)\n"
		"      --sense             show active sensing (hidden by default)\n"
		"  -c, --count N           stop after N messages\n"
		"  -t, --timeout SECONDS   stop after SECONDS (status 4 if -c N was not reached)\n"
		"      --reconnect         when the endpoint goes away, wait for it to come back\n"
		"      --jr-raw            show JR Clock/Timestamp messages, times uncorrected\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n\n"
		"Examples:\n"
		"  %s -e diag:loopback-b -T\n"
		"  %s -e keyboard --type note --channel 10\n"
		"  %s -e keyboard | midi-send -e synth      # forward\n"
		"  %s -e keyboard -o take.mid               # record until Ctrl-C\n"
		"See midi-mon(1) and midi-formats(7).\n",
		cli_prog, cli_prog, cli_prog, cli_prog, cli_prog);
}

struct monitor {
	midi_conn *conn;
	midi_printer *printer;
	midi_filter filter;
	unsigned long count;     /* stop after this many messages, 0 = no limit */
	unsigned long seen;      /* messages shown so far */
	uint64_t lost;           /* lost messages reported so far */
	int write_failed;        /* errno of a failed write, 0 if none */
	int reconnect;           /* --reconnect */
	int gone;                /* --reconnect: the endpoint is away now */
	uint64_t reconnects;     /* re-attachments noted so far */
	int smf;                 /* -f smf: the file is written at the end, whatever ended it */
};

/* --reconnect: note on standard error when the endpoint went away and when
 * it came back (both, if it did so within one receive call). why: the
 * reason the library gave, if any. */
static void note_reconnect(struct monitor *m, const midi_error *why)
{
	const char *id = midi_conn_info(m->conn)->id;
	uint64_t inc = midi_conn_incarnation(m->conn), rc = midi_conn_reconnects(m->conn);
	int away = inc == 0;
	if ((away || rc != m->reconnects) && !m->gone) {
		fflush(stdout);
		if (why->code == MIDI_ERR_CLOSED && why->msg[0])
			cli_warn("%s; waiting for it to come back", why->msg);
		else
			cli_warn("endpoint %s went away; waiting for it to come back", id);
		m->gone = 1;
	}
	if (!away && m->gone) {
		fflush(stdout);
		cli_warn("endpoint %s is back", id);
		m->gone = 0;
	}
	m->reconnects = rc;
}

/* Report newly lost messages; return 1 if there were any so far. */
static int check_lost(struct monitor *m)
{
	uint64_t lost = midi_conn_lost(m->conn);
	if (lost > m->lost) {
		fflush(stdout);
		cli_warn("lost %llu messages", (unsigned long long)(lost - m->lost));
		m->lost = lost;
	}
	return m->lost > 0;
}

/* Filter and print a batch (n <= BATCH, as midi_recv gave it). Returns 1
 * once the count is reached. */
static int show(struct monitor *m, const midi_packet *p, int n)
{
	static midi_packet sel[BATCH]; /* what passes, printed at once */
	int k = 0, done = 0;
	for (int i = 0; i < n && !done; i++) {
		if (!midi_filter_match(&m->filter, &p[i].ump))
			continue;
		sel[k++] = p[i];
		if (midi_ump_ends_message(&p[i].ump) && m->count && ++m->seen == m->count)
			done = 1;
	}
	if (k && midi_printer_put_many(m->printer, sel, (size_t)k, stdout) < 0) {
		m->write_failed = errno ? errno : EIO;
		return -1;
	}
	return done;
}

static int parse_format(const char *name, midi_format *fmt)
{
	midi_error e = {0};
	return midi_format_parse_name(name, fmt, &e) < 0 ? -1 : 0;
}

enum { OPT_ABS = 256, OPT_FIRST, OPT_TYPE, OPT_CHANNEL, OPT_CLOCK, OPT_SENSE, OPT_RECONNECT, OPT_NO_TUI,
       OPT_JR_RAW };

/* What the command line asks for. */
struct mon_opts {
	const char *spec;        /* endpoint */
	midi_format fmt;         /* 0 until -f */
	const char *output;      /* -o */
	struct out_smf smf;      /* --smf-format, --division, --tempo */
	unsigned pflags;         /* MIDI_PRINT_* */
	midi_filter filter;
	unsigned long count;     /* -c, 0 = no limit */
	double seconds;          /* -t, negative = none */
	int reconnect, tui, jr_raw;
};

/* Parse the command line into *o. Returns -1 to go on, else the status to
 * exit with at once (help, version, usage errors). */
static int parse_options(int argc, char **argv, struct mon_opts *o)
{
	static const struct option opts[] = {
		{"endpoint", required_argument, 0, 'e'}, {"format", required_argument, 0, 'f'},
		{"timestamps", no_argument, 0, 'T'},     {"abs-time", no_argument, 0, OPT_ABS},
		{"from-first", no_argument, 0, OPT_FIRST},
		{"type", required_argument, 0, OPT_TYPE}, {"group", required_argument, 0, 'g'},
		{"channel", required_argument, 0, OPT_CHANNEL}, {"clock", no_argument, 0, OPT_CLOCK},
		{"sense", no_argument, 0, OPT_SENSE},    {"count", required_argument, 0, 'c'},
		{"timeout", required_argument, 0, 't'},  {"reconnect", no_argument, 0, OPT_RECONNECT},
		{"jr-raw", no_argument, 0, OPT_JR_RAW},
		{"no-tui", no_argument, 0, OPT_NO_TUI},  {"output", required_argument, 0, 'o'},
		OUT_SMF_LONG_OPTIONS,
		{"help", no_argument, 0, 'h'},           {"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	const char *ep_opt = NULL, *types = NULL;
	int clock = 0, sense = 0, c;
	midi_error e = {0};

	*o = (struct mon_opts){.seconds = -1, .tui = 1, .smf = OUT_SMF_INIT};
	midi_filter_init(&o->filter);
	while ((c = getopt_long(argc, argv, "e:f:o:Tg:c:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': ep_opt = optarg; break;
		case 'f':
			if (parse_format(optarg, &o->fmt) < 0)
				return cli_usage_error("unknown output format '%s' (expected text, ump, hex, bin, json or smf)",
						       optarg);
			o->tui = 0;
			break;
		case 'o':
			o->output = optarg;
			o->tui = 0;
			break;
		case OUT_OPT_SMF_FORMAT:
		case OUT_OPT_DIVISION:
		case OUT_OPT_TEMPO:
			if (out_smf_option(&o->smf, c, optarg))
				return EXIT_USAGE;
			break;
		case 'T': o->pflags |= MIDI_PRINT_TIME; break;
		case OPT_ABS: o->pflags |= MIDI_PRINT_TIME | MIDI_PRINT_ABSTIME; break;
		case OPT_FIRST: o->pflags |= MIDI_PRINT_TIME | MIDI_PRINT_FROM_FIRST; break;
		case OPT_TYPE: types = optarg; break;
		case 'g':
			if (midi_filter_parse_set(optarg, "group", &o->filter.groups, &e) < 0)
				return cli_usage_error("%s", e.msg);
			break;
		case OPT_CHANNEL:
			if (midi_filter_parse_set(optarg, "channel", &o->filter.channels, &e) < 0)
				return cli_usage_error("%s", e.msg);
			break;
		case OPT_CLOCK: clock = 1; break;
		case OPT_SENSE: sense = 1; break;
		case 'c':
			if (cli_uint(optarg, 1, 0xFFFFFFFFul, "count", &o->count) < 0)
				return EXIT_USAGE;
			break;
		case 't':
			if (cli_seconds(optarg, "timeout", &o->seconds) < 0)
				return EXIT_USAGE;
			break;
		case OPT_RECONNECT: o->reconnect = 1; break;
		case OPT_JR_RAW: o->jr_raw = 1; break;
		case OPT_NO_TUI: o->tui = 0; break;
		case 'h': usage(stdout); return 0;
		case 'V': cli_version(); return 0;
		default: return cli_bad_option(argv, "e:f:o:Tg:c:t:h", NULL);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->fmt)
		o->fmt = out_name_is_smf(o->output) ? MIDI_FMT_SMF : MIDI_FMT_TEXT;
	if (o->fmt == MIDI_FMT_SMF && (o->pflags & MIDI_PRINT_ABSTIME))
		return cli_usage_error("--abs-time has no meaning in a MIDI file (-T counts from the start)");
	/* --type first, so that --clock and --sense add to whatever it chose. */
	if (types && midi_filter_set_types(&o->filter, types, &e) < 0)
		return cli_usage_error("%s", e.msg);
	if (clock)
		midi_filter_show_clock(&o->filter, 1);
	if (sense)
		midi_filter_show_sense(&o->filter, 1);
	o->spec = cli_endpoint(ep_opt);
	if (!o->spec)
		return cli_usage_error("no endpoint: use -e SPEC or set MIDI_ENDPOINT");
	return -1;
}

/* Line mode: receive, filter and print until the count, the deadline (then
 * *timed_out is set), a signal, an error or a failed write. Returns 0 or
 * the status of the error reported. */
static int run_lines(struct monitor *m, int fd, uint64_t deadline, const sigset_t *waitmask,
		     int *timed_out)
{
	midi_error e = {0};
	static midi_packet buf[BATCH];
	int status = 0, done = 0;
	while (!done && !stop_signal) {
		/* With --reconnect, the library waits for the endpoint to come
		 * back and re-attaches (returning 0 meanwhile). */
		e = (midi_error){0};
		int n = midi_recv(m->conn, buf, BATCH, 0, &e);
		if (n >= 0 && m->reconnect)
			note_reconnect(m, &e);
		if (n < 0) {
			fflush(stdout);
			status = cli_report(&e);
			break;
		}
		int r = show(m, buf, n);
		check_lost(m);
		if (r != 0) {
			done = 1;
			break;
		}
		if (n > 0)
			continue;
		/* Nothing waiting: pass on what was printed, then sleep. */
		if (fflush(stdout) != 0) {
			m->write_failed = errno;
			break;
		}
		int ms = cli_wait_ms(deadline);
		if (ms == 0) {
			*timed_out = 1;
			break;
		}
		/* While the endpoint is away, look again every 100 ms too. */
		if (m->gone && (ms < 0 || ms > 100))
			ms = 100;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		if (ppoll(&pfd, 1, ms < 0 ? NULL : &ts, waitmask) < 0 && errno != EINTR) {
			midi_error_sys(&e, errno, "waiting for messages");
			status = cli_report(&e);
			break;
		}
		if (cli_stop_pending())
			break;
	}
	/* a write error at the end (the final flush too) counts as well */
	errno = 0;
	if (!m->write_failed && (!status || m->smf) && midi_printer_end(m->printer, stdout) < 0)
		m->write_failed = errno ? errno : EIO;
	if (fflush(stdout) != 0 && !m->write_failed)
		m->write_failed = errno ? errno : EIO;
	return status;
}

/* The exit status of a line-mode run that ended with status. */
static int exit_status(const struct monitor *m, int status, int timed_out, double seconds)
{
	if (m->write_failed && m->write_failed != EPIPE) {
		midi_error e = {0};
		midi_error_sys(&e, m->write_failed, "writing standard output");
		return cli_report(&e);
	}
	if (status)
		return status;
	if (m->lost)
		return EXIT_LOST;
	if (timed_out && m->count && m->seen < m->count) {
		cli_warn("timed out after %g s with %lu of %lu messages", seconds, m->seen, m->count);
		return EXIT_TIMEOUT;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mon_opts o;
	struct monitor m = {0};
	midi_error e = {0};

	cli_init(argv[0]);
	int st = parse_options(argc, argv, &o);
	if (st >= 0)
		return st;
	m.filter = o.filter;
	m.smf = o.fmt == MIDI_FMT_SMF;
	m.count = o.count;

	/* the output file first: a bad path fails before anything is recorded */
	int tui = o.tui && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if ((!tui || o.smf.given) && (st = out_open(o.output, o.fmt, &o.smf)) != 0)
		return st;
	sigset_t waitmask;
	cli_stop_signals(on_signal, &waitmask);

	m.conn = midi_open(o.spec, (o.reconnect ? MIDI_OPEN_RECONNECT : 0) |
					   (o.jr_raw ? MIDI_OPEN_JR_RAW : 0), &e);
	if (!m.conn)
		return cli_report(&e);
	m.reconnect = o.reconnect;
	uint64_t start = cli_now_ns();
	uint64_t deadline = o.seconds >= 0 ? start + (uint64_t)llround(o.seconds * 1e9) : 0;
	if (deadline == 0 && o.seconds >= 0)
		deadline = 1; /* -t 0: already due */
	if (tui) {
		struct mon_tui_opts to = {
			.conn = m.conn, .filter = m.filter, .count = m.count, .deadline = deadline,
			.start = start, .abs_time = !!(o.pflags & MIDI_PRINT_ABSTIME),
			.reconnect = o.reconnect, .waitmask = &waitmask, .stop_signal = &stop_signal,
		};
		st = mon_tui_run(&to);
		midi_close(m.conn);
		return st;
	}
	if (o.fmt == MIDI_FMT_SMF) /* ticks from the first message, or from the start with -T */
		m.printer = midi_printer_new_smf(&o.smf.o, o.pflags & MIDI_PRINT_TIME ? 0 : MIDI_PRINT_FROM_FIRST,
						 start, &e);
	else
		m.printer = midi_printer_new(o.fmt, o.pflags, start, &e);
	int fd = m.printer ? midi_conn_fd(m.conn, &e) : -1;
	if (fd < 0) {
		st = cli_report(&e);
		midi_printer_free(m.printer);
		midi_close(m.conn);
		return st;
	}
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

	int timed_out = 0;
	int status = run_lines(&m, fd, deadline, &waitmask, &timed_out);
	if (midi_printer_dropped(m.printer) && o.fmt == MIDI_FMT_SMF)
		cli_warn("%llu message(s) with no MIDI 1.0 form were not recorded",
			 (unsigned long long)midi_printer_dropped(m.printer));
	midi_printer_free(m.printer);
	midi_close(m.conn);
	return exit_status(&m, status, timed_out, o.seconds);
}
