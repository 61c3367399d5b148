/* segment.c: one endpoint's shared segment (file ep-UID): header with the
 * closed flag and reason, the host cursor, the rings' headers (on the
 * first page, which every message touches anyway) and the client table
 * (pid + start time, reclaimed by anyone once dead), then the slots of the
 * `out` ring (what the endpoint's clients receive) and, for hosted
 * endpoints, of the `in` ring (what clients send, drained by the host).
 * Lock files next to it:
 * ep-UID.out.lock / ep-UID.in.lock serialise writers of each ring and
 * ep-UID.host.lock is held by the endpoint's host, ep-UID.disc.lock by its
 * discovery agent. Mapping validates every
 * size and offset against the file before use. */
#include "broker/broker.h"
#include "broker/shmguard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(struct seg_client) == 64, "client entry size (SEG_HDR_BYTES)");
_Static_assert(sizeof(struct seg_hdr) <= SEG_HDR_BYTES, "segment header too big");
_Static_assert(SEG_HDR_BYTES % 4096 == 0 && SEG_HDR_BYTES - sizeof(struct seg_hdr) < 4096,
	       "segment header: whole pages, no more than needed");
_Static_assert(sizeof(struct ring_shared) == RING_HDR_BYTES, "ring header size");
_Static_assert(offsetof(struct seg_hdr, rings) + sizeof(((struct seg_hdr *)0)->rings) <= 4096,
	       "the rings' headers are on the segment's first page");

#define OWNER_RECLAIM (1ull << 63)

void seg_file_name(char *buf, size_t n, uint64_t uid, const char *suffix)
{
	snprintf(buf, n, "ep-%016llx%s", (unsigned long long)uid, suffix);
}

static uint64_t ring_slots_setting(uint64_t dflt)
{
	const char *s = getenv("MIDI_RING_SLOTS");
	if (!s || !*s)
		return dflt;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v < 64 || v > (1ull << 24) || (v & (v - 1)))
		return dflt;
	return v;
}

static size_t round_page(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

int seg_create(struct rt *rt, uint64_t uid, int hosted, midi_error *e)
{
	char name[SEG_NAME_MAX];
	seg_file_name(name, sizeof name, uid, "");
	uint64_t out_slots = ring_slots_setting(SEG_OUT_SLOTS);
	uint64_t in_slots = hosted ? ring_slots_setting(SEG_IN_SLOTS) : 0;
	if (in_slots > SEG_IN_SLOTS)
		in_slots = SEG_IN_SLOTS;
	size_t out_off = SEG_HDR_BYTES;
	size_t in_off = round_page(out_off + ring_slot_bytes(out_slots));
	size_t total = in_slots ? round_page(in_off + ring_slot_bytes(in_slots)) : in_off;

	int fd = rt_open(rt, name, O_RDWR | O_CREAT | O_EXCL, e);
	if (fd < 0)
		return fd;
	if (ftruncate(fd, (off_t)total) < 0) {
		int err = errno;
		close(fd);
		unlinkat(rt->dirfd, name, 0);
		return midi_error_sys(e, err, "cannot size segment %s/%s", rt->path, name);
	}
	/* Every block now: a full disk is an error here, not a SIGBUS later. */
	int rerr = shm_reserve(fd, (off_t)total);
	if (rerr) {
		close(fd);
		unlinkat(rt->dirfd, name, 0);
		return midi_error_sys(e, rerr, "cannot reserve %zu bytes for segment %s/%s", total,
				      rt->path, name);
	}
	void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int err = errno;
	close(fd);
	if (m == MAP_FAILED) {
		unlinkat(rt->dirfd, name, 0);
		return midi_error_sys(e, err, "cannot map segment %s/%s", rt->path, name);
	}
	shmguard_add(m, total);
	struct seg_hdr *h = m;
	h->version = SEG_VERSION;
	h->hdr_bytes = SEG_HDR_BYTES;
	h->uid = uid;
	h->total = total;
	h->out_off = out_off;
	h->out_slots = out_slots;
	h->in_off = in_slots ? in_off : 0;
	h->in_slots = in_slots;
	h->next_conn_id = 1;
	ring_init_shared(&h->rings[0], out_slots);
	if (in_slots)
		ring_init_shared(&h->rings[1], in_slots);
	__atomic_store_n(&h->magic, SEG_MAGIC, __ATOMIC_RELEASE);
	int lost = shmguard_lost(m);
	shmguard_remove(m);
	munmap(m, total);
	if (lost) {
		unlinkat(rt->dirfd, name, 0);
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "segment %s/%s was truncated by another process while being made",
				      rt->path, name);
	}
	return 0;
}

