/* print_text.c: the "text" output format: one line per message, with the
 * full group/channel context, that the text reader turns back into the same
 * packets. SysEx is held per group until its End and printed as one
 * syx/syx8 line when re-chunking the payload gives the same packets;
 * anything else (and every non-canonical packet) prints as "ump WORDS"
 * with a description comment. */
#include "format_priv.h"

#include <string.h>

#include "midi/msg.h"
#include "ump/ump_priv.h"
#include "util/cursor.h"

#define SYX_TEXT_MAX 20000 /* payload bytes printed as one syx line (lines stay < 64 KiB) */

void text_ump_line(midi_printer *pr, const midi_ump *p)
{
	char d[256];
	unsigned n = midi_ump_words(p);
	pr_addn(pr, "ump", 3);
	for (unsigned i = 0; i < n; i++)
		pr_hex32(pr, ' ', p->w[i]);
	midi_ump_describe(p, d, sizeof d);
	pr_add(pr, "  # %s", d);
}

/* The longest channel voice line but the "attr" part. */
#define CV_LINE_MAX 64

static void cv_line(midi_printer *pr, const midi_msg *m, const midi_ump *p)
{
	char nn[8];
	int m2 = m->protocol == 2;
	if (m->kind == MIDI_MSG_PROGRAM_CHANGE && m2 && !m->u.program.bank_valid &&
	    (m->u.program.bank_msb || m->u.program.bank_lsb)) {
		text_ump_line(pr, p); /* a bank without its valid flag has no text form */
		return;
	}
	if (pr_reserve(pr, CV_LINE_MAX) < 0)
		return;
	char *o = pr->buf + pr->len;
	/* "grp G ch C [m2 ]" */
	o = CUR_LIT(o, "grp ");
	o = cur_u(o, m->group + 1u);
	o = CUR_LIT(o, " ch ");
	o = cur_u(o, m->channel + 1u);
	o = m2 ? CUR_LIT(o, " m2 ") : CUR_LIT(o, " ");
	switch (m->kind) {
	case MIDI_MSG_NOTE_ON:
	case MIDI_MSG_NOTE_OFF:
		if (m->kind == MIDI_MSG_NOTE_ON)
			o = CUR_LIT(o, "on ");
		else
			o = CUR_LIT(o, "off ");
		o = cur_note(o, m->u.note.note);
		*o++ = ' ';
		o = cur_u(o, m->u.note.velocity);
		break;
	case MIDI_MSG_CONTROL_CHANGE:
		o = CUR_LIT(o, "cc ");
		o = cur_u(o, m->u.ctrl.index);
		*o++ = ' ';
		o = cur_u(o, (unsigned)m->u.ctrl.value);
		break;
	case MIDI_MSG_PROGRAM_CHANGE:
		o = CUR_LIT(o, "pc ");
		o = cur_u(o, m->u.program.program);
		break;
	case MIDI_MSG_CHANNEL_PRESSURE:
		o = CUR_LIT(o, "cp ");
		o = cur_u(o, (unsigned)m->u.value);
		break;
	case MIDI_MSG_PITCH_BEND:
		o = CUR_LIT(o, "pb ");
		o = cur_u(o, (unsigned)m->u.value);
		break;
	default:
		break;
	}
	*o = 0;
	pr->len = (size_t)(o - pr->buf);
	/* the rarer ones and the tails */
	switch (m->kind) {
	case MIDI_MSG_NOTE_ON:
	case MIDI_MSG_NOTE_OFF:
		if (m2 && (m->u.note.attr_type || m->u.note.attr_data))
			pr_add(pr, " attr %u %u", m->u.note.attr_type, m->u.note.attr_data);
		break;
	case MIDI_MSG_POLY_PRESSURE:
		pr_add(pr, "pp %s %u", midi_note_name(m->u.note_value.note, nn),
		       (unsigned)m->u.note_value.value);
		break;
	case MIDI_MSG_PROGRAM_CHANGE:
		if (m->u.program.bank_valid)
			pr_add(pr, " bank %u %u", m->u.program.bank_msb, m->u.program.bank_lsb);
		break;
	case MIDI_MSG_REGISTERED:
	case MIDI_MSG_ASSIGNABLE:
		pr_add(pr, "%s %u %u", m->kind == MIDI_MSG_REGISTERED ? "rpn" : "nrpn",
		       m->u.ctrl.bank * 128u + m->u.ctrl.index, (unsigned)m->u.ctrl.value);
		break;
	case MIDI_MSG_REL_REGISTERED:
	case MIDI_MSG_REL_ASSIGNABLE:
		pr_add(pr, "%s %u %d", m->kind == MIDI_MSG_REL_REGISTERED ? "rrpn" : "rnrpn",
		       m->u.ctrl.bank * 128u + m->u.ctrl.index, (int)(int32_t)m->u.ctrl.value);
		break;
	case MIDI_MSG_PN_REGISTERED:
	case MIDI_MSG_PN_ASSIGNABLE:
		pr_add(pr, "%s %s %u %u", m->kind == MIDI_MSG_PN_REGISTERED ? "pnrc" : "pnac",
		       midi_note_name(m->u.ctrl.note, nn), m->u.ctrl.index, (unsigned)m->u.ctrl.value);
		break;
	case MIDI_MSG_PN_PITCH_BEND:
		pr_add(pr, "pnpb %s %u", midi_note_name(m->u.note_value.note, nn),
		       (unsigned)m->u.note_value.value);
		break;
	case MIDI_MSG_PN_MANAGEMENT:
		pr_add(pr, "pnm %s%s%s", midi_note_name(m->u.pn_mgmt.note, nn),
		       m->u.pn_mgmt.detach ? " detach" : "", m->u.pn_mgmt.reset ? " reset" : "");
		break;
	default:
		break;
	}
}

