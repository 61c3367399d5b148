/* test.h: `midi-loop test OUT IN`, the loop test for hardware CI
 * (cmd/midi-loop/test.c), called by the midi-loop front end. */
#ifndef MIDI_LOOP_TEST_H
#define MIDI_LOOP_TEST_H

#include <stdio.h>

/* argv[0] is "test". usage prints midi-loop's help (for -h). Returns the
 * exit status. */
int cmd_test(int argc, char **argv, void (*usage)(FILE *));

#endif
