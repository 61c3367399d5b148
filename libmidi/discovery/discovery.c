/* discovery.c: the asking side of UMP Stream discovery (the broker side of
 * an endpoint): sends Endpoint Discovery and Function Block Discovery,
 * collects the notifications into a midi_endpoint_info with per-property
 * change bits, reassembles names, negotiates protocol and JR timestamps.
 * Pure: no I/O; the only allocation is midi_discovery_new's. Rules are in the comment of midi/discovery.h. */
#include "discovery/discovery_priv.h"

#include <stdlib.h>
#include <string.h>

void discovery_init(midi_discovery *d, midi_endpoint_info *info, uint8_t want_protocol,
		    uint8_t want_jr)
{
	memset(d, 0, sizeof *d);
	d->info = info;
	d->want_protocol = want_protocol;
	d->want_jr = want_jr;
	midi_stream_name_asm_init(&d->ep_name);
	midi_stream_name_asm_init(&d->piid);
	for (int i = 0; i < MIDI_FB_MAX; i++)
		midi_stream_name_asm_init(&d->fb_name[i]);
}

midi_discovery *midi_discovery_new(midi_endpoint_info *info, unsigned want_protocol,
				   unsigned want_jr, midi_error *e)
{
	if (!info) {
		midi_error_set(e, MIDI_ERR_INPUT, "discovery needs an endpoint info to fill");
		return NULL;
	}
	if (want_protocol > 2 || want_jr > MIDI_DISC_JR_OFF) {
		midi_error_set(e, MIDI_ERR_INPUT,
			       "discovery: wanted protocol %u or JR setting %u out of range "
			       "(protocol 0-2, JR 0-2)", want_protocol, want_jr);
		return NULL;
	}
	midi_discovery *d = malloc(sizeof *d);
	if (!d) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	discovery_init(d, info, (uint8_t)want_protocol, (uint8_t)want_jr);
	return d;
}

void midi_discovery_free(midi_discovery *d)
{
	free(d);
}

int midi_discovery_start(midi_discovery *d, midi_ump_cb cb, void *ctx)
{
	(void)d;
	midi_ump p = midi_stream_ep_discovery(1, 1, MIDI_DISCOVER_ALL);
	int r = cb(ctx, &p);
	if (r)
		return r;
	p = midi_stream_fb_discovery(MIDI_FB_ALL, MIDI_DISCOVER_FB_INFO | MIDI_DISCOVER_FB_NAME);
	return cb(ctx, &p);
}

/* Store a field and return 1 when its value changed. */
#define SET(dst, val) set_u8(&(dst), (uint8_t)(val))
static int set_u8(uint8_t *dst, uint8_t v)
{
	if (*dst == v)
		return 0;
	*dst = v;
	return 1;
}

static int set_flag(uint32_t *flags, uint32_t bit, int on)
{
	uint32_t v = on ? (*flags | bit) : (*flags & ~bit);
	if (v == *flags)
		return 0;
	*flags = v;
	return 1;
}

/* Copy a reassembled name (len <= cap - 1) into dst[cap]; 1 if it changed. */
static int set_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (len > cap - 1)
		len = cap - 1;
	if (strnlen(dst, cap) == len && memcmp(dst, src, len) == 0)
		return 0;
	memcpy(dst, src, len);
	dst[len] = 0;
	return 1;
}

/* Display name follows the Endpoint Name unless the user named it. */
static void update_display_name(midi_discovery *d)
{
	midi_endpoint_info *in = d->info;
	if (in->user_name[0])
		return;
	const char *src = in->ump_name[0] ? in->ump_name : in->transport_name;
	if (!src[0])
		return;
	if (set_str(in->name, sizeof in->name, src, strnlen(src, sizeof in->name - 1)))
		d->changed |= MIDI_PROP_NAME;
}

/* Send the one Stream Configuration Request, if the wanted state differs
 * from the device's and the device supports it. Needs the capabilities
 * (Endpoint Info) and the current state (a Notification). */
