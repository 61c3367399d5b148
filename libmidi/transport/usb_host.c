/* usb_host.c: the usb transport's host (transport.h): one process per
 * device (group usb-BUS-PORTS) with its one endpoint. It opens the device
 * (a missing permission is an error naming the device node), leaves it to
 * a kernel driver that holds it unless midi.conf says take = yes (then the
 * driver is detached, from the Audio Control interfaces too, since
 * snd-usb-audio holds its card by them, while the device is open, and
 * reattached when it is released; the Audio Control interfaces are taken
 * even when no driver holds them yet, as while the kernel probes a device
 * just plugged in, and offered to the kernel's drivers when released),
 * claims the MIDIStreaming interface,
 * and then:
 * - reads: USB_NREAD transfers always waiting on every IN endpoint; what
 *   comes in is decoded (usbmidi.c) and goes to every client;
 * - writes: what clients send is encoded into at most USB_NWRITE transfers
 *   in flight per OUT endpoint; when all are busy host_input takes no more
 *   and the rest waits in the endpoint's ring (back-pressure, never loss);
 *   a finished transfer offers the input again (host_ready);
 * - UMP discovery: the host answers for a MIDI 1.0 device (it does not
 *   speak UMP): Endpoint Name = the product string, Product Instance Id =
 *   the serial number, one static MIDI 1.0 function block per group
 *   (cable), named by its jack's name. The cables of the first OUT (IN)
 *   endpoint are groups 0.., the next endpoint's follow.
 * A USB MIDI 2.0 device (usb_use_midi2) is used on its MIDI 2.0 alternate
 * setting, taken from a kernel driver that holds it (the kernel drives only
 * its MIDI 1.0 setting): UMP words go both ways as they are (usbump.c);
 * its Group Terminal Blocks become the endpoint's function blocks in the
 * registry until the device's own arrive through discovery, which the
 * device answers itself (its replies go to the connection that asked). A device that vanishes, stalls for good, fails
 * or takes nothing for USB_WRITE_TIMEOUT_MS is removed with the reason,
 * which every connection is told. */
#include "transport/usb.h"

#include "midi/discovery.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USB_NREAD 2
#define USB_NWRITE 4
#define USB_BUF 512
#define USB_WRITE_TIMEOUT_MS 5000
#define USB_MAX_EPS USBMIDI_MAX_EPS

struct uhost;

struct xfer {
	struct libusb_transfer *t;
	struct uhost *u;
	struct upipe *p;
	uint8_t buf[USB_BUF];
	size_t len;  /* bytes filled (writes) */
	int busy;
};

struct upipe {
	uint8_t addr, type; /* LIBUSB_TRANSFER_TYPE_BULK / _INTERRUPT */
	uint8_t base, ncables;
	uint8_t stalls;
	uint16_t groups;    /* MIDI 2.0: the groups of its Group Terminal Blocks */
	usbmidi_dec dec;
	usbump_dec udec;
	usbmidi_enc enc;
	struct xfer x[USB_NWRITE];
};

struct uhost {
	libusb_context *ctx;
	struct host *h;
	struct host_ep *ep;
	libusb_device_handle *hd;
	int fd;
	int claimed, gone;
	int closing;     /* release(): transfers are being cancelled, none resubmitted */
	uint8_t ac[USBMIDI_MAX_IFS]; /* Audio Control interfaces taken from the kernel */
	size_t nac;
	char id[MIDI_ID_MAX], node[40];
	struct usbmidi_if f;
	int v2;          /* used as USB MIDI 2.0 */
	struct usbmidi_gtb gtb[USBMIDI_MAX_GTBS];
	int ngtb;
	uint16_t midi1_groups; /* groups of blocks that speak the MIDI 1.0 protocol */
	midi_down down;
	uint32_t asker;  /* MIDI 2.0: the connection that last sent a stream message */
	uint64_t asked_ns;
	struct upipe in[USB_MAX_EPS], out[USB_MAX_EPS];
	size_t nin, nout;
	unsigned in_groups, out_groups;
	int inflight;
	midi_device_decl decl;
	midi_packet em[256];
	uint32_t emtag[256];
	size_t nem;
	uint32_t tag;
};

