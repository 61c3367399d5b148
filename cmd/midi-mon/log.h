/* log.h: the interactive monitor's log: a bounded ring of decoded lines,
 * numbered by a sequence that never restarts, so that a paused or scrolled
 * view keeps its place while new lines arrive and old ones are evicted.
 * SysEx lines keep their bytes for the detail view, within a total budget. */
#ifndef MON_LOG_H
#define MON_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "midi/ump.h"

#define MON_NO_CHANNEL 0xFF
#define MON_TEXT_MAX 120

struct mon_line {
	uint64_t time_ns;        /* arrival, CLOCK_MONOTONIC */
	midi_ump ump;            /* the packet (the last one of a SysEx) */
	uint8_t group;           /* 0-15, MON_NO_CHANNEL for none */
	uint8_t channel;         /* 0-15, MON_NO_CHANNEL for none */
	uint8_t sysex;           /* 0, 7 (SysEx7) or 8 (SysEx8) */
	char text[MON_TEXT_MAX]; /* what the log shows after time, group, channel */
	uint8_t *data;           /* SysEx payload, NULL when not kept */
	size_t len;              /* SysEx payload length (also when not kept) */
};

struct mon_log {
	struct mon_line *v;
	size_t cap;
	uint64_t end;            /* sequence number of the next line */
	size_t data_bytes;       /* SysEx bytes kept */
	size_t data_max;         /* budget for them */
	uint64_t data_dropped;   /* SysEx payloads let go to stay in budget */
};

int mon_log_init(struct mon_log *l, size_t cap, size_t data_max);
void mon_log_free(struct mon_log *l);
/* A new line at the end (evicting the oldest when full), zeroed. */
struct mon_line *mon_log_add(struct mon_log *l);
/* Keep a copy of n SysEx bytes in line ln (the newest); lets the payloads of
 * the oldest lines go to stay within the budget. 0 or -1 (out of memory or
 * larger than the whole budget: ln->data stays NULL, ln->len is set). */
int mon_log_keep(struct mon_log *l, struct mon_line *ln, const uint8_t *data, size_t n);
/* Oldest sequence still held; equals the number of lines evicted. */
uint64_t mon_log_first(const struct mon_log *l);
/* Line seq, or NULL when evicted or not yet written. */
const struct mon_line *mon_log_get(const struct mon_log *l, uint64_t seq);

#endif
