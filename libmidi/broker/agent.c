/* agent.c: the discovery agent. When an endpoint that answers UMP
 * discovery appears (transport `discoverable`: virt now, USB later), a
 * short-lived helper process is started the same way host.c starts hosts
 * (spawn.c: fork+exec of midi-helper as `midi-discovery discovery ID
 * INCARNATION 3`, inheriting a held lock): ep-UID.disc.lock makes sure one
 * agent runs per endpoint. The agent finds the endpoint in the registry
 * by id and incarnation, connects as an uncounted client,
 * runs the asking state machine of discovery.h (Endpoint Discovery,
 * Function Block Discovery, Stream Configuration: the device keeps its
 * protocol, JR timestamps are turned off since the broker does not
 * generate them), and stops when every expected reply arrived or after
 * MIDI_DISCOVERY_TIMEOUT_MS (default 1000 ms). The results become the
 * endpoint's properties in the registry with one "updated" event whose
 * bits always include MIDI_PROP_DISCOVERY; a device that did not answer in
 * time is marked MIDI_DISCOVERY_TIMEOUT and stays usable. Loopbacks and
 * diagnostic endpoints are never asked: discovery would put stream
 * messages into what users send each other. */
#include "broker/broker.h"
#include "discovery/discovery_priv.h"
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int discovery_timeout_ms(void)
{
	const char *s = getenv("MIDI_DISCOVERY_TIMEOUT_MS");
	if (!s || !*s)
		return 1000;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 600000)
		return 1000;
	return (int)v;
}

static int send_cb(void *ctx, const midi_ump *u)
{
	return midi_send_ump(ctx, u, NULL) < 0 ? 1 : 0;
}

/* Under the lock: what the device did not tell stays as its transport
 * declared it meanwhile (a USB MIDI 2.0 device's Group Terminal Blocks as
 * function blocks, its protocols), rather than the copy taken at start. */
static void keep_declared(struct rt *rt, const struct reg_slot *slot, const midi_discovery *d,
			  midi_endpoint_info *info)
{
	struct reg_slot cur;
	if (reg_get_incarnation_locked(rt, slot->info.id, slot->incarnation, &cur) < 0)
		return;
	if (!(d->got & MIDI_DISC_GOT_INFO)) {
		info->protocol = cur.info.protocol;
		info->protocols = cur.info.protocols;
	}
	if (!d->fb_info_got) {
		info->num_function_blocks = cur.info.num_function_blocks;
		memcpy(info->fb, cur.info.fb, sizeof info->fb);
		info->flags = (info->flags & ~MIDI_EPF_STATIC_FB) | (cur.info.flags & MIDI_EPF_STATIC_FB);
	}
}

/* The agent's work; returns the exit status. */
static int run_discovery(const struct reg_slot *slot)
{
	midi_error e;
	midi_conn *c = midi_open(slot->info.id, CONN_AGENT, &e);
	if (!c)
		return 1;
	if (midi_conn_incarnation(c) != slot->incarnation) {
		midi_close(c);
		return 0; /* another endpoint by now; its own agent asks it */
	}
	midi_endpoint_info info = *midi_conn_info(c);
	midi_discovery d;
	discovery_init(&d, &info, 0, MIDI_DISC_JR_KEEP);
	uint64_t end = broker_now_ns() + (uint64_t)discovery_timeout_ms() * 1000000ull;
	int gone = midi_discovery_start(&d, send_cb, c) != 0;
	midi_packet buf[64];
	while (!gone && !midi_discovery_complete(&d)) {
		uint64_t now = broker_now_ns();
		if (now >= end)
			break;
		int ms = (int)((end - now + 999999) / 1000000);
		int n = midi_recv(c, buf, 64, ms, &e);
		if (n < 0) {
			gone = 1;
			break;
		}
		for (int k = 0; k < n && !gone; k++)
			if (midi_discovery_put(&d, &buf[k].ump, send_cb, c))
				gone = 1;
	}
	midi_close(c);
	if (gone)
		return 0;
	info.jr_caps = d.jr_caps;
	info.discovery = midi_discovery_complete(&d) ? MIDI_DISCOVERY_DONE : MIDI_DISCOVERY_TIMEOUT;
	struct rt *rt = rt_get(NULL);
	if (!rt || reg_lock(rt, NULL) < 0) {
		rt_put(rt);
		return 1;
	}
	keep_declared(rt, slot, &d, &info);
	reg_update_stream_locked(rt, slot->info.id, slot->incarnation, &info, MIDI_PROP_DISCOVERY);
	reg_unlock(rt);
	rt_put(rt);
	return 0;
}

/* The agent (in the helper program, started by agent_spawn_discovery). */
_Noreturn void agent_main(const char *id, uint64_t incarnation, int lockfd)
{
	(void)lockfd; /* held until exit */
	struct rt *rt = rt_get(NULL);
	struct reg_slot *v = malloc(REG_SLOTS * sizeof *v);
	size_t n = 0;
	if (!rt || !v || reg_snapshot(rt, v, &n, NULL) < 0)
		_exit(1);
	rt_put(rt);
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].info.id, id) == 0 && v[k].incarnation == incarnation) {
			struct reg_slot slot = v[k];
			free(v);
			_exit(run_discovery(&slot));
		}
	_exit(0); /* gone, or another endpoint by now: its own agent asks it */
}

int agent_spawn_discovery(struct rt *rt, const struct reg_slot *slot, midi_error *e)
{
	const struct midi_transport *tp = transport_find(slot->info.transport);
	if (!tp || !tp->discoverable)
		return 0;
	char name[SEG_NAME_MAX + 16];
	seg_file_name(name, sizeof name, slot->uid, ".disc.lock");
	int fd = rt_open(rt, name, O_RDWR | O_CREAT, e);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return 0; /* an agent runs already */
	}
	char inc[24], what[MIDI_ID_MAX + 24];
	snprintf(inc, sizeof inc, "%016" PRIx64, slot->incarnation);
	snprintf(what, sizeof what, "the discovery of %s", slot->info.id);
	const char *args[] = {slot->info.id, inc, NULL};
	int r = broker_spawn(rt, "discovery", args, fd, what, e);
	if (r < 0) {
		flock(fd, LOCK_UN);
		close(fd);
		return r;
	}
	close(fd); /* the agent holds the lock through its copy */
	return 0;
}
