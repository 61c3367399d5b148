/* sched.c: the sending side of scheduled sends (see sched.h): the shared
 * `sched` segment (create, validate, map, repair a garbage header in
 * place), appending check-summed entries to its input ring under
 * sched.in.lock with the capacity check, waiting until the scheduler took
 * them (midi_flush), starting a scheduler on demand (sched.lock; double
 * fork as in host.c), and what waiting receivers use to notice a killed
 * scheduler (sched_watch, sched_pidfd). */
#include "broker/sched.h"
#include "broker/shmguard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCHED_LOCK_MS 2000
#define SCHED_CHECK_NS 100000000ull
#define SCHED_READY_NS 50000000ull /* announced this long: up, even if never seen asleep */
#define SCHED_HEAL_NS 200000000ull

_Static_assert(sizeof(struct sched_hdr) <= SCHED_HDR_BYTES, "scheduler header too big");
_Static_assert(sizeof(struct sched_in) == 64, "sched_in size");
_Static_assert(sizeof(struct sched_ent) == 64, "sched_ent size");

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

uint32_t sched_sum(uint64_t pos, uint64_t due, uint64_t uid, uint32_t tag, uint32_t kind,
		   const uint32_t w[4])
{
	uint64_t h = 0x5343484544554c45ull; /* "SCHEDULE" */
	h = mix(h, pos);
	h = mix(h, due);
	h = mix(h, uid);
	h = mix(h, (uint64_t)tag << 32 | kind);
	h = mix(h, (uint64_t)w[0] << 32 | w[1]);
	h = mix(h, (uint64_t)w[2] << 32 | w[3]);
	h = mix(h, h >> 17);
	return (uint32_t)(h ^ (h >> 32));
}

uint32_t sched_check(uint64_t pos, uint64_t due, uint64_t uid, uint64_t owner, uint32_t tag,
		     uint32_t kind, const uint32_t w[4])
{
	uint32_t sum = sched_sum(pos, due, uid, tag, kind, w);
	if (!owner)
		return sum;
	uint64_t h = mix(0x4f574e4552494421ull, owner); /* "OWNERID!" */
	return sum ^ (uint32_t)(h ^ (h >> 32));
}

static uint64_t cap_setting(void)
{
	const char *s = getenv("MIDI_SCHED_SLOTS");
	if (!s || !*s)
		return SCHED_CAP_DEFAULT;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v < 64 || v > (1ull << 20) || (v & (v - 1)))
		return SCHED_CAP_DEFAULT;
	return v;
}

void sched_layout(uint64_t cap, uint64_t *in_off, uint64_t *tab_off, uint64_t *total)
{
	*in_off = SCHED_HDR_BYTES;
	*tab_off = *in_off + RING_HDR_BYTES + cap * sizeof(struct sched_in);
	*total = (*tab_off + cap * sizeof(struct sched_ent) + 4095) & ~4095ull;
}

/* The capacity whose layout has this file size, or 0. */
static uint64_t cap_of_size(size_t size)
{
	for (uint64_t cap = 64; cap <= (1ull << 20); cap <<= 1) {
		uint64_t in_off, tab_off, total;
		sched_layout(cap, &in_off, &tab_off, &total);
		if (total == size)
			return cap;
	}
	return 0;
}

/* Checks a mapped header against the file size; NULL if good. */
static const char *check_hdr(const struct sched_hdr *h, size_t size)
{
	uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	uint64_t cap = __atomic_load_n(&h->cap, __ATOMIC_RELAXED), in_off, tab_off, total;
	if (magic != SCHED_MAGIC || __atomic_load_n(&h->version, __ATOMIC_RELAXED) != SCHED_VERSION ||
	    __atomic_load_n(&h->hdr_bytes, __ATOMIC_RELAXED) != SCHED_HDR_BYTES)
		return "bad header";
	if (cap < 64 || cap > (1ull << 20) || (cap & (cap - 1)))
		return "bad capacity";
	sched_layout(cap, &in_off, &tab_off, &total);
	if (__atomic_load_n(&h->in_off, __ATOMIC_RELAXED) != in_off ||
	    __atomic_load_n(&h->tab_off, __ATOMIC_RELAXED) != tab_off ||
	    __atomic_load_n(&h->total, __ATOMIC_RELAXED) != total || total != size)
		return "bad layout";
	return NULL;
}

