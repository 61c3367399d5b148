/* spawn.c: starting the broker's detached helper processes (the host of a
 * hosted endpoint, the discovery agent, the scheduler). A double fork, so
 * the caller is left with no zombie and the helper with no parent to wait
 * for it; a clean helper: its own session, default signal handling
 * (SIGPIPE ignored), standard streams on /dev/null, no descriptor of the
 * caller but the lock it is to hold. */
#include "broker/broker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Close every descriptor above 2 but lockfd (moved above 2 if needed; the
 * duplicate shares the lock). Returns the lock's descriptor or -1. */
static int keep_only(int lockfd)
{
	if (lockfd < 3) {
		int fd = fcntl(lockfd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return -1;
		lockfd = fd;
	}
	if (lockfd > 3)
		close_range(3, (unsigned)lockfd - 1, 0);
	close_range((unsigned)lockfd + 1, ~0u, 0);
	return lockfd;
}

static void detach(const char *name)
{
	setsid();
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	prctl(PR_SET_NAME, name, 0, 0, 0);
	rt_forget(); /* the runtime's descriptors were closed */
}

int broker_spawn(const char *name, int lockfd, void (*fn)(void *arg, int lockfd), void *arg)
{
	pid_t pid = fork();
	if (pid == 0) {
		/* At once, before anything else: a lock of the caller (say a
		 * virtual device's host lock) must not be held here even for a
		 * moment, or a dead host's endpoint would look alive. */
		int fd = keep_only(lockfd);
		if (fd < 0)
			_exit(1);
		pid_t p2 = fork();
		if (p2 == 0) {
			detach(name);
			fn(arg, fd);
			_exit(0);
		}
		_exit(p2 < 0 ? 1 : 0);
	}
	if (pid < 0)
		return -errno;
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}
