/* midi-loop: manage loopback pairs (create, remove, list), host a virtual
 * device while it runs (virtual: standard input to its clients, what they
 * send to standard output), measure round trips through diag:ping (ping)
 * and test a path from one endpoint to another (test, in
 * cmd/midi-loop/test.c). Front end only: the loopbacks, virtual devices,
 * discovery, the loop test and the broker are in libmidi. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "midi/discovery.h"
#include "midi/endpoint.h"
#include "midi/format.h"
#include "midi/looptest.h"
#include "midi/translate.h"
#include "midi/virt.h"
#include "midi-loop/nethost.h"
#include "midi-loop/route.h"
#include "midi-loop/test.h"

#define PING_ENDPOINT "diag:ping"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s COMMAND [ARGS]\n"
		"Manage loopback endpoint pairs and measure round trips.\n\n"
		"Commands:\n"
		"  create NAME             make loop:NAME-a and loop:NAME-b (sent to one is\n"
		"                          received on the other) until removed\n"
		"  remove NAME             remove the pair; its clients see it closed\n"
		"  list                    the pairs: name, ids, transient or persistent\n"
		"  route NAME FROM TO [OPTIONS]  a lasting route: what arrives on endpoint\n"
		"                          FROM is sent to endpoint TO (as aconnect FROM TO),\n"
		"                          kept with no program running until unrouted\n"
		"    -F, --filter TYPES    message types that pass (note,cc; -clock; ...)\n"
		"        --groups LIST     groups that pass (1-4,10)\n"
		"        --channels LIST   channels that pass\n"
		"    -g, --group A:B       map group A to B (1:3,2:4; *:B every group)\n"
		"    -c, --channel A:B     map channel A to B\n"
		"    -P, --protocol P      translate channel voice messages to midi1 or midi2\n"
		"  unroute NAME            remove a route made with route\n"
		"  routes [--json]         the routes: name, ends, kind, state, options\n"
		"  virtual NAME [OPTIONS]  host the virtual device virt:NAME while running:\n"
		"                          standard input goes to its clients, what they\n"
		"                          send comes out on standard output\n"
		"    -f, --format FMT      text (default), ump, hex, bin or json (output only)\n"
		"        --input-format FMT  format of standard input (default: as -f; text\n"
		"                          with -f json)\n"
		"        --name TEXT       Endpoint Name it declares (default NAME; <= 98 bytes)\n"
		"        --function-block SPEC  a function block, repeatable (up to 32):\n"
		"                          name=TEXT,groups=1-4,dir=in|out|bi,\n"
		"                          midi1=no|yes|restricted,ui=unknown|receiver|sender|both,\n"
		"                          active=yes|no,ci=N,sysex8=N\n"
		"        --product-instance-id ID  (<= 42 bytes)\n"
		"        --identity MMMMMM:FFFF:MMMM:VVVVVVVV  device identity, in hex\n"
		"        --protocol P      the only protocol it speaks: midi1 or midi2\n"
		"                          (default both, MIDI 2.0 in use)\n"
		"        --jr              JR timestamps both ways (supported and in use)\n"
		"        --silent          never answer discovery (for testing timeouts)\n"
		"        --exit-on-eof     stop at the end of standard input\n"
		"  ping [OPTIONS]          round trips through diag:ping:\n"
		"    -c, --count N         pings to send (default 100)\n"
		"    -i, --interval MS     milliseconds between pings (default 10)\n"
		"    -W, --wait MS         how long to wait for each reply (default 1000)\n"
		"        --warm-up N       round trips first, not counted (default 1)\n"
		"  test OUT IN [OPTIONS]   send numbered messages out through endpoint OUT\n"
		"                          and check them coming back on endpoint IN: loss,\n"
		"                          reordering, duplicates, latency and jitter\n"
		"    -c, --count N         messages to send (default 1000)\n"
		"    -i, --interval MS     milliseconds between messages (default 1; 0 = as\n"
		"                          fast as the window allows)\n"
		"    -w, --window N        at most N messages in flight (default 8 with -i 0)\n"
		"        --kind KIND       sysex (default), note or ump\n"
		"    -g, --group N         group 1-16 to send on (default 1)\n"
		"        --settle MS       how long a message may take to come back\n"
		"                          (default 1000)\n"
		"    -t, --timeout SECONDS stop sending after SECONDS\n"
		"        --max-loss N      pass with up to N messages lost (default 0)\n"
		"        --max-latency-us N  fail (status 1) if a latency exceeds N us\n"
		"        --warm-up N       messages first, not counted (default 0)\n"
		"        --json            the report as one line of JSON\n"
		"  net-host ENDPOINT [OPTIONS]  serve ENDPOINT to Network MIDI 2.0 (UDP)\n"
		"                          clients while running (they reach it as\n"
		"                          net:THISHOST:PORT)\n"
		"    -l, --listen ADDR     address to listen on (default every address)\n"
		"    -p, --port N          UDP port (default 5673; 0 = any free one)\n"
		"        --name TEXT       UMP Endpoint Name told to clients\n"
		"        --secret S        clients must prove the shared secret S\n"
		"        --user USER:PASSWORD  clients must log in (repeatable)\n"
		"        --allow NAME      admit only clients of this endpoint name or\n"
		"                          product instance id (repeatable)\n"
		"        --fec N           UMP Data repeated per datagram (default 2; 0 none)\n"
		"        --max-sessions N  clients at once (default 16)\n"
		"        --no-advertise    no DNS-SD (_midi2._udp) advertising through\n"
		"                          avahi-daemon\n\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n\n"
		"Examples:\n"
		"  %s create studio && midi-list\n"
		"  %s virtual synth --function-block name=Keys,groups=1-2 -f ump\n"
		"  %s ping -c 1000 -i 1\n"
		"  %s test diag:loopback-a diag:loopback-b -c 500 --json\n"
		"  %s remove studio\n"
		"  %s route keys diag:loopback-b loop:studio-a -c 1:10\n"
		"See midi-loop(1).\n",
		cli_prog, cli_prog, cli_prog, cli_prog, cli_prog, cli_prog, cli_prog);
}

static int cmd_create(const char *name)
{
	midi_error e = {0};
	if (midi_loop_create(name, &e) < 0)
		return cli_report(&e);
	printf("loop:%s-a loop:%s-b\n", name, name);
	return 0;
}

static int cmd_remove(const char *name)
{
	midi_error e = {0};
	if (midi_loop_remove(name, &e) < 0)
		return cli_report(&e);
	return 0;
}

static int cmd_list(void)
{
	midi_error e = {0};
	char **names = NULL;
	int *persistent = NULL;
	size_t n = 0;
	if (midi_loop_list(&names, &persistent, &n, &e) < 0)
		return cli_report(&e);
	int w = 4, wid = 1; /* "NAME", "A"; an id is "loop:" + name + "-a" */
	for (size_t i = 0; i < n; i++) {
		int len = (int)strlen(names[i]);
		if (len > w)
			w = len;
		if (len + 7 > wid)
			wid = len + 7;
	}
	printf("%-*s  %-*s  %-*s  %s\n", w, "NAME", wid, "A", wid, "B", "KIND");
	for (size_t i = 0; i < n; i++) {
		char a[MIDI_ID_MAX + 8], b[MIDI_ID_MAX + 8];
		snprintf(a, sizeof a, "loop:%s-a", names[i]);
		snprintf(b, sizeof b, "loop:%s-b", names[i]);
		printf("%-*s  %-*s  %-*s  %s\n", w, names[i], wid, a, wid, b,
		       persistent && persistent[i] ? "persistent" : "transient");
		free(names[i]);
	}
	free(names);
	free(persistent);
	if (fflush(stdout) != 0) {
		midi_error_sys(&e, errno, "writing standard output");
		return cli_report(&e);
	}
	return 0;
}

