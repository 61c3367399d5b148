/* route.c: `midi-loop route NAME FROM TO [OPTIONS]` makes a transient
 * route (what arrives on FROM is sent to TO, as aconnect SENDER RECEIVER
 * does), `midi-loop unroute NAME` removes one, `midi-loop routes` lists
 * them (cmd/route_table.c). An end given with a ':' is an endpoint id
 * taken as it is (it need not exist yet); otherwise it is a part of a name
 * and must match one endpoint now. The routes are kept by libmidi's route
 * runner (midi/route.h). */
#include "route.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../cli.h"
#include "../route_table.h"
#include "midi/endpoint.h"
#include "midi/route.h"

/* FROM or TO: an id as given, or the id of the one endpoint whose name
 * matches. 0 or the exit status (reported). */
static int resolve(const char *spec, const char *key, midi_route *r)
{
	midi_error e = {0};
	midi_endpoint_info info;
	const char *id = spec;
	if (!strchr(spec, ':')) {
		if (midi_find(spec, &info, &e) < 0)
			return cli_report(&e);
		id = info.id;
	}
	if (midi_route_set(r, key, id, &e) < 0)
		return cli_usage_error("%s", e.msg);
	return 0;
}

int cmd_route(int argc, char **argv)
{
	enum { OPT_GROUPS = 256, OPT_CHANNELS };
	static const struct option opts[] = {
		{"filter", required_argument, 0, 'F'},    {"groups", required_argument, 0, OPT_GROUPS},
		{"channels", required_argument, 0, OPT_CHANNELS},
		{"group", required_argument, 0, 'g'},     {"channel", required_argument, 0, 'c'},
		{"protocol", required_argument, 0, 'P'},  {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	midi_route r;
	midi_route_init(&r);
	midi_error e = {0};
	int c;
	optind = 0; /* options may follow the arguments */
	while ((c = getopt_long(argc, argv, "F:g:c:P:h", opts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 'F': key = "filter"; break;
		case OPT_GROUPS: key = "groups"; break;
		case OPT_CHANNELS: key = "channels"; break;
		case 'g': key = "group"; break;
		case 'c': key = "channel"; break;
		case 'P': key = "protocol"; break;
		case 'h':
			printf("Usage: %s route NAME FROM TO [OPTIONS]\n"
			       "What arrives on endpoint FROM is sent to endpoint TO until removed.\n"
			       "  -F, --filter TYPES    message types that pass (note,cc; -clock; ...)\n"
			       "      --groups LIST     groups that pass (1-4,10)\n"
			       "      --channels LIST   channels that pass\n"
			       "  -g, --group A:B       map group A to B (several: 1:3,2:4; *:B all;\n"
			       "                        A>B too, quoted for the shell)\n"
			       "  -c, --channel A:B     map channel A to B\n"
			       "  -P, --protocol P      translate to midi1 or midi2\n"
			       "See midi-loop(1).\n", cli_prog);
			return 0;
		default: return cli_bad_option(argv, "F:g:c:P:h", "route");
		}
		if (midi_route_set(&r, key, optarg, &e) < 0)
			return cli_usage_error("%s", e.msg);
	}
	if (argc - optind != 3)
		return cli_usage_error("route takes NAME FROM TO (and options)");
	const char *name = argv[optind];
	if (strlen(name) >= sizeof r.name || !*name)
		return cli_usage_error("invalid route name '%s': use 1 to 40 letters, digits, '.', '_' or '-'",
				       name);
	memcpy(r.name, name, strlen(name) + 1);
	int st = resolve(argv[optind + 1], "from", &r);
	if (!st)
		st = resolve(argv[optind + 2], "to", &r);
	if (st)
		return st;
	if (midi_route_check(&r, &e) < 0)
		return cli_usage_error("%s", e.msg);
	if (midi_route_add(&r, &e) < 0)
		return cli_report(&e);
	char o[360];
	midi_route_options(&r, o, sizeof o);
	printf("%s: %s -> %s%s%s\n", r.name, r.from, r.to, o[0] ? " " : "", o);
	return 0;
}

int cmd_unroute(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error("unroute takes one NAME");
	midi_error e = {0};
	if (midi_route_remove(argv[1], &e) < 0)
		return cli_report(&e);
	return 0;
}

int cmd_routes(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
	};
	int c, json = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h':
			printf("Usage: %s routes [--json]\nList the routes. See midi-loop(1).\n", cli_prog);
			return 0;
		default: return cli_bad_option(argv, "h", "routes");
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s' for routes", argv[optind]);
	return route_table_print(json);
}
