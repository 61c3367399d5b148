/* smf_priv.h: the Standard MIDI File writer's state, shared by
 * smf_write.c (tracks, events by tick, the file image) and smf_put.c
 * (timed UMP packets in: translation, SysEx, tempo map, track choice). */
#ifndef MIDI_SMF_PRIV_H
#define MIDI_SMF_PRIV_H

#include <stdint.h>

#include "midi/smf.h"
#include "midi/translate.h"

/* Grow *arr (*cap elements of elem bytes) to hold need, doubling from
 * first: 0, or -1 when out of memory (*arr untouched). */
int smf_grow(void **arr, size_t *cap, size_t need, size_t elem, size_t first);

#define SMFW_MAX_TRACKS 256
#define SMFW_DIVISION 960u
#define SMFW_TEMPO_US 500000u

/* One event: MIDI 1.0 bytes (meta 0) or a meta event's payload (meta =
 * its type), data at off in its track's pool. */
struct smfw_ev {
	uint64_t tick;
	uint32_t off, len;
	uint8_t meta;
};

struct smfw_track {
	struct smfw_ev *ev;
	size_t nev, cap;
	uint8_t *data;          /* event bytes, one after another */
	size_t len, dcap;
	uint64_t last;          /* tick of the last event */
};

/* A stretch of constant tempo: from ns (relative time) and tick on. */
struct smfw_seg {
	uint64_t ns, tick;
	uint32_t us;
};

struct midi_smf_writer {
	unsigned format, division;
	uint64_t origin_ns;
	int from_first, based;  /* based: origin_ns set from the first packet */
	struct smfw_track *tr;
	size_t ntr;
	uint16_t track_of[16][17]; /* format 1: track of a group's channel (16:
	                            * SysEx and system), 0 = none yet */
	struct smfw_seg *seg;   /* tempo map of midi_smf_writer_put */
	size_t nseg, segcap;
	midi_sysex_asm sx;
	uint64_t sx_ns[16];     /* time of the open SysEx's first packet */
	uint64_t dropped;
};

/* Add an event to track (made if needed; tick never before the track's
 * last). 0 or -1 when out of memory. */
int smfw_add(midi_smf_writer *w, unsigned track, uint64_t tick, uint8_t meta,
	     const uint8_t *data, size_t len);
/* A tempo change at tick on track 0; one at the tick of the track's last
 * event, if that is a tempo change, replaces it. 0 or -1. */
int smfw_tempo(midi_smf_writer *w, uint64_t tick, uint32_t us);

#endif
