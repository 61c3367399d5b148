/* usb.c: the usb transport (USB MIDI 1.0 devices through libusb; built
 * only where libusb is found): its table, the agent, and what the host
 * shares with it (usb.h).
 *
 * Agent: enumerates devices with libusb, and follows hotplug through
 * libusb's hotplug callbacks (libusb's descriptors in the host loop). Every
 * device with a MIDIStreaming interface that has endpoints is one endpoint
 * (cable N = group N), id usb:VVVV-PPPP-SERIAL when the device has a
 * serial number, else usb:VVVV-PPPP@BUS-PORT.PORT (the port path, stable
 * while it stays in the same socket), with its USB vendor, product and
 * serial as properties and its product string as name. A device whose
 * MIDIStreaming interface a kernel driver holds (Linux: snd-usb-audio) is
 * left to the kernel and not listed, unless midi.conf has
 * [usb VID:PID[:SERIAL]] with take = yes (the host then detaches the
 * driver while it has the device open and gives it back after). Strings
 * come from sysfs on Linux (no need to open the device), else from the
 * device itself when it can be opened.
 *
 * The host (usb_host.c) serves one device: group usb-BUS-PORTS. */
#include "transport/usb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- where a device is ---- */

void usb_where_of(libusb_device *d, const struct libusb_device_descriptor *dd,
		  struct usb_where *w)
{
	memset(w, 0, sizeof *w);
	w->vid = dd->idVendor;
	w->pid = dd->idProduct;
	w->bus = libusb_get_bus_number(d);
	int n = libusb_get_port_numbers(d, w->ports, USB_MAX_PORTS);
	w->nports = n > 0 ? (uint8_t)n : 0;
	w->addr = libusb_get_device_address(d);
}

void usb_where_store(const struct usb_where *w, struct reg_slot *s)
{
	s->tpriv[0] = (uint64_t)w->vid << 16 | w->pid;
	s->tpriv[1] = (uint64_t)w->addr << 16 | (uint64_t)w->bus << 8 | w->nports;
	uint64_t p = 0;
	for (unsigned k = 0; k < USB_MAX_PORTS; k++)
		p |= (uint64_t)w->ports[k] << (8 * k);
	s->tpriv[2] = p;
}

void usb_where_load(const struct reg_slot *s, struct usb_where *w)
{
	memset(w, 0, sizeof *w);
	w->vid = (uint16_t)(s->tpriv[0] >> 16);
	w->pid = (uint16_t)s->tpriv[0];
	w->bus = (uint8_t)(s->tpriv[1] >> 8);
	w->nports = (uint8_t)s->tpriv[1];
	w->addr = (uint8_t)(s->tpriv[1] >> 16);
	if (w->nports > USB_MAX_PORTS)
		w->nports = USB_MAX_PORTS;
	for (unsigned k = 0; k < w->nports; k++)
		w->ports[k] = (uint8_t)(s->tpriv[2] >> (8 * k));
}

int usb_where_same(const struct usb_where *a, const struct usb_where *b)
{
	return a->vid == b->vid && a->pid == b->pid && a->bus == b->bus &&
	       a->nports == b->nports && memcmp(a->ports, b->ports, a->nports) == 0;
}

void usb_where_name(const struct usb_where *w, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%u-", w->bus);
	for (unsigned i = 0; i < w->nports && k > 0 && (size_t)k < n; i++)
		k += snprintf(buf + k, n - (size_t)k, i ? ".%u" : "%u", w->ports[i]);
	if (!w->nports && k > 0 && (size_t)k < n)
		snprintf(buf + k, n - (size_t)k, "0");
}

void usb_node_name(const struct usb_where *w, char *buf, size_t n)
{
	snprintf(buf, n, "/dev/bus/usb/%03u/%03u", w->bus, w->addr);
}

/* ---- descriptors ---- */

static size_t put(uint8_t *b, size_t at, size_t cap, const void *x, size_t n)
{
	if (at + n <= cap)
		memcpy(b + at, x, n);
	return at + n;
}

