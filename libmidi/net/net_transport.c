/* net_transport.c: the net transport (built where nettle is found):
 * remote Network MIDI 2.0 endpoints as local ones. An endpoint is
 *   net:NAME        declared by a [net NAME] section of midi.conf
 *                   (address = HOST[:PORT], and the credentials the remote
 *                   host asks for: secret, or user and password); or
 *   net:HOST:PORT   opened by that id (midi_open): added then, removed
 *                   when its host exits idle.
 * One host process per endpoint (transport.h) is the session's client
 * (netsess.h, role CLIENT) on its own UDP socket: it invites the remote
 * host, sends what clients send, delivers what arrives; when the session
 * ends (the remote host went away, the network failed) it invites again,
 * every NC_RETRY_NS, for as long as the endpoint has clients, so they
 * carry on when the remote comes back. Messages sent while the session is
 * being made wait in the ring; while nobody answers they are dropped, as
 * on an unplugged cable. The endpoint is named as the remote host declares
 * itself (the UMP Endpoint Name of its invitation reply).
 * Where avahi-client is built, an agent (netbrowse.c) adds the hosts
 * found by DNS-SD browsing as endpoints net:NAME, their address kept in
 * the slot (netdnssd.h); [net-discovery] in midi.conf turns it off
 * (browse = no). */
#include "broker/broker.h"
#ifdef MIDI_HAVE_AVAHI
#include "net/netbrowse.h"
#endif
#include "net/netdnssd.h"
#include "net/netio.h"
#include "net/netsess.h"
#include "transport/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define NC_RETRY_NS 1000000000ull
/* Sending is paced (a token bucket of datagram bytes): a burst bigger
 * than the receiver's socket buffer (net.core.rmem_max, about 200 KB by
 * default) would be lost in the kernel, faster than retransmission can
 * mend. 2 MB/s is 1 MiB of SysEx in about 2 s with the default FEC. */
#define NC_RATE 2000000ull
#define NC_BURST 65536
#define NC_BATCH 256
#define NC_NAME_MAX 40

struct nclient {
	struct host *h;
	struct host_ep *ep;
	struct reg_slot slot;
	struct netio_addr addr;
	int fd;
	struct netsess *s;
	struct netsess_config cfg;
	struct netsess_ops ops;
	char name[128], piid[64];
	char secret[256], user[128], password[256];
	int timer;
	uint64_t retry_at;
	int named;
	uint64_t lost;
	int64_t budget;  /* datagram bytes that may go now */
	uint64_t refill; /* when budget was last refilled */
	uint64_t pace_at; /* a timer is set for this time to send again, 0 none */
	int refused;
	enum netsess_state last_state;
};

/* ---- ids and configuration ---- */

static int name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > NC_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static const char *kv(const struct conf_sec *sec, const char *key)
{
	for (size_t k = 0; k < sec->nkv; k++)
		if (strcmp(sec->kv[k].key, key) == 0)
			return sec->kv[k].val;
	return NULL;
}

/* [net-discovery]: browse = yes | no. */
static int discovery_check(const struct conf *c, const struct conf_sec *sec, const char *path,
			   midi_error *e)
{
	if (sec->arg[0])
		return conf_error(e, path, sec->line, "[net-discovery] takes no name (got \"%.40s\")",
				  sec->arg);
	for (size_t k = 0; k < sec->nkv; k++) {
		const struct conf_kv *x = &sec->kv[k];
		if (strcmp(x->key, "browse") != 0)
			return conf_error(e, path, x->line,
					  "unknown key \"%.40s\" in [net-discovery] (browse)", x->key);
		if (strcmp(x->val, "yes") && strcmp(x->val, "no"))
			return conf_error(e, path, x->line, "browse: expected yes or no, got \"%.40s\"",
					  x->val);
	}
	for (const struct conf_sec *o = c->secs; o < sec; o++)
		if (strcmp(o->type, "net-discovery") == 0)
			return conf_error(e, path, sec->line, "[net-discovery] given twice");
	return 0;
}

int net_browse_disabled(void)
{
	struct conf conf;
	if (conf_current(&conf, NULL) < 0)
		return 0;
	size_t k = 0;
	const struct conf_sec *sec = conf_next(&conf, "net-discovery", &k);
	const char *v = sec ? kv(sec, "browse") : NULL;
	int off = v && strcmp(v, "no") == 0;
	conf_free(&conf);
	return off;
}

