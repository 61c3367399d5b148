/* bench_text.c: the text paths of libmidi/format on the corpus of
 * bench/corpus.h (real MIDI byte streams as hex, 16 bytes a line): each
 * reader (hex, bin, ump, text) and each printer (ump, hex, text, json) of
 * midi_reader/midi_printer (printers fed batches of 256 packets through
 * midi_printer_put_many, as the programs do), timed per packet against a baseline in the same
 * run: a plain C parse of the same hex text into bytes and print of those
 * bytes as hex lines (baseline_hex below, no MIDI knowledge at all). Output
 * goes to /dev/null through stdio. Each case: the best CPU time of REPS
 * runs (the machine may be shared). JSON on stdout (bench.h), with
 * "ratio_to_baseline" per case.
 *   bench_text --write DIR     write DIR/corpus.{hex,bin,ump,text} and exit
 *   bench_text --baseline      the baseline as a filter: hex text on standard
 *                              input to hex lines on standard output (what
 *                              bench_send.sh times against midi-send)
 *   bench_text NAME            the baseline and case NAME only */
#include "bench.h"
#include "corpus.h"

#include <unistd.h>

#include "midi/format.h"

#define REPS 7

static struct {
	uint8_t *bytes;
	size_t nbytes;
	char *hex, *ump, *text;
	size_t nhex, nump, ntext;
	midi_packet *pk;
	size_t npk, cap;
	FILE *null;
} C;

/* ---- the baseline: hex text -> bytes -> hex lines ---- */
static signed char hexv[256];

