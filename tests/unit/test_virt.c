/* test_virt.c: virtual devices (midi/virt.h): what the host declares
 * (names at their byte limits, function blocks, identity, product instance
 * id) is what midi_list shows after discovery; a silent device's discovery
 * times out and leaves it usable; JR timestamps a device has on are kept
 * and carried both ways; data both ways with several clients,
 * discovery requests answered to the asker only and not returned to the
 * host; one host per id; midi_virt_close and SIGKILL of the host remove
 * the endpoint and close connections with the reason; midi_virt_update
 * reaches clients and the registry; a user name from the configuration
 * file wins over the declared name. Each test uses a fresh
 * MIDI_RUNTIME_DIR. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "midi/endpoint.h"
#include "midi/msg.h"
#include "midi/virt.h"

static char rtdir[256];

static int fresh_runtime(void **state)
{
	(void)state;
	test_fresh_runtime(rtdir, sizeof rtdir, "virt", "none.conf");
	unsetenv("MIDI_DISCOVERY_TIMEOUT_MS");
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static midi_packet pk(midi_ump u)
{
	midi_packet p = {0, u};
	return p;
}

/* Serve v (answering discovery) until endpoint id's discovery is not
 * pending any more; returns its info. */
static midi_endpoint_info serve_until_discovered(midi_virt *v, const char *id)
{
	midi_error e;
	midi_packet buf[16];
	midi_endpoint_info info;
	uint64_t end = now_ms() + 10000;
	for (;;) {
		assert_true(midi_virt_recv(v, buf, 16, 10, &e) >= 0);
		assert_int_equal(midi_find(id, &info, &e), 0);
		if (info.discovery != MIDI_DISCOVERY_PENDING)
			return info;
		assert_true(now_ms() < end);
	}
}

static void fill(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = '\0';
}

static void test_declared_properties_exact(void **state)
{
	(void)state;
	midi_error e;
	midi_device_decl d;
	midi_device_decl_init(&d, "x");
	/* 98 bytes with two-byte UTF-8 characters at the end. */
	fill(d.name, 94, 'n');
	memcpy(d.name + 94, "\xc3\xa4\xc3\xb6", 5);
	fill(d.product_instance_id, 42, 'p');
	d.has_identity = 1;
	d.identity_manufacturer[0] = 0x7D;
	d.identity_family = 0x123;
	d.identity_model = 0x3FFF;
	d.identity_version[3] = 4;
	d.num_function_blocks = 3;
	for (unsigned k = 0; k < 3; k++) {
		midi_function_block *b = &d.fb[k];
		memset(b, 0, sizeof *b);
		b->index = (uint8_t)k;
		b->active = k != 2;
		b->direction = (uint8_t)(k + 1);
		b->first_group = (uint8_t)(k * 4);
		b->num_groups = (uint8_t)(k + 1);
		b->midi1 = (uint8_t)k;
		b->ui_hint = (uint8_t)(3 - k);
		b->ci_version = (uint8_t)k;
	}
	fill(d.fb[0].name, 91, 'f');
	snprintf(d.fb[1].name, sizeof d.fb[1].name, "Drums");
	d.protocol = 1;
	midi_virt *v = midi_virt_open("synth", &d, &e);
	assert_non_null(v);
	assert_string_equal(midi_virt_id(v), "virt:synth");
	midi_endpoint_info got = serve_until_discovered(v, "virt:synth");
	assert_int_equal(got.discovery, MIDI_DISCOVERY_DONE);

	midi_endpoint_info *list;
	size_t n;
	assert_int_equal(midi_list(&list, &n, 0, &e), 0);
	assert_int_equal(n, 1);
	midi_endpoint_info *i = &list[0];
	assert_string_equal(i->id, "virt:synth");
	assert_string_equal(i->transport, "virt");
	assert_string_equal(i->transport_name, "synth");
	assert_int_equal(i->purpose, MIDI_PURPOSE_VIRTUAL);
	assert_int_equal(i->native, MIDI_NATIVE_UMP);
	assert_int_equal(strlen(i->ump_name), 98);
	assert_string_equal(i->ump_name, d.name);
	assert_string_equal(i->name, d.name); /* no user name: the declared one */
	assert_int_equal(strlen(i->product_instance_id), 42);
	assert_string_equal(i->product_instance_id, d.product_instance_id);
	assert_int_equal(i->has_identity, 1);
	assert_int_equal(i->identity_manufacturer[0], 0x7D);
	assert_int_equal(i->identity_family, 0x123);
	assert_int_equal(i->identity_model, 0x3FFF);
	assert_int_equal(i->identity_version[3], 4);
	assert_int_equal(i->protocol, 1);
	assert_int_equal(i->protocols, 3);
	assert_true(i->flags & MIDI_EPF_DISCOVERED);
	assert_int_equal(i->ump_version_major, 1);
	assert_int_equal(i->ump_version_minor, 1);
	assert_int_equal(i->num_function_blocks, 3);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(i->fb[k].index, k);
		assert_int_equal(i->fb[k].active, d.fb[k].active);
		assert_int_equal(i->fb[k].direction, d.fb[k].direction);
		assert_int_equal(i->fb[k].first_group, d.fb[k].first_group);
		assert_int_equal(i->fb[k].num_groups, d.fb[k].num_groups);
		assert_int_equal(i->fb[k].midi1, d.fb[k].midi1);
		assert_int_equal(i->fb[k].ui_hint, d.fb[k].ui_hint);
		assert_int_equal(i->fb[k].ci_version, d.fb[k].ci_version);
		assert_string_equal(i->fb[k].name, d.fb[k].name);
	}
	assert_int_equal(strlen(i->fb[0].name), 91);
	assert_int_equal(i->clients, 0); /* the discovery agent is not a client */
	free(list);
	midi_virt_close(v);
}

