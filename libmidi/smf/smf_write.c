/* smf_write.c: the Standard MIDI File writer's tracks and file image
 * (midi_smf_writer_new/free/event/finish): events kept per track by tick,
 * written at finish as MThd plus one MTrk per track, with delta times, no
 * running status, SysEx as F0 events (length, then the bytes after F0, F7
 * included), System Common and Real-Time messages as F7 escape events, and
 * an End of Track at each track's last event. A delta time too large for
 * a variable-length quantity (2^28 ticks) is bridged by empty text meta
 * events. Timed UMP packets are turned into events by smf_put.c. */
#include "smf_priv.h"

#include <stdlib.h>
#include <string.h>

#define VLQ_MAX 0x0FFFFFFFu

midi_smf_writer *midi_smf_writer_new(const midi_smf_wopts *o, midi_error *e)
{
	midi_smf_wopts d = {.format = 1};
	if (!o)
		o = &d;
	if (o->format > 1) {
		midi_error_set(e, MIDI_ERR_INPUT, "MIDI file format %u cannot be written (0 or 1)",
			       o->format);
		return NULL;
	}
	if (o->division > 0x7FFF) {
		midi_error_set(e, MIDI_ERR_INPUT,
			       "division of %u ticks per quarter note out of range 1-32767",
			       o->division);
		return NULL;
	}
	if (o->tempo_us > 0xFFFFFF) {
		midi_error_set(e, MIDI_ERR_INPUT,
			       "tempo of %u microseconds per quarter note out of range 1-16777215",
			       (unsigned)o->tempo_us);
		return NULL;
	}
	midi_smf_writer *w = calloc(1, sizeof *w);
	if (!w) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	w->format = o->format;
	w->division = o->division ? o->division : SMFW_DIVISION;
	w->origin_ns = o->origin_ns;
	w->from_first = o->from_first;
	midi_sysex_asm_init(&w->sx);
	uint32_t us = o->tempo_us ? o->tempo_us : SMFW_TEMPO_US;
	w->seg = malloc(sizeof *w->seg);
	if (!w->seg || smfw_tempo(w, 0, us) < 0) {
		midi_smf_writer_free(w);
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	w->seg[0] = (struct smfw_seg){.ns = 0, .tick = 0, .us = us};
	w->nseg = w->segcap = 1;
	return w;
}

void midi_smf_writer_free(midi_smf_writer *w)
{
	if (!w)
		return;
	for (size_t t = 0; t < w->ntr; t++) {
		free(w->tr[t].ev);
		free(w->tr[t].data);
	}
	free(w->tr);
	free(w->seg);
	midi_sysex_asm_free(&w->sx);
	free(w);
}


int smfw_add(midi_smf_writer *w, unsigned track, uint64_t tick, uint8_t meta,
	     const uint8_t *data, size_t len)
{
	if (track >= w->ntr) {
		struct smfw_track *nt = realloc(w->tr, (track + 1) * sizeof *nt);
		if (!nt)
			return -1;
		memset(nt + w->ntr, 0, (track + 1 - w->ntr) * sizeof *nt);
		w->tr = nt;
		w->ntr = track + 1;
	}
	struct smfw_track *t = &w->tr[track];
	if (len > UINT32_MAX || t->len + len > UINT32_MAX ||
	    smf_grow((void **)&t->ev, &t->cap, t->nev + 1, sizeof *t->ev, 64) < 0 ||
	    smf_grow((void **)&t->data, &t->dcap, t->len + len, 1, 64) < 0)
		return -1;
	if (tick < t->last)
		tick = t->last;
	if (len)
		memcpy(t->data + t->len, data, len);
	t->ev[t->nev++] = (struct smfw_ev){.tick = tick, .off = (uint32_t)t->len,
					   .len = (uint32_t)len, .meta = meta};
	t->len += len;
	t->last = tick;
	return 0;
}

int smfw_tempo(midi_smf_writer *w, uint64_t tick, uint32_t us)
{
	uint8_t d[3] = {(uint8_t)(us >> 16), (uint8_t)(us >> 8), (uint8_t)us};
	if (w->ntr) {
		struct smfw_track *t = &w->tr[0];
		struct smfw_ev *last = t->nev ? &t->ev[t->nev - 1] : NULL;
		if (last && last->meta == 0x51 && last->tick >= tick) {
			memcpy(t->data + last->off, d, 3);
			return 0;
		}
	}
	return smfw_add(w, 0, tick, 0x51, d, 3);
}

/* Length of the MIDI 1.0 message starting with status s, 0 if none. */
static size_t msg_len(uint8_t s)
{
	if (s < 0x80)
		return 0;
	if (s < 0xF0)
		return (s & 0xF0) == 0xC0 || (s & 0xF0) == 0xD0 ? 2 : 3;
	switch (s) {
	case 0xF1:
	case 0xF3: return 2;
	case 0xF2: return 3;
	case 0xF6:
	case 0xF8:
	case 0xFA:
	case 0xFB:
	case 0xFC:
	case 0xFE:
	case 0xFF: return 1;
	default: return 0;
	}
}

int midi_smf_writer_event(midi_smf_writer *w, uint64_t tick, unsigned track, const uint8_t *data,
			  size_t len, midi_error *e)
{
	if (track >= (w->format == 0 ? 1u : SMFW_MAX_TRACKS))
		return midi_error_set(e, MIDI_ERR_INPUT, "track %u out of range 0-%u", track,
				      w->format == 0 ? 0u : SMFW_MAX_TRACKS - 1);
	if (len == 0)
		return midi_error_set(e, MIDI_ERR_INPUT, "empty MIDI event");
	if (track < w->ntr && tick < w->tr[track].last)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "tick %llu on track %u is before the track's last event (tick %llu)",
				      (unsigned long long)tick, track,
				      (unsigned long long)w->tr[track].last);
	size_t need = data[0] == 0xF0 ? len : msg_len(data[0]);
	if (need == 0)
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "0x%02X does not start a MIDI message that a file can hold", data[0]);
	if (len != need || (data[0] == 0xF0 && (len < 2 || data[len - 1] != 0xF7)))
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "MIDI message 0x%02X of %zu bytes: %s", data[0], len,
				      data[0] == 0xF0 ? "a SysEx must end with F7" : "wrong length");
	for (size_t i = 1; i + (data[0] == 0xF0) < len; i++)
		if (data[i] & 0x80)
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "MIDI message 0x%02X: byte %zu (0x%02X) is not a data byte",
					      data[0], i, data[i]);
	if (smfw_add(w, track, tick, 0, data, len) < 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	return 0;
}

