/* print_json.c: the "json" output format: one object per packet and line,
 * with the time, the decoded fields (groups and channels 1-based), the raw
 * words, the text-format line and a description. Strings are escaped and
 * invalid UTF-8 becomes U+FFFD, so every line is valid JSON. */
#include "format_priv.h"

#include <string.h>

#include "midi/msg.h"
#include "ump/ump_priv.h"
#include "util/cursor.h"


static void put_pr(void *ctx, const char *s, size_t n)
{
	pr_addn(ctx, s, n);
}

/* Room for n more bytes: where to write them, or NULL (out of memory,
 * noted in pr->oom). Then done(pr, end). */
static inline char *room(midi_printer *pr, size_t n)
{
	if (pr->len + n + 1 > pr->cap && pr_reserve(pr, n) < 0)
		return NULL;
	return pr->buf + pr->len;
}

static inline void done(midi_printer *pr, char *o)
{
	*o = 0;
	pr->len = (size_t)(o - pr->buf);
}

/* Whether s goes into a JSON string as it is (printable ASCII but " and
 * \\): 8 bytes at a time (a byte below 0x20, above 0x7E, a quote or a
 * backslash in any of them), the rest one by one. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static inline int plain(const char *s, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, q, b;
		memcpy(&x, s + i, 8);
		q = x ^ (ONES * '"');
		b = x ^ (ONES * '\\');
		if ((((x - ONES * 0x20) & ~x) | ((x + ONES * (127 - 0x7E)) | x) |
		     ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS)
			return 0;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7F || s[i] == '"' ||
		    s[i] == '\\')
			return 0;
	return 1;
}

static void jstr(midi_printer *pr, const char *s, size_t n)
{
	char *o;
	if (plain(s, n) && (o = room(pr, n + 2)) != NULL) {
		*o++ = '"';
		o = cur_str(o, s, n);
		*o++ = '"';
		done(pr, o);
		return;
	}
	fmt_json_string(put_pr, pr, s, n);
}

/* The fields: num(pr, "key", v) and the like, the key a string literal
 * (plain ASCII) passed on as ,"key": and its length, known when compiled. */
#define KQ(k) ",\"" k "\":", sizeof(",\"" k "\":") - 1

#define num(pr, k, v) num_(pr, KQ(k), v)
__attribute__((always_inline)) static inline void num_(midi_printer *pr, const char *kq,
							size_t kn, long long v)
{
	char *o = room(pr, kn + 21);
	if (o)
		done(pr, cur_d(cur_str(o, kq, kn), v));
}

static void boolean_(midi_printer *pr, const char *kq, size_t kn, int v)
{
	pr_addn(pr, kq, kn);
	pr_addn(pr, v ? "true" : "false", v ? 4 : 5);
}
#define boolean(pr, k, v) boolean_(pr, KQ(k), v)

#define str(pr, k, s, n) (pr_addn(pr, KQ(k)), jstr(pr, s, n))

/* A name of the library's own (kinds, forms, protocols): plain ASCII. */
static void name_(midi_printer *pr, const char *kq, size_t kn, const char *s)
{
	size_t n = strlen(s);
	char *o = room(pr, kn + n + 2);
	if (!o)
		return;
	o = cur_str(o, kq, kn);
	*o++ = '"';
	o = cur_str(o, s, n);
	*o++ = '"';
	done(pr, o);
}
#define name(pr, k, s) name_(pr, KQ(k), s)

static void bytes_(midi_printer *pr, const char *kq, size_t kn, const uint8_t *b, size_t n)
{
	char *o = room(pr, kn + 2 + 4 * n);
	if (!o)
		return;
	o = cur_str(o, kq, kn);
	*o++ = '[';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		o = cur_u(o, b[i]);
	}
	*o++ = ']';
	done(pr, o);
}
#define bytes(pr, k, b, n) bytes_(pr, KQ(k), b, n)

static const char *form_name(unsigned f)
{
	static const char *const n[4] = {"complete", "start", "continue", "end"};
	return n[f & 3];
}

