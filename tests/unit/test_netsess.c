/* test_netsess.c: the Network MIDI 2.0 session state machine
 * (net/netsess.c, netinvite.c, netsend.c, netrecv.c) between a host and a
 * client joined by a fake network that the test drives: datagrams queued
 * per direction, delivered, dropped, reordered or repeated on purpose,
 * with time passed in. Invitations accepted and refused under every
 * policy (allow list, admit, shared secret, user/password) with the
 * spec's Bye reasons; FEC and retransmit recovering drops; duplicates and
 * reordering never delivering twice; unrecoverable losses counted;
 * skips (messages the sender's source lost) counted by the peer as lost,
 * before what follows them;
 * keepalive timeouts; session reset; bye. */
#include "testutil.h"

#include "net/netpkt.h"
#include "net/netsess.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define QMAX 256

struct side {
	struct netsess *s;
	uint8_t q[QMAX][1500]; /* datagrams this side sent, not yet delivered */
	size_t qn[QMAX];
	int nq;
	uint32_t got[4096];
	size_t ngot;
	uint64_t lost;
	size_t lost_at; /* ngot when a loss was last reported */
	enum netsess_admit admit;
	int admits;
	uint8_t rnd;
};

static struct side H, C; /* host, client */
static uint64_t now;

static void cb_send(void *arg, const uint8_t *d, size_t n)
{
	struct side *x = arg;
	assert_true(x->nq < QMAX && n <= 1500);
	memcpy(x->q[x->nq], d, n);
	x->qn[x->nq++] = n;
}
static void cb_deliver(void *arg, const uint32_t *w, size_t n)
{
	struct side *x = arg;
	assert_true(x->ngot + n <= 4096);
	memcpy(x->got + x->ngot, w, 4 * n);
	x->ngot += n;
}
static void cb_lost(void *arg, uint32_t n)
{
	struct side *x = arg;
	x->lost += n;
	x->lost_at = x->ngot;
}
static enum netsess_admit cb_admit(void *arg, const char *name, const char *piid)
{
	struct side *x = arg;
	x->admits++;
	assert_string_equal(name, "Client");
	assert_string_equal(piid, "C-1");
	return x->admit;
}
static void cb_rand(void *arg, uint8_t *b, size_t n)
{
	struct side *x = arg;
	for (size_t i = 0; i < n; i++)
		b[i] = x->rnd++;
}
static const struct netsess_ops ops = {cb_send, cb_deliver, cb_lost, NULL, cb_admit, cb_rand};

static struct netsess_config host_cfg(void)
{
	struct netsess_config c = {.role = NETSESS_HOST, .name = "Host", .piid = "H-1"};
	return c;
}
static struct netsess_config client_cfg(void)
{
	struct netsess_config c = {.role = NETSESS_CLIENT, .name = "Client", .piid = "C-1"};
	return c;
}

static void start(const struct netsess_config *hc, const struct netsess_config *cc)
{
	netsess_free(H.s);
	netsess_free(C.s);
	memset(&H, 0, sizeof H);
	memset(&C, 0, sizeof C);
	H.rnd = 1;
	C.rnd = 100;
	H.s = netsess_new(hc, &ops, &H);
	C.s = netsess_new(cc, &ops, &C);
	assert_non_null(H.s);
	assert_non_null(C.s);
	now = 1000 * SEC;
}

static int teardown(void **state)
{
	(void)state;
	netsess_free(H.s);
	netsess_free(C.s);
	H.s = C.s = NULL;
	return 0;
}

/* Deliver datagram i of from's queue to `to` (and remove it). */
static void deliver_one(struct side *from, struct side *to, int i)
{
	uint8_t d[1500];
	size_t n = from->qn[i];
	memcpy(d, from->q[i], n);
	memmove(from->q[i], from->q[i + 1], (size_t)(from->nq - i - 1) * sizeof from->q[0]);
	memmove(&from->qn[i], &from->qn[i + 1], (size_t)(from->nq - i - 1) * sizeof from->qn[0]);
	from->nq--;
	assert_int_equal(netsess_input(to->s, d, n, now), 0);
}
static void drop(struct side *from, int i)
{
	memmove(from->q[i], from->q[i + 1], (size_t)(from->nq - i - 1) * sizeof from->q[0]);
	memmove(&from->qn[i], &from->qn[i + 1], (size_t)(from->nq - i - 1) * sizeof from->qn[0]);
	from->nq--;
}
/* Everything both ways until quiet. */
static void pump(void)
{
	for (int guard = 0; guard < 1000 && (H.nq || C.nq); guard++) {
		while (C.nq)
			deliver_one(&C, &H, 0);
		while (H.nq)
			deliver_one(&H, &C, 0);
	}
	assert_int_equal(H.nq + C.nq, 0);
}
/* Advance time by dt, running both sessions' timers, with the network
 * delivering everything (or nothing when `net` is 0). */
