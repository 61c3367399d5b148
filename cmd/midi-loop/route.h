/* route.h: `midi-loop route`, `unroute` and `routes`, lasting routes from
 * one endpoint to another (cmd/midi-loop/route.c), called by the midi-loop
 * front end. */
#ifndef MIDI_LOOP_ROUTE_H
#define MIDI_LOOP_ROUTE_H

/* argv[0] is "route", "unroute" or "routes". Returns the exit status. */
int cmd_route(int argc, char **argv);
int cmd_unroute(int argc, char **argv);
int cmd_routes(int argc, char **argv);

#endif
