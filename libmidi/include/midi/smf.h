/* smf.h: Standard MIDI File (format 0, 1; format 2 tracks played one after
 * another) reader. Tracks are merged in time order (ties: track order, then
 * file order), the tempo map turns ticks into nanoseconds (SMPTE division
 * too), running status inside tracks is honoured, meta events are not
 * emitted (tempo is used), SysEx events (F0 and F7 escapes) are carried. */
#ifndef MIDI_SMF_H
#define MIDI_SMF_H

#include <stddef.h>
#include <stdint.h>

#include "midi/error.h"
#include "midi/ump.h"

typedef struct midi_smf_event {
	uint64_t time_ns;     /* from the start of the file */
	uint64_t tick;
	uint16_t track;
	uint16_t len;         /* bytes in data (a complete message, status included;
	                       * SysEx as F0 ... F7; F7 escapes as their raw bytes;
	                       * a SysEx event longer than 65535 bytes comes as
	                       * several events of the same time, the later ones
	                       * raw continuation bytes) */
	const uint8_t *data;  /* valid during the callback only */
} midi_smf_event;
typedef int (*midi_smf_cb)(void *ctx, const midi_smf_event *ev);

/* Parse a whole file image; calls cb for each MIDI or SysEx event in merged
 * time order. Returns 0, cb's non-zero value, or a negative status with e
 * naming the problem and its byte offset (truncated chunk, bad VLQ, ...). */
int midi_smf_parse(const uint8_t *buf, size_t n, midi_smf_cb cb, void *ctx, midi_error *e);

/* The same file as UMP packets (MT1/MT2/MT3 on `group`), time_ns set. *out
 * is malloc'd. */
int midi_smf_to_ump(const uint8_t *buf, size_t n, unsigned group, midi_packet **out,
		    size_t *count, midi_error *e);

#endif