int usb_parse_device(libusb_device *d, struct usbmidi_conf *c, char *err, size_t errlen)
{
	struct libusb_config_descriptor *cd;
	int r = libusb_get_active_config_descriptor(d, &cd);
	if (r == LIBUSB_ERROR_NOT_FOUND)
		r = libusb_get_config_descriptor(d, 0, &cd);
	if (r < 0) {
		snprintf(err, errlen, "cannot read the configuration descriptor: %s",
			 libusb_strerror(r));
		return -1;
	}
	static uint8_t b[65536];
	size_t n = 9;
	n = put(b, n, sizeof b, cd->extra, (size_t)cd->extra_length);
	for (int i = 0; i < cd->bNumInterfaces; i++) {
		const struct libusb_interface *in = &cd->interface[i];
		for (int a = 0; a < in->num_altsetting; a++) {
			const struct libusb_interface_descriptor *id = &in->altsetting[a];
			uint8_t h[9] = {9, LIBUSB_DT_INTERFACE, id->bInterfaceNumber,
					id->bAlternateSetting, id->bNumEndpoints, id->bInterfaceClass,
					id->bInterfaceSubClass, id->bInterfaceProtocol, id->iInterface};
			n = put(b, n, sizeof b, h, 9);
			n = put(b, n, sizeof b, id->extra, (size_t)id->extra_length);
			for (int e = 0; e < id->bNumEndpoints; e++) {
				const struct libusb_endpoint_descriptor *ed = &id->endpoint[e];
				uint8_t x[9] = {ed->bLength >= 9 ? 9 : 7, LIBUSB_DT_ENDPOINT,
						ed->bEndpointAddress, ed->bmAttributes,
						(uint8_t)ed->wMaxPacketSize,
						(uint8_t)(ed->wMaxPacketSize >> 8), ed->bInterval,
						ed->bRefresh, ed->bSynchAddress};
				n = put(b, n, sizeof b, x, x[0]);
				n = put(b, n, sizeof b, ed->extra, (size_t)ed->extra_length);
			}
		}
	}
	uint8_t hdr[9] = {9, LIBUSB_DT_CONFIG, (uint8_t)n, (uint8_t)(n >> 8), cd->bNumInterfaces,
			  cd->bConfigurationValue, cd->iConfiguration, cd->bmAttributes,
			  cd->MaxPower};
	libusb_free_config_descriptor(cd);
	if (n > 65535 || n > sizeof b) {
		snprintf(err, errlen, "configuration descriptor too long (%zu bytes)", n);
		return -1;
	}
	memcpy(b, hdr, 9);
	return usbmidi_parse_config(b, n, c, err, errlen);
}

/* ---- configuration: [usb VID:PID[:SERIAL]] take = yes|no, midi1 = yes|no ---- */

static const char *const conf_keys[] = {"take", "midi1"};

static int conf_match(const char *arg, uint16_t vid, uint16_t pid, const char *serial)
{
	unsigned v, p;
	int end = 0;
	if (sscanf(arg, "%4x:%4x%n", &v, &p, &end) != 2)
		return 0;
	if (v != vid || p != pid)
		return 0;
	if (!arg[end])
		return 1;
	return arg[end] == ':' && serial && strcmp(arg + end + 1, serial) == 0;
}

/* Whether the device's sections say key = yes (a section naming the
 * serial wins over one that does not); 0 when none says. */
static int conf_yes(const char *key, uint16_t vid, uint16_t pid, const char *serial)
{
	struct conf c;
	if (conf_current(&c, NULL) < 0)
		return 0;
	int yes = 0, best = -1;
	const struct conf_sec *s;
	for (size_t k = 0; (s = conf_next(&c, "usb", &k));) {
		if (!conf_match(s->arg, vid, pid, serial))
			continue;
		int specific = strchr(strchr(s->arg, ':') + 1, ':') != NULL;
		if (specific < best)
			continue;
		for (size_t j = 0; j < s->nkv; j++)
			if (strcmp(s->kv[j].key, key) == 0) {
				yes = strcmp(s->kv[j].val, "yes") == 0;
				best = specific;
			}
	}
	conf_free(&c);
	return yes;
}

int usb_conf_take(uint16_t vid, uint16_t pid, const char *serial)
{
	return conf_yes("take", vid, pid, serial);
}

int usb_use_midi2(const struct usbmidi_if *f, uint16_t vid, uint16_t pid, const char *serial)
{
	if (!f->neps2)
		return 0;
	return !f->neps || !conf_yes("midi1", vid, pid, serial);
}

/* Read a sysfs file of the device directory dev into buf (n bytes at
 * most); the byte count, or -1. */
static ssize_t sysfs_read(const char *dev, const char *attr, void *buf, size_t n)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", dev, attr);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, n);
	close(fd);
	return r;
}

