/* netsess.c: the state machine of a Network MIDI 2.0 session (netsess.h):
 * configuration defaults, the outbox of control commands, the dispatch of
 * a received datagram's commands by state and role, keepalive (Ping),
 * session reset, bye, and the timers. The invitation handshake is in
 * netinvite.c, the data path in netsend.c and netrecv.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/netsess_priv.h"

#define MS 1000000ull
#define SEC 1000000000ull

const char *netsess_state_name(enum netsess_state st)
{
	switch (st) {
	case NETSESS_IDLE: return "idle";
	case NETSESS_PENDING_INVITATION: return "pending invitation";
	case NETSESS_AUTH_REQUIRED: return "authentication required";
	case NETSESS_ESTABLISHED: return "established";
	case NETSESS_PENDING_RESET: return "pending session reset";
	case NETSESS_PENDING_BYE: return "pending bye";
	case NETSESS_CLOSED: return "closed";
	}
	return "?";
}

static void defaults(struct netsess_config *c)
{
#define DEF(f, v)                                                                          \
	if (!c->f)                                                                         \
	c->f = (v)
	DEF(auth_attempts, 3);
	DEF(fec, 2);
	DEF(rtx_depth, 64);
	DEF(reorder, 32);
	DEF(cmd_words, 64);
	DEF(mtu, 1400);
	DEF(invite_interval, 1 * SEC);
	DEF(invite_attempts, 3);
	DEF(pending_timeout, 30 * SEC);
	DEF(handshake_timeout, 10 * SEC);
	DEF(ping_interval, 5 * SEC);
	DEF(ping_timeout, 1 * SEC);
	DEF(ping_attempts, 3);
	DEF(gap_wait, 20 * MS);
	DEF(rtx_timeout, 100 * MS);
	DEF(rtx_attempts, 3);
	DEF(tail_interval, 10 * MS);
	DEF(bye_interval, 200 * MS);
	DEF(bye_attempts, 3);
#undef DEF
	if (c->fec == NETSESS_NO_FEC)
		c->fec = 0;
	if (c->rtx_depth == NETSESS_NO_RTX)
		c->rtx_depth = 0;
	if (c->fec > 64)
		c->fec = 64;
	if (c->mtu < 64)
		c->mtu = 64;
	if (c->mtu > 65507)
		c->mtu = 65507;
	size_t fit = (c->mtu - 2 * NETPKT_HDR) / 4;
	if (c->cmd_words > NETPKT_MAX_WORDS)
		c->cmd_words = NETPKT_MAX_WORDS;
	if (c->cmd_words > fit)
		c->cmd_words = (unsigned)fit;
	if (c->cmd_words < 4)
		c->cmd_words = 4;
	unsigned r = 1;
	while (r < c->reorder && r < 16384)
		r <<= 1;
	c->reorder = r;
}

struct netsess *netsess_new(const struct netsess_config *cfg, const struct netsess_ops *ops,
			    void *arg)
{
	struct netsess *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cfg = *cfg;
	defaults(&s->cfg);
	s->ops = *ops;
	s->arg = arg;
	s->bye_reason = -1;
	s->out = malloc(s->cfg.mtu);
	if (!s->out || ns_tx_init(s) < 0 || ns_rx_init(s) < 0) {
		netsess_free(s);
		return NULL;
	}
	netpkt_writer_init(&s->ob, s->out, s->cfg.mtu);
	return s;
}

void netsess_free(struct netsess *s)
{
	if (!s)
		return;
	ns_tx_free(s);
	ns_rx_free(s);
	free(s->out);
	free(s);
}

/* ---- outbox ---- */

void ns_emit(struct netsess *s, const uint8_t *buf, size_t n)
{
	s->stats.dgrams_out++;
	s->ops.send(s->arg, buf, n);
}

void ns_flush(struct netsess *s)
{
	if (netpkt_writer_empty(&s->ob))
		return;
	ns_emit(s, s->out, s->ob.len);
	netpkt_writer_init(&s->ob, s->out, s->cfg.mtu);
}

