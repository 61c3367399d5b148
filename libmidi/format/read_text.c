/* read_text.c: the "text" input format (grammar in man/midi-formats.7):
 * SendMIDI-like verbs with sticky group/channel, m1/m2 protocol prefixes,
 * note names, timing tokens, syx/syx8/ump, panic. Tokens are pushed one at a time
 * into a small state machine holding at most one message being read, so
 * messages may continue across lines and input may be split anywhere. */
#include "format_priv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "midi/msg.h"
#include "midi/notes.h"

enum verb {
	V_NONE, V_GRP, V_CH, V_M1, V_M2,
	/* channel voice (V_ON .. V_PNM) */
	V_ON, V_OFF, V_PP, V_CC, V_PC, V_CP, V_PB, V_RPN, V_NRPN,
	V_RRPN, V_RNRPN, V_PNRC, V_PNAC, V_PNPB, V_PNM,
	/* system */
	V_CLOCK, V_START, V_STOP, V_CONTINUE, V_SENSE, V_RESET, V_TUNE, V_MTC, V_SPP, V_SONGSEL,
	V_PANIC,
	/* data */
	V_SYX, V_SYX8, V_UMP,
};

/* Whether s (n bytes) is name (lowercase), in any case. */
static int ieq(const char *s, size_t n, const char *name, size_t len)
{
	if (n != len)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]) != name[i])
			return 0;
	return 1;
}

#define VERB(name, v) {name, sizeof name - 1, v}
static const struct {
	const char *name;
	uint8_t len;
	uint8_t verb;
} verbs[] = {
	VERB("grp", V_GRP), VERB("group", V_GRP), VERB("ch", V_CH), VERB("channel", V_CH),
	VERB("m1", V_M1), VERB("m2", V_M2),
	VERB("on", V_ON), VERB("off", V_OFF), VERB("pp", V_PP), VERB("cc", V_CC), VERB("pc", V_PC),
	VERB("cp", V_CP), VERB("pb", V_PB), VERB("rpn", V_RPN), VERB("nrpn", V_NRPN),
	VERB("rrpn", V_RRPN), VERB("rnrpn", V_RNRPN), VERB("pnrc", V_PNRC), VERB("pnac", V_PNAC),
	VERB("pnpb", V_PNPB), VERB("pnm", V_PNM),
	VERB("clock", V_CLOCK), VERB("start", V_START), VERB("stop", V_STOP), VERB("continue", V_CONTINUE),
	VERB("sense", V_SENSE), VERB("reset", V_RESET), VERB("tune", V_TUNE), VERB("mtc", V_MTC),
	VERB("spp", V_SPP), VERB("songsel", V_SONGSEL), VERB("panic", V_PANIC),
	VERB("syx", V_SYX), VERB("syx8", V_SYX8), VERB("ump", V_UMP),
};

#define IS_CV(v) ((v) >= V_ON && (v) <= V_PNM)
#define M2_ONLY(v) ((v) >= V_RRPN && (v) <= V_PNM)

enum slot_id { S_NOTE, S_VEL, S_VAL, S_NUM, S_PARAM, S_IDX, S_ATYPE, S_ADATA, S_BMSB, S_BLSB, S_MAX };

typedef struct slot {
	uint8_t id;
	uint8_t is_note;
	int64_t min, max;
	const char *label;
} slot;

struct text_state {
	unsigned group, channel;    /* sticky, wire values */
	int next_proto;             /* m1/m2 prefix waiting for its verb: 0, 1 or 2 */
	int pline, pcol;            /* where that prefix was */
	/* the message being read */
	int verb;
	const char *vname;
	int proto;
	int vline, vcol;
	slot q[4];
	int qh;                     /* the next one is q[qh] */
	int nq;                     /* required arguments still to come */
	int64_t val[S_MAX];
	unsigned have;              /* bit per slot id filled */
	int attr, bank, detach, reset;
	uint8_t *bytes;             /* syx / syx8 payload */
	size_t nbytes, cap;
	int stream_set;
	midi_ump ump;
	unsigned uhave, uneed;
};

int text_init(midi_reader *r)
{
	r->text = calloc(1, sizeof *r->text);
	if (!r->text)
		return -1;
	r->text->group = r->group;
	return 0;
}

void text_free(midi_reader *r)
{
	if (r->text)
		free(r->text->bytes);
	free(r->text);
	r->text = NULL;
}

