/* usb.h: what the usb transport's files share (built only with libusb):
 * usb.c (the agent: enumeration, hotplug, ids, properties, the [usb]
 * configuration sections) and usb_host.c (the host: one device, its
 * MIDIStreaming interface, reads and writes). */
#ifndef MIDI_USB_H
#define MIDI_USB_H

#include <libusb.h>

#include "transport/transport.h"
#include "transport/usbmidi.h"

#define USB_MAX_PORTS 7

/* Where a device is and what it is; kept in the slot (reg_slot.tpriv) so
 * the host finds the agent's device again. */
struct usb_where {
	uint16_t vid, pid;
	uint8_t bus, nports;
	uint8_t ports[USB_MAX_PORTS];
	uint8_t addr; /* device address now (changes when replugged) */
};
void usb_where_of(libusb_device *d, const struct libusb_device_descriptor *dd,
		  struct usb_where *w);
void usb_where_store(const struct usb_where *w, struct reg_slot *s);
void usb_where_load(const struct reg_slot *s, struct usb_where *w);
/* The same device, wherever its address (vendor, product, bus, ports). */
int usb_where_same(const struct usb_where *a, const struct usb_where *b);
/* "1-1.2": the kernel's name of the device (sysfs), bus and ports. */
void usb_where_name(const struct usb_where *w, char *buf, size_t n);
/* "/dev/bus/usb/001/002": its usbfs node */
void usb_node_name(const struct usb_where *w, char *buf, size_t n);

/* The device's configuration descriptor as bytes (rebuilt from libusb's
 * parsed form: headers and every `extra`), parsed. Returns what
 * usbmidi_parse_config returns (-1 also when libusb cannot read it). */
int usb_parse_device(libusb_device *d, struct usbmidi_conf *c, char *err, size_t errlen);

/* midi.conf: whether a [usb VID:PID[:SERIAL]] section says take = yes. */
int usb_conf_take(uint16_t vid, uint16_t pid, const char *serial);
/* Whether interface f is used as USB MIDI 2.0 (its MIDI 2.0 setting): it
 * has one, and midi.conf does not say midi1 = yes (which forces the MIDI
 * 1.0 setting) or it has no MIDI 1.0 setting. */
int usb_use_midi2(const struct usbmidi_if *f, uint16_t vid, uint16_t pid, const char *serial);
/* Whether the usb transport lists the USB device that ALSA card `card`
 * belongs to (Linux sysfs): the alsa transport then leaves the card's
 * ports out, so that one device never appears twice. */
int usb_card_listed(int card);

/* The transport's libusb context in a host or agent (one per process):
 * pollfds in the host loop, events handled when they fire (and on a timer
 * when libusb needs it), then after(h) if not NULL. Without discovery
 * (hosts: they open one device node themselves and need no hotplug
 * monitor of their own), libusb enumerates nothing. */
int usb_ctx_open(struct host *h, libusb_context **ctx, int discovery,
		 void (*after)(struct host *h), midi_error *e);
void usb_ctx_close(struct host *h, libusb_context *ctx);
/* Handle whatever is ready now (never blocks). */
void usb_ctx_poll(libusb_context *ctx);

/* usb_host.c */
int usb_host_open(struct host *h, midi_error *e);
void usb_host_close(struct host *h);
int usb_host_attach(struct host *h, struct host_ep *ep);
void usb_host_detach(struct host *h, struct host_ep *ep);
size_t usb_host_input(struct host *h, struct host_ep *ep, const midi_packet *p,
		      const uint32_t *tags, size_t n);

#endif
