/* alsa_host.c: the alsa transport's host (transport.h): one process
 * (group "alsa") serving every alsa endpoint through one sequencer client
 * (ALSA_HOST_CLIENT) with one hidden port. To receive from port X it
 * subscribes X -> its port (snd_seq_connect_from); what arrives is found
 * by its source address and translated (alsaev.c) for the endpoint's
 * clients. It subscribes to X for sending too (from the first send on:
 * snd-virmidi ignores events while nobody is subscribed to its port). It
 * keeps subscriptions only while the endpoint has clients (looked up
 * every AH_SUBS_NS): a subscription opens a hardware port's raw MIDI
 * device in snd-seq-midi and pins snd-virmidi, which must stay free for
 * other programs while nobody listens through the toolkit. To send to X it addresses events to X directly. It waits on
 * the sequencer's descriptors in the host loop. A port missing when its
 * endpoint is attached is removed ("is gone: ALSA port removed").
 * Arrival times: the port stamps what arrives with the real time of a
 * queue of ours; AH_SUBS_NS ticks also measure the queue's offset to
 * CLOCK_MONOTONIC, so each packet carries the time the sequencer received
 * it, not the time this process got round to it.
 * Pacing: the kernel drops what does not fit a raw MIDI device's 4 KiB
 * buffer (snd-seq-midi: "MIDI output buffer overrun"; snd-virmidi: its
 * reader's buffer), so what goes to a port with a raw MIDI device behind
 * it (a kernel client of a card) is paced, AH_BURST bytes ahead at most:
 * hardware at the MIDI 1.0 cable's 3125 bytes/s, snd-virmidi at four
 * times that (its reader has 4 KiB, a third of a second, of slack). host_input takes fewer packets while the budget is spent (they
 * wait in the ring; senders are slowed, nothing is lost) and a timer
 * offers them again. */
#include "transport/alsa.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define AH_MAX_EPS 256
#define AH_EMIT 256
#define AH_OUT_WAIT_MS 1000
#define AH_SUBS_NS 200000000ull
#define AH_POOL 2000 /* SNDRV_SEQ_MAX_CLIENT_EVENTS */
#define AH_BURST 1024
#define AH_RATE_CABLE 3125
#define AH_RATE_VIRTUAL 12500

struct aep {
	struct host_ep *ep;
	int client, port;
	int subscribed, readable;
	int wsub; /* our port -> it: 1 done, -1 refused, 0 not tried */
	uint32_t rate;   /* bytes/s to it, 0 = not paced */
	int64_t budget;  /* bytes it may take now (may go below 0) */
	uint64_t refill; /* when budget was last refilled */
	int pace_timer;  /* -1 none */
	char id[MIDI_ID_MAX];
	struct alsaev_in in;
	struct alsaev_out out;
};

struct ahost {
	struct host *h;
	snd_seq_t *seq;
	int port;
	int fds[4], nfds;
	struct aep *eps[AH_MAX_EPS];
	size_t neps;
	struct aep *emep; /* the endpoint whose packets em holds */
	midi_packet em[AH_EMIT];
	size_t nem;
	int timer;
	int queue;      /* stamps arrivals (real time), -1 none */
	struct alsa_qclock qclock; /* the queue's time to CLOCK_MONOTONIC */
	uint64_t qtry;  /* when last looked at */
	uint64_t cur_t; /* arrival time of the event being translated */
};

static uint64_t ev_ns(const snd_seq_real_time_t *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + t->tv_nsec;
}

/* The queue's offset to CLOCK_MONOTONIC (alsa_qclock.c): of three looks,
 * the one taken in the shortest time, so that one look slowed down (a busy
 * machine, an emulated one) does not move every arrival time after it.
 * Looked at when events come, at most every QUEUE_LOOK_NS: three looks
 * are three system calls (0.1 ms under TCG) that a flood of events would
 * otherwise pay at every wake-up. */
#define QUEUE_LOOK_NS 50000000ull
static void measure_queue(struct ahost *a)
{
	a->qtry = broker_now_ns();
	snd_seq_queue_status_t *st;
	snd_seq_queue_status_alloca(&st);
	uint64_t best = UINT64_MAX;
	int64_t off = 0;
	for (int k = 0; a->queue >= 0 && k < 3; k++) {
		uint64_t t0 = broker_now_ns();
		if (snd_seq_get_queue_status(a->seq, a->queue, st) < 0)
			return;
		uint64_t t1 = broker_now_ns();
		if (t1 - t0 < best) {
			best = t1 - t0;
			off = (int64_t)(t0 + (t1 - t0) / 2) -
			      (int64_t)ev_ns(snd_seq_queue_status_get_real_time(st));
		}
	}
	if (best != UINT64_MAX)
		alsa_qclock_update(&a->qclock, off, best, broker_now_ns());
}

