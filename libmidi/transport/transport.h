/* transport.h: the table of operations a transport fills in. The broker
 * knows only this table; adding a transport (usb, virt, alsa, net) is one
 * new file set plus one line in transport.c's list.
 *
 * Data path: every endpoint has an `out` ring (what its clients receive).
 * A send goes either directly into the `out` ring of a peer endpoint (the
 * loopback transports: route_send names the peer), or, for a hosted
 * endpoint (reg_slot.hosted), into the endpoint's own `in` ring, which the
 * endpoint's host drains with host_input. The host is whoever holds the
 * endpoint's host lock; the broker spawns one on demand (see host.c). */
#ifndef MIDI_TRANSPORT_H
#define MIDI_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"

struct host; /* host.c: the serving side of a hosted endpoint */

struct midi_transport {
	const char *name; /* "diag", "loop", "virt" */
	/* Registry created or rebuilt (registry lock held): add the built-in
	 * endpoints. May be NULL. */
	int (*registry_init)(struct rt *rt, midi_error *e);
	/* Non-hosted endpoint: write the id of the endpoint whose `out` ring
	 * receives what is sent to ep. Returns 0 or a negative status. */
	int (*route_send)(const struct reg_slot *ep, char *peer_id, size_t n, midi_error *e);
	/* Hosted endpoint, in the host process: n packets clients sent, with
	 * the senders' connection ids as tags. Returns 0 or negative. */
	int (*host_input)(struct host *h, const midi_packet *p, const uint32_t *tags, size_t n);
	/* Hosted endpoint: called while the host is idle and after input; returns
	 * the ns until it wants to be called again, or -1 (device I/O and the
	 * scheduler plug in here). May be NULL. */
	int64_t (*host_tick)(struct host *h);
	/* Discover endpoints (device transports, hotplug). May be NULL. */
	int (*enumerate)(struct rt *rt, midi_error *e);
	/* Non-NULL for endpoints hosted by an application (virt): no host is
	 * ever spawned for them; when their host lock is free, the first
	 * process that notices removes them with this reason. */
	const char *host_exit_reason;
	/* The endpoint answers UMP discovery: a discovery agent runs when it
	 * appears (never for loopbacks: it would inject stream messages). */
	int discoverable;
	/* Configuration: sections [conf_section ARG] of midi.conf belong to
	 * this transport. conf_check validates one when the file is parsed
	 * (errors with conf_error, naming the line); conf_apply_locked applies
	 * every section of the transport (registry lock held) whenever the
	 * file changed. May be NULL. */
	const char *conf_section;
	int (*conf_check)(const struct conf *c, const struct conf_sec *sec, const char *path,
			  midi_error *e);
	int (*conf_apply_locked)(struct rt *rt, const struct conf *c, midi_error *e);
};

/* The transport named name ("diag"), or NULL. */
const struct midi_transport *transport_find(const char *name);
/* NULL-terminated list of every transport. */
extern const struct midi_transport *const transport_all[];

extern const struct midi_transport transport_diag;
extern const struct midi_transport transport_loop;
extern const struct midi_transport transport_virt;

/* For host_input implementations: send packets to the endpoint's clients
 * (tag 0 = every client, else only the connection with that id). */
int host_emit(struct host *h, const midi_packet *p, const uint32_t *tags, size_t n);
const struct reg_slot *host_slot(const struct host *h);

/* loop_pairs.c */
int loop_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
		    midi_error *e);
int loop_conf_apply_locked(struct rt *rt, const struct conf *c, midi_error *e);

/* Shared by loop and diag: fill a slot for a loopback-style endpoint. */
void transport_fill_slot(struct reg_slot *s, const char *transport, const char *id,
			 const char *transport_name, uint8_t purpose);

#endif
