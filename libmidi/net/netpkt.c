/* netpkt.c: Network MIDI 2.0 (UDP) datagrams: the encoder (command packets
 * appended to a datagram) and the decoder (a walk over a received
 * datagram's commands, and a parser of each into a typed view). The
 * format is in netpkt.h. Every length read from the wire is checked
 * against what is really there before anything is read. */
#include "net/netpkt.h"

#include <string.h>

#include "midi/ump.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *netpkt_code_name(unsigned code)
{
	switch (code) {
	case NETPKT_INVITATION: return "Invitation";
	case NETPKT_INVITATION_AUTH: return "Invitation with Authentication";
	case NETPKT_INVITATION_USER_AUTH: return "Invitation with User Authentication";
	case NETPKT_REPLY_ACCEPTED: return "Invitation Reply: Accepted";
	case NETPKT_REPLY_PENDING: return "Invitation Reply: Pending";
	case NETPKT_REPLY_AUTH_REQUIRED: return "Invitation Reply: Authentication Required";
	case NETPKT_REPLY_USER_AUTH_REQUIRED: return "Invitation Reply: User Authentication Required";
	case NETPKT_PING: return "Ping";
	case NETPKT_PING_REPLY: return "Ping Reply";
	case NETPKT_RETRANSMIT_REQUEST: return "Retransmit Request";
	case NETPKT_RETRANSMIT_ERROR: return "Retransmit Error";
	case NETPKT_SESSION_RESET: return "Session Reset";
	case NETPKT_SESSION_RESET_REPLY: return "Session Reset Reply";
	case NETPKT_NAK: return "NAK";
	case NETPKT_BYE: return "Bye";
	case NETPKT_BYE_REPLY: return "Bye Reply";
	case NETPKT_UMP_DATA: return "UMP Data";
	}
	return "?";
}

const char *netpkt_bye_name(unsigned reason)
{
	switch (reason) {
	case NETPKT_BYE_UNKNOWN: return "unknown or undefined";
	case NETPKT_BYE_USER_TERMINATED: return "user terminated session";
	case NETPKT_BYE_POWER_DOWN: return "power down";
	case NETPKT_BYE_TOO_MANY_MISSING: return "too many missing UMP packets";
	case NETPKT_BYE_TIMEOUT: return "timeout";
	case NETPKT_BYE_NOT_ESTABLISHED: return "session not established";
	case NETPKT_BYE_NO_PENDING: return "no pending session";
	case NETPKT_BYE_PROTOCOL_ERROR: return "protocol error";
	case NETPKT_BYE_TOO_MANY_SESSIONS: return "invitation failed: too many opened sessions";
	case NETPKT_BYE_AUTH_NO_PRIOR_INVITATION:
		return "invitation with authentication rejected: missing prior invitation";
	case NETPKT_BYE_NOT_ACCEPTED: return "invitation rejected: session not accepted";
	case NETPKT_BYE_AUTH_FAILED: return "invitation rejected: authentication failed";
	case NETPKT_BYE_USER_NOT_FOUND: return "invitation rejected: user name not found";
	case NETPKT_BYE_NO_MATCHING_AUTH: return "no matching authentication method";
	case NETPKT_BYE_INVITATION_CANCELED: return "invitation canceled";
	}
	return "?";
}

const char *netpkt_nak_name(unsigned reason)
{
	switch (reason) {
	case NETPKT_NAK_OTHER: return "other";
	case NETPKT_NAK_NOT_SUPPORTED: return "command not supported";
	case NETPKT_NAK_NOT_EXPECTED: return "command not expected";
	case NETPKT_NAK_MALFORMED: return "command malformed";
	case NETPKT_NAK_BAD_PING_REPLY: return "bad ping reply";
	}
	return "?";
}

/* ---- encoder ---- */

int netpkt_writer_init(struct netpkt_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	if (cap < NETPKT_HDR)
		return -1;
	put32(buf, NETPKT_SIGNATURE);
	w->len = NETPKT_HDR;
	return 0;
}

/* Bytes of s to send, at most max, never cutting a UTF-8 sequence. */
static size_t str_len(const char *s, size_t max)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, max + 1);
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--; /* s[n] continues a sequence: cut before its lead byte */
	return n;
}

static size_t words_of(size_t bytes) { return (bytes + 3) / 4; }

/* memcpy that accepts NULL when n is 0 (strings may be NULL). */
static void copy(uint8_t *p, const void *s, size_t n)
{
	if (n)
		memcpy(p, s, n);
}

/* Room for a command of `words` payload words: its payload start, or NULL. */
static uint8_t *begin(struct netpkt_writer *w, uint8_t code, size_t words, uint8_t csd1,
		      uint8_t csd2)
{
	if (words > NETPKT_MAX_WORDS || w->len < NETPKT_HDR || w->len > w->cap ||
	    w->cap - w->len < netpkt_cmd_size(words))
		return NULL;
	uint8_t *p = w->buf + w->len;
	p[0] = code;
	p[1] = (uint8_t)words;
	p[2] = csd1;
	p[3] = csd2;
	memset(p + NETPKT_HDR, 0, 4 * words);
	w->len += netpkt_cmd_size(words);
	return p + NETPKT_HDR;
}

