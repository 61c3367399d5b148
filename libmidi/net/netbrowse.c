/* netbrowse.c: the net transport's agent (netbrowse.h): an avahi client
 * (in the agent's loop through netavahi.h) browsing _midi2._udp. Each
 * service instance is counted over the (interface, protocol) pairs that
 * announce it; while any does, a resolver kept open gives its address,
 * port and TXT strings, and the endpoint net:NAME exists, its address in
 * the slot (netdnssd_addr_store) for the host that serves it
 * (net_transport.c). The id is the instance name sanitized
 * (netdnssd_id), hashed when another endpoint has it. The endpoint goes
 * when the last announcement goes (the host withdrew the service, its
 * records expired) or avahi-daemon stops; at start, once avahi says it
 * has told all it knows (ALL_FOR_NOW), endpoints of services gone while
 * no agent ran are removed. The first browse is waited for (up to
 * NB_FIRST_MS) before the agent reports ready, so a listing shows what
 * avahi-daemon knows already. */
#include "net/netbrowse.h"

#include "net/netavahi.h"
#include "net/netdnssd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#define NB_FIRST_MS 700
#define NB_GONE "is gone: its DNS-SD service was withdrawn"

struct svc {
	struct nbrowse *nb;
	char instance[NETDNSSD_INSTANCE_MAX + 1];
	char id[MIDI_ID_MAX];
	int seen;  /* (interface, protocol) pairs announcing it now */
	int added; /* its endpoint exists */
	AvahiServiceResolver *r;
	int answered; /* r has answered once */
	struct netio_addr addr;
	struct svc *next;
};

struct nbrowse {
	struct host *h;
	struct netavahi *poll;
	AvahiClient *client;
	AvahiServiceBrowser *b;
	struct svc *svcs;
	int timer;
	int cache_done, all_done, pending; /* first browse; resolvers not answered */
	int reconnect;
};

static void arm(struct nbrowse *nb);

/* ---- endpoints ---- */

static int id_taken(struct nbrowse *nb, const char *id, const struct svc *self)
{
	for (struct svc *v = nb->svcs; v; v = v->next)
		if (v != self && v->added && strcmp(v->id, id) == 0)
			return 1;
	struct rt *rt = host_rt(nb->h);
	if (reg_lock(rt, NULL) < 0)
		return 0;
	int idx = reg_find_locked(rt, id);
	int other = 0;
	if (idx >= 0) { /* taken unless by this service's own endpoint (an agent before) */
		struct reg_slot s;
		struct netio_addr a;
		reg_get_locked(rt, idx, &s);
		other = strcmp(s.info.transport, "net") != 0 || !netdnssd_addr_load(s.tpriv, &a) ||
			strcmp(s.info.transport_name, self->instance) != 0;
	}
	reg_unlock(rt);
	return other;
}

static void svc_add(struct nbrowse *nb, struct svc *v, const char *piid)
{
	netdnssd_id(v->instance, 0, v->id, sizeof v->id);
	if (id_taken(nb, v->id, v))
		netdnssd_id(v->instance, 1, v->id, sizeof v->id);
	struct reg_slot s;
	net_fill_slot(&s, v->id, v->instance, 0);
	/* named by the instance name (transport_name) until a session tells
	 * the host's UMP Endpoint Name; the TXT Product Instance Id now */
	snprintf(s.info.product_instance_id, sizeof s.info.product_instance_id, "%s", piid);
	netdnssd_addr_store(s.tpriv, &v->addr);
	/* one of an earlier agent, at another address: made anew */
	struct rt *rt = host_rt(nb->h);
	if (reg_lock(rt, NULL) == 0) {
		int idx = reg_find_locked(rt, v->id);
		struct reg_slot cur;
		struct netio_addr was;
		if (idx >= 0) {
			reg_get_locked(rt, idx, &cur);
			if (strcmp(cur.info.transport, "net") == 0 && netdnssd_addr_load(cur.tpriv, &was) &&
			    !netio_same(&was, &v->addr))
				reg_remove_locked(rt, idx, "is gone: its DNS-SD service moved");
		}
		reg_unlock(rt);
	}
	if (agent_add(nb->h, &s, NULL) == 0)
		v->added = 1;
}

static void svc_drop(struct nbrowse *nb, struct svc *v, const char *why)
{
	if (v->added)
		agent_remove(nb->h, v->id, why);
	v->added = 0;
}

static void resolver_free(struct svc *v)
{
	if (!v->r)
		return;
	av.service_resolver_free(v->r);
	v->r = NULL;
	if (!v->answered)
		v->nb->pending--;
}

static void svc_free(struct nbrowse *nb, struct svc *v)
{
	resolver_free(v);
	for (struct svc **p = &nb->svcs; *p; p = &(*p)->next)
		if (*p == v) {
			*p = v->next;
			break;
		}
	free(v);
}

