/* netadvert.h: a Network MIDI 2.0 host advertised by DNS-SD/mDNS
 * (_midi2._udp) through avahi-daemon (netadvert.c; built where
 * avahi-client is found). Runs in the caller's loop: wait on
 * netadvert_fd and for netadvert_timeout_ms, then netadvert_dispatch. */
#ifndef MIDI_NET_NETADVERT_H
#define MIDI_NET_NETADVERT_H

struct netadvert;

typedef void (*netadvert_log)(void *arg, const char *line);

/* Register the service of UMP Endpoint Name name (its instance name and
 * TXT UMPEndpointName) and product instance id piid on UDP port port
 * (ipv4_only: its socket takes IPv4 only). NULL when avahi-daemon does not
 * run or cannot be reached (said once with log: "no mDNS (...): not
 * advertised"). What happens later (registered, renamed after a name
 * conflict, the daemon gone and back) is told with log as well. */
struct netadvert *netadvert_open(const char *name, const char *piid, unsigned port,
				 int ipv4_only, netadvert_log log, void *arg);
int netadvert_fd(const struct netadvert *a);
int netadvert_timeout_ms(const struct netadvert *a);
void netadvert_dispatch(struct netadvert *a);
/* Withdraw the service (avahi-daemon says goodbye on the network) and free. */
void netadvert_close(struct netadvert *a);

#endif
