/* test_watch.c: the endpoint watcher (midi/watch.h): the enumeration,
 * added/removed for loopbacks, added then updated (with the declared
 * properties) for a virtual device, removed promptly after its host is
 * SIGKILLed, updated after a configuration edit with no other tool
 * running, diagnostic endpoints only with MIDI_WATCH_ALL, a watcher not
 * read while 1000 loopbacks come and go (log overflow) still ending with
 * the right set, removal reasons (garbled ones dropped), a registry
 * scribbled over, the pollable descriptor, stop from a signal handler,
 * and the names. Fresh MIDI_RUNTIME_DIR each. */
#include "testutil.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "midi/discovery.h"
#include "midi/endpoint.h"
#include "midi/virt.h"
#include "midi/watch.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "watch", "midi.conf");
	unsetenv("MIDI_DISCOVERY_TIMEOUT_MS");
	unsetenv("MIDI_RING_SLOTS");
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The next event, which must come within 5 s. */
static midi_watch_event next(midi_watcher *w)
{
	midi_watch_event ev;
	midi_error e;
	int r = midi_watch_next(w, &ev, 5000, &e);
	if (r != 1)
		fail_msg("expected an event, got %d (%s)", r, r < 0 ? e.msg : "timeout");
	return ev;
}

static void expect(midi_watcher *w, int kind, const char *id)
{
	midi_watch_event ev = next(w);
	if (ev.kind != kind || (id && strcmp(ev.info.id, id) != 0))
		fail_msg("expected %s %s, got %s %s", midi_watch_kind_name(kind), id ? id : "",
			 midi_watch_kind_name(ev.kind), ev.info.id);
}

static void nothing_more(midi_watcher *w)
{
	midi_watch_event ev;
	midi_error e;
	int r = midi_watch_next(w, &ev, 100, &e);
	if (r != 0)
		fail_msg("expected no event, got %s %s", midi_watch_kind_name(ev.kind), ev.info.id);
}

/* Pair NAME made, then a watcher opened that has reported it and
 * "enumerated". */
static midi_watcher *watch_pair(const char *name)
{
	midi_error e;
	char a[MIDI_ID_MAX], b[MIDI_ID_MAX];
	assert_int_equal(midi_loop_create(name, &e), 0);
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	snprintf(a, sizeof a, "loop:%s-a", name);
	snprintf(b, sizeof b, "loop:%s-b", name);
	expect(w, MIDI_WATCH_ADDED, a);
	expect(w, MIDI_WATCH_ADDED, b);
	expect(w, MIDI_WATCH_ENUMERATED, NULL);
	return w;
}

static void test_enumeration_and_loops(void **state)
{
	(void)state;
	midi_error e;
	assert_int_equal(midi_loop_create("first", &e), 0);
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	expect(w, MIDI_WATCH_ADDED, "loop:first-a");
	expect(w, MIDI_WATCH_ADDED, "loop:first-b");
	expect(w, MIDI_WATCH_ENUMERATED, NULL);
	nothing_more(w);
	assert_int_equal(midi_loop_create("x", &e), 0);
	midi_watch_event ev = next(w);
	assert_int_equal(ev.kind, MIDI_WATCH_ADDED);
	assert_string_equal(ev.info.id, "loop:x-a");
	assert_string_equal(ev.info.name, "Loopback x A");
	assert_string_equal(ev.info.transport, "loop");
	assert_string_equal(ev.reason, ""); /* only removals carry one */
	expect(w, MIDI_WATCH_ADDED, "loop:x-b");
	assert_int_equal(midi_loop_remove("x", &e), 0);
	ev = next(w);
	assert_int_equal(ev.kind, MIDI_WATCH_REMOVED);
	assert_string_equal(ev.info.id, "loop:x-a");
	assert_string_equal(ev.info.name, "Loopback x A"); /* as last seen */
	assert_string_equal(ev.reason, "was removed");     /* what its clients were told */
	ev = next(w);
	assert_int_equal(ev.kind, MIDI_WATCH_REMOVED);
	assert_string_equal(ev.info.id, "loop:x-b");
	assert_string_equal(ev.reason, "was removed");
	nothing_more(w);
	midi_watch_close(w);

	/* Diagnostic endpoints only with MIDI_WATCH_ALL. */
	w = midi_watch_open(MIDI_WATCH_ALL, &e);
	assert_non_null(w);
	expect(w, MIDI_WATCH_ADDED, "diag:loopback-a");
	expect(w, MIDI_WATCH_ADDED, "diag:loopback-b");
	expect(w, MIDI_WATCH_ADDED, "diag:ping");
	expect(w, MIDI_WATCH_ADDED, "loop:first-a");
	expect(w, MIDI_WATCH_ADDED, "loop:first-b");
	expect(w, MIDI_WATCH_ENUMERATED, NULL);
	midi_watch_close(w);
}

