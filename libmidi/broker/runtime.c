/* runtime.c: the runtime directory ($MIDI_RUNTIME_DIR, else
 * $XDG_RUNTIME_DIR/midi, else /tmp/midi-$UID): creating and checking it
 * (real directory, ours, no group/other bits), opening files in it without
 * following symlinks, the per-process cached context, bounded flock, and
 * process identity keys (pid + start time) used for liveness. */
#include "broker/broker.h"
#include "broker/shmguard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t rt_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rt *rt_cur;
static unsigned long fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_done; /* set once atfork_setup ran: no pthread_once call on every send */

static uint64_t self_key; /* proc_key_self's, once per process */

static void on_fork_child(void)
{
	fork_gen++;
	__atomic_store_n(&self_key, 0, __ATOMIC_RELAXED); /* the parent's */
	/* The mutex may have been held by another thread at fork time. */
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	rt_mu = fresh;
	bell_after_fork();
}

static void atfork_setup(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

MIDI_HOT
unsigned long rt_fork_gen(void)
{
	if (!__atomic_load_n(&atfork_done, __ATOMIC_ACQUIRE)) {
		pthread_once(&atfork_once, atfork_setup);
		__atomic_store_n(&atfork_done, 1, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}

static int runtime_path(char *buf, size_t n, midi_error *e)
{
	const char *d = getenv("MIDI_RUNTIME_DIR");
	int len;
	if (d && *d)
		len = snprintf(buf, n, "%s", d);
	else if ((d = getenv("XDG_RUNTIME_DIR")) && *d)
		len = snprintf(buf, n, "%s/midi", d);
	else
		len = snprintf(buf, n, "/tmp/midi-%u", (unsigned)getuid());
	if (len < 0 || (size_t)len >= n)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "runtime directory path too long");
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	return 0;
}

static int check_dir_stat(const char *path, const struct stat *st, midi_error *e)
{
	if (S_ISLNK(st->st_mode))
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "runtime directory %s is a symbolic link; refusing to follow it",
				      path);
	if (!S_ISDIR(st->st_mode))
		return midi_error_set(e, MIDI_ERR_RUNTIME, "runtime directory %s is not a directory",
				      path);
	if (st->st_uid != geteuid())
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "runtime directory %s is owned by uid %u, not by you (uid %u)",
				      path, (unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & 077)
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "runtime directory %s has mode %04o, giving access to group or "
				      "others (expected 0700: chmod 700 %s)",
				      path, (unsigned)(st->st_mode & 07777), path);
	return 0;
}

static int open_dir(const char *path, int *dirfd, midi_error *e)
{
	struct stat st, fst;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return midi_error_sys(e, errno, "runtime directory %s", path);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return midi_error_sys(e, errno, "cannot create runtime directory %s", path);
		if (lstat(path, &st) < 0)
			return midi_error_sys(e, errno, "runtime directory %s", path);
	}
	int r = check_dir_stat(path, &st, e);
	if (r)
		return r;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return midi_error_sys(e, errno, "cannot open runtime directory %s", path);
	if (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		close(fd);
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "runtime directory %s changed while being opened", path);
	}
	r = check_dir_stat(path, &fst, e);
	if (r) {
		close(fd);
		return r;
	}
	*dirfd = fd;
	return 0;
}

uint32_t rt_format_of(char *path, size_t n)
{
	if (runtime_path(path, n, NULL) < 0)
		return 0;
	char reg[PATH_MAX + 16];
	snprintf(reg, sizeof reg, "%s/registry", path);
	int fd = open(reg, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct {
		uint64_t magic;
		uint32_t format;
	} head = {0, 0};
	uint32_t other = 0;
	if (pread(fd, &head, sizeof head, 0) == (ssize_t)sizeof head)
		other = reg_other_format(head.magic, head.format);
	close(fd);
	return other;
}

int midi_runtime_dir(char *buf, size_t n, midi_error *e)
{
	struct rt *rt = rt_get(e);
	if (!rt)
		return -(e && e->code ? e->code : MIDI_ERR_RUNTIME);
	int len = snprintf(buf, n, "%s", rt->path);
	rt_put(rt);
	if (len < 0 || (size_t)len >= n)
		return midi_error_set(e, MIDI_ERR_INPUT, "buffer too small for the runtime directory");
	return 0;
}

int rt_open(struct rt *rt, const char *name, int flags, midi_error *e)
{
	int fd = openat(rt->dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int err = errno;
		if (err == ELOOP)
			return midi_error_set(e, MIDI_ERR_RUNTIME,
					      "runtime file %s/%s is a symbolic link; refusing to follow it",
					      rt->path, name);
		if (err == ENOENT)
			return midi_error_set(e, MIDI_ERR_NOTFOUND, "runtime file %s/%s is missing",
					      rt->path, name);
		return midi_error_sys(e, err, "cannot open runtime file %s/%s", rt->path, name);
	}
	struct stat st;
	const char *bad = NULL;
	if (fstat(fd, &st) < 0)
		bad = "cannot be inspected";
	else if (!S_ISREG(st.st_mode))
		bad = "is not a regular file";
	else if (st.st_uid != geteuid())
		bad = "is not owned by you";
	else if (st.st_mode & 077)
		bad = "is accessible by group or others (expected mode 0600)";
	if (bad) {
		close(fd);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "runtime file %s/%s %s", rt->path, name,
				      bad);
	}
	return fd;
}

