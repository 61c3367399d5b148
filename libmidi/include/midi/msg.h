/* msg.h: the UMP message model. Every message type (MT 0x0-0xF) decodes
 * into a tagged struct (midi_msg) and encodes back; builders make single
 * packets; midi_ump_describe gives a one-line human description of any
 * packet; UMP Stream helpers build and parse discovery messages.
 *
 * Layouts follow the M2-104-UM UMP and MIDI 2.0 Protocol specification
 * v1.1. Groups and channels are wire values 0-15. Decoding never fails: a
 * reserved MT or status decodes as MIDI_MSG_UNKNOWN. midi_msg_encode of a
 * decoded packet gives the packet back exactly when its reserved bits are
 * zero (midi_msg_is_canonical tells). */
#ifndef MIDI_MSG_H
#define MIDI_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "midi/error.h"
#include "midi/ump.h"

enum midi_msg_kind {
	MIDI_MSG_UNKNOWN = 0,     /* reserved MT or status: see the raw words */
	/* MT0 utility */
	MIDI_MSG_NOOP,
	MIDI_MSG_JR_CLOCK,        /* u.value: sender clock time, 16 bits */
	MIDI_MSG_JR_TIMESTAMP,    /* u.value: timestamp, 16 bits */
	MIDI_MSG_DCTPQ,           /* u.value: Delta Clockstamp Ticks Per Quarter Note, 16 bits */
	MIDI_MSG_DELTA_CLOCKSTAMP,/* u.value: ticks since last event, 20 bits */
	/* MT1 system common / real time (u.value: data as below) */
	MIDI_MSG_MTC_QUARTER,     /* F1: u.value quarter frame data byte 0-127 */
	MIDI_MSG_SONG_POSITION,   /* F2: u.value 0-16383 */
	MIDI_MSG_SONG_SELECT,     /* F3: u.value 0-127 */
	MIDI_MSG_TUNE_REQUEST,    /* F6 */
	MIDI_MSG_CLOCK,           /* F8 */
	MIDI_MSG_START,           /* FA */
	MIDI_MSG_CONTINUE,        /* FB */
	MIDI_MSG_STOP,            /* FC */
	MIDI_MSG_ACTIVE_SENSING,  /* FE */
	MIDI_MSG_RESET,           /* FF */
	/* MT2 (protocol 1) and MT4 (protocol 2) channel voice */
	MIDI_MSG_NOTE_OFF,        /* u.note */
	MIDI_MSG_NOTE_ON,         /* u.note */
	MIDI_MSG_POLY_PRESSURE,   /* u.note_value */
	MIDI_MSG_CONTROL_CHANGE,  /* u.ctrl (index, value) */
	MIDI_MSG_PROGRAM_CHANGE,  /* u.program */
	MIDI_MSG_CHANNEL_PRESSURE,/* u.value */
	MIDI_MSG_PITCH_BEND,      /* u.value: MT2 0-16383, MT4 32 bits */
	/* MT4 only */
	MIDI_MSG_PN_REGISTERED,   /* per-note registered controller: u.ctrl (note, index) */
	MIDI_MSG_PN_ASSIGNABLE,   /* per-note assignable controller: u.ctrl (note, index) */
	MIDI_MSG_REGISTERED,      /* registered controller (RPN): u.ctrl (bank, index) */
	MIDI_MSG_ASSIGNABLE,      /* assignable controller (NRPN): u.ctrl (bank, index) */
	MIDI_MSG_REL_REGISTERED,  /* relative registered: u.ctrl, value is a two's complement int32 */
	MIDI_MSG_REL_ASSIGNABLE,  /* relative assignable: u.ctrl, value signed */
	MIDI_MSG_PN_PITCH_BEND,   /* u.note_value */
	MIDI_MSG_PN_MANAGEMENT,   /* u.pn_mgmt */
	/* MT3 */
	MIDI_MSG_SYSEX7,          /* u.sysex7 */
	/* MT5 */
	MIDI_MSG_SYSEX8,          /* u.sysex8 */
	MIDI_MSG_MDS_HEADER,      /* u.mds_header */
	MIDI_MSG_MDS_PAYLOAD,     /* u.mds_payload */
	/* MTD flex data (u.flex; status bank and status say which) */
	MIDI_MSG_FLEX_TEMPO,
	MIDI_MSG_FLEX_TIME_SIGNATURE,
	MIDI_MSG_FLEX_METRONOME,
	MIDI_MSG_FLEX_KEY_SIGNATURE,
	MIDI_MSG_FLEX_CHORD_NAME,
	MIDI_MSG_FLEX_TEXT,       /* status bank 0x01 metadata or 0x02 performance text */
	MIDI_MSG_FLEX_OTHER,      /* any other bank/status: raw data words in u.flex.data */
	/* MTF UMP stream (u.stream) */
	MIDI_MSG_EP_DISCOVERY,
	MIDI_MSG_EP_INFO,
	MIDI_MSG_DEVICE_IDENTITY,
	MIDI_MSG_EP_NAME,
	MIDI_MSG_PRODUCT_INSTANCE_ID,
	MIDI_MSG_STREAM_CONFIG_REQUEST,
	MIDI_MSG_STREAM_CONFIG_NOTIFY,
	MIDI_MSG_FB_DISCOVERY,
	MIDI_MSG_FB_INFO,
	MIDI_MSG_FB_NAME,
	MIDI_MSG_START_OF_CLIP,
	MIDI_MSG_END_OF_CLIP,
	MIDI_MSG_KIND_COUNT
};

