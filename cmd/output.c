/* output.c: what midi-mon and midi-send share for their output: -o FILE
 * (standard output reopened there, created before anything is read or
 * recorded, so a bad path fails at once), the smf format a .mid name
 * implies, the SMF options (--smf-format 0|1, --division TICKS, --tempo
 * BPM) and the rule that a Standard MIDI File never goes to a terminal. */
#include "output.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

int out_smf_option(struct out_smf *s, int opt, const char *arg)
{
	unsigned long v;
	if (!s->given)
		s->given = opt == OUT_OPT_SMF_FORMAT ? "--smf-format"
			 : opt == OUT_OPT_DIVISION   ? "--division"
						     : "--tempo";
	switch (opt) {
	case OUT_OPT_SMF_FORMAT:
		if (cli_uint(arg, 0, 1, "MIDI file format (0 or 1)", &v) < 0)
			return EXIT_USAGE;
		s->o.format = (unsigned)v;
		return 0;
	case OUT_OPT_DIVISION:
		if (cli_uint(arg, 1, 32767, "division (ticks per quarter note, 1-32767)", &v) < 0)
			return EXIT_USAGE;
		s->o.division = (unsigned)v;
		return 0;
	default: {
		char *end;
		errno = 0;
		double bpm = strtod(arg, &end);
		if (errno || end == arg || *end || !(bpm >= 4 && bpm <= 1000))
			return cli_usage_error("invalid tempo '%s' (beats per minute, 4-1000)", arg);
		s->o.tempo_us = (uint32_t)llround(60e6 / bpm);
		return 0;
	}
	}
}

int out_name_is_smf(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;
	return dot && (!strcasecmp(dot, ".mid") || !strcasecmp(dot, ".midi") ||
		       !strcasecmp(dot, ".smf"));
}

int out_open(const char *path, midi_format fmt, const struct out_smf *s)
{
	int to_stdout = !path || !strcmp(path, "-");
	if (s->given && fmt != MIDI_FMT_SMF)
		return cli_usage_error("%s is for the smf output format", s->given);
	if (fmt == MIDI_FMT_SMF && to_stdout && isatty(STDOUT_FILENO))
		return cli_usage_error("a MIDI file is not written to a terminal: use -o FILE or redirect standard output");
	if (to_stdout)
		return 0;
	if (!freopen(path, "wb", stdout)) {
		midi_error e = {0};
		midi_error_sys(&e, errno, "cannot open %s", path);
		return cli_report(&e);
	}
	return 0;
}
