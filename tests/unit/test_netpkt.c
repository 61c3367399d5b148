/* test_netpkt.c: the Network MIDI 2.0 (UDP) packet codec (net/netpkt.c)
 * and the authentication digests (net/netauth.c): every command encoded
 * and parsed back, exact bytes of a few datagrams, string padding and
 * limits, a datagram that does not fit, and hostile input (bad signature,
 * truncated headers and payloads, short payloads, unknown commands,
 * UMP Data that is not whole messages). Digests are checked against
 * SHA-256 values computed independently (Python hashlib). */
#include "testutil.h"

#include "net/netauth.h"
#include "net/netpkt.h"

static uint8_t buf[2048];

/* Encode one command into a fresh datagram; parse it back. */
static struct netpkt_cmd one(struct netpkt_writer *w, size_t *len)
{
	struct netpkt_reader r;
	struct netpkt_raw raw;
	struct netpkt_cmd c;
	*len = w->len;
	assert_int_equal(netpkt_reader_init(&r, w->buf, w->len), 0);
	assert_int_equal(netpkt_next(&r, &raw), 1);
	assert_int_equal(netpkt_parse(&raw, &c), NETPKT_OK);
	assert_int_equal(netpkt_next(&r, &raw), 0);
	return c;
}

static int str_is(struct netpkt_str s, const char *want)
{
	return s.n == strlen(want) && memcmp(s.s, want, s.n) == 0;
}

static void test_golden(void **state)
{
	(void)state;
	struct netpkt_writer w;
	/* Ping, id 0x12345678 */
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_ping(&w, NETPKT_PING, 0x12345678), 0);
	static const uint8_t ping[] = {'M', 'I', 'D', 'I', 0x20, 0x01, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78};
	assert_int_equal(w.len, sizeof ping);
	assert_memory_equal(buf, ping, sizeof ping);

	/* Invitation: name "Keys" (1 word), piid "AB1" (1 word), both caps */
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_invitation(&w, NETPKT_INVITATION, 3, "Keys", "AB1"), 0);
	static const uint8_t inv[] = {0x4D, 0x49, 0x44, 0x49, 0x01, 0x02, 0x01, 0x03,
				      'K',  'e',  'y',  's',  'A',  'B',  '1',  0x00};
	assert_int_equal(w.len, sizeof inv);
	assert_memory_equal(buf, inv, sizeof inv);

	/* UMP Data seq 0x0102: a MIDI 1.0 Note On, then a MIDI 2.0 Note On */
	netpkt_writer_init(&w, buf, sizeof buf);
	uint32_t u[] = {0x20903C64, 0x40903C00, 0xFFFF0000};
	assert_int_equal(netpkt_put_ump(&w, 0x0102, u, 3), 0);
	static const uint8_t data[] = {'M',  'I',  'D',  'I',  0xFF, 0x03, 0x01, 0x02,
				       0x20, 0x90, 0x3C, 0x64, 0x40, 0x90, 0x3C, 0x00,
				       0xFF, 0xFF, 0x00, 0x00};
	assert_int_equal(w.len, sizeof data);
	assert_memory_equal(buf, data, sizeof data);

	/* Retransmit Request seq 5 count 3; Retransmit Error reason 1 seq 9;
	 * Bye "timeout" with no text; NAK of a header */
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_retransmit_request(&w, 5, 3), 0);
	assert_int_equal(netpkt_put_retransmit_error(&w, NETPKT_RTX_ERR_NO_DATA, 9), 0);
	assert_int_equal(netpkt_put_bye(&w, NETPKT_BYE_TIMEOUT, NULL), 0);
	assert_int_equal(netpkt_put_nak(&w, NETPKT_NAK_NOT_SUPPORTED, 0x42000000, NULL), 0);
	assert_int_equal(netpkt_put_empty(&w, NETPKT_SESSION_RESET), 0);
	static const uint8_t many[] = {'M',  'I',  'D',  'I',  0x80, 0x01, 0x00, 0x05, 0x00, 0x03,
				       0x00, 0x00, 0x81, 0x01, 0x01, 0x00, 0x00, 0x09, 0x00, 0x00,
				       0xF0, 0x00, 0x04, 0x00, 0x8F, 0x01, 0x01, 0x00, 0x42, 0x00,
				       0x00, 0x00, 0x82, 0x00, 0x00, 0x00};
	assert_int_equal(w.len, sizeof many);
	assert_memory_equal(buf, many, sizeof many);
}

