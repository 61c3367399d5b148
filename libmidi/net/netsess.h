/* netsess.h: one Network MIDI 2.0 (UDP) session (M2-124-UM v1.0) with one
 * peer, for both roles: a host accepting invitations under a policy, a
 * client inviting. Pure protocol: no sockets and no clock reads. Time is
 * passed in (`now`, nanoseconds of CLOCK_MONOTONIC or any clock that does
 * not go back); datagrams to send and UMP words received come out through
 * callbacks. Internal to the library (names are hidden in libmidi.a).
 * netsess.c (handshake, keepalive, reset, bye, dispatch), netsend.c (send
 * side: sequence numbers, FEC, retransmit buffer) and netrecv.c (receive
 * side: order, duplicates, gaps, retransmit requests, losses).
 *
 * How the net transport uses it
 *   Host: one UDP socket; a table from peer address to struct netsess.
 *   A datagram from an unknown address: netsess_new(role HOST), then
 *   netsess_input. After every call, a session whose state is
 *   NETSESS_IDLE (it was not an invitation: the stray command has been
 *   answered) or NETSESS_CLOSED is freed with netsess_free. The admit
 *   callback says NETSESS_ADMIT_FULL when the host has all the sessions it
 *   takes (the peer gets Bye "too many opened sessions").
 *   Client: netsess_new(role CLIENT), netsess_invite, then netsess_input
 *   for every datagram from the host's address. NETSESS_CLOSED: failed or
 *   ended (netsess_why says why); free it, or netsess_invite again later
 *   (auto-reconnect).
 *   Both: send UMP with netsess_send; call netsess_timeout(now) when
 *   netsess_next_due() has come (arm a timer for it after every call);
 *   netsess_bye to leave.
 *
 * Callbacks run from inside the netsess_* call that caused them and must
 * not call netsess functions of the same session (free it after the call
 * returned). `send` gets whole datagrams (signature included) for the one
 * peer of this session, whose address the caller keeps.
 *
 * Reliability (spec section 7): every UMP Data command gets the next
 * 16-bit sequence number (0 first, after establishment and after a
 * session reset); each datagram repeats up to `fec` previous UMP Data
 * commands before the new one (forward error correction), and after a
 * burst up to `fec` (at least 1) zero-length UMP Data commands follow at
 * `tail_interval`, so a lost last datagram is recovered or at least
 * noticed. The last `rtx_depth` commands are kept to answer Retransmit
 * Requests (Retransmit Error when asked for what is gone, NAK "not
 * supported" when rtx_depth is 0). On receipt, commands are delivered in
 * sequence order exactly once: duplicates (FEC copies, retransmits) are
 * dropped, commands ahead of a gap are held (up to `reorder` of them),
 * a gap still open after `gap_wait` is asked for with Retransmit Request
 * (`rtx_attempts` times, `rtx_timeout` apart); a gap that cannot be filled
 * (attempts used up, Retransmit Error, NAK, session reset, bye) is skipped
 * and the UMP Data commands it held are reported through `lost`: the
 * count of commands is the count of lost messages that is known (a
 * command carries one or more messages, or none when it was a keep-alive).
 */
#ifndef MIDI_NETSESS_H
#define MIDI_NETSESS_H

#include <stddef.h>
#include <stdint.h>

#include "midi/ump.h"
#include "net/netauth.h"
#include "net/netpkt.h"

enum netsess_role { NETSESS_HOST, NETSESS_CLIENT };

/* The session states of the spec, and CLOSED. */
enum netsess_state {
	NETSESS_IDLE,               /* no session (host: nothing asked yet) */
	NETSESS_PENDING_INVITATION, /* client: Invitation sent (or host said Pending);
				       host: waiting for netsess_admit */
	NETSESS_AUTH_REQUIRED,      /* host: challenge sent; client: digest sent */
	NETSESS_ESTABLISHED,
	NETSESS_PENDING_RESET,      /* Session Reset sent, waiting for the reply */
	NETSESS_PENDING_BYE,        /* Bye sent, waiting for Bye Reply */
	NETSESS_CLOSED,             /* over: netsess_why, netsess_bye_reason */
};
const char *netsess_state_name(enum netsess_state st);

