/* endpoint.h: endpoints and connections, the public face of the broker.
 *
 * Processes share endpoints through the runtime directory (lock files and
 * shared memory; no daemon). An endpoint id is "transport:name"
 * (diag:loopback-a, loop:foo-b, virt:synth, usb:...). A SPEC given by users
 * is an exact id, else a case-insensitive substring of the display name (or
 * id); several matches is MIDI_ERR_NOTFOUND with the matches listed. */
#ifndef MIDI_ENDPOINT_H
#define MIDI_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "midi/error.h"
#include "midi/ump.h"

#define MIDI_ID_MAX 64          /* including NUL */
#define MIDI_NAME_MAX 128       /* display/user name, including NUL */
#define MIDI_UMP_EP_NAME_MAX 98 /* in-protocol Endpoint Name, bytes */
#define MIDI_UMP_FB_NAME_MAX 91 /* in-protocol Function Block Name, bytes */
#define MIDI_UMP_PIID_MAX 42    /* Product Instance Id, bytes */
#define MIDI_FB_MAX 32          /* function blocks per endpoint */

enum midi_native { MIDI_NATIVE_BYTES = 1, MIDI_NATIVE_UMP = 2 };
enum midi_purpose { MIDI_PURPOSE_NORMAL = 0, MIDI_PURPOSE_DIAGNOSTIC = 1, MIDI_PURPOSE_VIRTUAL = 2 };

/* Endpoint flags */
#define MIDI_EPF_PERSISTENT 0x01  /* declared in the configuration file */
#define MIDI_EPF_JR_TX 0x02       /* sends JR timestamps (negotiated) */
#define MIDI_EPF_JR_RX 0x04       /* receives JR timestamps (negotiated) */
#define MIDI_EPF_DISCOVERED 0x08  /* UMP discovery answered */
#define MIDI_EPF_STATIC_FB 0x10   /* function blocks are static */

typedef struct midi_function_block {
	uint8_t index;          /* 0-31 */
	uint8_t active;
	uint8_t direction;      /* 1 input, 2 output, 3 bidirectional */
	uint8_t first_group;    /* 0-15 */
	uint8_t num_groups;     /* 1-16 */
	uint8_t midi1;          /* 0 not MIDI 1.0, 1 MIDI 1.0, 2 MIDI 1.0 restricted 31.25k */
	uint8_t ui_hint;        /* 0 unknown, 1 receiver, 2 sender, 3 both */
	uint8_t ci_version;
	uint8_t sysex8_streams;
	char name[MIDI_UMP_FB_NAME_MAX + 1];
} midi_function_block;

typedef struct midi_endpoint_info {
	char id[MIDI_ID_MAX];
	char name[MIDI_NAME_MAX];         /* display name: user, else in-protocol, else transport */
	char transport[16];               /* "diag", "loop", "virt", "usb" */
	char transport_name[MIDI_NAME_MAX]; /* the name the transport gives */
	char user_name[MIDI_NAME_MAX];    /* from the configuration file, "" if none */
	char description[256];            /* from the configuration file */
	char ump_name[MIDI_UMP_EP_NAME_MAX + 1]; /* Endpoint Name from discovery */
	char product_instance_id[MIDI_UMP_PIID_MAX + 1];
	uint8_t native;                   /* enum midi_native */
	uint8_t protocol;                 /* 1 = MIDI 1.0, 2 = MIDI 2.0 (current) */
	uint8_t protocols;                /* bit0 MIDI 1.0 supported, bit1 MIDI 2.0 */
	uint8_t purpose;                  /* enum midi_purpose */
	uint32_t flags;                   /* MIDI_EPF_* */
	uint32_t clients;                 /* connected clients now */
	uint8_t ump_version_major, ump_version_minor;
	uint8_t has_identity;
	uint8_t identity_manufacturer[3];
	uint16_t identity_family, identity_model;
	uint8_t identity_version[4];
	uint16_t usb_vendor, usb_product;
	char usb_serial[64];
	uint8_t num_function_blocks;      /* declared count */
	midi_function_block fb[MIDI_FB_MAX];
	uint64_t generation;              /* changes whenever a property changes */
	uint8_t jr_caps;                  /* JR timestamps supported (Endpoint Info): bit0 sends, bit1 receives */
	uint8_t discovery;                /* enum midi_discovery_state */
	uint64_t incarnation;             /* changes when an endpoint with this id is made anew */
} midi_endpoint_info;

/* Property bits: which properties of an endpoint changed (discovery's
 * midi_discovery_take_changes, the watcher's "updated" events). */
#define MIDI_PROP_NAME 0x0001        /* display name */
#define MIDI_PROP_UMP_NAME 0x0002
#define MIDI_PROP_PIID 0x0004
#define MIDI_PROP_INFO 0x0008        /* UMP version, protocols, JR caps, fb count */
#define MIDI_PROP_IDENTITY 0x0010
#define MIDI_PROP_PROTOCOL 0x0020    /* current protocol / JR negotiated */
#define MIDI_PROP_FUNCTION_BLOCKS 0x0040
#define MIDI_PROP_CLIENTS 0x0080
#define MIDI_PROP_USER 0x0100        /* user name / description from config */
#define MIDI_PROP_DISCOVERY 0x0200   /* discovery finished or timed out */
#define MIDI_PROP_PERSISTENT 0x0400  /* the endpoint became persistent (configuration file) */
/* Comma-separated names of MIDI_PROP_* bits into buf ("name,function_blocks"). */
const char *midi_prop_names(uint32_t changed, char *buf, size_t n);

