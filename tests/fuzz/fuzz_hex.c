/* fuzz_hex.c: the hex reader on any input, in two pieces (no crash, no
 * leak); its hex output is a fixed point: printed, read and printed again,
 * the text is the same. */
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
		abort();
	midi_reader_free(r);
	return rc;
}

static char *print(midi_format f, const vec *v, size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);
	midi_printer *pr = midi_printer_new(f, MIDI_PRINT_TIME, 0, NULL);
	for (size_t i = 0; i < v->n; i++)
		midi_printer_put(pr, &v->p[i], out);
	midi_printer_end(pr, out);
	midi_printer_free(pr);
	fclose(out);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	vec a = {0}, b = {0};
	size_t cut = n ? d[n - 1] % (n + 1) : 0, l1, l2;
	parse(MIDI_FMT_HEX, d, n, cut, &a);
	char *h1 = print(MIDI_FMT_HEX, &a, &l1);
	if (parse(MIDI_FMT_HEX, (const uint8_t *)h1, l1, l1 / 2, &b) == 0) {
		char *h2 = print(MIDI_FMT_HEX, &b, &l2);
		if (l1 != l2 || memcmp(h1, h2, l1))
			abort();
		free(h2);
	}
	free(h1);
	free(print(MIDI_FMT_TEXT, &a, &l1));
	free(a.p);
	free(b.p);
	return 0;
}
