/* spawn.c: starting the broker's helper processes (the host of a hosted
 * endpoint, the discovery agent, the scheduler). They are not copies of
 * the client that needed them: the library runs the helper program
 * midi-helper (cmd/helper/) with fork+exec, so a helper never inherits an
 * application's threads, memory, handlers or descriptors.
 *
 * The helper program: $MIDI_HELPER if set (and only it), else
 * DIR/../libexec/midi-helper where DIR holds the running program
 * (/proc/self/exe: an installed $PREFIX/bin program or the checkout's
 * bin/), else the compiled-in MIDI_LIBEXECDIR/midi-helper. Not found: the
 * call that needed it fails with a message naming what was tried.
 *
 * Its command line (argv[0] is the process name, shown by ps):
 *   midi-host      host      UID              LOCKFD
 *   midi-discovery discovery ID   INCARNATION LOCKFD
 *   midi-sched     sched                      LOCKFD
 * UID and INCARNATION are 16 hex digits; the helper finds the endpoint in
 * the registry itself. LOCKFD (always 3) is the caller's locked lock file
 * (ep-UID.host.lock, ep-UID.disc.lock, sched.lock): the helper shares that
 * open file description, so it keeps the lock the caller took and the
 * kernel frees it when the helper dies. The environment is the caller's,
 * with MIDI_RUNTIME_DIR set to the runtime directory the caller uses.
 *
 * A double fork, so the caller is left with no zombie and the helper with
 * no parent to wait for it: the first child takes a new session and
 * forks; the grandchild execs. The helper starts with stdin, stdout and
 * stderr on /dev/null, the lock on descriptor 3 and no other descriptor,
 * default signal dispositions and an empty signal mask. Everything that
 * allocates (the path, argv, envp) is done before fork: between fork and
 * exec of a possibly multithreaded caller only async-signal-safe calls.
 *
 * A pipe tells the caller how the start went. The children write a report
 * into it when fork, /dev/null, the descriptors or exec fail. The helper
 * inherits it as descriptor 4 (MIDI_HELPER_REPORT=4 in its environment,
 * which it removes) and reports once it has looked at what it was asked
 * to do: ready, or why it cannot (a runtime directory of another
 * shared-memory format, a transport it was built without), before it
 * takes any lock. End of file with no report means it died before that
 * (its libraries could not be loaded, a crash). So a helper that cannot
 * work is an error of the call that started it, with its reason, and not
 * a process that exits at once and is started again at every look. A
 * helper that has not reported within SPAWN_READY_MS (a machine very
 * busy, valgrind) is taken as started. */
#include "broker/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MIDI_LIBEXECDIR
#define MIDI_LIBEXECDIR "/usr/local/libexec"
#endif

#define HELPER_NAME "midi-helper"
#define HELPER_LOCKFD 3
#define HELPER_REPFD 4
#define HELPER_REPORT_ENV "MIDI_HELPER_REPORT"
#define SPAWN_ARGS 8
#define SPAWN_READY_MS 10000

extern char **environ;

static int runnable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) < 0)
		return -errno;
	return 0;
}

int broker_helper_path(char *buf, size_t n, midi_error *e)
{
	const char *env = getenv("MIDI_HELPER");
	if (env && *env) {
		int r = runnable(env);
		if (r < 0)
			return midi_error_sys(e, -r, "helper program MIDI_HELPER=%s", env);
		if (snprintf(buf, n, "%s", env) >= (int)n)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "MIDI_HELPER is too long");
		return 0;
	}
	char exe[PATH_MAX], near[PATH_MAX + 32] = "";
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k > 0) {
		exe[k] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(near, sizeof near, "%s/../libexec/" HELPER_NAME, exe);
			if (runnable(near) == 0 && snprintf(buf, n, "%s", near) < (int)n)
				return 0;
		}
	}
	const char *built_in = MIDI_LIBEXECDIR "/" HELPER_NAME;
	if (runnable(built_in) == 0 && snprintf(buf, n, "%s", built_in) < (int)n)
		return 0;
	return midi_error_set(e, MIDI_ERR_RUNTIME,
			      "helper program " HELPER_NAME " not found (tried %s%s%s); "
			      "set MIDI_HELPER to its path",
			      near, *near ? " and " : "", built_in);
}

/* What goes through the pipe: one report, written at once (it is smaller
 * than PIPE_BUF). */
enum {
	REP_FORK = 1,
	REP_DEVNULL,
	REP_EXEC,
	REP_FDS,
	REP_REFUSED, /* the helper cannot do it: msg says why */
	REP_READY,   /* the helper runs */
};

struct report {
	int stage;
	int err;
	char msg[240];
};

static _Noreturn void report(int fd, int stage, int err)
{
	struct report r = {stage, err, ""};
	ssize_t w = write(fd, &r, sizeof r);
	(void)w;
	_exit(127);
}

