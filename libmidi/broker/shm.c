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

/* The fields, once: both directions copy the same lists. */
#define INFO_STRINGS(X)                                                                    \
	X(id) X(name) X(transport) X(transport_name) X(user_name) X(description) X(ump_name) \
	X(product_instance_id) X(usb_serial)
#define INFO_SCALARS(X)                                                                    \
	X(native) X(protocol) X(protocols) X(purpose) X(flags) X(ump_version_major)          \
	X(ump_version_minor) X(has_identity) X(identity_family) X(identity_model)            \
	X(usb_vendor) X(usb_product) X(num_function_blocks) X(generation) X(jr_caps)         \
	X(discovery)
#define FB_SCALARS(X)                                                                      \
	X(index) X(active) X(direction) X(first_group) X(num_groups) X(midi1) X(ui_hint)     \
	X(ci_version) X(sysex8_streams)

#define COPY_STR(f) STR(d->f, s->f);
#define COPY_VAL(f) d->f = s->f;
#define COPY_FB(f) df->f = sf->f;
#define COPY_INFO()                                                                        \
	do {                                                                               \
		memset(d, 0, sizeof *d);                                                   \
		INFO_STRINGS(COPY_STR)                                                     \
		INFO_SCALARS(COPY_VAL)                                                     \
		memcpy(d->identity_manufacturer, s->identity_manufacturer, 3);            \
		memcpy(d->identity_version, s->identity_version, 4);                      \
		for (unsigned k = 0; k < MIDI_FB_MAX && k < SHM_FBS; k++) {               \
			__typeof__(&d->fb[0]) df = &d->fb[k];                               \
			const __typeof__(s->fb[0]) *sf = &s->fb[k];                         \
			FB_SCALARS(COPY_FB)                                                 \
			STR(df->name, sf->name);                                            \
		}                                                                          \
	} while (0)

void shm_info_load(midi_endpoint_info *d, const struct shm_info *s)
{
	COPY_INFO();
	/* Whatever another process wrote: enums in range. */
	d->native = s->native == MIDI_NATIVE_BYTES ? MIDI_NATIVE_BYTES : MIDI_NATIVE_UMP;
	d->protocol = s->protocol == 2 ? 2 : 1;
	d->protocols = s->protocols & 3;
	d->purpose = s->purpose <= MIDI_PURPOSE_VIRTUAL ? s->purpose : MIDI_PURPOSE_NORMAL;
	d->has_identity = s->has_identity ? 1 : 0;
	d->num_function_blocks = s->num_function_blocks > MIDI_FB_MAX ? MIDI_FB_MAX
								       : (uint8_t)s->num_function_blocks;
	d->jr_caps = s->jr_caps & 3;
	d->discovery = s->discovery <= MIDI_DISCOVERY_TIMEOUT ? s->discovery : MIDI_DISCOVERY_NONE;
}

static void info_fill(struct shm_info *d, const midi_endpoint_info *s)
{
	COPY_INFO();
}

/* Write a record built in private memory over its shared copy, 8 bytes
 * at a time (readers load it so: registry.c's shm_copy). Never a zeroed
 * intermediate state in shared memory: a writer killed half-way leaves a
 * mixture of the old and the new record, and where both name the same
 * endpoint (every update) the mixture still does; zeroing first, a
 * writer killed before the id was copied back left a slot with no id,
 * which the next registry repair deleted as invalid (test_chaos). */
static void shm_put(void *dst, const void *src, size_t n)
{
	uint64_t *d = dst;
	const uint64_t *s = src;
	for (size_t k = 0; k < n / 8; k++)
		__atomic_store_n(&d[k], s[k], __ATOMIC_RELAXED);
}

void shm_info_store(struct shm_info *d, const midi_endpoint_info *s)
{
	struct shm_info t;
	info_fill(&t, s);
	shm_put(d, &t, sizeof t);
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
	struct shm_slot t;
	memset(&t, 0, sizeof t);
	t.state = s->state;
	t.hosted = s->hosted;
	t.uid = s->uid;
	t.incarnation = s->incarnation;
	STR(t.seg, s->seg);
	STR(t.peer, s->peer);
	STR(t.group, s->group);
	memcpy(t.tpriv, s->tpriv, sizeof t.tpriv);
	info_fill(&t.info, &s->info);
	shm_put(d, &t, sizeof t);
}
