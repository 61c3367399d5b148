/* host.c: the host loop of the transport contract (transport.h): hosts,
 * which serve a group of hosted endpoints, and agents, which enumerate a
 * transport's devices and follow hotplug. Both are helper processes
 * (midi-helper, spawn.c) holding a lock for their life, so exactly one
 * runs per group or transport and the kernel frees the lock when it dies.
 *
 * Hosts. A client that finds its endpoint's group lock (host_lock_name)
 * free takes it and starts `midi-helper host TRANSPORT KEY`, handing the
 * locked descriptor over. The host finds its endpoints in the registry
 * (every hosted endpoint of the transport whose group key is KEY), maps
 * them, and loops: drain each `in` ring from the cursor kept in its
 * segment (a new host resumes where a killed one stopped; the cursor is
 * stored after the transport took a batch, so a host killed mid-batch
 * makes its successor offer that batch again: at least once), offer the
 * packets to host_input, which may take fewer (the rest stay queued and
 * the cursor marks them as not taken, which is what slows senders down:
 * rwriter.c), then spin briefly (another CPU may be about to send: ping
 * round trips of a few microseconds) and sleep in epoll_wait on one
 * doorbell that clients ring when they publish into any of its `in` rings
 * and the registry rings on every change (endpoints joining or leaving),
 * next to the transport's descriptors and timers. It exits when none of
 * its endpoints has had a live client for HOST_IDLE_NS, or all are gone.
 *
 * Agents. Any program that lists or opens endpoints makes sure the agent
 * of every transport that has one runs (agents_ensure: a non-blocking
 * flock of agent-NAME.lock), waiting up to AGENT_WAIT_NS for a new
 * agent's first enumeration. An agent exits after AGENT_IDLE_NS without a
 * watcher of the registry and without clients on its transport's
 * endpoints; the next program that looks starts it again, and it
 * enumerates again (devices unplugged meanwhile go away then). */
#include "broker/broker.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define HOST_IDLE_NS 2000000000ull
#define HOST_CHECK_NS 500000000ull
#define AGENT_IDLE_NS 5000000000ull
#define AGENT_WAIT_NS 1000000000ull
#define HOST_BATCH 256
#define HOST_FDS 32
#define HOST_TIMERS 32
#define SPIN_AFTER_SLEEP_NS 1000000ull /* spin only after sleeps shorter than this */

/* What each message touches first, the large and seldom used slot last
 * (a sporadic message finds the TLB and caches cold). */
struct host_ep {
	struct seg seg;
	struct ring_writer ow;
	struct ring_cursor cur;
	size_t off, npend;
	int blocked;                  /* the transport took fewer: wait */
	int seen;                     /* in the latest registry scan */
	void *priv;
	uint32_t ptag[HOST_BATCH];
	midi_packet pend[HOST_BATCH]; /* read from `in`, not taken yet */
	struct reg_slot slot;
};

struct hfd {
	int fd;
	host_fd_cb cb;
	void *arg;
};

struct htimer {
	uint64_t due;
	host_timer_cb cb;
	void *arg;
};

struct host {
	struct rt *rt;
	const struct midi_transport *tp;
	int agent;
	char key[64];
	struct host_ep *eps[REG_SLOTS];
	size_t neps;
	void *priv;
	int epfd, bellfd, waiter;
	uint64_t bell;
	struct hfd fds[HOST_FDS];
	struct htimer timers[HOST_TIMERS];
	uint64_t seen_seq;
	int fired;                    /* a descriptor or timer fired: offer again */
	uint64_t last_use, last_check;
	uint64_t slept_ns;            /* length of the latest sleep */
	unsigned undrained;           /* waits since the bell was last emptied */
};

/* ---- services for transports ---- */

void host_set_priv(struct host *h, void *priv)
{
	h->priv = priv;
}

void *host_priv(const struct host *h)
{
	return h->priv;
}

struct rt *host_rt(const struct host *h)
{
	return h->rt;
}

const char *host_key(const struct host *h)
{
	return h->key;
}