/* guard: register the mapping with shmguard (senders; the scheduler
 * itself is better off dying of a truncated file: it is replaced). */
static int map_fd(int fd, struct sched_map *m, int guard, const char **bad, midi_error *e)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return midi_error_sys(e, errno, "scheduler segment");
	size_t size = (size_t)st.st_size;
	*bad = "empty";
	if (size < SCHED_HDR_BYTES)
		return 1;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return midi_error_sys(e, errno, "cannot map the scheduler segment");
	if (guard)
		shmguard_add(p, size);
	struct sched_hdr *h = p;
	*bad = check_hdr(h, size);
	if (*bad) {
		shmguard_remove(p);
		munmap(p, size);
		return 1;
	}
	/* Everything below comes from the checked size, not from the header
	 * (which another process may change at any time). */
	uint64_t cap = cap_of_size(size), in_off, tab_off, total;
	sched_layout(cap, &in_off, &tab_off, &total);
	m->base = p;
	m->size = size;
	m->hdr = h;
	m->mask = cap - 1;
	ring_attach(&m->in, (char *)p + in_off, cap);
	m->slots = (struct sched_in *)((char *)p + in_off + RING_HDR_BYTES);
	m->tab = (struct sched_ent *)((char *)p + tab_off);
	return 0;
}

void sched_hdr_fix(struct sched_hdr *h, uint64_t cap)
{
	uint64_t in_off, tab_off, total;
	sched_layout(cap, &in_off, &tab_off, &total);
	SCHED_PUT(h->version, SCHED_VERSION);
	SCHED_PUT(h->hdr_bytes, SCHED_HDR_BYTES);
	SCHED_PUT(h->cap, cap);
	SCHED_PUT(h->total, total);
	SCHED_PUT(h->in_off, in_off);
	SCHED_PUT(h->tab_off, tab_off);
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != SCHED_MAGIC)
		__atomic_store_n(&h->magic, SCHED_MAGIC, __ATOMIC_RELEASE);
}

/* Under sched.in.lock: make fd a good segment. A file whose size fits a
 * layout keeps its contents (a running scheduler and its clients have it
 * mapped; the scheduler validates every entry and repairs the rest); only
 * its header fields are written again. Otherwise a fresh segment, made
 * aside and renamed over the old one: a scheduler still running on the old
 * file (emptied under it) sees the name point to another file and steps
 * down, rather than mistaking the new one for a garbled version of its
 * own. Returns 0, 2 when the file was replaced (open it again), or an
 * error. */
static int create_locked(struct rt *rt, int fd, midi_error *e)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return midi_error_sys(e, errno, "%s/%s", rt->path, SCHED_FILE);
	uint64_t cap = cap_of_size((size_t)st.st_size), in_off, tab_off, total;
	int fresh = cap == 0, newfd = -1;
	if (fresh) {
		cap = cap_setting();
		unlinkat(rt->dirfd, SCHED_FILE ".new", 0);
		newfd = rt_open(rt, SCHED_FILE ".new", O_RDWR | O_CREAT | O_EXCL, e);
		if (newfd < 0)
			return newfd;
		fd = newfd;
	}
	sched_layout(cap, &in_off, &tab_off, &total);
	if (fresh && ftruncate(fd, (off_t)total) < 0) {
		int err = errno;
		close(newfd);
		unlinkat(rt->dirfd, SCHED_FILE ".new", 0);
		return midi_error_sys(e, err, "cannot size %s/%s", rt->path, SCHED_FILE);
	}
	/* Every block now: a full disk is an error here, not a SIGBUS later
	 * (left empty, so the next user tries again). */
	int err = shm_reserve(fd, (off_t)total);
	void *p = err ? MAP_FAILED : mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!err && p == MAP_FAILED)
		err = errno;
	if (err) {
		if (fresh) {
			close(newfd);
			unlinkat(rt->dirfd, SCHED_FILE ".new", 0);
		}
		return midi_error_sys(e, err, "cannot reserve %llu bytes for %s/%s",
				      (unsigned long long)total, rt->path, SCHED_FILE);
	}
	if (fresh)
		ring_init_shared((char *)p + in_off, cap);
	sched_hdr_fix(p, cap);
	munmap(p, total);
	if (!fresh)
		return 0;
	close(newfd);
	if (renameat(rt->dirfd, SCHED_FILE ".new", rt->dirfd, SCHED_FILE) < 0) {
		err = errno;
		unlinkat(rt->dirfd, SCHED_FILE ".new", 0);
		return midi_error_sys(e, err, "cannot put %s/%s in place", rt->path, SCHED_FILE);
	}
	return 2;
}

