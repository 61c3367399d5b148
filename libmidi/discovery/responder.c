/* responder.c: the answering side of UMP Stream discovery (a device): the
 * declaration of what a device is (midi_device_decl_init/_check) and the
 * replies to Endpoint Discovery, Function Block Discovery and Stream
 * Configuration Requests (midi_responder_put, midi_responder_announce),
 * and to the MIDI 1.0 Identity Request when an identity is declared
 * (midi_responder_identity). Pure: no I/O, no allocation. Packet layouts come from midi/msg.h. */
#include "midi/discovery.h"
#include "midi/translate.h"

#include <string.h>

/* Copy at most max bytes of src (NULL = "") into dst[max + 1], never cutting
 * inside a UTF-8 sequence. */
static void copy_name(char *dst, const char *src, size_t max)
{
	size_t n = src ? strnlen(src, max + 1) : 0;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = 0;
}

void midi_device_decl_init(midi_device_decl *d, const char *name)
{
	memset(d, 0, sizeof *d);
	copy_name(d->name, name, MIDI_UMP_EP_NAME_MAX);
	d->ump_version_major = 1;
	d->ump_version_minor = 1;
	d->protocols = 0x3;
	d->protocol = 2;
	d->num_function_blocks = 1;
	d->fb[0].index = 0;
	d->fb[0].active = 1;
	d->fb[0].direction = 3;
	d->fb[0].first_group = 0;
	d->fb[0].num_groups = 1;
	d->fb[0].midi1 = 0;
	d->fb[0].ui_hint = 3;
	copy_name(d->fb[0].name, name, MIDI_UMP_FB_NAME_MAX);
}

static int check_fb(const midi_function_block *b, unsigned i, midi_error *e)
{
	if (b->index != i)
		return midi_error_set(e, MIDI_ERR_INPUT, "function block %u: index is %u, must be %u",
				      i + 1, b->index, i);
	if (b->direction < 1 || b->direction > 3)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "function block %u: direction %u is not 1 (input), 2 (output) or 3 (both)",
				      i + 1, b->direction);
	if (b->first_group > 15)
		return midi_error_set(e, MIDI_ERR_INPUT, "function block %u: first group %u is beyond 15",
				      i + 1, b->first_group);
	if (b->num_groups < 1 || b->num_groups > 16)
		return midi_error_set(e, MIDI_ERR_INPUT, "function block %u: %u groups, must be 1-16",
				      i + 1, b->num_groups);
	if (b->first_group + b->num_groups > 16)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "function block %u: groups %u-%u go beyond group 16", i + 1,
				      b->first_group + 1, b->first_group + b->num_groups);
	if (b->midi1 > 2)
		return midi_error_set(e, MIDI_ERR_INPUT, "function block %u: MIDI 1.0 mode %u, must be 0-2",
				      i + 1, b->midi1);
	if (b->ui_hint > 3)
		return midi_error_set(e, MIDI_ERR_INPUT, "function block %u: UI hint %u, must be 0-3",
				      i + 1, b->ui_hint);
	if (strnlen(b->name, sizeof b->name) > MIDI_UMP_FB_NAME_MAX)
		return midi_error_set(e, MIDI_ERR_INPUT, "function block %u: name longer than %d bytes",
				      i + 1, MIDI_UMP_FB_NAME_MAX);
	return 0;
}

int midi_device_decl_check(const midi_device_decl *d, midi_error *e)
{
	if (strnlen(d->name, sizeof d->name) > MIDI_UMP_EP_NAME_MAX)
		return midi_error_set(e, MIDI_ERR_INPUT, "endpoint name longer than %d bytes",
				      MIDI_UMP_EP_NAME_MAX);
	if (strnlen(d->product_instance_id, sizeof d->product_instance_id) > MIDI_UMP_PIID_MAX)
		return midi_error_set(e, MIDI_ERR_INPUT, "product instance id longer than %d bytes",
				      MIDI_UMP_PIID_MAX);
	if (d->protocols == 0 || d->protocols > 3)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "supported protocols 0x%x: must be MIDI 1.0 (1), MIDI 2.0 (2) or both (3)",
				      d->protocols);
	if (d->protocol < 1 || d->protocol > 2 || !(d->protocols & (1u << (d->protocol - 1))))
		return midi_error_set(e, MIDI_ERR_INPUT, "current protocol %u is not a supported one",
				      d->protocol);
	if ((d->jr_rx_on && !d->jr_rx) || (d->jr_tx_on && !d->jr_tx))
		return midi_error_set(e, MIDI_ERR_INPUT, "JR timestamps in use but not supported");
	if (d->has_identity) {
		for (int i = 0; i < 3; i++)
			if (d->identity_manufacturer[i] > 0x7F)
				return midi_error_set(e, MIDI_ERR_INPUT,
						      "identity manufacturer byte %d is 0x%02x, beyond 7 bits",
						      i + 1, d->identity_manufacturer[i]);
		if (d->identity_family > 0x3FFF || d->identity_model > 0x3FFF)
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "identity family 0x%x / model 0x%x beyond 14 bits",
					      d->identity_family, d->identity_model);
		for (int i = 0; i < 4; i++)
			if (d->identity_version[i] > 0x7F)
				return midi_error_set(e, MIDI_ERR_INPUT,
						      "identity version byte %d is 0x%02x, beyond 7 bits",
						      i + 1, d->identity_version[i]);
	}
	if (d->num_function_blocks > MIDI_FB_MAX)
		return midi_error_set(e, MIDI_ERR_INPUT, "%u function blocks, at most %d",
				      d->num_function_blocks, MIDI_FB_MAX);
	for (unsigned i = 0; i < d->num_function_blocks; i++) {
		int r = check_fb(&d->fb[i], i, e);
		if (r)
			return r;
	}
	return 0;
}

