/* netinvite.c: the invitation handshake of a Network MIDI 2.0 session
 * (netsess.h), both roles. Host: allow list, admit (accept, pending,
 * reject, full), then the policy's authentication (a nonce per challenge,
 * the digest checked, auth_attempts tries) and Invitation Reply:
 * Accepted, or a Bye with the reason. Client: Invitation with the
 * capabilities its credentials allow, repeated until a reply, digests for
 * the host's challenges, Bye "invitation canceled" when it gives up. */
#include <string.h>

#include "net/netsess_priv.h"

static void copy_str(char *dst, size_t cap, struct netpkt_str v)
{
	size_t n = v.n < cap - 1 ? v.n : cap - 1;
	memcpy(dst, v.s, n);
	dst[n] = 0;
}

static int str_eq(struct netpkt_str v, const char *s)
{
	return s && strlen(s) == v.n && memcmp(v.s, s, v.n) == 0;
}

/* ---- host ---- */

static void reply(struct netsess *s, uint8_t code)
{
	OB(s, netpkt_put_invitation(&s->ob, code, 0, s->cfg.name, s->cfg.piid));
}

static int challenge(struct netsess *s, uint8_t state)
{
	if (netauth_nonce(s->nonce, s->ops.random, s->arg) < 0) {
		ns_why(s, "no randomness for a nonce");
		ns_send_bye_close(s, NETPKT_BYE_UNKNOWN);
		return -1;
	}
	s->have_nonce = 1;
	uint8_t code = s->cfg.auth == NETSESS_AUTH_USER ? NETPKT_REPLY_USER_AUTH_REQUIRED
							 : NETPKT_REPLY_AUTH_REQUIRED;
	OB(s, netpkt_put_auth_required(&s->ob, code, state, s->nonce, s->cfg.name, s->cfg.piid));
	return 0;
}

/* Admitted: authenticate, or accept. */
static void proceed(struct netsess *s, uint64_t now)
{
	if (s->cfg.auth == NETSESS_AUTH_NONE) {
		reply(s, NETPKT_REPLY_ACCEPTED);
		ns_established(s, now);
		return;
	}
	s->auth_fails = 0;
	s->last_user_unknown = 0;
	if (challenge(s, NETPKT_AUTH_FIRST) < 0)
		return;
	s->hs_due = now + s->cfg.handshake_timeout;
	ns_set_state(s, NETSESS_AUTH_REQUIRED);
}

static int allowed(const struct netsess *s, const struct netpkt_cmd *c)
{
	if (!s->cfg.nallow)
		return 1;
	for (size_t i = 0; i < s->cfg.nallow; i++)
		if (str_eq(c->name, s->cfg.allow[i]) || str_eq(c->piid, s->cfg.allow[i]))
			return 1;
	return 0;
}

static void host_invitation(struct netsess *s, const struct netpkt_cmd *c, uint64_t now)
{
	if (s->st == NETSESS_PENDING_INVITATION) { /* repeated: still deciding */
		reply(s, NETPKT_REPLY_PENDING);
		return;
	}
	if (s->st == NETSESS_AUTH_REQUIRED) { /* repeated: the same challenge again */
		uint8_t code = s->cfg.auth == NETSESS_AUTH_USER ? NETPKT_REPLY_USER_AUTH_REQUIRED
								 : NETPKT_REPLY_AUTH_REQUIRED;
		OB(s, netpkt_put_auth_required(&s->ob, code,
					       s->auth_fails ? NETPKT_AUTH_INCORRECT : NETPKT_AUTH_FIRST,
					       s->nonce, s->cfg.name, s->cfg.piid));
		return;
	}
	/* IDLE, CLOSED, or a session the client starts again */
	if (s->st != NETSESS_IDLE && s->st != NETSESS_CLOSED)
		ns_rx_give_up(s);
	s->why[0] = 0;
	copy_str(s->peer_name, sizeof s->peer_name, c->name);
	copy_str(s->peer_piid, sizeof s->peer_piid, c->piid);
	s->peer_caps = c->caps;
	s->have_nonce = 0;
	if (!allowed(s, c)) {
		ns_why(s, "'%s' is not on the allow list", s->peer_name);
		ns_send_bye_close(s, NETPKT_BYE_NOT_ACCEPTED);
		return;
	}
	if ((s->cfg.auth == NETSESS_AUTH_SECRET && !(c->caps & NETPKT_CAP_AUTH)) ||
	    (s->cfg.auth == NETSESS_AUTH_USER && !(c->caps & NETPKT_CAP_USER_AUTH))) {
		ns_why(s, "'%s' cannot authenticate as the policy asks", s->peer_name);
		ns_send_bye_close(s, NETPKT_BYE_NO_MATCHING_AUTH);
		return;
	}
	enum netsess_admit a = s->ops.admit ? s->ops.admit(s->arg, s->peer_name, s->peer_piid)
					    : NETSESS_ADMIT_ACCEPT;
	switch (a) {
	case NETSESS_ADMIT_ACCEPT:
		proceed(s, now);
		return;
	case NETSESS_ADMIT_PENDING:
		reply(s, NETPKT_REPLY_PENDING);
		s->hs_due = now + s->cfg.pending_timeout;
		ns_set_state(s, NETSESS_PENDING_INVITATION);
		return;
	case NETSESS_ADMIT_FULL:
		ns_why(s, "too many sessions");
		ns_send_bye_close(s, NETPKT_BYE_TOO_MANY_SESSIONS);
		return;
	case NETSESS_ADMIT_REJECT:
		break;
	}
	ns_why(s, "'%s' not admitted", s->peer_name);
	ns_send_bye_close(s, NETPKT_BYE_NOT_ACCEPTED);
}

