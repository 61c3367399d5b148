/* test_helper.c: the broker's helper processes are the helper program
 * (MIDI_HELPER, libmidi/broker/spawn.c), run with fork+exec, not copies of
 * the client: diag:ping's host, the scheduler and the discovery agent run
 * the helper binary under their own process name, in their own session,
 * not as our children, with /dev/null as stdio, the lock on descriptor 3
 * and no descriptor of ours (a pipe and a file opened before), default
 * signal handling, our environment; a SIGKILLed host is replaced while a
 * client pings; a wrong MIDI_HELPER gives a clear error, no hang; a helper
 * that cannot work (another shared-memory format, dies before it is
 * ready) fails the call with its reason and is not started at every
 * look. The
 * caller is multithreaded while it starts them. Run with MIDI_HELPER set
 * (tests/run.sh); without it, ../../libexec/midi-helper is used for a
 * binary in build/tests. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/sched.h"
#include "midi/endpoint.h"
#include "midi/virt.h"

static char rtdir[256];
static char helper[PATH_MAX]; /* realpath of the helper program */

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "helper", "none.conf");
	unsetenv("MIDI_DISCOVERY_TIMEOUT_MS");
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static midi_packet pk(uint64_t t, uint32_t w0)
{
	midi_packet p = {t, midi_ump_make(w0, 0, 0, 0)};
	return p;
}

static int read_text(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t k = read(fd, buf, n - 1);
	close(fd);
	if (k < 0)
		return -1;
	buf[k] = '\0';
	return (int)k;
}

static void proc_file(char *buf, size_t n, pid_t pid, const char *what)
{
	snprintf(buf, n, "/proc/%d/%s", (int)pid, what);
}

static void comm_of(pid_t pid, char *out, size_t n)
{
	char path[64];
	proc_file(path, sizeof path, pid, "comm");
	out[0] = '\0';
	if (read_text(path, out, n) > 0)
		out[strcspn(out, "\n")] = '\0';
}

/* A status line's value (SigIgn, SigBlk, PPid...) as a number. */
static unsigned long long status_field(pid_t pid, const char *field, int base)
{
	char path[64], buf[4096];
	proc_file(path, sizeof path, pid, "status");
	assert_true(read_text(path, buf, sizeof buf) > 0);
	size_t len = strlen(field);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, field, len) == 0 && l[len] == ':')
			return strtoull(l + len + 1, NULL, base);
	fail_msg("no %s in %s", field, path);
	return 0;
}

/* 1 if /proc/pid/environ holds the entry var (NAME=value). */
static int has_env(pid_t pid, const char *var)
{
	char path[64];
	static char buf[1 << 16];
	proc_file(path, sizeof path, pid, "environ");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = 0, k;
	while (n < (ssize_t)sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - (size_t)n)) > 0)
		n += k;
	close(fd);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
		buf[n] = '\0';
		if (strcmp(buf + i, var) == 0)
			return 1;
	}
	return 0;
}

/* The argv of pid, NULs as spaces. */
static void cmdline_of(pid_t pid, char *out, size_t n)
{
	char path[64];
	proc_file(path, sizeof path, pid, "cmdline");
	int k = read_text(path, out, n);
	assert_true(k > 0);
	for (int i = 0; i < k - 1; i++)
		if (!out[i])
			out[i] = ' ';
}

/* What a process of ours leaves open for the helper to (wrongly) inherit:
 * a pipe and a file outside the runtime directory, neither close-on-exec. */
struct ours {
	int pipe[2];
	int file;
	char file_path[64];
	struct stat pipe_st, file_st;
};

static void ours_open(struct ours *o)
{
	assert_int_equal(pipe(o->pipe), 0);
	snprintf(o->file_path, sizeof o->file_path, "/tmp/midi-test-helper-file.XXXXXX");
	o->file = mkstemp(o->file_path);
	assert_true(o->file >= 0);
	assert_int_equal(fstat(o->pipe[0], &o->pipe_st), 0);
	assert_int_equal(fstat(o->file, &o->file_st), 0);
}

static void ours_close(struct ours *o)
{
	close(o->pipe[0]);
	close(o->pipe[1]);
	close(o->file);
	unlink(o->file_path);
}