/* When the event reached the sequencer (CLOCK_MONOTONIC), else now (0). */
static uint64_t arrival(const struct ahost *a, const snd_seq_event_t *ev)
{
	if (a->queue < 0 || ev->queue != a->queue ||
	    (ev->flags & SND_SEQ_TIME_STAMP_MASK) != SND_SEQ_TIME_STAMP_REAL)
		return 0;
	return alsa_qclock_stamp(&a->qclock, ev_ns(&ev->time.time), broker_now_ns());
}

/* Subscribe to the readable ports whose endpoints have clients, and only
 * to those. */
static void sync_subs(struct ahost *a)
{
	for (size_t k = 0; k < a->neps; k++) {
		struct aep *e = a->eps[k];
		int want = host_ep_clients(e->ep) > 0;
		if (!want && e->wsub) {
			if (e->wsub > 0)
				snd_seq_disconnect_to(a->seq, a->port, e->client, e->port);
			e->wsub = 0;
		}
		if (want && e->readable && !e->subscribed)
			e->subscribed = snd_seq_connect_from(a->seq, a->port, e->client, e->port) == 0;
		else if (!want && e->subscribed) {
			snd_seq_disconnect_from(a->seq, a->port, e->client, e->port);
			e->subscribed = 0;
		}
	}
}

/* A client came or went: subscribe (or not) at once, before the first
 * message it sends is offered, so the reply to it is not missed. */
void alsa_host_registry(struct host *h)
{
	struct ahost *a = host_priv(h);
	if (a)
		sync_subs(a);
}

static void on_timer(struct host *h, void *arg)
{
	struct ahost *a = arg;
	sync_subs(a);
	a->timer = host_timer_add(h, broker_now_ns() + AH_SUBS_NS, on_timer, a);
}

static void flush(struct ahost *a)
{
	if (a->nem && a->emep)
		host_emit_timed(a->h, a->emep->ep, a->em, a->nem);
	a->nem = 0;
}

static int emit_cb(void *ctx, const midi_ump *p)
{
	struct ahost *a = ctx;
	if (a->nem == AH_EMIT)
		flush(a);
	a->em[a->nem++] = (midi_packet){a->cur_t, *p};
	return 0;
}

static struct aep *by_addr(struct ahost *a, int client, int port)
{
	for (size_t k = 0; k < a->neps; k++)
		if (a->eps[k]->client == client && a->eps[k]->port == port)
			return a->eps[k];
	return NULL;
}

/* The kernel's input pool of this client overflowed: events of some of
 * the ports listened to were dropped (which, ALSA does not say), and
 * snd-virmidi stops dispatching at the first it could not deliver. Every
 * endpoint listened to counts a loss, and what each was in the middle of
 * (a SysEx whose middle may be gone) is forgotten, not spliced: what
 * follows it without a status is dropped. */
static void overflowed(struct ahost *a)
{
	flush(a);
	for (size_t k = 0; k < a->neps; k++) {
		struct aep *e = a->eps[k];
		if (!e->subscribed)
			continue;
		alsaev_in_reset(&e->in);
		host_ep_lost(e->ep, 1);
	}
}

static void on_seq(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)h;
	(void)fd;
	(void)revents;
	struct ahost *a = arg;
	if (broker_now_ns() - a->qtry >= QUEUE_LOOK_NS)
		measure_queue(a);
	for (int k = 0; k < 65536; k++) {
		snd_seq_event_t *ev = NULL;
		int r = snd_seq_event_input(a->seq, &ev);
		if (r == -ENOSPC) {
			overflowed(a);
			continue;
		}
		if (r < 0)
			break;
		if (!ev)
			continue;
		struct aep *e = by_addr(a, ev->source.client, ev->source.port);
		if (!e)
			continue;
		if (e != a->emep) {
			flush(a);
			a->emep = e;
		}
		a->cur_t = arrival(a, ev);
		alsaev_in_put(&e->in, ev, emit_cb, a);
	}
	flush(a);
}

