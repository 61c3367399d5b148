/* rwriter.c: the one ring writer (see broker.h, struct ring_writer): lock
 * (wlock.c: no system call when free),
 * flow control for `out` (readers that keep reading) and back-pressure for
 * `in` (the host's cursor), chunked publishing of batches larger than half
 * the ring, futex and doorbell wake-ups, the ring's pages mapped at once
 * for a bulk writer. Client sends (conn.c), hosts
 * (host.c), virtual devices (virt.c) and the scheduler (schedhost.c) all
 * write through it. */
#include "broker/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RW_LOCK_MS 2000
#define RW_STALL_CALL_NS 100000000ull

int rw_init(struct ring_writer *w, struct rt *rt, struct seg *seg, int in, midi_error *e)
{
	memset(w, 0, sizeof *w);
	w->rt = rt;
	w->seg = seg;
	w->label = seg->name;
	w->in = in;
	if (in && !seg->has_in)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "segment %s has no input ring",
				      seg->name);
	w->ring = in ? &seg->in : &seg->out;
	return 0;
}

void rw_fini(struct ring_writer *w)
{
	w->ring = NULL;
}

/* Back-pressure into `in`: wait while the host has not taken enough. */
MIDI_HOT
static int in_room(struct ring_writer *w, uint64_t need, midi_error *e)
{
	struct ring *r = w->ring;
	uint64_t slots = r->mask + 1;
	struct seg_hdr *h = w->seg->hdr;
	uint64_t last = 0, since = 0, called = 0;
	long sleep_ns = 20000;
	for (;;) {
		uint64_t head = ring_head(r);
		uint64_t hc = __atomic_load_n(&h->host_cursor, __ATOMIC_ACQUIRE);
		/* untrusted: a cursor ahead of the head or a lap behind is garbage */
		if ((int64_t)(head - hc) < 0 || head - hc > slots || head + need - hc <= slots)
			return 0;
		if (seg_closed(w->seg, NULL, 0))
			return 0; /* the caller reports the close */
		uint64_t now = broker_now_ns();
		if (hc != last || !since) {
			last = hc;
			since = called = now;
			sleep_ns = 20000;
		} else if (now - since >= (uint64_t)RW_IN_STALL_NS) {
			return midi_error_set(e, MIDI_ERR_TIMEOUT,
					      "endpoint %s is not taking messages: its host took "
					      "none for %lld ms (%llu waiting)",
					      w->label, RW_IN_STALL_NS / 1000000,
					      (unsigned long long)(head - hc));
		}
		if (w->stalled && now - called >= RW_STALL_CALL_NS) {
			called = now;
			w->stalled(w->stalled_arg);
		}
		struct timespec ts = {0, sleep_ns};
		nanosleep(&ts, NULL);
		if (sleep_ns < 1000000)
			sleep_ns *= 2;
	}
}

MIDI_HOT
int rw_room(struct ring_writer *w, uint64_t need, midi_error *e)
{
	uint64_t half = (w->ring->mask + 1) / 2;
	/* A bulk writer (half a ring so far) maps the whole ring at once. */
	w->asked += need;
	if (w->asked >= half && !ring_all_mapped(w->ring))
		ring_populate(w->ring);
	if (need > half)
		need = half;
	if (!w->in) {
		seg_flow_wait(w->seg, need, &w->flow_limit);
		return 0;
	}
	return in_room(w, need, e);
}

MIDI_HOT
int rw_begin(struct ring_writer *w, midi_error *e)
{
	/* Open already by this thread (another thread's batch: wait for it). */
	if (__atomic_load_n(&w->locked, __ATOMIC_ACQUIRE) && pthread_equal(w->owner, pthread_self()))
		return 0;
	int r = wlock_take(&w->seg->hdr->wlock[w->in ? 1 : 0], RW_LOCK_MS);
	/* r == 1: its holder died mid-batch; what it had not published is not
	 * in the ring (the batch starts at the published head). */
	if (r < 0)
		return midi_error_set(e, MIDI_ERR_TIMEOUT,
				      "the writer lock of %s was held by another process for more "
				      "than %d ms", w->label, RW_LOCK_MS);
	w->owner = pthread_self();
	__atomic_store_n(&w->locked, 1, __ATOMIC_RELEASE);
	w->pos = w->published = ring_wpos(w->ring);
	w->now = broker_now_ns();
	w->any = 0;
	w->tag = 0;
	return 0;
}

static void wake(struct ring_writer *w)
{
	if (w->in)
		seg_ring_host_bell(w->rt, w->seg);
	else
		seg_ring_bells(w->rt, w->seg, w->tag);
}

MIDI_HOT
void rw_put(struct ring_writer *w, const midi_ump *in, uint64_t t, uint32_t tag)
{
	midi_ump u = *in;
	for (unsigned k = midi_ump_words(&u); k < 4; k++)
		u.w[k] = 0;
	ring_put(w->ring, w->pos, &u, t ? t : w->now, tag);
	w->pos++;
	if (!w->any) {
		w->any = 1;
		w->tag = tag;
	} else if (w->tag != tag) {
		w->tag = (w->tag == 0 || tag == 0) ? 0 : RING_ALL;
	}
	/* Bigger than half the ring: publish in chunks under the same lock
	 * (a SysEx stays whole), each paced like a whole batch. */
	uint64_t half = (w->ring->mask + 1) / 2;
	if (w->pos - w->published >= half) {
		ring_publish(w->ring, w->pos);
		w->published = w->pos;
		wake(w);
		if (w->in)
			in_room(w, half, NULL);
		else
			seg_flow_wait(w->seg, half, &w->flow_limit);
	}
}

MIDI_HOT
uint64_t rw_end(struct ring_writer *w)
{
	if (!w->locked)
		return 0;
	ring_publish(w->ring, w->pos);
	int any = w->any;
	uint32_t tag = w->tag;
	uint64_t pos = w->pos;
	__atomic_store_n(&w->locked, 0, __ATOMIC_RELEASE);
	wlock_give(&w->seg->hdr->wlock[w->in ? 1 : 0]);
	if (any) {
		if (w->in)
			seg_ring_host_bell(w->rt, w->seg);
		else
			seg_ring_bells(w->rt, w->seg, tag);
	}
	/* after the wake-ups: off the path of what was just sent */
	ring_ahead(w->ring, pos);
	return pos;
}

MIDI_HOT
int rw_write(struct ring_writer *w, const midi_packet *p, const uint32_t *tags, uint32_t tag,
	     size_t n, uint64_t t, midi_error *e)
{
	int r = rw_room(w, n, e);
	if (r < 0)
		return r;
	r = rw_begin(w, e);
	if (r < 0)
		return r;
	for (size_t k = 0; k < n; k++)
		rw_put(w, &p[k].ump, t, tags ? tags[k] : tag);
	rw_end(w);
	return 0;
}
