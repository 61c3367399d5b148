/* bell.c: doorbells, the wake-ups behind every pollable descriptor of the
 * library (midi_conn_fd, a host's input ring, the watcher). A bell is a
 * pipe that its owner keeps open for reading and writing (so it never
 * reports end of file), named bell-ID in the runtime directory; it polls
 * readable once anyone wrote a byte into it. A waiter records the bell's
 * ID in shared memory next to an `armed` flag; a writer that publishes
 * something the waiter wants and finds the flag set clears it and rings
 * the bell (one write(2)): no helper thread, no periodic wake-up, one
 * system call per wake-up as with a pipe.
 *
 * Two kinds, told apart by the ID's top bit:
 * - a pipe bell (top bit set): an anonymous pipe, and bell-ID a symbolic
 *   link to /proc/PID/fd/FD of its owner, which opens that very pipe; the
 *   ID's low 32 bits are the pipe's inode number, which a ringer checks
 *   (a link left by a dead owner whose pid and descriptor were reused
 *   never leads to someone else's pipe). Writing into an anonymous pipe
 *   costs what a pipe ping-pong pays; a named FIFO also updates its
 *   times in the file system at every write (measured: 2-3 us more per
 *   wake-up on tmpfs, about 10 us on ext4, where /tmp/midi-UID lives, and
 *   a journal transaction each time).
 * - a FIFO bell (top bit clear), bell-ID itself: when others may not open
 *   the owner's /proc/PID/fd (the owner is not dumpable, or holds
 *   capabilities that a ringer may lack), /proc does not show this
 *   process's descriptors, or MIDI_BELLS=fifo asks for FIFOs.
 * Processes sharing a runtime directory share a pid namespace (hosts are
 * watched by pid too).
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
#include <stdlib.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define BELL_CACHE 32
#define BELL_PIPE (1ull << 63)

static void bell_name(char *buf, size_t n, uint64_t id)
{
	snprintf(buf, n, "bell-%016llx", (unsigned long long)id);
}

static uint64_t random_id(int tries)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
		v = broker_now_ns() ^ ((uint64_t)getpid() << 40) ^ (uint64_t)tries;
	return v;
}

int bell_create_fifo(struct rt *rt, uint64_t *id, midi_error *e)
{
	char name[32];
	for (int tries = 0; tries < 8; tries++) {
		uint64_t v = random_id(tries) & ~BELL_PIPE;
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

/* 1 if processes of this user may open this one's /proc/PID/fd: it is
 * dumpable and holds no capabilities beyond what root's processes all
 * have (the kernel lets a ringer in only when it holds every capability
 * the owner holds). */
static int proc_fds_open_to_peers(void)
{
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
		return 0;
	if (geteuid() == 0)
		return 1;
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &hdr, d) != 0)
		return 0;
	return d[0].permitted == 0 && d[1].permitted == 0;
}

/* Opens the bell named id (either kind); -1 if it is gone or is not what
 * its name says. */
static int bell_open(struct rt *rt, uint64_t id)
{
	char name[32];
	bell_name(name, sizeof name, id);
	int pipe_bell = (id & BELL_PIPE) != 0;
	int fd = openat(rt->dirfd, name, O_RDWR | O_NONBLOCK | O_CLOEXEC | (pipe_bell ? 0 : O_NOFOLLOW));
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid() ||
			(pipe_bell && (uint32_t)st.st_ino != (uint32_t)id))) {
		close(fd); /* not our bell: never write into it */
		fd = -1;
	}
	return fd;
}

/* A pipe bell, or -1 (then a FIFO bell is made). */
static int bell_create_pipe(struct rt *rt, uint64_t *id)
{
	if (!proc_fds_open_to_peers())
		return -1;
	int p[2];
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	/* One descriptor for both ends, opened as ringers will open it (so
	 * /proc works for this process): writable, and never at end of file. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), p[0]);
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct stat st, pst;
	int same = fd >= 0 && fstat(fd, &st) == 0 && fstat(p[0], &pst) == 0 &&
		   S_ISFIFO(st.st_mode) && st.st_ino == pst.st_ino && st.st_dev == pst.st_dev;
	close(p[0]);
	close(p[1]);
	if (!same) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), fd);
	for (int tries = 0; tries < 8; tries++) {
		uint64_t v = BELL_PIPE | (random_id(tries) & 0x7fffffff00000000ull) |
			     (uint32_t)st.st_ino;
		char name[32];
		bell_name(name, sizeof name, v);
		if (symlinkat(path, rt->dirfd, name) == 0) {
			*id = v;
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	close(fd);
	return -1;
}

/* MIDI_BELLS=fifo: FIFO bells only, for systems whose security module
 * keeps processes of one user from opening each other's /proc/PID/fd (an
 * AppArmor profile denying ptrace reads): a ringer there could not open a
 * pipe bell, and its owner would never be woken. Any other value: the
 * default. */
static int fifo_bells_asked(void)
{
	const char *s = getenv("MIDI_BELLS");
	return s && strcmp(s, "fifo") == 0;
}

int bell_create(struct rt *rt, uint64_t *id, midi_error *e)
{
	int fd = fifo_bells_asked() ? -1 : bell_create_pipe(rt, id);
	return fd >= 0 ? fd : bell_create_fifo(rt, id, e);
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
/* The cache's lock: a ring writer's lock (wlock.c), no libc call when free
 * (a pthread mutex is code on other pages, and every sporadic message
 * pays for each page it touches). A child of fork starts with it free. */
static struct seg_wlock cache_lock;

void bell_after_fork(void)
{
	struct seg_wlock fresh = {0};
	cache_lock = fresh;
}

MIDI_HOT
void bell_ring(struct rt *rt, uint64_t id)
{
	if (!id)
		return;
	unsigned long gen = rt_fork_gen();
	wlock_take(&cache_lock, -1);
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
		int fd = bell_open(rt, id);
		if (fd < 0) {
			wlock_give(&cache_lock);
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
	wlock_give(&cache_lock);
}