int netpkt_put(struct netpkt_writer *w, uint8_t code, uint8_t csd1, uint8_t csd2, const void *payload,
	       size_t n)
{
	uint8_t *p = begin(w, code, words_of(n), csd1, csd2);
	if (!p)
		return -1;
	copy(p, payload, n);
	return 0;
}

int netpkt_put_invitation(struct netpkt_writer *w, uint8_t code, uint8_t caps, const char *name,
			  const char *piid)
{
	size_t nn = str_len(name, NETPKT_NAME_MAX), pn = str_len(piid, NETPKT_PIID_MAX);
	size_t nw = words_of(nn);
	uint8_t *p = begin(w, code, nw + words_of(pn), (uint8_t)nw, caps);
	if (!p)
		return -1;
	copy(p, name, nn);
	copy(p + 4 * nw, piid, pn);
	return 0;
}

int netpkt_put_auth_required(struct netpkt_writer *w, uint8_t code, uint8_t state,
			     const uint8_t nonce[NETPKT_NONCE_LEN], const char *name, const char *piid)
{
	size_t nn = str_len(name, NETPKT_NAME_MAX), pn = str_len(piid, NETPKT_PIID_MAX);
	size_t nw = words_of(nn);
	uint8_t *p = begin(w, code, NETPKT_NONCE_LEN / 4 + nw + words_of(pn), (uint8_t)nw, state);
	if (!p)
		return -1;
	memcpy(p, nonce, NETPKT_NONCE_LEN);
	p += NETPKT_NONCE_LEN;
	copy(p, name, nn);
	copy(p + 4 * nw, piid, pn);
	return 0;
}

int netpkt_put_inv_auth(struct netpkt_writer *w, const uint8_t digest[NETPKT_DIGEST_LEN])
{
	return netpkt_put(w, NETPKT_INVITATION_AUTH, 0, 0, digest, NETPKT_DIGEST_LEN);
}

int netpkt_put_inv_user_auth(struct netpkt_writer *w, const uint8_t digest[NETPKT_DIGEST_LEN],
			     const char *user)
{
	size_t un = str_len(user, NETPKT_MAX_WORDS * 4 - NETPKT_DIGEST_LEN);
	uint8_t *p = begin(w, NETPKT_INVITATION_USER_AUTH, NETPKT_DIGEST_LEN / 4 + words_of(un), 0, 0);
	if (!p)
		return -1;
	memcpy(p, digest, NETPKT_DIGEST_LEN);
	copy(p + NETPKT_DIGEST_LEN, user, un);
	return 0;
}

int netpkt_put_ping(struct netpkt_writer *w, uint8_t code, uint32_t id)
{
	uint8_t *p = begin(w, code, 1, 0, 0);
	if (!p)
		return -1;
	put32(p, id);
	return 0;
}

int netpkt_put_retransmit_request(struct netpkt_writer *w, uint16_t seq, uint16_t count)
{
	uint8_t *p = begin(w, NETPKT_RETRANSMIT_REQUEST, 1, (uint8_t)(seq >> 8), (uint8_t)seq);
	if (!p)
		return -1;
	put32(p, (uint32_t)count << 16);
	return 0;
}

int netpkt_put_retransmit_error(struct netpkt_writer *w, uint8_t reason, uint16_t seq)
{
	uint8_t *p = begin(w, NETPKT_RETRANSMIT_ERROR, 1, reason, 0);
	if (!p)
		return -1;
	put32(p, (uint32_t)seq << 16);
	return 0;
}

int netpkt_put_nak(struct netpkt_writer *w, uint8_t reason, uint32_t header, const char *text)
{
	size_t tn = str_len(text, NETPKT_TEXT_MAX);
	uint8_t *p = begin(w, NETPKT_NAK, 1 + words_of(tn), reason, 0);
	if (!p)
		return -1;
	put32(p, header);
	copy(p + 4, text, tn);
	return 0;
}

int netpkt_put_bye(struct netpkt_writer *w, uint8_t reason, const char *text)
{
	size_t tn = str_len(text, NETPKT_TEXT_MAX);
	uint8_t *p = begin(w, NETPKT_BYE, words_of(tn), reason, 0);
	if (!p)
		return -1;
	copy(p, text, tn);
	return 0;
}

int netpkt_put_empty(struct netpkt_writer *w, uint8_t code)
{
	return begin(w, code, 0, 0, 0) ? 0 : -1;
}

int netpkt_put_ump(struct netpkt_writer *w, uint16_t seq, const uint32_t *words, size_t n)
{
	uint8_t *p = begin(w, NETPKT_UMP_DATA, n, (uint8_t)(seq >> 8), (uint8_t)seq);
	if (!p)
		return -1;
	for (size_t i = 0; i < n; i++)
		put32(p + 4 * i, words[i]);
	return 0;
}

/* ---- decoder ---- */

