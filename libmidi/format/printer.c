/* printer.c: the midi_printer front end (dispatch per format), the line
 * buffer, timestamps and the per-group SysEx holding area used by the
 * text, hex and bin printers. The smf printer is print_smf.c. */
#include "format_priv.h"
#include "util/cursor.h"
#include "util/fastfmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

midi_printer *midi_printer_new(midi_format f, unsigned flags, uint64_t base_ns, midi_error *e)
{
	if (f == MIDI_FMT_SMF)
		return midi_printer_new_smf(NULL, flags, base_ns, e);
	if (f < MIDI_FMT_UMP || f > MIDI_FMT_JSON) {
		midi_error_set(e, MIDI_ERR_INPUT, "format %s cannot be printed", midi_format_name(f));
		return NULL;
	}
	midi_printer *pr = calloc(1, sizeof *pr);
	if (!pr) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	pr->fmt = f;
	pr->flags = flags;
	pr->base_ns = base_ns;
	midi_u2b_init(&pr->u2b);
	return pr;
}

void midi_printer_free(midi_printer *pr)
{
	if (!pr)
		return;
	for (int g = 0; g < 16; g++) {
		sx_hold_free(&pr->sx7[g]);
		sx_hold_free(&pr->sx8[g]);
	}
	free(pr->buf);
	midi_smf_writer_free(pr->smf);
	free(pr);
}

uint64_t midi_printer_dropped(const midi_printer *pr)
{
	if (pr->fmt == MIDI_FMT_SMF)
		return midi_smf_writer_dropped(pr->smf);
	return pr->fmt == MIDI_FMT_HEX || pr->fmt == MIDI_FMT_BIN ? midi_u2b_dropped(&pr->u2b) : 0;
}

int midi_printer_put(midi_printer *pr, const midi_packet *p, FILE *out)
{
	switch (pr->fmt) {
	case MIDI_FMT_UMP: return print_ump(pr, p, out);
	case MIDI_FMT_TEXT: return print_text(pr, p, out);
	case MIDI_FMT_HEX:
	case MIDI_FMT_BIN: return print_bytes(pr, p, out);
	case MIDI_FMT_SMF: return print_smf(pr, p);
	default: return print_json(pr, p, out);
	}
}

int midi_printer_end(midi_printer *pr, FILE *out)
{
	int rc = 0;
	if (pr->fmt == MIDI_FMT_TEXT)
		rc = print_text_end(pr, out);
	else if (pr->fmt == MIDI_FMT_HEX || pr->fmt == MIDI_FMT_BIN)
		rc = print_bytes_end(pr, out);
	else if (pr->fmt == MIDI_FMT_SMF)
		rc = print_smf_end(pr, out);
	if (rc == 0 && fflush(out) != 0)
		return -MIDI_ERR_RUNTIME;
	return rc;
}

int pr_batch_out(midi_printer *pr)
{
	size_t n = pr->base;
	int bad = n && fwrite_unlocked(pr->buf, 1, n, pr->batch) != n;
	pr->base = pr->len = 0;
	if (pr->buf)
		pr->buf[0] = 0;
	return bad ? -MIDI_ERR_RUNTIME : 0;
}

static int pr_grow(midi_printer *pr, size_t need)
{
	if (need <= pr->cap)
		return 0;
	size_t cap = pr->cap ? pr->cap : 256;
	while (cap < need)
		cap *= 2;
	char *b = realloc(pr->buf, cap);
	if (!b) {
		pr->oom = 1;
		return -1;
	}
	pr->buf = b;
	pr->cap = cap;
	return 0;
}

int pr_reserve(midi_printer *pr, size_t n)
{
	return pr_grow(pr, pr->len + n + 1);
}

void pr_addn_grow(midi_printer *pr, const char *s, size_t n)
{
	if (pr_grow(pr, pr->len + n + 1) < 0)
		return;
	memcpy(pr->buf + pr->len, s, n);
	pr->len += n;
	pr->buf[pr->len] = 0;
}