/* Host policy for invitations. */
enum netsess_auth {
	NETSESS_AUTH_NONE,   /* open (still subject to the allow list and admit) */
	NETSESS_AUTH_SECRET, /* shared secret: Invitation with Authentication */
	NETSESS_AUTH_USER,   /* user and password: Invitation with User Authentication */
};
struct netsess_user {
	const char *name, *password;
};

/* What the host's admit callback decides about an invitation. */
enum netsess_admit {
	NETSESS_ADMIT_ACCEPT,  /* go on (to authentication when the policy asks) */
	NETSESS_ADMIT_PENDING, /* reply Pending; decide later with netsess_admit */
	NETSESS_ADMIT_REJECT,  /* Bye "invitation rejected: session not accepted" */
	NETSESS_ADMIT_FULL,    /* Bye "too many opened sessions" */
};

/* Every string must stay valid for the session's life. Numbers left 0
 * take the defaults in brackets (durations in ns). */
struct netsess_config {
	enum netsess_role role;
	const char *name; /* our UMP Endpoint Name (up to 98 bytes sent) */
	const char *piid; /* our Product Instance Id (up to 42 bytes sent) */

	/* host: policy */
	enum netsess_auth auth;
	const char *secret;                /* AUTH_SECRET (client: the secret to prove) */
	const struct netsess_user *users;  /* AUTH_USER */
	size_t nusers;
	const char *const *allow;          /* client endpoint names or product instance ids */
	size_t nallow;                     /* admitted (0: no allow list) */
	unsigned auth_attempts;            /* digests tried before Bye [3] */
	/* client: credentials (caps offered follow from what is set) */
	const char *user, *password;

	/* reliability */
	unsigned fec;           /* previous UMP Data commands in each datagram [2];
				   NETSESS_NO_FEC for none */
	unsigned rtx_depth;     /* commands kept for Retransmit Requests [64];
				   NETSESS_NO_RTX for none */
	unsigned reorder;       /* commands held ahead of a gap [32] (power of 2) */
	unsigned cmd_words;     /* most words in one UMP Data command sent [64] */
	size_t mtu;             /* most bytes in one datagram [1400] */

	/* timing */
	uint64_t invite_interval;  /* client: Invitation repeated [1 s] */
	unsigned invite_attempts;  /* ... this many times in all [3] */
	uint64_t pending_timeout;  /* Pending: how long a decision may take [30 s] */
	uint64_t handshake_timeout; /* host: digest awaited [10 s] */
	uint64_t ping_interval;    /* nothing received for this long: Ping [5 s] */
	uint64_t ping_timeout;     /* Ping repeated after [1 s] */
	unsigned ping_attempts;    /* unanswered Pings before Bye "timeout" [3] */
	uint64_t gap_wait;         /* a gap waits for reordering before a request [20 ms] */
	uint64_t rtx_timeout;      /* Retransmit Request repeated after [100 ms] */
	unsigned rtx_attempts;     /* requests for one gap before it is lost [3] */
	uint64_t tail_interval;    /* keep-alive UMP Data after a burst [10 ms] */
	uint64_t bye_interval;     /* Bye / Session Reset repeated after [200 ms] */
	unsigned bye_attempts;     /* ... this many times in all [3] */
};
#define NETSESS_NO_FEC 0xFFFFu
#define NETSESS_NO_RTX 0xFFFFu

/* Delivered words from w[*k] as whole packets into p (at most max, time
 * 0), *k moved past them: a deliver callback's batches. Returns how many. */
size_t netsess_packets(const uint32_t *w, size_t nw, size_t *k, midi_packet *p, size_t max);

struct netsess_ops {
	/* A datagram for the peer (required). */
	void (*send)(void *arg, const uint8_t *dgram, size_t n);
	/* UMP words received, in order: whole messages, host byte order
	 * (required). One call per UMP Data command. */
	void (*deliver)(void *arg, const uint32_t *words, size_t n);
	/* UMP Data commands that are lost for good (may be NULL). */
	void (*lost)(void *arg, uint32_t commands);
	/* The state changed (may be NULL). */
	void (*state)(void *arg, enum netsess_state st);
	/* Host: an invitation from a client that passed the allow list
	 * (NULL: accept). name and piid are NUL-terminated copies. */
	enum netsess_admit (*admit)(void *arg, const char *name, const char *piid);
	/* Randomness for nonces (NULL: getrandom(2)). */
	netauth_rand_fn random;
};

