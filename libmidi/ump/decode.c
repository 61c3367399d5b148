/* decode.c: midi_msg_decode, any UMP packet into the tagged midi_msg form
 * (see midi/msg.h). Decoding ignores reserved bits; encode.c checks them. */
#include "midi/msg.h"

#include <string.h>

static void decode_utility(const midi_ump *p, midi_msg *m)
{
	uint32_t w = p->w[0];
	m->status = (w >> 20) & 0xF;
	switch (m->status) {
	case 0x0: m->kind = MIDI_MSG_NOOP; break;
	case 0x1: m->kind = MIDI_MSG_JR_CLOCK; m->u.value = w & 0xFFFF; break;
	case 0x2: m->kind = MIDI_MSG_JR_TIMESTAMP; m->u.value = w & 0xFFFF; break;
	case 0x3: m->kind = MIDI_MSG_DCTPQ; m->u.value = w & 0xFFFF; break;
	case 0x4: m->kind = MIDI_MSG_DELTA_CLOCKSTAMP; m->u.value = w & 0xFFFFF; break;
	default: break;
	}
}

static void decode_system(const midi_ump *p, midi_msg *m)
{
	uint32_t w = p->w[0];
	unsigned d1 = (w >> 8) & 0x7F, d2 = w & 0x7F;
	m->group = (w >> 24) & 0xF;
	m->status = (w >> 16) & 0xFF;
	switch (m->status) {
	case 0xF1: m->kind = MIDI_MSG_MTC_QUARTER; m->u.value = d1; break;
	case 0xF2: m->kind = MIDI_MSG_SONG_POSITION; m->u.value = d1 | d2 << 7; break;
	case 0xF3: m->kind = MIDI_MSG_SONG_SELECT; m->u.value = d1; break;
	case 0xF6: m->kind = MIDI_MSG_TUNE_REQUEST; break;
	case 0xF8: m->kind = MIDI_MSG_CLOCK; break;
	case 0xFA: m->kind = MIDI_MSG_START; break;
	case 0xFB: m->kind = MIDI_MSG_CONTINUE; break;
	case 0xFC: m->kind = MIDI_MSG_STOP; break;
	case 0xFE: m->kind = MIDI_MSG_ACTIVE_SENSING; break;
	case 0xFF: m->kind = MIDI_MSG_RESET; break;
	default: break;
	}
}

static void decode_midi1(const midi_ump *p, midi_msg *m)
{
	uint32_t w = p->w[0];
	unsigned d1 = (w >> 8) & 0x7F, d2 = w & 0x7F;
	m->group = (w >> 24) & 0xF;
	m->status = (w >> 20) & 0xF;
	m->channel = (w >> 16) & 0xF;
	m->protocol = 1;
	switch (m->status) {
	case 0x8:
	case 0x9:
		m->kind = m->status == 0x8 ? MIDI_MSG_NOTE_OFF : MIDI_MSG_NOTE_ON;
		m->u.note.note = d1;
		m->u.note.velocity = d2;
		break;
	case 0xA:
		m->kind = MIDI_MSG_POLY_PRESSURE;
		m->u.note_value.note = d1;
		m->u.note_value.value = d2;
		break;
	case 0xB:
		m->kind = MIDI_MSG_CONTROL_CHANGE;
		m->u.ctrl.index = d1;
		m->u.ctrl.value = d2;
		break;
	case 0xC:
		m->kind = MIDI_MSG_PROGRAM_CHANGE;
		m->u.program.program = d1;
		break;
	case 0xD:
		m->kind = MIDI_MSG_CHANNEL_PRESSURE;
		m->u.value = d1;
		break;
	case 0xE:
		m->kind = MIDI_MSG_PITCH_BEND;
		m->u.value = d1 | d2 << 7;
		break;
	default:
		m->protocol = 0;
		break;
	}
}

