/* reader_util.h: shared by the format fuzz targets: read an input in two
 * pieces with any reader (collecting the packets; an error must be a clean
 * input error with a message) and print packets into a memory buffer. */
#ifndef MIDI_FUZZ_READER_UTIL_H
#define MIDI_FUZZ_READER_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

/* Read d[0..n) fed as d[0..cut) and d[cut..n) into out; the reader's status. */
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

/* The packets of v printed in format f; malloc'd, *len bytes. */
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

#endif
