/* diag.c: the diagnostic transport, always present and never removable:
 * diag:loopback-a and diag:loopback-b cross (sent to A is received on B and
 * the reverse); diag:ping is hosted and echoes every packet back to the
 * connection that sent it (tagged with the sender's connection id). */
#include "transport/transport.h"

#include <stdio.h>
#include <string.h>

static int diag_registry_init(struct rt *rt, midi_error *e)
{
	struct reg_slot s;
	transport_fill_slot(&s, "diag", "diag:loopback-a", "Diagnostic loopback A",
			    MIDI_PURPOSE_DIAGNOSTIC);
	snprintf(s.peer, sizeof s.peer, "diag:loopback-b");
	int r = reg_add_locked(rt, &s, e);
	if (r < 0)
		return r;
	transport_fill_slot(&s, "diag", "diag:loopback-b", "Diagnostic loopback B",
			    MIDI_PURPOSE_DIAGNOSTIC);
	snprintf(s.peer, sizeof s.peer, "diag:loopback-a");
	r = reg_add_locked(rt, &s, e);
	if (r < 0)
		return r;
	transport_fill_slot(&s, "diag", "diag:ping", "Diagnostic ping", MIDI_PURPOSE_DIAGNOSTIC);
	s.hosted = 1;
	r = reg_add_locked(rt, &s, e);
	return r < 0 ? r : 0;
}

static int diag_route(const struct reg_slot *ep, char *peer_id, size_t n, midi_error *e)
{
	if (!ep->peer[0])
		return midi_error_set(e, MIDI_ERR_RUNTIME, "endpoint %s has no peer", ep->info.id);
	snprintf(peer_id, n, "%s", ep->peer);
	return 0;
}

/* diag:ping: echo each packet to its sender only; it takes them all. */
MIDI_HOT
static size_t diag_host_input(struct host *h, struct host_ep *ep, const midi_packet *p,
			      const uint32_t *tags, size_t n)
{
	host_emit(h, ep, p, tags, n);
	return n;
}

const struct midi_transport transport_diag = {
	.name = "diag",
	.registry_init = diag_registry_init,
	.route_send = diag_route,
	.host_input = diag_host_input,
};