static void run_for(uint64_t dt, int net)
{
	uint64_t end = now + dt;
	for (int guard = 0; guard < 100000; guard++) {
		uint64_t d = netsess_next_due(H.s), e = netsess_next_due(C.s);
		uint64_t next = d < e ? d : e;
		if (next > end)
			break;
		if (next > now)
			now = next;
		netsess_timeout(H.s, now);
		netsess_timeout(C.s, now);
		if (net)
			pump();
	}
	now = end;
}

/* The Bye reason in the first Bye of side x's queue (-1 if none). */
static int queued_bye(const struct side *x)
{
	for (int i = 0; i < x->nq; i++) {
		struct netpkt_reader r;
		struct netpkt_raw raw;
		netpkt_reader_init(&r, x->q[i], x->qn[i]);
		while (netpkt_next(&r, &raw) > 0)
			if (raw.code == NETPKT_BYE)
				return raw.csd1;
	}
	return -1;
}
/* Whether side x's queue holds a command with this code. */
static int queued(const struct side *x, uint8_t code)
{
	for (int i = 0; i < x->nq; i++) {
		struct netpkt_reader r;
		struct netpkt_raw raw;
		netpkt_reader_init(&r, x->q[i], x->qn[i]);
		while (netpkt_next(&r, &raw) > 0)
			if (raw.code == code)
				return 1;
	}
	return 0;
}

static void connect_ok(void)
{
	assert_int_equal(netsess_invite(C.s, now), 0);
	assert_int_equal(netsess_state(C.s), NETSESS_PENDING_INVITATION);
	pump();
	assert_int_equal(netsess_state(H.s), NETSESS_ESTABLISHED);
	assert_int_equal(netsess_state(C.s), NETSESS_ESTABLISHED);
}

/* ---- invitations ---- */

static void test_open(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	start(&hc, &cc);
	connect_ok();
	assert_int_equal(H.admits, 1);
	assert_string_equal(netsess_peer_name(C.s), "Host");
	assert_string_equal(netsess_peer_piid(C.s), "H-1");
	assert_string_equal(netsess_peer_name(H.s), "Client");
	assert_string_equal(netsess_peer_piid(H.s), "C-1");
	/* messages both ways */
	uint32_t a[] = {0x20903C64, 0x40903C00, 0xFFFF0000};
	assert_int_equal(netsess_send(C.s, a, 3, now), 3);
	uint32_t b[] = {0x20803C00};
	assert_int_equal(netsess_send(H.s, b, 1, now), 1);
	pump();
	assert_int_equal(H.ngot, 3);
	assert_memory_equal(H.got, a, sizeof a);
	assert_int_equal(C.ngot, 1);
	assert_int_equal(C.got[0], b[0]);
	/* a message cut short is refused whole */
	uint32_t cut[] = {0x40903C00};
	assert_int_equal(netsess_send(C.s, cut, 1, now), -1);
	/* an invitation lost once is repeated */
	start(&hc, &cc);
	netsess_invite(C.s, now);
	drop(&C, 0);
	run_for(1500 * MS, 1);
	assert_int_equal(netsess_state(C.s), NETSESS_ESTABLISHED);
}

