/* test_describe_endpoint.c: midi_endpoint_json and midi_endpoint_describe
 * (describe_endpoint.h): exact JSON for a plain endpoint, escaping of
 * quotes, control bytes and invalid UTF-8 from untrusted fields, unterminated
 * fields bounded, identity/USB/function blocks with 1-based group ranges. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/describe_endpoint.h"

static char *to_json(const midi_endpoint_info *ep)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	assert_int_equal(midi_endpoint_json(ep, f), 0);
	fclose(f);
	return buf;
}

static char *to_text(const midi_endpoint_info *ep)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	assert_int_equal(midi_endpoint_describe(ep, f), 0);
	fclose(f);
	return buf;
}

static void plain(midi_endpoint_info *ep)
{
	memset(ep, 0, sizeof *ep);
	strcpy(ep->id, "loop:foo-a");
	strcpy(ep->name, "foo A");
	strcpy(ep->transport, "loop");
	strcpy(ep->transport_name, "foo A");
	ep->native = MIDI_NATIVE_UMP;
	ep->protocol = 2;
	ep->protocols = 3;
	ep->clients = 2;
	ep->generation = 7;
}

static void test_plain_json(void **state)
{
	(void)state;
	midi_endpoint_info ep;
	plain(&ep);
	char *s = to_json(&ep);
	assert_string_equal(s,
		"{\"id\":\"loop:foo-a\",\"name\":\"foo A\",\"transport\":\"loop\",\"protocol\":\"midi2\","
		"\"clients\":2,\"transport_name\":\"foo A\",\"user_name\":\"\",\"description\":\"\","
		"\"ump_name\":\"\",\"product_instance_id\":\"\",\"native\":\"ump\",\"protocols\":[\"midi1\",\"midi2\"],"
		"\"purpose\":\"normal\",\"persistent\":false,\"jr_tx\":false,\"jr_rx\":false,\"discovered\":false,"
		"\"ump_version\":null,\"identity\":null,\"usb\":null,\"function_blocks_static\":false,"
		"\"function_blocks\":[],\"generation\":7,\"discovery\":\"none\",\"jr_tx_supported\":false,"
		"\"jr_rx_supported\":false}");
	free(s);
}

static void test_escaping(void **state)
{
	(void)state;
	midi_endpoint_info ep;
	plain(&ep);
	strcpy(ep.name, "a\"b\\c\nd\x01 \xC3\xA9 \xFF!");
	memset(ep.product_instance_id, 'x', sizeof ep.product_instance_id); /* no NUL */
	char *s = to_json(&ep);
	assert_non_null(strstr(s, "\"name\":\"a\\\"b\\\\c\\u000ad\\u0001 \xC3\xA9 \\ufffd!\""));
	char want[128] = "\"product_instance_id\":\"";
	memset(want + strlen(want), 'x', sizeof ep.product_instance_id);
	strcat(want, "\",");
	assert_non_null(strstr(s, want));
	free(s);
}

static void test_properties(void **state)
{
	(void)state;
	midi_endpoint_info ep;
	plain(&ep);
	ep.flags = MIDI_EPF_PERSISTENT | MIDI_EPF_JR_RX | MIDI_EPF_STATIC_FB | MIDI_EPF_DISCOVERED;
	ep.ump_version_major = 1;
	ep.ump_version_minor = 1;
	ep.has_identity = 1;
	ep.identity_manufacturer[1] = 0x20;
	ep.identity_manufacturer[2] = 0x29;
	ep.identity_family = 0x101;
	ep.identity_model = 2;
	ep.identity_version[0] = 1;
	ep.usb_vendor = 0x1234;
	ep.usb_product = 0xabcd;
	strcpy(ep.usb_serial, "SN1");
	ep.num_function_blocks = 2;
	ep.fb[0] = (midi_function_block){.index = 0, .active = 1, .direction = 2, .first_group = 0,
					 .num_groups = 4, .midi1 = 0, .ui_hint = 2, .name = "Keys"};
	ep.fb[1] = (midi_function_block){.index = 1, .active = 0, .direction = 3, .first_group = 9,
					 .num_groups = 1, .midi1 = 2, .ui_hint = 3, .name = "DIN"};
	char *s = to_json(&ep);
	assert_non_null(strstr(s, "\"persistent\":true,\"jr_tx\":false,\"jr_rx\":true,\"discovered\":true"));
	assert_non_null(strstr(s, "\"ump_version\":\"1.1\""));
	assert_non_null(strstr(s, "\"identity\":{\"manufacturer\":\"00 20 29\",\"family\":257,\"model\":2,"
				  "\"version\":\"01 00 00 00\"}"));
	assert_non_null(strstr(s, "\"usb\":{\"vendor\":\"1234\",\"product\":\"abcd\",\"serial\":\"SN1\"}"));
	assert_non_null(strstr(s, "{\"index\":0,\"name\":\"Keys\",\"active\":true,\"direction\":\"output\","
				  "\"first_group\":1,\"last_group\":4,\"groups\":\"1-4\",\"midi1\":\"no\","
				  "\"ui_hint\":\"sender\""));
	assert_non_null(strstr(s, "\"direction\":\"bidirectional\",\"first_group\":10,\"last_group\":10,"
				  "\"groups\":\"10\",\"midi1\":\"restricted\",\"ui_hint\":\"both\""));
	free(s);

	s = to_text(&ep);
	assert_non_null(strstr(s, "  name:                foo A\n"));
	assert_non_null(strstr(s, "  protocol:            midi2 (supports midi1 midi2)\n"));
	assert_non_null(strstr(s, "  JR timestamps:       receive\n"));
	assert_non_null(strstr(s, "  persistent:          yes\n"));
	assert_non_null(strstr(s, "  USB:                 1234:abcd serial SN1\n"));
	assert_non_null(strstr(s, "  function blocks:     2 (static)\n"));
	assert_non_null(strstr(s, "    block 0 \"Keys\": active, output, groups 1-4, MIDI 1.0 no, UI hint sender"));
	assert_non_null(strstr(s, "    block 1 \"DIN\": inactive, bidirectional, group 10, MIDI 1.0 restricted"));
	free(s);
}

static void test_block_count_bounded(void **state)
{
	(void)state;
	midi_endpoint_info ep;
	plain(&ep);
	ep.num_function_blocks = 200; /* garbage from shared memory */
	ep.fb[0].first_group = 15;
	ep.fb[0].num_groups = 16;
	char *s = to_json(&ep);
	size_t blocks = 0;
	for (const char *p = s; (p = strstr(p, "\"index\":")); p++)
		blocks++;
	assert_int_equal(blocks, MIDI_FB_MAX);
	assert_non_null(strstr(s, "\"first_group\":16,\"last_group\":16"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_json),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_block_count_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
