/* nethost.h: `midi-loop net-host ENDPOINT`, serving an endpoint to the
 * network (cmd/midi-loop/nethost.c), called by the midi-loop front end. */
#ifndef MIDI_LOOP_NETHOST_H
#define MIDI_LOOP_NETHOST_H

/* argv[0] is "net-host". Returns the exit status. */
int cmd_net_host(int argc, char **argv);

#endif
