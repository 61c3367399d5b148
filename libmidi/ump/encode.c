/* encode.c: midi_msg_encode (the inverse of midi_msg_decode) and
 * midi_msg_is_canonical (see midi/msg.h). */
#include "midi/msg.h"

#include <string.h>

#include "ump/ump_priv.h"

#define CHECK(cond) do { if (!(cond)) return -MIDI_ERR_INPUT; } while (0)

static uint32_t pbyte_word(const uint8_t *b, unsigned n, unsigned first, unsigned word)
{
	/* the bytes b[] placed from packet byte `first`, restricted to `word` */
	uint32_t w = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned pos = first + i;
		if (pos / 4 == word)
			w |= (uint32_t)b[i] << (24 - 8 * (pos % 4));
	}
	return w;
}

static int encode_flex(const midi_msg *m, midi_ump *o)
{
	const typeof(m->u.flex) *f = &m->u.flex;
	CHECK(f->form <= 3 && f->address <= 3);
	o->w[0] = 0xD0000000u | (uint32_t)(m->group & 0xF) << 24 | (uint32_t)f->form << 22 |
		  (uint32_t)f->address << 20 | (uint32_t)(m->channel & 0xF) << 16 |
		  (uint32_t)f->bank << 8 | f->status;
	switch (m->kind) {
	case MIDI_MSG_FLEX_TEMPO:
		CHECK(f->bank == 0 && f->status == 0);
		o->w[1] = f->tempo;
		break;
	case MIDI_MSG_FLEX_TIME_SIGNATURE:
		CHECK(f->bank == 0 && f->status == 1);
		o->w[1] = (uint32_t)f->numerator << 24 | (uint32_t)f->denominator << 16 | (uint32_t)f->n32 << 8;
		break;
	case MIDI_MSG_FLEX_METRONOME:
		CHECK(f->bank == 0 && f->status == 2);
		o->w[1] = (uint32_t)f->clicks << 24 | (uint32_t)f->accent[0] << 16 |
			  (uint32_t)f->accent[1] << 8 | f->accent[2];
		o->w[2] = (uint32_t)f->subdiv[0] << 24 | (uint32_t)f->subdiv[1] << 16;
		break;
	case MIDI_MSG_FLEX_KEY_SIGNATURE:
		CHECK(f->bank == 0 && f->status == 5);
		CHECK(f->sharps_flats >= -8 && f->sharps_flats <= 7 && f->tonic <= 15);
		o->w[1] = (uint32_t)(f->sharps_flats & 0xF) << 28 | (uint32_t)f->tonic << 24;
		break;
	case MIDI_MSG_FLEX_CHORD_NAME:
		CHECK(f->bank == 0 && f->status == 6);
		CHECK(f->sharps_flats >= -8 && f->sharps_flats <= 7 && f->tonic <= 15);
		CHECK(f->bass_sharps_flats >= -8 && f->bass_sharps_flats <= 7 && f->bass_note <= 15);
		o->w[1] = (uint32_t)(f->sharps_flats & 0xF) << 28 | (uint32_t)f->tonic << 24 |
			  (uint32_t)f->chord_type << 16 | (uint32_t)f->alter[0] << 8 | f->alter[1];
		o->w[2] = (uint32_t)f->alter[2] << 24 | (uint32_t)f->alter[3] << 16;
		o->w[3] = (uint32_t)(f->bass_sharps_flats & 0xF) << 28 | (uint32_t)f->bass_note << 24 |
			  (uint32_t)f->bass_type << 16 | (uint32_t)f->bass_alter[0] << 8 | f->bass_alter[1];
		break;
	case MIDI_MSG_FLEX_TEXT:
		CHECK(f->bank == 1 || f->bank == 2);
		CHECK(f->text_len <= 12);
		for (unsigned w = 1; w < 4; w++)
			o->w[w] = pbyte_word((const uint8_t *)f->text, f->text_len, 4, w);
		break;
	default: /* MIDI_MSG_FLEX_OTHER */
		for (int i = 0; i < 3; i++)
			o->w[i + 1] = f->data[i];
		break;
	}
	return 0;
}