static void decode_midi2(const midi_ump *p, midi_msg *m)
{
	uint32_t w = p->w[0], v = p->w[1];
	unsigned hi = (w >> 8) & 0xFF, lo = w & 0xFF;
	m->group = (w >> 24) & 0xF;
	m->status = (w >> 20) & 0xF;
	m->channel = (w >> 16) & 0xF;
	m->protocol = 2;
	switch (m->status) {
	case 0x0:
	case 0x1:
		m->kind = m->status == 0 ? MIDI_MSG_PN_REGISTERED : MIDI_MSG_PN_ASSIGNABLE;
		m->u.ctrl.note = hi & 0x7F;
		m->u.ctrl.index = lo;
		m->u.ctrl.value = v;
		break;
	case 0x2:
	case 0x3:
	case 0x4:
	case 0x5: {
		static const uint8_t k[4] = {MIDI_MSG_REGISTERED, MIDI_MSG_ASSIGNABLE,
					     MIDI_MSG_REL_REGISTERED, MIDI_MSG_REL_ASSIGNABLE};
		m->kind = k[m->status - 2];
		m->u.ctrl.bank = hi & 0x7F;
		m->u.ctrl.index = lo & 0x7F;
		m->u.ctrl.value = v;
		break;
	}
	case 0x6:
		m->kind = MIDI_MSG_PN_PITCH_BEND;
		m->u.note_value.note = hi & 0x7F;
		m->u.note_value.value = v;
		break;
	case 0x8:
	case 0x9:
		m->kind = m->status == 0x8 ? MIDI_MSG_NOTE_OFF : MIDI_MSG_NOTE_ON;
		m->u.note.note = hi & 0x7F;
		m->u.note.attr_type = lo;
		m->u.note.velocity = v >> 16;
		m->u.note.attr_data = v & 0xFFFF;
		break;
	case 0xA:
		m->kind = MIDI_MSG_POLY_PRESSURE;
		m->u.note_value.note = hi & 0x7F;
		m->u.note_value.value = v;
		break;
	case 0xB:
		m->kind = MIDI_MSG_CONTROL_CHANGE;
		m->u.ctrl.index = hi & 0x7F;
		m->u.ctrl.value = v;
		break;
	case 0xC:
		m->kind = MIDI_MSG_PROGRAM_CHANGE;
		m->u.program.bank_valid = lo & 1;
		m->u.program.program = (v >> 24) & 0x7F;
		m->u.program.bank_msb = (v >> 8) & 0x7F;
		m->u.program.bank_lsb = v & 0x7F;
		break;
	case 0xD:
		m->kind = MIDI_MSG_CHANNEL_PRESSURE;
		m->u.value = v;
		break;
	case 0xE:
		m->kind = MIDI_MSG_PITCH_BEND;
		m->u.value = v;
		break;
	case 0xF:
		m->kind = MIDI_MSG_PN_MANAGEMENT;
		m->u.pn_mgmt.note = hi & 0x7F;
		m->u.pn_mgmt.detach = (lo >> 1) & 1;
		m->u.pn_mgmt.reset = lo & 1;
		break;
	default:
		m->protocol = 0;
		break;
	}
}

/* Byte i (0-based) of the packet counted from the most significant byte of w[0]. */
static unsigned pbyte(const midi_ump *p, unsigned i)
{
	return (p->w[i / 4] >> (24 - 8 * (i % 4))) & 0xFF;
}

static void decode_sysex7(const midi_ump *p, midi_msg *m)
{
	uint32_t w = p->w[0];
	m->group = (w >> 24) & 0xF;
	m->status = (w >> 20) & 0xF;
	if (m->status > 3)
		return;
	unsigned n = (w >> 16) & 0xF;
	if (n > 6)
		return;
	m->kind = MIDI_MSG_SYSEX7;
	m->u.sysex7.form = m->status;
	m->u.sysex7.len = n;
	for (unsigned i = 0; i < n; i++)
		m->u.sysex7.data[i] = pbyte(p, 2 + i);
}

static void decode_data128(const midi_ump *p, midi_msg *m)
{
	uint32_t w = p->w[0];
	m->group = (w >> 24) & 0xF;
	m->status = (w >> 20) & 0xF;
	if (m->status <= 3) {
		unsigned n = (w >> 16) & 0xF;
		if (n < 1 || n > 14)
			return;
		m->kind = MIDI_MSG_SYSEX8;
		m->u.sysex8.form = m->status;
		m->u.sysex8.stream_id = pbyte(p, 2);
		m->u.sysex8.len = n - 1;
		for (unsigned i = 0; i + 1 < n; i++)
			m->u.sysex8.data[i] = pbyte(p, 3 + i);
	} else if (m->status == 8) {
		m->kind = MIDI_MSG_MDS_HEADER;
		m->u.mds_header.mds_id = (w >> 16) & 0xF;
		m->u.mds_header.bytes = w & 0xFFFF;
		m->u.mds_header.chunks = p->w[1] >> 16;
		m->u.mds_header.chunk = p->w[1] & 0xFFFF;
		m->u.mds_header.manufacturer = p->w[2] >> 16;
		m->u.mds_header.device = p->w[2] & 0xFFFF;
		m->u.mds_header.sub_id1 = p->w[3] >> 16;
		m->u.mds_header.sub_id2 = p->w[3] & 0xFFFF;
	} else if (m->status == 9) {
		m->kind = MIDI_MSG_MDS_PAYLOAD;
		m->u.mds_payload.mds_id = (w >> 16) & 0xF;
		for (unsigned i = 0; i < 14; i++)
			m->u.mds_payload.data[i] = pbyte(p, 2 + i);
	}
}

