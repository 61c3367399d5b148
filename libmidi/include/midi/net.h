/* net.h: Network MIDI 2.0 (UDP, MIDI Association M2-124-UM) hosting: one
 * of the toolkit's endpoints served on a UDP port, to any number of
 * clients at once (other machines' toolkits, or any implementation of the
 * specification), with the specification's invitation policies. The
 * other direction, remote endpoints as local ones (ids net:...), is the
 * net transport's: no API is needed for it (midi_open("net:HOST:PORT")).
 *
 * What a client sends is sent to the endpoint, as a local client would;
 * what the endpoint's clients receive is sent to every client. Built only
 * where nettle (SHA-256) is found; midi-loop(1) net-host uses it. The
 * host is advertised by DNS-SD (_midi2._udp) where avahi-daemon runs;
 * other machines' net transports find it by browsing. */
#ifndef MIDI_NET_H
#define MIDI_NET_H

#include <stddef.h>

#include "midi/error.h"

typedef struct midi_net_host_opts {
	const char *endpoint; /* the endpoint to serve (a SPEC, as midi_open takes) */
	const char *listen;   /* "ADDR:PORT", "ADDR" or ":PORT"; NULL = every address, port 5673 */
	const char *name;     /* UMP Endpoint Name told to clients (NULL: the endpoint's name) */
	const char *piid;     /* Product Instance Id (NULL: "midi-" and the host name) */
	/* Invitation policy: open when neither secret nor users is set. */
	const char *secret;          /* shared secret (Invitation with Authentication) */
	const char *const *users;    /* "USER:PASSWORD" (Invitation with User Authentication) */
	size_t nusers;
	const char *const *allow;    /* client endpoint names or product instance ids admitted */
	size_t nallow;               /* (0: anyone) */
	unsigned fec;                /* previous UMP Data commands repeated per datagram
					(0 = default 2) */
	unsigned max_sessions;       /* 0 = 16 */
	/* DNS-SD: unless no_advertise (or MIDI_NET_DNSSD=0 in the environment),
	 * the host is advertised as a _midi2._udp service through avahi-daemon
	 * where it runs (built with avahi-client): instance name and TXT
	 * UMPEndpointName the UMP Endpoint Name (name), TXT ProductInstanceId
	 * piid. Where no daemon runs, the log says so once and nothing else
	 * changes. */
	int no_advertise;
	/* Told of sessions opened and closed, and of advertising, one line
	 * each (may be NULL). */
	void (*log)(void *arg, const char *line);
	void *log_arg;
} midi_net_host_opts;

typedef struct midi_net_host midi_net_host;

/* Open the endpoint and the UDP port. NULL with e set (the endpoint not
 * found: MIDI_ERR_NOTFOUND; a bad option: MIDI_ERR_INPUT; the port taken:
 * MIDI_ERR_RUNTIME). */
midi_net_host *midi_net_host_open(const midi_net_host_opts *o, midi_error *e);
/* The UDP port it listens on (useful with port 0). */
unsigned midi_net_host_port(const midi_net_host *h);
/* Serve for up to timeout_ms (-1: until something happened): datagrams,
 * the endpoint's messages, the sessions' timers. 0 or a negative status
 * (the endpoint went away for good: -MIDI_ERR_CLOSED). */
int midi_net_host_step(midi_net_host *h, int timeout_ms, midi_error *e);
/* Sessions established now. */
size_t midi_net_host_sessions(const midi_net_host *h);
/* Say Bye to every client (waiting briefly for their replies) and free. */
void midi_net_host_close(midi_net_host *h);

#endif
