/* netpkt.h: the wire format of Network MIDI 2.0 (UDP), MIDI Association
 * M2-124-UM v1.0: an encoder that appends command packets to a datagram,
 * and a decoder that walks a received datagram's command packets and
 * parses each into a typed view. Pure code (no sockets, no clock), every
 * received byte treated as hostile: netpkt.c. Internal to the library (the
 * net transport and the session layer netsess.h use it).
 *
 * A datagram is the signature "MIDI" (0x4D494449) then one or more command
 * packets. A command packet is a 4-byte header, big endian:
 *   byte 0  command code
 *   byte 1  payload length in 32-bit words (0..255)
 *   byte 2  command specific data 1 (CSD1)  } or one 16-bit value:
 *   byte 3  command specific data 2 (CSD2)  } a sequence number
 * then the payload. Strings (endpoint name, product instance id, user name,
 * texts) are padded with zero bytes to a whole word; readers stop at the
 * first zero byte.
 *
 * Command (code)                     CSD1 / CSD2            payload
 * Invitation (0x01)                  name words / caps      name, product instance id
 * Invitation with Authentication     0 / 0                  SHA-256 digest (8 words)
 *   (0x02)
 * Invitation with User Authentication 0 / 0                 digest (8 words), user name
 *   (0x03)
 * Invitation Reply: Accepted (0x10)  name words / 0         name, product instance id
 * Invitation Reply: Pending (0x11)   name words / 0         name, product instance id
 * Invitation Reply: Authentication   name words / auth state nonce (4 words), name, piid
 *   Required (0x12), User Authentication Required (0x13): the same
 * Ping (0x20), Ping Reply (0x21)     0 / 0                  ping id (1 word)
 * Retransmit Request (0x80)          sequence number        count (16 bits), 0 (16 bits)
 * Retransmit Error (0x81)            reason / 0             sequence number (16), 0 (16)
 * Session Reset (0x82), Reply (0x83) 0 / 0                  none
 * NAK (0x8F)                         reason / 0             NAKed command header, text
 * Bye (0xF0)                         reason / 0             text (optional)
 * Bye Reply (0xF1)                   0 / 0                  none
 * UMP Data (0xFF)                    sequence number        0..255 words of whole UMP
 *                                                           messages (0 = keep-alive)
 */
#ifndef MIDI_NETPKT_H
#define MIDI_NETPKT_H

#include <stddef.h>
#include <stdint.h>

#define NETPKT_SIGNATURE 0x4D494449u /* "MIDI" */
#define NETPKT_HDR 4                 /* bytes of the signature and of a command header */
#define NETPKT_MAX_WORDS 255         /* payload words of one command */
#define NETPKT_NAME_MAX 98           /* UMP Endpoint Name, bytes of UTF-8 */
#define NETPKT_PIID_MAX 42           /* Product Instance Id, bytes of ASCII */
#define NETPKT_NONCE_LEN 16          /* crypto nonce */
#define NETPKT_DIGEST_LEN 32         /* SHA-256 */
#define NETPKT_TEXT_MAX 1016         /* NAK and Bye texts (our limit: fits a payload) */

enum netpkt_code {
	NETPKT_INVITATION = 0x01,
	NETPKT_INVITATION_AUTH = 0x02,
	NETPKT_INVITATION_USER_AUTH = 0x03,
	NETPKT_REPLY_ACCEPTED = 0x10,
	NETPKT_REPLY_PENDING = 0x11,
	NETPKT_REPLY_AUTH_REQUIRED = 0x12,
	NETPKT_REPLY_USER_AUTH_REQUIRED = 0x13,
	NETPKT_PING = 0x20,
	NETPKT_PING_REPLY = 0x21,
	NETPKT_RETRANSMIT_REQUEST = 0x80,
	NETPKT_RETRANSMIT_ERROR = 0x81,
	NETPKT_SESSION_RESET = 0x82,
	NETPKT_SESSION_RESET_REPLY = 0x83,
	NETPKT_NAK = 0x8F,
	NETPKT_BYE = 0xF0,
	NETPKT_BYE_REPLY = 0xF1,
	NETPKT_UMP_DATA = 0xFF,
};

