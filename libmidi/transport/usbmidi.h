/* usbmidi.h: the USB MIDI 1.0 class codec (event packets <-> UMP) and the
 * MIDIStreaming descriptor parser, both pure (no libusb): usbmidi.c and
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
	uint8_t ncables;  /* embedded jacks of the class endpoint descriptor */
	uint8_t jack[16]; /* jack id of cable N */
};

struct usbmidi_if {
	uint8_t number;           /* bInterfaceNumber */
	uint8_t alt;              /* the MIDI 1.0 alternate setting (0 normally) */
	uint8_t has_midi2;        /* an alternate setting with bcdMSC 2.0 exists */
	uint8_t midi2_alt;
	uint16_t bcd_msc;         /* of the MIDI 1.0 setting */
	uint8_t iinterface;
	size_t njacks;
	struct usbmidi_jack jacks[USBMIDI_MAX_JACKS];
	size_t neps;
	struct usbmidi_ep eps[USBMIDI_MAX_EPS];
};

#define USBMIDI_MAX_IFS 4
struct usbmidi_conf {
	uint8_t value;            /* bConfigurationValue */
	size_t nifs;
	struct usbmidi_if ifs[USBMIDI_MAX_IFS];
};

/* Parse a whole configuration descriptor (the 9-byte header and
 * everything wTotalLength covers, n bytes). Finds every MIDIStreaming
 * interface (class 1, subclass 3) with an IN or OUT endpoint, its jacks and
 * which jack each endpoint's cable is. Returns the number of MIDIStreaming
 * interfaces found (0: not a MIDI device), or -1 with a message in err
 * (naming the offset) when the bytes are not a well-formed descriptor set. */
int usbmidi_parse_config(const uint8_t *b, size_t n, struct usbmidi_conf *c, char *err,
			 size_t errlen);
/* The jack of interface `f` with this id, or NULL. */
const struct usbmidi_jack *usbmidi_jack_find(const struct usbmidi_if *f, uint8_t id);
/* The string index naming cable `cable` of endpoint ep: the iJack of its
 * embedded jack, else of an external jack connected to it, else 0. */
uint8_t usbmidi_cable_name(const struct usbmidi_if *f, const struct usbmidi_ep *ep,
			   unsigned cable);

#endif