/* 1 if st is one of the runtime directory's wake-up pipes (a bell-ID
 * link to its owner's descriptor): a helper holds its own bell and those
 * it rang. */
static int is_bell_pipe(const struct stat *st)
{
	DIR *d = opendir(rtdir);
	assert_non_null(d);
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(d))) {
		char path[PATH_MAX];
		struct stat bs;
		snprintf(path, sizeof path, "%s/%s", rtdir, de->d_name);
		found = strncmp(de->d_name, "bell-", 5) == 0 && stat(path, &bs) == 0 &&
			bs.st_dev == st->st_dev && bs.st_ino == st->st_ino;
	}
	closedir(d);
	return found;
}

/* The process is the helper program, not a copy of us, detached and
 * clean; lock_suffix names the file on descriptor 3; no descriptor may
 * name a file ending in forbid (NULL: none). */
/* What is wrong with pid's descriptors (why set, 1), or 0: 0-2 /dev/null,
 * 3 the lock (lock_suffix), the rest its own wake-up machinery or files in
 * the runtime directory (none ending in forbid); nothing of ours. */
static int fd_problem(pid_t pid, const char *lock_suffix, const char *forbid,
		      const struct ours *o, char *why, size_t n)
{
	char dirp[64], path[PATH_MAX], link[PATH_MAX];
	proc_file(dirp, sizeof dirp, pid, "fd");
	DIR *d = opendir(dirp);
	assert_non_null(d);
	int saw_lock = 0, bad = 0;
	size_t rl = strlen(rtdir);
	struct dirent *de;
	while (!bad && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		int fd = atoi(de->d_name);
		snprintf(path, sizeof path, "%s/%s", dirp, de->d_name);
		ssize_t k = readlink(path, link, sizeof link - 1);
		if (k < 0)
			continue; /* closed meanwhile */
		link[k] = '\0';
		struct stat st;
		if (stat(path, &st) == 0 &&
		    ((st.st_dev == o->pipe_st.st_dev && st.st_ino == o->pipe_st.st_ino) ||
		     (st.st_dev == o->file_st.st_dev && st.st_ino == o->file_st.st_ino))) {
			snprintf(why, n, "helper %d has our descriptor (its fd %d: %.300s)", (int)pid, fd,
				 link);
			bad = 1;
		} else if (fd <= 2) {
			if (strcmp(link, "/dev/null") != 0) {
				snprintf(why, n, "helper %d fd %d is %.300s, not /dev/null", (int)pid, fd, link);
				bad = 1;
			}
		} else if (fd == 3) {
			size_t ll = strlen(link), sl = strlen(lock_suffix);
			if (strncmp(link, rtdir, rl) != 0 || ll < sl ||
			    strcmp(link + ll - sl, lock_suffix) != 0) {
				snprintf(why, n, "helper fd 3 is %.300s, expected %.256s/...%.64s", link, rtdir,
					 lock_suffix);
				bad = 1;
			}
			saw_lock = 1;
		} else if (strncmp(link, "anon_inode:", 11) == 0 ||
			   (strncmp(link, "pipe:", 5) == 0 && stat(path, &st) == 0 && is_bell_pipe(&st))) {
			/* its own wake-up machinery (epoll set, timerfd, inotify,
			 * pidfds, bell): what the test checks is that nothing of
			 * ours leaked */
		} else if (strncmp(link, rtdir, rl) != 0 || (link[rl] != '/' && link[rl] != '\0')) {
			snprintf(why, n, "helper %d has fd %d: %.300s (not in %.256s)", (int)pid, fd, link, rtdir);
			bad = 1;
		} else if (forbid && strlen(link) >= strlen(forbid) &&
			   strcmp(link + strlen(link) - strlen(forbid), forbid) == 0) {
			snprintf(why, n, "helper %d has fd %d: %.300s", (int)pid, fd, link);
			bad = 1;
		}
	}
	closedir(d);
	if (!bad && !saw_lock) {
		snprintf(why, n, "helper %d has no lock on fd 3", (int)pid);
		bad = 1;
	}
	return bad;
}

