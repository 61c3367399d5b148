/* transport.h: the transport contract (v2): the table of operations a
 * transport fills in, and the host loop's services it may call. The
 * broker knows only this table; adding a transport (usb, alsa, net) is one
 * new file set plus one line in transport.c's list.
 *
 * Data path: every endpoint has an `out` ring (what its clients receive).
 * A send goes either straight into the `out` ring of a peer endpoint (the
 * loopbacks: route_send names the peer), or, for a hosted endpoint
 * (reg_slot.hosted), into the endpoint's own `in` ring, which a host
 * drains.
 *
 * Hosts. A host is a helper process (midi-helper, started with fork+exec
 * on demand by the first client that finds no host, replaced when killed,
 * gone when idle) serving a host group: every endpoint whose slot names
 * the same group (reg_slot.group; empty = the endpoint alone), for example
 * all ports of one device. It holds the group's host lock for its life.
 * Its loop waits in poll(2) on a doorbell that every client rings when it
 * publishes into one of the group's `in` rings, on the registry (endpoints
 * joining or leaving the group), and on whatever descriptors and timers
 * the transport asks for (a libusb pollfd, an ALSA sequencer descriptor, a
 * UDP socket, a timerfd), so a host with nothing to do sleeps.
 *   host_open    once per host process: make the transport's private state
 *                (host_set_priv), open devices, add descriptors/timers.
 *                If it fails, every endpoint of the group is removed, its
 *                clients told "is gone: its host could not start: " and
 *                e's message (rather than a wait for a host that exits at
 *                each start).
 *   host_attach  an endpoint joins (at start, or when the agent adds one);
 *                host_detach when it leaves (removed, unplugged). If it
 *                fails, the endpoint is removed ("is gone: its host could
 *                not open it"), unless the transport removed it already with a
 *                better reason (agent_remove).
 *   host_input   packets clients sent to one endpoint, with the senders'
 *                connection ids as tags. Returns how many it took, from
 *                the front (0..n): a busy device takes fewer, the rest stay
 *                queued in the `in` ring, and senders are slowed by the
 *                ring's back-pressure (rwriter.c), never losing anything.
 *                The host offers them again after host_ready, or after any
 *                of the transport's descriptors or timers fired.
 *   host_registry  the registry changed: clients came or went (a transport
 *                that listens only while its endpoints have clients starts
 *                at once, before their first message is offered).
 *   host_close   at exit.
 * host_emit sends to an endpoint's clients (tag 0 = every client, else the
 * connection with that id: replies).
 *
 * Agents. A transport with an agent (agent_open) gets one on-demand helper
 * process per runtime directory (midi-helper agent NAME, started by any
 * program that reads the registry when none runs; it exits when nobody has
 * used the transport's endpoints or watched the registry for a while).
 * The agent enumerates devices, then watches for hotplug with its own
 * descriptors and timers (same services as a host), and adds and removes
 * endpoints with agent_add / agent_remove; a UMP discovery agent starts
 * for every new endpoint of a discoverable transport. */
#ifndef MIDI_TRANSPORT_H
#define MIDI_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"

struct host;    /* host.c: one host or agent process's loop */
struct host_ep; /* one endpoint a host serves */

struct midi_transport {
	const char *name; /* "diag", "loop", "virt", "test" */
	/* Registry created or rebuilt (registry lock held): add the built-in
	 * endpoints. May be NULL. */
	int (*registry_init)(struct rt *rt, midi_error *e);
	/* Non-hosted endpoint: write the id of the endpoint whose `out` ring
	 * receives what is sent to ep. Returns 0 or a negative status. */
	int (*route_send)(const struct reg_slot *ep, char *peer_id, size_t n, midi_error *e);

	/* ---- hosting (see above); every hook may be NULL ---- */
	int (*host_open)(struct host *h, midi_error *e);
	void (*host_close)(struct host *h);
	int (*host_attach)(struct host *h, struct host_ep *ep);
	void (*host_detach)(struct host *h, struct host_ep *ep);
	size_t (*host_input)(struct host *h, struct host_ep *ep, const midi_packet *p,
			     const uint32_t *tags, size_t n);
	/* The registry changed (after attach/detach): an endpoint's
	 * properties or its clients (a connection opened or closed). */
	void (*host_registry)(struct host *h);

	/* ---- enumeration and hotplug (see above); NULL: no agent ---- */
	/* Whether an agent should run for this runtime directory (NULL: yes). */
	int (*agent_wanted)(struct rt *rt);
	int (*agent_open)(struct host *h, midi_error *e);
	void (*agent_close)(struct host *h);
	/* The registry changed (an endpoint added, removed or updated). */
	void (*agent_registry)(struct host *h);
	/* Non-zero while the agent has users the registry does not show (an
	 * ALSA application connected to an exported port): it stays. */
	int (*agent_busy)(struct host *h);

