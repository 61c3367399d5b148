/* apphost.c: endpoints hosted by an application (the virt transport). The
 * application holds flock on ep-UID.host.lock for the endpoint's whole
 * life, so the kernel frees it the moment the application dies (SIGKILL
 * included). Any process that looks (list, find, open, watchers, waiting
 * connections) tries the lock without blocking; if it is free, it removes
 * the endpoint under the registry lock (checking again there), which
 * closes the segment with the transport's reason and posts "removed". */
#include "broker/broker.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int slot_app_hosted(const struct reg_slot *slot)
{
	const struct midi_transport *tp = transport_find(slot->info.transport);
	return tp && tp->host_exit_reason;
}

int app_host_alive(struct rt *rt, uint64_t uid)
{
	char name[SEG_NAME_MAX + 16];
	seg_file_name(name, sizeof name, uid, ".host.lock");
	int fd = openat(rt->dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : 1; /* cannot tell: assume alive */
	/* Held (or an error we cannot judge): alive. */
	int alive = 1;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
		alive = 0;
	}
	close(fd);
	return alive;
}

/* Under the registry lock: remove slot idx if its host is gone. */
static int reap_locked(struct rt *rt, int idx)
{
	struct shm_slot *s = &rt->reg->slots[idx];
	const struct midi_transport *tp = transport_find(s->info.transport);
	if (!tp || !tp->host_exit_reason || app_host_alive(rt, s->uid))
		return 0;
	reg_remove_locked(rt, idx, tp->host_exit_reason);
	return 1;
}

int app_host_reap_one(struct rt *rt, const struct reg_slot *slot)
{
	if (!slot_app_hosted(slot) || app_host_alive(rt, slot->uid))
		return 0;
	if (reg_lock(rt, NULL) < 0)
		return 0;
	int idx = reg_find_locked(rt, slot->info.id);
	int r = 0;
	if (idx >= 0 && rt->reg->slots[idx].uid == slot->uid)
		r = reap_locked(rt, idx);
	reg_unlock(rt);
	return r;
}

/* A lock-free look at slot k: the uid of a live application-hosted
 * endpoint whose host lock is free, else 0. */
static uint64_t slot_host_gone(struct rt *rt, unsigned k)
{
	struct shm_slot *s = &rt->reg->slots[k];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != 1)
		return 0;
	char tp[sizeof s->info.transport];
	memcpy(tp, s->info.transport, sizeof tp);
	tp[sizeof tp - 1] = '\0';
	const struct midi_transport *t = transport_find(tp);
	if (!t || !t->host_exit_reason)
		return 0;
	uint64_t uid = __atomic_load_n(&s->uid, __ATOMIC_ACQUIRE);
	return uid && !app_host_alive(rt, uid) ? uid : 0;
}

int app_hosts_reap(struct rt *rt)
{
	/* A lock-free look at the table, checked again under the lock. */
	struct {
		char id[MIDI_ID_MAX];
		uint64_t uid;
	} dead[REG_SLOTS];
	unsigned ndead = 0;
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		uint64_t uid = slot_host_gone(rt, k);
		if (!uid)
			continue;
		struct shm_slot *s = &rt->reg->slots[k];
		memcpy(dead[ndead].id, s->info.id, MIDI_ID_MAX);
		dead[ndead].id[MIDI_ID_MAX - 1] = '\0';
		dead[ndead].uid = uid;
		ndead++;
	}
	if (!ndead)
		return 0;
	if (reg_lock(rt, NULL) < 0)
		return 0;
	int n = 0;
	for (unsigned k = 0; k < ndead; k++) {
		int idx = reg_find_locked(rt, dead[k].id);
		if (idx >= 0 && rt->reg->slots[idx].uid == dead[k].uid)
			n += reap_locked(rt, idx);
	}
	reg_unlock(rt);
	return n;
}
