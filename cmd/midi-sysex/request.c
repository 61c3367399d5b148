/* request.c: `midi-sysex request`: send one SysEx message (given in hex, or
 * the built-in Identity Request) and print the first SysEx reply, the
 * Identity Reply decoded too; no reply in time is status 4. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "midi/identity.h"
#include "midi/sysexfile.h"
#include "sysex_cmd.h"

struct packets {
	midi_packet p[64];
	size_t n;
	midi_conn *conn;
	midi_error *e;
};

static int put_packet(void *ctx, const midi_ump *u)
{
	struct packets *ps = ctx;
	ps->p[ps->n++] = (midi_packet){.time_ns = 0, .ump = *u};
	if (ps->n < 64)
		return 0;
	int r = midi_send(ps->conn, ps->p, ps->n, ps->e);
	ps->n = 0;
	return r;
}

/* The request as one message F0 ... F7 from the arguments, or the Identity
 * Request. Returns the length, or -1 after a usage error was printed (*status). */
static long build_request(int identity, int nargs, char **args, uint8_t **out, int *status)
{
	size_t cap = MIDI_IDENTITY_REQUEST_LEN;
	for (int i = 0; i < nargs; i++)
		cap += strlen(args[i]) / 2 + 1;
	uint8_t *b = malloc(cap);
	size_t n = 0;
	midi_error e = {0};
	if (!b) {
		midi_error_sys(&e, ENOMEM, "out of memory");
		*status = cli_report(&e);
		return -1;
	}
	*out = b;
	if (identity) {
		unsigned dev = MIDI_SYSEX_ALL_CALL;
		if (nargs > 1) {
			*status = cli_usage_error("--identity takes at most one DEVICE_ID");
			return -1;
		}
		if (nargs == 1) {
			size_t k = 0;
			uint8_t d[1];
			if (midi_hex_bytes(args[0], d, 1, &k, &e) < 0 || k != 1 || d[0] > 0x7F) {
				*status = cli_usage_error("invalid device id '%s' (expected hex 00-7F; 7F = all)",
							  args[0]);
				return -1;
			}
			dev = d[0];
		}
		return (long)midi_identity_request(dev, b);
	}
	if (nargs == 0) {
		*status = cli_usage_error("request needs the message as hex bytes (F0 ... F7) or --identity");
		return -1;
	}
	for (int i = 0; i < nargs; i++) {
		if (midi_hex_bytes(args[i], b, cap, &n, &e) < 0) {
			*status = cli_usage_error("argument %d: %s", i + 1, e.msg);
			return -1;
		}
	}
	midi_syx_msg *m;
	long count = midi_syx_split(b, n, &m, &e);
	free(count > 0 ? m : NULL);
	if (count != 1) {
		if (count > 1)
			snprintf(e.msg, sizeof e.msg, "%ld messages; give one", count);
		*status = cli_usage_error("the request must be one SysEx message F0 ... F7: %s", e.msg);
		return -1;
	}
	return (long)n;
}

static void print_identity(FILE *out, const uint8_t *payload, size_t len)
{
	unsigned dev;
	midi_stream_identity id;
	if (midi_identity_reply_parse(payload, len, &dev, &id) < 0)
		return;
	fprintf(out, "device id: %02X\n", dev);
	if (id.manufacturer[0] == 0)
		fprintf(out, "manufacturer: 00 %02X %02X\n", id.manufacturer[1], id.manufacturer[2]);
	else
		fprintf(out, "manufacturer: %02X\n", id.manufacturer[0]);
	fprintf(out, "family: %u (%02X %02X)\n", id.family, id.family & 0x7F, id.family >> 7);
	fprintf(out, "model: %u (%02X %02X)\n", id.model, id.model & 0x7F, id.model >> 7);
	fprintf(out, "version: %02X %02X %02X %02X\n", id.version[0], id.version[1], id.version[2],
		id.version[3]);
}

/* Is this the reply we wait for? */
static int is_reply(const uint8_t *req, size_t req_len, int identity, const uint8_t *data, size_t len)
{
	if (identity) {
		unsigned dev, want = req[2];
		midi_stream_identity id;
		if (midi_identity_reply_parse(data, len, &dev, &id) < 0)
			return 0;
		return want == MIDI_SYSEX_ALL_CALL || dev == want || dev == MIDI_SYSEX_ALL_CALL;
	}
	/* Our own request coming back (a thru, an echo) is not the reply. */
	return !(len == req_len - 2 && !memcmp(data, req + 1, len));
}