static int negotiate(midi_discovery *d, midi_ump_cb cb, void *ctx)
{
	midi_endpoint_info *in = d->info;
	const uint32_t jr = MIDI_EPF_JR_RX | MIDI_EPF_JR_TX;
	if (d->config_done || d->config_sent || !(d->got & MIDI_DISC_GOT_INFO) ||
	    !(d->got & MIDI_DISC_GOT_CONFIG))
		return 0;
	unsigned protocol = in->protocol;
	if ((d->want_protocol == 1 || d->want_protocol == 2) &&
	    (in->protocols & (1u << (d->want_protocol - 1))))
		protocol = d->want_protocol;
	int rx = !!(in->flags & MIDI_EPF_JR_RX), tx = !!(in->flags & MIDI_EPF_JR_TX);
	if (d->want_jr == MIDI_DISC_JR_ON) {
		rx = !!(d->jr_caps & 2);
		tx = !!(d->jr_caps & 1);
	} else if (d->want_jr == MIDI_DISC_JR_OFF) {
		rx = tx = 0;
	}
	uint32_t want_flags = (rx ? MIDI_EPF_JR_RX : 0) | (tx ? MIDI_EPF_JR_TX : 0);
	if (protocol == in->protocol && want_flags == (in->flags & jr)) {
		d->config_done = 1;
		return 0;
	}
	d->config_sent = 1;
	midi_ump p = midi_stream_config(1, protocol, rx, tx);
	return cb(ctx, &p);
}

static void put_ep_info(midi_discovery *d, const midi_msg *m)
{
	midi_endpoint_info *in = d->info;
	int c = 0;
	unsigned n = m->u.stream.num_fbs > MIDI_FB_MAX ? MIDI_FB_MAX : m->u.stream.num_fbs;
	c |= SET(in->ump_version_major, m->u.stream.ver_major);
	c |= SET(in->ump_version_minor, m->u.stream.ver_minor);
	c |= SET(in->protocols, m->u.stream.midi1 | m->u.stream.midi2 << 1);
	c |= SET(d->jr_caps, m->u.stream.txjr | m->u.stream.rxjr << 1);
	c |= SET(in->num_function_blocks, n);
	c |= set_flag(&in->flags, MIDI_EPF_STATIC_FB, m->u.stream.static_fbs);
	c |= set_flag(&in->flags, MIDI_EPF_DISCOVERED, 1);
	d->fb_expected = (uint8_t)n;
	d->got |= MIDI_DISC_GOT_INFO;
	if (c)
		d->changed |= MIDI_PROP_INFO;
}

static void put_identity(midi_discovery *d, const midi_msg *m)
{
	midi_endpoint_info *in = d->info;
	int c = SET(in->has_identity, 1);
	for (int i = 0; i < 3; i++)
		c |= SET(in->identity_manufacturer[i], m->u.stream.manufacturer[i]);
	for (int i = 0; i < 4; i++)
		c |= SET(in->identity_version[i], m->u.stream.version[i]);
	if (in->identity_family != m->u.stream.family || in->identity_model != m->u.stream.model) {
		in->identity_family = m->u.stream.family;
		in->identity_model = m->u.stream.model;
		c = 1;
	}
	d->got |= MIDI_DISC_GOT_IDENTITY;
	if (c)
		d->changed |= MIDI_PROP_IDENTITY;
}

static void put_config(midi_discovery *d, const midi_msg *m)
{
	midi_endpoint_info *in = d->info;
	unsigned p = m->u.stream.protocol;
	if (p != 1 && p != 2)
		return;
	int c = SET(in->protocol, p);
	c |= set_flag(&in->flags, MIDI_EPF_JR_RX, m->u.stream.rxjr);
	c |= set_flag(&in->flags, MIDI_EPF_JR_TX, m->u.stream.txjr);
	d->got |= MIDI_DISC_GOT_CONFIG;
	if (d->config_sent)
		d->config_done = 1;
	if (c)
		d->changed |= MIDI_PROP_PROTOCOL;
}

