/* netavahi.h: an AvahiPoll (avahi-common/watch.h) of our own, for the
 * DNS-SD parts of the net transport (netadvert.c, netbrowse.c): its
 * watches and timeouts live in one epoll descriptor that the caller's own
 * loop waits on (the host loop of an agent, midi_net_host_step), so avahi
 * runs in the caller's thread and never blocks it. Built where
 * avahi-client is found. */
#ifndef MIDI_NET_NETAVAHI_H
#define MIDI_NET_NETAVAHI_H

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/watch.h>

/* The avahi functions the net transport calls, through `av` once
 * netavahi_load has succeeded (netavahi_lib.c): avahi-client is loaded
 * when DNS-SD is first used, not by every program at start-up. One list
 * makes both the table and what the loader looks up. */
#define NETAVAHI_FNS(X)                                                                   \
	X(client_new) X(client_free) X(client_errno) X(client_get_state) X(entry_group_new) \
	X(entry_group_reset) X(entry_group_commit) X(entry_group_is_empty)                  \
	X(entry_group_get_client) X(entry_group_add_service) X(service_browser_new)         \
	X(service_browser_free) X(service_resolver_new) X(service_resolver_free)            \
	X(strerror) X(alternative_service_name) X(strdup) X(free)

struct netavahi_lib {
#define AV_FN(f) __typeof__(avahi_##f) *f;
	NETAVAHI_FNS(AV_FN)
#undef AV_FN
};
extern struct netavahi_lib av;

/* Load avahi-client (once per process; thread-safe): 0, or -1 with the
 * reason in netavahi_load_error(). netavahi_new does it. _from loads
 * another file name (tests). */
int netavahi_load(void);
int netavahi_load_from(const char *soname);
const char *netavahi_load_error(void);

struct netavahi;

/* NULL when out of memory or avahi-client cannot be loaded (errno
 * ENOENT: netavahi_load_error() says why). */
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
