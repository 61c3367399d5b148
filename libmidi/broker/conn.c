/* conn.c: connections (midi_open, midi_send, midi_recv, midi_flush,
 * midi_close, midi_conn_fd) and endpoint lookup (midi_list, midi_find).
 *
 * A connection maps its endpoint's segment (reads its `out` ring with a
 * private cursor, registers in its client table) and the ring its sends go
 * to: a peer's `out` ring for loopbacks, the endpoint's own `in` ring for a
 * hosted endpoint (tagged with the connection id so a host can answer one
 * client). SysEx (MT3, MT5 SysEx8) is held per group until it ends and then
 * written in one locked batch, so it never interleaves with another
 * sender's SysEx; other messages are not held (a Timing Clock sent during a
 * long SysEx goes out at once). A connection is used by one thread at a
 * time.
 *
 * Endpoint life: a removed endpoint's segment is closed with a reason;
 * connections then fail with -MIDI_ERR_CLOSED. Endpoints hosted by an
 * application (virt) are checked while waiting (every 100 ms, and by the
 * descriptor thread): a free host lock removes them. With
 * MIDI_OPEN_RECONNECT a connection that finds its endpoint closed detaches
 * (unmaps everything) and re-attaches, by exact id, when the registry shows
 * a new incarnation; the receive cursor starts at the beginning of the new
 * `out` ring. The descriptor thread follows: while detached it waits on the
 * registry's event counter instead of the ring.
 *
 * Scheduled sends carry the connection's random owner id, so midi_cancel
 * can take back what the scheduler holds of this connection only. */
#include "broker/broker.h"
#include "broker/clientev.h"
#include "broker/sched.h"
#include "broker/shmguard.h"
#include "jr/jr.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SEND_LOCK_MS 2000
#define WAIT_SLICE_NS 100000000ll /* futex waits recheck closed/host at least this often */
#define HOST_CHECK_NS 100000000ull
/* After a host could not be started: calls fail with why for this long
 * before another start is tried. */
#define HOST_RETRY_NS 1000000000ull
#define PAST_TOLERANCE_NS 10000000ull    /* 10 ms */
#define FUTURE_MAX_NS 3600000000000ull   /* 1 hour */
/* A connection's "now" messages go through the scheduler while something
 * it scheduled may not be written yet, so they cannot overtake it; the
 * scheduler says when all of it is (sched_written). A scheduler that does
 * not say: this long after the latest due time. */
#define SCHED_SETTLE_NS 100000000ull
/* A waiting receiver looks this often whether anything is queued for the
 * scheduler, and while something is, at every wake-up (at most
 * SCHED_WATCH_SLICE_NS apart) that a scheduler runs (take-over after a
 * scheduler was killed). */
#define SCHED_WATCH_NS 200000000ull
#define HOLD_MAX 1048576u                /* SysEx packets held per group */
#define LOOK_AGAIN_NS 500000000ull       /* detached: look at the registry at least this often */

struct hold {
	midi_packet *p;
	size_t n, cap;
};

struct midi_conn {
	struct rt *rt;
	unsigned flags;
	int detached;            /* reconnecting: nothing mapped */
	uint64_t old_uid;        /* segment of the incarnation that went away */
	uint64_t look_seq, look_ns; /* detached: registry last looked at */
	uint64_t reconnects;
	uint32_t host_gone;      /* set by the descriptor thread: host lock found free */
	unsigned long fork_gen;
	struct seg own, peer;
	struct ring *rx;
	struct seg *txseg;       /* the segment sends go to (own or the peer's) */
	struct ring_writer tw;   /* its `in` (hosted) or `out` (loopback) ring */
	int tw_ok;
	int hostfd;
	uint64_t host_check_ns;
	uint64_t host_fail_ns;   /* a host could not be started then (host_fail says why) */
	int client_idx;
	uint32_t conn_id;
	uint32_t tag;
	struct ring_cursor cur;
	uint64_t last_wpos;
	int64_t spin_ns;
	uint64_t data_ns;        /* when midi_recv last returned packets */
	uint32_t held;           /* bit kind * 16 + group: that hold is not empty */
	/* scheduled sends (sched.c): made on first use */
	struct sched_client *sc;
	struct sched_in *sbuf;   /* this call's entries, handed over at its end */
	size_t sn, scap;
	uint64_t sched_max_due;  /* latest due time handed to the scheduler */
	uint64_t owner;          /* its entries' owner id (midi_cancel), made on first use */
	uint64_t sched_watch_ns; /* sched_watch last run */
	/* midi_conn_fd: an epoll set of the doorbell and, for an endpoint
	 * hosted by an application, a pidfd of its host */
	int epfd;
	int bellfd;
	uint64_t bell;
	int waiter;              /* registry waiter entry while detached, else -1 */
	int hostpidfd;           /* its host's (an application or a helper): readable once it exits */
	int helper_hosted;       /* hosted by a helper (set with the descriptor) */
	int no_pidfd;            /* pidfd_open is refused here: no host watched */
	int schedpidfd;          /* the scheduler's pidfd while it holds packets */
	int schedtfd;            /* a timerfd: look again when there is no pidfd yet */
	int inofd;               /* inotify of the segment file: truncated by someone */
	uint32_t sched_gen;      /* own segment's sched_gen last seen */
	uint64_t full_look_ns;   /* fd_rearm's last look at every source */
	unsigned bell_hits;      /* fd_rearm found the bell rung since that look */
	uint64_t tlost0;         /* the segment's transport_lost when attached */
	uint64_t tlost;          /* transport losses of earlier incarnations */
	/* JR timestamps (jr.h): generated toward an endpoint that receives
	 * them, consumed and applied from one that sends them */
	struct jr_tx jrt;
	struct jr_rx jrr;
	struct jr_cache {        /* the endpoint's flags, one cache for sends and
				  * one for receives (threads may do each) */
		uint64_t uid;    /* segment the flags belong to */
		uint32_t gen, flags;
	} jr_send, jr_recv;
	midi_packet *jbuf;       /* a send with its JR messages */
	size_t jcap;
	/* The large and seldom used parts last: what every send and receive
	 * touches above stays within a page or two (a sporadic message finds
	 * the TLB and caches cold). slot.uid is read at each send, next to the
	 * end of the hot part. */
	struct reg_slot slot;
	struct hold hold[2][16]; /* [SysEx7, SysEx8][group] */
	midi_endpoint_info info;
	char id[MIDI_ID_MAX];    /* exact id (reconnect) */
	char host_fail[sizeof ((midi_error *)0)->msg];
	char gone_why[sizeof ((midi_error *)0)->msg]; /* detached: why the endpoint went */
};

static int64_t spin_setting(void)
{
	static int64_t cached = -1;
	if (cached >= 0)
		return cached;
	int64_t us = 20;
	const char *s = getenv("MIDI_SPIN_US");
	if (s && *s)
		us = atoll(s);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		us = 0; /* spinning on the writer's only CPU starves it */
	cached = us < 0 ? 0 : us * 1000;
	return cached;
}

/* ---- lookup ---- */

static struct reg_slot *snapshot_alloc(struct rt *rt, size_t *n, midi_error *e)
{
	struct reg_slot *v = malloc(REG_SLOTS * sizeof *v);
	if (!v) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	if (reg_snapshot(rt, v, n, e) < 0) {
		free(v);
		return NULL;
	}
	return v;
}

