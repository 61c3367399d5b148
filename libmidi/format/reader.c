/* reader.c: format names, and the midi_reader front end: splits input into
 * lines (64 KiB each at most) for the line formats, passes raw bytes to the
 * bin and smf readers, keeps the first error. Per-format parsing lives in
 * read_*.c. */
#include "format_priv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[] = {
	[MIDI_FMT_UMP] = "ump", [MIDI_FMT_HEX] = "hex", [MIDI_FMT_BIN] = "bin",
	[MIDI_FMT_TEXT] = "text", [MIDI_FMT_JSON] = "json", [MIDI_FMT_SMF] = "smf",
};

int midi_format_parse_name(const char *name, midi_format *out, midi_error *e)
{
	for (int f = MIDI_FMT_UMP; f <= MIDI_FMT_SMF; f++) {
		if (name && strcasecmp(name, names[f]) == 0) {
			*out = (midi_format)f;
			return 0;
		}
	}
	return midi_error_set(e, MIDI_ERR_INPUT,
			      "unknown format \"%s\" (expected ump, hex, bin, text, json or smf)",
			      name ? name : "");
}

const char *midi_format_name(midi_format f)
{
	return f >= MIDI_FMT_UMP && f <= MIDI_FMT_SMF ? names[f] : "unknown";
}

midi_reader *midi_reader_new(midi_format f, unsigned group, midi_error *e)
{
	if (f == MIDI_FMT_JSON || f < MIDI_FMT_UMP || f > MIDI_FMT_SMF) {
		midi_error_set(e, MIDI_ERR_INPUT, "format %s cannot be read", midi_format_name(f));
		return NULL;
	}
	if (group > 15) {
		midi_error_set(e, MIDI_ERR_INPUT, "group %u out of range 0-15", group);
		return NULL;
	}
	midi_reader *r = calloc(1, sizeof *r);
	if (!r) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	r->fmt = f;
	r->group = group;
	r->lineno = 1;
	midi_b2u_init(&r->b2u, group);
	if (f == MIDI_FMT_TEXT && text_init(r) < 0) {
		free(r);
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	return r;
}

void midi_reader_set_flags(midi_reader *r, unsigned flags)
{
	r->flags = flags;
}

void midi_reader_free(midi_reader *r)
{
	if (!r)
		return;
	if (r->fmt == MIDI_FMT_TEXT)
		text_free(r);
	free(r->line);
	free(r->buf);
	free(r);
}

int emit_ump_cb(void *ctx, const midi_ump *p)
{
	struct emit_ctx *c = ctx;
	return emit_packet(c->r, c->em, p);
}

/* Remember the error so later calls refuse with the same message. */
static int fail(midi_reader *r, int rc, midi_error *e)
{
	r->failed = 1;
	if (e)
		r->err = *e;
	else
		midi_error_set(&r->err, -rc, "input error");
	return rc;
}

static int refuse(midi_reader *r, midi_error *e)
{
	if (e)
		*e = r->err;
	return -(r->err.code ? r->err.code : MIDI_ERR_INPUT);
}

static int do_line(midi_reader *r, const char *s, size_t n, emitter *em, midi_error *e)
{
	if (n && s[n - 1] == '\r')
		n--;
	switch (r->fmt) {
	case MIDI_FMT_UMP: return ump_line(r, s, n, r->lineno, em, e);
	case MIDI_FMT_HEX: return hex_line(r, s, n, r->lineno, em, e);
	default: return text_line(r, s, n, r->lineno, em, e);
	}
}

static int grow_line(midi_reader *r, size_t need)
{
	if (need <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(r->line, cap);
	if (!p)
		return -1;
	r->line = p;
	r->cap = cap;
	return 0;
}

static int feed_lines(midi_reader *r, const char *b, size_t n, emitter *em, midi_error *e)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(b + i, '\n', n - i);
		size_t take = nl ? (size_t)(nl - (b + i)) : n - i;
		if (nl && r->len == 0 && take <= MIDI_LINE_MAX) {
			/* a whole line in the buffer: parsed where it is */
			int rc = do_line(r, b + i, take, em, e);
			i += take + 1;
			r->lineno++;
			if (rc)
				return rc;
			continue;
		}
		if (!r->overlong) {
			if (r->len + take > MIDI_LINE_MAX) {
				r->overlong = 1;
			} else {
				if (grow_line(r, r->len + take + 1) < 0)
					return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
				memcpy(r->line + r->len, b + i, take);
				r->len += take;
			}
		}
		if (r->overlong)
			return midi_error_at(e, MIDI_ERR_INPUT, r->lineno, MIDI_LINE_MAX + 1,
					     "line longer than %d bytes", MIDI_LINE_MAX);
		i += take;
		if (!nl)
			break;
		i++; /* the newline */
		int rc = do_line(r, r->line ? r->line : "", r->len, em, e);
		r->len = 0;
		r->lineno++;
		if (rc)
			return rc;
	}
	return 0;
}

int midi_reader_feed(midi_reader *r, const void *buf, size_t n, midi_packet_cb cb, void *ctx,
		     midi_error *e)
{
	emitter em = {cb, ctx, 0};
	int rc;
	if (r->failed)
		return refuse(r, e);
	switch (r->fmt) {
	case MIDI_FMT_BIN:
		rc = bin_feed(r, buf, n, &em, e);
		break;
	case MIDI_FMT_SMF:
		if (r->blen + n > MIDI_SMF_MAX) {
			rc = midi_error_set(e, MIDI_ERR_INPUT, "MIDI file larger than %u bytes",
					    MIDI_SMF_MAX);
			break;
		}
		if (r->blen + n > r->bcap) {
			size_t cap = r->bcap ? r->bcap : 4096;
			while (cap < r->blen + n)
				cap *= 2;
			uint8_t *p = realloc(r->buf, cap);
			if (!p) {
				rc = midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
				break;
			}
			r->buf = p;
			r->bcap = cap;
		}
		if (n)
			memcpy(r->buf + r->blen, buf, n);
		r->blen += n;
		rc = 0;
		break;
	default:
		rc = feed_lines(r, buf, n, &em, e);
		break;
	}
	if (rc < 0)
		return fail(r, rc, e);
	return rc ? rc : em.stop;
}

int midi_reader_end(midi_reader *r, midi_packet_cb cb, void *ctx, midi_error *e)
{
	emitter em = {cb, ctx, 0};
	int rc = 0;
	if (r->failed)
		return refuse(r, e);
	switch (r->fmt) {
	case MIDI_FMT_BIN:
		rc = bin_end(r, &em, e);
		break;
	case MIDI_FMT_SMF:
		rc = smf_end(r, &em, e);
		break;
	default:
		if (r->len) {
			rc = do_line(r, r->line, r->len, &em, e);
			if (rc == 0) {
				r->len = 0;
				r->lineno++;
			}
		}
		if (rc == 0 && r->fmt == MIDI_FMT_HEX)
			rc = hex_end(r, &em, e);
		if (rc == 0 && r->fmt == MIDI_FMT_TEXT)
			rc = text_end(r, r->lineno, 1, &em, e);
		break;
	}
	if (rc < 0)
		return fail(r, rc, e);
	r->failed = 1; /* ended: nothing more may come */
	midi_error_set(&r->err, MIDI_ERR_INPUT, "input already ended");
	return rc ? rc : em.stop;
}
