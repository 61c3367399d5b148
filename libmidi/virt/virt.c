/* virt.c: hosting a virtual device (midi/virt.h), the application side of
 * the `virt` transport. midi_virt_open registers virt:NAME under the
 * registry lock and takes the endpoint's host lock (flock on
 * ep-UID.host.lock) before letting go of the registry, and keeps it while
 * the device lives: when the process dies the kernel frees it and the
 * first process that looks removes the endpoint (apphost.c).
 *
 * Data: clients write the `in` ring (tagged with their connection id);
 * midi_virt_recv drains it from the cursor kept in the segment. UMP Stream
 * requests (Endpoint Discovery, Function Block Discovery, Stream
 * Configuration Request) and, when an identity is declared, the MIDI 1.0
 * Identity Request are answered there from the declaration with
 * midi_responder_put and midi_responder_identity, the replies going to the
 * asking connection only, and are not returned. midi_virt_send writes the `out` ring every client
 * reads (the host is its only writer, so its SysEx never interleaves).
 *
 * Properties: a discovery agent (agent.c) asks the device what it is, as
 * any UMP device would be asked, and stores the answers. Later, stream
 * messages the host sends unprompted (midi_virt_send, or the announcements
 * of midi_virt_update) are fed to a discovery state machine here and the
 * registry is updated at once ("updated" event). */
#include "broker/broker.h"
#include "discovery/discovery_priv.h"
#include "jr/jr.h"
#include "midi/virt.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VIRT_LOCK_MS 2000
#define VIRT_SLICE_NS 100000000ll
#define VIRT_REPLY_MAX 512

struct midi_virt {
	struct rt *rt;
	char id[MIDI_ID_MAX];
	uint64_t uid, incarnation;
	struct seg seg;
	int hostfd;    /* host lock, held for the device's life */
	struct ring_writer ow; /* the `out` ring */
	int ow_ok;
	struct ring_cursor cur;
	midi_device_decl decl;
	/* unprompted stream messages of the host -> registry */
	midi_discovery mon;
	midi_endpoint_info mon_info;
	/* replies being collected for one request */
	midi_packet reply[VIRT_REPLY_MAX];
	uint32_t reply_tag[VIRT_REPLY_MAX];
	size_t nreply;
	uint32_t cur_tag;
	/* midi_virt_fd: the host's doorbell of the `in` ring */
	int bellfd;
	uint64_t bell;
	/* JR timestamps, while the declaration has them on: sent before what
	 * the host sends, consumed and applied from what clients send */
	struct jr_tx jrt;
	struct jr_rx jrr;
	midi_packet *jbuf;
	size_t jcap;
};

const char *midi_virt_id(const midi_virt *v)
{
	return v ? v->id : "";
}

/* ---- writing the out ring ---- */

static int out_write(midi_virt *v, const midi_packet *p, const uint32_t *tags, size_t n,
		     midi_error *e)
{
	if (!n)
		return 0;
	return rw_write(&v->ow, p, tags, 0, n, 0, e);
}

/* ---- the host's own stream messages -> registry ---- */

static int no_send(void *ctx, const midi_ump *p)
{
	(void)ctx;
	(void)p;
	return 0;
}

/* Feed the stream packets among p to the state machine, starting from the
 * registry's view, and store what changed. */
static void monitor_feed(midi_virt *v, const midi_packet *p, size_t n)
{
	size_t k;
	for (k = 0; k < n; k++)
		if (midi_ump_mt(&p[k].ump) == MIDI_MT_STREAM)
			break;
	if (k == n)
		return;
	if (reg_lock(v->rt, NULL) < 0)
		return;
	int idx = reg_find_locked(v->rt, v->id);
	if (idx >= 0 && v->rt->reg->slots[idx].incarnation == v->incarnation) {
		struct reg_slot copy;
		reg_get_locked(v->rt, idx, &copy);
		v->mon_info = copy.info;
		v->mon.info = &v->mon_info;
		for (; k < n; k++)
			if (midi_ump_mt(&p[k].ump) == MIDI_MT_STREAM)
				midi_discovery_put(&v->mon, &p[k].ump, no_send, NULL);
		v->mon_info.jr_caps = v->mon.jr_caps;
		if (midi_discovery_take_changes(&v->mon))
			reg_update_stream_locked(v->rt, v->id, v->incarnation, &v->mon_info, 0);
	}
	reg_unlock(v->rt);
}