/* A text attribute of the device directory dev, its first line ("" if none). */
static void sysfs_text(const char *dev, const char *attr, char *buf, size_t n)
{
	ssize_t r = sysfs_read(dev, attr, buf, n - 1);
	buf[r > 0 ? r : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int usb_card_listed(int card)
{
	char path[64], dev[PATH_MAX];
	snprintf(path, sizeof path, "/sys/class/sound/card%d/device", card);
	if (!realpath(path, dev))
		return 0;
	char *slash = strrchr(dev, '/'); /* the interface's directory: its parent is the device */
	if (!slash || !strchr(slash, ':'))
		return 0;                /* not a USB interface */
	*slash = '\0';
	char txt[3][128];
	static const char *const attr[3] = {"idVendor", "idProduct", "serial"};
	for (int k = 0; k < 3; k++)
		sysfs_text(dev, attr[k], txt[k], sizeof txt[k]);
	static uint8_t d[65536];
	ssize_t n = sysfs_read(dev, "descriptors", d, sizeof d);
	struct usbmidi_conf c;
	if (n <= 18 || usbmidi_parse_config(d + 18, (size_t)n - 18, &c, NULL, 0) <= 0)
		return 0;
	uint16_t vid = (uint16_t)strtoul(txt[0], NULL, 16), pid = (uint16_t)strtoul(txt[1], NULL, 16);
	/* as the agent decides: MIDI 2.0 devices are taken, MIDI 1.0 ones only
	 * with take = yes (a card means the kernel's driver holds it) */
	return usb_use_midi2(&c.ifs[0], vid, pid, txt[2]) || usb_conf_take(vid, pid, txt[2]);
}

static int usb_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
			  midi_error *e)
{
	(void)c;
	unsigned v, p;
	int end = 0;
	const char *a = sec->arg;
	if (sscanf(a, "%4x:%4x%n", &v, &p, &end) != 2 || end != 9 ||
	    (a[end] && (a[end] != ':' || !a[end + 1])))
		return conf_error(e, path, sec->line,
				  "[usb %s]: expected [usb VID:PID] or [usb VID:PID:SERIAL] with "
				  "4-digit hexadecimal ids", a);
	for (size_t k = 0; k < sec->nkv; k++) {
		const struct conf_kv *kv = &sec->kv[k];
		size_t j = 0;
		while (j < sizeof conf_keys / sizeof *conf_keys && strcmp(kv->key, conf_keys[j]))
			j++;
		if (j == sizeof conf_keys / sizeof *conf_keys)
			return conf_error(e, path, kv->line,
					  "[usb %s]: unknown key \"%s\" (known: take, midi1)", a, kv->key);
		if (strcmp(kv->val, "yes") != 0 && strcmp(kv->val, "no") != 0)
			return conf_error(e, path, kv->line, "[usb %s]: %s = %s: expected yes or no", a,
					  kv->key, kv->val);
	}
	return 0;
}

/* ---- libusb in the host loop ---- */

/* One per process (a process is one host or one agent). */
static struct usb_loop {
	libusb_context *ctx;
	struct host *h;
	int timer;      /* when libusb cannot give its timeouts as a descriptor, */
	int unwatched;  /* or epoll refused one of its descriptors (a regular file
			 * standing for a device node, as under umockdev) */
	void (*after)(struct host *h);
} loop;

void usb_ctx_poll(libusb_context *ctx)
{
	struct timeval tv = {0, 0};
	libusb_handle_events_timeout_completed(ctx, &tv, NULL);
}

static void on_fd(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)h;
	(void)fd;
	(void)revents;
	struct usb_loop *l = arg;
	usb_ctx_poll(l->ctx);
	if (l->after)
		l->after(l->h);
}

static uint32_t ep_events(short ev)
{
	return (ev & POLLIN ? EPOLLIN : 0) | (ev & POLLOUT ? EPOLLOUT : 0);
}

static void on_tick(struct host *h, void *arg);

static void watch(struct usb_loop *l, int fd, short events)
{
	if (host_fd_add(l->h, fd, ep_events(events), on_fd, l) == 0 || l->unwatched++)
		return;
	/* Poll libusb on a short timer instead (starts it unless running). */
	if (l->timer >= 0)
		host_timer_del(l->h, l->timer);
	on_tick(l->h, l);
}

static void fd_added(int fd, short events, void *arg)
{
	watch(arg, fd, events);
}

static void fd_removed(int fd, void *arg)
{
	struct usb_loop *l = arg;
	host_fd_del(l->h, fd);
}

static void on_tick(struct host *h, void *arg)
{
	struct usb_loop *l = arg;
	usb_ctx_poll(l->ctx);
	if (l->after)
		l->after(l->h);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	l->timer = host_timer_add(h, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec +
					     (l->unwatched ? 2000000ull : 50000000ull),
				  on_tick, l);
}

