/* gfsmidi: owns the test VM's USB MIDI 2.0 device, written in user space
 * on gadgetfs (adapted from the team's lab kit, MIT).
 *
 *   gfsmidi GADGETFS_DIR [SECONDS]      (e.g. mount -t gadgetfs none /dev/gadget)
 *
 * Run in the QEMU guest with dummy_hcd: the guest's own USB host side
 * enumerates the device, and snd-usb-audio or libusb talk to it. gadgetfs
 * passes our descriptors through untouched (FunctionFS rejects
 * class-specific ones, and Debian's kernels lack the f_midi2 gadget).
 *
 * The device is 1209:4d32, "Lab MIDI 2.0", serial number G2000001.
 * Interface 0 is Audio Control. Interface 1 is MIDIStreaming with alt
 * setting 0 = USB MIDI 1.0 (jacks) and alt setting 1 = USB MIDI 2.0 (UMP).
 * Two Group Terminal Blocks, served through GET_DESCRIPTOR(0x26): block 1
 * "Synth" on group 1 and block 2 "Keys" on group 2, both bidirectional,
 * MIDI 2.0 protocol. It is a loopback: each bulk OUT transfer (EP 0x02) is
 * written back on bulk IN (EP 0x81), except that on alt 1 the UMP Stream
 * messages the device answers are answered instead of echoed: Endpoint
 * Discovery (Endpoint Info, Device Identity, Endpoint Name "Lab MIDI 2.0
 * Loop", Product Instance Id, Stream Configuration), Stream Configuration
 * Request and Function Block Discovery (Function Block Info and Name per
 * block). UMP travels as 32-bit little-endian words. It stops after SECONDS
 * (default 300) or when killed. Endpoint file names are those of dummy_hcd.
 * Build: cc -pthread. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/gadgetfs.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static int ep_in = -1, ep_out = -1;
static volatile int alt;

/* Configuration descriptor; full and high speed differ in packet size only. */
static size_t config_desc(uint8_t *b, int high_speed)
{
	uint8_t lo = high_speed ? 0x00 : 0x40, hi = high_speed ? 0x02 : 0x00; /* 512 or 64 */
	const uint8_t body[] = {
		/* interface 0: Audio Control, with a class header naming interface 1 */
		9, 4, 0, 0, 0, 1, 1, 0, 0,
		9, 0x24, 1, 0x00, 0x01, 9, 0, 1, 1,
		/* interface 1 alt 0: MIDIStreaming, USB MIDI 1.0 (bcdMSC 1.00) */
		9, 4, 1, 0, 2, 1, 3, 0, 0,
		7, 0x24, 1, 0x00, 0x01, 0x41, 0x00,
		6, 0x24, 2, 1, 1, 0,          /* MIDI IN jack, embedded, id 1 */
		6, 0x24, 2, 2, 2, 0,          /* MIDI IN jack, external, id 2 */
		9, 0x24, 3, 1, 3, 1, 2, 1, 0, /* MIDI OUT jack, embedded, id 3 <- 2 */
		9, 0x24, 3, 2, 4, 1, 1, 1, 0, /* MIDI OUT jack, external, id 4 <- 1 */
		9, 5, 0x02, 2, lo, hi, 0, 0, 0,  5, 0x25, 1, 1, 1, /* bulk OUT -> jack 1 */
		9, 5, 0x81, 2, lo, hi, 0, 0, 0,  5, 0x25, 1, 1, 3, /* bulk IN <- jack 3 */
		/* interface 1 alt 1: MIDIStreaming, USB MIDI 2.0 (bcdMSC 2.00) */
		9, 4, 1, 1, 2, 1, 3, 0, 0,
		7, 0x24, 1, 0x00, 0x02, 0x07, 0x00,
		7, 5, 0x02, 2, lo, hi, 0,  6, 0x25, 2, 2, 1, 2, /* bulk OUT, group terminal blocks 1, 2 */
		7, 5, 0x81, 2, lo, hi, 0,  6, 0x25, 2, 2, 1, 2, /* bulk IN, group terminal blocks 1, 2 */
	};
	size_t n = 9 + sizeof body;
	const uint8_t head[9] = {9, 2, n & 0xff, n >> 8, 2, 1, 0, 0x80, 50}; /* 2 interfaces, 100 mA */
	memcpy(b, head, 9);
	memcpy(b + 9, body, sizeof body);
	return n;
}