/* ---- emitting to clients ---- */

static void flush(struct uhost *u)
{
	if (u->nem && u->ep)
		host_emit(u->h, u->ep, u->em, u->emtag, u->nem);
	u->nem = 0;
}

static int emit(struct uhost *u, const midi_ump *p, uint32_t tag)
{
	if (u->nem == sizeof u->em / sizeof *u->em)
		flush(u);
	u->em[u->nem] = (midi_packet){0, *p};
	u->emtag[u->nem++] = tag;
	return 0;
}

static int reply_cb(void *ctx, const midi_ump *p)
{
	struct uhost *u = ctx;
	return emit(u, p, u->tag);
}

struct in_ctx {
	struct uhost *u;
	unsigned base;
};

/* A reply to a stream message (discovery) within this long after it goes
 * to the connection that sent it; other stream messages go to everyone. */
#define ASK_REPLY_NS 2000000000ull

static int in2_cb(void *ctx, const midi_ump *p)
{
	struct in_ctx *c = ctx;
	struct uhost *u = c->u;
	uint32_t tag = 0;
	if (midi_ump_mt(p) == MIDI_MT_STREAM && u->asker &&
	    broker_now_ns() - u->asked_ns < ASK_REPLY_NS)
		tag = u->asker;
	return emit(u, p, tag);
}

static int in_cb(void *ctx, const midi_ump *p)
{
	struct in_ctx *c = ctx;
	midi_ump q = *p;
	unsigned g = (midi_ump_group(p) + c->base) & 0xF;
	q.w[0] = (q.w[0] & ~0x0F000000u) | (uint32_t)g << 24;
	return emit(c->u, &q, 0);
}

/* The device failed or went away: remove its endpoint with the reason. */
static void fail(struct uhost *u, const char *reason)
{
	if (u->gone)
		return;
	u->gone = 1;
	agent_remove(u->h, u->id, reason);
}

/* ---- transfers ---- */

static void on_read(struct libusb_transfer *t);
static void on_write(struct libusb_transfer *t);

static int submit(struct xfer *x)
{
	int r = libusb_submit_transfer(x->t);
	if (r == 0) {
		x->busy = 1;
		x->u->inflight++;
	}
	return r;
}

static void read_again(struct xfer *x)
{
	struct uhost *u = x->u;
	int r = submit(x);
	if (r == LIBUSB_ERROR_NO_DEVICE)
		fail(u, "is gone: device unplugged");
	else if (r < 0) {
		char why[160];
		snprintf(why, sizeof why, "USB read on endpoint 0x%02x failed: %s", x->p->addr,
			 libusb_strerror(r));
		fail(u, why);
	}
}

static void on_read(struct libusb_transfer *t)
{
	struct xfer *x = t->user_data;
	struct uhost *u = x->u;
	struct upipe *p = x->p;
	char why[160];
	x->busy = 0;
	u->inflight--;
	if (u->gone || !u->claimed)
		return;
	/* what arrived goes out, also on a read cancelled by release() */
	if ((t->status == LIBUSB_TRANSFER_COMPLETED || t->status == LIBUSB_TRANSFER_CANCELLED) &&
	    t->actual_length > 0) {
		struct in_ctx c = {u, p->base};
		if (u->v2)
			usbump_dec_feed(&p->udec, t->buffer, (size_t)t->actual_length, in2_cb, &c);
		else
			usbmidi_dec_feed(&p->dec, t->buffer, (size_t)t->actual_length, in_cb, &c);
		flush(u);
	}
	if (u->closing)
		return; /* release() waits for every transfer to come back */
	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		p->stalls = 0;
		read_again(x);
		return;
	case LIBUSB_TRANSFER_TIMED_OUT:
		read_again(x);
		return;
	case LIBUSB_TRANSFER_STALL:
		/* a halted endpoint: clear it and read on (a few times) */
		if (++p->stalls <= 3 && libusb_clear_halt(u->hd, p->addr) == 0) {
			read_again(x);
			return;
		}
		snprintf(why, sizeof why, "USB endpoint 0x%02x (IN) stalled", p->addr);
		fail(u, why);
		return;
	case LIBUSB_TRANSFER_NO_DEVICE:
		fail(u, "is gone: device unplugged");
		return;
	case LIBUSB_TRANSFER_CANCELLED:
		return;
	default:
		snprintf(why, sizeof why, "USB read on endpoint 0x%02x failed (%s)", p->addr,
			 libusb_error_name(t->status == LIBUSB_TRANSFER_OVERFLOW ? LIBUSB_ERROR_OVERFLOW
										 : LIBUSB_ERROR_IO));
		fail(u, why);
	}
}

