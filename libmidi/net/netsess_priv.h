/* netsess_priv.h: the inside of a Network MIDI 2.0 session (netsess.h),
 * shared by netsess.c (state machine), netsend.c (send side) and
 * netrecv.c (receive side), and the outbox they write commands to. */
#ifndef MIDI_NETSESS_PRIV_H
#define MIDI_NETSESS_PRIV_H

#include "net/netsess.h"

#define NS_PINGS 4 /* Ping ids remembered for replies */

/* A UMP Data command kept (sent: for FEC and retransmits; received ahead
 * of a gap: until its turn). */
struct ns_cmd {
	uint16_t seq;
	uint16_t n;    /* words */
	uint8_t used;
	uint32_t *w;   /* room for the most words one command holds */
};

struct netsess {
	struct netsess_config cfg; /* with the defaults filled in */
	struct netsess_ops ops;
	void *arg;
	enum netsess_state st;
	struct netsess_stats stats;

	/* outbox: control commands gathered into one datagram */
	uint8_t *out;
	struct netpkt_writer ob;

	/* peer */
	char peer_name[NETPKT_NAME_MAX + 1];
	char peer_piid[NETPKT_PIID_MAX + 1];
	uint8_t peer_caps;
	char why[160];
	int bye_reason; /* -1: none */
	int by_peer;

	/* handshake */
	uint64_t hs_due;       /* next handshake timer (0: none) */
	unsigned hs_attempts;  /* client: Invitations / digests sent */
	int got_pending;       /* client: the host said Pending */
	unsigned auth_fails;   /* host: wrong digests; client: Incorrect replies */
	int last_user_unknown; /* host: the last failure named an unknown user */
	uint8_t nonce[NETPKT_NONCE_LEN];
	int have_nonce;

	/* liveness */
	uint64_t last_rx;
	uint64_t last_ping;
	unsigned pings_out;
	uint32_t ping_id;
	uint32_t ping_ids[NS_PINGS];
	uint64_t ping_sent[NS_PINGS];

	/* bye / reset */
	uint64_t end_due;
	unsigned end_attempts;
	uint8_t end_reason;

	/* send side (netsend.c) */
	uint16_t tx_seq;         /* the next sequence number */
	struct ns_cmd *tx;       /* ring of the last tx_cap commands sent */
	unsigned tx_cap, tx_count, tx_head; /* head: where the next goes */
	unsigned tail_left;
	uint64_t tail_due;
	uint8_t *dg;             /* datagram being built (mtu bytes) */

	/* receive side (netrecv.c) */
	uint16_t rx_next;        /* the sequence number delivered next */
	uint16_t rx_high;        /* one past the highest seen */
	struct ns_cmd *rx;       /* reorder slots, by seq % rx_cap */
	unsigned rx_cap;
	int gap;                 /* rx_next != rx_high */
	uint64_t gap_due;
	unsigned gap_attempts;
	uint16_t gap_from;       /* rx_next when the last request went */
	int peer_no_rtx;         /* the peer NAKed Retransmit Request */
	uint64_t lost_pending;   /* not yet reported */
};

/* ---- outbox (netsess.c) ---- */
/* After any put that did not fit: flush, then put again. */
#define OB(s, put_expr)                                                                    \
	do {                                                                               \
		if ((put_expr) < 0) {                                                      \
			ns_flush(s);                                                       \
			(void)(put_expr);                                                  \
		}                                                                          \
	} while (0)
void ns_flush(struct netsess *s);
void ns_emit(struct netsess *s, const uint8_t *buf, size_t n);
void ns_set_state(struct netsess *s, enum netsess_state st);
void ns_nak(struct netsess *s, uint8_t reason, uint32_t header, const char *text);
void ns_why(struct netsess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* CLOSED: what is held delivered, gaps counted lost, the bye recorded. */
void ns_close(struct netsess *s, int bye_reason, int by_peer);
/* Bye (not waiting for a reply) and CLOSED. */
void ns_send_bye_close(struct netsess *s, uint8_t reason);
/* ESTABLISHED with fresh sequence numbers. */
void ns_established(struct netsess *s, uint64_t now);

/* ---- invitation handshake (netinvite.c) ---- */
void ns_invite_input(struct netsess *s, const struct netpkt_cmd *c, uint64_t now);
void ns_invite_timeout(struct netsess *s, uint64_t now);

/* ---- send side (netsend.c) ---- */
int ns_tx_init(struct netsess *s);
void ns_tx_free(struct netsess *s);
void ns_tx_reset(struct netsess *s);
long ns_tx_send(struct netsess *s, const uint32_t *words, size_t n, uint64_t now);
void ns_tx_retransmit(struct netsess *s, const struct netpkt_cmd *c);
void ns_tx_skip(struct netsess *s, uint32_t n, uint64_t now);
void ns_tx_timeout(struct netsess *s, uint64_t now);
/* A zero-length UMP Data command (keep-alive) now, in session. */
void ns_tx_keepalive(struct netsess *s);
uint64_t ns_tx_due(const struct netsess *s);

/* ---- receive side (netrecv.c) ---- */
int ns_rx_init(struct netsess *s);
void ns_rx_free(struct netsess *s);
/* Skip every gap (losses counted), then start again at sequence 0. */
void ns_rx_reset(struct netsess *s);
void ns_rx_data(struct netsess *s, const struct netpkt_cmd *c);
/* After a datagram: start or stop the gap timer. */
void ns_rx_after(struct netsess *s, uint64_t now);
void ns_rx_error(struct netsess *s, const struct netpkt_cmd *c, uint64_t now);
void ns_rx_no_rtx(struct netsess *s);
void ns_rx_timeout(struct netsess *s, uint64_t now);
uint64_t ns_rx_due(const struct netsess *s);
/* Skip every gap now, losses counted and reported. */
void ns_rx_give_up(struct netsess *s);
void ns_rx_report(struct netsess *s);

#endif