int usb_ctx_open(struct host *h, libusb_context **ctx, int discovery,
		 void (*after)(struct host *h), midi_error *e)
{
	struct usb_loop *l = &loop;
	if (!discovery)
		libusb_set_option(NULL, LIBUSB_OPTION_NO_DEVICE_DISCOVERY);
	int r = libusb_init(ctx);
	if (r < 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "libusb: %s", libusb_strerror(r));
	l->ctx = *ctx;
	l->h = h;
	l->timer = -1;
	l->unwatched = 0;
	l->after = after;
	const struct libusb_pollfd **fds = libusb_get_pollfds(*ctx);
	for (size_t k = 0; fds && fds[k]; k++)
		watch(l, fds[k]->fd, fds[k]->events);
	libusb_free_pollfds(fds);
	libusb_set_pollfd_notifiers(*ctx, fd_added, fd_removed, l);
	if (!libusb_pollfds_handle_timeouts(*ctx) && l->timer < 0)
		on_tick(h, l);
	return 0;
}

void usb_ctx_close(struct host *h, libusb_context *ctx)
{
	if (loop.ctx == ctx) {
		if (loop.timer >= 0)
			host_timer_del(h, loop.timer);
		libusb_set_pollfd_notifiers(ctx, NULL, NULL, NULL);
		const struct libusb_pollfd **fds = libusb_get_pollfds(ctx);
		for (size_t j = 0; fds && fds[j]; j++)
			host_fd_del(h, fds[j]->fd);
		libusb_free_pollfds(fds);
		memset(&loop, 0, sizeof loop);
	}
	libusb_exit(ctx);
}

/* ---- agent ---- */

struct uagent {
	libusb_context *ctx;
	libusb_hotplug_callback_handle cb;
	int dirty;
};

/* A sysfs attribute of the device (Linux), trimmed; "" if none. */
static void sysfs_attr(const struct usb_where *w, const char *attr, char *buf, size_t n)
{
	char name[48], dev[96];
	usb_where_name(w, name, sizeof name);
	snprintf(dev, sizeof dev, "/sys/bus/usb/devices/%s", name);
	sysfs_text(dev, attr, buf, n);
}

/* Whether a kernel driver is bound to the interface (Linux sysfs). */
static int kernel_bound(const struct usb_where *w, uint8_t config, uint8_t ifnum)
{
	char name[48], path[160];
	struct stat st;
	usb_where_name(w, name, sizeof name);
	snprintf(path, sizeof path, "/sys/bus/usb/devices/%s:%u.%u/driver", name, config, ifnum);
	return lstat(path, &st) == 0; /* the link is there: bound */
}

static void strings_of(libusb_device *d, const struct libusb_device_descriptor *dd,
		       const struct usb_where *w, char *vendor, char *product, char *serial,
		       size_t n)
{
	sysfs_attr(w, "manufacturer", vendor, n);
	sysfs_attr(w, "product", product, n);
	sysfs_attr(w, "serial", serial, n);
	if ((dd->iSerialNumber && !serial[0]) || (dd->iProduct && !product[0])) {
		libusb_device_handle *hd;
		if (libusb_open(d, &hd) == 0) {
			uint8_t idx[3] = {dd->iManufacturer, dd->iProduct, dd->iSerialNumber};
			char *out[3] = {vendor, product, serial};
			for (int k = 0; k < 3; k++)
				if (idx[k] && !out[k][0] &&
				    libusb_get_string_descriptor_ascii(hd, idx[k], (unsigned char *)out[k],
								       (int)n) < 0)
					out[k][0] = '\0';
			libusb_close(hd);
		}
	}
}