static int sched_map_as(struct rt *rt, struct sched_map *m, int guard, midi_error *e)
{
	memset(m, 0, sizeof *m);
	int fd = rt_open(rt, SCHED_FILE, O_RDWR | O_CREAT, e);
	if (fd < 0)
		return fd;
	const char *bad;
	int r = map_fd(fd, m, guard, &bad, e);
	if (r == 1) {
		/* New or garbage: (re)build it under the writers' lock. */
		int lfd = rt_open(rt, SCHED_IN_LOCK, O_RDWR | O_CREAT, e);
		if (lfd < 0) {
			close(fd);
			return lfd;
		}
		r = lock_fd(lfd, 5000);
		if (r != 0) {
			close(lfd);
			close(fd);
			return r < 0 ? midi_error_sys(e, -r, "cannot lock %s/%s", rt->path,
						      SCHED_IN_LOCK)
				     : midi_error_set(e, MIDI_ERR_TIMEOUT,
						      "%s/%s held by another process for more than 5 s",
						      rt->path, SCHED_IN_LOCK);
		}
		/* Open it again under the lock: another process may have put a
		 * new file in place meanwhile, which is the one to use. */
		close(fd);
		fd = rt_open(rt, SCHED_FILE, O_RDWR | O_CREAT, e);
		r = fd < 0 ? fd : map_fd(fd, m, guard, &bad, e);
		if (r == 1) {
			r = create_locked(rt, fd, e);
			if (r == 2) { /* replaced: the new file */
				close(fd);
				fd = rt_open(rt, SCHED_FILE, O_RDWR, e);
				r = fd < 0 ? fd : 0;
			}
			if (r == 0)
				r = map_fd(fd, m, guard, &bad, e);
			if (r == 1)
				r = midi_error_set(e, MIDI_ERR_RUNTIME,
						   "scheduler segment %s/%s is corrupt (%s)", rt->path,
						   SCHED_FILE, bad);
		}
		unlock_fd(lfd);
		close(lfd);
	}
	close(fd);
	return r;
}

int sched_map(struct rt *rt, struct sched_map *m, midi_error *e)
{
	return sched_map_as(rt, m, 0, e);
}

/* The mapping of the scheduler segment was lost (truncated under us). */
static int sched_lost(struct rt *rt, const struct sched_map *m, midi_error *e)
{
	if (!shmguard_lost(m->base))
		return 0;
	return midi_error_set(e, MIDI_ERR_RUNTIME,
			      "the scheduler's shared file %s/%s was truncated by another process",
			      rt->path, SCHED_FILE);
}

void sched_unmap(struct sched_map *m)
{
	if (m->base) {
		shmguard_remove(m->base);
		munmap(m->base, m->size);
	}
	memset(m, 0, sizeof *m);
}

static int open_locks(struct rt *rt, struct sched_client *sc, midi_error *e)
{
	if (sc->inlockfd >= 0)
		close(sc->inlockfd);
	if (sc->lockfd >= 0)
		close(sc->lockfd);
	sc->lockfd = -1;
	sc->inlockfd = rt_open(rt, SCHED_IN_LOCK, O_RDWR | O_CREAT, e);
	if (sc->inlockfd < 0)
		return sc->inlockfd;
	sc->lockfd = rt_open(rt, SCHED_LOCK, O_RDWR | O_CREAT, e);
	if (sc->lockfd < 0)
		return sc->lockfd;
	sc->fork_gen = rt_fork_gen();
	return 0;
}

int sched_client_open(struct rt *rt, struct sched_client *sc, midi_error *e)
{
	memset(sc, 0, sizeof *sc);
	sc->inlockfd = sc->lockfd = -1;
	sc->rt = rt;
	int r = sched_map_as(rt, &sc->m, 1, e);
	if (r == 0)
		r = open_locks(rt, sc, e);
	if (r < 0)
		sched_client_close(sc);
	return r;
}

