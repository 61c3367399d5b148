/* host.c: the serving side of hosted endpoints (diag:ping now; USB
 * later). The host of an endpoint is whoever holds flock on
 * ep-UID.host.lock. A client that finds the lock free takes it and starts
 * the helper program (spawn.c: fork+exec of midi-helper, detached) as
 * `midi-host host UID 3`, passing the locked descriptor: the helper shares
 * that open file and its lock, so exactly one host exists and the kernel
 * frees the lock when it dies; the next client action then starts another.
 * The helper calls host_main, which finds the endpoint in the registry by
 * its segment uid (nothing is copied over from the client), drains the
 * `in` ring from the cursor kept in the segment (a new host resumes where
 * a killed one stopped; it stores the cursor after handling a batch, so a
 * host killed mid-batch makes its successor handle that batch again: at
 * least once), hands packets to the transport's host_input, calls
 * host_tick when idle, and exits when no live client has been connected
 * for HOST_IDLE_NS or the endpoint is removed. */
#include "broker/broker.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define HOST_IDLE_NS 2000000000ull
#define HOST_CHECK_CLIENTS_NS 200000000ull
#define HOST_BATCH 256

struct host {
	struct rt *rt;
	struct reg_slot slot;
	const struct midi_transport *tp;
	struct seg seg;
	int outlockfd;
	struct ring_cursor cur;
};

const struct reg_slot *host_slot(const struct host *h)
{
	return &h->slot;
}

int host_emit(struct host *h, const midi_packet *p, const uint32_t *tags, size_t n)
{
	if (lock_fd(h->outlockfd, 2000) != 0)
		return -MIDI_ERR_TIMEOUT;
	struct ring *r = &h->seg.out;
	uint64_t pos = ring_wpos(r), published = pos;
	uint64_t now = broker_now_ns();
	for (size_t k = 0; k < n; k++) {
		midi_ump u = p[k].ump;
		for (unsigned w = midi_ump_words(&u); w < 4; w++)
			u.w[w] = 0;
		ring_put(r, pos++, &u, now, tags ? tags[k] : 0);
		if (pos - published >= (r->mask + 1) / 2) {
			ring_publish(r, pos);
			published = pos;
		}
	}
	ring_publish(r, pos);
	unlock_fd(h->outlockfd);
	return 0;
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

/* Find the hosted endpoint whose segment is uid; 0 if it is there. */
static int find_slot(struct rt *rt, uint64_t uid, struct reg_slot *out)
{
	struct reg_slot *v = malloc(REG_SLOTS * sizeof *v);
	size_t n = 0;
	int found = -1;
	if (v && reg_snapshot(rt, v, &n, NULL) == 0)
		for (size_t k = 0; k < n; k++)
			if (v[k].uid == uid && v[k].hosted && !slot_app_hosted(&v[k])) {
				*out = v[k];
				found = 0;
				break;
			}
	free(v);
	return found;
}

/* The host (in the helper program, started by host_ensure). */
_Noreturn void host_main(uint64_t uid, int lockfd)
{
	(void)lockfd; /* held until exit */
	struct host h;
	memset(&h, 0, sizeof h);
	h.rt = rt_get(NULL);
	if (!h.rt)
		_exit(1);
	if (find_slot(h.rt, uid, &h.slot) < 0)
		_exit(0); /* removed or re-made meanwhile: nothing to serve */
	h.tp = transport_find(h.slot.info.transport);
	int corrupt;
	if (!h.tp || seg_map(h.rt, h.slot.seg, h.slot.uid, &h.seg, &corrupt, NULL) < 0 ||
	    !h.seg.has_in)
		_exit(1);
	char name[SEG_NAME_MAX + 16];
	seg_file_name(name, sizeof name, h.slot.uid, ".out.lock");
	h.outlockfd = rt_open(h.rt, name, O_RDWR | O_CREAT, NULL);
	if (h.outlockfd < 0)
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
	char uid[24], what[MIDI_ID_MAX + 16];
	snprintf(uid, sizeof uid, "%016" PRIx64, slot->uid);
	snprintf(what, sizeof what, "a host for %s", slot->info.id);
	const char *args[] = {uid, NULL};
	int r = broker_spawn(rt, "host", args, *hostfd, what, e);
	if (r < 0) {
		flock(*hostfd, LOCK_UN);
		close(fresh);
		return r;
	}
	/* Do not unlock: the host shares this open file and its lock. */
	close(*hostfd);
	*hostfd = fresh;
	return 0;
}