int host_fd_add(struct host *h, int fd, uint32_t events, host_fd_cb cb, void *arg)
{
	for (int k = 0; k < HOST_FDS; k++) {
		if (h->fds[k].cb)
			continue;
		struct epoll_event ev = {.events = events, .data.u32 = (uint32_t)k + 1};
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -1;
		h->fds[k] = (struct hfd){fd, cb, arg};
		return 0;
	}
	errno = EMFILE;
	return -1;
}

void host_fd_del(struct host *h, int fd)
{
	for (int k = 0; k < HOST_FDS; k++)
		if (h->fds[k].cb && h->fds[k].fd == fd) {
			epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL);
			memset(&h->fds[k], 0, sizeof h->fds[k]);
		}
}

int host_timer_add(struct host *h, uint64_t due_ns, host_timer_cb cb, void *arg)
{
	for (int k = 0; k < HOST_TIMERS; k++)
		if (!h->timers[k].cb) {
			h->timers[k] = (struct htimer){due_ns, cb, arg};
			return k;
		}
	return -1;
}

void host_timer_del(struct host *h, int id)
{
	if (id >= 0 && id < HOST_TIMERS)
		memset(&h->timers[id], 0, sizeof h->timers[id]);
}

void host_ready(struct host *h, struct host_ep *ep)
{
	(void)h;
	ep->blocked = 0;
}

const struct reg_slot *host_ep_slot(const struct host_ep *ep)
{
	return &ep->slot;
}

void host_ep_set_priv(struct host_ep *ep, void *priv)
{
	ep->priv = priv;
}

void *host_ep_priv(const struct host_ep *ep)
{
	return ep->priv;
}

size_t host_eps(struct host *h, struct host_ep **out, size_t max)
{
	size_t n = h->neps < max ? h->neps : max;
	memcpy(out, h->eps, n * sizeof *out);
	return n;
}

MIDI_HOT
int host_emit(struct host *h, struct host_ep *ep, const midi_packet *p, const uint32_t *tags,
	      size_t n)
{
	(void)h;
	return rw_write(&ep->ow, p, tags, 0, n, 0, NULL);
}

void host_ep_lost(struct host_ep *ep, uint64_t n)
{
	__atomic_add_fetch(&ep->seg.hdr->transport_lost, n, __ATOMIC_RELEASE);
	/* Readers asleep are told now, not with the next message (which may
	 * never come: the end of a SysEx that was lost). */
	seg_ring_bells(ep->ow.rt, &ep->seg, 0);
}

unsigned host_ep_clients(struct host_ep *ep)
{
	return seg_clients_live(&ep->seg);
}

int host_emit_timed(struct host *h, struct host_ep *ep, const midi_packet *p, size_t n)
{
	(void)h;
	int r = rw_room(&ep->ow, n, NULL);
	if (r >= 0)
		r = rw_begin(&ep->ow, NULL);
	if (r < 0)
		return r;
	for (size_t k = 0; k < n; k++)
		rw_put(&ep->ow, &p[k].ump, p[k].time_ns, 0);
	rw_end(&ep->ow);
	return 0;
}

/* ---- group keys and locks ---- */

void host_key_of(const struct reg_slot *slot, char *buf, size_t n)
{
	if (slot->group[0])
		snprintf(buf, n, "%s", slot->group);
	else
		snprintf(buf, n, "ep-%016" PRIx64, slot->uid);
}

void host_lock_name(const struct reg_slot *slot, char *buf, size_t n)
{
	if (slot->group[0])
		snprintf(buf, n, "group-%s.host.lock", slot->group);
	else
		seg_file_name(buf, n, slot->uid, ".host.lock");
}

/* ---- the endpoints of a host ---- */

static void ep_detach(struct host *h, size_t k)
{
	struct host_ep *ep = h->eps[k];
	if (h->tp->host_detach)
		h->tp->host_detach(h, ep);
	if (ep->seg.base) {
		uint64_t mine = h->bell;
		__atomic_compare_exchange_n(&ep->seg.hdr->host_bell, &mine, 0, 0, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED);
	}
	rw_fini(&ep->ow);
	seg_unmap(&ep->seg);
	free(ep);
	h->eps[k] = h->eps[--h->neps];
}

