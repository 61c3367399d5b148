/* schedhost.c: the scheduler process of a runtime directory (see sched.h).
 * Started detached by sched_ensure holding sched.lock, so exactly one runs;
 * when it dies the kernel frees the lock and the next sender (or a
 * midi_flush waiting for it) starts another, which rebuilds its heap from
 * the shared pending table: nothing accepted is lost.
 *
 * Loop: take new entries from the input ring into the table (entry first,
 * then the cursor), pop every entry due by now from a min-heap ordered by
 * (due, arrival), write consecutive entries with the same target ring in
 * one batch under that ring's writer lock (so a SysEx, whose packets share
 * one due time and consecutive arrival numbers, leaves whole), then free
 * them. Entries whose endpoint is gone (segment closed or missing) are
 * dropped and counted. Waiting: timer slack 1 ns, futex sleep on the input
 * ring until SCHED_SPIN_NS before the next due time (a sender's publish
 * wakes it for a sooner entry), then spin (only with 2 or more CPUs). It
 * exits after SCHED_IDLE_NS with nothing pending and nothing arriving. */
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
	uint64_t cap;
	struct hitem *heap;
	size_t nheap;
	uint32_t *freelist;
	size_t nfree;
	struct hitem *due;   /* popped, being delivered */
	struct target tc[TARGET_CACHE];
	uint64_t tick;
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
 * when the endpoint is gone. */
static struct target *target_get(struct sched *s, uint64_t uid, uint32_t kind)
{
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
	const struct sched_ent *first = &s->m.tab[s->due[a].idx];
	struct target *t = target_get(s, first->uid, first->kind);
	if (!t)
		return 0;
	struct ring_writer *w = &t->w[first->kind];
	if (rw_room(w, b - a, NULL) < 0 || rw_begin(w, NULL) < 0)
		return 0;
	for (size_t k = a; k < b; k++) {
		const struct sched_ent *x = &s->m.tab[s->due[k].idx];
		midi_ump u;
		memcpy(u.w, x->w, sizeof u.w);
		rw_put(w, &u, 0, x->tag);
	}
	rw_end(w);
	return b - a;
}

static void free_entry(struct sched *s, uint32_t idx)
{
	__atomic_store_n(&s->m.tab[idx].state, 0, __ATOMIC_RELEASE);
	s->freelist[s->nfree++] = idx;
	__atomic_sub_fetch(&s->hdr->pending, 1, __ATOMIC_ACQ_REL);
}

static void deliver_due(struct sched *s, uint64_t now)
{
	size_t n = 0;
	while (s->nheap && s->heap[0].due <= now)
		s->due[n++] = heap_pop(s);
	size_t a = 0;
	while (a < n) {
		const struct sched_ent *x = &s->m.tab[s->due[a].idx];
		size_t b = a + 1;
		while (b < n && s->m.tab[s->due[b].idx].uid == x->uid &&
		       s->m.tab[s->due[b].idx].kind == x->kind)
			b++;
		size_t w = deliver_run(s, a, b);
		__atomic_add_fetch(&s->hdr->delivered, w, __ATOMIC_RELAXED);
		__atomic_add_fetch(&s->hdr->dropped, (b - a) - w, __ATOMIC_RELAXED);
		for (size_t k = a; k < b; k++)
			free_entry(s, s->due[k].idx);
		a = b;
	}
}

/* Move what senders published into the table. */
static void take_input(struct sched *s)
{
	uint64_t head = ring_head(&s->m.in);
	uint64_t cur = __atomic_load_n(&s->hdr->cursor, __ATOMIC_RELAXED);
	if (head - cur > s->cap) /* garbage head: never read unpublished slots */
		head = cur + s->cap;
	while (cur != head && s->nfree) {
		const struct sched_in *in = &s->m.slots[cur & s->m.mask];
		uint32_t idx = s->freelist[--s->nfree];
		struct sched_ent *x = &s->m.tab[idx];
		x->kind = in->kind == SCHED_TO_IN ? SCHED_TO_IN : SCHED_TO_OUT;
		x->seq = cur;
		x->due = in->due;
		x->uid = in->uid;
		x->tag = in->tag;
		memcpy(x->w, in->w, sizeof x->w);
		__atomic_add_fetch(&s->hdr->pending, 1, __ATOMIC_ACQ_REL);
		__atomic_store_n(&x->state, 1, __ATOMIC_RELEASE);
		cur++;
		__atomic_store_n(&s->hdr->cursor, cur, __ATOMIC_RELEASE);
		heap_push(s, (struct hitem){x->due, x->seq, idx});
	}
}

