/* format.h: the text formats the programs read and write (grammar in
 * midi-formats(7)): ump, hex, bin, text, json (output
 * only), smf (Standard MIDI Files). A reader turns input, fed in any split,
 * into packets with errors naming line and column; a printer turns packets
 * into one line per message (smf: a whole file at the end). */
#ifndef MIDI_FORMAT_H
#define MIDI_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "midi/error.h"
#include "midi/smf.h"
#include "midi/ump.h"

typedef enum midi_format {
	MIDI_FMT_UMP = 1,
	MIDI_FMT_HEX,
	MIDI_FMT_BIN,
	MIDI_FMT_TEXT,
	MIDI_FMT_JSON,
	MIDI_FMT_SMF,
} midi_format;

/* "ump", "hex", "bin", "text", "json", "smf" (any case). 0 or -MIDI_ERR_INPUT. */
int midi_format_parse_name(const char *name, midi_format *out, midi_error *e);
const char *midi_format_name(midi_format f);

/* ---- reading ---- */
typedef struct midi_reader midi_reader;
/* Packets produced carry time_ns = offset from the start of the input (text
 * delays "+10ms" and absolute "@1.5s", SMF timing), else 0. */
typedef int (*midi_packet_cb)(void *ctx, const midi_packet *p);
/* group: default group 0-15 for messages that do not name one. */
midi_reader *midi_reader_new(midi_format f, unsigned group, midi_error *e);
void midi_reader_free(midi_reader *r);
/* Feed bytes. Returns 0, the callback's non-zero value, or a negative status
 * (error in e with line/column; packets before the error were delivered). */
int midi_reader_feed(midi_reader *r, const void *buf, size_t n, midi_packet_cb cb, void *ctx,
		     midi_error *e);
/* End of input: flushes what is pending, reports truncation as an error. */
int midi_reader_end(midi_reader *r, midi_packet_cb cb, void *ctx, midi_error *e);
/* MIDI_READ_TEMPO: the smf reader passes a file's tempo changes on as Flex
 * Data Set Tempo packets (which midi_printer's smf output writes back). */
#define MIDI_READ_TEMPO 0x1
void midi_reader_set_flags(midi_reader *r, unsigned flags);

/* ---- printing ---- */
#define MIDI_PRINT_TIME 0x1     /* prefix a timestamp */
#define MIDI_PRINT_ABSTIME 0x2  /* timestamps as absolute monotonic seconds */
#define MIDI_PRINT_FROM_FIRST 0x4 /* relative timestamps count from the first message printed */
typedef struct midi_printer midi_printer;
/* base_ns: time subtracted from packet times when printing relative
 * timestamps. MIDI_FMT_SMF: a Standard MIDI File (format 1, 960 ticks per
 * quarter note, 120 bpm), written whole by midi_printer_end; tick 0 is at
 * base_ns, or at the first packet with MIDI_PRINT_FROM_FIRST. */
midi_printer *midi_printer_new(midi_format f, unsigned flags, uint64_t base_ns, midi_error *e);
/* The same with the file's format, division and tempo of o (its origin
 * fields are ignored: flags and base_ns say where tick 0 is). */
midi_printer *midi_printer_new_smf(const midi_smf_wopts *o, unsigned flags, uint64_t base_ns,
				   midi_error *e);
/* Packets that had no form in the printer's format and were left out
 * (hex, bin, smf). */
uint64_t midi_printer_dropped(const midi_printer *pr);
void midi_printer_free(midi_printer *pr);
/* Print one packet: zero or more complete lines go to out (stateful: a
 * multi-packet SysEx prints once complete in text/hex/bin forms). Returns 0
 * or a negative status (write error). */
int midi_printer_put(midi_printer *pr, const midi_packet *p, FILE *out);
/* Print n packets, as n calls of midi_printer_put would (the same bytes),
 * in fewer writes. Returns 0 or a negative status (write error). */
int midi_printer_put_many(midi_printer *pr, const midi_packet *p, size_t n, FILE *out);
/* Flush anything pending (an unfinished SysEx is printed as far as it got). */
int midi_printer_end(midi_printer *pr, FILE *out);

#endif