static void ep_attach(struct host *h, const struct reg_slot *slot)
{
	struct host_ep *ep = calloc(1, sizeof *ep);
	int corrupt;
	if (!ep)
		return;
	ep->slot = *slot;
	if (seg_map(h->rt, slot->seg, slot->uid, &ep->seg, &corrupt, NULL) < 0 ||
	    !ep->seg.has_in || seg_closed(&ep->seg, NULL, 0) ||
	    rw_init(&ep->ow, h->rt, &ep->seg, 0, NULL) < 0) {
		seg_unmap(&ep->seg);
		free(ep);
		return;
	}
	struct seg_hdr *hdr = ep->seg.hdr;
	ep->cur.pos = __atomic_load_n(&hdr->host_cursor, __ATOMIC_ACQUIRE);
	/* untrusted: a cursor ahead of the head or a lap behind is garbage */
	uint64_t head = ring_head(&ep->seg.in);
	if ((int64_t)(head - ep->cur.pos) < 0 || head - ep->cur.pos > ep->seg.in.mask + 1)
		ep->cur.pos = head;
	__atomic_store_n(&hdr->host_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&hdr->host_key, proc_key_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&hdr->host_bell, h->bell, __ATOMIC_RELEASE);
	/* A predecessor killed while asleep leaves its count behind. */
	if (__atomic_exchange_n(&hdr->host_sleeping, 0, __ATOMIC_ACQ_REL))
		ring_sleeper_release(&ep->seg.in);
	h->eps[h->neps++] = ep;
	if (h->tp->host_attach && h->tp->host_attach(h, ep) < 0) {
		ep_detach(h, h->neps - 1);
		/* Its clients would wait for a host that never takes it on. */
		agent_remove(h, slot->info.id, "is gone: its host could not open it");
	}
}

/* Whether slot is an endpoint of the group this process hosts. */
static int in_group(const struct host *h, const struct reg_slot *slot)
{
	char key[64];
	host_key_of(slot, key, sizeof key);
	return slot->hosted && strcmp(key, h->key) == 0 &&
	       strcmp(slot->info.transport, h->tp->name) == 0;
}

/* host_open failed: the group's endpoints go, with the reason, so that
 * their clients and watchers are told (a client would otherwise start a
 * host again and again, each exiting at once, and time out with no
 * reason). */
static void group_failed(struct host *h, const char *why)
{
	static struct reg_slot v[REG_SLOTS];
	size_t n = 0;
	char reason[sizeof ((midi_error *)0)->msg + 40];
	snprintf(reason, sizeof reason, "is gone: its host could not start%s%s", *why ? ": " : "",
		 why);
	if (reg_snapshot(h->rt, v, &n, NULL) < 0)
		return;
	for (size_t j = 0; j < n; j++)
		if (in_group(h, &v[j]))
			agent_remove(h, v[j].info.id, reason);
}

/* Detach the group's endpoints that are gone, then attach those that
 * appeared: a new incarnation of an endpoint finds free what the old one
 * held (a raw MIDI device serves one endpoint). */
static void scan(struct host *h)
{
	static struct reg_slot v[REG_SLOTS];
	size_t n = 0;
	uint64_t seq;
	if (reg_read(h->rt, v, &n, &seq, 0, NULL, NULL, NULL, NULL) < 0)
		return;
	h->seen_seq = seq;
	for (size_t k = 0; k < h->neps; k++)
		h->eps[k]->seen = 0;
	for (size_t j = 0; j < n; j++)
		for (size_t k = 0; k < h->neps; k++)
			if (h->eps[k]->slot.uid == v[j].uid && in_group(h, &v[j])) {
				h->eps[k]->seen = 1;
				h->eps[k]->slot = v[j];
			}
	for (size_t k = h->neps; k-- > 0;)
		if (!h->eps[k]->seen || seg_closed(&h->eps[k]->seg, NULL, 0))
			ep_detach(h, k);
	for (size_t j = 0; j < n && h->neps < REG_SLOTS; j++) {
		int have = 0;
		for (size_t k = 0; k < h->neps && !have; k++)
			have = h->eps[k]->slot.uid == v[j].uid;
		if (!have && in_group(h, &v[j]))
			ep_attach(h, &v[j]);
	}
	if (h->tp->host_registry && h->neps)
		h->tp->host_registry(h);
}

