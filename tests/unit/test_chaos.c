/* test_chaos.c: robustness of the broker against dying and hostile
 * processes.
 * - chaos: for a few seconds, random senders, receivers, pingers,
 *   registry changers, virtual device hosts and their (reconnecting)
 *   clients are forked and SIGKILLed at random instants (300+ kills, ping
 *   hosts included) while a surviving sender streams numbered packets to a
 *   surviving receiver: it gets every one, in order; no lock (lock file
 *   or segment writer mutex) is left held;
 *   no virtual device outlives its host; a new connection works; ping
 *   still echoes (take-over); new virtual devices work.
 * - hostile: a process scribbles random bytes, 0xFF pages and plausible
 *   headers over the registry and segments while others list, open, send
 *   and receive: nobody crashes or hangs (alarm-guarded), and afterwards
 *   the registry is rebuilt and endpoints work again.
 * - a registry writer killed in the middle of updating an endpoint's
 *   properties, 150 times: the endpoint is never lost (repair deletes
 *   only what is invalid, and a half-written update must not be).
 * - a process making and removing a loopback pair killed at random, 150
 *   times: the pair is whole or absent, never half (one change, repaired
 *   as one). */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "midi/endpoint.h"
#include "midi/virt.h"
#include "midi/watch.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "chaos", "none.conf");
	setenv("MIDI_DISCOVERY_TIMEOUT_MS", "200", 1);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define STREAM 40000
#define STREAM_W0 0x40903c00u

static int survivor_receiver(int ready)
{
	midi_error e;
	midi_conn *c = midi_open("diag:loopback-b", 0, &e);
	if (!c)
		return 10;
	(void)!write(ready, "r", 1);
	static midi_packet buf[256];
	uint32_t next = 0;
	while (next < STREAM) {
		int n = midi_recv(c, buf, 256, 15000, &e);
		if (n <= 0)
			return 11;
		for (int k = 0; k < n; k++) {
			if (buf[k].ump.w[0] != STREAM_W0)
				continue; /* noise from the chaos senders */
			if (buf[k].ump.w[1] != next)
				return midi_conn_lost(c) ? 14 : 12; /* 14: fell behind the noise */
			next++;
		}
	}
	return midi_conn_lost(c) ? 13 : 0;
}

static int survivor_sender(void)
{
	midi_error e;
	midi_conn *c = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	if (!c)
		return 20;
	midi_packet b[4];
	for (uint32_t i = 0; i < STREAM; i += 4) {
		for (uint32_t k = 0; k < 4; k++)
			b[k] = (midi_packet){0, midi_ump_make(STREAM_W0, i + k, 0, 0)};
		if (midi_send(c, b, 4, &e) < 0)
			return 21;
		usleep(250);
	}
	midi_close(c);
	return 0;
}

