/* watch.h: endpoint watcher. Reports endpoints added, removed and updated
 * (with the properties that changed), one "enumerated" after the endpoints
 * present at start, and "stopped" when stopped. Built on the registry's
 * event log; a watcher that falls behind the log re-synchronises from the
 * endpoint table and still reports a correct picture (added/removed/updated
 * for the differences). Poll-friendly through midi_watch_fd. */
#ifndef MIDI_WATCH_H
#define MIDI_WATCH_H

#include <stdint.h>

#include "midi/endpoint.h"
#include "midi/error.h"

enum midi_watch_kind {
	MIDI_WATCH_ADDED = 1,
	MIDI_WATCH_REMOVED,
	MIDI_WATCH_UPDATED,
	MIDI_WATCH_ENUMERATED,
	MIDI_WATCH_STOPPED,
};

#define MIDI_WATCH_REASON_MAX 160
typedef struct midi_watch_event {
	int kind;                 /* enum midi_watch_kind */
	uint32_t changed;         /* UPDATED: MIDI_PROP_* bits (endpoint.h) */
	midi_endpoint_info info;  /* the endpoint now; REMOVED: as last seen */
	/* REMOVED: why, as its connections were told ("is gone: device
	 * unplugged", "was removed"); "" when not known (a watcher that fell
	 * behind the log and re-synchronised). */
	char reason[MIDI_WATCH_REASON_MAX];
} midi_watch_event;

typedef struct midi_watcher midi_watcher;
#define MIDI_WATCH_ALL 0x1        /* include diagnostic endpoints */

midi_watcher *midi_watch_open(unsigned flags, midi_error *e);
/* Next event: 1 with *ev filled, 0 on timeout (timeout_ms 0 = poll, -1 =
 * forever), negative status on error. After midi_watch_stop the next call
 * returns MIDI_WATCH_STOPPED once, then -MIDI_ERR_CLOSED. */
int midi_watch_next(midi_watcher *w, midi_watch_event *ev, int timeout_ms, midi_error *e);
/* Readable while events may be waiting; midi_watch_next drains it. */
int midi_watch_fd(midi_watcher *w, midi_error *e);
/* Async-signal-safe: request a stop (from a signal handler too). */
void midi_watch_stop(midi_watcher *w);
void midi_watch_close(midi_watcher *w);
/* "added", "removed", "updated", "enumerated", "stopped". */
const char *midi_watch_kind_name(int kind);

#endif
