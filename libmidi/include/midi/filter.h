/* filter.h: choosing messages by type, group and channel, as monitors and
 * capture tools do. A filter is built from user lists ("note,cc",
 * "1-4,10") and then matched against packets; messages are classified from
 * the raw packet bits (no decoding needed).
 *
 * Types (names accepted in lists, any case):
 *   note      Note On / Note Off (MIDI 1.0 and MIDI 2.0)
 *   pressure  polyphonic and channel pressure
 *   cc        control change
 *   pc        program change
 *   pb        pitch bend
 *   rpn       MIDI 2.0 registered/assignable controllers, absolute and
 *             relative (RPN/NRPN)
 *   pernote   MIDI 2.0 per-note controllers, per-note pitch bend, per-note
 *             management
 *   sysex     SysEx7, SysEx8 and Mixed Data Set
 *   system    system common and real time except clock and active sensing
 *   clock     timing clock (F8)
 *   sense     active sensing (FE)
 *   utility   MT 0x0: NOOP, JR clock/timestamp, delta clockstamps
 *   stream    MT 0xF: UMP stream messages
 *   flex      MT 0xD: flex data
 *   other     reserved message types and opcodes
 * Shorthands: voice (every channel voice type), midi1 (every MT 0x2
 * message), midi2 (every MT 0x4 message), all (everything).
 *
 * The default filter passes everything except clock and sense. A type list
 * replaces that set; a list whose first item starts with '-' edits the
 * default instead ("-pb" hides pitch bend, "-utility,clock" hides utility
 * and shows clock). Group lists (1-16) apply to messages that carry a group
 * (all but utility and stream); channel lists (1-16) apply to channel voice
 * messages only. */
#ifndef MIDI_FILTER_H
#define MIDI_FILTER_H

#include <stdint.h>

#include "midi/error.h"
#include "midi/ump.h"

/* The types of the list above, numbered in that order. */
enum midi_filter_type {
	MIDI_FILTER_NOTE, MIDI_FILTER_PRESSURE, MIDI_FILTER_CC, MIDI_FILTER_PC, MIDI_FILTER_PB,
	MIDI_FILTER_RPN, MIDI_FILTER_PERNOTE, MIDI_FILTER_SYSEX, MIDI_FILTER_SYSTEM,
	MIDI_FILTER_CLOCK, MIDI_FILTER_SENSE, MIDI_FILTER_UTILITY, MIDI_FILTER_STREAM,
	MIDI_FILTER_FLEX, MIDI_FILTER_OTHER,
	MIDI_FILTER_TYPES /* how many */
};

/* groups and channels are public (bit masks of 0-based values); types is
 * private: use the functions below. */
typedef struct midi_filter {
	uint64_t types;    /* passing (type, protocol) classes: see filter.c */
	uint16_t groups;   /* bit g set: group g (0-15) passes */
	uint16_t channels; /* bit c set: channel c (0-15) passes */
} midi_filter;

/* Everything except clock and active sensing, every group and channel. */
void midi_filter_init(midi_filter *f);
/* Set the type set from a comma list (see above). 0 or -MIDI_ERR_INPUT
 * naming the unknown type. */
int midi_filter_set_types(midi_filter *f, const char *list, midi_error *e);
/* Show (on) or hide (!on) the types named in list, leaving the others as
 * they are ("note,cc"; shorthands allowed; the list is read as by
 * midi_filter_set_types starting from no type). 0 or -MIDI_ERR_INPUT
 * naming the unknown type. */
int midi_filter_show_types(midi_filter *f, const char *list, int on, midi_error *e);
/* Let clock (F8) or active sensing (FE) through, or not. */
void midi_filter_show_clock(midi_filter *f, int on);
void midi_filter_show_sense(midi_filter *f, int on);
/* Parse a list of 1-based numbers and ranges in [1, 16] ("1,3-5,16") into
 * a bit mask of 0-based values; what names the list in errors ("group").
 * 0 or -MIDI_ERR_INPUT. */
int midi_filter_parse_set(const char *list, const char *what, uint16_t *out, midi_error *e);
/* 1 when the packet passes. */
int midi_filter_match(const midi_filter *f, const midi_ump *u);
/* The type name of a packet ("note", "clock", ...), as used in lists. */
const char *midi_filter_type_name(const midi_ump *u);
/* The type of a packet. */
enum midi_filter_type midi_filter_type_of(const midi_ump *u);
/* The name of a type ("note" ... "other"); NULL when out of range. */
const char *midi_filter_type_str(unsigned type);
/* 1 when f lets messages of the type through (in some protocol: MIDI 1.0
 * or 2.0 for channel voice types), leaving groups and channels aside; 0
 * otherwise (and for a type out of range). */
int midi_filter_passes_type(const midi_filter *f, unsigned type);
/* 1 when the packet ends a message: every packet except SysEx7/SysEx8
 * Start and Continue. Counting these counts messages, not packets. */
int midi_ump_ends_message(const midi_ump *u);

#endif
