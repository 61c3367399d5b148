/* midi-watch: print endpoint events as they happen, one per line: the
 * endpoints present at start ("added"), "enumerated", then every endpoint
 * added, removed or updated, and "stopped" at the end; in a text form or as
 * JSON lines. Front end only: the watcher and the property descriptions
 * are in libmidi. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "midi/describe_endpoint.h"
#include "midi/discovery.h"
#include "midi/text.h"
#include "midi/watch.h"

static midi_watcher *watcher; /* for the signal handler */

static void on_signal(int sig)
{
	(void)sig;
	if (watcher)
		midi_watch_stop(watcher);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS]\n"
		"Print endpoints as they are added, removed or updated, one event per line:\n"
		"  added ID NAME\n"
		"  removed ID NAME (REASON)\n"
		"  updated ID NAME (changed: PROPERTY,...)\n"
		"  enumerated            (after the endpoints present at start)\n"
		"  stopped               (at the end)\n\n"
		"  -a, --all               include diagnostic endpoints (diag:*)\n"
		"      --json              one JSON object per line instead\n"
		"      --once              print the endpoints present now and 'enumerated', then exit\n"
		"  -c, --count N           stop after N events that follow 'enumerated'\n"
		"  -t, --timeout SECONDS   stop after SECONDS (status 4 if -c N was not reached)\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n\n"
		"Examples:\n"
		"  %s\n"
		"  %s -c 1 -t 10 | grep '^added virt:'\n"
		"  %s --json | jq -c 'select(.event == \"updated\") | .changed'\n"
		"See midi-watch(1).\n",
		cli_prog, cli_prog, cli_prog, cli_prog);
}

/* A JSON string; the id only (the endpoint object is the library's). */
static void put_json_string(const char *s, FILE *out)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7F)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void print_text(const midi_watch_event *ev, FILE *out)
{
	fputs(midi_watch_kind_name(ev->kind), out);
	if (ev->kind == MIDI_WATCH_ADDED || ev->kind == MIDI_WATCH_REMOVED ||
	    ev->kind == MIDI_WATCH_UPDATED) {
		fputc(' ', out);
		midi_text_puts(ev->info.id, out); /* escaped: names may hold anything */
		if (ev->info.name[0]) {
			fputc(' ', out);
			midi_text_puts(ev->info.name, out);
		}
	}
	if (ev->kind == MIDI_WATCH_UPDATED) {
		char names[512];
		fprintf(out, " (changed: %s)", midi_prop_names(ev->changed, names, sizeof names));
	}
	if (ev->kind == MIDI_WATCH_REMOVED && ev->reason[0]) {
		fputs(" (", out);
		midi_text_puts(ev->reason, out);
		fputc(')', out);
	}
	fputc('\n', out);
}

static void print_json(const midi_watch_event *ev, FILE *out)
{
	fprintf(out, "{\"event\":\"%s\"", midi_watch_kind_name(ev->kind));
	if (ev->kind == MIDI_WATCH_ADDED || ev->kind == MIDI_WATCH_REMOVED ||
	    ev->kind == MIDI_WATCH_UPDATED) {
		fputs(",\"id\":", out);
		put_json_string(ev->info.id, out);
		fputs(",\"endpoint\":", out);
		midi_endpoint_json(&ev->info, out);
	}
	if (ev->kind == MIDI_WATCH_UPDATED) {
		char names[512];
		midi_prop_names(ev->changed, names, sizeof names);
		fputs(",\"changed\":[", out);
		for (char *p = names, *tok; (tok = strsep(&p, ",")) != NULL;) {
			if (!*tok)
				continue;
			if (tok != names)
				fputc(',', out);
			put_json_string(tok, out);
		}
		fputc(']', out);
	}
	if (ev->kind == MIDI_WATCH_REMOVED && ev->reason[0]) {
		fputs(",\"reason\":", out);
		put_json_string(ev->reason, out);
	}
	fputs("}\n", out);
}

enum { OPT_JSON = 256, OPT_ONCE };

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, 0, 'a'},          {"json", no_argument, 0, OPT_JSON},
		{"once", no_argument, 0, OPT_ONCE},    {"count", required_argument, 0, 'c'},
		{"timeout", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},      {0, 0, 0, 0},
	};
	unsigned flags = 0;
	unsigned long count = 0, seen = 0;
	int json = 0, once = 0, c;
	double seconds = -1;
	midi_error e = {0};

	cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "ac:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': flags |= MIDI_WATCH_ALL; break;
		case OPT_JSON: json = 1; break;
		case OPT_ONCE: once = 1; break;
		case 'c':
			if (cli_uint(optarg, 1, 0xFFFFFFFFul, "count", &count) < 0)
				return EXIT_USAGE;
			break;
		case 't':
			if (cli_seconds(optarg, "timeout", &seconds) < 0)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': cli_version(); return 0;
		default: return cli_bad_option(argv, "ac:t:h", NULL);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (once && (count || seconds >= 0))
		return cli_usage_error("--once cannot be combined with -c or -t");

	signal(SIGPIPE, SIG_IGN);
	watcher = midi_watch_open(flags, &e);
	if (!watcher)
		return cli_report(&e);
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	uint64_t deadline = 0;
	if (seconds >= 0) {
		deadline = cli_now_ns() + (uint64_t)llround(seconds * 1e9);
		if (!deadline)
			deadline = 1;
	}
	int status = 0, enumerated = 0, stop_requested = 0, timed_out = 0, write_failed = 0;
	for (;;) {
		int ms = stop_requested ? 0 : cli_wait_ms(deadline);
		if (ms == 0 && !stop_requested) {
			timed_out = 1;
			stop_requested = 1;
			midi_watch_stop(watcher);
		}
		midi_watch_event ev;
		int r = midi_watch_next(watcher, &ev, ms, &e);
		if (r < 0) {
			if (r == -MIDI_ERR_CLOSED)
				break;
			status = cli_report(&e);
			break;
		}
		if (r == 0)
			continue;
		if (json)
			print_json(&ev, stdout);
		else
			print_text(&ev, stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			write_failed = errno ? errno : EIO;
			break;
		}
		if (ev.kind == MIDI_WATCH_STOPPED)
			break;
		if (ev.kind == MIDI_WATCH_ENUMERATED) {
			enumerated = 1;
			if (once)
				break;
		} else if (enumerated && count && ++seen == count && !stop_requested) {
			stop_requested = 1;
			midi_watch_stop(watcher);
		}
	}
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	midi_watch_close(watcher);
	watcher = NULL;

	if (write_failed && write_failed != EPIPE) {
		midi_error_sys(&e, write_failed, "writing standard output");
		return cli_report(&e);
	}
	if (status)
		return status;
	if (timed_out && count && seen < count) {
		cli_warn("timed out after %g s with %lu of %lu events", seconds, seen, count);
		return EXIT_TIMEOUT;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* Every output path, --help included, ends here: see cli_finish_stdout. */
	return cli_finish_stdout(run(argc, argv));
}
