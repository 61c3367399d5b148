/* ring.c: broadcast ring in shared memory: publish, wake, read with loss
 * accounting, spin and futex wait (see ring.h for the protocol). */
#include "broker/ring.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

MIDI_HOT
uint64_t broker_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void ring_init_shared(void *base, uint64_t slots)
{
	struct ring_shared *sh = base;
	memset(sh, 0, RING_HDR_BYTES);
	sh->slots = slots;
	/* Slots are zero (seq 0 = invalid) because the file was just created. */
}

void ring_attach_at(struct ring *r, struct ring_shared *hdr, void *slots, uint64_t nslots)
{
	r->sh = hdr;
	r->slot = slots;
	r->mask = nslots - 1;
	r->ahead = r->mapped = 0;
}

void ring_attach(struct ring *r, void *base, uint64_t slots)
{
	ring_attach_at(r, base, (char *)base + RING_HDR_BYTES, slots);
}

/* Map [a, end) writable in this process now. Advice only: an older
 * kernel, or a file cut short (EFAULT, never SIGBUS), just says no. */
static void populate(uintptr_t a, uintptr_t end)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	a &= ~(page - 1);
	if (end > a)
		madvise((void *)a, end - a, MADV_POPULATE_WRITE);
#else
	(void)a;
	(void)end;
#endif
}

void ring_populate(struct ring *r)
{
	populate((uintptr_t)r->sh, (uintptr_t)r->sh + ring_bytes(r->mask + 1));
	__atomic_store_n(&r->mapped, r->mask + 1, __ATOMIC_RELAXED);
}

void ring_ahead_map(struct ring *r, uint64_t pos)
{
	uint64_t size = r->mask + 1;
	uint64_t win = RING_AHEAD_BYTES / sizeof(struct ring_slot);
	if (win >= size / 2) {
		ring_populate(r); /* a small ring: all of it at once */
		return;
	}
	/* Go on from where the last window ended, unless the cursor is
	 * elsewhere (a first call, a reader that skipped, garbage). */
	uint64_t from = pos, ahead = __atomic_load_n(&r->ahead, __ATOMIC_RELAXED);
	if ((int64_t)(ahead - pos) > 0 && ahead - pos < win)
		from = ahead;
	uint64_t to = pos + win, i = from & r->mask, n = to - from;
	uintptr_t base = (uintptr_t)r->slot;
	if (i + n > size) { /* the window wraps round the end of the ring */
		populate(base, base + (uintptr_t)(i + n - size) * sizeof(struct ring_slot));
		n = size - i;
	}
	populate(base + (uintptr_t)i * sizeof(struct ring_slot),
		 base + (uintptr_t)(i + n) * sizeof(struct ring_slot));
	__atomic_store_n(&r->ahead, to, __ATOMIC_RELAXED);
	__atomic_add_fetch(&r->mapped, to - from, __ATOMIC_RELAXED);
}

static void futex_wake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

MIDI_HOT
void ring_publish(struct ring *r, uint64_t pos)
{
	__atomic_store_n(&r->sh->head, pos, __ATOMIC_SEQ_CST);
	/* Pairs with the sleeper's increment of sleepers and re-check of head. */
	if (__atomic_load_n(&r->sh->sleepers, __ATOMIC_SEQ_CST) != 0) {
		__atomic_add_fetch(&r->sh->futex, 1, __ATOMIC_SEQ_CST);
		futex_wake(&r->sh->futex);
	}
}

void ring_wake_all(struct ring *r)
{
	__atomic_add_fetch(&r->sh->futex, 1, __ATOMIC_SEQ_CST);
	futex_wake(&r->sh->futex);
}

/* Where a reader lapped at pos goes: the oldest slot that should still be
 * valid, plus a little margin so a reader racing a writer does not get
 * lapped again at once. */
static uint64_t skip_target(const struct ring *r, uint64_t pos)
{
	uint64_t size = r->mask + 1;
	uint64_t head = ring_head(r);
	uint64_t target = head - size + (size >> 6);
	if ((int64_t)(head - pos) < (int64_t)size || (int64_t)(target - pos) <= 0)
		target = pos + 1;
	return target;
}

/* A head further ahead of a reader than this is garbage, not traffic: a
 * trillion packets is days of a saturated ring. The reader resynchronises
 * at the head without counting them as lost. */
#define RING_JUMP_MAX (1ull << 40)