int netpkt_reader_init(struct netpkt_reader *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = len;
	if (!buf || len < NETPKT_HDR || get32(buf) != NETPKT_SIGNATURE)
		return -1;
	r->off = NETPKT_HDR;
	return 0;
}

int netpkt_next(struct netpkt_reader *r, struct netpkt_raw *c)
{
	if (r->off >= r->len)
		return 0;
	size_t left = r->len - r->off;
	const uint8_t *p = r->buf + r->off;
	if (left < NETPKT_HDR || left - NETPKT_HDR < 4 * (size_t)p[1]) {
		r->off = r->len;
		return -1;
	}
	c->code = p[0];
	c->words = p[1];
	c->csd1 = p[2];
	c->csd2 = p[3];
	c->header = get32(p);
	c->payload = p + NETPKT_HDR;
	r->off += netpkt_cmd_size(p[1]);
	return 1;
}

/* A string field of at most n bytes at p, ending at its first zero. */
static struct netpkt_str str_at(const uint8_t *p, size_t n)
{
	struct netpkt_str s = {(const char *)p, n ? strnlen((const char *)p, n) : 0};
	return s;
}

/* Name (name_words words) then product instance id (the rest) at p. */
static int names(struct netpkt_cmd *c, const uint8_t *p, size_t words, unsigned name_words)
{
	if (name_words > words)
		return NETPKT_MALFORMED;
	c->name = str_at(p, 4 * (size_t)name_words);
	c->piid = str_at(p + 4 * name_words, 4 * (words - name_words));
	return NETPKT_OK;
}

static int ump_payload(struct netpkt_cmd *c, const uint8_t *p, size_t words)
{
	for (size_t i = 0; i < words;) {
		size_t n = midi_mt_words(p[4 * i] >> 4);
		if (n > words - i)
			return NETPKT_MALFORMED; /* a message cut short */
		i += n;
	}
	c->ump = p;
	c->nwords = words;
	return NETPKT_OK;
}

int netpkt_parse(const struct netpkt_raw *raw, struct netpkt_cmd *c)
{
	memset(c, 0, sizeof *c);
	c->code = raw->code;
	c->header = raw->header;
	const uint8_t *p = raw->payload;
	size_t words = raw->words;
	uint16_t seq16 = (uint16_t)(raw->csd1 << 8 | raw->csd2);
	switch (raw->code) {
	case NETPKT_INVITATION:
		c->caps = raw->csd2;
		return names(c, p, words, raw->csd1);
	case NETPKT_REPLY_ACCEPTED:
	case NETPKT_REPLY_PENDING:
		return names(c, p, words, raw->csd1);
	case NETPKT_REPLY_AUTH_REQUIRED:
	case NETPKT_REPLY_USER_AUTH_REQUIRED:
		if (words < NETPKT_NONCE_LEN / 4)
			return NETPKT_MALFORMED;
		c->auth_state = raw->csd2;
		c->nonce = p;
		return names(c, p + NETPKT_NONCE_LEN, words - NETPKT_NONCE_LEN / 4, raw->csd1);
	case NETPKT_INVITATION_AUTH:
		if (words < NETPKT_DIGEST_LEN / 4)
			return NETPKT_MALFORMED;
		c->digest = p;
		return NETPKT_OK;
	case NETPKT_INVITATION_USER_AUTH:
		if (words < NETPKT_DIGEST_LEN / 4)
			return NETPKT_MALFORMED;
		c->digest = p;
		c->user = str_at(p + NETPKT_DIGEST_LEN, 4 * words - NETPKT_DIGEST_LEN);
		return NETPKT_OK;
	case NETPKT_PING:
	case NETPKT_PING_REPLY:
		if (words < 1)
			return NETPKT_MALFORMED;
		c->ping_id = get32(p);
		return NETPKT_OK;
	case NETPKT_RETRANSMIT_REQUEST:
		if (words < 1)
			return NETPKT_MALFORMED;
		c->seq = seq16;
		c->count = (uint16_t)(get32(p) >> 16);
		return NETPKT_OK;
	case NETPKT_RETRANSMIT_ERROR:
		if (words < 1)
			return NETPKT_MALFORMED;
		c->reason = raw->csd1;
		c->seq = (uint16_t)(get32(p) >> 16);
		return NETPKT_OK;
	case NETPKT_SESSION_RESET:
	case NETPKT_SESSION_RESET_REPLY:
	case NETPKT_BYE_REPLY:
		return NETPKT_OK;
	case NETPKT_NAK:
		if (words < 1)
			return NETPKT_MALFORMED;
		c->reason = raw->csd1;
		c->nak_header = get32(p);
		c->text = str_at(p + 4, 4 * (words - 1));
		return NETPKT_OK;
	case NETPKT_BYE:
		c->reason = raw->csd1;
		c->text = str_at(p, 4 * words);
		return NETPKT_OK;
	case NETPKT_UMP_DATA:
		c->seq = seq16;
		return ump_payload(c, p, words);
	}
	return NETPKT_UNKNOWN;
}

uint32_t netpkt_ump_word(const struct netpkt_cmd *c, size_t i)
{
	return i < c->nwords ? get32(c->ump + 4 * i) : 0;
}
