/* test_shm_faults.c: the broker against faults of its shared files.
 * - guard: a registered mapping whose file is truncated under it becomes
 *   zeros and is marked lost instead of killing the process with SIGBUS;
 *   faults elsewhere, and SIGBUS sent by kill, still reach the handler
 *   that was there before (or kill, as the default action does).
 * - truncated files: a monitor, a sender, a watcher and a scheduled send
 *   whose segment, registry or scheduler file is truncated by another
 *   process end with a clear -MIDI_ERR_RUNTIME error; new connections work.
 * - garbage close flag and reason: reported as corruption, never printed.
 * - garbage ring head: a reader resynchronises without counting absurd
 *   losses; real losses are still counted. The same for a garbage
 *   transport loss counter.
 * - client table: 300 connections from three processes are all counted.
 * - a segment of the format before (another build's) is refused with a
 *   message saying so, and left as it is. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/ring.h"
#include "broker/shmguard.h"
#include "midi/endpoint.h"
#include "midi/watch.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "shmf", "none.conf");
	unsetenv("MIDI_RING_SLOTS");
	return 0;
}

/* cmocka installs its own SIGBUS handler around every test, and the guard
 * never replaces a handler installed after it: give the test the default
 * back, as a program has it, so the library's next mapping installs the
 * guard again. */
static void guard_as_in_a_program(void)
{
	signal(SIGBUS, SIG_DFL);
}

static midi_packet pkt(uint32_t w0)
{
	return (midi_packet){0, midi_ump_make(w0, 0, 0, 0)};
}

/* Path of the segment file of endpoint id. */
static void seg_path(const char *id, char *path, size_t n)
{
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	struct reg_slot *v = malloc(REG_SLOTS * sizeof *v);
	assert_non_null(v);
	size_t m = 0;
	assert_int_equal(reg_snapshot(rt, v, &m, &e), 0);
	int found = 0;
	for (size_t k = 0; k < m; k++)
		if (strcmp(v[k].info.id, id) == 0) {
			snprintf(path, n, "%s/%s", rtdir, v[k].seg);
			found = 1;
		}
	free(v);
	rt_put(rt);
	assert_true(found);
}

static void truncate_file(const char *path)
{
	assert_int_equal(truncate(path, 0), 0);
}

static void *map_file(const char *path, size_t *size)
{
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	*size = (size_t)st.st_size;
	void *m = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	assert_true(m != MAP_FAILED);
	return m;
}

static void assert_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			fail_msg("non-printable byte 0x%02x in \"%s\"", *p, s);
}

/* A loopback pair still carries a message from a to b. */
static void assert_loopback_works(void)
{
	midi_error e;
	midi_conn *rx = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(rx);
	midi_conn *tx = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(tx);
	midi_packet p = pkt(0x20903c64u), got[4];
	assert_int_equal(midi_send(tx, &p, 1, &e), 0);
	assert_int_equal(midi_recv(rx, got, 4, 2000, &e), 1);
	assert_int_equal(got[0].ump.w[0], 0x20903c64u);
	midi_close(tx);
	midi_close(rx);
}

/* ---- the guard itself ---- */

static void *make_mapped(const char *name, size_t size, int *fdp)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", rtdir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	*fdp = fd;
	return m;
}

static void test_guard_basic(void **state)
{
	(void)state;
	guard_as_in_a_program();
	int fd;
	size_t size = 3 * 4096;
	volatile unsigned char *m = make_mapped("guarded", size, &fd);
	assert_int_equal(shmguard_add((void *)m, size), 0);
	m[0] = 'x';
	m[2 * 4096] = 'y';
	assert_int_equal(shmguard_lost((void *)m), 0);
	/* Another process shortens the file to one page. */
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(m[2 * 4096], 0); /* SIGBUS without the guard */
	assert_int_equal(shmguard_lost((void *)m), 1);
	assert_int_equal(m[0], 0);        /* the whole mapping: consistent zeros */
	m[2 * 4096 + 5] = 1;              /* writes go nowhere, harmlessly */
	assert_true(shmguard_hits() >= 1);
	shmguard_remove((void *)m);
	assert_int_equal(shmguard_lost((void *)m), 0);
	munmap((void *)m, size);
	close(fd);
}

/* Child modes (run by exec, so the handler is installed afresh):
 * chain-handler: a SIGBUS handler installed before the guard gets faults
 *   outside guarded mappings (exit 42);
 * chain-default: without one, such a fault kills as before;
 * chain-kill: a SIGBUS sent by kill is not swallowed. */
