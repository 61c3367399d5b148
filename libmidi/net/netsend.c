/* netsend.c: the send side of a Network MIDI 2.0 session (netsess.h):
 * UMP messages packed into UMP Data commands with sequence numbers, each
 * datagram led by up to `fec` previous commands (forward error
 * correction), keep-alive commands after a burst, the ring of the
 * last commands sent that answers the peer's Retransmit Requests, and
 * skips: sequence numbers left out for messages lost before they reached
 * the session, which the peer counts as lost. */
#include <stdlib.h>
#include <string.h>

#include "midi/ump.h"
#include "net/netsess_priv.h"

int ns_tx_init(struct netsess *s)
{
	unsigned fec = s->cfg.fec, depth = s->cfg.rtx_depth;
	s->tx_cap = (depth > fec ? depth : fec) + 1; /* +1: the command being sent */
	s->tx = calloc(s->tx_cap, sizeof *s->tx);
	s->dg = malloc(s->cfg.mtu);
	if (!s->tx || !s->dg)
		return -1;
	for (unsigned i = 0; i < s->tx_cap; i++) {
		s->tx[i].w = malloc(4 * (size_t)s->cfg.cmd_words);
		if (!s->tx[i].w)
			return -1;
	}
	return 0;
}

void ns_tx_free(struct netsess *s)
{
	if (s->tx)
		for (unsigned i = 0; i < s->tx_cap; i++)
			free(s->tx[i].w);
	free(s->tx);
	free(s->dg);
}

void ns_tx_reset(struct netsess *s)
{
	s->tx_seq = 0;
	s->tx_count = 0;
	s->tx_head = 0;
	s->tail_left = 0;
}

/* The kept command `back` commands before the newest (0 = newest). */
static struct ns_cmd *kept(struct netsess *s, unsigned back)
{
	return &s->tx[(s->tx_head + s->tx_cap - 1 - back) % s->tx_cap];
}

/* Send the newest kept command, led by up to fec earlier ones that fit. */
static void send_newest(struct netsess *s)
{
	struct netpkt_writer w;
	netpkt_writer_init(&w, s->dg, s->cfg.mtu);
	struct ns_cmd *now = kept(s, 0);
	size_t room = s->cfg.mtu - NETPKT_HDR - netpkt_cmd_size(now->n);
	unsigned fec = s->cfg.fec < s->tx_count ? s->cfg.fec : s->tx_count - 1, k = 0;
	while (k < fec && netpkt_cmd_size(kept(s, k + 1)->n) <= room) {
		room -= netpkt_cmd_size(kept(s, k + 1)->n);
		k++;
	}
	for (; k > 0; k--) {
		struct ns_cmd *c = kept(s, k);
		netpkt_put_ump(&w, c->seq, c->w, c->n);
	}
	netpkt_put_ump(&w, now->seq, now->w, now->n);
	ns_emit(s, s->dg, w.len);
}

/* Keep a new command of n words and send it. */
static void send_cmd(struct netsess *s, const uint32_t *words, size_t n)
{
	struct ns_cmd *c = &s->tx[s->tx_head];
	c->seq = s->tx_seq++;
	c->n = (uint16_t)n;
	c->used = 1;
	if (n)
		memcpy(c->w, words, 4 * n);
	s->tx_head = (s->tx_head + 1) % s->tx_cap;
	if (s->tx_count < s->tx_cap)
		s->tx_count++;
	s->stats.cmds_sent++;
	send_newest(s);
}

/* After new data: up to `fec` (at least 1) zero-length commands follow at
 * tail_interval, so a lost last datagram is recovered or noticed. */
static void arm_tail(struct netsess *s, uint64_t now)
{
	s->tail_left = s->cfg.fec ? s->cfg.fec : 1;
	s->tail_due = now + s->cfg.tail_interval;
}

long ns_tx_send(struct netsess *s, const uint32_t *words, size_t n, uint64_t now)
{
	for (size_t i = 0; i < n;) {
		unsigned k = midi_mt_words(words[i] >> 28);
		if (k > n - i)
			return -1;
		i += k;
	}
	if (s->st != NETSESS_ESTABLISHED)
		return 0;
	ns_flush(s); /* what the peer should see before this data */
	size_t max = s->cfg.cmd_words, i = 0;
	while (i < n) {
		size_t m = 0;
		while (i + m < n) {
			unsigned k = midi_mt_words(words[i + m] >> 28);
			if (m + k > max)
				break;
			m += k;
		}
		send_cmd(s, words + i, m);
		i += m;
	}
	if (n)
		arm_tail(s, now);
	return (long)n;
}