static int match_spec(const struct reg_slot *v, size_t n, const char *spec, midi_error *e)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].info.id, spec) == 0)
			return (int)k;
	int exact = -1, nexact = 0;
	for (size_t k = 0; k < n; k++)
		if (strcasecmp(v[k].info.name, spec) == 0) {
			exact = (int)k;
			nexact++;
		}
	if (nexact == 1)
		return exact;
	int found = -1, nfound = 0;
	char list[400] = "";
	size_t len = 0;
	for (size_t k = 0; k < n; k++) {
		if (!strcasestr(v[k].info.name, spec) && !strcasestr(v[k].info.id, spec))
			continue;
		found = (int)k;
		nfound++;
		if (len < sizeof list - 1) {
			int w = snprintf(list + len, sizeof list - len, "%s%s", nfound > 1 ? ", " : "",
					 v[k].info.id);
			if (w > 0)
				len += (size_t)w;
		}
	}
	if (nfound == 1)
		return found;
	if (nfound == 0)
		return midi_error_set(e, MIDI_ERR_NOTFOUND, "no endpoint matches \"%s\"", spec);
	return midi_error_set(e, MIDI_ERR_NOTFOUND, "ambiguous endpoint \"%s\": matches %s", spec,
			      list);
}

/* The runtime, refreshed (configuration re-read, endpoints of dead
 * application hosts removed), and a snapshot of its endpoint table: free()
 * it and rt_put() the runtime. NULL with *status set on error. */
static struct reg_slot *fresh_snapshot(struct rt **rtp, size_t *n, int *status, midi_error *e)
{
	struct rt *rt = rt_get(e);
	*rtp = NULL;
	*status = -MIDI_ERR_RUNTIME;
	if (!rt)
		return NULL;
	int r = rt_refresh(rt, e);
	if (r == 0) {
		app_hosts_reap(rt);
		agents_ensure(rt);
	}
	struct reg_slot *v = r < 0 ? NULL : snapshot_alloc(rt, n, e);
	if (!v) {
		rt_put(rt);
		if (r < 0)
			*status = r;
		return NULL;
	}
	*rtp = rt;
	*status = 0;
	return v;
}

int midi_find(const char *spec, midi_endpoint_info *out, midi_error *e)
{
	if (!spec || !*spec)
		return midi_error_set(e, MIDI_ERR_INPUT, "empty endpoint name");
	struct rt *rt;
	size_t n = 0;
	int r;
	struct reg_slot *v = fresh_snapshot(&rt, &n, &r, e);
	if (!v)
		return r;
	int k = match_spec(v, n, spec, e);
	if (k >= 0) {
		*out = v[k].info;
		out->clients = seg_count_clients(rt, &v[k]);
		r = 0;
	} else {
		r = k;
	}
	free(v);
	rt_put(rt);
	return r;
}

int midi_list(midi_endpoint_info **out, size_t *count, unsigned flags, midi_error *e)
{
	*out = NULL;
	*count = 0;
	struct rt *rt;
	size_t n = 0;
	int r;
	struct reg_slot *v = fresh_snapshot(&rt, &n, &r, e);
	if (!v)
		return r;
	midi_endpoint_info *res = calloc(n ? n : 1, sizeof *res);
	if (!res) {
		free(v);
		rt_put(rt);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	}
	size_t m = 0;
	for (size_t k = 0; k < n; k++) {
		if (v[k].info.purpose == MIDI_PURPOSE_DIAGNOSTIC && !(flags & MIDI_LIST_ALL))
			continue;
		res[m] = v[k].info;
		res[m].clients = seg_count_clients(rt, &v[k]);
		m++;
	}
	/* Sorted by id, so output is stable. */
	for (size_t i = 1; i < m; i++)
		for (size_t j = i; j > 0 && strcmp(res[j - 1].id, res[j].id) > 0; j--) {
			midi_endpoint_info t = res[j];
			res[j] = res[j - 1];
			res[j - 1] = t;
		}
	free(v);
	rt_put(rt);
	*out = res;
	*count = m;
	return 0;
}

/* ---- open ---- */

/* Map the segment of slot (replacing it if corrupt). Updates *slot. */
static int map_slot(struct rt *rt, struct reg_slot *slot, struct seg *s, midi_error *e)
{
	int corrupt = 0;
	int r = seg_map(rt, slot->seg, slot->uid, s, &corrupt, e);
	if (r == 0 && seg_closed(s, NULL, 0)) {
		/* Closed yet still listed: removal closes and unlists under the
		 * registry lock, so if the slot is still there under the lock,
		 * the flag is garbage. */
		seg_unmap(s);
		corrupt = 1;
		r = -MIDI_ERR_RUNTIME;
	}
	if (r == 0 || !corrupt)
		return r;
	/* Garbage in the segment: give the endpoint a fresh one. */
	r = reg_lock(rt, e);
	if (r)
		return r;
	int idx = reg_find_locked(rt, slot->info.id);
	if (idx >= 0 && rt->reg->slots[idx].uid == slot->uid)
		r = reg_reseg_locked(rt, idx, e);
	if (idx >= 0 && r == 0)
		reg_get_locked(rt, idx, slot);
	reg_unlock(rt);
	if (idx < 0)
		return midi_error_set(e, MIDI_ERR_CLOSED, "endpoint %s was removed", slot->info.id);
	if (r)
		return r;
	return seg_map(rt, slot->seg, slot->uid, s, &corrupt, e);
}

/* After resolve_and_map: register as a client, set the cursor, make sure
 * the endpoint has a host. */
static int attached(struct midi_conn *c, uint64_t pos, midi_error *e)
{
	if (c->flags & CONN_AGENT) {
		/* Not counted as a client; an id for replies addressed to it. */
		do
			c->conn_id = __atomic_fetch_add(&c->own.hdr->next_conn_id, 1,
							__ATOMIC_RELAXED);
		while (c->conn_id == 0 || c->conn_id == RING_ALL);
		c->client_idx = -1;
	} else {
		c->client_idx = seg_client_add(&c->own, &c->conn_id);
	}
	c->tag = c->slot.hosted ? c->conn_id : 0;
	c->cur.pos = pos;
	c->tlost0 = __atomic_load_n(&c->own.hdr->transport_lost, __ATOMIC_ACQUIRE);
	if (c->client_idx >= 0 && !(c->flags & MIDI_OPEN_SEND_ONLY)) {
		seg_flow_publish(&c->own, c->client_idx, pos);
		__atomic_store_n(&c->own.hdr->clients[c->client_idx].reader, 1, __ATOMIC_RELEASE);
	}
	c->last_wpos = 0;
	c->info = c->slot.info;
	unsigned live = 0, hw = seg_clients_hw(&c->own);
	for (unsigned k = 0; k < hw; k++)
		live += __atomic_load_n(&c->own.hdr->clients[k].owner, __ATOMIC_RELAXED) != 0;
	c->info.clients = live;
	c->host_check_ns = broker_now_ns();
	if (c->client_idx >= 0)
		reg_clients_changed(c->rt, &c->slot);
	if (c->slot.hosted && !slot_app_hosted(&c->slot))
		return host_ensure(c->rt, &c->slot, &c->hostfd, e);
	return 0;
}

static int open_lock(struct midi_conn *c, midi_error *e)
{
	if (c->slot.hosted && !slot_app_hosted(&c->slot)) {
		char name[96];
		host_lock_name(&c->slot, name, sizeof name);
		if (c->hostfd >= 0)
			close(c->hostfd);
		c->hostfd = rt_open(c->rt, name, O_RDWR | O_CREAT, e);
		if (c->hostfd < 0)
			return c->hostfd;
	}
	c->fork_gen = rt_fork_gen();
	return 0;
}

