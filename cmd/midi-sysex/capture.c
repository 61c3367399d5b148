/* capture.c: `midi-sysex capture`: the SysEx messages an endpoint receives,
 * written as a .syx byte stream (or hex lines) until a count, an idle time
 * after the first message, a timeout or a signal, with a summary on
 * standard error. SysEx8 is skipped unless asked for. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "midi/filter.h"
#include "sysex_cmd.h"

struct capture {
	FILE *out;
	enum sx_format fmt;
	int sysex8;               /* --sysex8: keep SysEx8 too */
	unsigned long count;      /* messages written */
	uint64_t bytes;           /* bytes they make in a .syx file */
	unsigned long skipped8;   /* SysEx8 skipped without --sysex8 */
	unsigned long unfit8;     /* SysEx8 with bytes 80-FF, which no .syx can hold */
};

/* Write one message; 1 if written, 0 if skipped, -1 on a write error. */
static int keep(struct capture *cp, unsigned kind, const uint8_t *data, size_t len)
{
	if (kind == 8) {
		if (!cp->sysex8) {
			cp->skipped8++;
			return 0;
		}
		data++; /* the stream id */
		len--;
		for (size_t i = 0; i < len; i++) {
			if (data[i] > 0x7F) {
				cp->unfit8++;
				cli_warn("skipped a SysEx8 message of %zu bytes: byte %zu is 0x%02X, which a .syx "
					 "file cannot hold", len, i, data[i]);
				return 0;
			}
		}
	}
	if (sx_write_msg(cp->out, cp->fmt, data, len) < 0 || fflush(cp->out) != 0)
		return -1;
	cp->count++;
	cp->bytes += len + 2;
	return 1;
}

/* What the command line asks for. */
struct capture_opts {
	const char *spec, *path;
	unsigned long want;       /* -c, 0 = no limit */
	double idle, seconds;     /* -I, -t; negative = none */
	uint16_t groups;
};

/* Parse the command line into *o and the output settings of *cp. Returns
 * -1 to go on, else the status to exit with at once. */
