/* test_reconnect.c: endpoint life and MIDI_OPEN_RECONNECT. Removal closes
 * connections with the reason; a reconnecting receiver waits (returning 0
 * on timeout), re-attaches to the new incarnation of a virtual device
 * restarted after SIGKILL and reads from its very first message (nothing
 * missed, nothing repeated), across several restarts; its descriptor gets
 * readable when the endpoint comes back; a reconnecting sender gets
 * -MIDI_ERR_CLOSED while the endpoint is away and sends to the new one
 * once it is back; loopback pairs removed and created again; midi_close
 * while waiting. Fresh MIDI_RUNTIME_DIR each. */
#include "testutil.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "midi/endpoint.h"
#include "midi/virt.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "reconnect", "none.conf");
	setenv("MIDI_DISCOVERY_TIMEOUT_MS", "200", 1);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A host process for virt:NAME: sends notes first..first+count-1 as soon
 * as it exists (before anyone re-attached), then whenever it reads a byte
 * on `go`, sends the next note; serves discovery meanwhile. */
struct host {
	pid_t pid;
	int go;
};

static struct host start_host(const char *name, int first, int count)
{
	int ready[2], go[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		midi_error e;
		midi_virt *v = midi_virt_open(name, NULL, &e);
		if (!v)
			_exit(1);
		int note = first;
		for (int k = 0; k < count; k++, note++) {
			midi_packet p = {0, midi_ump_m1_note_on(0, 0, (unsigned)note % 128,
							       (unsigned)note / 128 + 1)};
			if (midi_virt_send(v, &p, 1, &e) < 0)
				_exit(1);
		}
		(void)!write(ready[1], "x", 1);
		int fd = midi_virt_fd(v, &e);
		for (;;) {
			struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = go[0], .events = POLLIN}};
			poll(pf, 2, -1);
			midi_packet buf[16];
			midi_virt_recv(v, buf, 16, 0, &e);
			char ch;
			if ((pf[1].revents & POLLIN) && read(go[0], &ch, 1) == 1) {
				midi_packet p = {0, midi_ump_m1_note_on(0, 0, (unsigned)note % 128,
								       (unsigned)note / 128 + 1)};
				midi_virt_send(v, &p, 1, &e);
				note++;
			}
		}
	}
	close(go[0]);
	close(ready[1]);
	char ch;
	assert_int_equal(read(ready[0], &ch, 1), 1);
	close(ready[0]);
	struct host h = {pid, go[1]};
	return h;
}

static void kill_host(struct host *h)
{
	kill(h->pid, SIGKILL);
	waitpid(h->pid, NULL, 0);
	close(h->go);
}

static int note_of(const midi_packet *p)
{
	unsigned w = p->ump.w[0];
	return (int)(((w & 0x7F) - 1) * 128 + ((w >> 8) & 0x7F));
}

/* Receive exactly count notes from first on, then nothing more. */
static void expect_notes(midi_conn *c, int first, int count)
{
	midi_error e;
	midi_packet buf[64];
	int got = 0;
	uint64_t end = now_ms() + 10000;
	while (got < count) {
		assert_true(now_ms() < end);
		int n = midi_recv(c, buf, 64, 500, &e);
		if (n < 0)
			fail_msg("midi_recv: %s", e.msg);
		for (int k = 0; k < n; k++, got++) {
			if (note_of(&buf[k]) != first + got)
				fail_msg("expected note %d, got %d", first + got, note_of(&buf[k]));
		}
	}
	assert_int_equal(midi_recv(c, buf, 64, 50, &e), 0);
	assert_int_equal(midi_conn_lost(c), 0);
}

static void test_receiver_across_virt_restarts(void **state)
{
	(void)state;
	midi_error e;
	struct host h = start_host("dev", 0, 0);
	midi_conn *c = midi_open("virt:dev", MIDI_OPEN_RECONNECT, &e);
	assert_non_null(c);
	uint64_t inc1 = midi_conn_incarnation(c);
	assert_true(inc1 != 0);
	for (int k = 0; k < 10; k++)
		assert_int_equal(write(h.go, "x", 1), 1);
	expect_notes(c, 0, 10);
	for (int round = 1; round <= 3; round++) {
		kill_host(&h);
		/* Gone: the reconnecting receiver waits, it does not fail. */
		midi_packet buf[4];
		assert_int_equal(midi_recv(c, buf, 4, 300, &e), 0);
		assert_int_equal(midi_conn_incarnation(c), 0);
		midi_endpoint_info info;
		assert_int_equal(midi_find("virt:dev", &info, &e), -MIDI_ERR_NOTFOUND);
		/* The new host sends 100 notes before the receiver looks again. */
		h = start_host("dev", round * 1000, 100);
		expect_notes(c, round * 1000, 100);
		assert_int_equal(midi_conn_reconnects(c), (uint64_t)round);
		uint64_t inc = midi_conn_incarnation(c);
		assert_true(inc != 0 && inc != inc1);
		inc1 = inc;
		assert_int_equal(midi_find("virt:dev", &info, &e), 0);
		assert_int_equal(info.clients, 1);
		/* And what comes later, too. */
		assert_int_equal(write(h.go, "x", 1), 1);
		expect_notes(c, round * 1000 + 100, 1);
	}
	kill_host(&h);
	midi_close(c); /* while detached */
}

