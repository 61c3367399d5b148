/* test_runtime.c: the runtime directory: created 0700; refused when it is a
 * symlink, has group/other bits, belongs to someone else, or holds a
 * symlinked or foreign-mode file; XDG_RUNTIME_DIR fallback. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "midi/endpoint.h"

static char base[256];

static int fresh_base(void **state)
{
	(void)state;
	snprintf(base, sizeof base, "%s/midi-test-rt.XXXXXX", test_tmpdir());
	assert_non_null(mkdtemp(base));
	char conf[300];
	snprintf(conf, sizeof conf, "%s/none.conf", base);
	setenv("MIDI_CONFIG", conf, 1);
	return 0;
}

static void use(const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", base, name);
	setenv("MIDI_RUNTIME_DIR", path, 1);
}

static void expect_refused(const char *what)
{
	midi_error e;
	char buf[512];
	assert_true(midi_runtime_dir(buf, sizeof buf, &e) < 0);
	assert_int_equal(e.code, MIDI_ERR_RUNTIME);
	if (!strstr(e.msg, what))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, what);
	midi_endpoint_info *v;
	size_t n;
	assert_true(midi_list(&v, &n, 0, &e) < 0);
	assert_null(midi_open("diag:ping", 0, &e));
}

static void test_created_0700(void **state)
{
	(void)state;
	char path[300], got[512];
	use("rt", path, sizeof path);
	midi_error e;
	assert_int_equal(midi_runtime_dir(got, sizeof got, &e), 0);
	assert_string_equal(got, path);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	char reg[400];
	snprintf(reg, sizeof reg, "%s/registry", path);
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	free(v);
	assert_int_equal(stat(reg, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_refuses_symlink(void **state)
{
	(void)state;
	char real[300], path[300];
	snprintf(real, sizeof real, "%s/real", base);
	assert_int_equal(mkdir(real, 0700), 0);
	use("link", path, sizeof path);
	assert_int_equal(symlink(real, path), 0);
	expect_refused("is a symbolic link");
}

static void test_refuses_mode_0755(void **state)
{
	(void)state;
	char path[300];
	use("open", path, sizeof path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chmod(path, 0755), 0);
	expect_refused("mode 0755");
}

static void test_refuses_foreign_owner(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* only root can give a directory away */
	char path[300];
	use("theirs", path, sizeof path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	expect_refused("owned by uid 65534");
}

static void test_refuses_not_a_directory(void **state)
{
	(void)state;
	char path[300];
	use("file", path, sizeof path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	expect_refused("is not a directory");
}

static void test_refuses_symlinked_file(void **state)
{
	(void)state;
	char path[300], target[300], reg[400];
	use("withlink", path, sizeof path);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(target, sizeof target, "%s/elsewhere", base);
	FILE *f = fopen(target, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(reg, sizeof reg, "%s/registry", path);
	assert_int_equal(symlink(target, reg), 0);
	expect_refused("is a symbolic link");
	struct stat st;
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0); /* the target was not touched */
}

static void test_refuses_open_file_mode(void **state)
{
	(void)state;
	char path[300], lock[400];
	use("badfile", path, sizeof path);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(lock, sizeof lock, "%s/registry.lock", path);
	FILE *f = fopen(lock, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(lock, 0666), 0);
	expect_refused("accessible by group or others");
}

static void test_xdg_fallback(void **state)
{
	(void)state;
	unsetenv("MIDI_RUNTIME_DIR");
	setenv("XDG_RUNTIME_DIR", base, 1);
	char got[512], want[300];
	midi_error e;
	assert_int_equal(midi_runtime_dir(got, sizeof got, &e), 0);
	snprintf(want, sizeof want, "%s/midi", base);
	assert_string_equal(got, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_created_0700, fresh_base),
		cmocka_unit_test_setup(test_refuses_symlink, fresh_base),
		cmocka_unit_test_setup(test_refuses_mode_0755, fresh_base),
		cmocka_unit_test_setup(test_refuses_foreign_owner, fresh_base),
		cmocka_unit_test_setup(test_refuses_not_a_directory, fresh_base),
		cmocka_unit_test_setup(test_refuses_symlinked_file, fresh_base),
		cmocka_unit_test_setup(test_refuses_open_file_mode, fresh_base),
		cmocka_unit_test_setup(test_xdg_fallback, fresh_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
