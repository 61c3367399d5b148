/* test_route.c: routes (midi/route.h): options parsed and written back
 * (every word back gives the same route), maps with '>' and ':' and '*',
 * refusals naming what was wrong; midi_route_check; midi_route_put with
 * exact words (filter, group and channel maps, MIDI 1.0 <-> 2.0); [route]
 * sections of the configuration file checked with file and line; the
 * store: transient routes added, listed after the persistent ones,
 * refused twice, removed, a persistent one not removable. */
#include "testutil.h"

#include <string.h>

#include "broker/broker.h"
#include "midi/route.h"
#include "route/route_priv.h"

static midi_route route_of(const char *name, const char *from, const char *to)
{
	midi_route r;
	midi_route_init(&r);
	snprintf(r.name, sizeof r.name, "%s", name);
	assert_int_equal(midi_route_set(&r, "from", from, NULL), 0);
	assert_int_equal(midi_route_set(&r, "to", to, NULL), 0);
	return r;
}

static void test_defaults(void **state)
{
	(void)state;
	midi_route r = route_of("r", "loop:a-b", "loop:c-a");
	char buf[64];
	assert_int_equal(midi_route_options(&r, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	for (int k = 0; k < 16; k++) {
		assert_int_equal(r.group_map[k], k);
		assert_int_equal(r.channel_map[k], k);
	}
	/* A cable: clock and active sensing pass too (unlike midi-mon). */
	midi_ump clock = midi_ump_make(0x10F80000, 0, 0, 0);
	assert_true(midi_filter_match(&r.filter, &clock));
	assert_int_equal(midi_route_check(&r, NULL), 0);
}

static void test_options_round_trip(void **state)
{
	(void)state;
	midi_route r = route_of("r", "loop:a-b", "loop:c-a");
	midi_error e = {0};
	assert_int_equal(midi_route_set(&r, "filter", "note, cc", &e), 0);
	assert_int_equal(midi_route_set(&r, "GROUPS", "1-4,10", &e), 0);
	assert_int_equal(midi_route_set(&r, "channels", "2,3", &e), 0);
	assert_int_equal(midi_route_set(&r, "group", "1>3, 2:4", &e), 0);
	assert_int_equal(midi_route_set(&r, "channel", "*>5", &e), 0);
	assert_int_equal(midi_route_set(&r, "protocol", "MIDI2", &e), 0);
	char buf[360];
	int n = midi_route_options(&r, buf, sizeof buf);
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "filter=note,cc groups=1-4,10 channels=2-3 group=1>3,2>4 "
				 "channel=*>5 protocol=midi2");
	/* Each word back gives the same route. */
	midi_route b = route_of("r", "loop:a-b", "loop:c-a");
	char copy[360];
	snprintf(copy, sizeof copy, "%s", buf);
	for (char *w = strtok(copy, " "); w; w = strtok(NULL, " ")) {
		char *eq = strchr(w, '=');
		assert_non_null(eq);
		*eq = '\0';
		assert_int_equal(midi_route_set(&b, w, eq + 1, &e), 0);
	}
	assert_memory_equal(&b.filter, &r.filter, sizeof b.filter);
	assert_memory_equal(b.group_map, r.group_map, 16);
	assert_memory_equal(b.channel_map, r.channel_map, 16);
	assert_int_equal(b.protocol, 2);
	/* Truncated output still says how long it is. */
	char small[8];
	assert_int_equal(midi_route_options(&r, small, sizeof small), n);
	assert_int_equal(strlen(small), 7);
	/* "all" and as-is are the defaults again. */
	assert_int_equal(midi_route_set(&r, "types", "all", &e), 0);
	assert_int_equal(midi_route_set(&r, "protocol", "as-is", &e), 0);
	midi_route_options(&r, buf, sizeof buf);
	assert_string_equal(buf, "groups=1-4,10 channels=2-3 group=1>3,2>4 channel=*>5");
	/* A '-' list starts from every type. */
	assert_int_equal(midi_route_set(&r, "filter", "-clock", &e), 0);
	midi_ump clock = midi_ump_make(0x10F80000, 0, 0, 0), sense = midi_ump_make(0x10FE0000, 0, 0, 0);
	assert_false(midi_filter_match(&r.filter, &clock));
	assert_true(midi_filter_match(&r.filter, &sense));
}

static void test_refusals(void **state)
{
	(void)state;
	midi_route r = route_of("r", "loop:a-b", "loop:c-a");
	midi_error e = {0};
	assert_int_equal(midi_route_set(&r, "group", "1>3,1>4", &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "group 1 is mapped twice"));
	assert_int_equal(midi_route_set(&r, "channel", "0>3", &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "invalid channel map \"0>3\""));
	assert_int_equal(midi_route_set(&r, "channel", "3>17", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_route_set(&r, "group", "3", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_route_set(&r, "group", "1>2,", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_route_set(&r, "filter", "note,bogus", &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "bogus"));
	assert_int_equal(midi_route_set(&r, "filter", " ", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_route_set(&r, "groups", "0", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_route_set(&r, "protocol", "midi3", &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "midi3"));
	assert_int_equal(midi_route_set(&r, "colour", "red", &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "unknown route option \"colour\""));
	assert_int_equal(midi_route_set(&r, "from", "nocolon", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_route_set(&r, "to", "loop:with space", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_route_set(&r, "to", "", &e), -MIDI_ERR_INPUT);
	/* Nothing refused changed the route. */
	char buf[64];
	midi_route_options(&r, buf, sizeof buf);
	assert_string_equal(buf, "");
	assert_string_equal(r.to, "loop:c-a");
}

static void test_check(void **state)
{
	(void)state;
	midi_error e = {0};
	midi_route r = route_of("a.b_c-1", "loop:a-b", "loop:c-a");
	assert_int_equal(midi_route_check(&r, &e), 0);
	snprintf(r.name, sizeof r.name, "bad name");
	assert_int_equal(midi_route_check(&r, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "invalid route name"));
	r = route_of("r", "loop:a-b", "loop:a-b");
	assert_int_equal(midi_route_check(&r, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "to itself"));
	midi_route_init(&r);
	snprintf(r.name, sizeof r.name, "r");
	midi_route_set(&r, "from", "loop:a-b", NULL);
	assert_int_equal(midi_route_check(&r, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "no to endpoint"));
}

struct out {
	midi_ump u[8];
	int n;
};

static int take(void *ctx, const midi_ump *u)
{
	struct out *o = ctx;
	o->u[o->n++] = *u;
	return 0;
}

static struct out put1(const midi_route *r, midi_route_state *s, midi_ump in)
{
	struct out o = {.n = 0};
	assert_int_equal(midi_route_put(r, s, &in, take, &o), 0);
	return o;
}

static void test_put(void **state)
{
	(void)state;
	midi_route r = route_of("r", "loop:a-b", "loop:c-a");
	midi_route_state s;
	midi_route_state_init(&s);
	/* Unchanged by default, every type. */
	struct out o = put1(&r, &s, midi_ump_make(0x21923C64, 0, 0, 0));
	assert_int_equal(o.n, 1);
	assert_int_equal(o.u[0].w[0], 0x21923C64);
	/* Maps: group 2 -> 4, channel 3 -> 6; others keep theirs. */
	assert_int_equal(midi_route_set(&r, "group", "2>4", NULL), 0);
	assert_int_equal(midi_route_set(&r, "channel", "3:6", NULL), 0);
	o = put1(&r, &s, midi_ump_make(0x21923C64, 0, 0, 0));
	assert_int_equal(o.u[0].w[0], 0x23953C64);
	o = put1(&r, &s, midi_ump_make(0x20903C64, 0, 0, 0));
	assert_int_equal(o.u[0].w[0], 0x20903C64);
	/* MIDI 2.0 channel voice: the same bits. */
	o = put1(&r, &s, midi_ump_make(0x41923C00, 0xC8000000, 0, 0));
	assert_int_equal(o.u[0].w[0], 0x43953C00);
	assert_int_equal(o.u[0].w[1], 0xC8000000);
	/* SysEx: the group only; utility and stream: untouched. */
	o = put1(&r, &s, midi_ump_make(0x31047E7F, 0x06010000, 0, 0));
	assert_int_equal(o.u[0].w[0], 0x33047E7F);
	assert_int_equal(o.u[0].w[1], 0x06010000);
	o = put1(&r, &s, midi_ump_make(0x00201234, 0, 0, 0));
	assert_int_equal(o.u[0].w[0], 0x00201234);
	/* Filter: notes of groups 2 only. */
	assert_int_equal(midi_route_set(&r, "filter", "note", NULL), 0);
	assert_int_equal(midi_route_set(&r, "groups", "2", NULL), 0);
	o = put1(&r, &s, midi_ump_make(0x21B30140, 0, 0, 0)); /* cc */
	assert_int_equal(o.n, 0);
	o = put1(&r, &s, midi_ump_make(0x20903C64, 0, 0, 0)); /* group 1 */
	assert_int_equal(o.n, 0);
	assert_int_equal(s.filtered, 2);
	o = put1(&r, &s, midi_ump_make(0x21823C00, 0, 0, 0));
	assert_int_equal(o.n, 1);
	assert_int_equal(o.u[0].w[0], 0x23853C00);
}

static void test_protocols(void **state)
{
	(void)state;
	midi_route r = route_of("r", "loop:a-b", "loop:c-a");
	midi_route_state s;
	midi_route_state_init(&s);
	assert_int_equal(midi_route_set(&r, "protocol", "midi2", NULL), 0);
	assert_int_equal(midi_route_set(&r, "channel", "1>2", NULL), 0);
	struct out o = put1(&r, &s, midi_ump_make(0x20903C64, 0, 0, 0));
	assert_int_equal(o.n, 1);
	assert_int_equal(o.u[0].w[0], 0x40913C00);
	assert_int_equal(o.u[0].w[1], midi_scale_up(100, 7, 16) << 16);
	/* Velocity 0 Note On becomes a Note Off (MIDI 2.0 rule). */
	o = put1(&r, &s, midi_ump_make(0x20903C00, 0, 0, 0));
	assert_int_equal(o.u[0].w[0], 0x40813C00);
	/* Already MIDI 2.0: unchanged but for the map. */
	o = put1(&r, &s, midi_ump_make(0x40903C00, 0xC8000000, 0, 0));
	assert_int_equal(o.u[0].w[0], 0x40913C00);

	midi_route d = route_of("d", "loop:a-b", "loop:c-a");
	midi_route_set(&d, "protocol", "midi1", NULL);
	midi_route_state_init(&s);
	o = put1(&d, &s, midi_ump_make(0x40903C00, 0xC8000000, 0, 0));
	assert_int_equal(o.n, 1);
	assert_int_equal(o.u[0].w[0], 0x20903C64);
	/* A Program Change with a bank: Bank Select MSB, LSB, Program Change. */
	o = put1(&d, &s, midi_ump_make(0x40C00001, 0x05000203, 0, 0));
	assert_int_equal(o.n, 3);
	assert_int_equal(o.u[0].w[0], 0x20B00002);
	assert_int_equal(o.u[1].w[0], 0x20B02003);
	assert_int_equal(o.u[2].w[0], 0x20C00500);
}

static void test_conf_sections(void **state)
{
	(void)state;
	const char *good = "[loop p]\n"
			   "[route keys]\n"
			   "from = diag:loopback-b  # the keyboard\n"
			   "to = loop:p-a\n"
			   "filter = note,cc\n"
			   "group = 1>3\n"
			   "channel = 2>5\n"
			   "protocol = midi1\n";
	struct conf c;
	midi_error e = {0};
	assert_int_equal(conf_parse_text("/etc/m.conf", good, strlen(good), &c, &e), 0);
	size_t k = 0;
	assert_non_null(conf_next(&c, "route", &k));
	conf_free(&c);

	struct {
		const char *text;
		const char *want;
	} bad[] = {
		{"[route r]\nfrom = loop:a-b\nto = loop:c-a\ngroup = 1>17\n",
		 "/etc/m.conf line 4: [route r]: invalid group map \"1>17\""},
		{"[route r]\nfrom = loop:a-b\nto = loop:c-a\nspeed = 3\n",
		 "/etc/m.conf line 4: [route r]: unknown route option \"speed\""},
		{"\n[route r]\nfrom = loop:a-b\n", "/etc/m.conf line 2: route r has no to endpoint"},
		{"[route bad/name]\n", "/etc/m.conf line 1: invalid route name \"bad/name\""},
		{"[route r]\nfrom = loop:a-b\nto = loop:c-a\n[route r]\nfrom = loop:a-b\nto = loop:d-a\n",
		 "/etc/m.conf line 4: route r declared twice (first at line 1)"},
		{"[route r]\nfrom = loop:a-b\nto = loop:a-b\n", "/etc/m.conf line 1: route r goes from"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&e, 0, sizeof e);
		assert_int_equal(conf_parse_text("/etc/m.conf", bad[i].text, strlen(bad[i].text), &c, &e),
				 -MIDI_ERR_INPUT);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, e.msg, bad[i].want);
	}
}

static void test_store(void **state)
{
	(void)state;
	char dir[256], conf[300];
	test_fresh_runtime(dir, sizeof dir, "route", "midi.conf");
	setenv("MIDI_AGENT_IDLE_MS", "100", 1);
	snprintf(conf, sizeof conf, "%s/midi.conf", dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fputs("# routes\n[route p1]\nfrom = loop:x-b\nto = loop:y-a\nchannel = 1>2\n", f);
	fclose(f);

	midi_error e = {0};
	midi_route a = route_of("zeta", "loop:x-b", "loop:z-a");
	midi_route_set(&a, "filter", "note", NULL);
	midi_route b = route_of("alpha", "diag:loopback-b", "loop:z-a");
	assert_int_equal(midi_route_add(&a, &e), 0);
	assert_int_equal(midi_route_add(&b, &e), 0);
	/* Names are unique, across both kinds. */
	assert_int_equal(midi_route_add(&a, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "route zeta exists already"));
	midi_route p = route_of("p1", "loop:q-b", "loop:z-a");
	assert_int_equal(midi_route_add(&p, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "persistent, declared at line 2 of"));
	/* A route that would feed itself (to is from's loopback peer). */
	midi_route loopy = route_of("loopy", "diag:loopback-a", "diag:loopback-b");
	assert_int_equal(midi_route_add(&loopy, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "loopback peer"));

	midi_route *v;
	size_t n;
	assert_int_equal(midi_route_list(&v, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "p1");
	assert_true(v[0].persistent);
	assert_int_equal(v[0].line, 2);
	assert_int_equal(v[0].channel_map[0], 1);
	assert_string_equal(v[1].name, "alpha");
	assert_false(v[1].persistent);
	assert_string_equal(v[2].name, "zeta");
	assert_string_equal(v[2].types, "note");
	/* The runner took them in: no end exists but diag:loopback-b. */
	assert_string_equal(v[1].state, "waiting");
	free(v);

	assert_int_equal(midi_route_remove("p1", &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "remove its [route p1] section (line 2)"));
	assert_int_equal(midi_route_remove("nope", &e), -MIDI_ERR_NOTFOUND);
	assert_int_equal(midi_route_remove("bad name", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_route_remove("zeta", &e), 0);
	assert_int_equal(midi_route_remove("alpha", &e), 0);
	assert_int_equal(midi_route_list(&v, &n, &e), 0);
	assert_int_equal(n, 1);
	free(v);
	unlink(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_options_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_put),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_conf_sections),
		cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