void sched_client_close(struct sched_client *sc)
{
	sched_unmap(&sc->m);
	if (sc->inlockfd >= 0)
		close(sc->inlockfd);
	if (sc->lockfd >= 0)
		close(sc->lockfd);
	sc->inlockfd = sc->lockfd = -1;
}

/* pending + unread (head - done) as the header says; *sane = 0 when that
 * is impossible (garbage: the scheduler keeps it within cap). The result is
 * at most cap. */
static uint64_t queued_raw(const struct sched_client *sc, int *sane)
{
	uint64_t cap = sc->m.mask + 1;
	uint64_t done = __atomic_load_n(&sc->m.hdr->done, __ATOMIC_ACQUIRE);
	uint64_t q = ring_head(&sc->m.in) - done;
	*sane = q <= cap;
	return *sane ? q : cap;
}

static int fork_check(struct sched_client *sc, midi_error *e)
{
	if (sc->fork_gen == rt_fork_gen())
		return 0;
	return open_locks(sc->rt, sc, e);
}

uint64_t sched_queued(struct sched_client *sc)
{
	int sane;
	uint64_t q = queued_raw(sc, &sane);
	if (sane || !sc->rt)
		return q;
	/* Garbage counters: the scheduler writes its own over them when it
	 * wakes; start one if none runs (it rebuilds them). */
	uint64_t start = broker_now_ns(), ensured = 0;
	for (;;) {
		uint64_t now = broker_now_ns();
		if (now - start >= SCHED_HEAL_NS)
			return q;
		if (ensured == 0 || now - ensured >= SCHED_HEAL_NS / 4) {
			ensured = now;
			ring_wake_all(&sc->m.in);
			if (fork_check(sc, NULL) == 0)
				sched_ensure(sc->rt, &sc->lockfd, NULL);
		}
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		q = queued_raw(sc, &sane);
		if (sane)
			return q;
	}
}

int sched_put(struct rt *rt, struct sched_client *sc, const struct sched_in *v, size_t n,
	      midi_error *e)
{
	if (!n)
		return 0;
	if (fork_check(sc, e) < 0)
		return -MIDI_ERR_RUNTIME;
	uint64_t cap = sc->m.mask + 1;
	(void)sched_queued(sc); /* repairs garbage counters (not under the lock) */
	int r = lock_fd(sc->inlockfd, SCHED_LOCK_MS);
	if (r < 0)
		return midi_error_sys(e, -r, "cannot lock %s/%s", rt->path, SCHED_IN_LOCK);
	if (r > 0)
		return midi_error_set(e, MIDI_ERR_TIMEOUT,
				      "scheduler input lock held by another process for more than "
				      "%d ms", SCHED_LOCK_MS);
	int sane;
	uint64_t queued = queued_raw(sc, &sane);
	if (queued + n > cap) {
		unlock_fd(sc->inlockfd);
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "scheduler queue full (%llu of %llu pending; %zu more refused)",
				      (unsigned long long)queued, (unsigned long long)cap, n);
	}
	uint64_t pos = ring_wpos(&sc->m.in);
	for (size_t k = 0; k < n; k++) {
		struct sched_in x = v[k];
		x.seq = pos + k + 1;
		x.check = sched_check(pos + k, x.due, x.uid, x.owner, x.tag, x.kind, x.w);
		x.pad = 0;
		sc->m.slots[(pos + k) & sc->m.mask] = x;
	}
	ring_publish(&sc->m.in, pos + n);
	unlock_fd(sc->inlockfd);
	r = sched_lost(rt, &sc->m, e);
	if (r < 0)
		return r; /* written into zeros: not handed over */
	sc->last_pos = pos + n;
	for (size_t k = 0; k < n; k++)
		if (v[k].due > sc->max_due)
			sc->max_due = v[k].due;
	sc->check_ns = broker_now_ns();
	return sched_ensure(rt, &sc->lockfd, e);
}

int sched_written(const struct sched_client *sc, uint64_t due)
{
	const struct sched_hdr *h = sc->m.hdr;
	uint64_t pos = __atomic_load_n(&h->written_pos, __ATOMIC_ACQUIRE);
	uint64_t through = __atomic_load_n(&h->written_through, __ATOMIC_ACQUIRE);
	if (!through)
		return -1;
	/* untrusted: garbage can only make a "now" message overtake */
	return (int64_t)(pos - sc->last_pos) >= 0 && through >= due;
}