static void test_fd_and_stop(void **state)
{
	(void)state;
	midi_error e;
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	int fd = midi_watch_fd(w, &e);
	assert_true(fd >= 0);
	assert_int_equal(midi_watch_fd(NULL, &e), -MIDI_ERR_INPUT);
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 1000), 1); /* "enumerated" waits */
	expect(w, MIDI_WATCH_ENUMERATED, NULL);
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(midi_loop_create("p", &e), 0);
	assert_int_equal(poll(&p, 1, 2000), 1);
	expect(w, MIDI_WATCH_ADDED, "loop:p-a");
	assert_int_equal(poll(&p, 1, 0), 1); /* the second is still waiting */
	expect(w, MIDI_WATCH_ADDED, "loop:p-b");
	midi_watch_event ev;
	assert_int_equal(midi_watch_next(w, &ev, 0, &e), 0);
	assert_int_equal(poll(&p, 1, 0), 0);
	midi_watch_stop(w);
	assert_int_equal(poll(&p, 1, 0), 1);
	expect(w, MIDI_WATCH_STOPPED, NULL);
	assert_int_equal(midi_watch_next(w, &ev, 1000, &e), -MIDI_ERR_CLOSED);
	midi_watch_close(w);
}

static midi_watcher *sig_watcher;

static void on_alarm(int sig)
{
	(void)sig;
	midi_watch_stop(sig_watcher);
}

static void test_stop_from_signal_handler(void **state)
{
	(void)state;
	midi_error e;
	sig_watcher = midi_watch_open(0, &e);
	assert_non_null(sig_watcher);
	expect(sig_watcher, MIDI_WATCH_ENUMERATED, NULL);
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	uint64_t t0 = now_ms();
	midi_watch_event ev;
	assert_int_equal(midi_watch_next(sig_watcher, &ev, -1, &e), 1);
	assert_int_equal(ev.kind, MIDI_WATCH_STOPPED);
	assert_true(now_ms() - t0 < 2000);
	signal(SIGALRM, SIG_DFL);
	midi_watch_close(sig_watcher);
}

static pid_t start_host(const char *name, const midi_device_decl *d)
{
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		midi_error e;
		midi_virt *v = midi_virt_open(name, d, &e);
		if (!v)
			_exit(1);
		(void)!write(ready[1], "x", 1);
		midi_packet buf[16];
		for (;;)
			midi_virt_recv(v, buf, 16, -1, &e);
	}
	char ch;
	assert_int_equal(read(ready[0], &ch, 1), 1);
	close(ready[0]);
	close(ready[1]);
	return pid;
}