static int check_host(struct midi_conn *c, uint64_t now, midi_error *e);

/* The ring writer waits for a host that takes nothing: make sure one runs
 * (a killed host is replaced; a gone application host ends the wait). */
static void send_stalled(void *arg)
{
	struct midi_conn *c = arg;
	c->host_check_ns = 0;
	check_host(c, broker_now_ns(), NULL);
}

/* Resolve spec and map everything a connection needs. With exact, spec
 * must be an id and its slot must not be segment old_uid (reconnect). */
static int resolve_and_map(struct midi_conn *c, const char *spec, int exact, midi_error *e)
{
	size_t n = 0;
	struct reg_slot *v = snapshot_alloc(c->rt, &n, e);
	if (!v)
		return -MIDI_ERR_RUNTIME;
	int k = -1;
	if (exact) {
		for (size_t j = 0; j < n; j++)
			if (strcmp(v[j].info.id, spec) == 0 && v[j].uid != c->old_uid)
				k = (int)j;
		if (k < 0)
			k = midi_error_set(e, MIDI_ERR_NOTFOUND, "endpoint %s is not back", spec);
	} else {
		k = match_spec(v, n, spec, e);
	}
	if (k < 0) {
		free(v);
		return k;
	}
	c->slot = v[k];
	int r = map_slot(c->rt, &c->slot, &c->own, e);
	if (r < 0)
		goto out;
	const struct midi_transport *tp = transport_find(c->slot.info.transport);
	if (!tp) {
		r = midi_error_set(e, MIDI_ERR_RUNTIME,
				   "endpoint %s is of transport \"%s\", which this build of libmidi "
				   "does not have", c->slot.info.id, c->slot.info.transport);
		goto out;
	}
	if (c->slot.hosted) {
		if (!c->own.has_in) {
			r = midi_error_set(e, MIDI_ERR_RUNTIME, "segment of %s has no input ring",
					   c->slot.info.id);
			goto out;
		}
		c->txseg = &c->own;
	} else {
		char peer_id[MIDI_ID_MAX] = "";
		r = tp && tp->route_send ? tp->route_send(&c->slot, peer_id, sizeof peer_id, e)
					 : midi_error_set(e, MIDI_ERR_RUNTIME,
							  "endpoint %s cannot be sent to",
							  c->slot.info.id);
		if (r < 0)
			goto out;
		int p = -1;
		for (size_t j = 0; j < n; j++)
			if (strcmp(v[j].info.id, peer_id) == 0)
				p = (int)j;
		if (p < 0) {
			r = midi_error_set(e, MIDI_ERR_NOTFOUND, "endpoint %s: its peer %s is missing",
					   c->slot.info.id, peer_id);
			goto out;
		}
		struct reg_slot ps = v[p];
		r = map_slot(c->rt, &ps, &c->peer, e);
		if (r < 0)
			goto out;
		c->txseg = &c->peer;
	}
	c->rx = &c->own.out;
	r = rw_init(&c->tw, c->rt, c->txseg, c->slot.hosted ? 1 : 0, e);
	if (r < 0)
		goto out;
	c->tw_ok = 1;
	c->tw.stalled = send_stalled;
	c->tw.stalled_arg = c;
	/* Messages name the endpoint written to, not its file. */
	c->tw.label = c->txseg == &c->peer && c->slot.peer[0] ? c->slot.peer : c->slot.info.id;
	r = open_lock(c, e);
out:
	free(v);
	return r;
}

midi_conn *midi_open(const char *spec, unsigned flags, midi_error *e)
{
	if (!spec || !*spec) {
		midi_error_set(e, MIDI_ERR_INPUT, "empty endpoint name");
		return NULL;
	}
	struct midi_conn *c = calloc(1, sizeof *c);
	if (!c) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	c->hostfd = c->epfd = c->bellfd = c->hostpidfd = c->schedpidfd = c->schedtfd = -1;
	c->inofd = -1;
	c->waiter = -1;
	c->client_idx = -1;
	c->flags = flags;
	c->spin_ns = spin_setting();
	c->rt = rt_get(e);
	if (!c->rt)
		goto fail;
	if (rt_refresh(c->rt, e) < 0)
		goto fail;
	app_hosts_reap(c->rt);
	agents_ensure(c->rt);
	if (transport_on_demand(c->rt, spec, e) < 0 || resolve_and_map(c, spec, 0, e) < 0)
		goto fail;
	snprintf(c->id, sizeof c->id, "%s", c->slot.info.id);
	if (attached(c, ring_head(&c->own.out), e) < 0)
		goto fail;
	return c;
fail:
	midi_close(c);
	return NULL;
}

const midi_endpoint_info *midi_conn_info(const midi_conn *c)
{
	return &c->info;
}

uint64_t midi_conn_incarnation(const midi_conn *c)
{
	return c && !c->detached ? c->slot.incarnation : 0;
}

uint64_t midi_conn_reconnects(const midi_conn *c)
{
	return c ? c->reconnects : 0;
}

/* What the transport lost since the connection attached: the segment's
 * counter less its value then. Untrusted: a counter that went back or
 * leapt further than any real loss (garbage written over the file) counts
 * nothing rather than billions of lost messages. */
#define TLOST_JUMP_MAX (1ull << 40)
static uint64_t tlost_since(const midi_conn *c)
{
	uint64_t d = __atomic_load_n(&c->own.hdr->transport_lost, __ATOMIC_ACQUIRE) - c->tlost0;
	return d > TLOST_JUMP_MAX ? 0 : d;
}

uint64_t midi_conn_lost(const midi_conn *c)
{
	uint64_t t = c->tlost;
	if (c->own.base)
		t += tlost_since(c);
	return c->cur.lost + t;
}

static void fd_attach(struct midi_conn *c);
static void fd_detach(struct midi_conn *c);

/* Let go of everything mapped (reconnect: the endpoint went away). */
static void unmap_all(struct midi_conn *c)
{
	if (c->own.base) {
		c->tlost += tlost_since(c);
		seg_client_remove(&c->own, c->client_idx);
		if (c->client_idx >= 0)
			reg_clients_changed(c->rt, &c->slot);
	}
	c->client_idx = -1;
	if (c->tw_ok)
		rw_fini(&c->tw);
	c->tw_ok = 0;
	seg_unmap(&c->own);
	seg_unmap(&c->peer);
	c->rx = NULL;
	c->txseg = NULL;
	if (c->hostfd >= 0)
		close(c->hostfd);
	c->hostfd = -1;
}

static void detach(struct midi_conn *c)
{
	fd_detach(c);
	c->old_uid = c->own.uid;
	unmap_all(c);
	c->detached = 1;
	c->look_seq = reg_event_seq(c->rt) - 1; /* look at once */
	c->look_ns = 0;
	fd_attach(c);
}

/* The bit of c->held that says hold [kind][group] is not empty. */
static inline uint32_t hold_bit(unsigned kind, unsigned group)
{
	return 1u << (kind * 16 + group);
}

/* The next hold in use of the bits *m (c->held or a copy), taking its bit
 * off; NULL when none is left. */
static inline struct hold *held_next(struct midi_conn *c, uint32_t *m)
{
	if (!*m)
		return NULL;
	unsigned b = (unsigned)__builtin_ctz(*m);
	*m &= *m - 1;
	return &c->hold[b >> 4][b & 15];
}

