/* testutil.h: shared helpers for the cmocka unit tests (includes cmocka):
 * a fresh runtime directory per test, waiting for a forked child, the
 * clock, a packet, a number through a pipe, whether a process is gone. */
#ifndef MIDI_TESTUTIL_H
#define MIDI_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "midi/ump.h"

/* Where tests make their directories: $TMPDIR, else /tmp. tests/run.sh
 * points TMPDIR into its log directory, which it removes after the run. */
static inline const char *test_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

/* A fresh runtime directory $TMPDIR/midi-test-TAG.XXXXXX (its path into
 * dir) as MIDI_RUNTIME_DIR, and MIDI_CONFIG naming dir/CONF_NAME, so the
 * tests never see each other nor the user's own configuration. */
static inline void test_fresh_runtime(char *dir, size_t n, const char *tag, const char *conf_name)
{
	int len = snprintf(dir, n, "%s/midi-test-%s.XXXXXX", test_tmpdir(), tag);
	assert_true(len > 0 && (size_t)len < n);
	assert_non_null(mkdtemp(dir));
	setenv("MIDI_RUNTIME_DIR", dir, 1);
	char conf[512];
	snprintf(conf, sizeof conf, "%s/%s", dir, conf_name);
	setenv("MIDI_CONFIG", conf, 1);
}

/* Wait for a forked child and fail unless it exited with status 0. */
static inline void test_wait_ok(pid_t pid, const char *what)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("%s: %s %d", what, WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static inline uint64_t test_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A packet of two words due at t (0: now). */
static inline midi_packet test_pk(uint64_t t, uint32_t w0, uint32_t w1)
{
	midi_packet p = {t, midi_ump_make(w0, w1, 0, 0)};
	return p;
}

/* A number through a pipe (a child that cannot write exits 9). */
static inline void test_put_u64(int fd, uint64_t v)
{
	if (write(fd, &v, sizeof v) != (ssize_t)sizeof v)
		_exit(9);
}

static inline uint64_t test_get_u64(int fd)
{
	uint64_t v = 0;
	assert_int_equal(read(fd, &v, sizeof v), (ssize_t)sizeof v);
	return v;
}

/* A process that is gone, or a zombie nobody reaped yet. */
static inline int test_proc_gone(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	return p && (p[2] == 'Z' || p[2] == 'X');
}

#endif