/* Forms of multi-packet messages (SysEx7, SysEx8, Flex Data, stream names). */
enum midi_form {
	MIDI_FORM_COMPLETE = 0,
	MIDI_FORM_START = 1,
	MIDI_FORM_CONTINUE = 2,
	MIDI_FORM_END = 3,
};

/* Form of packet k (0-based) of a message sent as n packets. */
static inline unsigned midi_form_of(size_t k, size_t n)
{
	return n == 1 ? MIDI_FORM_COMPLETE
	       : k == 0 ? MIDI_FORM_START
	       : k + 1 == n ? MIDI_FORM_END : MIDI_FORM_CONTINUE;
}

/* UMP stream statuses (10 bits). */
enum midi_stream_status {
	MIDI_STREAM_EP_DISCOVERY = 0x00,
	MIDI_STREAM_EP_INFO = 0x01,
	MIDI_STREAM_DEVICE_IDENTITY = 0x02,
	MIDI_STREAM_EP_NAME = 0x03,
	MIDI_STREAM_PRODUCT_INSTANCE_ID = 0x04,
	MIDI_STREAM_CONFIG_REQUEST = 0x05,
	MIDI_STREAM_CONFIG_NOTIFY = 0x06,
	MIDI_STREAM_FB_DISCOVERY = 0x10,
	MIDI_STREAM_FB_INFO = 0x11,
	MIDI_STREAM_FB_NAME = 0x12,
	MIDI_STREAM_START_OF_CLIP = 0x20,
	MIDI_STREAM_END_OF_CLIP = 0x21,
};

/* Endpoint Discovery filter bits. */
#define MIDI_DISCOVER_EP_INFO 0x01
#define MIDI_DISCOVER_DEVICE_IDENTITY 0x02
#define MIDI_DISCOVER_EP_NAME 0x04
#define MIDI_DISCOVER_PRODUCT_INSTANCE_ID 0x08
#define MIDI_DISCOVER_STREAM_CONFIG 0x10
#define MIDI_DISCOVER_ALL 0x1F
/* Function Block Discovery filter bits; fb 0xFF asks for every block. */
#define MIDI_DISCOVER_FB_INFO 0x01
#define MIDI_DISCOVER_FB_NAME 0x02
#define MIDI_FB_ALL 0xFF

/* Name length limits (bytes, UTF-8, no NUL) and bytes per packet. */
#define MIDI_STREAM_EP_NAME_MAX 98
#define MIDI_STREAM_PIID_MAX 42
#define MIDI_STREAM_FB_NAME_MAX 91

