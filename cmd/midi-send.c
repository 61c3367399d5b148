/* midi-send: send MIDI messages given as arguments, on standard input or in a
 * file, in any input format, to an endpoint; or with -n print the UMP
 * packets it would send. With --reconnect, sending waits while the endpoint
 * is away and goes on when it comes back. Timing (text delays, SMF tempo
 * map, --interval) becomes scheduled sends: each packet carries its due
 * time and the broker's scheduler delivers it, so the program returns once
 * everything is handed over (it paces itself only to stay within
 * SCHEDULE_AHEAD_NS of the messages it hands over); --no-schedule sleeps in
 * the process instead. Stop means stop: on SIGINT or SIGTERM it takes back
 * what the scheduler still holds of its messages (midi_cancel), sends a
 * Note Off for every note it left sounding (midi_notes, which recorded
 * what it handed over) and dies of the signal; --wait (the default when
 * standard input is a terminal) keeps it until its last message is due,
 * so that Ctrl-C stops a song to its end. The dry run prints UMP lines,
 * or with -F (or -o FILE.mid) any output format with each message's time
 * (-T for the line formats): text with @ times, json, a Standard MIDI
 * File. --clock BPM sends MIDI clock at a tempo instead (midi-send/clock.c).
 * Front end only: parsing, translation, printing, the broker, the note
 * tracking and the clock's tick schedule are in libmidi. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "midi-send/clock.h"
#include "midi/clock.h"
#include "midi/endpoint.h"
#include "midi/format.h"
#include "midi/notes.h"
#include "midi/translate.h"

/* Packets handed over (or printed) at once: large, so that a stream read
 * in bulk costs few sends, wake-ups and writes (input that comes slowly is
 * passed on after each read anyway). */
#define BATCH 4096
/* Long options of --clock. */
enum { OPT_CLOCK = 0x500, OPT_DURATION, OPT_CONTINUE, OPT_SPP, OPT_CLOCK_ONLY };
/* Hand over at most this far ahead (bounds the scheduler queue a long
 * Standard MIDI File can fill; the library refuses more than an hour). */
#define SCHEDULE_AHEAD_NS 30000000000ull

struct sender {
	int dry_run;
	int protocol;          /* 0 keep, 1 midi1, 2 midi2 */
	midi_up up;
	midi_down down;
	midi_printer *printer; /* dry run */
	midi_conn *conn;       /* real send */
	uint64_t start_ns;     /* time origin for offsets: when the first message
	                        * was ready (reading and parsing a MIDI file
	                        * takes time that must not shift the song) */
	int started;           /* start_ns is set */
	uint64_t interval_ns;  /* --interval */
	uint64_t next_ns;      /* earliest time for the next message with --interval */
	int timed;             /* some packet had a time offset or --interval */
	midi_packet batch[BATCH];
	size_t nbatch;
	uint64_t offset;       /* time offset of the packet being translated */
	uint64_t sent;
	midi_error err;
	int failed;
	int reconnect;         /* --reconnect */
	int schedule;          /* timing by scheduled sends (not --no-schedule) */
	int sched_up;          /* the scheduler was seen running */
	midi_notes *notes;     /* what was handed over (real send) */
	uint64_t last_due;     /* latest due time handed over */
};

/* SIGINT or SIGTERM: the signal, once the handler ran. */
static volatile sig_atomic_t stop_sig;
#define STOPPED 77 /* a callback's value: a stop signal came */

static void on_stop(int sig)
{
	stop_sig = sig;
}