/* A device with JR timestamps on keeps them (discovery leaves the
 * device's setting); the library then sends a JR Clock and a JR Timestamp
 * before a client's messages and consumes them on the device side, and the
 * device's own sends reach clients with their JR messages consumed (or
 * shown, with MIDI_OPEN_JR_RAW). */
static void test_jr_kept_and_used(void **state)
{
	(void)state;
	midi_error e;
	midi_device_decl d;
	midi_device_decl_init(&d, "Timed");
	d.jr_rx = d.jr_tx = 1;
	d.jr_rx_on = d.jr_tx_on = 1;
	midi_virt *v = midi_virt_open("jr", &d, &e);
	assert_non_null(v);
	midi_endpoint_info got = serve_until_discovered(v, "virt:jr");
	assert_int_equal(got.discovery, MIDI_DISCOVERY_DONE);
	assert_int_equal(got.jr_caps, 3);
	assert_int_equal(got.flags & (MIDI_EPF_JR_RX | MIDI_EPF_JR_TX),
			 MIDI_EPF_JR_RX | MIDI_EPF_JR_TX);
	midi_conn *c = midi_open("virt:jr", 0, &e);
	midi_conn *raw = midi_open("virt:jr", MIDI_OPEN_JR_RAW, &e);
	assert_non_null(c);
	assert_non_null(raw);
	midi_packet two[2] = {pk(midi_ump_make(0x20903C64, 0, 0, 0)),
			      pk(midi_ump_make(0x20803C00, 0, 0, 0))};
	assert_int_equal(midi_send(c, two, 2, &e), 0);
	midi_packet buf[8];
	assert_int_equal(midi_virt_recv(v, buf, 8, 2000, &e), 2); /* no JR messages */
	assert_int_equal(buf[0].ump.w[0], 0x20903C64);
	assert_int_equal(buf[1].ump.w[0], 0x20803C00);
	assert_true(buf[1].time_ns == buf[0].time_ns); /* one timestamp for both */
	midi_packet p = pk(midi_ump_make(0x20B00102, 0, 0, 0));
	assert_int_equal(midi_virt_send(v, &p, 1, &e), 0);
	assert_int_equal(midi_recv(c, buf, 8, 2000, &e), 1);
	assert_int_equal(buf[0].ump.w[0], 0x20B00102);
	int n = midi_recv(raw, buf, 8, 2000, &e);
	assert_int_equal(n, 3);
	assert_int_equal(buf[0].ump.w[0] >> 16, 0x0010); /* JR Clock */
	assert_int_equal(buf[1].ump.w[0] >> 16, 0x0020); /* JR Timestamp */
	assert_int_equal(buf[0].ump.w[0] & 0xFFFF, buf[1].ump.w[0] & 0xFFFF);
	assert_int_equal(buf[2].ump.w[0], 0x20B00102);
	midi_close(raw);
	midi_close(c);
	midi_virt_close(v);
}