static void on_write(struct libusb_transfer *t)
{
	struct xfer *x = t->user_data;
	struct uhost *u = x->u;
	char why[160];
	x->busy = 0;
	x->len = 0;
	u->inflight--;
	if (u->gone || !u->claimed || u->closing)
		return;
	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		if (u->ep)
			host_ready(u->h, u->ep);
		return;
	case LIBUSB_TRANSFER_TIMED_OUT:
		snprintf(why, sizeof why,
			 "USB write to endpoint 0x%02x timed out: the device took nothing for %d ms",
			 x->p->addr, USB_WRITE_TIMEOUT_MS);
		fail(u, why);
		return;
	case LIBUSB_TRANSFER_STALL:
		snprintf(why, sizeof why, "USB endpoint 0x%02x (OUT) stalled", x->p->addr);
		fail(u, why);
		return;
	case LIBUSB_TRANSFER_NO_DEVICE:
		fail(u, "is gone: device unplugged");
		return;
	case LIBUSB_TRANSFER_CANCELLED:
		return;
	default:
		snprintf(why, sizeof why, "USB write to endpoint 0x%02x failed", x->p->addr);
		fail(u, why);
	}
}

static int pipe_init(struct uhost *u, struct upipe *p, const struct usbmidi_ep *e, unsigned nx)
{
	p->addr = e->addr;
	p->type = (e->attr & 3) == 3 ? LIBUSB_TRANSFER_TYPE_INTERRUPT : LIBUSB_TRANSFER_TYPE_BULK;
	p->ncables = e->ncables ? e->ncables : 1;
	usbmidi_dec_init(&p->dec);
	usbmidi_enc_init(&p->enc);
	usbump_dec_init(&p->udec);
	p->groups = 0;
	for (unsigned k = 0; u->v2 && k < e->ncables; k++) /* its blocks' groups */
		for (int b = 0; b < u->ngtb; b++)
			if (u->gtb[b].id == e->jack[k])
				p->groups |= (uint16_t)(((1u << u->gtb[b].ngroups) - 1)
							<< u->gtb[b].first_group);
	for (unsigned k = 0; k < nx; k++) {
		struct xfer *x = &p->x[k];
		x->u = u;
		x->p = p;
		x->t = libusb_alloc_transfer(0);
		if (!x->t)
			return -1;
		x->t->dev_handle = u->hd;
		x->t->endpoint = p->addr;
		x->t->type = p->type;
		x->t->buffer = x->buf;
		x->t->length = USB_BUF;
		x->t->user_data = x;
		x->t->callback = e->addr & 0x80 ? on_read : on_write;
		x->t->timeout = e->addr & 0x80 ? 0 : USB_WRITE_TIMEOUT_MS;
	}
	return 0;
}

/* ---- open and close ---- */

