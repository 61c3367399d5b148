/* clientev.h: the registry event that says an endpoint's client count
 * changed (clientev.c). */
#ifndef MIDI_BROKER_CLIENTEV_H
#define MIDI_BROKER_CLIENTEV_H

#include "broker/broker.h"

/* A client connected to or left the endpoint of slot (that incarnation):
 * an "updated" event with MIDI_PROP_CLIENTS. Best effort: nothing when the
 * registry cannot be locked or the endpoint is gone. */
void reg_clients_changed(struct rt *rt, const struct reg_slot *slot);

#endif