static void test_virtual_added_updated_removed(void **state)
{
	(void)state;
	midi_error e;
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	expect(w, MIDI_WATCH_ENUMERATED, NULL);
	midi_device_decl d;
	midi_device_decl_init(&d, "My Synth");
	snprintf(d.product_instance_id, sizeof d.product_instance_id, "SN-1");
	pid_t pid = start_host("synth", &d);
	midi_watch_event ev = next(w);
	assert_int_equal(ev.kind, MIDI_WATCH_ADDED);
	assert_string_equal(ev.info.id, "virt:synth");
	assert_int_equal(ev.info.purpose, MIDI_PURPOSE_VIRTUAL);
	ev = next(w);
	assert_int_equal(ev.kind, MIDI_WATCH_UPDATED);
	assert_string_equal(ev.info.id, "virt:synth");
	assert_true(ev.changed & MIDI_PROP_DISCOVERY);
	assert_true(ev.changed & MIDI_PROP_NAME);
	assert_true(ev.changed & MIDI_PROP_UMP_NAME);
	assert_true(ev.changed & MIDI_PROP_PIID);
	assert_true(ev.changed & MIDI_PROP_FUNCTION_BLOCKS);
	assert_int_equal(ev.info.discovery, MIDI_DISCOVERY_DONE);
	assert_string_equal(ev.info.name, "My Synth");
	assert_string_equal(ev.info.product_instance_id, "SN-1");
	assert_int_equal(ev.info.num_function_blocks, 1);
	assert_string_equal(ev.info.fb[0].name, "My Synth");
	nothing_more(w);

	/* SIGKILL: removed promptly, with no other tool looking. */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	uint64_t t0 = now_ms();
	ev = next(w);
	uint64_t took = now_ms() - t0;
	assert_int_equal(ev.kind, MIDI_WATCH_REMOVED);
	assert_string_equal(ev.info.id, "virt:synth");
	assert_string_equal(ev.info.name, "My Synth");
	assert_string_equal(ev.reason, "is gone: virtual device host exited");
	if (took > 400)
		fail_msg("removal noticed after %llu ms", (unsigned long long)took);
	midi_endpoint_info info;
	assert_int_equal(midi_find("virt:synth", &info, &e), -MIDI_ERR_NOTFOUND);
	midi_watch_close(w);
}

