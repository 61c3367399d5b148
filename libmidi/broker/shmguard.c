/* shmguard.c: space reservation for shared files and the SIGBUS guard of
 * their mappings (see shmguard.h).
 *
 * The table of guarded mappings is a list of fixed chunks (the first one
 * static, the others allocated when needed and never freed), so the signal
 * handler walks it without a lock: an entry is claimed (FREE -> BUSY) with
 * a compare-and-swap, filled, and published LIVE; removal takes it back to
 * BUSY before clearing it. The handler only looks at LIVE entries. */
#include "broker/shmguard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 256

enum { ENT_FREE = 0, ENT_BUSY = 1, ENT_LIVE = 2 };

struct guard_ent {
	uint32_t state;
	uint32_t lost;
	uintptr_t base;
	size_t size;
};

struct guard_chunk {
	struct guard_ent e[CHUNK];
	struct guard_chunk *next;
};

static struct guard_chunk first_chunk;
static unsigned hits;
static struct sigaction prev_action; /* what was there before us */
static int installed;                /* we installed our handler once in this image */

int shm_reserve(int fd, off_t size)
{
	if (size <= 0)
		return 0;
	int r;
	do
		r = posix_fallocate(fd, 0, size);
	while (r == EINTR);
	if (r == EOPNOTSUPP || r == ENOSYS) /* cannot be reserved here: sized only */
		return ftruncate(fd, size) < 0 ? errno : 0;
	return r;
}

/* ---- the handler ---- */

/* Not ours: what would have happened without us. */
static void chain(int sig, siginfo_t *si, void *ctx)
{
	const struct sigaction *p = &prev_action;
	if (p->sa_flags & SA_SIGINFO) {
		if (p->sa_sigaction) {
			p->sa_sigaction(sig, si, ctx);
			return;
		}
	} else if (p->sa_handler == SIG_IGN) {
		if (si && si->si_code <= 0)
			return; /* sent by kill: ignored, as before */
	} else if (p->sa_handler != SIG_DFL) {
		p->sa_handler(sig);
		return;
	}
	/* The default action: a fault happens again when we return and now
	 * kills; a signal sent by kill is raised again (pending until we
	 * return). */
	signal(SIGBUS, SIG_DFL);
	if (!si || si->si_code <= 0)
		raise(SIGBUS);
}

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;
	if (si && si->si_code > 0) {
		uintptr_t a = (uintptr_t)si->si_addr;
		for (struct guard_chunk *c = &first_chunk; c;
		     c = __atomic_load_n(&c->next, __ATOMIC_ACQUIRE)) {
			for (unsigned k = 0; k < CHUNK; k++) {
				struct guard_ent *g = &c->e[k];
				if (__atomic_load_n(&g->state, __ATOMIC_ACQUIRE) != ENT_LIVE)
					continue;
				uintptr_t b = __atomic_load_n(&g->base, __ATOMIC_RELAXED);
				size_t n = __atomic_load_n(&g->size, __ATOMIC_RELAXED);
				if (a < b || a - b >= n)
					continue;
				/* The whole mapping becomes private zero pages: the
				 * access is retried and reads zeros. */
				void *m = mmap((void *)b, n, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
				if (m == MAP_FAILED)
					goto other;
				__atomic_store_n(&g->lost, 1, __ATOMIC_RELEASE);
				__atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST);
				errno = saved;
				return;
			}
		}
	}
other:
	chain(sig, si, ctx);
	errno = saved;
}

/* Install the handler unless it is there. Again after it was reset to the
 * default (a spawned helper resets every signal), never over a handler
 * someone installed after us. */
static void install(void)
{
	struct sigaction cur;
	if (sigaction(SIGBUS, NULL, &cur) < 0)
		return;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)
		return;
	if (__atomic_load_n(&installed, __ATOMIC_ACQUIRE) && cur.sa_handler != SIG_DFL)
		return;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old) < 0)
		return;
	/* Another thread may have installed it between the look and here. */
	if (!((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == on_sigbus))
		prev_action = old;
	__atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
}

/* ---- the table ---- */

