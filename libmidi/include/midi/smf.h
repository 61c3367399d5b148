/* smf.h: Standard MIDI Files both ways. The reader (format 0, 1; format 2
 * tracks played one after another): tracks are merged in time order (ties:
 * track order, then file order), the tempo map turns ticks into
 * nanoseconds (SMPTE division too), running status inside tracks is
 * honoured, meta events are not emitted (tempo is used, and passed on on
 * request), SysEx events (F0 and F7 escapes) are carried. The writer
 * (format 0 or 1, a division and starting tempo of the caller's choice):
 * timed UMP packets or MIDI 1.0 events by tick in, a file image out. */
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

/* Flags of midi_smf_parse_flags and midi_smf_to_ump_flags. */
#define MIDI_SMF_TEMPO 0x1 /* pass tempo changes on too: as events of 6 bytes
                            * FF 51 03 tt tt tt (microseconds per quarter
                            * note), before the other events of their tick;
                            * as Flex Data Set Tempo packets from
                            * midi_smf_to_ump_flags */
int midi_smf_parse_flags(const uint8_t *buf, size_t n, unsigned flags, midi_smf_cb cb, void *ctx,
			 midi_error *e);

/* The same file as UMP packets (MT1/MT2/MT3 on `group`), time_ns set. *out
 * is malloc'd. */
int midi_smf_to_ump(const uint8_t *buf, size_t n, unsigned group, midi_packet **out,
		    size_t *count, midi_error *e);
int midi_smf_to_ump_flags(const uint8_t *buf, size_t n, unsigned group, unsigned flags,
			  midi_packet **out, size_t *count, midi_error *e);

/* ---- writing ---- */
typedef struct midi_smf_writer midi_smf_writer;
typedef struct midi_smf_wopts {
	unsigned format;      /* 0: one track; 1: a tempo track, then one track
	                       * per group and channel (and per group for
	                       * SysEx and system messages), in order of first use */
	unsigned division;    /* ticks per quarter note, 1-32767 (0: 960) */
	uint32_t tempo_us;    /* starting tempo, microseconds per quarter note,
	                       * 1-16777215 (0: 500000, 120 bpm) */
	uint64_t origin_ns;   /* packet time of tick 0 (midi_smf_writer_put) */
	int from_first;       /* tick 0 is the first packet's time instead */
} midi_smf_wopts;
/* o may be NULL (format 1, defaults). NULL with e set on a bad option. */
midi_smf_writer *midi_smf_writer_new(const midi_smf_wopts *o, midi_error *e);
void midi_smf_writer_free(midi_smf_writer *w);
/* One timed packet: time_ns becomes ticks with the tempo map (never going
 * back); MIDI 2.0 channel voice messages are translated to MIDI 1.0; a
 * SysEx7 message is written whole as one F0 ... F7 event at the time of its
 * first packet; System Common and Real-Time messages as F7 escape events;
 * a Flex Data Set Tempo is a tempo change (FF 51) from then on; anything
 * with no MIDI 1.0 form (SysEx8, per-note controllers, Flex Data but tempo,
 * UMP Stream; utility messages are ignored) is counted, see
 * midi_smf_writer_dropped. 0 or a negative status (out of memory). */
int midi_smf_writer_put(midi_smf_writer *w, const midi_packet *p, midi_error *e);
/* One MIDI 1.0 event by tick on a track (format 0: track 0; format 1: 0 is
 * the tempo track, tracks are made as needed, at most 256): a channel
 * message with its status byte, a SysEx F0 ... F7, or a System Common or
 * Real-Time message. Ticks on a track must not go back. 0 or -MIDI_ERR_INPUT
 * naming what was wrong. */
int midi_smf_writer_event(midi_smf_writer *w, uint64_t tick, unsigned track, const uint8_t *data,
			  size_t len, midi_error *e);
/* Packets given to midi_smf_writer_put that were not written. */
uint64_t midi_smf_writer_dropped(const midi_smf_writer *w);
/* The file image so far (every track closed by End of Track at its last
 * event), malloc'd into *out. The writer can go on being fed. */
int midi_smf_writer_finish(midi_smf_writer *w, uint8_t **out, size_t *n, midi_error *e);

#endif
