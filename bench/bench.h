/* bench.h: shared helpers for the benchmarks (bench/bench_*.c). Each bench
 * binary times its cases with bench_measure (several repetitions, median
 * kept) and prints ONE JSON object on stdout:
 *   {"bench":"NAME","results":[{"name":...,"unit":...,"items":...,
 *     "per_sec":...,"ns_per_item":...,"ratio_to_memcpy":...,"reps":...}, ...]}
 * bench/run.sh merges the objects of every binary into one document.
 * Build: make bench (uses -O2). */
#ifndef MIDI_BENCH_H
#define MIDI_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Run fn(ctx) `reps` times (after one warm-up run); return the median
 * duration of one run in ns. */
static inline uint64_t bench_measure(void (*fn)(void *ctx), void *ctx, int reps)
{
	uint64_t t[64];
	if (reps < 1)
		reps = 1;
	if (reps > 64)
		reps = 64;
	fn(ctx);
	for (int i = 0; i < reps; i++) {
		uint64_t t0 = bench_now_ns();
		fn(ctx);
		t[i] = bench_now_ns() - t0;
	}
	qsort(t, (size_t)reps, sizeof t[0], bench_cmp_u64);
	return t[reps / 2] ? t[reps / 2] : 1;
}

/* CPU time of this process (user + system), ns. */
static inline uint64_t bench_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Like bench_measure, in CPU time, the best run kept: for CPU-bound cases
 * on a machine that other work shares (its wall time and median measure
 * the neighbours). */
static inline uint64_t bench_measure_cpu(void (*fn)(void *ctx), void *ctx, int reps)
{
	uint64_t best = UINT64_MAX;
	fn(ctx);
	for (int i = 0; i < (reps < 1 ? 1 : reps); i++) {
		uint64_t t0 = bench_cpu_ns();
		fn(ctx);
		uint64_t t = bench_cpu_ns() - t0;
		if (t < best)
			best = t;
	}
	return best ? best : 1;
}

/* Keeps the compiler from optimising a result away. */
static volatile uint64_t bench_sink;

/* JSON output: bench_begin, then bench_result per case, then bench_end. */
static int bench_nresults;

static inline void bench_begin(const char *bench)
{
	printf("{\"bench\":\"%s\",\"results\":[", bench);
	bench_nresults = 0;
}

/* The key of a result's time: what bench_measure gives, or "best_cpu_ns"
 * for bench_measure_cpu. */
static const char *bench_time_key = "median_ns";

/* One result; ratio_key names the ratio to baseline_ns_per_item (none
 * when that is 0). */
static inline void bench_result_as(const char *name, const char *unit, uint64_t items,
				   uint64_t median_ns, double baseline_ns_per_item, int reps,
				   const char *ratio_key)
{
	double ns_per = (double)median_ns / (double)(items ? items : 1);
	printf("%s{\"name\":\"%s\",\"unit\":\"%s\",\"items\":%llu,\"%s\":%llu,"
	       "\"per_sec\":%.0f,\"ns_per_item\":%.3f",
	       bench_nresults++ ? "," : "", name, unit, (unsigned long long)items, bench_time_key,
	       (unsigned long long)median_ns, 1e9 / ns_per, ns_per);
	if (baseline_ns_per_item > 0)
		printf(",\"%s\":%.2f", ratio_key, ns_per / baseline_ns_per_item);
	printf(",\"reps\":%d}", reps);
}

/* items: units processed per run (bytes, packets...); median_ns: one run;
 * baseline_ns_per_item: memcpy of the same data, 0 if none. */
static inline void bench_result(const char *name, const char *unit, uint64_t items,
				uint64_t median_ns, double baseline_ns_per_item, int reps)
{
	bench_result_as(name, unit, items, median_ns, baseline_ns_per_item, reps, "ratio_to_memcpy");
}

/* Like bench_result, with the ratio to a baseline case of the same run
 * ("ratio_to_baseline"; none when baseline_ns_per_item is 0). */
static inline void bench_result_vs(const char *name, const char *unit, uint64_t items,
				   uint64_t median_ns, double baseline_ns_per_item, int reps)
{
	bench_result_as(name, unit, items, median_ns, baseline_ns_per_item, reps,
			"ratio_to_baseline");
}

static inline void bench_end(const char *note)
{
	printf("]");
	if (note && *note)
		printf(",\"note\":\"%s\"", note);
	printf("}\n");
	fflush(stdout);
}

#endif