/* Forget every SysEx held until its end (keeping the buffers). */
static void holds_drop(struct midi_conn *c)
{
	struct hold *h;
	for (uint32_t m = c->held; (h = held_next(c, &m));)
		h->n = 0;
	c->held = 0;
}

/* Detached: attach to a new incarnation if the registry shows one.
 * Returns 1 attached, 0 not yet. */
static int try_attach(struct midi_conn *c)
{
	uint64_t seq = reg_event_seq(c->rt), now = broker_now_ns();
	if (seq == c->look_seq && now - c->look_ns < LOOK_AGAIN_NS)
		return 0;
	c->look_seq = seq;
	c->look_ns = now;
	midi_error e;
	rt_refresh(c->rt, NULL);
	app_hosts_reap(c->rt);
	if (resolve_and_map(c, c->id, 1, &e) < 0 || attached(c, 0, &e) < 0) {
		unmap_all(c);
		return 0;
	}
	fd_detach(c);
	c->detached = 0;
	c->gone_why[0] = '\0';
	c->reconnects++;
	holds_drop(c); /* a half-sent SysEx is not finished on a new device */
	fd_attach(c);
	return 1;
}

void midi_close(midi_conn *c)
{
	if (!c)
		return;
	fd_detach(c);
	unmap_all(c);
	if (c->schedpidfd >= 0)
		close(c->schedpidfd);
	if (c->schedtfd >= 0)
		close(c->schedtfd);
	if (c->bellfd >= 0) {
		close(c->bellfd);
		bell_unlink(c->rt, c->bell);
	}
	if (c->epfd >= 0)
		close(c->epfd);
	for (int t = 0; t < 2; t++)
		for (int g = 0; g < 16; g++)
			free(c->hold[t][g].p);
	if (c->sc) {
		sched_client_close(c->sc);
		free(c->sc);
	}
	free(c->sbuf);
	free(c->jbuf);
	rt_put(c->rt);
	free(c);
}

/* ---- send ---- */

/* 1 if the registry (under its lock) still lists segment uid: then its
 * closed flag was not set by a removal, which unlists it under that lock. */
static int seg_still_listed(struct rt *rt, uint64_t uid)
{
	if (reg_lock(rt, NULL) < 0)
		return 0;
	int listed = 0;
	for (unsigned k = 0; k < REG_SLOTS && !listed; k++)
		listed = rt->reg->slots[k].state == 1 && rt->reg->slots[k].uid == uid;
	reg_unlock(rt);
	return listed;
}

/* Why segment s counts as closed: -MIDI_ERR_CLOSED when its endpoint was
 * removed, -MIDI_ERR_RUNTIME when its file was truncated or corrupted
 * (never garbage from the file as a reason). */
static int closed_error(struct midi_conn *c, const struct seg *s, midi_error *e)
{
	char reason[160];
	int st = seg_state(s, reason, sizeof reason);
	/* The peer's segment (loopbacks): say whose file it is. */
	const char *owner = s == &c->peer && c->slot.peer[0] ? c->slot.peer : NULL;
	if (st == SEG_ST_LOST)
		return seg_lost_error(c->rt, c->info.id, owner, s, e);
	if (st == SEG_ST_CORRUPT || (st == SEG_ST_CLOSED && seg_still_listed(c->rt, s->uid))) {
		if (owner)
			return midi_error_set(e, MIDI_ERR_RUNTIME,
					      "endpoint %s: the shared file %s/%s of %s was corrupted",
					      c->info.id, c->rt->path, s->name, owner);
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "endpoint %s: its shared file %s/%s was corrupted", c->info.id,
				      c->rt->path, s->name);
	}
	return midi_error_set(e, MIDI_ERR_CLOSED, "endpoint %s %s", c->info.id,
			      reason[0] ? reason : "was removed");
}

/* Make sure the endpoint's host runs (start one if its lock is free). 0,
 * or why none could be started (then again for HOST_RETRY_NS, without
 * trying: a helper that cannot work is not started at every look). */
MIDI_HOT
static int check_host(struct midi_conn *c, uint64_t now, midi_error *e)
{
	if (!c->slot.hosted || c->detached)
		return 0;
	if (c->host_fail_ns) {
		if (now - c->host_fail_ns < HOST_RETRY_NS)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "%s", c->host_fail);
		c->host_fail_ns = 0;
		c->host_check_ns = 0; /* try again now */
	}
	int exited = 0;
	if (c->hostpidfd >= 0 && !c->helper_hosted) {
		/* Readable once the application host exited. (A helper's
		 * pidfd is seen by fd_rearm, which sets host_gone: no system
		 * call here at every send.) */
		struct pollfd pf = {.fd = c->hostpidfd, .events = POLLIN};
		exited = poll(&pf, 1, 0) > 0;
	}
	if (!exited && now - c->host_check_ns < HOST_CHECK_NS &&
	    !__atomic_load_n(&c->host_gone, __ATOMIC_ACQUIRE))
		return 0;
	c->host_check_ns = now;
	__atomic_store_n(&c->host_gone, 0, __ATOMIC_RELEASE);
	if (slot_app_hosted(&c->slot)) {
		app_host_reap_one(c->rt, &c->slot); /* gone: removed, segment closed */
		return 0;
	}
	midi_error why;
	if (host_ensure(c->rt, &c->slot, &c->hostfd, &why) == 0)
		return 0;
	snprintf(c->host_fail, sizeof c->host_fail, "%s", why.msg);
	c->host_fail_ns = now ? now : 1;
	return midi_error_set(e, MIDI_ERR_RUNTIME, "%s", why.msg);
}

/* The endpoint is closed (or we are detached): with reconnect, detach and
 * try to attach to a new incarnation. Returns 1 if attached now, 0 if
 * not (e filled with the reason when not reconnecting). */
static int endpoint_gone(struct midi_conn *c, midi_error *e, int *status)
{
	if (!c->detached) {
		const struct seg *s = seg_closed(&c->own, NULL, 0) ? &c->own : c->txseg;
		*status = closed_error(c, s, e);
		/* A broken file is an error, not a removal to wait out. */
		if (!(c->flags & MIDI_OPEN_RECONNECT) || *status != -MIDI_ERR_CLOSED)
			return 0;
		snprintf(c->gone_why, sizeof c->gone_why, "%s", e->msg);
		detach(c);
	} else if (reg_lost(c->rt)) {
		*status = reg_lost_error(c->rt, e); /* nothing to look for a new incarnation in */
		return 0;
	} else if (c->gone_why[0]) { /* the reason it went, while it stays away */
		*status = midi_error_set(e, MIDI_ERR_CLOSED, "%s", c->gone_why);
	} else {
		*status = midi_error_set(e, MIDI_ERR_CLOSED, "endpoint %s is gone", c->id);
	}
	return try_attach(c);
}

MIDI_HOT
static int is_closed(struct midi_conn *c)
{
	return c->detached || seg_closed(&c->own, NULL, 0) ||
	       (c->txseg && c->txseg != &c->own && seg_closed(c->txseg, NULL, 0));
}

/* SysEx kind of a packet: -1 not SysEx, else 0 (7-bit) or 1 (8-bit); *st = status. */
static int sysex_kind(const midi_ump *u, unsigned *st)
{
	unsigned mt = midi_ump_mt(u);
	*st = (u->w[0] >> 20) & 0xF;
	if (mt == MIDI_MT_DATA64)
		return 0;
	if (mt == MIDI_MT_DATA128 && *st <= 3)
		return 1;
	return -1;
}