/* ---- create ---- */

static int bad_name(const char *name, midi_error *e)
{
	return midi_error_set(e, MIDI_ERR_INPUT,
			      "invalid virtual device name \"%.60s\": use 1 to 40 letters, digits, "
			      "'.', '_' or '-'", name);
}

/* Register the endpoint and take its host lock (registry lock held). */
static int register_locked(midi_virt *v, const char *name, const struct conf *conf,
			   midi_error *e)
{
	struct rt *rt = v->rt;
	int idx = reg_find_locked(rt, v->id);
	if (idx >= 0) {
		struct shm_slot *old = &rt->reg->slots[idx];
		if (app_host_alive(rt, old->uid))
			return midi_error_set(e, MIDI_ERR_RUNTIME,
					      "%s is already hosted by another process", v->id);
		reg_remove_locked(rt, idx, transport_virt.host_exit_reason);
	}
	struct reg_slot s;
	transport_fill_slot(&s, "virt", v->id, name, MIDI_PURPOSE_VIRTUAL);
	s.hosted = 1;
	s.info.discovery = MIDI_DISCOVERY_PENDING;
	s.tpriv[0] = (uint64_t)getpid();
	s.tpriv[1] = proc_key_self(); /* clients' pidfds check the start time */
	if (conf)
		conf_props_for(conf, &s);
	idx = reg_add_locked(rt, &s, e);
	if (idx < 0)
		return idx;
	struct reg_slot copy;
	reg_get_locked(rt, idx, &copy);
	v->uid = copy.uid;
	v->incarnation = copy.incarnation;
	/* The discovery agent is forked before the host lock is opened, so it
	 * can never hold it; it waits for the registry lock we hold, by when
	 * the host lock is taken. Without an agent the endpoint works; it
	 * stays "discovery pending". */
	agent_spawn_discovery(rt, &copy, NULL);
	char lock[SEG_NAME_MAX + 16];
	seg_file_name(lock, sizeof lock, v->uid, ".host.lock");
	v->hostfd = rt_open(rt, lock, O_RDWR | O_CREAT, e);
	if (v->hostfd >= 0 && flock(v->hostfd, LOCK_EX | LOCK_NB) < 0) {
		midi_error_sys(e, errno, "cannot take the host lock of %s", v->id);
		close(v->hostfd);
		v->hostfd = -1;
	}
	if (v->hostfd < 0) {
		reg_remove_locked(rt, idx, "is gone: its host could not start");
		return -MIDI_ERR_RUNTIME;
	}
	return idx;
}

midi_virt *midi_virt_open(const char *name, const midi_device_decl *decl, midi_error *e)
{
	if (!name || !loop_name_valid(name)) {
		bad_name(name ? name : "", e);
		return NULL;
	}
	midi_virt *v = calloc(1, sizeof *v);
	if (!v) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	v->hostfd = v->bellfd = -1;
	snprintf(v->id, sizeof v->id, "virt:%s", name);
	if (decl)
		v->decl = *decl;
	else
		midi_device_decl_init(&v->decl, name);
	if (midi_device_decl_check(&v->decl, e) < 0)
		goto fail;
	v->rt = rt_get(e);
	if (!v->rt || rt_refresh(v->rt, e) < 0)
		goto fail;
	app_hosts_reap(v->rt);
	struct conf conf;
	int have_conf = conf_current(&conf, NULL) == 0;
	int r = reg_lock(v->rt, e);
	int idx = -1;
	struct reg_slot slot;
	if (r == 0) {
		idx = register_locked(v, name, have_conf ? &conf : NULL, e);
		if (idx >= 0)
			reg_get_locked(v->rt, idx, &slot);
		reg_unlock(v->rt);
	}
	if (have_conf)
		conf_free(&conf);
	if (idx < 0)
		goto fail;
	int corrupt;
	if (seg_map(v->rt, slot.seg, v->uid, &v->seg, &corrupt, e) < 0 || !v->seg.has_in ||
	    rw_init(&v->ow, v->rt, &v->seg, 0, e) < 0) {
		if (v->seg.base && !v->seg.has_in)
			midi_error_set(e, MIDI_ERR_RUNTIME, "segment of %s has no input ring", v->id);
		midi_virt_close(v);
		return NULL;
	}
	v->ow_ok = 1;
	__atomic_store_n(&v->seg.hdr->host_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&v->seg.hdr->host_key, proc_key_self(), __ATOMIC_RELAXED);
	v->cur.pos = __atomic_load_n(&v->seg.hdr->host_cursor, __ATOMIC_ACQUIRE);
	discovery_init(&v->mon, &v->mon_info, 0, MIDI_DISC_JR_KEEP);
	return v;
fail:
	midi_virt_close(v);
	return NULL;
}

