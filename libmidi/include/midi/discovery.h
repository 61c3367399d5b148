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
#include "midi/msg.h"
#include "midi/ump.h"

/* What a device declares about itself (the answering side). */
typedef struct midi_device_decl {
	char name[MIDI_UMP_EP_NAME_MAX + 1];             /* Endpoint Name, <= 98 bytes */
	char product_instance_id[MIDI_UMP_PIID_MAX + 1]; /* <= 42 bytes */
	uint8_t ump_version_major, ump_version_minor;    /* 1.1 by default */
	uint8_t protocols;        /* bit0 MIDI 1.0, bit1 MIDI 2.0 */
	uint8_t protocol;         /* current: 1 or 2 */
	uint8_t jr_rx, jr_tx;     /* JR timestamps supported (Endpoint Info) */
	uint8_t jr_rx_on, jr_tx_on; /* JR timestamps in use now (Stream Configuration) */
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
 * bidirectional function block (index 0, active, UI hint both, not MIDI 1.0)
 * over group 1 named like the endpoint. name may be NULL (no name); it is
 * cut to 98 bytes (91 for the block), never inside a UTF-8 sequence. */
void midi_device_decl_init(midi_device_decl *d, const char *name);
/* Check lengths and ranges (names, groups 0-15, first+num <= 16, fb count,
 * fb[i].index == i, direction 1-3, MIDI 1.0 mode 0-2, UI hint 0-3, protocol
 * one of those supported, JR in use only where supported, identity values
 * 7/14 bits). Returns 0 or -MIDI_ERR_INPUT with e saying what. */
int midi_device_decl_check(const midi_device_decl *d, midi_error *e);

/* Answering side: feed one received packet; the replies (0 or more stream
 * packets) go to cb. A Stream Configuration Request changes d->protocol /
 * JR settings when supported and is answered with a Notification.
 * Non-stream packets are ignored (returns 0).
 *
 * Endpoint Discovery is answered, in this order and only for the filter bits
 * set: Endpoint Info (bit 0), Device Identity (bit 1, only if has_identity),
 * Endpoint Name (bit 2, only if the name is not empty), Product Instance Id
 * (bit 3, only if not empty), Stream Configuration Notification (bit 4).
 * Function Block Discovery (block index, or 0xFF for all) is answered per
 * block with Function Block Info (filter bit 0) and Function Block Name
 * (bit 1; an empty name is one Complete packet with no text); an index
 * beyond num_function_blocks gets no answer. A Stream Configuration Request
 * switches to the requested protocol if it is in d->protocols (else keeps
 * the current one) and turns each JR direction on only if supported.
 * With d->silent nothing is ever answered.
 * Returns 0, or the non-zero value cb returned to stop (remaining replies
 * are not sent). */
int midi_responder_put(midi_device_decl *d, const midi_ump *in, midi_ump_cb cb, void *ctx);
/* The MIDI 1.0 Identity Request (Universal Non-Real Time SysEx 7E <device>
 * 06 01, one SysEx7 Complete packet): when d declares an identity
 * (has_identity, not silent), the Identity Reply 7E <device> 06 02
 * <manufacturer> <family> <model> <version> goes to cb as SysEx7 packets
 * on the request's group, with the device byte of the request (7F stays
 * 7F), and 1 is returned. Anything else: 0, nothing sent. */
int midi_responder_identity(const midi_device_decl *d, const midi_ump *in, midi_ump_cb cb,
			    void *ctx);
/* Packets a device sends unprompted when its state changed (Endpoint Info,
 * Device Identity, names, Stream Configuration, Function Block Info/Name of
 * every block): used after the host edits d. Nothing when d->silent.
 * Returns 0 or the non-zero value of cb that stopped it. */
int midi_responder_announce(const midi_device_decl *d, midi_ump_cb cb, void *ctx);

/* Asking side.
 *
 * midi_discovery_put consumes Endpoint Info, Device Identity, Endpoint Name,
 * Product Instance Id, Stream Configuration Notification, Function Block
 * Info and Function Block Name into *info; other packets are ignored. Names
 * are reassembled from their packets (Complete, or Start Continue... End; a
 * new Start or Complete discards a half-built name; Continue/End without a
 * Start are dropped), NUL bytes are dropped, and they are cut at 98 / 42 /
 * 91 bytes (invalid UTF-8 is kept as bytes; always NUL-terminated). A
 * Function Block Info for index >= 32, with direction 0, MIDI 1.0 mode 3,
 * a first group > 15, 0 groups or first + groups > 16 is ignored, and so is
 * a Function Block Name for index >= 32. A Stream Configuration
 * Notification with a protocol other than 1 or 2 is ignored.
 *
 * Fields written: ump_name; name (the display name) when user_name is empty
 * and the Endpoint Name is not (or transport_name when the Endpoint Name
 * became empty); product_instance_id; ump_version_*; protocols; protocol
 * and MIDI_EPF_JR_RX/TX (from Stream Configuration Notifications);
 * MIDI_EPF_STATIC_FB and MIDI_EPF_DISCOVERED (set when Endpoint Info
 * arrives); has_identity and identity_*; num_function_blocks (the declared
 * count, cut to 32) and fb[]. Nothing else in *info is touched (not
 * generation: bump it when midi_discovery_take_changes returns non-zero).
 *
 * Negotiation: once both Endpoint Info (capabilities) and a Stream
 * Configuration Notification (current state) have arrived, the wanted
 * protocol (if supported) and JR setting (ON: every direction the device
 * supports; OFF: none) are compared with the current state; if they
 * differ, one Stream Configuration Request is sent. This is decided once
 * per discovery, never repeated.
 *
 * Complete (midi_discovery_complete) means: Endpoint Info arrived, a Stream
 * Configuration Notification arrived (after our request if one was sent),
 * and Function Block Info and Function Block Name arrived for every block
 * index 0 .. num_function_blocks-1. Device Identity, Endpoint Name and
 * Product Instance Id are optional (a device sends them only if it has
 * them) and are not waited for: a device without Stream Configuration or
 * without block names never completes, and the caller's timeout ends the
 * wait. Packets keep being consumed after completion (a device announcing
 * a change updates *info and the change bits). */
#define MIDI_DISC_JR_KEEP 0   /* want_jr: leave the device's JR setting */
#define MIDI_DISC_JR_ON 1     /* JR timestamps in every direction supported */
#define MIDI_DISC_JR_OFF 2    /* no JR timestamps */

/* The asking side's state; opaque. */
typedef struct midi_discovery midi_discovery;

/* want_protocol: 0 keep, 1 MIDI 1.0, 2 MIDI 2.0; want_jr: MIDI_DISC_JR_*.
 * Results go to *info (the caller's, which must outlive the state); it is
 * not cleared: fill its transport fields before. NULL with
 * -MIDI_ERR_INPUT (bad argument) or -MIDI_ERR_RUNTIME (out of memory) in e. */
midi_discovery *midi_discovery_new(midi_endpoint_info *info, unsigned want_protocol,
				   unsigned want_jr, midi_error *e);
void midi_discovery_free(midi_discovery *d);
/* The opening requests: Endpoint Discovery (UMP 1.1, all filter bits) then
 * Function Block Discovery for all blocks (0xFF, info and name). Returns 0
 * or the non-zero value of cb that stopped it. */
int midi_discovery_start(midi_discovery *d, midi_ump_cb cb, void *ctx);
/* Feed a packet received from the endpoint. Updates info; may emit a Stream
 * Configuration Request through cb (see Negotiation above). Stream
 * messages arriving after discovery finished update info as well. Returns
 * 0 or the non-zero value cb returned. */
int midi_discovery_put(midi_discovery *d, const midi_ump *in, midi_ump_cb cb, void *ctx);
/* 1 when every expected reply arrived (see Complete above), else 0. */
int midi_discovery_complete(const midi_discovery *d);
/* MIDI_PROP_* bits (endpoint.h) changed since the last call, then
 * cleared. A bit is set only when a value really changed (UMP_NAME and NAME, PIID, INFO: version,
 * protocols, JR capabilities, static flag, block count, discovered flag;
 * IDENTITY; PROTOCOL: protocol or JR in use; FUNCTION_BLOCKS: any block
 * field or name; DISCOVERY: the moment discovery became complete). */
uint32_t midi_discovery_take_changes(midi_discovery *d);

#endif