static void data_line(midi_printer *pr, unsigned group, int kind, unsigned stream,
		      const uint8_t *b, size_t n)
{
	if (kind == 8)
		pr_add(pr, "grp %u syx8 %u", group + 1, stream);
	else
		pr_add(pr, "grp %u syx", group + 1);
	pr_hexbytes(pr, b, n, 1);
}

void text_packet_line(midi_printer *pr, const midi_ump *p)
{
	midi_msg m;
	int canonical = msg_decode_canonical(p, &m);
	text_msg_line(pr, p, &m, canonical);
}

void text_msg_line(midi_printer *pr, const midi_ump *p, const midi_msg *mp, int canonical)
{
	const midi_msg m = *mp;
	static const char *const sys[16] = {
		[0x6] = "tune", [0x8] = "clock", [0xA] = "start", [0xB] = "continue",
		[0xC] = "stop", [0xE] = "sense", [0xF] = "reset",
	};
	if (!canonical) {
		text_ump_line(pr, p);
		return;
	}
	switch (m.kind) {
	case MIDI_MSG_MTC_QUARTER:
		pr_add(pr, "grp %u mtc %u", m.group + 1, (unsigned)m.u.value);
		return;
	case MIDI_MSG_SONG_POSITION:
		pr_add(pr, "grp %u spp %u", m.group + 1, (unsigned)m.u.value);
		return;
	case MIDI_MSG_SONG_SELECT:
		pr_add(pr, "grp %u songsel %u", m.group + 1, (unsigned)m.u.value);
		return;
	case MIDI_MSG_TUNE_REQUEST: case MIDI_MSG_CLOCK: case MIDI_MSG_START: case MIDI_MSG_CONTINUE:
	case MIDI_MSG_STOP: case MIDI_MSG_ACTIVE_SENSING: case MIDI_MSG_RESET:
		pr_add(pr, "grp %u %s", m.group + 1, sys[m.status & 0xF]);
		return;
	case MIDI_MSG_SYSEX7:
		if (m.u.sysex7.form == MIDI_FORM_COMPLETE)
			data_line(pr, m.group, 7, 0, m.u.sysex7.data, m.u.sysex7.len);
		else
			text_ump_line(pr, p);
		return;
	case MIDI_MSG_SYSEX8:
		if (m.u.sysex8.form == MIDI_FORM_COMPLETE)
			data_line(pr, m.group, 8, m.u.sysex8.stream_id, m.u.sysex8.data, m.u.sysex8.len);
		else
			text_ump_line(pr, p);
		return;
	default:
		break;
	}
	if (m.protocol)
		cv_line(pr, &m, p);
	else
		text_ump_line(pr, p);
}

static int line_for(midi_printer *pr, const midi_packet *p, FILE *out, int raw)
{
	pr_reset(pr);
	pr_time(pr, p->time_ns);
	if (raw)
		text_ump_line(pr, &p->ump);
	else
		text_packet_line(pr, &p->ump);
	return pr_flush_line(pr, out);
}

/* Print what a hold has as one ump line per packet, and clear it. */
static int spill_hold(midi_printer *pr, sx_hold *h, FILE *out)
{
	int rc = 0;
	for (size_t i = 0; i < h->n && rc == 0; i++)
		rc = line_for(pr, &h->pk[i], out, 1);
	h->n = 0;
	h->len = 0;
	return rc;
}

struct rechunk {
	const sx_hold *h;
	size_t i;
	int same;
};

static int rechunk_cmp(void *ctx, const midi_ump *p)
{
	struct rechunk *c = ctx;
	if (c->i >= c->h->n || memcmp(c->h->pk[c->i].ump.w, p->w, sizeof p->w) != 0) {
		c->same = 0;
		return 1;
	}
	c->i++;
	return 0;
}

