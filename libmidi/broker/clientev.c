/* clientev.c: an endpoint's client count changed (a connection opened or
 * closed): an "updated" registry event with MIDI_PROP_CLIENTS, so that
 * watchers (midi-watch) report it with the count as it is now. The count
 * itself lives in the endpoint's segment (seg_count_clients); a client
 * killed with SIGKILL has no chance to say it left, and its going shows
 * with the next event of that endpoint. */
#include "broker/clientev.h"

void reg_clients_changed(struct rt *rt, const struct reg_slot *slot)
{
	if (reg_lock(rt, NULL) != 0)
		return;
	struct reg_slot now;
	if (reg_get_incarnation_locked(rt, slot->info.id, slot->incarnation, &now) >= 0)
		reg_event_locked(rt, REG_EV_UPDATED, MIDI_PROP_CLIENTS, &now);
	reg_unlock(rt);
}
