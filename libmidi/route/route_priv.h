/* route_priv.h: what the route store (route_store.c) and the route runner
 * (route_runner.c) share: the transient routes file in the runtime
 * directory, the [route NAME] sections of the configuration file, and the
 * runner's state file. Public API: midi/route.h. */
#ifndef MIDI_ROUTE_PRIV_H
#define MIDI_ROUTE_PRIV_H

#include <stddef.h>

#include "broker/broker.h"
#include "midi/route.h"

/* Runtime files: the transient routes, one a line "NAME\tFROM\tTO\tOPTIONS"
 * (written whole by rename under ROUTES_LOCK), and the runner's state, one
 * a line "NAME\tSTATE" (active, waiting, refused), also by rename. */
#define ROUTES_FILE "routes"
#define ROUTES_LOCK "routes.lock"
#define ROUTES_STATE "routes.state"

/* conf_check of the route transport: one [route NAME] section. */
int route_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
		     midi_error *e);
/* Every route: the configuration's (c; NULL: none), then the transient
 * ones. *out malloc'd. A broken routes file is an error naming it. */
int route_load(struct rt *rt, const struct conf *c, midi_route **out, size_t *n, midi_error *e);
/* Whether any route exists (cheap: the routes file's size and, when there
 * is a configuration file, its [route] sections). */
int routes_exist(struct rt *rt);
/* 1 if the registry snapshot v shows that sending to `to` delivers to the
 * clients of `from` (to is from's loopback peer): a route would feed
 * itself. */
int route_feeds_itself(const struct reg_slot *v, size_t n, const char *from, const char *to);
/* Write a runtime file whole (NAME.tmp, then renamed): 0 or negative. */
int route_write_file(struct rt *rt, const char *name, const char *text, size_t len,
		     midi_error *e);
/* The runner's state of route name ("active", ...) into buf; 0, or -1
 * when the runner has not said. */
int route_state_of(struct rt *rt, const char *name, char *buf, size_t n);

extern const struct midi_transport transport_route;

#endif