/* Victims: they loop until killed. */
static void victim(int kind, unsigned seed)
{
	midi_error e;
	midi_packet p[64];
	srand(seed);
	alarm(30);
	for (;;) {
		switch (kind) {
		case 0: { /* noise sender, with SysEx held when killed */
			midi_conn *c = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
			for (int r = 0; c && r < 50; r++) {
				int n = 1 + rand() % 64;
				for (int k = 0; k < n; k++)
					p[k] = (midi_packet){0, midi_ump_make(0x25903c00u, 0, 0, 0)};
				if (rand() % 4 == 0) {
					p[0].ump = midi_ump_make(0x33160102u, 0, 0, 0);
					for (int k = 1; k < n; k++)
						p[k].ump = midi_ump_make(0x33260102u, 0, 0, 0);
				}
				midi_send(c, p, (size_t)n, &e);
				usleep(200); /* noise, not a flood the survivor cannot keep up with */
			}
			midi_close(c);
			break;
		}
		case 1: { /* receiver */
			midi_conn *c = midi_open("diag:loopback-b", 0, &e);
			for (int r = 0; c && r < 50; r++)
				midi_recv(c, p, 64, 1, &e);
			midi_close(c);
			break;
		}
		case 2: { /* pinger (spawns and uses ping hosts) */
			midi_conn *c = midi_open("diag:ping", 0, &e);
			for (int r = 0; c && r < 20; r++) {
				p[0] = (midi_packet){0, midi_ump_make(0x20903c00u, 0, 0, 0)};
				midi_send(c, p, 1, &e);
				midi_recv(c, p, 64, 5, &e);
			}
			midi_close(c);
			break;
		}
		case 4: { /* virtual device host */
			char name[32];
			snprintf(name, sizeof name, "v%d", rand() % 4);
			midi_virt *v = midi_virt_open(name, NULL, &e);
			for (int r = 0; v && r < 50; r++) {
				midi_virt_recv(v, p, 64, 2, &e);
				p[0] = (midi_packet){0, midi_ump_make(0x20903c00u, 0, 0, 0)};
				midi_virt_send(v, p, 1, &e);
			}
			if (rand() % 2)
				midi_virt_close(v);
			else
				_exit(0); /* gone without closing */
			break;
		}
		case 5: { /* virtual device client, reconnecting */
			char name[32];
			snprintf(name, sizeof name, "virt:v%d", rand() % 4);
			midi_conn *c = midi_open(name, MIDI_OPEN_RECONNECT, &e);
			for (int r = 0; c && r < 50; r++) {
				p[0] = (midi_packet){0, midi_ump_make(0x20903c00u, 0, 0, 0)};
				midi_send(c, p, 1, &e);
				midi_recv(c, p, 64, 2, &e);
			}
			midi_close(c);
			usleep(1000);
			break;
		}
		default: { /* registry changes */
			char name[32];
			snprintf(name, sizeof name, "c%d", rand() % 8);
			midi_loop_create(name, &e);
			midi_endpoint_info *v;
			size_t n;
			if (midi_list(&v, &n, MIDI_LIST_ALL, &e) == 0)
				free(v);
			midi_loop_remove(name, &e);
			break;
		}
		}
	}
}

static pid_t ping_host_pid(void)
{
	midi_error e;
	struct rt *rt = rt_get(&e);
	if (!rt)
		return 0;
	static struct reg_slot v[REG_SLOTS];
	size_t n = 0;
	pid_t pid = 0;
	if (reg_snapshot(rt, v, &n, &e) == 0)
		for (size_t k = 0; k < n; k++) {
			struct seg s;
			int corrupt;
			if (strcmp(v[k].info.id, "diag:ping") == 0 &&
			    seg_map(rt, v[k].seg, v[k].uid, &s, &corrupt, &e) == 0) {
				pid = (pid_t)s.hdr->host_pid;
				seg_unmap(&s);
			}
		}
	rt_put(rt);
	return pid;
}

/* Every lock file (registry, scheduler, agents; not a live host's or
 * discovery run's) and the writer locks of every segment (one left by a
 * killed writer is taken over) can be taken. */
static void assert_locks_free(void)
{
	DIR *d = opendir(rtdir);
	assert_non_null(d);
	struct dirent *de;
	int checked = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 5, ".lock") != 0)
			continue;
		if (strstr(de->d_name, ".host.lock") || strstr(de->d_name, ".disc.lock"))
			continue; /* a live host or discovery run legitimately holds it */
		char path[600];
		snprintf(path, sizeof path, "%s/%s", rtdir, de->d_name);
		int fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		if (flock(fd, LOCK_EX | LOCK_NB) != 0)
			fail_msg("lock %s is still held", de->d_name);
		close(fd);
		checked++;
	}
	closedir(d);
	assert_true(checked >= 1);
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	size_t n;
	struct reg_slot *v = malloc(REG_SLOTS * sizeof *v);
	assert_non_null(v);
	assert_int_equal(reg_snapshot(rt, v, &n, &e), 0);
	int mutexes = 0;
	for (size_t k = 0; k < n; k++) {
		struct seg s;
		int corrupt;
		if (seg_map(rt, v[k].seg, v[k].uid, &s, &corrupt, &e) != 0)
			continue;
		for (int w = 0; w < 2; w++) {
			/* free, or its owner dead (taken over at once) */
			int r = wlock_take(&s.hdr->wlock[w], 200);
			if (r < 0)
				fail_msg("writer lock %d of %s is still held", w, v[k].info.id);
			wlock_give(&s.hdr->wlock[w]);
			mutexes++;
		}
		seg_unmap(&s);
	}
	free(v);
	rt_put(rt);
	assert_true(mutexes >= 6);
}