typedef struct midi_msg {
	uint8_t kind;      /* enum midi_msg_kind */
	uint8_t mt;        /* message type 0-15 */
	uint8_t group;     /* 0-15; 0 for MT0 and MTF */
	uint8_t channel;   /* 0-15 for channel voice and channel-addressed flex data */
	uint8_t protocol;  /* channel voice: 1 = MIDI 1.0 (MT2), 2 = MIDI 2.0 (MT4); else 0 */
	uint8_t status;    /* MT1 status byte, MT2/MT4 opcode nibble, MT0/MT3/MT5 status nibble */
	union {
		uint32_t value; /* utility, system, channel pressure, pitch bend */
		struct {
			uint8_t note;
			uint8_t attr_type;    /* MT4 only */
			uint16_t attr_data;   /* MT4 only */
			uint16_t velocity;    /* MT2 0-127, MT4 0-65535 */
		} note;
		struct {
			uint8_t note;
			uint32_t value;       /* MT2 0-127, MT4 32 bits */
		} note_value;             /* poly pressure, per-note pitch bend */
		struct {
			uint8_t note;         /* per-note controllers */
			uint8_t bank;         /* registered/assignable: bank 0-127 */
			uint8_t index;        /* CC number 0-127, controller index */
			uint32_t value;       /* MT2 0-127, MT4 32 bits */
		} ctrl;
		struct {
			uint8_t program;      /* 0-127 */
			uint8_t bank_valid;   /* MT4 only */
			uint8_t bank_msb, bank_lsb;
		} program;
		struct {
			uint8_t note, detach, reset;
		} pn_mgmt;
		struct {
			uint8_t form;         /* enum midi_form */
			uint8_t len;          /* 0-6 */
			uint8_t data[6];
		} sysex7;
		struct {
			uint8_t form;
			uint8_t stream_id;
			uint8_t len;          /* data bytes after the stream id, 0-13 */
			uint8_t data[13];
		} sysex8;
		struct {
			uint8_t mds_id;       /* 0-15 */
			uint16_t bytes;       /* valid bytes in this chunk */
			uint16_t chunks, chunk;
			uint16_t manufacturer, device;
			uint16_t sub_id1, sub_id2;
		} mds_header;
		struct {
			uint8_t mds_id;
			uint8_t data[14];
		} mds_payload;
		struct {
			uint8_t form;         /* enum midi_form */
			uint8_t address;      /* 0 channel, 1 group */
			uint8_t bank;         /* status bank */
			uint8_t status;
			uint32_t tempo;       /* set tempo: 10 ns units per quarter note */
			uint8_t numerator, denominator, n32; /* time signature: denominator as power of 2 */
			uint8_t clicks;       /* metronome: clocks per primary click */
			uint8_t accent[3];    /* metronome: bar accent parts 1-3 */
			uint8_t subdiv[2];    /* metronome: subdivision clicks 1-2 */
			int8_t sharps_flats;  /* key signature: -8..7; chord: tonic accidental */
			uint8_t tonic;        /* key signature / chord tonic note 0-15 */
			uint8_t chord_type;
			uint8_t alter[4];     /* chord alterations: type << 4 | degree */
			int8_t bass_sharps_flats;
			uint8_t bass_note, bass_type;
			uint8_t bass_alter[2];
			uint8_t text_len;     /* text banks: bytes 0-12 (trailing NULs dropped) */
			char text[13];        /* NUL-terminated */
			uint32_t data[3];     /* the raw data words, always */
		} flex;
		struct {
			uint8_t form;         /* enum midi_form (names) */
			uint16_t status;      /* enum midi_stream_status */
			uint8_t ver_major, ver_minor;  /* discovery, endpoint info */
			uint8_t filter;       /* endpoint / function block discovery */
			uint8_t num_fbs, static_fbs;   /* endpoint info */
			uint8_t midi1, midi2;          /* endpoint info: protocols supported */
			uint8_t protocol;     /* stream configuration: 1 MIDI 1.0, 2 MIDI 2.0 */
			uint8_t rxjr, txjr;   /* endpoint info, stream configuration */
			uint8_t manufacturer[3];       /* device identity */
			uint16_t family, model;        /* 14-bit values */
			uint8_t version[4];
			uint8_t fb;           /* function block number (discovery 0xFF = all) */
			uint8_t fb_active, fb_direction, fb_midi1, fb_ui_hint;
			uint8_t fb_first_group, fb_groups, fb_ci_version, fb_sysex8_streams;
			uint8_t len;          /* name bytes in this packet: 0-14 (FB name 0-13) */
			char text[15];        /* NUL-terminated name chunk */
		} stream;
	} u;
} midi_msg;

/* Decode any packet (never fails; reserved ones give MIDI_MSG_UNKNOWN). */
void midi_msg_decode(const midi_ump *p, midi_msg *m);
/* Encode a message. Returns 0, or -MIDI_ERR_INPUT when m->kind is
 * MIDI_MSG_UNKNOWN or a field is out of its range (*out left zeroed). */
int midi_msg_encode(const midi_msg *m, midi_ump *out);
/* 1 when encode(decode(p)) == p (a known message with zero reserved bits
 * and words beyond the packet size zero). */
