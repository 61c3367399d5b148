/* bench_translate.c: throughput of the translators on the real MIDI corpus
 * (every MIDI file in /usr/share/games/openttd/baseset/openmsx, read with the SMF
 * reader, about 174k channel messages): bytes -> UMP (with running status
 * and without), UMP -> bytes, MIDI 1.0 -> 2.0 (midi_up), MIDI 2.0 -> 1.0
 * (midi_down), the SMF reader itself, text print and text parse (format.h),
 * each against a memcpy of the same data in the same run. Median of
 * several repetitions; JSON on stdout (see bench.h). */
#include "bench.h"

#include <glob.h>

#include "midi/format.h"
#include "midi/smf.h"
#include "midi/translate.h"

#define CORPUS_GLOB "/usr/share/games/openttd/baseset/openmsx/*.mid"
#define REPS 9
#define LOOPS 4 /* corpus passes per repetition */

struct buf {
	uint8_t *b;
	size_t n, cap;
};

static void buf_put(struct buf *x, const void *b, size_t n)
{
	if (x->n + n > x->cap) {
		x->cap = (x->n + n) * 2 + 4096;
		x->b = realloc(x->b, x->cap);
		if (!x->b)
			abort();
	}
	memcpy(x->b + x->n, b, n);
	x->n += n;
}

static struct {
	struct buf files;       /* file images, back to back */
	size_t file_off[64], file_len[64], nfiles;
	struct buf bytes;       /* event bytes, full status */
	struct buf rs;          /* the same with running status */
	midi_ump *mt2, *mt4;
	midi_packet *pk;
	size_t nmt2, nmt4;
	char *text;             /* mt2 printed as text */
	size_t text_len;
	uint8_t *scratch;
	size_t scratch_cap;
} C;

static int add_event(void *ctx, const midi_smf_event *ev)
{
	static uint8_t last;
	(void)ctx;
	buf_put(&C.bytes, ev->data, ev->len);
	size_t skip = ev->data[0] == last && ev->len > 1;
	buf_put(&C.rs, ev->data + skip, ev->len - skip);
	last = ev->data[0] < 0xF0 ? ev->data[0] : 0;
	return 0;
}

static int count_cb(void *ctx, const midi_ump *p)
{
	(void)p;
	++*(size_t *)ctx;
	return 0;
}

static int store_mt2(void *ctx, const midi_ump *p)
{
	(void)ctx;
	C.mt2[C.nmt2++] = *p;
	return 0;
}

static int store_mt4(void *ctx, const midi_ump *p)
{
	(void)ctx;
	C.mt4[C.nmt4++] = *p;
	return 0;
}

static int load(void)
{
	glob_t g;
	if (glob(CORPUS_GLOB, 0, NULL, &g) != 0)
		return -1;
	for (size_t i = 0; i < g.gl_pathc && C.nfiles < 64; i++) {
		FILE *f = fopen(g.gl_pathv[i], "rb");
		if (!f)
			continue;
		uint8_t tmp[65536];
		size_t n, start = C.files.n;
		while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
			buf_put(&C.files, tmp, n);
		fclose(f);
		C.file_off[C.nfiles] = start;
		C.file_len[C.nfiles++] = C.files.n - start;
	}
	globfree(&g);
	for (size_t i = 0; i < C.nfiles; i++) {
		midi_error e;
		if (midi_smf_parse(C.files.b + C.file_off[i], C.file_len[i], add_event, NULL, &e))
			return -1;
	}
	size_t n = 0;
	midi_b2u s;
	midi_b2u_init(&s, 0);
	midi_b2u_feed(&s, C.bytes.b, C.bytes.n, count_cb, &n);
	C.mt2 = malloc(n * sizeof *C.mt2);
	C.mt4 = malloc(2 * n * sizeof *C.mt4);
	C.pk = malloc(n * sizeof *C.pk);
	C.scratch_cap = (C.bytes.n * 4 > n * sizeof(midi_ump) ? C.bytes.n * 4 : n * sizeof(midi_ump)) + 64;
	C.scratch = malloc(C.scratch_cap);
	if (!C.mt2 || !C.mt4 || !C.pk || !C.scratch)
		return -1;
	midi_b2u_init(&s, 0);
	midi_b2u_feed(&s, C.bytes.b, C.bytes.n, store_mt2, NULL);
	midi_up up;
	midi_up_init(&up);
	for (size_t i = 0; i < C.nmt2; i++)
		midi_up_put(&up, &C.mt2[i], store_mt4, NULL);
	midi_up_end(&up, store_mt4, NULL);
	for (size_t i = 0; i < C.nmt2; i++)
		C.pk[i] = (midi_packet){.time_ns = 0, .ump = C.mt2[i]};
	return C.nmt2 ? 0 : -1;
}

/* ---- cases ---- */

static int sink_cb(void *ctx, const midi_ump *p)
{
	(void)ctx;
	bench_sink += p->w[0];
	return 0;
}

static void run_memcpy_bytes(void *ctx)
{
	(void)ctx;
	for (int l = 0; l < LOOPS; l++) {
		memcpy(C.scratch, C.bytes.b, C.bytes.n);
		bench_sink += C.scratch[C.bytes.n / 2];
	}
}

static void run_memcpy_ump(void *ctx)
{
	(void)ctx;
	size_t n = C.nmt2 * sizeof *C.mt2;
	uint8_t *dst = n <= C.scratch_cap ? C.scratch : NULL;
	if (!dst)
		abort();
	for (int l = 0; l < LOOPS; l++) {
		memcpy(dst, C.mt2, n);
		bench_sink += dst[n / 2];
	}
}