static void cv_fields(midi_printer *pr, const midi_msg *m)
{
	switch (m->kind) {
	case MIDI_MSG_NOTE_ON:
	case MIDI_MSG_NOTE_OFF:
		num(pr, "note", m->u.note.note);
		num(pr, "velocity", m->u.note.velocity);
		if (m->protocol == 2) {
			num(pr, "attribute_type", m->u.note.attr_type);
			num(pr, "attribute_data", m->u.note.attr_data);
		}
		break;
	case MIDI_MSG_POLY_PRESSURE:
	case MIDI_MSG_PN_PITCH_BEND:
		num(pr, "note", m->u.note_value.note);
		num(pr, "value", m->u.note_value.value);
		break;
	case MIDI_MSG_CONTROL_CHANGE:
		num(pr, "controller", m->u.ctrl.index);
		num(pr, "value", m->u.ctrl.value);
		break;
	case MIDI_MSG_PROGRAM_CHANGE:
		num(pr, "program", m->u.program.program);
		if (m->protocol == 2) {
			boolean(pr, "bank_valid", m->u.program.bank_valid);
			num(pr, "bank_msb", m->u.program.bank_msb);
			num(pr, "bank_lsb", m->u.program.bank_lsb);
		}
		break;
	case MIDI_MSG_CHANNEL_PRESSURE:
	case MIDI_MSG_PITCH_BEND:
		num(pr, "value", m->u.value);
		break;
	case MIDI_MSG_PN_REGISTERED:
	case MIDI_MSG_PN_ASSIGNABLE:
		num(pr, "note", m->u.ctrl.note);
		num(pr, "index", m->u.ctrl.index);
		num(pr, "value", m->u.ctrl.value);
		break;
	case MIDI_MSG_REGISTERED:
	case MIDI_MSG_ASSIGNABLE:
	case MIDI_MSG_REL_REGISTERED:
	case MIDI_MSG_REL_ASSIGNABLE:
		num(pr, "bank", m->u.ctrl.bank);
		num(pr, "index", m->u.ctrl.index);
		num(pr, "parameter", m->u.ctrl.bank * 128 + m->u.ctrl.index);
		if (m->kind == MIDI_MSG_REL_REGISTERED || m->kind == MIDI_MSG_REL_ASSIGNABLE)
			num(pr, "value", (int32_t)m->u.ctrl.value);
		else
			num(pr, "value", m->u.ctrl.value);
		break;
	case MIDI_MSG_PN_MANAGEMENT:
		num(pr, "note", m->u.pn_mgmt.note);
		boolean(pr, "detach", m->u.pn_mgmt.detach);
		boolean(pr, "reset", m->u.pn_mgmt.reset);
		break;
	default:
		break;
	}
}

static void flex_fields(midi_printer *pr, const midi_msg *m)
{
	const typeof(m->u.flex) *f = &m->u.flex;
	name(pr, "form", form_name(f->form));
	num(pr, "address", f->address);
	num(pr, "status_bank", f->bank);
	num(pr, "status", f->status);
	switch (m->kind) {
	case MIDI_MSG_FLEX_TEMPO:
		num(pr, "tempo_10ns", f->tempo);
		break;
	case MIDI_MSG_FLEX_TIME_SIGNATURE:
		num(pr, "numerator", f->numerator);
		num(pr, "denominator_power", f->denominator);
		num(pr, "thirty_seconds_per_beat", f->n32);
		break;
	case MIDI_MSG_FLEX_METRONOME:
		num(pr, "clocks_per_click", f->clicks);
		bytes(pr, "bar_accents", f->accent, 3);
		bytes(pr, "subdivision_clicks", f->subdiv, 2);
		break;
	case MIDI_MSG_FLEX_KEY_SIGNATURE:
		num(pr, "sharps_flats", f->sharps_flats);
		num(pr, "tonic", f->tonic);
		break;
	case MIDI_MSG_FLEX_CHORD_NAME:
		num(pr, "sharps_flats", f->sharps_flats);
		num(pr, "tonic", f->tonic);
		num(pr, "chord_type", f->chord_type);
		bytes(pr, "alterations", f->alter, 4);
		num(pr, "bass_sharps_flats", f->bass_sharps_flats);
		num(pr, "bass_note", f->bass_note);
		num(pr, "bass_chord_type", f->bass_type);
		bytes(pr, "bass_alterations", f->bass_alter, 2);
		break;
	case MIDI_MSG_FLEX_TEXT:
		str(pr, "text", f->text, f->text_len);
		break;
	default:
		break;
	}
}

