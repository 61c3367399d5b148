/* netavahi.c: the AvahiPoll of netavahi.h. Each watch registers a dup of
 * its descriptor in the epoll set (libdbus may watch one descriptor twice,
 * for reading and for writing: epoll keys on the descriptor, so each watch
 * gets its own); a timeout is an absolute gettimeofday time, as avahi
 * gives it. Objects freed from within a callback are only marked dead and
 * freed after the dispatch, which may still hold them. */
#include "net/netavahi.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

struct AvahiWatch {
	struct netavahi *p;
	int fd, dupfd, dead;
	AvahiWatchEvent events, got;
	AvahiWatchCallback cb;
	void *arg;
	struct AvahiWatch *next;
};

struct AvahiTimeout {
	struct netavahi *p;
	int armed, dead;
	struct timeval due;
	AvahiTimeoutCallback cb;
	void *arg;
	struct AvahiTimeout *next;
};

struct netavahi {
	AvahiPoll api;
	int epfd;
	int dispatching;
	struct AvahiWatch *watches;
	struct AvahiTimeout *timeouts;
};

static uint32_t to_epoll(AvahiWatchEvent ev)
{
	return (ev & AVAHI_WATCH_IN ? EPOLLIN : 0) | (ev & AVAHI_WATCH_OUT ? EPOLLOUT : 0);
}

static AvahiWatchEvent from_epoll(uint32_t ev)
{
	return (ev & EPOLLIN ? AVAHI_WATCH_IN : 0) | (ev & EPOLLOUT ? AVAHI_WATCH_OUT : 0) |
	       (ev & EPOLLERR ? AVAHI_WATCH_ERR : 0) | (ev & EPOLLHUP ? AVAHI_WATCH_HUP : 0);
}

static AvahiWatch *w_new(const AvahiPoll *api, int fd, AvahiWatchEvent ev, AvahiWatchCallback cb,
			 void *arg)
{
	struct netavahi *p = api->userdata;
	AvahiWatch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	*w = (AvahiWatch){.p = p, .fd = fd, .events = ev, .cb = cb, .arg = arg};
	w->dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	struct epoll_event e = {.events = to_epoll(ev), .data.ptr = w};
	if (w->dupfd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, w->dupfd, &e) < 0) {
		if (w->dupfd >= 0)
			close(w->dupfd);
		free(w);
		return NULL;
	}
	w->next = p->watches;
	p->watches = w;
	return w;
}

static void w_update(AvahiWatch *w, AvahiWatchEvent ev)
{
	w->events = ev;
	struct epoll_event e = {.events = to_epoll(ev), .data.ptr = w};
	epoll_ctl(w->p->epfd, EPOLL_CTL_MOD, w->dupfd, &e);
}

static AvahiWatchEvent w_get_events(AvahiWatch *w)
{
	return w->got;
}

static void w_free(AvahiWatch *w)
{
	epoll_ctl(w->p->epfd, EPOLL_CTL_DEL, w->dupfd, NULL);
	close(w->dupfd);
	w->dupfd = -1;
	w->dead = 1;
}

static void t_set(AvahiTimeout *t, const struct timeval *tv)
{
	t->armed = tv != NULL;
	if (tv)
		t->due = *tv;
}

static AvahiTimeout *t_new(const AvahiPoll *api, const struct timeval *tv, AvahiTimeoutCallback cb,
			   void *arg)
{
	struct netavahi *p = api->userdata;
	AvahiTimeout *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	*t = (AvahiTimeout){.p = p, .cb = cb, .arg = arg};
	t_set(t, tv);
	t->next = p->timeouts;
	p->timeouts = t;
	return t;
}

static void t_update(AvahiTimeout *t, const struct timeval *tv)
{
	t_set(t, tv);
}

static void t_free(AvahiTimeout *t)
{
	t->armed = 0;
	t->dead = 1;
}

struct netavahi *netavahi_new(void)
{
	if (netavahi_load() < 0) {
		errno = ENOENT;
		return NULL;
	}
	struct netavahi *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->epfd < 0) {
		free(p);
		return NULL;
	}
	p->api = (AvahiPoll){.userdata = p, .watch_new = w_new, .watch_update = w_update,
			     .watch_get_events = w_get_events, .watch_free = w_free,
			     .timeout_new = t_new, .timeout_update = t_update,
			     .timeout_free = t_free};
	return p;
}

const AvahiPoll *netavahi_api(struct netavahi *p)
{
	return &p->api;
}

int netavahi_fd(const struct netavahi *p)
{
	return p->epfd;
}

static long long ms_until(const struct timeval *due)
{
	struct timeval now;
	gettimeofday(&now, NULL);
	long long us = (long long)(due->tv_sec - now.tv_sec) * 1000000 + (due->tv_usec - now.tv_usec);
	return us <= 0 ? 0 : (us + 999) / 1000;
}

int netavahi_timeout_ms(const struct netavahi *p)
{
	long long best = -1;
	for (const AvahiTimeout *t = p->timeouts; t; t = t->next)
		if (t->armed && !t->dead) {
			long long ms = ms_until(&t->due);
			if (best < 0 || ms < best)
				best = ms;
		}
	return best > 600000 ? 600000 : (int)best;
}

/* Free what callbacks freed. */
static void reap(struct netavahi *p)
{
	for (AvahiWatch **w = &p->watches; *w;) {
		if ((*w)->dead) {
			AvahiWatch *d = *w;
			*w = d->next;
			free(d);
		} else {
			w = &(*w)->next;
		}
	}
	for (AvahiTimeout **t = &p->timeouts; *t;) {
		if ((*t)->dead) {
			AvahiTimeout *d = *t;
			*t = d->next;
			free(d);
		} else {
			t = &(*t)->next;
		}
	}
}

void netavahi_dispatch(struct netavahi *p)
{
	if (p->dispatching)
		return;
	p->dispatching = 1;
	struct epoll_event evs[16];
	int n = epoll_wait(p->epfd, evs, 16, 0);
	for (int k = 0; k < n; k++) {
		AvahiWatch *w = evs[k].data.ptr;
		if (w->dead)
			continue;
		w->got = from_epoll(evs[k].events);
		w->cb(w, w->fd, w->got, w->arg);
		w->got = 0;
	}
	/* Timeouts due now; those armed by the callbacks wait for the next
	 * dispatch (the list's head may change meanwhile: new ones go first). */
	for (AvahiTimeout *t = p->timeouts; t; t = t->next)
		if (t->armed && !t->dead && ms_until(&t->due) == 0) {
			t->armed = 0;
			t->cb(t, t->arg);
		}
	reap(p);
	p->dispatching = 0;
}

void netavahi_iterate(struct netavahi *p, int ms)
{
	int due = netavahi_timeout_ms(p);
	if (due >= 0 && (ms < 0 || due < ms))
		ms = due;
	struct pollfd pfd = {.fd = p->epfd, .events = POLLIN};
	poll(&pfd, 1, ms);
	netavahi_dispatch(p);
}

void netavahi_free(struct netavahi *p)
{
	if (!p)
		return;
	for (AvahiWatch *w = p->watches; w; w = w->next)
		if (!w->dead)
			w_free(w);
	for (AvahiTimeout *t = p->timeouts; t; t = t->next)
		t->dead = 1;
	reap(p);
	close(p->epfd);
	free(p);
}
