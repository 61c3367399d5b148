/* ump.h: the Universal MIDI Packet as a value type, the message-type table
 * and small accessors. Builders, decoders and descriptions are in msg.h.
 *
 * A packet is 1 to 4 32-bit words; its size follows from the message type
 * (MT, the top nibble of word 0). Unused words are kept 0. Groups and
 * channels are wire values 0-15 throughout the library; only text meant for
 * people numbers them 1-16. */
#ifndef MIDI_UMP_H
#define MIDI_UMP_H

#include <stdint.h>

typedef struct midi_ump {
	uint32_t w[4];
} midi_ump;

/* A packet with a time: CLOCK_MONOTONIC nanoseconds when received or when
 * due (0 = now). Readers of input formats set it to an offset in ns from
 * the start of the input instead (0 when the input gives no timing). */
typedef struct midi_packet {
	uint64_t time_ns;
	midi_ump ump;
} midi_packet;

/* Callback receiving packets one at a time; return non-zero to stop. */
typedef int (*midi_ump_cb)(void *ctx, const midi_ump *p);

enum midi_mt {
	MIDI_MT_UTILITY = 0x0,    /* 1 word: NOOP, JR Clock/Timestamp, Delta Clockstamp */
	MIDI_MT_SYSTEM = 0x1,     /* 1 word: System Common / Real Time */
	MIDI_MT_MIDI1_CV = 0x2,   /* 1 word: MIDI 1.0 channel voice */
	MIDI_MT_DATA64 = 0x3,     /* 2 words: SysEx7 */
	MIDI_MT_MIDI2_CV = 0x4,   /* 2 words: MIDI 2.0 channel voice */
	MIDI_MT_DATA128 = 0x5,    /* 4 words: SysEx8 and Mixed Data Set */
	MIDI_MT_RESERVED6 = 0x6,  /* 1 word */
	MIDI_MT_RESERVED7 = 0x7,  /* 1 word */
	MIDI_MT_RESERVED8 = 0x8,  /* 2 words */
	MIDI_MT_RESERVED9 = 0x9,  /* 2 words */
	MIDI_MT_RESERVEDA = 0xA,  /* 2 words */
	MIDI_MT_RESERVEDB = 0xB,  /* 3 words */
	MIDI_MT_RESERVEDC = 0xC,  /* 3 words */
	MIDI_MT_FLEX = 0xD,       /* 4 words: Flex Data */
	MIDI_MT_RESERVEDE = 0xE,  /* 4 words */
	MIDI_MT_STREAM = 0xF,     /* 4 words: UMP Stream */
};

/* Words in a packet of message type mt (0-15): 1,1,1,2,2,4,1,1,2,2,2,3,3,4,4,4. */
static inline unsigned midi_mt_words(unsigned mt)
{
	static const unsigned char n[16] = {1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4};
	return n[mt & 0xF];
}
static inline unsigned midi_ump_mt(const midi_ump *p) { return p->w[0] >> 28; }
static inline unsigned midi_ump_words(const midi_ump *p) { return midi_mt_words(p->w[0] >> 28); }
/* Group (0-15) for every MT that has one (all but 0x0 utility and 0xF stream). */
static inline unsigned midi_ump_group(const midi_ump *p) { return (p->w[0] >> 24) & 0xF; }
static inline int midi_ump_has_group(const midi_ump *p)
{
	unsigned mt = midi_ump_mt(p);
	return mt != MIDI_MT_UTILITY && mt != MIDI_MT_STREAM;
}
/* Status byte of MT1/MT2/MT4 (MT2/MT4: high nibble = opcode, low = channel). */
static inline unsigned midi_ump_status(const midi_ump *p) { return (p->w[0] >> 16) & 0xFF; }
static inline unsigned midi_ump_channel(const midi_ump *p) { return (p->w[0] >> 16) & 0xF; }
static inline int midi_ump_is_channel_voice(const midi_ump *p)
{
	unsigned mt = midi_ump_mt(p);
	return mt == MIDI_MT_MIDI1_CV || mt == MIDI_MT_MIDI2_CV;
}
/* Build a packet from words; unused words zeroed. */
static inline midi_ump midi_ump_make(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3)
{
	midi_ump p = {{w0, w1, w2, w3}};
	unsigned n = midi_mt_words(w0 >> 28);
	for (unsigned i = n; i < 4; i++)
		p.w[i] = 0;
	return p;
}

#endif
