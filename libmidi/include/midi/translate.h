/* translate.h: streaming translators between MIDI 1.0 byte streams, UMP
 * MIDI 1.0 protocol (MT2) and UMP MIDI 2.0 protocol (MT4), value scaling,
 * SysEx chunking and reassembly. Every translator is a small state struct
 * the caller owns (no allocation), fed any split of its input, with the
 * edge policies midi_translate(3) states. Callbacks returning non-zero stop the
 * feed and that value is returned. The struct fields are private. */
#ifndef MIDI_TRANSLATE_H
#define MIDI_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>

#include "midi/error.h"
#include "midi/ump.h"

/* ---- value scaling (MIDI 2.0 spec min-center-max rule) ---- */
uint32_t midi_scale_up(uint32_t v, unsigned src_bits, unsigned dst_bits);
uint32_t midi_scale_down(uint32_t v, unsigned src_bits, unsigned dst_bits);

/* ---- MIDI 1.0 byte stream -> UMP (MT1, MT2, MT3) ---- */
typedef struct midi_b2u {
	uint8_t group;        /* 0-15 */
	uint8_t status;       /* status whose data bytes are awaited: a channel
	                       * status stays in force after its message
	                       * (running status), a System Common one does not;
	                       * 0 if none */
	uint8_t ndata, need;  /* data bytes collected / needed */
	uint8_t data[2];
	uint8_t in_sysex;     /* inside F0 ... */
	uint8_t sx_started;   /* a Start packet has gone out for this SysEx */
	uint8_t nsx;          /* bytes held in sx */
	uint8_t sx[6];
} midi_b2u;
void midi_b2u_init(midi_b2u *s, unsigned group);
int midi_b2u_feed(midi_b2u *s, const uint8_t *b, size_t n, midi_ump_cb cb, void *ctx);
/* End of input. A SysEx still open is ended (as if F7 came) and *truncated
 * (if not NULL) set to 1; an incomplete channel or System Common message is
 * dropped and *truncated set to 1; otherwise *truncated is set to 0. Running
 * status is forgotten; the translator can be fed again. */
int midi_b2u_end(midi_b2u *s, midi_ump_cb cb, void *ctx, int *truncated);

/* ---- UMP -> MIDI 1.0 byte stream (inverse of the above; MT4 is first
 * translated to MIDI 1.0 protocol). ---- */
typedef struct midi_u2b {
	uint64_t dropped;
} midi_u2b;
void midi_u2b_init(midi_u2b *s);
/* Packets that had no byte-stream form so far. */
uint64_t midi_u2b_dropped(const midi_u2b *s);
/* Bytes for one packet into out (cap >= 16 always suffices). Returns the
 * byte count (0 when the packet has no byte form: MT0, MT5, MTD, MTF,
 * reserved, untranslatable MT4; such packets are counted: see
 * midi_u2b_dropped), or -MIDI_ERR_INPUT if cap is too small for the
 * packet's bytes (at most 12). */
int midi_u2b_put(midi_u2b *s, const midi_ump *p, uint8_t *out, size_t cap);

/* ---- MIDI 1.0 protocol (MT2) -> MIDI 2.0 protocol (MT4), stateful ---- */
typedef struct midi_up_chan {
	uint8_t bank_msb, bank_lsb, bank_pending;
	uint8_t sel_kind;     /* 0 none, 1 RPN, 2 NRPN */
	uint8_t sel_msb, sel_lsb;
	uint8_t sel_valid_msb, sel_valid_lsb;
	uint8_t data_msb, data_msb_valid, data_msb_waiting;
} midi_up_chan;
typedef struct midi_up {
	midi_up_chan ch[16][16]; /* [group][channel] */
} midi_up;
void midi_up_init(midi_up *s);
/* MT2 becomes 0 or 1 MT4 packet (a waiting Data Entry MSB may come out
 * first); every other MT passes unchanged (a waiting MSB on that group and
 * channel is not affected by other groups). */
