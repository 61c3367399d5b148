/* stats.c: latency statistics for the loop test (midi/looptest.h):
 * nearest-rank percentiles, minimum, median, p99, maximum, mean and the
 * jitter (population standard deviation). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "midi/looptest.h"

uint64_t midi_percentile(const uint64_t *sorted, size_t n, unsigned pct)
{
	if (pct > 100)
		pct = 100;
	size_t rank = (size_t)(((unsigned long long)n * pct + 99) / 100);
	return sorted[rank ? rank - 1 : 0];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int midi_latency_stats_of(const uint64_t *v, size_t n, midi_latency_stats *out, midi_error *e)
{
	memset(out, 0, sizeof *out);
	if (n == 0)
		return 0;
	uint64_t *s = malloc(n * sizeof *s);
	if (!s)
		return midi_error_sys(e, ENOMEM, "cannot sort %zu latencies", n);
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_u64);
	out->n = n;
	out->min = s[0];
	out->max = s[n - 1];
	out->median = midi_percentile(s, n, 50);
	out->p99 = midi_percentile(s, n, 99);
	/* Two passes over the sorted values: mean, then squared deviations. */
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)s[i];
	out->mean = sum / (double)n;
	double sq = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)s[i] - out->mean;
		sq += d * d;
	}
	out->jitter = sqrt(sq / (double)n);
	free(s);
	return 0;
}