static void release(struct uhost *u)
{
	struct upipe *ps[2] = {u->in, u->out};
	size_t np[2] = {u->nin, u->nout};
	u->closing = 1;
	for (int d = 0; d < 2; d++)
		for (size_t k = 0; k < np[d]; k++)
			for (unsigned j = 0; j < USB_NWRITE; j++)
				if (ps[d][k].x[j].t && ps[d][k].x[j].busy)
					libusb_cancel_transfer(ps[d][k].x[j].t);
	/* wait (bounded) for the cancelled transfers to come back */
	for (int i = 0; i < 100 && u->inflight > 0; i++) {
		struct timeval tv = {0, 10000};
		libusb_handle_events_timeout_completed(u->ctx, &tv, NULL);
	}
	if (u->claimed && !u->inflight) {
		if (u->v2) /* back to MIDI 1.0 for the kernel's driver */
			libusb_set_interface_alt_setting(u->hd, u->f.number, u->f.alt);
		libusb_release_interface(u->hd, u->f.number); /* reattaches a detached driver */
	}
	/* then the Audio Control interfaces: the driver's card comes back and
	 * takes the MIDIStreaming interface again */
	for (size_t k = 0; k < u->nac && u->hd; k++)
		libusb_release_interface(u->hd, u->ac[k]);
	u->nac = 0;
	u->claimed = 0;
	if (!u->inflight) {
		for (int d = 0; d < 2; d++)
			for (size_t k = 0; k < np[d]; k++)
				for (unsigned j = 0; j < USB_NWRITE; j++)
					if (ps[d][k].x[j].t) {
						libusb_free_transfer(ps[d][k].x[j].t);
						ps[d][k].x[j].t = NULL;
					}
	}
	/* transfers that never came back stay allocated: the device is gone */
	if (u->hd)
		libusb_close(u->hd);
	u->hd = NULL;
	if (u->fd >= 0)
		close(u->fd); /* a wrapped descriptor stays ours */
	u->fd = -1;
	u->nin = u->nout = 0;
	u->ep = NULL;
	u->closing = 0;
}

static void name_of(struct uhost *u, uint8_t idx, char *buf, size_t n)
{
	buf[0] = '\0';
	if (idx && libusb_get_string_descriptor_ascii(u->hd, idx, (unsigned char *)buf, (int)n) < 0)
		buf[0] = '\0';
}

/* The function blocks: one per group, named by its jack. */
static void declare(struct uhost *u, const struct reg_slot *s)
{
	midi_device_decl *d = &u->decl;
	midi_device_decl_init(d, s->info.transport_name);
	snprintf(d->product_instance_id, sizeof d->product_instance_id, "%.42s",
		 s->info.usb_serial);
	d->protocols = 1;
	d->protocol = 1;
	d->static_fb = 1;
	unsigned ng = u->in_groups > u->out_groups ? u->in_groups : u->out_groups;
	d->num_function_blocks = (uint8_t)ng;
	for (unsigned g = 0; g < ng; g++) {
		midi_function_block *fb = &d->fb[g];
		memset(fb, 0, sizeof *fb);
		fb->index = (uint8_t)g;
		fb->active = 1;
		fb->direction = (uint8_t)((g < u->out_groups ? 1 : 0) | (g < u->in_groups ? 2 : 0));
		fb->ui_hint = fb->direction;
		fb->first_group = (uint8_t)g;
		fb->num_groups = 1;
		fb->midi1 = 1;
		/* the jack of group g on the first endpoint carrying it */
		uint8_t idx = 0;
		for (size_t e = 0; e < u->f.neps && !idx; e++) {
			const struct usbmidi_ep *ue = &u->f.eps[e];
			struct upipe *ps = ue->addr & 0x80 ? u->in : u->out;
			size_t np = ue->addr & 0x80 ? u->nin : u->nout;
			for (size_t k = 0; k < np; k++)
				if (ps[k].addr == ue->addr && g >= ps[k].base &&
				    g < (unsigned)ps[k].base + ps[k].ncables)
					idx = usbmidi_cable_name(&u->f, ue, g - ps[k].base);
		}
		char name[MIDI_UMP_FB_NAME_MAX + 1];
		name_of(u, idx, name, sizeof name);
		if (!name[0])
			snprintf(name, sizeof name, "%.80s %u", s->info.transport_name, g + 1);
		snprintf(fb->name, sizeof fb->name, "%s", name);
	}
}

