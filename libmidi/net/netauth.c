/* netauth.c: crypto nonces and the SHA-256 digests of Network MIDI 2.0
 * (UDP) authentication (netauth.h), SHA-256 and the constant-time compare
 * from nettle. */
#include "net/netauth.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/memops.h>
#include <nettle/sha2.h>

int netauth_nonce(uint8_t nonce[NETPKT_NONCE_LEN], netauth_rand_fn rnd, void *arg)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t raw[NETPKT_NONCE_LEN];
	size_t got = 0;
	if (rnd) {
		rnd(arg, raw, sizeof raw);
		got = sizeof raw;
	}
	while (got < sizeof raw) {
		ssize_t k = getrandom(raw + got, sizeof raw - got, 0);
		if (k < 0 && errno != EINTR)
			return -1;
		if (k > 0)
			got += (size_t)k;
	}
	/* 248 = 4 * 62: bytes at or above it are drawn again, no bias. */
	for (size_t i = 0; i < NETPKT_NONCE_LEN; i++) {
		while (raw[i] >= 248) {
			if (rnd)
				rnd(arg, &raw[i], 1);
			else if (getrandom(&raw[i], 1, 0) != 1)
				return -1;
		}
		nonce[i] = (uint8_t)set[raw[i] % 62];
	}
	return 0;
}

void netauth_digest_secret(uint8_t out[NETPKT_DIGEST_LEN], const uint8_t nonce[NETPKT_NONCE_LEN],
			   const char *secret)
{
	struct sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, NETPKT_NONCE_LEN, nonce);
	if (secret)
		sha256_update(&c, strlen(secret), (const uint8_t *)secret);
	sha256_digest(&c, NETPKT_DIGEST_LEN, out);
}

void netauth_digest_user(uint8_t out[NETPKT_DIGEST_LEN], const uint8_t nonce[NETPKT_NONCE_LEN],
			 const char *user, size_t user_len, const char *password)
{
	struct sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, NETPKT_NONCE_LEN, nonce);
	if (user_len)
		sha256_update(&c, user_len, (const uint8_t *)user);
	if (password)
		sha256_update(&c, strlen(password), (const uint8_t *)password);
	sha256_digest(&c, NETPKT_DIGEST_LEN, out);
}

int netauth_equal(const uint8_t a[NETPKT_DIGEST_LEN], const uint8_t b[NETPKT_DIGEST_LEN])
{
	return memeql_sec(a, b, NETPKT_DIGEST_LEN);
}
