/* netadvert.c: DNS-SD advertising of a Network MIDI 2.0 host
 * (netadvert.h) with avahi-client: one entry group holding the
 * _midi2._udp service, its instance name and TXT strings from netdnssd.c.
 * A name taken on the network is replaced by avahi's alternative ("NAME
 * #2"). avahi-daemon going away is followed by a client that waits for it
 * (AVAHI_CLIENT_NO_FAIL) and registers again when it is back. The client
 * is only replaced outside avahi's own callbacks (after a dispatch). */
#include "net/netadvert.h"

#include "net/netavahi.h"
#include "net/netdnssd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct netadvert {
	struct netavahi *poll;
	AvahiClient *client;
	AvahiEntryGroup *group;
	char *instance; /* avahi_malloc'd (avahi_alternative_service_name) */
	char txt_name[128], txt_piid[128];
	unsigned port;
	int ipv4_only;
	int reconnect; /* the daemon went away: a new client after the dispatch */
	int told;      /* "advertised" was said for this instance name */
	netadvert_log log;
	void *arg;
};

static void say(struct netadvert *a, const char *fmt, const char *x)
{
	char line[300];
	if (!a->log)
		return;
	snprintf(line, sizeof line, fmt, x);
	a->log(a->arg, line);
}

static void add_service(struct netadvert *a, AvahiClient *c);

static void rename_instance(struct netadvert *a)
{
	char *alt = av.alternative_service_name(a->instance);
	if (!alt)
		return;
	av.free(a->instance);
	a->instance = alt;
	a->told = 0;
	say(a, "mDNS: the service name is taken on the network: advertising as \"%s\"",
	    a->instance);
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *arg)
{
	struct netadvert *a = arg;
	a->group = g;
	switch (st) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		if (!a->told)
			say(a, "advertised as \"%s\" (" NETDNSSD_TYPE ", mDNS)", a->instance);
		a->told = 1;
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		rename_instance(a);
		av.entry_group_reset(g);
		add_service(a, av.entry_group_get_client(g));
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		say(a, "mDNS: advertising failed: %s",
		    av.strerror(av.client_errno(av.entry_group_get_client(g))));
		break;
	default:
		break;
	}
}

static void add_service(struct netadvert *a, AvahiClient *c)
{
	if (!a->group && !(a->group = av.entry_group_new(c, group_cb, a))) {
		say(a, "mDNS: cannot make an entry group: %s", av.strerror(av.client_errno(c)));
		return;
	}
	if (!av.entry_group_is_empty(a->group))
		return;
	for (int tries = 0; tries < 16; tries++) {
		int r = av.entry_group_add_service(
			a->group, AVAHI_IF_UNSPEC, a->ipv4_only ? AVAHI_PROTO_INET : AVAHI_PROTO_UNSPEC,
			0, a->instance, NETDNSSD_TYPE, NULL, NULL, (uint16_t)a->port, a->txt_name,
			a->txt_piid, NULL);
		if (r == AVAHI_ERR_COLLISION) { /* a service of ours has the name */
			rename_instance(a);
			av.entry_group_reset(a->group);
			continue;
		}
		if (r == 0)
			r = av.entry_group_commit(a->group);
		if (r < 0)
			say(a, "mDNS: cannot advertise: %s", av.strerror(r));
		return;
	}
}

static void client_cb(AvahiClient *c, AvahiClientState st, void *arg)
{
	struct netadvert *a = arg;
	switch (st) {
	case AVAHI_CLIENT_S_RUNNING:
		add_service(a, c);
		break;
	case AVAHI_CLIENT_S_COLLISION:
	case AVAHI_CLIENT_S_REGISTERING:
		if (a->group)
			av.entry_group_reset(a->group);
		break;
	case AVAHI_CLIENT_FAILURE:
		if (av.client_errno(c) == AVAHI_ERR_DISCONNECTED) {
			if (!a->reconnect)
				say(a, "mDNS: avahi-daemon went away: advertised again when it is back%s",
				    "");
			a->reconnect = 1;
		} else {
			say(a, "mDNS: %s: not advertised any more", av.strerror(av.client_errno(c)));
		}
		break;
	default:
		break;
	}
}

struct netadvert *netadvert_open(const char *name, const char *piid, unsigned port,
				 int ipv4_only, netadvert_log log, void *arg)
{
	struct netadvert *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->log = log;
	a->arg = arg;
	a->port = port;
	a->ipv4_only = ipv4_only;
	char inst[NETDNSSD_INSTANCE_MAX + 1];
	netdnssd_instance(name, inst, sizeof inst);
	netdnssd_txt(name, piid, a->txt_name, a->txt_piid, sizeof a->txt_name);
	a->poll = netavahi_new(); /* loads avahi-client */
	if (a->poll)
		a->instance = av.strdup(inst);
	int err = 0;
	if (a->instance)
		a->client = av.client_new(netavahi_api(a->poll), 0, client_cb, a, &err);
	if (!a->client) {
		if (!a->poll && errno == ENOENT)
			say(a, "no mDNS (%s): not advertised", netavahi_load_error());
		else if (!a->instance)
			say(a, "no mDNS (%s): not advertised", "out of memory");
		else if (err == AVAHI_ERR_NO_DAEMON || err == AVAHI_ERR_DBUS_ERROR)
			say(a, "no mDNS (avahi-daemon not running): not advertised%s", "");
		else
			say(a, "no mDNS (avahi: %s): not advertised", av.strerror(err));
		a->log = NULL;
		netadvert_close(a);
		return NULL;
	}
	return a;
}

int netadvert_fd(const struct netadvert *a)
{
	return netavahi_fd(a->poll);
}

int netadvert_timeout_ms(const struct netadvert *a)
{
	return netavahi_timeout_ms(a->poll);
}

void netadvert_dispatch(struct netadvert *a)
{
	netavahi_dispatch(a->poll);
	if (!a->reconnect)
		return;
	a->reconnect = 0;
	a->group = NULL; /* freed with its client */
	a->told = 0;
	av.client_free(a->client);
	int err = 0;
	a->client = av.client_new(netavahi_api(a->poll), AVAHI_CLIENT_NO_FAIL, client_cb, a, &err);
	if (!a->client)
		say(a, "mDNS: %s: not advertised any more", av.strerror(err));
}

void netadvert_close(struct netadvert *a)
{
	if (!a)
		return;
	if (a->client)
		av.client_free(a->client); /* its entry group with it */
	netavahi_free(a->poll);
	if (a->instance)
		av.free(a->instance);
	free(a);
}