/* ---- send ---- */

int midi_virt_send(midi_virt *v, const midi_packet *p, size_t n, midi_error *e)
{
	if (!v)
		return midi_error_set(e, MIDI_ERR_INPUT, "no virtual device");
	char reason[160];
	if (seg_closed(&v->seg, reason, sizeof reason))
		return midi_error_set(e, MIDI_ERR_CLOSED, "endpoint %s %s", v->id, reason);
	int r;
	if (v->decl.jr_tx_on && n && !v->jrt.app) {
		struct jr_tx keep = v->jrt;
		long m = jr_tx_prepare(&v->jrt, &v->jbuf, &v->jcap, p, n, broker_now_ns(), e);
		if (m < 0)
			return (int)m;
		r = out_write(v, v->jbuf, NULL, (size_t)m, e);
		if (r < 0)
			v->jrt = keep;
	} else {
		r = out_write(v, p, NULL, n, e);
	}
	if (r == 0)
		monitor_feed(v, p, n);
	return r;
}

/* ---- receive ---- */

static int collect_reply(void *ctx, const midi_ump *u)
{
	midi_virt *v = ctx;
	if (v->nreply == VIRT_REPLY_MAX) {
		if (out_write(v, v->reply, v->reply_tag, v->nreply, NULL) < 0)
			return 1;
		v->nreply = 0;
	}
	v->reply[v->nreply].time_ns = 0;
	v->reply[v->nreply].ump = *u;
	v->reply_tag[v->nreply] = v->cur_tag;
	v->nreply++;
	return 0;
}

/* A stream request the library answers (1), or anything else (0). */
static int answered_here(const midi_ump *u)
{
	if (midi_ump_mt(u) != MIDI_MT_STREAM)
		return 0;
	unsigned status = (u->w[0] >> 16) & 0x3FF;
	return status == MIDI_STREAM_EP_DISCOVERY || status == MIDI_STREAM_FB_DISCOVERY ||
	       status == MIDI_STREAM_CONFIG_REQUEST;
}

static void answer(midi_virt *v, const midi_packet *p, uint32_t tag)
{
	uint8_t proto = v->decl.protocol, rx = v->decl.jr_rx_on, tx = v->decl.jr_tx_on;
	v->cur_tag = tag;
	midi_responder_put(&v->decl, &p->ump, collect_reply, v);
	if (proto != v->decl.protocol || rx != v->decl.jr_rx_on || tx != v->decl.jr_tx_on) {
		/* A client switched the protocol or JR: the registry follows. */
		midi_packet n = {0, midi_stream_config(0, v->decl.protocol, v->decl.jr_rx_on,
						       v->decl.jr_tx_on)};
		monitor_feed(v, &n, 1);
	}
}

/* An Identity Request, answered from the declared identity (1), or not. */
static int identity_answered(midi_virt *v, const midi_packet *p, uint32_t tag)
{
	v->cur_tag = tag;
	return midi_responder_identity(&v->decl, &p->ump, collect_reply, v);
}

/* After midi_virt_recv: empty the bell, arm it, and ring it ourselves if
 * something is there already (clients ring it when they publish). */
static void fd_rearm(midi_virt *v)
{
	if (v->bellfd < 0)
		return;
	bell_drain(v->bellfd);
	__atomic_store_n(&v->seg.hdr->host_bell_armed, 1, __ATOMIC_SEQ_CST);
	if (ring_head(&v->seg.in) != v->cur.pos || seg_closed(&v->seg, NULL, 0))
		bell_self(v->bellfd);
}

