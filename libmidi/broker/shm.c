/* shm.c: converting endpoint properties and registry slots between their
 * stored form in shared memory (shm.h) and the public / private form a
 * process works with. Loading sanitises: every string ends inside its
 * field and every enum is in range, whatever another process wrote. */
#include "broker/broker.h"

#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(struct shm_info) % 8 == 0, "shm_info is 8-byte aligned");
_Static_assert(sizeof(struct shm_slot) % 8 == 0, "shm_slot is 8-byte aligned");

/* Copy a string field of any size into another, always terminated. */
#define STR(d, s) copy_str((d), sizeof(d), (s), sizeof(s))
static void copy_str(char *d, size_t dn, const char *s, size_t sn)
{
	size_t k = 0;
	for (; k + 1 < dn && k < sn && s[k]; k++)
		d[k] = s[k];
	memset(d + k, 0, dn - k);
}

void shm_info_load(midi_endpoint_info *d, const struct shm_info *s)
{
	memset(d, 0, sizeof *d);
	STR(d->id, s->id);
	STR(d->name, s->name);
	STR(d->transport, s->transport);
	STR(d->transport_name, s->transport_name);
	STR(d->user_name, s->user_name);
	STR(d->description, s->description);
	STR(d->ump_name, s->ump_name);
	STR(d->product_instance_id, s->product_instance_id);
	STR(d->usb_serial, s->usb_serial);
	d->native = s->native == MIDI_NATIVE_BYTES ? MIDI_NATIVE_BYTES : MIDI_NATIVE_UMP;
	d->protocol = s->protocol == 2 ? 2 : 1;
	d->protocols = s->protocols & 3;
	d->purpose = s->purpose <= MIDI_PURPOSE_VIRTUAL ? s->purpose : MIDI_PURPOSE_NORMAL;
	d->flags = s->flags;
	d->ump_version_major = s->ump_version_major;
	d->ump_version_minor = s->ump_version_minor;
	d->has_identity = s->has_identity ? 1 : 0;
	memcpy(d->identity_manufacturer, s->identity_manufacturer, 3);
	d->identity_family = s->identity_family;
	d->identity_model = s->identity_model;
	memcpy(d->identity_version, s->identity_version, 4);
	d->usb_vendor = s->usb_vendor;
	d->usb_product = s->usb_product;
	d->num_function_blocks = s->num_function_blocks > MIDI_FB_MAX ? MIDI_FB_MAX
								       : (uint8_t)s->num_function_blocks;
	for (unsigned k = 0; k < MIDI_FB_MAX && k < SHM_FBS; k++) {
		const struct shm_fb *f = &s->fb[k];
		midi_function_block *g = &d->fb[k];
		g->index = f->index;
		g->active = f->active;
		g->direction = f->direction;
		g->first_group = f->first_group;
		g->num_groups = f->num_groups;
		g->midi1 = f->midi1;
		g->ui_hint = f->ui_hint;
		g->ci_version = f->ci_version;
		g->sysex8_streams = f->sysex8_streams;
		STR(g->name, f->name);
	}
	d->generation = s->generation;
	d->jr_caps = s->jr_caps & 3;
	d->discovery = s->discovery <= MIDI_DISCOVERY_TIMEOUT ? s->discovery : MIDI_DISCOVERY_NONE;
}

void shm_info_store(struct shm_info *d, const midi_endpoint_info *s)
{
	memset(d, 0, sizeof *d);
	STR(d->id, s->id);
	STR(d->name, s->name);
	STR(d->transport, s->transport);
	STR(d->transport_name, s->transport_name);
	STR(d->user_name, s->user_name);
	STR(d->description, s->description);
	STR(d->ump_name, s->ump_name);
	STR(d->product_instance_id, s->product_instance_id);
	STR(d->usb_serial, s->usb_serial);
	d->native = s->native;
	d->protocol = s->protocol;
	d->protocols = s->protocols;
	d->purpose = s->purpose;
	d->flags = s->flags;
	d->ump_version_major = s->ump_version_major;
	d->ump_version_minor = s->ump_version_minor;
	d->has_identity = s->has_identity;
	memcpy(d->identity_manufacturer, s->identity_manufacturer, 3);
	d->identity_family = s->identity_family;
	d->identity_model = s->identity_model;
	memcpy(d->identity_version, s->identity_version, 4);
	d->usb_vendor = s->usb_vendor;
	d->usb_product = s->usb_product;
	d->num_function_blocks = s->num_function_blocks;
	for (unsigned k = 0; k < MIDI_FB_MAX && k < SHM_FBS; k++) {
		struct shm_fb *f = &d->fb[k];
		const midi_function_block *g = &s->fb[k];
		f->index = g->index;
		f->active = g->active;
		f->direction = g->direction;
		f->first_group = g->first_group;
		f->num_groups = g->num_groups;
		f->midi1 = g->midi1;
		f->ui_hint = g->ui_hint;
		f->ci_version = g->ci_version;
		f->sysex8_streams = g->sysex8_streams;
		STR(f->name, g->name);
	}
	d->generation = s->generation;
	d->jr_caps = s->jr_caps;
	d->discovery = s->discovery;
}

void slot_load(struct reg_slot *d, const struct shm_slot *s)
{
	d->state = s->state;
	d->hosted = s->hosted ? 1 : 0;
	d->uid = s->uid;
	d->incarnation = s->incarnation;
	STR(d->seg, s->seg);
	STR(d->peer, s->peer);
	STR(d->group, s->group);
	memcpy(d->tpriv, s->tpriv, sizeof d->tpriv);
	shm_info_load(&d->info, &s->info);
	d->info.incarnation = d->incarnation;
	d->info.clients = 0;
}

void slot_store(struct shm_slot *d, const struct reg_slot *s)
{
	d->state = s->state;
	d->hosted = s->hosted;
	d->uid = s->uid;
	d->incarnation = s->incarnation;
	STR(d->seg, s->seg);
	STR(d->peer, s->peer);
	STR(d->group, s->group);
	memcpy(d->tpriv, s->tpriv, sizeof d->tpriv);
	shm_info_store(&d->info, &s->info);
}
