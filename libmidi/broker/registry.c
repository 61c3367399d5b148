/* registry.c: the shared endpoint table and event log (file `registry`).
 * Changed only under flock on `registry.lock` inside a generation bracket
 * (odd while changing); read lock-free with the generation check. A header
 * that is garbage is rebuilt under the lock (built-in endpoints and the
 * configuration re-added, old segments closed); a generation left odd by a
 * writer that died is repaired under the lock. Slots are sanitised on every
 * read: the file is shared memory anyone of this uid can scribble on. */
#include "broker/broker.h"
#include "broker/shmguard.h"
#include "transport/transport.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_RETRIES 2000

static void force_nul(char *s, size_t n)
{
	s[n - 1] = '\0';
}

void reg_sanitize_slot(struct reg_slot *s)
{
	midi_endpoint_info *i = &s->info;
	force_nul(s->seg, sizeof s->seg);
	force_nul(s->peer, sizeof s->peer);
	force_nul(i->id, sizeof i->id);
	force_nul(i->name, sizeof i->name);
	force_nul(i->transport, sizeof i->transport);
	force_nul(i->transport_name, sizeof i->transport_name);
	force_nul(i->user_name, sizeof i->user_name);
	force_nul(i->description, sizeof i->description);
	force_nul(i->ump_name, sizeof i->ump_name);
	force_nul(i->product_instance_id, sizeof i->product_instance_id);
	force_nul(i->usb_serial, sizeof i->usb_serial);
	if (i->native != MIDI_NATIVE_BYTES && i->native != MIDI_NATIVE_UMP)
		i->native = MIDI_NATIVE_UMP;
	if (i->protocol != 1 && i->protocol != 2)
		i->protocol = 1;
	i->protocols &= 3;
	if (i->purpose > MIDI_PURPOSE_VIRTUAL)
		i->purpose = MIDI_PURPOSE_NORMAL;
	if (i->discovery > MIDI_DISCOVERY_TIMEOUT)
		i->discovery = MIDI_DISCOVERY_NONE;
	i->jr_caps &= 3;
	i->incarnation = s->incarnation;
	if (i->num_function_blocks > MIDI_FB_MAX)
		i->num_function_blocks = MIDI_FB_MAX;
	for (unsigned k = 0; k < MIDI_FB_MAX; k++)
		force_nul(i->fb[k].name, sizeof i->fb[k].name);
	s->hosted = s->hosted ? 1 : 0;
}

/* A slot that can be used at all (after sanitising). */
static int slot_valid(const struct reg_slot *s)
{
	if (s->state != 1 || s->uid == 0)
		return 0;
	/* A transport this build does not know is still an endpoint (of a
	 * build with more transports): listed, never deleted. */
	if (!strchr(s->info.id, ':') || !s->info.transport[0])
		return 0;
	if (strncmp(s->seg, "ep-", 3) != 0 || strlen(s->seg) < 4)
		return 0;
	for (const char *p = s->seg + 3; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static void shm_copy(void *dst, const void *src, size_t n)
{
	uint64_t *d = dst;
	const uint64_t *s = src;
	for (size_t k = 0; k < n / 8; k++)
		d[k] = __atomic_load_n(&s[k], __ATOMIC_RELAXED);
}

uint32_t reg_other_format(uint64_t magic, uint32_t format)
{
	return magic == REG_MAGIC && format != SHM_FORMAT && format != 0 ? format : 0;
}

int reg_format_error(const char *path, uint32_t other, midi_error *e)
{
	return midi_error_set(e, MIDI_ERR_RUNTIME,
			      "runtime directory %s holds shared-memory format %u, this build of "
			      "libmidi uses format %u: nothing was changed there. Stop the "
			      "programs of the other version, or set MIDI_RUNTIME_DIR to another "
			      "directory",
			      path, other, SHM_FORMAT);
}

static int header_ok(const struct reg_hdr *h)
{
	return h->magic == REG_MAGIC && h->format == SHM_FORMAT &&
	       h->size == sizeof(struct reg_hdr) && h->nslots == REG_SLOTS &&
	       h->nevents == REG_EVENTS;
}

static size_t copy_active(struct rt *rt, struct reg_slot *out)
{
	size_t n = 0;
	struct shm_slot tmp;
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		struct shm_slot *s = &rt->reg->slots[k];
		if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) != 1)
			continue;
		shm_copy(&tmp, s, sizeof tmp);
		slot_load(&out[n], &tmp);
		n++;
	}
	return n;
}