/* Sleep until deadline, or until a stop signal. */
static void sleep_or_stop(uint64_t deadline)
{
	while (!stop_sig) {
		uint64_t now = cli_now_ns();
		if (now + 1000000 >= deadline)
			break;
		uint64_t t = deadline - 500000;
		struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	if (!stop_sig)
		cli_sleep_until(deadline); /* the last half millisecond, precisely */
}

/* Send the batch. A send that finds the endpoint gone sends nothing, so
 * with --reconnect the same batch is tried again (every 20 ms) until the
 * endpoint is back. */
static int flush_batch(struct sender *s)
{
	if (s->nbatch == 0)
		return 0;
	if (s->dry_run) { /* printed, many lines to a write */
		int r = midi_printer_put_many(s->printer, s->batch, s->nbatch, stdout);
		s->nbatch = 0;
		if (r < 0) {
			midi_error_sys(&s->err, errno, "writing standard output");
			s->failed = 1;
			return -1;
		}
		return 0;
	}
	/* A due time that has passed meanwhile means now (the library keeps
	 * it behind this connection's scheduled messages). */
	uint64_t now = cli_now_ns();
	for (size_t k = 0; k < s->nbatch; k++)
		if (s->batch[k].time_ns <= now)
			s->batch[k].time_ns = 0;
	int gone = 0, r;
	while ((r = midi_send(s->conn, s->batch, s->nbatch, &s->err)) == -MIDI_ERR_CLOSED &&
	       s->reconnect && !stop_sig) {
		if (!gone)
			cli_warn("%s; waiting for it to come back", s->err.msg);
		gone = 1;
		sleep_or_stop(cli_now_ns() + 20000000ull);
	}
	if (gone && r == 0)
		cli_warn("endpoint %s is back", midi_conn_info(s->conn)->id);
	if (r < 0) {
		s->failed = 1;
		return -1;
	}
	for (size_t k = 0; k < s->nbatch; k++) {
		if (midi_notes_sent(s->notes, &s->batch[k].ump, s->batch[k].time_ns, now, &s->err) < 0) {
			s->failed = 1;
			return -1;
		}
		if (s->batch[k].time_ns > s->last_due)
			s->last_due = s->batch[k].time_ns;
	}
	s->sent += s->nbatch;
	s->nbatch = 0;
	return 0;
}

/* For midi_notes_release: one Note Off into the batch. */
static int queue_off(void *ctx, const midi_ump *u)
{
	struct sender *s = ctx;
	s->batch[s->nbatch].time_ns = 0;
	s->batch[s->nbatch].ump = *u;
	s->nbatch++;
	return s->nbatch == BATCH ? flush_batch(s) : 0;
}

/* Stop means stop: take back what the scheduler holds of ours, then a
 * Note Off for every note left sounding, sent now. */
static int stop_sending(struct sender *s)
{
	midi_error e = {0};
	uint64_t cancelled;
	s->nbatch = 0; /* not sent yet: never will be */
	int status = 0;
	if (midi_cancel(s->conn, &cancelled, &e) < 0) {
		status = cli_report(&e);
		cancelled = UINT64_MAX;
	}
	midi_notes_cancelled(s->notes, cancelled);
	s->reconnect = 0;
	if (midi_notes_release(s->notes, queue_off, s) < 0 || flush_batch(s) < 0)
		status = cli_report(&s->err);
	if (midi_flush(s->conn, 2000, &e) < 0 && !status)
		status = cli_report(&e);
	return status;
}

/* A packet continues the message before it (SysEx Continue/End). */
static int continues_message(const midi_ump *u)
{
	unsigned mt = midi_ump_mt(u), st = (u->w[0] >> 20) & 0xF;
	return (mt == MIDI_MT_DATA64 || mt == MIDI_MT_DATA128) && (st == 2 || st == 3);
}

/* Before the first message is scheduled: the scheduler starts on demand,
 * which on a slow machine took 0.4 s, and the first notes of a song then
 * all arrived at once when it came up. So wait for it, and move the time
 * origin later by the wait: what was handed over already keeps its time,
 * what follows keeps its spacing. */
static int scheduler_up(struct sender *s)
{
	uint64_t t0 = cli_now_ns();
	if (midi_schedule_ready(s->conn, 10000, &s->err) < 0) {
		s->failed = 1;
		return -1;
	}
	s->sched_up = 1;
	uint64_t waited = cli_now_ns() - t0;
	s->start_ns += waited;
	s->next_ns += waited;
	return 0;
}

/* Final stage: print (dry run) or queue for sending at its time. */
static int emit(void *ctx, const midi_ump *u)
{
	struct sender *s = ctx;
	if (stop_sig)
		return STOPPED;
	midi_packet p = {.time_ns = 0, .ump = *u};
	if (!s->started) {
		s->start_ns = s->next_ns = cli_now_ns();
		s->started = 1;
	}
	if (!s->dry_run && s->timed && s->schedule && !s->sched_up && scheduler_up(s) < 0)
		return -1;
	uint64_t due = s->start_ns + s->offset;
	if (s->interval_ns && !continues_message(u)) {
		if (due < s->next_ns)
			due = s->next_ns;
		s->next_ns = due + s->interval_ns;
	}
	if (s->dry_run) { /* printed with its time from the start of the input */
		p.time_ns = due - s->start_ns;
		s->batch[s->nbatch++] = p;
		return s->nbatch == BATCH ? flush_batch(s) : 0;
	}
	if (s->timed && s->schedule) {
		uint64_t now = cli_now_ns();
		if (due > now + SCHEDULE_AHEAD_NS) {
			if (flush_batch(s) < 0)
				return -1;
			sleep_or_stop(due - SCHEDULE_AHEAD_NS);
			if (stop_sig)
				return STOPPED;
			now = cli_now_ns();
		}
		p.time_ns = due > now ? due : 0;
	} else if (s->timed && due > cli_now_ns()) {
		if (flush_batch(s) < 0)
			return -1;
		sleep_or_stop(due);
		if (stop_sig)
			return STOPPED;
	}
	s->batch[s->nbatch++] = p;
	if (s->nbatch == BATCH || (s->timed && !s->schedule))
		return flush_batch(s);
	return 0;
}

/* Reader callback: optional protocol translation, then emit. */
static int on_packet(void *ctx, const midi_packet *p)
{
	struct sender *s = ctx;
	s->offset = p->time_ns;
	if (p->time_ns)
		s->timed = 1;
	if (s->dry_run && !s->protocol && !s->interval_ns) {
		/* printed as read, with its time from the start of the input
		 * (what emit gives it when nothing moves it) */
		if (stop_sig)
			return STOPPED;
		s->batch[s->nbatch++] = *p;
		return s->nbatch == BATCH ? flush_batch(s) : 0;
	}
	switch (s->protocol) {
	case 1:
		return midi_down_put(&s->down, &p->ump, emit, s);
	case 2:
		return midi_up_put(&s->up, &p->ump, emit, s);
	default:
		return emit(s, &p->ump);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] [MESSAGE...]\n"
		"Send MIDI messages to an endpoint: from the arguments, else from -i FILE,\n"
		"else from standard input.\n\n"
		"  -e, --endpoint SPEC     endpoint id or name part (default $MIDI_ENDPOINT)\n"
		"  -f, --format FMT        input format: text (default), hex, ump, bin, smf\n"
		"  -i, --input FILE        read messages from FILE ('-' = standard input)\n"
		"  -g, --group N           group 1-16 for messages that do not name one (default 1)\n"
		"  -P, --protocol P        translate channel voice messages to midi1 or midi2\n"
		"      --interval MS       at least MS milliseconds between messages\n"
		"      --no-schedule       pace timed messages in this process instead of\n"
		"                          handing them to the broker's scheduler\n"
		"  -n, --dry-run           print the UMP packets instead of sending them\n"
		"  -F, --output-format FMT dry run: print ump (default), hex, bin, text, json\n"
		"                          or smf (a Standard MIDI File), with tempo changes\n"
		"  -o, --output FILE       dry run: write to FILE (a .mid name means -F smf)\n"
		"  -T, --timestamps        dry run: each line with its time (@S.UUUUUUs)\n"
		"      --smf-format N      smf: file format 0 (one track) or 1 (default)\n"
		"      --division TICKS    smf: ticks per quarter note (default 960)\n"
		"      --tempo BPM         smf: the starting tempo (default 120)\n"
		"      --reconnect         when the endpoint goes away, wait for it to come back\n"
		"      --wait              stay until the last message is due, so that Ctrl-C\n"
		"                          still stops it (default when standard input and\n"
		"                          standard error are terminals)\n"
		"      --no-wait           return once everything is handed over\n"
		"      --clock BPM         send MIDI clock at BPM (1-1000) until stopped, Start\n"
		"                          first and Stop last; new tempos from standard input,\n"
		"                          one BPM a line\n"
		"      --duration SECONDS  --clock: stop after SECONDS\n"
		"      --continue          --clock: Continue first instead of Start\n"
		"      --spp BEATS         --clock: Song Position (sixteenths, 0-16383) first,\n"
		"                          then Continue\n"
		"      --clock-only        --clock: Timing Clock only, no Start, Continue, Stop\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n\n"
		"Examples:\n"
		"  %s -e diag:loopback-a on C3 100 +500ms off C3\n"
		"  %s -e synth panic                 # all notes and sounds off, group 1\n"
		"  printf '90 3C 64' | %s -n -f hex -P midi2\n"
		"  %s -n -f smf -i song.mid -F text -T     # a MIDI file as timed text\n"
		"  %s -n -i song.txt -o song.mid          # and back\n"
		"  %s -e drums --clock 120              # clock until Ctrl-C\n"
		"See midi-send(1) and midi-formats(7).\n",
		cli_prog, cli_prog, cli_prog, cli_prog, cli_prog, cli_prog, cli_prog);
}

