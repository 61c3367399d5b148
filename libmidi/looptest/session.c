/* session.c: the accounting of one loop test run (midi/looptest.h): send
 * times of the numbered messages, matching what comes back, loss,
 * reordering, duplicates, foreign traffic, the window of messages in
 * flight and the latencies of first arrivals. */
#include <errno.h>
#include <stdlib.h>

#include "midi/looptest.h"

#define NOT_BACK UINT64_MAX

struct midi_looptest {
	enum midi_looptest_kind kind;
	unsigned group, tag;
	uint64_t count, sent;
	uint64_t *sent_ns;  /* per number: when it was sent */
	uint64_t *lat_ns;   /* per number: latency of its first arrival, or NOT_BACK */
	uint64_t received, reordered, duplicates, foreign;
	uint64_t highest;   /* highest number received + 1, 0 before any */
	uint64_t oldest;    /* numbers below are out of the window */
	uint64_t in_window; /* numbers in [oldest, sent) not received */
};

midi_looptest *midi_looptest_new(enum midi_looptest_kind kind, unsigned group, unsigned tag,
				 uint64_t count, midi_error *e)
{
	if ((unsigned)kind > MIDI_LOOPTEST_UMP) {
		midi_error_set(e, MIDI_ERR_INPUT, "unknown loop test kind %d", (int)kind);
		return NULL;
	}
	if (count < 1 || count > MIDI_LOOPTEST_MAX_COUNT) {
		midi_error_set(e, MIDI_ERR_INPUT, "loop test count %llu is not within 1-%u",
			       (unsigned long long)count, MIDI_LOOPTEST_MAX_COUNT);
		return NULL;
	}
	if (group > 15 || tag > 127) {
		midi_error_set(e, MIDI_ERR_INPUT, "loop test group %u or tag %u out of range", group, tag);
		return NULL;
	}
	midi_looptest *t = calloc(1, sizeof *t);
	if (t) {
		t->sent_ns = malloc(count * sizeof *t->sent_ns);
		t->lat_ns = malloc(count * sizeof *t->lat_ns);
	}
	if (!t || !t->sent_ns || !t->lat_ns) {
		midi_looptest_free(t);
		midi_error_sys(e, ENOMEM, "cannot keep the times of %llu test messages",
			       (unsigned long long)count);
		return NULL;
	}
	for (uint64_t i = 0; i < count; i++)
		t->lat_ns[i] = NOT_BACK;
	t->kind = kind;
	t->group = group;
	t->tag = tag;
	t->count = count;
	return t;
}

void midi_looptest_free(midi_looptest *t)
{
	if (!t)
		return;
	free(t->sent_ns);
	free(t->lat_ns);
	free(t);
}

int midi_looptest_next(midi_looptest *t, uint64_t now_ns, midi_ump *out)
{
	if (t->sent >= t->count)
		return 0;
	*out = midi_looptest_encode(t->kind, t->group, t->tag, t->sent);
	t->sent_ns[t->sent++] = now_ns;
	t->in_window++;
	return 1;
}

enum midi_looptest_arrival midi_looptest_receive(midi_looptest *t, const midi_packet *p)
{
	uint64_t wire, seq;
	if (!midi_looptest_decode(t->kind, t->tag, &p->ump, &wire) ||
	    midi_looptest_unwrap(t->kind, wire, t->sent, &seq) < 0) {
		t->foreign++;
		return MIDI_LOOPTEST_FOREIGN;
	}
	if (t->lat_ns[seq] != NOT_BACK) {
		t->duplicates++;
		return MIDI_LOOPTEST_DUPLICATE;
	}
	uint64_t sent = t->sent_ns[seq];
	uint64_t lat = p->time_ns > sent ? p->time_ns - sent : 0;
	t->lat_ns[seq] = lat == NOT_BACK ? NOT_BACK - 1 : lat;
	t->received++;
	if (seq + 1 < t->highest)
		t->reordered++;
	else
		t->highest = seq + 1;
	if (seq >= t->oldest)
		t->in_window--;
	return MIDI_LOOPTEST_RECEIVED;
}

uint64_t midi_looptest_in_flight(midi_looptest *t, uint64_t now_ns, uint64_t max_age_ns)
{
	while (t->oldest < t->sent) {
		uint64_t i = t->oldest;
		int back = t->lat_ns[i] != NOT_BACK;
		if (!back && now_ns - t->sent_ns[i] <= max_age_ns)
			break;
		if (!back)
			t->in_window--;
		t->oldest++;
	}
	return t->in_window;
}

int midi_looptest_oldest(const midi_looptest *t, uint64_t *sent_ns)
{
	for (uint64_t i = t->oldest; i < t->sent; i++) {
		if (t->lat_ns[i] == NOT_BACK) {
			*sent_ns = t->sent_ns[i];
			return 1;
		}
	}
	return 0;
}

void midi_looptest_get_counts(const midi_looptest *t, midi_looptest_counts *c)
{
	c->count = t->count;
	c->sent = t->sent;
	c->received = t->received;
	c->lost = t->sent - t->received;
	c->reordered = t->reordered;
	c->duplicates = t->duplicates;
	c->foreign = t->foreign;
}

int midi_looptest_latency(const midi_looptest *t, midi_latency_stats *out, midi_error *e)
{
	uint64_t *v = malloc((t->received ? t->received : 1) * sizeof *v);
	if (!v)
		return midi_error_sys(e, ENOMEM, "cannot collect %llu latencies",
				      (unsigned long long)t->received);
	size_t n = 0;
	for (uint64_t i = 0; i < t->sent && n < t->received; i++)
		if (t->lat_ns[i] != NOT_BACK)
			v[n++] = t->lat_ns[i];
	int rc = midi_latency_stats_of(v, n, out, e);
	free(v);
	return rc;
}