static int net_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
			  midi_error *e)
{
	if (strcmp(sec->type, "net-discovery") == 0)
		return discovery_check(c, sec, path, e);
	if (!name_valid(sec->arg))
		return conf_error(e, path, sec->line,
				  "invalid net endpoint name \"%.60s\" (use 1 to 40 letters, digits, "
				  "'.', '_' or '-')", sec->arg);
	int has_addr = 0;
	for (size_t k = 0; k < sec->nkv; k++) {
		const struct conf_kv *x = &sec->kv[k];
		if (strcmp(x->key, "address") == 0) {
			struct netio_addr a;
			midi_error why = {0};
			if (netio_resolve(x->val, NETIO_DEFAULT_PORT, &a, &why) < 0)
				return conf_error(e, path, x->line, "address: %s", why.msg);
			has_addr = 1;
		} else if (strcmp(x->key, "secret") && strcmp(x->key, "user") &&
			   strcmp(x->key, "password")) {
			return conf_error(e, path, x->line,
					  "unknown key \"%.40s\" in [net] (address, secret, user, "
					  "password)", x->key);
		}
	}
	if (!has_addr)
		return conf_error(e, path, sec->line, "[net %.40s] needs address = HOST[:PORT]",
				  sec->arg);
	if (!kv(sec, "user") != !kv(sec, "password"))
		return conf_error(e, path, sec->line, "[net %.40s]: user and password go together",
				  sec->arg);
	for (const struct conf_sec *o = c->secs; o < sec; o++)
		if (strcmp(o->type, "net") == 0 && strcmp(o->arg, sec->arg) == 0)
			return conf_error(e, path, sec->line, "net %s declared twice", sec->arg);
	return 0;
}

static const struct conf_sec *declared(const struct conf *c, const char *id)
{
	size_t k = 0;
	const struct conf_sec *sec;
	if (strncmp(id, "net:", 4) != 0)
		return NULL;
	while ((sec = conf_next(c, "net", &k)))
		if (strcmp(sec->arg, id + 4) == 0)
			return sec;
	return NULL;
}

void net_fill_slot(struct reg_slot *s, const char *id, const char *where, int persistent)
{
	transport_fill_slot(s, "net", id, where, MIDI_PURPOSE_NORMAL);
	s->hosted = 1;
	s->info.native = MIDI_NATIVE_UMP;
	s->info.protocol = 2;
	s->info.protocols = 3;
	s->info.discovery = MIDI_DISCOVERY_NONE;
	if (persistent)
		s->info.flags |= MIDI_EPF_PERSISTENT;
	snprintf(s->info.description, sizeof s->info.description,
		 "Network MIDI 2.0 (UDP) host at %.200s", where);
}

static int net_conf_apply_locked(struct rt *rt, const struct conf *c, midi_error *e)
{
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		struct shm_slot *s = &rt->reg->slots[k];
		if (s->state == 1 && strncmp(s->info.transport, "net", sizeof s->info.transport) == 0 &&
		    (s->info.flags & MIDI_EPF_PERSISTENT) && !declared(c, s->info.id))
			reg_remove_locked(rt, (int)k, "was removed from the configuration file");
	}
	size_t k = 0;
	const struct conf_sec *sec;
	int r = 0;
	while ((sec = conf_next(c, "net", &k))) {
		char id[MIDI_ID_MAX];
		snprintf(id, sizeof id, "net:%.40s", sec->arg);
		if (reg_find_locked(rt, id) >= 0)
			continue;
		struct reg_slot s;
		net_fill_slot(&s, id, kv(sec, "address"), 1);
		conf_props_for(c, &s);
		int rr = reg_add_locked(rt, &s, e);
		if (rr < 0 && !r)
			r = rr;
	}
	return r < 0 ? r : 0;
}