static void test_allow_list(void **state)
{
	(void)state;
	const char *allow[] = {"Other", "C-1"};
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	hc.allow = allow;
	hc.nallow = 2; /* the client's product instance id is listed */
	start(&hc, &cc);
	connect_ok();
	hc.nallow = 1; /* now only "Other" */
	start(&hc, &cc);
	netsess_invite(C.s, now);
	pump();
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_int_equal(netsess_bye_reason(C.s), NETPKT_BYE_NOT_ACCEPTED);
	assert_true(netsess_closed_by_peer(C.s));
	assert_int_equal(netsess_state(H.s), NETSESS_CLOSED);
	assert_int_equal(H.admits, 0);
	assert_non_null(strstr(netsess_why(H.s), "allow list"));
}

static void test_admit(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	static const struct {
		enum netsess_admit a;
		int reason;
	} refusals[] = {{NETSESS_ADMIT_REJECT, NETPKT_BYE_NOT_ACCEPTED},
			{NETSESS_ADMIT_FULL, NETPKT_BYE_TOO_MANY_SESSIONS}};
	for (size_t i = 0; i < 2; i++) {
		start(&hc, &cc);
		H.admit = refusals[i].a;
		netsess_invite(C.s, now);
		pump();
		assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
		assert_int_equal(netsess_bye_reason(C.s), refusals[i].reason);
	}
	/* pending: the client waits (its invitation repeats get Pending
	 * again), the host decides later */
	start(&hc, &cc);
	H.admit = NETSESS_ADMIT_PENDING;
	netsess_invite(C.s, now);
	pump();
	assert_int_equal(netsess_state(H.s), NETSESS_PENDING_INVITATION);
	assert_int_equal(netsess_state(C.s), NETSESS_PENDING_INVITATION);
	run_for(5 * SEC, 1);
	assert_int_equal(netsess_state(C.s), NETSESS_PENDING_INVITATION);
	assert_int_equal(H.admits, 1);
	netsess_admit(H.s, 1, now);
	pump();
	assert_int_equal(netsess_state(C.s), NETSESS_ESTABLISHED);
	assert_string_equal(netsess_peer_name(C.s), "Host");
	/* pending then refused */
	start(&hc, &cc);
	H.admit = NETSESS_ADMIT_PENDING;
	netsess_invite(C.s, now);
	pump();
	netsess_admit(H.s, 0, now);
	pump();
	assert_int_equal(netsess_bye_reason(C.s), NETPKT_BYE_NOT_ACCEPTED);
	/* pending with no decision: the client gives up (Bye invitation canceled) */
	start(&hc, &cc);
	H.admit = NETSESS_ADMIT_PENDING;
	netsess_invite(C.s, now);
	pump();
	run_for(31 * SEC, 0);
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_int_equal(queued_bye(&C), NETPKT_BYE_INVITATION_CANCELED);
}

static void test_secret(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	hc.auth = NETSESS_AUTH_SECRET;
	hc.secret = "open sesame";
	cc.secret = "open sesame";
	start(&hc, &cc);
	connect_ok();
	/* wrong secret: the host says Incorrect with a new nonce, the client
	 * tries once more, then cancels */
	cc.secret = "guess";
	start(&hc, &cc);
	netsess_invite(C.s, now);
	pump();
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_non_null(strstr(netsess_why(C.s), "authentication failed"));
	assert_int_equal(netsess_bye_reason(C.s), NETPKT_BYE_INVITATION_CANCELED);
	assert_int_equal(netsess_state(H.s), NETSESS_CLOSED);
	assert_int_equal(netsess_bye_reason(H.s), NETPKT_BYE_INVITATION_CANCELED);
	/* no secret at all: capabilities do not match the policy */
	cc.secret = NULL;
	start(&hc, &cc);
	netsess_invite(C.s, now);
	pump();
	assert_int_equal(netsess_bye_reason(C.s), NETPKT_BYE_NO_MATCHING_AUTH);
}

/* A hand-made client: sends datagrams built here to the host. */
static void raw_send(struct netpkt_writer *w)
{
	assert_int_equal(netsess_input(H.s, w->buf, w->len, now), 0);
}

/* The host's last Authentication Required nonce, from its queue. */
static int host_nonce(uint8_t nonce[16])
{
	int found = 0;
	for (int i = 0; i < H.nq; i++) {
		struct netpkt_reader r;
		struct netpkt_raw raw;
		struct netpkt_cmd c;
		netpkt_reader_init(&r, H.q[i], H.qn[i]);
		while (netpkt_next(&r, &raw) > 0)
			if (netpkt_parse(&raw, &c) == 0 && c.nonce) {
				memcpy(nonce, c.nonce, 16);
				found = 1;
			}
	}
	H.nq = 0;
	return found;
}

