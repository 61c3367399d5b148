/* usbmidi.h: the USB MIDI class codecs (1.0 event packets <-> UMP, 2.0
 * UMP words <-> bytes) and the MIDIStreaming and Group Terminal Block
 * descriptor parsers, all pure (no libusb): usbmidi.c, usbump.c and
 * usbdesc.c. The usb transport (usb*.c) uses them; unit tests and the
 * fuzz target call them directly.
 *
 * Event packets are 4 bytes: cable number << 4 | Code Index Number, then
 * up to 3 MIDI bytes, zero padded. Cable N is UMP group N both ways. */
#ifndef MIDI_USBMIDI_H
#define MIDI_USBMIDI_H

#include <stddef.h>
#include <stdint.h>

#include "midi/translate.h"
#include "midi/ump.h"

/* ---- device -> host: event packets -> UMP (MT1, MT2, MT3) ---- */
typedef struct usbmidi_dec {
	midi_b2u cable[16];
	uint64_t padding;   /* all-zero packets skipped */
	uint64_t reserved;  /* CIN 0 / 1 packets (reserved) skipped */
	uint64_t partial;   /* bytes of a transfer that was not a whole packet */
} usbmidi_dec;
void usbmidi_dec_init(usbmidi_dec *d);
/* MIDI bytes a packet with this Code Index Number carries (0 if reserved). */
unsigned usbmidi_cin_len(unsigned cin);
/* Translate one transfer's worth of packets (n bytes; a trailing part of
 * less than 4 bytes is counted in partial and ignored). Packets give UMP
 * through the library's byte-stream translator, one per cable, so SysEx
 * continues across packets and transfers. Returns 0 or what cb returned
 * (non-zero stops). */
int usbmidi_dec_feed(usbmidi_dec *d, const uint8_t *buf, size_t n, midi_ump_cb cb, void *ctx);

/* ---- host -> device: UMP -> event packets ---- */
#define USBMIDI_ENC_MAX 32 /* bytes one UMP packet can need (8 event packets) */
typedef struct usbmidi_enc {
	uint8_t in_sysex[16]; /* per cable: an F0 went out, no F7 yet */
	uint8_t npend[16];    /* SysEx bytes held (0-2): a packet goes out at 3 */
	uint8_t pend[16][2];
	uint64_t dropped;     /* packets with no MIDI 1.0 form (MT0, MT5, ...) */
} usbmidi_enc;
void usbmidi_enc_init(usbmidi_enc *e);
/* Event packets for one UMP packet into out (cap >= USBMIDI_ENC_MAX always
 * suffices). Returns the byte count (a multiple of 4, 0 when the packet
 * has none yet or no MIDI 1.0 form), or -1 if cap is too small, in which
 * case nothing changed (offer the packet again with more room). SysEx
 * bytes go out three to a packet (CIN 4) as they come, the last one to
 * three with F7 as CIN 5 / 6 / 7; a status other than real-time inside a
 * SysEx of the same cable ends it (F7 added), as the byte-stream
 * translator does. */
int usbmidi_enc_put(usbmidi_enc *e, const midi_ump *p, uint8_t *out, size_t cap);

/* ---- USB MIDI 2.0 (alternate setting 1): UMP words ----
 * Each 32-bit word is sent least significant byte first (USB byte order),
 * words of a packet in order; a packet may continue in the next transfer. */
typedef struct usbump_dec {
	uint32_t w[4];
	unsigned have, need; /* words of the packet being assembled */
	uint64_t noop;       /* NOOP words (0x00000000, padding) skipped */
	uint64_t partial;    /* bytes of a transfer that was not a whole word */
} usbump_dec;
void usbump_dec_init(usbump_dec *d);
/* Packets from one transfer's bytes (n); a trailing part of less than 4
 * bytes is counted in partial and ignored. Returns 0 or what cb returned
 * (non-zero stops). */
int usbump_dec_feed(usbump_dec *d, const uint8_t *buf, size_t n, midi_ump_cb cb, void *ctx);
/* One packet's words as bytes into out: returns the byte count (4-16), or
 * -1 if cap is too small. */
int usbump_enc_put(const midi_ump *p, uint8_t *out, size_t cap);

/* ---- configuration descriptor -> MIDIStreaming interfaces ---- */
#define USBMIDI_MAX_EPS 8
#define USBMIDI_MAX_JACKS 32