static int encode_stream(const midi_msg *m, midi_ump *o)
{
	const typeof(m->u.stream) *s = &m->u.stream;
	uint32_t w0 = 0xF0000000u;
	switch (m->kind) {
	case MIDI_MSG_EP_DISCOVERY:
		*o = midi_stream_ep_discovery(s->ver_major, s->ver_minor, s->filter);
		return 0;
	case MIDI_MSG_EP_INFO: {
		midi_stream_ep_info i = {s->ver_major, s->ver_minor, s->num_fbs, s->static_fbs,
					 s->midi1, s->midi2, s->rxjr, s->txjr};
		CHECK(s->num_fbs <= 0x7F && s->static_fbs <= 1 && s->midi1 <= 1 && s->midi2 <= 1 &&
		      s->rxjr <= 1 && s->txjr <= 1);
		*o = midi_stream_ep_info_build(&i);
		return 0;
	}
	case MIDI_MSG_DEVICE_IDENTITY: {
		midi_stream_identity id;
		memcpy(id.manufacturer, s->manufacturer, 3);
		memcpy(id.version, s->version, 4);
		id.family = s->family;
		id.model = s->model;
		for (int i = 0; i < 3; i++)
			CHECK(s->manufacturer[i] <= 0x7F);
		for (int i = 0; i < 4; i++)
			CHECK(s->version[i] <= 0x7F);
		CHECK(s->family <= 0x3FFF && s->model <= 0x3FFF);
		*o = midi_stream_identity_build(&id);
		return 0;
	}
	case MIDI_MSG_EP_NAME:
	case MIDI_MSG_PRODUCT_INSTANCE_ID:
	case MIDI_MSG_FB_NAME: {
		unsigned first = m->kind == MIDI_MSG_FB_NAME ? 3 : 2;
		CHECK(s->form <= 3 && s->len <= 16 - first);
		w0 |= (uint32_t)s->form << 26 | (uint32_t)s->status << 16;
		if (m->kind == MIDI_MSG_FB_NAME)
			w0 |= (uint32_t)s->fb << 8;
		o->w[0] = w0 | pbyte_word((const uint8_t *)s->text, s->len, first, 0);
		for (unsigned w = 1; w < 4; w++)
			o->w[w] = pbyte_word((const uint8_t *)s->text, s->len, first, w);
		return 0;
	}
	case MIDI_MSG_STREAM_CONFIG_REQUEST:
	case MIDI_MSG_STREAM_CONFIG_NOTIFY:
		CHECK(s->rxjr <= 1 && s->txjr <= 1);
		*o = midi_stream_config(m->kind == MIDI_MSG_STREAM_CONFIG_REQUEST, s->protocol,
					s->rxjr, s->txjr);
		return 0;
	case MIDI_MSG_FB_DISCOVERY:
		*o = midi_stream_fb_discovery(s->fb, s->filter);
		return 0;
	case MIDI_MSG_FB_INFO: {
		midi_stream_fb_info fb = {s->fb, s->fb_active, s->fb_direction, s->fb_midi1,
					  s->fb_ui_hint, s->fb_first_group, s->fb_groups,
					  s->fb_ci_version, s->fb_sysex8_streams};
		CHECK(s->fb <= 0x7F && s->fb_active <= 1 && s->fb_direction <= 3 &&
		      s->fb_midi1 <= 3 && s->fb_ui_hint <= 3);
		*o = midi_stream_fb_info_build(&fb);
		return 0;
	}
	case MIDI_MSG_START_OF_CLIP:
		o->w[0] = w0 | (uint32_t)MIDI_STREAM_START_OF_CLIP << 16;
		return 0;
	case MIDI_MSG_END_OF_CLIP:
		o->w[0] = w0 | (uint32_t)MIDI_STREAM_END_OF_CLIP << 16;
		return 0;
	default:
		return -MIDI_ERR_INPUT;
	}
}