/* USB MIDI 2.0: the Group Terminal Blocks (GET_DESCRIPTOR 0x26 of the
 * interface, the alternate setting as index). None when the device has
 * none to give or they are malformed (discovery may still tell). */
static void read_gtbs(struct uhost *u)
{
	uint8_t b[1024];
	int r = libusb_control_transfer(u->hd, LIBUSB_ENDPOINT_IN | LIBUSB_RECIPIENT_INTERFACE,
					LIBUSB_REQUEST_GET_DESCRIPTOR,
					(uint16_t)(0x26 << 8 | u->f.midi2_alt), u->f.number, b,
					sizeof b, 1000);
	u->ngtb = 0;
	u->midi1_groups = 0;
	if (r > 0) {
		int k = usbmidi_parse_gtb(b, (size_t)r, u->gtb, USBMIDI_MAX_GTBS, NULL, 0);
		u->ngtb = k > 0 ? k : 0;
	}
	for (int k = 0; k < u->ngtb; k++)
		if (usbmidi_gtb_midi1(u->gtb[k].protocol))
			u->midi1_groups |= (uint16_t)(((1u << u->gtb[k].ngroups) - 1)
						      << u->gtb[k].first_group);
}

/* USB MIDI 2.0: the Group Terminal Blocks become the endpoint's function
 * blocks and protocols, unless discovery already gave the device's own. */
static void publish_gtbs(struct uhost *u, const struct reg_slot *s)
{
	struct rt *rt = host_rt(u->h);
	/* the names from the device first: never a USB request under the lock */
	static char names[MIDI_FB_MAX][MIDI_UMP_FB_NAME_MAX + 1];
	size_t nfb = (size_t)u->ngtb < MIDI_FB_MAX ? (size_t)u->ngtb : MIDI_FB_MAX;
	for (size_t k = 0; k < nfb; k++) {
		name_of(u, u->gtb[k].iblock, names[k], sizeof names[k]);
		if (!names[k][0])
			snprintf(names[k], sizeof names[k], "%.80s %u", s->info.transport_name,
				 u->gtb[k].id);
	}
	if (!nfb || reg_lock(rt, NULL) < 0)
		return;
	struct reg_slot cur;
	if (reg_get_incarnation_locked(rt, s->info.id, s->incarnation, &cur) < 0 ||
	    cur.info.discovery == MIDI_DISCOVERY_DONE) {
		reg_unlock(rt);
		return;
	}
	midi_endpoint_info i = cur.info;
	uint8_t protocols = 0;
	memset(i.fb, 0, sizeof i.fb);
	i.num_function_blocks = (uint8_t)nfb;
	for (unsigned k = 0; k < i.num_function_blocks; k++) {
		const struct usbmidi_gtb *g = &u->gtb[k];
		midi_function_block *fb = &i.fb[k];
		static const uint8_t dir[3] = {3, 1, 2}; /* bidirectional, input, output */
		fb->index = (uint8_t)k;
		fb->active = 1;
		fb->direction = g->type < 3 ? dir[g->type] : 3;
		fb->ui_hint = fb->direction;
		fb->first_group = g->first_group;
		fb->num_groups = g->ngroups;
		fb->midi1 = usbmidi_gtb_midi1(g->protocol) ? 1 : 0;
		protocols |= g->protocol ? (fb->midi1 ? 1 : 2) : 0;
		_Static_assert(sizeof names[0] == sizeof fb->name, "function block name size");
		memcpy(fb->name, names[k], sizeof fb->name);
	}
	i.flags |= MIDI_EPF_STATIC_FB;
	if (protocols) {
		i.protocols = protocols;
		i.protocol = protocols & 2 ? 2 : 1;
	}
	reg_update_stream_locked(rt, s->info.id, s->incarnation, &i, 0);
	reg_unlock(rt);
}