static void stream_fields(midi_printer *pr, const midi_msg *m)
{
	const typeof(m->u.stream) *s = &m->u.stream;
	num(pr, "status", s->status);
	switch (m->kind) {
	case MIDI_MSG_EP_DISCOVERY:
		num(pr, "ump_version_major", s->ver_major);
		num(pr, "ump_version_minor", s->ver_minor);
		num(pr, "filter", s->filter);
		break;
	case MIDI_MSG_EP_INFO:
		num(pr, "ump_version_major", s->ver_major);
		num(pr, "ump_version_minor", s->ver_minor);
		num(pr, "function_blocks", s->num_fbs);
		boolean(pr, "static_function_blocks", s->static_fbs);
		boolean(pr, "midi1", s->midi1);
		boolean(pr, "midi2", s->midi2);
		boolean(pr, "rx_jr", s->rxjr);
		boolean(pr, "tx_jr", s->txjr);
		break;
	case MIDI_MSG_DEVICE_IDENTITY:
		bytes(pr, "manufacturer", s->manufacturer, 3);
		num(pr, "family", s->family);
		num(pr, "model", s->model);
		bytes(pr, "version", s->version, 4);
		break;
	case MIDI_MSG_FB_NAME:
		num(pr, "function_block", s->fb);
		/* fall through */
	case MIDI_MSG_EP_NAME:
	case MIDI_MSG_PRODUCT_INSTANCE_ID:
		name(pr, "form", form_name(s->form));
		str(pr, "name", s->text, s->len);
		break;
	case MIDI_MSG_STREAM_CONFIG_REQUEST:
	case MIDI_MSG_STREAM_CONFIG_NOTIFY:
		num(pr, "protocol", s->protocol);
		boolean(pr, "rx_jr", s->rxjr);
		boolean(pr, "tx_jr", s->txjr);
		break;
	case MIDI_MSG_FB_DISCOVERY:
		num(pr, "function_block", s->fb);
		num(pr, "filter", s->filter);
		break;
	case MIDI_MSG_FB_INFO:
		num(pr, "function_block", s->fb);
		boolean(pr, "active", s->fb_active);
		num(pr, "direction", s->fb_direction);
		num(pr, "midi1", s->fb_midi1);
		num(pr, "ui_hint", s->fb_ui_hint);
		num(pr, "first_group", s->fb_first_group + 1);
		num(pr, "groups", s->fb_groups);
		num(pr, "midi_ci_version", s->fb_ci_version);
		num(pr, "sysex8_streams", s->fb_sysex8_streams);
		break;
	default:
		break;
	}
}

