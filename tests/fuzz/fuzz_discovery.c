/* fuzz_discovery.c: random packet sequences into both discovery state
 * machines (midi/discovery.h), whose own replies are also delivered to
 * each other. Checks after every packet: no crash, names NUL-terminated and
 * within 98/42/91 bytes, info fields within their ranges, fields discovery
 * must not touch untouched, the device declaration still valid.
 *
 * Input: byte 0 chooses want_protocol/want_jr, byte 1 the device (supported
 * protocols, JR, identity, silence, block count); then records of 17 bytes:
 * a selector (bit 0: to the device, else to the asking side; bit 1: force
 * MT 0xF; bits 2-5: force one of the stream statuses) and 16 packet bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/discovery_priv.h"

#define QMAX 1024

typedef struct queue {
	midi_ump p[QMAX];
	size_t n;
} queue;

static int push(void *ctx, const midi_ump *p)
{
	queue *q = ctx;
	if (q->n < QMAX)
		q->p[q->n++] = *p;
	return 0;
}

static void must(int cond)
{
	if (!cond)
		abort();
}

static void check_str(const char *s, size_t cap, size_t max)
{
	const char *nul = memchr(s, 0, cap);
	must(nul != NULL);
	must((size_t)(nul - s) <= max);
}

static const midi_endpoint_info *pristine;

static void check_info(const midi_endpoint_info *in, const midi_discovery *d)
{
	check_str(in->ump_name, sizeof in->ump_name, MIDI_UMP_EP_NAME_MAX);
	check_str(in->product_instance_id, sizeof in->product_instance_id, MIDI_UMP_PIID_MAX);
	check_str(in->name, sizeof in->name, MIDI_NAME_MAX - 1);
	must(in->protocol <= 2);
	must(in->protocols <= 3);
	must(in->num_function_blocks <= MIDI_FB_MAX);
	must(d->fb_expected == in->num_function_blocks);
	must((in->flags & ~(uint32_t)(MIDI_EPF_JR_RX | MIDI_EPF_JR_TX | MIDI_EPF_DISCOVERED |
				      MIDI_EPF_STATIC_FB)) == 0);
	for (int i = 0; i < 3; i++)
		must(in->identity_manufacturer[i] <= 0x7F);
	for (int i = 0; i < 4; i++)
		must(in->identity_version[i] <= 0x7F);
	must(in->identity_family <= 0x3FFF && in->identity_model <= 0x3FFF);
	for (unsigned i = 0; i < MIDI_FB_MAX; i++) {
		const midi_function_block *b = &in->fb[i];
		check_str(b->name, sizeof b->name, MIDI_UMP_FB_NAME_MAX);
		if (!(d->fb_info_got & (1u << i))) {
			must(b->num_groups == 0 && b->direction == 0);
			continue;
		}
		must(b->index == i);
		must(b->active <= 1);
		must(b->direction >= 1 && b->direction <= 3);
		must(b->midi1 <= 2 && b->ui_hint <= 3);
		must(b->first_group <= 15 && b->num_groups >= 1 && b->first_group + b->num_groups <= 16);
	}
	/* what discovery must never touch */
	must(memcmp(in->id, pristine->id, sizeof in->id) == 0);
	must(strcmp(in->transport, pristine->transport) == 0);
	must(strcmp(in->transport_name, pristine->transport_name) == 0);
	must(strcmp(in->user_name, pristine->user_name) == 0);
	must(memcmp(in->description, pristine->description, sizeof in->description) == 0);
	must(memcmp(in->usb_serial, pristine->usb_serial, sizeof in->usb_serial) == 0);
	must(in->native == pristine->native && in->purpose == pristine->purpose);
	must(in->clients == pristine->clients && in->generation == pristine->generation);
	must(in->usb_vendor == pristine->usb_vendor && in->usb_product == pristine->usb_product);
	must(d->ep_name.len <= MIDI_UMP_EP_NAME_MAX && d->piid.len <= MIDI_UMP_PIID_MAX);
	for (unsigned i = 0; i < MIDI_FB_MAX; i++)
		must(d->fb_name[i].len <= MIDI_UMP_FB_NAME_MAX);
	int c = midi_discovery_complete(d);
	must(c == 0 || c == 1);
}