static void assert_endpoints_work(void)
{
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	if (!a)
		fail_msg("open: %s", e.msg);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	midi_packet p = {0, midi_ump_make(0x20901234u, 0, 0, 0)}, r[8];
	assert_int_equal(midi_send(a, &p, 1, &e), 0);
	int n = midi_recv(b, r, 8, 2000, &e);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].ump.w[0], 0x20901234u);
	midi_conn *c = midi_open("diag:ping", 0, &e);
	assert_non_null(c);
	p.ump.w[0] = 0x20904321u;
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	n = midi_recv(c, r, 8, 5000, &e);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].ump.w[0], 0x20904321u);
	midi_close(a);
	midi_close(b);
	midi_close(c);
}

/* Every virtual device host is dead: none is listed or watched, and new
 * ones work. */
static void assert_no_virt_left(void)
{
	midi_error e;
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, 0, &e), 0);
	for (size_t k = 0; k < n; k++)
		if (strncmp(v[k].id, "virt:", 5) == 0)
			fail_msg("%s outlived its host", v[k].id);
	free(v);
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	midi_watch_event ev;
	while (midi_watch_next(w, &ev, 0, &e) == 1 && ev.kind != MIDI_WATCH_ENUMERATED)
		assert_true(strncmp(ev.info.id, "virt:", 5) != 0);
	midi_watch_close(w);
	for (int k = 0; k < 4; k++) {
		char name[16];
		snprintf(name, sizeof name, "v%d", k);
		midi_virt *h = midi_virt_open(name, NULL, &e);
		if (!h)
			fail_msg("virt %s: %s", name, e.msg);
		char id[32];
		snprintf(id, sizeof id, "virt:%s", name);
		midi_conn *c = midi_open(id, 0, &e);
		assert_non_null(c);
		midi_packet p = {0, midi_ump_make(0x20905555u, 0, 0, 0)}, r[8];
		assert_int_equal(midi_send(c, &p, 1, &e), 0);
		assert_int_equal(midi_virt_recv(h, r, 8, 2000, &e), 1);
		assert_int_equal(r[0].ump.w[0], 0x20905555u);
		assert_int_equal(midi_virt_send(h, &p, 1, &e), 0);
		assert_int_equal(midi_recv(c, r, 8, 2000, &e), 1);
		midi_close(c);
		midi_virt_close(h);
	}
}

#define POOL 6

/* A child that runs fn(ready) and exits with what it returns (60 s at
 * most); returned once fn wrote a byte into ready. */
static pid_t fork_ready(int (*fn)(int ready))
{
	int pp[2];
	assert_int_equal(pipe(pp), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		close(pp[0]);
		_exit(fn(pp[1]));
	}
	close(pp[1]);
	char ch;
	assert_int_equal(read(pp[0], &ch, 1), 1);
	close(pp[0]);
	return pid;
}

/* fn started in a child (fork_ready), SIGKILLed within max_us of its
 * ready byte, reaped. */
