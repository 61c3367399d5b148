/* watch.c: the endpoint watcher (midi/watch.h) on the registry's event log.
 *
 * At open, one consistent read gives the endpoint table and the event
 * sequence number that goes with it: every endpoint becomes "added" and
 * then "enumerated" is queued. Afterwards each call reads the log from the
 * watcher's sequence number: "added" and "removed" are matched by id and
 * incarnation against the set the watcher knows, "updated" reports the
 * MIDI_PROP_* bits the event carries with the endpoint as it is now. A
 * watcher that fell more than the 256-entry log behind (or finds the log
 * garbled, or the registry rebuilt) re-synchronises: it diffs the table
 * against its set and reports the differences (removed, added, updated
 * with the bits that differ), so it always ends with the right picture.
 *
 * midi_watch_fd is an epoll set, readable when there is something to do,
 * with nothing waking up while nothing happens: a doorbell (bell.c)
 * registered as a registry waiter, rung by every registry event; a pidfd
 * per virtual device host, readable when that host exited (so that
 * midi_watch_next removes its endpoint at once); an inotify watch on the
 * configuration file's directory (so that it applies the file). No helper
 * thread. midi_watch_stop only sets a flag and writes the bell:
 * async-signal-safe. */
#include "broker/broker.h"
#include "broker/shmguard.h"
#include "midi/discovery.h"
#include "midi/watch.h"
#include "transport/transport.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

struct midi_watcher {
	struct rt *rt;
	unsigned flags;
	midi_endpoint_info *known; /* endpoints as last reported (all, diag too) */
	size_t nknown;
	midi_watch_event *q;       /* events not delivered yet */
	size_t qhead, qn, qcap;
	uint64_t next_seq;         /* first log entry not read */
	uint32_t stop;             /* midi_watch_stop */
	int stopped_sent;
	struct reg_slot *snap;
	size_t nsnap;
	struct reg_event *evs;
	/* the descriptor */
	int epfd, bellfd, inofd, waiter;
	uint64_t bell;
	struct {
		uint64_t uid;
		int fd;
	} hosts[REG_SLOTS];        /* pidfds of virtual device hosts */
};

const char *midi_watch_kind_name(int kind)
{
	switch (kind) {
	case MIDI_WATCH_ADDED: return "added";
	case MIDI_WATCH_REMOVED: return "removed";
	case MIDI_WATCH_UPDATED: return "updated";
	case MIDI_WATCH_ENUMERATED: return "enumerated";
	case MIDI_WATCH_STOPPED: return "stopped";
	default: return "unknown";
	}
}

const char *midi_prop_names(uint32_t changed, char *buf, size_t n)
{
	static const char *const names[] = {
		"name", "ump_name", "product_instance_id", "info", "identity", "protocol",
		"function_blocks", "clients", "user", "discovery", "persistent",
	};
	size_t len = 0;
	if (n)
		buf[0] = '\0';
	for (unsigned b = 0; b < sizeof names / sizeof *names; b++) {
		if (!(changed & (1u << b)))
			continue;
		int w = snprintf(buf + len, n > len ? n - len : 0, "%s%s", len ? "," : "", names[b]);
		if (w < 0 || len + (size_t)w >= n) {
			if (n)
				buf[len] = '\0'; /* whole names only */
			break;
		}
		len += (size_t)w;
	}
	return buf;
}

/* ---- the queue and the known set ---- */

static int push_why(midi_watcher *w, int kind, uint32_t changed, const midi_endpoint_info *info,
		    const char *reason)
{
	if (info && info->purpose == MIDI_PURPOSE_DIAGNOSTIC && !(w->flags & MIDI_WATCH_ALL))
		return 0;
	if (w->qhead + w->qn == w->qcap) {
		if (w->qhead) {
			memmove(w->q, w->q + w->qhead, w->qn * sizeof *w->q);
			w->qhead = 0;
		} else {
			size_t cap = w->qcap ? w->qcap * 2 : 16;
			midi_watch_event *nq = realloc(w->q, cap * sizeof *nq);
			if (!nq)
				return -1;
			w->q = nq;
			w->qcap = cap;
		}
	}
	midi_watch_event *ev = &w->q[w->qhead + w->qn++];
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->changed = changed;
	if (info)
		ev->info = *info;
	if (reason)
		snprintf(ev->reason, sizeof ev->reason, "%s", reason);
	return 0;
}

static int push(midi_watcher *w, int kind, uint32_t changed, const midi_endpoint_info *info)
{
	return push_why(w, kind, changed, info, NULL);
}

