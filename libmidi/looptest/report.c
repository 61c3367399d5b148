/* report.c: the report of a loop test run (midi/looptest.h), as two lines
 * of text for people or one line of JSON for CI. */
#include <stdio.h>
#include <string.h>

#include "format/format_priv.h"
#include "midi/looptest.h"

int midi_looptest_write_text(FILE *f, const midi_looptest_report *r)
{
	const midi_looptest_counts *c = &r->counts;
	fprintf(f, "%s -> %s: %llu sent, %llu received, %llu lost, %llu reordered, %llu duplicated, %llu foreign\n",
		r->out_id, r->in_id, (unsigned long long)c->sent, (unsigned long long)c->received,
		(unsigned long long)c->lost, (unsigned long long)c->reordered,
		(unsigned long long)c->duplicates, (unsigned long long)c->foreign);
	const midi_latency_stats *l = &r->latency;
	if (l->n)
		fprintf(f, "latency (us): min %.1f  median %.1f  p99 %.1f  max %.1f  mean %.1f  jitter %.1f\n",
			l->min / 1e3, l->median / 1e3, l->p99 / 1e3, l->max / 1e3, l->mean / 1e3,
			l->jitter / 1e3);
	return ferror(f) ? -MIDI_ERR_RUNTIME : 0;
}

static void put_file(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, ctx);
}

static void json_str(FILE *f, const char *key, const char *s)
{
	fprintf(f, "\"%s\":", key);
	fmt_json_string(put_file, f, s ? s : "", s ? strlen(s) : 0);
	fputc(',', f);
}

int midi_looptest_write_json(FILE *f, const midi_looptest_report *r)
{
	const midi_looptest_counts *c = &r->counts;
	const midi_latency_stats *l = &r->latency;
	fputc('{', f);
	json_str(f, "out", r->out_id);
	json_str(f, "in", r->in_id);
	json_str(f, "kind", midi_looptest_kind_name(r->kind));
	fprintf(f, "\"count\":%llu,\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"reordered\":%llu,"
		   "\"duplicates\":%llu,\"foreign\":%llu,\"reader_lost\":%llu,",
		(unsigned long long)c->count, (unsigned long long)c->sent, (unsigned long long)c->received,
		(unsigned long long)c->lost, (unsigned long long)c->reordered,
		(unsigned long long)c->duplicates, (unsigned long long)c->foreign,
		(unsigned long long)r->reader_lost);
	if (l->n)
		fprintf(f, "\"latency_us\":{\"min\":%.1f,\"median\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"mean\":%.1f},"
			   "\"jitter_us\":%.1f,",
			l->min / 1e3, l->median / 1e3, l->p99 / 1e3, l->max / 1e3, l->mean / 1e3, l->jitter / 1e3);
	else
		fputs("\"latency_us\":null,\"jitter_us\":null,", f);
	fprintf(f, "\"seconds\":%.6f,\"status\":%d,", r->seconds, r->status);
	fputs("\"result\":", f);
	const char *res = r->result ? r->result : "";
	fmt_json_string(put_file, f, res, strlen(res));
	fputs("}\n", f);
	return ferror(f) ? -MIDI_ERR_RUNTIME : 0;
}