struct usbmidi_jack {
	uint8_t id;
	uint8_t type;    /* 1 embedded, 2 external */
	uint8_t out;     /* 0 MIDI IN jack, 1 MIDI OUT jack */
	uint8_t ijack;   /* string index of its name (0 none) */
	uint8_t nsrc;    /* an OUT jack's sources (jack ids) */
	uint8_t src[4];
};

struct usbmidi_ep {
	uint8_t addr;     /* bit 7: IN (device -> host) */
	uint8_t attr;     /* transfer type in bits 0-1: 2 bulk, 3 interrupt */
	uint16_t maxpkt;
	uint8_t interval;
	uint8_t ncables;  /* embedded jacks of the class endpoint descriptor
			     (MIDI 2.0: Group Terminal Blocks) */
	uint8_t jack[16]; /* jack id of cable N (MIDI 2.0: the ids of the Group
			     Terminal Blocks the endpoint carries) */
};

struct usbmidi_if {
	uint8_t number;           /* bInterfaceNumber */
	uint8_t alt;              /* the MIDI 1.0 alternate setting (0 normally) */
	uint8_t has_midi2;        /* an alternate setting with bcdMSC 2.0 exists */
	uint8_t midi2_alt;        /* the first such (1 normally) */
	uint16_t bcd_msc;         /* of the MIDI 1.0 setting */
	uint8_t iinterface;
	size_t njacks;
	struct usbmidi_jack jacks[USBMIDI_MAX_JACKS];
	size_t neps;
	struct usbmidi_ep eps[USBMIDI_MAX_EPS];
	size_t neps2;             /* the MIDI 2.0 setting's endpoints */
	struct usbmidi_ep eps2[USBMIDI_MAX_EPS];
};

#define USBMIDI_MAX_IFS 4
struct usbmidi_conf {
	uint8_t value;            /* bConfigurationValue */
	size_t nifs;
	struct usbmidi_if ifs[USBMIDI_MAX_IFS];
	size_t nac;               /* Audio Control interfaces (class 1, subclass 1): */
	uint8_t ac[USBMIDI_MAX_IFS]; /* the kernel's driver holds its card by them */
};

/* Parse a whole configuration descriptor (the 9-byte header and
 * everything wTotalLength covers, n bytes). Finds every MIDIStreaming
 * interface (class 1, subclass 3) with an IN or OUT endpoint, its jacks and
 * which jack each endpoint's cable is. Returns the number of MIDIStreaming
 * interfaces found (0: not a MIDI device), or -1 with a message in err
 * (naming the offset) when the bytes are not a well-formed descriptor set. */
int usbmidi_parse_config(const uint8_t *b, size_t n, struct usbmidi_conf *c, char *err,
			 size_t errlen);
/* ---- Group Terminal Block descriptors (USB MIDI 2.0 section 5.4) ----
 * Read with GET_DESCRIPTOR (type 0x26, the alternate setting as index)
 * from the MIDIStreaming interface. */
#define USBMIDI_MAX_GTBS 16
struct usbmidi_gtb {
	uint8_t id;          /* bGrpTrmBlkID (1..) */
	uint8_t type;        /* 0 bidirectional, 1 input only (to the device), 2 output only */
	uint8_t first_group; /* nGroupTrm (0..15) */
	uint8_t ngroups;     /* nNumGroupTrm (1..16, first + n <= 16) */
	uint8_t iblock;      /* string index of its name (0 none) */
	uint8_t protocol;    /* bMIDIProtocol: 0x01-0x04 MIDI 1.0, 0x11-0x12 MIDI 2.0, 0 unknown */
	uint16_t max_in_bw, max_out_bw; /* wMaxInputBandwidth, wMaxOutputBandwidth */
};
/* Parse the header and blocks (n bytes as read). Returns the number of
 * blocks (at most max are stored), or -1 with a message naming the offset
 * when the bytes are malformed (a block whose groups run past 16 too). */
int usbmidi_parse_gtb(const uint8_t *b, size_t n, struct usbmidi_gtb *out, size_t max,
		      char *err, size_t errlen);
/* Whether a bMIDIProtocol is a MIDI 1.0 one (0x01-0x04). */
int usbmidi_gtb_midi1(uint8_t protocol);

/* The jack of interface `f` with this id, or NULL. */
const struct usbmidi_jack *usbmidi_jack_find(const struct usbmidi_if *f, uint8_t id);
/* The string index naming cable `cable` of endpoint ep: the iJack of its
 * embedded jack, else of an external jack connected to it, else 0. */
uint8_t usbmidi_cable_name(const struct usbmidi_if *f, const struct usbmidi_ep *ep,
			   unsigned cable);

#endif
