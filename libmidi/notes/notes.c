/* notes.c: what a sender left sounding (midi/notes.h). The state of every
 * note (group x channel x note: off, on by MT2, on by MT4) as of the
 * packets taken as delivered, plus a log of the packets that may still be
 * cancelled (due less than MIDI_NOTES_SETTLE_NS before the latest "now"),
 * in the order sent. Log entries leave from the front into the state as
 * they settle. midi_notes_cancelled drops the last entries in order of due
 * time (the scheduler's delivery order for one connection);
 * midi_notes_release applies the rest and sends a Note Off for each note
 * still on. midi_panic: the three channel mode messages on every channel. */
#include "midi/notes.h"

#include <stdlib.h>
#include <string.h>

#define KEYS (16 * 16 * 128)

enum { EV_OTHER, EV_ON, EV_OFF };

struct ent {
	uint64_t due;
	uint64_t seq;
	uint16_t key; /* group << 11 | channel << 7 | note */
	uint8_t ev;   /* EV_* */
	uint8_t mt;   /* 2 or 4 */
};

struct midi_notes {
	uint8_t st[KEYS];  /* 0 off, else the MT of the Note On that holds it */
	struct ent *log;
	size_t head, n, cap; /* entries log[head .. head + n) */
	uint64_t seq;
	int unknown;       /* a cancel of unknown size: every Note On counts */
	uint8_t maybe[KEYS]; /* unknown: notes that had a Note On in the log */
};

midi_notes *midi_notes_new(midi_error *e)
{
	midi_notes *n = calloc(1, sizeof *n);
	if (!n)
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	return n;
}

void midi_notes_free(midi_notes *n)
{
	if (n)
		free(n->log);
	free(n);
}

static void apply(uint8_t *st, const struct ent *x)
{
	if (x->ev == EV_ON)
		st[x->key] = x->mt;
	else if (x->ev == EV_OFF)
		st[x->key] = 0;
}

/* The note event of u, if any. */
static void classify(const midi_ump *u, struct ent *x)
{
	unsigned mt = midi_ump_mt(u), op = (u->w[0] >> 20) & 0xF;
	x->ev = EV_OTHER;
	if ((mt != 2 && mt != 4) || (op != 0x8 && op != 0x9))
		return;
	unsigned g = (u->w[0] >> 24) & 0xF, ch = (u->w[0] >> 16) & 0xF, note = (u->w[0] >> 8) & 0x7F;
	x->key = (uint16_t)(g << 11 | ch << 7 | note);
	x->mt = (uint8_t)mt;
	/* MIDI 1.0: a Note On of velocity 0 is a Note Off. */
	x->ev = op == 0x8 || (mt == 2 && (u->w[0] & 0x7F) == 0) ? EV_OFF : EV_ON;
}

int midi_notes_sent(midi_notes *n, const midi_ump *u, uint64_t due_ns, uint64_t now_ns,
		    midi_error *e)
{
	/* Settled entries leave the log for the state. */
	while (n->n && n->log[n->head].due + MIDI_NOTES_SETTLE_NS < now_ns) {
		apply(n->st, &n->log[n->head]);
		n->head++;
		n->n--;
	}
	if (n->n == 0)
		n->head = 0;
	if (n->head + n->n == n->cap) {
		if (n->head) { /* room at the front: move down */
			memmove(n->log, n->log + n->head, n->n * sizeof *n->log);
			n->head = 0;
		} else {
			size_t cap = n->cap ? n->cap * 2 : 256;
			struct ent *nl = realloc(n->log, cap * sizeof *nl);
			if (!nl)
				return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
			n->log = nl;
			n->cap = cap;
		}
	}
	struct ent *x = &n->log[n->head + n->n++];
	memset(x, 0, sizeof *x);
	x->due = due_ns ? due_ns : now_ns;
	x->seq = n->seq++;
	classify(u, x);
	return 0;
}

static int by_due(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void midi_notes_cancelled(midi_notes *n, uint64_t count)
{
	if (count == UINT64_MAX) {
		for (size_t k = 0; k < n->n; k++)
			if (n->log[n->head + k].ev == EV_ON)
				n->maybe[n->log[n->head + k].key] = n->log[n->head + k].mt;
		n->unknown = 1;
		return;
	}
	/* In delivery order, then the last count go. */
	qsort(n->log + n->head, n->n, sizeof *n->log, by_due);
	n->n -= count < n->n ? count : n->n;
}

long midi_notes_release(midi_notes *n, midi_ump_cb cb, void *ctx)
{
	qsort(n->log + n->head, n->n, sizeof *n->log, by_due);
	for (size_t k = 0; k < n->n; k++)
		apply(n->st, &n->log[n->head + k]);
	n->head = n->n = 0;
	long sent = 0;
	for (unsigned key = 0; key < KEYS; key++) {
		uint8_t mt = n->st[key] ? n->st[key] : n->unknown ? n->maybe[key] : 0;
		if (!mt)
			continue;
		n->st[key] = n->maybe[key] = 0;
		unsigned g = key >> 11, ch = (key >> 7) & 0xF, note = key & 0x7F;
		midi_ump u = {{(uint32_t)mt << 28 | g << 24 | 0x8u << 20 | ch << 16 | note << 8, 0, 0, 0}};
		if (cb(ctx, &u))
			return -1;
		sent++;
	}
	n->unknown = 0;
	return sent;
}

int midi_panic(unsigned group, midi_ump_cb cb, void *ctx)
{
	static const uint8_t cc[3] = {123, 120, 121};
	for (unsigned ch = 0; ch < 16; ch++)
		for (int k = 0; k < 3; k++) {
			midi_ump u = {{0x20000000u | (group & 0xF) << 24 | 0xBu << 20 | ch << 16 |
					       (uint32_t)cc[k] << 8, 0, 0, 0}};
			int r = cb(ctx, &u);
			if (r)
				return r;
		}
	return 0;
}