static int parse_capture(int argc, char **argv, struct capture_opts *o, struct capture *cp)
{
	static const struct option opts[] = {
		{"endpoint", required_argument, 0, 'e'}, {"output", required_argument, 0, 'o'},
		{"format", required_argument, 0, 'f'},   {"count", required_argument, 0, 'c'},
		{"idle", required_argument, 0, 'I'},     {"timeout", required_argument, 0, 't'},
		{"group", required_argument, 0, 'g'},    {"sysex8", no_argument, 0, '8'},
		{"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
	};
	const char *ep_opt = NULL;
	midi_error e = {0};
	int c, f;

	*o = (struct capture_opts){.idle = -1, .seconds = -1, .groups = 0xFFFF};
	optind = 0; /* full reinitialisation: options may follow arguments */
	while ((c = getopt_long(argc, argv, "e:o:f:c:t:g:8h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': ep_opt = optarg; break;
		case 'o': o->path = optarg; break;
		case 'f':
			if ((f = sx_parse_format(optarg)) < 0)
				return cli_usage_error("unknown output format '%s' (expected bin or hex)", optarg);
			cp->fmt = (enum sx_format)f;
			break;
		case 'c':
			if (cli_uint(optarg, 1, 0xFFFFFFFFul, "count", &o->want) < 0)
				return EXIT_USAGE;
			break;
		case 'I':
			if (cli_seconds(optarg, "idle time", &o->idle) < 0)
				return EXIT_USAGE;
			break;
		case 't':
			if (cli_seconds(optarg, "timeout", &o->seconds) < 0)
				return EXIT_USAGE;
			break;
		case 'g':
			if (midi_filter_parse_set(optarg, "group", &o->groups, &e) < 0)
				return cli_usage_error("%s", e.msg);
			break;
		case '8': cp->sysex8 = 1; break;
		case 'h': sx_usage(stdout); return 0;
		default: return cli_bad_option(argv, "e:o:f:c:t:g:8h", "capture");
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s' for capture", argv[optind]);
	o->spec = cli_endpoint(ep_opt);
	if (!o->spec)
		return cli_usage_error("no endpoint: use -e SPEC or set MIDI_ENDPOINT");
	return -1;
}

/* Receive and write until the count, the idle time, the deadline (then
 * *timed_out is set), a signal, an error or a failed write (then
 * *write_failed is set). Returns 0 or the status of the error reported. */
static int run_capture(struct capture *cp, struct sx_recv *r, const struct capture_opts *o,
		       int *timed_out, int *write_failed)
{
	midi_error e = {0};
	int status = 0;
	uint64_t start = cli_now_ns();
	uint64_t deadline = o->seconds >= 0 ? start + (uint64_t)llround(o->seconds * 1e9) : 0;
	if (o->seconds >= 0 && deadline == 0)
		deadline = 1; /* -t 0: already due */
	uint64_t idle_ns = o->idle >= 0 ? (uint64_t)llround(o->idle * 1e9) : 0, last = 0;
	while (!o->want || cp->count < o->want) {
		uint64_t until = deadline;
		if (o->idle >= 0 && cp->count > 0 && (!until || last + idle_ns < until))
			until = last + idle_ns;
		unsigned kind, group;
		const uint8_t *data;
		size_t len;
		int k = sx_next(r, until, &kind, &group, &data, &len, &e);
		if (k < 0) {
			fflush(cp->out);
			status = cli_report(&e);
			break;
		}
		if (k == 0) {
			*timed_out = !sx_stopped() && until == deadline && deadline;
			break;
		}
		int w = keep(cp, kind, data, len);
		if (w < 0) {
			*write_failed = 1;
			break;
		}
		if (w > 0)
			last = cli_now_ns();
	}
	return status;
}

/* The summary on standard error and the exit status of a run that ended
 * with status, having lost lost messages. */
static int capture_status(const struct capture *cp, const struct capture_opts *o, int status,
			  uint64_t lost, int timed_out)
{
	fprintf(stderr, "%s: captured %lu message%s, %llu bytes\n", cli_prog, cp->count,
		cp->count == 1 ? "" : "s", (unsigned long long)cp->bytes);
	if (cp->skipped8)
		cli_warn("skipped %lu SysEx8 message%s (use --sysex8 to keep them)", cp->skipped8,
			 cp->skipped8 == 1 ? "" : "s");
	if (status)
		return status;
	if (lost)
		return EXIT_LOST;
	if (timed_out && ((o->want && cp->count < o->want) || cp->count == 0)) {
		if (o->want)
			cli_warn("timed out after %g s with %lu of %lu messages", o->seconds, cp->count,
				 o->want);
		else
			cli_warn("timed out after %g s with no SysEx", o->seconds);
		return EXIT_TIMEOUT;
	}
	return 0;
}

int sx_capture(int argc, char **argv)
{
	struct capture cp = {0};
	struct capture_opts o;
	midi_error e = {0};
	int status = parse_capture(argc, argv, &o, &cp);
	if (status >= 0)
		return status;

	status = 0;
	cp.out = sx_open_output(o.path, &cp.fmt, 0, &status);
	if (!cp.out)
		return status;
	struct sx_recv *r = calloc(1, sizeof *r);
	if (!r) {
		midi_error_sys(&e, ENOMEM, "out of memory");
		return cli_report(&e);
	}
	sx_signals_init(r);
	if (sx_recv_open(r, o.spec, o.groups, &e) < 0) {
		status = cli_report(&e);
		sx_close_output(cp.out, o.path);
		free(r);
		return status;
	}

	int timed_out = 0, write_failed = 0;
	status = run_capture(&cp, r, &o, &timed_out, &write_failed);
	uint64_t lost = r->lost;
	sx_recv_close(r);
	free(r);
	int st = sx_close_output(cp.out, o.path);
	if (st && !status)
		status = st;
	if (write_failed && !status)
		return 0; /* a closed pipe: the reader has what it wanted */
	return capture_status(&cp, &o, status, lost, timed_out);
}
