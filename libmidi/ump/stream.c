/* stream.c: UMP Stream (MTF) builders and parsers for endpoint and function
 * block discovery, name series and their reassembly (see midi/msg.h). */
#include "midi/msg.h"

#include <string.h>

static uint32_t stream_w0(unsigned form, unsigned status)
{
	return 0xF0000000u | (uint32_t)(form & 3) << 26 | (uint32_t)(status & 0x3FF) << 16;
}

midi_ump midi_stream_ep_discovery(unsigned major, unsigned minor, unsigned filter)
{
	return midi_ump_make(stream_w0(0, MIDI_STREAM_EP_DISCOVERY) | (major & 0xFF) << 8 | (minor & 0xFF),
			     filter & 0xFF, 0, 0);
}

midi_ump midi_stream_ep_info_build(const midi_stream_ep_info *i)
{
	uint32_t w1 = (uint32_t)(i->static_fbs ? 1 : 0) << 31 | (uint32_t)(i->num_fbs & 0x7F) << 24 |
		      (i->midi2 ? 1u << 9 : 0) | (i->midi1 ? 1u << 8 : 0) |
		      (i->rxjr ? 2u : 0) | (i->txjr ? 1u : 0);
	return midi_ump_make(stream_w0(0, MIDI_STREAM_EP_INFO) | (uint32_t)i->ver_major << 8 | i->ver_minor,
			     w1, 0, 0);
}

int midi_stream_ep_info_parse(const midi_ump *p, midi_stream_ep_info *i)
{
	midi_msg m;
	midi_msg_decode(p, &m);
	if (m.kind != MIDI_MSG_EP_INFO)
		return -MIDI_ERR_INPUT;
	i->ver_major = m.u.stream.ver_major;
	i->ver_minor = m.u.stream.ver_minor;
	i->num_fbs = m.u.stream.num_fbs;
	i->static_fbs = m.u.stream.static_fbs;
	i->midi1 = m.u.stream.midi1;
	i->midi2 = m.u.stream.midi2;
	i->rxjr = m.u.stream.rxjr;
	i->txjr = m.u.stream.txjr;
	return 0;
}

midi_ump midi_stream_identity_build(const midi_stream_identity *id)
{
	uint32_t w1 = (uint32_t)(id->manufacturer[0] & 0x7F) << 16 |
		      (uint32_t)(id->manufacturer[1] & 0x7F) << 8 | (id->manufacturer[2] & 0x7F);
	uint32_t w2 = (uint32_t)(id->family & 0x7F) << 24 | (uint32_t)((id->family >> 7) & 0x7F) << 16 |
		      (uint32_t)(id->model & 0x7F) << 8 | ((id->model >> 7) & 0x7F);
	uint32_t w3 = 0;
	for (int i = 0; i < 4; i++)
		w3 |= (uint32_t)(id->version[i] & 0x7F) << (24 - 8 * i);
	return midi_ump_make(stream_w0(0, MIDI_STREAM_DEVICE_IDENTITY), w1, w2, w3);
}

int midi_stream_identity_parse(const midi_ump *p, midi_stream_identity *id)
{
	midi_msg m;
	midi_msg_decode(p, &m);
	if (m.kind != MIDI_MSG_DEVICE_IDENTITY)
		return -MIDI_ERR_INPUT;
	memcpy(id->manufacturer, m.u.stream.manufacturer, 3);
	memcpy(id->version, m.u.stream.version, 4);
	id->family = m.u.stream.family;
	id->model = m.u.stream.model;
	return 0;
}

midi_ump midi_stream_config(int request, unsigned protocol, int rxjr, int txjr)
{
	unsigned st = request ? MIDI_STREAM_CONFIG_REQUEST : MIDI_STREAM_CONFIG_NOTIFY;
	return midi_ump_make(stream_w0(0, st) | (protocol & 0xFF) << 8 | (rxjr ? 2u : 0) | (txjr ? 1u : 0),
			     0, 0, 0);
}

midi_ump midi_stream_fb_discovery(unsigned fb, unsigned filter)
{
	return midi_ump_make(stream_w0(0, MIDI_STREAM_FB_DISCOVERY) | (fb & 0xFF) << 8 | (filter & 0xFF),
			     0, 0, 0);
}

midi_ump midi_stream_fb_info_build(const midi_stream_fb_info *fb)
{
	uint32_t w0 = stream_w0(0, MIDI_STREAM_FB_INFO) | (fb->active ? 1u << 15 : 0) |
		      (uint32_t)(fb->index & 0x7F) << 8 | (uint32_t)(fb->ui_hint & 3) << 4 |
		      (uint32_t)(fb->midi1 & 3) << 2 | (fb->direction & 3);
	uint32_t w1 = (uint32_t)fb->first_group << 24 | (uint32_t)fb->num_groups << 16 |
		      (uint32_t)fb->ci_version << 8 | fb->sysex8_streams;
	return midi_ump_make(w0, w1, 0, 0);
}