/* A ping: a SysEx7 Complete packet for the non-commercial manufacturer id
 * 0x7D carrying a 35-bit sequence number in five 7-bit bytes. */
static midi_ump ping_packet(uint64_t seq)
{
	const uint8_t b[6] = {0x7D, (seq >> 28) & 0x7F, (seq >> 21) & 0x7F, (seq >> 14) & 0x7F,
			      (seq >> 7) & 0x7F, seq & 0x7F};
	midi_ump p;
	midi_sysex7_packets(0, b, sizeof b, &p, 1);
	return p;
}

/* Wait for the reply to seq until deadline; 1 if it came, 0 if not,
 * negative status on error (e filled). Other packets are skipped. */
static int await_reply(midi_conn *c, const midi_ump *want, uint64_t deadline, midi_error *e)
{
	midi_packet in[64];
	for (;;) {
		uint64_t now = cli_now_ns();
		if (now >= deadline)
			return 0;
		int ms = (int)((deadline - now + 999999) / 1000000);
		int n = midi_recv(c, in, 64, ms, e);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			if (in[i].ump.w[0] == want->w[0] && in[i].ump.w[1] == want->w[1])
				return 1;
	}
}

static int cmd_ping(int argc, char **argv)
{
	static const struct option opts[] = {
		{"count", required_argument, 0, 'c'}, {"interval", required_argument, 0, 'i'},
		{"wait", required_argument, 0, 'W'},  {"warm-up", required_argument, 0, 'U'},
		{"help", no_argument, 0, 'h'},        {0, 0, 0, 0},
	};
	unsigned long count = 100, interval_ms = 10, wait_ms = 1000, warm = 1;
	midi_error e = {0};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:i:W:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (cli_uint(optarg, 1, 10000000, "count", &count) < 0)
				return EXIT_USAGE;
			break;
		case 'i':
			if (cli_uint(optarg, 0, 60000, "interval", &interval_ms) < 0)
				return EXIT_USAGE;
			break;
		case 'W':
			if (cli_uint(optarg, 1, 600000, "wait", &wait_ms) < 0)
				return EXIT_USAGE;
			break;
		case 'U':
			if (cli_uint(optarg, 0, 10000, "warm-up", &warm) < 0)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return 0;
		default: return cli_bad_option(argv, "c:i:W:h", "ping");
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s' for ping", argv[optind]);

	uint64_t *rtt = malloc(count * sizeof *rtt);
	if (!rtt) {
		midi_error_sys(&e, ENOMEM, "cannot keep %lu round-trip times", count);
		return cli_report(&e);
	}
	midi_conn *conn = midi_open(PING_ENDPOINT, 0, &e);
	if (!conn) {
		free(rtt);
		return cli_report(&e);
	}
	size_t got = 0;
	int status = 0;
	uint64_t next = cli_now_ns();
	/* The warm-up round trips come first, at the same interval, and are
	 * not counted: the first of a fresh process pays for its first use of
	 * each page (and for starting the host, if it was not running), which
	 * is not the path's time. Their numbers (bit 34 set) never match a
	 * counted one, so a late reply to one is skipped. */
	for (unsigned long k = 0; k < warm + count; k++) {
		int warming = k < warm;
		uint64_t seq = warming ? (1ull << 34) | k : k - warm;
		if (k)
			cli_sleep_until(next);
		midi_ump u = ping_packet(seq);
		uint64_t t0 = cli_now_ns();
		next = t0 + interval_ms * 1000000ull;
		if (midi_send_ump(conn, &u, &e) < 0) {
			status = cli_report(&e);
			break;
		}
		int r = await_reply(conn, &u, t0 + wait_ms * 1000000ull, &e);
		if (r < 0) {
			status = cli_report(&e);
			break;
		}
		if (r && !warming)
			rtt[got++] = cli_now_ns() - t0;
	}
	uint64_t lost_msgs = midi_conn_lost(conn);
	midi_close(conn);
	if (status) {
		free(rtt);
		return status;
	}

	unsigned long lost = count - got;
	printf("%s: %lu sent, %zu received, %lu lost\n", PING_ENDPOINT, count, got, lost);
	if (got) {
		midi_latency_stats st;
		if (midi_latency_stats_of(rtt, got, &st, &e) < 0) {
			free(rtt);
			return cli_report(&e);
		}
		printf("round trip (us): min %.1f  median %.1f  p99 %.1f  max %.1f\n", st.min / 1e3,
		       st.median / 1e3, st.p99 / 1e3, st.max / 1e3);
	}
	free(rtt);
	if (fflush(stdout) != 0) {
		midi_error_sys(&e, errno, "writing standard output");
		return cli_report(&e);
	}
	if (lost_msgs)
		cli_warn("the reply stream lost %llu messages", (unsigned long long)lost_msgs);
	if (lost) {
		cli_warn("%lu of %lu pings got no reply within %lu ms", lost, count, wait_ms);
		return EXIT_TIMEOUT;
	}
	return 0;
}