static void test_every_command(void **state)
{
	(void)state;
	struct netpkt_writer w;
	struct netpkt_cmd c;
	size_t len;
	static const uint8_t nonce[16] = "0123456789ABCDEF";
	uint8_t digest[32];
	for (int i = 0; i < 32; i++)
		digest[i] = (uint8_t)(i * 7);

	static const uint8_t inv_codes[] = {NETPKT_INVITATION, NETPKT_REPLY_ACCEPTED, NETPKT_REPLY_PENDING};
	for (size_t k = 0; k < sizeof inv_codes; k++) {
		netpkt_writer_init(&w, buf, sizeof buf);
		assert_int_equal(netpkt_put_invitation(&w, inv_codes[k], 2, "Grand Piano", "SN-42"), 0);
		c = one(&w, &len);
		assert_int_equal(c.code, inv_codes[k]);
		assert_true(str_is(c.name, "Grand Piano"));
		assert_true(str_is(c.piid, "SN-42"));
		assert_int_equal(c.caps, inv_codes[k] == NETPKT_INVITATION ? 2 : 0);
		assert_int_equal(len, 4 + 4 + 12 + 8);
	}
	static const uint8_t auth_codes[] = {NETPKT_REPLY_AUTH_REQUIRED, NETPKT_REPLY_USER_AUTH_REQUIRED};
	for (size_t k = 0; k < sizeof auth_codes; k++) {
		netpkt_writer_init(&w, buf, sizeof buf);
		assert_int_equal(netpkt_put_auth_required(&w, auth_codes[k], NETPKT_AUTH_INCORRECT, nonce,
							  "Host", "P1"), 0);
		c = one(&w, &len);
		assert_int_equal(c.code, auth_codes[k]);
		assert_int_equal(c.auth_state, NETPKT_AUTH_INCORRECT);
		assert_memory_equal(c.nonce, nonce, 16);
		assert_true(str_is(c.name, "Host"));
		assert_true(str_is(c.piid, "P1"));
	}
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_inv_auth(&w, digest), 0);
	c = one(&w, &len);
	assert_int_equal(c.code, NETPKT_INVITATION_AUTH);
	assert_memory_equal(c.digest, digest, 32);
	assert_int_equal(len, 4 + 4 + 32);

	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_inv_user_auth(&w, digest, "alice"), 0);
	c = one(&w, &len);
	assert_int_equal(c.code, NETPKT_INVITATION_USER_AUTH);
	assert_memory_equal(c.digest, digest, 32);
	assert_true(str_is(c.user, "alice"));
	assert_int_equal(len, 4 + 4 + 32 + 8);

	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_ping(&w, NETPKT_PING_REPLY, 0xDEADBEEF), 0);
	c = one(&w, &len);
	assert_int_equal(c.code, NETPKT_PING_REPLY);
	assert_int_equal(c.ping_id, 0xDEADBEEF);

	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_retransmit_request(&w, 0xFFFE, 0), 0);
	c = one(&w, &len);
	assert_int_equal(c.code, NETPKT_RETRANSMIT_REQUEST);
	assert_int_equal(c.seq, 0xFFFE);
	assert_int_equal(c.count, 0);

	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_retransmit_error(&w, NETPKT_RTX_ERR_UNKNOWN, 300), 0);
	c = one(&w, &len);
	assert_int_equal(c.code, NETPKT_RETRANSMIT_ERROR);
	assert_int_equal(c.reason, NETPKT_RTX_ERR_UNKNOWN);
	assert_int_equal(c.seq, 300);

	static const uint8_t empties[] = {NETPKT_SESSION_RESET, NETPKT_SESSION_RESET_REPLY, NETPKT_BYE_REPLY};
	for (size_t k = 0; k < sizeof empties; k++) {
		netpkt_writer_init(&w, buf, sizeof buf);
		assert_int_equal(netpkt_put_empty(&w, empties[k]), 0);
		c = one(&w, &len);
		assert_int_equal(c.code, empties[k]);
		assert_int_equal(len, 8);
	}

	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_nak(&w, NETPKT_NAK_MALFORMED, 0xFF010007, "bad"), 0);
	c = one(&w, &len);
	assert_int_equal(c.code, NETPKT_NAK);
	assert_int_equal(c.reason, NETPKT_NAK_MALFORMED);
	assert_int_equal(c.nak_header, 0xFF010007);
	assert_true(str_is(c.text, "bad"));

	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_bye(&w, NETPKT_BYE_USER_TERMINATED, "see you"), 0);
	c = one(&w, &len);
	assert_int_equal(c.code, NETPKT_BYE);
	assert_int_equal(c.reason, NETPKT_BYE_USER_TERMINATED);
	assert_true(str_is(c.text, "see you"));

	/* UMP Data: empty (keep-alive) and 4-word messages */
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_ump(&w, 7, NULL, 0), 0);
	c = one(&w, &len);
	assert_int_equal(c.code, NETPKT_UMP_DATA);
	assert_int_equal(c.seq, 7);
	assert_int_equal(c.nwords, 0);
	uint32_t sx8[] = {0x50010203, 0x04050607, 0x08090A0B, 0x0C0D0E0F, 0x10000000};
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_ump(&w, 65535, sx8, 5), 0);
	c = one(&w, &len);
	assert_int_equal(c.seq, 65535);
	assert_int_equal(c.nwords, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(netpkt_ump_word(&c, i), sx8[i]);

	assert_string_equal(netpkt_code_name(NETPKT_NAK), "NAK");
	assert_string_equal(netpkt_bye_name(NETPKT_BYE_TOO_MANY_SESSIONS),
			    "invitation failed: too many opened sessions");
	assert_string_equal(netpkt_nak_name(NETPKT_NAK_BAD_PING_REPLY), "bad ping reply");
	assert_string_equal(netpkt_code_name(0x55), "?");
}

