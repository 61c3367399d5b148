/* read_text_fast.c: the text reader's fast path for the lines nearly every
 * stream is made of, as the text printer writes them: one MIDI 1.0
 * channel voice message with its group and channel,
 *   grp G ch C on|off|pp|cc|pc|cp|pb ARGS
 * lowercase, one blank between tokens, decimal numbers, note names. Such a
 * line, read when no message is pending, means what read_text.c's state
 * machine makes of it: the group and channel become sticky and one packet
 * comes out. Anything else (another spelling, a range error, a comment)
 * is left to the state machine, which gives the same packets or the
 * error. Pure: no reader state. */
#include "format_priv.h"

#include "midi/msg.h"

/* The next token of s (n bytes) from *i: one blank before it unless it is
 * the first; its start and length, or 0 when there is none of that form. */
static size_t next_tok(const char *s, size_t n, size_t *i, const char **t)
{
	size_t k = *i;
	if (k) {
		if (k >= n || s[k] != ' ')
			return 0;
		k++;
	}
	size_t b = k;
	while (k < n && s[k] != ' ')
		k++;
	*t = s + b;
	*i = k;
	return k - b;
}

/* A decimal number of 1-5 digits, at most max; -1 if not. */
static long dec(const char *t, size_t len, long max)
{
	if (len < 1 || len > 5)
		return -1;
	long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return v <= max ? v : -1;
}

/* A note: a number 0-127 or a name. -1 if not. */
static long note(const char *t, size_t len)
{
	unsigned nt;
	if (len && t[0] >= '0' && t[0] <= '9')
		return dec(t, len, 127);
	return len && midi_note_parse(t, len, &nt) == 0 ? (long)nt : -1;
}

#define TOK(len, t) ((len) = next_tok(s, n, &i, &(t)))
#define IS(t, len, lit) ((len) == sizeof(lit) - 1 && memcmp((t), (lit), sizeof(lit) - 1) == 0)

int text_fast_line(const char *s, size_t n, unsigned *group, unsigned *channel, midi_ump *out)
{
	size_t i = 0, len;
	const char *t;
	long g, c, a, b = 0;
	if (!TOK(len, t) || !IS(t, len, "grp") || !TOK(len, t) || (g = dec(t, len, 16)) < 1 ||
	    !TOK(len, t) || !IS(t, len, "ch") || !TOK(len, t) || (c = dec(t, len, 16)) < 1 ||
	    !TOK(len, t) || len < 2 || len > 3)
		return 0;
	const char *verb = t;
	size_t vlen = len;
	unsigned gw = (unsigned)g - 1, cw = (unsigned)c - 1;
	if (IS(verb, vlen, "on") || IS(verb, vlen, "pp")) {
		if (!TOK(len, t) || (a = note(t, len)) < 0 || !TOK(len, t) || (b = dec(t, len, 127)) < 0)
			return 0;
		*out = verb[0] == 'o' ? midi_ump_m1_note_on(gw, cw, (unsigned)a, (unsigned)b)
				      : midi_ump_m1_poly_pressure(gw, cw, (unsigned)a, (unsigned)b);
	} else if (IS(verb, vlen, "off")) {
		if (!TOK(len, t) || (a = note(t, len)) < 0)
			return 0;
		if (i < n && (!TOK(len, t) || (b = dec(t, len, 127)) < 0))
			return 0;
		*out = midi_ump_m1_note_off(gw, cw, (unsigned)a, (unsigned)b);
	} else if (IS(verb, vlen, "cc")) {
		if (!TOK(len, t) || (a = dec(t, len, 127)) < 0 || !TOK(len, t) ||
		    (b = dec(t, len, 127)) < 0)
			return 0;
		*out = midi_ump_m1_cc(gw, cw, (unsigned)a, (unsigned)b);
	} else if (IS(verb, vlen, "pc") || IS(verb, vlen, "cp") || IS(verb, vlen, "pb")) {
		if (!TOK(len, t) || (a = dec(t, len, verb[1] == 'b' ? 16383 : 127)) < 0)
			return 0;
		*out = verb[1] == 'c' ? midi_ump_m1_program(gw, cw, (unsigned)a)
		       : verb[1] == 'p' ? midi_ump_m1_channel_pressure(gw, cw, (unsigned)a)
					: midi_ump_m1_pitch_bend(gw, cw, (unsigned)a);
	} else {
		return 0;
	}
	if (i != n)
		return 0; /* more on the line */
	*group = gw;
	*channel = cw;
	return 1;
}