static void check_helper(pid_t pid, const char *comm, const char *role, const char *lock_suffix,
			 const char *forbid, const struct ours *o)
{
	char path[PATH_MAX], link[PATH_MAX], buf[512];
	assert_true(pid > 0);
	proc_file(path, sizeof path, pid, "exe");
	ssize_t k = readlink(path, link, sizeof link - 1);
	assert_true(k > 0);
	link[k] = '\0';
	assert_string_equal(link, helper);

	comm_of(pid, buf, sizeof buf);
	assert_string_equal(buf, comm);
	char cmd[1024], want[64];
	cmdline_of(pid, cmd, sizeof cmd);
	snprintf(want, sizeof want, "%s %s ", comm, role);
	if (strncmp(cmd, want, strlen(want)) != 0)
		fail_msg("command line \"%s\", expected \"%s...\"", cmd, want);

	/* Its own session (not leading it), not our child (double fork). */
	assert_true(getsid(pid) > 0);
	assert_true(getsid(pid) != getsid(0));
	assert_true(getsid(pid) != pid);
	assert_true((pid_t)status_field(pid, "PPid", 10) != getpid());
	/* Default dispositions, nothing blocked: we ignore SIGUSR1 and block
	 * SIGUSR2 (see the callers). */
	assert_int_equal(status_field(pid, "SigIgn", 16), 0);
	assert_int_equal(status_field(pid, "SigBlk", 16), 0);

	/* Our environment, with the runtime directory. */
	assert_true(has_env(pid, "MIDI_TEST_MARK=helper-env"));
	snprintf(buf, sizeof buf, "MIDI_RUNTIME_DIR=%s", rtdir);
	assert_true(has_env(pid, buf));

	/* Descriptors: 0-2 /dev/null, 3 the lock, the rest its own files in
	 * the runtime directory; nothing of ours. A helper that another
	 * process started may still be starting (its report pipe on 4, files
	 * its libraries open for a moment): what it holds for good is what
	 * counts, so look again for up to 2 s before failing. */
	char why[PATH_MAX + 128];
	for (int w = 0; fd_problem(pid, lock_suffix, forbid, o, why, sizeof why); w++) {
		if (w == 100)
			fail_msg("%s", why);
		usleep(20000);
	}
}

/* The caller is multithreaded: a thread allocating while we spawn. */
static volatile int busy_stop;
static void *busy(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&busy_stop, __ATOMIC_RELAXED)) {
		void *p = malloc(1000);
		free(p);
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

struct caller {
	pthread_t thr;
	struct sigaction old_usr1;
	sigset_t old_mask;
};

/* Make the caller as hostile as can be: another thread, SIGUSR1 ignored,
 * SIGUSR2 blocked. */
static void caller_begin(struct caller *c)
{
	setenv("MIDI_TEST_MARK", "helper-env", 1);
	__atomic_store_n(&busy_stop, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&c->thr, NULL, busy, NULL), 0);
	struct sigaction ign;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &ign, &c->old_usr1);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, &c->old_mask);
}

static void caller_end(struct caller *c)
{
	__atomic_store_n(&busy_stop, 1, __ATOMIC_RELAXED);
	pthread_join(c->thr, NULL);
	sigaction(SIGUSR1, &c->old_usr1, NULL);
	pthread_sigmask(SIG_SETMASK, &c->old_mask, NULL);
	unsetenv("MIDI_TEST_MARK");
}

static pid_t ping_host_pid(void)
{
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	static struct reg_slot v[REG_SLOTS];
	size_t n;
	assert_int_equal(reg_snapshot(rt, v, &n, &e), 0);
	pid_t pid = 0;
	for (size_t k = 0; k < n; k++) {
		if (strcmp(v[k].info.id, "diag:ping") != 0)
			continue;
		struct seg s;
		int corrupt;
		assert_int_equal(seg_map(rt, v[k].seg, v[k].uid, &s, &corrupt, &e), 0);
		pid = (pid_t)__atomic_load_n(&s.hdr->host_pid, __ATOMIC_ACQUIRE);
		seg_unmap(&s);
	}
	rt_put(rt);
	return pid;
}