static size_t parse_hex(const char *s, size_t n, uint8_t *out)
{
	size_t k = 0;
	int hi = -1;
	for (size_t i = 0; i < n; i++) {
		int v = hexv[(unsigned char)s[i]];
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[k++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return k;
}

/* One line per status byte, as "90 3C 64". */
/* Bytes printed as hex lines, a line broken before each status byte (or
 * when long); the line's state carries over between calls. */
struct hexout {
	char line[256];
	size_t len;
};

static void hexout_put(struct hexout *o, const uint8_t *b, size_t n, FILE *f)
{
	static const char hx[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		if ((b[i] >= 0x80 && o->len) || o->len > 200) {
			o->line[o->len - 1] = '\n';
			fwrite_unlocked(o->line, 1, o->len, f);
			o->len = 0;
		}
		o->line[o->len++] = hx[b[i] >> 4];
		o->line[o->len++] = hx[b[i] & 15];
		o->line[o->len++] = ' ';
	}
}

static void hexout_end(struct hexout *o, FILE *f)
{
	if (o->len) {
		o->line[o->len - 1] = '\n';
		fwrite_unlocked(o->line, 1, o->len, f);
		o->len = 0;
	}
}

static void print_hex_lines(const uint8_t *b, size_t n, FILE *f)
{
	struct hexout o = {.len = 0};
	hexout_put(&o, b, n, f);
	hexout_end(&o, f);
}

static uint8_t *scratch;

static void run_baseline(void *ctx)
{
	(void)ctx;
	size_t k = parse_hex(C.hex, C.nhex, scratch);
	print_hex_lines(scratch, k, C.null);
	fflush(C.null);
	bench_sink += k;
}

/* ---- readers ---- */
static int count_cb(void *ctx, const midi_packet *p)
{
	(void)ctx;
	bench_sink += p->ump.w[0];
	return 0;
}

static int keep_cb(void *ctx, const midi_packet *p)
{
	(void)ctx;
	if (C.npk == C.cap) {
		C.cap = C.cap ? C.cap * 2 : 1 << 16;
		C.pk = realloc(C.pk, C.cap * sizeof *C.pk);
		if (!C.pk)
			abort();
	}
	C.pk[C.npk++] = *p;
	return 0;
}

static void read_all(midi_format f, const void *in, size_t n, midi_packet_cb cb)
{
	midi_error e = {0};
	midi_reader *r = midi_reader_new(f, 0, &e);
	const char *s = in;
	for (size_t i = 0; r && i < n; i += 65536) {
		size_t k = n - i < 65536 ? n - i : 65536;
		if (midi_reader_feed(r, s + i, k, cb, NULL, &e) != 0)
			break;
	}
	if (r && midi_reader_end(r, cb, NULL, &e) != 0)
		fprintf(stderr, "bench_text: %s reader: %s\n", midi_format_name(f), e.msg);
	midi_reader_free(r);
}

static void run_read_hex(void *ctx) { (void)ctx; read_all(MIDI_FMT_HEX, C.hex, C.nhex, count_cb); }
static void run_read_bin(void *ctx) { (void)ctx; read_all(MIDI_FMT_BIN, C.bytes, C.nbytes, count_cb); }
static void run_read_ump(void *ctx) { (void)ctx; read_all(MIDI_FMT_UMP, C.ump, C.nump, count_cb); }
static void run_read_text(void *ctx) { (void)ctx; read_all(MIDI_FMT_TEXT, C.text, C.ntext, count_cb); }

/* ---- printers ---- */
static void print_all(midi_format f, FILE *out)
{
	midi_error e = {0};
	midi_printer *pr = midi_printer_new(f, 0, 0, &e);
	/* in batches of 256, as midi-send -n and midi-mon print */
	for (size_t i = 0; pr && i < C.npk; i += 256)
		midi_printer_put_many(pr, &C.pk[i], C.npk - i < 256 ? C.npk - i : 256, out);
	if (pr)
		midi_printer_end(pr, out);
	midi_printer_free(pr);
	fflush(out);
}

static void run_print_ump(void *ctx) { (void)ctx; print_all(MIDI_FMT_UMP, C.null); }
static void run_print_hex(void *ctx) { (void)ctx; print_all(MIDI_FMT_HEX, C.null); }
static void run_print_text(void *ctx) { (void)ctx; print_all(MIDI_FMT_TEXT, C.null); }
static void run_print_json(void *ctx) { (void)ctx; print_all(MIDI_FMT_JSON, C.null); }

/* The packets printed in format f, in memory. */
static char *printed(midi_format f, size_t *n)
{
	char *s = NULL;
	FILE *m = open_memstream(&s, n);
	if (!m)
		abort();
	print_all(f, m);
	fclose(m);
	return s;
}

static void setup_hexv(void)
{
	for (int i = 0; i < 256; i++)
		hexv[i] = -1;
	for (int i = 0; i < 10; i++)
		hexv['0' + i] = (signed char)i;
	for (int i = 0; i < 6; i++)
		hexv['a' + i] = hexv['A' + i] = (signed char)(10 + i);
}

static void setup(void)
{
	setup_hexv();
	C.bytes = corpus_bytes(&C.nbytes);
	C.hex = corpus_hex(C.bytes, C.nbytes, &C.nhex);
	scratch = malloc(C.nbytes + 16);
	read_all(MIDI_FMT_HEX, C.hex, C.nhex, keep_cb);
	C.ump = printed(MIDI_FMT_UMP, &C.nump);
	C.text = printed(MIDI_FMT_TEXT, &C.ntext);
	C.null = fopen("/dev/null", "w");
	if (!scratch || !C.null)
		abort();
	static char obuf[1 << 16]; /* as midi-mon and midi-send have */
	setvbuf(C.null, obuf, _IOFBF, sizeof obuf);
}

static int write_file(const char *dir, const char *name, const void *b, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

/* The baseline as a filter, streaming: 64 KiB reads, the same parse and
 * print (a line's state carried across reads), 64 KiB output buffer. */
static int baseline_filter(void)
{
	static char in[1 << 16], obuf[1 << 16];
	static uint8_t b[1 << 15];
	struct hexout o = {.len = 0};
	int hi = -1;
	ssize_t k;
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	while ((k = read(0, in, sizeof in)) > 0) {
		size_t n = 0;
		for (ssize_t i = 0; i < k; i++) {
			int v = hexv[(unsigned char)in[i]];
			if (v < 0)
				continue;
			if (hi < 0) {
				hi = v;
			} else {
				b[n++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
		}
		hexout_put(&o, b, n, stdout);
	}
	hexout_end(&o, stdout);
	return k < 0 || fflush(stdout) != 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--baseline") == 0) {
		setup_hexv();
		return baseline_filter();
	}
	setup();
	if (argc == 3 && strcmp(argv[1], "--write") == 0)
		return write_file(argv[2], "corpus.hex", C.hex, C.nhex) |
		       write_file(argv[2], "corpus.bin", C.bytes, C.nbytes) |
		       write_file(argv[2], "corpus.ump", C.ump, C.nump) |
		       write_file(argv[2], "corpus.text", C.text, C.ntext);
	static const struct {
		const char *name;
		void (*fn)(void *);
	} cases[] = {
		{"read_hex", run_read_hex},     {"read_bin", run_read_bin},
		{"read_ump", run_read_ump},     {"read_text", run_read_text},
		{"print_ump", run_print_ump},   {"print_hex", run_print_hex},
		{"print_text", run_print_text}, {"print_json", run_print_json},
	};
	bench_begin("text");
	bench_time_key = "best_cpu_ns";
	uint64_t base = bench_measure_cpu(run_baseline, NULL, REPS);
	double base_per = (double)base / (double)C.npk;
	bench_result_vs("baseline_hex_parse_print", "packets", C.npk, base, 0, REPS);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (argc == 2 && strcmp(argv[1], cases[i].name) != 0)
			continue; /* bench_text NAME: that case only (and the baseline) */
		uint64_t t = bench_measure_cpu(cases[i].fn, NULL, REPS);
		bench_result_vs(cases[i].name, "packets", C.npk, t, base_per, REPS);
	}
	char note[300];
	snprintf(note, sizeof note, "CPU time, best of %d runs; corpus: %zu MIDI bytes, %zu bytes of hex text, %zu packets", REPS,
		 C.nbytes, C.nhex, C.npk);
	bench_end(note);
	return 0;
}