static void write_conf(const char *text)
{
	char path[300];
	snprintf(path, sizeof path, "%s/midi.conf.tmp", rtdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	char final[300];
	snprintf(final, sizeof final, "%s/midi.conf", rtdir);
	assert_int_equal(rename(path, final), 0);
}

static void test_config_edit_updates(void **state)
{
	(void)state;
	midi_error e;
	assert_int_equal(midi_loop_create("studio", &e), 0);
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	expect(w, MIDI_WATCH_ADDED, "loop:studio-a");
	expect(w, MIDI_WATCH_ADDED, "loop:studio-b");
	expect(w, MIDI_WATCH_ENUMERATED, NULL);
	write_conf("[endpoint loop:studio-a]\nname = Desk\n");
	midi_watch_event ev = next(w);
	assert_int_equal(ev.kind, MIDI_WATCH_UPDATED);
	assert_string_equal(ev.info.id, "loop:studio-a");
	assert_int_equal(ev.changed, MIDI_PROP_USER | MIDI_PROP_NAME);
	assert_string_equal(ev.info.name, "Desk");
	assert_string_equal(ev.info.user_name, "Desk");
	char names[100];
	assert_string_equal(midi_prop_names(ev.changed, names, sizeof names), "name,user");
	nothing_more(w);
	/* A description only: the user bit alone. */
	write_conf("[endpoint loop:studio-a]\nname = Desk\ndescription = left\n");
	ev = next(w);
	assert_int_equal(ev.changed, MIDI_PROP_USER);
	assert_string_equal(ev.info.description, "left");
	/* Removing the name gives the transport's name back. */
	write_conf("# nothing\n");
	ev = next(w);
	assert_int_equal(ev.changed, MIDI_PROP_USER | MIDI_PROP_NAME);
	assert_string_equal(ev.info.name, "Loopback studio A");
	/* A persistent pair declared in the file appears. */
	write_conf("[loop keep]\n");
	expect(w, MIDI_WATCH_ADDED, "loop:keep-a");
	expect(w, MIDI_WATCH_ADDED, "loop:keep-b");
	midi_watch_close(w);
}

/* Apply events to a set of ids, checking each is consistent with it. */
struct idset {
	char ids[64][MIDI_ID_MAX];
	int n;
};

static int set_find(struct idset *s, const char *id)
{
	for (int k = 0; k < s->n; k++)
		if (strcmp(s->ids[k], id) == 0)
			return k;
	return -1;
}

static void drain_into(midi_watcher *w, struct idset *s)
{
	midi_watch_event ev;
	midi_error e;
	int r;
	while ((r = midi_watch_next(w, &ev, 300, &e)) == 1) {
		int k = set_find(s, ev.info.id);
		if (ev.kind == MIDI_WATCH_ADDED) {
			if (k >= 0)
				fail_msg("added %s twice", ev.info.id);
			assert_true(s->n < 64);
			snprintf(s->ids[s->n++], MIDI_ID_MAX, "%s", ev.info.id);
		} else if (ev.kind == MIDI_WATCH_REMOVED) {
			if (k < 0)
				fail_msg("removed %s which was not there", ev.info.id);
			memcpy(s->ids[k], s->ids[--s->n], MIDI_ID_MAX);
		} else if (ev.kind == MIDI_WATCH_UPDATED) {
			assert_true(k >= 0);
		}
	}
	assert_int_equal(r, 0);
}

static void check_set_is_listed(struct idset *s)
{
	midi_endpoint_info *v;
	size_t n;
	midi_error e;
	assert_int_equal(midi_list(&v, &n, 0, &e), 0);
	assert_int_equal((size_t)s->n, n);
	for (size_t k = 0; k < n; k++)
		if (set_find(s, v[k].id) < 0)
			fail_msg("%s is listed but the watcher does not have it", v[k].id);
	free(v);
}

static void test_overflow_resync(void **state)
{
	(void)state;
	setenv("MIDI_RING_SLOTS", "64", 1); /* small segments: quick */
	midi_error e;
	assert_int_equal(midi_loop_create("old", &e), 0);
	assert_int_equal(midi_loop_create("renamed", &e), 0);
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	struct idset s = {.n = 0};
	drain_into(w, &s);
	assert_int_equal(s.n, 4);
	/* Not read meanwhile: 4000 events, the log holds 256. */
	char name[16];
	for (int k = 0; k < 1000; k++) {
		snprintf(name, sizeof name, "l%d", k);
		assert_int_equal(midi_loop_create(name, &e), 0);
		assert_int_equal(midi_loop_remove(name, &e), 0);
	}
	assert_int_equal(midi_loop_remove("old", &e), 0);
	assert_int_equal(midi_loop_create("new", &e), 0);
	assert_int_equal(midi_loop_remove("renamed", &e), 0);
	assert_int_equal(midi_loop_create("renamed", &e), 0); /* a new incarnation */
	drain_into(w, &s);
	check_set_is_listed(&s);
	assert_true(set_find(&s, "loop:new-a") >= 0);
	assert_true(set_find(&s, "loop:old-a") < 0);
	midi_watch_close(w);
}

static void test_new_incarnation_is_removed_then_added(void **state)
{
	(void)state;
	midi_error e;
	midi_watcher *w = watch_pair("r");
	/* Both happen before the watcher looks: still reported in order. */
	assert_int_equal(midi_loop_remove("r", &e), 0);
	assert_int_equal(midi_loop_create("r", &e), 0);
	expect(w, MIDI_WATCH_REMOVED, "loop:r-a");
	expect(w, MIDI_WATCH_REMOVED, "loop:r-b");
	expect(w, MIDI_WATCH_ADDED, "loop:r-a");
	expect(w, MIDI_WATCH_ADDED, "loop:r-b");
	nothing_more(w);
	midi_watch_close(w);
}

/* Replace every byte c of every occurrence of text in the file by r. */
static int file_mangle(const char *path, const char *text, char c, char r)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f), len = strlen(text);
	int hits = 0;
	for (size_t k = 0; k + len <= n; k++) {
		if (memcmp(buf + k, text, len) != 0)
			continue;
		for (size_t j = 0; j < len; j++)
			if (buf[k + j] == c) {
				fseek(f, (long)(k + j), SEEK_SET);
				fputc(r, f);
			}
		hits++;
	}
	fclose(f);
	return hits;
}

/* A removal's reason read from the shared log is untrusted: text with a
 * control character in it is not passed on (no reason rather than raw
 * bytes on a terminal). */
static void test_garbled_reason_dropped(void **state)
{
	(void)state;
	midi_error e;
	midi_watcher *w = watch_pair("g");
	assert_int_equal(midi_loop_remove("g", &e), 0);
	char path[300];
	snprintf(path, sizeof path, "%s/registry", rtdir);
	/* The two events' reasons, before the watcher reads them. */
	assert_int_equal(file_mangle(path, "was removed", ' ', '\033'), 2);
	midi_watch_event ev = next(w);
	assert_int_equal(ev.kind, MIDI_WATCH_REMOVED);
	assert_string_equal(ev.info.id, "loop:g-a");
	assert_string_equal(ev.reason, "");
	ev = next(w);
	assert_int_equal(ev.kind, MIDI_WATCH_REMOVED);
	assert_string_equal(ev.reason, "");
	midi_watch_close(w);
}

