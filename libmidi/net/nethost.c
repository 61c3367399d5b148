/* nethost.c: Network MIDI 2.0 hosting (midi/net.h): one endpoint served
 * on one UDP socket to many clients. A table from client address to
 * session (netsess.h, role HOST); a datagram from an unknown address makes
 * a session, which the protocol turns into an invitation or answers and
 * drops. The endpoint is a connection of this process (midi_open with
 * MIDI_OPEN_RECONNECT: a device replugged is followed): what it receives
 * goes to every established session, what sessions deliver is sent to it.
 * One epoll set holds the socket and the connection's descriptor; the
 * sessions' timers bound the wait. Advertising (netadvert.h, where
 * avahi-client is built) runs in the same loop: its epoll descriptor is in
 * the set and its timeouts bound the wait too. */
#include "midi/net.h"

#include "midi/endpoint.h"
#ifdef MIDI_HAVE_AVAHI
#include "net/netadvert.h"
#endif
#include "net/netio.h"
#include "net/netsess.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define NH_DEFAULT_SESSIONS 16
#define NH_MAX_SESSIONS 64
#define NH_BATCH 256
#define NH_BYE_WAIT_MS 300
/* Sending is paced as the client's is (net_transport.c): all datagrams of
 * all sessions together, a token bucket; while it is spent the endpoint
 * is not read (its ring holds the rest and slows its senders). */
#define NH_RATE 2000000ull
#define NH_BURST 65536

struct hsess {
	struct midi_net_host *h;
	struct netio_addr addr;
	struct netsess *s;
	char where[80];
	int told; /* established was logged */
};

struct midi_net_host {
	midi_conn *c;
	int fd, ep, cfd;
	unsigned port;
	struct netsess_config cfg;
	struct netsess_ops ops;
	char name[128], piid[64];
	char *secret;
	struct netsess_user *users;
	size_t nusers;
	char **allow;
	size_t nallow;
	struct hsess *sess[NH_MAX_SESSIONS];
	size_t nsess, max;
	void (*log)(void *arg, const char *line);
	void *log_arg;
#ifdef MIDI_HAVE_AVAHI
	struct netadvert *adv; /* DNS-SD advertising (NULL: none) */
#endif
	uint64_t lost;
	uint64_t conn_lost; /* the connection's loss already told to the sessions */
	int64_t budget;
	uint64_t refill;
	int cfd_off; /* the endpoint's descriptor is out of the epoll set (paced) */
};

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void say(struct midi_net_host *h, const char *fmt, const char *a, const char *b)
{
	char line[400];
	if (!h->log)
		return;
	snprintf(line, sizeof line, fmt, a, b);
	h->log(h->log_arg, line);
}

/* ---- session callbacks ---- */

static void cb_send(void *arg, const uint8_t *d, size_t n)
{
	struct hsess *hs = arg;
	netio_send(hs->h->fd, &hs->addr, d, n);
	hs->h->budget -= (int64_t)n;
}

/* 0 when the endpoint may be read now, else the ms until it may. */
static int paced_wait(midi_net_host *h)
{
	uint64_t now = now_ns();
	h->budget += (int64_t)((now - h->refill) * NH_RATE / 1000000000ull);
	h->refill = now;
	if (h->budget > NH_BURST)
		h->budget = NH_BURST;
	if (h->budget > 0)
		return 0;
	return (int)((uint64_t)(1 - h->budget + 1500) * 1000ull / NH_RATE) + 1;
}

static void cfd_watch(midi_net_host *h, int on)
{
	if (h->cfd_off == !on)
		return;
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.u32 = 1};
	epoll_ctl(h->ep, EPOLL_CTL_MOD, h->cfd, &ev);
	h->cfd_off = !on;
}

static void cb_deliver(void *arg, const uint32_t *w, size_t n)
{
	struct hsess *hs = arg;
	midi_packet p[NH_BATCH];
	for (size_t k = 0, np; (np = netsess_packets(w, n, &k, p, NH_BATCH)) > 0;)
		midi_send(hs->h->c, p, np, NULL);
}

static void cb_lost(void *arg, uint32_t commands)
{
	struct hsess *hs = arg;
	hs->h->lost += commands;
}

static void cb_state(void *arg, enum netsess_state st)
{
	struct hsess *hs = arg;
	if (st == NETSESS_ESTABLISHED && !hs->told) {
		hs->told = 1;
		say(hs->h, "session with \"%s\" (%s) established", netsess_peer_name(hs->s),
		    hs->where);
	}
}