/* Offer ep's input to the transport. Returns 1 if anything was taken. */
MIDI_HOT
static int serve(struct host *h, struct host_ep *ep)
{
	if (ep->blocked)
		return 0;
	if (!ep->npend) {
		ep->off = 0;
		ep->npend = ring_read(&ep->seg.in, &ep->cur, ep->pend, ep->ptag, HOST_BATCH,
				      RING_ALL);
		if (!ep->npend)
			return 0;
	}
	size_t took = ep->npend;
	if (h->tp->host_input)
		took = h->tp->host_input(h, ep, ep->pend + ep->off, ep->ptag + ep->off, ep->npend);
	if (took > ep->npend)
		took = ep->npend;
	ep->off += took;
	ep->npend -= took;
	if (ep->npend)
		ep->blocked = 1;
	/* What is not taken yet still counts as waiting (back-pressure). */
	__atomic_store_n(&ep->seg.hdr->host_cursor, ep->cur.pos - ep->npend, __ATOMIC_RELEASE);
	return took > 0;
}

static int64_t spin_ns(void)
{
	const char *s = getenv("MIDI_SPIN_US");
	int64_t us = s && *s ? atoll(s) : 20;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || us < 0)
		us = 0;
	return us * 1000;
}

/* Anything to read in an `in` ring (not blocked), or registry news. */
MIDI_HOT
static int pending(struct host *h)
{
	if (reg_event_seq(h->rt) != h->seen_seq)
		return 1;
	for (size_t k = 0; k < h->neps; k++) {
		struct host_ep *ep = h->eps[k];
		if (!ep->blocked && (ep->npend || ring_head(&ep->seg.in) != ep->cur.pos))
			return 1;
	}
	return 0;
}

MIDI_HOT
static void spin(struct host *h, int64_t ns)
{
	if (ns <= 0 || !h->neps)
		return;
	uint64_t end = broker_now_ns() + (uint64_t)ns;
	for (unsigned i = 1; !pending(h); i++)
		if ((i & 63) == 0 && broker_now_ns() >= end)
			return;
}

/* Whether anybody still needs this process. */
static int in_use(struct host *h)
{
	if (!h->agent) {
		for (size_t k = 0; k < h->neps; k++)
			if (seg_clients_live(&h->eps[k]->seg) > 0)
				return 1;
		return 0;
	}
	/* An agent: users of its own (agent_busy), another waiter on the
	 * registry (a watcher, a host; not another agent, or agents would keep
	 * each other), or a client of its endpoints. */
	if (h->tp->agent_busy && h->tp->agent_busy(h))
		return 1;
	uint64_t self = proc_key_self();
	for (unsigned k = 0; k < REG_WAITERS; k++) {
		struct reg_waiter *w = &h->rt->reg->waiters[k];
		uint64_t owner = __atomic_load_n(&w->owner, __ATOMIC_ACQUIRE);
		if (owner && owner != self && !__atomic_load_n(&w->agent, __ATOMIC_ACQUIRE) &&
		    proc_key_alive(owner))
			return 1;
	}
	static struct reg_slot v[REG_SLOTS];
	size_t n = 0;
	if (reg_snapshot(h->rt, v, &n, NULL) < 0)
		return 1;
	for (size_t j = 0; j < n; j++)
		if (strcmp(v[j].info.transport, h->tp->name) == 0 && seg_count_clients(h->rt, &v[j]))
			return 1;
	return 0;
}