MIDI_HOT
static int validate(const midi_packet *p, size_t n, uint64_t now, midi_error *e)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t = p[i].time_ns;
		if (t) {
			if (t + PAST_TOLERANCE_NS < now)
				return midi_error_set(e, MIDI_ERR_INPUT,
						      "packet %zu: timestamp is %.3f ms in the past",
						      i + 1, (double)(now - t) / 1e6);
			if (t > now + FUTURE_MAX_NS)
				return midi_error_set(e, MIDI_ERR_INPUT,
						      "packet %zu: timestamp is %.1f s ahead (at most "
						      "1 hour allowed)", i + 1, (double)(t - now) / 1e9);
		}
		unsigned mt = midi_ump_mt(&p[i].ump), st = (p[i].ump.w[0] >> 20) & 0xF;
		if (mt == MIDI_MT_DATA64 && st > 3)
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "packet %zu: SysEx7 status %u is not valid (0-3)", i + 1,
					      st);
		if (mt == MIDI_MT_DATA128 && st > 3 && st != 8 && st != 9)
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "packet %zu: MT 5 status %u is not valid", i + 1, st);
	}
	return 0;
}

struct wbatch {
	struct midi_conn *c;
	uint64_t now;
	int opened;
};

MIDI_HOT
static int wb_lock(struct wbatch *b, midi_error *e)
{
	struct midi_conn *c = b->c;
	if (c->fork_gen != rt_fork_gen()) {
		int r = open_lock(c, e);
		if (r < 0)
			return r;
	}
	int r = rw_begin(&c->tw, e);
	if (r == 0)
		b->opened = 1;
	return r;
}

MIDI_HOT
static void wb_end(struct wbatch *b)
{
	if (b->opened)
		b->c->last_wpos = rw_end(&b->c->tw);
	b->opened = 0;
}

/* Due time of a packet stamped t: 0 = write it now; else hand it to the
 * scheduler with that due time. A "now" packet still goes through the
 * scheduler while the connection's scheduled messages may be on their way
 * (sched_max_due set: see sched_settle), so that ties and near-ties keep
 * the order in which it sent them. */
MIDI_HOT
static uint64_t due_of(const struct midi_conn *c, uint64_t t, uint64_t now)
{
	if (t > now)
		return t;
	return c->sched_max_due ? now : 0;
}

/* Once everything the connection scheduled is written (the scheduler says
 * so; one that does not: SCHED_SETTLE_NS after the latest due time), its
 * "now" messages go straight to the ring again. A scheduler starved on a
 * busy machine is waited for however late it is: a "now" message never
 * overtakes what was sent before it. */
static void sched_settle(struct midi_conn *c, uint64_t now)
{
	if (!c->sched_max_due || c->sched_max_due > now)
		return;
	int w = c->sc ? sched_written(c->sc, c->sched_max_due) : -1;
	if (w > 0 || (w < 0 && c->sched_max_due + SCHED_SETTLE_NS <= now))
		c->sched_max_due = 0;
}

/* The connection's scheduler client, made on first use. */
static int conn_sched(struct midi_conn *c, midi_error *e)
{
	if (c->sc)
		return 0;
	c->sc = calloc(1, sizeof *c->sc);
	if (!c->sc)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	int r = sched_client_open(c->rt, c->sc, e);
	if (r < 0) {
		free(c->sc);
		c->sc = NULL;
	}
	return r;
}

int midi_schedule_ready(midi_conn *c, int timeout_ms, midi_error *e)
{
	if (!c)
		return midi_error_set(e, MIDI_ERR_INPUT, "no connection");
	int r = conn_sched(c, e);
	if (r < 0)
		return r;
	uint64_t now = broker_now_ns();
	uint64_t end = timeout_ms < 0 ? UINT64_MAX : now + (uint64_t)timeout_ms * 1000000ull;
	return sched_ready(c->rt, c->sc, end, e);
}

static int sched_push(struct midi_conn *c, const midi_ump *u, uint64_t due, midi_error *e)
{
	if (c->sn == c->scap) {
		size_t cap = c->scap ? c->scap * 2 : 64;
		struct sched_in *nb = realloc(c->sbuf, cap * sizeof *nb);
		if (!nb)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		c->sbuf = nb;
		c->scap = cap;
	}
	while (!c->owner) /* random: unique among the connections of every process */
		if (getrandom(&c->owner, sizeof c->owner, 0) != sizeof c->owner)
			c->owner = proc_key_self() ^ ((uint64_t)(uintptr_t)c << 17) ^ broker_now_ns();
	struct sched_in *x = &c->sbuf[c->sn++];
	memset(x, 0, sizeof *x);
	x->due = due;
	x->uid = c->txseg->uid;
	x->owner = c->owner;
	x->tag = c->tag;
	x->kind = c->tw.in ? SCHED_TO_IN : SCHED_TO_OUT;
	for (unsigned k = 0; k < midi_ump_words(u); k++)
		x->w[k] = u->w[k];
	if (due > c->sched_max_due)
		c->sched_max_due = due;
	return 0;
}

/* Write one packet now (due 0) or queue it for the scheduler. */
MIDI_HOT
static int put_pkt(struct wbatch *b, const midi_ump *u, uint64_t due, midi_error *e)
{
	if (due)
		return sched_push(b->c, u, due, e);
	int r = wb_lock(b, e);
	if (r == 0)
		rw_put(&b->c->tw, u, b->now, b->c->tag);
	return r;
}

/* Before anything of a call is written: the scheduler must have room for
 * every packet of it that may be scheduled (checked again when written). */
MIDI_HOT
static int sched_room(struct midi_conn *c, const midi_packet *p, size_t n, uint64_t now,
		      midi_error *e)
{
	uint64_t need = 0, held = 0;
	for (size_t i = 0; i < n; i++)
		need += due_of(c, p[i].time_ns, now) != 0;
	struct hold *h;
	for (uint32_t m = c->held; (h = held_next(c, &m));) {
		held += h->n;
		need += h->n && due_of(c, h->p[0].time_ns, now);
	}
	if (!need)
		return 0;
	need += held; /* a SysEx this call ends goes with its first packet's due time */
	int r = conn_sched(c, e);
	if (r < 0)
		return r;
	uint64_t queued = sched_queued(c->sc), cap = c->sc->m.mask + 1;
	if (queued + need > cap)
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "scheduler queue full (%llu of %llu pending; %llu more refused)",
				      (unsigned long long)queued, (unsigned long long)cap,
				      (unsigned long long)need);
	return 0;
}

static int hold_push(struct midi_conn *c, unsigned kind, const midi_packet *p, unsigned group,
		     midi_error *e)
{
	struct hold *h = &c->hold[kind][group];
	if (h->n == h->cap) {
		if (h->cap >= HOLD_MAX)
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "SysEx on group %u is longer than %u packets without "
					      "an end", group + 1, HOLD_MAX);
		size_t cap = h->cap ? h->cap * 2 : 64;
		midi_packet *np = realloc(h->p, cap * sizeof *np);
		if (!np)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		h->p = np;
		h->cap = cap;
	}
	h->p[h->n++] = *p;
	c->held |= hold_bit(kind, group);
	return 0;
}

/* A SysEx leaves whole at the due time of its first packet. */
static int wb_flush_hold(struct wbatch *b, unsigned kind, unsigned group, uint64_t due,
			 midi_error *e)
{
	struct hold *h = &b->c->hold[kind][group];
	int r = 0;
	for (size_t k = 0; k < h->n && r == 0; k++)
		r = put_pkt(b, &h->p[k].ump, due, e);
	h->n = 0;
	b->c->held &= ~hold_bit(kind, group);
	return r;
}

