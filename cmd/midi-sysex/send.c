/* send.c: `midi-sysex send`: every SysEx message of one or more .syx files
 * to an endpoint as SysEx7 (or SysEx8) packets, paced by an interval and a
 * byte rate; every file is read and checked before anything is sent. With
 * -n the packets are printed instead. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "midi/format.h"
#include "midi/sysexfile.h"
#include "sysex_cmd.h"

#define SEND_BATCH 1024

struct sender {
	midi_conn *conn;           /* NULL for a dry run */
	midi_printer *printer;     /* dry run */
	midi_packet batch[SEND_BATCH];
	size_t n;
	midi_error err;
	int failed;                /* err holds a sending or printing error */
};

static int flush_batch(struct sender *s)
{
	if (s->n == 0 || !s->conn)
		return 0;
	int r = midi_send(s->conn, s->batch, s->n, &s->err);
	s->n = 0;
	if (r < 0) {
		s->failed = 1;
		return r;
	}
	return 0;
}

static int put_packet(void *ctx, const midi_ump *u)
{
	struct sender *s = ctx;
	midi_packet p = {.time_ns = 0, .ump = *u};
	if (!s->conn) {
		if (midi_printer_put(s->printer, &p, stdout) < 0) {
			s->failed = 1;
			return midi_error_sys(&s->err, errno, "writing standard output");
		}
		return 0;
	}
	s->batch[s->n++] = p;
	return s->n == SEND_BATCH ? flush_batch(s) : 0;
}

/* One message (F0 ... F7): its payload as SysEx7 or SysEx8 packets. */
static int send_message(struct sender *s, const uint8_t *msg, size_t len, unsigned group, int sysex8)
{
	const uint8_t *payload = msg + 1;
	size_t n = len - 2;
	int r = sysex8 ? midi_sysex8_chunk(group, 0, payload, n, put_packet, s)
		       : midi_sysex7_chunk(group, payload, n, put_packet, s);
	if (r == 0)
		r = flush_batch(s);
	return r;
}

static void free_files(midi_syx_file *files, int n)
{
	for (int i = 0; i < n; i++)
		midi_syx_file_free(&files[i]);
	free(files);
}

/* What the command line asks for. */
struct send_opts {
	const char *spec;          /* NULL for a dry run with no endpoint */
	unsigned long interval_ms, rate, group;
	int sysex8, dry_run;
	char **files;              /* the FILE arguments */
	int nfiles;
};

/* Parse the command line into *o. Returns -1 to go on, else the status to
 * exit with at once. */
