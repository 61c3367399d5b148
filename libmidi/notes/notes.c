/* notes.c: what a sender left sounding (midi/notes.h). The state of every
 * note (group x channel x note: off, on by MT2, on by MT4) as of the
 * packets taken as delivered, plus a log of the packets that may still be
 * cancelled (due less than MIDI_NOTES_SETTLE_NS before the latest "now"),
 * in the order sent. The log is compact, for senders that hand over
 * millions of packets within the settling time: runs of packets sent one
 * after the other with the same due time (one run per batch of immediate
 * sends), each packet a 4-byte code (its note event, if any). Runs leave
 * from the front into the state as they settle. midi_notes_cancelled
 * drops the last packets in order of due time (the scheduler's delivery
 * order for one connection); midi_notes_release applies the rest and
 * sends a Note Off for each note still on. midi_panic: the three channel
 * mode messages on every channel. */
#include "midi/notes.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_BYTES (2u << 20)

#define KEYS (16 * 16 * 128)

/* A packet's code: 0 for no note event, else its key (group << 11 |
 * channel << 7 | note) with one of these. */
#define EV_ON2 (1u << 16) /* Note On, MIDI 1.0 protocol (MT2) */
#define EV_ON4 (2u << 16) /* Note On, MIDI 2.0 protocol (MT4) */
#define EV_OFF (3u << 16)
#define EV_MASK (3u << 16)
#define KEY_MASK 0xFFFFu

/* Packets seq .. seq + n - 1, all due at due, codes code[first ..]. */
struct run {
	uint64_t due;
	uint64_t seq;
	size_t first, n;
};

struct midi_notes {
	uint8_t st[KEYS];  /* 0 off, else the MT of the Note On that holds it */
	struct run *run;
	size_t head, nrun, rcap; /* runs run[head .. head + nrun) */
	uint32_t *code;
	size_t chead, cend, ccap; /* codes in use: code[chead .. cend) */
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
	if (n) {
		free(n->run);
		free(n->code);
	}
	free(n);
}

static unsigned code_mt(uint32_t c)
{
	return (c & EV_MASK) == EV_ON2 ? 2 : 4;
}

static void apply(uint8_t *st, uint32_t c)
{
	if ((c & EV_MASK) == EV_OFF)
		st[c & KEY_MASK] = 0;
	else if (c & EV_MASK)
		st[c & KEY_MASK] = (uint8_t)code_mt(c);
}

static void apply_run(midi_notes *n, const struct run *r)
{
	for (size_t k = 0; k < r->n; k++)
		apply(n->st, n->code[r->first + k]);
}

/* The note event of u, if any, as a code. */
static uint32_t classify(const midi_ump *u)
{
	unsigned mt = midi_ump_mt(u), op = (u->w[0] >> 20) & 0xF;
	if ((mt != 2 && mt != 4) || (op != 0x8 && op != 0x9))
		return 0;
	unsigned g = (u->w[0] >> 24) & 0xF, ch = (u->w[0] >> 16) & 0xF, note = (u->w[0] >> 8) & 0x7F;
	uint32_t key = g << 11 | ch << 7 | note;
	/* MIDI 1.0: a Note On of velocity 0 is a Note Off. */
	if (op == 0x8 || (mt == 2 && (u->w[0] & 0x7F) == 0))
		return key | EV_OFF;
	return key | (mt == 2 ? EV_ON2 : EV_ON4);
}

/* The array p of *cap elements of size elem with twice the room (first
 * when empty), *cap updated; NULL when out of memory (p left as it was). */
static void *grow(void *p, size_t *cap, size_t elem, size_t first)
{
	size_t c = *cap ? *cap * 2 : first;
	void *np;
#ifdef MADV_HUGEPAGE
	/* Megabytes (a sender handing over millions of packets within the
	 * settling time): in huge pages, one page fault for 2 MiB, not 512. */
	if (c * elem >= HUGE_BYTES) {
		np = aligned_alloc(HUGE_BYTES, c * elem);
		if (np) {
			madvise(np, c * elem, MADV_HUGEPAGE);
			if (p)
				memcpy(np, p, *cap * elem);
			free(p);
			*cap = c;
		}
		return np;
	}
#endif
	np = realloc(p, c * elem);
	if (np)
		*cap = c;
	return np;
}