int midi_virt_recv(midi_virt *v, midi_packet *out, size_t max, int timeout_ms, midi_error *e)
{
	if (!v)
		return midi_error_set(e, MIDI_ERR_INPUT, "no virtual device");
	if (max == 0)
		return 0;
	if (max > 4096)
		max = 4096;
	uint64_t now = broker_now_ns();
	uint64_t end = timeout_ms < 0 ? UINT64_MAX : now + (uint64_t)timeout_ms * 1000000ull;
	uint32_t *tags = malloc(max * sizeof *tags);
	if (!tags)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	int result;
	for (;;) {
		size_t n = ring_read(&v->seg.in, &v->cur, out, tags, max, RING_ALL);
		size_t m = 0;
		v->nreply = 0;
		for (size_t k = 0; k < n; k++) {
			if (answered_here(&out[k].ump))
				answer(v, &out[k], tags[k]);
			else if (!identity_answered(v, &out[k], tags[k]))
				out[m++] = out[k];
		}
		if (v->decl.jr_rx_on)
			m = jr_rx_filter(&v->jrr, out, m);
		if (v->nreply)
			out_write(v, v->reply, v->reply_tag, v->nreply, NULL);
		v->nreply = 0;
		__atomic_store_n(&v->seg.hdr->host_cursor, v->cur.pos, __ATOMIC_RELEASE);
		if (m) {
			result = (int)m;
			break;
		}
		if (n)
			continue;
		char reason[160];
		if (seg_closed(&v->seg, reason, sizeof reason)) {
			result = midi_error_set(e, MIDI_ERR_CLOSED, "endpoint %s %s", v->id, reason);
			break;
		}
		now = broker_now_ns();
		if (now >= end) {
			result = 0;
			break;
		}
		int64_t left = end - now > (uint64_t)VIRT_SLICE_NS ? VIRT_SLICE_NS
								    : (int64_t)(end - now);
		ring_wait(&v->seg.in, v->cur.pos, &v->seg.hdr->host_sleeping, left);
	}
	free(tags);
	fd_rearm(v);
	return result;
}

/* ---- pollable descriptor ---- */

int midi_virt_fd(midi_virt *v, midi_error *e)
{
	if (!v)
		return midi_error_set(e, MIDI_ERR_INPUT, "no virtual device");
	if (v->bellfd >= 0)
		return v->bellfd;
	int fd = bell_create(v->rt, &v->bell, e);
	if (fd < 0)
		return fd;
	v->bellfd = fd;
	__atomic_store_n(&v->seg.hdr->host_bell, v->bell, __ATOMIC_RELEASE);
	fd_rearm(v);
	return v->bellfd;
}

/* ---- update, close ---- */

static int collect_all(void *ctx, const midi_ump *u)
{
	midi_virt *v = ctx;
	v->cur_tag = 0;
	return collect_reply(ctx, u);
}

int midi_virt_update(midi_virt *v, const midi_device_decl *decl, midi_error *e)
{
	if (!v || !decl)
		return midi_error_set(e, MIDI_ERR_INPUT, "no virtual device or declaration");
	int r = midi_device_decl_check(decl, e);
	if (r < 0)
		return r;
	char reason[160];
	if (seg_closed(&v->seg, reason, sizeof reason))
		return midi_error_set(e, MIDI_ERR_CLOSED, "endpoint %s %s", v->id, reason);
	v->decl = *decl;
	v->nreply = 0;
	midi_responder_announce(&v->decl, collect_all, v);
	r = out_write(v, v->reply, v->reply_tag, v->nreply, e);
	if (r == 0)
		monitor_feed(v, v->reply, v->nreply);
	v->nreply = 0;
	return r;
}

void midi_virt_close(midi_virt *v)
{
	if (!v)
		return;
	if (v->bellfd >= 0) {
		if (v->seg.base)
			__atomic_store_n(&v->seg.hdr->host_bell, 0, __ATOMIC_RELEASE);
		close(v->bellfd);
		bell_unlink(v->rt, v->bell);
	}
	/* Remove first, then let go of the host lock: nobody sees a listed
	 * endpoint without a host. */
	if (v->rt && v->hostfd >= 0 && reg_lock(v->rt, NULL) == 0) {
		int idx = reg_find_locked(v->rt, v->id);
		if (idx >= 0 && v->rt->reg->slots[idx].incarnation == v->incarnation)
			reg_remove_locked(v->rt, idx, "is gone: virtual device closed");
		reg_unlock(v->rt);
	}
	if (v->ow_ok)
		rw_fini(&v->ow);
	seg_unmap(&v->seg);
	if (v->hostfd >= 0)
		close(v->hostfd);
	rt_put(v->rt);
	free(v->jbuf);
	free(v);
}