static void kill_at_random(int (*fn)(int ready), int max_us)
{
	pid_t pid = fork_ready(fn);
	usleep((useconds_t)(rand() % max_us));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* List once: the registry and the built-in endpoints exist. */
static void registry_made(void)
{
	midi_error e;
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	free(v);
}

static void test_chaos_kills(void **state)
{
	(void)state;
	pid_t rcv = fork_ready(survivor_receiver);
	pid_t snd = fork();
	if (snd == 0) {
		alarm(60);
		_exit(survivor_sender());
	}
	pid_t pool[POOL] = {0};
	int kills = 0, host_kills = 0;
	srand((unsigned)getpid());
	uint64_t start = now_ms();
	while (kills < 300 || now_ms() - start < 3000) {
		int slot = rand() % POOL;
		if (pool[slot]) {
			kill(pool[slot], SIGKILL);
			waitpid(pool[slot], NULL, 0);
			pool[slot] = 0;
			kills++;
		}
		int kind = rand() % 6;
		pid_t pid = fork();
		if (pid == 0)
			victim(kind, (unsigned)rand());
		pool[slot] = pid;
		if (rand() % 16 == 0) {
			pid_t h = ping_host_pid();
			if (h > 0 && kill(h, SIGKILL) == 0)
				host_kills++;
		}
		usleep((useconds_t)(rand() % 8000));
		if (now_ms() - start > 20000)
			break;
	}
	for (int k = 0; k < POOL; k++)
		if (pool[k]) {
			kill(pool[k], SIGKILL);
			waitpid(pool[k], NULL, 0);
			kills++;
		}
	print_message("# %d kills, %d of them ping hosts, in %llu ms\n", kills, host_kills,
		      (unsigned long long)(now_ms() - start));
	test_wait_ok(snd, "surviving sender");
	test_wait_ok(rcv, "surviving receiver");
	assert_true(kills >= 300);
	assert_locks_free();
	assert_no_virt_left();
	/* Kill the host once more: ping must still echo (take-over). */
	pid_t h = ping_host_pid();
	if (h > 0)
		kill(h, SIGKILL);
	assert_endpoints_work();
}

/* ---- hostile ---- */

static void *map_file(const char *path, size_t *size)
{
	int fd = open(path, O_RDWR);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	*size = (size_t)st.st_size;
	void *m = *size ? mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

/* Pick a random segment file. */
static void *map_random_segment(size_t *size)
{
	DIR *d = opendir(rtdir);
	if (!d)
		return NULL;
	char names[64][256];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 64)
		if (strncmp(de->d_name, "ep-", 3) == 0 && !strchr(de->d_name, '.'))
			snprintf(names[n++], sizeof names[0], "%s", de->d_name);
	closedir(d);
	if (!n)
		return NULL;
	char path[600];
	snprintf(path, sizeof path, "%s/%s", rtdir, names[rand() % n]);
	return map_file(path, size);
}

static void scribble(unsigned char *m, size_t size, int pattern)
{
	if (!m || size < 4096)
		return;
	size_t off = (size_t)rand() % size;
	switch (pattern) {
	case 0: /* random bytes */
		for (int k = 0; k < 64 && off + (size_t)k < size; k++)
			m[off + (size_t)k] = (unsigned char)rand();
		break;
	case 1: /* an 0xFF page */
		memset(m + (off & ~(size_t)4095), 0xff, 4096);
		break;
	case 2: /* the header, 0xFF */
		memset(m, 0xff, 4096);
		break;
	case 3: /* plausible header: first fields kept, the rest random */
		for (size_t k = 16; k < 512; k++)
			m[k] = (unsigned char)rand();
		break;
	case 4: { /* plausible values in 64-bit fields of the first KiB */
		uint64_t *w = (uint64_t *)m;
		w[rand() % 128] = (uint64_t)rand() % 8 == 0 ? ~0ull : (uint64_t)rand();
		break;
	}
	default: /* zeroes */
		memset(m + (off & ~(size_t)4095), 0, 4096);
		break;
	}
}

static int scribbler(int ms)
{
	char path[600];
	snprintf(path, sizeof path, "%s/registry", rtdir);
	size_t rsize = 0, ssize = 0;
	unsigned char *reg = map_file(path, &rsize), *seg = NULL;
	uint64_t end = now_ms() + (uint64_t)ms;
	for (int i = 0; now_ms() < end; i++) {
		if (i % 20 == 0) {
			if (seg)
				munmap(seg, ssize);
			seg = map_random_segment(&ssize);
		}
		int pat = rand() % 6;
		if (rand() % 2)
			scribble(reg, rsize, pat == 2 && rand() % 4 ? 0 : pat);
		else
			scribble(seg, ssize, pat);
		usleep(500);
	}
	return 0;
}

static int worker(int kind, int ms)
{
	midi_error e;
	midi_packet p[64];
	uint64_t end = now_ms() + (uint64_t)ms;
	while (now_ms() < end) {
		switch (kind) {
		case 0: {
			midi_endpoint_info *v;
			size_t n;
			if (midi_list(&v, &n, MIDI_LIST_ALL, &e) == 0)
				free(v);
			midi_endpoint_info info;
			midi_find("loopback-a", &info, &e);
			break;
		}
		case 1: {
			midi_conn *c = midi_open("diag:loopback-a", 0, &e);
			for (int r = 0; c && r < 20; r++) {
				for (int k = 0; k < 16; k++)
					p[k] = (midi_packet){0, midi_ump_make(0x20903c00u, 0, 0, 0)};
				midi_send(c, p, 16, &e);
			}
			midi_close(c);
			break;
		}
		case 2: {
			midi_conn *c = midi_open("diag:loopback-b", 0, &e);
			for (int r = 0; c && r < 20; r++)
				midi_recv(c, p, 64, 2, &e);
			midi_close(c);
			break;
		}
		default: {
			midi_conn *c = midi_open("diag:ping", 0, &e);
			if (c) {
				p[0] = (midi_packet){0, midi_ump_make(0x20903c00u, 0, 0, 0)};
				midi_send(c, p, 1, &e);
				midi_recv(c, p, 64, 5, &e);
				midi_flush(c, 5, &e);
			}
			midi_close(c);
			midi_loop_create("h", &e);
			midi_loop_remove("h", &e);
			break;
		}
		}
	}
	return 0;
}

static void test_hostile_garbage(void **state)
{
	(void)state;
	midi_error e;
	midi_endpoint_info *v;
	size_t n;
	registry_made();
	pid_t pids[6];
	for (int k = 0; k < 6; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			alarm(40); /* a hang kills the worker: the test fails */
			srand((unsigned)getpid());
			_exit(k == 5 ? scribbler(2500) : worker(k % 4, 3000));
		}
	}
	for (int k = 0; k < 6; k++)
		test_wait_ok(pids[k], k == 5 ? "scribbler" : "worker");

	/* The worst case on purpose: registry and a segment all 0xFF. */
	char path[600];
	size_t size;
	snprintf(path, sizeof path, "%s/registry", rtdir);
	unsigned char *m = map_file(path, &size);
	assert_non_null(m);
	memset(m, 0xff, size);
	munmap(m, size);
	m = map_random_segment(&size);
	if (m) {
		memset(m, 0xff, size);
		munmap(m, size);
	}
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	assert_int_equal(n, 3);
	free(v);
	assert_endpoints_work();

	/* A plausible header with a half-done change (odd generation) is
	 * repaired, not waited on forever. */
	m = map_file(path, &size);
	assert_non_null(m);
	((struct reg_hdr *)m)->gen |= 1;
	munmap(m, size);
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	assert_int_equal(n, 3);
	free(v);
	assert_endpoints_work();
}