/* ---- virtual: host a virtual device ---- */

/* One value of a function block SPEC, up to an unescaped ',' ("\," and
 * "\\" stand for ',' and '\'). *sp moves past it; the value is written into
 * out (cap bytes); returns its length, or -1 if it does not fit. */
static long spec_value(const char **sp, char *out, size_t cap)
{
	const char *s = *sp;
	size_t n = 0;
	long over = 0;
	for (; *s && *s != ','; s++) {
		if (*s == '\\' && (s[1] == ',' || s[1] == '\\'))
			s++;
		if (n + 1 < cap)
			out[n++] = *s;
		else
			over = 1;
	}
	out[n] = 0;
	*sp = *s == ',' ? s + 1 : s;
	return over ? -1 : (long)n;
}

/* Index of word in the NULL-terminated list names (any case), else -1. */
static int word_index(const char *word, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (!strcasecmp(word, names[i]))
			return i;
	return -1;
}

/* "N" or "N-M", 1-16: *first 0-15 and *num. */
static int parse_groups(const char *v, uint8_t *first, uint8_t *num)
{
	char *end;
	unsigned long a = strtoul(v, &end, 10), b = a;
	if (end == v)
		return -1;
	if (*end == '-') {
		const char *w = end + 1;
		b = strtoul(w, &end, 10);
		if (end == w)
			return -1;
	}
	if (*end || a < 1 || b > 16 || b < a)
		return -1;
	*first = (uint8_t)(a - 1);
	*num = (uint8_t)(b - a + 1);
	return 0;
}

