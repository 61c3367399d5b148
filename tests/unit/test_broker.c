/* test_broker.c: endpoints, lookup, loopbacks (create/remove/list), the
 * configuration file, removal closing connections, diag:ping hosting (echo
 * only to its sender, take-over after the host is killed), send validation,
 * SysEx holding and the pollable descriptor. Each test uses a fresh
 * MIDI_RUNTIME_DIR. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "midi/endpoint.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "broker", "none.conf");
	return 0;
}

static midi_packet pk(uint32_t w0, uint32_t w1)
{
	midi_packet p = {0, midi_ump_make(w0, w1, 0, 0)};
	return p;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_list_and_find(void **state)
{
	(void)state;
	midi_error e;
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, 0, &e), 0);
	assert_int_equal(n, 0); /* diagnostic endpoints are hidden by default */
	free(v);
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].id, "diag:loopback-a");
	assert_string_equal(v[1].id, "diag:loopback-b");
	assert_string_equal(v[2].id, "diag:ping");
	assert_int_equal(v[2].purpose, MIDI_PURPOSE_DIAGNOSTIC);
	free(v);

	midi_endpoint_info info;
	assert_int_equal(midi_find("diag:ping", &info, &e), 0);
	assert_string_equal(info.id, "diag:ping");
	assert_int_equal(midi_find("PING", &info, &e), 0);
	assert_string_equal(info.id, "diag:ping");
	assert_int_equal(midi_find("loopback", &info, &e), -MIDI_ERR_NOTFOUND);
	assert_string_equal(e.msg,
			    "ambiguous endpoint \"loopback\": matches diag:loopback-a, diag:loopback-b");
	assert_int_equal(midi_find("nothing", &info, &e), -MIDI_ERR_NOTFOUND);
	assert_string_equal(e.msg, "no endpoint matches \"nothing\"");
	assert_null(midi_open("nothing", 0, &e));
	assert_int_equal(e.code, MIDI_ERR_NOTFOUND);
}