/* Endpoints of services that are no more (found by an earlier agent). */
static void remove_stale(struct nbrowse *nb)
{
	static struct reg_slot v[REG_SLOTS];
	size_t n = 0;
	if (reg_snapshot(host_rt(nb->h), v, &n, NULL) < 0)
		return;
	for (size_t k = 0; k < n; k++) {
		struct netio_addr a;
		if (strcmp(v[k].info.transport, "net") != 0 || !netdnssd_addr_load(v[k].tpriv, &a))
			continue;
		struct svc *s = nb->svcs;
		while (s && !(s->added && strcmp(s->id, v[k].info.id) == 0))
			s = s->next;
		if (!s)
			agent_remove(nb->h, v[k].info.id, NB_GONE);
	}
}

/* ---- avahi ---- */

static void to_addr(const AvahiAddress *aa, AvahiIfIndex iface, uint16_t port, struct netio_addr *a)
{
	memset(a, 0, sizeof *a);
	if (aa->proto == AVAHI_PROTO_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, &aa->data.ipv4.address, 4);
		a->len = sizeof *in;
	} else {
		struct sockaddr_in6 *in = (struct sockaddr_in6 *)&a->sa;
		in->sin6_family = AF_INET6;
		in->sin6_port = htons(port);
		memcpy(&in->sin6_addr, aa->data.ipv6.address, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&in->sin6_addr) && iface >= 0)
			in->sin6_scope_id = (uint32_t)iface;
		a->len = sizeof *in;
	}
}

static void resolved(AvahiServiceResolver *r, AvahiIfIndex iface, AvahiProtocol proto,
		     AvahiResolverEvent ev, const char *name, const char *type, const char *domain,
		     const char *host, const AvahiAddress *aa, uint16_t port, AvahiStringList *txt,
		     AvahiLookupResultFlags flags, void *arg)
{
	(void)r, (void)proto, (void)name, (void)type, (void)domain, (void)host, (void)flags;
	struct svc *v = arg;
	struct nbrowse *nb = v->nb;
	if (!v->answered) {
		v->answered = 1;
		nb->pending--;
	}
	if (ev != AVAHI_RESOLVER_FOUND) {
		resolver_free(v); /* asked again at the next announcement */
		return;
	}
	char piid[NETDNSSD_PIID_MAX + 1] = "";
	for (AvahiStringList *t = txt; t; t = t->next)
		netdnssd_txt_get((const char *)t->text, t->size, NETDNSSD_TXT_PIID, piid, sizeof piid);
	struct netio_addr a;
	to_addr(aa, iface, port, &a);
	if (v->added && !netio_same(&a, &v->addr))
		svc_drop(nb, v, "is gone: its DNS-SD service moved");
	v->addr = a;
	if (!v->added)
		svc_add(nb, v, piid);
	/* the resolver stays open: told again when the service changes */
}

static struct svc *svc_find(struct nbrowse *nb, const char *instance)
{
	for (struct svc *v = nb->svcs; v; v = v->next)
		if (strcmp(v->instance, instance) == 0)
			return v;
	return NULL;
}

static void browsed(AvahiServiceBrowser *b, AvahiIfIndex iface, AvahiProtocol proto,
		    AvahiBrowserEvent ev, const char *name, const char *type, const char *domain,
		    AvahiLookupResultFlags flags, void *arg)
{
	(void)b, (void)flags;
	struct nbrowse *nb = arg;
	struct svc *v = name ? svc_find(nb, name) : NULL;
	switch (ev) {
	case AVAHI_BROWSER_NEW:
		if (!v) {
			if (strlen(name) > NETDNSSD_INSTANCE_MAX || !(v = calloc(1, sizeof *v)))
				return;
			v->nb = nb;
			snprintf(v->instance, sizeof v->instance, "%s", name);
			v->next = nb->svcs;
			nb->svcs = v;
		}
		v->seen++;
		if (!v->r) {
			v->answered = 0;
			v->r = av.service_resolver_new(nb->client, iface, proto, name, type, domain,
						       AVAHI_PROTO_UNSPEC, 0, resolved, v);
			if (v->r)
				nb->pending++;
		}
		break;
	case AVAHI_BROWSER_REMOVE:
		if (v && --v->seen <= 0) {
			svc_drop(nb, v, NB_GONE);
			svc_free(nb, v);
		}
		break;
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
		nb->cache_done = 1;
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
		nb->cache_done = 1;
		if (!nb->all_done)
			remove_stale(nb);
		nb->all_done = 1;
		break;
	case AVAHI_BROWSER_FAILURE:
		nb->reconnect = 1; /* start again (after the dispatch) */
		break;
	}
}

/* Every service forgotten, its endpoint removed. */
static void forget_all(struct nbrowse *nb, const char *why)
{
	while (nb->svcs) {
		svc_drop(nb, nb->svcs, why);
		svc_free(nb, nb->svcs);
	}
}