static void test_host_auth_failures(void **state)
{
	(void)state;
	uint8_t b[256], nonce[16], d[32];
	struct netpkt_writer w;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	hc.auth = NETSESS_AUTH_SECRET;
	hc.secret = "s3cret";
	start(&hc, &cc);
	/* Invitation with Authentication with no invitation before */
	memset(d, 0, sizeof d);
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_inv_auth(&w, d);
	raw_send(&w);
	assert_int_equal(queued_bye(&H), NETPKT_BYE_AUTH_NO_PRIOR_INVITATION);
	H.nq = 0;
	/* three wrong digests: Bye authentication failed */
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_invitation(&w, NETPKT_INVITATION, NETPKT_CAP_AUTH, "Client", "C-1");
	raw_send(&w);
	assert_int_equal(netsess_state(H.s), NETSESS_AUTH_REQUIRED);
	uint8_t first[16];
	assert_true(host_nonce(first));
	for (int i = 0; i < 3; i++) {
		netpkt_writer_init(&w, b, sizeof b);
		netauth_digest_secret(d, first, "wrong");
		netpkt_put_inv_auth(&w, d);
		raw_send(&w);
		if (i < 2) {
			assert_true(host_nonce(nonce));
			assert_memory_not_equal(nonce, first, 16); /* a fresh nonce each time */
			memcpy(first, nonce, 16);
		}
	}
	assert_int_equal(queued_bye(&H), NETPKT_BYE_AUTH_FAILED);
	assert_int_equal(netsess_state(H.s), NETSESS_CLOSED);

	/* user policy: right password accepted */
	static const struct netsess_user users[] = {{"alice", "pw1"}, {"bob", "pw2"}};
	hc.auth = NETSESS_AUTH_USER;
	hc.users = users;
	hc.nusers = 2;
	start(&hc, &cc);
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_invitation(&w, NETPKT_INVITATION, NETPKT_CAP_USER_AUTH, "Client", "C-1");
	raw_send(&w);
	assert_true(host_nonce(nonce));
	netauth_digest_user(d, nonce, "bob", 3, "pw2");
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_inv_user_auth(&w, d, "bob");
	raw_send(&w);
	assert_int_equal(netsess_state(H.s), NETSESS_ESTABLISHED);
	assert_true(queued(&H, NETPKT_REPLY_ACCEPTED));
	/* an unknown user three times: Bye user name not found */
	start(&hc, &cc);
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_invitation(&w, NETPKT_INVITATION, NETPKT_CAP_USER_AUTH, "Client", "C-1");
	raw_send(&w);
	for (int i = 0; i < 3; i++) {
		assert_true(host_nonce(nonce));
		netauth_digest_user(d, nonce, "eve", 3, "pw2");
		netpkt_writer_init(&w, b, sizeof b);
		netpkt_put_inv_user_auth(&w, d, "eve");
		raw_send(&w);
	}
	assert_int_equal(queued_bye(&H), NETPKT_BYE_USER_NOT_FOUND);
	/* the secret method when the policy is user/password */
	start(&hc, &cc);
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_invitation(&w, NETPKT_INVITATION, NETPKT_CAP_AUTH | NETPKT_CAP_USER_AUTH, "Client",
			      "C-1");
	raw_send(&w);
	H.nq = 0;
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_inv_auth(&w, d);
	raw_send(&w);
	assert_int_equal(queued_bye(&H), NETPKT_BYE_NO_MATCHING_AUTH);
}

static void test_user(void **state)
{
	(void)state;
	static const struct netsess_user users[] = {{"alice", "pw1"}};
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	hc.auth = NETSESS_AUTH_USER;
	hc.users = users;
	hc.nusers = 1;
	cc.user = "alice";
	cc.password = "pw1";
	start(&hc, &cc);
	connect_ok();
	cc.password = "nope";
	start(&hc, &cc);
	netsess_invite(C.s, now);
	pump();
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_non_null(strstr(netsess_why(C.s), "authentication failed"));
	/* a client with only a secret meets a user/password host */
	cc.user = cc.password = NULL;
	cc.secret = "x";
	start(&hc, &cc);
	netsess_invite(C.s, now);
	pump();
	assert_int_equal(netsess_bye_reason(C.s), NETPKT_BYE_NO_MATCHING_AUTH);
}

