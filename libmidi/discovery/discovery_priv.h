/* discovery_priv.h: the state of the asking side of UMP Stream discovery
 * (midi_discovery, opaque in midi/discovery.h), for the library parts that
 * embed it without allocating (the discovery agent, virtual device hosts)
 * and for the unit tests that look at what arrived. */
#ifndef MIDI_DISCOVERY_PRIV_H
#define MIDI_DISCOVERY_PRIV_H

#include "midi/discovery.h"

typedef struct midi_discovery {
	midi_endpoint_info *info;   /* where results go (caller's) */
	uint32_t got;               /* MIDI_DISC_GOT_* bits received */
	uint32_t changed;           /* MIDI_PROP_* bits (endpoint.h) changed since last take */
	uint8_t want_protocol;      /* protocol to request (0 = keep device's) */
	uint8_t want_jr;            /* MIDI_DISC_JR_* */
	uint8_t fb_expected;        /* from Endpoint Info, <= MIDI_FB_MAX */
	uint32_t fb_info_got, fb_name_got; /* bitmaps per FB index */
	uint8_t config_sent;        /* Stream Configuration Request sent */
	uint8_t config_done;        /* negotiation decided and answered */
	uint8_t jr_caps;            /* from Endpoint Info: bit0 tx, bit1 rx */
	uint8_t completed;          /* MIDI_PROP_DISCOVERY already raised */
	/* reassembly of multi-packet names */
	midi_stream_name_asm ep_name;
	midi_stream_name_asm piid;
	midi_stream_name_asm fb_name[MIDI_FB_MAX];
} midi_discovery;

#define MIDI_DISC_GOT_INFO 0x01
#define MIDI_DISC_GOT_IDENTITY 0x02
#define MIDI_DISC_GOT_NAME 0x04
#define MIDI_DISC_GOT_PIID 0x08
#define MIDI_DISC_GOT_CONFIG 0x10

/* Set up *d in place (what midi_discovery_new does after allocating). */
void discovery_init(midi_discovery *d, midi_endpoint_info *info, uint8_t want_protocol,
		    uint8_t want_jr);

#endif