static void test_loopback_crosses(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	midi_packet p = pk(0x20903c7f, 0), r[4];
	/* Nothing sent before open is delivered; A does not hear itself. */
	assert_int_equal(midi_send(a, &p, 1, &e), 0);
	assert_int_equal(midi_recv(a, r, 4, 0, &e), 0);
	assert_int_equal(midi_recv(b, r, 4, 1000, &e), 1);
	assert_int_equal(r[0].ump.w[0], 0x20903c7f);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	assert_true(r[0].time_ns <= now && r[0].time_ns + 1000000000ull > now);
	p = pk(0x40903c00, 0x12345678);
	p.ump.w[2] = 0xdeadbeef; /* unused words of a 2-word packet are zeroed */
	assert_int_equal(midi_send(b, &p, 1, &e), 0);
	assert_int_equal(midi_recv(a, r, 4, 1000, &e), 1);
	assert_int_equal(r[0].ump.w[1], 0x12345678);
	assert_int_equal(r[0].ump.w[2], 0);

	midi_endpoint_info info;
	midi_conn *b2 = midi_open("diag:loopback-b", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(b2);
	assert_int_equal(midi_find("diag:loopback-b", &info, &e), 0);
	assert_int_equal(info.clients, 2);
	assert_int_equal(midi_recv(b2, r, 4, 0, &e), -MIDI_ERR_INPUT);
	midi_close(b2);
	assert_int_equal(midi_find("diag:loopback-b", &info, &e), 0);
	assert_int_equal(info.clients, 1);
	assert_int_equal(midi_flush(a, 100, &e), 0);
	midi_close(a);
	midi_close(b);
}

static void test_send_validation(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	assert_non_null(a);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	midi_packet p = pk(0x20903c7f, 0);
	p.time_ns = now + 7200000000000ull;
	assert_int_equal(midi_send(a, &p, 1, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "1 hour"));
	p.time_ns = now > 2000000000ull ? now - 1000000000ull : 1;
	assert_int_equal(midi_send(a, &p, 1, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "in the past"));
	p = pk(0x30f00000, 0); /* SysEx7 status 0xF */
	assert_int_equal(midi_send(a, &p, 1, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "SysEx7 status"));
	midi_close(a);
}

static void test_sysex_held_until_end(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	midi_packet start = pk(0x30160102, 0x03040506), cont = pk(0x30260708, 0x090a0b0c),
		    end = pk(0x30310d00, 0), note = pk(0x20903c7f, 0), r[8];
	assert_int_equal(midi_send(a, &start, 1, &e), 0);
	assert_int_equal(midi_send(a, &note, 1, &e), 0);
	assert_int_equal(midi_send(a, &cont, 1, &e), 0);
	assert_int_equal(midi_recv(b, r, 8, 100, &e), 1); /* only the note so far */
	assert_int_equal(r[0].ump.w[0], 0x20903c7f);
	assert_int_equal(midi_send(a, &end, 1, &e), 0);
	assert_int_equal(midi_recv(b, r, 8, 1000, &e), 3);
	assert_int_equal(r[0].ump.w[0], 0x30160102);
	assert_int_equal(r[1].ump.w[0], 0x30260708);
	assert_int_equal(r[2].ump.w[0], 0x30310d00);
	midi_close(a);
	midi_close(b);
}

static void test_conn_fd(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	int fd = midi_conn_fd(b, &e);
	assert_true(fd >= 0);
	assert_int_equal(midi_conn_fd(b, &e), fd);
	/* failures are negative MIDI_ERR_* codes with a message */
	assert_int_equal(midi_conn_fd(NULL, &e), -MIDI_ERR_INPUT);
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	midi_conn *so = midi_open("diag:loopback-a", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(so);
	assert_int_equal(midi_conn_fd(so, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "send-only"));
	midi_close(so);
	struct pollfd pfd = {fd, POLLIN, 0};
	assert_int_equal(poll(&pfd, 1, 50), 0);
	midi_packet p = pk(0x20903c7f, 0), r[4];
	for (int round = 0; round < 3; round++) {
		assert_int_equal(midi_send(a, &p, 1, &e), 0);
		assert_int_equal(poll(&pfd, 1, 2000), 1);
		assert_int_equal(midi_recv(b, r, 4, 0, &e), 1);
		assert_int_equal(poll(&pfd, 1, 50), 0);
	}
	midi_close(a);
	midi_close(b);
}

static void test_loop_create_remove_list(void **state)
{
	(void)state;
	midi_error e;
	assert_int_equal(midi_loop_create("studio", &e), 0);
	assert_int_equal(midi_loop_create("studio", &e), -MIDI_ERR_RUNTIME);
	assert_string_equal(e.msg, "loopback studio already exists");
	assert_int_equal(midi_loop_create("bad name", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_loop_create("", &e), -MIDI_ERR_INPUT);
	assert_int_equal(midi_loop_create("a234567890123456789012345678901234567890x", &e),
			 -MIDI_ERR_INPUT);
	assert_int_equal(midi_loop_create("a.b_c-9", &e), 0);
	assert_int_equal(midi_loop_remove("nope", &e), -MIDI_ERR_NOTFOUND);

	char **names;
	int *pers;
	size_t n;
	assert_int_equal(midi_loop_list(&names, &pers, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a.b_c-9");
	assert_string_equal(names[1], "studio");
	assert_int_equal(pers[0], 0);
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	free(pers);

	midi_endpoint_info *v;
	assert_int_equal(midi_list(&v, &n, 0, &e), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[2].id, "loop:studio-a");
	assert_string_equal(v[2].name, "Loopback studio A");
	free(v);

	midi_conn *a = midi_open("loop:studio-a", 0, &e);
	midi_conn *b = midi_open("loop:studio-b", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	midi_packet p = pk(0x20903c7f, 0), r[4];
	assert_int_equal(midi_send(a, &p, 1, &e), 0);
	assert_int_equal(midi_recv(b, r, 4, 1000, &e), 1);
	/* Sent before removal is still delivered, then the reason. */
	assert_int_equal(midi_send(b, &p, 1, &e), 0);
	assert_int_equal(midi_loop_remove("studio", &e), 0);
	assert_int_equal(midi_recv(a, r, 4, 1000, &e), 1);
	assert_int_equal(midi_recv(a, r, 4, 1000, &e), -MIDI_ERR_CLOSED);
	assert_string_equal(e.msg, "endpoint loop:studio-a was removed");
	assert_int_equal(midi_recv(b, r, 4, -1, &e), -MIDI_ERR_CLOSED);
	assert_int_equal(midi_send(b, &p, 1, &e), -MIDI_ERR_CLOSED);
	midi_close(a);
	midi_close(b);
	assert_null(midi_open("loop:studio-a", 0, &e));
	assert_int_equal(e.code, MIDI_ERR_NOTFOUND);
	/* The name can be used again. */
	assert_int_equal(midi_loop_create("studio", &e), 0);
	a = midi_open("loop:studio-a", 0, &e);
	assert_non_null(a);
	midi_close(a);
}

static void test_blocked_recv_sees_removal(void **state)
{
	(void)state;
	midi_error e;
	assert_int_equal(midi_loop_create("gone", &e), 0);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		midi_error ce;
		midi_conn *c = midi_open("loop:gone-b", 0, &ce);
		if (!c)
			_exit(2);
		(void)!write(1, "", 0);
		midi_packet r[4];
		int n = midi_recv(c, r, 4, -1, &ce);
		_exit(n == -MIDI_ERR_CLOSED && strstr(ce.msg, "loop:gone-b was removed") ? 0 : 1);
	}
	usleep(200000);
	assert_int_equal(midi_loop_remove("gone", &e), 0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_config_persistent(void **state)
{
	(void)state;
	midi_error e;
	char path[300];
	snprintf(path, sizeof path, "%s/midi.conf", rtdir);
	setenv("MIDI_CONFIG", path, 1);
	write_file(path, "# comment\n"
			 "[loop studio]            # persistent pair\n"
			 "[endpoint loop:studio-a] # properties\n"
			 "name = Studio A          # display name\n"
			 "description = The studio pair\n"
			 "[endpoint diag:ping]\n"
			 "name = Pinger\n");
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	assert_int_equal(n, 5);
	assert_string_equal(v[2].id, "diag:ping");
	assert_string_equal(v[2].name, "Pinger");
	assert_string_equal(v[2].user_name, "Pinger");
	assert_string_equal(v[3].id, "loop:studio-a");
	assert_string_equal(v[3].name, "Studio A");
	assert_string_equal(v[3].description, "The studio pair");
	assert_true(v[3].flags & MIDI_EPF_PERSISTENT);
	assert_string_equal(v[4].name, "Loopback studio B");
	free(v);
	midi_endpoint_info info;
	assert_int_equal(midi_find("studio a", &info, &e), 0);
	assert_string_equal(info.id, "loop:studio-a");

	assert_int_equal(midi_loop_remove("studio", &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "persistent"));
	assert_non_null(strstr(e.msg, path));
	assert_int_equal(midi_loop_create("studio", &e), -MIDI_ERR_RUNTIME);

	char **names;
	int *pers;
	assert_int_equal(midi_loop_list(&names, &pers, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pers[0], 1);
	free(names[0]);
	free(names);
	free(pers);

	/* Dropping the section removes the pair, with the reason. */
	midi_conn *c = midi_open("loop:studio-b", 0, &e);
	assert_non_null(c);
	write_file(path, "[endpoint diag:ping]\nname = Pinger 2\n\n\n");
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[2].name, "Pinger 2");
	free(v);
	midi_packet r[2];
	assert_int_equal(midi_recv(c, r, 2, 1000, &e), -MIDI_ERR_CLOSED);
	assert_non_null(strstr(e.msg, "configuration file"));
	midi_close(c);

	/* Removing the file clears the user name. */
	unlink(path);
	assert_int_equal(midi_find("diag:ping", &info, &e), 0);
	assert_string_equal(info.name, "Diagnostic ping");
	assert_string_equal(info.user_name, "");
}

static void test_config_errors(void **state)
{
	(void)state;
	midi_error e;
	char path[300];
	snprintf(path, sizeof path, "%s/bad.conf", rtdir);
	setenv("MIDI_CONFIG", path, 1);
	static const struct {
		const char *text;
		int line;
		const char *msg;
	} cases[] = {
		{"[loop a]\n\n[endpoint loop:a-a]\nname = x\n# c\n\nnmae = y\n", 7,
		 "unknown key \"nmae\" (expected name or description)"},
		{"[loop studio\n", 1, "missing \"]\""},
		{"[loop bad/name]\n", 1, "invalid loopback name"},
		{"[device x]\n", 1, "unknown section"},
		{"name = x\n", 1, "outside a section"},
		{"[loop a]\nname = x\n", 2, "take jr = yes or no"},
		{"[loop a]\njr = perhaps\n", 2, "jr = \"perhaps\": use yes or no"},
		{"[endpoint nocolon]\n", 1, "invalid endpoint id"},
		{"[endpoint a:b]\njust words\n", 2, "expected \"key = value\""},
		{"[loop a]\n[loop a]\n", 2, "declared twice"},
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		write_file(path, cases[k].text);
		midi_endpoint_info *v;
		size_t n;
		assert_int_equal(midi_list(&v, &n, 0, &e), -MIDI_ERR_INPUT);
		char want[64];
		snprintf(want, sizeof want, " line %d: ", cases[k].line);
		assert_non_null(strstr(e.msg, want));
		assert_non_null(strstr(e.msg, cases[k].msg));
		assert_non_null(strstr(e.msg, path));
		assert_int_equal(e.line, cases[k].line);
		assert_null(midi_open("diag:ping", 0, &e));
		assert_int_equal(e.code, MIDI_ERR_INPUT);
	}
	write_file(path, "[loop ok]\n");
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, 0, &e), 0);
	assert_int_equal(n, 2);
	free(v);
}

/* A pinger process: n pings marked with its id, checks every echo is its own. */
static int pinger(int id, int n)
{
	midi_error e;
	midi_conn *c = midi_open("diag:ping", 0, &e);
	if (!c)
		return 10;
	int got = 0;
	for (int i = 0; i < n; i++) {
		midi_packet p = pk(0x40903c00, ((uint32_t)id << 24) | (uint32_t)i), r[4];
		if (midi_send(c, &p, 1, &e) < 0)
			return 11;
		int k = midi_recv(c, r, 4, 5000, &e);
		if (k != 1)
			return 12;
		if (r[0].ump.w[1] != p.ump.w[1])
			return 13; /* someone else's echo, or out of order */
		got++;
	}
	midi_close(c);
	return got == n ? 0 : 14;
}

static void test_ping_only_own_echo(void **state)
{
	(void)state;
	pid_t pids[2];
	for (int k = 0; k < 2; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			alarm(30);
			_exit(pinger(k + 1, 2000));
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;
		assert_int_equal(waitpid(pids[k], &st, 0), pids[k]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
}

static pid_t ping_host_pid(void)
{
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	struct reg_slot v[REG_SLOTS];
	size_t n;
	assert_int_equal(reg_snapshot(rt, v, &n, &e), 0);
	pid_t pid = 0;
	for (size_t k = 0; k < n; k++) {
		if (strcmp(v[k].info.id, "diag:ping") != 0)
			continue;
		struct seg s;
		int corrupt;
		assert_int_equal(seg_map(rt, v[k].seg, v[k].uid, &s, &corrupt, &e), 0);
		pid = (pid_t)s.hdr->host_pid;
		seg_unmap(&s);
	}
	rt_put(rt);
	return pid;
}

static void test_ping_takeover(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *c = midi_open("diag:ping", 0, &e);
	assert_non_null(c);
	midi_packet p = pk(0x20903c01, 0), r[4];
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	assert_int_equal(midi_recv(c, r, 4, 3000, &e), 1);
	assert_int_equal(midi_flush(c, 1000, &e), 0);
	pid_t host = ping_host_pid();
	assert_true(host > 0);
	assert_int_equal(kill(host, SIGKILL), 0);
	usleep(20000);
	p.ump.w[0] = 0x20903c02;
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	assert_int_equal(midi_recv(c, r, 4, 3000, &e), 1);
	assert_int_equal(r[0].ump.w[0], 0x20903c02);
	pid_t host2 = ping_host_pid();
	assert_true(host2 > 0 && host2 != host);
	midi_close(c);
}

/* A connection that only receives, waiting in poll(2) on midi_conn_fd as
 * a monitor does: its host (a helper) is SIGKILLed. Nothing is sent, so
 * no send starts a successor; the descriptor must wake and midi_recv start
 * one (for a USB device, no host means nobody reads the device). The same
 * path serves a host that went idle just as the connection came. */
static void test_fd_waiter_replaces_killed_host(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *c = midi_open("diag:ping", 0, &e);
	assert_non_null(c);
	int fd = midi_conn_fd(c, &e);
	assert_true(fd >= 0);
	midi_packet p = pk(0x20903c01, 0), r[4];
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	assert_int_equal(midi_recv(c, r, 4, 3000, &e), 1);
	pid_t host = ping_host_pid();
	assert_true(host > 0);
	/* the descriptor may first wake for what is left of the echo */
	struct pollfd pf = {.fd = fd, .events = POLLIN};
	while (poll(&pf, 1, 200) == 1)
		assert_true(midi_recv(c, r, 4, 0, &e) >= 0);
	assert_int_equal(kill(host, SIGKILL), 0);
	pid_t host2 = 0;
	for (int i = 0; i < 100 && (host2 <= 0 || host2 == host || kill(host2, 0) < 0); i++) {
		if (poll(&pf, 1, 100) == 1)
			assert_true(midi_recv(c, r, 4, 0, &e) >= 0);
		host2 = ping_host_pid();
	}
	assert_true(host2 > 0 && host2 != host);
	assert_int_equal(kill(host2, 0), 0);
	/* and it serves */
	p.ump.w[0] = 0x20903c02;
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	assert_int_equal(midi_recv(c, r, 4, 3000, &e), 1);
	assert_int_equal(r[0].ump.w[0], 0x20903c02);
	midi_close(c);
}

/* The pollable descriptor of one ping client stays quiet while another
 * client's echoes pass through the shared out ring (they are not for it),
 * and becomes readable for its own echo. */
static void test_conn_fd_ignores_others_echoes(void **state)
{
	(void)state;
	midi_error e;
	midi_conn *a = midi_open("diag:ping", 0, &e);
	midi_conn *b = midi_open("diag:ping", 0, &e);
	assert_non_null(a);
	assert_non_null(b);
	int fd = midi_conn_fd(b, &e);
	assert_true(fd >= 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	midi_packet in[16];
	/* b came while the host a started was starting: one wake-up, a
	 * moment later, to find that host and watch it */
	for (int i = 0; i < 3 && poll(&p, 1, 300) == 1; i++)
		assert_int_equal(midi_recv(b, in, 16, 0, &e), 0);
	assert_int_equal(poll(&p, 1, 0), 0);
	for (uint32_t i = 0; i < 20; i++) {
		midi_ump u = midi_ump_make(0x20903C00u | (i & 0x7F), 0, 0, 0);
		assert_int_equal(midi_send_ump(a, &u, &e), 0);
		assert_int_equal(midi_recv(a, in, 16, 2000, &e), 1);
		assert_int_equal(in[0].ump.w[0], u.w[0]);
	}
	assert_int_equal(poll(&p, 1, 200), 0);
	midi_ump mine = midi_ump_make(0x20903C7Fu, 0, 0, 0);
	assert_int_equal(midi_send_ump(b, &mine, &e), 0);
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(midi_recv(b, in, 16, 0, &e), 1);
	assert_int_equal(in[0].ump.w[0], mine.w[0]);
	midi_close(a);
	midi_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_list_and_find, fresh_runtime),
		cmocka_unit_test_setup(test_loopback_crosses, fresh_runtime),
		cmocka_unit_test_setup(test_send_validation, fresh_runtime),
		cmocka_unit_test_setup(test_sysex_held_until_end, fresh_runtime),
		cmocka_unit_test_setup(test_conn_fd, fresh_runtime),
		cmocka_unit_test_setup(test_loop_create_remove_list, fresh_runtime),
		cmocka_unit_test_setup(test_blocked_recv_sees_removal, fresh_runtime),
		cmocka_unit_test_setup(test_config_persistent, fresh_runtime),
		cmocka_unit_test_setup(test_config_errors, fresh_runtime),
		cmocka_unit_test_setup(test_ping_only_own_echo, fresh_runtime),
		cmocka_unit_test_setup(test_ping_takeover, fresh_runtime),
		cmocka_unit_test_setup(test_fd_waiter_replaces_killed_host, fresh_runtime),
		cmocka_unit_test_setup(test_conn_fd_ignores_others_echoes, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