/* Room for one more run and one more code (moving down or growing). */
static int make_room(midi_notes *n, int new_run)
{
	if (new_run && n->head + n->nrun == n->rcap) {
		if (n->head) {
			memmove(n->run, n->run + n->head, n->nrun * sizeof *n->run);
			n->head = 0;
		} else {
			struct run *nr = grow(n->run, &n->rcap, sizeof *n->run, 64);
			if (!nr)
				return -1;
			n->run = nr;
		}
	}
	if (n->cend == n->ccap) {
		if (n->chead) {
			memmove(n->code, n->code + n->chead, (n->cend - n->chead) * sizeof *n->code);
			for (size_t k = 0; k < n->nrun; k++)
				n->run[n->head + k].first -= n->chead;
			n->cend -= n->chead;
			n->chead = 0;
		} else {
			uint32_t *nc = grow(n->code, &n->ccap, sizeof *n->code, 1024);
			if (!nc)
				return -1;
			n->code = nc;
		}
	}
	return 0;
}

int midi_notes_sent(midi_notes *n, const midi_ump *u, uint64_t due_ns, uint64_t now_ns,
		    midi_error *e)
{
	/* Settled runs leave the log for the state (their codes too, when
	 * they are the first in use: after a cancel the runs are in due
	 * order, the others wait until the log is empty). */
	while (n->nrun && n->run[n->head].due + MIDI_NOTES_SETTLE_NS < now_ns) {
		const struct run *r = &n->run[n->head];
		apply_run(n, r);
		if (r->first == n->chead)
			n->chead += r->n;
		n->head++;
		n->nrun--;
	}
	if (n->nrun == 0)
		n->head = n->chead = n->cend = 0;
	uint64_t due = due_ns ? due_ns : now_ns;
	struct run *last = n->nrun ? &n->run[n->head + n->nrun - 1] : NULL;
	/* the same run: the same due time, the packet sent just before, its
	 * code next to the run's */
	int new_run = !last || last->due != due || last->seq + last->n != n->seq ||
		      last->first + last->n != n->cend;
	if (make_room(n, new_run) < 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	if (new_run) {
		last = &n->run[n->head + n->nrun++];
		*last = (struct run){.due = due, .seq = n->seq, .first = n->cend, .n = 0};
	} else {
		last = &n->run[n->head + n->nrun - 1];
	}
	n->code[n->cend++] = classify(u);
	last->n++;
	n->seq++;
	return 0;
}

static int by_due(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The runs in order of due time, equal times in the order sent (their
 * codes stay where they are). */
static void sort_runs(midi_notes *n)
{
	if (n->nrun)
		qsort(n->run + n->head, n->nrun, sizeof *n->run, by_due);
}

void midi_notes_cancelled(midi_notes *n, uint64_t count)
{
	if (count == UINT64_MAX) {
		for (size_t k = 0; k < n->nrun; k++) {
			const struct run *r = &n->run[n->head + k];
			for (size_t j = 0; j < r->n; j++) {
				uint32_t c = n->code[r->first + j];
				if ((c & EV_MASK) && (c & EV_MASK) != EV_OFF)
					n->maybe[c & KEY_MASK] = (uint8_t)code_mt(c);
			}
		}
		n->unknown = 1;
		return;
	}
	/* In delivery order, then the last count go. */
	sort_runs(n);
	while (count && n->nrun) {
		struct run *r = &n->run[n->head + n->nrun - 1];
		if (r->n > count) {
			r->n -= (size_t)count;
			break;
		}
		count -= r->n;
		n->nrun--;
	}
	if (n->nrun == 0)
		n->head = n->chead = n->cend = 0;
}

long midi_notes_release(midi_notes *n, midi_ump_cb cb, void *ctx)
{
	sort_runs(n);
	for (size_t k = 0; k < n->nrun; k++)
		apply_run(n, &n->run[n->head + k]);
	n->head = n->nrun = n->chead = n->cend = 0;
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