void ns_set_state(struct netsess *s, enum netsess_state st)
{
	if (s->st == st)
		return;
	s->st = st;
	if (st != NETSESS_ESTABLISHED && st != NETSESS_PENDING_RESET && st != NETSESS_PENDING_BYE)
		s->tail_left = 0;
	if (s->ops.state)
		s->ops.state(s->arg, st);
}

void ns_nak(struct netsess *s, uint8_t reason, uint32_t header, const char *text)
{
	OB(s, netpkt_put_nak(&s->ob, reason, header, text));
	s->stats.naks_out++;
}

void ns_why(struct netsess *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof s->why, fmt, ap);
	va_end(ap);
}

void ns_close(struct netsess *s, int bye_reason, int by_peer)
{
	if (s->st == NETSESS_CLOSED)
		return;
	ns_rx_give_up(s);
	s->bye_reason = bye_reason;
	s->by_peer = by_peer;
	s->hs_due = 0;
	s->end_due = 0;
	if (!s->why[0] && bye_reason >= 0)
		ns_why(s, "%s %s", by_peer ? "peer said bye:" : "bye:", netpkt_bye_name((unsigned)bye_reason));
	ns_set_state(s, NETSESS_CLOSED);
}

void ns_send_bye_close(struct netsess *s, uint8_t reason)
{
	OB(s, netpkt_put_bye(&s->ob, reason, netpkt_bye_name(reason)));
	ns_close(s, reason, 0);
}

void ns_established(struct netsess *s, uint64_t now)
{
	ns_tx_reset(s);
	ns_rx_reset(s);
	s->peer_no_rtx = 0;
	s->hs_due = 0;
	s->last_rx = now;
	s->pings_out = 0;
	s->why[0] = 0;
	s->bye_reason = -1;
	s->by_peer = 0;
	ns_set_state(s, NETSESS_ESTABLISHED);
}

/* ---- entry points ---- */

static int in_session(const struct netsess *s)
{
	return s->st == NETSESS_ESTABLISHED || s->st == NETSESS_PENDING_RESET ||
	       s->st == NETSESS_PENDING_BYE;
}

static void ping_reply(struct netsess *s, const struct netpkt_cmd *c, uint64_t now)
{
	for (unsigned i = 0; i < NS_PINGS; i++)
		if (s->ping_sent[i] && s->ping_ids[i] == c->ping_id) {
			s->stats.rtt_ns = now - s->ping_sent[i];
			s->ping_sent[i] = 0;
			return;
		}
	if (in_session(s))
		ns_nak(s, NETPKT_NAK_BAD_PING_REPLY, c->header, "unknown ping id");
}

static void session_reset(struct netsess *s, int reply)
{
	ns_rx_reset(s);
	ns_tx_reset(s);
	if (reply)
		OB(s, netpkt_put_empty(&s->ob, NETPKT_SESSION_RESET_REPLY));
	s->end_due = 0;
	ns_set_state(s, NETSESS_ESTABLISHED);
}

/* A command that needs a session, received without one: Bye "session
 * not established", once per datagram. */
static void not_established(struct netsess *s, int *said)
{
	if (*said)
		return;
	*said = 1;
	OB(s, netpkt_put_bye(&s->ob, NETPKT_BYE_NOT_ESTABLISHED, "session not established"));
}

