/* test_corpus.c: the translators and the SMF reader on real data from
 * Debian packages: the openttd-openmsx MIDI files (checked against
 * python3-mido as an independent reader, then bytes -> UMP -> bytes, with
 * and without running status, split at random points, MIDI 1.0 -> 2.0 ->
 * 1.0) and the hexter DX7 voice bank (a 4104-byte SysEx). Tests skip with a
 * message when the data files are not installed. */
#include "testutil.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "midi/smf.h"
#include "midi/translate.h"

#define CORPUS_GLOB "/usr/share/games/openttd/baseset/openmsx/*.mid"
#define DX7_BANK "/usr/share/hexter/dx7_roms.dx7"

/* ---- helpers ---- */

struct bytes {
	uint8_t *b;
	size_t n, cap;
};

static void bytes_put(struct bytes *x, const uint8_t *b, size_t n)
{
	if (x->n + n > x->cap) {
		x->cap = (x->n + n) * 2 + 1024;
		x->b = realloc(x->b, x->cap);
		assert_non_null(x->b);
	}
	memcpy(x->b + x->n, b, n);
	x->n += n;
}

struct pkts {
	midi_ump *p;
	size_t n, cap;
};

static int pkts_cb(void *ctx, const midi_ump *p)
{
	struct pkts *x = ctx;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 4096;
		x->p = realloc(x->p, x->cap * sizeof *x->p);
		assert_non_null(x->p);
	}
	x->p[x->n++] = *p;
	return 0;
}

static void pkts_equal(const struct pkts *a, const struct pkts *b, const char *what)
{
	if (a->n != b->n)
		fail_msg("%s: %zu packets vs %zu", what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(&a->p[i], &b->p[i], sizeof a->p[i]) != 0)
			fail_msg("%s: packet %zu differs: %08X %08X vs %08X %08X", what, i,
				 a->p[i].w[0], a->p[i].w[1], b->p[i].w[0], b->p[i].w[1]);
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(len > 0 ? (size_t)len : 1);
	assert_non_null(b);
	*n = fread(b, 1, (size_t)len, f);
	fclose(f);
	return b;
}

static void b2u_all(const uint8_t *b, size_t n, struct pkts *out)
{
	midi_b2u s;
	int trunc;
	midi_b2u_init(&s, 0);
	assert_int_equal(midi_b2u_feed(&s, b, n, pkts_cb, out), 0);
	assert_int_equal(midi_b2u_end(&s, pkts_cb, out, &trunc), 0);
	assert_int_equal(trunc, 0);
}

static void u2b_all(const struct pkts *in, struct bytes *out)
{
	midi_u2b s;
	midi_u2b_init(&s);
	for (size_t i = 0; i < in->n; i++) {
		uint8_t b[16];
		int k = midi_u2b_put(&s, &in->p[i], b, sizeof b);
		assert_true(k > 0);
		bytes_put(out, b, (size_t)k);
	}
	assert_int_equal(midi_u2b_dropped(&s), 0);
}

/* ---- the corpus ---- */

struct event {
	uint64_t tick, ns;
	uint8_t b[3];
	uint8_t len;
};

struct song {
	char *path;
	uint8_t *file;
	size_t size;
	struct event *ev;
	size_t nev, cap;
	struct bytes stream; /* every event's bytes, full status each */
};

static struct song songs[64];
static size_t nsongs;

static int song_cb(void *ctx, const midi_smf_event *ev)
{
	struct song *s = ctx;
	assert_true(ev->len >= 1 && ev->len <= 3); /* the corpus holds no SysEx */
	if (s->nev == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->ev = realloc(s->ev, s->cap * sizeof *s->ev);
		assert_non_null(s->ev);
	}
	struct event *e = &s->ev[s->nev++];
	e->tick = ev->tick;
	e->ns = ev->time_ns;
	e->len = (uint8_t)ev->len;
	memcpy(e->b, ev->data, ev->len);
	bytes_put(&s->stream, ev->data, ev->len);
	return 0;
}

