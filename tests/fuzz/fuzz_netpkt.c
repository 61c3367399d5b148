/* fuzz_netpkt.c: libFuzzer target for the Network MIDI 2.0 (UDP) decoder
 * (net/netpkt.c) and the session fed hostile datagrams (net/netsess.c).
 * The input is one datagram: every command is parsed; a parsed command
 * must lie inside the input and encode back to a command that parses to
 * the same fields. Then the input goes to a host session and to an
 * established client session (with "MIDI" put in front when it lacks
 * it), split at a point the first byte chooses, with timers run: nothing
 * delivered may be other than whole UMP messages, and the sessions must
 * not crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midi/ump.h"
#include "net/netpkt.h"
#include "net/netsess.h"

static void inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;
	if (n && (q < data || q + n > data + size))
		abort();
}

static void roundtrip(const struct netpkt_raw *raw, const struct netpkt_cmd *c)
{
	static uint8_t b[2048];
	struct netpkt_writer w;
	netpkt_writer_init(&w, b, sizeof b);
	if (netpkt_put(&w, raw->code, raw->csd1, raw->csd2, raw->payload, 4 * (size_t)raw->words) < 0)
		abort();
	struct netpkt_reader r;
	struct netpkt_raw raw2;
	struct netpkt_cmd c2;
	if (netpkt_reader_init(&r, b, w.len) < 0 || netpkt_next(&r, &raw2) != 1)
		abort();
	if (netpkt_parse(&raw2, &c2) != NETPKT_OK || c2.seq != c->seq || c2.nwords != c->nwords ||
	    c2.name.n != c->name.n || c2.piid.n != c->piid.n || c2.text.n != c->text.n ||
	    c2.user.n != c->user.n || c2.ping_id != c->ping_id || c2.count != c->count)
		abort();
}

static void decode(const uint8_t *data, size_t size)
{
	struct netpkt_reader r;
	struct netpkt_raw raw;
	struct netpkt_cmd c;
	if (netpkt_reader_init(&r, data, size) < 0)
		return;
	int k;
	while ((k = netpkt_next(&r, &raw)) > 0) {
		inside(raw.payload, 4 * (size_t)raw.words, data, size);
		int e = netpkt_parse(&raw, &c);
		if (e != NETPKT_OK && e != NETPKT_UNKNOWN && e != NETPKT_MALFORMED)
			abort();
		if (e != NETPKT_OK)
			continue;
		inside(c.name.s, c.name.n, data, size);
		inside(c.piid.s, c.piid.n, data, size);
		inside(c.user.s, c.user.n, data, size);
		inside(c.text.s, c.text.n, data, size);
		inside(c.ump, 4 * c.nwords, data, size);
		for (size_t i = 0; i < c.nwords;) /* whole messages */
			i += midi_mt_words(netpkt_ump_word(&c, i) >> 28);
		netpkt_ump_word(&c, c.nwords); /* past the end: 0, no read */
		roundtrip(&raw, &c);
	}
	if (k != 0 && k != -1)
		abort();
}

static void on_send(void *arg, const uint8_t *d, size_t n)
{
	(void)arg;
	if (n < 4 || memcmp(d, "MIDI", 4) != 0 || n % 4)
		abort();
}
static void on_deliver(void *arg, const uint32_t *w, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n;)
		i += midi_mt_words(w[i] >> 28);
}
static void on_rand(void *arg, uint8_t *b, size_t n)
{
	(void)arg;
	memset(b, 'n', n);
}
static const struct netsess_ops ops = {on_send, on_deliver, NULL, NULL, NULL, on_rand};

/* The client side of a session, established by a hand-made Accepted. */
static struct netsess *client(uint64_t now)
{
	struct netsess_config cc = {.role = NETSESS_CLIENT, .name = "c", .secret = "s"};
	struct netsess *s = netsess_new(&cc, &ops, NULL);
	if (!s)
		abort();
	netsess_invite(s, now);
	uint8_t b[64];
	struct netpkt_writer w;
	netpkt_writer_init(&w, b, sizeof b);
	netpkt_put_invitation(&w, NETPKT_REPLY_ACCEPTED, 0, "h", "p");
	netsess_input(s, b, w.len, now);
	if (netsess_state(s) != NETSESS_ESTABLISHED)
		abort();
	return s;
}

static void session(const uint8_t *data, size_t size)
{
	static const struct netsess_user users[] = {{"u", "p"}};
	struct netsess_config hc = {.role = NETSESS_HOST, .name = "h", .auth = NETSESS_AUTH_USER,
				    .users = users, .nusers = 1, .reorder = 8, .rtx_depth = 4};
	uint64_t now = 1000000000;
	struct netsess *h = netsess_new(&hc, &ops, NULL);
	struct netsess *c = client(now);
	uint8_t *buf = malloc(size + 4);
	memcpy(buf, "MIDI", 4);
	memcpy(buf + 4, data, size);
	const uint8_t *d = size >= 4 && memcmp(data, "MIDI", 4) == 0 ? data : buf;
	size_t n = d == data ? size : size + 4;
	size_t cut = size ? 4 + data[0] % (n - 3) : n;
	if (cut > n)
		cut = n;
	for (int round = 0; round < 2; round++) {
		netsess_input(h, d, n, now);
		netsess_input(c, d, cut, now);
		netsess_input(c, d, n, now);
		uint32_t note = 0x20903C64;
		netsess_send(c, &note, 1, now);
		now += 30000000;
		netsess_timeout(h, now);
		netsess_timeout(c, now);
		if (netsess_next_due(c) < now)
			abort();
	}
	netsess_bye(c, NETPKT_BYE_USER_TERMINATED, now);
	free(buf);
	netsess_free(h);
	netsess_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	decode(data, size);
	session(data, size);
	return 0;
}
