/* discovery.h: the UMP Stream discovery protocol as two pure state machines
 * over packets, with no I/O: the asking side (the broker side of an endpoint:
 * sends Endpoint Discovery and Function Block Discovery, collects the replies
 * into a midi_endpoint_info, negotiates protocol and JR timestamps through
 * Stream Configuration) and the answering side (a device: a virtual device
 * hosted by an application answers from what its host declared). */
#ifndef MIDI_DISCOVERY_H
#define MIDI_DISCOVERY_H

#include <stddef.h>
#include <stdint.h>

#include "midi/endpoint.h"
#include "midi/ump.h"

/* What a device declares about itself (the answering side). */
typedef struct midi_device_decl {
	char name[MIDI_UMP_EP_NAME_MAX + 1];             /* Endpoint Name, <= 98 bytes */
	char product_instance_id[MIDI_UMP_PIID_MAX + 1]; /* <= 42 bytes */
	uint8_t ump_version_major, ump_version_minor;    /* 1.1 by default */
	uint8_t protocols;        /* bit0 MIDI 1.0, bit1 MIDI 2.0 */
	uint8_t protocol;         /* current: 1 or 2 */
	uint8_t jr_rx, jr_tx;     /* JR timestamps supported */
	uint8_t static_fb;
	uint8_t has_identity;
	uint8_t identity_manufacturer[3];
	uint16_t identity_family, identity_model;
	uint8_t identity_version[4];
	uint8_t num_function_blocks;
	midi_function_block fb[MIDI_FB_MAX];
	uint8_t silent;           /* never answer (for testing timeouts) */
} midi_device_decl;

/* Defaults: UMP 1.1, MIDI 1.0 + 2.0 supported, protocol 2, no JR, one
 * bidirectional function block over group 1 named like the endpoint. */
void midi_device_decl_init(midi_device_decl *d, const char *name);
/* Check lengths and ranges (names, groups 0-15, first+num <= 16, fb count).
 * Returns 0 or -MIDI_ERR_INPUT with e saying what. */
int midi_device_decl_check(const midi_device_decl *d, midi_error *e);

/* Answering side: feed one received packet; the replies (0 or more stream
 * packets) go to cb. A Stream Configuration Request changes d->protocol /
 * JR settings when supported and is answered with a Notification.
 * Non-stream packets are ignored (returns 0). */
int midi_responder_put(midi_device_decl *d, const midi_ump *in, midi_ump_cb cb, void *ctx);
/* Packets a device sends unprompted when its state changed (Endpoint Info,
 * names, Function Block Info/Name): used after the host edits d. */
int midi_responder_announce(const midi_device_decl *d, midi_ump_cb cb, void *ctx);

/* Asking side. */
typedef struct midi_discovery {
	midi_endpoint_info *info;   /* where results go (caller's) */
	uint32_t got;               /* MIDI_DISC_GOT_* bits received */
	uint32_t changed;           /* MIDI_PROP_* bits changed since last take */
	uint8_t want_protocol;      /* protocol to request (0 = keep device's) */
	uint8_t want_jr;            /* request JR timestamps if supported */
	uint8_t fb_expected;        /* from Endpoint Info */
	uint32_t fb_info_got, fb_name_got; /* bitmaps per FB index */
	uint8_t config_sent, config_done;
	/* reassembly buffers for multi-packet names */
	char ep_name[MIDI_UMP_EP_NAME_MAX + 1];
	size_t ep_name_len;
	char piid[MIDI_UMP_PIID_MAX + 1];
	size_t piid_len;
	char fb_name[MIDI_FB_MAX][MIDI_UMP_FB_NAME_MAX + 1];
	size_t fb_name_len[MIDI_FB_MAX];
} midi_discovery;

#define MIDI_DISC_GOT_INFO 0x01
#define MIDI_DISC_GOT_IDENTITY 0x02
#define MIDI_DISC_GOT_NAME 0x04
#define MIDI_DISC_GOT_PIID 0x08
#define MIDI_DISC_GOT_CONFIG 0x10

/* Property-change bits (also used by watcher "updated" events). */
#define MIDI_PROP_NAME 0x0001        /* display name */
#define MIDI_PROP_UMP_NAME 0x0002
#define MIDI_PROP_PIID 0x0004
#define MIDI_PROP_INFO 0x0008        /* UMP version, protocols, JR caps, fb count */
#define MIDI_PROP_IDENTITY 0x0010
#define MIDI_PROP_PROTOCOL 0x0020    /* current protocol / JR negotiated */
#define MIDI_PROP_FUNCTION_BLOCKS 0x0040
#define MIDI_PROP_CLIENTS 0x0080
#define MIDI_PROP_USER 0x0100        /* user name / description from config */
#define MIDI_PROP_DISCOVERY 0x0200   /* discovery finished or timed out */

void midi_discovery_init(midi_discovery *d, midi_endpoint_info *info, uint8_t want_protocol,
			 uint8_t want_jr);
/* The opening requests: Endpoint Discovery (all filter bits) then Function
 * Block Discovery for all blocks (0xFF, info and name). */
int midi_discovery_start(midi_discovery *d, midi_ump_cb cb, void *ctx);
/* Feed a packet received from the endpoint. Updates info; may emit a Stream
 * Configuration Request through cb once Endpoint Info arrived. Stream
 * messages arriving after discovery finished update info as well. */
int midi_discovery_put(midi_discovery *d, const midi_ump *in, midi_ump_cb cb, void *ctx);
/* 1 when every expected reply arrived. */
int midi_discovery_complete(const midi_discovery *d);
/* MIDI_PROP_* bits changed since the last call, then cleared. */
uint32_t midi_discovery_take_changes(midi_discovery *d);

#endif
