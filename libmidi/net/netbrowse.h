/* netbrowse.h: the net transport's agent (netbrowse.c; built where
 * avahi-client is found): Network MIDI 2.0 hosts found by DNS-SD browsing
 * (_midi2._udp) become endpoints net:NAME (netdnssd_id of the service
 * instance name), added and removed as the services come and go. */
#ifndef MIDI_NET_NETBROWSE_H
#define MIDI_NET_NETBROWSE_H

#include "broker/broker.h"
#include "transport/transport.h"

/* Whether to browse: not with MIDI_NET_DNSSD=0, nor with "browse = no" in
 * the [net-discovery] section of midi.conf, nor where there is no D-Bus
 * system bus to reach avahi-daemon through. */
int netbrowse_wanted(struct rt *rt);
int netbrowse_open(struct host *h, midi_error *e);
void netbrowse_close(struct host *h);

/* net_transport.c: fill the slot of a net endpoint (where: its address
 * as shown; persistent: declared in midi.conf). */
void net_fill_slot(struct reg_slot *s, const char *id, const char *where, int persistent);
/* net_transport.c: whether midi.conf says "browse = no" in [net-discovery]. */
int net_browse_disabled(void);

#endif