/* Dry run: pass on what was printed (a write error fails the run). */
static int flush_out(struct sender *s)
{
	if (fflush(stdout) != 0) {
		midi_error_sys(&s->err, errno ? errno : EIO, "writing standard output");
		s->failed = 1;
		return -1;
	}
	return 0;
}

/* Arguments are read whole before anything is sent: packets in order. */
struct collected {
	midi_packet *p;
	size_t n, cap;
};

static int collect(void *ctx, const midi_packet *p)
{
	struct collected *c = ctx;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		midi_packet *np = realloc(c->p, cap * sizeof *np);
		if (!np)
			return 1;
		c->p = np;
		c->cap = cap;
	}
	c->p[c->n++] = *p;
	return 0;
}

/* Read every argument (one text, as if on one line), then send what they
 * hold; an input error sends nothing. */
static int feed_args(midi_reader *r, char **args, int nargs, struct sender *s, midi_error *e)
{
	struct collected c = {0};
	int rc = 0;
	for (int i = 0; i < nargs && rc == 0; i++) {
		rc = midi_reader_feed(r, args[i], strlen(args[i]), collect, &c, e);
		if (rc == 0)
			rc = midi_reader_feed(r, " ", 1, collect, &c, e);
	}
	if (rc == 0)
		rc = midi_reader_end(r, collect, &c, e);
	if (rc > 0) /* collect failed */
		rc = midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	for (size_t k = 0; k < c.n && rc == 0; k++)
		rc = on_packet(s, &c.p[k]);
	free(c.p);
	return rc;
}