/* One ping: send w0, wait for its echo (older duplicates skipped: the
 * successor of a killed host may echo a batch again). */
static void ping(midi_conn *c, uint32_t w0)
{
	midi_error e;
	midi_packet p = pk(0, w0), r[16];
	assert_int_equal(midi_send(c, &p, 1, &e), 0);
	uint64_t end = now_ns() + 5000000000ull;
	for (;;) {
		uint64_t now = now_ns();
		if (now >= end)
			fail_msg("no echo of %08x within 5 s", w0);
		int n = midi_recv(c, r, 16, (int)((end - now) / 1000000) + 1, &e);
		if (n < 0)
			fail_msg("recv: %s", e.msg);
		for (int k = 0; k < n; k++)
			if (r[k].ump.w[0] == w0)
				return;
	}
}

static void test_host_is_helper(void **state)
{
	(void)state;
	struct ours o;
	ours_open(&o);
	struct caller cl;
	caller_begin(&cl);
	midi_error e;
	midi_conn *c = midi_open("diag:ping", 0, &e);
	if (!c)
		fail_msg("midi_open: %s", e.msg);
	caller_end(&cl);
	ping(c, 0x20903c01);
	pid_t host = ping_host_pid();
	check_helper(host, "midi-host", "host", ".host.lock", NULL, &o);
	/* No zombie, no child left to us. */
	int st;
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	midi_close(c);
	ours_close(&o);
}

/* A pinger that keeps pinging for ms, each echo due within 5 s; exit
 * status 0 if every ping was answered. */
static int pinger(int ms)
{
	midi_error e;
	midi_conn *c = midi_open("diag:ping", 0, &e);
	if (!c)
		return 2;
	uint64_t stop = now_ns() + (uint64_t)ms * 1000000ull;
	for (uint32_t k = 1; now_ns() < stop; k++) {
		uint32_t w0 = 0x20900000 | (k & 0xffff);
		midi_packet p = pk(0, w0), r[16];
		if (midi_send(c, &p, 1, &e) < 0)
			return 3;
		uint64_t end = now_ns() + 5000000000ull;
		for (int got = 0; !got;) {
			uint64_t now = now_ns();
			if (now >= end)
				return 4;
			int n = midi_recv(c, r, 16, (int)((end - now) / 1000000) + 1, &e);
			if (n < 0)
				return 5;
			for (int i = 0; i < n; i++)
				got |= r[i].ump.w[0] == w0;
		}
		usleep(500);
	}
	midi_close(c);
	return 0;
}

/* The live host of diag:ping other than `not`, waited for (5 s). */
static pid_t next_host(pid_t not)
{
	uint64_t end = now_ns() + 5000000000ull;
	do {
		pid_t h = ping_host_pid();
		if (h > 0 && h != not && kill(h, 0) == 0)
			return h;
		usleep(2000);
	} while (now_ns() < end);
	fail_msg("no new host after %d", (int)not);
	return 0;
}

/* The host is SIGKILLed three times while a client keeps pinging: each
 * time another helper takes over and no ping goes unanswered. */
static void test_host_replaced(void **state)
{
	(void)state;
	struct ours o;
	ours_open(&o);
	setenv("MIDI_TEST_MARK", "helper-env", 1); /* for the pinger's hosts */
	pid_t kid = fork();
	assert_true(kid >= 0);
	if (kid == 0) {
		alarm(60);
		_exit(pinger(2500));
	}
	pid_t h = 0;
	for (int k = 0; k < 3; k++) {
		h = next_host(h);
		usleep(200000);
		assert_int_equal(kill(h, SIGKILL), 0);
	}
	test_wait_ok(kid, "pinger");
	pid_t last = next_host(h);
	check_helper(last, "midi-host", "host", ".host.lock", NULL, &o);
	unsetenv("MIDI_TEST_MARK");
	ours_close(&o);
}