/* A function block from SPEC (see usage and midi-loop(1)) into fb[index].
 * Usage errors name the block (1-based) and what was wrong; returns 0 or 2. */
static int parse_function_block(const char *spec, unsigned index, midi_function_block *fb)
{
	static const char *const dirs[] = {"", "in", "out", "bi", NULL};
	static const char *const dirs_long[] = {"", "input", "output", "bidirectional", NULL};
	static const char *const midi1s[] = {"no", "yes", "restricted", NULL};
	static const char *const uis[] = {"unknown", "receiver", "sender", "both", NULL};
	static const char *const yesno[] = {"no", "yes", NULL};
	unsigned n = index + 1;

	memset(fb, 0, sizeof *fb);
	fb->index = (uint8_t)index;
	fb->active = 1;
	fb->direction = 3;
	fb->num_groups = 1;
	fb->ui_hint = 3;
	if (!*spec)
		return cli_usage_error("function block %u: empty SPEC", n);
	for (const char *s = spec; *s;) {
		const char *eq = strchr(s, '=');
		size_t klen = eq ? (size_t)(eq - s) : 0;
		const char *comma = strchr(s, ',');
		if (!eq || (comma && comma < eq) || klen == 0 || klen > 15)
			return cli_usage_error("function block %u: expected KEY=VALUE at '%s'", n, s);
		char key[16];
		memcpy(key, s, klen);
		key[klen] = 0;
		s = eq + 1;
		char val[4 * MIDI_UMP_FB_NAME_MAX];
		long len = spec_value(&s, val, sizeof val);
		int i;
		unsigned long num;
		char *end;
		if (!strcasecmp(key, "name")) {
			if (len < 0 || len > MIDI_UMP_FB_NAME_MAX)
				return cli_usage_error("function block %u: name is longer than %d bytes", n,
						       MIDI_UMP_FB_NAME_MAX);
			memcpy(fb->name, val, (size_t)len + 1);
			continue;
		}
		if (len < 0)
			return cli_usage_error("function block %u: %s value too long", n, key);
		if (!strcasecmp(key, "groups")) {
			if (parse_groups(val, &fb->first_group, &fb->num_groups) < 0)
				return cli_usage_error("function block %u: groups '%s' is not N or N-M within 1-16",
						       n, val);
		} else if (!strcasecmp(key, "dir")) {
			if ((i = word_index(val, dirs)) < 1 && (i = word_index(val, dirs_long)) < 1)
				return cli_usage_error("function block %u: dir '%s' is not in, out or bi", n, val);
			fb->direction = (uint8_t)i;
		} else if (!strcasecmp(key, "midi1")) {
			if ((i = word_index(val, midi1s)) < 0)
				return cli_usage_error("function block %u: midi1 '%s' is not no, yes or restricted",
						       n, val);
			fb->midi1 = (uint8_t)i;
		} else if (!strcasecmp(key, "ui")) {
			if ((i = word_index(val, uis)) < 0)
				return cli_usage_error("function block %u: ui '%s' is not unknown, receiver, sender or both",
						       n, val);
			fb->ui_hint = (uint8_t)i;
		} else if (!strcasecmp(key, "active")) {
			if ((i = word_index(val, yesno)) < 0)
				return cli_usage_error("function block %u: active '%s' is not yes or no", n, val);
			fb->active = (uint8_t)i;
		} else if (!strcasecmp(key, "ci") || !strcasecmp(key, "sysex8")) {
			num = strtoul(val, &end, 10);
			if (!*val || *end || num > 255)
				return cli_usage_error("function block %u: %s '%s' is not a number 0-255", n, key, val);
			if (key[0] == 'c' || key[0] == 'C')
				fb->ci_version = (uint8_t)num;
			else
				fb->sysex8_streams = (uint8_t)num;
		} else {
			return cli_usage_error("function block %u: unknown key '%s' (expected name, groups, dir, midi1, ui, active, ci or sysex8)",
					       n, key);
		}
	}
	return 0;
}