/* The endpoint's flags now (JR negotiated after the connection opened);
 * *fresh set when they are of another incarnation than last time. */
MIDI_HOT
static uint32_t live_flags(struct midi_conn *c, struct jr_cache *k, int *fresh)
{
	if (c->detached)
		return 0;
	if (k->uid != c->slot.uid) {
		k->uid = c->slot.uid;
		k->gen = 1;
		k->flags = c->slot.info.flags;
		*fresh = 1;
	}
	k->flags = reg_live_flags(c->rt, c->slot.uid, &k->gen, k->flags);
	return k->flags;
}

static int send_packets(midi_conn *c, const midi_packet *p, size_t n, uint64_t now,
			midi_error *e);

MIDI_HOT
int midi_send(midi_conn *c, const midi_packet *p, size_t n, midi_error *e)
{
	if (!c)
		return midi_error_set(e, MIDI_ERR_INPUT, "no connection");
	uint64_t now = broker_now_ns();
	int r = validate(p, n, now, e);
	if (r < 0)
		return r;
	int fresh = 0;
	if (n == 0 || !(live_flags(c, &c->jr_send, &fresh) & MIDI_EPF_JR_RX) || c->jrt.app)
		return send_packets(c, p, n, now, e);
	/* The endpoint receives JR timestamps: they go before the messages. */
	struct jr_tx keep = c->jrt;
	long m = jr_tx_prepare(&c->jrt, &c->jbuf, &c->jcap, p, n, now, e);
	if (m < 0)
		return (int)m;
	r = send_packets(c, c->jbuf, (size_t)m, now, e);
	if (r < 0)
		c->jrt = keep; /* nothing went: the next send says it again */
	return r;
}

MIDI_HOT
static int send_packets(midi_conn *c, const midi_packet *p, size_t n, uint64_t now,
			midi_error *e)
{
	int r = check_host(c, now, e);
	if (r < 0)
		return r; /* nothing was taken */
	if (is_closed(c)) {
		int st;
		if (!endpoint_gone(c, e, &st))
			return st;
	}
	sched_settle(c, now);
	r = sched_room(c, p, n, now, e);
	if (r < 0)
		return r;
	/* Room for this call and any SysEx it may complete (flow control
	 * toward readers, back-pressure from a host). */
	uint64_t need = n;
	struct hold *hd;
	for (uint32_t m = c->held; (hd = held_next(c, &m));)
		need += hd->n;
	r = rw_room(&c->tw, need, e);
	if (r < 0)
		return r;
	struct wbatch b = {.c = c, .now = now};
	for (size_t i = 0; i < n && r == 0; i++) {
		unsigned st;
		int kind = sysex_kind(&p[i].ump, &st);
		if (kind < 0) {
			r = put_pkt(&b, &p[i].ump, due_of(c, p[i].time_ns, now), e);
			continue;
		}
		unsigned g = midi_ump_group(&p[i].ump);
		struct hold *h = &c->hold[kind][g];
		uint64_t due = due_of(c, h->n ? h->p[0].time_ns : p[i].time_ns, now);
		switch (st) {
		case 0: /* complete in one packet */
		case 3: /* end */
			r = wb_flush_hold(&b, (unsigned)kind, g, due, e);
			if (r == 0)
				r = put_pkt(&b, &p[i].ump, due, e);
			break;
		case 1: /* start: an unfinished earlier SysEx goes out as it is */
			r = wb_flush_hold(&b, (unsigned)kind, g, due, e);
			if (r == 0)
				r = hold_push(c, (unsigned)kind, &p[i], g, e);
			break;
		default: /* continue */
			r = hold_push(c, (unsigned)kind, &p[i], g, e);
			break;
		}
	}
	wb_end(&b);
	if (c->sn) {
		/* One batch: consecutive arrival numbers, a SysEx stays together. */
		int r2 = sched_put(c->rt, c->sc, c->sbuf, c->sn, e);
		c->sn = 0;
		if (r == 0)
			r = r2;
		/* Receivers waiting on a descriptor look at the scheduler now
		 * (fd_sched): they follow it while it holds what is due to them,
		 * and start another if it is killed. */
		if (r2 == 0) {
			__atomic_add_fetch(&c->own.hdr->sched_gen, 1, __ATOMIC_SEQ_CST);
			if (c->txseg != &c->own)
				__atomic_add_fetch(&c->txseg->hdr->sched_gen, 1, __ATOMIC_SEQ_CST);
			seg_ring_bells(c->rt, c->txseg, 0);
			if (c->txseg != &c->own)
				seg_ring_bells(c->rt, &c->own, 0);
		}
	}
	/* A file truncated under a write: what went into the zeros is not
	 * delivered, so this is no success. */
	if (r == 0 && !c->detached && (seg_lost(&c->own) || seg_lost(c->txseg)))
		r = closed_error(c, seg_lost(&c->own) ? &c->own : c->txseg, e);
	return r;
}

int midi_send_ump(midi_conn *c, const midi_ump *u, midi_error *e)
{
	midi_packet p = {.time_ns = 0, .ump = *u};
	return midi_send(c, &p, 1, e);
}

int midi_flush(midi_conn *c, int timeout_ms, midi_error *e)
{
	if (!c)
		return midi_error_set(e, MIDI_ERR_INPUT, "no connection");
	uint64_t start = broker_now_ns();
	uint64_t end = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000000ull;
	if (c->sc && c->sc->last_pos) {
		/* Scheduled: handed over once the scheduler took it. */
		int r = sched_wait_taken(c->rt, c->sc, end, e);
		if (r < 0)
			return r;
	}
	if (c->detached || !c->slot.hosted || c->last_wpos == 0)
		return 0; /* written into the receivers' ring: handed over */
	long sleep_ns = 1000;
	for (;;) {
		uint64_t hc = __atomic_load_n(&c->own.hdr->host_cursor, __ATOMIC_ACQUIRE);
		if ((int64_t)(hc - c->last_wpos) >= 0)
			return 0;
		if (seg_closed(&c->own, NULL, 0)) {
			int r = closed_error(c, &c->own, e);
			if ((c->flags & MIDI_OPEN_RECONNECT) && r == -MIDI_ERR_CLOSED)
				detach(c); /* what the old host did not take is lost with it */
			return r;
		}
		uint64_t now = broker_now_ns();
		if (now >= end)
			return midi_error_set(e, MIDI_ERR_TIMEOUT,
					      "endpoint %s: host did not take %llu message(s) within "
					      "%d ms", c->info.id,
					      (unsigned long long)(c->last_wpos - hc), timeout_ms);
		int hr = check_host(c, now, e);
		if (hr < 0)
			return hr;
		struct timespec ts = {0, sleep_ns};
		nanosleep(&ts, NULL);
		if (sleep_ns < 1000000)
			sleep_ns *= 2;
	}
}

int midi_cancel(midi_conn *c, uint64_t *cancelled, midi_error *e)
{
	if (cancelled)
		*cancelled = 0;
	if (!c)
		return midi_error_set(e, MIDI_ERR_INPUT, "no connection");
	holds_drop(c); /* a SysEx held until its end was never sent: it goes too */
	uint64_t n = 0;
	if (c->sc && c->sc->last_pos && c->owner) {
		int r = sched_cancel(c->rt, c->sc, c->owner, broker_now_ns() + 10000000000ull, &n, e);
		if (r < 0)
			return r;
	}
	/* Nothing of ours is on its way: what is sent now goes straight out. */
	c->sched_max_due = 0;
	if (cancelled)
		*cancelled = n;
	return 0;
}

