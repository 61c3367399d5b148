/* smf.c: Standard MIDI File reader (midi_smf_parse). Reads MThd and every
 * MTrk chunk (other chunks are skipped), collects the events of each track
 * with their absolute tick (format 2: each track starts where the previous
 * one ended), sorts them by (tick, track, file order), turns ticks into
 * nanoseconds with the tempo map (FF 51 from any track; default 120 bpm)
 * or the SMPTE division, and calls back with complete byte-stream events:
 * channel messages with their status byte (running status resolved), F0
 * events as F0 + body (the body ends with F7 unless it is the first packet
 * of a SysEx continued by F7 events), F7 events as their raw bytes. Meta
 * events are not emitted; they leave running status alone (as in mido and
 * most readers), while SysEx events cancel it (SMF 1.0). Events longer
 * than 65535 bytes (the event length field) are delivered as several
 * consecutive events of the same time, the later ones as raw continuation
 * bytes, so a consumer that concatenates event bytes sees the whole SysEx.
 * With MIDI_SMF_TEMPO, tempo changes are called back too (FF 51 03 tt tt
 * tt), before the events of their tick. */
#include "midi/smf.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_TEMPO_US 500000u
#define MAX_EVENT_LEN 65535u

struct smf_ev {
	uint64_t tick;
	size_t off;       /* body in the file */
	uint32_t len;     /* body length */
	uint32_t seq;     /* order in the file */
	uint16_t track;
	uint8_t prefix;   /* byte put before the body (0 = none) */
};

struct smf_tempo {
	uint64_t tick;
	uint32_t seq;
	uint16_t track;
	uint32_t us_per_qn;
};