static int pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int seg_map(struct rt *rt, const char *name, uint64_t uid, struct seg *s, int *corrupt,
	    midi_error *e)
{
	memset(s, 0, sizeof *s);
	*corrupt = 0;
	int fd = rt_open(rt, name, O_RDWR, e);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return midi_error_sys(e, errno, "segment %s/%s", rt->path, name);
	}
	size_t size = (size_t)st.st_size;
	if (size < SEG_HDR_BYTES || size > (1ull << 32)) {
		close(fd);
		*corrupt = 1;
		return midi_error_set(e, MIDI_ERR_RUNTIME, "segment %s/%s is corrupt (size %zu)",
				      rt->path, name, size);
	}
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int err = errno;
	close(fd);
	if (m == MAP_FAILED)
		return midi_error_sys(e, err, "cannot map segment %s/%s", rt->path, name);
	shmguard_add(m, size); /* truncated under us: zeros, not SIGBUS */
	struct seg_hdr *h = m;
	/* Read each field once: another process may be changing them. */
	uint64_t magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	uint32_t version = h->version, hdr_bytes = h->hdr_bytes;
	uint64_t huid = h->uid, total = h->total;
	uint64_t out_off = h->out_off, out_slots = h->out_slots;
	uint64_t in_off = h->in_off, in_slots = h->in_slots;
	const char *bad = NULL;
	if (magic == SEG_MAGIC && version == 1 && hdr_bytes == 12288) {
		/* The format before the client table grew: another build's
		 * file, not garbage. Say so and change nothing. */
		shmguard_remove(m);
		munmap(m, size);
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "segment %s/%s has format version %u, this build uses %u (it "
				      "was made by another build of libmidi: stop its programs and "
				      "remove %s)", rt->path, name, version, SEG_VERSION, rt->path);
	}
	if (magic != SEG_MAGIC || version != SEG_VERSION || hdr_bytes != SEG_HDR_BYTES)
		bad = "bad header";
	else if (uid && huid != uid)
		bad = "belongs to another endpoint";
	else if (total != size)
		bad = "size does not match its header";
	else if (out_off != SEG_HDR_BYTES || !pow2(out_slots) || out_slots > (1ull << 24) ||
		 out_off + ring_slot_bytes(out_slots) > size)
		bad = "bad out ring";
	else if (in_slots && (!pow2(in_slots) || in_slots > (1ull << 24) ||
			      in_off < out_off + ring_slot_bytes(out_slots) ||
			      in_off + ring_slot_bytes(in_slots) > size || (in_off & 7)))
		bad = "bad in ring";
	if (bad) {
		shmguard_remove(m);
		munmap(m, size);
		*corrupt = 1;
		return midi_error_set(e, MIDI_ERR_RUNTIME, "segment %s/%s is corrupt (%s)",
				      rt->path, name, bad);
	}
	s->rt = rt;
	s->base = m;
	s->size = size;
	s->hdr = h;
	s->uid = huid;
	snprintf(s->name, sizeof s->name, "%s", name);
	ring_attach_at(&s->out, &h->rings[0], (char *)m + out_off, out_slots);
	if (in_slots) {
		ring_attach_at(&s->in, &h->rings[1], (char *)m + in_off, in_slots);
		s->has_in = 1;
	}
	return 0;
}

void seg_unmap(struct seg *s)
{
	if (s->base) {
		shmguard_remove(s->base);
		munmap(s->base, s->size);
	}
	memset(s, 0, sizeof *s);
}

void seg_unlink(struct rt *rt, uint64_t uid)
{
	static const char *const suffix[] = {"", ".out.lock", ".in.lock", ".host.lock",
					      ".disc.lock"};
	char name[SEG_NAME_MAX + 16];
	for (size_t k = 0; k < sizeof suffix / sizeof *suffix; k++) {
		seg_file_name(name, sizeof name, uid, suffix[k]);
		unlinkat(rt->dirfd, name, 0);
	}
}