/* Supported but not in use: discovery does not turn them on, and nothing
 * but the messages travels. */
static void test_jr_supported_off_stays_off(void **state)
{
	(void)state;
	midi_error e;
	midi_device_decl d;
	midi_device_decl_init(&d, "Untimed");
	d.jr_rx = d.jr_tx = 1;
	midi_virt *v = midi_virt_open("nojr", &d, &e);
	assert_non_null(v);
	midi_endpoint_info got = serve_until_discovered(v, "virt:nojr");
	assert_int_equal(got.jr_caps, 3);
	assert_int_equal(got.flags & (MIDI_EPF_JR_RX | MIDI_EPF_JR_TX), 0);
	midi_conn *raw = midi_open("virt:nojr", MIDI_OPEN_JR_RAW, &e);
	assert_non_null(raw);
	midi_packet p = pk(midi_ump_make(0x20903C64, 0, 0, 0)), buf[8];
	assert_int_equal(midi_send(raw, &p, 1, &e), 0);
	assert_int_equal(midi_virt_recv(v, buf, 8, 2000, &e), 1);
	assert_int_equal(midi_virt_send(v, &p, 1, &e), 0);
	assert_int_equal(midi_recv(raw, buf, 8, 2000, &e), 1);
	midi_close(raw);
	midi_virt_close(v);
}

static void test_silent_times_out_usable(void **state)
{
	(void)state;
	setenv("MIDI_DISCOVERY_TIMEOUT_MS", "200", 1);
	midi_error e;
	midi_device_decl d;
	midi_device_decl_init(&d, "Never Said");
	d.silent = 1;
	midi_virt *v = midi_virt_open("mute", &d, &e);
	assert_non_null(v);
	uint64_t t0 = now_ms();
	midi_endpoint_info got = serve_until_discovered(v, "virt:mute");
	assert_true(now_ms() - t0 < 5000);
	assert_int_equal(got.discovery, MIDI_DISCOVERY_TIMEOUT);
	assert_false(got.flags & MIDI_EPF_DISCOVERED);
	assert_string_equal(got.name, "mute");
	assert_string_equal(got.ump_name, "");
	assert_int_equal(got.num_function_blocks, 0);
	/* Still usable both ways. */
	midi_conn *c = midi_open("virt:mute", 0, &e);
	assert_non_null(c);
	assert_int_equal(midi_send_ump(c, &(midi_ump){{0x20903C64, 0, 0, 0}}, &e), 0);
	midi_packet buf[4];
	assert_int_equal(midi_virt_recv(v, buf, 4, 2000, &e), 1);
	assert_int_equal(buf[0].ump.w[0], 0x20903C64);
	midi_packet p = pk(midi_ump_make(0x20803C00, 0, 0, 0));
	assert_int_equal(midi_virt_send(v, &p, 1, &e), 0);
	assert_int_equal(midi_recv(c, buf, 4, 2000, &e), 1);
	assert_int_equal(buf[0].ump.w[0], 0x20803C00);
	midi_close(c);
	midi_virt_close(v);
}