int midi_msg_is_canonical(const midi_ump *p);

/* Names: "note_on" (JSON type names) and "Note On" (people). */
const char *midi_msg_kind_name(unsigned kind);
const char *midi_msg_kind_title(unsigned kind);

/* One-line human description of any packet, words included for unknown
 * ones. Always NUL-terminates (n > 0); returns the length it wanted, as
 * snprintf does. */
int midi_ump_describe(const midi_ump *p, char *buf, size_t n);

/* Note names: 60 = "C3" (C-2 = 0, G8 = 127), sharps. buf >= 5 bytes. */
const char *midi_note_name(unsigned note, char *buf);
/* Parse "C3", "c#3", "Db-1", ... into 0-127. Returns 0 or -MIDI_ERR_INPUT. */
int midi_note_parse(const char *s, size_t len, unsigned *note);

/* ---- builders (arguments are masked to their field widths) ---- */
midi_ump midi_ump_noop(void);
midi_ump midi_ump_jr_clock(unsigned time16);
midi_ump midi_ump_jr_timestamp(unsigned time16);
midi_ump midi_ump_dctpq(unsigned ticks_per_quarter);
midi_ump midi_ump_delta_clockstamp(unsigned ticks20);

/* MT1: status F1-FF; d1, d2 data bytes (F2 song position: use midi_ump_song_position). */
midi_ump midi_ump_system(unsigned group, unsigned status, unsigned d1, unsigned d2);
midi_ump midi_ump_song_position(unsigned group, unsigned beats14);

/* MT2 MIDI 1.0 channel voice. */
midi_ump midi_ump_m1_note_off(unsigned group, unsigned ch, unsigned note, unsigned vel);
midi_ump midi_ump_m1_note_on(unsigned group, unsigned ch, unsigned note, unsigned vel);
midi_ump midi_ump_m1_poly_pressure(unsigned group, unsigned ch, unsigned note, unsigned v);
midi_ump midi_ump_m1_cc(unsigned group, unsigned ch, unsigned index, unsigned v);
midi_ump midi_ump_m1_program(unsigned group, unsigned ch, unsigned program);
midi_ump midi_ump_m1_channel_pressure(unsigned group, unsigned ch, unsigned v);
midi_ump midi_ump_m1_pitch_bend(unsigned group, unsigned ch, unsigned v14);

/* MT4 MIDI 2.0 channel voice. */
midi_ump midi_ump_m2_note_off(unsigned group, unsigned ch, unsigned note, unsigned vel16,
			      unsigned attr_type, unsigned attr_data);
midi_ump midi_ump_m2_note_on(unsigned group, unsigned ch, unsigned note, unsigned vel16,
			     unsigned attr_type, unsigned attr_data);
midi_ump midi_ump_m2_poly_pressure(unsigned group, unsigned ch, unsigned note, uint32_t v);
midi_ump midi_ump_m2_cc(unsigned group, unsigned ch, unsigned index, uint32_t v);
midi_ump midi_ump_m2_program(unsigned group, unsigned ch, unsigned program, int bank_valid,
			     unsigned bank_msb, unsigned bank_lsb);
midi_ump midi_ump_m2_channel_pressure(unsigned group, unsigned ch, uint32_t v);
midi_ump midi_ump_m2_pitch_bend(unsigned group, unsigned ch, uint32_t v);
/* opcode 0x0 per-note registered, 0x1 per-note assignable: (note, index);
 * 0x2 registered, 0x3 assignable, 0x4/0x5 relative: (bank, index). */
midi_ump midi_ump_m2_controller(unsigned group, unsigned ch, unsigned opcode, unsigned hi,
				unsigned lo, uint32_t v);
midi_ump midi_ump_m2_pn_pitch_bend(unsigned group, unsigned ch, unsigned note, uint32_t v);
midi_ump midi_ump_m2_pn_management(unsigned group, unsigned ch, unsigned note, int detach,
				   int reset);

/* MT3: one SysEx7 packet (len 0-6). */
midi_ump midi_ump_sysex7(unsigned group, unsigned form, const uint8_t *data, unsigned len);
/* MT5: one SysEx8 packet (len 0-13 data bytes after the stream id). */
midi_ump midi_ump_sysex8(unsigned group, unsigned form, unsigned stream_id, const uint8_t *data,
			 unsigned len);

