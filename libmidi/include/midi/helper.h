/* helper.h: the entry point of libmidi's helper program (midi-helper(8)).
 * The library starts that program for device hosts, discovery agents and
 * the scheduler; the installed program is one call of midi_helper_main.
 * Applications do not call it. */
#ifndef MIDI_HELPER_H
#define MIDI_HELPER_H

/* Run the helper role named by argv[1] with the arguments that follow
 * (see midi-helper(8)). A role does not return; the return value is an
 * exit status: 2 for a bad command line, 1 when the inherited lock
 * descriptor is not a usable lock file. */
int midi_helper_main(int argc, char **argv);

#endif
