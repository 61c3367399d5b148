/* activity.c: per-channel activity and per-type counts (see activity.h). */
#include "activity.h"

/* Light steps: the age below which each level shows, brightest first. */
static const uint64_t fade_ns[4] = {100000000, 300000000, 700000000, 1500000000};

void mon_activity_add(struct mon_activity *a, const midi_ump *u, uint64_t now_ns)
{
	a->types[midi_filter_type_of(u)]++;
	if (!midi_ump_has_group(u)) {
		a->ungrouped++;
		a->ungrouped_last = now_ns;
		return;
	}
	unsigned g = midi_ump_group(u);
	unsigned c = midi_ump_is_channel_voice(u) ? midi_ump_channel(u) : MON_CELLS - 1;
	a->count[g][c]++;
	a->last[g][c] = now_ns;
	a->groups_used |= (uint16_t)(1u << g);
}

int mon_activity_level(uint64_t last_ns, uint64_t now_ns)
{
	if (!last_ns)
		return 0;
	uint64_t age = now_ns > last_ns ? now_ns - last_ns : 0;
	for (int i = 0; i < 4; i++)
		if (age < fade_ns[i])
			return 4 - i;
	return 0;
}

int mon_activity_fading(const struct mon_activity *a, uint64_t now_ns)
{
	if (mon_activity_level(a->ungrouped_last, now_ns))
		return 1;
	for (int g = 0; g < 16; g++) {
		if (!(a->groups_used >> g & 1))
			continue;
		for (int c = 0; c < MON_CELLS; c++)
			if (mon_activity_level(a->last[g][c], now_ns))
				return 1;
	}
	return 0;
}