static void client_cb(AvahiClient *c, AvahiClientState st, void *arg)
{
	struct nbrowse *nb = arg;
	if (st == AVAHI_CLIENT_S_RUNNING && !nb->b) {
		nb->client = c; /* also while avahi_client_new has not returned yet */
		nb->b = av.service_browser_new(c, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, NETDNSSD_TYPE,
					       NULL, 0, browsed, nb);
		if (!nb->b)
			nb->reconnect = 1;
	} else if (st == AVAHI_CLIENT_FAILURE) {
		nb->reconnect = 1;
	}
}

/* A client that waits for avahi-daemon (NO_FAIL): browses once it runs. */
static void connect_client(struct nbrowse *nb)
{
	int err = 0;
	nb->cache_done = nb->all_done = 0;
	nb->client = av.client_new(netavahi_api(nb->poll), AVAHI_CLIENT_NO_FAIL, client_cb, nb,
				   &err);
}

static void dispatch(struct nbrowse *nb)
{
	netavahi_dispatch(nb->poll);
	if (nb->reconnect) {
		/* avahi-daemon went away (or browsing failed): start again */
		nb->reconnect = 0;
		forget_all(nb, "is gone: mDNS (avahi-daemon) stopped");
		if (nb->b)
			av.service_browser_free(nb->b);
		nb->b = NULL;
		if (nb->client)
			av.client_free(nb->client);
		nb->client = NULL;
		connect_client(nb);
	}
	arm(nb);
}

static void on_fd(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)h, (void)fd, (void)revents;
	dispatch(arg);
}

static void on_timer(struct host *h, void *arg)
{
	(void)h;
	struct nbrowse *nb = arg;
	nb->timer = -1;
	dispatch(nb);
}

/* A host timer for avahi's next timeout. */
static void arm(struct nbrowse *nb)
{
	if (nb->timer >= 0)
		host_timer_del(nb->h, nb->timer);
	int ms = netavahi_timeout_ms(nb->poll);
	nb->timer = ms < 0 ? -1 : host_timer_add(nb->h, broker_now_ns() + (uint64_t)ms * 1000000ull,
						  on_timer, nb);
}

/* ---- the agent ---- */

static int bus_present(void)
{
	const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	char path[256] = "/run/dbus/system_bus_socket";
	struct stat st;
	if (a && *a) {
		const char *p = strstr(a, "unix:path=");
		if (!p)
			return 1; /* another kind of address: let libdbus try */
		p += strlen("unix:path=");
		snprintf(path, sizeof path, "%.*s", (int)strcspn(p, ",;"), p);
	}
	return stat(path, &st) == 0;
}

int netbrowse_wanted(struct rt *rt)
{
	(void)rt;
	const char *env = getenv("MIDI_NET_DNSSD");
	if (env && strcmp(env, "0") == 0)
		return 0;
	return bus_present() && !net_browse_disabled();
}

int netbrowse_open(struct host *h, midi_error *e)
{
	struct nbrowse *nb = calloc(1, sizeof *nb);
	if (!nb || !(nb->poll = netavahi_new())) {
		int gone = nb && errno == ENOENT;
		free(nb);
		if (gone)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "net agent: no DNS-SD: %s",
					      netavahi_load_error());
		return midi_error_set(e, MIDI_ERR_RUNTIME, "net agent: out of memory");
	}
	nb->h = h;
	nb->timer = -1;
	host_set_priv(h, nb);
	connect_client(nb);
	if (!nb->client) {
		netbrowse_close(h);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "net agent: no avahi client (D-Bus)");
	}
	/* the first browse: what avahi-daemon knows already, resolved */
	uint64_t end = broker_now_ns() + NB_FIRST_MS * 1000000ull;
	while (av.client_get_state(nb->client) == AVAHI_CLIENT_S_RUNNING &&
	       !(nb->cache_done && nb->pending == 0) && !nb->reconnect) {
		uint64_t now = broker_now_ns();
		if (now >= end)
			break;
		netavahi_iterate(nb->poll, (int)((end - now) / 1000000ull) + 1);
	}
	if (host_fd_add(h, netavahi_fd(nb->poll), EPOLLIN, on_fd, nb) < 0) {
		netbrowse_close(h);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "net agent: no room for a descriptor");
	}
	dispatch(nb);
	return 0;
}

void netbrowse_close(struct host *h)
{
	struct nbrowse *nb = host_priv(h);
	if (!nb)
		return;
	/* the endpoints stay: the next agent checks them (remove_stale) */
	while (nb->svcs)
		svc_free(nb, nb->svcs);
	if (nb->timer >= 0)
		host_timer_del(h, nb->timer);
	host_fd_del(h, netavahi_fd(nb->poll));
	if (nb->b)
		av.service_browser_free(nb->b);
	if (nb->client)
		av.client_free(nb->client);
	netavahi_free(nb->poll);
	free(nb);
	host_set_priv(h, NULL);
}