static void test_data_both_ways_several_clients(void **state)
{
	(void)state;
	setenv("MIDI_DISCOVERY_TIMEOUT_MS", "100", 1);
	midi_error e;
	midi_virt *v = midi_virt_open("duo", NULL, &e);
	assert_non_null(v);
	serve_until_discovered(v, "virt:duo");
	enum { NC = 3, NMSG = 200 };
	midi_conn *c[NC];
	for (int k = 0; k < NC; k++) {
		c[k] = midi_open("virt:duo", 0, &e);
		assert_non_null(c[k]);
	}
	midi_endpoint_info info;
	assert_int_equal(midi_find("virt:duo", &info, &e), 0);
	assert_int_equal(info.clients, NC);
	/* Clients to the host: everything arrives, each client's order kept. */
	for (int m = 0; m < NMSG; m++)
		for (int k = 0; k < NC; k++) {
			midi_ump u = midi_ump_m1_note_on((unsigned)k, 0, (unsigned)(m % 128),
							 (unsigned)(m / 128 + 1));
			assert_int_equal(midi_send_ump(c[k], &u, &e), 0);
		}
	int next[NC] = {0};
	int total = 0;
	midi_packet buf[64];
	while (total < NC * NMSG) {
		int n = midi_virt_recv(v, buf, 64, 2000, &e);
		assert_true(n > 0);
		for (int i = 0; i < n; i++) {
			unsigned g = midi_ump_group(&buf[i].ump);
			assert_true(g < NC);
			unsigned note = (buf[i].ump.w[0] >> 8) & 0x7F, vel = buf[i].ump.w[0] & 0x7F;
			assert_int_equal(note + (vel - 1) * 128, (unsigned)next[g]);
			next[g]++;
		}
		total += n;
	}
	assert_int_equal(midi_virt_recv(v, buf, 64, 0, &e), 0);
	/* Host to every client, in order. */
	midi_packet out[NMSG];
	for (int m = 0; m < NMSG; m++)
		out[m] = pk(midi_ump_m2_cc(0, 0, 7, (uint32_t)m * 1000));
	assert_int_equal(midi_virt_send(v, out, NMSG, &e), 0);
	for (int k = 0; k < NC; k++) {
		int got = 0;
		while (got < NMSG) {
			int n = midi_recv(c[k], buf, 64, 2000, &e);
			assert_true(n > 0);
			for (int i = 0; i < n; i++, got++)
				assert_int_equal(buf[i].ump.w[1], (uint32_t)got * 1000);
		}
		assert_int_equal(midi_conn_lost(c[k]), 0);
	}
	/* Discovery from client 0: answered to it alone, never seen by the host. */
	midi_ump q = midi_stream_ep_discovery(1, 1, MIDI_DISCOVER_EP_NAME);
	assert_int_equal(midi_send_ump(c[0], &q, &e), 0);
	assert_int_equal(midi_virt_recv(v, buf, 64, 100, &e), 0);
	int n = midi_recv(c[0], buf, 64, 2000, &e);
	assert_int_equal(n, 1);
	midi_msg m;
	midi_msg_decode(&buf[0].ump, &m);
	assert_int_equal(m.kind, MIDI_MSG_EP_NAME);
	assert_string_equal(m.u.stream.text, "duo");
	assert_int_equal(midi_recv(c[1], buf, 64, 50, &e), 0);
	assert_int_equal(midi_recv(c[2], buf, 64, 0, &e), 0);
	/* Other stream messages from clients do reach the host. */
	midi_ump clip = midi_ump_make(0xF0200000, 0, 0, 0);
	assert_int_equal(midi_send_ump(c[1], &clip, &e), 0);
	assert_int_equal(midi_virt_recv(v, buf, 64, 2000, &e), 1);
	assert_int_equal(buf[0].ump.w[0], 0xF0200000);

	/* Closing: clients see it with the reason; the endpoint is gone. */
	midi_virt_close(v);
	for (int k = 0; k < NC; k++) {
		assert_int_equal(midi_recv(c[k], buf, 64, 1000, &e), -MIDI_ERR_CLOSED);
		assert_string_equal(e.msg, "endpoint virt:duo is gone: virtual device closed");
		assert_int_equal(midi_send_ump(c[k], &q, &e), -MIDI_ERR_CLOSED);
		midi_close(c[k]);
	}
	assert_int_equal(midi_find("virt:duo", &info, &e), -MIDI_ERR_NOTFOUND);
}

