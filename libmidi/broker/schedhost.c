/* schedhost.c: the scheduler process of a runtime directory (see sched.h).
 * Started detached by sched_ensure holding sched.lock, so exactly one runs;
 * when it dies the kernel frees the lock and the next sender (or a
 * midi_flush or midi_recv waiting for it) starts another, which rebuilds
 * its heap from the shared pending table and the input ring: nothing
 * accepted is lost.
 *
 * Loop: take new entries from the input ring (each checked against its
 * position and check sum) into a private copy and the shared table (entry
 * first, then the slot marked taken, then the cursor), pop every entry due
 * by now from a min-heap ordered by (due, arrival), write consecutive
 * entries with the same target ring in one batch under that ring's writer
 * lock (so a SysEx, whose packets share one due time and consecutive
 * arrival numbers, leaves whole), then free them. Entries whose endpoint is
 * gone (segment closed or missing) are dropped and counted. A cancel entry
 * frees every pending entry of its owner as it is taken (between
 * deliveries) and leaves the count in the header's reply slot.
 *
 * The shared file is untrusted: what is sent comes from the private copy,
 * never from the table read back; the cursor, counters, layout and own
 * pid/key are private and written back over whatever is in the header on
 * every turn; an entry that fails its check sum, or names no target (uid
 * 0, bad kind) or a due time too far ahead, is dropped and counted as
 * garbage; a slot that does not check is looked at again under
 * sched.in.lock (a sender may still be writing it) and then skipped; a
 * head that is behind the cursor or too far ahead is repaired under
 * sched.in.lock, taking the valid slots senders wrote just below it (also
 * just below the own cursor, for a head moved back a little). A new
 * scheduler scans the whole ring for slots not yet taken. A garbage entry
 * can neither crash it nor keep it asleep; the counters senders use are
 * written back at least every SCHED_SLICE_NS, and at once when a sender
 * finding them impossible wakes it.
 *
 * Waiting: timer slack 1 ns, futex sleep on the input ring until
 * SCHED_SPIN_NS before the next due time (a sender's publish wakes it for a
 * sooner entry), then spin (only with 2 or more CPUs). It exits after
 * SCHED_IDLE_NS with nothing pending and nothing arriving. */
#include "broker/sched.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define SCHED_SPIN_NS 200000ll
#define SCHED_IDLE_NS 3000000000ull
#define SCHED_SLICE_NS 100000000ll
#define TARGET_CACHE 16
#define IN_LOCK_MS 20 /* sched.in.lock, to look at a suspicious slot or head */
#define START_LOCK_MS 2000

struct hitem {
	uint64_t due, seq;
	uint32_t idx;
};

struct target {
	uint64_t uid;
	uint64_t used;
	struct seg seg;
	struct ring_writer w[2]; /* out, in */
	int w_ok[2];
};

struct sched {
	struct rt *rt;
	struct sched_map m;
	struct sched_hdr *hdr;
	uint64_t cap, mask;
	struct sched_ent *ent; /* private copies of the table's entries */
	struct hitem *heap;
	size_t nheap;
	uint32_t *freelist;
	size_t nfree;
	struct hitem *due;   /* popped, being delivered; scratch while scanning */
	struct target tc[TARGET_CACHE];
	uint64_t tick;
	int inlockfd;        /* sched.in.lock */
	uint64_t cur;        /* own read position in the input ring */
	uint64_t wait_head;  /* input head the loop is done with (sleeps on it) */
	int full;            /* input left in the ring for want of table space */
	uint64_t key;
	uint64_t pending, delivered, dropped, garbage;
};

static int hless(const struct hitem *a, const struct hitem *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(struct sched *s, struct hitem it)
{
	size_t i = s->nheap++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!hless(&it, &s->heap[p]))
			break;
		s->heap[i] = s->heap[p];
		i = p;
	}
	s->heap[i] = it;
}

