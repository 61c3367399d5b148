/* midi-loop: manage loopback pairs (create, remove, list) and measure round
 * trips through diag:ping (ping). Front end only: the loopbacks and the
 * broker are in libmidi. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "midi/endpoint.h"

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
		"  ping [OPTIONS]          round trips through diag:ping:\n"
		"    -c, --count N         pings to send (default 100)\n"
		"    -i, --interval MS     milliseconds between pings (default 10)\n"
		"    -W, --wait MS         how long to wait for each reply (default 1000)\n\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n\n"
		"Examples:\n"
		"  %s create studio && midi-list\n"
		"  %s ping -c 1000 -i 1\n"
		"  %s remove studio\n"
		"See midi-loop(1).\n",
		cli_prog, cli_prog, cli_prog, cli_prog);
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
	uint32_t w0 = 0x30067D00u | (uint32_t)((seq >> 28) & 0x7F);
	uint32_t w1 = (uint32_t)((seq >> 21) & 0x7F) << 24 | (uint32_t)((seq >> 14) & 0x7F) << 16 |
		      (uint32_t)((seq >> 7) & 0x7F) << 8 | (uint32_t)(seq & 0x7F);
	return midi_ump_make(w0, w1, 0, 0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static uint64_t percentile(const uint64_t *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;
	return v[rank ? rank - 1 : 0];
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
		{"wait", required_argument, 0, 'W'},  {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	unsigned long count = 100, interval_ms = 10, wait_ms = 1000;
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
		case 'h': usage(stdout); return 0;
		default: return cli_usage_error("invalid option for ping");
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
	for (unsigned long seq = 0; seq < count; seq++) {
		if (seq)
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
		if (r)
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
		qsort(rtt, got, sizeof *rtt, cmp_u64);
		printf("round trip (us): min %.1f  median %.1f  p99 %.1f  max %.1f\n", rtt[0] / 1e3,
		       percentile(rtt, got, 50) / 1e3, percentile(rtt, got, 99) / 1e3, rtt[got - 1] / 1e3);
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

int main(int argc, char **argv)
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
		default: return cli_usage_error("invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("missing command (create, remove, list or ping)");
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
	return cli_usage_error("unknown command '%s' (expected create, remove, list or ping)", cmd);
}
