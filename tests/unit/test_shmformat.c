/* test_shmformat.c: the shared-memory format: the registry stores its own
 * form of endpoint properties (every public field survives the round
 * trip, garbage comes back sanitised), and an endpoint of a transport this
 * build does not know (one of a build with more transports) is listed
 * with what it can show, refused clearly on open, and never deleted by
 * repair, reaping or the configuration. Each test uses a fresh
 * MIDI_RUNTIME_DIR. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "midi/endpoint.h"
#include "transport/transport.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "shmfmt", "none.conf");
	return 0;
}

static void test_info_round_trip(void **state)
{
	(void)state;
	midi_endpoint_info a, b;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "usb:synth");
	snprintf(a.name, sizeof a.name, "My Synth");
	snprintf(a.transport, sizeof a.transport, "usb");
	snprintf(a.ump_name, sizeof a.ump_name, "%s", "Endpoint Name Of Ninety-Eight Bytes");
	snprintf(a.product_instance_id, sizeof a.product_instance_id, "PIID42");
	snprintf(a.usb_serial, sizeof a.usb_serial, "SER1");
	a.native = MIDI_NATIVE_BYTES;
	a.protocol = 2;
	a.protocols = 3;
	a.purpose = MIDI_PURPOSE_VIRTUAL;
	a.flags = MIDI_EPF_JR_RX | MIDI_EPF_DISCOVERED;
	a.ump_version_major = 1;
	a.ump_version_minor = 1;
	a.has_identity = 1;
	a.identity_manufacturer[0] = 0x7d;
	a.identity_family = 0x1234;
	a.identity_model = 0x5678;
	a.identity_version[3] = 9;
	a.usb_vendor = 0x1209;
	a.usb_product = 0x0001;
	a.num_function_blocks = 2;
	a.fb[1].index = 1;
	a.fb[1].active = 1;
	a.fb[1].direction = 3;
	a.fb[1].first_group = 4;
	a.fb[1].num_groups = 2;
	a.fb[1].midi1 = 2;
	a.fb[1].ui_hint = 3;
	a.fb[1].ci_version = 2;
	a.fb[1].sysex8_streams = 5;
	snprintf(a.fb[1].name, sizeof a.fb[1].name, "Keys");
	a.generation = 77;
	a.jr_caps = 3;
	a.discovery = MIDI_DISCOVERY_DONE;
	struct shm_info s;
	shm_info_store(&s, &a);
	shm_info_load(&b, &s);
	assert_memory_equal(&a, &b, sizeof a);

	/* Garbage in every byte comes back terminated and in range. */
	memset(&s, 0xA5, sizeof s);
	shm_info_load(&b, &s);
	assert_true(strlen(b.id) < sizeof b.id);
	assert_true(strlen(b.fb[31].name) < sizeof b.fb[31].name);
	assert_true(b.protocol == 1 || b.protocol == 2);
	assert_true(b.num_function_blocks <= MIDI_FB_MAX);
	assert_true(b.discovery <= MIDI_DISCOVERY_TIMEOUT);
	assert_true(b.purpose <= MIDI_PURPOSE_VIRTUAL);
}

/* Put an endpoint of transport "future" in the registry, as a build
 * with a transport this one lacks would. */
static void add_future(void)
{
	midi_error e;
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	assert_int_equal(reg_lock(rt, &e), 0);
	struct reg_slot s;
	transport_fill_slot(&s, "future", "future:device-1", "Device from the future",
			    MIDI_PURPOSE_NORMAL);
	s.hosted = 1;
	assert_true(reg_add_locked(rt, &s, &e) >= 0);
	reg_unlock(rt);
	rt_put(rt);
}

static int listed(const char *id, char *transport, size_t n)
{
	midi_error e;
	midi_endpoint_info *v;
	size_t cnt;
	assert_int_equal(midi_list(&v, &cnt, MIDI_LIST_ALL, &e), 0);
	int found = 0;
	for (size_t k = 0; k < cnt; k++)
		if (strcmp(v[k].id, id) == 0) {
			found = 1;
			if (transport)
				snprintf(transport, n, "%s", v[k].transport);
		}
	free(v);
	return found;
}

static void test_unknown_transport_kept(void **state)
{
	(void)state;
	add_future();
	char tp[16] = "";
	assert_true(listed("future:device-1", tp, sizeof tp));
	assert_string_equal(tp, "future");
	midi_endpoint_info info;
	midi_error e;
	assert_int_equal(midi_find("from the future", &info, &e), 0);
	assert_string_equal(info.id, "future:device-1");

	/* Opening it says why it cannot be used here. */
	midi_conn *c = midi_open("future:device-1", 0, &e);
	assert_null(c);
	assert_non_null(strstr(e.msg, "transport \"future\""));

	/* A half-done change (odd generation) is repaired: the slot stays. */
	struct rt *rt = rt_get(&e);
	assert_non_null(rt);
	__atomic_add_fetch(&rt->reg->gen, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(reg_lock(rt, &e), 0);
	reg_unlock(rt);
	assert_int_equal(app_hosts_reap(rt), 0);
	rt_put(rt);
	assert_true(listed("future:device-1", NULL, 0));

	/* Loops come and go around it; a configuration re-read keeps it. */
	assert_int_equal(midi_loop_create("x", &e), 0);
	assert_int_equal(midi_loop_remove("x", &e), 0);
	char conf[300];
	snprintf(conf, sizeof conf, "%s/none.conf", rtdir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fputs("[loop studio]\n", f);
	fclose(f);
	assert_true(listed("loop:studio-a", NULL, 0));
	assert_true(listed("future:device-1", NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_round_trip),
		cmocka_unit_test_setup(test_unknown_transport_kept, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