static void on_bus_42(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	(void)ctx;
	_exit(42);
}

static int chain_child(const char *mode)
{
	alarm(20);
	if (strcmp(mode, "chain-handler") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_bus_42;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGBUS, &sa, NULL);
	}
	const char *dir = getenv("MIDI_RUNTIME_DIR");
	if (!dir)
		return 9;
	char path[512];
	size_t size = 2 * 4096;
	snprintf(path, sizeof path, "%s/child-a", dir);
	int fa = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snprintf(path, sizeof path, "%s/child-b", dir);
	int fb = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fa < 0 || fb < 0 || ftruncate(fa, (off_t)size) < 0 || ftruncate(fb, (off_t)size) < 0)
		return 10;
	volatile unsigned char *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
	volatile unsigned char *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fb, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return 11;
	shmguard_add((void *)a, size);
	if (ftruncate(fa, 0) < 0 || ftruncate(fb, 0) < 0)
		return 12;
	if (a[4096] != 0 || !shmguard_lost((void *)a))
		return 13; /* the guarded one survives */
	if (strcmp(mode, "chain-kill") == 0)
		kill(getpid(), SIGBUS);
	else
		(void)b[4096]; /* not guarded: the previous handler or death */
	return 0;          /* should not get here */
}

static const char *self_path; /* argv[0]: /proc/self/exe is valgrind under valgrind */

static void run_child(const char *mode, int *status)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2); /* a sanitizer's report of the death is expected */
		execl(self_path, self_path, mode, (char *)NULL);
		_exit(99);
	}
	assert_int_equal(waitpid(pid, status, 0), pid);
}

/* Died as SIGBUS kills (under a sanitizer, its own report and exit). */
static void assert_bus_death(int st, const char *mode)
{
	if (WIFSIGNALED(st)) {
		if (WTERMSIG(st) != SIGBUS)
			fail_msg("%s: killed by signal %d, not SIGBUS", mode, WTERMSIG(st));
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 0 || WEXITSTATUS(st) >= 10)
		fail_msg("%s: exit %d: the fault was swallowed or the child failed", mode,
			 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_guard_chains(void **state)
{
	(void)state;
	int st;
	run_child("chain-handler", &st);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 42)
		fail_msg("chain-handler: %s %d (expected exit 42)",
			 WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	run_child("chain-default", &st);
	assert_bus_death(st, "chain-default");
	run_child("chain-kill", &st);
	assert_bus_death(st, "chain-kill");
}

/* ---- truncated files ---- */

static void test_truncated_segment(void **state)
{
	(void)state;
	guard_as_in_a_program();
	midi_error e;
	midi_conn *mon = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(mon);
	assert_true(midi_conn_fd(mon, &e) >= 0); /* its thread looks at the ring too */
	midi_conn *snd = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(snd);
	midi_packet p = pkt(0x20903c64u), got[8];
	assert_int_equal(midi_send(snd, &p, 1, &e), 0);
	assert_int_equal(midi_recv(mon, got, 8, 2000, &e), 1);

	char path[600];
	seg_path("diag:loopback-b", path, sizeof path);
	truncate_file(path);

	int r = midi_recv(mon, got, 8, 2000, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "diag:loopback-b"));
	assert_non_null(strstr(e.msg, "truncated by another process"));
	/* again: still a clear error, no hang */
	assert_int_equal(midi_recv(mon, got, 8, 0, &e), -MIDI_ERR_RUNTIME);
	r = midi_send(snd, &p, 1, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "truncated by another process"));
	midi_close(snd);
	midi_close(mon);

	/* New connections get a fresh segment. */
	assert_loopback_works();

	/* The sender's own segment. */
	snd = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(snd);
	seg_path("diag:loopback-a", path, sizeof path);
	truncate_file(path);
	r = midi_send(snd, &p, 1, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "diag:loopback-a"));
	assert_non_null(strstr(e.msg, "truncated by another process"));
	midi_close(snd);
	assert_loopback_works();
}

static void test_truncated_segment_hosted(void **state)
{
	(void)state;
	guard_as_in_a_program();
	midi_error e;
	midi_conn *c = midi_open("diag:ping", 0, &e);
	assert_non_null(c);
	midi_packet p = pkt(0x20903c64u), got[8];
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	assert_int_equal(midi_recv(c, got, 8, 5000, &e), 1);
	char path[600];
	seg_path("diag:ping", path, sizeof path);
	truncate_file(path);
	int r = midi_send(c, &p, 1, &e);
	if (r == 0)
		r = midi_flush(c, 2000, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "truncated by another process"));
	midi_close(c);
	/* A new connection works (fresh segment, new host). */
	c = midi_open("diag:ping", 0, &e);
	assert_non_null(c);
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	assert_int_equal(midi_recv(c, got, 8, 5000, &e), 1);
	midi_close(c);
}

