/* rawmidi.h: what the rawmidi transport's files share (built only where
 * pkg-config finds alsa-lib): alsa_rawmidi.c (ids hw:C,D[,S], the
 * [rawmidi] sections of midi.conf, endpoints added when named, the agent
 * following devices, rawmidi_claimed for the alsa agent) and
 * alsa_rawmidi_host.c (the host: one per device, byte stream <-> UMP).
 * rawmidi_parse and rawmidi_format are pure (no kernel needed). */
#ifndef MIDI_RAWMIDI_H
#define MIDI_RAWMIDI_H

#include <stddef.h>

#include "transport/transport.h"

#define RAWMIDI_PREFIX "rawmidi:"
#define RAWMIDI_FORM "hw:CARD,DEVICE or hw:CARD,DEVICE,SUBDEVICE (decimal numbers 0-255)"

/* A raw MIDI device: card, device and subdevice (-1: any free one). */
struct rawmidi_addr {
	int card, device, sub;
};

/* Parse "hw:C,D" or "hw:C,D,S" (decimal 0-255, no sign, no leading zero,
 * nothing else): 0, or -1 for any other form. */
int rawmidi_parse(const char *s, struct rawmidi_addr *a);
/* "hw:C,D[,S]" into buf. */
void rawmidi_format(const struct rawmidi_addr *a, char *buf, size_t n);
/* Whether a and b may reach the same subdevice. */
int rawmidi_overlap(const struct rawmidi_addr *a, const struct rawmidi_addr *b);
/* The address kept in a slot (tpriv[0]); 0 or -1. */
void rawmidi_addr_store(struct reg_slot *s, const struct rawmidi_addr *a);
int rawmidi_addr_load(const struct reg_slot *s, struct rawmidi_addr *a);

/* What the kernel says of a device (control interface, the device is not
 * opened): *dirs bit 0 output, bit 1 input; name and card name. 0, or
 * -1 with why ("no sound card 5", "card 1 has no raw MIDI device 3"). */
int rawmidi_probe(const struct rawmidi_addr *a, int *dirs, char *name, size_t nn, char *card,
		  size_t nc, char *why, size_t nw);

/* alsa_rawmidi_host.c */
int rawmidi_host_open(struct host *h, midi_error *e);
void rawmidi_host_close(struct host *h);
int rawmidi_host_attach(struct host *h, struct host_ep *ep);
void rawmidi_host_detach(struct host *h, struct host_ep *ep);
size_t rawmidi_host_input(struct host *h, struct host_ep *ep, const midi_packet *p,
			  const uint32_t *tags, size_t n);

#endif