	/* Non-NULL for endpoints hosted by an application (virt): no host is
	 * ever spawned for them; when their host lock is free, the first
	 * process that notices removes them with this reason. */
	const char *host_exit_reason;
	/* The endpoint answers UMP discovery: a discovery agent runs when it
	 * appears (never for loopbacks: it would inject stream messages). */
	int discoverable;
	/* Its hosts serve devices whose input does not wait for them (kernel
	 * buffers that drop or overrun): they and its agent (the alsa agent
	 * carries the export's data) ask for real-time scheduling (rtprio.c)
	 * before host_open / agent_open. */
	int realtime;
	/* Configuration: sections [TYPE ARG] of midi.conf belong to this
	 * transport, TYPE one of the blank-separated words of conf_section
	 * ("net net-discovery"). conf_check validates one when the file is
	 * parsed (errors with conf_error, naming the line); conf_apply_locked applies
	 * every section of the transport (registry lock held) whenever the
	 * file changed. May be NULL. */
	const char *conf_section;
	int (*conf_check)(const struct conf *c, const struct conf_sec *sec, const char *path,
			  midi_error *e);
	int (*conf_apply_locked)(struct rt *rt, const struct conf *c, midi_error *e);
	/* midi_open(spec) before the lookup: if spec is the id of an endpoint
	 * of this transport that can exist but is not listed (rawmidi:hw:1,0),
	 * add it; a negative status (e set) when spec is of its form but
	 * cannot be; 0 otherwise. May be NULL. */
	int (*open_on_demand)(struct rt *rt, const char *spec, midi_error *e);
};

/* The transport named name ("diag"), or NULL. */
const struct midi_transport *transport_find(const char *name);
/* Every transport's open_on_demand for spec: 0 or the first failure. */
int transport_on_demand(struct rt *rt, const char *spec, midi_error *e);
/* NULL-terminated list of every transport. */
extern const struct midi_transport *const transport_all[];

extern const struct midi_transport transport_diag;
extern const struct midi_transport transport_loop;
extern const struct midi_transport transport_virt;
extern const struct midi_transport transport_test;
#ifdef MIDI_HAVE_LIBUSB
extern const struct midi_transport transport_usb; /* usb.c */
#endif

/* ---- host loop services (host.c), for hosts and agents ---- */

/* The transport's private state of this process. */
void host_set_priv(struct host *h, void *priv);
void *host_priv(const struct host *h);
struct rt *host_rt(const struct host *h);
/* The host group this process serves (reg_slot.group, or the endpoint's
 * segment when it is alone). */
const char *host_key(const struct host *h);
/* Watch fd for events (EPOLLIN...): cb runs from the loop. */
typedef void (*host_fd_cb)(struct host *h, int fd, uint32_t revents, void *arg);
int host_fd_add(struct host *h, int fd, uint32_t events, host_fd_cb cb, void *arg);
void host_fd_del(struct host *h, int fd);
/* One-shot timer at due_ns (CLOCK_MONOTONIC). Returns an id (>= 0). */
typedef void (*host_timer_cb)(struct host *h, void *arg);
int host_timer_add(struct host *h, uint64_t due_ns, host_timer_cb cb, void *arg);
void host_timer_del(struct host *h, int id);
/* Offer ep's queued input again (the device can take more). */
void host_ready(struct host *h, struct host_ep *ep);

/* An endpoint a host serves. */
const struct reg_slot *host_ep_slot(const struct host_ep *ep);
void host_ep_set_priv(struct host_ep *ep, void *priv);
void *host_ep_priv(const struct host_ep *ep);
/* Messages lost for good on their way to ep's clients (a network gap, an
 * overflow of the kernel's buffer): every client's midi_conn_lost counts
 * them, and clients waiting are woken (midi_recv returns, midi_conn_fd
 * becomes readable) to see it. */
void host_ep_lost(struct host_ep *ep, uint64_t n);
/* Live clients of ep now (its segment is mapped already: cheap). */
unsigned host_ep_clients(struct host_ep *ep);
/* The endpoints this host serves now (for a device-wide event). */
size_t host_eps(struct host *h, struct host_ep **out, size_t max);
/* Send packets to ep's clients (tags NULL: every client). */
int host_emit(struct host *h, struct host_ep *ep, const midi_packet *p, const uint32_t *tags,
	      size_t n);
/* The same to every client, each packet stamped with its time_ns (when it
 * arrived at the device; 0 = now) instead of the time of writing. */
int host_emit_timed(struct host *h, struct host_ep *ep, const midi_packet *p, size_t n);

/* Agents: add an endpoint (a slot made with transport_fill_slot; its
 * group, hosted flag and properties set) unless one with its id exists;
 * remove one by id with the reason clients are told. 0 or negative. */
int agent_add(struct host *h, const struct reg_slot *tmpl, midi_error *e);
int agent_remove(struct host *h, const char *id, const char *reason);
/* Ids of the endpoints of this agent's transport (malloc'd array of n). */
int agent_list(struct host *h, char (**ids)[MIDI_ID_MAX], size_t *n);

/* loop_pairs.c */
int loop_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
		    midi_error *e);
int loop_conf_apply_locked(struct rt *rt, const struct conf *c, midi_error *e);

/* Shared by loop and diag: fill a slot for a loopback-style endpoint. */
void transport_fill_slot(struct reg_slot *s, const char *transport, const char *id,
			 const char *transport_name, uint8_t purpose);

#endif
