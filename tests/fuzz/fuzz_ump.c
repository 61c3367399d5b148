/* fuzz_ump.c: the ump reader on any input, in two pieces (no crash, no
 * leak); what it reads prints back in the ump format to the same packets;
 * every packet decodes, describes and prints in every output format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/format.h"
#include "midi/msg.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	vec a = {0}, b = {0};
	size_t cut = n ? d[0] % (n + 1) : 0, len;
	char desc[64];
	parse(MIDI_FMT_UMP, d, n, cut, &a);
	for (size_t i = 0; i < a.n; i++) {
		midi_msg m;
		midi_ump q;
		midi_msg_decode(&a.p[i].ump, &m);
		midi_ump_describe(&a.p[i].ump, desc, sizeof desc);
		if (midi_msg_encode(&m, &q) == 0 && midi_msg_is_canonical(&a.p[i].ump) &&
		    memcmp(q.w, a.p[i].ump.w, sizeof q.w))
			abort();
	}
	char *txt = print(MIDI_FMT_UMP, MIDI_PRINT_TIME, &a, &len);
	if (parse(MIDI_FMT_UMP, (const uint8_t *)txt, len, len / 3, &b) != 0 || b.n != a.n)
		abort();
	for (size_t i = 0; i < a.n; i++)
		if (memcmp(a.p[i].ump.w, b.p[i].ump.w, sizeof a.p[i].ump.w) ||
		    a.p[i].time_ns / 1000 != b.p[i].time_ns / 1000)
			abort();
	free(txt);
	static const midi_format outs[] = {MIDI_FMT_TEXT, MIDI_FMT_HEX, MIDI_FMT_BIN, MIDI_FMT_JSON};
	for (size_t f = 0; f < 4; f++)
		free(print(outs[f], MIDI_PRINT_TIME, &a, &len));
	free(a.p);
	free(b.p);
	return 0;
}
