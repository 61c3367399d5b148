/* test_fastfmt.c: fastfmt (libmidi/util/fastfmt.c), the printers' small
 * printf: for every conversion it handles, the same text as vsnprintf over
 * corner values; -1 (so that the caller uses vsnprintf) for what it does
 * not handle and for results that do not fit. */
#include "testutil.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "util/fastfmt.h"

/* fastfmt and vsnprintf of the same arguments; returns fastfmt's value. */
__attribute__((format(printf, 3, 4))) static int both(char *fast, size_t cap, const char *fmt, ...)
{
	char slow[512];
	va_list ap, aq;
	va_start(ap, fmt);
	va_copy(aq, ap);
	int k = fastfmt(fast, cap, fmt, ap);
	int want = vsnprintf(slow, sizeof slow, fmt, aq);
	va_end(aq);
	va_end(ap);
	if (k >= 0) {
		assert_int_equal(k, want);
		assert_string_equal(fast, slow);
	}
	return k;
}

static void test_same_as_vsnprintf(void **state)
{
	(void)state;
	char b[512];
	static const long long ll[] = {0, 1, -1, 9, 10, 99, 100, 127, -128, INT_MAX, INT_MIN,
				       LLONG_MAX, LLONG_MIN, 4294967295LL};
	for (size_t i = 0; i < sizeof ll / sizeof ll[0]; i++) {
		int v = (int)ll[i];
		unsigned u = (unsigned)ll[i];
		assert_true(both(b, sizeof b, "%d|%i|%+d|%5d|%05d|%+05d", v, v, v, v, v, v) >= 0);
		assert_true(both(b, sizeof b, "%u|%x|%X|%02X|%04x|%08X|%3u", u, u, u, u, u, u, u) >= 0);
		assert_true(both(b, sizeof b, "%lld|%llu|%llX|%06llu", ll[i], (unsigned long long)ll[i],
				 (unsigned long long)ll[i], (unsigned long long)ll[i]) >= 0);
		assert_true(both(b, sizeof b, "%ld|%lu|%zu", (long)ll[i], (unsigned long)ll[i],
				 (size_t)ll[i]) >= 0);
	}
	assert_true(both(b, sizeof b, "grp %u ch %u %s", 1u, 16u, "m2 ") >= 0);
	assert_true(both(b, sizeof b, "%s|%5s|%c|%%|100%%", "", "ab", 'x') >= 0);
	assert_true(both(b, sizeof b, "no conversion") >= 0);
	assert_true(both(b, sizeof b, "%s", "") >= 0);
}

static void test_declines(void **state)
{
	(void)state;
	char b[64];
	assert_int_equal(both(b, sizeof b, "%.2f", 1.5), -1);
	assert_int_equal(both(b, sizeof b, "%.*s", 2, "abc"), -1);
	assert_int_equal(both(b, sizeof b, "%-5d|", 3), -1);
	assert_int_equal(both(b, sizeof b, "%#x", 3u), -1);
	assert_int_equal(both(b, sizeof b, "% d", 3), -1);
	assert_int_equal(both(b, sizeof b, "%p", (void *)b), -1);
	/* does not fit: the caller goes to vsnprintf */
	assert_int_equal(both(b, 4, "abcd"), -1);
	assert_int_equal(both(b, 4, "%u", 1234u), -1);
	assert_int_equal(both(b, 5, "%u", 1234u), 4);
	assert_int_equal(both(b, 0, "x"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_vsnprintf),
		cmocka_unit_test(test_declines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