void reg_get_locked(struct rt *rt, int idx, struct reg_slot *out)
{
	slot_load(out, &rt->reg->slots[idx]);
	reg_sanitize_slot(out);
}

void reg_put_locked(struct rt *rt, int idx, const struct reg_slot *in)
{
	slot_store(&rt->reg->slots[idx], in);
}

static size_t finish_snapshot(struct reg_slot *out, size_t n)
{
	size_t m = 0;
	for (size_t k = 0; k < n; k++) {
		reg_sanitize_slot(&out[k]);
		if (slot_valid(&out[k]))
			out[m++] = out[k];
	}
	return m;
}

/* Copy the log entries from seq `from` up to `seq`. */
static size_t copy_events(struct rt *rt, uint64_t from, uint64_t seq, struct reg_event *evs,
			  int *overflow)
{
	*overflow = 0;
	if ((int64_t)(seq - from) < 0) {
		*overflow = 1; /* the sequence went backwards: the registry was rebuilt */
		return 0;
	}
	if (seq - from > REG_EVENTS) {
		*overflow = 1;
		return 0;
	}
	size_t n = 0;
	for (uint64_t q = from; q != seq; q++)
		shm_copy(&evs[n++], &rt->reg->events[q % REG_EVENTS], sizeof *evs);
	return n;
}

/* Check copied entries: each must carry its own sequence number. */
static void finish_events(struct reg_event *evs, size_t n, uint64_t from, int *overflow)
{
	for (size_t k = 0; k < n; k++) {
		evs[k].id[MIDI_ID_MAX - 1] = '\0';
		evs[k].name[MIDI_NAME_MAX - 1] = '\0';
		evs[k].transport[sizeof evs[k].transport - 1] = '\0';
		evs[k].reason[sizeof evs[k].reason - 1] = '\0';
		/* as for a segment's close reason (seg_state): printable text or nothing */
		for (const char *c = evs[k].reason; *c; c++)
			if (*c < 0x20 || *c >= 0x7f) {
				evs[k].reason[0] = '\0';
				break;
			}
		if (evs[k].seq != from + k || evs[k].kind < REG_EV_ADDED || evs[k].kind > REG_EV_UPDATED)
			*overflow = 1;
	}
}

int reg_read(struct rt *rt, struct reg_slot *out, size_t *n, uint64_t *seq, uint64_t from,
	     struct reg_event *evs, size_t *nev, int *overflow, midi_error *e)
{
	struct reg_hdr *h = rt->reg;
	int ovf = 0;
	size_t ne = 0;
	for (int tries = 0; tries < READ_RETRIES; tries++) {
		uint32_t g1 = __atomic_load_n(&h->gen, __ATOMIC_ACQUIRE);
		if (!header_ok(h))
			break;
		if (g1 & 1) {
			if (tries > 8)
				sched_yield();
			continue;
		}
		size_t m = copy_active(rt, out);
		uint64_t q = __atomic_load_n(&h->event_seq, __ATOMIC_ACQUIRE);
		if (evs)
			ne = copy_events(rt, from, q, evs, &ovf);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&h->gen, __ATOMIC_RELAXED) != g1)
			continue;
		*n = finish_snapshot(out, m);
		if (seq)
			*seq = q;
		if (evs) {
			finish_events(evs, ne, from, &ovf);
			*nev = ne;
			*overflow = ovf;
		}
		return 0;
	}
	/* A writer died mid-change, or the header is garbage: fix under the lock. */
	int r = reg_lock(rt, e);
	if (r)
		return r;
	size_t m = copy_active(rt, out);
	uint64_t q = h->event_seq;
	if (evs)
		ne = copy_events(rt, from, q, evs, &ovf);
	reg_unlock(rt);
	*n = finish_snapshot(out, m);
	if (seq)
		*seq = q;
	if (evs) {
		finish_events(evs, ne, from, &ovf);
		*nev = ne;
		*overflow = ovf;
	}
	return 0;
}

int reg_snapshot(struct rt *rt, struct reg_slot *out, size_t *n, midi_error *e)
{
	return reg_read(rt, out, n, NULL, 0, NULL, NULL, NULL, e);
}

void reg_wait(struct rt *rt, uint64_t seq, int64_t timeout_ns)
{
	if (timeout_ns <= 0)
		return;
	uint32_t f = __atomic_load_n(&rt->reg->ev_futex, __ATOMIC_SEQ_CST);
	if (reg_event_seq(rt) != seq)
		return;
	struct timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
	syscall(SYS_futex, &rt->reg->ev_futex, FUTEX_WAIT, f, &ts, NULL, 0);
}

