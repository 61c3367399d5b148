/* netauth.h: the authentication of Network MIDI 2.0 (UDP) invitations:
 * crypto nonces and the SHA-256 digests a client proves its secret with,
 * with SHA-256 from nettle: netauth.c. Internal to the library.
 *
 *   Invitation with Authentication:      SHA-256(nonce || shared secret)
 *   Invitation with User Authentication: SHA-256(nonce || user name || password)
 * where nonce is the 16 bytes the host sent in its Authentication Required
 * reply, and the strings are their UTF-8 bytes without terminator. */
#ifndef MIDI_NETAUTH_H
#define MIDI_NETAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "net/netpkt.h"

/* Fill a nonce with random printable ASCII (letters and digits: 95 bits),
 * from getrandom(2), or from rnd(arg, buf, n) when rnd is not NULL (tests).
 * Returns 0, or -1 if no randomness could be had. */
typedef void (*netauth_rand_fn)(void *arg, uint8_t *buf, size_t n);
int netauth_nonce(uint8_t nonce[NETPKT_NONCE_LEN], netauth_rand_fn rnd, void *arg);
void netauth_digest_secret(uint8_t out[NETPKT_DIGEST_LEN], const uint8_t nonce[NETPKT_NONCE_LEN],
			   const char *secret);
void netauth_digest_user(uint8_t out[NETPKT_DIGEST_LEN], const uint8_t nonce[NETPKT_NONCE_LEN],
			 const char *user, size_t user_len, const char *password);
/* Digests equal, in time that does not depend on where they differ. */
int netauth_equal(const uint8_t a[NETPKT_DIGEST_LEN], const uint8_t b[NETPKT_DIGEST_LEN]);

#endif