/* Rebuild the heap from the table a previous scheduler left. */
static void rebuild(struct sched *s)
{
	uint64_t cur = __atomic_load_n(&s->hdr->cursor, __ATOMIC_ACQUIRE);
	uint64_t pending = 0;
	s->nheap = s->nfree = 0;
	for (uint64_t i = s->cap; i-- > 0;) {
		struct sched_ent *x = &s->m.tab[i];
		if (__atomic_load_n(&x->state, __ATOMIC_ACQUIRE) != 1) {
			x->state = 0;
			s->freelist[s->nfree++] = (uint32_t)i;
			continue;
		}
		pending++;
		if (x->kind != SCHED_TO_IN)
			x->kind = SCHED_TO_OUT;
		/* Taken into the table, cursor not yet advanced: do not take it twice. */
		if ((int64_t)(x->seq + 1 - cur) > 0 && x->seq + 1 - cur <= s->cap)
			cur = x->seq + 1;
		heap_push(s, (struct hitem){x->due, x->seq, (uint32_t)i});
	}
	__atomic_store_n(&s->hdr->pending, pending, __ATOMIC_RELEASE);
	__atomic_store_n(&s->hdr->cursor, cur, __ATOMIC_RELEASE);
	/* A predecessor killed while asleep leaves its sleeper count. */
	if (__atomic_exchange_n(&s->hdr->sleeping, 0, __ATOMIC_ACQ_REL))
		ring_sleeper_release(&s->m.in);
}

/* Nothing to do for a while: let go of the lock, unless something arrived
 * meanwhile and nobody else took over. Returns 1 to exit. */
static int may_exit(struct sched *s, int lockfd)
{
	flock(lockfd, LOCK_UN);
	if (ring_head(&s->m.in) == __atomic_load_n(&s->hdr->cursor, __ATOMIC_ACQUIRE))
		return 1;
	return flock(lockfd, LOCK_EX | LOCK_NB) < 0;
}

static void run(struct sched *s, int lockfd)
{
	int spin_ok = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	uint64_t idle_since = broker_now_ns();
	for (;;) {
		take_input(s);
		uint64_t now = broker_now_ns();
		deliver_due(s, now);
		uint64_t cur = __atomic_load_n(&s->hdr->cursor, __ATOMIC_RELAXED);
		if (ring_head(&s->m.in) != cur && s->nfree)
			continue;
		if (s->nheap || ring_head(&s->m.in) != cur) {
			idle_since = now;
		} else if (now - idle_since >= SCHED_IDLE_NS) {
			if (may_exit(s, lockfd))
				return;
			idle_since = now;
			continue;
		}
		if (!s->nheap) {
			targets_clear(s); /* let go of removed endpoints' segments */
			ring_wait(&s->m.in, cur, &s->hdr->sleeping, SCHED_SLICE_NS);
			continue;
		}
		int64_t left = (int64_t)(s->heap[0].due - now);
		if (left <= 0)
			continue;
		if (spin_ok && left <= SCHED_SPIN_NS) {
			ring_spin(&s->m.in, cur, left);
			continue;
		}
		int64_t sleep = spin_ok ? left - SCHED_SPIN_NS : left;
		if (sleep > SCHED_SLICE_NS)
			sleep = SCHED_SLICE_NS;
		if (!s->nfree) {
			/* Table full (only garbage gets here): the ring cannot wake us. */
			struct timespec ts = {0, sleep};
			nanosleep(&ts, NULL);
			continue;
		}
		ring_wait(&s->m.in, cur, &s->hdr->sleeping, sleep);
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
	s.cap = s.m.mask + 1;
	s.heap = malloc(s.cap * sizeof *s.heap);
	s.due = malloc(s.cap * sizeof *s.due);
	s.freelist = malloc(s.cap * sizeof *s.freelist);
	if (!s.heap || !s.due || !s.freelist)
		_exit(1);
	__atomic_store_n(&s.hdr->pid, (uint32_t)getpid(), __ATOMIC_RELEASE);
	__atomic_add_fetch(&s.hdr->starts, 1, __ATOMIC_ACQ_REL);
	rebuild(&s);
	run(&s, lockfd);
	_exit(0);
}
