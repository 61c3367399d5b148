/* route_table.c: the listing of routes (route_table.h): NAME, FROM, TO,
 * KIND (persistent or transient), STATE (what the route runner does:
 * active, waiting, refused) and OPTIONS (midi_route_options, "-" none);
 * or a JSON array of objects with the same fields. */
#include "route_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "midi/route.h"

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int width(int w, const char *s)
{
	int n = (int)strlen(s);
	return n > w ? n : w;
}

int route_table_print(int json)
{
	midi_error e = {0};
	midi_route *v = NULL;
	size_t n = 0;
	if (midi_route_list(&v, &n, &e) < 0)
		return cli_report(&e);
	char (*opts)[360] = calloc(n ? n : 1, sizeof *opts);
	if (!opts) {
		free(v);
		midi_error_set(&e, MIDI_ERR_RUNTIME, "out of memory");
		return cli_report(&e);
	}
	int wn = 4, wf = 4, wt = 2, wk = 10, ws = 7;
	for (size_t k = 0; k < n; k++) {
		if (!midi_route_options(&v[k], opts[k], sizeof opts[k]))
			snprintf(opts[k], sizeof opts[k], "-");
		if (!v[k].state[0])
			snprintf(v[k].state, sizeof v[k].state, "unknown");
		wn = width(wn, v[k].name);
		wf = width(wf, v[k].from);
		wt = width(wt, v[k].to);
	}
	if (json) {
		fputs(n ? "[\n" : "[", stdout);
		for (size_t k = 0; k < n; k++) {
			fputs("{\"name\":", stdout);
			json_str(v[k].name);
			fputs(",\"from\":", stdout);
			json_str(v[k].from);
			fputs(",\"to\":", stdout);
			json_str(v[k].to);
			printf(",\"persistent\":%s,\"state\":", v[k].persistent ? "true" : "false");
			json_str(v[k].state);
			fputs(",\"options\":", stdout);
			json_str(strcmp(opts[k], "-") ? opts[k] : "");
			fputs(k + 1 < n ? "},\n" : "}\n", stdout);
		}
		fputs("]\n", stdout);
	} else {
		printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn, "NAME", wf, "FROM", wt, "TO", wk,
		       "KIND", ws, "STATE", "OPTIONS");
		for (size_t k = 0; k < n; k++)
			printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn, v[k].name, wf, v[k].from, wt,
			       v[k].to, wk, v[k].persistent ? "persistent" : "transient", ws,
			       v[k].state, opts[k]);
	}
	free(opts);
	free(v);
	return 0;
}