/* midi_open("net:HOST:PORT"): the endpoint, added if it is not there. */
static int net_on_demand(struct rt *rt, const char *spec, midi_error *e)
{
	if (strncmp(spec, "net:", 4) != 0 || !spec[4])
		return 0;
	int r = reg_lock(rt, e);
	if (r < 0)
		return r;
	int listed = reg_find_locked(rt, spec) >= 0;
	reg_unlock(rt);
	if (listed || name_valid(spec + 4))
		return 0; /* listed, or a declared name: the usual lookup */
	struct netio_addr a;
	if (netio_resolve(spec + 4, NETIO_DEFAULT_PORT, &a, e) < 0)
		return -MIDI_ERR_NOTFOUND;
	if (strlen(spec) >= MIDI_ID_MAX)
		return midi_error_set(e, MIDI_ERR_INPUT, "endpoint id \"%.60s...\" is too long", spec);
	struct reg_slot s;
	net_fill_slot(&s, spec, spec + 4, 0);
	struct conf conf;
	if (conf_current(&conf, NULL) == 0) {
		conf_props_for(&conf, &s);
		conf_free(&conf);
	}
	r = reg_lock(rt, e);
	if (r < 0)
		return r;
	if (reg_find_locked(rt, spec) < 0)
		r = reg_add_locked(rt, &s, e);
	reg_unlock(rt);
	return r < 0 ? r : 0;
}

/* ---- the host: one session ---- */

static void arm(struct nclient *n);

static void cb_send(void *arg, const uint8_t *d, size_t len)
{
	struct nclient *n = arg;
	netio_send(n->fd, &n->addr, d, len);
	n->budget -= (int64_t)len;
}

/* Whether sending may go on now; if not, when (n->pace_at). */
static int paced_room(struct nclient *n)
{
	uint64_t now = broker_now_ns();
	n->budget += (int64_t)((now - n->refill) * NC_RATE / 1000000000ull);
	n->refill = now;
	if (n->budget > NC_BURST)
		n->budget = NC_BURST;
	if (n->budget > 0)
		return 1;
	n->pace_at = now + (uint64_t)(1 - n->budget + 1500) * 1000000000ull / NC_RATE;
	return 0;
}

static void cb_deliver(void *arg, const uint32_t *w, size_t nw)
{
	struct nclient *n = arg;
	midi_packet p[NC_BATCH];
	for (size_t k = 0, np; (np = netsess_packets(w, nw, &k, p, NC_BATCH)) > 0;)
		host_emit(n->h, n->ep, p, NULL, np);
}

/* UMP Data commands lost for good: a command carries at least one
 * message (keep-alives none, but those are not lost in a stream that
 * goes on), so its count is the lost messages known. */
static void cb_lost(void *arg, uint32_t commands)
{
	struct nclient *n = arg;
	n->lost += commands;
	host_ep_lost(n->ep, commands);
}

/* The remote endpoint's name becomes this endpoint's in-protocol name. */
static void publish_name(struct nclient *n)
{
	const char *peer = netsess_peer_name(n->s);
	struct rt *rt = host_rt(n->h);
	if (!peer[0] || n->named || reg_lock(rt, NULL) < 0)
		return;
	struct reg_slot cur;
	if (reg_get_incarnation_locked(rt, n->slot.info.id, n->slot.incarnation, &cur) >= 0) {
		midi_endpoint_info i = cur.info;
		snprintf(i.ump_name, sizeof i.ump_name, "%s", peer);
		snprintf(i.product_instance_id, sizeof i.product_instance_id, "%s",
			 netsess_peer_piid(n->s));
		reg_update_stream_locked(rt, n->slot.info.id, n->slot.incarnation, &i, 0);
	}
	reg_unlock(rt);
	n->named = 1;
}

static void cb_state(void *arg, enum netsess_state st)
{
	struct nclient *n = arg;
	enum netsess_state was = n->last_state;
	n->last_state = st;
	if (st == NETSESS_ESTABLISHED) {
		n->retry_at = 0;
		publish_name(n);
		host_ready(n->h, n->ep); /* what waited can go now */
	} else if (st == NETSESS_CLOSED) {
		int why = netsess_bye_reason(n->s);
		int policy = why >= NETPKT_BYE_TOO_MANY_SESSIONS && why < NETPKT_BYE_INVITATION_CANCELED;
		if ((netsess_closed_by_peer(n->s) && policy) || was == NETSESS_AUTH_REQUIRED) {
			/* refused (policy, credentials): asking again cannot help;
			 * clients are told why, the endpoint goes until the
			 * configuration changes or it is named again */
			char reason[300];
			snprintf(reason, sizeof reason, "is gone: the host refused the session: %.200s",
				 netsess_why(n->s));
			n->refused = 1;
			agent_remove(n->h, n->slot.info.id, reason);
			return;
		}
		n->retry_at = broker_now_ns() + NC_RETRY_NS;
	}
}