static const uint8_t device_desc[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64,
	0x09, 0x12, 0x32, 0x4d, 0x00, 0x02, 1, 2, 3, 1}; /* 1209:4d32, strings 1-3 */

/* Group Terminal Block descriptors (USB MIDI 2.0, section 5.4): a header
 * and two bidirectional blocks (type 0), MIDI 2.0 protocol (0x11): block 1
 * first group 0 (= group 1), one group, named by string 4; block 2 first
 * group 1, one group, named by string 5. */
static const uint8_t gtb[31] = {5, 0x26, 1, 31, 0,
	13, 0x26, 2, 1, 0x00, 0, 1, 4, 0x11, 0, 0, 0, 0,
	13, 0x26, 2, 2, 0x00, 1, 1, 5, 0x11, 0, 0, 0, 0};

static int string_desc(int idx, uint8_t *b)
{
	static const char *s[] = {NULL, "Lab", "Lab MIDI 2.0", "G2000001", "Synth", "Keys"};
	int n = 2;
	if (idx == 0) { /* the list of languages: en-US */
		b[0] = 4; b[1] = 3; b[2] = 0x09; b[3] = 0x04;
		return 4;
	}
	if (idx > 5)
		return -1;
	for (const char *c = s[idx]; *c; c++) { /* ASCII to UTF-16LE */
		b[n++] = *c;
		b[n++] = 0;
	}
	b[0] = n; b[1] = 3;
	return n;
}

/* Open an endpoint file and configure it: tag 1, then its full-speed and
 * high-speed endpoint descriptors. */
static int open_ep(const char *name, uint8_t addr)
{
	char path[512];
	uint8_t b[4 + 7 + 7] = {1, 0, 0, 0,  7, 5, addr, 2, 0x40, 0x00, 0,  7, 5, addr, 2, 0x00, 0x02, 0};
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDWR);
	if (fd < 0 || write(fd, b, sizeof b) < 0) {
		perror(path);
		return -1;
	}
	return fd;
}

/* UMP Stream replies (UMP 1.1, message type 0xF). Words are built in
 * host order and stored little-endian. */
#define NAME "Lab MIDI 2.0 Loop"
#define PIID "G2000001"
static const char *const fb_name[2] = {"Synth", "Keys"};

static void put(uint8_t **o, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3)
{
	uint32_t w[4] = {w0, w1, w2, w3};
	for (int i = 0; i < 4; i++)
		for (int b = 0; b < 4; b++)
			*(*o)++ = w[i] >> (8 * b);
}

/* A text in stream packets of status st: `head' bits of w0's low 16 carry
 * the first bytes (2 for the endpoint name, 1 after the block number for a
 * function block name), then 12 bytes in w1-w3. */
static void put_text(uint8_t **o, unsigned st, uint32_t fixed, int head, const char *t)
{
	size_t n = strlen(t), per = head + 12, at = 0;
	do {
		uint8_t c[14] = {0};
		size_t k = n - at < per ? n - at : per;
		memcpy(c, t + at, k);
		unsigned form = n <= per ? 0 : at == 0 ? 1 : at + k >= n ? 3 : 2;
		uint32_t w0 = 0xF0000000u | form << 26 | st << 16 | fixed;
		w0 |= head == 2 ? (uint32_t)c[0] << 8 | c[1] : c[0];
		const uint8_t *r = c + head;
		put(o, w0, (uint32_t)r[0] << 24 | r[1] << 16 | r[2] << 8 | r[3],
		    (uint32_t)r[4] << 24 | r[5] << 16 | r[6] << 8 | r[7],
		    (uint32_t)r[8] << 24 | r[9] << 16 | r[10] << 8 | r[11]);
		at += k;
	} while (at < n);
}

/* Answer the stream message w (4 words) into *o; 0 if it is not one the
 * device answers (then it is echoed). */
