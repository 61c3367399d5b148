/* midi-sysex: SysEx to and from an endpoint: `send` .syx files (paced by
 * an interval and a byte rate), `capture` SysEx into a .syx file until a
 * count, an idle time or a timeout, `request` (send one message, print the
 * reply; the Identity Request built in). This file holds the usage text
 * and picks the command; the commands are in cmd/midi-sysex/. Front end
 * only: packets, reassembly, .syx parsing and the broker are in libmidi. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "midi-sysex/sysex_cmd.h"

void sx_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s send [OPTIONS] FILE...\n"
		"       %s capture [OPTIONS]\n"
		"       %s request [OPTIONS] HEXBYTES... | --identity [DEVICE_ID]\n"
		"Send, capture and request MIDI System Exclusive messages.\n\n"
		"Common options:\n"
		"  -e, --endpoint SPEC     endpoint id or name part (default $MIDI_ENDPOINT)\n"
		"  -g, --group N           group 1-16 (default 1; capture: a list, default all)\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n\n"
		"send: every message of each .syx FILE ('-' = standard input); all files are\n"
		"checked before anything is sent.\n"
		"  -i, --interval MS       at least MS milliseconds between messages (default %d)\n"
		"  -r, --rate BYTES        at most BYTES bytes per second, 0 = no limit\n"
		"                          (default %d, the MIDI 1.0 cable speed)\n"
		"  -8, --sysex8            send as SysEx8 (UMP MT5) instead of SysEx7\n"
		"  -n, --dry-run           print the UMP packets instead of sending them\n\n"
		"capture: SysEx received, as a .syx byte stream (never to a terminal).\n"
		"  -o, --output FILE       write to FILE (default standard output)\n"
		"  -f, --format FMT        bin (default) or hex (one message per line)\n"
		"  -c, --count N           stop after N messages\n"
		"      --idle SECONDS      stop when no SysEx came for SECONDS after the first\n"
		"  -t, --timeout SECONDS   stop after SECONDS (status 4 if -c N was not reached\n"
		"                          or nothing came)\n"
		"  -8, --sysex8            keep SysEx8 messages too (skipped by default)\n\n"
		"request: send one message, print the first SysEx reply.\n"
		"      --identity          send the Identity Request (to DEVICE_ID, hex, default\n"
		"                          7F = all) and decode the Identity Reply\n"
		"  -t, --timeout SECONDS   wait this long for the reply (default %g; status 4)\n"
		"  -o, --output FILE       write the reply to FILE (default standard output)\n"
		"  -f, --format FMT        hex (default on a terminal) or bin (default otherwise)\n\n"
		"Examples:\n"
		"  %s send -e synth patch.syx\n"
		"  %s capture -e synth --idle 2 -o dump.syx\n"
		"  %s request -e synth --identity\n"
		"See midi-sysex(1).\n",
		cli_prog, cli_prog, cli_prog, SX_DEFAULT_INTERVAL_MS, SX_DEFAULT_RATE,
		SX_DEFAULT_REQUEST_TIMEOUT, cli_prog, cli_prog, cli_prog);
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
		case 'h': sx_usage(stdout); return 0;
		case 'V': cli_version(); return 0;
		default: return cli_bad_option(argv, "+h", NULL);
		}
	}
	if (optind >= argc)
		return cli_usage_error("missing command (send, capture or request)");
	const char *cmd = argv[optind];
	int n = argc - optind;
	char **args = argv + optind;
	if (!strcmp(cmd, "send"))
		return sx_send(n, args);
	if (!strcmp(cmd, "capture"))
		return sx_capture(n, args);
	if (!strcmp(cmd, "request"))
		return sx_request(n, args);
	return cli_usage_error("unknown command '%s' (expected send, capture or request)", cmd);
}

int main(int argc, char **argv)
{
	/* Every output path, --help included, ends here: see cli_finish_stdout. */
	return cli_finish_stdout(run(argc, argv));
}
