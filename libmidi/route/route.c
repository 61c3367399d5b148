/* route.c: a route's definition (midi/route.h): its options parsed from
 * text and written back, its checks, and what it does to one packet
 * (filter, group map, channel map, protocol translation). Pure: the store
 * is route_store.c, the runner route_runner.c. */
#include "midi/route.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "broker/broker.h"

void midi_route_init(midi_route *r)
{
	memset(r, 0, sizeof *r);
	midi_filter_init(&r->filter);
	midi_filter_show_types(&r->filter, "all", 1, NULL);
	for (int k = 0; k < 16; k++)
		r->group_map[k] = r->channel_map[k] = (uint8_t)k;
}

/* A number 1-16 at *p; advances. -1 if none. */
static int num16(const char **p)
{
	const char *s = *p;
	int v = 0, n = 0;
	while (*s == ' ')
		s++;
	while (*s >= '0' && *s <= '9' && n < 3)
		v = v * 10 + (*s++ - '0'), n++;
	while (*s == ' ')
		s++;
	if (!n || v < 1 || v > 16)
		return -1;
	*p = s;
	return v;
}

/* "A>B[,A>B...]" or "*>B" into map (0-based). */
static int parse_map(const char *key, const char *val, uint8_t map[16], midi_error *e)
{
	uint8_t m[16];
	uint16_t seen = 0;
	for (int k = 0; k < 16; k++)
		m[k] = (uint8_t)k;
	const char *p = val;
	for (;;) {
		int all = 0, a = 0;
		while (*p == ' ')
			p++;
		if (*p == '*') {
			all = 1;
			p++;
			while (*p == ' ')
				p++;
		} else if ((a = num16(&p)) < 0) {
			goto bad;
		}
		if (*p != '>' && *p != ':')
			goto bad;
		p++;
		int b = num16(&p);
		if (b < 0 || (*p != ',' && *p != '\0'))
			goto bad;
		for (int k = 0; k < 16; k++) {
			if (!all && k != a - 1)
				continue;
			if (seen & (1u << k))
				return midi_error_set(e, MIDI_ERR_INPUT,
						      "%s map \"%.60s\": %s %d is mapped twice", key, val,
						      key, k + 1);
			seen |= (uint16_t)(1u << k);
			m[k] = (uint8_t)(b - 1);
		}
		if (!*p)
			break;
		p++;
	}
	memcpy(map, m, sizeof m);
	return 0;
bad:
	return midi_error_set(e, MIDI_ERR_INPUT,
			      "invalid %s map \"%.60s\" (expected FROM>TO or FROM:TO with numbers "
			      "1-16, several separated by commas, or *>TO)", key, val);
}

static int set_id(char *dst, const char *key, const char *val, midi_error *e)
{
	size_t n = strlen(val);
	if (n == 0 || n >= MIDI_ID_MAX || !strchr(val, ':') || val[0] == ':' ||
	    strpbrk(val, " \t\n"))
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "invalid %s endpoint \"%.70s\" (expected an id transport:name, "
				      "at most %d bytes, no spaces)", key, val, MIDI_ID_MAX - 1);
	memcpy(dst, val, n + 1);
	return 0;
}

int midi_route_set(midi_route *r, const char *key, const char *val, midi_error *e)
{
	if (!strcasecmp(key, "from"))
		return set_id(r->from, "from", val, e);
	if (!strcasecmp(key, "to"))
		return set_id(r->to, "to", val, e);
	if (!strcasecmp(key, "filter") || !strcasecmp(key, "types")) {
		char list[sizeof r->types];
		size_t n = 0;
		for (const char *p = val; *p; p++)
			if (*p != ' ' && *p != '\t') {
				if (n + 1 >= sizeof list)
					return midi_error_set(e, MIDI_ERR_INPUT,
							      "filter list \"%.40s...\" is longer than "
							      "%zu bytes", val, sizeof list - 1);
				list[n++] = *p;
			}
		list[n] = '\0';
		midi_filter f = r->filter;
		midi_filter_show_types(&f, "all", 1, NULL);
		midi_error fe = {0};
		if (!n || midi_filter_set_types(&f, list, &fe) < 0)
			return midi_error_set(e, MIDI_ERR_INPUT, "filter: %s",
					      n ? fe.msg : "empty type list");
		r->filter.types = f.types;
		memcpy(r->types, list, n + 1);
		if (!strcasecmp(list, "all"))
			r->types[0] = '\0';
		return 0;
	}
	if (!strcasecmp(key, "groups"))
		return midi_filter_parse_set(val, "groups", &r->filter.groups, e);
	if (!strcasecmp(key, "channels"))
		return midi_filter_parse_set(val, "channels", &r->filter.channels, e);
	if (!strcasecmp(key, "group"))
		return parse_map("group", val, r->group_map, e);
	if (!strcasecmp(key, "channel"))
		return parse_map("channel", val, r->channel_map, e);
	if (!strcasecmp(key, "protocol")) {
		if (!strcasecmp(val, "midi1") || !strcmp(val, "1"))
			r->protocol = 1;
		else if (!strcasecmp(val, "midi2") || !strcmp(val, "2"))
			r->protocol = 2;
		else if (!strcasecmp(val, "as-is"))
			r->protocol = 0;
		else
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "unknown protocol \"%.40s\" (expected midi1, midi2 or as-is)",
					      val);
		return 0;
	}
	return midi_error_set(e, MIDI_ERR_INPUT,
			      "unknown route option \"%.40s\" (expected from, to, filter, groups, "
			      "channels, group, channel or protocol)", key);
}

