/* host.c: the serving side of hosted endpoints (diag:ping now; virtual
 * devices, USB and the scheduler later). The host of an endpoint is whoever
 * holds flock on ep-UID.host.lock. A client that finds the lock free takes
 * it and double-forks a detached host that inherits the locked descriptor,
 * so exactly one host exists and the kernel frees the lock when it dies.
 * The host drains the `in` ring from the cursor kept in the segment (a new
 * host resumes where a killed one stopped; it stores the cursor after
 * handling a batch, so a host killed mid-batch makes its successor handle
 * that batch again: at least once), hands packets to the transport's
 * host_input, calls host_tick when idle, and exits when no live client has
 * been connected for HOST_IDLE_NS or the endpoint is removed. */
#include "broker/broker.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_IDLE_NS 2000000000ull
#define HOST_CHECK_CLIENTS_NS 200000000ull
#define HOST_BATCH 256

struct host {
	struct rt *rt;
	struct reg_slot slot;
	const struct midi_transport *tp;
	struct seg seg;
	struct ring_writer ow; /* the `out` ring */
	struct ring_cursor cur;
};

const struct reg_slot *host_slot(const struct host *h)
{
	return &h->slot;
}

int host_emit(struct host *h, const midi_packet *p, const uint32_t *tags, size_t n)
{
	return rw_write(&h->ow, p, tags, 0, n, 0, NULL);
}

static int64_t spin_ns(void)
{
	const char *s = getenv("MIDI_SPIN_US");
	int64_t us = s && *s ? atoll(s) : 20;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || us < 0)
		us = 0;
	return us * 1000;
}

static void host_loop(struct host *h)
{
	static midi_packet buf[HOST_BATCH];
	static uint32_t tags[HOST_BATCH];
	struct seg_hdr *hdr = h->seg.hdr;
	int64_t spin = spin_ns();
	uint64_t now = broker_now_ns();
	uint64_t last_client = now, last_check = 0;
	int64_t tick_due = -1;

	__atomic_store_n(&hdr->host_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	h->cur.pos = __atomic_load_n(&hdr->host_cursor, __ATOMIC_ACQUIRE);
	for (;;) {
		size_t n = ring_read(&h->seg.in, &h->cur, buf, tags, HOST_BATCH, RING_ALL);
		if (n) {
			if (h->tp->host_input)
				h->tp->host_input(h, buf, tags, n);
			__atomic_store_n(&hdr->host_cursor, h->cur.pos, __ATOMIC_RELEASE);
			continue;
		}
		__atomic_store_n(&hdr->host_cursor, h->cur.pos, __ATOMIC_RELEASE);
		if (seg_closed(&h->seg, NULL, 0))
			return;
		now = broker_now_ns();
		if (h->tp->host_tick && (tick_due < 0 || now >= (uint64_t)tick_due)) {
			int64_t next = h->tp->host_tick(h);
			tick_due = next < 0 ? -1 : (int64_t)(now + (uint64_t)next);
		}
		if (now - last_check >= HOST_CHECK_CLIENTS_NS) {
			last_check = now;
			if (seg_clients_live(&h->seg) > 0)
				last_client = now;
			else if (now - last_client >= HOST_IDLE_NS)
				return;
		}
		if (ring_spin(&h->seg.in, h->cur.pos, spin))
			continue;
		int64_t wait = 100000000;
		if (tick_due >= 0 && (int64_t)(tick_due - (int64_t)now) < wait)
			wait = tick_due - (int64_t)now;
		ring_wait(&h->seg.in, h->cur.pos, &hdr->host_sleeping, wait);
	}
}

/* The detached host (broker_spawn); never returns. */
static void host_main(void *arg, int lockfd)
{
	(void)lockfd; /* held until exit */
	const struct reg_slot *slot = arg;
	struct host h;
	memset(&h, 0, sizeof h);
	h.slot = *slot;
	h.tp = transport_find(slot->info.transport);
	h.rt = rt_get(NULL);
	int corrupt;
	if (!h.tp || !h.rt || seg_map(h.rt, slot->seg, slot->uid, &h.seg, &corrupt, NULL) < 0 ||
	    !h.seg.has_in)
		_exit(1);
	if (rw_init(&h.ow, h.rt, &h.seg, 0, NULL) < 0)
		_exit(1);
	host_loop(&h);
	_exit(0);
}

int host_ensure(struct rt *rt, const struct reg_slot *slot, int *hostfd, midi_error *e)
{
	if (flock(*hostfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK || errno == EINTR)
			return 0; /* a host lives */
		return midi_error_sys(e, errno, "cannot lock the host lock of %s", slot->info.id);
	}
	/* We hold the lock: we are responsible for the (new) host. */
	char name[SEG_NAME_MAX + 16];
	seg_file_name(name, sizeof name, slot->uid, ".host.lock");
	int fresh = rt_open(rt, name, O_RDWR | O_CREAT, e);
	if (fresh < 0) {
		flock(*hostfd, LOCK_UN);
		return fresh;
	}
	struct reg_slot copy = *slot;
	int r = broker_spawn("midi-host", *hostfd, host_main, &copy);
	if (r < 0) {
		flock(*hostfd, LOCK_UN);
		close(fresh);
		return midi_error_sys(e, -r, "cannot start a host for %s", slot->info.id);
	}
	/* Do not unlock: the host shares this open file and its lock. */
	close(*hostfd);
	*hostfd = fresh;
	return 0;
}