/* Send one name series; s is read up to its NUL or max bytes. */
static int send_name(unsigned status, unsigned fb, const char *s, size_t max, midi_ump_cb cb,
		     void *ctx)
{
	char buf[MIDI_UMP_EP_NAME_MAX + 1];
	midi_ump p[8];
	copy_name(buf, s, max);
	int n = midi_stream_name_build(status, fb, buf, p, 8);
	for (int i = 0; i < n; i++) {
		int r = cb(ctx, &p[i]);
		if (r)
			return r;
	}
	return 0;
}

static int send_ep_info(const midi_device_decl *d, midi_ump_cb cb, void *ctx)
{
	midi_stream_ep_info i = {
		.ver_major = d->ump_version_major,
		.ver_minor = d->ump_version_minor,
		.num_fbs = d->num_function_blocks > MIDI_FB_MAX ? MIDI_FB_MAX : d->num_function_blocks,
		.static_fbs = d->static_fb ? 1 : 0,
		.midi1 = d->protocols & 1,
		.midi2 = (d->protocols >> 1) & 1,
		.rxjr = d->jr_rx ? 1 : 0,
		.txjr = d->jr_tx ? 1 : 0,
	};
	midi_ump p = midi_stream_ep_info_build(&i);
	return cb(ctx, &p);
}

static int send_identity(const midi_device_decl *d, midi_ump_cb cb, void *ctx)
{
	midi_stream_identity id;
	memcpy(id.manufacturer, d->identity_manufacturer, 3);
	id.family = d->identity_family;
	id.model = d->identity_model;
	memcpy(id.version, d->identity_version, 4);
	midi_ump p = midi_stream_identity_build(&id);
	return cb(ctx, &p);
}

static int send_config(const midi_device_decl *d, midi_ump_cb cb, void *ctx)
{
	midi_ump p = midi_stream_config(0, d->protocol, d->jr_rx_on, d->jr_tx_on);
	return cb(ctx, &p);
}

static int send_fb(const midi_device_decl *d, unsigned i, unsigned filter, midi_ump_cb cb,
		   void *ctx)
{
	const midi_function_block *b = &d->fb[i];
	int r = 0;
	if (filter & MIDI_DISCOVER_FB_INFO) {
		midi_stream_fb_info f = {
			.index = (uint8_t)i,
			.active = b->active ? 1 : 0,
			.direction = b->direction,
			.midi1 = b->midi1,
			.ui_hint = b->ui_hint,
			.first_group = b->first_group,
			.num_groups = b->num_groups,
			.ci_version = b->ci_version,
			.sysex8_streams = b->sysex8_streams,
		};
		midi_ump p = midi_stream_fb_info_build(&f);
		r = cb(ctx, &p);
	}
	if (!r && (filter & MIDI_DISCOVER_FB_NAME))
		r = send_name(MIDI_STREAM_FB_NAME, i, b->name, MIDI_UMP_FB_NAME_MAX, cb, ctx);
	return r;
}

static int answer_ep_discovery(const midi_device_decl *d, unsigned filter, midi_ump_cb cb,
			       void *ctx)
{
	int r = 0;
	if (filter & MIDI_DISCOVER_EP_INFO)
		r = send_ep_info(d, cb, ctx);
	if (!r && (filter & MIDI_DISCOVER_DEVICE_IDENTITY) && d->has_identity)
		r = send_identity(d, cb, ctx);
	if (!r && (filter & MIDI_DISCOVER_EP_NAME) && d->name[0])
		r = send_name(MIDI_STREAM_EP_NAME, 0, d->name, MIDI_UMP_EP_NAME_MAX, cb, ctx);
	if (!r && (filter & MIDI_DISCOVER_PRODUCT_INSTANCE_ID) && d->product_instance_id[0])
		r = send_name(MIDI_STREAM_PRODUCT_INSTANCE_ID, 0, d->product_instance_id,
			      MIDI_UMP_PIID_MAX, cb, ctx);
	if (!r && (filter & MIDI_DISCOVER_STREAM_CONFIG))
		r = send_config(d, cb, ctx);
	return r;
}