static void armed_release(struct seg *s)
{
	uint32_t v = __atomic_load_n(&s->hdr->bells_armed, __ATOMIC_RELAXED);
	while (v != 0 && !__atomic_compare_exchange_n(&s->hdr->bells_armed, &v, v - 1, 0,
						      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
}

MIDI_HOT
unsigned seg_clients_hw(const struct seg *s)
{
	uint32_t hw = __atomic_load_n(&s->hdr->clients_hw, __ATOMIC_ACQUIRE);
	return hw > SEG_CLIENTS ? SEG_CLIENTS : hw;
}

static void hw_raise(struct seg *s, uint32_t to)
{
	uint32_t v = __atomic_load_n(&s->hdr->clients_hw, __ATOMIC_RELAXED);
	while ((v < to || v > SEG_CLIENTS) &&
	       !__atomic_compare_exchange_n(&s->hdr->clients_hw, &v, to, 0, __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED))
		;
}

void seg_client_set_bell(struct seg *s, int idx, uint64_t id)
{
	if (idx < 0 || (unsigned)idx >= SEG_CLIENTS)
		return;
	struct seg_client *c = &s->hdr->clients[idx];
	if (__atomic_exchange_n(&c->bell_armed, 0, __ATOMIC_ACQ_REL))
		armed_release(s);
	__atomic_store_n(&c->bell, id, __ATOMIC_RELEASE);
}

MIDI_HOT
void seg_client_arm(struct seg *s, int idx)
{
	if (idx < 0 || (unsigned)idx >= SEG_CLIENTS)
		return;
	struct seg_client *c = &s->hdr->clients[idx];
	if (__atomic_load_n(&c->bell_armed, __ATOMIC_ACQUIRE))
		return;
	/* The count first: a writer that sees the flag also sees the count. */
	__atomic_add_fetch(&s->hdr->bells_armed, 1, __ATOMIC_SEQ_CST);
	uint32_t zero = 0;
	if (!__atomic_compare_exchange_n(&c->bell_armed, &zero, 1, 0, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		armed_release(s);
}

MIDI_HOT
void seg_ring_bells(struct rt *rt, struct seg *s, uint32_t tag)
{
	struct seg_hdr *h = s->hdr;
	if (!__atomic_load_n(&h->bells_armed, __ATOMIC_SEQ_CST))
		return;
	unsigned hw = seg_clients_hw(s);
	for (unsigned k = 0; k < hw; k++) {
		struct seg_client *c = &h->clients[k];
		if (!__atomic_load_n(&c->bell_armed, __ATOMIC_ACQUIRE))
			continue;
		if (tag != 0 && tag != RING_ALL && __atomic_load_n(&c->conn_id, __ATOMIC_RELAXED) != tag)
			continue;
		if (!__atomic_exchange_n(&c->bell_armed, 0, __ATOMIC_ACQ_REL))
			continue;
		armed_release(s);
		bell_ring(rt, __atomic_load_n(&c->bell, __ATOMIC_ACQUIRE));
	}
}

MIDI_HOT
void seg_ring_host_bell(struct rt *rt, struct seg *s)
{
	if (__atomic_exchange_n(&s->hdr->host_bell_armed, 0, __ATOMIC_SEQ_CST))
		bell_ring(rt, __atomic_load_n(&s->hdr->host_bell, __ATOMIC_ACQUIRE));
}

/* Reclaim entry k if its owner is dead; returns 1 if it is free now. */
static int reclaim(struct seg *s, unsigned k)
{
	struct seg_client *c = &s->hdr->clients[k];
	uint64_t owner = __atomic_load_n(&c->owner, __ATOMIC_ACQUIRE);
	if (owner == 0)
		return 1;
	if (proc_key_alive(owner & ~OWNER_RECLAIM))
		return 0;
	uint64_t mine = proc_key_self() | OWNER_RECLAIM;
	if (!__atomic_compare_exchange_n(&c->owner, &owner, mine, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return 0;
	/* It died while asleep: give back its sleeper count, its armed
	 * bell, and remove the bell's FIFO. */
	if (__atomic_exchange_n(&c->sleeping, 0, __ATOMIC_ACQ_REL))
		ring_sleeper_release(&s->out);
	if (__atomic_exchange_n(&c->bell_armed, 0, __ATOMIC_ACQ_REL))
		armed_release(s);
	uint64_t bell = __atomic_exchange_n(&c->bell, 0, __ATOMIC_ACQ_REL);
	if (bell && s->rt)
		bell_unlink(s->rt, bell);
	__atomic_store_n(&c->reader, 0, __ATOMIC_RELEASE);
	c->conn_id = 0;
	__atomic_store_n(&c->owner, 0, __ATOMIC_RELEASE);
	return 1;
}

int seg_client_add(struct seg *s, uint32_t *conn_id)
{
	struct seg_hdr *h = s->hdr;
	uint32_t id;
	do
		id = __atomic_fetch_add(&h->next_conn_id, 1, __ATOMIC_RELAXED);
	while (id == 0 || id == RING_ALL);
	*conn_id = id;
	uint64_t key = proc_key_self();
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned k = 0; k < SEG_CLIENTS; k++) {
			struct seg_client *c = &h->clients[k];
			uint64_t zero = 0;
			if (pass == 1 && !reclaim(s, k))
				continue;
			if (__atomic_compare_exchange_n(&c->owner, &zero, key, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED)) {
				hw_raise(s, k + 1);
				c->conn_id = id;
				c->sleeping = 0;
				c->bell_armed = 0;
				c->bell = 0;
				__atomic_store_n(&c->reader, 0, __ATOMIC_RELAXED);
				__atomic_store_n(&c->lagging, 0, __ATOMIC_RELAXED);
				__atomic_store_n(&c->cursor, 0, __ATOMIC_RELEASE);
				return (int)k;
			}
		}
	}
	return -1; /* table full: the connection works but is not counted */
}

MIDI_HOT
void seg_flow_publish(struct seg *s, int idx, uint64_t pos)
{
	if (idx < 0 || (unsigned)idx >= SEG_CLIENTS)
		return;
	struct seg_client *c = &s->hdr->clients[idx];
	__atomic_store_n(&c->cursor, pos, __ATOMIC_RELEASE);
	if (__atomic_load_n(&c->lagging, __ATOMIC_RELAXED) &&
	    ring_head(&s->out) - pos < (s->out.mask + 1) / 2)
		__atomic_store_n(&c->lagging, 0, __ATOMIC_RELEASE);
}

void seg_flow_wait(struct seg *s, uint64_t need, uint64_t *limit)
{
	struct ring *r = &s->out;
	uint64_t slots = r->mask + 1;
	if (need > slots / 2)
		need = slots / 2;
	/* Cursors only move forward and new readers start at the head, so
	 * the last bound stays valid: no scan while below it. */
	if (ring_head(r) + need <= *limit)
		return;
	int stall_idx = -1;
	uint64_t stall_cur = 0, stall_since = 0;
	for (;;) {
		uint64_t head = ring_head(r), lim = UINT64_MAX, who_cur = 0;
		int who = -1;
		unsigned hw = seg_clients_hw(s);
		for (unsigned k = 0; k < hw; k++) {
			struct seg_client *c = &s->hdr->clients[k];
			if (!__atomic_load_n(&c->owner, __ATOMIC_RELAXED) ||
			    !__atomic_load_n(&c->reader, __ATOMIC_RELAXED) ||
			    __atomic_load_n(&c->lagging, __ATOMIC_RELAXED))
				continue;
			uint64_t cur = __atomic_load_n(&c->cursor, __ATOMIC_ACQUIRE);
			/* untrusted: ahead of the head, or already lapped */
			if (cur > head || head - cur > slots)
				continue;
			if (cur + slots < lim) {
				lim = cur + slots;
				who = (int)k;
				who_cur = cur;
			}
		}
		/* No reader now: one that comes starts at a head at least this
		 * one, so head + slots stays a valid bound (never "no bound",
		 * which would leave a later reader unprotected). */
		if (who < 0)
			lim = head + slots;
		*limit = lim;
		if (head + need <= lim || who < 0)
			return;
		uint64_t now = broker_now_ns();
		if (who != stall_idx || who_cur != stall_cur) {
			stall_idx = who;
			stall_cur = who_cur;
			stall_since = now;
		} else if (now - stall_since >= (uint64_t)FLOW_STALL_NS) {
			__atomic_store_n(&s->hdr->clients[who].lagging, 1, __ATOMIC_RELEASE);
			stall_idx = -1;
			continue;
		}
		struct timespec ts = {0, 20000};
		nanosleep(&ts, NULL);
	}
}

void seg_client_remove(struct seg *s, int idx)
{
	if (idx < 0 || (unsigned)idx >= SEG_CLIENTS)
		return;
	struct seg_client *c = &s->hdr->clients[idx];
	if (__atomic_exchange_n(&c->sleeping, 0, __ATOMIC_ACQ_REL))
		ring_sleeper_release(&s->out);
	if (__atomic_exchange_n(&c->bell_armed, 0, __ATOMIC_ACQ_REL))
		armed_release(s);
	__atomic_store_n(&c->bell, 0, __ATOMIC_RELEASE);
	c->conn_id = 0;
	uint64_t key = proc_key_self();
	__atomic_compare_exchange_n(&c->owner, &key, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

unsigned seg_clients_live(struct seg *s)
{
	unsigned n = 0, hw = seg_clients_hw(s);
	for (unsigned k = 0; k < hw; k++)
		if (!reclaim(s, k))
			n++;
	return n;
}

void seg_close(struct seg *s, const char *reason)
{
	struct seg_hdr *h = s->hdr;
	snprintf(h->reason, sizeof h->reason, "%s", reason);
	__atomic_store_n(&h->closed, 1, __ATOMIC_SEQ_CST);
	ring_wake_all(&s->out);
	if (s->has_in)
		ring_wake_all(&s->in);
	/* Every client with a bell hears of it, armed or not. */
	unsigned hw = seg_clients_hw(s);
	for (unsigned k = 0; k < hw && s->rt; k++) {
		struct seg_client *c = &h->clients[k];
		uint64_t bell = __atomic_load_n(&c->bell, __ATOMIC_ACQUIRE);
		if (bell && __atomic_load_n(&c->owner, __ATOMIC_ACQUIRE))
			bell_ring(s->rt, bell);
	}
	if (s->rt)
		bell_ring(s->rt, __atomic_load_n(&h->host_bell, __ATOMIC_ACQUIRE));
}

MIDI_HOT
int seg_state(const struct seg *s, char *reason, size_t n)
{
	if (reason && n)
		reason[0] = '\0';
	uint32_t closed = __atomic_load_n(&s->hdr->closed, __ATOMIC_ACQUIRE);
	if (seg_lost(s)) {
		if (reason && n)
			snprintf(reason, n, "its shared file %s was truncated by another process",
				 s->name);
		return SEG_ST_LOST;
	}
	if (closed == 0)
		return SEG_ST_OPEN;
	if (closed != 1) {
		/* Only a remover sets it, and only to 1. */
		if (reason && n)
			snprintf(reason, n, "its shared file %s was corrupted", s->name);
		return SEG_ST_CORRUPT;
	}
	/* The reason only if it is what a remover writes: printable text,
	 * ended within the field. */
	char buf[sizeof s->hdr->reason];
	size_t k;
	for (k = 0; k < sizeof buf; k++) {
		char ch = __atomic_load_n(&s->hdr->reason[k], __ATOMIC_RELAXED);
		buf[k] = ch;
		if (!ch)
			break;
		if (ch < 0x20 || ch >= 0x7f)
			return SEG_ST_CLOSED;
	}
	if (k < sizeof buf && reason && n)
		snprintf(reason, n, "%s", buf);
	return SEG_ST_CLOSED;
}

MIDI_HOT
int seg_closed(const struct seg *s, char *reason, size_t n)
{
	return seg_state(s, reason, n) != SEG_ST_OPEN;
}

unsigned seg_count_clients(struct rt *rt, const struct reg_slot *slot)
{
	struct seg s;
	int corrupt;
	if (seg_map(rt, slot->seg, slot->uid, &s, &corrupt, NULL) < 0)
		return 0;
	unsigned n = seg_clients_live(&s);
	seg_unmap(&s);
	return n;
}