/* Nothing more is ready to read on fd now. */
static int input_idle(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 0;
}

/* Feed a whole input descriptor through the reader, in chunks, as it comes.
 * Dry-run output stays in a large buffer while more input is ready and is
 * passed on before waiting for input. */
static int feed_fd(midi_reader *r, int fd, struct sender *s, midi_error *e)
{
	static char buf[1 << 17];
	for (;;) {
		if (stop_sig)
			return STOPPED;
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return midi_error_sys(e, errno, "reading input");
		if (n == 0)
			return 0;
		int rc = midi_reader_feed(r, buf, (size_t)n, on_packet, s, e);
		if (rc == 0 && (!s->timed || s->schedule))
			rc = flush_batch(s);
		if (rc == 0 && s->dry_run && input_idle(fd))
			rc = flush_out(s);
		if (rc != 0)
			return rc;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"endpoint", required_argument, 0, 'e'}, {"format", required_argument, 0, 'f'},
		{"input", required_argument, 0, 'i'},    {"group", required_argument, 0, 'g'},
		{"protocol", required_argument, 0, 'P'}, {"dry-run", no_argument, 0, 'n'},
		{"interval", required_argument, 0, 'I'}, {"reconnect", no_argument, 0, 'R'},
		{"help", no_argument, 0, 'h'},           {"version", no_argument, 0, 'V'},
		{"no-schedule", no_argument, 0, 'S'},   {"wait", no_argument, 0, 'W'},
		{"no-wait", no_argument, 0, 'w'},
		{"output-format", required_argument, 0, 'F'}, {"output", required_argument, 0, 'o'},
		{"timestamps", no_argument, 0, 'T'},    OUT_SMF_LONG_OPTIONS,
		{"clock", required_argument, 0, OPT_CLOCK},
		{"duration", required_argument, 0, OPT_DURATION},
		{"continue", no_argument, 0, OPT_CONTINUE},
		{"spp", required_argument, 0, OPT_SPP},
		{"clock-only", no_argument, 0, OPT_CLOCK_ONLY},
		{0, 0, 0, 0},
	};
	struct clock_opts clk = {.spp = -1};
	const char *clock_only_opt = NULL; /* an option given that needs --clock */
	const char *not_clock_opt = NULL;  /* an option given that --clock refuses */
	struct sender s = {.schedule = 1};
	const char *ep_opt = NULL, *input = NULL, *output = NULL;
	midi_format fmt = MIDI_FMT_TEXT, ofmt = 0;
	struct out_smf smf = OUT_SMF_INIT;
	unsigned pflags = 0;
	unsigned long group = 1, ms;
	midi_error e = {0};
	int c, wait_end = -1;

	cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "+e:f:i:g:P:nF:o:Th", opts, NULL)) != -1) {
		switch (c) {
		case 'e': ep_opt = optarg; break;
		case OPT_CLOCK: {
			midi_error be = {0};
			if (midi_clock_parse_bpm(optarg, &clk.bpm, &be) < 0)
				return cli_usage_error("--clock: %s", be.msg);
			break;
		}
		case OPT_DURATION:
			if (cli_seconds(optarg, "duration", &clk.duration) < 0)
				return EXIT_USAGE;
			if (clk.duration <= 0)
				return cli_usage_error("invalid duration '%s' (expected seconds above 0)", optarg);
			clock_only_opt = "--duration";
			break;
		case OPT_CONTINUE:
			if (clk.begin == CLOCK_BEGIN_NONE)
				return cli_usage_error("--continue and --clock-only exclude each other");
			clk.begin = CLOCK_BEGIN_CONTINUE;
			clock_only_opt = "--continue";
			break;
		case OPT_SPP:
			if (cli_uint(optarg, 0, MIDI_CLOCK_SPP_MAX, "song position", &ms) < 0)
				return EXIT_USAGE;
			if (clk.begin == CLOCK_BEGIN_NONE)
				return cli_usage_error("--spp and --clock-only exclude each other");
			clk.spp = (long)ms;
			clk.begin = CLOCK_BEGIN_CONTINUE; /* Start would go back to 0 */
			clock_only_opt = "--spp";
			break;
		case OPT_CLOCK_ONLY:
			if (clk.begin != CLOCK_BEGIN_START)
				return cli_usage_error("--clock-only excludes --continue and --spp");
			clk.begin = CLOCK_BEGIN_NONE;
			clock_only_opt = "--clock-only";
			break;
		case 'f':
			not_clock_opt = "-f";
			if (midi_format_parse_name(optarg, &fmt, &e) < 0 || fmt == MIDI_FMT_JSON)
				return cli_usage_error("unknown input format '%s' (expected text, hex, ump, bin or smf)", optarg);
			break;
		case 'i': input = optarg; not_clock_opt = "-i"; break;
		case 'g':
			if (cli_uint(optarg, 1, 16, "group", &group) < 0)
				return EXIT_USAGE;
			break;
		case 'P':
			not_clock_opt = "-P";
			if (!strcasecmp(optarg, "midi1") || !strcmp(optarg, "1"))
				s.protocol = 1;
			else if (!strcasecmp(optarg, "midi2") || !strcmp(optarg, "2"))
				s.protocol = 2;
			else
				return cli_usage_error("unknown protocol '%s' (expected midi1 or midi2)", optarg);
			break;
		case 'n': s.dry_run = 1; break;
		case 'F':
			if (midi_format_parse_name(optarg, &ofmt, &e) < 0)
				return cli_usage_error("unknown output format '%s' (expected ump, hex, bin, text, json or smf)",
						       optarg);
			break;
		case 'o': output = optarg; break;
		case 'T': pflags |= MIDI_PRINT_TIME; break;
		case OUT_OPT_SMF_FORMAT:
		case OUT_OPT_DIVISION:
		case OUT_OPT_TEMPO:
			if (out_smf_option(&smf, c, optarg))
				return EXIT_USAGE;
			break;
		case 'R': s.reconnect = 1; not_clock_opt = "--reconnect"; break;
		case 'S': s.schedule = 0; not_clock_opt = "--no-schedule"; break;
		case 'W': wait_end = 1; not_clock_opt = "--wait"; break;
		case 'w': wait_end = 0; not_clock_opt = "--no-wait"; break;
		case 'I':
			not_clock_opt = "--interval";
			if (cli_uint(optarg, 0, 3600000, "interval", &ms) < 0)
				return EXIT_USAGE;
			s.interval_ns = ms * 1000000ull;
			s.timed = ms > 0;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': cli_version(); return 0;
		default: return cli_bad_option(argv, "+e:f:i:g:P:nF:o:Th", NULL);
		}
	}
	int nargs = argc - optind;
	if (clk.bpm > 0) {
		if (nargs > 0)
			return cli_usage_error("--clock sends no messages of its own: give none");
		if (not_clock_opt)
			return cli_usage_error("%s does not go with --clock", not_clock_opt);
		if (s.dry_run && clk.duration <= 0)
			return cli_usage_error("a dry run of --clock needs --duration");
		clk.group = (unsigned)group - 1;
	} else if (clock_only_opt) {
		return cli_usage_error("%s goes with --clock", clock_only_opt);
	}
	if (nargs > 0 && input)
		return cli_usage_error("give messages as arguments or with -i, not both");
	if (nargs > 0 && (fmt == MIDI_FMT_BIN || fmt == MIDI_FMT_SMF))
		return cli_usage_error("format %s cannot be given as arguments; use -i FILE or standard input",
				       midi_format_name(fmt));

	if (!s.dry_run && (ofmt || output || pflags || smf.given))
		return cli_usage_error("-F, -o, -T and the smf options are for the dry run (-n)");
	if (s.dry_run && !ofmt && out_name_is_smf(output))
		ofmt = MIDI_FMT_SMF;

	midi_up_init(&s.up);
	midi_down_init(&s.down);
	if (s.dry_run) {
		int st = out_open(output, ofmt ? ofmt : MIDI_FMT_UMP, &smf);
		if (st)
			return st;
		/* output in large writes; a closed pipe is a write error (EPIPE) */
		static char outbuf[1 << 16];
		setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
		signal(SIGPIPE, SIG_IGN);
		if (ofmt == MIDI_FMT_SMF)
			s.printer = midi_printer_new_smf(&smf.o, 0, 0, &e);
		else
			s.printer = midi_printer_new(ofmt ? ofmt : MIDI_FMT_UMP, pflags, 0, &e);
		if (!s.printer)
			return cli_report(&e);
	} else {
		const char *spec = cli_endpoint(ep_opt);
		if (!spec)
			return cli_usage_error("no endpoint: use -e SPEC or set MIDI_ENDPOINT (or -n for a dry run)");
		s.conn = midi_open(spec, MIDI_OPEN_SEND_ONLY | (s.reconnect ? MIDI_OPEN_RECONNECT : 0), &e);
		if (!s.conn)
			return cli_report(&e);
		s.notes = midi_notes_new(&e);
		if (!s.notes)
			return cli_report(&e);
		/* Interrupted or terminated: stop_sending (no SA_RESTART, so a
		 * blocking read returns). */
		struct sigaction sa = {.sa_handler = on_stop};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		if (wait_end < 0)
			wait_end = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
		/* Input read as it comes may have times: start the scheduler
		 * now, without waiting, so it is up by the first of them. */
		if (nargs == 0 && s.schedule && clk.bpm <= 0) {
			midi_error ignored;
			midi_schedule_ready(s.conn, 0, &ignored);
		}
	}

	if (clk.bpm > 0 && !s.dry_run) {
		int st = clock_run(&clk, s.conn); /* a stop signal ends the process */
		midi_close(s.conn);
		midi_notes_free(s.notes);
		return st;
	}
	midi_reader *r = midi_reader_new(fmt, (unsigned)group - 1, &e);
	if (!r)
		return cli_report(&e);
	if (ofmt) /* an output format chosen: a MIDI file's tempo changes go through */
		midi_reader_set_flags(r, MIDI_READ_TEMPO);
	const char *where = "arguments";
	int rc = 0;
	if (clk.bpm > 0) {
		if (clock_dry(&clk, s.printer, stdout, &s.err) < 0) {
			s.failed = 1;
			rc = -1;
		}
	} else if (nargs > 0) {
		rc = feed_args(r, argv + optind, nargs, &s, &e);
	} else {
		int fd = 0;
		where = "standard input";
		if (input && strcmp(input, "-") != 0) {
			where = input;
			fd = open(input, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				midi_error_sys(&e, errno, "cannot open %s", input);
				return cli_report(&e);
			}
		}
		rc = feed_fd(r, fd, &s, &e);
		if (fd > 0)
			close(fd);
		if (rc == 0)
			rc = midi_reader_end(r, on_packet, &s, &e);
	}
	if (rc == 0 && s.protocol == 2)
		rc = midi_up_end(&s.up, emit, &s);
	midi_reader_free(r);

	int status = 0;
	if (rc == STOPPED)
		rc = 0; /* the signal is handled below */
	if (rc != 0) {
		/* The failing stage filled either e (reader) or s.err (sender). */
		status = s.failed ? cli_report(&s.err) : cli_report_in(where, &e);
	}
	/* Whatever was accepted before an error in a stream still goes out
	 * (arguments with an error send nothing). */
	if (!s.dry_run) {
		if (!stop_sig && flush_batch(&s) < 0 && !status)
			status = cli_report(&s.err);
		if (!stop_sig && midi_flush(s.conn, 10000, &e) < 0 && !status)
			status = cli_report(&e);
		if (!stop_sig && wait_end && !status && s.last_due)
			sleep_or_stop(s.last_due);
		if (stop_sig) {
			int st = stop_sending(&s);
			midi_close(s.conn);
			midi_notes_free(s.notes);
			if (st)
				return st;
			/* Die of the signal, as a shell expects of an interrupted program. */
			signal(stop_sig, SIG_DFL);
			raise(stop_sig);
			return 128 + stop_sig;
		}
		midi_close(s.conn);
		midi_notes_free(s.notes);
	} else {
		/* a write error at the end (the final flush too) fails the run */
		errno = 0;
		int bad = flush_batch(&s) < 0 || midi_printer_end(s.printer, stdout) < 0;
		int err = errno;
		if (ofmt == MIDI_FMT_SMF && midi_printer_dropped(s.printer))
			cli_warn("%llu message(s) with no MIDI 1.0 form were left out of the MIDI file",
				 (unsigned long long)midi_printer_dropped(s.printer));
		midi_printer_free(s.printer);
		if (!bad && fflush(stdout) != 0) {
			bad = 1;
			err = errno;
		}
		if (bad && !status) {
			midi_error_sys(&e, err ? err : EIO, "writing standard output");
			status = cli_report(&e);
		}
	}
	if (s.protocol == 1 && midi_down_dropped(&s.down))
		cli_warn("%llu message(s) with no MIDI 1.0 form were dropped",
			 (unsigned long long)midi_down_dropped(&s.down));
	return status;
}
