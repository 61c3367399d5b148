/* describe.c: midi_ump_describe, one human line for any UMP packet. */
#include "midi/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ump/ump_priv.h"
#include "util/cursor.h"
#include "util/fastfmt.h"

typedef struct out {
	char *buf;
	size_t n, len; /* len: what it wanted so far */
} out;

__attribute__((format(printf, 2, 3))) static void put(out *o, const char *fmt, ...)
{
	va_list ap, aq;
	va_start(ap, fmt);
	size_t room = o->len < o->n ? o->n - o->len : 0;
	/* fastfmt when it can (it declines when the result would not fit) */
	va_copy(aq, ap);
	int k = room ? fastfmt(o->buf + o->len, room, fmt, aq) : -1;
	va_end(aq);
	if (k < 0)
		k = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->len += (size_t)k;
}

static void put_text(out *o, const char *s, size_t len)
{
	put(o, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F || c == '"' || c == '\\')
			put(o, "\\x%02X", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static void put_bytes(out *o, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put(o, " %02X", b[i]);
}

static const char *form_name(unsigned f)
{
	static const char *const n[4] = {"complete", "start", "continue", "end"};
	return n[f & 3];
}

static void words(out *o, const midi_ump *p)
{
	unsigned n = midi_ump_words(p);
	put(o, " [");
	for (unsigned i = 0; i < n; i++)
		put(o, "%s%08X", i ? " " : "", (unsigned)p->w[i]);
	put(o, "]");
}

/* Channel voice, the messages of nearly every stream: written straight
 * into the buffer when it has room for the longest such line (else into
 * a local one, then appended as put would). */
#define CV_DESC_MAX 192

/* " note N (NAME)" */
static char *note_of(char *c, unsigned note)
{
	c = CUR_LIT(c, " note ");
	c = cur_u(c, note);
	c = CUR_LIT(c, " (");
	c = cur_note(c, note);
	*c++ = ')';
	return c;
}

static void describe_cv(out *o, const midi_msg *m)
{
	char tmp[CV_DESC_MAX];
	int direct = o->len + CV_DESC_MAX < o->n;
	char *c = direct ? o->buf + o->len : tmp, *b = c;
	const char *title = midi_msg_kind_title(m->kind);
	if (m->protocol == 2)
		c = CUR_LIT(c, "MIDI 2.0 ");
	c = cur_str(c, title, strlen(title));
	c = CUR_LIT(c, " group ");
	c = cur_u(c, m->group + 1u);
	c = CUR_LIT(c, " channel ");
	c = cur_u(c, m->channel + 1u);
	switch (m->kind) {
	case MIDI_MSG_NOTE_OFF:
	case MIDI_MSG_NOTE_ON:
		c = CUR_LIT(note_of(c, m->u.note.note), " velocity ");
		c = cur_u(c, m->u.note.velocity);
		if (m->u.note.attr_type || m->u.note.attr_data) {
			c = CUR_LIT(c, " attribute type ");
			c = cur_u(c, m->u.note.attr_type);
			c = CUR_LIT(c, " data 0x");
			c = cur_hex(c, m->u.note.attr_data, 4);
		}
		break;
	case MIDI_MSG_POLY_PRESSURE:
	case MIDI_MSG_PN_PITCH_BEND:
		c = CUR_LIT(note_of(c, m->u.note_value.note), " value ");
		c = cur_u(c, (unsigned)m->u.note_value.value);
		break;
	case MIDI_MSG_CONTROL_CHANGE:
		c = CUR_LIT(c, " controller ");
		c = cur_u(c, m->u.ctrl.index);
		c = CUR_LIT(c, " value ");
		c = cur_u(c, (unsigned)m->u.ctrl.value);
		break;
	case MIDI_MSG_PROGRAM_CHANGE:
		c = CUR_LIT(c, " program ");
		c = cur_u(c, m->u.program.program);
		if (m->u.program.bank_valid) {
			c = CUR_LIT(c, " bank ");
			c = cur_u(c, m->u.program.bank_msb);
			*c++ = ':';
			c = cur_u(c, m->u.program.bank_lsb);
		}
		break;
	case MIDI_MSG_CHANNEL_PRESSURE:
	case MIDI_MSG_PITCH_BEND:
		c = CUR_LIT(c, " value ");
		c = cur_u(c, (unsigned)m->u.value);
		break;
	case MIDI_MSG_PN_REGISTERED:
	case MIDI_MSG_PN_ASSIGNABLE:
		c = CUR_LIT(note_of(c, m->u.ctrl.note), " index ");
		c = cur_u(c, m->u.ctrl.index);
		c = CUR_LIT(c, " value ");
		c = cur_u(c, (unsigned)m->u.ctrl.value);
		break;
	case MIDI_MSG_REGISTERED:
	case MIDI_MSG_ASSIGNABLE:
	case MIDI_MSG_REL_REGISTERED:
	case MIDI_MSG_REL_ASSIGNABLE:
		c = CUR_LIT(c, " bank ");
		c = cur_u(c, m->u.ctrl.bank);
		c = CUR_LIT(c, " index ");
		c = cur_u(c, m->u.ctrl.index);
		c = CUR_LIT(c, " (parameter ");
		c = cur_u(c, m->u.ctrl.bank * 128u + m->u.ctrl.index);
		if (m->kind == MIDI_MSG_REGISTERED || m->kind == MIDI_MSG_ASSIGNABLE) {
			c = CUR_LIT(c, ") value ");
			c = cur_u(c, (unsigned)m->u.ctrl.value);
		} else {
			c = CUR_LIT(c, ") change ");
			if ((int32_t)m->u.ctrl.value >= 0)
				*c++ = '+';
			c = cur_d(c, (int32_t)m->u.ctrl.value);
		}
		break;
	case MIDI_MSG_PN_MANAGEMENT:
		c = note_of(c, m->u.pn_mgmt.note);
		if (m->u.pn_mgmt.detach)
			c = CUR_LIT(c, " detach");
		if (m->u.pn_mgmt.reset)
			c = CUR_LIT(c, " reset");
		break;
	default:
		break;
	}
	*c = 0;
	if (direct)
		o->len += (size_t)(c - b);
	else
		put(o, "%s", tmp);
}

static void describe_flex(out *o, const midi_msg *m)
{
	const typeof(m->u.flex) *f = &m->u.flex;
	put(o, "%s group %u", midi_msg_kind_title(m->kind), m->group + 1);
	if (f->address == 0)
		put(o, " channel %u", m->channel + 1);
	else if (f->address > 1)
		put(o, " address %u (reserved)", f->address);
	switch (m->kind) {
	case MIDI_MSG_FLEX_TEMPO:
		put(o, " %u x 10 ns per quarter note", (unsigned)f->tempo);
		if (f->tempo)
			put(o, " (%.2f bpm)", 6e9 / f->tempo);
		break;
	case MIDI_MSG_FLEX_TIME_SIGNATURE:
		put(o, " %u/2^%u, %u 32nd notes per beat", f->numerator, f->denominator, f->n32);
		break;
	case MIDI_MSG_FLEX_METRONOME:
		put(o, " %u clocks per click, accents %u %u %u, subdivisions %u %u", f->clicks,
		    f->accent[0], f->accent[1], f->accent[2], f->subdiv[0], f->subdiv[1]);
		break;
	case MIDI_MSG_FLEX_KEY_SIGNATURE:
		put(o, " %+d sharps/flats, tonic %u", f->sharps_flats, f->tonic);
		break;
	case MIDI_MSG_FLEX_CHORD_NAME:
		put(o, " tonic %u%+d type %u alterations %02X %02X %02X %02X bass %u%+d type %u alterations %02X %02X",
		    f->tonic, f->sharps_flats, f->chord_type, f->alter[0], f->alter[1], f->alter[2],
		    f->alter[3], f->bass_note, f->bass_sharps_flats, f->bass_type, f->bass_alter[0],
		    f->bass_alter[1]);
		break;
	case MIDI_MSG_FLEX_TEXT:
		put(o, " bank %u status %u %s ", f->bank, f->status, form_name(f->form));
		put_text(o, f->text, f->text_len);
		break;
	default:
		put(o, " %s bank 0x%02X status 0x%02X data %08X %08X %08X", form_name(f->form), f->bank,
		    f->status, (unsigned)f->data[0], (unsigned)f->data[1], (unsigned)f->data[2]);
		break;
	}
}

static void describe_stream(out *o, const midi_msg *m, const midi_ump *p)
{
	const typeof(m->u.stream) *s = &m->u.stream;
	if (m->kind == MIDI_MSG_UNKNOWN) {
		put(o, "UMP Stream reserved status 0x%03X", s->status);
		words(o, p);
		return;
	}
	put(o, "%s", midi_msg_kind_title(m->kind));
	switch (m->kind) {
	case MIDI_MSG_EP_DISCOVERY:
		put(o, " UMP %u.%u filter 0x%02X", s->ver_major, s->ver_minor, s->filter);
		break;
	case MIDI_MSG_EP_INFO:
		put(o, " UMP %u.%u, %u %s function blocks, protocols%s%s, JR rx %u tx %u", s->ver_major,
		    s->ver_minor, s->num_fbs, s->static_fbs ? "static" : "dynamic",
		    s->midi1 ? " MIDI1" : "", s->midi2 ? " MIDI2" : "", s->rxjr, s->txjr);
		break;
	case MIDI_MSG_DEVICE_IDENTITY:
		put(o, " manufacturer %02X %02X %02X family %u model %u version %u.%u.%u.%u",
		    s->manufacturer[0], s->manufacturer[1], s->manufacturer[2], s->family, s->model,
		    s->version[0], s->version[1], s->version[2], s->version[3]);
		break;
	case MIDI_MSG_FB_NAME:
		put(o, " block %u", s->fb);
		/* fall through */
	case MIDI_MSG_EP_NAME:
	case MIDI_MSG_PRODUCT_INSTANCE_ID:
		put(o, " %s ", form_name(s->form));
		put_text(o, s->text, s->len);
		break;
	case MIDI_MSG_STREAM_CONFIG_REQUEST:
	case MIDI_MSG_STREAM_CONFIG_NOTIFY:
		put(o, " protocol %s, JR rx %u tx %u",
		    s->protocol == 1 ? "MIDI1" : s->protocol == 2 ? "MIDI2" : "unknown", s->rxjr, s->txjr);
		if (s->protocol != 1 && s->protocol != 2)
			put(o, " (0x%02X)", s->protocol);
		break;
	case MIDI_MSG_FB_DISCOVERY:
		if (s->fb == MIDI_FB_ALL)
			put(o, " all blocks");
		else
			put(o, " block %u", s->fb);
		put(o, " filter 0x%02X", s->filter);
		break;
	case MIDI_MSG_FB_INFO: {
		static const char *const dir[4] = {"reserved", "input", "output", "bidirectional"};
		static const char *const hint[4] = {"unknown", "receiver", "sender", "sender+receiver"};
		static const char *const m1[4] = {"not MIDI 1.0", "MIDI 1.0", "MIDI 1.0 31.25k", "reserved"};
		put(o, " block %u %s, %s, groups %u-%u, %s, UI %s, MIDI-CI 0x%02X, %u SysEx8 streams",
		    s->fb, s->fb_active ? "active" : "inactive", dir[s->fb_direction & 3],
		    s->fb_first_group + 1u, s->fb_first_group + (unsigned)s->fb_groups, m1[s->fb_midi1 & 3],
		    hint[s->fb_ui_hint & 3], s->fb_ci_version, s->fb_sysex8_streams);
		break;
	}
	default:
		break;
	}
}

int midi_ump_describe(const midi_ump *p, char *buf, size_t n)
{
	midi_msg m;
	midi_msg_decode(p, &m);
	return msg_describe(p, &m, buf, n);
}

int msg_describe(const midi_ump *p, const midi_msg *mp, char *buf, size_t n)
{
	out o = {buf, n, 0};
	midi_msg m = *mp;
	if (n)
		buf[0] = 0;
	switch (m.mt) {
	case MIDI_MT_UTILITY:
		if (m.kind == MIDI_MSG_UNKNOWN) {
			put(&o, "Utility reserved status 0x%X", m.status);
			words(&o, p);
		} else if (m.kind == MIDI_MSG_NOOP) {
			put(&o, "NOOP");
		} else {
			put(&o, "%s %u", midi_msg_kind_title(m.kind), (unsigned)m.u.value);
		}
		break;
	case MIDI_MT_SYSTEM:
		if (m.kind == MIDI_MSG_UNKNOWN) {
			put(&o, "System group %u undefined status 0x%02X", m.group + 1, m.status);
			words(&o, p);
			break;
		}
		put(&o, "%s group %u", midi_msg_kind_title(m.kind), m.group + 1);
		if (m.kind == MIDI_MSG_MTC_QUARTER)
			put(&o, " piece %u value %u", (unsigned)m.u.value >> 4, (unsigned)m.u.value & 0xF);
		else if (m.kind == MIDI_MSG_SONG_POSITION)
			put(&o, " %u beats", (unsigned)m.u.value);
		else if (m.kind == MIDI_MSG_SONG_SELECT)
			put(&o, " song %u", (unsigned)m.u.value);
		break;
	case MIDI_MT_MIDI1_CV:
	case MIDI_MT_MIDI2_CV:
		if (m.kind == MIDI_MSG_UNKNOWN) {
			put(&o, "%s reserved opcode 0x%X group %u", m.mt == 2 ? "MIDI 1.0" : "MIDI 2.0",
			    m.status, m.group + 1);
			words(&o, p);
		} else {
			describe_cv(&o, &m);
		}
		break;
	case MIDI_MT_DATA64:
		if (m.kind == MIDI_MSG_UNKNOWN) {
			put(&o, "SysEx7 group %u invalid status %u / length %u", m.group + 1, m.status,
			    (unsigned)(p->w[0] >> 16) & 0xF);
			words(&o, p);
			break;
		}
		put(&o, "SysEx7 %s group %u, %u bytes:", form_name(m.u.sysex7.form), m.group + 1,
		    m.u.sysex7.len);
		put_bytes(&o, m.u.sysex7.data, m.u.sysex7.len);
		break;
	case MIDI_MT_DATA128:
		if (m.kind == MIDI_MSG_SYSEX8) {
			put(&o, "SysEx8 %s group %u stream %u, %u bytes:", form_name(m.u.sysex8.form),
			    m.group + 1, m.u.sysex8.stream_id, m.u.sysex8.len);
			put_bytes(&o, m.u.sysex8.data, m.u.sysex8.len);
		} else if (m.kind == MIDI_MSG_MDS_HEADER) {
			const typeof(m.u.mds_header) *h = &m.u.mds_header;
			put(&o, "Mixed Data Set Header group %u id %u, %u bytes, chunk %u of %u, manufacturer 0x%04X device 0x%04X sub-ids 0x%04X 0x%04X",
			    m.group + 1, h->mds_id, h->bytes, h->chunk, h->chunks, h->manufacturer,
			    h->device, h->sub_id1, h->sub_id2);
		} else if (m.kind == MIDI_MSG_MDS_PAYLOAD) {
			put(&o, "Mixed Data Set Payload group %u id %u:", m.group + 1, m.u.mds_payload.mds_id);
			put_bytes(&o, m.u.mds_payload.data, 14);
		} else {
			put(&o, "Data 128 group %u reserved status %u / length %u", m.group + 1, m.status,
			    (unsigned)(p->w[0] >> 16) & 0xF);
			words(&o, p);
		}
		break;
	case MIDI_MT_FLEX:
		describe_flex(&o, &m);
		break;
	case MIDI_MT_STREAM:
		describe_stream(&o, &m, p);
		break;
	default:
		put(&o, "Reserved message type 0x%X", m.mt);
		words(&o, p);
		break;
	}
	return (int)o.len;
}