/* A SysEx on group g is complete in h: one data line if it reads back the same. */
static int finish_hold(midi_printer *pr, sx_hold *h, unsigned g, int kind, FILE *out)
{
	midi_msg m;
	struct rechunk c = {h, 0, 1};
	h->len = 0;
	for (size_t i = 0; i < h->n; i++) {
		midi_msg_decode(&h->pk[i].ump, &m);
		if (kind == 7 && sx_hold_add_bytes(h, m.u.sysex7.data, m.u.sysex7.len) < 0)
			return -MIDI_ERR_RUNTIME;
		if (kind == 8 && sx_hold_add_bytes(h, m.u.sysex8.data, m.u.sysex8.len) < 0)
			return -MIDI_ERR_RUNTIME;
	}
	if (kind == 7)
		midi_sysex7_chunk(g, h->data, h->len, rechunk_cmp, &c);
	else
		midi_sysex8_chunk(g, h->stream_id, h->data, h->len, rechunk_cmp, &c);
	if (!c.same || c.i != h->n)
		return spill_hold(pr, h, out);
	pr_reset(pr);
	pr_time(pr, h->time_ns);
	data_line(pr, g, kind, h->stream_id, h->data, h->len);
	h->n = 0;
	h->len = 0;
	return pr_flush_line(pr, out);
}

/* A packet that does not fit the SysEx being held on its group: what is
 * held goes out first (packet by packet, keeping their order), then this. */
static int raw_in_stream(midi_printer *pr, sx_hold *h, const midi_packet *p, FILE *out)
{
	int rc = spill_hold(pr, h, out);
	if (h->open)
		h->spill = 1;
	return rc ? rc : line_for(pr, p, out, 1);
}

static int sysex_packet(midi_printer *pr, const midi_packet *p, FILE *out)
{
	midi_msg m;
	int rc;
	midi_msg_decode(&p->ump, &m);
	int kind = m.kind == MIDI_MSG_SYSEX7 ? 7 : 8;
	unsigned g = m.group;
	sx_hold *h = kind == 7 ? &pr->sx7[g] : &pr->sx8[g];
	unsigned form = kind == 7 ? m.u.sysex7.form : m.u.sysex8.form;
	unsigned len = kind == 7 ? m.u.sysex7.len : m.u.sysex8.len;
	int cont = form == MIDI_FORM_CONTINUE || form == MIDI_FORM_END;
	if (!midi_msg_is_canonical(&p->ump) ||
	    (cont && (!h->open || (kind == 8 && m.u.sysex8.stream_id != h->stream_id))))
		return raw_in_stream(pr, h, p, out);
	if (!cont) {
		rc = spill_hold(pr, h, out); /* an unfinished one before it */
		h->open = 0;
		h->spill = 0;
		if (rc)
			return rc;
		if (form == MIDI_FORM_COMPLETE)
			return line_for(pr, p, out, 0);
		h->open = 1;
		h->stream_id = kind == 8 ? m.u.sysex8.stream_id : 0;
		h->len = 0;
	}
	if (h->spill) {
		rc = line_for(pr, p, out, 1);
	} else {
		if (sx_hold_add_packet(h, p) < 0)
			return -MIDI_ERR_RUNTIME;
		h->len += len; /* running payload size, recomputed at the end */
		rc = 0;
		if (h->len > SYX_TEXT_MAX) {
			h->spill = 1;
			rc = spill_hold(pr, h, out);
		}
	}
	if (rc == 0 && form == MIDI_FORM_END) {
		h->open = 0;
		if (h->spill) {
			h->spill = 0;
			return 0;
		}
		return finish_hold(pr, h, g, kind, out);
	}
	return rc;
}

int print_text(midi_printer *pr, const midi_packet *p, FILE *out)
{
	unsigned mt = midi_ump_mt(&p->ump);
	midi_msg m;
	if (mt == MIDI_MT_DATA64 || mt == MIDI_MT_DATA128) {
		midi_msg_decode(&p->ump, &m);
		if (m.kind == MIDI_MSG_SYSEX7 || m.kind == MIDI_MSG_SYSEX8)
			return sysex_packet(pr, p, out);
		unsigned g = midi_ump_group(&p->ump);
		return raw_in_stream(pr, mt == MIDI_MT_DATA64 ? &pr->sx7[g] : &pr->sx8[g], p, out);
	}
	return line_for(pr, p, out, 0);
}

int print_text_end(midi_printer *pr, FILE *out)
{
	int rc = 0;
	for (int g = 0; g < 16 && rc == 0; g++) {
		rc = spill_hold(pr, &pr->sx7[g], out);
		if (rc == 0)
			rc = spill_hold(pr, &pr->sx8[g], out);
		pr->sx7[g].open = pr->sx8[g].open = 0;
		pr->sx7[g].spill = pr->sx8[g].spill = 0;
	}
	return rc;
}