/* MTD flex data with a text status (bank 0x01 or 0x02): the text into
 * packets of 12 bytes with the right forms (at least one packet). Returns
 * the packet count, or -MIDI_ERR_INPUT when max is too small. */
int midi_flex_text(unsigned group, unsigned address, unsigned ch, unsigned bank,
		   unsigned status, const char *text, size_t len, midi_ump *out, size_t max);
midi_ump midi_ump_flex_tempo(unsigned group, uint32_t ten_ns_per_quarter);

/* ---- UMP Stream (MTF): discovery and its replies ---- */
midi_ump midi_stream_ep_discovery(unsigned ver_major, unsigned ver_minor, unsigned filter);
/* Endpoint Info Notification. */
typedef struct midi_stream_ep_info {
	uint8_t ver_major, ver_minor;  /* UMP version, 1.1 */
	uint8_t num_fbs;               /* 0-32 */
	uint8_t static_fbs;
	uint8_t midi1, midi2;          /* protocols supported */
	uint8_t rxjr, txjr;
} midi_stream_ep_info;
midi_ump midi_stream_ep_info_build(const midi_stream_ep_info *info);
/* Returns 0, or -MIDI_ERR_INPUT when p is not an Endpoint Info Notification.
 * The other *_parse functions below follow the same rule. */
int midi_stream_ep_info_parse(const midi_ump *p, midi_stream_ep_info *info);

typedef struct midi_stream_identity {
	uint8_t manufacturer[3];       /* SysEx id; a 1-byte id is {id, 0, 0} */
	uint16_t family, model;        /* 14 bits */
	uint8_t version[4];            /* 7 bits each */
} midi_stream_identity;
midi_ump midi_stream_identity_build(const midi_stream_identity *id);
int midi_stream_identity_parse(const midi_ump *p, midi_stream_identity *id);

/* Stream Configuration Request (request != 0) or Notification. */
midi_ump midi_stream_config(int request, unsigned protocol, int rxjr, int txjr);
midi_ump midi_stream_fb_discovery(unsigned fb, unsigned filter);

/* Function Block Info Notification; fields as in midi_function_block of
 * endpoint.h but free of it: */
typedef struct midi_stream_fb_info {
	uint8_t index;         /* 0-31 */
	uint8_t active;
	uint8_t direction;     /* 1 input, 2 output, 3 bidirectional */
	uint8_t midi1;         /* 0 not MIDI 1.0, 1 MIDI 1.0, 2 MIDI 1.0 restricted to 31.25 kb/s */
	uint8_t ui_hint;       /* 0 unknown, 1 receiver, 2 sender, 3 both */
	uint8_t first_group;   /* 0-15 */
	uint8_t num_groups;    /* 1-16 */
	uint8_t ci_version;
	uint8_t sysex8_streams;
} midi_stream_fb_info;
midi_ump midi_stream_fb_info_build(const midi_stream_fb_info *fb);
int midi_stream_fb_info_parse(const midi_ump *p, midi_stream_fb_info *fb);

/* Name series: status MIDI_STREAM_EP_NAME (98 bytes max, 14 per packet),
 * MIDI_STREAM_PRODUCT_INSTANCE_ID (42, 14 per packet) or MIDI_STREAM_FB_NAME
 * (91, 13 per packet; fb = block number). The string is cut to the limit
 * (never inside a UTF-8 sequence); forms are Complete, or Start, Continue...,
 * End. Returns the packet count (1-7; an empty string gives one Complete
 * packet), or -MIDI_ERR_INPUT for another status or when max is too small
 * (7 always suffices). */
int midi_stream_name_build(unsigned status, unsigned fb, const char *s, midi_ump *out, size_t max);

/* Reassembly of a name series. Feed every stream packet: returns 1 when a
 * name is complete (in a->text, NUL-terminated, a->status and a->fb say
 * whose), 0 when more is needed or the packet is not a name packet,
 * -MIDI_ERR_INPUT on a protocol error (Continue/End without Start; the
 * series is dropped). */
typedef struct midi_stream_name_asm {
	uint16_t status;       /* of the name in progress or completed */
	uint8_t fb;
	uint8_t active;
	size_t len;
	char text[MIDI_STREAM_EP_NAME_MAX + 1];
} midi_stream_name_asm;
void midi_stream_name_asm_init(midi_stream_name_asm *a);
int midi_stream_name_asm_put(midi_stream_name_asm *a, const midi_ump *p);

#endif