static void test_registry_scribbled(void **state)
{
	(void)state;
	midi_error e;
	assert_int_equal(midi_loop_create("a", &e), 0);
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	struct idset s = {.n = 0};
	drain_into(w, &s);
	char path[300];
	snprintf(path, sizeof path, "%s/registry", rtdir);
	FILE *f = fopen(path, "r+");
	assert_non_null(f);
	srand(7);
	for (int round = 0; round < 20; round++) {
		/* Garbage over the header, slots and log, then someone looks. */
		long off = (long)(rand() % 400000);
		fseek(f, off, SEEK_SET);
		for (int k = 0; k < 512; k++)
			fputc(rand() & 0xFF, f);
		fflush(f);
		midi_endpoint_info *v;
		size_t n;
		midi_list(&v, &n, 0, &e);
		free(v);
		midi_watch_event ev;
		for (int k = 0; k < 200 && midi_watch_next(w, &ev, 0, &e) == 1; k++)
			;
	}
	fclose(f);
	/* Garbage in the magic: rebuilt by the next look. */
	f = fopen(path, "r+");
	fputs("GARBAGE!", f);
	fclose(f);
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, 0, &e), 0);
	free(v);
	assert_int_equal(midi_loop_create("after", &e), 0);
	s.n = 0;
	/* Whatever happened, the watcher ends with the listed set. */
	midi_watch_event ev;
	int r;
	while ((r = midi_watch_next(w, &ev, 300, &e)) == 1) {
		int k = set_find(&s, ev.info.id);
		if (ev.kind == MIDI_WATCH_ADDED && k < 0)
			snprintf(s.ids[s.n++], MIDI_ID_MAX, "%s", ev.info.id);
		else if (ev.kind == MIDI_WATCH_REMOVED && k >= 0)
			memcpy(s.ids[k], s.ids[--s.n], MIDI_ID_MAX);
	}
	assert_int_equal(r, 0);
	midi_watch_close(w);
	w = midi_watch_open(0, &e);
	assert_non_null(w);
	struct idset fresh = {.n = 0};
	drain_into(w, &fresh);
	check_set_is_listed(&fresh);
	midi_watch_close(w);
}

static void test_names(void **state)
{
	(void)state;
	char buf[200];
	assert_string_equal(midi_watch_kind_name(MIDI_WATCH_ADDED), "added");
	assert_string_equal(midi_watch_kind_name(MIDI_WATCH_REMOVED), "removed");
	assert_string_equal(midi_watch_kind_name(MIDI_WATCH_UPDATED), "updated");
	assert_string_equal(midi_watch_kind_name(MIDI_WATCH_ENUMERATED), "enumerated");
	assert_string_equal(midi_watch_kind_name(MIDI_WATCH_STOPPED), "stopped");
	assert_string_equal(midi_watch_kind_name(99), "unknown");
	assert_string_equal(midi_prop_names(0, buf, sizeof buf), "");
	assert_string_equal(midi_prop_names(MIDI_PROP_NAME | MIDI_PROP_FUNCTION_BLOCKS, buf,
					    sizeof buf), "name,function_blocks");
	assert_string_equal(midi_prop_names(0xFFFFFFFF, buf, sizeof buf),
			    "name,ump_name,product_instance_id,info,identity,protocol,"
			    "function_blocks,clients,user,discovery,persistent");
	/* Cut at a whole name when the buffer is small. */
	assert_string_equal(midi_prop_names(MIDI_PROP_NAME | MIDI_PROP_UMP_NAME, buf, 10), "name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_enumeration_and_loops, fresh_runtime),
		cmocka_unit_test_setup(test_fd_and_stop, fresh_runtime),
		cmocka_unit_test_setup(test_stop_from_signal_handler, fresh_runtime),
		cmocka_unit_test_setup(test_virtual_added_updated_removed, fresh_runtime),
		cmocka_unit_test_setup(test_config_edit_updates, fresh_runtime),
		cmocka_unit_test_setup(test_overflow_resync, fresh_runtime),
		cmocka_unit_test_setup(test_new_incarnation_is_removed_then_added, fresh_runtime),
		cmocka_unit_test_setup(test_garbled_reason_dropped, fresh_runtime),
		cmocka_unit_test_setup(test_registry_scribbled, fresh_runtime),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