/* Exactly digits hex digits from s into *out; 0 or -1. */
static int hex_field(const char *s, int digits, unsigned long *out)
{
	unsigned long v = 0;
	for (int i = 0; i < digits; i++) {
		int c = s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | (unsigned long)d;
	}
	*out = v;
	return 0;
}

/* MMMMMM:FFFF:MMMM:VVVVVVVV (hex): manufacturer bytes, family, model,
 * version bytes. Ranges are checked with the rest of the declaration. */
static int parse_identity(const char *s, midi_device_decl *d)
{
	unsigned long m, f, mo, v;
	if (strlen(s) != 25 || s[6] != ':' || s[11] != ':' || s[16] != ':' || hex_field(s, 6, &m) ||
	    hex_field(s + 7, 4, &f) || hex_field(s + 12, 4, &mo) || hex_field(s + 17, 8, &v))
		return cli_usage_error("identity '%s' is not MMMMMM:FFFF:MMMM:VVVVVVVV in hex", s);
	d->has_identity = 1;
	for (int i = 0; i < 3; i++)
		d->identity_manufacturer[i] = (uint8_t)(m >> (16 - 8 * i));
	d->identity_family = (uint16_t)f;
	d->identity_model = (uint16_t)mo;
	for (int i = 0; i < 4; i++)
		d->identity_version[i] = (uint8_t)(v >> (24 - 8 * i));
	return 0;
}

