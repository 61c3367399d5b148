/* alsa.h: what the alsa transport's files share (built only where
 * pkg-config finds alsa-lib): alsa.c (the agent: enumeration of sequencer
 * ports, the announce port, ids, properties), alsa_host.c (the host: one
 * sequencer client serving every alsa endpoint), alsaev.c (the pure
 * translation between sequencer events and UMP, no kernel needed) and
 * alsa_qclock.c (the host's queue clock against CLOCK_MONOTONIC). */
#ifndef MIDI_ALSA_H
#define MIDI_ALSA_H

#include <alsa/asoundlib.h>

#include "midi/translate.h"
#include "transport/transport.h"

/* The names of the toolkit's own sequencer clients (never imported). */
#define ALSA_HOST_CLIENT "midi toolkit import"
/* The agent's client: the exported ports (numbered from 0) and a hidden
 * port for the sequencer's announcements, ALSA_AGENT_PORT. */
#define ALSA_AGENT_CLIENT "midi toolkit"
#define ALSA_AGENT_PORT 200
/* The export's ports and connections, in the runtime directory. */
#define ALSA_EXPORT_STATE "alsa-export.state"
/* SysEx goes to ALSA as SysEx events of at most this many bytes (the
 * first with F0, the last with F7), as snd-seq-midi itself delivers it. */
#define ALSAEV_SYSEX_CHUNK 256

/* A port's address kept in the slot (reg_slot.tpriv[0]). */
void alsa_addr_store(struct reg_slot *s, int client, int port);
int alsa_addr_load(const struct reg_slot *s, int *client, int *port);

/* ---- alsa_qclock.c: the queue's real time -> CLOCK_MONOTONIC ---- */
struct alsa_qclock {
	int64_t off;  /* CLOCK_MONOTONIC ns - queue real time ns */
	uint64_t win; /* the window it was measured in, ns (0: never measured) */
	uint64_t at;  /* when (CLOCK_MONOTONIC ns) */
};
/* A kept offset is replaced by a less precise one after this long. */
#define ALSA_QCLOCK_KEEP_NS 10000000000ull
/* One measurement: the offset `off`, found within a window of `win` ns,
 * at `now`. Returns 1 if it replaced the kept offset. */
int alsa_qclock_update(struct alsa_qclock *q, int64_t off, uint64_t win, uint64_t now);
/* The CLOCK_MONOTONIC time of a queue time, or 0 (never measured, or the
 * result is not in (0, now]: then the caller times the event itself). */
uint64_t alsa_qclock_stamp(const struct alsa_qclock *q, uint64_t queue_ns, uint64_t now);

/* ---- alsaev.c: sequencer events -> UMP (one per source port) ---- */
struct alsaev_in {
	snd_midi_event_t *dec;
	midi_b2u b2u;
};
int alsaev_in_init(struct alsaev_in *in);
void alsaev_in_free(struct alsaev_in *in);
/* Events were lost: forget the message or SysEx in progress (no packet for
 * it goes out; what follows it without a status is dropped). */
void alsaev_in_reset(struct alsaev_in *in);
/* The UMP packets (MIDI 1.0 protocol, group 0) of one event, to cb. A
 * SysEx split over several events comes whole: the byte-stream state is
 * kept between events. Events with no MIDI byte form are ignored.
 * Returns 0 or what cb returned. */
int alsaev_in_put(struct alsaev_in *in, const snd_seq_event_t *ev, midi_ump_cb cb, void *ctx);

/* ---- alsaev.c: UMP -> sequencer events (one per destination port) ---- */
typedef int (*alsaev_ev_cb)(void *ctx, snd_seq_event_t *ev);
struct alsaev_out {
	snd_midi_event_t *enc;
	midi_u2b u2b;
};
int alsaev_out_init(struct alsaev_out *out);
void alsaev_out_free(struct alsaev_out *out);
/* The events of one packet (none while a SysEx chunk fills), to cb; only
 * the event's type, flags and data are set (the caller addresses it).
 * Packets without a MIDI 1.0 byte form are dropped. Returns 0 or what cb
 * returned. */
int alsaev_out_put(struct alsaev_out *out, const midi_ump *p, alsaev_ev_cb cb, void *ctx);

/* ---- alsa_export.c: the export, run by the agent ---- */
struct alsa_export;
struct alsa_export *alsa_export_open(struct host *h, snd_seq_t *seq);
void alsa_export_close(struct alsa_export *a);
/* The registry or the configuration changed: ports made and deleted. */
void alsa_export_sync(struct alsa_export *a);
/* An event addressed to one of the exported ports. */
void alsa_export_event(struct alsa_export *a, const snd_seq_event_t *ev);
/* Some subscription changed (PORT_SUBSCRIBED/UNSUBSCRIBED announced). */
void alsa_export_subs_changed(struct alsa_export *a);
/* Non-zero while an ALSA application uses an exported port. */
int alsa_export_busy(const struct alsa_export *a);
int alsa_export_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
			   midi_error *e);

/* alsa_rawmidi.c: 1 while a rawmidi endpoint has the hardware port
 * behind sequencer port client:port of card (never twice). */
int rawmidi_claimed(int card, int client, int port);

/* alsa_host.c */
int alsa_host_open(struct host *h, midi_error *e);
void alsa_host_close(struct host *h);
int alsa_host_attach(struct host *h, struct host_ep *ep);
void alsa_host_detach(struct host *h, struct host_ep *ep);
void alsa_host_registry(struct host *h);
size_t alsa_host_input(struct host *h, struct host_ep *ep, const midi_packet *p,
		       const uint32_t *tags, size_t n);

#endif