static void test_strings(void **state)
{
	(void)state;
	struct netpkt_writer w;
	struct netpkt_cmd c;
	size_t len;
	/* Exactly 4 bytes: no terminator, no padding word. Empty and NULL: 0 words. */
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_invitation(&w, NETPKT_INVITATION, 0, "", NULL), 0);
	c = one(&w, &len);
	assert_int_equal(len, 8);
	assert_int_equal(c.name.n, 0);
	assert_int_equal(c.piid.n, 0);
	/* Longer than the limits: cut to 98 and 42 bytes, never inside a
	 * UTF-8 sequence ("é" is 2 bytes; 97 'a' then é would be 99). */
	char name[200], piid[100];
	memset(name, 'a', 97);
	strcpy(name + 97, "\xC3\xA9xyz");
	memset(piid, 'p', 60);
	piid[60] = 0;
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put_invitation(&w, NETPKT_INVITATION, 0, name, piid), 0);
	c = one(&w, &len);
	assert_int_equal(c.name.n, 97);
	assert_int_equal(c.piid.n, NETPKT_PIID_MAX);
	assert_int_equal(buf[6], 25); /* name words: ceil(97 / 4) */
	/* A reader stops a string at its first zero. */
	netpkt_writer_init(&w, buf, sizeof buf);
	assert_int_equal(netpkt_put(&w, NETPKT_BYE, 1, 0, "ab\0cd", 5), 0);
	c = one(&w, &len);
	assert_true(str_is(c.text, "ab"));
}

static void test_full(void **state)
{
	(void)state;
	struct netpkt_writer w;
	uint8_t small[16];
	assert_int_equal(netpkt_writer_init(&w, small, 3), -1);
	netpkt_writer_init(&w, small, sizeof small);
	assert_true(netpkt_writer_empty(&w));
	assert_int_equal(netpkt_put_ping(&w, NETPKT_PING, 1), 0);
	assert_int_equal(netpkt_put_ping(&w, NETPKT_PING, 2), -1); /* 12 + 8 > 16 */
	assert_int_equal(w.len, 12);
	assert_int_equal(netpkt_put_empty(&w, NETPKT_BYE_REPLY), 0);
	assert_int_equal(w.len, 16);
	/* a payload of more than 255 words cannot be a command */
	netpkt_writer_init(&w, buf, sizeof buf);
	static uint32_t big[256];
	assert_int_equal(netpkt_put_ump(&w, 0, big, 256), -1);
	assert_int_equal(netpkt_put_ump(&w, 0, big, 255), 0);
}

/* Parse every command of buf[0..n): counts of OK, UNKNOWN, MALFORMED,
 * and the last next() status. */
static int walk(const uint8_t *b, size_t n, int counts[3])
{
	struct netpkt_reader r;
	struct netpkt_raw raw;
	struct netpkt_cmd c;
	counts[0] = counts[1] = counts[2] = 0;
	if (netpkt_reader_init(&r, b, n) < 0)
		return -2;
	int k;
	while ((k = netpkt_next(&r, &raw)) > 0)
		counts[-netpkt_parse(&raw, &c)]++;
	return k;
}