/* ---- data ---- */

static void send_notes(struct side *x, unsigned from, unsigned n)
{
	for (unsigned i = from; i < from + n; i++) {
		uint32_t w = 0x20900000 | (i & 0x7F) << 8 | 0x64;
		assert_int_equal(netsess_send(x->s, &w, 1, now), 1);
	}
}
static void check_notes(const struct side *x, unsigned n)
{
	assert_int_equal(x->ngot, n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(x->got[i], 0x20900000 | (i & 0x7F) << 8 | 0x64);
}

static void test_fec(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 3);
	assert_int_equal(C.nq, 3);
	drop(&C, 1); /* the second datagram; the third repeats it */
	pump();
	check_notes(&H, 3);
	assert_int_equal(H.lost, 0);
	assert_int_equal(netsess_stats(H.s)->rtx_requests, 0);
	assert_true(netsess_stats(H.s)->duplicates >= 1);
	/* the last datagram of a burst lost: the keep-alives after it carry it */
	send_notes(&C, 3, 1);
	drop(&C, 0);
	run_for(100 * MS, 1);
	check_notes(&H, 4);
	assert_int_equal(netsess_stats(H.s)->rtx_requests, 0);
	assert_int_equal(H.lost, 0);
}

static void test_retransmit(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	cc.fec = NETSESS_NO_FEC;
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 6);
	drop(&C, 2);
	drop(&C, 2); /* notes 2 and 3 */
	pump();
	assert_int_equal(H.ngot, 2); /* 4 and 5 held */
	run_for(50 * MS, 1);
	check_notes(&H, 6);
	assert_int_equal(netsess_stats(H.s)->rtx_requests, 1);
	assert_int_equal(netsess_stats(C.s)->rtx_resent, 2);
	assert_int_equal(H.lost, 0);
	/* the request itself lost: asked again */
	send_notes(&C, 6, 3);
	drop(&C, 0);
	pump();
	run_for(25 * MS, 0);
	assert_true(queued(&H, NETPKT_RETRANSMIT_REQUEST));
	H.nq = 0;
	run_for(200 * MS, 1);
	check_notes(&H, 9);
	assert_int_equal(H.lost, 0);
}

static void test_reorder_duplicates(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 8);
	/* every datagram twice, in reverse order */
	uint8_t q[QMAX][1500];
	size_t qn[QMAX];
	int n = C.nq;
	memcpy(q, C.q, sizeof q);
	memcpy(qn, C.qn, sizeof qn);
	C.nq = 0;
	for (int r = 0; r < 2; r++)
		for (int i = n - 1; i >= 0; i--)
			assert_int_equal(netsess_input(H.s, q[i], qn[i], now), 0);
	check_notes(&H, 8);
	/* and again later: nothing new */
	for (int i = 0; i < n; i++)
		netsess_input(H.s, q[i], qn[i], now);
	run_for(500 * MS, 1);
	check_notes(&H, 8);
	assert_int_equal(H.lost, 0);
	assert_int_equal(netsess_stats(H.s)->rtx_requests, 0);
}