int shmguard_add(void *base, size_t size)
{
	if (!base || !size)
		return -1;
	install();
	struct guard_chunk *c = &first_chunk;
	for (;;) {
		for (unsigned k = 0; k < CHUNK; k++) {
			struct guard_ent *g = &c->e[k];
			uint32_t free_state = ENT_FREE;
			if (!__atomic_compare_exchange_n(&g->state, &free_state, ENT_BUSY, 0,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				continue;
			__atomic_store_n(&g->base, (uintptr_t)base, __ATOMIC_RELAXED);
			__atomic_store_n(&g->size, size, __ATOMIC_RELAXED);
			__atomic_store_n(&g->lost, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&g->state, ENT_LIVE, __ATOMIC_RELEASE);
			return 0;
		}
		struct guard_chunk *n = __atomic_load_n(&c->next, __ATOMIC_ACQUIRE);
		if (!n) {
			struct guard_chunk *fresh = calloc(1, sizeof *fresh);
			if (!fresh)
				return -1;
			if (__atomic_compare_exchange_n(&c->next, &n, fresh, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
				n = fresh;
			else
				free(fresh); /* another thread added one: n is it */
		}
		c = n;
	}
}

static struct guard_ent *find(const void *base)
{
	for (struct guard_chunk *c = &first_chunk; c;
	     c = __atomic_load_n(&c->next, __ATOMIC_ACQUIRE))
		for (unsigned k = 0; k < CHUNK; k++) {
			struct guard_ent *g = &c->e[k];
			if (__atomic_load_n(&g->state, __ATOMIC_ACQUIRE) == ENT_LIVE &&
			    __atomic_load_n(&g->base, __ATOMIC_RELAXED) == (uintptr_t)base)
				return g;
		}
	return NULL;
}

void shmguard_remove(const void *base)
{
	if (!base)
		return;
	struct guard_ent *g = find(base);
	uint32_t live = ENT_LIVE;
	if (!g || !__atomic_compare_exchange_n(&g->state, &live, ENT_BUSY, 0, __ATOMIC_ACQ_REL,
					       __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&g->base, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g->size, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g->lost, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&g->state, ENT_FREE, __ATOMIC_RELEASE);
}

unsigned shmguard_hits(void)
{
	return __atomic_load_n(&hits, __ATOMIC_ACQUIRE);
}

int shmguard_lost(const void *base)
{
	if (!base || !shmguard_hits())
		return 0;
	struct guard_ent *g = find(base);
	return g && __atomic_load_n(&g->lost, __ATOMIC_ACQUIRE);
}

/* ---- what the broker says about a lost mapping ---- */

/* How a lost mapping of file name (mapped size bytes) came about: a file
 * that still has its size but not its blocks (a hole punched in it) could
 * not be paged in; anything else was truncated (and maybe made again). */
static const char *how_lost(const struct rt *rt, const char *name, size_t size)
{
	struct stat st;
	if (fstatat(rt->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (size_t)st.st_size >= size &&
	    (uint64_t)st.st_blocks * 512 < size)
		return "could not be read (is its file system full?)";
	return "was truncated by another process";
}

int reg_lost(const struct rt *rt)
{
	return rt && shmguard_lost(rt->reg);
}

int reg_lost_error(const struct rt *rt, midi_error *e)
{
	return midi_error_set(e, MIDI_ERR_RUNTIME, "the endpoint registry %s/registry %s",
			      rt->path, how_lost(rt, "registry", rt->reg_size));
}

MIDI_HOT
int seg_lost(const struct seg *s)
{
	return s && shmguard_lost(s->base);
}

int seg_lost_error(const struct rt *rt, const char *id, const char *owner, const struct seg *s,
		   midi_error *e)
{
	const char *how = how_lost(rt, s->name, s->size);
	if (owner && *owner && strcmp(owner, id) != 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "endpoint %s: the shared file %s/%s of %s %s",
				      id, rt->path, s->name, owner, how);
	return midi_error_set(e, MIDI_ERR_RUNTIME, "endpoint %s: its shared file %s/%s %s", id,
			      rt->path, s->name, how);
}
