/* common.c: small lexical pieces shared by the readers: hex digits, UMP
 * words, timing tokens (+N[unit], @T[unit]) and the packet emitter's time. */
#include "format_priv.h"

#include <string.h>

#define TIME_MAX_NS 1000000000000000000ull /* about 31 years */

#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
#define O CC_OTHER
const signed char fmt_cclass[256] = {
	/* 0x00 */ O, O, O, O, O, O, O, O, O, CC_SEP, O, CC_SEP, CC_SEP, CC_SEP, O, O,
	/* 0x10 */ R16(O),
	/* 0x20 */ CC_SEP, O, O, O, O, O, O, O, O, O, O, O, CC_SEP, O, O, O,
	/* 0x30 */ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, O, O, O, O, O, O,
	/* 0x40 */ O, 10, 11, 12, 13, 14, 15, O, O, O, O, O, O, O, O, O,
	/* 0x50 */ R16(O),
	/* 0x60 */ O, 10, 11, 12, 13, 14, 15, O, O, O, O, O, O, O, O, O,
	/* 0x70 */ R16(O),
	R16(O), R16(O), R16(O), R16(O), R16(O), R16(O), R16(O), R16(O),
};
#undef O
#undef R16

int parse_word(const char *s, size_t n, uint32_t *w)
{
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n < 1 || n > 8)
		return -1;
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = hexval((unsigned char)s[i]);
		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*w = v;
	return 0;
}

static int unit_ns(const char *u, size_t n, uint64_t *mult)
{
	if (n == 2 && (u[0] == 'n' || u[0] == 'N') && (u[1] == 's' || u[1] == 'S'))
		*mult = 1;
	else if (n == 2 && (u[0] == 'u' || u[0] == 'U') && (u[1] == 's' || u[1] == 'S'))
		*mult = 1000;
	else if (n == 2 && (u[0] == 'm' || u[0] == 'M') && (u[1] == 's' || u[1] == 'S'))
		*mult = 1000000;
	else if (n == 1 && (u[0] == 's' || u[0] == 'S'))
		*mult = 1000000000;
	else
		return -1;
	return 0;
}

int parse_time_token(const char *s, size_t n, uint64_t *ns, const char **why)
{
	size_t i = 1;
	uint64_t ip = 0, fp = 0, fscale = 1, mult;
	int digits = 0;
	if (n < 2 || (s[0] != '+' && s[0] != '@')) {
		*why = "not a time";
		return -1;
	}
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (ip > TIME_MAX_NS / 10) {
			*why = "too large";
			return -1;
		}
		ip = ip * 10 + (uint64_t)(s[i++] - '0');
		digits++;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (fscale < 1000000000) { /* keep 9 fraction digits, drop the rest */
				fp = fp * 10 + (uint64_t)(s[i] - '0');
				fscale *= 10;
			}
			i++;
			digits++;
		}
	}
	if (!digits) {
		*why = "a number must follow";
		return -1;
	}
	if (i == n) {
		mult = s[0] == '+' ? 1000000 : 1000000000;
	} else if (unit_ns(s + i, n - i, &mult) < 0) {
		*why = "unknown unit (expected ns, us, ms or s)";
		return -1;
	}
	if (ip > TIME_MAX_NS / mult) {
		*why = "too large";
		return -1;
	}
	*ns = ip * mult + fp * mult / fscale;
	return 0;
}

int apply_time_token(midi_reader *r, const char *s, size_t n, int line, int col, midi_error *e)
{
	uint64_t ns;
	const char *why;
	if (parse_time_token(s, n, &ns, &why) < 0)
		return midi_error_at(e, MIDI_ERR_INPUT, line, col, "bad time \"%s\": %s",
				     QUOTED(s, n), why);
	if (s[0] == '+') {
		if (r->time_ns + ns > TIME_MAX_NS)
			return midi_error_at(e, MIDI_ERR_INPUT, line, col,
					     "time \"%s\" goes beyond %llu s", QUOTED(s, n),
					     TIME_MAX_NS / 1000000000ull);
		r->time_ns += ns;
		return 0;
	}
	if (ns < r->time_ns)
		return midi_error_at(e, MIDI_ERR_INPUT, line, col,
				     "time \"%s\" goes backwards (already at %llu.%09llus)",
				     QUOTED(s, n),
				     (unsigned long long)(r->time_ns / 1000000000ull),
				     (unsigned long long)(r->time_ns % 1000000000ull));
	r->time_ns = ns;
	return 0;
}