/* Close every descriptor but a and b (a < b). */
static void close_all_but(int a, int b, int maxfd)
{
	int lo[3] = {0, a + 1, b + 1}, hi[3] = {a - 1, b - 1, -1};
	for (int k = 0; k < 3; k++) {
		if (hi[k] >= 0 && hi[k] < lo[k])
			continue;
		unsigned last = hi[k] < 0 ? ~0u : (unsigned)hi[k];
		if (close_range((unsigned)lo[k], last, 0) == 0)
			continue;
		int top = hi[k] < 0 ? maxfd : hi[k];
		for (int fd = lo[k]; fd <= top; fd++)
			close(fd);
	}
}

/* fork without the atfork handlers (async-signal-safe) where glibc has it. */
static pid_t fork_raw(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	return _Fork();
#else
	return fork();
#endif
}

struct plan {
	const char *path;
	char *const *argv;
	char *const *envp;
	int lockfd, repfd, maxfd;
	struct sigaction dfl;
};

/* The first child: only async-signal-safe calls from here on. */
static _Noreturn void child(const struct plan *p)
{
	/* At once, before anything else: a lock of the caller (say a virtual
	 * device's host lock) must not be held here but for a moment, or a
	 * dead host's endpoint would look alive. Keep only the lock to pass
	 * and the report pipe, both above 3. */
	int lock = fcntl(p->lockfd, F_DUPFD, HELPER_LOCKFD + 1);
	int rep = fcntl(p->repfd, F_DUPFD_CLOEXEC, HELPER_LOCKFD + 1);
	if (rep < 0)
		report(p->repfd, REP_FDS, errno);
	if (lock < 0)
		report(rep, REP_FDS, errno);
	if (lock < rep)
		close_all_but(lock, rep, p->maxfd);
	else
		close_all_but(rep, lock, p->maxfd);
	/* Default dispositions (exec keeps ignored signals ignored); signals
	 * stay blocked, as the parent blocked them before fork, until exec. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &p->dfl, NULL);
	/* glibc refuses the two signals it keeps for itself (32, 33), which a
	 * caller's parent may have left ignored: ask the kernel directly. */
	for (int sig = 32; sig < SIGRTMIN; sig++) {
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			unsigned long mask;
		} ksa = {0};
		syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
	}
	setsid();
	pid_t pid = fork_raw();
	if (pid < 0)
		report(rep, REP_FORK, errno);
	if (pid > 0)
		_exit(0);
	/* The grandchild: /dev/null on 0, 1, 2 (all free now), the lock on 3,
	 * the report pipe on 4 (kept across exec). */
	int null = open("/dev/null", O_RDWR);
	if (null != 0 || dup2(0, 1) != 1 || dup2(0, 2) != 2)
		report(rep, REP_DEVNULL, null < 0 ? errno : EBADF);
	if (dup2(lock, HELPER_LOCKFD) != HELPER_LOCKFD)
		report(rep, REP_FDS, errno);
	close(lock);
	if (rep == HELPER_REPFD) {
		if (fcntl(rep, F_SETFD, 0) < 0)
			report(rep, REP_FDS, errno);
	} else {
		if (dup2(rep, HELPER_REPFD) != HELPER_REPFD)
			report(rep, REP_FDS, errno);
		close(rep);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(p->path, p->argv, p->envp);
	report(HELPER_REPFD, REP_EXEC, errno);
}

/* The caller's environment with MIDI_RUNTIME_DIR=dir and the report
 * descriptor (allocated: free the array and *own). */
static char **helper_env(const char *dir, char **own)
{
	static char repvar[] = HELPER_REPORT_ENV "=4";
	_Static_assert(HELPER_REPFD == 4, "repvar names descriptor 4");
	size_t n = 0;
	for (char **v = environ; v && *v; v++)
		n++;
	char **env = malloc((n + 3) * sizeof *env);
	size_t len = strlen(dir) + sizeof "MIDI_RUNTIME_DIR=";
	*own = malloc(len);
	if (!env || !*own) {
		free(env);
		free(*own);
		return NULL;
	}
	snprintf(*own, len, "MIDI_RUNTIME_DIR=%s", dir);
	size_t k = 0;
	for (char **v = environ; v && *v; v++)
		if (strncmp(*v, "MIDI_RUNTIME_DIR=", 17) != 0 &&
		    strncmp(*v, HELPER_REPORT_ENV "=", sizeof HELPER_REPORT_ENV) != 0)
			env[k++] = *v;
	env[k++] = *own;
	env[k++] = repvar;
	env[k] = NULL;
	return env;
}

