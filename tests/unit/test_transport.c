/* test_transport.c: the transport contract (transport.h) shown with the
 * test transport (libmidi/transport/test.c), whose devices are files in
 * the runtime directory's test-devices/ folder:
 *   - hotplug: the transport's agent (a helper process) adds a device's
 *     ports when its file appears and removes them, closing connections
 *     with "device unplugged", when it goes; UMP discovery runs for every
 *     new port (the device answers it);
 *   - one host process serves every port of a device (a host group);
 *   - back-pressure: a device that takes 1000 packets a second slows its
 *     sender down and loses nothing of a burst 12 times its input ring;
 *   - SIGKILL of a device's host while a client sends: a new host takes
 *     over and nothing is lost (at least once);
 *   - SIGKILL of the agent while a client sends: the client goes on, the
 *     next program that lists endpoints starts a new agent, hotplug works;
 *   - a message the device loses (host_ep_lost) wakes clients asleep on
 *     their poll descriptor, which count it lost;
 *   - a device its host cannot open: its ports are removed (with the
 *     reason, for their clients), and no failed start leaves a bell file;
 *   - a device unplugged and plugged again while its host is stopped: the
 *     host lets the old ports go before it takes the new ones.
 * Each test uses a fresh MIDI_RUNTIME_DIR. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "midi/endpoint.h"
#include "midi/watch.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "transport", "none.conf");
	char dir[300];
	snprintf(dir, sizeof dir, "%s/test-devices", rtdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void plug(const char *name, const char *text)
{
	char tmp[400], path[400];
	snprintf(tmp, sizeof tmp, "%s/test-devices/.%s.tmp", rtdir, name);
	snprintf(path, sizeof path, "%s/test-devices/%s", rtdir, name);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static void unplug(const char *name)
{
	char path[400];
	snprintf(path, sizeof path, "%s/test-devices/%s", rtdir, name);
	assert_int_equal(unlink(path), 0);
}

static int listed(const char *id)
{
	midi_endpoint_info info;
	midi_error e;
	return midi_find(id, &info, &e) == 0 && strcmp(info.id, id) == 0;
}

/* Wait (10 s at most) until endpoint id is listed (want 1) or not (0). */
static void wait_listed(const char *id, int want)
{
	uint64_t end = test_now_ns() + 10000000000ull;
	for (;;) {
		if (listed(id) == want)
			return;
		if (test_now_ns() > end)
			fail_msg("%s still %s after 10 s", id, want ? "missing" : "listed");
		sleep_ms(10);
	}
}

/* The pid of the host process serving endpoint id. */
static pid_t host_pid_of(const char *id)
{
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	struct reg_slot *v = malloc(REG_SLOTS * sizeof *v);
	size_t n;
	assert_int_equal(reg_snapshot(rt, v, &n, &e), 0);
	pid_t pid = 0;
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].info.id, id) == 0) {
			struct seg s;
			int corrupt;
			assert_int_equal(seg_map(rt, v[k].seg, v[k].uid, &s, &corrupt, &e), 0);
			pid = (pid_t)__atomic_load_n(&s.hdr->host_pid, __ATOMIC_ACQUIRE);
			seg_unmap(&s);
		}
	free(v);
	rt_put(rt);
	return pid;
}