int sched_wait_taken(struct rt *rt, struct sched_client *sc, uint64_t end, midi_error *e)
{
	long sleep_ns = 1000;
	for (;;) {
		uint64_t cur = __atomic_load_n(&sc->m.hdr->cursor, __ATOMIC_ACQUIRE);
		int lost = sched_lost(rt, &sc->m, e);
		if (lost < 0)
			return lost;
		uint64_t head = ring_head(&sc->m.in);
		/* Taken: the cursor passed it, and cursor and head agree (a
		 * garbage cursor is rewritten by the scheduler). */
		if ((int64_t)(cur - sc->last_pos) >= 0 && head - cur <= sc->m.mask + 1)
			return 0;
		uint64_t now = broker_now_ns();
		if (now >= end)
			return midi_error_set(e, MIDI_ERR_TIMEOUT,
					      "the scheduler did not take %llu message(s) in time",
					      (unsigned long long)(sc->last_pos - cur));
		if (now - sc->check_ns >= SCHED_CHECK_NS) {
			sc->check_ns = now;
			if (fork_check(sc, e) < 0)
				return -MIDI_ERR_RUNTIME;
			int r = sched_ensure(rt, &sc->lockfd, e);
			if (r < 0)
				return r;
			ring_wake_all(&sc->m.in); /* a wake-up lost to garbage */
		}
		struct timespec ts = {0, sleep_ns};
		nanosleep(&ts, NULL);
		if (sleep_ns < 1000000)
			sleep_ns *= 2;
	}
}

int sched_cancel(struct rt *rt, struct sched_client *sc, uint64_t owner, uint64_t end,
		 uint64_t *n, midi_error *e)
{
	*n = UINT64_MAX;
	struct sched_in x = {.uid = 1, .owner = owner, .kind = SCHED_CANCEL};
	int r = sched_put(rt, sc, &x, 1, e);
	if (r < 0)
		return r;
	uint64_t pos = sc->last_pos - 1;
	sc->cancel_pos = pos + 1;
	r = sched_wait_taken(rt, sc, end, e);
	if (r < 0)
		return r;
	const struct sched_hdr *h = sc->m.hdr;
	unsigned k = (unsigned)(pos % SCHED_REPLIES);
	if (__atomic_load_n(&h->cancel_pos[k], __ATOMIC_ACQUIRE) == pos + 1) {
		uint64_t v = __atomic_load_n(&h->cancel_n[k], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&h->cancel_pos[k], __ATOMIC_RELAXED) == pos + 1 &&
		    v <= sc->m.mask + 1)
			*n = v;
	}
	return 0;
}

int sched_ensure(struct rt *rt, int *lockfd, midi_error *e)
{
	if (flock(*lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK || errno == EINTR)
			return 0; /* a scheduler lives */
		return midi_error_sys(e, errno, "cannot lock %s/%s", rt->path, SCHED_LOCK);
	}
	/* We hold the lock: start the scheduler, which inherits it. */
	int fresh = rt_open(rt, SCHED_LOCK, O_RDWR | O_CREAT, e);
	if (fresh < 0) {
		flock(*lockfd, LOCK_UN);
		return fresh;
	}
	int r = broker_spawn(rt, "sched", NULL, *lockfd, "the scheduler", e);
	if (r < 0) {
		flock(*lockfd, LOCK_UN);
		close(fresh);
		return r;
	}
	close(*lockfd); /* the scheduler shares this open file and its lock */
	*lockfd = fresh;
	return 0;
}

int sched_ready(struct rt *rt, struct sched_client *sc, uint64_t end, midi_error *e)
{
	long sleep_ns = 20000;
	uint64_t ensured = 0, alive_since = 0;
	for (;;) {
		uint64_t now = broker_now_ns();
		if (now - ensured >= SCHED_CHECK_NS) {
			ensured = now;
			int r = sched_ensure(rt, &sc->lockfd, e);
			if (r < 0)
				return r;
		}
		/* Up: announced (its key), and in its loop (asleep on its input),
		 * or announced a while ago (busy with other senders' work). */
		uint64_t key = __atomic_load_n(&sc->m.hdr->key, __ATOMIC_ACQUIRE);
		if (key && proc_key_alive(key)) {
			if (!alive_since)
				alive_since = now;
			if (__atomic_load_n(&sc->m.hdr->sleeping, __ATOMIC_ACQUIRE) ||
			    now - alive_since >= SCHED_READY_NS)
				return 0;
		} else {
			alive_since = 0;
		}
		if (now >= end)
			return midi_error_set(e, MIDI_ERR_TIMEOUT, "the scheduler did not start in time");
		struct timespec ts = {0, sleep_ns};
		nanosleep(&ts, NULL);
		if (sleep_ns < 1000000)
			sleep_ns *= 2;
	}
}

