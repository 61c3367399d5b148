/* nethost.c: `midi-loop net-host ENDPOINT [OPTIONS]`: serve ENDPOINT to
 * Network MIDI 2.0 (UDP) clients until SIGINT or SIGTERM (midi/net.h does
 * the work). Prints "serving ENDPOINT on udp port N" once ready, then one
 * line per session opened or closed and about DNS-SD advertising (unless
 * --no-advertise), on standard error. Built where the
 * library has Network MIDI 2.0 (nettle). */
#include "nethost.h"

#include "../cli.h"

#ifdef MIDI_HAVE_NETTLE
#include "midi/net.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define NH_MAX_LIST 32

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static void log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "midi-loop: %s\n", line);
}

int cmd_net_host(int argc, char **argv)
{
	enum { OPT_NAME = 256, OPT_PIID, OPT_SECRET, OPT_USER, OPT_ALLOW, OPT_FEC, OPT_MAX, OPT_NOADV };
	static const struct option opts[] = {
		{"listen", required_argument, 0, 'l'}, {"port", required_argument, 0, 'p'},
		{"name", required_argument, 0, OPT_NAME}, {"product-instance-id", required_argument, 0, OPT_PIID},
		{"secret", required_argument, 0, OPT_SECRET}, {"user", required_argument, 0, OPT_USER},
		{"allow", required_argument, 0, OPT_ALLOW}, {"fec", required_argument, 0, OPT_FEC},
		{"max-sessions", required_argument, 0, OPT_MAX},
		{"no-advertise", no_argument, 0, OPT_NOADV}, {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	static const char *users[NH_MAX_LIST], *allow[NH_MAX_LIST];
	static char listen[300];
	midi_net_host_opts o = {.users = users, .allow = allow};
	unsigned long v;
	const char *addr = NULL, *port = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "l:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': addr = optarg; break;
		case 'p':
			if (cli_uint(optarg, 0, 65535, "port", &v) < 0)
				return 2;
			port = optarg;
			break;
		case OPT_NAME: o.name = optarg; break;
		case OPT_PIID: o.piid = optarg; break;
		case OPT_SECRET: o.secret = optarg; break;
		case OPT_USER:
			if (o.nusers == NH_MAX_LIST)
				return cli_usage_error("more than %d --user", NH_MAX_LIST);
			users[o.nusers++] = optarg;
			break;
		case OPT_ALLOW:
			if (o.nallow == NH_MAX_LIST)
				return cli_usage_error("more than %d --allow", NH_MAX_LIST);
			allow[o.nallow++] = optarg;
			break;
		case OPT_FEC:
			if (cli_uint(optarg, 0, 16, "fec", &v) < 0)
				return 2;
			o.fec = v ? (unsigned)v : 0xFFFFu; /* 0: none */
			break;
		case OPT_MAX:
			if (cli_uint(optarg, 1, 64, "max-sessions", &v) < 0)
				return 2;
			o.max_sessions = (unsigned)v;
			break;
		case OPT_NOADV: o.no_advertise = 1; break;
		case 'h':
			printf("Usage: midi-loop net-host ENDPOINT [-l ADDR] [-p PORT] [--name TEXT]\n"
			       "       [--secret S | --user USER:PASSWORD...] [--allow NAME...] [--fec N]\n"
			       "       [--max-sessions N] [--no-advertise]\n"
			       "See midi-loop(1).\n");
			return 0;
		default: return cli_bad_option(argv, "l:p:h", "net-host");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("net-host takes one ENDPOINT");
	o.endpoint = argv[optind];
	if (addr && strchr(addr, ':') && addr[0] != '[')
		snprintf(listen, sizeof listen, "[%s]%s%s", addr, port ? ":" : "", port ? port : "");
	else
		snprintf(listen, sizeof listen, "%s%s%s", addr ? addr : "", port ? ":" : "", port ? port : "");
	o.listen = listen;
	o.log = log_line;

	sigset_t waitmask;
	cli_stop_signals(on_signal, &waitmask);
	midi_error e = {0};
	midi_net_host *h = midi_net_host_open(&o, &e);
	if (!h)
		return cli_report(&e);
	fprintf(stderr, "midi-loop: serving %s on udp port %u\n", o.endpoint, midi_net_host_port(h));
	int st = 0;
	while (!stop && !cli_stop_pending()) {
		if (midi_net_host_step(h, 200, &e) < 0) {
			st = cli_report(&e);
			break;
		}
	}
	midi_net_host_close(h);
	return st;
}
#else
int cmd_net_host(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_usage_error("net-host: this build has no Network MIDI 2.0 (built without nettle)");
}
#endif
