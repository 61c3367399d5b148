/* read_hex.c: the "hex" and "bin" input formats: MIDI 1.0 bytes (as hex
 * pairs, or raw) through midi_b2u into UMP. Hex tokens are runs of hex
 * digit pairs ("90 3C 64", "903C64", "0x90"), separated by blanks or
 * commas, "#" comments, timing tokens; the byte stream runs across lines. */
#include "format_priv.h"
#include "translate/b2u_inline.h"


/* Feed one byte, remembering where the message being built began: at a
 * status byte, or at the first data byte of a running-status message. */
__attribute__((always_inline))
static inline int feed_byte(midi_reader *r, uint8_t b, int line, int col, uint64_t off, emitter *em)
{
	struct emit_ctx c = {r, em};
	int begins = 0;
	if (b >= 0x80 && b < 0xF8) {
		begins = 1;
		r->msg_fresh = 1;
	} else if (b < 0x80) {
		begins = !r->b2u.in_sysex && r->b2u.ndata == 0 && !r->msg_fresh;
		r->msg_fresh = 0;
	}
	if (begins) {
		r->msg_line = line;
		r->msg_col = col;
		r->msg_offset = off;
	}
	midi_ump u;
	int k = midi_b2u_fast(&r->b2u, b, &u);
	if (k > 0)
		return emit_packet(r, em, &u);
	if (k == 0)
		return 0;
	return midi_b2u_feed(&r->b2u, &b, 1, emit_ump_cb, &c);
}

/* The input ended right after a channel status byte (no data byte yet):
 * the message it began is missing, as when it ends after some data. */
static int bare_status(const midi_reader *r)
{
	return r->msg_fresh && r->b2u.status >= 0x80 && r->b2u.status < 0xF0 &&
	       r->b2u.ndata == 0 && !r->b2u.in_sysex;
}

int hex_line(midi_reader *r, const char *s, size_t n, int lineno, emitter *em, midi_error *e)
{
	size_t i = 0;
	for (;;) {
		/* the usual run: pairs ("3C") one blank apart, taken at once */
		while (i + 1 < n) {
			int hi = fmt_cclass[(unsigned char)s[i]], lo = fmt_cclass[(unsigned char)s[i + 1]];
			if ((hi | lo) >= 16 || (i + 2 < n && s[i + 2] != ' '))
				break;
			int rc = feed_byte(r, (uint8_t)(hi << 4 | lo), lineno, (int)i + 1, 0, em);
			if (rc)
				return rc;
			i += i + 2 < n ? 3 : 2;
		}
		while (i < n && fmt_is_sep(s[i]))
			i++;
		if (i >= n || s[i] == '#')
			return 0;
		/* the usual token, one pair ("3C"), taken at once */
		int hi = fmt_cclass[(unsigned char)s[i]];
		if (hi < 16 && i + 1 < n) {
			int lo = fmt_cclass[(unsigned char)s[i + 1]];
			if (lo < 16 && (i + 2 == n || fmt_is_sep(s[i + 2]) || s[i + 2] == '#')) {
				int rc = feed_byte(r, (uint8_t)(hi << 4 | lo), lineno, (int)i + 1, 0, em);
				if (rc)
					return rc;
				i += 2;
				continue;
			}
		}
		size_t t = i;
		while (i < n && !fmt_is_sep(s[i]) && s[i] != '#')
			i++;
		const char *tok = s + t;
		size_t len = i - t, k = 0;
		int col = (int)t + 1;
		if (tok[0] == '+' || tok[0] == '@') {
			int rc = apply_time_token(r, tok, len, lineno, col, e);
			if (rc)
				return rc;
			continue;
		}
		if (len > 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'))
			k = 2;
		for (size_t j = k; j < len; j++) {
			if (fmt_cclass[(unsigned char)tok[j]] < 16)
				continue;
			/* the column of the bad digit; the quote: its pair only */
			size_t pj = k + (j - k) / 2 * 2;
			return midi_error_at(e, MIDI_ERR_INPUT, lineno, (int)(t + j) + 1,
					     "bad hex byte \"%s\" (expected pairs of hex digits)",
					     QUOTED(tok + pj, pj + 1 < len ? 2 : 1));
		}
		if ((len - k) % 2)
			return midi_error_at(e, MIDI_ERR_INPUT, lineno, col,
					     "odd number of hex digits in \"%s\"",
					     QUOTED(tok, len));
		for (size_t j = k; j < len; j += 2) {
			uint8_t b = (uint8_t)(fmt_cclass[(unsigned char)tok[j]] << 4 |
					      fmt_cclass[(unsigned char)tok[j + 1]]);
			int rc = feed_byte(r, b, lineno, (int)(t + j) + 1, 0, em);
			if (rc)
				return rc;
		}
	}
}

int hex_end(midi_reader *r, emitter *em, midi_error *e)
{
	struct emit_ctx c = {r, em};
	int truncated = 0, bare = bare_status(r);
	int rc = midi_b2u_end(&r->b2u, emit_ump_cb, &c, &truncated);
	if (rc)
		return rc;
	if (truncated || bare)
		return midi_error_at(e, MIDI_ERR_INPUT, r->msg_line, r->msg_col,
				     "input ends inside the message that begins here");
	return 0;
}

int bin_feed(midi_reader *r, const uint8_t *b, size_t n, emitter *em, midi_error *e)
{
	for (size_t i = 0; i < n; i++) {
		int rc = feed_byte(r, b[i], 0, 0, r->offset, em);
		r->offset++;
		if (rc)
			return rc;
	}
	return 0;
}

int bin_end(midi_reader *r, emitter *em, midi_error *e)
{
	struct emit_ctx c = {r, em};
	int truncated = 0, bare = bare_status(r);
	int rc = midi_b2u_end(&r->b2u, emit_ump_cb, &c, &truncated);
	if (rc)
		return rc;
	if (truncated || bare)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "input ends inside the message that begins at byte offset %llu",
				      (unsigned long long)r->msg_offset);
	return 0;
}