static void on_timer(struct host *h, void *arg)
{
	(void)h;
	struct nclient *n = arg;
	n->timer = -1;
	uint64_t now = broker_now_ns();
	if (n->pace_at && now >= n->pace_at)
		n->pace_at = 0; /* the loop offers the queued input again */
	if (n->retry_at && now >= n->retry_at) {
		n->retry_at = 0;
		netsess_invite(n->s, now);
	}
	if (netsess_next_due(n->s) <= now)
		netsess_timeout(n->s, now);
	arm(n);
}

/* A timer for the session's next due time (or the next invitation). */
static void arm(struct nclient *n)
{
	uint64_t due = netsess_next_due(n->s);
	if (n->retry_at && n->retry_at < due)
		due = n->retry_at;
	if (n->pace_at && n->pace_at < due)
		due = n->pace_at;
	if (n->timer >= 0)
		host_timer_del(n->h, n->timer);
	n->timer = due == UINT64_MAX ? -1 : host_timer_add(n->h, due, on_timer, n);
}

static void on_socket(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)h;
	(void)revents;
	struct nclient *n = arg;
	uint8_t buf[NETIO_MAX_DGRAM + 64];
	for (int k = 0; k < 1024; k++) {
		struct netio_addr a;
		a.len = sizeof a.sa;
		ssize_t got = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&a.sa, &a.len);
		if (got < 0)
			break;
		if (netio_same(&a, &n->addr))
			netsess_input(n->s, buf, (size_t)got, broker_now_ns());
	}
	arm(n);
}

/* The address and credentials of slot s: its [net NAME] section, else
 * the address DNS-SD found (kept in the slot), else its id. */
static int where(struct nclient *n, const struct reg_slot *s)
{
	struct conf conf;
	int have = conf_current(&conf, NULL) == 0;
	const struct conf_sec *sec = have ? declared(&conf, s->info.id) : NULL;
	int r = 0;
	if (!sec && netdnssd_addr_load(s->tpriv, &n->addr)) {
		/* found by browsing: no credentials (a [net NAME] of the same
		 * name is the way to give some) */
	} else if (sec) {
		r = netio_resolve(kv(sec, "address"), NETIO_DEFAULT_PORT, &n->addr, NULL);
		const char *v;
		if ((v = kv(sec, "secret")))
			snprintf(n->secret, sizeof n->secret, "%s", v);
		if ((v = kv(sec, "user")))
			snprintf(n->user, sizeof n->user, "%.127s", v);
		if ((v = kv(sec, "password")))
			snprintf(n->password, sizeof n->password, "%s", v);
	} else {
		r = netio_resolve(s->info.id + 4, NETIO_DEFAULT_PORT, &n->addr, NULL);
	}
	if (have)
		conf_free(&conf);
	return r;
}

static int nc_attach(struct host *h, struct host_ep *ep)
{
	struct nclient *n = calloc(1, sizeof *n);
	if (!n)
		return -1;
	n->h = h;
	n->ep = ep;
	n->slot = *host_ep_slot(ep);
	n->timer = -1;
	n->fd = -1;
	n->budget = NC_BURST;
	n->refill = broker_now_ns();
	if (where(n, &n->slot) < 0 ||
	    (n->fd = netio_socket(NULL, n->addr.sa.ss_family, NULL)) < 0) {
		agent_remove(h, n->slot.info.id, "is gone: its network address cannot be used");
		free(n);
		return -1;
	}
	char host[64] = "";
	gethostname(host, sizeof host - 1);
	snprintf(n->name, sizeof n->name, "midi toolkit on %.60s", host);
	snprintf(n->piid, sizeof n->piid, "midi-%.36s-%d", host, (int)getpid());
	n->cfg = (struct netsess_config){.role = NETSESS_CLIENT, .name = n->name, .piid = n->piid};
	if (n->secret[0])
		n->cfg.secret = n->secret;
	if (n->user[0]) {
		n->cfg.user = n->user;
		n->cfg.password = n->password;
	}
	n->ops = (struct netsess_ops){.send = cb_send, .deliver = cb_deliver, .lost = cb_lost,
				      .state = cb_state};
	n->s = netsess_new(&n->cfg, &n->ops, n);
	if (!n->s || host_fd_add(h, n->fd, EPOLLIN, on_socket, n) < 0) {
		if (n->s)
			netsess_free(n->s);
		close(n->fd);
		free(n);
		return -1;
	}
	host_ep_set_priv(ep, n);
	netsess_invite(n->s, broker_now_ns());
	arm(n);
	return 0;
}