static pid_t agent_pid(void)
{
	/* The agent holds agent-test.lock: find it by its comm and cwd-free
	 * means, /proc/PID/comm == midi-agent with our runtime dir. */
	char cmd[600];
	snprintf(cmd, sizeof cmd,
		 "for p in $(pgrep -x midi-agent); do tr '\\0' '\\n' </proc/$p/environ | "
		 "grep -qx 'MIDI_RUNTIME_DIR=%s' && echo $p; done 2>/dev/null", rtdir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	int pid = 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	pclose(f);
	return (pid_t)pid;
}

static void echo_round(midi_conn *c, uint32_t tag)
{
	midi_error e;
	midi_packet p = {0, midi_ump_make(0x40903d00, tag, 0, 0)}, r[8];
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	uint64_t end = test_now_ns() + 5000000000ull;
	for (;;) {
		int n = midi_recv(c, r, 8, 1000, &e);
		assert_true(n >= 0);
		for (int k = 0; k < n; k++)
			if (r[k].ump.w[0] == 0x40903d00 && r[k].ump.w[1] == tag)
				return;
		if (test_now_ns() > end)
			fail_msg("no echo of %u", tag);
	}
}

static void test_hotplug_and_groups(void **state)
{
	(void)state;
	midi_error e;
	midi_watcher *w = midi_watch_open(0, &e);
	assert_non_null(w);
	plug("synth", "ports=3 rate=0\n");
	wait_listed("test:synth-1", 1);
	wait_listed("test:synth-3", 1);
	midi_conn *c[3];
	for (int k = 0; k < 3; k++) {
		char id[32];
		snprintf(id, sizeof id, "test:synth-%d", k + 1);
		c[k] = midi_open(id, MIDI_OPEN_RECONNECT, &e);
		assert_non_null(c[k]);
		echo_round(c[k], (uint32_t)k);
	}
	/* One host process for the three ports of the device. */
	pid_t h1 = host_pid_of("test:synth-1");
	assert_true(h1 > 0);
	assert_int_equal(host_pid_of("test:synth-2"), h1);
	assert_int_equal(host_pid_of("test:synth-3"), h1);
	/* UMP discovery ran for each port, answered by the device. */
	uint64_t end = test_now_ns() + 10000000000ull;
	midi_endpoint_info info;
	do {
		sleep_ms(20);
		assert_int_equal(midi_find("test:synth-2", &info, &e), 0);
	} while (info.discovery != MIDI_DISCOVERY_DONE && test_now_ns() < end);
	assert_int_equal(info.discovery, MIDI_DISCOVERY_DONE);
	assert_string_equal(info.ump_name, "Test synth port 2");

	/* Unplugged: gone, connections told why, watchers see it. */
	unplug("synth");
	wait_listed("test:synth-1", 0);
	midi_packet r[4];
	midi_conn *plain = NULL;
	int n = midi_recv(c[0], r, 4, 0, &e);
	assert_true(n >= 0); /* reconnecting: waits for it to come back */
	int removed = 0;
	end = test_now_ns() + 5000000000ull;
	while (removed < 3 && test_now_ns() < end) {
		midi_watch_event ev;
		if (midi_watch_next(w, &ev, 200, &e) == 1 && ev.kind == MIDI_WATCH_REMOVED &&
		    strncmp(ev.info.id, "test:synth-", 11) == 0)
			removed++;
	}
	assert_int_equal(removed, 3);
	/* Plugged in again: the reconnecting connections come back. */
	plug("synth", "ports=3 rate=0\n");
	wait_listed("test:synth-1", 1);
	end = test_now_ns() + 10000000000ull;
	while (midi_conn_reconnects(c[0]) == 0 && test_now_ns() < end)
		midi_recv(c[0], r, 4, 100, &e);
	assert_int_equal(midi_conn_reconnects(c[0]), 1);
	echo_round(c[0], 77);
	/* A plain connection is closed with the reason (the agent adds the
	 * ports one by one: the third may come after the first is back). */
	wait_listed("test:synth-3", 1);
	plain = midi_open("test:synth-3", 0, &e);
	assert_non_null(plain);
	unplug("synth");
	wait_listed("test:synth-3", 0);
	/* (what was delivered before the close may come first) */
	for (int k = 0; (n = midi_recv(plain, r, 4, 2000, &e)) > 0 && k < 100; k++)
		fprintf(stderr, "# before the close: %d packets, first %08x\n", n, r[0].ump.w[0]);
	assert_int_equal(n, -MIDI_ERR_CLOSED);
	assert_non_null(strstr(e.msg, "device unplugged"));
	midi_close(plain);
	for (int k = 0; k < 3; k++)
		midi_close(c[k]);
	midi_watch_close(w);
}

/* A sender child: n packets 0x40903c00/seq to id, in calls of 50. */
static pid_t sender(const char *id, uint32_t n, int kill_host_at)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid)
		return pid;
	midi_error e;
	midi_conn *c = midi_open(id, MIDI_OPEN_SEND_ONLY, &e);
	if (!c)
		_exit(1);
	for (uint32_t k = 0; k < n; k += 50) {
		midi_packet p[50];
		for (uint32_t j = 0; j < 50; j++)
			p[j] = (midi_packet){0, midi_ump_make(0x40903c00, k + j, 0, 0)};
		if (midi_send(c, p, 50, &e) < 0)
			_exit(2);
		if (kill_host_at >= 0 && k == (uint32_t)kill_host_at) {
			pid_t h = host_pid_of(id);
			if (h > 0)
				kill(h, SIGKILL);
		}
	}
	_exit(midi_flush(c, 30000, &e) < 0 ? 3 : 0);
}