uint64_t midi_smf_writer_dropped(const midi_smf_writer *w)
{
	return w->dropped;
}

/* ---- the image ---- */
struct out {
	uint8_t *b;
	size_t n, cap;
	int oom;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->oom || smf_grow((void **)&o->b, &o->cap, o->n + n, 1, 64) < 0) {
		o->oom = 1;
		return;
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put_byte(struct out *o, uint8_t b)
{
	put(o, &b, 1);
}

static void put_vlq(struct out *o, uint32_t v)
{
	uint8_t t[5];
	int k = 0;
	t[k++] = v & 0x7F;
	while (v >>= 7)
		t[k++] = (uint8_t)(0x80 | (v & 0x7F));
	while (k)
		put_byte(o, t[--k]);
}

static void put_be(struct out *o, uint32_t v, int bytes)
{
	while (bytes--)
		put_byte(o, (uint8_t)(v >> (bytes * 8)));
}

static void put_delta(struct out *o, uint64_t delta)
{
	while (delta > VLQ_MAX) { /* empty text events carry the rest */
		put_vlq(o, VLQ_MAX);
		put(o, "\xFF\x01\x00", 3);
		delta -= VLQ_MAX;
	}
	put_vlq(o, (uint32_t)delta);
}

static void put_track(struct out *o, const struct smfw_track *t)
{
	put(o, "MTrk", 4);
	size_t at = o->n;
	put_be(o, 0, 4);
	uint64_t tick = 0;
	for (size_t i = 0; i < t->nev; i++) {
		const struct smfw_ev *v = &t->ev[i];
		const uint8_t *d = t->data + v->off;
		put_delta(o, v->tick - tick);
		tick = v->tick;
		if (v->meta) {
			put_byte(o, 0xFF);
			put_byte(o, v->meta);
			put_vlq(o, v->len);
			put(o, d, v->len);
		} else if (d[0] == 0xF0) {
			put_byte(o, 0xF0);
			put_vlq(o, v->len - 1);
			put(o, d + 1, v->len - 1);
		} else if (d[0] > 0xF0) {
			put_byte(o, 0xF7);
			put_vlq(o, v->len);
			put(o, d, v->len);
		} else {
			put(o, d, v->len);
		}
	}
	put(o, "\x00\xFF\x2F\x00", 4);
	if (o->oom)
		return;
	size_t len = o->n - at - 4;
	for (int k = 0; k < 4; k++)
		o->b[at + (size_t)k] = (uint8_t)(len >> (24 - 8 * k));
}

int midi_smf_writer_finish(midi_smf_writer *w, uint8_t **out, size_t *n, midi_error *e)
{
	struct out o = {0};
	*out = NULL;
	*n = 0;
	put(&o, "MThd", 4);
	put_be(&o, 6, 4);
	put_be(&o, w->format, 2);
	put_be(&o, (uint32_t)w->ntr, 2);
	put_be(&o, w->division, 2);
	for (size_t t = 0; t < w->ntr; t++)
		put_track(&o, &w->tr[t]);
	if (o.oom) {
		free(o.b);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory writing MIDI file");
	}
	if (o.n > UINT32_MAX) { /* a track chunk's length might not fit */
		free(o.b);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "MIDI file too large (over 4 GiB)");
	}
	*out = o.b;
	*n = o.n;
	return 0;
}