static const struct netsess_user *find_user(const struct netsess *s, struct netpkt_str name)
{
	for (size_t i = 0; i < s->cfg.nusers; i++)
		if (str_eq(name, s->cfg.users[i].name))
			return &s->cfg.users[i];
	return NULL;
}

/* Whether c's digest proves the policy's secret against s->nonce. */
static int digest_ok(struct netsess *s, const struct netpkt_cmd *c)
{
	uint8_t want[NETPKT_DIGEST_LEN];
	if (c->code == NETPKT_INVITATION_AUTH) {
		netauth_digest_secret(want, s->nonce, s->cfg.secret);
		return netauth_equal(want, c->digest);
	}
	const struct netsess_user *u = find_user(s, c->user);
	s->last_user_unknown = !u;
	if (!u)
		return 0;
	netauth_digest_user(want, s->nonce, u->name, strlen(u->name), u->password);
	return netauth_equal(want, c->digest);
}

static void host_auth(struct netsess *s, const struct netpkt_cmd *c, uint64_t now)
{
	uint8_t wanted = s->cfg.auth == NETSESS_AUTH_USER ? NETPKT_INVITATION_USER_AUTH
							  : NETPKT_INVITATION_AUTH;
	if (s->st == NETSESS_ESTABLISHED && s->have_nonce && c->code == wanted && digest_ok(s, c)) {
		reply(s, NETPKT_REPLY_ACCEPTED); /* our Accepted was lost: again */
		return;
	}
	if (s->st != NETSESS_AUTH_REQUIRED) {
		OB(s, netpkt_put_bye(&s->ob, NETPKT_BYE_AUTH_NO_PRIOR_INVITATION,
				     netpkt_bye_name(NETPKT_BYE_AUTH_NO_PRIOR_INVITATION)));
		return;
	}
	if (c->code != wanted) {
		ns_why(s, "'%s' used another authentication method", s->peer_name);
		ns_send_bye_close(s, NETPKT_BYE_NO_MATCHING_AUTH);
		return;
	}
	if (digest_ok(s, c)) {
		reply(s, NETPKT_REPLY_ACCEPTED);
		ns_established(s, now);
		return;
	}
	if (++s->auth_fails >= s->cfg.auth_attempts) {
		ns_why(s, "'%s' failed to authenticate", s->peer_name);
		ns_send_bye_close(s, s->last_user_unknown ? NETPKT_BYE_USER_NOT_FOUND
							  : NETPKT_BYE_AUTH_FAILED);
		return;
	}
	if (challenge(s, NETPKT_AUTH_INCORRECT) == 0)
		s->hs_due = now + s->cfg.handshake_timeout;
}

void netsess_admit(struct netsess *s, int accept, uint64_t now)
{
	if (s->cfg.role != NETSESS_HOST || s->st != NETSESS_PENDING_INVITATION)
		return;
	if (accept) {
		proceed(s, now);
	} else {
		ns_why(s, "'%s' not admitted", s->peer_name);
		ns_send_bye_close(s, NETPKT_BYE_NOT_ACCEPTED);
	}
	ns_flush(s);
}

/* ---- client ---- */

static void send_invitation(struct netsess *s)
{
	uint8_t caps = 0;
	if (s->cfg.secret)
		caps |= NETPKT_CAP_AUTH;
	if (s->cfg.user && s->cfg.password)
		caps |= NETPKT_CAP_USER_AUTH;
	OB(s, netpkt_put_invitation(&s->ob, NETPKT_INVITATION, caps, s->cfg.name, s->cfg.piid));
}

static void send_digest(struct netsess *s)
{
	uint8_t d[NETPKT_DIGEST_LEN];
	if (s->cfg.auth == NETSESS_AUTH_USER) {
		netauth_digest_user(d, s->nonce, s->cfg.user, strlen(s->cfg.user), s->cfg.password);
		OB(s, netpkt_put_inv_user_auth(&s->ob, d, s->cfg.user));
	} else {
		netauth_digest_secret(d, s->nonce, s->cfg.secret);
		OB(s, netpkt_put_inv_auth(&s->ob, d));
	}
}