static void test_wrong_helper(void **state)
{
	(void)state;
	char saved[PATH_MAX];
	snprintf(saved, sizeof saved, "%s", getenv("MIDI_HELPER"));
	setenv("MIDI_HELPER", "/nonexistent/midi-helper", 1);
	midi_error e;
	uint64_t t0 = now_ns();
	midi_conn *c = midi_open("diag:ping", 0, &e);
	assert_null(c);
	assert_int_equal(e.code, MIDI_ERR_RUNTIME);
	if (!strstr(e.msg, "MIDI_HELPER=/nonexistent/midi-helper") ||
	    !strstr(e.msg, "diag:ping") || !strstr(e.msg, "No such file"))
		fail_msg("unclear error: %s", e.msg);
	/* A scheduled send: refused the same way. */
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	assert_non_null(a);
	midi_packet p = pk(now_ns() + 300000000ull, 0x20903c40);
	assert_true(midi_send(a, &p, 1, &e) < 0);
	assert_int_equal(e.code, MIDI_ERR_RUNTIME);
	if (!strstr(e.msg, "scheduler") || !strstr(e.msg, "MIDI_HELPER"))
		fail_msg("unclear error: %s", e.msg);
	midi_close(a);
	/* A directory is no helper either. */
	setenv("MIDI_HELPER", "/tmp", 1);
	assert_null(midi_open("diag:ping", 0, &e));
	if (!strstr(e.msg, "MIDI_HELPER=/tmp"))
		fail_msg("unclear error: %s", e.msg);
	/* Not an executable format: the exec fails and says so. */
	char bad[] = "/tmp/midi-test-helper-bad.XXXXXX";
	int fd = mkstemp(bad);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x7f" "ELX garbage", 12), 12);
	close(fd);
	assert_int_equal(chmod(bad, 0700), 0);
	setenv("MIDI_HELPER", bad, 1);
	assert_null(midi_open("diag:ping", 0, &e));
	if (!strstr(e.msg, "cannot run") || !strstr(e.msg, bad))
		fail_msg("unclear error: %s", e.msg);
	unlink(bad);
	assert_true(now_ns() - t0 < 20000000000ull); /* no hang */
	setenv("MIDI_HELPER", saved, 1);
	/* And with the right one again, all works. */
	c = midi_open("diag:ping", 0, &e);
	assert_non_null(c);
	ping(c, 0x20903c7f);
	midi_close(c);
}

/* A helper script at path that counts its starts in count and then runs
 * body (sh). */
static void helper_script(const char *path, const char *count, const char *body)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\necho start >> '%s'\n%s\n", count, body);
	fclose(f);
	assert_int_equal(chmod(path, 0700), 0);
}

static int lines_of(const char *path)
{
	char buf[4096];
	int k = read_text(path, buf, sizeof buf), n = 0;
	for (int i = 0; i < k; i++)
		n += buf[i] == '\n';
	return n;
}

/* A helper that cannot work says why, and the call that started it fails
 * with that at once: one of another shared-memory format (a program and
 * a helper of different versions), one that dies before it reports (its
 * libraries missing). A connection whose host is killed and whose new
 * helper cannot work is told why at its next call, and the helper is not
 * started again for a second (before, each look started one: hundreds a
 * second); once a good helper is back, pings get through again. */
