/* alsa_rawmidi_host.c: the rawmidi transport's host (transport.h): one
 * process per raw MIDI device (group rawmidi-C-D[-S]) serving its one
 * endpoint. It opens the device (snd_rawmidi_open, non-blocking, the
 * directions it has) when the endpoint is attached, with a 64 KiB input
 * buffer so a large SysEx waits in the kernel while the host is busy; its
 * descriptor is in the host loop. Bytes read are translated to UMP
 * (midi_b2u, the state spans reads: a SysEx of any size comes whole) for
 * the endpoint's clients; packets sent are translated to bytes (midi_u2b)
 * and written. Back-pressure: what the device cannot take yet waits in a
 * small buffer; when it is full host_input takes no more packets, the
 * descriptor is watched for POLLOUT, and host_ready offers them again when
 * it is writable. A device that cannot be opened or fails removes its
 * endpoint with the reason ("is gone: device unplugged" when it went).
 * A host whose endpoint was added on demand (not declared in midi.conf)
 * removes it when it exits idle. */
#include "transport/rawmidi.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "midi/translate.h"

#define RH_PEND 4096
#define RH_EMIT 256
#define RH_IN_BUFFER 65536
#define RH_READS 64 /* reads of up to 4 KiB per wake-up: others get their turn */

struct rhost {
	struct host *h;
	struct host_ep *ep;
	snd_rawmidi_t *in, *out;
	int ifd, ofd;      /* descriptors of in and out (the same file when both) */
	int out_watched;   /* POLLOUT asked for */
	int gone;
	char id[MIDI_ID_MAX], dev[24];
	uint64_t uid;
	midi_b2u b2u;
	midi_u2b u2b;
	uint8_t pend[RH_PEND]; /* bytes not written yet */
	size_t npend;
	midi_packet em[RH_EMIT];
	size_t nem;
};

static void fail(struct rhost *r, const char *reason)
{
	if (r->gone)
		return;
	r->gone = 1;
	agent_remove(r->h, r->id, reason);
}

static void fail_err(struct rhost *r, const char *what, int err)
{
	char why[160];
	if (err == -ENODEV || err == -ENXIO)
		snprintf(why, sizeof why, "is gone: device unplugged");
	else
		snprintf(why, sizeof why, "is gone: raw MIDI %s %s failed: %s", what, r->dev,
			 snd_strerror(err));
	fail(r, why);
}

static void on_io(struct host *h, int fd, uint32_t revents, void *arg);

/* Watch for POLLOUT (want 1) or not. */
static void watch_out(struct rhost *r, int want)
{
	if (!r->out || r->out_watched == want)
		return;
	r->out_watched = want;
	if (r->ofd == r->ifd) {
		host_fd_del(r->h, r->ifd);
		host_fd_add(r->h, r->ifd, EPOLLIN | (want ? EPOLLOUT : 0), on_io, r);
	} else if (want) {
		host_fd_add(r->h, r->ofd, EPOLLOUT, on_io, r);
	} else {
		host_fd_del(r->h, r->ofd);
	}
}

static void emit_flush(struct rhost *r)
{
	if (r->nem && r->ep)
		host_emit(r->h, r->ep, r->em, NULL, r->nem);
	r->nem = 0;
}

static int emit_cb(void *ctx, const midi_ump *p)
{
	struct rhost *r = ctx;
	if (r->nem == RH_EMIT)
		emit_flush(r);
	r->em[r->nem++] = (midi_packet){0, *p};
	return 0;
}

static void read_all(struct rhost *r)
{
	uint8_t buf[4096];
	for (int k = 0; k < RH_READS && r->in && !r->gone; k++) {
		ssize_t n = snd_rawmidi_read(r->in, buf, sizeof buf);
		if (n == -EAGAIN || n == 0)
			break;
		if (n < 0) {
			fail_err(r, "read from", (int)n);
			break;
		}
		midi_b2u_feed(&r->b2u, buf, (size_t)n, emit_cb, r);
	}
	emit_flush(r);
}

/* Write what waits; 1 when all of it went. */
static int write_pending(struct rhost *r)
{
	size_t off = 0;
	while (off < r->npend && !r->gone) {
		ssize_t w = snd_rawmidi_write(r->out, r->pend + off, r->npend - off);
		if (w == -EAGAIN || w == 0)
			break;
		if (w < 0) {
			fail_err(r, "write to", (int)w);
			off = r->npend; /* nothing more goes there */
			break;
		}
		off += (size_t)w;
	}
	memmove(r->pend, r->pend + off, r->npend - off);
	r->npend -= off;
	return r->npend == 0;
}