static void test_truncated_registry(void **state)
{
	(void)state;
	guard_as_in_a_program();
	midi_error e;
	midi_watcher *w = midi_watch_open(MIDI_WATCH_ALL, &e);
	assert_non_null(w);
	midi_watch_event ev;
	do
		assert_int_equal(midi_watch_next(w, &ev, 2000, &e), 1);
	while (ev.kind != MIDI_WATCH_ENUMERATED);
	midi_conn *mon = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(mon);

	char path[600];
	snprintf(path, sizeof path, "%s/registry", rtdir);
	truncate_file(path);

	int r = midi_watch_next(w, &ev, 2000, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "registry"));
	assert_non_null(strstr(e.msg, "truncated by another process"));
	midi_watch_close(w);

	/* This process starts over with the registry rebuilt. */
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	assert_int_equal(n, 3);
	free(v);
	/* The old connection's endpoint went with the old registry. */
	midi_packet got[4];
	r = midi_recv(mon, got, 4, 2000, &e);
	assert_true(r < 0);
	assert_printable(e.msg);
	midi_close(mon);
	assert_loopback_works();
}

static void test_truncated_sched(void **state)
{
	(void)state;
	guard_as_in_a_program();
	midi_error e;
	midi_conn *c = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(c);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	midi_packet p = {now + 20000000ull, midi_ump_make(0x20903c64u, 0, 0, 0)};
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	assert_int_equal(midi_flush(c, 5000, &e), 0);

	char path[600];
	snprintf(path, sizeof path, "%s/sched", rtdir);
	truncate_file(path);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	p.time_ns = now + 20000000ull;
	int r = midi_send(c, &p, 1, &e);
	if (r == 0)
		r = midi_flush(c, 5000, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "sched"));
	assert_non_null(strstr(e.msg, "truncated by another process"));
	midi_close(c);

	/* A new connection gets a rebuilt scheduler file. */
	c = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(c);
	midi_conn *rx = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(rx);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	p.time_ns = now + 20000000ull;
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	midi_packet got[4];
	assert_int_equal(midi_recv(rx, got, 4, 5000, &e), 1);
	midi_close(rx);
	midi_close(c);
}

/* ---- garbage close flag and reason ---- */

static const char garbage_reason[] = "\x1b[31mEVIL\x01\xfe\xff reason bytes";

static void scribble_closed(const char *id, uint32_t closed, const char *reason, size_t len)
{
	char path[600];
	seg_path(id, path, sizeof path);
	size_t size;
	struct seg_hdr *h = map_file(path, &size);
	memset(h->reason, 'Z', sizeof h->reason); /* no terminating NUL unless given */
	memcpy(h->reason, reason, len);
	__atomic_store_n(&h->closed, closed, __ATOMIC_SEQ_CST);
	munmap(h, size);
}