/* ---- receive ---- */

/* Make the descriptor readable in a moment (SCHED_WATCH_SLICE_NS), for
 * another look at a scheduler or a host that does not show yet. */
static void look_again(struct midi_conn *c)
{
	if (c->schedtfd < 0) {
		c->schedtfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		struct epoll_event tev = {.events = EPOLLIN, .data.fd = c->schedtfd};
		if (c->schedtfd >= 0 && epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->schedtfd, &tev) < 0) {
			close(c->schedtfd);
			c->schedtfd = -1;
		}
	}
	struct itimerspec its = {{0, 0}, {0, SCHED_WATCH_SLICE_NS}};
	if (c->schedtfd >= 0)
		timerfd_settime(c->schedtfd, 0, &its, NULL);
}

/* While the scheduler holds packets, the descriptor also holds its pidfd:
 * when it dies the descriptor is readable, and this (from midi_recv's
 * fd_rearm) starts another at once. */
static void fd_sched(struct midi_conn *c, int pid_ready)
{
	if (c->schedpidfd >= 0) {
		if (!pid_ready)
			return; /* it lives */
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->schedpidfd, NULL);
		close(c->schedpidfd);
		c->schedpidfd = -1;
		sched_watch(c->rt, &c->sc, NULL); /* a successor takes the queue over */
	}
	if (c->schedtfd >= 0) {
		uint64_t x;
		(void)!read(c->schedtfd, &x, sizeof x);
	}
	int fd = sched_pidfd(c->rt, &c->sc);
	if (fd < 0 && sched_watch(c->rt, &c->sc, NULL) > 0) {
		fd = sched_pidfd(c->rt, &c->sc);
		if (fd < 0) {
			/* Queued, and the scheduler (just started) does not show
			 * yet: look again in a moment. */
			look_again(c);
			return;
		}
	}
	if (fd < 0)
		return;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		return;
	}
	c->schedpidfd = fd;
}

static void watch_helper(struct midi_conn *c);

/* Arm the descriptor for what comes next, after midi_recv: empty the
 * bell, let writers ring it again, and ring it ourselves if something
 * that would make midi_recv return is already there. */
#define FD_LOOK_NS 20000000ull
#define FD_LOOK_HITS 64
#define RECV_SPIN_AFTER_NS 1000000ull

MIDI_HOT
static void fd_rearm(struct midi_conn *c)
{
	if (c->epfd < 0)
		return;
	int bell = 0, sched_pid = 0, sched_tfd = 0, touched = 0, helper_exited = 0;
	uint32_t gen = c->own.base ? __atomic_load_n(&c->own.hdr->sched_gen, __ATOMIC_ACQUIRE) : 0;
	uint64_t now = broker_now_ns();
	/* Woken by the bell, as nearly always: emptying it is the one system
	 * call. The other sources are level-triggered, so one that is ready
	 * keeps the descriptor readable and gets its look when the bell is
	 * quiet; under traffic that rings it before every look, after
	 * FD_LOOK_HITS wake-ups and FD_LOOK_NS at the latest. */
	if (!c->detached && gen == c->sched_gen &&
	    (c->bell_hits < FD_LOOK_HITS || now - c->full_look_ns < FD_LOOK_NS) &&
	    bell_drain(c->bellfd)) {
		bell = 1;
		c->bell_hits++;
	} else {
		/* One look at what is ready (the bell, a pidfd, the timer,
		 * inotify) instead of a system call for each. */
		struct epoll_event evs[8];
		int nev = epoll_wait(c->epfd, evs, 8, 0);
		c->full_look_ns = now;
		c->bell_hits = 0;
		for (int k = 0; k < nev; k++) {
			int fd = evs[k].data.fd;
			bell |= fd == c->bellfd;
			sched_pid |= fd == c->schedpidfd;
			sched_tfd |= fd == c->schedtfd;
			touched |= fd == c->inofd;
			helper_exited |= fd == c->hostpidfd && c->helper_hosted;
		}
		if (bell)
			bell_drain(c->bellfd);
	}
	/* The scheduler: when a sender scheduled something for this endpoint
	 * (sched_gen), or its pidfd or timer fired. */
	if (sched_pid || sched_tfd || gen != c->sched_gen || c->detached) {
		c->sched_gen = gen;
		fd_sched(c, sched_pid);
	}
	if (c->detached) {
		reg_waiter_arm(c->rt, c->waiter);
		if (c->waiter < 0 || reg_event_seq(c->rt) != c->look_seq)
			bell_self(c->bellfd);
		return;
	}
	if (helper_exited) {
		/* midi_recv (check_host) starts a successor, watched once it
		 * shows */
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->hostpidfd, NULL);
		close(c->hostpidfd);
		c->hostpidfd = -1;
		__atomic_store_n(&c->host_gone, 1, __ATOMIC_RELEASE);
	} else if (c->helper_hosted && c->hostpidfd < 0) {
		watch_helper(c);
	}
	seg_client_arm(&c->own, c->client_idx);
	/* The segment file was changed as a file (truncated, replaced): the
	 * next midi_recv touches it and finds out. */
	if (touched) {
		char buf[512];
		while (read(c->inofd, buf, sizeof buf) > 0)
			;
	}
	if (touched || ring_any_for(c->rx, c->cur.pos, ring_head(c->rx), c->conn_id) ||
	    seg_closed(&c->own, NULL, 0) || (c->txseg && seg_closed(c->txseg, NULL, 0)) ||
	    __atomic_load_n(&c->host_gone, __ATOMIC_ACQUIRE))
		bell_self(c->bellfd);
}

/* Received from an endpoint that sends JR timestamps: they are consumed
 * and set the arrival times (not with MIDI_OPEN_JR_RAW). */
MIDI_HOT
static size_t rx_jr(struct midi_conn *c, midi_packet *out, size_t n)
{
	int fresh = 0;
	if (c->flags & MIDI_OPEN_JR_RAW)
		return n;
	uint32_t f = live_flags(c, &c->jr_recv, &fresh);
	if (fresh) /* another incarnation: another sender's clock */
		memset(&c->jrr, 0, sizeof c->jrr);
	if (!(f & MIDI_EPF_JR_TX))
		return n;
	return jr_rx_filter(&c->jrr, out, n);
}