/* ---- a registry writer killed in the middle of an update ---- */

/* Rewrites the properties of diag:loopback-b under the registry lock, as
 * discovery and the configuration do, without end: the lock is never
 * given back, so the SIGKILL lands inside or between updates. */
static int rewriting_writer(int ready)
{
	midi_error e;
	struct rt *rt = rt_get(&e);
	if (!rt || reg_lock(rt, &e) != 0)
		return 2;
	int idx = reg_find_locked(rt, "diag:loopback-b");
	if (idx < 0)
		return 3;
	struct reg_slot v;
	reg_get_locked(rt, idx, &v);
	(void)!write(ready, "r", 1);
	for (unsigned k = 0;; k++) {
		reg_write_begin(rt);
		snprintf(v.info.name, sizeof v.info.name, "%s", k & 1 ? "Renamed B" : "Loopback B");
		v.info.generation++;
		reg_put_locked(rt, idx, &v);
		reg_write_end(rt);
	}
}

/* The writer killed at random instants, 150 times: the registry is
 * repaired each time (a change was half done) and both loopbacks are
 * still there and work; neither is deleted as garbage. */
static void test_killed_registry_writer(void **state)
{
	(void)state;
	midi_error e;
	registry_made();
	srand((unsigned)getpid());
	for (int i = 0; i < 150; i++) {
		kill_at_random(rewriting_writer, 300);
		midi_conn *b = midi_open("diag:loopback-b", 0, &e);
		if (!b)
			fail_msg("after kill %d of the registry writer: %s", i + 1, e.msg);
		midi_close(b);
	}
	assert_endpoints_work();
}

