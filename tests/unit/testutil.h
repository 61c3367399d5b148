/* testutil.h: shared helpers for the cmocka unit tests (includes cmocka):
 * a fresh runtime directory per test, and waiting for a forked child. */
#ifndef MIDI_TESTUTIL_H
#define MIDI_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <cmocka.h>

/* A fresh runtime directory /tmp/midi-test-TAG.XXXXXX (its path into dir)
 * as MIDI_RUNTIME_DIR, and MIDI_CONFIG naming dir/CONF_NAME, so the tests
 * never see each other nor the user's own configuration. */
static inline void test_fresh_runtime(char *dir, size_t n, const char *tag, const char *conf_name)
{
	snprintf(dir, n, "/tmp/midi-test-%s.XXXXXX", tag);
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

#endif