MIDI_HOT
int midi_recv(midi_conn *c, midi_packet *out, size_t max, int timeout_ms, midi_error *e)
{
	if (!c)
		return midi_error_set(e, MIDI_ERR_INPUT, "no connection");
	if (c->flags & MIDI_OPEN_SEND_ONLY)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "connection to %s was opened send-only", c->info.id);
	if (max == 0)
		return 0;
	if (max > INT32_MAX)
		max = INT32_MAX;
	uint64_t now = broker_now_ns();
	uint64_t end = timeout_ms < 0 ? UINT64_MAX : now + (uint64_t)timeout_ms * 1000000ull;
	int spun = 0;
	for (;;) {
		if (c->detached) {
			int st;
			if (!endpoint_gone(c, e, &st)) {
				if (st != -MIDI_ERR_CLOSED) {
					fd_rearm(c);
					return st;
				}
				now = broker_now_ns();
				if (now >= end) {
					fd_rearm(c);
					return 0;
				}
				int64_t left = end - now > (uint64_t)WAIT_SLICE_NS
						       ? WAIT_SLICE_NS : (int64_t)(end - now);
				reg_wait(c->rt, c->look_seq, left);
				continue;
			}
		}
		uint32_t dummy_flag;
		uint32_t *flag = c->client_idx >= 0
					 ? &c->own.hdr->clients[c->client_idx].sleeping
					 : &dummy_flag;
		size_t n = ring_read(c->rx, &c->cur, out, NULL, max, c->conn_id);
		seg_flow_publish(&c->own, c->client_idx, c->cur.pos);
		if (n && !(n = rx_jr(c, out, n)))
			continue; /* only JR messages: look again */
		if (n) {
			fd_rearm(c);
			c->data_ns = broker_now_ns();
			return (int)n;
		}
		now = broker_now_ns();
		int hr = check_host(c, now, e);
		if (hr < 0) {
			fd_rearm(c);
			return hr;
		}
		if (now - c->sched_watch_ns >= SCHED_WATCH_NS) {
			/* Something queued: look again at every wake-up (0). */
			c->sched_watch_ns = sched_watch(c->rt, &c->sc, NULL) > 0 ? 0 : now;
		}
		if (seg_closed(&c->own, NULL, 0)) {
			/* Whatever was published before the close is read first. */
			n = ring_read(c->rx, &c->cur, out, NULL, max, c->conn_id);
			if (n && !(n = rx_jr(c, out, n)))
				continue;
			if (n) {
				fd_rearm(c);
				return (int)n;
			}
			int st;
			if (!endpoint_gone(c, e, &st) &&
			    (!(c->flags & MIDI_OPEN_RECONNECT) || st != -MIDI_ERR_CLOSED)) {
				fd_rearm(c);
				return st;
			}
			continue;
		}
		if (now >= end) {
			fd_rearm(c);
			return 0;
		}
		/* Spin only while traffic comes back to back (packets came
		 * moments ago): after a quiet spell the reply is not microseconds
		 * away, and a spinning reader keeps its CPU from the writer it
		 * woke, which then runs on the other CPU (slower on a VM). */
		if (!spun && c->spin_ns > 0 && now - c->data_ns < RECV_SPIN_AFTER_NS) {
			spun = 1;
			int64_t left = (int64_t)(end - now);
			if (ring_spin(c->rx, c->cur.pos, left < c->spin_ns ? left : c->spin_ns))
				continue;
		}
		int64_t left = end - now > (uint64_t)WAIT_SLICE_NS ? WAIT_SLICE_NS
								    : (int64_t)(end - now);
		if (c->sched_watch_ns == 0 && left > SCHED_WATCH_SLICE_NS)
			left = SCHED_WATCH_SLICE_NS; /* restart a killed scheduler in time */
		ring_wait(c->rx, c->cur.pos, flag, left);
	}
}

/* ---- pollable descriptor ---- */

/* A pidfd of the application hosting the endpoint (readable once it
 * exited), or -1 (not application-hosted, or gone already: then host_gone
 * is set so the descriptor is readable and midi_recv reaps it). */
static int app_host_pidfd(struct midi_conn *c)
{
	if (!slot_app_hosted(&c->slot))
		return -1;
	pid_t pid = (pid_t)c->slot.tpriv[0];
	uint64_t key = c->slot.tpriv[1];
	int fd = pid > 0 && (key & 0xffffffffu) == (uint64_t)pid ? proc_key_pidfd(key) : -1;
	if (fd < 0 && !app_host_alive(c->rt, c->own.uid))
		__atomic_store_n(&c->host_gone, 1, __ATOMIC_RELEASE);
	return fd;
}

/* Watch the helper that hosts the endpoint: a pidfd of it in the epoll
 * set, readable once it exits (killed, or gone idle just as this
 * connection came, seeing no client yet), so that a connection that only
 * receives starts its successor too (midi_recv, check_host): nothing else
 * would, and a device would go unread. A host that does not show yet (it
 * is starting) is looked for again in a moment. */
static void watch_helper(struct midi_conn *c)
{
	if (c->no_pidfd)
		return;
	uint64_t key = __atomic_load_n(&c->own.hdr->host_key, __ATOMIC_ACQUIRE);
	int fd = proc_key_pidfd(key);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
		c->no_pidfd = 1;
		return;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (fd >= 0 && epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		fd = -1;
	}
	c->hostpidfd = fd;
	if (fd < 0)
		look_again(c);
}

/* Register the bell where the events it waits for are published: the
 * endpoint's client table (attached) or the registry (detached). */
static void fd_sched(struct midi_conn *c, int pid_ready);

static void fd_attach(struct midi_conn *c)
{
	if (c->epfd < 0)
		return;
	fd_sched(c, 0); /* something may be queued already */
	if (c->detached) {
		c->waiter = reg_waiter_add(c->rt, c->bell);
	} else {
		seg_client_set_bell(&c->own, c->client_idx, c->bell);
		c->helper_hosted = c->slot.hosted && !slot_app_hosted(&c->slot);
		if (c->helper_hosted) {
			watch_helper(c);
		} else {
			c->hostpidfd = app_host_pidfd(c);
			if (c->hostpidfd >= 0) {
				struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->hostpidfd};
				epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->hostpidfd, &ev);
			}
		}
		/* Writes through the mapping make no inotify events; a
		 * truncation (or removal) of the file does. Without inotify
		 * (the per-user limit), a truncation is noticed at the next
		 * packet instead. */
		char path[PATH_MAX + SEG_NAME_MAX + 2];
		snprintf(path, sizeof path, "%s/%s", c->rt->path, c->own.name);
		c->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		struct epoll_event iev = {.events = EPOLLIN, .data.fd = c->inofd};
		if (c->inofd >= 0 &&
		    (inotify_add_watch(c->inofd, path, IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF |
								 IN_MOVE_SELF) < 0 ||
		     epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->inofd, &iev) < 0)) {
			close(c->inofd);
			c->inofd = -1;
		}
	}
	fd_rearm(c);
}

static void fd_detach(struct midi_conn *c)
{
	if (c->epfd < 0)
		return;
	if (c->waiter >= 0)
		reg_waiter_remove(c->rt, c->waiter);
	c->waiter = -1;
	if (c->own.base)
		seg_client_set_bell(&c->own, c->client_idx, 0);
	if (c->hostpidfd >= 0) {
		epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->hostpidfd, NULL);
		close(c->hostpidfd);
	}
	c->hostpidfd = -1;
	if (c->inofd >= 0)
		close(c->inofd); /* leaves the epoll set with it */
	c->inofd = -1;
}

int midi_conn_fd(midi_conn *c, midi_error *e)
{
	if (!c)
		return midi_error_set(e, MIDI_ERR_INPUT, "no connection");
	if (c->epfd >= 0)
		return c->epfd;
	if (c->flags & MIDI_OPEN_SEND_ONLY)
		return midi_error_set(e, MIDI_ERR_INPUT, "connection to %s was opened send-only",
				      c->info.id);
	if (!c->detached && c->client_idx < 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "endpoint %s has too many clients (%u) for another pollable "
				      "connection", c->info.id, SEG_CLIENTS);
	int r = bell_create(c->rt, &c->bell, e);
	if (r < 0)
		return r;
	c->bellfd = r;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->bellfd};
	if (c->epfd < 0 || epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->bellfd, &ev) < 0) {
		r = midi_error_sys(e, errno, "epoll");
		if (c->epfd >= 0)
			close(c->epfd);
		close(c->bellfd);
		bell_unlink(c->rt, c->bell);
		c->epfd = c->bellfd = -1;
		c->bell = 0;
		return r;
	}
	fd_attach(c);
	return c->epfd;
}