/* Run due timers; the ms until the next one (or until the next use check). */
MIDI_HOT
static int timers(struct host *h, uint64_t now)
{
	uint64_t next = h->last_check + HOST_CHECK_NS;
	for (int k = 0; k < HOST_TIMERS; k++) {
		struct htimer *t = &h->timers[k];
		if (!t->cb)
			continue;
		if (t->due <= now) {
			host_timer_cb cb = t->cb;
			void *arg = t->arg;
			memset(t, 0, sizeof *t);
			cb(h, arg);
			h->fired = 1;
			continue;
		}
		if (t->due < next)
			next = t->due;
	}
	if (next <= now)
		return 0;
	uint64_t ms = (next - now + 999999) / 1000000;
	return ms > 60000 ? 60000 : (int)ms;
}

/* The bell: level-triggered, it is emptied before each wait; edge-
 * triggered (most kernels), each ring wakes the loop and emptying it every
 * HOST_DRAIN_WAITS waits keeps the FIFO from filling: one system call
 * less per wake-up. */
#define HOST_DRAIN_WAITS 32

MIDI_HOT
static void wait_events(struct host *h, int timeout_ms)
{
	if (!bell_edge_ok() || ++h->undrained >= HOST_DRAIN_WAITS) {
		bell_drain(h->bellfd);
		h->undrained = 0;
	}
	for (size_t k = 0; k < h->neps; k++)
		__atomic_store_n(&h->eps[k]->seg.hdr->host_bell_armed, 1, __ATOMIC_SEQ_CST);
	reg_waiter_arm(h->rt, h->waiter);
	if (pending(h))
		return;
	struct epoll_event evs[16];
	int n = epoll_wait(h->epfd, evs, 16, timeout_ms);
	for (int k = 0; k < n; k++) {
		uint32_t idx = evs[k].data.u32;
		if (idx == 0 || idx > HOST_FDS || !h->fds[idx - 1].cb)
			continue; /* the bell */
		struct hfd *f = &h->fds[idx - 1];
		f->cb(h, f->fd, evs[k].events, f->arg);
		h->fired = 1;
	}
}

/* How long a process nobody uses lives on: MIDI_AGENT_IDLE_MS for agents
 * (tests shorten it), else the defaults. */
static uint64_t idle_ns(const struct host *h)
{
	if (!h->agent)
		return HOST_IDLE_NS;
	const char *s = getenv("MIDI_AGENT_IDLE_MS");
	long long ms = s && *s ? atoll(s) : -1;
	return ms >= 0 && ms <= 3600000 ? (uint64_t)ms * 1000000ull : AGENT_IDLE_NS;
}

MIDI_HOT
static void loop(struct host *h)
{
	int64_t spin_for = h->agent ? 0 : spin_ns();
	uint64_t idle = idle_ns(h);
	h->last_use = h->last_check = broker_now_ns();
	for (;;) {
		int did = 0;
		if (reg_event_seq(h->rt) != h->seen_seq) {
			if (h->agent) {
				h->seen_seq = reg_event_seq(h->rt);
				if (h->tp->agent_registry)
					h->tp->agent_registry(h);
			} else
				scan(h);
		}
		if (!h->agent && !h->neps)
			return; /* every endpoint is gone */
		if (h->fired) {
			h->fired = 0;
			for (size_t k = 0; k < h->neps; k++)
				h->eps[k]->blocked = 0;
		}
		for (size_t k = 0; k < h->neps; k++)
			did |= serve(h, h->eps[k]);
		if (did)
			continue;
		uint64_t now = broker_now_ns();
		if (now - h->last_check >= HOST_CHECK_NS) {
			h->last_check = now;
			if (in_use(h))
				h->last_use = now;
			else if (now - h->last_use >= idle)
				return;
		}
		int ms = timers(h, now);
		if (h->fired)
			continue;
		/* Spin only while traffic comes back to back (the last sleep
		 * was short): then the next packet is microseconds away. After
		 * a long sleep, spinning would only keep this CPU busy while the
		 * reply wakes its reader, which then has to be woken on the
		 * other CPU (slower on a VM). */
		if (h->slept_ns < SPIN_AFTER_SLEEP_NS)
			spin(h, spin_for);
		if (pending(h))
			continue;
		uint64_t t0 = broker_now_ns();
		wait_events(h, ms);
		h->slept_ns = broker_now_ns() - t0;
	}
}

