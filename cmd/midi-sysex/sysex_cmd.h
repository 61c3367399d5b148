/* sysex_cmd.h: what the three commands of midi-sysex (send.c, capture.c,
 * request.c) share: the usage text, receiving whole SysEx messages with a
 * deadline (recv.c), writing them as .syx bytes or hex lines (output.c). */
#ifndef MIDI_SYSEX_CMD_H
#define MIDI_SYSEX_CMD_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "midi/endpoint.h"
#include "midi/translate.h"

/* Defaults, also in the usage text and man/midi-sysex.1. */
#define SX_DEFAULT_INTERVAL_MS 20
#define SX_DEFAULT_RATE 3125       /* bytes per second: MIDI 1.0 DIN, 31250 baud */
#define SX_DEFAULT_REQUEST_TIMEOUT 5.0

void sx_usage(FILE *f);

int sx_send(int argc, char **argv);
int sx_capture(int argc, char **argv);
int sx_request(int argc, char **argv);

/* ---- receiving (recv.c) ---- */
#define SX_BATCH 512
struct sx_recv {
	midi_conn *conn;
	int fd;                    /* midi_conn_fd */
	uint16_t groups;           /* bit g: SysEx on group g (0-15) is taken */
	midi_sysex_asm sx;
	uint64_t lost;             /* messages the connection lost so far */
	uint16_t cut;              /* bit g: a loss cut group g's SysEx; its
	                            * Continue and End packets until the next
	                            * Start are its rest, dropped quietly */
	midi_packet buf[SX_BATCH];
	int n, next;               /* received batch and the next packet in it */
	sigset_t waitmask;         /* signals let through while waiting */
};
/* Stop signals (INT, TERM) are blocked except while waiting; call before
 * sx_recv_open. After one arrived sx_stopped() is 1. */
void sx_signals_init(struct sx_recv *r);
int sx_stopped(void);
/* Open spec for receiving (and sending). 0 or a negative status. */
int sx_recv_open(struct sx_recv *r, const char *spec, uint16_t groups, midi_error *e);
void sx_recv_close(struct sx_recv *r);
/* The next complete SysEx message on the chosen groups, waiting until
 * deadline (CLOCK_MONOTONIC ns, 0 = for ever). Returns 1 with *kind (7 or
 * 8), *group, *data and *len (valid until the next call; for SysEx8
 * data[0] is the stream id), 0 when the deadline passed or a stop signal
 * came, or a negative status (e filled). Lost messages are reported on
 * standard error as they are noticed, and drop the unfinished SysEx with
 * the rest of it that still comes (one warning, not one per packet). */
int sx_next(struct sx_recv *r, uint64_t deadline, unsigned *kind, unsigned *group,
	    const uint8_t **data, size_t *len, midi_error *e);

/* ---- output (output.c) ---- */
enum sx_format { SX_FMT_DEFAULT = 0, SX_FMT_BIN, SX_FMT_HEX };
/* "hex" or "bin" (any case); -1 otherwise. */
int sx_parse_format(const char *s);
/* Write one message, F0 payload F7, as bytes or as one hex line. Returns 0
 * or -1 (errno set). */
int sx_write_msg(FILE *out, enum sx_format fmt, const uint8_t *payload, size_t len);
/* Open the output: path NULL or "-" is standard output. The format, when
 * not given, is bin, or hex for a terminal with tty_hex. Binary is never
 * written to a terminal: that is a usage error. Returns the stream, or
 * NULL after printing why with *status set. */
FILE *sx_open_output(const char *path, enum sx_format *fmt, int tty_hex, int *status);
/* Flush and close (standard output is flushed only). 0, or a status after
 * printing why. */
int sx_close_output(FILE *out, const char *path);

#endif