static void test_descriptor_wakes_on_return(void **state)
{
	(void)state;
	midi_error e;
	struct host h = start_host("fdv", 0, 0);
	midi_conn *c = midi_open("virt:fdv", MIDI_OPEN_RECONNECT, &e);
	assert_non_null(c);
	int fd = midi_conn_fd(c, &e);
	assert_true(fd >= 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 0), 0);
	kill_host(&h);
	/* Readable: the endpoint went (recv notices and detaches). */
	assert_int_equal(poll(&p, 1, 2000), 1);
	midi_packet buf[16];
	assert_int_equal(midi_recv(c, buf, 16, 0, &e), 0);
	/* Quiet while away (no busy loop). */
	uint64_t t0 = now_ms();
	int wakes = 0;
	while (now_ms() - t0 < 300) {
		if (poll(&p, 1, 50) == 1) {
			wakes++;
			midi_recv(c, buf, 16, 0, &e);
		}
	}
	assert_true(wakes <= 3);
	h = start_host("fdv", 7, 3);
	assert_int_equal(poll(&p, 1, 3000), 1);
	int got = 0;
	uint64_t end = now_ms() + 3000;
	while (got < 3 && now_ms() < end) {
		if (poll(&p, 1, 500) != 1)
			continue;
		int n = midi_recv(c, buf, 16, 0, &e);
		assert_true(n >= 0);
		for (int k = 0; k < n; k++, got++)
			assert_int_equal(note_of(&buf[k]), 7 + got);
	}
	assert_int_equal(got, 3);
	kill_host(&h);
	midi_close(c);
}

static void test_sender_waits_for_return(void **state)
{
	(void)state;
	midi_error e;
	int go[2];
	assert_int_equal(pipe(go), 0);
	midi_virt *v = midi_virt_open("snd", NULL, &e);
	assert_non_null(v);
	midi_conn *s = midi_open("virt:snd", MIDI_OPEN_SEND_ONLY | MIDI_OPEN_RECONNECT, &e);
	assert_non_null(s);
	midi_ump u = midi_ump_m1_note_on(0, 0, 60, 1);
	assert_int_equal(midi_send_ump(s, &u, &e), 0);
	midi_packet buf[16];
	assert_int_equal(midi_virt_recv(v, buf, 16, 2000, &e), 1);
	midi_virt_close(v);
	/* Away: nothing sent, the reason given, every time. */
	assert_int_equal(midi_send_ump(s, &u, &e), -MIDI_ERR_CLOSED);
	assert_string_equal(e.msg, "endpoint virt:snd is gone: virtual device closed");
	assert_int_equal(midi_send_ump(s, &u, &e), -MIDI_ERR_CLOSED);
	assert_int_equal(midi_flush(s, 100, &e), 0);
	/* Back: the next send goes to the new device, once. */
	v = midi_virt_open("snd", NULL, &e);
	assert_non_null(v);
	u = midi_ump_m1_note_on(0, 0, 61, 1);
	assert_int_equal(midi_send_ump(s, &u, &e), 0);
	assert_int_equal(midi_conn_reconnects(s), 1);
	assert_int_equal(midi_virt_recv(v, buf, 16, 2000, &e), 1);
	assert_int_equal(buf[0].ump.w[0], u.w[0]);
	assert_int_equal(midi_virt_recv(v, buf, 16, 100, &e), 0);
	assert_int_equal(midi_flush(s, 1000, &e), 0);
	midi_close(s);
	midi_virt_close(v);
	close(go[0]);
	close(go[1]);
}

static void test_loop_removed_and_created(void **state)
{
	(void)state;
	midi_error e;
	assert_int_equal(midi_loop_create("pair", &e), 0);
	midi_conn *plain = midi_open("loop:pair-b", 0, &e);
	midi_conn *rc = midi_open("loop:pair-b", MIDI_OPEN_RECONNECT, &e);
	midi_conn *a = midi_open("loop:pair-a", MIDI_OPEN_RECONNECT, &e);
	assert_non_null(plain);
	assert_non_null(rc);
	assert_non_null(a);
	midi_ump u = midi_ump_m1_note_on(0, 0, 1, 1);
	assert_int_equal(midi_send_ump(a, &u, &e), 0);
	expect_notes(rc, 1, 1);
	expect_notes(plain, 1, 1);
	assert_int_equal(midi_loop_remove("pair", &e), 0);
	midi_packet buf[4];
	assert_int_equal(midi_recv(plain, buf, 4, 1000, &e), -MIDI_ERR_CLOSED);
	assert_string_equal(e.msg, "endpoint loop:pair-b was removed");
	assert_int_equal(midi_recv(rc, buf, 4, 100, &e), 0);
	assert_int_equal(midi_send_ump(a, &u, &e), -MIDI_ERR_CLOSED);
	assert_int_equal(midi_loop_create("pair", &e), 0);
	u = midi_ump_m1_note_on(0, 0, 2, 1);
	assert_int_equal(midi_send_ump(a, &u, &e), 0); /* re-attaches, then sends */
	expect_notes(rc, 2, 1);
	midi_close(plain);
	midi_close(rc);
	midi_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_receiver_across_virt_restarts, fresh_runtime),
		cmocka_unit_test_setup(test_descriptor_wakes_on_return, fresh_runtime),
		cmocka_unit_test_setup(test_sender_waits_for_return, fresh_runtime),
		cmocka_unit_test_setup(test_loop_removed_and_created, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
