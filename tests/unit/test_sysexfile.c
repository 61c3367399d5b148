/* test_sysexfile.c: .syx splitting (midi_syx_split) with the offset named
 * in every error, loading files (midi_syx_load), hex byte arguments
 * (midi_hex_bytes) and the Identity Request (midi_identity_request). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "midi/sysexfile.h"

static void split_several(void **state)
{
	const uint8_t b[] = {0xF0, 0xF7, 0xF0, 0x43, 0x10, 0x7F, 0xF7, 0xF0, 0x00, 0xF7};
	midi_syx_msg *m;
	midi_error e = {0};
	assert_int_equal(midi_syx_split(b, sizeof b, &m, &e), 3);
	assert_int_equal(m[0].off, 0);
	assert_int_equal(m[0].len, 2);
	assert_int_equal(m[1].off, 2);
	assert_int_equal(m[1].len, 5);
	assert_int_equal(m[2].off, 7);
	assert_int_equal(m[2].len, 3);
	free(m);
}

static void split_many_grows(void **state)
{
	/* 1000 messages: the array grows past its first allocation. */
	static uint8_t b[4000];
	for (int i = 0; i < 1000; i++) {
		b[i * 4] = 0xF0;
		b[i * 4 + 1] = (uint8_t)(i & 0x7F);
		b[i * 4 + 2] = (uint8_t)(i >> 7);
		b[i * 4 + 3] = 0xF7;
	}
	midi_syx_msg *m;
	assert_int_equal(midi_syx_split(b, sizeof b, &m, NULL), 1000);
	assert_int_equal(m[999].off, 3996);
	assert_int_equal(m[999].len, 4);
	free(m);
}

/* Expect an input error whose message contains want. */
static void split_fails(const uint8_t *b, size_t n, const char *want)
{
	midi_syx_msg *m = (midi_syx_msg *)1;
	midi_error e = {0};
	assert_int_equal(midi_syx_split(b, n, &m, &e), -MIDI_ERR_INPUT);
	assert_null(m);
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	if (!strstr(e.msg, want))
		fail_msg("'%s' does not contain '%s'", e.msg, want);
}

static void split_errors(void **state)
{
	split_fails(NULL, 0, "byte 0: no SysEx message (the file is empty)");
	const uint8_t trunc[] = {0xF0, 0x01, 0xF7, 0xF0, 0x02, 0x03};
	split_fails(trunc, sizeof trunc, "byte 6: the SysEx message that starts at byte 3 has no F7");
	const uint8_t garbage[] = {0xF0, 0x01, 0xF7, 0x00, 0xF0, 0xF7};
	split_fails(garbage, sizeof garbage, "byte 3: 0x00 outside a SysEx message");
	const uint8_t status[] = {0xF0, 0x01, 0x90, 0xF7};
	split_fails(status, sizeof status, "byte 2: 0x90 inside the SysEx message that starts at byte 0");
	const uint8_t rt[] = {0xF0, 0xF8, 0xF7};
	split_fails(rt, sizeof rt, "byte 1: 0xF8 inside");
	const uint8_t nested[] = {0xF0, 0x01, 0xF0, 0xF7};
	split_fails(nested, sizeof nested, "byte 2: 0xF0 inside");
	const uint8_t stray[] = {0xF7};
	split_fails(stray, sizeof stray, "byte 0: 0xF7 outside");
	const uint8_t lone[] = {0xF0};
	split_fails(lone, sizeof lone, "byte 1: the SysEx message that starts at byte 0 has no F7");
}

static void write_file(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void load_files(void **state)
{
	char dir[] = "/tmp/test_sysexfile.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ok.syx", dir);
	/* A big message (1 MiB of data) and a small one. */
	size_t n = (1u << 20) + 2 + 3;
	uint8_t *b = malloc(n);
	assert_non_null(b);
	b[0] = 0xF0;
	for (size_t i = 1; i < n - 4; i++)
		b[i] = (uint8_t)(i * 31 & 0x7F);
	b[n - 4] = 0xF7;
	b[n - 3] = 0xF0;
	b[n - 2] = 0x55;
	b[n - 1] = 0xF7;
	write_file(path, b, n);
	midi_syx_file f;
	midi_error e = {0};
	assert_int_equal(midi_syx_load(path, &f, &e), 0);
	assert_int_equal(f.len, n);
	assert_int_equal(f.count, 2);
	assert_memory_equal(f.data, b, n);
	assert_int_equal(f.msgs[0].len, n - 3);
	assert_int_equal(f.msgs[1].off, n - 3);
	midi_syx_file_free(&f);
	assert_null(f.data);
	unlink(path);

	snprintf(path, sizeof path, "%s/bad.syx", dir);
	write_file(path, "\xF0\x01\x02", 3);
	assert_int_equal(midi_syx_load(path, &f, &e), -MIDI_ERR_INPUT);
	assert_null(f.data);
	assert_non_null(strstr(e.msg, path));
	assert_non_null(strstr(e.msg, ": byte 3: "));
	unlink(path);

	assert_int_equal(midi_syx_load(path, &f, &e), -MIDI_ERR_RUNTIME);
	assert_non_null(strstr(e.msg, "cannot open"));
	assert_non_null(strstr(e.msg, path));
	free(b);
	rmdir(dir);
}

static void hex_bytes(void **state)
{
	uint8_t b[16];
	size_t n = 0;
	midi_error e = {0};
	assert_int_equal(midi_hex_bytes("F0 7e,0x7F 0601", b, sizeof b, &n, &e), 0);
	assert_int_equal(midi_hex_bytes("  f7 ", b, sizeof b, &n, &e), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(b, ((uint8_t[]){0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7}), 6);

	n = 0;
	assert_int_equal(midi_hex_bytes("F0 7G F7", b, sizeof b, &n, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "column 4: '7G'"));
	n = 0;
	assert_int_equal(midi_hex_bytes("F07", b, sizeof b, &n, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "column 1: 'F07'"));
	n = 0;
	assert_int_equal(midi_hex_bytes("0x", b, sizeof b, &n, &e), -MIDI_ERR_INPUT);
	n = 0;
	assert_int_equal(midi_hex_bytes("00 11 22", b, 2, &n, &e), -MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, "column 7: more than 2 bytes"));
	n = 0;
	assert_int_equal(midi_hex_bytes("", b, sizeof b, &n, &e), 0);
	assert_int_equal(n, 0);
}

static void identity_request(void **state)
{
	uint8_t b[MIDI_IDENTITY_REQUEST_LEN];
	assert_int_equal(midi_identity_request(MIDI_SYSEX_ALL_CALL, b), 6);
	assert_memory_equal(b, ((uint8_t[]){0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7}), 6);
	midi_identity_request(0x10, b);
	assert_int_equal(b[2], 0x10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_several),  cmocka_unit_test(split_many_grows),
		cmocka_unit_test(split_errors),   cmocka_unit_test(load_files),
		cmocka_unit_test(hex_bytes),      cmocka_unit_test(identity_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