struct smf {
	const uint8_t *buf;
	size_t n;
	midi_error *e;
	struct smf_ev *ev;
	size_t nev, cap;
	struct smf_tempo *tempo;
	size_t ntempo, tcap;
	size_t *run;              /* start of each track's events in ev */
	size_t nrun, rcap;
	uint32_t seq;
	unsigned format, tpq;     /* ticks per quarter note (0 when SMPTE) */
	unsigned ntrks;           /* tracks the header declares */
	unsigned fps, tpf;        /* SMPTE frames per second (29 = 29.97), ticks per frame */
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int oom(struct smf *s)
{
	return midi_error_set(s->e, MIDI_ERR_RUNTIME, "out of memory reading MIDI file");
}

int smf_grow(void **arr, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : first;
	while (nc < need)
		nc *= 2;
	void *p = realloc(*arr, nc * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = nc;
	return 0;
}

static int push_ev(struct smf *s, uint64_t tick, unsigned track, uint8_t prefix, size_t off,
		   size_t len)
{
	/* split bodies too long for one event (see the top comment) */
	do {
		size_t room = MAX_EVENT_LEN - (prefix ? 1 : 0);
		size_t take = len > room ? room : len;
		if (smf_grow((void **)&s->ev, &s->cap, s->nev + 1, sizeof *s->ev, 256) < 0)
			return oom(s);
		s->ev[s->nev++] = (struct smf_ev){.tick = tick, .off = off, .len = (uint32_t)take,
						  .seq = s->seq++, .track = track, .prefix = prefix};
		off += take;
		len -= take;
		prefix = 0;
	} while (len > 0);
	return 0;
}

/* Variable-length quantity at *pos (at most 4 bytes, before end). */
static int read_vlq(struct smf *s, size_t *pos, size_t end, uint32_t *out, const char *what)
{
	uint32_t v = 0;
	size_t start = *pos;
	*out = 0;
	for (int i = 0; i < 4; i++) {
		if (*pos >= end)
			return midi_error_set(s->e, MIDI_ERR_INPUT,
					      "%s at byte offset %zu runs past the end of its track chunk",
					      what, start);
		uint8_t b = s->buf[(*pos)++];
		v = v << 7 | (b & 0x7F);
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return midi_error_set(s->e, MIDI_ERR_INPUT,
			      "%s at byte offset %zu: variable-length quantity longer than 4 bytes",
			      what, start);
}

static unsigned data_bytes(uint8_t status)
{
	unsigned hi = status & 0xF0;
	return hi == 0xC0 || hi == 0xD0 ? 1 : 2;
}

/* One MTrk chunk body [pos, end); returns its end tick in *end_tick. */
static int parse_track(struct smf *s, size_t pos, size_t end, unsigned track, uint64_t base,
		       uint64_t *end_tick)
{
	uint64_t tick = base;
	uint8_t running = 0;
	int rc;

	while (pos < end) {
		uint32_t delta, len;
		if ((rc = read_vlq(s, &pos, end, &delta, "delta time")) < 0)
			return rc;
		tick += delta;
		if (pos >= end)
			return midi_error_set(s->e, MIDI_ERR_INPUT,
					      "track %u: event at byte offset %zu runs past the end of its track chunk",
					      track + 1, pos);
		size_t at = pos;
		uint8_t b = s->buf[pos];
		if (b == 0xFF) {
			if (pos + 2 > end)
				return midi_error_set(s->e, MIDI_ERR_INPUT,
						      "track %u: meta event at byte offset %zu runs past the end of its track chunk",
						      track + 1, at);
			uint8_t type = s->buf[pos + 1];
			pos += 2;
			if ((rc = read_vlq(s, &pos, end, &len, "meta event length")) < 0)
				return rc;
			if (len > end - pos)
				return midi_error_set(s->e, MIDI_ERR_INPUT,
						      "track %u: meta event at byte offset %zu: %u bytes of data run past the end of its track chunk",
						      track + 1, at, len);
			if (type == 0x51 && len >= 3) {
				if (smf_grow((void **)&s->tempo, &s->tcap, s->ntempo + 1, sizeof *s->tempo, 256) < 0)
					return oom(s);
				const uint8_t *d = s->buf + pos;
				uint32_t us = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2];
				s->tempo[s->ntempo++] = (struct smf_tempo){
					.tick = tick, .seq = s->seq++, .track = track,
					.us_per_qn = us ? us : DEFAULT_TEMPO_US};
			}
			pos += len;
			if (type == 0x2F)
				break; /* End of Track: anything after it is ignored */
		} else if (b == 0xF0 || b == 0xF7) {
			pos++;
			if ((rc = read_vlq(s, &pos, end, &len, "SysEx event length")) < 0)
				return rc;
			if (len > end - pos)
				return midi_error_set(s->e, MIDI_ERR_INPUT,
						      "track %u: SysEx event at byte offset %zu: %u bytes of data run past the end of its track chunk",
						      track + 1, at, len);
			if (len > 0 || b == 0xF0)
				if ((rc = push_ev(s, tick, track, b == 0xF0 ? 0xF0 : 0, pos, len)) < 0)
					return rc;
			pos += len;
			running = 0;
		} else {
			uint8_t status = running;
			uint8_t prefix = 0;
			size_t body = pos;
			if (b & 0x80) {
				if (b > 0xEF)
					return midi_error_set(s->e, MIDI_ERR_INPUT,
							      "track %u: status byte 0x%02X at byte offset %zu is not allowed in a MIDI file",
							      track + 1, b, at);
				status = running = b;
				pos++;
			} else if (!status) {
				return midi_error_set(s->e, MIDI_ERR_INPUT,
						      "track %u: data byte 0x%02X at byte offset %zu with no running status set",
						      track + 1, b, at);
			} else {
				prefix = status;
			}
			unsigned nd = data_bytes(status);
			if (nd > end - pos)
				return midi_error_set(s->e, MIDI_ERR_INPUT,
						      "track %u: message 0x%02X at byte offset %zu runs past the end of its track chunk",
						      track + 1, status, at);
			for (unsigned i = 0; i < nd; i++)
				if (s->buf[pos + i] & 0x80)
					return midi_error_set(s->e, MIDI_ERR_INPUT,
							      "track %u: byte 0x%02X at byte offset %zu: data byte expected for message 0x%02X",
							      track + 1, s->buf[pos + i], pos + i, status);
			pos += nd;
			if ((rc = push_ev(s, tick, track, prefix, body, pos - body)) < 0)
				return rc;
		}
	}
	*end_tick = tick;
	return 0;
}

static int parse_header(struct smf *s, size_t *pos)
{
	if (s->n < 8 || memcmp(s->buf, "MThd", 4) != 0)
		return midi_error_set(s->e, MIDI_ERR_INPUT,
				      "not a Standard MIDI File: no MThd chunk at byte offset 0");
	uint32_t hlen = be32(s->buf + 4);
	if (hlen < 6)
		return midi_error_set(s->e, MIDI_ERR_INPUT,
				      "MThd chunk at byte offset 0: length %u, at least 6 expected", hlen);
	if (hlen > s->n - 8)
		return midi_error_set(s->e, MIDI_ERR_INPUT,
				      "truncated chunk 'MThd' at byte offset 0: %u bytes declared, %zu present",
				      hlen, s->n - 8);
	const uint8_t *h = s->buf + 8;
	s->format = be16(h);
	s->ntrks = be16(h + 2);
	unsigned division = be16(h + 4);
	if (s->format > 2)
		return midi_error_set(s->e, MIDI_ERR_INPUT,
				      "MThd at byte offset 0: unsupported format %u (0, 1 or 2 expected)",
				      s->format);
	if (division & 0x8000) {
		int fps = -(int)(int8_t)(division >> 8);
		s->fps = (unsigned)fps;
		s->tpf = division & 0xFF;
		if ((fps != 24 && fps != 25 && fps != 29 && fps != 30) || s->tpf == 0)
			return midi_error_set(s->e, MIDI_ERR_INPUT,
					      "MThd at byte offset 12: bad SMPTE division 0x%04X",
					      division);
	} else {
		s->tpq = division;
		if (s->tpq == 0)
			return midi_error_set(s->e, MIDI_ERR_INPUT,
					      "MThd at byte offset 12: division of 0 ticks per quarter note");
	}
	*pos = 8 + (size_t)hlen;
	return 0;
}

static int parse_chunks(struct smf *s)
{
	size_t pos = 0;
	unsigned track = 0;
	uint64_t base = 0;
	int rc = parse_header(s, &pos);
	if (rc < 0)
		return rc;
	while (pos < s->n) {
		if (s->n - pos < 8)
			return midi_error_set(s->e, MIDI_ERR_INPUT,
					      "truncated chunk header at byte offset %zu: %zu bytes left, 8 needed",
					      pos, s->n - pos);
		const uint8_t *c = s->buf + pos;
		uint32_t len = be32(c + 4);
		char id[5];
		for (int i = 0; i < 4; i++)
			id[i] = c[i] >= 0x20 && c[i] < 0x7F ? (char)c[i] : '?';
		id[4] = 0;
		if (len > s->n - pos - 8)
			return midi_error_set(s->e, MIDI_ERR_INPUT,
					      "truncated chunk '%s' at byte offset %zu: %u bytes declared, %zu present",
					      id, pos, len, s->n - pos - 8);
		if (memcmp(c, "MTrk", 4) == 0) {
			uint64_t end_tick = base;
			if (track == 0xFFFF)
				return midi_error_set(s->e, MIDI_ERR_INPUT,
						      "too many tracks (chunk at byte offset %zu)", pos);
			if (smf_grow((void **)&s->run, &s->rcap, s->nrun + 1, sizeof *s->run, 256) < 0)
				return oom(s);
			s->run[s->nrun++] = s->nev;
			rc = parse_track(s, pos + 8, pos + 8 + len, track, base, &end_tick);
			if (rc < 0)
				return rc;
			if (s->format == 2)
				base = end_tick;
			track++;
		}
		pos += 8 + (size_t)len;
	}
	/* A file cut at a chunk boundary parses cleanly up to its end: only
	 * the track count of the header tells that tracks are missing. */
	if (track < s->ntrks)
		return midi_error_set(s->e, MIDI_ERR_INPUT,
				      "MThd at byte offset 10 declares %u track%s, file ends after %u at byte offset %zu",
				      s->ntrks, s->ntrks == 1 ? "" : "s", track, s->n);
	return 0;
}

/* Each track's events are already in tick order and the tracks lie in
 * track order in s->ev: merge the runs pairwise (stable, left run first on
 * equal ticks), O(n log tracks). */
static int merge_tracks(struct smf *s)
{
	if (s->nrun < 2)
		return 0;
	struct smf_ev *tmp = malloc(s->nev * sizeof *tmp);
	if (!tmp)
		return oom(s);
	struct smf_ev *src = s->ev, *dst = tmp;
	size_t nrun = s->nrun;
	size_t *bound = s->run; /* run i is [bound[i], bound[i+1]) */
	if (smf_grow((void **)&s->run, &s->rcap, s->nrun + 1, sizeof *s->run, 256) < 0) {
		free(tmp);
		return oom(s);
	}
	bound = s->run;
	bound[nrun] = s->nev;
	while (nrun > 1) {
		size_t out = 0, k = 0;
		for (size_t r = 0; r < nrun; r += 2) {
			size_t a = bound[r], am = bound[r + 1];
			size_t b = am, bm = r + 2 <= nrun ? bound[r + 2] : am;
			if (r + 1 >= nrun)
				bm = am;
			bound[k++] = out;
			while (a < am && b < bm)
				dst[out++] = src[b].tick < src[a].tick ? src[b++] : src[a++];
			while (a < am)
				dst[out++] = src[a++];
			while (b < bm)
				dst[out++] = src[b++];
		}
		bound[k] = out;
		nrun = k;
		struct smf_ev *t = src;
		src = dst;
		dst = t;
	}
	if (src != s->ev) {
		free(s->ev);
		s->ev = src;
	} else {
		free(tmp);
	}
	return 0;
}

static int cmp_tempo(const void *a, const void *b)
{
	const struct smf_tempo *x = a, *y = b;
	if (x->tick != y->tick)
		return x->tick < y->tick ? -1 : 1;
	if (x->track != y->track)
		return x->track < y->track ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Ticks -> ns, walking the tempo map forward (ticks must not decrease). */
struct clock {
	const struct smf *s;
	size_t next;          /* next tempo change */
	uint64_t seg_tick, seg_ns;
	uint32_t us_per_qn;
};

static uint64_t ticks_ns(const struct smf *s, uint64_t ticks, uint32_t us_per_qn)
{
	unsigned __int128 t = ticks;
	if (s->tpq)
		return (uint64_t)(t * us_per_qn * 1000u / s->tpq);
	if (s->fps == 29)
		return (uint64_t)(t * 1001000000000ull / (30000ull * s->tpf));
	return (uint64_t)(t * 1000000000ull / ((uint64_t)s->fps * s->tpf));
}

static uint64_t clock_at(struct clock *c, uint64_t tick)
{
	const struct smf *s = c->s;
	if (s->tpq) {
		while (c->next < s->ntempo && s->tempo[c->next].tick <= tick) {
			const struct smf_tempo *t = &s->tempo[c->next++];
			c->seg_ns += ticks_ns(s, t->tick - c->seg_tick, c->us_per_qn);
			c->seg_tick = t->tick;
			c->us_per_qn = t->us_per_qn;
		}
	}
	return c->seg_ns + ticks_ns(s, tick - c->seg_tick, c->us_per_qn);
}

/* With MIDI_SMF_TEMPO: call back the tempo changes up to tick. */
static int tempo_events(const struct smf *s, struct clock *clk, size_t *ti, uint64_t tick,
			midi_smf_cb cb, void *ctx)
{
	while (*ti < s->ntempo && s->tempo[*ti].tick <= tick) {
		const struct smf_tempo *t = &s->tempo[(*ti)++];
		uint8_t d[6] = {0xFF, 0x51, 0x03, (uint8_t)(t->us_per_qn >> 16),
				(uint8_t)(t->us_per_qn >> 8), (uint8_t)t->us_per_qn};
		midi_smf_event ev = {.time_ns = clock_at(clk, t->tick), .tick = t->tick,
				     .track = t->track, .len = sizeof d, .data = d};
		int rc = cb(ctx, &ev);
		if (rc)
			return rc;
	}
	return 0;
}

int midi_smf_parse(const uint8_t *buf, size_t n, midi_smf_cb cb, void *ctx, midi_error *e)
{
	return midi_smf_parse_flags(buf, n, 0, cb, ctx, e);
}

int midi_smf_parse_flags(const uint8_t *buf, size_t n, unsigned flags, midi_smf_cb cb, void *ctx,
			 midi_error *e)
{
	struct smf s = {.buf = buf, .n = n, .e = e};
	uint8_t *scratch = NULL;
	int rc = parse_chunks(&s);
	if (rc < 0)
		goto out;
	rc = merge_tracks(&s);
	if (rc < 0)
		goto out;
	if (s.ntempo > 1)
		qsort(s.tempo, s.ntempo, sizeof *s.tempo, cmp_tempo);
	scratch = malloc(MAX_EVENT_LEN);
	if (!scratch) {
		rc = oom(&s);
		goto out;
	}
	struct clock clk = {.s = &s, .us_per_qn = DEFAULT_TEMPO_US};
	size_t ti = (flags & MIDI_SMF_TEMPO) && s.tpq ? 0 : s.ntempo; /* next tempo to call back */
	for (size_t i = 0; i < s.nev; i++) {
		const struct smf_ev *v = &s.ev[i];
		size_t k = 0;
		if ((rc = tempo_events(&s, &clk, &ti, v->tick, cb, ctx)) != 0)
			goto out;
		if (v->prefix)
			scratch[k++] = v->prefix;
		if (v->len)
			memcpy(scratch + k, buf + v->off, v->len);
		k += v->len;
		midi_smf_event ev = {.time_ns = clock_at(&clk, v->tick), .tick = v->tick,
				     .track = v->track, .len = (uint16_t)k, .data = scratch};
		rc = cb(ctx, &ev);
		if (rc)
			goto out;
	}
	rc = tempo_events(&s, &clk, &ti, UINT64_MAX, cb, ctx);
out:
	free(scratch);
	free(s.ev);
	free(s.tempo);
	free(s.run);
	return rc;
}