static void test_hostile(void **state)
{
	(void)state;
	int n[3];
	static const uint8_t bad_sig[] = {'M', 'I', 'D', 'X', 0x20, 0x01, 0, 0, 1, 2, 3, 4};
	assert_int_equal(walk(bad_sig, sizeof bad_sig, n), -2);
	assert_int_equal(walk(bad_sig, 3, n), -2);
	assert_int_equal(walk(NULL, 0, n), -2);
	/* the signature alone: no command, fine */
	static const uint8_t sig[] = {'M', 'I', 'D', 'I'};
	assert_int_equal(walk(sig, 4, n), 0);
	/* a header cut short */
	static const uint8_t cut[] = {'M', 'I', 'D', 'I', 0x82, 0x00, 0x00, 0x00, 0x20, 0x01};
	assert_int_equal(walk(cut, sizeof cut, n), -1);
	assert_int_equal(n[0], 1); /* the Session Reset before it is read */
	/* a payload longer than what is left */
	static const uint8_t longp[] = {'M', 'I', 'D', 'I', 0xFF, 0x02, 0x00, 0x00, 0x20, 0x90, 0x3C, 0x64};
	assert_int_equal(walk(longp, sizeof longp, n), -1);
	assert_int_equal(n[0] + n[1] + n[2], 0);
	/* an unknown command is skipped, what follows is read */
	static const uint8_t unk[] = {'M', 'I', 'D', 'I', 0x55, 0x01, 0xAA, 0xBB, 1, 2, 3, 4,
				      0x20, 0x01, 0x00, 0x00, 0, 0, 0, 9};
	assert_int_equal(walk(unk, sizeof unk, n), 0);
	assert_int_equal(n[0], 1);
	assert_int_equal(n[1], 1);
	/* payloads too short for their command */
	static const uint8_t shortp[] = {
		'M',  'I', 'D',  'I',  0x20, 0x00, 0x00, 0x00,  /* Ping without id */
		0x02, 0x07, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                       /* digest of 7 words */
		0x12, 0x03, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* nonce of 3 words */
		0x01, 0x01, 0x05, 0x00, 'a', 'b', 'c', 'd',         /* name longer than payload */
		0x8F, 0x00, 0x00, 0x00,                             /* NAK without header */
		0x80, 0x00, 0x00, 0x00,                             /* Retransmit Request, no count */
		0x81, 0x00, 0x01, 0x00,                             /* Retransmit Error, no seq */
	};
	assert_int_equal(walk(shortp, sizeof shortp, n), 0);
	assert_int_equal(n[2], 7);
	assert_int_equal(n[0], 0);
	/* UMP Data that is not whole messages: a 2-word SysEx7 with one word,
	 * a 4-word message with three */
	static const uint8_t part[] = {'M',  'I',  'D', 'I', 0xFF, 0x01, 0, 0, 0x30, 0x16, 1, 2,
				       0xFF, 0x03, 0, 1,  0xF0, 0,    0, 0, 0,    0,    0, 0,
				       0,    0,    0, 0};
	assert_int_equal(walk(part, sizeof part, n), 0);
	assert_int_equal(n[2], 2);
	/* longer payloads than needed are read (what is past is ignored) */
	static const uint8_t extra[] = {'M', 'I', 'D', 'I', 0x21, 0x02, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9};
	assert_int_equal(walk(extra, sizeof extra, n), 0);
	assert_int_equal(n[0], 1);
}

static void test_digests(void **state)
{
	(void)state;
	static const uint8_t nonce[16] = "0123456789ABCDEF";
	/* hashlib.sha256(b'0123456789ABCDEF' + b'secret') */
	static const uint8_t want_secret[32] = {
		0x2e, 0x4d, 0xff, 0x35, 0x20, 0x84, 0x4f, 0xe7, 0xdf, 0xf1, 0xc0,
		0xa1, 0x5a, 0x57, 0x82, 0x4c, 0x4c, 0xaf, 0x43, 0x0e, 0x65, 0xc2,
		0x03, 0x14, 0xb5, 0xa8, 0x38, 0xe6, 0x5a, 0xef, 0x0f, 0xd4};
	/* hashlib.sha256(b'0123456789ABCDEF' + b'alice' + b'pw') */
	static const uint8_t want_user[32] = {
		0xd4, 0x72, 0x50, 0x06, 0x77, 0xad, 0x28, 0x26, 0x50, 0x42, 0x4c,
		0x68, 0x37, 0x02, 0x55, 0xc5, 0xc9, 0xd3, 0x17, 0x57, 0x60, 0x99,
		0xa1, 0x31, 0x3d, 0x9e, 0x67, 0x48, 0xa4, 0x75, 0xfc, 0x7b};
	uint8_t d[32];
	netauth_digest_secret(d, nonce, "secret");
	assert_memory_equal(d, want_secret, 32);
	assert_true(netauth_equal(d, want_secret));
	netauth_digest_user(d, nonce, "alice", 5, "pw");
	assert_memory_equal(d, want_user, 32);
	assert_false(netauth_equal(d, want_secret));

	uint8_t n1[16], n2[16];
	assert_int_equal(netauth_nonce(n1, NULL, NULL), 0);
	assert_int_equal(netauth_nonce(n2, NULL, NULL), 0);
	assert_memory_not_equal(n1, n2, 16);
	for (int i = 0; i < 16; i++)
		assert_true((n1[i] >= '0' && n1[i] <= '9') || (n1[i] >= 'A' && n1[i] <= 'Z') ||
			    (n1[i] >= 'a' && n1[i] <= 'z'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),  cmocka_unit_test(test_every_command),
		cmocka_unit_test(test_strings), cmocka_unit_test(test_full),
		cmocka_unit_test(test_hostile), cmocka_unit_test(test_digests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