static int find_known(const midi_watcher *w, const char *id)
{
	for (size_t k = 0; k < w->nknown; k++)
		if (strcmp(w->known[k].id, id) == 0)
			return (int)k;
	return -1;
}

static int add_known(midi_watcher *w, const midi_endpoint_info *info)
{
	midi_endpoint_info *n = realloc(w->known, (w->nknown + 1) * sizeof *n);
	if (!n)
		return -1;
	w->known = n;
	w->known[w->nknown++] = *info;
	return 0;
}

static void del_known(midi_watcher *w, int k)
{
	w->known[k] = w->known[--w->nknown];
}

static const struct reg_slot *find_snap(const midi_watcher *w, const char *id)
{
	for (size_t k = 0; k < w->nsnap; k++)
		if (strcmp(w->snap[k].info.id, id) == 0)
			return &w->snap[k];
	return NULL;
}

/* The endpoint as listed now, with its client count. */
static midi_endpoint_info current(midi_watcher *w, const struct reg_slot *s)
{
	midi_endpoint_info i = s->info;
	i.clients = seg_count_clients(w->rt, s);
	return i;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct reg_slot *)a)->info.id, ((const struct reg_slot *)b)->info.id);
}

/* ---- reading the registry ---- */

/* Report the differences between the known set and the table. */
static int resync(midi_watcher *w)
{
	for (size_t k = 0; k < w->nknown;) {
		const struct reg_slot *s = find_snap(w, w->known[k].id);
		if (s && s->incarnation == w->known[k].incarnation) {
			k++;
			continue;
		}
		if (push(w, MIDI_WATCH_REMOVED, 0, &w->known[k]) < 0)
			return -1;
		del_known(w, (int)k);
	}
	qsort(w->snap, w->nsnap, sizeof *w->snap, by_id);
	for (size_t j = 0; j < w->nsnap; j++) {
		const struct reg_slot *s = &w->snap[j];
		int k = find_known(w, s->info.id);
		midi_endpoint_info now = current(w, s);
		if (k < 0) {
			if (push(w, MIDI_WATCH_ADDED, 0, &now) < 0 || add_known(w, &now) < 0)
				return -1;
			continue;
		}
		uint32_t diff = info_diff(&w->known[k], &now);
		if (diff && push(w, MIDI_WATCH_UPDATED, diff, &now) < 0)
			return -1;
		w->known[k] = now;
	}
	return 0;
}

static int apply_event(midi_watcher *w, const struct reg_event *ev)
{
	int k = find_known(w, ev->id);
	const struct reg_slot *s = find_snap(w, ev->id);
	if (s && s->incarnation != ev->incarnation)
		s = NULL;
	switch (ev->kind) {
	case REG_EV_ADDED: {
		if (k >= 0 && w->known[k].incarnation == ev->incarnation)
			return 0;
		if (k >= 0) {
			if (push(w, MIDI_WATCH_REMOVED, 0, &w->known[k]) < 0)
				return -1;
			del_known(w, k);
		}
		midi_endpoint_info info;
		if (s) {
			info = current(w, s);
		} else {
			/* Already gone again: what the log says about it. */
			memset(&info, 0, sizeof info);
			memcpy(info.id, ev->id, sizeof info.id);
			memcpy(info.name, ev->name, sizeof info.name);
			memcpy(info.transport, ev->transport, sizeof info.transport);
			info.purpose = (uint8_t)(ev->purpose <= MIDI_PURPOSE_VIRTUAL ? ev->purpose : 0);
			info.incarnation = ev->incarnation;
		}
		if (push(w, MIDI_WATCH_ADDED, 0, &info) < 0 || add_known(w, &info) < 0)
			return -1;
		return 0;
	}
	case REG_EV_REMOVED:
		if (k < 0 || w->known[k].incarnation != ev->incarnation)
			return 0;
		if (push_why(w, MIDI_WATCH_REMOVED, 0, &w->known[k], ev->reason) < 0)
			return -1;
		del_known(w, k);
		return 0;
	default: {
		if (k < 0 || w->known[k].incarnation != ev->incarnation)
			return 0;
		uint32_t changed = ev->mask & ~REG_CH_SEGMENT;
		midi_endpoint_info info = s ? current(w, s) : w->known[k];
		if (s)
			changed |= info_diff(&w->known[k], &info) & ~MIDI_PROP_CLIENTS;
		w->known[k] = info;
		if (!changed)
			return 0;
		return push(w, MIDI_WATCH_UPDATED, changed, &info);
	}
	}
}