int broker_spawn(struct rt *rt, const char *role, const char *const *args, int lockfd,
		 const char *what, midi_error *e)
{
	char path[PATH_MAX];
	midi_error why;
	int r = broker_helper_path(path, sizeof path, &why);
	if (r < 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "cannot start %s: %s", what, why.msg);
	char name[32], fdarg[16];
	snprintf(name, sizeof name, "midi-%s", role);
	snprintf(fdarg, sizeof fdarg, "%d", HELPER_LOCKFD);
	char *argv[SPAWN_ARGS + 4];
	size_t na = 0;
	argv[na++] = name;
	argv[na++] = (char *)role;
	for (size_t k = 0; args && args[k] && k < SPAWN_ARGS; k++)
		argv[na++] = (char *)args[k];
	argv[na++] = fdarg;
	argv[na] = NULL;
	char *own;
	char **envp = helper_env(rt->path, &own);
	if (!envp)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "cannot start %s: out of memory", what);
	struct rlimit rl;
	int maxfd = 65535;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		maxfd = rl.rlim_cur > (1u << 20) ? (1 << 20) : (int)rl.rlim_cur;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = midi_error_sys(e, errno, "cannot start %s", what);
		goto out;
	}
	struct plan p = {.path = path, .argv = argv, .envp = envp, .lockfd = lockfd,
			 .repfd = pfd[1], .maxfd = maxfd};
	p.dfl.sa_handler = SIG_DFL;
	sigemptyset(&p.dfl.sa_mask);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		child(&p);
	int err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		r = midi_error_sys(e, err, "cannot start %s", what);
		goto out;
	}
	int st = 0; /* stays 0 if a SIGCHLD handler of the caller reaped it */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* One report, or end of file (the helper died before it reported; or
	 * another thread's fork holds a copy of the write end, hence the
	 * bound). */
	struct report rep = {0, 0, ""};
	struct pollfd pl = {.fd = pfd[0], .events = POLLIN};
	int pr;
	uint64_t until = broker_now_ns() + SPAWN_READY_MS * 1000000ull;
	for (;;) {
		uint64_t now = broker_now_ns();
		pr = now < until ? poll(&pl, 1, (int)((until - now + 999999) / 1000000)) : 0;
		if (pr >= 0 || errno != EINTR)
			break;
	}
	ssize_t got = pr > 0 ? read(pfd[0], &rep, sizeof rep) : -1;
	if (got != (ssize_t)sizeof rep)
		rep.stage = 0;
	rep.msg[sizeof rep.msg - 1] = '\0';
	close(pfd[0]);
	r = 0;
	/* Failures are reported through the pipe; the starter's exit status
	 * says nothing more (under valgrind it is that of its leak check). */
	if (!rep.stage && WIFSIGNALED(st))
		r = midi_error_set(e, MIDI_ERR_RUNTIME, "cannot start %s: killed by signal %d",
				   what, WTERMSIG(st));
	else if (rep.stage == REP_EXEC)
		r = midi_error_sys(e, rep.err, "cannot start %s: cannot run %s", what, path);
	else if (rep.stage == REP_REFUSED)
		r = midi_error_set(e, MIDI_ERR_RUNTIME, "cannot start %s: the helper %s says: %s",
				   what, path, rep.msg);
	else if (pr > 0 && got == 0)
		r = midi_error_set(e, MIDI_ERR_RUNTIME,
				   "cannot start %s: the helper %s ended before it was ready (run "
				   "it by hand to see why)", what, path);
	else if (rep.stage && rep.stage != REP_READY)
		r = midi_error_sys(e, rep.err, "cannot start %s: %s", what,
				   rep.stage == REP_FORK      ? "fork"
				   : rep.stage == REP_DEVNULL ? "/dev/null"
							      : "descriptors");
out:
	free(envp);
	free(own);
	return r;
}

/* The helper's side of the report pipe: descriptor 4 when the environment
 * names it and it is a pipe (not when run by hand), once. */
void broker_helper_report(const char *refused)
{
	static int done;
	const char *v = getenv(HELPER_REPORT_ENV);
	int ours = !done && v && strcmp(v, "4") == 0;
	struct stat st;
	unsetenv(HELPER_REPORT_ENV); /* not for the helpers it starts */
	done = 1;
	if (!ours || fstat(HELPER_REPFD, &st) < 0 || !S_ISFIFO(st.st_mode))
		return;
	struct report r = {refused ? REP_REFUSED : REP_READY, 0, ""};
	if (refused)
		snprintf(r.msg, sizeof r.msg, "%s", refused);
	ssize_t w = write(HELPER_REPFD, &r, sizeof r);
	(void)w;
	close(HELPER_REPFD);
}

int broker_helper_lock(int lockfd)
{
	struct stat st;
	if (fstat(lockfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return -1;
	/* A no-op on the lock the caller passed; a helper run by hand with
	 * another descriptor of a lock some process holds gives up. */
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0)
		return -1;
	fcntl(lockfd, F_SETFD, FD_CLOEXEC);
	return 0;
}