/* Invitation capabilities (CSD2 of Invitation). */
enum {
	NETPKT_CAP_AUTH = 0x01,      /* the client can send Invitation with Authentication */
	NETPKT_CAP_USER_AUTH = 0x02, /* ... with User Authentication */
};

/* Authentication state (CSD2 of the Authentication Required replies). */
enum {
	NETPKT_AUTH_FIRST = 0x00,     /* first authentication request */
	NETPKT_AUTH_INCORRECT = 0x01, /* the digest sent was not correct */
};

enum netpkt_nak_reason {
	NETPKT_NAK_OTHER = 0x00,
	NETPKT_NAK_NOT_SUPPORTED = 0x01, /* unknown command code */
	NETPKT_NAK_NOT_EXPECTED = 0x02,  /* known, not valid in this state or role */
	NETPKT_NAK_MALFORMED = 0x03,     /* payload length or values wrong */
	NETPKT_NAK_BAD_PING_REPLY = 0x20,
};

enum netpkt_bye_reason {
	NETPKT_BYE_UNKNOWN = 0x00,
	NETPKT_BYE_USER_TERMINATED = 0x01,
	NETPKT_BYE_POWER_DOWN = 0x02,
	NETPKT_BYE_TOO_MANY_MISSING = 0x03,
	NETPKT_BYE_TIMEOUT = 0x04,
	NETPKT_BYE_NOT_ESTABLISHED = 0x05,
	NETPKT_BYE_NO_PENDING = 0x06,
	NETPKT_BYE_PROTOCOL_ERROR = 0x07,
	/* host to client */
	NETPKT_BYE_TOO_MANY_SESSIONS = 0x40,
	NETPKT_BYE_AUTH_NO_PRIOR_INVITATION = 0x41,
	NETPKT_BYE_NOT_ACCEPTED = 0x42,
	NETPKT_BYE_AUTH_FAILED = 0x43,
	NETPKT_BYE_USER_NOT_FOUND = 0x44,
	NETPKT_BYE_NO_MATCHING_AUTH = 0x45,
	/* client to host */
	NETPKT_BYE_INVITATION_CANCELED = 0x80,
};

enum {
	NETPKT_RTX_ERR_UNKNOWN = 0x00,
	NETPKT_RTX_ERR_NO_DATA = 0x01, /* the sequence number is not in the buffer */
};

/* The spec's name of a command code, bye or NAK reason ("?" if none). */
const char *netpkt_code_name(unsigned code);
const char *netpkt_bye_name(unsigned reason);
const char *netpkt_nak_name(unsigned reason);

/* ---- encoder ---- */

/* A datagram being built in buf (cap bytes): init writes the signature.
 * Every put appends one whole command packet, or nothing and returns -1
 * when it would not fit (the datagram is then still valid: send it, start
 * another). Strings are cut to their limit (never inside a UTF-8
 * sequence); NULL is the empty string. */
struct netpkt_writer {
	uint8_t *buf;
	size_t cap, len;
};
int netpkt_writer_init(struct netpkt_writer *w, uint8_t *buf, size_t cap);
/* Commands in w besides the signature. */
static inline int netpkt_writer_empty(const struct netpkt_writer *w) { return w->len <= NETPKT_HDR; }
/* Bytes a command with a payload of `words` words takes. */
static inline size_t netpkt_cmd_size(size_t words) { return NETPKT_HDR + 4 * words; }

/* Any command: header then payload (n bytes, zero padded to a word). */
int netpkt_put(struct netpkt_writer *w, uint8_t code, uint8_t csd1, uint8_t csd2, const void *payload,
	       size_t n);
/* Invitation (caps), Reply Accepted / Pending (caps 0): code chooses. */
int netpkt_put_invitation(struct netpkt_writer *w, uint8_t code, uint8_t caps, const char *name,
			  const char *piid);
/* Reply Authentication Required / User Authentication Required. */
int netpkt_put_auth_required(struct netpkt_writer *w, uint8_t code, uint8_t state,
			     const uint8_t nonce[NETPKT_NONCE_LEN], const char *name, const char *piid);
