/* output.h: what midi-mon and midi-send share for their output: -o FILE,
 * the format a file name implies, and the options of a Standard MIDI File
 * (--smf-format, --division, --tempo). No MIDI logic lives here. */
#ifndef MIDI_CMD_OUTPUT_H
#define MIDI_CMD_OUTPUT_H

#include <getopt.h>

#include "midi/format.h"
#include "midi/smf.h"

enum { OUT_OPT_SMF_FORMAT = 0x400, OUT_OPT_DIVISION, OUT_OPT_TEMPO };
#define OUT_SMF_LONG_OPTIONS                                              \
	{"smf-format", required_argument, 0, OUT_OPT_SMF_FORMAT},         \
	{"division", required_argument, 0, OUT_OPT_DIVISION},             \
	{"tempo", required_argument, 0, OUT_OPT_TEMPO}

struct out_smf {
	midi_smf_wopts o;
	const char *given;      /* the first SMF option given, NULL if none */
};
#define OUT_SMF_INIT {.o = {.format = 1}} /* format 1, the writer's defaults */

/* Take one of the OUT_SMF_LONG_OPTIONS: 0, or the usage status (reported). */
int out_smf_option(struct out_smf *s, int opt, const char *arg);
/* A file name ending in .mid, .midi or .smf (any case) means smf. */
int out_name_is_smf(const char *path);
/* Check the chosen output format against the SMF options and the place
 * the output goes, then send standard output to path (if not NULL nor
 * "-"). An SMF is never written to a terminal. Returns 0, or the exit
 * status (reported). */
int out_open(const char *path, midi_format fmt, const struct out_smf *s);

#endif