/* Open the device of slot s and start reading. 0, or -1 with why set. */
static int open_device(struct uhost *u, const struct reg_slot *s, char *why, size_t n)
{
	struct usb_where w;
	usb_where_load(s, &w);
	usb_node_name(&w, u->node, sizeof u->node);
	/* The node the agent found, opened here: its permissions are the
	 * udev rule's (midi.conf(5)); libusb then works on the descriptor. */
	u->fd = open(u->node, O_RDWR | O_CLOEXEC);
	if (u->fd < 0) {
		if (errno == EACCES || errno == EPERM)
			snprintf(why, n,
				 "cannot open %s (USB %04x:%04x): permission denied (see the udev rule "
				 "in midi.conf(5))", u->node, w.vid, w.pid);
		else if (errno == ENOENT || errno == ENODEV)
			snprintf(why, n, "is gone: device unplugged");
		else
			snprintf(why, n, "cannot open %s: %s", u->node, strerror(errno));
		return -1;
	}
	int r = libusb_wrap_sys_device(u->ctx, (intptr_t)u->fd, &u->hd);
	if (r < 0) {
		u->hd = NULL;
		snprintf(why, n, "cannot use %s: %s", u->node, libusb_strerror(r));
		return -1;
	}
	libusb_device *dev = libusb_get_device(u->hd);
	struct libusb_device_descriptor dd;
	if (libusb_get_device_descriptor(dev, &dd) < 0 || dd.idVendor != w.vid ||
	    dd.idProduct != w.pid) {
		snprintf(why, n, "is gone: device unplugged"); /* another device has its address */
		return -1;
	}
	struct usbmidi_conf c;
	char err[160] = "";
	if (usb_parse_device(dev, &c, err, sizeof err) <= 0) {
		snprintf(why, n, "USB device %s has no usable MIDIStreaming interface: %s", u->node,
			 err);
		return -1;
	}
	u->f = c.ifs[0];
	u->v2 = usb_use_midi2(&u->f, w.vid, w.pid, s->info.usb_serial);
	if (!u->v2 && !u->f.neps) {
		snprintf(why, n, "USB device %s has no MIDI 1.0 setting (midi1 = yes in midi.conf)",
			 u->node);
		return -1;
	}
	int take = u->v2 || usb_conf_take(w.vid, w.pid, s->info.usb_serial);
	if (!take && libusb_kernel_driver_active(u->hd, u->f.number) == 1) {
		snprintf(why, n,
			 "USB device %s is held by a kernel driver (take = yes in a [usb "
			 "%04x:%04x] section of midi.conf takes it)", u->node, w.vid, w.pid);
		return -1;
	}
	if (take) {
		libusb_set_auto_detach_kernel_driver(u->hd, 1);
		/* snd-usb-audio holds its card (and with it the MIDI endpoints)
		 * by the Audio Control interface: taken too, while open, whether
		 * its driver is bound or not yet: the kernel may be probing the
		 * device (just plugged in, or just given back by the host
		 * before this one), and would bind it and reach for the
		 * MIDIStreaming interface while this host uses it. Released,
		 * each is offered to the kernel's drivers (auto-detach:
		 * USBDEVFS_CONNECT), bound before or not. */
		for (size_t k = 0; k < c.nac; k++)
			if (c.ac[k] != u->f.number && libusb_claim_interface(u->hd, c.ac[k]) == 0)
				u->ac[u->nac++] = c.ac[k];
	}
	r = libusb_claim_interface(u->hd, u->f.number);
	if (r < 0) {
		if (r == LIBUSB_ERROR_ACCESS)
			snprintf(why, n, "cannot claim %s interface %u: permission denied", u->node,
				 u->f.number);
		else if (r == LIBUSB_ERROR_BUSY)
			snprintf(why, n, "USB device %s interface %u is in use by another program",
				 u->node, u->f.number);
		else
			snprintf(why, n, "cannot claim %s interface %u: %s", u->node, u->f.number,
				 libusb_strerror(r));
		return -1;
	}
	u->claimed = 1;
	uint8_t alt = u->v2 ? u->f.midi2_alt : u->f.alt;
	if ((alt || u->v2) && (r = libusb_set_interface_alt_setting(u->hd, u->f.number, alt)) < 0) {
		snprintf(why, n, "cannot select %s alternate setting %u: %s", u->node, alt,
			 libusb_strerror(r));
		return -1;
	}
	if (u->v2)
		read_gtbs(u);
	const struct usbmidi_ep *eps = u->v2 ? u->f.eps2 : u->f.eps;
	size_t neps = u->v2 ? u->f.neps2 : u->f.neps;
	for (size_t k = 0; k < neps; k++) {
		const struct usbmidi_ep *e = &eps[k];
		int in = e->addr & 0x80;
		struct upipe *p = in ? &u->in[u->nin++] : &u->out[u->nout++];
		unsigned *groups = in ? &u->in_groups : &u->out_groups;
		if (pipe_init(u, p, e, in ? USB_NREAD : USB_NWRITE) < 0) {
			snprintf(why, n, "out of memory");
			return -1;
		}
		p->base = (uint8_t)(*groups > 16 ? 16 : *groups);
		*groups += p->ncables;
		if (*groups > 16)
			*groups = 16;
	}
	for (size_t k = 0; k < u->nin; k++)
		for (unsigned j = 0; j < USB_NREAD; j++)
			if ((r = submit(&u->in[k].x[j])) < 0) {
				snprintf(why, n, "USB read on %s endpoint 0x%02x failed: %s", u->node,
					 u->in[k].addr, libusb_strerror(r));
				return -1;
			}
	return 0;
}

