/* transport.c: the list of transports and helpers they share. */
#include "transport/transport.h"

#include <stdio.h>
#include <string.h>

#ifdef MIDI_HAVE_NETTLE
extern const struct midi_transport transport_net; /* net/net_transport.c */
#endif
#ifdef MIDI_HAVE_ALSA
extern const struct midi_transport transport_alsa; /* alsa.c */
extern const struct midi_transport transport_rawmidi; /* alsa_rawmidi.c */
#endif

extern const struct midi_transport transport_route; /* route/route_runner.c: no endpoints */

const struct midi_transport *const transport_all[] = {
	&transport_diag,
	&transport_loop,
	&transport_virt,
	&transport_test,
#ifdef MIDI_HAVE_LIBUSB
	&transport_usb,
#endif
#ifdef MIDI_HAVE_ALSA
	&transport_alsa,
	&transport_rawmidi,
#endif
#ifdef MIDI_HAVE_NETTLE
	&transport_net,
#endif
	&transport_route,
	NULL,
};

const struct midi_transport *transport_find(const char *name)
{
	for (size_t i = 0; transport_all[i]; i++)
		if (strcmp(transport_all[i]->name, name) == 0)
			return transport_all[i];
	return NULL;
}

int transport_on_demand(struct rt *rt, const char *spec, midi_error *e)
{
	for (size_t i = 0; transport_all[i]; i++)
		if (transport_all[i]->open_on_demand) {
			int r = transport_all[i]->open_on_demand(rt, spec, e);
			if (r < 0)
				return r;
		}
	return 0;
}

void transport_fill_slot(struct reg_slot *s, const char *transport, const char *id,
			 const char *transport_name, uint8_t purpose)
{
	memset(s, 0, sizeof *s);
	midi_endpoint_info *i = &s->info;
	snprintf(i->id, sizeof i->id, "%s", id);
	snprintf(i->transport, sizeof i->transport, "%s", transport);
	snprintf(i->transport_name, sizeof i->transport_name, "%s", transport_name);
	snprintf(i->name, sizeof i->name, "%s", transport_name);
	i->native = MIDI_NATIVE_UMP;
	i->protocol = 2;
	i->protocols = 3;
	i->purpose = purpose;
	i->ump_version_major = 1;
	i->ump_version_minor = 1;
}