int lock_fd(int fd, int timeout_ms)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK && errno != EINTR)
		return -errno;
	if (timeout_ms == 0)
		return 1;
	uint64_t end = broker_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	long sleep_ns = 2000;
	for (unsigned i = 0;; i++) {
		if (i < 16)
			sched_yield();
		else {
			struct timespec ts = {0, sleep_ns};
			nanosleep(&ts, NULL);
			if (sleep_ns < 1000000)
				sleep_ns *= 2;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (broker_now_ns() >= end)
			return 1;
	}
}

void unlock_fd(int fd)
{
	flock(fd, LOCK_UN);
}

static void rt_free(struct rt *rt)
{
	if (rt->reg) {
		shmguard_remove(rt->reg);
		munmap(rt->reg, rt->reg_size);
	}
	if (rt->lockfd >= 0)
		close(rt->lockfd);
	if (rt->dirfd >= 0)
		close(rt->dirfd);
	pthread_mutex_destroy(&rt->mu);
	free(rt);
}

/* Map the registry, creating or rebuilding it under the lock if needed. */
static int rt_map_registry(struct rt *rt, midi_error *e)
{
	int fd = rt_open(rt, "registry", O_RDWR | O_CREAT, e);
	if (fd < 0)
		return fd;
	size_t size = (sizeof(struct reg_hdr) + 4095) & ~(size_t)4095;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return midi_error_sys(e, errno, "registry %s/registry", rt->path);
	}
	/* A registry of another format is left exactly as it is. */
	struct {
		uint64_t magic;
		uint32_t format;
	} head = {0, 0};
	if (pread(fd, &head, sizeof head, 0) == (ssize_t)sizeof head &&
	    reg_other_format(head.magic, head.format)) {
		close(fd);
		return reg_format_error(rt->path, head.format, e);
	}
	if ((size_t)st.st_size != size) {
		/* New (or truncated by someone): size it under the lock. */
		int r = lock_fd(rt->lockfd, 5000);
		if (r != 0) {
			close(fd);
			return midi_error_set(e, MIDI_ERR_RUNTIME,
					      "registry lock %s/registry.lock is held by another "
					      "process for more than 5 s", rt->path);
		}
		/* Every block reserved: a full disk is an error here, not a
		 * SIGBUS later; a file that could not be reserved is left
		 * empty, so the next run tries again. */
		int err = 0;
		if (fstat(fd, &st) == 0 && (size_t)st.st_size != size) {
			err = ftruncate(fd, 0) == 0 ? shm_reserve(fd, (off_t)size) : errno;
			if (err)
				(void)!ftruncate(fd, 0);
		}
		unlock_fd(rt->lockfd);
		if (err) {
			close(fd);
			return midi_error_sys(e, err, "cannot reserve %zu bytes for the registry %s/registry",
					      size, rt->path);
		}
	}
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int err = errno;
	close(fd);
	if (m == MAP_FAILED)
		return midi_error_sys(e, err, "cannot map %s/registry", rt->path);
	rt->reg = m;
	rt->reg_size = size;
	shmguard_add(m, size); /* truncated under us: zeros, not SIGBUS */
	/* A new or garbage header is (re)built under the lock. */
	if (rt->reg->magic != REG_MAGIC || rt->reg->format != SHM_FORMAT ||
	    rt->reg->size != sizeof(struct reg_hdr)) {
		int r = reg_lock(rt, e);
		if (r)
			return r;
		reg_unlock(rt);
	}
	return 0;
}