int midi_stream_fb_info_parse(const midi_ump *p, midi_stream_fb_info *fb)
{
	midi_msg m;
	midi_msg_decode(p, &m);
	if (m.kind != MIDI_MSG_FB_INFO)
		return -MIDI_ERR_INPUT;
	fb->index = m.u.stream.fb;
	fb->active = m.u.stream.fb_active;
	fb->direction = m.u.stream.fb_direction;
	fb->midi1 = m.u.stream.fb_midi1;
	fb->ui_hint = m.u.stream.fb_ui_hint;
	fb->first_group = m.u.stream.fb_first_group;
	fb->num_groups = m.u.stream.fb_groups;
	fb->ci_version = m.u.stream.fb_ci_version;
	fb->sysex8_streams = m.u.stream.fb_sysex8_streams;
	return 0;
}

/* Length of s cut to at most max bytes, never inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return n;
	n = max;
	/* back off continuation bytes, then the lead byte of a cut sequence */
	size_t k = n;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	return k;
}

int midi_stream_name_build(unsigned status, unsigned fb, const char *s, midi_ump *out, size_t max)
{
	size_t limit, per, first;
	switch (status) {
	case MIDI_STREAM_EP_NAME: limit = MIDI_STREAM_EP_NAME_MAX; per = 14; first = 2; break;
	case MIDI_STREAM_PRODUCT_INSTANCE_ID: limit = MIDI_STREAM_PIID_MAX; per = 14; first = 2; break;
	case MIDI_STREAM_FB_NAME: limit = MIDI_STREAM_FB_NAME_MAX; per = 13; first = 3; break;
	default: return -MIDI_ERR_INPUT;
	}
	size_t len = utf8_cut(s, limit);
	size_t npk = len == 0 ? 1 : (len + per - 1) / per;
	if (npk > max)
		return -MIDI_ERR_INPUT;
	for (size_t k = 0; k < npk; k++) {
		unsigned form = midi_form_of(k, npk);
		midi_ump p = {{stream_w0(form, status), 0, 0, 0}};
		if (status == MIDI_STREAM_FB_NAME)
			p.w[0] |= (fb & 0xFF) << 8;
		for (size_t i = 0; i < per && k * per + i < len; i++) {
			size_t pos = first + i;
			p.w[pos / 4] |= (uint32_t)(uint8_t)s[k * per + i] << (24 - 8 * (pos % 4));
		}
		out[k] = p;
	}
	return (int)npk;
}

void midi_stream_name_asm_init(midi_stream_name_asm *a)
{
	memset(a, 0, sizeof *a);
}

static void name_append(midi_stream_name_asm *a, const midi_msg *m)
{
	size_t limit = a->status == MIDI_STREAM_EP_NAME ? MIDI_STREAM_EP_NAME_MAX
		: a->status == MIDI_STREAM_FB_NAME ? MIDI_STREAM_FB_NAME_MAX : MIDI_STREAM_PIID_MAX;
	for (unsigned i = 0; i < m->u.stream.len && a->len < limit; i++) {
		char c = m->u.stream.text[i];
		if (c)
			a->text[a->len++] = c;
	}
	a->text[a->len] = 0;
}

int midi_stream_name_asm_put(midi_stream_name_asm *a, const midi_ump *p)
{
	midi_msg m;
	midi_msg_decode(p, &m);
	if (m.kind != MIDI_MSG_EP_NAME && m.kind != MIDI_MSG_PRODUCT_INSTANCE_ID &&
	    m.kind != MIDI_MSG_FB_NAME)
		return 0;
	unsigned form = m.u.stream.form;
	if (form == MIDI_FORM_COMPLETE || form == MIDI_FORM_START) {
		a->status = m.u.stream.status;
		a->fb = m.u.stream.fb;
		a->len = 0;
		a->active = form == MIDI_FORM_START;
		name_append(a, &m);
		return form == MIDI_FORM_COMPLETE;
	}
	if (!a->active || a->status != m.u.stream.status ||
	    (m.kind == MIDI_MSG_FB_NAME && a->fb != m.u.stream.fb)) {
		a->active = 0;
		a->len = 0;
		a->text[0] = 0;
		return -MIDI_ERR_INPUT;
	}
	name_append(a, &m);
	if (form == MIDI_FORM_END) {
		a->active = 0;
		return 1;
	}
	return 0;
}