void pr_add(midi_printer *pr, const char *fmt, ...)
{
	char tmp[256];
	va_list ap, aq;
	va_start(ap, fmt);
	/* fastfmt straight into the line, vsnprintf when it declines */
	if (pr_grow(pr, pr->len + 256) == 0) {
		va_copy(aq, ap);
		int f = fastfmt(pr->buf + pr->len, pr->cap - pr->len, fmt, aq);
		va_end(aq);
		if (f >= 0) {
			pr->len += (size_t)f;
			va_end(ap);
			return;
		}
	}
	int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if ((size_t)k < sizeof tmp) {
		pr_addn(pr, tmp, (size_t)k);
		return;
	}
	if (pr_grow(pr, pr->len + (size_t)k + 1) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(pr->buf + pr->len, (size_t)k + 1, fmt, ap);
	va_end(ap);
	pr->len += (size_t)k;
}

void pr_hex32(midi_printer *pr, char sep, uint32_t w)
{
	if (pr_grow(pr, pr->len + 11) < 0)
		return;
	char *o = pr->buf + pr->len;
	if (sep)
		*o++ = sep;
	o = cur_hex32(o, w);
	*o = 0;
	pr->len = (size_t)(o - pr->buf);
}

void pr_hexbytes(midi_printer *pr, const uint8_t *b, size_t n, int lead)
{
	if (pr->len + n * 3 + 1 > pr->cap && pr_grow(pr, pr->len + n * 3 + 1) < 0)
		return;
	char *o = pr->buf + pr->len;
	for (size_t i = 0; i < n; i++) {
		if (i || lead)
			*o++ = ' ';
		o = cur_hexbyte(o, b[i]);
	}
	*o = 0;
	pr->len = (size_t)(o - pr->buf);
}

void pr_u(midi_printer *pr, char sep, unsigned long long v)
{
	char tmp[24], *o = tmp + sizeof tmp;
	do {
		*--o = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (sep)
		*--o = sep;
	pr_addn(pr, o, (size_t)(tmp + sizeof tmp - o));
}

int pr_flush_line_slow(midi_printer *pr, FILE *out)
{
	if (pr->oom) {
		pr->oom = 0;
		pr_reset(pr);
		return -MIDI_ERR_RUNTIME;
	}
	pr_addn(pr, "\n", 1);
	if (pr->batch && !pr->oom) { /* kept for one write of many lines */
		pr->base = pr->len;
		return pr->base < PR_BATCH_BYTES ? 0 : pr_batch_out(pr);
	}
	size_t n = pr->len;
	int bad = pr->oom || fwrite_unlocked(pr->buf, 1, n, out) != n;
	pr_reset(pr);
	pr->oom = 0;
	return bad ? -MIDI_ERR_RUNTIME : 0;
}

void pr_time_put(midi_printer *pr, uint64_t t)
{
	if ((pr->flags & MIDI_PRINT_FROM_FIRST) && !pr->based) {
		pr->base_ns = t;
		pr->based = 1;
	}
	if (!(pr->flags & MIDI_PRINT_ABSTIME))
		t = t > pr->base_ns ? t - pr->base_ns : 0;
	/* never backwards: a held SysEx printed after later packets, or
	 * packets out of order, take the last time printed */
	if (t < pr->last_ns)
		t = pr->last_ns;
	pr->last_ns = t;
	/* "@S.UUUUUUs " */
	char tmp[40], *o = tmp + sizeof tmp;
	uint64_t us = t % 1000000000ull / 1000ull, sec = t / 1000000000ull;
	*--o = ' ';
	*--o = 's';
	for (int i = 0; i < 6; i++, us /= 10)
		*--o = (char)('0' + us % 10);
	*--o = '.';
	do {
		*--o = (char)('0' + sec % 10);
		sec /= 10;
	} while (sec);
	*--o = '@';
	pr_addn(pr, o, (size_t)(tmp + sizeof tmp - o));
}

void sx_hold_clear(sx_hold *h)
{
	h->n = 0;
	h->len = 0;
	h->open = 0;
	h->spill = 0;
}

void sx_hold_free(sx_hold *h)
{
	free(h->pk);
	free(h->data);
	memset(h, 0, sizeof *h);
}

int sx_hold_add_packet(sx_hold *h, const midi_packet *p)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		midi_packet *q = realloc(h->pk, cap * sizeof *q);
		if (!q)
			return -1;
		h->pk = q;
		h->cap = cap;
	}
	if (h->n == 0)
		h->time_ns = p->time_ns;
	h->pk[h->n++] = *p;
	return 0;
}

