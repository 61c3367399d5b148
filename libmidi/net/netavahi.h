/* netavahi.h: an AvahiPoll (avahi-common/watch.h) of our own, for the
 * DNS-SD parts of the net transport (netadvert.c, netbrowse.c): its
 * watches and timeouts live in one epoll descriptor that the caller's own
 * loop waits on (the host loop of an agent, midi_net_host_step), so avahi
 * runs in the caller's thread and never blocks it. Built where
 * avahi-client is found. */
#ifndef MIDI_NET_NETAVAHI_H
#define MIDI_NET_NETAVAHI_H

#include <avahi-common/watch.h>

struct netavahi;

struct netavahi *netavahi_new(void);
const AvahiPoll *netavahi_api(struct netavahi *p);
/* Readable when a watch has events. */
int netavahi_fd(const struct netavahi *p);
/* Milliseconds until the next avahi timeout (-1: none, 0: due). */
int netavahi_timeout_ms(const struct netavahi *p);
/* Run the callbacks of watches with events and of timeouts due. */
void netavahi_dispatch(struct netavahi *p);
/* Wait up to ms (poll) and dispatch. */
void netavahi_iterate(struct netavahi *p, int ms);
/* Free it (after the avahi objects using it). */
void netavahi_free(struct netavahi *p);

#endif
