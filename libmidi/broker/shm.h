/* shm.h: the layout of what the broker keeps in shared memory, private and
 * versioned. Nothing here is part of the public API: the public structs
 * (midi/endpoint.h) may change between library versions without touching
 * files that other programs have mapped, and these structs change only
 * together with SHM_FORMAT.
 *
 * Every file of a runtime directory is of one format. The registry header
 * starts with REG_MAGIC and the format number at fixed offsets in every
 * format, so a program of another format recognises the directory, says
 * which format it holds and changes nothing (runtime.c). Bump SHM_FORMAT
 * whenever a struct below, the ring slot (ring.h), the segment or the
 * scheduler file changes shape or meaning. Tests build the library with
 * -DMIDI_SHM_FORMAT=N to play an other version. */
#ifndef MIDI_BROKER_SHM_H
#define MIDI_BROKER_SHM_H

#include <stdint.h>

#include "midi/endpoint.h"

#ifdef MIDI_SHM_FORMAT
#define SHM_FORMAT ((uint32_t)(MIDI_SHM_FORMAT))
#else
#define SHM_FORMAT 7u
#endif

/* Sizes of the text fields (bytes, NUL included) as stored. */
#define SHM_ID 64
#define SHM_NAME 128
#define SHM_TRANSPORT 16
#define SHM_DESC 256
#define SHM_UMP_NAME 100
#define SHM_PIID 44
#define SHM_SERIAL 64
#define SHM_FB_NAME 92
#define SHM_FBS 32

struct shm_fb {
	uint8_t index, active, direction, first_group;
	uint8_t num_groups, midi1, ui_hint, ci_version;
	uint8_t sysex8_streams;
	uint8_t pad[3];
	char name[SHM_FB_NAME];
};

/* An endpoint's properties as stored in a registry slot. */
struct shm_info {
	char id[SHM_ID];
	char name[SHM_NAME];
	char transport[SHM_TRANSPORT];
	char transport_name[SHM_NAME];
	char user_name[SHM_NAME];
	char description[SHM_DESC];
	char ump_name[SHM_UMP_NAME];
	char product_instance_id[SHM_PIID];
	char usb_serial[SHM_SERIAL];
	uint8_t native, protocol, protocols, purpose;
	uint8_t ump_version_major, ump_version_minor, has_identity, jr_caps;
	uint8_t identity_manufacturer[3];
	uint8_t discovery;
	uint8_t identity_version[4];
	uint16_t identity_family, identity_model;
	uint16_t usb_vendor, usb_product;
	uint32_t flags;
	uint32_t num_function_blocks;
	uint32_t pad;
	uint64_t generation;
	struct shm_fb fb[SHM_FBS];
};

/* One registry slot. */
struct shm_slot {
	uint32_t state;  /* 0 free, 1 active */
	uint32_t hosted; /* clients write into the `in` ring, a host serves it */
	uint64_t uid;    /* segment id, never reused (a replaced segment gets a new one) */
	uint64_t incarnation; /* the uid the endpoint was added with (kept across re-segmenting) */
	char seg[32];    /* segment file name in the runtime directory */
	char peer[SHM_ID]; /* transport-private: crossing partner (loops) */
	char group[32];    /* host group: endpoints one host serves ("" = alone) */
	uint64_t tpriv[8]; /* transport-private */
	struct shm_info info;
};

/* Conversions between the stored and the public form; the result is
 * sanitised (strings terminated, enums in range). */
void shm_info_load(midi_endpoint_info *d, const struct shm_info *s);
void shm_info_store(struct shm_info *d, const midi_endpoint_info *s);

#endif
