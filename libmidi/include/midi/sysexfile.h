/* sysexfile.h: SysEx as whole MIDI 1.0 messages (F0 ... F7), as .syx files
 * hold them: splitting and checking a .syx image, loading a file, hex byte
 * arguments, and the Universal Non-Realtime Identity Request.
 * Packets (MT3/MT5) are made and reassembled by translate.h. */
#ifndef MIDI_SYSEXFILE_H
#define MIDI_SYSEXFILE_H

#include <stddef.h>
#include <stdint.h>

#include "midi/error.h"

/* One message inside a buffer: buf[off] is F0, buf[off + len - 1] is F7. */
typedef struct midi_syx_msg {
	size_t off, len;
} midi_syx_msg;

/* Split a .syx image into its messages. Every byte must belong to an
 * F0 ... F7 message whose inner bytes are 00-7F, and there must be at least
 * one message. On success returns the count and *msgs (malloc'd; free with
 * free()); otherwise -MIDI_ERR_INPUT (or -MIDI_ERR_RUNTIME when out of
 * memory) with *msgs NULL and e->msg naming the byte offset ("byte 12: ...",
 * offsets from 0, as cmp and hexdump count). */
long midi_syx_split(const uint8_t *buf, size_t n, midi_syx_msg **msgs, midi_error *e);

/* A .syx file read whole and split. */
typedef struct midi_syx_file {
	uint8_t *data;
	size_t len;
	midi_syx_msg *msgs;
	size_t count;
} midi_syx_file;
/* Read path ("-" is standard input) to its end and split it. Errors name
 * the file ("patch.syx: byte 12: ..."): -MIDI_ERR_INPUT for bad contents,
 * -MIDI_ERR_RUNTIME when it cannot be read. On error *f is left empty. */
int midi_syx_load(const char *path, midi_syx_file *f, midi_error *e);
void midi_syx_file_free(midi_syx_file *f);

/* Append the bytes written as hex pairs in s ("F0 7E", "f07e", "0x7E",
 * pairs separated by spaces, commas or nothing) to out[*len], cap bytes at
 * most. 0, or -MIDI_ERR_INPUT naming the 1-based column in s. */
int midi_hex_bytes(const char *s, uint8_t *out, size_t cap, size_t *len, midi_error *e);

/* ---- device identity (MIDI 1.0 Universal Non-Realtime, sub-ids 06 01) ---- */
#define MIDI_SYSEX_ALL_CALL 0x7F        /* device id that every device answers */
#define MIDI_IDENTITY_REQUEST_LEN 6
/* F0 7E <device> 06 01 F7 into out; returns 6. The reply is parsed by
 * midi_identity_reply_parse (midi/identity.h). */
size_t midi_identity_request(unsigned device, uint8_t out[MIDI_IDENTITY_REQUEST_LEN]);

#endif