static int stream_reply(const uint32_t *w, uint8_t **o)
{
	unsigned st = w[0] >> 16 & 0x3ff;
	if (st == 0x000) { /* Endpoint Discovery: filter in w1 bits 0-4 */
		unsigned f = w[1] & 0x1f;
		if (f & 1) /* Endpoint Info: UMP 1.1, static blocks, 2 blocks, MIDI 1.0 and 2.0 */
			put(o, 0xF0010101u, 1u << 31 | 2u << 24 | 0x300, 0, 0);
		if (f & 2) /* Device Identity: 7D 00 00, family 1, model 2, version 1.0.0.0 */
			put(o, 0xF0020000u, 0x007D0000u, 0x01000200u, 0x01000000u);
		if (f & 4)
			put_text(o, 0x003, 0, 2, NAME);
		if (f & 8)
			put_text(o, 0x004, 0, 2, PIID);
		if (f & 16) /* Stream Configuration: MIDI 2.0, no JR timestamps */
			put(o, 0xF0060200u, 0, 0, 0);
		return 1;
	}
	if (st == 0x005) { /* Stream Configuration Request: accept the protocol */
		put(o, 0xF0060000u | (w[0] & 0xff00), 0, 0, 0);
		return 1;
	}
	if (st == 0x010) { /* Function Block Discovery: block (0xFF all), filter */
		unsigned b = w[0] >> 8 & 0xff, f = w[0] & 3;
		for (unsigned i = 0; i < 2; i++) {
			if (b != 0xff && b != i)
				continue;
			if (f & 1) /* active, block i, UI hint both, not MIDI 1.0, bidirectional; 1 group */
				put(o, 0xF0118033u | i << 8, i << 24 | 1u << 16, 0, 0);
			if (f & 2)
				put_text(o, 0x012, i << 8, 1, fb_name[i]);
		}
		return 1;
	}
	return 0;
}

/* UMP size in words by message type. */
static size_t ump_words(uint32_t w0)
{
	static const uint8_t n[16] = {1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4};
	return n[w0 >> 28];
}

/* On alt 1: the bytes to send back for the n bytes just received, in
 * order: each UMP echoed unless it is a stream message answered above. A
 * UMP cut by the end of the transfer is kept for the next one. */
static size_t ump_loop(const uint8_t *in, size_t n, uint8_t *out)
{
	static uint8_t carry[16];
	static size_t nc;
	uint8_t *o = out;
	for (size_t i = 0; i < n; i++) {
		carry[nc++] = in[i];
		if (nc % 4)
			continue;
		uint32_t w[4];
		for (size_t k = 0; k < nc / 4; k++)
			w[k] = carry[4 * k] | carry[4 * k + 1] << 8 | carry[4 * k + 2] << 16 | (uint32_t)carry[4 * k + 3] << 24;
		if (nc / 4 < ump_words(w[0]))
			continue;
		if (w[0] >> 28 != 0xF || !stream_reply(w, &o)) {
			memcpy(o, carry, nc);
			o += nc;
		}
		nc = 0;
	}
	return o - out;
}

/* The loopback, in its own thread: every bulk OUT transfer goes back IN. */
static void *loopback(void *unused)
{
	uint8_t buf[512], out[8192];
	(void)unused;
	for (;;) {
		ssize_t n = read(ep_out, buf, sizeof buf); /* blocks until the host sends */
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t m = n;
		const uint8_t *back = buf;
		if (alt == 1) {
			m = ump_loop(buf, n, out);
			back = out;
		}
		printf("[gfsmidi] bulk OUT on alt %d, %zd bytes:", alt, n);
		for (ssize_t i = 0; i < n && i < 32; i++)
			printf(" %02x", buf[i]);
		printf("%s -> %zu bytes back\n", n > 32 ? " ..." : "", m);
		if (m && write(ep_in, back, m) < 0)
			perror("[gfsmidi] bulk IN");
	}
	return NULL;
}

/* Answer one SETUP request on ep0. For gadgetfs, a zero-length read
 * acknowledges an OUT request and stalls an IN one; a write does the reverse. */
