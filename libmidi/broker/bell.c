/* bell.c: doorbells, the wake-ups behind every pollable descriptor of the
 * library (midi_conn_fd, a host's input ring, the watcher). A bell is a
 * FIFO bell-ID in the runtime directory (ID: 64 random bits, never reused)
 * that its owner keeps open for reading and writing (so it never reports
 * end of file); it polls readable once anyone wrote a byte into it. A
 * waiter records the bell's ID in shared memory next to an `armed` flag;
 * a writer that publishes something the waiter wants and finds the flag
 * set clears it and rings the bell (one write(2)): no helper thread, no
 * periodic wake-up, one system call per wake-up as with a pipe.
 *
 * Ringers open a bell O_RDWR (never O_WRONLY: a bell whose owner died has
 * no reader, and a write would raise SIGPIPE) and keep a few descriptors
 * cached per process. Writing into a full bell fails with EAGAIN, which
 * is fine: it is readable already. The owner unlinks its bell when done;
 * the bell of a process that died is unlinked by whoever reclaims its
 * table entry (bell_unlink). */
#include "broker/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define BELL_CACHE 32

static void bell_name(char *buf, size_t n, uint64_t id)
{
	snprintf(buf, n, "bell-%016llx", (unsigned long long)id);
}

int bell_create(struct rt *rt, uint64_t *id, midi_error *e)
{
	char name[32];
	for (int tries = 0; tries < 8; tries++) {
		uint64_t v = 0;
		if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
			v = broker_now_ns() ^ ((uint64_t)getpid() << 40) ^ (uint64_t)tries;
		if (v == 0)
			continue;
		bell_name(name, sizeof name, v);
		if (mkfifoat(rt->dirfd, name, 0600) < 0) {
			if (errno == EEXIST)
				continue;
			return midi_error_sys(e, errno, "cannot make the wake-up FIFO %s/%s",
					      rt->path, name);
		}
		int fd = openat(rt->dirfd, name, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
			int err = fd < 0 ? errno : EPERM;
			if (fd >= 0)
				close(fd);
			unlinkat(rt->dirfd, name, 0);
			return midi_error_sys(e, err, "cannot open the wake-up FIFO %s/%s", rt->path,
					      name);
		}
		*id = v;
		return fd;
	}
	return midi_error_set(e, MIDI_ERR_RUNTIME, "cannot name a wake-up FIFO in %s", rt->path);
}

void bell_unlink(struct rt *rt, uint64_t id)
{
	if (!id)
		return;
	char name[32];
	bell_name(name, sizeof name, id);
	unlinkat(rt->dirfd, name, 0);
}

MIDI_HOT
int bell_drain(int fd)
{
	/* A read that does not fill the buffer took everything there was. */
	char buf[256];
	ssize_t n, any = 0;
	while ((n = read(fd, buf, sizeof buf)) == (ssize_t)sizeof buf)
		any = 1;
	return any || n > 0;
}

int bell_edge_ok(void)
{
	static int ok = -1;
	int v = __atomic_load_n(&ok, __ATOMIC_RELAXED);
	if (v >= 0)
		return v;
	struct utsname u;
	unsigned maj = 0, min = 0;
	v = 0;
	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &maj, &min) == 2)
		v = maj > 5 || (maj == 5 && (min >= 15 || min < 5));
	__atomic_store_n(&ok, v, __ATOMIC_RELAXED);
	return v;
}

void bell_self(int fd)
{
	char one = 1;
	(void)!write(fd, &one, 1);
}

/* Descriptors of bells this process rang lately. */
static struct {
	uint64_t id;
	int fd;
	uint64_t used;
	unsigned long gen;
} cache[BELL_CACHE];
static uint64_t cache_tick;
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

MIDI_HOT
void bell_ring(struct rt *rt, uint64_t id)
{
	if (!id)
		return;
	unsigned long gen = rt_fork_gen();
	pthread_mutex_lock(&cache_mu);
	static int last;
	int slot = -1, lru = 0;
	if (cache[last].id == id && cache[last].gen == gen)
		slot = last; /* the same bell as last time: the usual case */
	for (int k = 0; k < BELL_CACHE && slot < 0; k++) {
		if (cache[k].id == id && cache[k].gen == gen) {
			slot = k;
			break;
		}
		if (cache[k].used < cache[lru].used)
			lru = k;
	}
	if (slot < 0) {
		char name[32];
		bell_name(name, sizeof name, id);
		int fd = openat(rt->dirfd, name, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))) {
			close(fd); /* not a FIFO: never write into it */
			fd = -1;
		}
		if (fd < 0) {
			pthread_mutex_unlock(&cache_mu);
			return; /* gone: its owner is gone too */
		}
		if (cache[lru].id && cache[lru].gen == gen)
			close(cache[lru].fd);
		cache[lru].id = id;
		cache[lru].fd = fd;
		cache[lru].gen = gen;
		slot = lru;
	}
	cache[slot].used = ++cache_tick;
	last = slot;
	char one = 1;
	(void)!write(cache[slot].fd, &one, 1);
	pthread_mutex_unlock(&cache_mu);
}