static int answer_fb_discovery(const midi_device_decl *d, unsigned fb, unsigned filter,
			       midi_ump_cb cb, void *ctx)
{
	unsigned n = d->num_function_blocks > MIDI_FB_MAX ? MIDI_FB_MAX : d->num_function_blocks;
	if (fb != MIDI_FB_ALL)
		return fb < n ? send_fb(d, fb, filter, cb, ctx) : 0;
	for (unsigned i = 0; i < n; i++) {
		int r = send_fb(d, i, filter, cb, ctx);
		if (r)
			return r;
	}
	return 0;
}

/* Apply a Stream Configuration Request as far as the device supports it. */
static void apply_config(midi_device_decl *d, unsigned protocol, int rxjr, int txjr)
{
	if ((protocol == 1 || protocol == 2) && (d->protocols & (1u << (protocol - 1))))
		d->protocol = (uint8_t)protocol;
	d->jr_rx_on = rxjr && d->jr_rx;
	d->jr_tx_on = txjr && d->jr_tx;
}

int midi_responder_put(midi_device_decl *d, const midi_ump *in, midi_ump_cb cb, void *ctx)
{
	if (d->silent || midi_ump_mt(in) != MIDI_MT_STREAM)
		return 0;
	midi_msg m;
	midi_msg_decode(in, &m);
	switch (m.kind) {
	case MIDI_MSG_EP_DISCOVERY:
		return answer_ep_discovery(d, m.u.stream.filter, cb, ctx);
	case MIDI_MSG_FB_DISCOVERY:
		return answer_fb_discovery(d, m.u.stream.fb, m.u.stream.filter, cb, ctx);
	case MIDI_MSG_STREAM_CONFIG_REQUEST:
		apply_config(d, m.u.stream.protocol, m.u.stream.rxjr, m.u.stream.txjr);
		return send_config(d, cb, ctx);
	default:
		return 0;
	}
}

int midi_responder_announce(const midi_device_decl *d, midi_ump_cb cb, void *ctx)
{
	if (d->silent)
		return 0;
	int r = answer_ep_discovery(d, MIDI_DISCOVER_ALL, cb, ctx);
	if (!r)
		r = answer_fb_discovery(d, MIDI_FB_ALL, MIDI_DISCOVER_FB_INFO | MIDI_DISCOVER_FB_NAME,
					cb, ctx);
	return r;
}

int midi_responder_identity(const midi_device_decl *d, const midi_ump *in, midi_ump_cb cb,
			    void *ctx)
{
	/* F0 7E <device> 06 01 F7 as one SysEx7 Complete packet of 4 bytes. */
	if (d->silent || !d->has_identity || midi_ump_mt(in) != MIDI_MT_DATA64 ||
	    ((in->w[0] >> 20) & 0xF) != 0 || ((in->w[0] >> 16) & 0xF) != 4)
		return 0;
	uint8_t dev = in->w[0] & 0x7F;
	if (((in->w[0] >> 8) & 0xFF) != 0x7E || ((in->w[1] >> 24) & 0xFF) != 0x06 ||
	    ((in->w[1] >> 16) & 0xFF) != 0x01 || (in->w[0] & 0x80))
		return 0;
	/* 7E <device> 06 02 <manufacturer: 1 byte, or 00 and 2 more> <family
	 * LSB MSB> <model LSB MSB> <version: 4 bytes> (midi_identity_reply_parse) */
	uint8_t b[15];
	size_t n = 0;
	b[n++] = 0x7E;
	b[n++] = dev;
	b[n++] = 0x06;
	b[n++] = 0x02;
	const uint8_t *m = d->identity_manufacturer;
	if (m[0] != 0) { /* a 1-byte id is stored {id, 0, 0} */
		b[n++] = m[0];
	} else {
		b[n++] = 0x00;
		b[n++] = m[1];
		b[n++] = m[2];
	}
	b[n++] = d->identity_family & 0x7F;
	b[n++] = (d->identity_family >> 7) & 0x7F;
	b[n++] = d->identity_model & 0x7F;
	b[n++] = (d->identity_model >> 7) & 0x7F;
	for (int i = 0; i < 4; i++)
		b[n++] = d->identity_version[i] & 0x7F;
	midi_sysex7_chunk(midi_ump_group(in), b, n, cb, ctx);
	return 1;
}
