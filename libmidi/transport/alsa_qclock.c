/* alsa_qclock.c: the alsa host's offset between its sequencer queue's real
 * time (which stamps what arrives) and CLOCK_MONOTONIC (which the toolkit's
 * packets carry). Each measurement brackets one read of the queue's time
 * between two clock reads: the offset lies within that window. The most
 * precise one is kept, and a new one replaces it when it is as precise,
 * when the kept one is old, or when the two windows do not overlap: the
 * queue's clock moved against CLOCK_MONOTONIC since (its timer advances by
 * nominal ticks; stamps made with a stale offset carry all the drift since
 * it was measured). No kernel needed: the host does the reads
 * (alsa_host.c). */
#include "transport/alsa.h"

int alsa_qclock_update(struct alsa_qclock *q, int64_t off, uint64_t win, uint64_t now)
{
	if (!win)
		win = 1;
	uint64_t apart = off > q->off ? (uint64_t)(off - q->off) : (uint64_t)(q->off - off);
	int moved = q->win && apart > win / 2 + q->win / 2;
	if (q->win && win > q->win && now - q->at < ALSA_QCLOCK_KEEP_NS && !moved)
		return 0;
	q->off = off;
	q->win = win;
	q->at = now;
	return 1;
}

uint64_t alsa_qclock_stamp(const struct alsa_qclock *q, uint64_t queue_ns, uint64_t now)
{
	if (!q->win)
		return 0;
	int64_t t = q->off + (int64_t)queue_ns;
	return t <= 0 || (uint64_t)t > now ? 0 : (uint64_t)t;
}