int alsa_host_open(struct host *h, midi_error *e)
{
	struct ahost *a = calloc(1, sizeof *a);
	if (!a)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	a->h = h;
	int r = snd_seq_open(&a->seq, "default", SND_SEQ_OPEN_DUPLEX, SND_SEQ_NONBLOCK);
	if (r < 0) {
		free(a);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "ALSA sequencer: %s", snd_strerror(r));
	}
	snd_seq_set_client_name(a->seq, ALSA_HOST_CLIENT);
	/* The kernel drops what arrives while the client's input pool is full
	 * (snd-virmidi and snd-seq-midi deliver a fast SysEx without waiting):
	 * the largest pool it allows, about 180 SysEx events of 256 bytes. */
	snd_seq_set_client_pool_input(a->seq, AH_POOL);
	snd_seq_set_client_pool_output(a->seq, AH_POOL);
	a->queue = snd_seq_alloc_named_queue(a->seq, ALSA_HOST_CLIENT);
	snd_seq_port_info_t *pi;
	snd_seq_port_info_alloca(&pi);
	snd_seq_port_info_set_name(pi, ALSA_HOST_CLIENT);
	snd_seq_port_info_set_capability(pi, SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_WRITE |
						     SND_SEQ_PORT_CAP_NO_EXPORT);
	snd_seq_port_info_set_type(pi, SND_SEQ_PORT_TYPE_MIDI_GENERIC |
					       SND_SEQ_PORT_TYPE_APPLICATION);
	if (a->queue >= 0) {
		snd_seq_port_info_set_timestamping(pi, 1);
		snd_seq_port_info_set_timestamp_real(pi, 1);
		snd_seq_port_info_set_timestamp_queue(pi, a->queue);
	}
	r = snd_seq_create_port(a->seq, pi);
	a->port = r < 0 ? r : snd_seq_port_info_get_port(pi);
	if (a->queue >= 0 && (snd_seq_start_queue(a->seq, a->queue, NULL) < 0 ||
			      snd_seq_drain_output(a->seq) < 0))
		a->queue = -1; /* no stamps: arrivals are timed when read */
	if (a->port < 0) {
		r = a->port;
		snd_seq_close(a->seq);
		free(a);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "ALSA sequencer port: %s", snd_strerror(r));
	}
	host_set_priv(h, a);
	struct pollfd pfd[4];
	int nf = snd_seq_poll_descriptors(a->seq, pfd, 4, POLLIN);
	for (int k = 0; k < nf && k < 4; k++)
		if (host_fd_add(h, pfd[k].fd, EPOLLIN, on_seq, a) == 0)
			a->fds[a->nfds++] = pfd[k].fd;
	on_timer(h, a);
	return 0;
}

void alsa_host_close(struct host *h)
{
	struct ahost *a = host_priv(h);
	if (!a)
		return;
	for (int k = 0; k < a->nfds; k++)
		host_fd_del(h, a->fds[k]);
	if (a->timer >= 0)
		host_timer_del(h, a->timer);
	for (size_t k = 0; k < a->neps; k++) {
		alsaev_in_free(&a->eps[k]->in);
		alsaev_out_free(&a->eps[k]->out);
		free(a->eps[k]);
	}
	snd_seq_close(a->seq);
	free(a);
	host_set_priv(h, NULL);
}

/* The pace for a port (0: none): a kernel client of a card with a raw MIDI
 * device behind the port (snd-seq-midi, snd-virmidi). */
static uint32_t pace_rate(struct ahost *a, int client, const snd_seq_port_info_t *pi)
{
	snd_seq_client_info_t *ci;
	snd_seq_client_info_alloca(&ci);
	unsigned type = snd_seq_port_info_get_type(pi);
	if (snd_seq_get_any_client_info(a->seq, client, ci) < 0 ||
	    snd_seq_client_info_get_type(ci) != SND_SEQ_KERNEL_CLIENT ||
	    snd_seq_client_info_get_card(ci) < 0 || !(type & SND_SEQ_PORT_TYPE_MIDI_GENERIC))
		return 0;
	return type & SND_SEQ_PORT_TYPE_HARDWARE ? AH_RATE_CABLE : AH_RATE_VIRTUAL;
}

