/* error.h: the one error type of libmidi. Every fallible call takes a
 * `midi_error *` (may be NULL) and fills it with a code and a human message
 * that names what was wrong and where. Codes double as program exit statuses. */
#ifndef MIDI_ERROR_H
#define MIDI_ERROR_H

#include <stddef.h>

enum midi_status {
	MIDI_OK = 0,
	MIDI_ERR_RUNTIME = 1,  /* system or broker failure */
	MIDI_ERR_INPUT = 2,    /* usage or input error (bad text, bad file) */
	MIDI_ERR_NOTFOUND = 3, /* endpoint not found or ambiguous */
	MIDI_ERR_TIMEOUT = 4,  /* timed out */
	MIDI_ERR_LOST = 5,     /* messages were lost */
	MIDI_ERR_CLOSED = 6,   /* endpoint went away; connection closed */
};

typedef struct midi_error {
	int code;        /* enum midi_status */
	int line, col;   /* 1-based position in input, 0 when not applicable */
	char msg[512];   /* human message, NUL-terminated */
} midi_error;

/* Fill *e (if not NULL) and return -code (a negative value), so callers can
 * write `return midi_error_set(e, MIDI_ERR_INPUT, "...")`. */
int midi_error_set(midi_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), cold));
/* Same, with a line and column: the message is prefixed "line L, column C: ". */
int midi_error_at(midi_error *e, int code, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6), cold));
/* Same, appending ": strerror(errno_value)". */
int midi_error_sys(midi_error *e, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), cold));
void midi_error_clear(midi_error *e);

#endif