/* A number: optional '-', decimal digits or 0x hex digits. */
static int parse_num(const char *s, size_t n, int64_t *out)
{
	int neg = 0;
	int64_t v = 0;
	size_t i = 0;
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i >= n)
		return -1;
	if (n - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		i += 2;
		for (; i < n; i++) {
			int d = hexval((unsigned char)s[i]);
			if (d < 0 || v > (1LL << 40))
				return -1;
			v = v * 16 + d;
		}
	} else {
		for (; i < n; i++) {
			if (s[i] < '0' || s[i] > '9' || v > (1LL << 40))
				return -1;
			v = v * 10 + (s[i] - '0');
		}
	}
	*out = neg ? -v : v;
	return 0;
}

static int looks_numeric(const char *s, size_t n)
{
	int64_t v;
	return parse_num(s, n, &v) == 0;
}

static void push(struct text_state *st, int id, int64_t min, int64_t max, const char *label)
{
	slot *q = &st->q[st->qh + st->nq++];
	q->id = (uint8_t)id;
	q->is_note = id == S_NOTE;
	q->min = min;
	q->max = max;
	q->label = label;
}

#define U32MAX 4294967295LL

/* Set up the arguments of a verb. */
static void begin(struct text_state *st, int verb, const char *name, int proto, int line, int col)
{
	int m2 = proto == 2;
	st->verb = verb;
	st->vname = name;
	st->proto = proto;
	st->vline = line;
	st->vcol = col;
	st->qh = 0;
	st->nq = 0;
	st->have = 0;
	st->attr = st->bank = st->detach = st->reset = 0;
	st->nbytes = 0;
	st->stream_set = 0;
	st->uhave = st->uneed = 0;
	memset(st->val, 0, sizeof st->val);
	switch (verb) {
	case V_GRP: push(st, S_NUM, 1, 16, "group"); break;
	case V_CH: push(st, S_NUM, 1, 16, "channel"); break;
	case V_ON:
		push(st, S_NOTE, 0, 127, "note");
		push(st, S_VEL, 0, m2 ? 65535 : 127, "velocity");
		break;
	case V_OFF: push(st, S_NOTE, 0, 127, "note"); break;
	case V_PP:
		push(st, S_NOTE, 0, 127, "note");
		push(st, S_VAL, 0, m2 ? U32MAX : 127, "pressure");
		break;
	case V_CC:
		push(st, S_NUM, 0, 127, "controller");
		push(st, S_VAL, 0, m2 ? U32MAX : 127, "value");
		break;
	case V_PC: push(st, S_NUM, 0, 127, "program"); break;
	case V_CP: push(st, S_VAL, 0, m2 ? U32MAX : 127, "pressure"); break;
	case V_PB: push(st, S_VAL, 0, m2 ? U32MAX : 16383, "pitch bend"); break;
	case V_RPN:
	case V_NRPN:
		push(st, S_PARAM, 0, 16383, "parameter");
		push(st, S_VAL, 0, m2 ? U32MAX : 16383, "value");
		break;
	case V_RRPN:
	case V_RNRPN:
		push(st, S_PARAM, 0, 16383, "parameter");
		push(st, S_VAL, -2147483648LL, 2147483647LL, "relative value");
		break;
	case V_PNRC:
	case V_PNAC:
		push(st, S_NOTE, 0, 127, "note");
		push(st, S_IDX, 0, 255, "index");
		push(st, S_VAL, 0, U32MAX, "value");
		break;
	case V_PNPB:
		push(st, S_NOTE, 0, 127, "note");
		push(st, S_VAL, 0, U32MAX, "pitch bend");
		break;
	case V_PNM: push(st, S_NOTE, 0, 127, "note"); break;
	case V_MTC: push(st, S_VAL, 0, 127, "quarter frame data"); break;
	case V_SPP: push(st, S_VAL, 0, 16383, "song position"); break;
	case V_SONGSEL: push(st, S_VAL, 0, 127, "song"); break;
	case V_SYX8: push(st, S_NUM, 0, 255, "stream id"); break;
	default: break;
	}
}

/* Verbs that may take more tokens once their required ones are in. */
static int has_tail(const struct text_state *st)
{
	switch (st->verb) {
	case V_OFF: case V_PNM: case V_SYX: case V_SYX8: case V_UMP:
		return 1;
	case V_ON: case V_PC:
		return st->proto == 2;
	default:
		return 0;
	}
}