static void dispatch(struct netsess *s, const struct netpkt_cmd *c, int *said, uint64_t now)
{
	switch (c->code) {
	case NETPKT_INVITATION:
	case NETPKT_INVITATION_AUTH:
	case NETPKT_INVITATION_USER_AUTH:
	case NETPKT_REPLY_ACCEPTED:
	case NETPKT_REPLY_PENDING:
	case NETPKT_REPLY_AUTH_REQUIRED:
	case NETPKT_REPLY_USER_AUTH_REQUIRED:
		ns_invite_input(s, c, now);
		return;
	case NETPKT_PING:
		OB(s, netpkt_put_ping(&s->ob, NETPKT_PING_REPLY, c->ping_id));
		return;
	case NETPKT_PING_REPLY:
		ping_reply(s, c, now);
		return;
	case NETPKT_BYE:
		OB(s, netpkt_put_empty(&s->ob, NETPKT_BYE_REPLY));
		if (s->st != NETSESS_IDLE && s->st != NETSESS_CLOSED)
			ns_close(s, c->reason, 1);
		return;
	case NETPKT_BYE_REPLY:
		if (s->st == NETSESS_PENDING_BYE)
			ns_close(s, s->end_reason, 0);
		return;
	case NETPKT_NAK:
		s->stats.naks_in++;
		if (c->nak_header >> 24 == NETPKT_RETRANSMIT_REQUEST &&
		    c->reason == NETPKT_NAK_NOT_SUPPORTED)
			ns_rx_no_rtx(s);
		return;
	}
	/* the rest needs a session */
	if (!in_session(s)) {
		not_established(s, said);
		return;
	}
	switch (c->code) {
	case NETPKT_UMP_DATA:
		ns_rx_data(s, c);
		return;
	case NETPKT_RETRANSMIT_REQUEST:
		ns_tx_retransmit(s, c);
		return;
	case NETPKT_RETRANSMIT_ERROR:
		ns_rx_error(s, c, now);
		return;
	case NETPKT_SESSION_RESET:
		if (s->st != NETSESS_PENDING_BYE)
			session_reset(s, 1);
		return;
	case NETPKT_SESSION_RESET_REPLY:
		if (s->st == NETSESS_PENDING_RESET)
			session_reset(s, 0);
		return;
	}
}

int netsess_input(struct netsess *s, const uint8_t *dgram, size_t n, uint64_t now)
{
	struct netpkt_reader r;
	struct netpkt_raw raw;
	struct netpkt_cmd c;
	if (netpkt_reader_init(&r, dgram, n) < 0)
		return -1;
	s->stats.dgrams_in++;
	s->last_rx = now;
	s->pings_out = 0;
	int said = 0, k;
	while ((k = netpkt_next(&r, &raw)) > 0) {
		int e = netpkt_parse(&raw, &c);
		if (e == NETPKT_UNKNOWN) {
			/* skipped; only a peer in session is told (no replies to
			 * strangers' junk) */
			if (in_session(s))
				ns_nak(s, NETPKT_NAK_NOT_SUPPORTED, raw.header, "command not supported");
			continue;
		}
		if (e == NETPKT_MALFORMED) {
			ns_nak(s, NETPKT_NAK_MALFORMED, raw.header, "command malformed");
			if (raw.code == NETPKT_UMP_DATA && in_session(s)) {
				/* its sequence number is used up: nothing to deliver */
				c.code = NETPKT_UMP_DATA;
				c.seq = (uint16_t)(raw.csd1 << 8 | raw.csd2);
				c.nwords = 0;
				ns_rx_data(s, &c);
			}
			continue;
		}
		dispatch(s, &c, &said, now);
	}
	if (in_session(s))
		ns_rx_after(s, now);
	ns_rx_report(s);
	ns_flush(s);
	return 0;
}

long netsess_send(struct netsess *s, const uint32_t *words, size_t n, uint64_t now)
{
	long r = ns_tx_send(s, words, n, now);
	ns_flush(s);
	return r;
}

void netsess_skip(struct netsess *s, uint32_t n, uint64_t now)
{
	ns_tx_skip(s, n, now);
	ns_flush(s);
}

void netsess_reset(struct netsess *s, uint64_t now)
{
	if (s->st != NETSESS_ESTABLISHED)
		return;
	OB(s, netpkt_put_empty(&s->ob, NETPKT_SESSION_RESET));
	s->end_attempts = 1;
	s->end_due = now + s->cfg.bye_interval;
	ns_set_state(s, NETSESS_PENDING_RESET);
	ns_flush(s);
}

void netsess_bye(struct netsess *s, uint8_t reason, uint64_t now)
{
	if (s->st == NETSESS_IDLE || s->st == NETSESS_CLOSED || s->st == NETSESS_PENDING_BYE)
		return;
	OB(s, netpkt_put_bye(&s->ob, reason, netpkt_bye_name(reason)));
	ns_flush(s);
	s->end_reason = reason;
	if (!in_session(s)) {
		/* a handshake given up: nothing to wait for */
		ns_close(s, reason, 0);
		return;
	}
	s->end_attempts = 1;
	s->end_due = now + s->cfg.bye_interval;
	s->hs_due = 0;
	ns_set_state(s, NETSESS_PENDING_BYE);
}