/* ---- options ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int take_opts(midi_net_host *h, const midi_net_host_opts *o, midi_error *e)
{
	if (o->secret && o->nusers)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "a shared secret and user names cannot both be asked for");
	if (o->secret && !o->secret[0])
		return midi_error_set(e, MIDI_ERR_INPUT, "the shared secret is empty");
	h->secret = dup_or_null(o->secret);
	if (o->nusers) {
		h->users = calloc(o->nusers, sizeof *h->users);
		if (!h->users)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		for (size_t k = 0; k < o->nusers; k++) {
			const char *colon = strchr(o->users[k], ':');
			if (!colon || colon == o->users[k] || !colon[1])
				return midi_error_set(e, MIDI_ERR_INPUT,
						      "user \"%.60s\": write USER:PASSWORD",
						      o->users[k]);
			char *name = strndup(o->users[k], (size_t)(colon - o->users[k]));
			char *pw = strdup(colon + 1);
			h->users[h->nusers++] = (struct netsess_user){name, pw};
			if (!name || !pw)
				return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		}
	}
	if (o->nallow) {
		h->allow = calloc(o->nallow, sizeof *h->allow);
		if (!h->allow)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		for (size_t k = 0; k < o->nallow; k++)
			if (!(h->allow[h->nallow++] = strdup(o->allow[k])))
				return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	}
	h->max = o->max_sessions ? o->max_sessions : NH_DEFAULT_SESSIONS;
	if (h->max > NH_MAX_SESSIONS)
		h->max = NH_MAX_SESSIONS;
	const midi_endpoint_info *info = midi_conn_info(h->c);
	snprintf(h->name, sizeof h->name, "%.98s", o->name ? o->name : info->name);
	if (o->piid) {
		snprintf(h->piid, sizeof h->piid, "%.42s", o->piid);
	} else {
		char host[64] = "";
		gethostname(host, sizeof host - 1);
		snprintf(h->piid, sizeof h->piid, "midi-%.36s", host);
	}
	struct netsess_config *c = &h->cfg;
	c->role = NETSESS_HOST;
	c->name = h->name;
	c->piid = h->piid;
	c->auth = h->secret ? NETSESS_AUTH_SECRET : h->nusers ? NETSESS_AUTH_USER : NETSESS_AUTH_NONE;
	c->secret = h->secret;
	c->users = h->users;
	c->nusers = h->nusers;
	c->allow = (const char *const *)h->allow;
	c->nallow = h->nallow;
	c->fec = o->fec;
	h->ops = (struct netsess_ops){.send = cb_send, .deliver = cb_deliver, .lost = cb_lost,
				      .state = cb_state};
	h->log = o->log;
	h->log_arg = o->log_arg;
	return 0;
}

/* ---- the table of sessions ---- */

static void sess_free(midi_net_host *h, size_t k)
{
	struct hsess *hs = h->sess[k];
	if (hs->told || netsess_state(hs->s) == NETSESS_CLOSED) {
		const char *why = netsess_why(hs->s);
		if (hs->told)
			say(h, "session with %s closed: %s", hs->where, why[0] ? why : "bye");
		else if (why[0])
			say(h, "invitation from %s refused: %s", hs->where, why);
	}
	netsess_free(hs->s);
	free(hs);
	h->sess[k] = h->sess[--h->nsess];
}

/* Free the sessions that are over (or were no invitation at all). */
static void sweep(midi_net_host *h)
{
	for (size_t k = h->nsess; k-- > 0;) {
		enum netsess_state st = netsess_state(h->sess[k]->s);
		if (st == NETSESS_IDLE || st == NETSESS_CLOSED)
			sess_free(h, k);
	}
}

static struct hsess *sess_for(midi_net_host *h, const struct netio_addr *a)
{
	for (size_t k = 0; k < h->nsess; k++)
		if (netio_same(&h->sess[k]->addr, a))
			return h->sess[k];
	if (h->nsess == NH_MAX_SESSIONS)
		return NULL;
	struct hsess *hs = calloc(1, sizeof *hs);
	if (!hs)
		return NULL;
	hs->h = h;
	hs->addr = *a;
	netio_format(a, hs->where, sizeof hs->where);
	hs->s = netsess_new(&h->cfg, &h->ops, hs);
	if (!hs->s) {
		free(hs);
		return NULL;
	}
	h->sess[h->nsess++] = hs;
	return hs;
}

