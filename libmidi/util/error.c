/* error.c: filling midi_error values (see midi/error.h); messages are
 * escaped for the terminal (midi/text.h) as they are made. */
#include "midi/error.h"
#include "midi/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void midi_error_clear(midi_error *e)
{
	if (e) {
		e->code = MIDI_OK;
		e->line = e->col = 0;
		e->msg[0] = '\0';
	}
}

static void vset(midi_error *e, int code, int line, int col, const char *fmt, va_list ap)
{
	size_t off = 0;
	e->code = code;
	e->line = line;
	e->col = col;
	if (line > 0) {
		int n = snprintf(e->msg, sizeof e->msg, "line %d, column %d: ", line, col);
		off = n > 0 ? (size_t)n : 0;
		if (off >= sizeof e->msg)
			off = sizeof e->msg - 1;
	}
	vsnprintf(e->msg + off, sizeof e->msg - off, fmt, ap);
	/* Messages quote input: never let it drive the user's terminal. */
	char raw[sizeof e->msg];
	memcpy(raw, e->msg, sizeof raw);
	midi_text_escape(e->msg, sizeof e->msg, raw, strlen(raw));
}

int midi_error_set(midi_error *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vset(e, code, 0, 0, fmt, ap);
		va_end(ap);
	}
	return -code;
}

int midi_error_at(midi_error *e, int code, int line, int col, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vset(e, code, line, col, fmt, ap);
		va_end(ap);
	}
	return -code;
}

int midi_error_sys(midi_error *e, int errno_value, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vset(e, MIDI_ERR_RUNTIME, 0, 0, fmt, ap);
		va_end(ap);
		size_t len = strlen(e->msg);
		snprintf(e->msg + len, sizeof e->msg - len, ": %s", strerror(errno_value));
	}
	return -MIDI_ERR_RUNTIME;
}
