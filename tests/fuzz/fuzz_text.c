/* fuzz_text.c: the text reader on any input, fed in two pieces (must not
 * crash or leak); what it reads, printed as text and read again, gives the
 * same packets (order kept within each group's SysEx streams; times to the
 * microsecond outside SysEx, which is printed when complete). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/format.h"

typedef struct vec {
	midi_packet *p;
	size_t n, cap;
} vec;

static int collect(void *ctx, const midi_packet *p)
{
	vec *v = ctx;
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->p = realloc(v->p, v->cap * sizeof *v->p);
		if (!v->p)
			abort();
	}
	v->p[v->n++] = *p;
	return 0;
}

static int parse(midi_format f, const uint8_t *d, size_t n, size_t cut, vec *out)
{
	midi_error e;
	midi_reader *r = midi_reader_new(f, 0, &e);
	int rc = midi_reader_feed(r, d, cut, collect, out, &e);
	if (rc == 0)
		rc = midi_reader_feed(r, d + cut, n - cut, collect, out, &e);
	if (rc == 0)
		rc = midi_reader_end(r, collect, out, &e);
	if (rc && (e.msg[0] == 0 || e.code != MIDI_ERR_INPUT))
		abort(); /* every failure names what was wrong */
	midi_reader_free(r);
	return rc;
}

static char *print(midi_format f, unsigned flags, const vec *v, size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);
	midi_printer *pr = midi_printer_new(f, flags, 0, NULL);
	for (size_t i = 0; i < v->n; i++)
		midi_printer_put(pr, &v->p[i], out);
	midi_printer_end(pr, out);
	midi_printer_free(pr);
	fclose(out);
	return buf;
}

static unsigned cls(const midi_packet *p)
{
	unsigned mt = p->ump.w[0] >> 28;
	return mt == 3 || mt == 5 ? (mt == 5) * 16 + ((p->ump.w[0] >> 24) & 15) : 32;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	vec a = {0}, b = {0};
	size_t cut = n ? d[0] % (n + 1) : 0, len;
	parse(MIDI_FMT_TEXT, d, n, cut, &a);
	char *txt = print(MIDI_FMT_TEXT, MIDI_PRINT_TIME, &a, &len);
	if (parse(MIDI_FMT_TEXT, (const uint8_t *)txt, len, len / 2, &b) != 0 || b.n != a.n)
		abort();
	for (unsigned c = 0; c <= 32; c++) {
		size_t i = 0, j = 0;
		for (;;) {
			while (i < a.n && cls(&a.p[i]) != c)
				i++;
			while (j < b.n && cls(&b.p[j]) != c)
				j++;
			if ((i < a.n) != (j < b.n))
				abort();
			if (i >= a.n)
				break;
			if (memcmp(a.p[i].ump.w, b.p[j].ump.w, sizeof a.p[i].ump.w) ||
			    (c == 32 && a.p[i].time_ns / 1000 != b.p[j].time_ns / 1000))
				abort();
			i++, j++;
		}
	}
	free(txt);
	free(print(MIDI_FMT_JSON, 0, &a, &len));
	free(a.p);
	free(b.p);
	return 0;
}