/* Pending bye or reset: repeat, or give up. */
static void end_timeout(struct netsess *s, uint64_t now)
{
	if (!s->end_due || now < s->end_due)
		return;
	int bye = s->st == NETSESS_PENDING_BYE;
	if (s->end_attempts >= s->cfg.bye_attempts) {
		s->end_due = 0;
		if (bye) {
			ns_close(s, s->end_reason, 0);
		} else {
			ns_why(s, "no reply to session reset");
			ns_send_bye_close(s, NETPKT_BYE_TIMEOUT);
		}
		return;
	}
	if (bye)
		OB(s, netpkt_put_bye(&s->ob, s->end_reason, netpkt_bye_name(s->end_reason)));
	else
		OB(s, netpkt_put_empty(&s->ob, NETPKT_SESSION_RESET));
	s->end_attempts++;
	s->end_due = now + s->cfg.bye_interval;
}

static uint64_t ping_due(const struct netsess *s)
{
	if (s->st != NETSESS_ESTABLISHED && s->st != NETSESS_PENDING_RESET)
		return UINT64_MAX;
	return s->pings_out ? s->last_ping + s->cfg.ping_timeout : s->last_rx + s->cfg.ping_interval;
}

static void ping_timeout(struct netsess *s, uint64_t now)
{
	if (now < ping_due(s))
		return;
	if (s->pings_out >= s->cfg.ping_attempts) {
		ns_why(s, "the peer stopped answering (%u pings)", s->pings_out);
		ns_send_bye_close(s, NETPKT_BYE_TIMEOUT);
		return;
	}
	uint32_t id = ++s->ping_id;
	unsigned i = id % NS_PINGS;
	s->ping_ids[i] = id;
	s->ping_sent[i] = now ? now : 1;
	s->pings_out++;
	s->last_ping = now;
	OB(s, netpkt_put_ping(&s->ob, NETPKT_PING, id));
	/* A client also sends a keep-alive UMP Data command: a host that
	 * restarted answers Pings, but tells a client it has no session for
	 * ("session not established") only on a command that needs one; the
	 * client then invites again instead of waiting forever. */
	if (s->cfg.role == NETSESS_CLIENT)
		ns_tx_keepalive(s);
}

void netsess_timeout(struct netsess *s, uint64_t now)
{
	ns_invite_timeout(s, now);
	end_timeout(s, now);
	ping_timeout(s, now);
	ns_rx_timeout(s, now);
	ns_rx_report(s);
	ns_flush(s);
	ns_tx_timeout(s, now);
}

uint64_t netsess_next_due(const struct netsess *s)
{
	uint64_t d = ping_due(s), t;
	if (s->hs_due && s->hs_due < d)
		d = s->hs_due;
	if (s->end_due && s->end_due < d)
		d = s->end_due;
	if ((t = ns_rx_due(s)) < d && in_session(s))
		d = t;
	if ((t = ns_tx_due(s)) < d)
		d = t;
	return d;
}

enum netsess_state netsess_state(const struct netsess *s) { return s->st; }
const char *netsess_peer_name(const struct netsess *s) { return s->peer_name; }
const char *netsess_peer_piid(const struct netsess *s) { return s->peer_piid; }
const char *netsess_why(const struct netsess *s) { return s->st == NETSESS_CLOSED ? s->why : ""; }
int netsess_bye_reason(const struct netsess *s) { return s->bye_reason; }
int netsess_closed_by_peer(const struct netsess *s) { return s->by_peer; }
const struct netsess_stats *netsess_stats(const struct netsess *s) { return &s->stats; }

size_t netsess_packets(const uint32_t *w, size_t nw, size_t *k, midi_packet *p, size_t max)
{
	size_t np = 0;
	while (np < max && *k < nw) {
		midi_ump u = {{0, 0, 0, 0}};
		unsigned len = midi_mt_words(w[*k] >> 28);
		for (unsigned j = 0; j < len && *k + j < nw; j++)
			u.w[j] = w[*k + j];
		*k += len;
		p[np++] = (midi_packet){0, u};
	}
	return np;
}