int sx_request(int argc, char **argv)
{
	static const struct option opts[] = {
		{"endpoint", required_argument, 0, 'e'}, {"timeout", required_argument, 0, 't'},
		{"output", required_argument, 0, 'o'},   {"format", required_argument, 0, 'f'},
		{"group", required_argument, 0, 'g'},    {"identity", no_argument, 0, 'I'},
		{"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
	};
	const char *ep_opt = NULL, *path = NULL;
	enum sx_format fmt = SX_FMT_DEFAULT;
	unsigned long group = 1;
	double seconds = SX_DEFAULT_REQUEST_TIMEOUT;
	int identity = 0, c, f, status = 0;
	midi_error e = {0};

	optind = 0; /* full reinitialisation: options may follow arguments */
	while ((c = getopt_long(argc, argv, "e:t:o:f:g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e': ep_opt = optarg; break;
		case 't':
			if (cli_seconds(optarg, "timeout", &seconds) < 0)
				return EXIT_USAGE;
			break;
		case 'o': path = optarg; break;
		case 'f':
			if ((f = sx_parse_format(optarg)) < 0)
				return cli_usage_error("unknown output format '%s' (expected hex or bin)", optarg);
			fmt = (enum sx_format)f;
			break;
		case 'g':
			if (cli_uint(optarg, 1, 16, "group", &group) < 0)
				return EXIT_USAGE;
			break;
		case 'I': identity = 1; break;
		case 'h': sx_usage(stdout); return 0;
		default: return cli_bad_option(argv, "e:t:o:f:g:h", "request");
		}
	}
	uint8_t *req = NULL;
	long req_len = build_request(identity, argc - optind, argv + optind, &req, &status);
	if (req_len < 0) {
		free(req);
		return status;
	}
	const char *spec = cli_endpoint(ep_opt);
	if (!spec) {
		free(req);
		return cli_usage_error("no endpoint: use -e SPEC or set MIDI_ENDPOINT");
	}
	FILE *out = sx_open_output(path, &fmt, 1, &status);
	if (!out) {
		free(req);
		return status;
	}
	struct sx_recv *r = calloc(1, sizeof *r);
	struct packets *ps = calloc(1, sizeof *ps);
	if (!r || !ps) {
		free(r);
		free(ps);
		free(req);
		sx_close_output(out, path);
		midi_error_sys(&e, ENOMEM, "out of memory");
		return cli_report(&e);
	}
	sx_signals_init(r);
	/* Listen first, so that no reply can come before we look. */
	if (sx_recv_open(r, spec, (uint16_t)(1u << (group - 1)), &e) < 0) {
		status = cli_report(&e);
		goto out;
	}
	ps->conn = r->conn;
	ps->e = &e;
	int sr = midi_sysex7_chunk((unsigned)group - 1, req + 1, (size_t)req_len - 2, put_packet, ps);
	if (sr == 0 && ps->n)
		sr = midi_send(ps->conn, ps->p, ps->n, &e);
	if (sr == 0)
		sr = midi_flush(ps->conn, 10000, &e);
	if (sr < 0) {
		status = cli_report(&e);
		goto close;
	}

	uint64_t deadline = cli_now_ns() + (uint64_t)llround(seconds * 1e9);
	for (;;) {
		unsigned kind, g;
		const uint8_t *data;
		size_t len;
		int k = sx_next(r, deadline ? deadline : 1, &kind, &g, &data, &len, &e);
		if (k < 0) {
			status = cli_report(&e);
			break;
		}
		if (k == 0) {
			if (sx_stopped()) {
				cli_warn("interrupted before a reply came");
				status = EXIT_RUNTIME;
			} else {
				cli_warn("no %s from %s within %g s", identity ? "Identity Reply" : "SysEx reply",
					 midi_conn_info(r->conn)->id, seconds);
				status = EXIT_TIMEOUT;
			}
			break;
		}
		if (kind != 7 || !is_reply(req, (size_t)req_len, identity, data, len))
			continue;
		if (sx_write_msg(out, fmt, data, len) == 0 && identity)
			print_identity(fmt == SX_FMT_HEX ? out : stderr, data, len);
		break;
	}
	if (!status && r->lost)
		status = EXIT_LOST;
close:
	sx_recv_close(r);
out:
	{
		int st = sx_close_output(out, path);
		if (st && (!status || status == EXIT_LOST))
			status = st;
	}
	free(r);
	free(ps);
	free(req);
	return status;
}