static void setup(int fd, const struct usb_ctrlrequest *s)
{
	uint16_t value = __le16_to_cpu(s->wValue), index = __le16_to_cpu(s->wIndex);
	uint16_t length = __le16_to_cpu(s->wLength);
	uint8_t d[256];
	int n = -1;

	if (s->bRequest == USB_REQ_GET_DESCRIPTOR && (s->bRequestType & USB_DIR_IN)) {
		if (value >> 8 == USB_DT_STRING)
			n = string_desc(value & 0xff, d);
		else if (value >> 8 == 0x26) { /* CS_GR_TRM_BLOCK */
			memcpy(d, gtb, sizeof gtb);
			n = sizeof gtb;
		}
		printf("[gfsmidi] GET_DESCRIPTOR 0x%04x -> %d bytes%s\n", value, n, n < 0 ? " (stall)" : "");
		if (n < 0) { if (read(fd, d, 0)) {} }
		else if (write(fd, d, n < length ? n : length) < 0) perror("[gfsmidi] ep0 write");
	} else if (s->bRequest == USB_REQ_SET_CONFIGURATION && s->bRequestType == USB_RECIP_DEVICE) {
		printf("[gfsmidi] SET_CONFIGURATION %u\n", value);
		if (value && ep_in < 0) { /* endpoints exist once configured */
			pthread_t t;
			ep_in = open_ep("ep1in-bulk", 0x81);
			ep_out = open_ep("ep2out-bulk", 0x02);
			if (ep_in >= 0 && ep_out >= 0)
				pthread_create(&t, NULL, loopback, NULL);
		}
		if (read(fd, d, 0)) {}
	} else if (s->bRequest == USB_REQ_SET_INTERFACE && s->bRequestType == USB_RECIP_INTERFACE) {
		alt = value;
		printf("[gfsmidi] SET_INTERFACE %u alt %u (%s)\n", index, value, value ? "MIDI 2.0, UMP" : "MIDI 1.0");
		if (read(fd, d, 0)) {}
	} else {
		printf("[gfsmidi] SETUP %02x %02x %04x %04x %04x not handled (stall)\n",
		       s->bRequestType, s->bRequest, value, index, length);
		if (s->bRequestType & USB_DIR_IN) { if (read(fd, d, 0)) {} }
		else if (write(fd, d, 0)) {}
	}
}

int main(int argc, char **argv)
{
	char path[512] = "";
	uint8_t b[1024];
	size_t n = 4;

	if (argc < 2) {
		fprintf(stderr, "usage: gfsmidi GADGETFS_DIR [SECONDS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dir = argv[1];
	time_t end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 300);

	/* Before a device is set up, gadgetfs holds one file: ep0 of the UDC. */
	DIR *dp = opendir(dir);
	for (struct dirent *e; dp && (e = readdir(dp));)
		if (e->d_name[0] != '.')
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
	if (dp)
		closedir(dp);
	int fd = path[0] ? open(path, O_RDWR) : -1;
	if (fd < 0) {
		perror(path[0] ? path : dir);
		return 1;
	}
	/* ep0 takes tag 0, the full-speed and high-speed configurations, then
	 * the device descriptor. Writing them connects the device. */
	memset(b, 0, 4);
	n += config_desc(b + n, 0);
	n += config_desc(b + n, 1);
	memcpy(b + n, device_desc, sizeof device_desc);
	n += sizeof device_desc;
	if (write(fd, b, n) < 0) {
		perror("[gfsmidi] ep0 set-up");
		return 1;
	}
	printf("[gfsmidi] %s: device 1209:4d32 connected\n", path);

	while (time(NULL) < end) {
		struct pollfd p = {fd, POLLIN, 0};
		struct usb_gadgetfs_event ev[5];
		if (poll(&p, 1, 500) <= 0)
			continue;
		ssize_t r = read(fd, ev, sizeof ev);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			perror("[gfsmidi] ep0 read");
			break;
		}
		for (size_t i = 0; i < r / sizeof ev[0]; i++) {
			if (ev[i].type == GADGETFS_SETUP)
				setup(fd, &ev[i].u.setup);
			else if (ev[i].type == GADGETFS_CONNECT)
				printf("[gfsmidi] connected, speed %d\n", ev[i].u.speed);
			else if (ev[i].type == GADGETFS_DISCONNECT)
				printf("[gfsmidi] disconnected\n");
		}
	}
	return 0;
}