static int loop_open(struct host *h, midi_error *e)
{
	h->epfd = h->bellfd = h->waiter = -1;
	h->rt = rt_get(e);
	if (!h->rt)
		return -MIDI_ERR_RUNTIME;
	int fd = bell_create(h->rt, &h->bell, e);
	if (fd < 0)
		return fd;
	h->bellfd = fd;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | (bell_edge_ok() ? EPOLLET : 0u), .data.u32 = 0};
	if (h->epfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->bellfd, &ev) < 0)
		return midi_error_sys(e, errno, "epoll");
	h->waiter = reg_waiter_add(h->rt, h->bell);
	if (h->agent && h->waiter >= 0)
		__atomic_store_n(&h->rt->reg->waiters[h->waiter].agent, 1, __ATOMIC_RELEASE);
	h->seen_seq = reg_event_seq(h->rt);
	return 0;
}

static void loop_close(struct host *h)
{
	while (h->neps)
		ep_detach(h, h->neps - 1);
	if (h->waiter >= 0)
		reg_waiter_remove(h->rt, h->waiter);
	if (h->bellfd >= 0) {
		close(h->bellfd);
		bell_unlink(h->rt, h->bell);
	}
}

_Noreturn void host_main(const char *transport, const char *key, int lockfd)
{
	(void)lockfd; /* held until exit */
	static struct host h;
	h.tp = transport_find(transport);
	snprintf(h.key, sizeof h.key, "%s", key);
	if (!h.tp || loop_open(&h, NULL) < 0)
		_exit(1);
	if (h.tp->realtime)
		broker_realtime();
	midi_error err = {0};
	if (h.tp->host_open && h.tp->host_open(&h, &err) < 0) {
		group_failed(&h, err.msg);
		loop_close(&h); /* its bell too: one file a start otherwise */
		_exit(1);
	}
	scan(&h);
	do /* idle: but a client may have come as it was deciding to leave */
		loop(&h);
	while ((h.agent || h.neps) && in_use(&h));
	loop_close(&h);
	if (h.tp->host_close)
		h.tp->host_close(&h);
	_exit(0);
}

int host_ensure(struct rt *rt, const struct reg_slot *slot, int *hostfd, midi_error *e)
{
	if (flock(*hostfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK || errno == EINTR)
			return 0; /* a host lives */
		return midi_error_sys(e, errno, "cannot lock the host lock of %s", slot->info.id);
	}
	/* We hold the lock: we are responsible for the (new) host. */
	char name[96], key[64], what[MIDI_ID_MAX + 16];
	host_lock_name(slot, name, sizeof name);
	host_key_of(slot, key, sizeof key);
	int fresh = rt_open(rt, name, O_RDWR | O_CREAT, e);
	if (fresh < 0) {
		flock(*hostfd, LOCK_UN);
		return fresh;
	}
	snprintf(what, sizeof what, "a host for %s", slot->info.id);
	const char *args[] = {slot->info.transport, key, NULL};
	int r = broker_spawn(rt, "host", args, *hostfd, what, e);
	if (r < 0) {
		flock(*hostfd, LOCK_UN);
		close(fresh);
		return r;
	}
	/* Do not unlock: the host shares this open file and its lock. */
	close(*hostfd);
	*hostfd = fresh;
	return 0;
}

/* ---- agents ---- */

int agent_add(struct host *h, const struct reg_slot *tmpl, midi_error *e)
{
	struct conf conf;
	int have_conf = conf_current(&conf, NULL) == 0;
	int r = reg_lock(h->rt, e);
	struct reg_slot copy;
	int added = 0;
	if (r == 0) {
		if (reg_find_locked(h->rt, tmpl->info.id) < 0) {
			struct reg_slot s = *tmpl;
			if (have_conf)
				conf_props_for(&conf, &s);
			r = reg_add_locked(h->rt, &s, e);
			if (r >= 0) {
				reg_get_locked(h->rt, r, &copy);
				added = 1;
				r = 0;
			}
		}
		reg_unlock(h->rt);
	}
	if (have_conf)
		conf_free(&conf);
	if (added && h->tp->discoverable && copy.info.native == MIDI_NATIVE_UMP)
		agent_spawn_discovery(h->rt, &copy, NULL);
	return r;
}