MIDI_HOT
int ring_any_for(const struct ring *r, uint64_t from, uint64_t to, uint32_t filter)
{
	if (filter == RING_ALL || from == to)
		return from != to;
	if ((int64_t)(to - from) < 0 || to - from > r->mask + 1)
		return 1;
	for (uint64_t p = from; p != to; p++) {
		const struct ring_slot *s = &r->slot[p & r->mask];
		if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != p + 1)
			return 1;
		uint32_t tag = __atomic_load_n(&s->tag, __ATOMIC_RELAXED);
		if (tag == 0 || tag == filter)
			return 1;
	}
	return 0;
}

MIDI_HOT
size_t ring_read(struct ring *r, struct ring_cursor *c, midi_packet *out, uint32_t *tags_out,
		 size_t max, uint32_t filter)
{
	uint64_t size = r->mask + 1;
	uint64_t head = ring_head(r);
	size_t n = 0;
	uint64_t budget = 4 * size + max; /* bounded even against a hostile writer */

	if ((int64_t)(head - c->pos) < 0 || head - c->pos > RING_JUMP_MAX)
		c->pos = head; /* head went backwards or leapt: only garbage does that */
	if (head - c->pos > size) {
		c->lost += head - size - c->pos;
		c->pos = head - size;
	}
	while (n < max && c->pos != head && budget-- > 0) {
		struct ring_slot *s = &r->slot[c->pos & r->mask];
		uint64_t s1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (s1 != c->pos + 1) {
lapped:;
			uint64_t to = skip_target(r, c->pos);
			if (to - c->pos > RING_JUMP_MAX) {
				c->pos = head = ring_head(r); /* garbage head: resynchronise */
				continue;
			}
			c->lost += to - c->pos;
			c->pos = to;
			head = ring_head(r);
			if ((int64_t)(head - c->pos) < 0 || head - c->pos > RING_JUMP_MAX)
				c->pos = head;
			continue;
		}
		midi_packet p;
		p.time_ns = __atomic_load_n(&s->time_ns, __ATOMIC_RELAXED);
		p.ump.w[0] = __atomic_load_n(&s->w[0], __ATOMIC_RELAXED);
		p.ump.w[1] = __atomic_load_n(&s->w[1], __ATOMIC_RELAXED);
		p.ump.w[2] = __atomic_load_n(&s->w[2], __ATOMIC_RELAXED);
		p.ump.w[3] = __atomic_load_n(&s->w[3], __ATOMIC_RELAXED);
		uint32_t tag = __atomic_load_n(&s->tag, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != s1)
			goto lapped;
		c->pos++;
		if (filter != RING_ALL && tag != 0 && tag != filter)
			continue;
		out[n] = p;
		if (tags_out)
			tags_out[n] = tag;
		n++;
	}
	ring_ahead(r, c->pos);
	return n;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

MIDI_HOT
int ring_spin(const struct ring *r, uint64_t pos, int64_t spin_ns)
{
	if (spin_ns <= 0)
		return ring_head(r) != pos;
	uint64_t end = broker_now_ns() + (uint64_t)spin_ns;
	for (unsigned i = 1;; i++) {
		if (ring_head(r) != pos)
			return 1;
		cpu_relax();
		if ((i & 63) == 0 && broker_now_ns() >= end)
			return ring_head(r) != pos;
	}
}

void ring_sleeper_release(struct ring *r)
{
	uint32_t v = __atomic_load_n(&r->sh->sleepers, __ATOMIC_RELAXED);
	while (v != 0 && !__atomic_compare_exchange_n(&r->sh->sleepers, &v, v - 1, 0,
						      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
}

void ring_wait(struct ring *r, uint64_t pos, uint32_t *flag, int64_t timeout_ns)
{
	if (timeout_ns <= 0)
		return;
	__atomic_add_fetch(&r->sh->sleepers, 1, __ATOMIC_SEQ_CST);
	if (flag)
		__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
	uint32_t f = __atomic_load_n(&r->sh->futex, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&r->sh->head, __ATOMIC_SEQ_CST) == pos) {
		struct timespec ts = {
			.tv_sec = timeout_ns / 1000000000,
			.tv_nsec = timeout_ns % 1000000000,
		};
		syscall(SYS_futex, &r->sh->futex, FUTEX_WAIT, f, &ts, NULL, 0);
	}
	if (flag)
		__atomic_store_n(flag, 0, __ATOMIC_SEQ_CST);
	ring_sleeper_release(r);
}
