/* test_alsa_rawmidi.c: the rawmidi transport's pure parts, no kernel
 * needed: device ids hw:C,D[,S] parsed and formatted canonically (bad
 * forms rejected), overlap of devices, the address kept in a slot; the
 * [rawmidi] sections of midi.conf checked with errors naming file, line
 * and what is wrong; midi_open of a bad or absent rawmidi id fails as not
 * found, naming the device. */
#include "testutil.h"

#include "broker/broker.h"
#include "midi/endpoint.h"
#include "transport/rawmidi.h"

static void test_parse(void **state)
{
	(void)state;
	struct rawmidi_addr a;
	char buf[32];
	assert_int_equal(rawmidi_parse("hw:1,0", &a), 0);
	assert_int_equal(a.card, 1);
	assert_int_equal(a.device, 0);
	assert_int_equal(a.sub, -1);
	rawmidi_format(&a, buf, sizeof buf);
	assert_string_equal(buf, "hw:1,0");
	assert_int_equal(rawmidi_parse("hw:255,10,31", &a), 0);
	assert_int_equal(a.card, 255);
	assert_int_equal(a.device, 10);
	assert_int_equal(a.sub, 31);
	rawmidi_format(&a, buf, sizeof buf);
	assert_string_equal(buf, "hw:255,10,31");
	static const char *bad[] = {
		"", "hw:", "hw:1", "hw:1,", "hw:,0", "hw:1,0,", "hw:1,0,0,0", "hw:01,0", "hw:1,00",
		"hw:256,0", "hw:1,1000", "hw:-1,0", "hw:+1,0", "hw:1 ,0", "hw:1,0 ", "HW:1,0",
		"plughw:1,0", "hw:VirMIDI,0", "hw:1;0", "hw:1,0x",
	};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
		if (rawmidi_parse(bad[k], &a) == 0)
			fail_msg("accepted \"%s\"", bad[k]);
	assert_int_equal(rawmidi_parse(NULL, &a), -1);
}

static void test_overlap_and_slot(void **state)
{
	(void)state;
	struct rawmidi_addr any = {1, 0, -1}, s0 = {1, 0, 0}, s1 = {1, 0, 1}, d1 = {1, 1, -1},
			    c2 = {2, 0, -1}, back;
	assert_true(rawmidi_overlap(&any, &s0));
	assert_true(rawmidi_overlap(&s1, &any));
	assert_false(rawmidi_overlap(&s0, &s1));
	assert_false(rawmidi_overlap(&any, &d1));
	assert_false(rawmidi_overlap(&any, &c2));
	struct reg_slot s;
	memset(&s, 0, sizeof s);
	assert_int_equal(rawmidi_addr_load(&s, &back), -1);
	struct rawmidi_addr all[] = {{0, 0, -1}, {255, 255, 255}, {3, 1, 0}};
	for (size_t k = 0; k < 3; k++) {
		rawmidi_addr_store(&s, &all[k]);
		assert_int_equal(rawmidi_addr_load(&s, &back), 0);
		assert_memory_equal(&back, &all[k], sizeof back);
	}
}

/* The error of parsing text as midi.conf, "" when it parses. */
static const char *conf_err(const char *text)
{
	static midi_error e;
	struct conf c;
	memset(&e, 0, sizeof e);
	if (conf_parse_text("/etc/midi.conf", text, strlen(text), &c, &e) == 0) {
		conf_free(&c);
		return "";
	}
	return e.msg;
}

static void test_conf(void **state)
{
	(void)state;
	assert_string_equal(conf_err("[rawmidi hw:1,0]\nname = Synth\n[rawmidi hw:1,1,0]\n"), "");
	const char *m = conf_err("\n[rawmidi hw:1]\n");
	assert_non_null(strstr(m, "/etc/midi.conf"));
	assert_non_null(strstr(m, "2"));
	assert_non_null(strstr(m, "invalid raw MIDI device \"hw:1\""));
	assert_non_null(strstr(m, "hw:CARD,DEVICE"));
	m = conf_err("[rawmidi hw:1,0]\nport = 3\n");
	assert_non_null(strstr(m, "unknown key \"port\""));
	m = conf_err("[rawmidi hw:1,0]\n[rawmidi hw:1,0,2]\n");
	assert_non_null(strstr(m, "declared already (line 1: hw:1,0)"));
	m = conf_err("[rawmidi hw:1,0,1]\n[rawmidi hw:1,0,2]\n[rawmidi hw:1,0,1]\n");
	assert_non_null(strstr(m, "declared already"));
	m = conf_err("[rawmidi]\n");
	assert_non_null(strstr(m, "invalid raw MIDI device"));
}

static void test_open_by_id(void **state)
{
	(void)state;
	char dir[300];
	test_fresh_runtime(dir, sizeof dir, "rawmidi", "midi.conf");
	setenv("MIDI_ALSA", "0", 1); /* no agents touching this machine's ALSA */
	midi_error e;
	memset(&e, 0, sizeof e);
	midi_conn *c = midi_open("rawmidi:hw:1", 0, &e);
	assert_null(c);
	assert_int_equal(e.code, MIDI_ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "rawmidi:hw:1"));
	assert_non_null(strstr(e.msg, "hw:CARD,DEVICE"));
	memset(&e, 0, sizeof e);
	c = midi_open("rawmidi:hw:200,0", 0, &e);
	assert_null(c);
	assert_int_equal(e.code, MIDI_ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "no raw MIDI device hw:200,0: no sound card 200"));
	midi_endpoint_info *v;
	size_t n;
	assert_int_equal(midi_list(&v, &n, MIDI_LIST_ALL, &e), 0);
	for (size_t k = 0; k < n; k++)
		assert_null(strstr(v[k].id, "rawmidi"));
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_overlap_and_slot),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_open_by_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