int agent_remove(struct host *h, const char *id, const char *reason)
{
	if (reg_lock(h->rt, NULL) < 0)
		return -MIDI_ERR_RUNTIME;
	int idx = reg_find_locked(h->rt, id);
	if (idx >= 0 && strncmp(h->rt->reg->slots[idx].info.transport, h->tp->name,
				SHM_TRANSPORT) == 0)
		reg_remove_locked(h->rt, idx, reason);
	reg_unlock(h->rt);
	return idx >= 0 ? 0 : -MIDI_ERR_NOTFOUND;
}

int agent_list(struct host *h, char (**ids)[MIDI_ID_MAX], size_t *n)
{
	static struct reg_slot v[REG_SLOTS];
	size_t cnt = 0;
	*ids = NULL;
	*n = 0;
	if (reg_snapshot(h->rt, v, &cnt, NULL) < 0)
		return -MIDI_ERR_RUNTIME;
	*ids = malloc((cnt ? cnt : 1) * sizeof **ids);
	if (!*ids)
		return -MIDI_ERR_RUNTIME;
	for (size_t k = 0; k < cnt; k++)
		if (strcmp(v[k].info.transport, h->tp->name) == 0)
			memcpy((*ids)[(*n)++], v[k].info.id, MIDI_ID_MAX);
	return 0;
}

static int transport_index(const struct midi_transport *tp)
{
	for (int k = 0; transport_all[k]; k++)
		if (transport_all[k] == tp)
			return k;
	return -1;
}

_Noreturn void tagent_main(const char *transport, int lockfd)
{
	(void)lockfd; /* held until exit */
	static struct host h;
	h.tp = transport_find(transport);
	h.agent = 1;
	int idx = transport_index(h.tp);
	if (!h.tp || !h.tp->agent_open || idx < 0 || idx >= REG_AGENTS || loop_open(&h, NULL) < 0)
		_exit(1);
	if (h.tp->realtime) /* the alsa agent carries the export's data */
		broker_realtime();
	int r = h.tp->agent_open(&h, NULL);
	/* The first enumeration is done (or failed): programs waiting go on. */
	__atomic_add_fetch(&h.rt->reg->agent_ready[idx], 1, __ATOMIC_SEQ_CST);
	if (r < 0) {
		loop_close(&h);
		_exit(1);
	}
	loop(&h);
	if (h.tp->agent_close)
		h.tp->agent_close(&h);
	loop_close(&h);
	_exit(0);
}

void agents_ensure(struct rt *rt)
{
	for (int k = 0; transport_all[k] && k < REG_AGENTS; k++) {
		const struct midi_transport *tp = transport_all[k];
		if (!tp->agent_open || (tp->agent_wanted && !tp->agent_wanted(rt)))
			continue;
		char name[64];
		snprintf(name, sizeof name, "agent-%s.lock", tp->name);
		int fd = rt_open(rt, name, O_RDWR | O_CREAT, NULL);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd); /* one runs */
			continue;
		}
		uint64_t gen = __atomic_load_n(&rt->reg->agent_ready[k], __ATOMIC_ACQUIRE);
		const char *args[] = {tp->name, NULL};
		char what[64];
		snprintf(what, sizeof what, "the %s agent", tp->name);
		int r = broker_spawn(rt, "agent", args, fd, what, NULL);
		close(fd); /* the agent holds the lock through its copy */
		if (r < 0)
			continue;
		/* Wait (bounded) for its first enumeration, so that a listing
		 * shows the devices present. */
		uint64_t end = broker_now_ns() + AGENT_WAIT_NS;
		while (__atomic_load_n(&rt->reg->agent_ready[k], __ATOMIC_ACQUIRE) == gen &&
		       broker_now_ns() < end) {
			struct timespec ts = {0, 2000000};
			nanosleep(&ts, NULL);
		}
	}
}
