/* test_netavahi.c: avahi-client is loaded when DNS-SD is first used
 * (net/netavahi_lib.c), not linked. Where it cannot be loaded, DNS-SD
 * says why and the rest goes on: netavahi_new fails with ENOENT and a
 * host that would advertise logs "no mDNS (cannot load ...): not
 * advertised". Where it is there, the functions come from it. Each case
 * runs in a child of its own: loading is once per process. */
#include "testutil.h"

#ifdef MIDI_HAVE_AVAHI
#include "net/netadvert.h"
#include "net/netavahi.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

static char logged[512];

static void log_line(void *arg, const char *line)
{
	(void)arg;
	snprintf(logged, sizeof logged, "%s", line);
}

/* Run fn in a child; its exit status (0: every check held, else which
 * check failed) is returned. */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int missing(void)
{
	if (netavahi_load_from("libavahi-client-missing.so.3") != -1)
		return 1;
	const char *why = netavahi_load_error();
	if (!strstr(why, "cannot load libavahi-client-missing.so.3"))
		return 2;
	errno = 0;
	if (netavahi_new() != NULL || errno != ENOENT)
		return 3;
	if (netadvert_open("Studio", "piid", 5004, 0, log_line, NULL) != NULL)
		return 4;
	if (!strstr(logged, "no mDNS (cannot load libavahi-client-missing.so.3") ||
	    !strstr(logged, "not advertised"))
		return 5;
	return 0;
}

static void test_missing_library(void **state)
{
	(void)state;
	assert_int_equal(in_child(missing), 0);
}

static int present(void)
{
	if (netavahi_load() != 0)
		return 1;
	if (!av.client_new || !av.entry_group_add_service || !av.service_resolver_new)
		return 2;
	/* a function of libavahi-common, through libavahi-client's handle */
	const char *s = av.strerror(AVAHI_ERR_NO_DAEMON);
	if (!s || !*s)
		return 3;
	char *alt = av.alternative_service_name("Studio");
	if (!alt || strcmp(alt, "Studio #2") != 0)
		return 4;
	av.free(alt);
	struct netavahi *p = netavahi_new();
	if (!p)
		return 5;
	netavahi_free(p);
	return 0;
}

static void test_library_loaded(void **state)
{
	(void)state;
	assert_int_equal(in_child(present), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_library),
		cmocka_unit_test(test_library_loaded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
static void test_no_avahi(void **state)
{
	(void)state;
	skip(); /* built without avahi-client: no DNS-SD */
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_no_avahi)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
