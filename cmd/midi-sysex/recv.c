/* recv.c: receiving whole SysEx messages for capture and request: packets
 * from the connection through the library's reassembler, with a deadline,
 * stop signals and lost messages noticed (see sysex_cmd.h). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "../cli.h"
#include "sysex_cmd.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

void sx_signals_init(struct sx_recv *r)
{
	cli_stop_signals(on_signal, &r->waitmask);
}

int sx_stopped(void)
{
	if (stop_signal)
		return 1;
	/* Pending while blocked: ppoll lets them in only when it waits. */
	sigset_t pend;
	return sigpending(&pend) == 0 && (sigismember(&pend, SIGINT) || sigismember(&pend, SIGTERM));
}

int sx_recv_open(struct sx_recv *r, const char *spec, uint16_t groups, midi_error *e)
{
	r->groups = groups;
	r->n = r->next = 0;
	midi_sysex_asm_init(&r->sx);
	r->conn = midi_open(spec, 0, e);
	if (!r->conn)
		return -e->code;
	r->fd = midi_conn_fd(r->conn, e);
	if (r->fd < 0) {
		midi_close(r->conn);
		r->conn = NULL;
		return -e->code;
	}
	r->lost = 0;
	r->cut = 0;
	return 0;
}

void sx_recv_close(struct sx_recv *r)
{
	midi_sysex_asm_free(&r->sx);
	midi_close(r->conn);
	r->conn = NULL;
}

int sx_next(struct sx_recv *r, uint64_t deadline, unsigned *kind, unsigned *group,
	    const uint8_t **data, size_t *len, midi_error *e)
{
	for (;;) {
		while (r->next < r->n) {
			const midi_ump *u = &r->buf[r->next++].ump;
			unsigned g = midi_ump_group(u);
			if (!midi_ump_sysex_kind(u) || !(r->groups & 1u << g))
				continue;
			if (r->cut & 1u << g) {
				unsigned st = (u->w[0] >> 20) & 0xF;
				if (st == 2 || st == 3)
					continue; /* the rest of the SysEx the loss cut */
				r->cut &= (uint16_t)~(1u << g);
			}
			int k = midi_sysex_asm_put(&r->sx, u, group, kind, data, len);
			if (k == 1)
				return 1;
			if (k < 0)
				cli_warn("malformed SysEx packet on group %u (%08X %08X): message dropped",
					 g + 1, u->w[0], u->w[1]);
		}
		if (sx_stopped())
			return 0;
		int n = midi_recv(r->conn, r->buf, SX_BATCH, 0, e);
		if (n < 0)
			return n;
		uint64_t lost = midi_conn_lost(r->conn);
		if (lost > r->lost) {
			/* The gap comes before this batch: whatever SysEx was
			 * open is missing its middle. */
			cli_warn("lost %llu messages; any unfinished SysEx is dropped",
				 (unsigned long long)(lost - r->lost));
			r->lost = lost;
			/* Continue or End before the next Start, on any group, is
			 * the rest of a SysEx the loss cut (its Start may be
			 * among the lost). */
			r->cut = 0xFFFF;
			midi_sysex_asm_free(&r->sx);
		}
		r->n = n;
		r->next = 0;
		if (n > 0)
			continue;
		int ms = cli_wait_ms(deadline);
		if (ms == 0)
			return 0;
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		if (ppoll(&pfd, 1, ms < 0 ? NULL : &ts, &r->waitmask) < 0 && errno != EINTR)
			return midi_error_sys(e, errno, "waiting for messages");
	}
}