int print_json(midi_printer *pr, const midi_packet *p, FILE *out)
{
	midi_msg m;
	char d[512];
	uint64_t t = p->time_ns;
	if (!(pr->flags & MIDI_PRINT_ABSTIME))
		t = t > pr->base_ns ? t - pr->base_ns : 0;
	midi_msg_decode(&p->ump, &m);
	pr_reset(pr);
	char *o = room(pr, 8 + 20);
	if (o)
		done(pr, cur_u(CUR_LIT(o, "{\"time\":"), t));
	if (midi_ump_has_group(&p->ump))
		num(pr, "group", m.group + 1);
	if (m.protocol || (m.mt == MIDI_MT_FLEX && m.u.flex.address == 0))
		num(pr, "channel", m.channel + 1);
	name(pr, "type", midi_msg_kind_name(m.kind));
	if (m.protocol)
		name(pr, "protocol", m.protocol == 2 ? "midi2" : "midi1");
	switch (m.kind) {
	case MIDI_MSG_JR_CLOCK: case MIDI_MSG_JR_TIMESTAMP: case MIDI_MSG_DCTPQ:
	case MIDI_MSG_DELTA_CLOCKSTAMP: case MIDI_MSG_MTC_QUARTER: case MIDI_MSG_SONG_POSITION:
	case MIDI_MSG_SONG_SELECT:
		num(pr, "value", m.u.value);
		break;
	case MIDI_MSG_SYSEX7:
		name(pr, "form", form_name(m.u.sysex7.form));
		bytes(pr, "data", m.u.sysex7.data, m.u.sysex7.len);
		break;
	case MIDI_MSG_SYSEX8:
		name(pr, "form", form_name(m.u.sysex8.form));
		num(pr, "stream", m.u.sysex8.stream_id);
		bytes(pr, "data", m.u.sysex8.data, m.u.sysex8.len);
		break;
	case MIDI_MSG_MDS_HEADER:
		num(pr, "mds_id", m.u.mds_header.mds_id);
		num(pr, "bytes", m.u.mds_header.bytes);
		num(pr, "chunks", m.u.mds_header.chunks);
		num(pr, "chunk", m.u.mds_header.chunk);
		num(pr, "manufacturer", m.u.mds_header.manufacturer);
		num(pr, "device", m.u.mds_header.device);
		num(pr, "sub_id1", m.u.mds_header.sub_id1);
		num(pr, "sub_id2", m.u.mds_header.sub_id2);
		break;
	case MIDI_MSG_MDS_PAYLOAD:
		num(pr, "mds_id", m.u.mds_payload.mds_id);
		bytes(pr, "data", m.u.mds_payload.data, 14);
		break;
	default:
		if (m.protocol)
			cv_fields(pr, &m);
		else if (m.mt == MIDI_MT_FLEX)
			flex_fields(pr, &m);
		else if (m.mt == MIDI_MT_STREAM)
			stream_fields(pr, &m);
		break;
	}
	unsigned n = midi_ump_words(&p->ump);
	o = room(pr, 10 + 11 * n);
	if (!o)
		return pr_flush_line(pr, out); /* out of memory: reported */
	o = CUR_LIT(o, ",\"words\":[");
	for (unsigned i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		*o++ = '"';
		o = cur_hex32(o, p->ump.w[i]);
		*o++ = '"';
	}
	*o++ = ']';
	done(pr, o);
	/* the text line: built after its key, in the same buffer; escaped
	 * (through d) when it is not plain, left out when it is that long */
	size_t mark = pr->len;
	pr_addn(pr, ",\"text\":\"", 9);
	size_t at = pr->len;
	text_msg_line(pr, &p->ump, &m, msg_canonical(&p->ump, &m));
	if (pr->oom)
		return pr_flush_line(pr, out);
	size_t tlen = pr->len - at;
	if (tlen < sizeof d && plain(pr->buf + at, tlen)) {
		pr_addn(pr, "\"", 1);
	} else {
		if (tlen < sizeof d)
			memcpy(d, pr->buf + at, tlen);
		done(pr, pr->buf + mark);
		if (tlen < sizeof d)
			str(pr, "text", d, tlen);
	}
	/* the description: written in place, as into d, escaped likewise */
	o = room(pr, 17 + sizeof d + 2);
	if (!o)
		return pr_flush_line(pr, out);
	mark = pr->len;
	o = CUR_LIT(o, ",\"description\":\"");
	int want = msg_describe(&p->ump, &m, o, sizeof d);
	size_t dlen = want < 0 ? 0 : (size_t)want < sizeof d ? (size_t)want : sizeof d - 1;
	if (plain(o, dlen)) {
		o += dlen;
		done(pr, CUR_LIT(o, "\"}"));
	} else {
		memcpy(d, o, dlen + 1);
		done(pr, pr->buf + mark);
		str(pr, "description", d, dlen);
		pr_addn(pr, "}", 1);
	}
	return pr_flush_line(pr, out);
}