static int put_byte(struct text_state *st, uint8_t b)
{
	if (st->nbytes == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		uint8_t *p = realloc(st->bytes, cap);
		if (!p)
			return -1;
		st->bytes = p;
		st->cap = cap;
	}
	st->bytes[st->nbytes++] = b;
	return 0;
}

static int emit_m1_ctl4(midi_reader *r, emitter *em, struct text_state *st, int nrpn)
{
	unsigned g = st->group, c = st->channel;
	unsigned par = (unsigned)st->val[S_PARAM], v = (unsigned)st->val[S_VAL];
	midi_ump p[4] = {
		midi_ump_m1_cc(g, c, nrpn ? 99 : 101, par >> 7),
		midi_ump_m1_cc(g, c, nrpn ? 98 : 100, par & 0x7F),
		midi_ump_m1_cc(g, c, 6, v >> 7),
		midi_ump_m1_cc(g, c, 38, v & 0x7F),
	};
	for (int i = 0; i < 4; i++) {
		int rc = emit_packet(r, em, &p[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The message being read is complete: deliver it. */
static int finish(midi_reader *r, emitter *em)
{
	struct text_state *st = r->text;
	unsigned g = st->group, c = st->channel;
	int m2 = st->proto == 2, verb = st->verb;
	const int64_t *v = st->val;
	uint32_t val = (uint32_t)v[S_VAL];
	midi_ump p;
	struct emit_ctx ec = {r, em};
	st->verb = V_NONE;
	switch (verb) {
	case V_GRP: st->group = (unsigned)v[S_NUM] - 1; return 0;
	case V_CH: st->channel = (unsigned)v[S_NUM] - 1; return 0;
	case V_ON:
		p = m2 ? midi_ump_m2_note_on(g, c, (unsigned)v[S_NOTE], (unsigned)v[S_VEL],
					     (unsigned)v[S_ATYPE], (unsigned)v[S_ADATA])
		       : midi_ump_m1_note_on(g, c, (unsigned)v[S_NOTE], (unsigned)v[S_VEL]);
		break;
	case V_OFF:
		p = m2 ? midi_ump_m2_note_off(g, c, (unsigned)v[S_NOTE], (unsigned)v[S_VEL],
					      (unsigned)v[S_ATYPE], (unsigned)v[S_ADATA])
		       : midi_ump_m1_note_off(g, c, (unsigned)v[S_NOTE], (unsigned)v[S_VEL]);
		break;
	case V_PP:
		p = m2 ? midi_ump_m2_poly_pressure(g, c, (unsigned)v[S_NOTE], val)
		       : midi_ump_m1_poly_pressure(g, c, (unsigned)v[S_NOTE], val);
		break;
	case V_CC:
		p = m2 ? midi_ump_m2_cc(g, c, (unsigned)v[S_NUM], val)
		       : midi_ump_m1_cc(g, c, (unsigned)v[S_NUM], val);
		break;
	case V_PC:
		p = m2 ? midi_ump_m2_program(g, c, (unsigned)v[S_NUM], st->bank, (unsigned)v[S_BMSB],
					     (unsigned)v[S_BLSB])
		       : midi_ump_m1_program(g, c, (unsigned)v[S_NUM]);
		break;
	case V_CP:
		p = m2 ? midi_ump_m2_channel_pressure(g, c, val) : midi_ump_m1_channel_pressure(g, c, val);
		break;
	case V_PB:
		p = m2 ? midi_ump_m2_pitch_bend(g, c, val) : midi_ump_m1_pitch_bend(g, c, val);
		break;
	case V_RPN:
	case V_NRPN:
	case V_RRPN:
	case V_RNRPN: {
		unsigned op = verb == V_RPN ? 2 : verb == V_NRPN ? 3 : verb == V_RRPN ? 4 : 5;
		unsigned par = (unsigned)v[S_PARAM];
		if (!m2)
			return emit_m1_ctl4(r, em, st, verb == V_NRPN);
		p = midi_ump_m2_controller(g, c, op, par >> 7, par & 0x7F, val);
		break;
	}
	case V_PNRC:
	case V_PNAC:
		p = midi_ump_m2_controller(g, c, verb == V_PNRC ? 0 : 1, (unsigned)v[S_NOTE],
					   (unsigned)v[S_IDX], val);
		break;
	case V_PNPB: p = midi_ump_m2_pn_pitch_bend(g, c, (unsigned)v[S_NOTE], val); break;
	case V_PNM: p = midi_ump_m2_pn_management(g, c, (unsigned)v[S_NOTE], st->detach, st->reset); break;
	case V_CLOCK: p = midi_ump_system(g, 0xF8, 0, 0); break;
	case V_START: p = midi_ump_system(g, 0xFA, 0, 0); break;
	case V_STOP: p = midi_ump_system(g, 0xFC, 0, 0); break;
	case V_CONTINUE: p = midi_ump_system(g, 0xFB, 0, 0); break;
	case V_SENSE: p = midi_ump_system(g, 0xFE, 0, 0); break;
	case V_RESET: p = midi_ump_system(g, 0xFF, 0, 0); break;
	case V_TUNE: p = midi_ump_system(g, 0xF6, 0, 0); break;
	case V_MTC: p = midi_ump_system(g, 0xF1, val, 0); break;
	case V_SPP: p = midi_ump_song_position(g, val); break;
	case V_SONGSEL: p = midi_ump_system(g, 0xF3, val, 0); break;
	case V_PANIC: return midi_panic(g, emit_ump_cb, &ec);
	case V_SYX: return midi_sysex7_chunk(g, st->bytes, st->nbytes, emit_ump_cb, &ec);
	case V_SYX8:
		return midi_sysex8_chunk(g, (unsigned)v[S_NUM], st->bytes, st->nbytes, emit_ump_cb, &ec);
	case V_UMP: p = st->ump; break;
	default: return 0;
	}
	return emit_packet(r, em, &p);
}

#define TOKFMT "\"%s\""
#define TOKARG(s, n) QUOTED(s, n)

/* The next required argument. */
static int fill(midi_reader *r, const char *s, size_t n, int line, int col, midi_error *e)
{
	struct text_state *st = r->text;
	const slot *q = &st->q[st->qh];
	int64_t v;
	if (parse_num(s, n, &v) < 0) {
		unsigned note;
		if (!q->is_note || midi_note_parse(s, n, &note) < 0) {
			if (q->is_note && (s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'g')
				return midi_error_at(e, MIDI_ERR_INPUT, line, col,
						     "bad note " TOKFMT " (names run from C-2 to G8: C3, F#4, Bb-1)",
						     TOKARG(s, n));
			if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-')
				return midi_error_at(e, MIDI_ERR_INPUT, line, col,
						     "bad number " TOKFMT " for %s %lld-%lld", TOKARG(s, n),
						     q->label, (long long)q->min, (long long)q->max);
			return midi_error_at(e, MIDI_ERR_INPUT, line, col,
					     "expected %s %lld-%lld after \"%s\", got " TOKFMT, q->label,
					     (long long)q->min, (long long)q->max, st->vname, TOKARG(s, n));
		}
		v = note;
	}
	if (v < q->min || v > q->max)
		return midi_error_at(e, MIDI_ERR_INPUT, line, col, "%s %lld out of range %lld-%lld",
				     q->label, (long long)v, (long long)q->min, (long long)q->max);
	st->val[q->id] = v;
	st->have |= 1u << q->id;
	st->qh++;
	st->nq--;
	return 0;
}

/* Hex byte pairs for syx/syx8. */
static int data_bytes(struct text_state *st, const char *s, size_t n, int line, int col,
		      unsigned max, midi_error *e)
{
	size_t k = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		k = 2;
	for (size_t j = k; j < n; j++)
		if (hexval((unsigned char)s[j]) < 0)
			return midi_error_at(e, MIDI_ERR_INPUT, line, col,
					     "bad SysEx byte " TOKFMT " (expected hex pairs 00-%02X)",
					     TOKARG(s, n), max);
	if ((n - k) % 2)
		return midi_error_at(e, MIDI_ERR_INPUT, line, col, "odd number of hex digits in " TOKFMT,
				     TOKARG(s, n));
	for (size_t j = k; j < n; j += 2) {
		unsigned b = (unsigned)(hexval((unsigned char)s[j]) << 4 | hexval((unsigned char)s[j + 1]));
		if (b > max)
			return midi_error_at(e, MIDI_ERR_INPUT, line, col + (int)j,
					     "SysEx byte %02X out of range 00-%02X%s", b, max,
					     max == 0x7F ? " (leave out F0 and F7)" : "");
		if (put_byte(st, (uint8_t)b) < 0)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	}
	return 0;
}

/* SysEx data ends at a time token or a verb, which then starts the next
 * message; anything else is data (and an error if not hex pairs). "cc" is
 * a verb after syx (CC is no 7-bit data byte) but the byte CC after syx8. */
static int sysex_data_token(int verb, const char *s, size_t n)
{
	if (s[0] == '+' || s[0] == '@')
		return 0;
	if (verb == V_SYX8 && n == 2 && (s[0] | 0x20) == 'c' && (s[1] | 0x20) == 'c')
		return 1;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (n == verbs[i].len && (s[0] | 0x20) == verbs[i].name[0] &&
		    ieq(s, n, verbs[i].name, verbs[i].len))
			return 0;
	return 1;
}

/* Optional tails: returns 1 when the token was taken, 0 when not, <0 on error. */
static int extend(midi_reader *r, const char *s, size_t n, int line, int col, midi_error *e)
{
	struct text_state *st = r->text;
	int m2 = st->proto == 2;
	switch (st->verb) {
	case V_SYX:
	case V_SYX8:
		if (!sysex_data_token(st->verb, s, n))
			return 0;
		return data_bytes(st, s, n, line, col, st->verb == V_SYX ? 0x7F : 0xFF, e) < 0
			       ? -MIDI_ERR_INPUT : 1;
	case V_OFF:
		if (!(st->have & 1u << S_VEL) && !st->attr && looks_numeric(s, n)) {
			push(st, S_VEL, 0, m2 ? 65535 : 127, "velocity");
			int rc = fill(r, s, n, line, col, e);
			return rc < 0 ? rc : 1;
		}
		/* fall through */
	case V_ON:
		if (m2 && !st->attr && n == 4 && strncasecmp(s, "attr", 4) == 0) {
			st->attr = 1;
			push(st, S_ATYPE, 0, 255, "attribute type");
			push(st, S_ADATA, 0, 65535, "attribute data");
			return 1;
		}
		return 0;
	case V_PC:
		if (m2 && !st->bank && n == 4 && strncasecmp(s, "bank", 4) == 0) {
			st->bank = 1;
			push(st, S_BMSB, 0, 127, "bank MSB");
			push(st, S_BLSB, 0, 127, "bank LSB");
			return 1;
		}
		return 0;
	case V_PNM:
		if (!st->detach && n == 6 && strncasecmp(s, "detach", 6) == 0) {
			st->detach = 1;
			return 1;
		}
		if (!st->reset && n == 5 && strncasecmp(s, "reset", 5) == 0) {
			st->reset = 1;
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

static int ump_word(midi_reader *r, const char *s, size_t n, int line, int col, emitter *em,
		    midi_error *e)
{
	struct text_state *st = r->text;
	uint32_t w;
	if (parse_word(s, n, &w) < 0) {
		if (st->uhave)
			return midi_error_at(e, MIDI_ERR_INPUT, line, col,
					     "packet of MT %X needs %u words, got %u before " TOKFMT,
					     (unsigned)(st->ump.w[0] >> 28), st->uneed, st->uhave,
					     TOKARG(s, n));
		return midi_error_at(e, MIDI_ERR_INPUT, line, col,
				     "bad word " TOKFMT " (expected 1 to 8 hex digits)", TOKARG(s, n));
	}
	if (!st->uhave) {
		memset(&st->ump, 0, sizeof st->ump);
		st->uneed = midi_mt_words(w >> 28);
	}
	st->ump.w[st->uhave++] = w;
	if (st->uhave == st->uneed)
		return finish(r, em);
	return 0;
}

static int token(midi_reader *r, const char *s, size_t n, int line, int col, emitter *em,
		 midi_error *e)
{
	struct text_state *st = r->text;
	int rc;
	if (st->verb == V_UMP)
		return ump_word(r, s, n, line, col, em, e);
	if (st->verb && st->nq > 0) {
		rc = fill(r, s, n, line, col, e);
		if (rc)
			return rc;
		if (st->nq == 0 && !has_tail(st))
			return finish(r, em);
		return 0;
	}
	if (st->verb) {
		rc = extend(r, s, n, line, col, e);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return 0;
		rc = finish(r, em);
		if (rc)
			return rc;
	}
	if (s[0] == '+' || s[0] == '@') {
		if (st->next_proto)
			return midi_error_at(e, MIDI_ERR_INPUT, line, col,
					     "m%d must be followed by a channel voice message, got " TOKFMT,
					     st->next_proto, TOKARG(s, n));
		return apply_time_token(r, s, n, line, col, e);
	}
	const char *name = NULL;
	int verb = V_NONE;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		if (n == verbs[i].len && (s[0] | 0x20) == verbs[i].name[0] &&
		    ieq(s, n, verbs[i].name, verbs[i].len)) {
			verb = verbs[i].verb;
			name = verbs[i].name;
			break;
		}
	}
	if (verb == V_NONE) {
		if ((n == 4 && strncasecmp(s, "attr", 4) == 0) || (n == 4 && strncasecmp(s, "bank", 4) == 0))
			return midi_error_at(e, MIDI_ERR_INPUT, line, col,
					     "\"%s\" belongs to a MIDI 2.0 (m2) %s", QUOTED(s, n),
					     s[0] == 'a' || s[0] == 'A' ? "note on/off" : "program change");
		return midi_error_at(e, MIDI_ERR_INPUT, line, col, "unknown verb " TOKFMT, TOKARG(s, n));
	}
	if (st->next_proto && !IS_CV(verb))
		return midi_error_at(e, MIDI_ERR_INPUT, line, col,
				     "m%d must be followed by a channel voice message, got " TOKFMT,
				     st->next_proto, TOKARG(s, n));
	if (verb == V_M1 || verb == V_M2) {
		st->next_proto = verb == V_M1 ? 1 : 2;
		st->pline = line;
		st->pcol = col;
		return 0;
	}
	int proto = st->next_proto ? st->next_proto : M2_ONLY(verb) ? 2 : 1;
	if (proto == 1 && M2_ONLY(verb))
		return midi_error_at(e, MIDI_ERR_INPUT, line, col,
				     "\"%s\" is a MIDI 2.0 message (no m1 form)", name);
	st->next_proto = 0;
	begin(st, verb, name, proto, line, col);
	if (st->nq == 0 && !has_tail(st))
		return finish(r, em);
	return 0;
}

/* What separates tokens: blank, tab, CR, VT, FF. */
static const unsigned char blank[256] = {['\t'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1};

int text_line(midi_reader *r, const char *s, size_t n, int lineno, emitter *em, midi_error *e)
{
	struct text_state *st = r->text;
	size_t i = 0;
	if (st->verb == V_NONE && !st->next_proto && n && s[0] == 'g') {
		/* the usual line, one channel voice message: read_text_fast.c */
		unsigned g, c;
		midi_ump p;
		if (text_fast_line(s, n, &g, &c, &p)) {
			st->group = g;
			st->channel = c;
			return emit_packet(r, em, &p);
		}
	}
	for (;;) {
		while (i < n && blank[(unsigned char)s[i]])
			i++;
		if (i >= n || s[i] == '#')
			break;
		size_t t = i;
		while (i < n && !blank[(unsigned char)s[i]])
			i++;
		int rc = token(r, s + t, i - t, lineno, (int)t + 1, em, e);
		if (rc)
			return rc;
	}
	/* end of line: SysEx data ends; a message with all it needs is done */
	if (st->verb && st->verb != V_UMP && st->nq == 0)
		return finish(r, em);
	return 0;
}

int text_end(midi_reader *r, int lineno, int col, emitter *em, midi_error *e)
{
	struct text_state *st = r->text;
	if (st->verb == V_UMP && st->uhave == 0)
		return midi_error_at(e, MIDI_ERR_INPUT, st->vline, st->vcol,
				     "\"ump\" is missing its words at end of input");
	if (st->verb == V_UMP)
		return midi_error_at(e, MIDI_ERR_INPUT, st->vline, st->vcol,
				     "packet of MT %X needs %u words, got %u at end of input",
				     (unsigned)(st->ump.w[0] >> 28), st->uneed, st->uhave);
	if (st->verb && st->nq > 0)
		return midi_error_at(e, MIDI_ERR_INPUT, st->vline, st->vcol,
				     "\"%s\" is missing its %s at end of input", st->vname,
				     st->q[st->qh].label);
	if (st->next_proto)
		return midi_error_at(e, MIDI_ERR_INPUT, st->pline, st->pcol,
				     "m%d must be followed by a channel voice message, got end of input",
				     st->next_proto);
	if (st->verb)
		return finish(r, em);
	return 0;
}