static int8_t nibble_signed(unsigned v)
{
	return (int8_t)((v & 8) ? (int)(v & 0xF) - 16 : (int)(v & 0xF));
}

static void decode_flex(const midi_ump *p, midi_msg *m)
{
	uint32_t w = p->w[0];
	typeof(m->u.flex) *f = &m->u.flex;
	m->group = (w >> 24) & 0xF;
	m->channel = (w >> 16) & 0xF;
	f->form = (w >> 22) & 3;
	f->address = (w >> 20) & 3;
	f->bank = (w >> 8) & 0xFF;
	f->status = w & 0xFF;
	m->status = f->status;
	for (int i = 0; i < 3; i++)
		f->data[i] = p->w[i + 1];
	m->kind = MIDI_MSG_FLEX_OTHER;
	if (f->address > 1)
		return;
	if (f->bank == 0x01 || f->bank == 0x02) {
		m->kind = MIDI_MSG_FLEX_TEXT;
		unsigned n = 0;
		for (unsigned i = 0; i < 12; i++) {
			char c = (char)pbyte(p, 4 + i);
			f->text[i] = c;
			if (c)
				n = i + 1;
		}
		f->text[12] = 0;
		for (unsigned i = n; i < 12; i++)
			f->text[i] = 0;
		f->text_len = n;
		return;
	}
	if (f->bank != 0x00 || f->form != MIDI_FORM_COMPLETE)
		return;
	uint32_t a = p->w[1], b = p->w[2], c = p->w[3];
	switch (f->status) {
	case 0x00:
		m->kind = MIDI_MSG_FLEX_TEMPO;
		f->tempo = a;
		break;
	case 0x01:
		m->kind = MIDI_MSG_FLEX_TIME_SIGNATURE;
		f->numerator = a >> 24;
		f->denominator = (a >> 16) & 0xFF;
		f->n32 = (a >> 8) & 0xFF;
		break;
	case 0x02:
		m->kind = MIDI_MSG_FLEX_METRONOME;
		f->clicks = a >> 24;
		f->accent[0] = (a >> 16) & 0xFF;
		f->accent[1] = (a >> 8) & 0xFF;
		f->accent[2] = a & 0xFF;
		f->subdiv[0] = b >> 24;
		f->subdiv[1] = (b >> 16) & 0xFF;
		break;
	case 0x05:
		m->kind = MIDI_MSG_FLEX_KEY_SIGNATURE;
		f->sharps_flats = nibble_signed(a >> 28);
		f->tonic = (a >> 24) & 0xF;
		break;
	case 0x06:
		m->kind = MIDI_MSG_FLEX_CHORD_NAME;
		f->sharps_flats = nibble_signed(a >> 28);
		f->tonic = (a >> 24) & 0xF;
		f->chord_type = (a >> 16) & 0xFF;
		f->alter[0] = (a >> 8) & 0xFF;
		f->alter[1] = a & 0xFF;
		f->alter[2] = b >> 24;
		f->alter[3] = (b >> 16) & 0xFF;
		f->bass_sharps_flats = nibble_signed(c >> 28);
		f->bass_note = (c >> 24) & 0xF;
		f->bass_type = (c >> 16) & 0xFF;
		f->bass_alter[0] = (c >> 8) & 0xFF;
		f->bass_alter[1] = c & 0xFF;
		break;
	default:
		break;
	}
}

