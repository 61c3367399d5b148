/* route.h: lasting routes, what aconnect(1) is to ALSA: what arrives on
 * endpoint FROM (what a client of FROM receives, as `midi-mon -e FROM`
 * prints it) is sent to endpoint TO (as `midi-send -e TO` would), until the
 * route is removed, with no program running: the broker side keeps it (a
 * route runner, midi-helper(8)). Optionally only some message types,
 * groups and channels pass, groups and channels are mapped to others, and
 * channel voice messages are translated to one protocol.
 *
 * A route is declared in the configuration file ([route NAME] sections,
 * midi.conf(5): persistent) or made with midi_route_add (transient: kept
 * in the runtime directory until removed or until the directory goes).
 * Both ends are followed by id through restarts and replugging.
 *
 * What a packet goes through, in order: the filter (types, groups,
 * channels of the input), the group map, the channel map (channel voice
 * messages), then the protocol translation (midi/translate.h: MIDI 1.0 ->
 * 2.0 with state per route, 2.0 -> 1.0 stateless). */
#ifndef MIDI_ROUTE_H
#define MIDI_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "midi/endpoint.h"
#include "midi/error.h"
#include "midi/filter.h"
#include "midi/translate.h"
#include "midi/ump.h"

#define MIDI_ROUTE_NAME_MAX 41 /* 1-40 letters, digits, '.', '_', '-', and NUL */

typedef struct midi_route {
	char name[MIDI_ROUTE_NAME_MAX];
	char from[MIDI_ID_MAX];   /* endpoint id whose arrivals are routed */
	char to[MIDI_ID_MAX];     /* endpoint id they are sent to */
	char types[96];           /* the type list as given ("" = every type) */
	midi_filter filter;       /* what passes: types, groups, channels */
	uint8_t group_map[16];    /* output group (0-15) of each input group */
	uint8_t channel_map[16];  /* output channel (0-15) of each input channel */
	uint8_t protocol;         /* 0 as it comes, 1 MIDI 1.0 (MT 2), 2 MIDI 2.0 (MT 4) */
	uint8_t persistent;       /* declared in the configuration file */
	int line;                 /* its [route] line in that file, else 0 */
	char state[16];           /* midi_route_list: what the runner does with it:
	                           * "active" (both ends there), "waiting" (an end
	                           * is missing), "refused" (TO is FROM's loopback
	                           * peer: it would feed itself); "" not known yet */
} midi_route;

/* Every type, group and channel passes unchanged; no name or ends yet. */
void midi_route_init(midi_route *r);
/* Set one option from its text, as in a [route] section or on the command
 * line (any case for keys and words):
 *   from, to   an endpoint id (transport:name)
 *   filter     a type list (midi_filter(3): "note,cc", "-clock"; starts
 *              from every type), alias types
 *   groups, channels  which pass: numbers and ranges 1-16 ("1-4,10")
 *   group, channel    maps "A>B[,A>B...]" (1-16; "*>B": every one to B;
 *              A:B is the same, easier on a command line);
 *              what is not mapped keeps its group or channel
 *   protocol   midi1 or midi2 (channel voice messages translated), or as-is
 * 0, or -MIDI_ERR_INPUT naming the key and what was wrong. */
int midi_route_set(midi_route *r, const char *key, const char *value, midi_error *e);
/* The name (1-40 letters, digits, '.', '_', '-'), both ends (ids with a
 * ':'), and FROM != TO. 0 or -MIDI_ERR_INPUT. */
int midi_route_check(const midi_route *r, midi_error *e);
/* The options that differ from midi_route_init's, as "key=value" words
 * separated by one space, in the order of midi_route_set's list (from and
 * to left out); "" when none. Each word given back to midi_route_set gives
 * the same route. Returns the length it needed (like snprintf). */
int midi_route_options(const midi_route *r, char *buf, size_t n);

/* A route's running state: the protocol translators. */
typedef struct midi_route_state {
	midi_up up;
	midi_down down;
	uint64_t filtered; /* packets the filter held back */
} midi_route_state;
void midi_route_state_init(midi_route_state *s);
/* Route one packet: 0 or more packets out through cb (a SysEx packet
 * stays one packet; a MIDI 1.0 Data Entry may wait for its pair). Returns
 * 0 or what cb returned. Pure: no I/O. */
int midi_route_put(const midi_route *r, midi_route_state *s, const midi_ump *in, midi_ump_cb cb,
		   void *ctx);

/* Make a transient route (checked with midi_route_check; its ends need
 * not exist yet). The route runner starts if none runs. A name in use
 * (transient or persistent) is refused. 0 or a negative status. */
int midi_route_add(const midi_route *r, midi_error *e);
/* Remove a transient route; a persistent one is refused (its section
 * must go from the configuration file). -MIDI_ERR_NOTFOUND if none. */
int midi_route_remove(const char *name, midi_error *e);
/* Every route: persistent ones (configuration file order), then
 * transient ones (by name). *out malloc'd (free with free()). */
int midi_route_list(midi_route **out, size_t *n, midi_error *e);

#endif