static void test_helper_cannot_work(void **state)
{
	(void)state;
	char saved[PATH_MAX], dir[PATH_MAX], script[PATH_MAX], count[PATH_MAX], body[3 * PATH_MAX];
	snprintf(saved, sizeof saved, "%s", getenv("MIDI_HELPER"));
	/* A runtime directory of another format, for the helper to see. */
	snprintf(dir, sizeof dir, "%s/other", rtdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	char reg[PATH_MAX + 16];
	snprintf(reg, sizeof reg, "%s/registry", dir);
	FILE *f = fopen(reg, "w");
	assert_non_null(f);
	unsigned char head[16] = {0}; /* the magic, then the format */
	uint64_t magic = REG_MAGIC;
	uint32_t format = SHM_FORMAT + 1;
	memcpy(head, &magic, sizeof magic);
	memcpy(head + 8, &format, sizeof format);
	assert_int_equal(fwrite(head, sizeof head, 1, f), 1);
	fclose(f);
	snprintf(script, sizeof script, "%s/helper.sh", rtdir);
	snprintf(count, sizeof count, "%s/starts", rtdir);
	snprintf(body, sizeof body, "MIDI_RUNTIME_DIR='%s' exec '%s' \"$@\"", dir, saved);
	helper_script(script, count, body);

	midi_error e;
	midi_conn *c = midi_open("diag:ping", 0, &e);
	assert_non_null(c);
	ping(c, 0x20903c01);
	setenv("MIDI_HELPER", script, 1);
	pid_t h = ping_host_pid();
	assert_true(h > 0);
	assert_int_equal(kill(h, SIGKILL), 0);
	/* Sends for 0.6 s: each fails with the helper's reason, at once. */
	uint64_t t0 = now_ns();
	int failed = 0;
	midi_packet p = pk(0, 0x20903c02);
	while (now_ns() - t0 < 600000000ull) {
		if (midi_send(c, &p, 1, &e) < 0) {
			failed++;
			char want[64];
			snprintf(want, sizeof want, "shared-memory format %u", SHM_FORMAT);
			if (!strstr(e.msg, "cannot start a host for diag:ping") ||
			    !strstr(e.msg, script) || !strstr(e.msg, want) || !strstr(e.msg, dir))
				fail_msg("unclear error: %s", e.msg);
		}
		usleep(5000);
	}
	assert_true(failed > 10);
	if (lines_of(count) > 2)
		fail_msg("the helper was started %d times in 0.6 s", lines_of(count));
	/* A good helper again: after the pause, pings get through. */
	setenv("MIDI_HELPER", saved, 1);
	usleep(1100000);
	ping(c, 0x20903c03);
	midi_close(c);

	/* A helper that dies before it reports: the open fails and says so. */
	unlink(count);
	helper_script(script, count, "exit 3");
	setenv("MIDI_HELPER", script, 1);
	h = ping_host_pid();
	for (int k = 0; k < 1500 && h > 0 && kill(h, 0) == 0; k++)
		usleep(20000); /* the old host leaves (idle, 2 s; up to 30 s here) */
	assert_false(h > 0 && kill(h, 0) == 0);
	t0 = now_ns();
	c = midi_open("diag:ping", 0, &e);
	if (c)
		fail_msg("opened with a helper that dies");
	if (!strstr(e.msg, "ended before it was ready") || !strstr(e.msg, script))
		fail_msg("unclear error: %s", e.msg);
	assert_true(now_ns() - t0 < 5000000000ull);
	setenv("MIDI_HELPER", saved, 1);
}

/* With MIDI_HELPER unset, the helper is looked up beside the program or in
 * the install prefix; if neither has it, the message names both and the
 * variable. */
static void test_lookup_unset(void **state)
{
	(void)state;
	char saved[PATH_MAX], got[PATH_MAX];
	snprintf(saved, sizeof saved, "%s", getenv("MIDI_HELPER"));
	unsetenv("MIDI_HELPER");
	midi_error e;
	int r = broker_helper_path(got, sizeof got, &e);
	if (r == 0) {
		size_t n = strlen(got), s = strlen("/libexec/midi-helper");
		assert_true(n > s && strcmp(got + n - s, "/libexec/midi-helper") == 0);
	} else if (!strstr(e.msg, "../libexec/midi-helper") || !strstr(e.msg, "MIDI_HELPER")) {
		fail_msg("unclear error: %s", e.msg);
	}
	setenv("MIDI_HELPER", saved, 1);
}

static void test_sched_is_helper(void **state)
{
	(void)state;
	struct ours o;
	ours_open(&o);
	midi_error e;
	midi_conn *b = midi_open("diag:loopback-b", 0, &e);
	assert_non_null(b);
	midi_conn *a = midi_open("diag:loopback-a", 0, &e);
	assert_non_null(a);
	struct caller cl;
	caller_begin(&cl);
	uint64_t due = now_ns() + 300000000ull;
	midi_packet p = pk(due, 0x20903c41);
	assert_int_equal(midi_send(a, &p, 1, &e), 0);
	caller_end(&cl);
	struct sched_stats st;
	char comm[32] = "";
	uint64_t end = now_ns() + 3000000000ull;
	do {
		assert_int_equal(sched_get_stats(&st, &e), 0);
		if (st.pid > 0)
			comm_of(st.pid, comm, sizeof comm);
		if (strcmp(comm, "midi-sched") == 0)
			break;
		usleep(2000);
	} while (now_ns() < end);
	assert_string_equal(comm, "midi-sched");
	check_helper(st.pid, "midi-sched", "sched", "/sched.lock", NULL, &o);
	midi_packet r[4];
	assert_int_equal(midi_recv(b, r, 4, 3000, &e), 1);
	assert_int_equal(r[0].ump.w[0], 0x20903c41);
	assert_true(r[0].time_ns >= due);
	midi_close(a);
	midi_close(b);
	ours_close(&o);
}

/* The helper with comm and MIDI_RUNTIME_DIR=rtdir, or 0. */
static pid_t find_helper(const char *comm)
{
	char var[300];
	snprintf(var, sizeof var, "MIDI_RUNTIME_DIR=%s", rtdir);
	DIR *d = opendir("/proc");
	assert_non_null(d);
	pid_t found = 0;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid <= 0)
			continue;
		char c[32];
		comm_of(pid, c, sizeof c);
		if (strcmp(c, comm) == 0 && has_env(pid, var))
			found = pid;
	}
	closedir(d);
	return found;
}