static void test_loss_counted(void **state)
{
	(void)state;
	/* the sender keeps nothing: it NAKs the request, the gap is lost */
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	cc.fec = NETSESS_NO_FEC;
	cc.rtx_depth = NETSESS_NO_RTX;
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 5);
	drop(&C, 1);
	drop(&C, 1); /* 1 and 2 */
	pump();
	run_for(1 * SEC, 1);
	assert_int_equal(H.lost, 2);
	assert_int_equal(H.ngot, 3);
	assert_int_equal(H.got[1], 0x20900364u);
	assert_int_equal(netsess_stats(C.s)->naks_out, 1);
	/* later gaps are not asked for any more: skipped after the wait */
	send_notes(&C, 5, 3);
	drop(&C, 0);
	pump();
	run_for(1 * SEC, 1);
	assert_int_equal(H.lost, 3);
	assert_int_equal(netsess_stats(H.s)->rtx_requests, 1);

	/* the sender keeps 2: Retransmit Error names the oldest it has, what
	 * is before it is lost, the rest comes */
	cc.rtx_depth = 2;
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 8);
	for (int i = 0; i < 5; i++)
		drop(&C, 1); /* 1..5 */
	pump();
	run_for(1 * SEC, 1);
	assert_int_equal(netsess_stats(C.s)->rtx_errors, 1);
	/* the ring holds 3 (rtx_depth + the one being sent); the keep-alive
	 * after the burst (seq 8) pushed 5 out: it has 6, 7, 8 */
	assert_int_equal(H.lost, 5);
	assert_int_equal(H.ngot, 3);
	assert_int_equal(H.got[1], 0x20900664u);

	/* a silent sender (requests unanswered): lost after the attempts */
	cc.rtx_depth = 0;
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 4);
	drop(&C, 1);
	pump();
	for (int i = 0; i < 10; i++) {
		run_for(60 * MS, 0);
		C.nq = 0;
		if (H.nq) {
			assert_true(queued(&H, NETPKT_RETRANSMIT_REQUEST));
			H.nq = 0;
		}
	}
	assert_int_equal(H.lost, 1);
	assert_int_equal(H.ngot, 3);
	assert_int_equal(netsess_stats(H.s)->rtx_requests, 3);
}

static void test_skip(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 3);
	pump();
	/* 5 messages lost before the session: the peer counts 5, once, before
	 * what follows, even with nothing sent after the skip for a while */
	netsess_skip(C.s, 5, now);
	assert_true(C.nq >= 1); /* the gap is shown at once */
	pump();
	run_for(1 * SEC, 1);
	assert_int_equal(H.lost, 5);
	assert_int_equal(H.lost_at, 3);
	send_notes(&C, 3, 2);
	run_for(1 * SEC, 1);
	check_notes(&H, 5);
	assert_int_equal(H.lost, 5);
	assert_int_equal(netsess_stats(C.s)->skipped, 5);

	/* a skip wider than the peer's reorder window and the traffic after
	 * it wider too: exactly the skip is lost, everything after arrives */
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 3);
	pump();
	netsess_skip(C.s, 100, now);
	send_notes(&C, 3, 40);
	pump();
	run_for(1 * SEC, 1);
	assert_int_equal(H.lost, 100);
	assert_int_equal(H.lost_at, 3);
	check_notes(&H, 43);

	/* a real loss just before the skip: the request gets what is kept up
	 * to the hole, then a Retransmit Error for the hole */
	cc.fec = NETSESS_NO_FEC;
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 2); /* seq 0, 1 */
	netsess_skip(C.s, 3, now); /* 2..4 left out, an empty command at 5 */
	send_notes(&C, 2, 2); /* seq 6, 7 */
	drop(&C, 1); /* seq 1 */
	pump();
	run_for(1 * SEC, 1);
	check_notes(&H, 4);
	assert_int_equal(H.lost, 3);
	assert_int_equal(H.lost_at, 2);
	assert_true(netsess_stats(C.s)->rtx_resent >= 1);
	assert_true(netsess_stats(C.s)->rtx_errors >= 1);

	/* skips of the largest size in a row (more than 65536 numbers in
	 * all) with a note after each, one of them lost: the retransmit is
	 * that very note, not one kept 65536 numbers before */
	start(&hc, &cc);
	connect_ok();
	for (unsigned i = 0; i < 5; i++) {
		send_notes(&C, i, 1);
		netsess_skip(C.s, NETSESS_SKIP_MAX, now);
		pump();
		run_for(1 * SEC, 1);
	}
	send_notes(&C, 5, 1);
	drop(&C, C.nq - 1); /* note 5 */
	send_notes(&C, 6, 1);
	pump();
	run_for(2 * SEC, 1);
	check_notes(&H, 7);
	assert_int_equal(H.lost, 5ull * NETSESS_SKIP_MAX);

	/* not in session: nothing */
	netsess_bye(C.s, NETPKT_BYE_USER_TERMINATED, now);
	run_for(2 * SEC, 1);
	size_t q = (size_t)C.nq;
	netsess_skip(C.s, 3, now);
	assert_int_equal(C.nq, q);
}