static int parse_send(int argc, char **argv, struct send_opts *o)
{
	static const struct option opts[] = {
		{"endpoint", required_argument, 0, 'e'}, {"interval", required_argument, 0, 'i'},
		{"rate", required_argument, 0, 'r'},     {"group", required_argument, 0, 'g'},
		{"sysex8", no_argument, 0, '8'},         {"dry-run", no_argument, 0, 'n'},
		{"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
	};
	const char *ep_opt = NULL;
	int c;

	*o = (struct send_opts){.interval_ms = SX_DEFAULT_INTERVAL_MS, .rate = SX_DEFAULT_RATE,
				.group = 1};
	optind = 0; /* full reinitialisation: options may follow arguments */
	while ((c = getopt_long(argc, argv, "e:i:r:g:8nh", opts, NULL)) != -1) {
		switch (c) {
		case 'e': ep_opt = optarg; break;
		case 'i':
			if (cli_uint(optarg, 0, 3600000, "interval", &o->interval_ms) < 0)
				return EXIT_USAGE;
			break;
		case 'r':
			if (cli_uint(optarg, 0, 1000000000, "rate", &o->rate) < 0)
				return EXIT_USAGE;
			break;
		case 'g':
			if (cli_uint(optarg, 1, 16, "group", &o->group) < 0)
				return EXIT_USAGE;
			break;
		case '8': o->sysex8 = 1; break;
		case 'n': o->dry_run = 1; break;
		case 'h': sx_usage(stdout); return 0;
		default: return cli_bad_option(argv, "e:i:r:g:8nh", "send");
		}
	}
	o->nfiles = argc - optind;
	o->files = argv + optind;
	if (o->nfiles < 1)
		return cli_usage_error("send needs a FILE ('-' for standard input)");
	o->spec = cli_endpoint(ep_opt);
	if (!o->dry_run && !o->spec)
		return cli_usage_error("no endpoint: use -e SPEC or set MIDI_ENDPOINT (or -n for a dry run)");
	return -1;
}

/* Read and check every file: nothing is sent from a bad set. NULL after
 * reporting the error (status in *status). *total: their bytes. */
static midi_syx_file *load_files(const struct send_opts *o, uint64_t *total, int *status)
{
	midi_error e = {0};
	midi_syx_file *files = calloc((size_t)o->nfiles, sizeof *files);
	if (!files) {
		midi_error_sys(&e, ENOMEM, "cannot read %d files", o->nfiles);
		*status = cli_report(&e);
		return NULL;
	}
	*total = 0;
	for (int i = 0; i < o->nfiles; i++) {
		if (midi_syx_load(o->files[i], &files[i], &e) < 0) {
			free_files(files, o->nfiles);
			*status = cli_report(&e);
			return NULL;
		}
		*total += files[i].len;
	}
	return files;
}

/* Send (or print) every message of every file, paced. Returns 0 or the
 * status of the error reported; *next_out: when a following send may start. */
static int send_all(struct sender *s, const struct send_opts *o, const midi_syx_file *files,
		    uint64_t *next_out)
{
	/* Message m starts at next; the one after it no sooner than its
	 * length at the byte rate (its time on a MIDI 1.0 cable) after m was
	 * handed over, plus the interval. Counting from the hand-over, which
	 * follows the arrival time receivers see, keeps the spacing they see
	 * at least the promised one (counting from before the send let it
	 * fall short by the send's own microseconds). */
	uint64_t next = cli_now_ns();
	int status = 0;
	for (int i = 0; i < o->nfiles && !status; i++) {
		const midi_syx_file *f = &files[i];
		for (size_t m = 0; m < f->count && !status; m++) {
			const uint8_t *msg = f->data + f->msgs[m].off;
			size_t len = f->msgs[m].len;
			if (o->dry_run) {
				if (send_message(s, msg, len, (unsigned)o->group - 1, o->sysex8) < 0)
					status = cli_report(&s->err);
				continue;
			}
			cli_sleep_until(next);
			if (send_message(s, msg, len, (unsigned)o->group - 1, o->sysex8) < 0) {
				status = cli_report(&s->err);
				break;
			}
			uint64_t end = cli_now_ns();
			if (o->rate)
				end += (uint64_t)((double)len * 1e9 / (double)o->rate);
			next = end + (uint64_t)o->interval_ms * 1000000u;
		}
	}
	*next_out = next;
	return status;
}

/* Finish after send_all ended with status: the dry run's output is
 * flushed, a real send waits until everything was handed over and keeps
 * its pacing. Closes s's printer or connection. Returns the exit status. */
static int finish_send(struct sender *s, const struct send_opts *o, uint64_t total,
		       uint64_t next, int status)
{
	midi_error e = {0};
	if (o->dry_run) {
		midi_printer_end(s->printer, stdout);
		midi_printer_free(s->printer);
		/* ferror too: the printer's large writes bypass the buffer,
		 * so fflush may find nothing left to fail on */
		if ((fflush(stdout) != 0 || ferror(stdout)) && !status) {
			midi_error_sys(&e, errno, "writing standard output");
			status = cli_report(&e);
		}
		return status;
	}
	if (!status) {
		/* A host passing it on at wire speed may take its time. */
		double ms = 10000.0 + (double)total * 1000.0 / SX_DEFAULT_RATE;
		if (midi_flush(s->conn, ms > INT_MAX ? INT_MAX : (int)ms, &e) < 0)
			status = cli_report(&e);
	}
	/* Keep the pacing for a send that follows this one. */
	if (!status)
		cli_sleep_until(next);
	midi_close(s->conn);
	return status;
}

int sx_send(int argc, char **argv)
{
	struct send_opts o;
	midi_error e = {0};
	uint64_t total, next;
	int status = parse_send(argc, argv, &o);
	if (status >= 0)
		return status;

	midi_syx_file *files = load_files(&o, &total, &status);
	if (!files)
		return status;
	struct sender *s = calloc(1, sizeof *s);
	if (!s) {
		free_files(files, o.nfiles);
		midi_error_sys(&e, ENOMEM, "out of memory");
		return cli_report(&e);
	}
	if (o.dry_run)
		s->printer = midi_printer_new(MIDI_FMT_UMP, 0, 0, &e);
	else
		s->conn = midi_open(o.spec, MIDI_OPEN_SEND_ONLY, &e);
	if (!s->printer && !s->conn) {
		free(s);
		free_files(files, o.nfiles);
		return cli_report(&e);
	}
	status = send_all(s, &o, files, &next);
	status = finish_send(s, &o, total, next, status);
	free(s);
	free_files(files, o.nfiles);
	return status;
}