/* Receive the echoes of 0..n-1; each at least once, in order of first
 * arrival; returns how many duplicates came. */
static uint32_t receive_all(midi_conn *c, uint32_t n)
{
	midi_error e;
	uint32_t next = 0, dup = 0;
	midi_packet r[256];
	uint64_t end = test_now_ns() + 60000000000ull;
	while (next < n) {
		int m = midi_recv(c, r, 256, 1000, &e);
		assert_true(m >= 0);
		for (int k = 0; k < m; k++) {
			if (r[k].ump.w[0] != 0x40903c00)
				continue;
			uint32_t s = r[k].ump.w[1];
			if (s == next)
				next++;
			else if (s < next)
				dup++; /* a batch offered again after a host was killed */
			else
				fail_msg("packet %u arrived before %u", s, next);
		}
		if (test_now_ns() > end)
			fail_msg("only %u of %u echoes in 60 s", next, n);
	}
	assert_int_equal(midi_conn_lost(c), 0);
	return dup;
}

static void test_back_pressure(void **state)
{
	(void)state;
	enum { N = 3000 };
	setenv("MIDI_RING_SLOTS", "256", 1); /* the agent makes the segments */
	plug("slow", "ports=1 rate=1000\n");
	wait_listed("test:slow-1", 1);
	unsetenv("MIDI_RING_SLOTS");
	midi_error e;
	midi_conn *c = midi_open("test:slow-1", 0, &e);
	assert_non_null(c);
	uint64_t t0 = test_now_ns();
	pid_t pid = sender("test:slow-1", N, -1);
	assert_int_equal(receive_all(c, N), 0);
	test_wait_ok(pid, "sender");
	/* 1000 a second: the device's pace, not the sender's. */
	assert_true(test_now_ns() - t0 >= 2000000000ull);
	midi_close(c);
}

static void test_host_killed_while_sending(void **state)
{
	(void)state;
	enum { N = 20000 };
	plug("dev", "ports=2 rate=0\n");
	wait_listed("test:dev-2", 1);
	midi_error e;
	midi_conn *c = midi_open("test:dev-2", 0, &e);
	assert_non_null(c);
	echo_round(c, 1); /* a host runs */
	pid_t old = host_pid_of("test:dev-2");
	assert_true(old > 0);
	pid_t pid = sender("test:dev-2", N, N / 2);
	receive_all(c, N);
	test_wait_ok(pid, "sender");
	pid_t now = host_pid_of("test:dev-2");
	assert_true(now > 0 && now != old);
	midi_close(c);
}

static void test_agent_killed_while_sending(void **state)
{
	(void)state;
	enum { N = 5000 };
	plug("a", "ports=1 rate=0\n");
	wait_listed("test:a-1", 1);
	midi_error e;
	midi_conn *c = midi_open("test:a-1", 0, &e);
	assert_non_null(c);
	pid_t ag = agent_pid();
	assert_true(ag > 0);
	pid_t pid = sender("test:a-1", N, -1);
	kill(ag, SIGKILL);
	assert_int_equal(receive_all(c, N), 0);
	test_wait_ok(pid, "sender");
	/* The next listing starts a new agent; hotplug works again. kill(2)
	 * returns before the killed agent is gone, and while it is dying it
	 * still holds its lock (a listing then sees an agent alive): on a busy
	 * machine, list again until the new one runs. */
	uint64_t end = test_now_ns() + 10000000000ull;
	while (!test_proc_gone(ag) && test_now_ns() < end)
		sleep_ms(10);
	pid_t ag2 = 0;
	end = test_now_ns() + 10000000000ull;
	do {
		midi_endpoint_info *v;
		size_t n;
		assert_int_equal(midi_list(&v, &n, 0, &e), 0);
		free(v);
		/* (started, not yet exec'd as midi-agent: wait) */
		sleep_ms(20);
	} while (((ag2 = agent_pid()) <= 0 || ag2 == ag) && test_now_ns() < end);
	assert_true(ag2 > 0 && ag2 != ag);
	plug("b", "ports=1 rate=0\n");
	wait_listed("test:b-1", 1);
	midi_close(c);
}