int sx_hold_add_bytes(sx_hold *h, const uint8_t *b, size_t n)
{
	if (h->len + n > h->dcap) {
		size_t cap = h->dcap ? h->dcap : 64;
		while (cap < h->len + n)
			cap *= 2;
		uint8_t *q = realloc(h->data, cap);
		if (!q)
			return -1;
		h->data = q;
		h->dcap = cap;
	}
	memcpy(h->data + h->len, b, n);
	h->len += n;
	return 0;
}

/* One packet's words as a UMP line ("20903C7F\n") at o; returns its end. */
static char *fmt_ump_line(char *o, const midi_ump *u)
{
	unsigned n = midi_ump_words(u);
	for (unsigned i = 0; i < n; i++) {
		uint32_t w = u->w[i];
		o = cur_hex32(o, w);
		*o++ = i + 1 < n ? ' ' : '\n';
	}
	return o;
}

#define UMP_LINE_MAX (4 * 9)

int print_ump(midi_printer *pr, const midi_packet *p, FILE *out)
{
	if (!(pr->flags & MIDI_PRINT_TIME)) {
		/* no time prefix: the line built on the stack, one write */
		char line[UMP_LINE_MAX];
		size_t len = (size_t)(fmt_ump_line(line, &p->ump) - line);
		return fwrite_unlocked(line, 1, len, out) == len ? 0 : -MIDI_ERR_RUNTIME;
	}
	pr_reset(pr);
	pr_time(pr, p->time_ns);
	unsigned n = midi_ump_words(&p->ump);
	for (unsigned i = 0; i < n; i++)
		pr_hex32(pr, i ? ' ' : 0, p->ump.w[i]);
	return pr_flush_line(pr, out);
}

int midi_printer_put_many(midi_printer *pr, const midi_packet *p, size_t n, FILE *out)
{
	if (pr->fmt == MIDI_FMT_SMF) { /* kept until midi_printer_end */
		for (size_t k = 0; k < n; k++)
			if (print_smf(pr, &p[k]) < 0)
				return -MIDI_ERR_RUNTIME;
		return 0;
	}
	if (pr->fmt != MIDI_FMT_UMP || (pr->flags & MIDI_PRINT_TIME)) {
		/* the lines of every packet kept in the line buffer, written at
		 * once (every 8 KB and at the end) */
		int rc = 0;
		pr->batch = out;
		for (size_t k = 0; k < n && rc >= 0; k++)
			rc = midi_printer_put(pr, &p[k], out);
		int wr = pr_batch_out(pr);
		pr->batch = NULL;
		return rc < 0 ? rc : wr;
	}
	/* UMP lines without time: many built in one buffer, one write each */
	char buf[8192], *o = buf;
	for (size_t k = 0; k < n; k++) {
		if ((size_t)(buf + sizeof buf - o) < UMP_LINE_MAX) {
			size_t len = (size_t)(o - buf);
			if (fwrite_unlocked(buf, 1, len, out) != len)
				return -MIDI_ERR_RUNTIME;
			o = buf;
		}
		o = fmt_ump_line(o, &p[k].ump);
	}
	size_t len = (size_t)(o - buf);
	return fwrite_unlocked(buf, 1, len, out) == len ? 0 : -MIDI_ERR_RUNTIME;
}