static void test_closed_garbage(void **state)
{
	(void)state;
	midi_error e;
	midi_packet p = pkt(0x20903c64u), got[4];

	/* closed set to garbage */
	midi_conn *mon = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(mon);
	midi_conn *snd = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(snd);
	scribble_closed("diag:loopback-b", 0x5a5a1234u, garbage_reason, sizeof garbage_reason - 1);
	int r = midi_recv(mon, got, 4, 500, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_printable(e.msg);
	assert_non_null(strstr(e.msg, "diag:loopback-b"));
	assert_non_null(strstr(e.msg, "was corrupted"));
	assert_null(strstr(e.msg, "EVIL"));
	r = midi_send(snd, &p, 1, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_printable(e.msg);
	assert_non_null(strstr(e.msg, "was corrupted"));
	midi_close(snd);
	midi_close(mon);

	/* closed == 1 with clean text, but nobody removed it: the registry
	 * still lists the segment. */
	mon = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(mon);
	static const char grue[] = "was eaten by a grue";
	scribble_closed("diag:loopback-b", 1, grue, sizeof grue);
	r = midi_recv(mon, got, 4, 500, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "was corrupted"));
	assert_null(strstr(e.msg, "grue"));
	midi_close(mon);

	/* closed == 1, garbage reason, still listed: the same, even when
	 * reconnecting (a broken file is not a removal to wait out). */
	mon = midi_open("diag:loopback-b", MIDI_OPEN_RECONNECT, &e);
	assert_non_null(mon);
	scribble_closed("diag:loopback-b", 1, garbage_reason, sizeof garbage_reason - 1);
	r = midi_recv(mon, got, 4, 500, &e);
	assert_int_equal(r, -MIDI_ERR_RUNTIME);
	assert_printable(e.msg);
	assert_non_null(strstr(e.msg, "was corrupted"));
	midi_close(mon);

	/* A real removal still reports the remover's reason. */
	assert_int_equal(midi_loop_create("t", &e), 0);
	mon = midi_open("loop:t-b", 0, &e);
	assert_non_null(mon);
	assert_int_equal(midi_loop_remove("t", &e), 0);
	r = midi_recv(mon, got, 4, 500, &e);
	assert_int_equal(r, -MIDI_ERR_CLOSED);
	assert_string_equal(e.msg, "endpoint loop:t-b was removed");
	midi_close(mon);

	assert_loopback_works();
}

/* transport_lost (what a transport lost on the way, counted by every
 * reader) scribbled over: below the value a reader started from, or far
 * above any real loss, it is garbage and counts nothing; a believable
 * increase is still loss. */
static void set_transport_lost(const char *id, uint64_t v, int add)
{
	char path[600];
	seg_path(id, path, sizeof path);
	size_t size;
	struct seg_hdr *h = map_file(path, &size);
	if (add)
		__atomic_add_fetch(&h->transport_lost, v, __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&h->transport_lost, v, __ATOMIC_SEQ_CST);
	munmap(h, size);
}

static void test_transport_lost_garbage(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *mon = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(mon);
	set_transport_lost("diag:loopback-b", 0x7563a2b1c9d8e7f6ull, 0);
	assert_int_equal(midi_conn_lost(mon), 0);
	midi_close(mon);
	mon = midi_open("diag:loopback-b", 0, &e); /* starts from the garbage */
	assert_non_null(mon);
	set_transport_lost("diag:loopback-b", 5, 0); /* went back */
	assert_int_equal(midi_conn_lost(mon), 0);
	midi_close(mon);
	mon = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(mon);
	set_transport_lost("diag:loopback-b", 7, 1);
	assert_int_equal(midi_conn_lost(mon), 7);
	midi_close(mon);
	assert_loopback_works();
}

/* ---- another build's segment format ---- */

static void test_other_segment_format(void **state)
{
	(void)state;
	midi_error e;
	midi_endpoint_info info;
	assert_int_equal(midi_find("diag:loopback-b", &info, &e), 0);
	char path[600];
	seg_path("diag:loopback-b", path, sizeof path);
	size_t size;
	struct seg_hdr *h = map_file(path, &size);
	h->version = 1; /* as the build before the client table grew made it */
	h->hdr_bytes = 12288;
	midi_conn *c = midi_open("diag:loopback-b", 0, &e);
	assert_null(c);
	assert_int_equal(e.code, MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "format version 1"));
	/* Said so, changed nothing: the same file, still listed. */
	char again[600];
	seg_path("diag:loopback-b", again, sizeof again);
	assert_string_equal(path, again);
	assert_int_equal(h->version, 1);
	h->version = SEG_VERSION;
	h->hdr_bytes = SEG_HDR_BYTES;
	munmap(h, size);
	assert_loopback_works();
}

/* ---- garbage ring head ---- */

static void put_n(struct ring *r, unsigned n)
{
	uint64_t pos = ring_wpos(r);
	for (unsigned k = 0; k < n; k++) {
		midi_ump u = midi_ump_make(0x20903c00u | (k & 0x7f), 0, 0, 0);
		ring_put(r, pos++, &u, 1, 0);
	}
	ring_publish(r, pos);
}