static struct rt *rt_new(const char *path, midi_error *e)
{
	struct rt *rt = calloc(1, sizeof *rt);
	if (!rt) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	rt->refs = 1;
	rt->dirfd = rt->lockfd = -1;
	pthread_mutex_init(&rt->mu, NULL);
	rt->fork_gen = rt_fork_gen();
	snprintf(rt->path, sizeof rt->path, "%s", path);
	if (open_dir(path, &rt->dirfd, e) < 0)
		goto fail;
	rt->lockfd = rt_open(rt, "registry.lock", O_RDWR | O_CREAT, e);
	if (rt->lockfd < 0)
		goto fail;
	if (rt_map_registry(rt, e) < 0)
		goto fail;
	return rt;
fail:
	rt_free(rt);
	return NULL;
}

struct rt *rt_get(midi_error *e)
{
	char path[PATH_MAX];
	if (runtime_path(path, sizeof path, e) < 0)
		return NULL;
	unsigned long gen = rt_fork_gen();
	pthread_mutex_lock(&rt_mu);
	struct rt *rt = rt_cur;
	if (rt && (strcmp(rt->path, path) != 0 || reg_lost(rt))) {
		/* Another directory, or its registry was truncated under us:
		 * those holding the old context get errors, new users a new one. */
		if (--rt->refs == 0)
			rt_free(rt);
		rt = rt_cur = NULL;
	}
	if (rt && rt->fork_gen != gen) {
		/* flock belongs to the open file: a forked child needs its own. */
		int fd = rt_open(rt, "registry.lock", O_RDWR | O_CREAT, e);
		if (fd < 0) {
			pthread_mutex_unlock(&rt_mu);
			return NULL;
		}
		close(rt->lockfd);
		rt->lockfd = fd;
		rt->locked = 0;
		/* Another thread may have held it when the process forked. */
		pthread_mutex_init(&rt->mu, NULL);
		rt->fork_gen = gen;
	}
	if (!rt) {
		rt = rt_new(path, e);
		if (!rt) {
			pthread_mutex_unlock(&rt_mu);
			return NULL;
		}
		rt_cur = rt;
	}
	rt->refs++;
	pthread_mutex_unlock(&rt_mu);
	return rt;
}

void rt_put(struct rt *rt)
{
	if (!rt)
		return;
	pthread_mutex_lock(&rt_mu);
	if (--rt->refs == 0)
		rt_free(rt);
	pthread_mutex_unlock(&rt_mu);
}

/* /proc/PID/stat: state (field 3) and start time (field 22). */
static int proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2;
	*state = *p;
	/* p points at field 3; field 22 is 19 fields further. */
	for (int f = 3; f < 22; f++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

/* The key is computed once per process: getpid(2) is a real system call
 * (glibc does not cache it), and a send takes the key twice. A forked
 * child forgets its parent's key (on_fork_child). */
MIDI_HOT
uint64_t proc_key_self(void)
{
	uint64_t key = __atomic_load_n(&self_key, __ATOMIC_ACQUIRE);
	if (key)
		return key;
	pthread_once(&atfork_once, atfork_setup);
	pid_t pid = getpid();
	char st;
	unsigned long long start = 0;
	proc_stat(pid, &st, &start);
	key = ((uint64_t)(start & 0x7fffffff) << 32) | (uint32_t)pid;
	__atomic_store_n(&self_key, key, __ATOMIC_RELEASE);
	return key;
}

/* 0: pid is gone (or a zombie); 1: it runs, *start is its start time;
 * 2: it cannot be told (taken as alive). */
static int alive_start(pid_t pid, unsigned long long *start)
{
	if (pid <= 0)
		return 0;
	char st;
	int r = proc_stat(pid, &st, start);
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0)
		return 2;
	return st != 'Z' && st != 'X';
}

int proc_pid_alive(pid_t pid)
{
	unsigned long long start;
	return alive_start(pid, &start) != 0;
}

int proc_key_alive(uint64_t key)
{
	unsigned long long start;
	int r = alive_start((pid_t)(key & 0xffffffffu), &start);
	if (r != 1)
		return r != 0;
	return (start & 0x7fffffff) == ((key >> 32) & 0x7fffffff);
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int proc_key_pidfd(uint64_t key)
{
	pid_t pid = (pid_t)(key & 0xffffffffu);
	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0 && !proc_key_alive(key)) {
		close(fd);
		fd = -1;
		errno = ESRCH; /* not the process named */
	}
	return fd;
}