int netpkt_put_inv_auth(struct netpkt_writer *w, const uint8_t digest[NETPKT_DIGEST_LEN]);
int netpkt_put_inv_user_auth(struct netpkt_writer *w, const uint8_t digest[NETPKT_DIGEST_LEN],
			     const char *user);
/* Ping or Ping Reply (code). */
int netpkt_put_ping(struct netpkt_writer *w, uint8_t code, uint32_t id);
int netpkt_put_retransmit_request(struct netpkt_writer *w, uint16_t seq, uint16_t count);
int netpkt_put_retransmit_error(struct netpkt_writer *w, uint8_t reason, uint16_t seq);
int netpkt_put_nak(struct netpkt_writer *w, uint8_t reason, uint32_t header, const char *text);
int netpkt_put_bye(struct netpkt_writer *w, uint8_t reason, const char *text);
/* Session Reset, Session Reset Reply, Bye Reply: no payload. */
int netpkt_put_empty(struct netpkt_writer *w, uint8_t code);
/* UMP Data: n words (0..255) of whole messages, host byte order. */
int netpkt_put_ump(struct netpkt_writer *w, uint16_t seq, const uint32_t *words, size_t n);

/* ---- decoder ---- */

/* One command packet of a received datagram, as on the wire. */
struct netpkt_raw {
	uint8_t code, words, csd1, csd2;
	uint32_t header;        /* the 4 header bytes as one word (for a NAK) */
	const uint8_t *payload; /* words * 4 bytes, inside the datagram */
};

/* Walks a datagram. init returns -1 if buf is not a Network MIDI 2.0
 * datagram (shorter than the signature, or another signature). next
 * returns 1 with the next command, 0 at the end, -1 when the rest of the
 * datagram is not a whole command (a header cut short, or a payload
 * longer than what is left): the rest is then dropped, as the commands
 * after it cannot be found. */
struct netpkt_reader {
	const uint8_t *buf;
	size_t len, off;
};
int netpkt_reader_init(struct netpkt_reader *r, const uint8_t *buf, size_t len);
int netpkt_next(struct netpkt_reader *r, struct netpkt_raw *c);

/* A parsed command: which fields are set depends on the code. Strings
 * point into the datagram, are not NUL-terminated, and end at the first
 * zero byte (or their field). */
struct netpkt_str {
	const char *s;
	size_t n;
};
struct netpkt_cmd {
	uint8_t code;
	uint32_t header;
	uint8_t caps;           /* Invitation */
	uint8_t auth_state;     /* Authentication Required replies */
	uint8_t reason;         /* NAK, Bye, Retransmit Error */
	uint16_t seq;           /* UMP Data, Retransmit Request / Error */
	uint16_t count;         /* Retransmit Request (0: every command from seq on) */
	uint32_t ping_id;       /* Ping, Ping Reply */
	uint32_t nak_header;    /* NAK: the header of the command refused */
	struct netpkt_str name; /* invitations and replies: UMP Endpoint Name */
	struct netpkt_str piid; /* ...: Product Instance Id */
	struct netpkt_str user; /* Invitation with User Authentication */
	struct netpkt_str text; /* NAK, Bye */
	const uint8_t *nonce;   /* NETPKT_NONCE_LEN bytes */
	const uint8_t *digest;  /* NETPKT_DIGEST_LEN bytes */
	const uint8_t *ump;     /* UMP Data: nwords big-endian words */
	size_t nwords;
};
enum {
	NETPKT_OK = 0,
	NETPKT_UNKNOWN = -1,   /* command code not in the spec: skip it (NAK Not Supported) */
	NETPKT_MALFORMED = -2, /* length or content wrong: NAK Command Malformed */
};
/* Parse one command: NETPKT_OK, NETPKT_UNKNOWN or NETPKT_MALFORMED.
 * A UMP Data payload must be whole messages (the message type of each
 * first word tells its size). Longer payloads than a command needs are
 * accepted (what is past the fields is ignored), shorter ones are not. */
int netpkt_parse(const struct netpkt_raw *raw, struct netpkt_cmd *c);
/* Word i of a parsed UMP Data payload, in host byte order. */
uint32_t netpkt_ump_word(const struct netpkt_cmd *c, size_t i);

#endif
