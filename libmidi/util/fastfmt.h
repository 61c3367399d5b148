/* fastfmt.h: a small printf-style formatter for the conversions the
 * printers and midi_ump_describe use, several times faster than vsnprintf
 * (no locale, no stream machinery). Internal to libmidi. */
#ifndef MIDI_FASTFMT_H
#define MIDI_FASTFMT_H

#include <stdarg.h>
#include <stddef.h>

/* Format into out (cap bytes, NUL-terminated) like vsnprintf and return the
 * length, or -1 (ap consumed or not: the caller keeps a va_copy) when fmt
 * has a conversion it does not handle or the result does not fit: then the
 * caller formats with vsnprintf. Handled: %%, %c, %s, %d %i %u %x %X with
 * the flags '0' and '+', a width, and the length modifiers l, ll, z. */
int fastfmt(char *out, size_t cap, const char *fmt, va_list ap);

#endif