/* The waiter's client, made when the segment exists; 0 if there is none
 * (nothing was ever scheduled here). */
static int watch_client(struct rt *rt, struct sched_client **scp, midi_error *e)
{
	if (!*scp) {
		struct stat st;
		if (fstatat(rt->dirfd, SCHED_FILE, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return 0;
		struct sched_client *sc = calloc(1, sizeof *sc);
		if (!sc)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		int r = sched_client_open(rt, sc, e);
		if (r < 0) {
			free(sc);
			return r;
		}
		*scp = sc;
	}
	if (fork_check(*scp, e) < 0)
		return -MIDI_ERR_RUNTIME;
	return 1;
}

int sched_watch(struct rt *rt, struct sched_client **scp, midi_error *e)
{
	int r = watch_client(rt, scp, e);
	if (r <= 0)
		return r;
	struct sched_client *sc = *scp;
	int sane;
	if (queued_raw(sc, &sane) == 0 && sane)
		return 0;
	/* Garbage counters count as queued: a scheduler repairs them. */
	r = sched_ensure(rt, &sc->lockfd, e);
	return r < 0 ? r : 1;
}

/* 1 if the process of key is a scheduler with this directory's sched.lock
 * open (the header's key is untrusted). */
static int key_is_scheduler(const struct sched_client *sc, uint64_t key)
{
	pid_t pid = (pid_t)(key & 0xffffffffu);
	if (pid <= 0 || !proc_key_alive(key))
		return 0;
	char path[64], comm[32] = "";
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, comm, sizeof comm - 1);
	close(fd);
	if (n < 0 || strncmp(comm, "midi-sched\n", 11) != 0)
		return 0;
	struct stat lk;
	if (fstat(sc->lockfd, &lk) < 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int found = 0;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0)
			found = st.st_dev == lk.st_dev && st.st_ino == lk.st_ino;
	}
	closedir(d);
	return found;
}

int sched_pidfd(struct rt *rt, struct sched_client **scp)
{
	if (watch_client(rt, scp, NULL) <= 0)
		return -1;
	struct sched_client *sc = *scp;
	int sane;
	if (queued_raw(sc, &sane) == 0 && sane)
		return -1;
	uint64_t key = __atomic_load_n(&sc->m.hdr->key, __ATOMIC_ACQUIRE);
	if (key == 0)
		return -1;
	if (key != sc->key_ok) {
		if (!key_is_scheduler(sc, key))
			return -1;
		sc->key_ok = key;
	}
	/* the pid may have been reused between the check and the open */
	return proc_key_pidfd(key);
}

int sched_get_stats(struct sched_stats *st, midi_error *e)
{
	memset(st, 0, sizeof *st);
	struct rt *rt = rt_get(e);
	if (!rt)
		return -MIDI_ERR_RUNTIME;
	struct sched_map m;
	int r = sched_map_as(rt, &m, 1, e);
	if (r < 0) {
		rt_put(rt);
		return r;
	}
	const struct sched_hdr *h = m.hdr;
	st->pending = __atomic_load_n(&h->pending, __ATOMIC_ACQUIRE);
	st->delivered = __atomic_load_n(&h->delivered, __ATOMIC_ACQUIRE);
	st->dropped = __atomic_load_n(&h->dropped, __ATOMIC_ACQUIRE);
	st->starts = __atomic_load_n(&h->starts, __ATOMIC_ACQUIRE);
	st->garbage = __atomic_load_n(&h->garbage, __ATOMIC_ACQUIRE);
	st->pid = (pid_t)__atomic_load_n(&h->pid, __ATOMIC_ACQUIRE);
	r = sched_lost(rt, &m, e);
	sched_unmap(&m);
	rt_put(rt);
	return r;
}
