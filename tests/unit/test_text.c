/* test_text.c: escaping untrusted bytes for the terminal (midi/text.h):
 * C0 controls (NUL, BEL, ESC), DEL, C1 controls (U+0080-U+009F), invalid
 * UTF-8 (stray continuation, overlong, surrogate, past U+10FFFF, cut
 * short) become \xHH per byte; printable UTF-8 stays; truncation never cuts
 * an escape; midi_error messages come out escaped. */
#include "testutil.h"

#include "midi/error.h"
#include "midi/text.h"

static void check(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t need = midi_text_escape(out, sizeof out, in, n);
	assert_string_equal(out, want);
	assert_int_equal(need, strlen(want));
	/* the stream form writes the same */
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	assert_non_null(f);
	assert_int_equal(midi_text_put(in, n, f), 0);
	fclose(f);
	assert_string_equal(buf, want);
	free(buf);
	/* escaping escaped text changes nothing */
	char again[256];
	midi_text_escape(again, sizeof again, out, strlen(out));
	assert_string_equal(again, want);
}
#define CHECK(lit, want) check(lit, sizeof(lit) - 1, want)

static void test_controls(void **state)
{
	(void)state;
	CHECK("plain text", "plain text");
	CHECK("a\x1b[31mb", "a\\x1B[31mb");
	CHECK("bell\a", "bell\\x07");
	CHECK("tab\there\nnl", "tab\\x09here\\x0Anl");
	CHECK("nul\0inside", "nul\\x00inside");
	CHECK("del\x7f", "del\\x7F");
	CHECK("csi\xc2\x9b" "2J", "csi\\xC2\\x9B2J");   /* U+009B */
	CHECK("c1 \xc2\x80 \xc2\x9f", "c1 \\xC2\\x80 \\xC2\\x9F");
	CHECK("nbsp\xc2\xa0ok", "nbsp\xc2\xa0ok");      /* U+00A0 is printable */
}

static void test_utf8(void **state)
{
	(void)state;
	CHECK("Caf\xc3\xa9", "Caf\xc3\xa9");
	CHECK("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
	CHECK("\xf0\x9f\x8e\xb9", "\xf0\x9f\x8e\xb9");  /* U+1F3B9 */
	CHECK("\xff", "\\xFF");
	CHECK("\x80x", "\\x80x");                       /* stray continuation */
	CHECK("\xc0\xaf", "\\xC0\\xAF");                /* overlong '/' */
	CHECK("\xe0\x80\xaf", "\\xE0\\x80\\xAF");       /* overlong */
	CHECK("\xed\xa0\x80", "\\xED\\xA0\\x80");       /* surrogate */
	CHECK("\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"); /* past U+10FFFF */
	CHECK("\xe6\x97", "\\xE6\\x97");                /* cut short */
	CHECK("\xe6\x97x", "\\xE6\\x97x");
}

static void test_truncation(void **state)
{
	(void)state;
	char out[8];
	/* "ab\x1B..." needs 2 + 4 + 1: with 8 bytes the escape fits, the
	 * next does not and is not cut in half */
	assert_int_equal(midi_text_escape(out, sizeof out, "ab\x1b\x1b", 4), 10);
	assert_string_equal(out, "ab\\x1B");
	assert_int_equal(midi_text_escape(out, 4, "\x1b", 1), 4);
	assert_string_equal(out, "");
	assert_int_equal(midi_text_escape(NULL, 0, "abc", 3), 3);
	/* a multi-byte character is not cut either */
	assert_int_equal(midi_text_escape(out, 4, "ab\xc3\xa9", 4), 4);
	assert_string_equal(out, "ab");
}

static void test_error_messages(void **state)
{
	(void)state;
	midi_error e;
	midi_error_set(&e, MIDI_ERR_INPUT, "no endpoint matches \"%s\"", "x\x1b]0;t\a\xc2\x9b");
	assert_string_equal(e.msg, "no endpoint matches \"x\\x1B]0;t\\x07\\xC2\\x9B\"");
	midi_error_at(&e, MIDI_ERR_INPUT, 2, 3, "unknown verb \"%s\"", "\x1b[2J");
	assert_string_equal(e.msg, "line 2, column 3: unknown verb \"\\x1B[2J\"");
	/* a long message is cut between escapes and stays terminated */
	char big[600];
	memset(big, '\x1b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	midi_error_set(&e, MIDI_ERR_INPUT, "%s", big);
	size_t len = strlen(e.msg);
	assert_true(len < sizeof e.msg);
	assert_int_equal(len % 4, 0);
	assert_memory_equal(e.msg + len - 4, "\\x1B", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_error_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