int alsa_host_attach(struct host *h, struct host_ep *ep)
{
	struct ahost *a = host_priv(h);
	const struct reg_slot *s = host_ep_slot(ep);
	int client, port;
	snd_seq_port_info_t *pi;
	snd_seq_port_info_alloca(&pi);
	if (a->neps == AH_MAX_EPS || alsa_addr_load(s, &client, &port) < 0)
		return -1;
	if (snd_seq_get_any_port_info(a->seq, client, port, pi) < 0) {
		agent_remove(h, s->info.id, "is gone: ALSA port removed");
		return -1;
	}
	struct aep *e = calloc(1, sizeof *e);
	if (!e)
		return -1;
	e->ep = ep;
	e->client = client;
	e->port = port;
	if (alsaev_in_init(&e->in) < 0 || alsaev_out_init(&e->out) < 0) {
		alsaev_in_free(&e->in);
		alsaev_out_free(&e->out);
		free(e);
		return -1;
	}
	e->readable = !!(snd_seq_port_info_get_capability(pi) & SND_SEQ_PORT_CAP_READ);
	e->rate = pace_rate(a, client, pi);
	e->budget = AH_BURST;
	e->refill = broker_now_ns();
	e->pace_timer = -1;
	snprintf(e->id, sizeof e->id, "%s", s->info.id);
	a->eps[a->neps++] = e;
	host_ep_set_priv(ep, e);
	sync_subs(a);
	return 0;
}

void alsa_host_detach(struct host *h, struct host_ep *ep)
{
	struct ahost *a = host_priv(h);
	struct aep *e = host_ep_priv(ep);
	if (!a || !e)
		return;
	if (a->emep == e) {
		flush(a);
		a->emep = NULL;
	}
	if (e->subscribed)
		snd_seq_disconnect_from(a->seq, a->port, e->client, e->port);
	if (e->wsub > 0)
		snd_seq_disconnect_to(a->seq, a->port, e->client, e->port);
	if (e->pace_timer >= 0)
		host_timer_del(h, e->pace_timer);
	for (size_t k = 0; k < a->neps; k++)
		if (a->eps[k] == e) {
			a->eps[k] = a->eps[--a->neps];
			break;
		}
	alsaev_in_free(&e->in);
	alsaev_out_free(&e->out);
	free(e);
	host_ep_set_priv(ep, NULL);
}

struct send_ctx {
	struct ahost *a;
	struct aep *e;
};

/* One event to the port, waiting a little while the kernel is full. */
static int send_cb(void *ctx, snd_seq_event_t *ev)
{
	struct send_ctx *c = ctx;
	snd_seq_ev_set_source(ev, c->a->port);
	snd_seq_ev_set_dest(ev, c->e->client, c->e->port);
	snd_seq_ev_set_direct(ev);
	for (int tries = 0; tries < 2; tries++) {
		int r = snd_seq_event_output_direct(c->a->seq, ev);
		if (r >= 0) {
			c->e->budget -= ev->type == SND_SEQ_EVENT_SYSEX ? (int64_t)ev->data.ext.len : 3;
			return 0;
		}
		if (r != -EAGAIN)
			break;
		struct pollfd pfd[4];
		int nf = snd_seq_poll_descriptors(c->a->seq, pfd, 4, POLLOUT);
		if (nf > 0)
			poll(pfd, (nfds_t)nf, AH_OUT_WAIT_MS);
	}
	return 0; /* dropped: the port is gone or refuses (the agent removes it) */
}

static void on_pace(struct host *h, void *arg)
{
	(void)h;
	struct aep *e = arg;
	e->pace_timer = -1; /* the loop offers the queued input again */
}

/* Whether e may take more now; if not, a timer for when it may. */
static int paced_room(struct host *h, struct aep *e)
{
	if (!e->rate)
		return 1;
	uint64_t now = broker_now_ns();
	e->budget += (int64_t)((now - e->refill) * e->rate / 1000000000ull);
	e->refill = now;
	if (e->budget > AH_BURST)
		e->budget = AH_BURST;
	if (e->budget > 0)
		return 1;
	if (e->pace_timer < 0) {
		uint64_t wait = (uint64_t)(1 - e->budget + 64) * 1000000000ull / e->rate;
		e->pace_timer = host_timer_add(h, now + wait, on_pace, e);
	}
	return 0;
}

size_t alsa_host_input(struct host *h, struct host_ep *ep, const midi_packet *p,
		       const uint32_t *tags, size_t n)
{
	(void)tags;
	struct ahost *a = host_priv(h);
	struct aep *e = host_ep_priv(ep);
	if (!a || !e)
		return n; /* not served: what waits goes with the endpoint */
	/* Some kernel ports take events only from a subscriber (snd-virmidi:
	 * "used" while subscribed): subscribe before the first send. */
	if (!e->wsub)
		e->wsub = snd_seq_connect_to(a->seq, a->port, e->client, e->port) == 0 ? 1 : -1;
	struct send_ctx c = {a, e};
	for (size_t k = 0; k < n; k++) {
		if (!paced_room(h, e))
			return k;
		alsaev_out_put(&e->out, &p[k].ump, send_cb, &c);
	}
	return n;
}