static struct hitem heap_pop(struct sched *s)
{
	struct hitem top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0, n = s->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && hless(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!hless(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (n)
		s->heap[i] = last;
	return top;
}

/* ---- targets ---- */

static void target_drop(struct target *t)
{
	for (int k = 0; k < 2; k++)
		if (t->w_ok[k])
			rw_fini(&t->w[k]);
	seg_unmap(&t->seg);
	memset(t, 0, sizeof *t);
}

static void targets_clear(struct sched *s)
{
	for (int k = 0; k < TARGET_CACHE; k++)
		if (s->tc[k].uid)
			target_drop(&s->tc[k]);
}

/* The mapped target segment uid with the lock of ring kind open, or NULL
 * when the endpoint is gone (or uid and kind name none). */
static struct target *target_get(struct sched *s, uint64_t uid, uint32_t kind)
{
	if (uid == 0 || kind > SCHED_TO_IN)
		return NULL; /* an empty cache entry has uid 0 */
	struct target *t = NULL, *lru = &s->tc[0];
	for (int k = 0; k < TARGET_CACHE; k++) {
		if (s->tc[k].uid == uid) {
			t = &s->tc[k];
			break;
		}
		if (s->tc[k].used < lru->used)
			lru = &s->tc[k];
	}
	if (!t) {
		if (lru->uid)
			target_drop(lru);
		t = lru;
		char name[SEG_NAME_MAX];
		int corrupt;
		seg_file_name(name, sizeof name, uid, "");
		if (seg_map(s->rt, name, uid, &t->seg, &corrupt, NULL) < 0)
			return NULL;
		t->uid = uid;
	}
	t->used = ++s->tick;
	if (seg_closed(&t->seg, NULL, 0) || (kind == SCHED_TO_IN && !t->seg.has_in)) {
		target_drop(t);
		return NULL;
	}
	if (!t->w_ok[kind]) {
		if (rw_init(&t->w[kind], s->rt, &t->seg, kind == SCHED_TO_IN, NULL) < 0) {
			target_drop(t);
			return NULL;
		}
		t->w_ok[kind] = 1;
	}
	return t;
}

/* Write entries due[a..b) (one target ring) in one locked batch. Returns
 * how many were written (0: the endpoint is gone, or its lock is stuck). */
static size_t deliver_run(struct sched *s, size_t a, size_t b)
{
	const struct sched_ent *first = &s->ent[s->due[a].idx];
	struct target *t = target_get(s, first->uid, first->kind);
	if (!t)
		return 0;
	struct ring_writer *w = &t->w[first->kind];
	if (rw_room(w, b - a, NULL) < 0 || rw_begin(w, NULL) < 0)
		return 0;
	for (size_t k = a; k < b; k++) {
		const struct sched_ent *x = &s->ent[s->due[k].idx];
		midi_ump u;
		memcpy(u.w, x->w, sizeof u.w);
		rw_put(w, &u, 0, x->tag);
	}
	rw_end(w);
	return b - a;
}

static void free_entry(struct sched *s, uint32_t idx)
{
	struct sched_ent *x = &s->m.tab[idx];
	/* Inverted check sum: garbage setting state to 1 again cannot bring
	 * it back for a successor. */
	__atomic_store_n(&x->check, ~s->ent[idx].check, __ATOMIC_RELAXED);
	__atomic_store_n(&x->state, 0, __ATOMIC_RELEASE);
	s->freelist[s->nfree++] = idx;
	s->pending--;
	__atomic_store_n(&s->hdr->done, s->cur - s->pending, __ATOMIC_RELEASE);
	__atomic_store_n(&s->hdr->pending, s->pending, __ATOMIC_RELEASE);
}

/* The own cursor into the header, with done = cursor - pending. */
static void store_cursor(struct sched *s)
{
	__atomic_store_n(&s->hdr->done, s->cur - s->pending, __ATOMIC_RELEASE);
	__atomic_store_n(&s->hdr->cursor, s->cur, __ATOMIC_RELEASE);
}

static void deliver_due(struct sched *s, uint64_t now)
{
	size_t n = 0;
	while (s->nheap && s->heap[0].due <= now)
		s->due[n++] = heap_pop(s);
	size_t a = 0;
	while (a < n) {
		const struct sched_ent *x = &s->ent[s->due[a].idx];
		size_t b = a + 1;
		while (b < n && s->ent[s->due[b].idx].uid == x->uid &&
		       s->ent[s->due[b].idx].kind == x->kind)
			b++;
		size_t w = deliver_run(s, a, b);
		s->delivered += w;
		s->dropped += (b - a) - w;
		/* Counted before the entries are freed (pending 0 = all counted). */
		SCHED_PUT(s->hdr->delivered, s->delivered);
		SCHED_PUT(s->hdr->dropped, s->dropped);
		for (size_t k = a; k < b; k++)
			free_entry(s, s->due[k].idx);
		a = b;
	}
}

/* ---- taking entries ---- */

/* Copy shared memory word by word (it may change under us; what is
 * checked is this copy). */
static void copy_shared(void *dst, const void *src, size_t n)
{
	uint64_t w[8];
	const uint64_t *p = src;
	for (size_t k = 0; k < n / 8 && k < 8; k++)
		w[k] = __atomic_load_n(&p[k], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	memcpy(dst, w, n);
}

enum { SLOT_BAD, SLOT_NEW, SLOT_TAKEN };

/* Input slot i: a copy in *x, its position in *pos, and whether it holds
 * an entry not yet taken, one taken already, or garbage. */
static int slot_read(const struct sched *s, uint64_t i, struct sched_in *x, uint64_t *pos)
{
	copy_shared(x, &s->m.slots[i & s->mask], sizeof *x);
	if (x->seq == 0 || ((x->seq - 1) & s->mask) != (i & s->mask))
		return SLOT_BAD;
	*pos = x->seq - 1;
	uint32_t sum = sched_check(*pos, x->due, x->uid, x->owner, x->tag, x->kind, x->w);
	return x->check == sum ? SLOT_NEW : x->check == ~sum ? SLOT_TAKEN : SLOT_BAD;
}

/* Fields no sender writes: dropped as garbage. */
static int fields_ok(const struct sched_ent *x, uint64_t now)
{
	return x->uid != 0 && x->kind <= SCHED_TO_IN && x->due <= now + SCHED_DUE_MAX_NS;
}

static void mark_taken(struct sched *s, const struct sched_in *x, uint64_t pos)
{
	struct sched_in *slot = &s->m.slots[pos & s->mask];
	if (__atomic_load_n(&slot->seq, __ATOMIC_RELAXED) == pos + 1)
		__atomic_store_n(&slot->check, ~x->check, __ATOMIC_RELEASE);
}

/* A cancel at ring position pos: free every pending entry of owner (they
 * all arrived before it), then say how many in the reply slot. */
static void cancel_owner(struct sched *s, uint64_t owner, uint64_t pos)
{
	uint64_t n = 0;
	size_t kept = 0;
	for (size_t k = 0; k < s->nheap; k++) {
		struct hitem it = s->heap[k];
		if (owner && s->ent[it.idx].owner == owner) {
			free_entry(s, it.idx);
			n++;
		} else {
			s->heap[kept++] = it; /* in place (s->due may be in use) */
		}
	}
	if (n) { /* a heap again: push each kept item, in place */
		s->nheap = 0;
		for (size_t k = 0; k < kept; k++)
			heap_push(s, s->heap[k]);
	}
	unsigned k = (unsigned)(pos % SCHED_REPLIES);
	__atomic_store_n(&s->hdr->cancel_pos[k], 0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->hdr->cancel_n[k], n, __ATOMIC_RELEASE);
	__atomic_store_n(&s->hdr->cancel_pos[k], pos + 1, __ATOMIC_RELEASE);
}

/* Take the checked slot copy *x of position pos: private copy, table
 * entry, heap; then mark the slot taken. 0 if the table is full. */
static int take(struct sched *s, const struct sched_in *x, uint64_t pos, uint64_t now)
{
	if (x->kind == SCHED_CANCEL) {
		cancel_owner(s, x->owner, pos);
		mark_taken(s, x, pos);
		return 1;
	}
	struct sched_ent en = {
		.state = 1, .kind = x->kind, .seq = pos, .due = x->due, .uid = x->uid,
		.owner = x->owner, .tag = x->tag, .check = x->check,
	};
	memcpy(en.w, x->w, sizeof en.w);
	if (!fields_ok(&en, now)) {
		s->garbage++;
		mark_taken(s, x, pos);
		return 1;
	}
	if (!s->nfree)
		return 0;
	uint32_t idx = s->freelist[--s->nfree];
	s->ent[idx] = en;
	struct sched_ent *t = &s->m.tab[idx];
	__atomic_store_n(&t->state, 0, __ATOMIC_RELAXED);
	struct sched_ent shared = en;
	shared.state = 0;
	memcpy(t, &shared, sizeof shared);
	__atomic_store_n(&t->state, 1, __ATOMIC_RELEASE);
	s->pending++;
	__atomic_store_n(&s->hdr->pending, s->pending, __ATOMIC_RELEASE);
	mark_taken(s, x, pos);
	heap_push(s, (struct hitem){en.due, en.seq, idx});
	return 1;
}

static int item_seq_cmp(const void *a, const void *b)
{
	const struct hitem *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int same_entry(const struct sched_ent *a, const struct sched_in *x, uint64_t pos)
{
	return a->seq == pos && a->due == x->due && a->uid == x->uid && a->owner == x->owner &&
	       a->tag == x->tag &&
	       a->kind == x->kind && memcmp(a->w, x->w, sizeof a->w) == 0;
}

/* Under sched.in.lock (if it could be had), for a new scheduler: take
 * every slot of the ring that holds an entry not yet taken, in position
 * order, wherever senders wrote it, skipping what is in the table already
 * (a predecessor killed between its table entry and marking the slot).
 * Then cursor = head = just past the newest valid slot, or the
 * predecessor's cursor or the head if further and plausible. */
static void scan_ring(struct sched *s, uint64_t now)
{
	/* Pending entries by arrival, to find ones taken but not marked. */
	struct hitem *byseq = s->due;
	size_t nb = s->nheap;
	memcpy(byseq, s->heap, nb * sizeof *byseq);
	qsort(byseq, nb, sizeof *byseq, item_seq_cmp);
	struct hitem *cand = malloc(s->cap * sizeof *cand);
	size_t nc = 0;
	uint64_t maxpos = 0;
	int have = 0;
	for (uint64_t i = 0; i < s->cap; i++) {
		struct sched_in x;
		uint64_t pos;
		int st = slot_read(s, i, &x, &pos);
		if (st == SLOT_BAD)
			continue;
		if (!have || (int64_t)(pos - maxpos) > 0)
			maxpos = pos;
		have = 1;
		if (st != SLOT_NEW)
			continue;
		size_t lo = 0, hi = nb;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (byseq[mid].seq < pos)
				lo = mid + 1;
			else
				hi = mid;
		}
		int dup = 0;
		for (size_t k = lo; k < nb && byseq[k].seq == pos && !dup; k++)
			dup = same_entry(&s->ent[byseq[k].idx], &x, pos);
		if (dup)
			mark_taken(s, &x, pos);
		else if (cand)
			cand[nc++] = (struct hitem){0, pos, (uint32_t)i};
		else if (!take(s, &x, pos, now))
			s->garbage++;
	}
	if (cand) {
		qsort(cand, nc, sizeof *cand, item_seq_cmp);
		for (size_t k = 0; k < nc; k++) {
			struct sched_in x;
			uint64_t pos;
			if (slot_read(s, cand[k].idx, &x, &pos) != SLOT_NEW || pos != cand[k].seq)
				s->garbage++;
			else if (!take(s, &x, pos, now))
				s->garbage++; /* more than fits (only garbage counters let them in) */
		}
		free(cand);
	}
	uint64_t head = ring_head(&s->m.in), cur = head;
	if (have) {
		cur = maxpos + 1;
		if ((int64_t)(s->cur - cur) > 0 && s->cur - cur <= s->cap)
			cur = s->cur;
		if ((int64_t)(head - cur) > 0 && head - cur <= s->cap)
			cur = head; /* the slots between are empty */
	}
	s->cur = cur;
	store_cursor(s);
	if (ring_head(&s->m.in) != cur)
		ring_publish(&s->m.in, cur);
	s->wait_head = cur;
}

/* Take the run of entries not yet taken that ends just below position
 * end (a sender that read a garbage head wrote its entries from there). */
static void take_run_below(struct sched *s, uint64_t end, uint64_t now)
{
	uint64_t n = 0;
	while (n < s->cap) {
		struct sched_in x;
		uint64_t pos;
		if (slot_read(s, end - n - 1, &x, &pos) != SLOT_NEW || pos != end - n - 1)
			break;
		n++;
	}
	for (uint64_t p = end - n; p != end; p++) {
		struct sched_in x;
		uint64_t pos;
		if (slot_read(s, p, &x, &pos) != SLOT_NEW || pos != p)
			s->garbage++;
		else if (!take(s, &x, pos, now))
			s->garbage++; /* more than fits (only garbage counters let them in) */
	}
}

/* Under sched.in.lock, the head being behind the cursor or too far ahead
 * (garbage): senders that read the garbage head wrote their entries just
 * below the head they published; take that run of entries not yet taken,
 * then go on from the head, or from the own cursor if the head is behind. */
static void repair_locked(struct sched *s, uint64_t now)
{
	uint64_t head = ring_head(&s->m.in);
	take_run_below(s, head, now);
	if ((int64_t)(head - s->cur) > 0)
		s->cur = head;
	store_cursor(s);
	if (ring_head(&s->m.in) != s->cur)
		ring_publish(&s->m.in, s->cur);
	s->wait_head = s->cur;
}

/* sched.in.lock, waiting at most ms; without a descriptor of it there is
 * nothing to wait for. */
static int in_lock(struct sched *s, int ms)
{
	return s->inlockfd < 0 ? 0 : lock_fd(s->inlockfd, ms);
}

static void in_unlock(struct sched *s)
{
	if (s->inlockfd >= 0)
		unlock_fd(s->inlockfd);
}

/* The head is behind the cursor or too far ahead: garbage. */
static void repair_head(struct sched *s, uint64_t now)
{
	if (in_lock(s, IN_LOCK_MS) != 0) {
		s->wait_head = ring_head(&s->m.in); /* again when it changes, or later */
		return;
	}
	uint64_t head = ring_head(&s->m.in);
	if (head - s->cur <= s->cap)
		s->wait_head = s->cur; /* good again: read it normally */
	else
		repair_locked(s, now);
	in_unlock(s);
}

/* Move what senders published into the table. */
static void take_input(struct sched *s, uint64_t now)
{
	uint64_t head = ring_head(&s->m.in);
	s->full = 0;
	s->wait_head = head;
	if (head == s->cur)
		return;
	if (head - s->cur > s->cap) {
		repair_head(s, now);
		return;
	}
	/* A head moved back a little by garbage (still ahead of the cursor
	 * once a sender published) had that sender start below the cursor;
	 * normally the slot below the cursor is marked taken. */
	take_run_below(s, s->cur, now);
	int locked = 0;
	while (s->cur != head) {
		struct sched_in x;
		uint64_t pos;
		int st = slot_read(s, s->cur, &x, &pos);
		if (st == SLOT_NEW && pos == s->cur) {
			if (!take(s, &x, pos, now)) {
				s->full = 1;
				break;
			}
			/* Map its endpoint now, not when it is due: the first
			 * write to an endpoint would be late by that much. */
			target_get(s, x.uid, x.kind);
		} else if (!locked) {
			/* Not what a sender writes: garbage, or a sender still
			 * writing below a garbage head. Look again with the
			 * writers' lock. */
			if (in_lock(s, IN_LOCK_MS) != 0)
				break;
			locked = 1;
			head = ring_head(&s->m.in);
			if (head - s->cur > s->cap) {
				repair_locked(s, now);
				in_unlock(s);
				return;
			}
			continue;
		} else {
			s->garbage++;
		}
		s->cur++;
		store_cursor(s);
	}
	s->wait_head = head;
	if (locked)
		in_unlock(s);
}

/* Load what a previous scheduler left: the table's valid entries (one of
 * each), then whatever the ring holds that was not taken. */
static void rebuild(struct sched *s, uint64_t now)
{
	s->nheap = s->nfree = 0;
	s->pending = 0;
	for (uint64_t i = s->cap; i-- > 0;) {
		struct sched_ent *t = &s->m.tab[i];
		struct sched_ent x;
		copy_shared(&x, t, sizeof x);
		if (x.state == 1 &&
		    x.check == sched_check(x.seq, x.due, x.uid, x.owner, x.tag, x.kind, x.w) &&
		    fields_ok(&x, now)) {
			s->ent[i] = x;
			heap_push(s, (struct hitem){x.due, x.seq, (uint32_t)i});
			s->pending++;
			continue;
		}
		if (x.state == 1)
			s->garbage++;
		if (x.state != 0)
			__atomic_store_n(&t->state, 0, __ATOMIC_RELEASE);
		s->freelist[s->nfree++] = (uint32_t)i;
	}
	/* Garbage may have copied a valid entry over another: keep one. */
	memcpy(s->due, s->heap, s->nheap * sizeof *s->due);
	qsort(s->due, s->nheap, sizeof *s->due, item_seq_cmp);
	size_t n = s->nheap, kept = 0;
	for (size_t k = 0; k < n; k++) {
		const struct sched_ent *x = &s->ent[s->due[k].idx];
		int dup = 0;
		for (size_t j = k; j-- > 0 && s->due[j].seq == x->seq && !dup;) {
			const struct sched_ent *y = &s->ent[s->due[j].idx];
			dup = y->state == 1 && y->due == x->due && y->uid == x->uid &&
			      y->owner == x->owner &&
			      y->tag == x->tag && y->kind == x->kind &&
			      memcmp(y->w, x->w, sizeof x->w) == 0;
		}
		if (dup) {
			s->ent[s->due[k].idx].state = 0;
			__atomic_store_n(&s->m.tab[s->due[k].idx].state, 0, __ATOMIC_RELEASE);
			s->freelist[s->nfree++] = s->due[k].idx;
			s->pending--;
		} else {
			s->heap[kept++] = s->due[k];
		}
	}
	/* Sorted by arrival; the heap wants (due, arrival): push again. */
	memcpy(s->due, s->heap, kept * sizeof *s->due);
	s->nheap = 0;
	for (size_t k = 0; k < kept; k++)
		heap_push(s, s->due[k]);
	__atomic_store_n(&s->hdr->pending, s->pending, __ATOMIC_RELEASE);
	/* A predecessor killed while asleep leaves its sleeper count. */
	if (__atomic_exchange_n(&s->hdr->sleeping, 0, __ATOMIC_ACQ_REL))
		ring_sleeper_release(&s->m.in);
	s->cur = __atomic_load_n(&s->hdr->cursor, __ATOMIC_ACQUIRE);
	int locked = in_lock(s, START_LOCK_MS) == 0;
	scan_ring(s, now);
	if (locked)
		in_unlock(s);
}

/* Write this scheduler's own values over whatever is in the header. */
static void restore_hdr(struct sched *s)
{
	struct sched_hdr *h = s->hdr;
	sched_hdr_fix(h, s->cap);
	SCHED_PUT(h->done, s->cur - s->pending);
	SCHED_PUT(h->cursor, s->cur);
	SCHED_PUT(h->pending, s->pending);
	SCHED_PUT(h->delivered, s->delivered);
	SCHED_PUT(h->dropped, s->dropped);
	SCHED_PUT(h->garbage, s->garbage);
	SCHED_PUT(h->pid, (uint32_t)(s->key & 0xffffffffu));
	SCHED_PUT(h->key, s->key);
}

/* Nothing to do for a while: let go of the lock, unless something arrived
 * meanwhile and nobody else took over. Returns 1 to exit. */
static int may_exit(struct sched *s, int lockfd)
{
	__atomic_store_n(&s->hdr->key, 0, __ATOMIC_RELEASE);
	flock(lockfd, LOCK_UN);
	if (ring_head(&s->m.in) == s->cur)
		return 1;
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0)
		return 1;
	__atomic_store_n(&s->hdr->key, s->key, __ATOMIC_RELEASE);
	return 0;
}

static void run(struct sched *s, int lockfd)
{
	int spin_ok = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	uint64_t idle_since = broker_now_ns();
	for (;;) {
		take_input(s, broker_now_ns());
		uint64_t now = broker_now_ns();
		deliver_due(s, now);
		/* what senders' "now" messages wait for (sched_written) */
		__atomic_store_n(&s->hdr->written_through, now, __ATOMIC_RELEASE);
		__atomic_store_n(&s->hdr->written_pos, s->cur, __ATOMIC_RELEASE);
		restore_hdr(s);
		uint64_t head = ring_head(&s->m.in);
		if (head != s->wait_head || (s->full && s->nfree))
			continue;
		if (s->nheap || head != s->cur) {
			idle_since = now;
		} else if (now - idle_since >= SCHED_IDLE_NS) {
			if (may_exit(s, lockfd))
				return;
			idle_since = now;
			continue;
		}
		if (!s->nheap) {
			targets_clear(s); /* let go of removed endpoints' segments */
			ring_wait(&s->m.in, head, &s->hdr->sleeping, SCHED_SLICE_NS);
			continue;
		}
		int64_t left = (int64_t)(s->heap[0].due - now);
		if (left <= 0)
			continue;
		if (spin_ok && left <= SCHED_SPIN_NS) {
			ring_spin(&s->m.in, head, left);
			continue;
		}
		int64_t sleep = spin_ok ? left - SCHED_SPIN_NS : left;
		if (sleep > SCHED_SLICE_NS)
			sleep = SCHED_SLICE_NS;
		ring_wait(&s->m.in, head, &s->hdr->sleeping, sleep);
	}
}

void sched_host_main(void *arg, int lockfd)
{
	(void)arg;
	prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
	struct sched s;
	memset(&s, 0, sizeof s);
	s.rt = rt_get(NULL);
	if (!s.rt || sched_map(s.rt, &s.m, NULL) < 0)
		_exit(1);
	s.hdr = s.m.hdr;
	s.mask = s.m.mask;
	s.cap = s.mask + 1;
	s.key = proc_key_self();
	/* On time on a busy machine too: the same real-time request as the
	 * hosts of devices (rtprio.c); its waits are sleeps but for at most
	 * SCHED_SPIN_NS before a due time. */
	broker_realtime();
	__atomic_store_n(&s.hdr->pid, (uint32_t)(s.key & 0xffffffffu), __ATOMIC_RELEASE);
	__atomic_store_n(&s.hdr->key, s.key, __ATOMIC_RELEASE);
	__atomic_add_fetch(&s.hdr->starts, 1, __ATOMIC_ACQ_REL);
	s.ent = malloc(s.cap * sizeof *s.ent);
	s.heap = malloc(s.cap * sizeof *s.heap);
	s.due = malloc(s.cap * sizeof *s.due);
	s.freelist = malloc(s.cap * sizeof *s.freelist);
	if (!s.ent || !s.heap || !s.due || !s.freelist)
		_exit(1);
	s.inlockfd = rt_open(s.rt, SCHED_IN_LOCK, O_RDWR | O_CREAT, NULL);
	/* Counters go on from the predecessor's (informational). */
	s.delivered = __atomic_load_n(&s.hdr->delivered, __ATOMIC_ACQUIRE);
	s.dropped = __atomic_load_n(&s.hdr->dropped, __ATOMIC_ACQUIRE);
	s.garbage = __atomic_load_n(&s.hdr->garbage, __ATOMIC_ACQUIRE);
	rebuild(&s, broker_now_ns());
	run(&s, lockfd);
	_exit(0);
}
