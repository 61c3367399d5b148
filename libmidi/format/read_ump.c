/* read_ump.c: the "ump" input format: 32-bit words in hex (1-8 digits,
 * optional 0x, any case) separated by blanks or commas; a packet's words
 * (as many as its MT needs) are on one line; a line may hold several
 * packets; "#" starts a comment; timing tokens +N / @T between packets. */
#include "format_priv.h"

#include <string.h>


/* 8 hex digits at s (any case) as a word, 8 bytes at a time: 1, or 0 if
 * one of them is no hex digit. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static inline int hex8(const char *s, uint32_t *w)
{
	uint64_t x, l;
	memcpy(&x, s, 8);
	l = x | ONES * 0x20; /* A-F as a-f */
	/* per byte (all below 0x80): >= lo is bit 7 of b + 0x80 - lo, <= hi
	 * is bit 7 of ~(b + 0x7F - hi) */
	uint64_t digit = (x + ONES * (0x80 - '0')) & ~(x + ONES * (0x7F - '9'));
	uint64_t alpha = (l + ONES * (0x80 - 'a')) & ~(l + ONES * (0x7F - 'f'));
	if ((x & HIGHS) || ((digit | alpha) & HIGHS) != HIGHS)
		return 0;
	/* digits: the low nibble; letters: the low nibble + 9 */
	uint64_t v = (x & ONES * 0x0F) + 9 * ((x >> 6) & ONES);
	uint64_t t = ((v & ONES * 0x0F) << 4) | ((v >> 8) & ONES * 0x0F);
	*w = (uint32_t)(t & 0xFF) << 24 | (uint32_t)(t >> 16 & 0xFF) << 16 |
	     (uint32_t)(t >> 32 & 0xFF) << 8 | (uint32_t)(t >> 48 & 0xFF);
	return 1;
}

int ump_line(midi_reader *r, const char *s, size_t n, int lineno, emitter *em, midi_error *e)
{
	midi_ump p = {{0}};
	unsigned have = 0, need = 0;
	int pcol = 0;
	size_t i = 0;
	for (;;) {
		while (i < n && fmt_is_sep(s[i]))
			i++;
		if (i >= n || s[i] == '#')
			break;
		size_t t = i;
		int col = (int)t + 1;
		uint32_t w = 0;
		int bad = 1;
		/* the usual token, 8 digits, taken at once */
		if (n - i >= 8 && (n - i == 8 || fmt_is_sep(s[i + 8]) || s[i + 8] == '#')) {
			bad = !hex8(s + i, &w);
			if (!bad)
				i += 8;
		}
		if (bad) {
			while (i < n && !fmt_is_sep(s[i]) && s[i] != '#')
				i++;
			const char *tok = s + t;
			size_t len = i - t;
			if (tok[0] == '+' || tok[0] == '@') {
				if (have)
					break; /* reported below as a short packet */
				int rc = apply_time_token(r, tok, len, lineno, col, e);
				if (rc)
					return rc;
				continue;
			}
			if (parse_word(tok, len, &w) < 0)
				return midi_error_at(e, MIDI_ERR_INPUT, lineno, col,
						     "bad word \"%s\" (expected 1 to 8 hex digits)",
						     QUOTED(tok, len));
		}
		if (!have) {
			need = midi_mt_words(w >> 28);
			pcol = col;
		}
		p.w[have++] = w;
		if (have == need) {
			int rc = emit_packet(r, em, &p);
			if (rc)
				return rc;
			memset(&p, 0, sizeof p);
			have = 0;
		}
	}
	if (have)
		return midi_error_at(e, MIDI_ERR_INPUT, lineno, pcol,
				     "packet of MT %X needs %u words, got %u (a packet may not span lines)",
				     (unsigned)(p.w[0] >> 28), need, have);
	return 0;
}
