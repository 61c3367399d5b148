/* loop.c: the loopback transport's table: pairs loop:NAME-a / loop:NAME-b
 * made by users or declared as [loop NAME] in the configuration file
 * (loop_pairs.c). Sent to one side is received on the other: a send goes
 * straight into the peer's `out` ring, no host. */
#include "transport/transport.h"

#include <stdio.h>

static int loop_route(const struct reg_slot *ep, char *peer_id, size_t n, midi_error *e)
{
	if (!ep->peer[0])
		return midi_error_set(e, MIDI_ERR_RUNTIME, "loopback %s has no peer", ep->info.id);
	snprintf(peer_id, n, "%s", ep->peer);
	return 0;
}

const struct midi_transport transport_loop = {
	.name = "loop",
	.route_send = loop_route,
	.conf_section = "loop",
	.conf_check = loop_conf_check,
	.conf_apply_locked = loop_conf_apply_locked,
};