static volatile sig_atomic_t virt_stop;

static void on_virt_signal(int sig)
{
	virt_stop = sig;
}

#define VIRT_BATCH 256

struct virt_host {
	midi_virt *v;
	midi_packet out[VIRT_BATCH]; /* read from standard input, not yet sent */
	size_t nout;
	midi_error err;
	int failed;
};

static int virt_flush(struct virt_host *h)
{
	if (h->nout && midi_virt_send(h->v, h->out, h->nout, &h->err) < 0) {
		h->failed = 1;
		return -1;
	}
	h->nout = 0;
	return 0;
}

/* Reader callback: queue for the clients, now (time offsets are ignored). */
static int virt_on_input(void *ctx, const midi_packet *p)
{
	struct virt_host *h = ctx;
	h->out[h->nout].time_ns = 0;
	h->out[h->nout].ump = p->ump;
	if (++h->nout == VIRT_BATCH)
		return virt_flush(h);
	return 0;
}

static int parse_io_format(const char *name, int output, midi_format *fmt)
{
	midi_error e = {0};
	if (midi_format_parse_name(name, fmt, &e) < 0 || *fmt == MIDI_FMT_SMF ||
	    (!output && *fmt == MIDI_FMT_JSON))
		return cli_usage_error(output ? "unknown format '%s' (expected text, ump, hex, bin or json)"
					      : "unknown input format '%s' (expected text, ump, hex or bin)",
				       name);
	return 0;
}

enum { OPT_NAME = 256, OPT_FB, OPT_PIID, OPT_IDENTITY, OPT_PROTOCOL, OPT_SILENT, OPT_EXIT_EOF, OPT_INFMT,
       OPT_JR };

