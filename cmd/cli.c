/* cli.c: implementation of cli.h (messages, exit statuses, arguments). */
#include "cli.h"

#include "midi/text.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

const char *cli_prog = "midi";

void cli_init(const char *argv0)
{
	const char *s = strrchr(argv0, '/');
	cli_prog = s ? s + 1 : argv0;
	opterr = 0; /* cli_bad_option reports, once */
}

/* "prog: " + the message, escaped (it may quote arguments or input). */
static void vwarn(const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	fprintf(stderr, "%s: ", cli_prog);
	midi_text_puts(msg, stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int status_of(const midi_error *e)
{
	switch (e->code) {
	case MIDI_ERR_INPUT:
	case MIDI_ERR_NOTFOUND:
	case MIDI_ERR_TIMEOUT:
	case MIDI_ERR_LOST:
		return e->code;
	default:
		return EXIT_RUNTIME;
	}
}

int cli_report(const midi_error *e)
{
	fprintf(stderr, "%s: %s\n", cli_prog, e->msg[0] ? e->msg : "unknown error");
	return status_of(e);
}

int cli_report_in(const char *where, const midi_error *e)
{
	fprintf(stderr, "%s: ", cli_prog);
	midi_text_puts(where, stderr);
	fprintf(stderr, ": %s\n", e->msg[0] ? e->msg : "unknown error");
	return status_of(e);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", cli_prog);
	return EXIT_USAGE;
}

void cli_version(void)
{
	printf("%s (libmidi) %s\n", cli_prog, MIDI_VERSION);
}

int cli_uint(const char *s, unsigned long lo, unsigned long hi, const char *what, unsigned long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-' || *s == '+')
		goto bad;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		goto bad;
	*out = v;
	return 0;
bad:
	cli_warn("invalid %s '%s' (expected %lu-%lu)", what, s ? s : "", lo, hi);
	return -1;
}

int cli_seconds(const char *s, const char *what, double *out)
{
	char *end;
	errno = 0;
	double v = s && *s ? strtod(s, &end) : -1;
	if (!s || !*s || errno || *end || !(v >= 0) || v > 1e7) {
		cli_warn("invalid %s '%s' (expected seconds, e.g. 2 or 0.5)", what, s ? s : "");
		return -1;
	}
	*out = v;
	return 0;
}

const char *cli_endpoint(const char *opt)
{
	if (opt && *opt)
		return opt;
	const char *env = getenv("MIDI_ENDPOINT");
	return env && *env ? env : NULL;
}

uint64_t cli_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int cli_wait_ms(uint64_t deadline_ns)
{
	if (!deadline_ns)
		return -1;
	uint64_t now = cli_now_ns();
	if (now >= deadline_ns)
		return 0;
	uint64_t ms = (deadline_ns - now + 999999) / 1000000;
	return ms > 86400000 ? 86400000 : (int)ms;
}

void cli_stop_signals(void (*handler)(int), sigset_t *waitmask)
{
	struct sigaction sa = {0};
	sigset_t block;
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
}

int cli_stop_pending(void)
{
	sigset_t pend;
	return sigpending(&pend) == 0 && (sigismember(&pend, SIGINT) || sigismember(&pend, SIGTERM));
}

void cli_sleep_until(uint64_t deadline_ns)
{
	static int slack_set;
	if (!slack_set) {
		prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
		slack_set = 1;
	}
	uint64_t now = cli_now_ns();
	if (deadline_ns > now + 200000) {
		uint64_t t = deadline_ns - 200000;
		struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	while (cli_now_ns() < deadline_ns)
		;
}

int cli_bad_option(char *const argv[], const char *optstring, const char *context)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	const char *in = context ? " for " : "";
	const char *ctx = context ? context : "";
	int is_long = strncmp(arg, "--", 2) == 0;
	size_t nlen = is_long ? strcspn(arg, "=") : 0;
	if (optopt == 0)
		/* glibc leaves optind past an unknown long option */
		return cli_usage_error("unknown option '%.*s'%s%s", (int)strcspn(arg, "="), arg, in,
				       ctx);
	const char *p = optopt < 256 ? strchr(optstring, optopt) : NULL;
	if (is_long && arg[nlen] == '=' && (!p || p[1] != ':'))
		return cli_usage_error("option '%.*s' takes no argument%s%s", (int)nlen, arg, in, ctx);
	if (p && p[1] == ':') {
		if (is_long)
			return cli_usage_error("option '%.*s' requires an argument%s%s", (int)nlen, arg,
					       in, ctx);
		return cli_usage_error("option '-%c' requires an argument%s%s", optopt, in, ctx);
	}
	if (optopt >= 256 && is_long) /* a long-only option with its argument missing */
		return cli_usage_error("option '%.*s' requires an argument%s%s", (int)nlen, arg, in, ctx);
	/* (a control byte in it is escaped like any message) */
	return cli_usage_error("unknown option '-%c'%s%s", optopt & 0xFF, in, ctx);
}

/* Standard output is a pipe or socket nobody reads any more: what EPIPE
 * says, for a write that failed earlier and left only ferror behind. */
static int reader_gone(void)
{
	struct pollfd p = {.fd = fileno(stdout), .events = POLLOUT};
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

int cli_finish_stdout(int status)
{
	/* A full disk shows up here for output small enough to sit in the
	 * stdio buffer until now; an earlier failed write left ferror set. */
	errno = 0;
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int err = errno;
	int gone = bad && !err && reader_gone();
	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		err = errno;
	}
	/* Quiet when the program already failed (it said why) or the reader
	 * went away (EPIPE: `| head`), as for any other write. */
	if (!bad || status || err == EPIPE || gone)
		return status;
	if (err)
		cli_warn("error writing standard output: %s", strerror(err));
	else
		cli_warn("error writing standard output");
	return EXIT_RUNTIME;
}