/* Keep letters, digits, '.', '_' and '-' of s (ids are made of those). */
static void id_safe(char *s)
{
	for (char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			*p = '_';
}

/* The endpoint for device d, if it is a USB MIDI device to list. */
static int slot_for(libusb_device *d, struct reg_slot *s)
{
	struct libusb_device_descriptor dd;
	struct usbmidi_conf c;
	char err[160] = "";
	if (libusb_get_device_descriptor(d, &dd) < 0 || usb_parse_device(d, &c, err, sizeof err) <= 0)
		return -1;
	const struct usbmidi_if *f = &c.ifs[0];
	struct usb_where w;
	usb_where_of(d, &dd, &w);
	char vendor[128], product[128], serial[128];
	strings_of(d, &dd, &w, vendor, product, serial, sizeof vendor);
	int v2 = usb_use_midi2(f, w.vid, w.pid, serial);
	/* A MIDI 1.0 device whose kernel driver is bound is left to it; a
	 * MIDI 2.0 one is taken (the kernel drives only its MIDI 1.0 setting). */
	if (!v2 && kernel_bound(&w, c.value, f->number) && !usb_conf_take(w.vid, w.pid, serial))
		return -1;
	char id[MIDI_ID_MAX], where[48], name[MIDI_NAME_MAX];
	usb_where_name(&w, where, sizeof where);
	if (serial[0]) {
		char sn[40];
		snprintf(sn, sizeof sn, "%.39s", serial);
		id_safe(sn);
		snprintf(id, sizeof id, "usb:%04x-%04x-%s", w.vid, w.pid, sn);
	} else {
		snprintf(id, sizeof id, "usb:%04x-%04x@%s", w.vid, w.pid, where);
	}
	if (product[0])
		snprintf(name, sizeof name, "%s", product);
	else
		snprintf(name, sizeof name, "USB MIDI %04x:%04x", w.vid, w.pid);
	transport_fill_slot(s, "usb", id, name, MIDI_PURPOSE_NORMAL);
	s->hosted = 1;
	s->info.protocol = v2 ? 2 : 1; /* the host refines it from the Group Terminal Blocks */
	s->info.protocols = v2 ? 3 : 1;
	s->info.discovery = MIDI_DISCOVERY_PENDING;
	s->info.usb_vendor = w.vid;
	s->info.usb_product = w.pid;
	snprintf(s->info.usb_serial, sizeof s->info.usb_serial, "%.63s", serial);
	snprintf(s->group, sizeof s->group, "usb-%.27s", where);
	usb_where_store(&w, s);
	return 0;
}

/* Make the endpoints match the devices present. */
static void agent_sync(struct host *h)
{
	struct uagent *a = host_priv(h);
	libusb_device **list;
	ssize_t nd = libusb_get_device_list(a->ctx, &list);
	if (nd < 0)
		return;
	static struct reg_slot have[64];
	size_t nh = 0;
	for (ssize_t k = 0; k < nd && nh < 64; k++)
		if (slot_for(list[k], &have[nh]) == 0)
			agent_add(h, &have[nh++], NULL);
	libusb_free_device_list(list, 1);
	char (*ids)[MIDI_ID_MAX];
	size_t n;
	if (agent_list(h, &ids, &n) < 0)
		return;
	for (size_t j = 0; j < n; j++) {
		int present = 0;
		for (size_t k = 0; k < nh && !present; k++)
			present = strcmp(have[k].info.id, ids[j]) == 0;
		if (!present)
			agent_remove(h, ids[j], "is gone: device unplugged");
	}
	free(ids);
}

static int on_hotplug(libusb_context *ctx, libusb_device *d, libusb_hotplug_event ev, void *arg)
{
	(void)ctx;
	(void)d;
	(void)ev;
	((struct uagent *)arg)->dirty = 1;
	return 0;
}

/* After libusb's events: devices came or went. */
static void after_events(struct host *h)
{
	struct uagent *a = host_priv(h);
	if (a && a->dirty) {
		a->dirty = 0;
		agent_sync(h);
	}
}

static int usb_wanted(struct rt *rt)
{
	(void)rt;
	struct stat st;
	const char *s = getenv("MIDI_USB");
	if (s && strcmp(s, "0") == 0)
		return 0;
	return stat("/sys/bus/usb", &st) == 0 || stat("/dev/bus/usb", &st) == 0;
}

static int usb_agent_open(struct host *h, midi_error *e)
{
	struct uagent *a = calloc(1, sizeof *a);
	if (!a)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	host_set_priv(h, a);
	int r = usb_ctx_open(h, &a->ctx, 1, after_events, e);
	if (r < 0) {
		host_set_priv(h, NULL);
		free(a);
		return r;
	}
	if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG))
		libusb_hotplug_register_callback(
			a->ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
			0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
			LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, a, &a->cb);
	agent_sync(h);
	return 0;
}

static void usb_agent_close(struct host *h)
{
	struct uagent *a = host_priv(h);
	if (!a)
		return;
	usb_ctx_close(h, a->ctx);
	free(a);
}

const struct midi_transport transport_usb = {
	.name = "usb",
	.host_open = usb_host_open,
	.host_close = usb_host_close,
	.host_attach = usb_host_attach,
	.host_detach = usb_host_detach,
	.host_input = usb_host_input,
	.agent_wanted = usb_wanted,
	.agent_open = usb_agent_open,
	.agent_close = usb_agent_close,
	.discoverable = 1,
	.realtime = 1,
	.conf_section = "usb",
	.conf_check = usb_conf_check,
};