static void test_ring_garbage_head(void **state)
{
	(void)state;
	const uint64_t slots = 64;
	void *mem = calloc(1, ring_bytes(slots));
	assert_non_null(mem);
	ring_init_shared(mem, slots);
	struct ring r;
	ring_attach(&r, mem, slots);
	struct ring_cursor c = {0, 0};
	midi_packet out[256];

	put_n(&r, 10);
	assert_int_equal(ring_read(&r, &c, out, NULL, 256, RING_ALL), 10);
	assert_int_equal(c.lost, 0);

	/* A scribbled head far ahead: no loss counted, resynchronised. */
	__atomic_store_n(&r.sh->head, 0x7563a2b1c9d8e7f6ull, __ATOMIC_SEQ_CST);
	assert_int_equal(ring_read(&r, &c, out, NULL, 256, RING_ALL), 0);
	assert_int_equal(c.lost, 0);
	/* Writers go on from there, and the reader with them. */
	put_n(&r, 3);
	assert_int_equal(ring_read(&r, &c, out, NULL, 256, RING_ALL), 3);
	assert_int_equal(c.lost, 0);

	/* 2^41 ahead: implausible too. */
	__atomic_store_n(&r.sh->head, c.pos + (1ull << 41), __ATOMIC_SEQ_CST);
	assert_int_equal(ring_read(&r, &c, out, NULL, 256, RING_ALL), 0);
	assert_int_equal(c.lost, 0);

	/* Behind the reader: resynchronised, nothing counted. */
	__atomic_store_n(&r.sh->head, c.pos - 1000, __ATOMIC_SEQ_CST);
	assert_int_equal(ring_read(&r, &c, out, NULL, 256, RING_ALL), 0);
	assert_int_equal(c.lost, 0);
	put_n(&r, 2);
	assert_int_equal(ring_read(&r, &c, out, NULL, 256, RING_ALL), 2);
	assert_int_equal(c.lost, 0);

	/* A real lap is still counted, believably. */
	put_n(&r, 3 * slots);
	size_t got = 0;
	for (int k = 0; k < 10; k++)
		got += ring_read(&r, &c, out, NULL, 256, RING_ALL);
	assert_true(c.lost >= 2 * slots && c.lost <= 3 * slots);
	assert_int_equal(got + c.lost, 3 * slots);
	free(mem);
}

/* ---- the client table ---- */

#define KIDS 3
#define PER_KID 100

static int client_kid(int ready, int go)
{
	alarm(60);
	midi_error e;
	static midi_conn *c[PER_KID];
	for (int k = 0; k < PER_KID; k++) {
		c[k] = midi_open("diag:loopback-b", 0, &e);
		if (!c[k])
			return 10;
	}
	(void)!write(ready, "r", 1);
	char x;
	(void)!read(go, &x, 1);
	for (int k = 0; k < PER_KID; k++)
		midi_close(c[k]);
	return 0;
}

static void test_many_clients(void **state)
{
	(void)state;
	midi_error e;
	midi_endpoint_info info;
	assert_int_equal(midi_find("diag:loopback-b", &info, &e), 0); /* made once */
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t pids[KIDS];
	for (int k = 0; k < KIDS; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			close(ready[0]);
			close(go[1]);
			_exit(client_kid(ready[1], go[0]));
		}
	}
	close(ready[1]);
	close(go[0]);
	char x;
	for (int k = 0; k < KIDS; k++)
		assert_int_equal(read(ready[0], &x, 1), 1);

	assert_int_equal(midi_find("diag:loopback-b", &info, &e), 0);
	assert_int_equal(info.clients, KIDS * PER_KID);
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	int seen = 0;
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].id, "diag:loopback-b") == 0) {
			assert_int_equal(v[k].clients, KIDS * PER_KID);
			seen = 1;
		}
	free(v);
	assert_true(seen);
	/* One more, in this process, sees them all too. */
	midi_conn *c = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(c);
	assert_int_equal(midi_conn_info(c)->clients, KIDS * PER_KID + 1);
	midi_close(c);

	close(go[1]); /* let them go */
	for (int k = 0; k < KIDS; k++)
		test_wait_ok(pids[k], "client process");
	close(ready[0]);
	assert_int_equal(midi_find("diag:loopback-b", &info, &e), 0);
	assert_int_equal(info.clients, 0);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strncmp(argv[1], "chain-", 6) == 0)
		return chain_child(argv[1]);
	self_path = argv[0];
	if (argc == 2)
		cmocka_set_test_filter(argv[1]); /* one test by name (pattern) */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_guard_chains, fresh_runtime),
		cmocka_unit_test_setup(test_guard_basic, fresh_runtime),
		cmocka_unit_test_setup(test_ring_garbage_head, fresh_runtime),
		cmocka_unit_test_setup(test_other_segment_format, fresh_runtime),
		cmocka_unit_test_setup(test_closed_garbage, fresh_runtime),
		cmocka_unit_test_setup(test_transport_lost_garbage, fresh_runtime),
		cmocka_unit_test_setup(test_truncated_segment, fresh_runtime),
		cmocka_unit_test_setup(test_truncated_segment_hosted, fresh_runtime),
		cmocka_unit_test_setup(test_truncated_registry, fresh_runtime),
		cmocka_unit_test_setup(test_truncated_sched, fresh_runtime),
		cmocka_unit_test_setup(test_many_clients, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
