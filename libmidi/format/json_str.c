/* json_str.c: JSON string literals for every JSON the library writes (the
 * json packet format and endpoint properties): quotes, backslashes and
 * control bytes escaped, invalid UTF-8 replaced by U+FFFD, so the output
 * is always valid JSON whatever bytes a device or a user supplied. */
#include "format_priv.h"

#include <stdio.h>

size_t fmt_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* Bytes that go into a JSON string as they are: printable ASCII but the
 * quote and the backslash. */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};

void fmt_json_string(fmt_put_fn put, void *ctx, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	put(ctx, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = u[i];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			put(ctx, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			char esc[8];
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(ctx, esc, 6);
			i++;
		} else if (c < 0x80) {
			size_t j = i + 1; /* a run of plain ASCII at once */
			while (j < n && plain[u[j]])
				j++;
			put(ctx, s + i, j - i);
			i = j;
		} else {
			size_t l = fmt_utf8_len(u + i, n - i);
			if (l == 0) {
				put(ctx, "\\ufffd", 6);
				i++;
			} else {
				put(ctx, s + i, l);
				i += l;
			}
		}
	}
	put(ctx, "\"", 1);
}