/* The discovery agent, started by the process that hosts a virtual device
 * (holding its host lock), has neither that lock nor anything else of
 * ours. The device stays silent so the agent waits. */
static void test_discovery_is_helper(void **state)
{
	(void)state;
	setenv("MIDI_DISCOVERY_TIMEOUT_MS", "4000", 1);
	struct ours o;
	ours_open(&o);
	struct caller cl;
	caller_begin(&cl);
	midi_error e;
	midi_device_decl d;
	midi_device_decl_init(&d, "Hush");
	d.silent = 1;
	midi_virt *v = midi_virt_open("hush", &d, &e);
	if (!v)
		fail_msg("midi_virt_open: %s", e.msg);
	caller_end(&cl);
	pid_t agent = 0;
	uint64_t end = now_ns() + 3000000000ull;
	while (!(agent = find_helper("midi-discovery")) && now_ns() < end)
		usleep(5000);
	assert_true(agent > 0);
	check_helper(agent, "midi-discovery", "discovery", ".disc.lock", ".host.lock", &o);
	char cmd[1024];
	cmdline_of(agent, cmd, sizeof cmd);
	if (!strstr(cmd, " discovery virt:hush "))
		fail_msg("command line %s", cmd);
	midi_virt_close(v);
	/* The agent sees the endpoint go and exits. */
	end = now_ns() + 5000000000ull;
	while (kill(agent, 0) == 0 && now_ns() < end)
		usleep(5000);
	assert_true(kill(agent, 0) < 0);
	ours_close(&o);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!getenv("MIDI_HELPER")) {
		/* build-asan/tests/X: ../libexec/midi-helper; build/tests/X:
		 * the plain helper, ../../libexec/midi-helper. */
		char exe[PATH_MAX], path[PATH_MAX + 32];
		ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (k > 0) {
			exe[k] = '\0';
			*strrchr(exe, '/') = '\0';
			snprintf(path, sizeof path, "%s/../libexec/midi-helper", exe);
			if (access(path, X_OK) != 0)
				snprintf(path, sizeof path, "%s/../../libexec/midi-helper", exe);
			setenv("MIDI_HELPER", path, 1);
		}
	}
	if (!getenv("MIDI_HELPER") || !realpath(getenv("MIDI_HELPER"), helper)) {
		fprintf(stderr, "%s: set MIDI_HELPER to the helper program\n", argv[0]);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_host_is_helper, fresh_runtime),
		cmocka_unit_test_setup(test_host_replaced, fresh_runtime),
		cmocka_unit_test_setup(test_wrong_helper, fresh_runtime),
		cmocka_unit_test_setup(test_helper_cannot_work, fresh_runtime),
		cmocka_unit_test_setup(test_lookup_unset, fresh_runtime),
		cmocka_unit_test_setup(test_sched_is_helper, fresh_runtime),
		cmocka_unit_test_setup(test_discovery_is_helper, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