struct netsess_stats {
	uint64_t dgrams_in, dgrams_out;
	uint64_t cmds_sent;      /* new UMP Data commands (keep-alives included) */
	uint64_t cmds_delivered; /* UMP Data commands delivered */
	uint64_t words_delivered;
	uint64_t duplicates;     /* UMP Data commands dropped as already had */
	uint64_t held;           /* commands that arrived ahead of a gap */
	uint64_t lost;           /* commands lost for good */
	uint64_t rtx_requests;   /* Retransmit Requests sent */
	uint64_t rtx_resent;     /* commands sent again for the peer's requests */
	uint64_t rtx_errors;     /* Retransmit Errors sent */
	uint64_t skipped;        /* messages lost before the session, told by skips */
	uint64_t naks_in, naks_out;
	uint64_t rtt_ns;         /* last Ping round trip (0: none yet) */
};

struct netsess;

/* A session in state IDLE. NULL on allocation failure. */
struct netsess *netsess_new(const struct netsess_config *cfg, const struct netsess_ops *ops,
			    void *arg);
void netsess_free(struct netsess *s);

/* Client: send an Invitation (from IDLE or CLOSED; starts afresh). 0, or
 * -1 if the session is a host's or busy. */
int netsess_invite(struct netsess *s, uint64_t now);
/* Host: the decision on an invitation left PENDING by admit. */
void netsess_admit(struct netsess *s, int accept, uint64_t now);
/* A datagram received from the peer. 0, or -1 if it is not a Network
 * MIDI 2.0 datagram (ignored). */
int netsess_input(struct netsess *s, const uint8_t *dgram, size_t n, uint64_t now);
/* Send n words of whole UMP messages. Returns the words taken (whole
 * messages, all of them when the session is established), 0 when it
 * cannot send now (not established, or a reset pending): keep them and
 * offer them again, -1 if words[] is not whole messages. */
long netsess_send(struct netsess *s, const uint32_t *words, size_t n, uint64_t now);
/* n messages were lost before they reached this session (the reading
 * connection that feeds it fell behind): the peer must hear of it, not
 * find a SysEx silently short. The next n sequence numbers (at most
 * NETSESS_SKIP_MAX) are left out and a zero-length UMP Data command
 * follows at once; the peer finds the gap, its Retransmit Request gets a
 * Retransmit Error (the commands never existed) and it counts the
 * skipped numbers as lost. Only in session; nothing to do otherwise. */
#define NETSESS_SKIP_MAX 16384u
void netsess_skip(struct netsess *s, uint32_t n, uint64_t now);
/* Ask the peer to reset sequence numbers (Session Reset). */
void netsess_reset(struct netsess *s, uint64_t now);
/* End the session: Bye with reason (NETPKT_BYE_*), then PENDING_BYE until
 * Bye Reply (or attempts used up), then CLOSED. */
void netsess_bye(struct netsess *s, uint8_t reason, uint64_t now);
/* Run what is due at now. */
void netsess_timeout(struct netsess *s, uint64_t now);
/* When netsess_timeout must run next (UINT64_MAX: nothing planned). */
uint64_t netsess_next_due(const struct netsess *s);

enum netsess_state netsess_state(const struct netsess *s);
/* The peer's UMP Endpoint Name and Product Instance Id ("" until known). */
const char *netsess_peer_name(const struct netsess *s);
const char *netsess_peer_piid(const struct netsess *s);
/* Why the session is CLOSED, in words ("" otherwise), the Bye reason that
 * ended it (sent or received) and whether the peer sent it. */
const char *netsess_why(const struct netsess *s);
int netsess_bye_reason(const struct netsess *s);
int netsess_closed_by_peer(const struct netsess *s);
const struct netsess_stats *netsess_stats(const struct netsess *s);

#endif