int midi_route_check(const midi_route *r, midi_error *e)
{
	if (!loop_name_valid(r->name))
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "invalid route name \"%.60s\": use 1 to 40 letters, digits, '.', "
				      "'_' or '-'", r->name);
	if (!r->from[0] || !r->to[0])
		return midi_error_set(e, MIDI_ERR_INPUT, "route %s has no %s endpoint", r->name,
				      r->from[0] ? "to" : "from");
	if (strcmp(r->from, r->to) == 0)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "route %s goes from %s to itself: what arrives there would "
				      "come back forever", r->name, r->from);
	return 0;
}

/* ---- back to text ---- */

struct sbuf {
	char *p;
	size_t n, len;
};

static void put(struct sbuf *b, const char *s)
{
	size_t k = strlen(s);
	if (b->len < b->n)
		snprintf(b->p + b->len, b->n - b->len, "%s", s);
	b->len += k;
}

static void put_set(struct sbuf *b, const char *key, uint16_t set)
{
	char w[80];
	int n = snprintf(w, sizeof w, "%s%s=", b->len ? " " : "", key);
	for (int v = 0, first = 1; v < 16; v++) {
		if (!(set & (1u << v)))
			continue;
		int hi = v;
		while (hi + 1 < 16 && (set & (1u << (hi + 1))))
			hi++;
		n += snprintf(w + n, sizeof w - (size_t)n, hi > v ? "%s%d-%d" : "%s%d",
			      first ? "" : ",", v + 1, hi + 1);
		first = 0;
		v = hi;
	}
	put(b, w);
}

static void put_map(struct sbuf *b, const char *key, const uint8_t map[16])
{
	char w[160];
	int n = snprintf(w, sizeof w, "%s%s=", b->len ? " " : "", key);
	int same = 1;
	for (int k = 1; k < 16; k++)
		same &= map[k] == map[0];
	if (same) {
		snprintf(w + n, sizeof w - (size_t)n, "*>%d", map[0] + 1);
	} else {
		for (int k = 0, first = 1; k < 16; k++)
			if (map[k] != k) {
				n += snprintf(w + n, sizeof w - (size_t)n, "%s%d>%d", first ? "" : ",",
					      k + 1, map[k] + 1);
				first = 0;
			}
	}
	put(b, w);
}

static int map_identity(const uint8_t map[16])
{
	for (int k = 0; k < 16; k++)
		if (map[k] != k)
			return 0;
	return 1;
}

int midi_route_options(const midi_route *r, char *buf, size_t n)
{
	struct sbuf b = {buf, n, 0};
	if (n)
		buf[0] = '\0';
	if (r->types[0]) {
		put(&b, "filter=");
		put(&b, r->types);
	}
	if (r->filter.groups != 0xFFFF)
		put_set(&b, "groups", r->filter.groups);
	if (r->filter.channels != 0xFFFF)
		put_set(&b, "channels", r->filter.channels);
	if (!map_identity(r->group_map))
		put_map(&b, "group", r->group_map);
	if (!map_identity(r->channel_map))
		put_map(&b, "channel", r->channel_map);
	if (r->protocol)
		put(&b, r->protocol == 1 ? (b.len ? " protocol=midi1" : "protocol=midi1")
					 : (b.len ? " protocol=midi2" : "protocol=midi2"));
	return (int)b.len;
}

/* ---- one packet ---- */

void midi_route_state_init(midi_route_state *s)
{
	memset(s, 0, sizeof *s);
	midi_up_init(&s->up);
	midi_down_init(&s->down);
}

int midi_route_put(const midi_route *r, midi_route_state *s, const midi_ump *in, midi_ump_cb cb,
		   void *ctx)
{
	if (!midi_filter_match(&r->filter, in)) {
		s->filtered++;
		return 0;
	}
	midi_ump u = *in;
	if (midi_ump_has_group(&u))
		u.w[0] = (u.w[0] & ~0x0F000000u) | (uint32_t)r->group_map[midi_ump_group(&u)] << 24;
	if (midi_ump_is_channel_voice(&u))
		u.w[0] = (u.w[0] & ~0x000F0000u) |
			 (uint32_t)r->channel_map[midi_ump_channel(&u)] << 16;
	if (r->protocol == 2)
		return midi_up_put(&s->up, &u, cb, ctx);
	if (r->protocol == 1)
		return midi_down_put(&s->down, &u, cb, ctx);
	return cb(ctx, &u);
}