/* Parse the options of `virtual` into decl. Returns 0 or an exit status. */
static int virtual_options(int argc, char **argv, midi_device_decl *decl, midi_format *fmt,
			   midi_format *infmt, int *exit_on_eof)
{
	static const struct option opts[] = {
		{"format", required_argument, 0, 'f'},
		{"input-format", required_argument, 0, OPT_INFMT},
		{"name", required_argument, 0, OPT_NAME},
		{"function-block", required_argument, 0, OPT_FB},
		{"product-instance-id", required_argument, 0, OPT_PIID},
		{"identity", required_argument, 0, OPT_IDENTITY},
		{"protocol", required_argument, 0, OPT_PROTOCOL},
		{"silent", no_argument, 0, OPT_SILENT},
		{"jr", no_argument, 0, OPT_JR},
		{"exit-on-eof", no_argument, 0, OPT_EXIT_EOF},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	static midi_function_block fbs[MIDI_FB_MAX];
	const char *ep_name = NULL, *piid = NULL, *identity = NULL;
	unsigned nfb = 0;
	int protocol = 0, silent = 0, jr = 0, have_infmt = 0, c, st;

	optind = 0; /* full reinitialisation: options may follow NAME */
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((st = parse_io_format(optarg, 1, fmt)))
				return st;
			break;
		case OPT_INFMT:
			if ((st = parse_io_format(optarg, 0, infmt)))
				return st;
			have_infmt = 1;
			break;
		case OPT_NAME: ep_name = optarg; break;
		case OPT_FB:
			if (nfb == MIDI_FB_MAX)
				return cli_usage_error("more than %d function blocks", MIDI_FB_MAX);
			if ((st = parse_function_block(optarg, nfb, &fbs[nfb])))
				return st;
			nfb++;
			break;
		case OPT_PIID: piid = optarg; break;
		case OPT_IDENTITY: identity = optarg; break;
		case OPT_PROTOCOL:
			if (!strcasecmp(optarg, "midi1") || !strcmp(optarg, "1"))
				protocol = 1;
			else if (!strcasecmp(optarg, "midi2") || !strcmp(optarg, "2"))
				protocol = 2;
			else
				return cli_usage_error("unknown protocol '%s' (expected midi1 or midi2)", optarg);
			break;
		case OPT_SILENT: silent = 1; break;
		case OPT_JR: jr = 1; break;
		case OPT_EXIT_EOF: *exit_on_eof = 1; break;
		case 'h': usage(stdout); return -1;
		default: return cli_bad_option(argv, "f:h", "virtual");
		}
	}
	if (optind >= argc)
		return cli_usage_error("virtual takes a NAME");
	const char *name = argv[optind];
	if (optind + 1 < argc)
		return cli_usage_error("unexpected argument '%s' for virtual", argv[optind + 1]);
	if (!have_infmt)
		*infmt = *fmt == MIDI_FMT_JSON ? MIDI_FMT_TEXT : *fmt;
	if (!ep_name)
		ep_name = name;
	if (strlen(ep_name) > MIDI_UMP_EP_NAME_MAX)
		return cli_usage_error("endpoint name is %zu bytes, longer than %d", strlen(ep_name),
				       MIDI_UMP_EP_NAME_MAX);
	if (piid && strlen(piid) > MIDI_UMP_PIID_MAX)
		return cli_usage_error("product instance id is %zu bytes, longer than %d", strlen(piid),
				       MIDI_UMP_PIID_MAX);

	midi_device_decl_init(decl, ep_name);
	if (nfb) {
		decl->num_function_blocks = (uint8_t)nfb;
		memcpy(decl->fb, fbs, nfb * sizeof fbs[0]);
	}
	if (piid)
		memcpy(decl->product_instance_id, piid, strlen(piid) + 1);
	if (identity && (st = parse_identity(identity, decl)))
		return st;
	if (protocol) {
		decl->protocols = (uint8_t)protocol;
		decl->protocol = (uint8_t)protocol;
	}
	decl->silent = (uint8_t)silent;
	/* --jr: JR timestamps supported both ways and in use from the start
	 * (a Stream Configuration Request may turn them off and on again). */
	decl->jr_rx = decl->jr_tx = decl->jr_rx_on = decl->jr_tx_on = (uint8_t)jr;
	midi_error e = {0};
	if (midi_device_decl_check(decl, &e) < 0)
		return cli_usage_error("%s", e.msg);
	return 0;
}