int usb_host_open(struct host *h, midi_error *e)
{
	struct uhost *u = calloc(1, sizeof *u);
	if (!u)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	u->h = h;
	u->fd = -1;
	midi_down_init(&u->down);
	host_set_priv(h, u);
	int r = usb_ctx_open(h, &u->ctx, 0, NULL, e);
	if (r < 0) {
		host_set_priv(h, NULL);
		free(u);
	}
	return r;
}

void usb_host_close(struct host *h)
{
	struct uhost *u = host_priv(h);
	if (!u)
		return;
	release(u);
	usb_ctx_close(h, u->ctx);
	free(u);
}

int usb_host_attach(struct host *h, struct host_ep *ep)
{
	struct uhost *u = host_priv(h);
	const struct reg_slot *s = host_ep_slot(ep);
	char why[256];
	if (u->ep)
		return -1; /* one endpoint per device */
	snprintf(u->id, sizeof u->id, "%s", s->info.id);
	u->gone = 0;
	u->ep = ep;
	if (open_device(u, s, why, sizeof why) < 0) {
		release(u);
		fail(u, why);
		return -1;
	}
	if (u->v2)
		publish_gtbs(u, s);
	else
		declare(u, s);
	return 0;
}

void usb_host_detach(struct host *h, struct host_ep *ep)
{
	struct uhost *u = host_priv(h);
	if (u->ep == ep)
		release(u);
}

/* MIDI 2.0: the OUT pipe carrying group g (a groupless packet: any), the
 * first one when no Group Terminal Block says. */
static struct upipe *out2_pipe(struct uhost *u, const midi_ump *p)
{
	if (midi_ump_has_group(p))
		for (size_t k = 0; k < u->nout; k++)
			if (u->out[k].groups >> midi_ump_group(p) & 1)
				return &u->out[k];
	return u->nout ? &u->out[0] : NULL;
}

/* The pipe and cable of group g for writing, or NULL. */
static struct upipe *out_pipe(struct uhost *u, unsigned g, unsigned *cable)
{
	for (size_t k = 0; k < u->nout; k++)
		if (g >= u->out[k].base && g < (unsigned)u->out[k].base + u->out[k].ncables) {
			*cable = g - u->out[k].base;
			return &u->out[k];
		}
	return NULL;
}

/* A transfer of p being filled with room for one more packet's bytes. */
static struct xfer *filling(struct upipe *p)
{
	for (unsigned j = 0; j < USB_NWRITE; j++)
		if (!p->x[j].busy && p->x[j].len && p->x[j].len + USBMIDI_ENC_MAX <= USB_BUF)
			return &p->x[j];
	for (unsigned j = 0; j < USB_NWRITE; j++)
		if (!p->x[j].busy && !p->x[j].len)
			return &p->x[j];
	return NULL;
}

