/* helper.c: midi_helper_main, the whole of the helper program the library
 * starts (spawn.c) for hosts, transport agents, discovery and the
 * scheduler. The program (cmd/helper) only calls it, so it links the
 * public archive like every other program. Its command lines:
 *   midi-host      host      TRANSPORT KEY    LOCKFD
 *   midi-agent     agent     TRANSPORT        LOCKFD
 *   midi-discovery discovery ID   INCARNATION LOCKFD
 *   midi-sched     sched                      LOCKFD
 * where LOCKFD is an inherited descriptor of the lock file whose lock the
 * starting client took for it (the helper keeps it until it exits), KEY
 * the host group a host serves (transport.h) and INCARNATION 16 hex
 * digits. It names itself after the role, checks it can do the job (the
 * runtime directory is of its shared-memory format, it has the transport)
 * and tells the library that started it (broker_helper_report: ready, or
 * why not), then calls the role's entry point, which never returns. */
#include "midi/helper.h"

#include "broker/broker.h"
#include "broker/sched.h"
#include "transport/transport.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

static int usage(void)
{
	fputs("usage: midi-helper host TRANSPORT KEY LOCKFD\n"
	      "       midi-helper agent TRANSPORT LOCKFD\n"
	      "       midi-helper discovery ID INCARNATION LOCKFD\n"
	      "       midi-helper sched LOCKFD\n"
	      "midi-helper is started by libmidi (see libmidi(3)), not by hand.\n",
	      stderr);
	return 2;
}

static int parse_u64(const char *s, int base, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, base);
	if (!*s || *end || errno || *s == '-' || *s == '+')
		return -1;
	*v = x;
	return 0;
}

static int parse_fd(const char *s, int *fd)
{
	uint64_t v;
	if (parse_u64(s, 10, &v) < 0 || v > 65535)
		return -1;
	*fd = (int)v;
	return 0;
}

/* Whether this helper can do the job it was started for; why not in why.
 * Before any lock: a program of another version must not wait here for a
 * lock its caller holds. */
static int can_work(const char *role, const char *transport, char *why, size_t n)
{
	char dir[PATH_MAX];
	uint32_t other = rt_format_of(dir, sizeof dir);
	if (other) {
		snprintf(why, n,
			 "it uses shared-memory format %u and the runtime directory %.80s holds "
			 "format %u: install matching versions (or set MIDI_HELPER to the "
			 "program's own helper)",
			 SHM_FORMAT, dir, other);
		return 0;
	}
	if ((strcmp(role, "host") == 0 || strcmp(role, "agent") == 0) &&
	    !transport_find(transport)) {
		snprintf(why, n, "it has no transport \"%.32s\" (built without it?)", transport);
		return 0;
	}
	return 1;
}

int midi_helper_main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *role = argv[1];
	int fd;
	uint64_t uid = 0;
	if (strcmp(role, "host") == 0) {
		if (argc != 5 || !*argv[2] || !*argv[3] || strlen(argv[3]) >= 64 ||
		    parse_fd(argv[4], &fd) < 0)
			return usage();
	} else if (strcmp(role, "agent") == 0) {
		if (argc != 4 || !*argv[2] || parse_fd(argv[3], &fd) < 0)
			return usage();
	} else if (strcmp(role, "discovery") == 0) {
		if (argc != 5 || !*argv[2] || strlen(argv[2]) >= MIDI_ID_MAX ||
		    parse_u64(argv[3], 16, &uid) < 0 || parse_fd(argv[4], &fd) < 0)
			return usage();
	} else if (strcmp(role, "sched") == 0) {
		if (argc != 3 || parse_fd(argv[2], &fd) < 0)
			return usage();
	} else {
		return usage();
	}
	char name[16];
	snprintf(name, sizeof name, "midi-%s", role);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	char why[240];
	if (!can_work(role, argv[2], why, sizeof why)) {
		broker_helper_report(why);
		return 1;
	}
	if (broker_helper_lock(fd) < 0) {
		broker_helper_report("its lock descriptor is not a lock file of this user");
		return 1;
	}
	broker_helper_report(NULL);
	if (strcmp(role, "host") == 0)
		host_main(argv[2], argv[3], fd);
	if (strcmp(role, "agent") == 0)
		tagent_main(argv[2], fd);
	if (strcmp(role, "discovery") == 0)
		agent_main(argv[2], uid, fd);
	sched_host_main(NULL, fd);
	return 0;
}
