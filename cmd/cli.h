/* cli.h: helpers shared by the programs: messages, exit statuses, number
 * and endpoint arguments, precise sleeping. No MIDI logic lives here. */
#ifndef MIDI_CLI_H
#define MIDI_CLI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "midi/error.h"

/* Exit statuses of every program (see their manual pages; = enum midi_status). */
enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_NOTFOUND = 3, EXIT_TIMEOUT = 4, EXIT_LOST = 5 };

extern const char *cli_prog;
void cli_init(const char *argv0);
/* "prog: message" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print e and return the exit status for it (CLOSED maps to 1). */
int cli_report(const midi_error *e);
/* Same, with a prefix such as a file name: "prog: FILE: message". */
int cli_report_in(const char *where, const midi_error *e);
/* Usage error: "prog: message" + "Try 'prog --help'." and return 2. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_version(void);
/* For getopt_long's '?' (cli_init sets opterr = 0, so getopt says nothing):
 * one usage error naming the option, "unknown option '--bogus'" or "option
 * '-e' requires an argument", with " for CONTEXT" (a subcommand) when
 * CONTEXT is not NULL. optstring is the one given to getopt_long. Returns 2. */
int cli_bad_option(char *const argv[], const char *optstring, const char *context);
/* Call at exit: flush and close standard output; a write error there (a
 * full disk, /dev/full) is reported and turns status 0 into 1 (a non-zero
 * status stays, unreported: the program said why; EPIPE stays quiet).
 * Returns the status to exit with. */
int cli_finish_stdout(int status);
/* Parse an unsigned decimal in [lo, hi]; on error prints "invalid WHAT" and returns -1. */
int cli_uint(const char *s, unsigned long lo, unsigned long hi, const char *what, unsigned long *out);
/* Parse seconds with optional fraction ("1.5"); returns -1 on error. */
int cli_seconds(const char *s, const char *what, double *out);
/* The endpoint SPEC: opt if given, else $MIDI_ENDPOINT, else NULL. */
const char *cli_endpoint(const char *opt);
/* poll(2) timeout for a CLOCK_MONOTONIC deadline in ns: milliseconds left,
 * rounded up (0 once passed), -1 when deadline is 0 (none). */
int cli_wait_ms(uint64_t deadline_ns);
/* Call handler on SIGINT and SIGTERM, ignore SIGPIPE (it shows up as
 * EPIPE), and block INT and TERM except while waiting: *waitmask is the
 * mask to give ppoll, so a signal is never missed between a check and the
 * wait. */
void cli_stop_signals(void (*handler)(int), sigset_t *waitmask);
/* SIGINT or SIGTERM pending while blocked: ppoll delivers them only when
 * it waits, so a descriptor that is always ready would hide them. */
int cli_stop_pending(void);
/* CLOCK_MONOTONIC now in ns. */
uint64_t cli_now_ns(void);
/* Sleep until a CLOCK_MONOTONIC deadline with ~microsecond precision (timer
 * slack lowered, last 200 us spun). */
void cli_sleep_until(uint64_t deadline_ns);

#endif