static int load_corpus(void **state)
{
	(void)state;
	glob_t g;
	if (glob(CORPUS_GLOB, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc && nsongs < 64; i++) {
		struct song *s = &songs[nsongs++];
		midi_error e;
		s->path = strdup(g.gl_pathv[i]);
		s->file = read_file(s->path, &s->size);
		assert_non_null(s->file);
		if (midi_smf_parse(s->file, s->size, song_cb, s, &e) != 0) {
			fprintf(stderr, "%s: %s\n", s->path, e.msg);
			return -1;
		}
	}
	globfree(&g);
	return 0;
}

static int free_corpus(void **state)
{
	(void)state;
	for (size_t i = 0; i < nsongs; i++) {
		free(songs[i].path);
		free(songs[i].file);
		free(songs[i].ev);
		free(songs[i].stream.b);
	}
	return 0;
}

#define NEED_CORPUS()                                                                              \
	do {                                                                                       \
		if (nsongs == 0) {                                                                 \
			fprintf(stderr, "# SKIP: no MIDI files at " CORPUS_GLOB                    \
					" (install openttd-openmsx)\n");                           \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void test_corpus_parses(void **state)
{
	(void)state;
	NEED_CORPUS();
	size_t total = 0;
	for (size_t i = 0; i < nsongs; i++) {
		assert_true(songs[i].nev > 100);
		for (size_t k = 1; k < songs[i].nev; k++) {
			assert_true(songs[i].ev[k].tick >= songs[i].ev[k - 1].tick);
			assert_true(songs[i].ev[k].ns >= songs[i].ev[k - 1].ns);
		}
		total += songs[i].nev;
	}
	/* 31 files with about 174k channel events between them */
	assert_true(nsongs >= 2);
	assert_true(total > 1000);
}

/* Run the independent reader; returns NULL if python3-mido is missing. */
static FILE *run_mido(const char *path)
{
	const char *top = getenv("MIDI_TOP");
	const char *pythons[] = {"/usr/bin/python3", "python3"};
	char script[1024], cmd[3072];
	snprintf(script, sizeof script, "%s/tests/data/mido_dump.py", top ? top : ".");
	if (access(script, R_OK) != 0)
		return NULL;
	for (size_t i = 0; i < 2; i++) {
		snprintf(cmd, sizeof cmd, "%s -c 'import mido' 2>/dev/null", pythons[i]);
		if (system(cmd) != 0)
			continue;
		snprintf(cmd, sizeof cmd, "%s '%s' '%s'", pythons[i], script, path);
		return popen(cmd, "r");
	}
	return NULL;
}

/* Our reader and python3-mido agree on every event of every file: bytes,
 * tick and time (to the microsecond: mido sums float seconds). */
static void test_corpus_matches_mido(void **state)
{
	(void)state;
	NEED_CORPUS();
	size_t checked = 0;
	for (size_t i = 0; i < nsongs; i++) {
		const struct song *s = &songs[i];
		FILE *p = run_mido(s->path);
		if (!p) {
			fprintf(stderr, "# SKIP: python3-mido not available\n");
			skip();
		}
		char line[256];
		size_t k = 0;
		while (fgets(line, sizeof line, p)) {
			unsigned long long tick;
			double ns;
			int off;
			if (sscanf(line, "%llu %lf %n", &tick, &ns, &off) != 2)
				fail_msg("%s: bad mido line: %s", s->path, line);
			if (k >= s->nev)
				fail_msg("%s: mido has more events than we do (%zu)", s->path, s->nev);
			const struct event *e = &s->ev[k];
			char hex[16] = "";
			for (unsigned j = 0; j < e->len; j++)
				sprintf(hex + strlen(hex), j ? " %02X" : "%02X", e->b[j]);
			line[strcspn(line, "\n")] = 0;
			if (strcmp(hex, line + off) != 0 || tick != e->tick)
				fail_msg("%s: event %zu: mido %s, we %llu %s", s->path, k, line,
					 (unsigned long long)e->tick, hex);
			double d = ns - (double)e->ns;
			if (d > 1000.0 || d < -1000.0)
				fail_msg("%s: event %zu at tick %llu: mido %.0f ns, we %llu ns", s->path,
					 k, tick, ns, (unsigned long long)e->ns);
			k++;
		}
		assert_int_equal(pclose(p), 0);
		if (k != s->nev)
			fail_msg("%s: mido has %zu events, we %zu", s->path, k, s->nev);
		checked++;
	}
	assert_int_equal(checked, nsongs);
}

/* bytes -> UMP -> bytes gives back the same bytes, per event and whole. */
static void test_corpus_bytes_ump_bytes(void **state)
{
	(void)state;
	NEED_CORPUS();
	for (size_t i = 0; i < nsongs; i++) {
		const struct song *s = &songs[i];
		struct pkts u = {0};
		struct bytes back = {0};
		b2u_all(s->stream.b, s->stream.n, &u);
		assert_int_equal(u.n, s->nev);
		for (size_t k = 0; k < u.n; k++)
			assert_int_equal(midi_ump_mt(&u.p[k]), MIDI_MT_MIDI1_CV);
		u2b_all(&u, &back);
		assert_int_equal(back.n, s->stream.n);
		assert_memory_equal(back.b, s->stream.b, back.n);
		free(u.p);
		free(back.b);
	}
}

/* The same stream with running status applied gives the same packets, and
 * so does any split of it. */
static void test_corpus_running_status_and_splits(void **state)
{
	(void)state;
	NEED_CORPUS();
	uint64_t rng = 88172645463325252ull;
	for (size_t i = 0; i < nsongs; i++) {
		const struct song *s = &songs[i];
		struct pkts full = {0}, comp = {0}, split = {0};
		struct bytes rs = {0};
		uint8_t last = 0;
		for (size_t k = 0; k < s->nev; k++) {
			const struct event *e = &s->ev[k];
			size_t skip_status = e->b[0] == last;
			bytes_put(&rs, e->b + skip_status, e->len - skip_status);
			last = e->b[0] < 0xF0 ? e->b[0] : 0;
		}
		assert_true(rs.n < s->stream.n); /* running status did apply */
		b2u_all(s->stream.b, s->stream.n, &full);
		b2u_all(rs.b, rs.n, &comp);
		pkts_equal(&full, &comp, s->path);

		midi_b2u b;
		int trunc;
		midi_b2u_init(&b, 0);
		for (size_t off = 0; off < rs.n;) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			size_t take = 1 + rng % 17;
			if (take > rs.n - off)
				take = rs.n - off;
			assert_int_equal(midi_b2u_feed(&b, rs.b + off, take, pkts_cb, &split), 0);
			off += take;
		}
		assert_int_equal(midi_b2u_end(&b, pkts_cb, &split, &trunc), 0);
		pkts_equal(&full, &split, s->path);
		free(full.p);
		free(comp.p);
		free(split.p);
		free(rs.b);
	}
}

/* midi_smf_to_ump: one packet per event, at the event's time. */
static void test_corpus_smf_to_ump(void **state)
{
	(void)state;
	NEED_CORPUS();
	for (size_t i = 0; i < nsongs; i++) {
		const struct song *s = &songs[i];
		midi_packet *pk;
		size_t n;
		midi_error e;
		assert_int_equal(midi_smf_to_ump(s->file, s->size, 2, &pk, &n, &e), 0);
		assert_int_equal(n, s->nev);
		midi_u2b u;
		midi_u2b_init(&u);
		for (size_t k = 0; k < n; k++) {
			uint8_t b[16];
			assert_int_equal(pk[k].time_ns, s->ev[k].ns);
			assert_int_equal(midi_ump_group(&pk[k].ump), 2);
			assert_int_equal(midi_u2b_put(&u, &pk[k].ump, b, sizeof b), s->ev[k].len);
			assert_memory_equal(b, s->ev[k].b, s->ev[k].len);
		}
		free(pk);
	}
}

/* MIDI 1.0 -> 2.0 -> 1.0 on real songs: nothing is dropped and every
 * message that has a one-to-one form comes back exactly (Note On velocity 0
 * comes back as Note Off velocity 64; bank select, RPN/NRPN and program
 * change are regrouped by design and checked in test_translate_up). */
static int plain(uint32_t w)
{
	unsigned op = (w >> 20) & 0xF, cc = (w >> 8) & 0x7F;
	if (op == 0xC)
		return 0;
	if (op == 0xB && (cc == 0 || cc == 32 || cc == 6 || cc == 38 || (cc >= 98 && cc <= 101)))
		return 0;
	return 1;
}

static int down_cb(void *ctx, const midi_ump *p)
{
	midi_down *d = ((void **)ctx)[0];
	return midi_down_put(d, p, pkts_cb, ((void **)ctx)[1]);
}

static void test_corpus_up_down(void **state)
{
	(void)state;
	NEED_CORPUS();
	size_t params = 0;
	for (size_t i = 0; i < nsongs; i++) {
		const struct song *s = &songs[i];
		struct pkts in = {0}, out = {0};
		midi_up up;
		midi_down down;
		void *chain[2] = {&down, &out};
		b2u_all(s->stream.b, s->stream.n, &in);
		midi_up_init(&up);
		midi_down_init(&down);
		for (size_t k = 0; k < in.n; k++)
			assert_int_equal(midi_up_put(&up, &in.p[k], down_cb, chain), 0);
		assert_int_equal(midi_up_end(&up, down_cb, chain), 0);
		assert_int_equal(midi_down_dropped(&down), 0);
		size_t a = 0, b = 0;
		for (;;) {
			while (a < in.n && !plain(in.p[a].w[0]))
				a++;
			while (b < out.n && !plain(out.p[b].w[0])) {
				params++;
				b++;
			}
			if (a == in.n || b == out.n)
				break;
			uint32_t want = in.p[a].w[0];
			if ((want & 0x00F0007F) == 0x00900000)
				want = (want & 0xFF0FFF00) | 0x00800040;
			if (out.p[b].w[0] != want)
				fail_msg("%s: message %zu %08X came back as %08X", s->path, a,
					 in.p[a].w[0], out.p[b].w[0]);
			a++;
			b++;
		}
		assert_int_equal(a, in.n);
		assert_int_equal(b, out.n);
		free(in.p);
		free(out.p);
	}
	assert_true(params > 0); /* the corpus does use RPNs and programs */
}

/* ---- the DX7 bank ---- */

static void test_dx7_bank_sysex(void **state)
{
	(void)state;
	size_t n;
	uint8_t *raw = read_file(DX7_BANK, &n);
	if (!raw) {
		fprintf(stderr, "# SKIP: no " DX7_BANK " (install hexter)\n");
		skip();
	}
	assert_true(n >= 4096);
	/* the 32-voice bulk dump: F0 43 00 09 20 00, 4096 bytes, checksum, F7 */
	uint8_t sx[4104];
	unsigned sum = 0;
	memcpy(sx, (const uint8_t[]){0xF0, 0x43, 0x00, 0x09, 0x20, 0x00}, 6);
	for (size_t i = 0; i < 4096; i++) {
		assert_true(raw[i] < 0x80);
		sx[6 + i] = raw[i];
		sum += raw[i];
	}
	sx[4102] = (uint8_t)(-sum & 0x7F);
	sx[4103] = 0xF7;

	struct pkts u = {0}, c = {0}, c8 = {0};
	struct bytes back = {0};
	b2u_all(sx, sizeof sx, &u);
	/* 4102 payload bytes: Start, 682 Continue, End with 4 bytes */
	assert_int_equal(u.n, 684);
	assert_int_equal(u.p[0].w[0], 0x30164300);
	for (size_t i = 1; i < 683; i++)
		assert_int_equal(u.p[i].w[0] & 0xFFFF0000, 0x30260000);
	assert_int_equal(u.p[683].w[0] & 0xFFFF0000, 0x30340000);
	u2b_all(&u, &back);
	assert_int_equal(back.n, sizeof sx);
	assert_memory_equal(back.b, sx, sizeof sx);

	/* chunking the payload gives exactly the same packets */
	midi_sysex7_chunk(0, sx + 1, 4102, pkts_cb, &c);
	pkts_equal(&u, &c, "sysex7_chunk");
	midi_sysex8_chunk(0, 0, sx + 1, 4102, pkts_cb, &c8);
	assert_int_equal(c8.n, 316);

	/* reassembly gives the payload back */
	midi_sysex_asm a;
	const uint8_t *data = NULL;
	size_t len = 0;
	unsigned g, k;
	int done = 0;
	midi_sysex_asm_init(&a);
	for (size_t i = 0; i < u.n; i++)
		done += midi_sysex_asm_put(&a, &u.p[i], &g, &k, &data, &len);
	assert_int_equal(done, 1);
	assert_int_equal(len, 4102);
	assert_memory_equal(data, sx + 1, 4102);
	midi_sysex_asm_free(&a);

	/* byte by byte with clock bytes interleaved: same SysEx packets */
	struct pkts rt = {0};
	midi_b2u s;
	int trunc;
	midi_b2u_init(&s, 0);
	for (size_t i = 0; i < sizeof sx; i++) {
		static const uint8_t clk = 0xF8;
		if (i % 97 == 50)
			midi_b2u_feed(&s, &clk, 1, pkts_cb, &rt);
		midi_b2u_feed(&s, sx + i, 1, pkts_cb, &rt);
	}
	midi_b2u_end(&s, pkts_cb, &rt, &trunc);
	size_t kk = 0, nclk = 0;
	for (size_t i = 0; i < rt.n; i++) {
		if (rt.p[i].w[0] == 0x10F80000) {
			nclk++;
			continue;
		}
		assert_memory_equal(&rt.p[i], &u.p[kk], sizeof u.p[kk]);
		kk++;
	}
	assert_int_equal(kk, u.n);
	assert_int_equal(nclk, (sizeof sx + 46) / 97);
	free(rt.p);
	free(u.p);
	free(c.p);
	free(c8.p);
	free(back.b);
	free(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_parses),
		cmocka_unit_test(test_corpus_matches_mido),
		cmocka_unit_test(test_corpus_bytes_ump_bytes),
		cmocka_unit_test(test_corpus_running_status_and_splits),
		cmocka_unit_test(test_corpus_smf_to_ump),
		cmocka_unit_test(test_corpus_up_down),
		cmocka_unit_test(test_dx7_bank_sysex),
	};
	return cmocka_run_group_tests(tests, load_corpus, free_corpus);
}