static void run_b2u(void *ctx)
{
	struct buf *in = ctx;
	for (int l = 0; l < LOOPS; l++) {
		midi_b2u s;
		midi_b2u_init(&s, 0);
		midi_b2u_feed(&s, in->b, in->n, sink_cb, NULL);
	}
}

static void run_u2b(void *ctx)
{
	(void)ctx;
	for (int l = 0; l < LOOPS; l++) {
		midi_u2b s;
		size_t m = 0;
		midi_u2b_init(&s);
		for (size_t i = 0; i < C.nmt2; i++)
			m += (size_t)midi_u2b_put(&s, &C.mt2[i], C.scratch + m, C.scratch_cap - m);
		bench_sink += m;
	}
}

static void run_up(void *ctx)
{
	(void)ctx;
	static midi_up up;
	for (int l = 0; l < LOOPS; l++) {
		midi_up_init(&up);
		for (size_t i = 0; i < C.nmt2; i++)
			midi_up_put(&up, &C.mt2[i], sink_cb, NULL);
		midi_up_end(&up, sink_cb, NULL);
	}
}

static void run_down(void *ctx)
{
	(void)ctx;
	for (int l = 0; l < LOOPS; l++) {
		midi_down d;
		midi_down_init(&d);
		for (size_t i = 0; i < C.nmt4; i++)
			midi_down_put(&d, &C.mt4[i], sink_cb, NULL);
	}
}

static int smf_sink(void *ctx, const midi_smf_event *ev)
{
	(void)ctx;
	bench_sink += ev->data[0];
	return 0;
}

static void run_smf(void *ctx)
{
	(void)ctx;
	for (int l = 0; l < LOOPS; l++)
		for (size_t i = 0; i < C.nfiles; i++)
			midi_smf_parse(C.files.b + C.file_off[i], C.file_len[i], smf_sink, NULL, NULL);
}

static int print_ok;

static void run_print(void *ctx)
{
	(void)ctx;
	for (int l = 0; l < LOOPS; l++) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		midi_printer *pr = midi_printer_new(MIDI_FMT_TEXT, 0, 0, NULL);
		if (!f || !pr) {
			print_ok = 0;
			if (f)
				fclose(f);
			free(out);
			return;
		}
		for (size_t i = 0; i < C.nmt2; i++)
			midi_printer_put(pr, &C.pk[i], f);
		midi_printer_end(pr, f);
		midi_printer_free(pr);
		fclose(f);
		if (l == 0 && !C.text) {
			C.text = out;
			C.text_len = len;
		} else {
			free(out);
		}
	}
}

static int parse_cb(void *ctx, const midi_packet *p)
{
	++*(size_t *)ctx;
	bench_sink += p->ump.w[0];
	return 0;
}

static size_t parsed;

static void run_parse(void *ctx)
{
	(void)ctx;
	for (int l = 0; l < LOOPS; l++) {
		midi_error e;
		midi_reader *r = midi_reader_new(MIDI_FMT_TEXT, 0, &e);
		if (!r)
			return;
		parsed = 0;
		midi_reader_feed(r, C.text, C.text_len, parse_cb, &parsed, &e);
		midi_reader_end(r, parse_cb, &parsed, &e);
		midi_reader_free(r);
	}
}

int main(void)
{
	bench_begin("translate");
	if (load() < 0) {
		bench_end("corpus " CORPUS_GLOB " not found or unreadable (install openttd-openmsx)");
		return 0;
	}
	uint64_t nb = C.bytes.n * LOOPS, nrs = C.rs.n * LOOPS, np = C.nmt2 * LOOPS;
	uint64_t t;

	t = bench_measure(run_memcpy_bytes, NULL, REPS);
	double base_b = (double)t / (double)nb;
	bench_result("memcpy_bytes", "bytes", nb, t, base_b, REPS);
	t = bench_measure(run_memcpy_ump, NULL, REPS);
	double base_p = (double)t / (double)np;
	bench_result("memcpy_ump", "packets", np, t, base_p, REPS);

	t = bench_measure(run_b2u, &C.bytes, REPS);
	bench_result("bytes_to_ump", "bytes", nb, t, base_b, REPS);
	t = bench_measure(run_b2u, &C.rs, REPS);
	bench_result("bytes_to_ump_running_status", "bytes", nrs, t, base_b, REPS);
	t = bench_measure(run_u2b, NULL, REPS);
	bench_result("ump_to_bytes", "packets", np, t, base_p, REPS);
	t = bench_measure(run_up, NULL, REPS);
	bench_result("midi1_to_midi2", "packets", np, t, base_p, REPS);
	t = bench_measure(run_down, NULL, REPS);
	bench_result("midi2_to_midi1", "packets", (uint64_t)C.nmt4 * LOOPS, t, base_p, REPS);
	t = bench_measure(run_smf, NULL, REPS);
	bench_result("smf_parse", "bytes", (uint64_t)C.files.n * LOOPS, t, base_b, REPS);

	print_ok = 1;
	t = bench_measure(run_print, NULL, REPS);
	if (print_ok && C.text) {
		bench_result("text_print", "packets", np, t, base_p, REPS);
		t = bench_measure(run_parse, NULL, REPS);
		if (parsed)
			bench_result("text_parse", "packets", (uint64_t)parsed * LOOPS, t, base_p,
				     REPS);
	}
	char note[200];
	snprintf(note, sizeof note, "%zu files, %zu messages, %zu bytes (%zu with running status)",
		 C.nfiles, C.nmt2, C.bytes.n, C.rs.n);
	bench_end(note);
	free(C.text);
	return 0;
}