/* ---- keepalive, timeouts, reset, bye ---- */

static void test_timeouts(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	start(&hc, &cc);
	/* nobody answers the invitation */
	netsess_invite(C.s, now);
	run_for(10 * SEC, 0);
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_non_null(strstr(netsess_why(C.s), "no reply"));
	assert_int_equal(queued_bye(&C), NETPKT_BYE_INVITATION_CANCELED);
	C.nq = 0;
	/* established, quiet: pings answered keep it up */
	start(&hc, &cc);
	connect_ok();
	run_for(60 * SEC, 1);
	assert_int_equal(netsess_state(C.s), NETSESS_ESTABLISHED);
	assert_int_equal(netsess_state(H.s), NETSESS_ESTABLISHED);
	/* a ping answered 3 ms later: the round trip */
	run_for(6 * SEC, 0);
	assert_true(queued(&C, NETPKT_PING));
	now += 3 * MS;
	pump();
	assert_int_equal(netsess_stats(C.s)->rtt_ns, 3 * MS);
	/* the host goes away: the client pings, then says Bye timeout */
	run_for(20 * SEC, 0);
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_int_equal(netsess_bye_reason(C.s), NETPKT_BYE_TIMEOUT);
	assert_false(netsess_closed_by_peer(C.s));
	assert_true(queued(&C, NETPKT_PING));
	assert_int_equal(netsess_state(H.s), NETSESS_CLOSED);
	/* a client whose host vanished invites again (auto-reconnect) */
	H.nq = C.nq = 0;
	netsess_free(H.s);
	H.s = netsess_new(&hc, &ops, &H);
	connect_ok();
}

/* The sequence number of the first UMP Data in side x's queue. */
static int queued_seq(const struct side *x)
{
	for (int i = 0; i < x->nq; i++) {
		struct netpkt_reader r;
		struct netpkt_raw raw;
		netpkt_reader_init(&r, x->q[i], x->qn[i]);
		while (netpkt_next(&r, &raw) > 0)
			if (raw.code == NETPKT_UMP_DATA)
				return raw.csd1 << 8 | raw.csd2;
	}
	return -1;
}

static void test_reset(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	start(&hc, &cc);
	connect_ok();
	send_notes(&C, 0, 5);
	pump();
	run_for(100 * MS, 1);
	netsess_reset(C.s, now);
	assert_int_equal(netsess_state(C.s), NETSESS_PENDING_RESET);
	uint32_t w = 0x20900064;
	assert_int_equal(netsess_send(C.s, &w, 1, now), 0); /* waits for the reply */
	pump();
	assert_int_equal(netsess_state(C.s), NETSESS_ESTABLISHED);
	assert_int_equal(netsess_state(H.s), NETSESS_ESTABLISHED);
	H.ngot = 0;
	assert_int_equal(netsess_send(C.s, &w, 1, now), 1);
	assert_int_equal(queued_seq(&C), 0); /* sequence numbers from 0 again */
	assert_int_equal(netsess_send(H.s, &w, 1, now), 1);
	assert_int_equal(queued_seq(&H), 0);
	pump();
	check_notes(&H, 1);
	assert_int_equal(H.lost, 0);
	/* a reset never answered: Bye timeout */
	netsess_reset(C.s, now);
	C.nq = 0;
	run_for(2 * SEC, 0);
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_int_equal(netsess_bye_reason(C.s), NETPKT_BYE_TIMEOUT);
}

static void test_bye(void **state)
{
	(void)state;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	start(&hc, &cc);
	connect_ok();
	netsess_bye(C.s, NETPKT_BYE_USER_TERMINATED, now);
	assert_int_equal(netsess_state(C.s), NETSESS_PENDING_BYE);
	pump();
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_int_equal(netsess_state(H.s), NETSESS_CLOSED);
	assert_int_equal(netsess_bye_reason(H.s), NETPKT_BYE_USER_TERMINATED);
	assert_true(netsess_closed_by_peer(H.s));
	assert_false(netsess_closed_by_peer(C.s));
	/* Bye Reply lost: Bye repeated, then closed anyway */
	start(&hc, &cc);
	connect_ok();
	netsess_bye(H.s, NETPKT_BYE_POWER_DOWN, now);
	pump();
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	netsess_bye(C.s, NETPKT_BYE_USER_TERMINATED, now); /* closed: nothing */
	start(&hc, &cc);
	connect_ok();
	netsess_bye(C.s, NETPKT_BYE_USER_TERMINATED, now);
	C.nq = 0;
	run_for(1 * SEC, 0);
	assert_int_equal(netsess_state(C.s), NETSESS_CLOSED);
	assert_int_equal(C.nq, 2); /* the Bye repeated twice (3 in all) */
}