#define NS_KEPT_SPAN 24576u /* below 32768 by more than any ring of kept commands */

/* The kept command with the oldest seq at or after seq q (commands are
 * kept in seq order; a skip leaves holes between them), or -1 (`back`
 * counts from the newest as for kept()). */
static int kept_at_or_after(struct netsess *s, uint16_t q)
{
	int found = -1;
	for (unsigned back = 0; back < s->tx_count; back++) {
		if ((int16_t)(kept(s, back)->seq - q) < 0)
			break;
		found = (int)back;
	}
	return found;
}

void ns_tx_retransmit(struct netsess *s, const struct netpkt_cmd *c)
{
	if (s->cfg.rtx_depth == 0) {
		ns_nak(s, NETPKT_NAK_NOT_SUPPORTED, c->header, "retransmit not supported");
		return;
	}
	/* The ring may hold one more than rtx_depth (the FEC source): serve
	 * what it has. Asked for what is gone (before the oldest kept, or in
	 * a hole a skip left): Retransmit Error naming the next one kept, from
	 * which on a request may succeed. */
	int16_t before_next = (int16_t)(s->tx_seq - c->seq);
	int back = before_next > 0 ? kept_at_or_after(s, c->seq) : -1;
	if (back < 0 || kept(s, (unsigned)back)->seq != c->seq) {
		OB(s, netpkt_put_retransmit_error(&s->ob, NETPKT_RTX_ERR_NO_DATA,
						  back >= 0 ? kept(s, (unsigned)back)->seq : s->tx_seq));
		s->stats.rtx_errors++;
		return;
	}
	unsigned count = (unsigned)back + 1;
	if (c->count && c->count < count)
		count = c->count;
	ns_flush(s);
	struct netpkt_writer w;
	netpkt_writer_init(&w, s->dg, s->cfg.mtu);
	for (unsigned i = 0; i < count; i++) {
		struct ns_cmd *k = kept(s, (unsigned)back - i);
		if (k->seq != (uint16_t)(c->seq + i))
			break; /* a hole: the peer asks again from it and hears why */
		if (netpkt_put_ump(&w, k->seq, k->w, k->n) < 0) {
			ns_emit(s, s->dg, w.len);
			netpkt_writer_init(&w, s->dg, s->cfg.mtu);
			netpkt_put_ump(&w, k->seq, k->w, k->n);
		}
		s->stats.rtx_resent++;
	}
	ns_emit(s, s->dg, w.len);
}

void ns_tx_skip(struct netsess *s, uint32_t n, uint64_t now)
{
	if (s->st != NETSESS_ESTABLISHED || n == 0)
		return;
	uint32_t k = n < NETSESS_SKIP_MAX ? n : NETSESS_SKIP_MAX;
	/* Kept commands stay within NS_KEPT_SPAN of the next number, so that
	 * 16-bit sequence numbers compare exactly (several skips would
	 * otherwise wrap them, and a request could get a command from 65536
	 * numbers before): the older ones go. */
	while (s->tx_count && (uint32_t)(uint16_t)(s->tx_seq - kept(s, s->tx_count - 1)->seq) + k >
				      NS_KEPT_SPAN)
		s->tx_count--;
	s->tx_seq = (uint16_t)(s->tx_seq + k);
	s->stats.skipped += n;
	/* sent at once, so the gap shows even if nothing follows */
	ns_flush(s);
	send_cmd(s, NULL, 0);
	arm_tail(s, now);
}

void ns_tx_timeout(struct netsess *s, uint64_t now)
{
	if (!s->tail_left || now < s->tail_due)
		return;
	if (s->st != NETSESS_ESTABLISHED) {
		s->tail_left = 0;
		return;
	}
	s->tail_left--;
	s->tail_due = now + s->cfg.tail_interval;
	send_cmd(s, NULL, 0);
}

void ns_tx_keepalive(struct netsess *s)
{
	if (s->st == NETSESS_ESTABLISHED)
		send_cmd(s, NULL, 0);
}

uint64_t ns_tx_due(const struct netsess *s)
{
	return s->tail_left ? s->tail_due : UINT64_MAX;
}
