/* activity.h: the interactive monitor's per-channel activity and counts
 * per message type: a count and the time of the last message for every
 * group and channel (plus one cell per group for messages without a
 * channel), from which lights that fade are drawn. */
#ifndef MON_ACTIVITY_H
#define MON_ACTIVITY_H

#include <stdint.h>

#include "midi/filter.h"
#include "midi/ump.h"

#define MON_CELLS 17          /* channels 0-15, then "no channel" */
#define MON_TYPES MIDI_FILTER_TYPES /* counted per enum midi_filter_type, in its order */

struct mon_activity {
	uint64_t count[16][MON_CELLS];
	uint64_t last[16][MON_CELLS];  /* ns of the last message, 0 never */
	uint64_t ungrouped;            /* utility and stream messages */
	uint64_t ungrouped_last;
	uint64_t types[MON_TYPES];
	uint16_t groups_used;          /* bit g: group g has seen a message */
};

/* Count one message (its last packet u) arrived at now_ns. */
void mon_activity_add(struct mon_activity *a, const midi_ump *u, uint64_t now_ns);
/* Light level 0 (dark) to 4 (just now) of a time of last activity. */
int mon_activity_level(uint64_t last_ns, uint64_t now_ns);
/* 1 while some light is still fading (the panel needs redrawing). */
int mon_activity_fading(const struct mon_activity *a, uint64_t now_ns);

#endif