int midi_up_put(midi_up *s, const midi_ump *in, midi_ump_cb cb, void *ctx);
/* End of stream: every waiting Data Entry MSB goes out with LSB 0. */
int midi_up_end(midi_up *s, midi_ump_cb cb, void *ctx);

/* ---- MIDI 2.0 protocol (MT4) -> MIDI 1.0 protocol (MT2), stateless ---- */
typedef struct midi_down {
	uint64_t dropped;
} midi_down;
void midi_down_init(midi_down *s);
/* MT4 messages with no MIDI 1.0 form dropped so far. */
uint64_t midi_down_dropped(const midi_down *s);
/* MT4 becomes 0-4 MT2 packets; other MTs pass unchanged. */
int midi_down_put(midi_down *s, const midi_ump *in, midi_ump_cb cb, void *ctx);

/* ---- SysEx ---- */
/* SysEx7 payload (no F0/F7, bytes 0-0x7F; higher bits are cleared) into MT3
 * packets of up to 6 bytes (n == 0 gives one empty Complete). */
int midi_sysex7_chunk(unsigned group, const uint8_t *data, size_t n, midi_ump_cb cb, void *ctx);
/* The same into out[0..max-1]: the packet count (n / 6 rounded up, at
 * least 1), or -MIDI_ERR_INPUT when max is too small. */
int midi_sysex7_packets(unsigned group, const uint8_t *data, size_t n, midi_ump *out, size_t max);
/* SysEx8 payload into MT5 packets of up to 13 bytes (stream id first). */
int midi_sysex8_chunk(unsigned group, unsigned stream_id, const uint8_t *data, size_t n,
		      midi_ump_cb cb, void *ctx);

/* The SysEx form of one packet. */
typedef struct midi_sysex_part {
	uint8_t kind;         /* 7: SysEx7 (MT3), 8: SysEx8 (MT5) */
	uint8_t form;         /* enum midi_form (msg.h): Complete, Start, Continue, End */
	uint8_t group;        /* 0-15 */
	uint8_t stream_id;    /* SysEx8 only (every SysEx8 packet carries it) */
	uint8_t len;          /* bytes in data: 0-6 (SysEx7), 0-13 (SysEx8) */
	uint8_t data[13];     /* data[0..len-1]: the payload bytes of this packet
	                       * (no stream id); the rest is unspecified */
} midi_sysex_part;
/* 7 for a SysEx7 packet (MT3, status 0-3), 8 for a SysEx8 packet (MT5,
 * status 0-3), 0 for anything else (Mixed Data Set included). */
int midi_ump_sysex_kind(const midi_ump *p);
/* Decode a SysEx packet into *out: 0, or -MIDI_ERR_INPUT when p is not
 * SysEx or its byte count is out of range (more than 6; SysEx8: 0 or more
 * than 14 with the stream id). */
int midi_sysex_part_of(const midi_ump *p, midi_sysex_part *out);

/* Reassembles SysEx7 (MT3) and SysEx8 (MT5 status 0-3) per group. */
typedef struct midi_sysex_asm {
	uint8_t *buf[16];     /* per group, malloc'd */
	size_t len[16], cap[16];
	uint8_t active[16];   /* 0 idle, 7 or 8 while a message is open */
	size_t max;           /* largest message accepted (0 = 16 MiB) */
} midi_sysex_asm;
void midi_sysex_asm_init(midi_sysex_asm *a);
void midi_sysex_asm_free(midi_sysex_asm *a);
/* Feed a packet. Returns 1 when a message completed on group *group (its
 * payload in *data and *len until the next call; *kind 7 or 8; for SysEx8 the
 * stream id is data[0], taken from the Start or Complete packet), 0 when
 * more is needed or the packet is not SysEx (Mixed Data Set included),
 * -MIDI_ERR_INPUT on a protocol error (Continue/End with no Start of the same kind, a byte
 * count out of range, longer than max, out of memory), after which that
 * group's state is reset. A Start or Complete arriving while a message is
 * open abandons the open one. */
int midi_sysex_asm_put(midi_sysex_asm *a, const midi_ump *p, unsigned *group, unsigned *kind,
		       const uint8_t **data, size_t *len);

#endif
