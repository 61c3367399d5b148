/* midi-list: print the endpoints: an aligned table (id, name, transport,
 * protocol, clients), every property with -v, a JSON array with --json, or
 * only the ids with --ids. Front end only: the broker and the property
 * descriptions are in libmidi. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "route_table.h"
#include "midi/describe_endpoint.h"
#include "midi/endpoint.h"
#include "midi/text.h"

enum mode { TABLE, VERBOSE, JSON, IDS };

/* Room for any id or name escaped (at most 4 bytes shown per byte). */
#define SHOWN_MAX (4 * MIDI_NAME_MAX + 1)

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS]\n"
		"List MIDI endpoints.\n\n"
		"  -a, --all               include diagnostic endpoints (diag:*)\n"
		"  -e, --endpoint SPEC     only the endpoint SPEC (id or name part)\n"
		"  -v, --verbose           every property, function blocks included\n"
		"      --json              a JSON array, one endpoint object per line\n"
		"      --ids               only the ids, one per line, no header\n"
		"      --routes            the routes instead (midi-loop routes; --json too)\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n\n"
		"Examples:\n"
		"  %s -a\n"
		"  %s -v -e diag:ping\n"
		"  %s --json | jq -r '.[] | select(.clients > 0) | .id'\n"
		"See midi-list(1).\n",
		cli_prog, cli_prog, cli_prog, cli_prog);
}

/* s as shown: control bytes and invalid UTF-8 escaped (midi/text.h). */
static const char *shown(const char *s, char *buf, size_t n)
{
	midi_text_escape(buf, n, s, strlen(s));
	return buf;
}

/* Width of s on a terminal: UTF-8 continuation bytes do not count. */
static int text_width(const char *s)
{
	char buf[SHOWN_MAX];
	int w = 0;
	for (s = shown(s, buf, sizeof buf); *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

/* Print s escaped, padded to width. */
static void cell(const char *s, int width, int last)
{
	midi_text_puts(s, stdout);
	if (!last)
		printf("%*s", width - text_width(s) + 2, "");
}

static void print_table(const midi_endpoint_info *eps, size_t n)
{
	int wid = 2, wname = 4, wtr = 9, wproto = 8;
	for (size_t i = 0; i < n; i++) {
		int w;
		if ((w = text_width(eps[i].id)) > wid)
			wid = w;
		if ((w = text_width(eps[i].name)) > wname)
			wname = w;
		if ((w = text_width(eps[i].transport)) > wtr)
			wtr = w;
	}
	cell("ID", wid, 0);
	cell("NAME", wname, 0);
	cell("TRANSPORT", wtr, 0);
	cell("PROTOCOL", wproto, 0);
	cell("CLIENTS", 0, 1);
	putchar('\n');
	for (size_t i = 0; i < n; i++) {
		cell(eps[i].id, wid, 0);
		cell(eps[i].name, wname, 0);
		cell(eps[i].transport, wtr, 0);
		cell(midi_protocol_name(eps[i].protocol), wproto, 0);
		printf("%u\n", eps[i].clients);
	}
}

static void print_list(const midi_endpoint_info *eps, size_t n, enum mode mode)
{
	switch (mode) {
	case TABLE:
		print_table(eps, n);
		break;
	case VERBOSE:
		for (size_t i = 0; i < n; i++) {
			if (i)
				putchar('\n');
			cell(eps[i].id, 0, 1);
			putchar('\n');
			midi_endpoint_describe(&eps[i], stdout);
		}
		break;
	case JSON:
		fputs(n ? "[\n" : "[", stdout);
		for (size_t i = 0; i < n; i++) {
			midi_endpoint_json(&eps[i], stdout);
			fputs(i + 1 < n ? ",\n" : "\n", stdout);
		}
		fputs("]\n", stdout);
		break;
	case IDS:
		for (size_t i = 0; i < n; i++) {
			midi_text_puts(eps[i].id, stdout);
			putchar('\n');
		}
		break;
	}
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, 0, 'a'},     {"endpoint", required_argument, 0, 'e'},
		{"verbose", no_argument, 0, 'v'}, {"json", no_argument, 0, 'j'},
		{"ids", no_argument, 0, 'I'},     {"routes", no_argument, 0, 'R'},
		{"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'}, {0, 0, 0, 0},
	};
	enum mode mode = TABLE;
	unsigned flags = 0;
	const char *spec = NULL;
	midi_error e = {0};
	int c, verbose = 0, json = 0, ids = 0, routes = 0;

	cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "ae:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': flags |= MIDI_LIST_ALL; break;
		case 'e': spec = optarg; break;
		case 'v': verbose = 1; break;
		case 'j': json = 1; break;
		case 'I': ids = 1; break;
		case 'R': routes = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': cli_version(); return 0;
		default: return cli_bad_option(argv, "ae:vh", NULL);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s' (use -e SPEC to show one endpoint)", argv[optind]);
	if (verbose + json + ids > 1)
		return cli_usage_error("-v, --json and --ids cannot be combined");
	if (routes) {
		if (verbose || ids || spec || (flags & MIDI_LIST_ALL))
			return cli_usage_error("--routes takes only --json");
		return route_table_print(json);
	}
	mode = verbose ? VERBOSE : json ? JSON : ids ? IDS : TABLE;

	midi_endpoint_info *eps = NULL, one;
	size_t n = 0;
	if (spec) {
		if (midi_find(spec, &one, &e) < 0)
			return cli_report(&e);
		eps = &one;
		n = 1;
	} else if (midi_list(&eps, &n, flags, &e) < 0) {
		return cli_report(&e);
	}
	print_list(eps, n, mode);
	/* A fresh system lists nothing but the header: at a terminal, say
	 * where the endpoints that are always there are (scripts, whose
	 * output is no terminal, get the table alone). */
	if (mode == TABLE && !spec && n == 0 && !(flags & MIDI_LIST_ALL) && isatty(STDOUT_FILENO))
		cli_warn("no endpoints yet; -a also lists the diagnostic ones (diag:loopback-a, "
			 "diag:loopback-b, diag:ping)");
	if (eps != &one)
		free(eps);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		midi_error_sys(&e, errno, "writing standard output");
		return cli_report(&e);
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* Every output path, --help included, ends here: see cli_finish_stdout. */
	return cli_finish_stdout(run(argc, argv));
}