/* The flags of the endpoint whose segment is uid, read without the lock;
 * looked up only when the registry's generation moved from *gen. */
MIDI_HOT
uint32_t reg_live_flags(struct rt *rt, uint64_t uid, uint32_t *gen, uint32_t cached)
{
	uint32_t g1 = __atomic_load_n(&rt->reg->gen, __ATOMIC_ACQUIRE);
	if (g1 == *gen || (g1 & 1))
		return cached;
	uint32_t flags = cached;
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		struct shm_slot *s = &rt->reg->slots[k];
		if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) == 1 &&
		    __atomic_load_n(&s->uid, __ATOMIC_RELAXED) == uid) {
			flags = __atomic_load_n(&s->info.flags, __ATOMIC_RELAXED);
			break;
		}
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&rt->reg->gen, __ATOMIC_RELAXED) != g1)
		return cached;
	*gen = g1;
	return flags;
}

/* ---- writers (lock held) ---- */

void reg_write_begin(struct rt *rt)
{
	if (rt->wdepth++ == 0)
		__atomic_add_fetch(&rt->reg->gen, 1, __ATOMIC_SEQ_CST);
}

void reg_write_end(struct rt *rt)
{
	if (rt->wdepth > 0 && --rt->wdepth == 0)
		__atomic_add_fetch(&rt->reg->gen, 1, __ATOMIC_SEQ_CST);
}

void reg_event_locked(struct rt *rt, uint32_t kind, uint32_t mask, const struct reg_slot *s)
{
	reg_event_why_locked(rt, kind, mask, s, NULL);
}