static void on_io(struct host *h, int fd, uint32_t revents, void *arg)
{
	struct rhost *r = arg;
	if (fd == r->ifd && r->in && (revents & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		read_all(r);
	if (r->out && r->npend && (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (write_pending(r)) {
			watch_out(r, 0);
			if (r->ep)
				host_ready(h, r->ep);
		}
	}
}

int rawmidi_host_open(struct host *h, midi_error *e)
{
	struct rhost *r = calloc(1, sizeof *r);
	if (!r)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	r->h = h;
	r->ifd = r->ofd = -1;
	host_set_priv(h, r);
	return 0;
}

static int poll_fd(snd_rawmidi_t *rm)
{
	struct pollfd pfd[2];
	int n = rm ? snd_rawmidi_poll_descriptors(rm, pfd, 2) : 0;
	return n > 0 ? pfd[0].fd : -1;
}

static void close_device(struct rhost *r)
{
	if (r->ifd >= 0)
		host_fd_del(r->h, r->ifd);
	if (r->ofd >= 0 && r->ofd != r->ifd)
		host_fd_del(r->h, r->ofd);
	if (r->out && !r->gone) {
		write_pending(r); /* a last try, then what the kernel holds drains */
		snd_rawmidi_drain(r->out);
	}
	if (r->in)
		snd_rawmidi_close(r->in);
	if (r->out)
		snd_rawmidi_close(r->out);
	r->in = r->out = NULL;
	r->ifd = r->ofd = -1;
	r->out_watched = 0;
	r->npend = 0;
}

int rawmidi_host_attach(struct host *h, struct host_ep *ep)
{
	struct rhost *r = host_priv(h);
	const struct reg_slot *s = host_ep_slot(ep);
	struct rawmidi_addr a;
	char name[MIDI_NAME_MAX], card[80], why[160];
	int dirs;
	if (!r || r->ep || rawmidi_addr_load(s, &a) < 0)
		return -1; /* one endpoint per device */
	r->ep = ep;
	r->gone = 0;
	r->uid = s->uid;
	snprintf(r->id, sizeof r->id, "%s", s->info.id);
	rawmidi_format(&a, r->dev, sizeof r->dev);
	if (rawmidi_probe(&a, &dirs, name, sizeof name, card, sizeof card, why, sizeof why) < 0) {
		fail(r, "is gone: device unplugged");
		r->ep = NULL;
		return -1;
	}
	int err = snd_rawmidi_open((dirs & 2) ? &r->in : NULL, (dirs & 1) ? &r->out : NULL, r->dev,
				   SND_RAWMIDI_NONBLOCK);
	if (err < 0) {
		r->in = r->out = NULL;
		snprintf(why, sizeof why, "is gone: cannot open raw MIDI device %s: %s", r->dev,
			 snd_strerror(err));
		fail(r, why);
		r->ep = NULL;
		return -1;
	}
	if (r->in) {
		snd_rawmidi_params_t *p;
		snd_rawmidi_params_alloca(&p);
		if (snd_rawmidi_params_current(r->in, p) == 0 &&
		    snd_rawmidi_params_set_buffer_size(r->in, p, RH_IN_BUFFER) == 0)
			snd_rawmidi_params(r->in, p); /* a smaller buffer also works */
	}
	midi_b2u_init(&r->b2u, 0);
	midi_u2b_init(&r->u2b);
	r->ifd = poll_fd(r->in);
	r->ofd = poll_fd(r->out);
	if (r->ifd >= 0)
		host_fd_add(h, r->ifd, EPOLLIN, on_io, r);
	else
		r->ifd = r->ofd; /* output only: the one descriptor */
	host_ep_set_priv(ep, r);
	return 0;
}

void rawmidi_host_detach(struct host *h, struct host_ep *ep)
{
	struct rhost *r = host_priv(h);
	if (!r || r->ep != ep)
		return;
	close_device(r);
	r->ep = NULL;
	host_ep_set_priv(ep, NULL);
}

size_t rawmidi_host_input(struct host *h, struct host_ep *ep, const midi_packet *p,
			  const uint32_t *tags, size_t n)
{
	(void)h;
	(void)tags;
	struct rhost *r = host_ep_priv(ep);
	if (!r || !r->out || r->gone)
		return n; /* no output (an input-only device) or gone: dropped */
	size_t k = 0;
	for (; k < n; k++) {
		if (RH_PEND - r->npend < 16 && !write_pending(r) && RH_PEND - r->npend < 16)
			break;
		int b = midi_u2b_put(&r->u2b, &p[k].ump, r->pend + r->npend, RH_PEND - r->npend);
		if (b > 0)
			r->npend += (size_t)b;
	}
	if (r->npend && !write_pending(r))
		watch_out(r, 1); /* the rest when the device can take it */
	return k;
}

/* An endpoint added on demand goes with its host, if nobody uses it. */
void rawmidi_host_close(struct host *h)
{
	struct rhost *r = host_priv(h);
	if (!r)
		return;
	close_device(r);
	struct rt *rt = host_rt(h);
	if (r->id[0] && !r->gone && reg_lock(rt, NULL) == 0) {
		int idx = reg_find_locked(rt, r->id);
		struct reg_slot v;
		if (idx >= 0) {
			reg_get_locked(rt, idx, &v);
			if (v.uid == r->uid && !(v.info.flags & MIDI_EPF_PERSISTENT) &&
			    seg_count_clients(rt, &v) == 0)
				reg_remove_locked(rt, idx, "was released (opened by id, now unused)");
		}
		reg_unlock(rt);
	}
	free(r);
	host_set_priv(h, NULL);
}
