/* text.h: making untrusted bytes safe to show on a terminal. Names that
 * devices and configuration files declare, and input quoted in error
 * messages, may hold bytes that drive a terminal (ESC, BEL, the C1 control
 * CSI U+009B) or are not UTF-8. Human-readable output shows them escaped:
 * each byte of a control character (C0 including NUL, DEL, C1 U+0080 to
 * U+009F) and each byte that is not part of valid UTF-8 becomes \xHH (two
 * uppercase hex digits); printable UTF-8 ("Café", CJK) is kept as it is.
 * Escaped text is printable ASCII/UTF-8 only, so escaping it again changes
 * nothing. JSON output has its own escaping and does not use this. */
#ifndef MIDI_TEXT_H
#define MIDI_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Escape the n bytes at src (NULs included) into dst (size bytes, always
 * NUL-terminated when size > 0; an escape is never cut in half). Returns
 * the length the whole escaped text needs, without the NUL, as snprintf
 * does: a result >= size means it was truncated. */
size_t midi_text_escape(char *dst, size_t size, const char *src, size_t n);
/* Write the n bytes at src escaped to out. 0, or -1 when writing failed. */
int midi_text_put(const char *src, size_t n, FILE *out);
/* Same for a NUL-terminated string. */
int midi_text_puts(const char *s, FILE *out);

#endif