void reg_event_why_locked(struct rt *rt, uint32_t kind, uint32_t mask, const struct reg_slot *s,
			  const char *reason)
{
	struct reg_hdr *h = rt->reg;
	uint64_t seq = h->event_seq;
	struct reg_event *ev = &h->events[seq % REG_EVENTS];
	ev->seq = seq;
	ev->kind = kind;
	ev->mask = mask;
	ev->incarnation = s->incarnation;
	snprintf(ev->id, sizeof ev->id, "%s", s->info.id);
	snprintf(ev->name, sizeof ev->name, "%s", s->info.name);
	snprintf(ev->transport, sizeof ev->transport, "%s", s->info.transport);
	ev->purpose = s->info.purpose;
	snprintf(ev->reason, sizeof ev->reason, "%s", reason ? reason : "");
	__atomic_store_n(&h->event_seq, seq + 1, __ATOMIC_RELEASE);
	/* Watchers sleep on their own counter (never on the sequence itself). */
	__atomic_add_fetch(&h->ev_futex, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &h->ev_futex, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	for (unsigned k = 0; k < REG_WAITERS; k++) {
		struct reg_waiter *w = &h->waiters[k];
		if (__atomic_load_n(&w->armed, __ATOMIC_SEQ_CST) &&
		    __atomic_exchange_n(&w->armed, 0, __ATOMIC_SEQ_CST))
			bell_ring(rt, __atomic_load_n(&w->bell, __ATOMIC_ACQUIRE));
	}
}

int reg_waiter_add(struct rt *rt, uint64_t bell)
{
	uint64_t key = proc_key_self();
	for (int pass = 0; pass < 2; pass++)
		for (unsigned k = 0; k < REG_WAITERS; k++) {
			struct reg_waiter *w = &rt->reg->waiters[k];
			uint64_t owner = __atomic_load_n(&w->owner, __ATOMIC_ACQUIRE);
			if (owner && (pass == 0 || proc_key_alive(owner)))
				continue;
			if (!__atomic_compare_exchange_n(&w->owner, &owner, key, 0, __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED))
				continue;
			uint64_t old = __atomic_exchange_n(&w->bell, bell, __ATOMIC_ACQ_REL);
			if (owner && old)
				bell_unlink(rt, old); /* of a process that died */
			__atomic_store_n(&w->armed, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&w->agent, 0, __ATOMIC_RELEASE);
			return (int)k;
		}
	return -1;
}

MIDI_HOT
void reg_waiter_arm(struct rt *rt, int idx)
{
	if (idx >= 0 && (unsigned)idx < REG_WAITERS)
		__atomic_store_n(&rt->reg->waiters[idx].armed, 1, __ATOMIC_SEQ_CST);
}

void reg_waiter_remove(struct rt *rt, int idx)
{
	if (idx < 0 || (unsigned)idx >= REG_WAITERS)
		return;
	struct reg_waiter *w = &rt->reg->waiters[idx];
	__atomic_store_n(&w->armed, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&w->bell, 0, __ATOMIC_RELEASE);
	uint64_t key = proc_key_self();
	__atomic_compare_exchange_n(&w->owner, &key, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

int reg_find_locked(struct rt *rt, const char *id)
{
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		struct shm_slot *s = &rt->reg->slots[k];
		if (s->state == 1 && strncmp(s->info.id, id, MIDI_ID_MAX) == 0)
			return (int)k;
	}
	return -1;
}

int reg_get_incarnation_locked(struct rt *rt, const char *id, uint64_t incarnation,
			       struct reg_slot *out)
{
	int idx = reg_find_locked(rt, id);
	if (idx < 0)
		return -1;
	reg_get_locked(rt, idx, out);
	return out->incarnation == incarnation ? idx : -1;
}

int reg_free_slots_locked(struct rt *rt)
{
	int n = 0;
	for (unsigned k = 0; k < REG_SLOTS; k++)
		n += rt->reg->slots[k].state != 1;
	return n;
}

int reg_add_locked(struct rt *rt, const struct reg_slot *tmpl, midi_error *e)
{
	struct reg_hdr *h = rt->reg;
	int idx = -1;
	for (unsigned k = 0; k < REG_SLOTS && idx < 0; k++)
		if (h->slots[k].state != 1)
			idx = (int)k;
	if (idx < 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "endpoint table full (%u endpoints)",
				      REG_SLOTS);
	uint64_t uid = ++h->next_uid;
	int r = seg_create(rt, uid, tmpl->hosted, e);
	if (r) {
		if (e) {
			char why[sizeof e->msg];
			snprintf(why, sizeof why, "%s", e->msg);
			int w = snprintf(e->msg, sizeof e->msg, "cannot add endpoint %.*s: ",
					 MIDI_ID_MAX, tmpl->info.id);
			if (w > 0 && (size_t)w < sizeof e->msg) {
				size_t n = strnlen(why, sizeof e->msg - (size_t)w - 1);
				memcpy(e->msg + w, why, n);
				e->msg[(size_t)w + n] = '\0';
			}
		}
		return r;
	}
	struct reg_slot v = *tmpl;
	v.uid = uid;
	v.incarnation = uid;
	v.info.incarnation = uid;
	seg_file_name(v.seg, sizeof v.seg, uid, "");
	v.info.generation = 1;
	v.state = 1;
	reg_write_begin(rt);
	slot_store(&h->slots[idx], &v);
	reg_event_locked(rt, REG_EV_ADDED, 0, &v);
	reg_write_end(rt);
	if (reg_lost(rt))
		return reg_lost_error(rt, e); /* written into zeros: not added */
	return idx;
}

void reg_remove_locked(struct rt *rt, int idx, const char *reason)
{
	struct shm_slot *s = &rt->reg->slots[idx];
	struct reg_slot copy;
	reg_get_locked(rt, idx, &copy);
	struct seg seg;
	int corrupt;
	uint64_t uid = copy.uid;
	if (seg_map(rt, copy.seg, uid, &seg, &corrupt, NULL) == 0) {
		seg_close(&seg, reason);
		seg_unmap(&seg);
	}
	reg_write_begin(rt);
	memset(s, 0, sizeof *s);
	reg_event_why_locked(rt, REG_EV_REMOVED, 0, &copy, reason);
	reg_write_end(rt);
	seg_unlink(rt, uid);
}

int reg_reseg_locked(struct rt *rt, int idx, midi_error *e)
{
	struct reg_hdr *h = rt->reg;
	struct shm_slot *s = &h->slots[idx];
	uint64_t old = s->uid;
	uint64_t uid = ++h->next_uid;
	int r = seg_create(rt, uid, s->hosted != 0, e);
	if (r)
		return r;
	reg_write_begin(rt);
	s->uid = uid;
	seg_file_name(s->seg, sizeof s->seg, uid, "");
	struct reg_slot v;
	reg_get_locked(rt, idx, &v);
	reg_event_locked(rt, REG_EV_UPDATED, REG_CH_SEGMENT, &v);
	reg_write_end(rt);
	seg_unlink(rt, old);
	return 0;
}

/* Close and delete every segment file (registry rebuilt from scratch). */
static void close_all_segments(struct rt *rt)
{
	int fd = openat(rt->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "ep-", 3) != 0)
			continue;
		if (!strchr(de->d_name, '.')) {
			struct seg seg;
			int corrupt;
			if (seg_map(rt, de->d_name, 0, &seg, &corrupt, NULL) == 0) {
				seg_close(&seg, "the endpoint registry was rebuilt");
				seg_unmap(&seg);
			}
		}
		unlinkat(rt->dirfd, de->d_name, 0);
	}
	closedir(d);
}

