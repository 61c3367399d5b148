/* netrecv.c: the receive side of a Network MIDI 2.0 session (netsess.h):
 * UMP Data commands delivered in sequence order exactly once; duplicates
 * (FEC copies, retransmits) dropped; commands ahead of a gap held in
 * slots; gaps asked for with Retransmit Request after a short wait for
 * reordering; gaps that cannot be filled skipped, their commands counted
 * as lost. */
#include <stdlib.h>
#include <string.h>

#include "net/netsess_priv.h"

int ns_rx_init(struct netsess *s)
{
	s->rx_cap = s->cfg.reorder;
	s->rx = calloc(s->rx_cap, sizeof *s->rx);
	if (!s->rx)
		return -1;
	for (unsigned i = 0; i < s->rx_cap; i++) {
		s->rx[i].w = malloc(4 * NETPKT_MAX_WORDS);
		if (!s->rx[i].w)
			return -1;
	}
	return 0;
}

void ns_rx_free(struct netsess *s)
{
	if (s->rx)
		for (unsigned i = 0; i < s->rx_cap; i++)
			free(s->rx[i].w);
	free(s->rx);
}

static struct ns_cmd *slot(struct netsess *s, uint16_t seq) { return &s->rx[seq % s->rx_cap]; }

static void deliver(struct netsess *s, const uint32_t *w, size_t n)
{
	s->stats.cmds_delivered++;
	s->stats.words_delivered += n;
	if (n)
		s->ops.deliver(s->arg, w, n);
}

/* Deliver the held commands that are next in order. */
static void drain(struct netsess *s)
{
	for (;;) {
		struct ns_cmd *c = slot(s, s->rx_next);
		if (!c->used || c->seq != s->rx_next)
			break;
		c->used = 0;
		s->rx_next++;
		deliver(s, c->w, c->n);
	}
}

void ns_rx_report(struct netsess *s)
{
	if (!s->lost_pending)
		return;
	uint64_t n = s->lost_pending;
	s->lost_pending = 0;
	if (s->ops.lost)
		s->ops.lost(s->arg, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}

/* Skip up to seq `to` (exclusive): held commands delivered, the others
 * lost. A loss is reported before what follows it is delivered, so a
 * reader knows it before it sees the rest of a cut SysEx (whose End
 * would otherwise complete a short message). */
static void skip_to(struct netsess *s, uint16_t to)
{
	while (s->rx_next != to) {
		struct ns_cmd *c = slot(s, s->rx_next);
		if (c->used && c->seq == s->rx_next) {
			c->used = 0;
			ns_rx_report(s);
			deliver(s, c->w, c->n);
		} else {
			s->stats.lost++;
			s->lost_pending++;
		}
		s->rx_next++;
	}
	ns_rx_report(s);
	drain(s);
}

void ns_rx_give_up(struct netsess *s)
{
	skip_to(s, s->rx_high);
	s->gap = 0;
	ns_rx_report(s);
}

void ns_rx_reset(struct netsess *s)
{
	ns_rx_give_up(s);
	for (unsigned i = 0; i < s->rx_cap; i++)
		s->rx[i].used = 0;
	s->rx_next = 0;
	s->rx_high = 0;
	s->gap = 0;
}

void ns_rx_data(struct netsess *s, const struct netpkt_cmd *c)
{
	int16_t d = (int16_t)(c->seq - s->rx_next);
	if (d < 0) {
		s->stats.duplicates++;
		return;
	}
	if ((int16_t)(c->seq - s->rx_high) >= 0)
		s->rx_high = (uint16_t)(c->seq + 1);
	if (d == 0) {
		uint32_t w[NETPKT_MAX_WORDS];
		for (size_t i = 0; i < c->nwords; i++)
			w[i] = netpkt_ump_word(c, i);
		s->rx_next++;
		deliver(s, w, c->nwords);
		drain(s);
		return;
	}
	if ((unsigned)d >= s->rx_cap)
		return; /* too far ahead to hold: asked for again with the gap */
	struct ns_cmd *k = slot(s, c->seq);
	if (k->used) {
		if (k->seq == c->seq)
			s->stats.duplicates++;
		return;
	}
	k->used = 1;
	k->seq = c->seq;
	k->n = (uint16_t)c->nwords;
	for (size_t i = 0; i < c->nwords; i++)
		k->w[i] = netpkt_ump_word(c, i);
	s->stats.held++;
}

/* The first missing run: from rx_next to the first held command. */
static uint16_t missing_run(struct netsess *s)
{
	uint16_t n = 0;
	for (uint16_t q = s->rx_next; q != s->rx_high; q++, n++) {
		struct ns_cmd *c = slot(s, q);
		if (c->used && c->seq == q)
			break;
	}
	return n;
}

static void request(struct netsess *s, uint64_t now)
{
	uint16_t n = missing_run(s);
	OB(s, netpkt_put_retransmit_request(&s->ob, s->rx_next, n));
	s->stats.rtx_requests++;
	s->gap_attempts++;
	s->gap_from = s->rx_next;
	s->gap_due = now + s->cfg.rtx_timeout;
}

void ns_rx_after(struct netsess *s, uint64_t now)
{
	if (s->rx_next == s->rx_high) {
		s->gap = 0;
		return;
	}
	if (!s->gap) {
		s->gap = 1;
		s->gap_attempts = 0;
		s->gap_from = s->rx_next;
		s->gap_due = now + s->cfg.gap_wait;
	} else if (s->gap_from != s->rx_next && s->gap_attempts) {
		/* a retransmit filled part of it: ask for the rest now */
		s->gap_attempts = 0;
		s->gap_due = now;
	}
}

void ns_rx_timeout(struct netsess *s, uint64_t now)
{
	if (!s->gap || now < s->gap_due)
		return;
	if (s->peer_no_rtx || s->gap_attempts >= s->cfg.rtx_attempts || s->cfg.rtx_attempts == 0) {
		ns_rx_give_up(s);
		return;
	}
	request(s, now);
}

uint64_t ns_rx_due(const struct netsess *s)
{
	return s->gap ? s->gap_due : UINT64_MAX;
}

void ns_rx_error(struct netsess *s, const struct netpkt_cmd *c, uint64_t now)
{
	if (!s->gap)
		return;
	/* c->seq: the oldest the peer still has. What is before it is gone;
	 * from it on a request may still succeed. */
	if (c->reason == NETPKT_RTX_ERR_NO_DATA && (int16_t)(c->seq - s->rx_next) > 0 &&
	    (int16_t)(s->rx_high - c->seq) > 0) {
		skip_to(s, c->seq);
		ns_rx_report(s);
		s->gap_attempts = 0;
		s->gap_from = s->rx_next;
		s->gap_due = now;
		ns_rx_after(s, now);
		return;
	}
	ns_rx_give_up(s);
}

void ns_rx_no_rtx(struct netsess *s)
{
	s->peer_no_rtx = 1;
	if (s->gap)
		ns_rx_give_up(s);
}