static void check_out(const queue *q)
{
	for (size_t i = 0; i < q->n; i++) {
		midi_msg m;
		must(midi_ump_mt(&q->p[i]) == MIDI_MT_STREAM);
		midi_msg_decode(&q->p[i], &m);
		must(m.kind != MIDI_MSG_UNKNOWN);
		if (m.kind == MIDI_MSG_FB_NAME)
			must(m.u.stream.len <= 13);
	}
}

static const uint16_t statuses[16] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10, 0x11, 0x12, 0x03, 0x12, 0x11, 0x06, 0x20, 0x3FF,
};

static midi_endpoint_info info, ref;
static midi_device_decl dev;
static midi_discovery disc;
static queue to_dev, to_host;

/* Deliver queued replies back and forth a bounded number of rounds. */
static void exchange(void)
{
	for (int round = 0; round < 4 && (to_dev.n || to_host.n); round++) {
		queue a = to_dev, b = to_host;
		to_dev.n = to_host.n = 0;
		for (size_t i = 0; i < a.n; i++) {
			midi_responder_put(&dev, &a.p[i], push, &to_host);
			must(midi_device_decl_check(&dev, NULL) == 0);
		}
		check_out(&to_host);
		for (size_t i = 0; i < b.n; i++) {
			midi_discovery_put(&disc, &b.p[i], push, &to_dev);
			check_info(&info, &disc);
		}
		check_out(&to_dev);
	}
	to_dev.n = to_host.n = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	memset(&info, 0, sizeof info);
	strcpy(info.id, "virt:fuzz");
	strcpy(info.transport, "virt");
	strcpy(info.transport_name, "fuzz");
	memset(info.description, 'd', sizeof info.description - 1);
	strcpy(info.usb_serial, "serial");
	info.native = MIDI_NATIVE_UMP;
	info.purpose = MIDI_PURPOSE_VIRTUAL;
	info.clients = 3;
	info.generation = 77;
	info.usb_vendor = 0x1234;
	info.usb_product = 0x5678;
	if (data[1] & 0x80)
		strcpy(info.user_name, "user");
	ref = info;
	pristine = &ref;

	midi_device_decl_init(&dev, "Fuzz device");
	dev.protocols = 1 + data[1] % 3;
	dev.protocol = (dev.protocols & 2) ? 2 : 1;
	dev.jr_rx = (data[1] >> 2) & 1;
	dev.jr_tx = (data[1] >> 3) & 1;
	dev.has_identity = (data[1] >> 4) & 1;
	dev.silent = (data[1] & 0x60) == 0x60;
	dev.num_function_blocks = (data[1] & 0x20) ? MIDI_FB_MAX : 1;
	for (unsigned i = 1; i < dev.num_function_blocks; i++) {
		dev.fb[i] = dev.fb[0];
		dev.fb[i].index = (uint8_t)i;
		dev.fb[i].first_group = i % 16;
	}
	must(midi_device_decl_check(&dev, NULL) == 0);

	discovery_init(&disc, &info, data[0] % 3, (data[0] >> 2) % 3);
	to_dev.n = to_host.n = 0;
	if (data[0] & 0x80)
		midi_discovery_start(&disc, push, &to_dev);
	exchange();

	for (size_t off = 2; off + 17 <= size; off += 17) {
		const uint8_t *r = data + off;
		midi_ump p;
		for (int w = 0; w < 4; w++)
			p.w[w] = (uint32_t)r[1 + 4 * w] << 24 | (uint32_t)r[2 + 4 * w] << 16 |
				 (uint32_t)r[3 + 4 * w] << 8 | r[4 + 4 * w];
		if (r[0] & 2)
			p.w[0] = (p.w[0] & 0x0FFFFFFF) | 0xF0000000u;
		if (r[0] & 0x3C)
			p.w[0] = (p.w[0] & 0xFC00FFFF) | (uint32_t)statuses[(r[0] >> 2) & 15] << 16;
		if (r[0] & 1) {
			midi_responder_put(&dev, &p, push, &to_host);
			must(midi_device_decl_check(&dev, NULL) == 0);
			check_out(&to_host);
		} else {
			midi_discovery_put(&disc, &p, push, &to_dev);
			check_info(&info, &disc);
			check_out(&to_dev);
		}
		exchange();
		midi_discovery_take_changes(&disc);
	}
	if (!dev.silent && (data[0] & 0x80) && size < 19 && !(data[1] & 0x80)) {
		/* an undisturbed exchange with a working device always completes */
		must(midi_discovery_complete(&disc));
		must(strcmp(info.ump_name, "Fuzz device") == 0);
	}
	return 0;
}