/* Nobody uses the transport: its agent exits (MIDI_AGENT_IDLE_MS); the
 * next listing starts one again, which enumerates again. */
static void test_agent_idle_exit(void **state)
{
	(void)state;
	setenv("MIDI_AGENT_IDLE_MS", "300", 1);
	plug("idle", "ports=1 rate=0\n");
	wait_listed("test:idle-1", 1);
	pid_t ag = agent_pid();
	assert_true(ag > 0);
	uint64_t end = test_now_ns() + 10000000000ull;
	while (!test_proc_gone(ag) && test_now_ns() < end)
		sleep_ms(20);
	assert_false(!test_proc_gone(ag));
	/* Unplugged while no agent ran: the next one's enumeration removes it. */
	unplug("idle");
	wait_listed("test:idle-1", 0);
	unsetenv("MIDI_AGENT_IDLE_MS");
}

/* A message the device loses on the way back (lose=1: every one): a
 * client asleep on its poll descriptor is woken at once and counts it
 * lost; the sender gets nothing back either. */
static void test_loss_wakes_clients(void **state)
{
	(void)state;
	midi_error e;
	plug("lossy", "ports=1 rate=0 lose=1\n");
	wait_listed("test:lossy-1", 1);
	midi_conn *c = midi_open("test:lossy-1", 0, &e);
	midi_conn *s = midi_open("test:lossy-1", 0, &e);
	assert_non_null(c);
	assert_non_null(s);
	int fd = midi_conn_fd(c, &e);
	assert_true(fd >= 0);
	midi_packet r[4];
	while (midi_recv(c, r, 4, 0, &e) > 0) /* discovery's replies, if any */
		;
	assert_int_equal(midi_conn_lost(c), 0);
	midi_ump u = {{0x20903C64}};
	assert_int_equal(midi_send_ump(s, &u, &e), 0);
	uint64_t t0 = test_now_ns();
	while (midi_conn_lost(c) == 0 && test_now_ns() - t0 < 5000000000ull) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int n = poll(&pfd, 1, 5000);
		assert_int_equal(n, 1); /* woken, not timed out */
		assert_true(midi_recv(c, r, 4, 0, &e) >= 0);
	}
	assert_int_equal(midi_conn_lost(c), 1);
	assert_int_equal(midi_conn_lost(s), 1);
	midi_close(c);
	midi_close(s);
}

/* Bell files of processes that are gone: a pipe bell is a link to its
 * owner's /proc/PID/fd/N, which no longer leads anywhere. */
static int dead_bells(void)
{
	DIR *d = opendir(rtdir);
	assert_non_null(d);
	int dead = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "bell-", 5) == 0) {
			struct stat st;
			if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 && errno == ENOENT)
				dead++;
		}
	closedir(d);
	return dead;
}

/* A host of group was started (its lock file is there), and none runs
 * now (the lock is free). */
static int host_ran_and_left(const char *group)
{
	char path[400];
	snprintf(path, sizeof path, "%s/group-%s.host.lock", rtdir, group);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int free_now = flock(fd, LOCK_EX | LOCK_NB) == 0;
	if (free_now)
		flock(fd, LOCK_UN);
	close(fd);
	return free_now;
}

/* A device whose host cannot start (host_open fails: "broken"): its ports
 * are removed, so that clients and watchers hear of it, rather than every
 * client starting a host that exits at once, again and again, each start
 * leaving its bell file behind, until a send times out with no reason. */