static int cmd_virtual(int argc, char **argv)
{
	midi_device_decl decl;
	midi_format fmt = MIDI_FMT_TEXT, infmt = MIDI_FMT_TEXT;
	int exit_on_eof = 0;
	int st = virtual_options(argc, argv, &decl, &fmt, &infmt, &exit_on_eof);
	if (st)
		return st < 0 ? 0 : st;
	const char *name = argv[optind];

	sigset_t waitmask;
	cli_stop_signals(on_virt_signal, &waitmask);

	midi_error e = {0};
	static struct virt_host h;
	midi_printer *pr = midi_printer_new(fmt, 0, 0, &e);
	midi_reader *rd = pr ? midi_reader_new(infmt, 0, &e) : NULL;
	h.v = rd ? midi_virt_open(name, &decl, &e) : NULL;
	int vfd = h.v ? midi_virt_fd(h.v, &e) : -1;
	if (vfd < 0) {
		st = cli_report(&e);
		if (h.v)
			midi_virt_close(h.v);
		midi_reader_free(rd);
		midi_printer_free(pr);
		return st;
	}
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

	midi_packet in[VIRT_BATCH];
	int stdin_open = 1, write_failed = 0, done = 0;
	st = 0;
	while (!done && !virt_stop) {
		int n = midi_virt_recv(h.v, in, VIRT_BATCH, 0, &e);
		if (n < 0) {
			fflush(stdout);
			st = cli_report(&e);
			break;
		}
		for (int i = 0; i < n && !write_failed; i++)
			if (midi_printer_put(pr, &in[i], stdout) < 0)
				write_failed = errno ? errno : EIO;
		if (write_failed)
			break;
		if (n > 0)
			continue;
		if (fflush(stdout) != 0) {
			write_failed = errno;
			break;
		}
		struct pollfd pfd[2] = {{.fd = vfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
		if (ppoll(pfd, stdin_open ? 2 : 1, NULL, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			midi_error_sys(&e, errno, "waiting for messages");
			st = cli_report(&e);
			break;
		}
		if (cli_stop_pending())
			break;
		if (!stdin_open || !(pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		char buf[65536];
		ssize_t r = read(0, buf, sizeof buf);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		int rc;
		if (r < 0) {
			midi_error_sys(&e, errno, "reading standard input");
			rc = -1;
		} else if (r == 0) {
			stdin_open = 0;
			rc = midi_reader_end(rd, virt_on_input, &h, &e);
			if (exit_on_eof)
				done = 1;
		} else {
			rc = midi_reader_feed(rd, buf, (size_t)r, virt_on_input, &h, &e);
		}
		/* What was accepted before an error still goes out. */
		int failed_before = h.failed;
		if (virt_flush(&h) < 0 || failed_before) {
			st = cli_report(&h.err);
			break;
		}
		if (rc != 0) {
			st = r < 0 ? cli_report(&e) : cli_report_in("standard input", &e);
			break;
		}
	}
	if (!write_failed && !st)
		midi_printer_end(pr, stdout);
	if (fflush(stdout) != 0 && !write_failed)
		write_failed = errno;
	midi_virt_close(h.v);
	midi_reader_free(rd);
	midi_printer_free(pr);
	if (write_failed && write_failed != EPIPE) {
		midi_error_sys(&e, write_failed, "writing standard output");
		return cli_report(&e);
	}
	return st;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},
		{0, 0, 0, 0},
	};
	int c;

	cli_init(argv[0]);
	/* Options before the command only; the command parses its own. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'V': cli_version(); return 0;
		default: return cli_bad_option(argv, "+h", NULL);
		}
	}
	if (optind >= argc)
		return cli_usage_error("missing command (create, remove, list, route, unroute, routes, "
				       "virtual, ping, test or net-host)");
	const char *cmd = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;

	if (!strcmp(cmd, "create") || !strcmp(cmd, "remove")) {
		if (nargs != 1)
			return cli_usage_error("%s takes one NAME", cmd);
		return cmd[0] == 'c' ? cmd_create(args[0]) : cmd_remove(args[0]);
	}
	if (!strcmp(cmd, "list")) {
		if (nargs != 0)
			return cli_usage_error("list takes no arguments");
		return cmd_list();
	}
	if (!strcmp(cmd, "ping"))
		return cmd_ping(argc - optind, argv + optind);
	if (!strcmp(cmd, "virtual"))
		return cmd_virtual(argc - optind, argv + optind);
	if (!strcmp(cmd, "test"))
		return cmd_test(argc - optind, argv + optind, usage);
	if (!strcmp(cmd, "net-host"))
		return cmd_net_host(argc - optind, argv + optind);
	if (!strcmp(cmd, "route"))
		return cmd_route(argc - optind, argv + optind);
	if (!strcmp(cmd, "unroute"))
		return cmd_unroute(argc - optind, argv + optind);
	if (!strcmp(cmd, "routes"))
		return cmd_routes(argc - optind, argv + optind);
	return cli_usage_error("unknown command '%s' (expected create, remove, list, route, unroute, "
			       "routes, virtual, ping, test or net-host)", cmd);
}

int main(int argc, char **argv)
{
	/* Every output path, --help included, ends here: see cli_finish_stdout. */
	return cli_finish_stdout(run(argc, argv));
}