/* ---- a pair maker killed between the two endpoints ---- */

/* Makes and removes loopback pair "half" without end. */
static int pair_churner(int ready)
{
	midi_error e;
	(void)!write(ready, "r", 1);
	for (;;) {
		midi_loop_create("half", &e);
		midi_loop_remove("half", &e);
	}
	return 0;
}

/* How many of loop:half-a and loop:half-b are listed (the listing
 * repairs a change left half done). */
static int half_listed(void)
{
	midi_error e;
	midi_endpoint_info *v;
	size_t n;
	if (midi_list(&v, &n, MIDI_LIST_ALL, &e) != 0)
		fail_msg("list: %s", e.msg);
	int found = 0;
	for (size_t k = 0; k < n; k++)
		found += strcmp(v[k].id, "loop:half-a") == 0 || strcmp(v[k].id, "loop:half-b") == 0;
	free(v);
	return found;
}

/* The churner killed at random instants, 150 times: the pair is there
 * whole or not at all, never one endpoint whose peer is missing; it can
 * be made again and works. */
static void test_killed_pair_maker(void **state)
{
	(void)state;
	midi_error e;
	registry_made();
	srand((unsigned)getpid());
	for (int i = 0; i < 150; i++) {
		kill_at_random(pair_churner, 3000);
		int found = half_listed();
		if (found == 1)
			fail_msg("after kill %d of the pair maker: one endpoint of loopback half "
				 "without its peer", i + 1);
		if (found == 2)
			assert_int_equal(midi_loop_remove("half", &e), 0);
	}
	assert_int_equal(midi_loop_create("half", &e), 0);
	midi_conn *a = midi_open("loop:half-a", 0, &e);
	midi_conn *b = midi_open("loop:half-b", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	midi_ump u = {{0x20903C64}};
	assert_int_equal(midi_send_ump(a, &u, &e), 0);
	midi_packet p;
	assert_int_equal(midi_recv(b, &p, 1, 2000, &e), 1);
	assert_int_equal(p.ump.w[0], 0x20903C64);
	midi_close(a);
	midi_close(b);
	assert_int_equal(midi_loop_remove("half", &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_chaos_kills, fresh_runtime),
		cmocka_unit_test_setup(test_hostile_garbage, fresh_runtime),
		cmocka_unit_test_setup(test_killed_registry_writer, fresh_runtime),
		cmocka_unit_test_setup(test_killed_pair_maker, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
