/* corpus.h: the benchmark corpus shared by bench/bench_text.c: the MIDI
 * byte streams of the real .mid files in CORPUS_DIR (openttd-openmsx, the
 * first 22 in name order), each merged by libmidi's SMF reader and written
 * with running status as a player would send them, concatenated and
 * repeated CORPUS_REPEAT times; as text, 16 hex bytes a line (messages span
 * lines). With no .mid file: synthetic note on/off pairs. */
#ifndef MIDI_BENCH_CORPUS_H
#define MIDI_BENCH_CORPUS_H

#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/smf.h"

#define CORPUS_DIR "/usr/share/games/openttd/baseset/openmsx"
#define CORPUS_FILES 22
#define CORPUS_REPEAT 8

struct corpus_buf {
	uint8_t *b;
	size_t n, cap;
	unsigned rs; /* running status in effect, 0 if none */
};

static void corpus_add(struct corpus_buf *c, const uint8_t *b, size_t n)
{
	if (c->n + n > c->cap) {
		size_t cap = c->cap ? c->cap : 1 << 16;
		while (cap < c->n + n)
			cap *= 2;
		c->b = realloc(c->b, cap);
		if (!c->b) {
			perror("corpus");
			exit(1);
		}
		c->cap = cap;
	}
	memcpy(c->b + c->n, b, n);
	c->n += n;
}

static int corpus_event(void *ctx, const midi_smf_event *ev)
{
	struct corpus_buf *c = ctx;
	const uint8_t *d = ev->data;
	size_t n = ev->len;
	if (n && d[0] >= 0x80 && d[0] < 0xF0) {
		if (d[0] == c->rs) {
			d++;
			n--;
		}
		c->rs = ev->data[0];
	} else if (n && d[0] >= 0xF0 && d[0] < 0xF8) {
		c->rs = 0;
	}
	corpus_add(c, d, n);
	return 0;
}

/* The corpus as MIDI bytes (malloc'd) and its length. */
static uint8_t *corpus_bytes(size_t *len)
{
	struct corpus_buf one = {0}, all = {0};
	glob_t g;
	if (glob(CORPUS_DIR "/*.mid", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && i < CORPUS_FILES; i++) {
			FILE *f = fopen(g.gl_pathv[i], "rb");
			if (!f)
				continue;
			static uint8_t img[1 << 22];
			size_t n = fread(img, 1, sizeof img, f);
			fclose(f);
			midi_error e = {0};
			one.rs = 0;
			midi_smf_parse(img, n, corpus_event, &one, &e);
		}
		globfree(&g);
	}
	if (one.n == 0) {
		for (unsigned i = 0; i < 20000; i++) {
			uint8_t m[6] = {0x90, (uint8_t)(i % 128), 100, 0x80, (uint8_t)(i % 128), 0};
			corpus_add(&one, m, sizeof m);
		}
	}
	for (int r = 0; r < CORPUS_REPEAT; r++)
		corpus_add(&all, one.b, one.n);
	free(one.b);
	*len = all.n;
	return all.b;
}

/* The bytes as hex text, 16 a line (malloc'd, NUL-terminated). */
static char *corpus_hex(const uint8_t *b, size_t n, size_t *len)
{
	static const char hx[] = "0123456789ABCDEF";
	char *t = malloc(n * 3 + 2), *o = t;
	if (!t) {
		perror("corpus");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		*o++ = hx[b[i] >> 4];
		*o++ = hx[b[i] & 15];
		*o++ = (i % 16 == 15 || i + 1 == n) ? '\n' : ' ';
	}
	*o = 0;
	*len = (size_t)(o - t);
	return t;
}

#endif
