/* virt.c: the virtual-device transport: endpoints virt:NAME hosted by an
 * application through midi_virt_open (libmidi/virt/virt.c). Clients send
 * into the endpoint's `in` ring, which the application drains; the
 * application writes the `out` ring every client reads. No host is ever
 * spawned for it: when the application's host lock is free the endpoint is
 * removed. It answers UMP discovery, so a discovery agent runs for it. */
#include "transport/transport.h"

const struct midi_transport transport_virt = {
	.name = "virt",
	.host_exit_reason = "is gone: virtual device host exited",
	.discoverable = 1,
};