static int encode(const midi_msg *m, midi_ump *o)
{
	unsigned g = m->group, c = m->channel;
	CHECK(g <= 15 && c <= 15);
	switch (m->kind) {
	case MIDI_MSG_NOOP: *o = midi_ump_noop(); return 0;
	case MIDI_MSG_JR_CLOCK: CHECK(m->u.value <= 0xFFFF); *o = midi_ump_jr_clock(m->u.value); return 0;
	case MIDI_MSG_JR_TIMESTAMP: CHECK(m->u.value <= 0xFFFF); *o = midi_ump_jr_timestamp(m->u.value); return 0;
	case MIDI_MSG_DCTPQ: CHECK(m->u.value <= 0xFFFF); *o = midi_ump_dctpq(m->u.value); return 0;
	case MIDI_MSG_DELTA_CLOCKSTAMP: CHECK(m->u.value <= 0xFFFFF); *o = midi_ump_delta_clockstamp(m->u.value); return 0;
	case MIDI_MSG_MTC_QUARTER: CHECK(m->u.value <= 127); *o = midi_ump_system(g, 0xF1, m->u.value, 0); return 0;
	case MIDI_MSG_SONG_POSITION: CHECK(m->u.value <= 16383); *o = midi_ump_song_position(g, m->u.value); return 0;
	case MIDI_MSG_SONG_SELECT: CHECK(m->u.value <= 127); *o = midi_ump_system(g, 0xF3, m->u.value, 0); return 0;
	case MIDI_MSG_TUNE_REQUEST: *o = midi_ump_system(g, 0xF6, 0, 0); return 0;
	case MIDI_MSG_CLOCK: *o = midi_ump_system(g, 0xF8, 0, 0); return 0;
	case MIDI_MSG_START: *o = midi_ump_system(g, 0xFA, 0, 0); return 0;
	case MIDI_MSG_CONTINUE: *o = midi_ump_system(g, 0xFB, 0, 0); return 0;
	case MIDI_MSG_STOP: *o = midi_ump_system(g, 0xFC, 0, 0); return 0;
	case MIDI_MSG_ACTIVE_SENSING: *o = midi_ump_system(g, 0xFE, 0, 0); return 0;
	case MIDI_MSG_RESET: *o = midi_ump_system(g, 0xFF, 0, 0); return 0;
	default: break;
	}
	if (m->kind >= MIDI_MSG_NOTE_OFF && m->kind <= MIDI_MSG_PITCH_BEND && m->protocol == 1) {
		switch (m->kind) {
		case MIDI_MSG_NOTE_OFF:
		case MIDI_MSG_NOTE_ON:
			CHECK(m->u.note.note <= 127 && m->u.note.velocity <= 127);
			CHECK(m->u.note.attr_type == 0 && m->u.note.attr_data == 0);
			*o = (m->kind == MIDI_MSG_NOTE_ON ? midi_ump_m1_note_on : midi_ump_m1_note_off)(
				g, c, m->u.note.note, m->u.note.velocity);
			return 0;
		case MIDI_MSG_POLY_PRESSURE:
			CHECK(m->u.note_value.note <= 127 && m->u.note_value.value <= 127);
			*o = midi_ump_m1_poly_pressure(g, c, m->u.note_value.note, m->u.note_value.value);
			return 0;
		case MIDI_MSG_CONTROL_CHANGE:
			CHECK(m->u.ctrl.index <= 127 && m->u.ctrl.value <= 127);
			*o = midi_ump_m1_cc(g, c, m->u.ctrl.index, m->u.ctrl.value);
			return 0;
		case MIDI_MSG_PROGRAM_CHANGE:
			CHECK(m->u.program.program <= 127 && !m->u.program.bank_valid);
			*o = midi_ump_m1_program(g, c, m->u.program.program);
			return 0;
		case MIDI_MSG_CHANNEL_PRESSURE:
			CHECK(m->u.value <= 127);
			*o = midi_ump_m1_channel_pressure(g, c, m->u.value);
			return 0;
		default: /* MIDI_MSG_PITCH_BEND */
			CHECK(m->u.value <= 16383);
			*o = midi_ump_m1_pitch_bend(g, c, m->u.value);
			return 0;
		}
	}
	if (m->kind >= MIDI_MSG_NOTE_OFF && m->kind <= MIDI_MSG_PN_MANAGEMENT) {
		CHECK(m->protocol == 2);
		switch (m->kind) {
		case MIDI_MSG_NOTE_OFF:
		case MIDI_MSG_NOTE_ON:
			CHECK(m->u.note.note <= 127);
			*o = (m->kind == MIDI_MSG_NOTE_ON ? midi_ump_m2_note_on : midi_ump_m2_note_off)(
				g, c, m->u.note.note, m->u.note.velocity, m->u.note.attr_type,
				m->u.note.attr_data);
			return 0;
		case MIDI_MSG_POLY_PRESSURE:
			CHECK(m->u.note_value.note <= 127);
			*o = midi_ump_m2_poly_pressure(g, c, m->u.note_value.note, m->u.note_value.value);
			return 0;
		case MIDI_MSG_PN_PITCH_BEND:
			CHECK(m->u.note_value.note <= 127);
			*o = midi_ump_m2_pn_pitch_bend(g, c, m->u.note_value.note, m->u.note_value.value);
			return 0;
		case MIDI_MSG_CONTROL_CHANGE:
			CHECK(m->u.ctrl.index <= 127);
			*o = midi_ump_m2_cc(g, c, m->u.ctrl.index, m->u.ctrl.value);
			return 0;
		case MIDI_MSG_PROGRAM_CHANGE:
			CHECK(m->u.program.program <= 127 && m->u.program.bank_valid <= 1 &&
			      m->u.program.bank_msb <= 127 && m->u.program.bank_lsb <= 127);
			*o = midi_ump_m2_program(g, c, m->u.program.program, m->u.program.bank_valid,
						 m->u.program.bank_msb, m->u.program.bank_lsb);
			return 0;
		case MIDI_MSG_CHANNEL_PRESSURE:
			*o = midi_ump_m2_channel_pressure(g, c, m->u.value);
			return 0;
		case MIDI_MSG_PITCH_BEND:
			*o = midi_ump_m2_pitch_bend(g, c, m->u.value);
			return 0;
		case MIDI_MSG_PN_REGISTERED:
		case MIDI_MSG_PN_ASSIGNABLE:
			CHECK(m->u.ctrl.note <= 127);
			*o = midi_ump_m2_controller(g, c, m->kind == MIDI_MSG_PN_REGISTERED ? 0 : 1,
						    m->u.ctrl.note, m->u.ctrl.index, m->u.ctrl.value);
			return 0;
		case MIDI_MSG_REGISTERED:
		case MIDI_MSG_ASSIGNABLE:
		case MIDI_MSG_REL_REGISTERED:
		case MIDI_MSG_REL_ASSIGNABLE:
			CHECK(m->u.ctrl.bank <= 127 && m->u.ctrl.index <= 127);
			*o = midi_ump_m2_controller(g, c, 2 + (m->kind - MIDI_MSG_REGISTERED), m->u.ctrl.bank,
						    m->u.ctrl.index, m->u.ctrl.value);
			return 0;
		default: /* MIDI_MSG_PN_MANAGEMENT */
			CHECK(m->u.pn_mgmt.note <= 127 && m->u.pn_mgmt.detach <= 1 && m->u.pn_mgmt.reset <= 1);
			*o = midi_ump_m2_pn_management(g, c, m->u.pn_mgmt.note, m->u.pn_mgmt.detach,
						       m->u.pn_mgmt.reset);
			return 0;
		}
	}
	switch (m->kind) {
	case MIDI_MSG_SYSEX7:
		CHECK(m->u.sysex7.form <= 3 && m->u.sysex7.len <= 6);
		for (unsigned i = 0; i < m->u.sysex7.len; i++)
			CHECK(m->u.sysex7.data[i] <= 0x7F);
		*o = midi_ump_sysex7(g, m->u.sysex7.form, m->u.sysex7.data, m->u.sysex7.len);
		return 0;
	case MIDI_MSG_SYSEX8:
		CHECK(m->u.sysex8.form <= 3 && m->u.sysex8.len <= 13);
		*o = midi_ump_sysex8(g, m->u.sysex8.form, m->u.sysex8.stream_id, m->u.sysex8.data,
				     m->u.sysex8.len);
		return 0;
	case MIDI_MSG_MDS_HEADER: {
		const typeof(m->u.mds_header) *h = &m->u.mds_header;
		CHECK(h->mds_id <= 15);
		*o = midi_ump_make(0x50800000u | (uint32_t)g << 24 | (uint32_t)h->mds_id << 16 | h->bytes,
				   (uint32_t)h->chunks << 16 | h->chunk,
				   (uint32_t)h->manufacturer << 16 | h->device,
				   (uint32_t)h->sub_id1 << 16 | h->sub_id2);
		return 0;
	}
	case MIDI_MSG_MDS_PAYLOAD:
		CHECK(m->u.mds_payload.mds_id <= 15);
		o->w[0] = 0x50900000u | (uint32_t)g << 24 | (uint32_t)m->u.mds_payload.mds_id << 16 |
			  pbyte_word(m->u.mds_payload.data, 14, 2, 0);
		for (unsigned w = 1; w < 4; w++)
			o->w[w] = pbyte_word(m->u.mds_payload.data, 14, 2, w);
		return 0;
	default:
		break;
	}
	if (m->kind >= MIDI_MSG_FLEX_TEMPO && m->kind <= MIDI_MSG_FLEX_OTHER)
		return encode_flex(m, o);
	return encode_stream(m, o);
}

int midi_msg_encode(const midi_msg *m, midi_ump *out)
{
	memset(out, 0, sizeof *out);
	if (m->kind == MIDI_MSG_UNKNOWN || m->kind >= MIDI_MSG_KIND_COUNT || encode(m, out) < 0) {
		memset(out, 0, sizeof *out);
		return -MIDI_ERR_INPUT;
	}
	return 0;
}

int msg_canonical(const midi_ump *p, const midi_msg *m)
{
	midi_ump q;
	if (midi_msg_encode(m, &q) < 0)
		return 0;
	return memcmp(p->w, q.w, sizeof q.w) == 0;
}

int msg_decode_canonical(const midi_ump *p, midi_msg *m)
{
	midi_msg_decode(p, m);
	return msg_canonical(p, m);
}

int midi_msg_is_canonical(const midi_ump *p)
{
	midi_msg m;
	return msg_decode_canonical(p, &m);
}