static void test_strangers(void **state)
{
	(void)state;
	uint8_t b[64];
	struct netpkt_writer w;
	struct netsess_config hc = host_cfg(), cc = client_cfg();
	start(&hc, &cc);
	/* UMP Data with no session: Bye session not established, still idle */
	uint32_t u = 0x20903C64;
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_ump(&w, 0, &u, 1);
	netpkt_put_ump(&w, 1, &u, 1);
	raw_send(&w);
	assert_int_equal(queued_bye(&H), NETPKT_BYE_NOT_ESTABLISHED);
	assert_int_equal(H.nq, 1);
	assert_int_equal(netsess_state(H.s), NETSESS_IDLE);
	assert_int_equal(H.ngot, 0);
	H.nq = 0;
	/* Ping answered; Bye answered with Bye Reply; unknown command: silence */
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_ping(&w, NETPKT_PING, 77);
	netpkt_put_bye(&w, NETPKT_BYE_UNKNOWN, NULL);
	netpkt_put(&w, 0x44, 0, 0, NULL, 0);
	raw_send(&w);
	assert_true(queued(&H, NETPKT_PING_REPLY));
	assert_true(queued(&H, NETPKT_BYE_REPLY));
	assert_false(queued(&H, NETPKT_NAK));
	H.nq = 0;
	/* not a datagram of ours */
	assert_int_equal(netsess_input(H.s, (const uint8_t *)"RTP!xxxx", 8, now), -1);
	/* in a session: unknown command NAKed, malformed NAKed, a reply to a
	 * host NAKed, a ping reply nobody asked for NAKed */
	connect_ok();
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put(&w, 0x44, 0, 0, NULL, 0);
	netpkt_put(&w, NETPKT_PING, 0, 0, NULL, 0);
	netpkt_put_invitation(&w, NETPKT_REPLY_ACCEPTED, 0, "x", "y");
	netpkt_put_ping(&w, NETPKT_PING_REPLY, 12345);
	raw_send(&w);
	assert_int_equal(netsess_stats(H.s)->naks_out, 4);
	assert_int_equal(netsess_state(H.s), NETSESS_ESTABLISHED);
	/* malformed UMP Data uses its sequence number: no gap, no delivery */
	H.nq = 0;
	netpkt_writer_init(&w, b, sizeof b);
	uint32_t half = 0x40903C00;
	netpkt_put_ump(&w, 0, &half, 1);
	netpkt_put_ump(&w, 1, &u, 1);
	raw_send(&w);
	assert_int_equal(H.ngot, 1);
	assert_int_equal(H.got[0], u);
	run_for(1 * SEC, 0);
	assert_int_equal(netsess_stats(H.s)->rtx_requests, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_open, teardown),
		cmocka_unit_test_teardown(test_allow_list, teardown),
		cmocka_unit_test_teardown(test_admit, teardown),
		cmocka_unit_test_teardown(test_secret, teardown),
		cmocka_unit_test_teardown(test_host_auth_failures, teardown),
		cmocka_unit_test_teardown(test_user, teardown),
		cmocka_unit_test_teardown(test_fec, teardown),
		cmocka_unit_test_teardown(test_retransmit, teardown),
		cmocka_unit_test_teardown(test_reorder_duplicates, teardown),
		cmocka_unit_test_teardown(test_loss_counted, teardown),
		cmocka_unit_test_teardown(test_skip, teardown),
		cmocka_unit_test_teardown(test_timeouts, teardown),
		cmocka_unit_test_teardown(test_reset, teardown),
		cmocka_unit_test_teardown(test_bye, teardown),
		cmocka_unit_test_teardown(test_strangers, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