static void test_broken_device(void **state)
{
	(void)state;
	plug("bad", "ports=2 rate=0 broken\n");
	plug("good", "ports=1 rate=0\n");
	wait_listed("test:good-1", 1);
	/* UMP discovery of each new port starts its host at once. Done when a
	 * host of the group ran (its lock file is there) and none runs now,
	 * and the ports are not listed: without the removal they stay. */
	uint64_t end = test_now_ns() + 10000000000ull;
	while (!(host_ran_and_left("test-bad") && !listed("test:bad-1") && !listed("test:bad-2")))
		if (test_now_ns() > end)
			fail_msg("test:bad-1 or -2 still listed 10 s after its host failed");
		else
			sleep_ms(10);
	/* They stay removed (no client brings them back), the good device is
	 * untouched, and every bell file belongs to a live process. */
	sleep_ms(300);
	midi_endpoint_info info;
	midi_error e;
	assert_int_not_equal(midi_find("test:bad-1", &info, &e), 0);
	midi_conn *c = midi_open("test:good-1", 0, &e);
	assert_non_null(c);
	echo_round(c, 1);
	midi_close(c);
	assert_int_equal(dead_bells(), 0);

	/* A client of a device that breaks while it runs: its host killed,
	 * the client starts another, which cannot open the device. The client
	 * is told why. */
	plug("flaky", "ports=1 rate=0\n");
	wait_listed("test:flaky-1", 1);
	c = midi_open("test:flaky-1", 0, &e);
	assert_non_null(c);
	echo_round(c, 2);
	plug("flaky", "ports=1 rate=0 broken\n"); /* the same device, as the agent sees it */
	pid_t hp = host_pid_of("test:flaky-1");
	assert_true(hp > 0);
	assert_int_equal(kill(hp, SIGKILL), 0);
	midi_packet p = {0, midi_ump_make(0x20903c64, 0, 0, 0)}, r[8];
	int st = 0;
	end = test_now_ns() + 10000000000ull;
	while (st >= 0 && test_now_ns() < end) {
		st = midi_send(c, &p, 1, &e);
		if (st >= 0)
			st = midi_recv(c, r, 8, 100, &e);
	}
	assert_int_equal(st, -MIDI_ERR_CLOSED);
	if (!strstr(e.msg, "its host could not start: test device flaky cannot be opened"))
		fail_msg("the client was told: %s", e.msg);
	midi_close(c);
	wait_listed("test:flaky-1", 0);
}

/* The device unplugged and plugged again while its host is stopped: woken,
 * the host sees the old port gone and a new incarnation of it in one look.
 * It lets the old one go before it takes the new one (a port serves one
 * endpoint at a time, as a raw MIDI device does), and a reconnecting client
 * goes on with the same host. */
static void test_replug_while_host_stopped(void **state)
{
	(void)state;
	midi_error e;
	plug("re", "ports=1 rate=0\n");
	wait_listed("test:re-1", 1);
	midi_conn *c = midi_open("test:re-1", MIDI_OPEN_RECONNECT, &e);
	assert_non_null(c);
	echo_round(c, 1);
	pid_t hp = host_pid_of("test:re-1");
	assert_true(hp > 0);
	assert_int_equal(kill(hp, SIGSTOP), 0);
	unplug("re");
	wait_listed("test:re-1", 0);
	plug("re", "ports=1 rate=0\n");
	wait_listed("test:re-1", 1);
	assert_int_equal(kill(hp, SIGCONT), 0);
	echo_round(c, 2);
	assert_int_equal(host_pid_of("test:re-1"), hp);
	midi_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_hotplug_and_groups, fresh_runtime),
		cmocka_unit_test_setup(test_back_pressure, fresh_runtime),
		cmocka_unit_test_setup(test_host_killed_while_sending, fresh_runtime),
		cmocka_unit_test_setup(test_agent_killed_while_sending, fresh_runtime),
		cmocka_unit_test_setup(test_agent_idle_exit, fresh_runtime),
		cmocka_unit_test_setup(test_loss_wakes_clients, fresh_runtime),
		cmocka_unit_test_setup(test_broken_device, fresh_runtime),
		cmocka_unit_test_setup(test_replug_while_host_stopped, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