static void test_one_host_per_id_and_names(void **state)
{
	(void)state;
	midi_error e;
	midi_virt *v = midi_virt_open("solo", NULL, &e);
	assert_non_null(v);
	assert_null(midi_virt_open("solo", NULL, &e));
	assert_int_equal(e.code, MIDI_ERR_RUNTIME);
	assert_string_equal(e.msg, "virt:solo is already hosted by another process");
	assert_null(midi_virt_open("bad name", NULL, &e));
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	assert_null(midi_virt_open("", NULL, &e));
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	midi_device_decl d;
	midi_device_decl_init(&d, "x");
	d.num_function_blocks = 40;
	assert_null(midi_virt_open("other", &d, &e));
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	midi_virt_close(v);
	/* Closed: the name is free again. */
	v = midi_virt_open("solo", NULL, &e);
	assert_non_null(v);
	midi_virt_close(v);
}

static void test_sigkill_host_removes(void **state)
{
	(void)state;
	setenv("MIDI_DISCOVERY_TIMEOUT_MS", "100", 1);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		midi_error e;
		midi_virt *v = midi_virt_open("dev", NULL, &e);
		if (!v)
			_exit(1);
		(void)!write(ready[1], "x", 1);
		midi_packet buf[16];
		for (;;)
			midi_virt_recv(v, buf, 16, -1, &e);
	}
	char ch;
	assert_int_equal(read(ready[0], &ch, 1), 1);
	midi_error e;
	midi_conn *c = midi_open("virt:dev", 0, &e);
	assert_non_null(c);
	midi_conn *s = midi_open("virt:dev", MIDI_OPEN_SEND_ONLY, &e);
	assert_non_null(s);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	uint64_t t0 = now_ms();
	midi_packet buf[4];
	assert_int_equal(midi_recv(c, buf, 4, 5000, &e), -MIDI_ERR_CLOSED);
	assert_true(now_ms() - t0 < 1000);
	assert_string_equal(e.msg, "endpoint virt:dev is gone: virtual device host exited");
	assert_int_equal(midi_send_ump(s, &(midi_ump){{0x20903C64, 0, 0, 0}}, &e), -MIDI_ERR_CLOSED);
	midi_endpoint_info info;
	assert_int_equal(midi_find("virt:dev", &info, &e), -MIDI_ERR_NOTFOUND);
	midi_close(c);
	midi_close(s);
	close(ready[0]);
	close(ready[1]);
	/* A new host for the same id is accepted. */
	midi_virt *v = midi_virt_open("dev", NULL, &e);
	assert_non_null(v);
	midi_virt_close(v);
}