/* Follow the hosts of application-hosted endpoints of the last snapshot
 * with pidfds in the epoll set (and drop those of endpoints gone). */
static void follow_hosts(midi_watcher *w)
{
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		if (!w->hosts[k].uid)
			continue;
		int keep = 0;
		for (size_t j = 0; j < w->nsnap && !keep; j++)
			keep = w->snap[j].uid == w->hosts[k].uid;
		if (keep)
			continue;
		if (w->hosts[k].fd >= 0) {
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->hosts[k].fd, NULL);
			close(w->hosts[k].fd);
		}
		w->hosts[k].uid = 0;
	}
	for (size_t j = 0; j < w->nsnap; j++) {
		const struct reg_slot *s = &w->snap[j];
		if (!slot_app_hosted(s))
			continue;
		int have = 0, free_k = -1;
		for (unsigned k = 0; k < REG_SLOTS && !have; k++) {
			have = w->hosts[k].uid == s->uid;
			if (!w->hosts[k].uid && free_k < 0)
				free_k = (int)k;
		}
		if (have || free_k < 0)
			continue;
		pid_t pid = (pid_t)s->tpriv[0];
		uint64_t key = s->tpriv[1];
		int fd = pid > 0 && (key & 0xffffffffu) == (uint64_t)pid ? proc_key_pidfd(key) : -1;
		w->hosts[free_k].uid = s->uid;
		w->hosts[free_k].fd = fd;
		struct epoll_event ev = {.events = EPOLLIN};
		if (fd >= 0)
			epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
		else
			bell_self(w->bellfd); /* gone already: reap it */
	}
}

/* Watch the configuration file's directory (or, while it does not exist,
 * its parent). */
static void watch_conf_dir(midi_watcher *w)
{
	char path[PATH_MAX];
	if (w->inofd < 0 || conf_path(path, sizeof path) < 0)
		return;
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
			      IN_DELETE | IN_ATTRIB | IN_DELETE_SELF;
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(path, '/');
		if (!slash)
			return;
		*slash = '\0';
		if (inotify_add_watch(w->inofd, path[0] ? path : "/", mask) >= 0)
			return;
	}
}

/* Look at the registry; queue what happened. 0, -1 (out of memory), or
 * -2 with e filled when the registry file was truncated under us (there
 * is nothing left to watch). */
static int look(midi_watcher *w, midi_error *e)
{
	if (w->inofd >= 0) {
		char buf[4096];
		int changed = 0;
		while (read(w->inofd, buf, sizeof buf) > 0)
			changed = 1;
		if (changed)
			watch_conf_dir(w);
	}
	rt_refresh(w->rt, NULL); /* a broken file is reported by the tools that read it */
	app_hosts_reap(w->rt);
	agents_ensure(w->rt);
	uint64_t seq_now = reg_event_seq(w->rt);
	if (reg_lost(w->rt)) {
		reg_lost_error(w->rt, e);
		return -2;
	}
	if (seq_now == w->next_seq)
		return 0;
	size_t nev = 0;
	int overflow = 0;
	uint64_t seq;
	if (reg_read(w->rt, w->snap, &w->nsnap, &seq, w->next_seq, w->evs, &nev, &overflow,
		     NULL) < 0)
		return 0; /* try again on the next call */
	int r = 0;
	if (overflow) {
		r = resync(w);
	} else {
		for (size_t k = 0; k < nev && r == 0; k++)
			r = apply_event(w, &w->evs[k]);
	}
	__atomic_store_n(&w->next_seq, seq, __ATOMIC_RELEASE);
	if (w->epfd >= 0)
		follow_hosts(w);
	return r;
}

static int make_fd(midi_watcher *w, midi_error *e)
{
	int fd = bell_create(w->rt, &w->bell, e);
	if (fd < 0)
		return fd;
	w->bellfd = fd;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	if (w->epfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->bellfd, &ev) < 0)
		return midi_error_sys(e, errno, "epoll");
	w->waiter = reg_waiter_add(w->rt, w->bell);
	if (w->waiter < 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "too many watchers of %s (%u): no room for another",
				      w->rt->path, REG_WAITERS);
	w->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->inofd >= 0) {
		watch_conf_dir(w);
		/* A registry file truncated or replaced under us (writes through
		 * the mapping make no events): look() touches it and finds out. */
		char reg[PATH_MAX + 16];
		snprintf(reg, sizeof reg, "%s/registry", w->rt->path);
		inotify_add_watch(w->inofd, reg, IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->inofd, &ev);
	}
	follow_hosts(w);
	return 0;
}

/* ---- API ---- */