static void nc_detach(struct host *h, struct host_ep *ep)
{
	struct nclient *n = host_ep_priv(ep);
	if (!n)
		return;
	if (netsess_state(n->s) == NETSESS_ESTABLISHED) {
		/* Bye, once: the remote host frees the session now, not at its
		 * timeout (its reply is not awaited) */
		netsess_bye(n->s, NETPKT_BYE_USER_TERMINATED, broker_now_ns());
	}
	if (n->timer >= 0)
		host_timer_del(h, n->timer);
	host_fd_del(h, n->fd);
	close(n->fd);
	netsess_free(n->s);
	/* Opened by id and unused now: it goes with its host (one found by
	 * DNS-SD stays while its service does: the agent's). */
	struct rt *rt = host_rt(h);
	struct netio_addr found;
	if (!(n->slot.info.flags & MIDI_EPF_PERSISTENT) && !netdnssd_addr_load(n->slot.tpriv, &found) &&
	    reg_lock(rt, NULL) == 0) {
		struct reg_slot v;
		int idx = reg_find_locked(rt, n->slot.info.id);
		if (idx >= 0) {
			reg_get_locked(rt, idx, &v);
			if (v.uid == n->slot.uid && seg_count_clients(rt, &v) == 0)
				reg_remove_locked(rt, idx, "was released (opened by id, now unused)");
		}
		reg_unlock(rt);
	}
	free(n);
	host_ep_set_priv(ep, NULL);
}

static size_t nc_input(struct host *h, struct host_ep *ep, const midi_packet *p,
		       const uint32_t *tags, size_t np)
{
	(void)h;
	(void)tags;
	struct nclient *n = host_ep_priv(ep);
	if (!n)
		return np;
	enum netsess_state st = netsess_state(n->s);
	if (st == NETSESS_CLOSED || st == NETSESS_IDLE) {
		n->lost += np; /* nobody answers: dropped, as on an unplugged cable */
		return np;
	}
	if (st != NETSESS_ESTABLISHED)
		return 0; /* being made: wait */
	uint32_t w[NC_BATCH * 4];
	size_t k = 0;
	while (k < np) {
		if (!paced_room(n)) {
			arm(n);
			return k;
		}
		size_t nw = 0, first = k;
		for (; k < np && k - first < NC_BATCH; k++)
			for (unsigned j = 0; j < midi_ump_words(&p[k].ump); j++)
				w[nw++] = p[k].ump.w[j];
		long took = netsess_send(n->s, w, nw, broker_now_ns());
		if (took < 0) {
			continue; /* not whole messages: cannot be, packets are */
		}
		if ((size_t)took < nw) {
			/* count the packets it took */
			size_t words = 0, j = first;
			while (j < k && words + midi_ump_words(&p[j].ump) <= (size_t)took)
				words += midi_ump_words(&p[j++].ump);
			arm(n);
			return j;
		}
	}
	arm(n);
	return np;
}

const struct midi_transport transport_net = {
	.name = "net",
	.host_attach = nc_attach,
	.host_detach = nc_detach,
	.host_input = nc_input,
#ifdef MIDI_HAVE_AVAHI
	.agent_wanted = netbrowse_wanted,
	.agent_open = netbrowse_open,
	.agent_close = netbrowse_close,
#endif
	.conf_section = "net net-discovery",
	.conf_check = net_conf_check,
	.conf_apply_locked = net_conf_apply_locked,
	.open_on_demand = net_on_demand,
};
