/* ring.h: the broadcast ring in shared memory (private to the broker).
 *
 * One ring = a 256-byte shared header followed by a power-of-two array of
 * slots. Writers (serialised by the caller, see segment.c) fill slots with a
 * per-slot sequence (seq = 0 while writing, pos + 1 when valid) and publish
 * `head` once per batch. Readers keep a private cursor, never block the
 * writer, detect being lapped (while waiting or while copying a slot) and
 * count exactly how many messages they skipped. Wake-ups use a dedicated
 * futex counter, bumped only when `sleepers` says a reader sleeps.
 *
 * Everything in the shared header and slots is untrusted: indices are
 * masked with the reader's own mask, and a garbage head only makes a reader
 * resynchronise or count losses; it never makes it crash or wait forever. */
#ifndef MIDI_BROKER_RING_H
#define MIDI_BROKER_RING_H

#include <stddef.h>
#include <stdint.h>

#include "midi/ump.h"

/* The functions every message passes through (send, host, receive) are
 * placed together (.text.hot): after a pause the path is cold, and the
 * fewer code pages it spans, the fewer misses it pays. */
#define MIDI_HOT __attribute__((hot))

struct ring_slot {
	uint64_t seq;     /* 0 = being written, else position + 1 */
	uint64_t time_ns; /* CLOCK_MONOTONIC when written */
	uint32_t w[4];
	uint32_t tag;     /* 0 = for every reader, else a connection id */
	uint32_t pad;
};

struct ring_shared {
	uint64_t head;      /* next position to write; published per batch */
	uint64_t pad0[7];
	uint32_t futex;     /* wake-up counter (never a ring index) */
	uint32_t sleepers;  /* readers that are about to sleep or sleep */
	uint64_t pad1[7];
	uint64_t slots;     /* informational; readers use their own mask */
	uint64_t pad2[15];
};

#define RING_HDR_BYTES 256u
#define RING_ALL 0xFFFFFFFFu /* reader filter: accept every tag */

struct ring {
	struct ring_shared *sh;
	struct ring_slot *slot;
	uint64_t mask;   /* slots - 1, from the mapping (trusted) */
	/* this process's page tables (ring_ahead): slots up to `ahead` are
	 * mapped; `mapped` counts slots mapped so far (>= slots: all) */
	uint64_t ahead, mapped;
};

struct ring_cursor {
	uint64_t pos;
	uint64_t lost;
};

/* Bytes of a ring's slots, and of a ring with its header in front. */
static inline size_t ring_slot_bytes(uint64_t slots)
{
	return (size_t)slots * sizeof(struct ring_slot);
}

static inline size_t ring_bytes(uint64_t slots)
{
	return RING_HDR_BYTES + ring_slot_bytes(slots);
}

void ring_init_shared(void *base, uint64_t slots);
void ring_attach(struct ring *r, void *base, uint64_t slots);
/* The same with the header apart from the slots (a segment keeps its
 * rings' headers on its first page, next to the fields every message
 * touches there anyway: fewer pages for a message to touch). */
void ring_attach_at(struct ring *r, struct ring_shared *hdr, void *slots, uint64_t nslots);

/* Writer side; the caller holds the ring's writer lock. */
static inline uint64_t ring_wpos(const struct ring *r)
{
	return __atomic_load_n(&r->sh->head, __ATOMIC_RELAXED);
}
static inline void ring_put(struct ring *r, uint64_t pos, const midi_ump *u, uint64_t t,
			    uint32_t tag)
{
	struct ring_slot *s = &r->slot[pos & r->mask];
	__atomic_store_n(&s->seq, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->time_ns, t, __ATOMIC_RELAXED);
	__atomic_store_n(&s->w[0], u->w[0], __ATOMIC_RELAXED);
	__atomic_store_n(&s->w[1], u->w[1], __ATOMIC_RELAXED);
	__atomic_store_n(&s->w[2], u->w[2], __ATOMIC_RELAXED);
	__atomic_store_n(&s->w[3], u->w[3], __ATOMIC_RELAXED);
	__atomic_store_n(&s->tag, tag, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, pos + 1, __ATOMIC_RELEASE);
}
/* Map every page of the ring writable now, one system call instead of a
 * page fault a page as the writer comes to them (for bulk writers). */
void ring_populate(struct ring *r);
/* Keep the pages ahead of a cursor at pos mapped in this process, a
 * window of RING_AHEAD_BYTES at a time (one system call), so that a
 * sporadic message does not meet a page fault (~10 us in a VM) each time
 * it enters a page of the ring, which it does once per 102 slots. Called
 * by the writer after it published and rang, by the reader after it read;
 * costs a comparison until the window is half used. */
#define RING_AHEAD_BYTES (128u * 1024u)
void ring_ahead_map(struct ring *r, uint64_t pos);
/* 1 once every page of the ring has been mapped in this process (by
 * ring_populate or the windows of ring_ahead). Relaxed: threads of one
 * process may race on it, at worst mapping a window twice. */
static inline int ring_all_mapped(const struct ring *r)
{
	return __atomic_load_n(&r->mapped, __ATOMIC_RELAXED) > r->mask;
}
static inline void ring_ahead(struct ring *r, uint64_t pos)
{
	uint64_t ahead = __atomic_load_n(&r->ahead, __ATOMIC_RELAXED);
	if (__builtin_expect((int64_t)(ahead - pos) <
				     (int64_t)(RING_AHEAD_BYTES / sizeof(struct ring_slot) / 2) &&
			     !ring_all_mapped(r),
			     0))
		ring_ahead_map(r, pos);
}
/* Publish everything up to pos and wake sleepers if any. */
void ring_publish(struct ring *r, uint64_t pos);
/* Wake every sleeper (used when an endpoint closes). */
void ring_wake_all(struct ring *r);

/* Reader side. Copies up to max packets whose tag is 0 or equal to filter
 * (RING_ALL: every packet; tags_out, if not NULL, receives the tags). */
size_t ring_read(struct ring *r, struct ring_cursor *c, midi_packet *out, uint32_t *tags_out,
		 size_t max, uint32_t filter);
/* 1 if a reader with this filter has anything to do in [from, to): a
 * packet for it, or a slot it would count as lost (lapped, overwritten,
 * being written); 0 if every packet there is addressed to other readers.
 * Lets a waiter ignore traffic meant for others (ping echoes, replies). */
int ring_any_for(const struct ring *r, uint64_t from, uint64_t to, uint32_t filter);
static inline uint64_t ring_head(const struct ring *r)
{
	return __atomic_load_n(&r->sh->head, __ATOMIC_ACQUIRE);
}
/* Spin up to spin_ns while head == pos; returns 1 if head moved. */
int ring_spin(const struct ring *r, uint64_t pos, int64_t spin_ns);
/* Sleep while head == pos, at most timeout_ns. *flag (may be NULL) is set
 * to 1 while sleeping so a dead sleeper's count can be reclaimed. */
void ring_wait(struct ring *r, uint64_t pos, uint32_t *flag, int64_t timeout_ns);
/* Undo one sleeper count (never below zero). */
void ring_sleeper_release(struct ring *r);

uint64_t broker_now_ns(void);

#endif