static enum netsess_admit cb_admit(void *arg, const char *name, const char *piid)
{
	(void)name;
	(void)piid;
	struct hsess *hs = arg;
	size_t live = 0;
	for (size_t k = 0; k < hs->h->nsess; k++)
		live += netsess_state(hs->h->sess[k]->s) == NETSESS_ESTABLISHED;
	return live >= hs->h->max ? NETSESS_ADMIT_FULL : NETSESS_ADMIT_ACCEPT;
}

static void on_socket(midi_net_host *h)
{
	uint8_t buf[NETIO_MAX_DGRAM + 64];
	for (int k = 0; k < 1024; k++) {
		struct netio_addr a;
		a.len = sizeof a.sa;
		ssize_t n = recvfrom(h->fd, buf, sizeof buf, 0, (struct sockaddr *)&a.sa, &a.len);
		if (n < 0)
			break;
		struct hsess *hs = sess_for(h, &a);
		if (hs)
			netsess_input(hs->s, buf, (size_t)n, now_ns());
	}
	sweep(h);
}

/* The endpoint's connection fell behind (a writer did not wait for it:
 * SPEC "a slow client never stalls the others") and lost messages: every
 * session's peer hears of it as a gap it counts as lost (netsess_skip),
 * placed before the batch just read (the loss came at or before it). */
static void tell_loss(midi_net_host *h)
{
	uint64_t lost = midi_conn_lost(h->c);
	if (lost == h->conn_lost)
		return;
	uint64_t d = lost - h->conn_lost;
	h->conn_lost = lost;
	uint64_t now = now_ns();
	for (size_t k = 0; k < h->nsess; k++)
		netsess_skip(h->sess[k]->s, d > UINT32_MAX ? UINT32_MAX : (uint32_t)d, now);
	char n[32];
	snprintf(n, sizeof n, "%llu", (unsigned long long)d);
	say(h, "fell behind the endpoint: %s messages lost%s (told to the sessions)", n, "");
}

static int on_conn(midi_net_host *h, midi_error *e)
{
	midi_packet p[NH_BATCH];
	uint32_t w[NH_BATCH * 4];
	for (int round = 0; round < 64 && !paced_wait(h); round++) {
		int n = midi_recv(h->c, p, NH_BATCH, 0, e);
		if (n <= 0)
			return n;
		tell_loss(h);
		size_t nw = 0;
		for (int k = 0; k < n; k++)
			for (unsigned j = 0; j < midi_ump_words(&p[k].ump); j++)
				w[nw++] = p[k].ump.w[j];
		uint64_t now = now_ns();
		for (size_t k = 0; k < h->nsess; k++)
			if (netsess_state(h->sess[k]->s) == NETSESS_ESTABLISHED &&
			    netsess_send(h->sess[k]->s, w, nw, now) == 0)
				h->lost += (uint64_t)n; /* the session cannot take them now */
		if (n < NH_BATCH)
			return 0;
	}
	return 0;
}

/* ---- DNS-SD ---- */

static void advertise(midi_net_host *h, const midi_net_host_opts *o, int ipv4_only)
{
	const char *env = getenv("MIDI_NET_DNSSD");
	if (o->no_advertise || (env && strcmp(env, "0") == 0))
		return;
#ifdef MIDI_HAVE_AVAHI
	h->adv = netadvert_open(h->name, h->piid, h->port, ipv4_only, h->log, h->log_arg);
	if (h->adv) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 2};
		epoll_ctl(h->ep, EPOLL_CTL_ADD, netadvert_fd(h->adv), &ev);
	}
#else
	(void)ipv4_only;
	say(h, "no mDNS (built without avahi-client): not advertised%s%s", "", "");
#endif
}

/* ---- the public face ---- */

