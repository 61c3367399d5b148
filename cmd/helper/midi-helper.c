/* midi-helper: the broker's helper program, started by the library
 * (libmidi/broker/spawn.c), never by hand. It is installed in
 * $PREFIX/libexec; its roles and command lines are midi-helper(8) and
 * libmidi/broker/helper.c. Exit status 2 for a bad command line, 1 when
 * the lock is not a usable lock file. */
#include "midi/helper.h"

int main(int argc, char **argv)
{
	return midi_helper_main(argc, argv);
}