/* Returns 0, or the error of a built-in endpoint that could not be
 * created: the magic is not written then, so the next reg_lock rebuilds
 * again instead of keeping a table that lacks it. */
static int rebuild_locked(struct rt *rt, midi_error *e)
{
	struct reg_hdr *h = rt->reg;
	close_all_segments(rt);
	h->gen = 1;
	memset(h->slots, 0, sizeof h->slots);
	memset(h->events, 0, sizeof h->events);
	memset(h->conf_stamp, 0, sizeof h->conf_stamp);
	h->event_seq = 0;
	/* Start uids from the clock so old segment names are never reused. */
	h->next_uid = broker_now_ns();
	h->nslots = REG_SLOTS;
	h->nevents = REG_EVENTS;
	h->size = sizeof(struct reg_hdr);
	h->format = SHM_FORMAT;
	/* The magic is written last: until then readers take the lock and
	 * wait for the built-in endpoints instead of seeing an empty table. */
	__atomic_store_n(&h->magic, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&h->gen, 2, __ATOMIC_SEQ_CST);
	for (size_t k = 0; transport_all[k]; k++)
		if (transport_all[k]->registry_init) {
			int r = transport_all[k]->registry_init(rt, e);
			if (r < 0)
				return r;
		}
	/* Persistent loops from the configuration (errors are reported by
	 * rt_refresh, which applies it again since the stamp is cleared). */
	struct conf c;
	if (conf_current(&c, NULL) == 0) {
		conf_apply_locked(rt, &c, NULL);
		conf_free(&c);
	}
	__atomic_store_n(&h->magic, REG_MAGIC, __ATOMIC_SEQ_CST);
	return 0;
}

/* After a repair: an endpoint whose peer is not in the table (a pair
 * half made or half removed by a process that died) cannot be opened:
 * removed, so that the pair can be made again. */
static void drop_orphans_locked(struct rt *rt)
{
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		if (rt->reg->slots[k].state == 0)
			continue;
		struct reg_slot v;
		reg_get_locked(rt, (int)k, &v);
		if (v.peer[0] && reg_find_locked(rt, v.peer) < 0)
			reg_remove_locked(rt, (int)k,
					  "its peer is missing (a process died while changing the pair)");
	}
}

static void repair_locked(struct rt *rt)
{
	struct reg_hdr *h = rt->reg;
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		struct shm_slot *s = &h->slots[k];
		if (s->state == 0)
			continue;
		struct reg_slot v;
		reg_get_locked(rt, (int)k, &v);
		if (!slot_valid(&v))
			memset(s, 0, sizeof *s);
		else
			slot_store(s, &v);
	}
	__atomic_add_fetch(&h->gen, 1, __ATOMIC_SEQ_CST);
}

int reg_lock(struct rt *rt, midi_error *e)
{
	/* flock belongs to the open file, shared by this process's threads:
	 * they take turns on the mutex first. */
	pthread_mutex_lock(&rt->mu);
	int r = lock_fd(rt->lockfd, 5000);
	if (r)
		pthread_mutex_unlock(&rt->mu);
	if (r < 0)
		return midi_error_sys(e, -r, "cannot lock %s/registry.lock", rt->path);
	if (r > 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "registry lock %s/registry.lock held by another process for "
				      "more than 5 s", rt->path);
	rt->locked = 1;
	uint32_t other = reg_other_format(rt->reg->magic, rt->reg->format);
	if (other) {
		reg_unlock(rt);
		return reg_format_error(rt->path, other, e);
	}
	/* Touch it first: a truncated file is found lost here. Never
	 * rebuild a lost mapping: it is private zeros now, and a rebuild
	 * would delete every segment file for nothing. */
	int ok = header_ok(rt->reg);
	if (reg_lost(rt)) {
		reg_unlock(rt);
		return reg_lost_error(rt, e);
	}
	if (!ok) {
		r = rebuild_locked(rt, e);
		if (r < 0) {
			reg_unlock(rt);
			return r;
		}
	} else if (rt->reg->gen & 1) {
		repair_locked(rt);
		drop_orphans_locked(rt);
	}
	return 0;
}

void reg_unlock(struct rt *rt)
{
	if (rt->wdepth) { /* a bracket left open: never leave the generation odd */
		rt->wdepth = 1;
		reg_write_end(rt);
	}
	rt->locked = 0;
	unlock_fd(rt->lockfd);
	pthread_mutex_unlock(&rt->mu);
}