midi_net_host *midi_net_host_open(const midi_net_host_opts *o, midi_error *e)
{
	midi_net_host *h = calloc(1, sizeof *h);
	if (!h) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	h->fd = h->ep = h->cfd = -1;
	if (!o || !o->endpoint) {
		midi_error_set(e, MIDI_ERR_INPUT, "no endpoint to serve");
		goto fail;
	}
	h->c = midi_open(o->endpoint, MIDI_OPEN_RECONNECT, e);
	if (!h->c || take_opts(h, o, e) < 0)
		goto fail;
	h->ops.admit = cb_admit;
	struct netio_addr a;
	const char *listen = o->listen ? o->listen : "";
	char spec[300];
	/* "", ":PORT": every address (IPv6 with IPv4 mapped) */
	snprintf(spec, sizeof spec, "%s%.280s", !listen[0] || listen[0] == ':' ? "[::]" : "", listen);
	if (!strchr(listen[0] == '[' ? strchr(listen, ']') ? strchr(listen, ']') : listen : listen, ':'))
		snprintf(spec + strlen(spec), sizeof spec - strlen(spec), ":%d", NETIO_DEFAULT_PORT);
	if (netio_resolve(spec, 0, &a, e) < 0)
		goto fail;
	h->fd = netio_socket(&a, 0, e);
	if (h->fd < 0)
		goto fail;
	h->port = netio_port(h->fd);
	h->budget = NH_BURST;
	h->refill = now_ns();
	h->cfd = midi_conn_fd(h->c, e);
	h->ep = epoll_create1(EPOLL_CLOEXEC);
	if (h->cfd < 0 || h->ep < 0) {
		midi_error_sys(e, errno, "epoll");
		goto fail;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
	epoll_ctl(h->ep, EPOLL_CTL_ADD, h->fd, &ev);
	ev.data.u32 = 1;
	epoll_ctl(h->ep, EPOLL_CTL_ADD, h->cfd, &ev);
	advertise(h, o, a.sa.ss_family == AF_INET);
	return h;
fail:
	midi_net_host_close(h);
	return NULL;
}

unsigned midi_net_host_port(const midi_net_host *h)
{
	return h->port;
}

size_t midi_net_host_sessions(const midi_net_host *h)
{
	size_t n = 0;
	for (size_t k = 0; k < h->nsess; k++)
		n += netsess_state(h->sess[k]->s) == NETSESS_ESTABLISHED;
	return n;
}

int midi_net_host_step(midi_net_host *h, int timeout_ms, midi_error *e)
{
	uint64_t now = now_ns(), due = UINT64_MAX;
	for (size_t k = 0; k < h->nsess; k++) {
		uint64_t d = netsess_next_due(h->sess[k]->s);
		if (d < due)
			due = d;
	}
	int ms = timeout_ms;
	int paced = paced_wait(h);
	cfd_watch(h, !paced);
	if (paced && (ms < 0 || paced < ms))
		ms = paced;
	if (due != UINT64_MAX) {
		uint64_t wait = due > now ? (due - now + 999999) / 1000000 : 0;
		if (ms < 0 || wait < (uint64_t)ms)
			ms = (int)wait;
	}
#ifdef MIDI_HAVE_AVAHI
	int adv_ms = h->adv ? netadvert_timeout_ms(h->adv) : -1;
	if (adv_ms >= 0 && (ms < 0 || adv_ms < ms))
		ms = adv_ms;
#endif
	struct epoll_event evs[4];
	int n = epoll_wait(h->ep, evs, 4, ms);
	for (int k = 0; k < n; k++)
		if (evs[k].data.u32 == 0)
			on_socket(h);
#ifdef MIDI_HAVE_AVAHI
	int adv_due = 0;
	for (int k = 0; k < n; k++)
		adv_due |= evs[k].data.u32 == 2;
	if (h->adv && (adv_due || netadvert_timeout_ms(h->adv) == 0))
		netadvert_dispatch(h->adv);
#endif
	int r = paced_wait(h) ? 0 : on_conn(h, e); /* also when its descriptor did not fire: cheap */
	now = now_ns();
	for (size_t k = 0; k < h->nsess; k++)
		if (netsess_next_due(h->sess[k]->s) <= now)
			netsess_timeout(h->sess[k]->s, now);
	sweep(h);
	return r < 0 ? r : 0;
}

void midi_net_host_close(midi_net_host *h)
{
	if (!h)
		return;
	if (h->nsess && h->fd >= 0) {
		uint64_t now = now_ns();
		for (size_t k = 0; k < h->nsess; k++)
			if (netsess_state(h->sess[k]->s) == NETSESS_ESTABLISHED)
				netsess_bye(h->sess[k]->s, NETPKT_BYE_USER_TERMINATED, now);
		uint64_t end = now + NH_BYE_WAIT_MS * 1000000ull;
		while (h->nsess && now_ns() < end)
			midi_net_host_step(h, 20, NULL);
	}
	while (h->nsess)
		sess_free(h, h->nsess - 1);
#ifdef MIDI_HAVE_AVAHI
	netadvert_close(h->adv);
#endif
	if (h->ep >= 0)
		close(h->ep);
	if (h->fd >= 0)
		close(h->fd);
	if (h->c)
		midi_close(h->c);
	free(h->secret);
	for (size_t k = 0; k < h->nusers; k++) {
		free((char *)h->users[k].name);
		free((char *)h->users[k].password);
	}
	free(h->users);
	for (size_t k = 0; k < h->nallow; k++)
		free(h->allow[k]);
	free(h->allow);
	free(h);
}