/* A host that died without anyone noticing: create finds its lock free. */
static void test_stale_entry_replaced(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		midi_error e;
		static midi_virt *volatile leak; /* dies without closing, on purpose */
		leak = midi_virt_open("ghost", NULL, &e);
		_exit(leak ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	midi_error e;
	midi_virt *v = midi_virt_open("ghost", NULL, &e);
	assert_non_null(v);
	midi_virt_close(v);
}

static void test_update_reaches_clients_and_registry(void **state)
{
	(void)state;
	setenv("MIDI_DISCOVERY_TIMEOUT_MS", "2000", 1);
	midi_error e;
	midi_device_decl d;
	midi_device_decl_init(&d, "Before");
	midi_virt *v = midi_virt_open("up", &d, &e);
	assert_non_null(v);
	midi_endpoint_info info = serve_until_discovered(v, "virt:up");
	assert_string_equal(info.name, "Before");
	uint64_t gen = info.generation;
	midi_conn *c = midi_open("virt:up", 0, &e);
	assert_non_null(c);
	snprintf(d.name, sizeof d.name, "After");
	d.num_function_blocks = 2;
	d.fb[1] = d.fb[0];
	d.fb[1].index = 1;
	d.fb[1].first_group = 5;
	snprintf(d.fb[1].name, sizeof d.fb[1].name, "Second");
	assert_int_equal(midi_virt_update(v, &d, &e), 0);
	assert_int_equal(midi_find("virt:up", &info, &e), 0);
	assert_string_equal(info.name, "After");
	assert_string_equal(info.ump_name, "After");
	assert_int_equal(info.num_function_blocks, 2);
	assert_string_equal(info.fb[1].name, "Second");
	assert_int_equal(info.fb[1].first_group, 5);
	assert_true(info.generation > gen);
	/* The client hears the announcement. */
	midi_packet buf[64];
	int n = midi_recv(c, buf, 64, 1000, &e);
	assert_true(n > 0);
	int saw_name = 0;
	for (int i = 0; i < n; i++) {
		midi_msg m;
		midi_msg_decode(&buf[i].ump, &m);
		if (m.kind == MIDI_MSG_EP_NAME && strcmp(m.u.stream.text, "After") == 0)
			saw_name = 1;
	}
	assert_true(saw_name);
	/* A stream message the host sends itself updates the registry too. */
	midi_ump name[7];
	int np = midi_stream_name_build(MIDI_STREAM_EP_NAME, 0, "Third", name, 7);
	assert_int_equal(np, 1);
	midi_packet p = pk(name[0]);
	assert_int_equal(midi_virt_send(v, &p, 1, &e), 0);
	assert_int_equal(midi_find("virt:up", &info, &e), 0);
	assert_string_equal(info.name, "Third");
	midi_close(c);
	midi_virt_close(v);
}

static void test_user_name_wins(void **state)
{
	(void)state;
	char conf[300];
	snprintf(conf, sizeof conf, "%s/midi.conf", rtdir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fputs("[endpoint virt:named]\nname = Stage Left\ndescription = by the door\n", f);
	fclose(f);
	setenv("MIDI_CONFIG", conf, 1);
	midi_error e;
	midi_device_decl d;
	midi_device_decl_init(&d, "Declared");
	midi_virt *v = midi_virt_open("named", &d, &e);
	assert_non_null(v);
	midi_endpoint_info info = serve_until_discovered(v, "virt:named");
	assert_string_equal(info.name, "Stage Left");
	assert_string_equal(info.user_name, "Stage Left");
	assert_string_equal(info.description, "by the door");
	assert_string_equal(info.ump_name, "Declared");
	assert_int_equal(midi_find("stage left", &info, &e), 0);
	assert_string_equal(info.id, "virt:named");
	midi_virt_close(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_declared_properties_exact, fresh_runtime),
		cmocka_unit_test_setup(test_jr_kept_and_used, fresh_runtime),
		cmocka_unit_test_setup(test_jr_supported_off_stays_off, fresh_runtime),
		cmocka_unit_test_setup(test_silent_times_out_usable, fresh_runtime),
		cmocka_unit_test_setup(test_data_both_ways_several_clients, fresh_runtime),
		cmocka_unit_test_setup(test_one_host_per_id_and_names, fresh_runtime),
		cmocka_unit_test_setup(test_sigkill_host_removes, fresh_runtime),
		cmocka_unit_test_setup(test_stale_entry_replaced, fresh_runtime),
		cmocka_unit_test_setup(test_update_reaches_clients_and_registry, fresh_runtime),
		cmocka_unit_test_setup(test_user_name_wins, fresh_runtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