int netsess_invite(struct netsess *s, uint64_t now)
{
	if (s->cfg.role != NETSESS_CLIENT || (s->st != NETSESS_IDLE && s->st != NETSESS_CLOSED))
		return -1;
	s->why[0] = 0;
	s->bye_reason = -1;
	s->by_peer = 0;
	s->got_pending = 0;
	s->auth_fails = 0;
	s->hs_attempts = 1;
	s->hs_due = now + s->cfg.invite_interval;
	send_invitation(s);
	ns_set_state(s, NETSESS_PENDING_INVITATION);
	ns_flush(s);
	return 0;
}

/* The client gives up the handshake. */
static void cancel(struct netsess *s, const char *why)
{
	ns_why(s, "%s", why);
	ns_send_bye_close(s, NETPKT_BYE_INVITATION_CANCELED);
}

static void client_challenge(struct netsess *s, const struct netpkt_cmd *c, uint64_t now)
{
	int user = c->code == NETPKT_REPLY_USER_AUTH_REQUIRED;
	if (user ? !(s->cfg.user && s->cfg.password) : !s->cfg.secret) {
		cancel(s, user ? "the host asks for a user name and password"
			       : "the host asks for a shared secret");
		return;
	}
	if (c->auth_state == NETPKT_AUTH_INCORRECT && s->st == NETSESS_AUTH_REQUIRED &&
	    ++s->auth_fails >= 2) {
		/* the same credentials twice on fresh nonces: they are wrong */
		cancel(s, "authentication failed");
		return;
	}
	s->cfg.auth = user ? NETSESS_AUTH_USER : NETSESS_AUTH_SECRET;
	memcpy(s->nonce, c->nonce, NETPKT_NONCE_LEN);
	s->have_nonce = 1;
	copy_str(s->peer_name, sizeof s->peer_name, c->name);
	copy_str(s->peer_piid, sizeof s->peer_piid, c->piid);
	send_digest(s);
	s->hs_attempts = 1;
	s->hs_due = now + s->cfg.invite_interval;
	ns_set_state(s, NETSESS_AUTH_REQUIRED);
}

static void client_reply(struct netsess *s, const struct netpkt_cmd *c, uint64_t now)
{
	int handshake = s->st == NETSESS_PENDING_INVITATION || s->st == NETSESS_AUTH_REQUIRED;
	switch (c->code) {
	case NETPKT_REPLY_ACCEPTED:
		if (s->st == NETSESS_ESTABLISHED)
			return; /* a repeat */
		if (!handshake)
			break;
		copy_str(s->peer_name, sizeof s->peer_name, c->name);
		copy_str(s->peer_piid, sizeof s->peer_piid, c->piid);
		ns_established(s, now);
		return;
	case NETPKT_REPLY_PENDING:
		if (s->st != NETSESS_PENDING_INVITATION)
			break;
		copy_str(s->peer_name, sizeof s->peer_name, c->name);
		copy_str(s->peer_piid, sizeof s->peer_piid, c->piid);
		if (!s->got_pending)
			s->hs_due = now + s->cfg.pending_timeout;
		s->got_pending = 1;
		return;
	case NETPKT_REPLY_AUTH_REQUIRED:
	case NETPKT_REPLY_USER_AUTH_REQUIRED:
		if (!handshake)
			break;
		client_challenge(s, c, now);
		return;
	}
	ns_nak(s, NETPKT_NAK_NOT_EXPECTED, c->header, "command not expected");
}

/* ---- both ---- */

void ns_invite_input(struct netsess *s, const struct netpkt_cmd *c, uint64_t now)
{
	int from_client = c->code == NETPKT_INVITATION || c->code == NETPKT_INVITATION_AUTH ||
			  c->code == NETPKT_INVITATION_USER_AUTH;
	if (from_client != (s->cfg.role == NETSESS_HOST)) {
		ns_nak(s, NETPKT_NAK_NOT_EXPECTED, c->header, "command not expected");
		return;
	}
	if (s->cfg.role == NETSESS_CLIENT)
		client_reply(s, c, now);
	else if (c->code == NETPKT_INVITATION)
		host_invitation(s, c, now);
	else
		host_auth(s, c, now);
}

void ns_invite_timeout(struct netsess *s, uint64_t now)
{
	if (!s->hs_due || now < s->hs_due)
		return;
	s->hs_due = 0;
	if (s->st != NETSESS_PENDING_INVITATION && s->st != NETSESS_AUTH_REQUIRED)
		return;
	if (s->cfg.role == NETSESS_HOST) {
		ns_why(s, "'%s' did not finish the invitation in time", s->peer_name);
		ns_send_bye_close(s, NETPKT_BYE_TIMEOUT);
		return;
	}
	if (s->got_pending) {
		cancel(s, "the host did not decide in time");
		return;
	}
	if (s->hs_attempts >= s->cfg.invite_attempts) {
		cancel(s, "no reply from the host");
		return;
	}
	s->hs_attempts++;
	s->hs_due = now + s->cfg.invite_interval;
	if (s->st == NETSESS_AUTH_REQUIRED)
		send_digest(s);
	else
		send_invitation(s);
}