static void put_fb_info(midi_discovery *d, const midi_msg *m)
{
	unsigned i = m->u.stream.fb;
	unsigned first = m->u.stream.fb_first_group, n = m->u.stream.fb_groups;
	if (i >= MIDI_FB_MAX || m->u.stream.fb_direction == 0 || m->u.stream.fb_midi1 > 2 ||
	    first > 15 || n < 1 || first + n > 16)
		return;
	midi_function_block *b = &d->info->fb[i];
	int c = SET(b->index, i);
	c |= SET(b->active, m->u.stream.fb_active);
	c |= SET(b->direction, m->u.stream.fb_direction);
	c |= SET(b->first_group, first);
	c |= SET(b->num_groups, n);
	c |= SET(b->midi1, m->u.stream.fb_midi1);
	c |= SET(b->ui_hint, m->u.stream.fb_ui_hint);
	c |= SET(b->ci_version, m->u.stream.fb_ci_version);
	c |= SET(b->sysex8_streams, m->u.stream.fb_sysex8_streams);
	d->fb_info_got |= 1u << i;
	if (c)
		d->changed |= MIDI_PROP_FUNCTION_BLOCKS;
}

static void put_name(midi_discovery *d, const midi_msg *m, const midi_ump *p)
{
	midi_endpoint_info *in = d->info;
	midi_stream_name_asm *a;
	switch (m->kind) {
	case MIDI_MSG_EP_NAME:
		a = &d->ep_name;
		break;
	case MIDI_MSG_PRODUCT_INSTANCE_ID:
		a = &d->piid;
		break;
	default:
		if (m->u.stream.fb >= MIDI_FB_MAX)
			return;
		a = &d->fb_name[m->u.stream.fb];
		break;
	}
	if (midi_stream_name_asm_put(a, p) != 1)
		return;
	switch (m->kind) {
	case MIDI_MSG_EP_NAME:
		d->got |= MIDI_DISC_GOT_NAME;
		if (set_str(in->ump_name, sizeof in->ump_name, a->text, a->len))
			d->changed |= MIDI_PROP_UMP_NAME;
		update_display_name(d);
		break;
	case MIDI_MSG_PRODUCT_INSTANCE_ID:
		d->got |= MIDI_DISC_GOT_PIID;
		if (set_str(in->product_instance_id, sizeof in->product_instance_id, a->text, a->len))
			d->changed |= MIDI_PROP_PIID;
		break;
	default: {
		midi_function_block *b = &in->fb[m->u.stream.fb];
		d->fb_name_got |= 1u << m->u.stream.fb;
		if (set_str(b->name, sizeof b->name, a->text, a->len))
			d->changed |= MIDI_PROP_FUNCTION_BLOCKS;
		break;
	}
	}
}

int midi_discovery_put(midi_discovery *d, const midi_ump *in, midi_ump_cb cb, void *ctx)
{
	if (midi_ump_mt(in) != MIDI_MT_STREAM)
		return 0;
	midi_msg m;
	midi_msg_decode(in, &m);
	int r = 0;
	switch (m.kind) {
	case MIDI_MSG_EP_INFO:
		put_ep_info(d, &m);
		r = negotiate(d, cb, ctx);
		break;
	case MIDI_MSG_DEVICE_IDENTITY:
		put_identity(d, &m);
		break;
	case MIDI_MSG_EP_NAME:
	case MIDI_MSG_PRODUCT_INSTANCE_ID:
	case MIDI_MSG_FB_NAME:
		put_name(d, &m, in);
		break;
	case MIDI_MSG_STREAM_CONFIG_NOTIFY:
		put_config(d, &m);
		r = negotiate(d, cb, ctx);
		break;
	case MIDI_MSG_FB_INFO:
		put_fb_info(d, &m);
		break;
	default:
		break;
	}
	if (!d->completed && midi_discovery_complete(d)) {
		d->completed = 1;
		d->changed |= MIDI_PROP_DISCOVERY;
	}
	return r;
}

int midi_discovery_complete(const midi_discovery *d)
{
	if (!(d->got & MIDI_DISC_GOT_INFO) || !(d->got & MIDI_DISC_GOT_CONFIG) || !d->config_done)
		return 0;
	uint32_t mask = d->fb_expected >= 32 ? 0xFFFFFFFFu : (1u << d->fb_expected) - 1;
	return (d->fb_info_got & mask) == mask && (d->fb_name_got & mask) == mask;
}

uint32_t midi_discovery_take_changes(midi_discovery *d)
{
	uint32_t c = d->changed;
	d->changed = 0;
	return c;
}