static void send_filled(struct uhost *u)
{
	for (size_t k = 0; k < u->nout; k++)
		for (unsigned j = 0; j < USB_NWRITE; j++) {
			struct xfer *x = &u->out[k].x[j];
			if (x->busy || !x->len)
				continue;
			x->t->length = (int)x->len;
			int r = submit(x);
			if (r < 0) {
				char why[160];
				x->len = 0;
				if (r == LIBUSB_ERROR_NO_DEVICE)
					snprintf(why, sizeof why, "is gone: device unplugged");
				else
					snprintf(why, sizeof why, "USB write to endpoint 0x%02x failed: %s",
						 x->p->addr, libusb_strerror(r));
				fail(u, why);
			}
		}
}

static int put_word_cb(void *ctx, const midi_ump *p)
{
	struct xfer *x = ctx;
	x->len += (size_t)usbump_enc_put(p, x->buf + x->len, USB_BUF - x->len);
	return 0;
}

/* MIDI 2.0: UMP as it is, but MIDI 2.0 channel voice messages to a group
 * whose Group Terminal Block speaks the MIDI 1.0 protocol go as MIDI 1.0
 * ones (USB MIDI 2.0: the host sends a block its protocol). Returns how
 * many packets were taken. */
static size_t input2(struct uhost *u, const midi_packet *in, const uint32_t *tags, size_t n)
{
	size_t k;
	for (k = 0; k < n; k++) {
		const midi_ump *p = &in[k].ump;
		struct upipe *o = out2_pipe(u, p);
		if (!o)
			continue;
		struct xfer *x = filling(o);
		if (!x)
			break; /* every transfer busy: the rest waits (back-pressure) */
		if (midi_ump_mt(p) == MIDI_MT_STREAM) {
			u->asker = tags[k];
			u->asked_ns = broker_now_ns();
		}
		if (midi_ump_mt(p) == MIDI_MT_MIDI2_CV && u->midi1_groups >> midi_ump_group(p) & 1)
			midi_down_put(&u->down, p, put_word_cb, x); /* up to 4 words: room */
		else
			put_word_cb(x, p);
	}
	return k;
}

/* MIDI 1.0: event packets; discovery answered here. */
static size_t input1(struct uhost *u, const midi_packet *in, const uint32_t *tags, size_t n)
{
	size_t k;
	for (k = 0; k < n; k++) {
		const midi_ump *p = &in[k].ump;
		if (midi_ump_mt(p) == MIDI_MT_STREAM) {
			u->tag = tags[k]; /* discovery: answered for the device, to the asker */
			midi_responder_put(&u->decl, p, reply_cb, u);
			continue;
		}
		unsigned cable;
		struct upipe *o = midi_ump_has_group(p) ? out_pipe(u, midi_ump_group(p), &cable) : NULL;
		if (!o)
			continue; /* no such group on the device (or groupless): nothing to send */
		struct xfer *x = filling(o);
		if (!x)
			break; /* every transfer busy: the rest waits (back-pressure) */
		midi_ump q = *p;
		q.w[0] = (q.w[0] & ~0x0F000000u) | (uint32_t)cable << 24;
		int b = usbmidi_enc_put(&o->enc, &q, x->buf + x->len, USB_BUF - x->len);
		if (b > 0)
			x->len += (size_t)b;
	}
	return k;
}

size_t usb_host_input(struct host *h, struct host_ep *ep, const midi_packet *in,
		      const uint32_t *tags, size_t n)
{
	struct uhost *u = host_priv(h);
	if (u->ep != ep || u->gone)
		return 0; /* being removed: what waits goes with the endpoint */
	size_t k = u->v2 ? input2(u, in, tags, n) : input1(u, in, tags, n);
	flush(u);
	send_filled(u);
	return k;
}
