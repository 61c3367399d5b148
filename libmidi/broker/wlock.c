/* wlock.c: the writer lock of a ring, kept in the segment header (struct
 * seg_wlock). Free, it costs one compare-and-swap to take and one exchange
 * to give back, no system call; contended, waiters sleep on a futex. It
 * trusts nothing shared memory holds: a lock whose owner died (a writer
 * SIGKILLed mid-batch) or whose word is garbage is taken over once it has
 * not changed for WLOCK_STALE_NS and its owner is seen dead, and a lock
 * held longer than the caller's timeout gives -ETIMEDOUT. No assertion,
 * no undefined state (a pthread mutex in shared memory aborts inside glibc
 * when another process scribbles over it). */
#include "broker/broker.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WLOCK_STALE_NS 5000000ull  /* an unchanged owner this long is looked at */
#define WLOCK_SLEEP_NS 1000000L    /* one futex wait at most (then look again) */
#define WLOCK_PID_MAX (1u << 22)   /* the kernel's largest pid_max */

static uint32_t self_pid(void)
{
	return (uint32_t)(proc_key_self() & 0xffffffffu);
}

/* Whether the owner named by word w may still hold the lock. */
static int owner_alive(const struct seg_wlock *l, uint32_t w)
{
	uint32_t pid = w & ~WLOCK_WAITERS;
	if (pid == 0 || pid >= WLOCK_PID_MAX)
		return 0; /* garbage */
	uint64_t key = __atomic_load_n(&l->key, __ATOMIC_ACQUIRE);
	if ((uint32_t)(key & 0xffffffffu) == pid)
		return proc_key_alive(key);
	/* The key is not its (it died between taking the word and writing
	 * the key, or the key is garbage): the pid alone decides. */
	return proc_pid_alive((pid_t)pid);
}

static int taken(struct seg_wlock *l, uint32_t *expect, uint32_t me, int over)
{
	if (!__atomic_compare_exchange_n(&l->word, expect, me, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return -1;
	__atomic_store_n(&l->key, proc_key_self(), __ATOMIC_RELEASE);
	return over;
}

MIDI_HOT
int wlock_take(struct seg_wlock *l, int timeout_ms)
{
	uint32_t me = self_pid();
	uint32_t w = 0;
	if (taken(l, &w, me, 0) == 0)
		return 0;
	uint64_t start = broker_now_ns(), seen_since = start;
	uint32_t seen = w;
	for (;;) {
		w = __atomic_load_n(&l->word, __ATOMIC_ACQUIRE);
		uint64_t now = broker_now_ns();
		if (w == 0) {
			/* Woken, or free: whoever else sleeps is woken by our
			 * give (the waiters bit taken along). */
			int r = taken(l, &w, me | WLOCK_WAITERS, 0);
			if (r >= 0)
				return r;
			continue;
		}
		if (w != seen) {
			seen = w;
			seen_since = now;
		} else if (now - seen_since >= WLOCK_STALE_NS && !owner_alive(l, w)) {
			int r = taken(l, &w, me | WLOCK_WAITERS, 1);
			if (r >= 0)
				return r;
			continue;
		}
		if (timeout_ms >= 0 && now - start >= (uint64_t)timeout_ms * 1000000ull)
			return -ETIMEDOUT;
		if (!(w & WLOCK_WAITERS)) {
			uint32_t with = w | WLOCK_WAITERS;
			if (!__atomic_compare_exchange_n(&l->word, &w, with, 0, __ATOMIC_RELAXED,
							 __ATOMIC_RELAXED))
				continue;
			w = with;
		}
		struct timespec ts = {0, WLOCK_SLEEP_NS};
		syscall(SYS_futex, &l->word, FUTEX_WAIT, w, &ts, NULL, 0);
	}
}

MIDI_HOT
void wlock_give(struct seg_wlock *l)
{
	uint32_t old = __atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE);
	if (old & WLOCK_WAITERS)
		syscall(SYS_futex, &l->word, FUTEX_WAKE, 1, NULL, NULL, 0);
}