static void decode_stream(const midi_ump *p, midi_msg *m)
{
	uint32_t w = p->w[0];
	typeof(m->u.stream) *s = &m->u.stream;
	s->form = (w >> 26) & 3;
	s->status = (w >> 16) & 0x3FF;
	m->status = 0;
	switch (s->status) {
	case MIDI_STREAM_EP_DISCOVERY:
		m->kind = MIDI_MSG_EP_DISCOVERY;
		s->ver_major = (w >> 8) & 0xFF;
		s->ver_minor = w & 0xFF;
		s->filter = p->w[1] & 0xFF;
		break;
	case MIDI_STREAM_EP_INFO:
		m->kind = MIDI_MSG_EP_INFO;
		s->ver_major = (w >> 8) & 0xFF;
		s->ver_minor = w & 0xFF;
		s->static_fbs = p->w[1] >> 31;
		s->num_fbs = (p->w[1] >> 24) & 0x7F;
		s->midi2 = (p->w[1] >> 9) & 1;
		s->midi1 = (p->w[1] >> 8) & 1;
		s->rxjr = (p->w[1] >> 1) & 1;
		s->txjr = p->w[1] & 1;
		break;
	case MIDI_STREAM_DEVICE_IDENTITY:
		m->kind = MIDI_MSG_DEVICE_IDENTITY;
		s->manufacturer[0] = (p->w[1] >> 16) & 0x7F;
		s->manufacturer[1] = (p->w[1] >> 8) & 0x7F;
		s->manufacturer[2] = p->w[1] & 0x7F;
		s->family = ((p->w[2] >> 24) & 0x7F) | ((p->w[2] >> 16) & 0x7F) << 7;
		s->model = ((p->w[2] >> 8) & 0x7F) | (p->w[2] & 0x7F) << 7;
		for (int i = 0; i < 4; i++)
			s->version[i] = (p->w[3] >> (24 - 8 * i)) & 0x7F;
		break;
	case MIDI_STREAM_EP_NAME:
	case MIDI_STREAM_PRODUCT_INSTANCE_ID:
	case MIDI_STREAM_FB_NAME: {
		unsigned first = 2, n = 0;
		m->kind = s->status == MIDI_STREAM_EP_NAME ? MIDI_MSG_EP_NAME
			: s->status == MIDI_STREAM_FB_NAME ? MIDI_MSG_FB_NAME
			: MIDI_MSG_PRODUCT_INSTANCE_ID;
		if (s->status == MIDI_STREAM_FB_NAME) {
			s->fb = (w >> 8) & 0xFF;
			first = 3;
		}
		memset(s->text, 0, sizeof s->text);
		for (unsigned i = first; i < 16; i++) {
			char c = (char)pbyte(p, i);
			s->text[i - first] = c;
			if (c)
				n = i - first + 1;
		}
		for (unsigned i = n; i < sizeof s->text; i++)
			s->text[i] = 0;
		s->len = n;
		break;
	}
	case MIDI_STREAM_CONFIG_REQUEST:
	case MIDI_STREAM_CONFIG_NOTIFY:
		m->kind = s->status == MIDI_STREAM_CONFIG_REQUEST ? MIDI_MSG_STREAM_CONFIG_REQUEST
			: MIDI_MSG_STREAM_CONFIG_NOTIFY;
		s->protocol = (w >> 8) & 0xFF;
		s->rxjr = (w >> 1) & 1;
		s->txjr = w & 1;
		break;
	case MIDI_STREAM_FB_DISCOVERY:
		m->kind = MIDI_MSG_FB_DISCOVERY;
		s->fb = (w >> 8) & 0xFF;
		s->filter = w & 0xFF;
		break;
	case MIDI_STREAM_FB_INFO:
		m->kind = MIDI_MSG_FB_INFO;
		s->fb_active = (w >> 15) & 1;
		s->fb = (w >> 8) & 0x7F;
		s->fb_ui_hint = (w >> 4) & 3;
		s->fb_midi1 = (w >> 2) & 3;
		s->fb_direction = w & 3;
		s->fb_first_group = p->w[1] >> 24;
		s->fb_groups = (p->w[1] >> 16) & 0xFF;
		s->fb_ci_version = (p->w[1] >> 8) & 0xFF;
		s->fb_sysex8_streams = p->w[1] & 0xFF;
		break;
	case MIDI_STREAM_START_OF_CLIP:
		m->kind = MIDI_MSG_START_OF_CLIP;
		break;
	case MIDI_STREAM_END_OF_CLIP:
		m->kind = MIDI_MSG_END_OF_CLIP;
		break;
	default:
		break;
	}
}

void midi_msg_decode(const midi_ump *p, midi_msg *m)
{
	memset(m, 0, sizeof *m);
	m->mt = midi_ump_mt(p);
	m->kind = MIDI_MSG_UNKNOWN;
	switch (m->mt) {
	case MIDI_MT_UTILITY: decode_utility(p, m); break;
	case MIDI_MT_SYSTEM: decode_system(p, m); break;
	case MIDI_MT_MIDI1_CV: decode_midi1(p, m); break;
	case MIDI_MT_DATA64: decode_sysex7(p, m); break;
	case MIDI_MT_MIDI2_CV: decode_midi2(p, m); break;
	case MIDI_MT_DATA128: decode_data128(p, m); break;
	case MIDI_MT_FLEX: decode_flex(p, m); break;
	case MIDI_MT_STREAM: decode_stream(p, m); break;
	default:
		m->group = midi_ump_group(p);
		break;
	}
}
