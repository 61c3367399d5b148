/* props.c: endpoint properties in the registry: which MIDI_PROP_* bits
 * differ between two views of an endpoint, the display name rule (user
 * name, else the in-protocol Endpoint Name, else the transport's name), and
 * storing what UMP discovery found ("updated" event with the bits). */
#include "broker/broker.h"
#include "midi/discovery.h"
#include "midi/watch.h"

#include <stdio.h>
#include <string.h>

static int fb_differs(const midi_function_block *a, const midi_function_block *b)
{
	return a->index != b->index || a->active != b->active || a->direction != b->direction ||
	       a->first_group != b->first_group || a->num_groups != b->num_groups ||
	       a->midi1 != b->midi1 || a->ui_hint != b->ui_hint || a->ci_version != b->ci_version ||
	       a->sysex8_streams != b->sysex8_streams ||
	       strncmp(a->name, b->name, sizeof a->name) != 0;
}

uint32_t info_diff(const midi_endpoint_info *a, const midi_endpoint_info *b)
{
	uint32_t m = 0;
	const uint32_t jr = MIDI_EPF_JR_RX | MIDI_EPF_JR_TX;
	const uint32_t info = MIDI_EPF_STATIC_FB | MIDI_EPF_DISCOVERED;
	if (strncmp(a->name, b->name, sizeof a->name))
		m |= MIDI_PROP_NAME;
	if (strncmp(a->ump_name, b->ump_name, sizeof a->ump_name))
		m |= MIDI_PROP_UMP_NAME;
	if (strncmp(a->product_instance_id, b->product_instance_id, sizeof a->product_instance_id))
		m |= MIDI_PROP_PIID;
	if (a->ump_version_major != b->ump_version_major ||
	    a->ump_version_minor != b->ump_version_minor || a->protocols != b->protocols ||
	    a->jr_caps != b->jr_caps || a->num_function_blocks != b->num_function_blocks ||
	    (a->flags & info) != (b->flags & info))
		m |= MIDI_PROP_INFO;
	if (a->has_identity != b->has_identity ||
	    memcmp(a->identity_manufacturer, b->identity_manufacturer, 3) ||
	    a->identity_family != b->identity_family || a->identity_model != b->identity_model ||
	    memcmp(a->identity_version, b->identity_version, 4))
		m |= MIDI_PROP_IDENTITY;
	if (a->protocol != b->protocol || (a->flags & jr) != (b->flags & jr))
		m |= MIDI_PROP_PROTOCOL;
	unsigned n = a->num_function_blocks > b->num_function_blocks ? a->num_function_blocks
								      : b->num_function_blocks;
	for (unsigned k = 0; k < n && k < MIDI_FB_MAX; k++)
		if (fb_differs(&a->fb[k], &b->fb[k]))
			m |= MIDI_PROP_FUNCTION_BLOCKS;
	if (strncmp(a->user_name, b->user_name, sizeof a->user_name) ||
	    strncmp(a->description, b->description, sizeof a->description))
		m |= MIDI_PROP_USER;
	if (a->discovery != b->discovery)
		m |= MIDI_PROP_DISCOVERY;
	if ((a->flags & MIDI_EPF_PERSISTENT) != (b->flags & MIDI_EPF_PERSISTENT))
		m |= MIDI_PROP_PERSISTENT;
	return m;
}

void info_display_name(midi_endpoint_info *i)
{
	const char *src = i->user_name[0] ? i->user_name
			  : i->ump_name[0] ? i->ump_name : i->transport_name;
	char name[MIDI_NAME_MAX] = ""; /* zero-filled: copied whole */
	snprintf(name, sizeof name, "%s", src);
	memcpy(i->name, name, sizeof name);
}

/* The properties UMP discovery owns. */
static void copy_stream(midi_endpoint_info *d, const midi_endpoint_info *s)
{
	const uint32_t own = MIDI_EPF_JR_RX | MIDI_EPF_JR_TX | MIDI_EPF_STATIC_FB |
			     MIDI_EPF_DISCOVERED;
	memcpy(d->ump_name, s->ump_name, sizeof d->ump_name);
	d->ump_name[sizeof d->ump_name - 1] = '\0';
	memcpy(d->product_instance_id, s->product_instance_id, sizeof d->product_instance_id);
	d->product_instance_id[sizeof d->product_instance_id - 1] = '\0';
	d->ump_version_major = s->ump_version_major;
	d->ump_version_minor = s->ump_version_minor;
	d->protocols = s->protocols & 3;
	if (s->protocol == 1 || s->protocol == 2)
		d->protocol = s->protocol;
	d->flags = (d->flags & ~own) | (s->flags & own);
	d->has_identity = s->has_identity;
	memcpy(d->identity_manufacturer, s->identity_manufacturer, 3);
	d->identity_family = s->identity_family;
	d->identity_model = s->identity_model;
	memcpy(d->identity_version, s->identity_version, 4);
	d->num_function_blocks = s->num_function_blocks > MIDI_FB_MAX ? MIDI_FB_MAX
								       : s->num_function_blocks;
	memcpy(d->fb, s->fb, sizeof d->fb);
	for (unsigned k = 0; k < MIDI_FB_MAX; k++)
		d->fb[k].name[sizeof d->fb[k].name - 1] = '\0';
	d->jr_caps = s->jr_caps & 3;
	d->discovery = s->discovery;
}

uint32_t reg_update_stream_locked(struct rt *rt, const char *id, uint64_t incarnation,
				  const midi_endpoint_info *src, uint32_t extra)
{
	struct reg_slot s;
	int idx = reg_get_incarnation_locked(rt, id, incarnation, &s);
	if (idx < 0)
		return 0;
	midi_endpoint_info now = s.info;
	copy_stream(&now, src);
	info_display_name(&now);
	uint32_t mask = info_diff(&s.info, &now) | extra;
	if (!mask)
		return 0;
	reg_write_begin(rt);
	now.generation = s.info.generation + 1;
	s.info = now;
	reg_put_locked(rt, idx, &s);
	reg_event_locked(rt, REG_EV_UPDATED, mask, &s);
	reg_write_end(rt);
	return mask;
}