/* UMP discovery of an endpoint (midi_endpoint_info.discovery). */
enum midi_discovery_state {
	MIDI_DISCOVERY_NONE = 0,      /* not run: not a UMP endpoint that answers (loop, diag) */
	MIDI_DISCOVERY_PENDING = 1,   /* running */
	MIDI_DISCOVERY_DONE = 2,      /* every expected reply arrived */
	MIDI_DISCOVERY_TIMEOUT = 3,   /* the device did not answer in time (still usable) */
};

/* Runtime directory in use ($MIDI_RUNTIME_DIR, else $XDG_RUNTIME_DIR/midi,
 * else /tmp/midi-$UID), created 0700 and checked (owner, mode, no symlink). */
int midi_runtime_dir(char *buf, size_t n, midi_error *e);

/* List endpoints. *out is malloc'd (free with free()); diagnostic endpoints
 * only with MIDI_LIST_ALL. Returns 0 or a negative status. */
#define MIDI_LIST_ALL 0x1
int midi_list(midi_endpoint_info **out, size_t *n, unsigned flags, midi_error *e);
/* Resolve SPEC (exact id, else unique case-insensitive name substring). */
int midi_find(const char *spec, midi_endpoint_info *out, midi_error *e);

/* Connections. */
typedef struct midi_conn midi_conn;
/* MIDI_OPEN_RECONNECT: when the endpoint goes away, the connection waits
 * for an endpoint with the same id to appear again (a new incarnation) and
 * attaches to it: midi_recv waits within its timeout (returning 0) and
 * then continues from the first message of the new incarnation (nothing it
 * sent before the re-attachment is missed, nothing of the old one
 * repeated); midi_send returns -MIDI_ERR_CLOSED with the reason, sending
 * nothing, while the endpoint is away, and re-attaches as soon as it is
 * back (call it again). midi_conn_reconnects tells it happened. */
#define MIDI_OPEN_RECONNECT 0x1
#define MIDI_OPEN_SEND_ONLY 0x2 /* do not receive (no cursor, no wake-ups) */
#define MIDI_OPEN_JR_RAW 0x4   /* JR Clock/Timestamp received as messages, times uncorrected */

midi_conn *midi_open(const char *spec, unsigned flags, midi_error *e);
void midi_close(midi_conn *c);
const midi_endpoint_info *midi_conn_info(const midi_conn *c);
/* Incarnation of the endpoint the connection is attached to now (it
 * changes when MIDI_OPEN_RECONNECT re-attached to a new one); 0 while a
 * reconnecting connection waits for its endpoint to come back. */
uint64_t midi_conn_incarnation(const midi_conn *c);
/* Times a MIDI_OPEN_RECONNECT connection re-attached so far. */
uint64_t midi_conn_reconnects(const midi_conn *c);

/* Send n packets (time_ns 0 = now, else a CLOCK_MONOTONIC due time).
 * SysEx (MT3/MT5) is delivered whole: packets of an unfinished SysEx are
 * held until its end and then passed on without interleaving. Returns 0 or
 * a negative status. */
int midi_send(midi_conn *c, const midi_packet *p, size_t n, midi_error *e);
int midi_send_ump(midi_conn *c, const midi_ump *u, midi_error *e);
/* Wait until everything sent has been handed over (timeout_ms -1 = forever). */
int midi_flush(midi_conn *c, int timeout_ms, midi_error *e);
/* Take back this connection's messages the scheduler still holds (sent
 * with a future time and not yet delivered) and an unfinished SysEx held
 * for its end; within milliseconds, and nothing cancelled arrives after it
 * returns. The scheduler delivers a connection's messages in order of due
 * time (equal times in the order sent), so the cancelled ones are the last
 * *cancelled of them in that order. *cancelled (may be NULL): how many,
 * or UINT64_MAX when the count could not be read back (a scheduler
 * restarted meanwhile). Returns 0 or a negative status. */
int midi_cancel(midi_conn *c, uint64_t *cancelled, midi_error *e);
/* Make sure the scheduler runs, starting it if needed, and wait (at most
 * timeout_ms, -1 = forever) until it does: call it before the first send
 * with a future time when that time matters, since the scheduler starts
 * on demand and its start-up (milliseconds; far more on a slow machine)
 * would make the first scheduled messages late. Returns 0 or a negative
 * status (MIDI_ERR_TIMEOUT). */
int midi_schedule_ready(midi_conn *c, int timeout_ms, midi_error *e);

/* Receive up to max packets, waiting up to timeout_ms (0 = do not wait,
 * -1 = forever). Returns the count (0 on timeout) or a negative status:
 * -MIDI_ERR_CLOSED when the endpoint went away (e->msg gives the reason). */
int midi_recv(midi_conn *c, midi_packet *out, size_t max, int timeout_ms, midi_error *e);
/* Messages lost so far because this reader fell behind, or that its
 * transport lost on the way (a network gap never filled); never silent. */
uint64_t midi_conn_lost(const midi_conn *c);
/* A descriptor that polls readable while packets are waiting; midi_recv
 * drains it. Created on first call. -1 on error. */
int midi_conn_fd(midi_conn *c, midi_error *e);

/* Loopback pairs made by users: loop:NAME-a and loop:NAME-b. */
int midi_loop_create(const char *name, midi_error *e);
int midi_loop_remove(const char *name, midi_error *e);
/* Names of loopback pairs (transient and persistent); *names malloc'd array
 * of malloc'd strings, *persistent parallel flags (may be NULL). */
int midi_loop_list(char ***names, int **persistent, size_t *n, midi_error *e);

#endif
