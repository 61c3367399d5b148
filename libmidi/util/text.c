/* text.c: escaping untrusted bytes for a terminal (see midi/text.h). */
#include "midi/text.h"

#include <string.h>

/* Length of the printable UTF-8 character at s (n bytes left), or 0 when
 * the byte at s is a control character or not the start of valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t printable_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return c >= 0x20 && c != 0x7F;
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if (c == 0xC2 && s[1] <= 0x9F)
		return 0; /* C1 control */
	return len;
}

/* The next piece of output for src[i]: printable bytes or one escape. */
static size_t next_piece(const unsigned char *src, size_t n, size_t i, char esc[5],
			 const char **piece, size_t *plen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = printable_len(src + i, n - i);
	if (k) {
		*piece = (const char *)src + i;
		*plen = k;
		return k;
	}
	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hex[src[i] >> 4];
	esc[3] = hex[src[i] & 0xF];
	esc[4] = '\0';
	*piece = esc;
	*plen = 4;
	return 1;
}

size_t midi_text_escape(char *dst, size_t size, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t need = 0, used = 0;
	int full = size == 0;
	for (size_t i = 0; i < n;) {
		char esc[5];
		const char *piece;
		size_t plen;
		i += next_piece(s, n, i, esc, &piece, &plen);
		if (!full && used + plen < size) {
			memcpy(dst + used, piece, plen);
			used += plen;
		} else {
			full = 1;
		}
		need += plen;
	}
	if (size)
		dst[used] = '\0';
	return need;
}

int midi_text_put(const char *src, size_t n, FILE *out)
{
	const unsigned char *s = (const unsigned char *)src;
	for (size_t i = 0; i < n;) {
		char esc[5];
		const char *piece;
		size_t plen;
		i += next_piece(s, n, i, esc, &piece, &plen);
		if (fwrite(piece, 1, plen, out) != plen)
			return -1;
	}
	return 0;
}

int midi_text_puts(const char *s, FILE *out)
{
	return midi_text_put(s, strlen(s), out);
}
