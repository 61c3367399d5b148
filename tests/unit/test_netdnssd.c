/* test_netdnssd.c: what DNS-SD advertising and browsing share
 * (net/netdnssd.c), without avahi: the service instance name a host takes
 * from its UMP Endpoint Name (one DNS label: 63 bytes, cut on a UTF-8
 * character boundary), the TXT strings of M2-124-UM (UMPEndpointName at
 * most 98 bytes, ProductInstanceId at most 42 characters of 32..126),
 * reading TXT strings back (keys without case, values not terminated),
 * the stable ids of discovered services (sanitized, cut and hashed; the
 * hashes computed independently with Python) and the address kept in a
 * slot. */
#include "testutil.h"

#include "net/netdnssd.h"

#include <arpa/inet.h>

static void test_instance(void **state)
{
	(void)state;
	char out[NETDNSSD_INSTANCE_MAX + 1];
	netdnssd_instance("Studio Host", out, sizeof out);
	assert_string_equal(out, "Studio Host");
	netdnssd_instance("  tab\there\n ", out, sizeof out);
	assert_string_equal(out, "tab here");
	netdnssd_instance("", out, sizeof out);
	assert_string_equal(out, "MIDI");
	/* 62 ASCII bytes then "é" (2 bytes): 64 bytes, the é would be cut in
	 * two at 63, so it goes whole */
	char name[80];
	memset(name, 'x', 62);
	strcpy(name + 62, "\xc3\xa9");
	netdnssd_instance(name, out, sizeof out);
	assert_int_equal(strlen(out), 62);
	/* 61 + é: 63 bytes, kept */
	strcpy(name + 61, "\xc3\xa9");
	netdnssd_instance(name, out, sizeof out);
	assert_int_equal(strlen(out), 63);
	assert_string_equal(out + 61, "\xc3\xa9");
}

static void test_txt(void **state)
{
	(void)state;
	char n[128], p[128];
	netdnssd_txt("Studio Host", "midi-vm", n, p, sizeof n);
	assert_string_equal(n, "UMPEndpointName=Studio Host");
	assert_string_equal(p, "ProductInstanceId=midi-vm");
	/* 100 bytes of name: cut to 98; an id with bytes outside 32..126 and
	 * longer than 42 */
	char name[120];
	memset(name, 'n', 100);
	name[100] = '\0';
	netdnssd_txt(name, "ab\x01" "c\xc3\xa9" "0123456789012345678901234567890123456789XYZ", n, p,
		     sizeof n);
	assert_int_equal(strlen(n), strlen("UMPEndpointName=") + 98);
	assert_string_equal(p, "ProductInstanceId=abc012345678901234567890123456789012345678");
	assert_int_equal(strlen(p), strlen("ProductInstanceId=") + 42);
	/* a 3-byte character across byte 98 goes whole */
	memset(name, 'n', 97);
	strcpy(name + 97, "\xe2\x82\xac");
	netdnssd_txt(name, "", n, p, sizeof n);
	assert_int_equal(strlen(n), strlen("UMPEndpointName=") + 97);
	assert_string_equal(p, "ProductInstanceId=");

	char v[NETDNSSD_NAME_MAX + 1];
	const char t[] = "umpendpointname=Keys\x01 2XXXX"; /* not terminated at len */
	assert_int_equal(netdnssd_txt_get(t, 23, NETDNSSD_TXT_NAME, v, sizeof v), 1);
	assert_string_equal(v, "Keys? 2");
	assert_int_equal(netdnssd_txt_get(t, 23, NETDNSSD_TXT_PIID, v, sizeof v), 0);
	assert_int_equal(netdnssd_txt_get("UMPEndpointName", 15, NETDNSSD_TXT_NAME, v, sizeof v), 0);
	assert_int_equal(netdnssd_txt_get("UMPEndpointNameX=a", 18, NETDNSSD_TXT_NAME, v, sizeof v), 0);
	assert_int_equal(netdnssd_txt_get("ProductInstanceId=", 18, NETDNSSD_TXT_PIID, v, sizeof v), 1);
	assert_string_equal(v, "");
}

static void test_id(void **state)
{
	(void)state;
	char id[64];
	netdnssd_id("Studio Host", 0, id, sizeof id);
	assert_string_equal(id, "net:Studio-Host");
	netdnssd_id("Studio-Host", 0, id, sizeof id);
	assert_string_equal(id, "net:Studio-Host");
	/* the same plain id: the second one takes the hashed form */
	netdnssd_id("Studio Host", 1, id, sizeof id);
	assert_string_equal(id, "net:Studio-Host-6588");
	netdnssd_id("Studio-Host", 1, id, sizeof id);
	assert_string_equal(id, "net:Studio-Host-9465");
	netdnssd_id("Caf\xc3\xa9 #2 (b/c)", 0, id, sizeof id);
	assert_string_equal(id, "net:Caf__-_2-_b_c_");
	/* longer than 50: cut to 45 and hashed */
	netdnssd_id("Keys & Pads on stage-left rack, second row from the top", 0, id, sizeof id);
	assert_string_equal(id, "net:Keys-_-Pads-on-stage-left-rack_-second-row-fr-50f3");
	assert_true(strlen(id) < 64);
	/* stable: the same name, the same id */
	char again[64];
	netdnssd_id("Keys & Pads on stage-left rack, second row from the top", 0, again, sizeof again);
	assert_string_equal(id, again);
}

static void test_addr(void **state)
{
	(void)state;
	uint64_t tpriv[8];
	struct netio_addr a, b;
	assert_int_equal(netio_resolve("127.0.0.1:5673", 0, &a, NULL), 0);
	netdnssd_addr_store(tpriv, &a);
	assert_int_equal(netdnssd_addr_load(tpriv, &b), 1);
	assert_true(netio_same(&a, &b));
	assert_int_equal(netio_resolve("[fe80::1]:9", 0, &a, NULL), 0);
	((struct sockaddr_in6 *)&a.sa)->sin6_scope_id = 3;
	netdnssd_addr_store(tpriv, &a);
	assert_int_equal(netdnssd_addr_load(tpriv, &b), 1);
	assert_true(netio_same(&a, &b));
	assert_int_equal(((struct sockaddr_in6 *)&b.sa)->sin6_scope_id, 3);
	char s[80];
	netio_format(&b, s, sizeof s);
	assert_non_null(strstr(s, "fe80::1"));
	/* another transport's slot data: nothing */
	memset(tpriv, 0, sizeof tpriv);
	tpriv[0] = 0x1234;
	assert_int_equal(netdnssd_addr_load(tpriv, &b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instance),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