midi_watcher *midi_watch_open(unsigned flags, midi_error *e)
{
	midi_watcher *w = calloc(1, sizeof *w);
	if (!w) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	w->flags = flags;
	w->epfd = w->bellfd = w->inofd = w->waiter = -1;
	w->snap = malloc(REG_SLOTS * sizeof *w->snap);
	w->evs = malloc(REG_EVENTS * sizeof *w->evs);
	if (!w->snap || !w->evs) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		goto fail;
	}
	w->rt = rt_get(e);
	if (!w->rt || rt_refresh(w->rt, e) < 0)
		goto fail;
	app_hosts_reap(w->rt);
	agents_ensure(w->rt);
	uint64_t seq;
	if (reg_read(w->rt, w->snap, &w->nsnap, &seq, 0, NULL, NULL, NULL, e) < 0)
		goto fail;
	w->next_seq = seq;
	qsort(w->snap, w->nsnap, sizeof *w->snap, by_id);
	for (size_t k = 0; k < w->nsnap; k++) {
		midi_endpoint_info now = current(w, &w->snap[k]);
		if (push(w, MIDI_WATCH_ADDED, 0, &now) < 0 || add_known(w, &now) < 0) {
			midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
			goto fail;
		}
	}
	if (push(w, MIDI_WATCH_ENUMERATED, 0, NULL) < 0) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		goto fail;
	}
	if (make_fd(w, e) < 0)
		goto fail;
	bell_self(w->bellfd); /* the enumeration is waiting */
	return w;
fail:
	midi_watch_close(w);
	return NULL;
}

int midi_watch_fd(midi_watcher *w, midi_error *e)
{
	if (!w)
		return midi_error_set(e, MIDI_ERR_INPUT, "no watcher");
	if (w->epfd < 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "watcher has no descriptor");
	return w->epfd;
}

void midi_watch_stop(midi_watcher *w)
{
	if (!w)
		return;
	__atomic_store_n(&w->stop, 1, __ATOMIC_SEQ_CST);
	if (w->bellfd >= 0)
		bell_self(w->bellfd);
}

static void drain(midi_watcher *w)
{
	bell_drain(w->bellfd);
}

/* Keep the descriptor readable exactly while something may be waiting. */
static void settle_fd(midi_watcher *w)
{
	drain(w);
	reg_waiter_arm(w->rt, w->waiter);
	if (w->qn || (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE) && !w->stopped_sent) ||
	    reg_event_seq(w->rt) != w->next_seq)
		bell_self(w->bellfd);
}

int midi_watch_next(midi_watcher *w, midi_watch_event *ev, int timeout_ms, midi_error *e)
{
	if (!w)
		return midi_error_set(e, MIDI_ERR_INPUT, "no watcher");
	uint64_t end = timeout_ms < 0 ? UINT64_MAX
				       : broker_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		if (w->stopped_sent)
			return midi_error_set(e, MIDI_ERR_CLOSED, "the watcher was stopped");
		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
			w->stopped_sent = 1;
			memset(ev, 0, sizeof *ev);
			ev->kind = MIDI_WATCH_STOPPED;
			drain(w);
			return 1;
		}
		int lr = w->qn ? 0 : look(w, e);
		if (lr == -2)
			return -MIDI_ERR_RUNTIME;
		if (lr < 0)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		if (w->qn) {
			*ev = w->q[w->qhead++];
			if (--w->qn == 0)
				w->qhead = 0;
			settle_fd(w);
			return 1;
		}
		uint64_t now = broker_now_ns();
		if (now >= end) {
			settle_fd(w);
			return 0;
		}
		uint64_t left = end - now;
		settle_fd(w);
		struct pollfd p = {.fd = w->epfd, .events = POLLIN};
		int ms = end == UINT64_MAX ? -1
			 : left > 60000000000ull ? 60000 : (int)((left + 999999) / 1000000);
		poll(&p, 1, ms);
	}
}

void midi_watch_close(midi_watcher *w)
{
	if (!w)
		return;
	for (unsigned k = 0; k < REG_SLOTS; k++)
		if (w->hosts[k].uid && w->hosts[k].fd >= 0)
			close(w->hosts[k].fd);
	if (w->rt && w->waiter >= 0)
		reg_waiter_remove(w->rt, w->waiter);
	if (w->inofd >= 0)
		close(w->inofd);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->bellfd >= 0) {
		close(w->bellfd);
		bell_unlink(w->rt, w->bell);
	}
	rt_put(w->rt);
	free(w->known);
	free(w->q);
	free(w->snap);
	free(w->evs);
	free(w);
}
