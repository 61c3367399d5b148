/* alsa_rawmidi.c: the rawmidi transport (ALSA raw MIDI devices; built
 * only where pkg-config finds alsa-lib): its table, ids, configuration,
 * endpoints added when named, the agent, and rawmidi_claimed.
 *
 * A raw MIDI device hw:C,D (any free subdevice) or hw:C,D,S is one
 * endpoint, id rawmidi:hw:C,D[,S]: the exact byte stream of the device,
 * MIDI 1.0 protocol, byte native, served by one host per device
 * (alsa_rawmidi_host.c). It is listed while the device exists and either
 *   - a [rawmidi hw:C,D[,S]] section of midi.conf declares it (persistent;
 *     optional key name = the transport's name for it), or
 *   - a program opened it by its id (midi_open, through the transport's
 *     open_on_demand): then it goes away again when its host exits, idle.
 * The agent (only while a section declares one or one is listed) follows
 * /dev/snd with inotify: a declared device plugged in is added, a device
 * gone is removed ("is gone: device unplugged").
 * Never twice: while a rawmidi endpoint exists for a device, the alsa
 * agent leaves out the sequencer port of that device (rawmidi_claimed). */
#include "transport/alsa.h"
#include "transport/rawmidi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAWMIDI_GONE "is gone: device unplugged"

/* ---- ids (pure) ---- */

/* A decimal 0-255 without sign or leading zero at *s; advances *s. */
static int number(const char **s)
{
	const char *p = *s;
	int v = 0, k = 0;
	while (p[k] >= '0' && p[k] <= '9' && k < 4)
		v = v * 10 + (p[k++] - '0');
	if (k == 0 || k > 3 || (k > 1 && p[0] == '0') || v > 255)
		return -1;
	*s = p + k;
	return v;
}

int rawmidi_parse(const char *s, struct rawmidi_addr *a)
{
	if (!s || strncmp(s, "hw:", 3) != 0)
		return -1;
	s += 3;
	int c = number(&s);
	if (c < 0 || *s++ != ',')
		return -1;
	int d = number(&s), sub = -1;
	if (d < 0)
		return -1;
	if (*s == ',') {
		s++;
		if ((sub = number(&s)) < 0)
			return -1;
	}
	if (*s)
		return -1;
	*a = (struct rawmidi_addr){c, d, sub};
	return 0;
}

void rawmidi_format(const struct rawmidi_addr *a, char *buf, size_t n)
{
	if (a->sub >= 0)
		snprintf(buf, n, "hw:%d,%d,%d", a->card, a->device, a->sub);
	else
		snprintf(buf, n, "hw:%d,%d", a->card, a->device);
}

int rawmidi_overlap(const struct rawmidi_addr *a, const struct rawmidi_addr *b)
{
	return a->card == b->card && a->device == b->device &&
	       (a->sub < 0 || b->sub < 0 || a->sub == b->sub);
}

void rawmidi_addr_store(struct reg_slot *s, const struct rawmidi_addr *a)
{
	s->tpriv[0] = 1ull << 40 | (uint64_t)(a->card & 0x3FF) << 20 |
		      (uint64_t)(a->device & 0x3FF) << 10 | (uint64_t)((a->sub + 1) & 0x3FF);
}

int rawmidi_addr_load(const struct reg_slot *s, struct rawmidi_addr *a)
{
	uint64_t v = s->tpriv[0];
	if (!(v >> 40))
		return -1;
	*a = (struct rawmidi_addr){(int)(v >> 20 & 0x3FF), (int)(v >> 10 & 0x3FF),
				   (int)(v & 0x3FF) - 1};
	return a->card <= 255 && a->device <= 255 && a->sub <= 255 ? 0 : -1;
}

/* ---- the kernel's view of a device ---- */

static void name_copy(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; s && *s && k + 1 < n; s++)
		out[k++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	out[k] = '\0';
}

int rawmidi_probe(const struct rawmidi_addr *a, int *dirs, char *name, size_t nn, char *card,
		  size_t nc, char *why, size_t nw)
{
	char dev[16];
	snd_ctl_t *ctl;
	snprintf(dev, sizeof dev, "hw:%d", a->card);
	*dirs = 0;
	name_copy("", name, nn);
	name_copy("", card, nc);
	char node[40];
	struct stat sb;
	snprintf(node, sizeof node, "/dev/snd/controlC%d", a->card);
	if (stat(node, &sb) < 0) { /* (alsa-lib would print its own complaint) */
		snprintf(why, nw, "no sound card %d (%s: %s)", a->card, node, strerror(errno));
		return -1;
	}
	int r = snd_ctl_open(&ctl, dev, SND_CTL_NONBLOCK);
	if (r < 0) {
		snprintf(why, nw, "no sound card %d (%s)", a->card, snd_strerror(r));
		return -1;
	}
	snd_ctl_card_info_t *ci;
	snd_ctl_card_info_alloca(&ci);
	if (snd_ctl_card_info(ctl, ci) >= 0)
		name_copy(snd_ctl_card_info_get_name(ci), card, nc);
	snd_rawmidi_info_t *ri;
	snd_rawmidi_info_alloca(&ri);
	static const snd_rawmidi_stream_t st[2] = {SND_RAWMIDI_STREAM_OUTPUT,
						   SND_RAWMIDI_STREAM_INPUT};
	for (int k = 0; k < 2; k++) {
		snd_rawmidi_info_set_device(ri, (unsigned)a->device);
		snd_rawmidi_info_set_subdevice(ri, a->sub < 0 ? 0 : (unsigned)a->sub);
		snd_rawmidi_info_set_stream(ri, st[k]);
		if (snd_ctl_rawmidi_info(ctl, ri) < 0)
			continue;
		*dirs |= 1 << k;
		const char *sn = snd_rawmidi_info_get_subdevice_name(ri);
		if (!name[0])
			name_copy(a->sub >= 0 && sn && *sn ? sn : snd_rawmidi_info_get_name(ri), name,
				  nn);
	}
	snd_ctl_close(ctl);
	if (*dirs)
		return 0;
	if (a->sub >= 0)
		snprintf(why, nw, "card %d has no raw MIDI device %d with subdevice %d", a->card,
			 a->device, a->sub);
	else
		snprintf(why, nw, "card %d has no raw MIDI device %d", a->card, a->device);
	return -1;
}

/* The endpoint of device a (present, as probed). */
static void fill_slot(struct reg_slot *s, const struct rawmidi_addr *a, const char *name,
		      const char *card, const char *conf_name, int persistent)
{
	char dev[24], id[MIDI_ID_MAX];
	rawmidi_format(a, dev, sizeof dev);
	snprintf(id, sizeof id, RAWMIDI_PREFIX "%s", dev);
	transport_fill_slot(s, "rawmidi", id, conf_name && *conf_name ? conf_name : name[0] ? name : dev,
			    MIDI_PURPOSE_NORMAL);
	s->hosted = 1;
	s->info.native = MIDI_NATIVE_BYTES;
	s->info.protocol = 1;
	s->info.protocols = 1;
	s->info.discovery = MIDI_DISCOVERY_NONE;
	if (persistent)
		s->info.flags |= MIDI_EPF_PERSISTENT;
	snprintf(s->info.description, sizeof s->info.description,
		 "ALSA raw MIDI device %s, card %d (%.100s)", dev, a->card, card);
	if (a->sub >= 0)
		snprintf(s->group, sizeof s->group, "rawmidi-%d-%d-%d", a->card, a->device, a->sub);
	else
		snprintf(s->group, sizeof s->group, "rawmidi-%d-%d", a->card, a->device);
	rawmidi_addr_store(s, a);
}

/* ---- configuration ---- */

static const char *sec_name(const struct conf_sec *sec)
{
	for (size_t k = 0; k < sec->nkv; k++)
		if (strcmp(sec->kv[k].key, "name") == 0)
			return sec->kv[k].val;
	return "";
}

/* The section declaring endpoint id, or NULL. */
static const struct conf_sec *declared(const struct conf *c, const char *id)
{
	size_t k = 0;
	const struct conf_sec *sec;
	if (strncmp(id, RAWMIDI_PREFIX, strlen(RAWMIDI_PREFIX)) != 0)
		return NULL;
	while ((sec = conf_next(c, "rawmidi", &k)))
		if (strcmp(sec->arg, id + strlen(RAWMIDI_PREFIX)) == 0)
			return sec;
	return NULL;
}

static int rawmidi_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
			      midi_error *e)
{
	struct rawmidi_addr a, b;
	if (rawmidi_parse(sec->arg, &a) < 0)
		return conf_error(e, path, sec->line,
				  "invalid raw MIDI device \"%.60s\" (expected [rawmidi " RAWMIDI_FORM
				  "])", sec->arg);
	for (size_t k = 0; k < sec->nkv; k++) {
		const struct conf_kv *kv = &sec->kv[k];
		if (strcmp(kv->key, "name") != 0)
			return conf_error(e, path, kv->line,
					  "unknown key \"%.40s\" ([rawmidi] sections take name)",
					  kv->key);
		if (!kv->val[0] || strlen(kv->val) >= MIDI_NAME_MAX)
			return conf_error(e, path, kv->line, "name must be 1 to %d bytes",
					  MIDI_NAME_MAX - 1);
	}
	for (const struct conf_sec *o = c->secs; o < sec; o++)
		if (strcmp(o->type, "rawmidi") == 0 && rawmidi_parse(o->arg, &b) == 0 &&
		    rawmidi_overlap(&a, &b))
			return conf_error(e, path, sec->line,
					  "raw MIDI device %.30s is declared already (line %d: %.30s)",
					  sec->arg, o->line, o->arg);
	return 0;
}

/* Make the rawmidi endpoints match c and the devices present (registry
 * lock held): undeclared persistent ones and those of absent devices go,
 * declared ones of present devices come (or become persistent, renamed). */
static int sync_locked(struct rt *rt, const struct conf *c, midi_error *e)
{
	struct reg_hdr *h = rt->reg;
	char name[MIDI_NAME_MAX], card[80], why[128];
	int dirs, r = 0;
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		if (h->slots[k].state != 1 ||
		    strncmp(h->slots[k].info.transport, "rawmidi", SHM_TRANSPORT) != 0)
			continue;
		struct reg_slot v, want;
		struct rawmidi_addr a;
		reg_get_locked(rt, (int)k, &v);
		const struct conf_sec *sec = declared(c, v.info.id);
		if ((v.info.flags & MIDI_EPF_PERSISTENT) && !sec) {
			reg_remove_locked(rt, (int)k, "was removed from the configuration file");
			continue;
		}
		if (rawmidi_addr_load(&v, &a) < 0 ||
		    rawmidi_probe(&a, &dirs, name, sizeof name, card, sizeof card, why,
				  sizeof why) < 0) {
			reg_remove_locked(rt, (int)k, RAWMIDI_GONE);
			continue;
		}
		if (!sec)
			continue;
		fill_slot(&want, &a, name, card, sec_name(sec), 1);
		if ((v.info.flags & MIDI_EPF_PERSISTENT) &&
		    strcmp(v.info.transport_name, want.info.transport_name) == 0)
			continue;
		midi_endpoint_info old = v.info;
		v.info.flags |= MIDI_EPF_PERSISTENT;
		snprintf(v.info.transport_name, sizeof v.info.transport_name, "%s",
			 want.info.transport_name);
		info_display_name(&v.info);
		v.info.generation++;
		reg_write_begin(rt);
		reg_put_locked(rt, (int)k, &v);
		reg_event_locked(rt, REG_EV_UPDATED, info_diff(&old, &v.info), &v);
		reg_write_end(rt);
	}
	size_t k = 0;
	const struct conf_sec *sec;
	while ((sec = conf_next(c, "rawmidi", &k))) {
		struct rawmidi_addr a;
		struct reg_slot s;
		char id[MIDI_ID_MAX];
		snprintf(id, sizeof id, RAWMIDI_PREFIX "%.40s", sec->arg);
		if (rawmidi_parse(sec->arg, &a) < 0 || reg_find_locked(rt, id) >= 0 ||
		    rawmidi_probe(&a, &dirs, name, sizeof name, card, sizeof card, why, sizeof why) < 0)
			continue;
		fill_slot(&s, &a, name, card, sec_name(sec), 1);
		conf_props_for(c, &s);
		int rr = reg_add_locked(rt, &s, e);
		if (rr < 0 && r == 0)
			r = rr;
	}
	return r;
}

static int rawmidi_conf_apply_locked(struct rt *rt, const struct conf *c, midi_error *e)
{
	return sync_locked(rt, c, e);
}

/* ---- opened by id: added on demand ---- */

static int rawmidi_on_demand(struct rt *rt, const char *spec, midi_error *e)
{
	size_t np = strlen(RAWMIDI_PREFIX);
	struct rawmidi_addr a, b;
	if (strncmp(spec, RAWMIDI_PREFIX, np) != 0)
		return 0;
	int r = reg_lock(rt, e);
	if (r < 0)
		return r;
	int listed = reg_find_locked(rt, spec) >= 0, part = 0;
	for (unsigned k = 0; k < REG_SLOTS && !listed; k++)
		part |= rt->reg->slots[k].state == 1 &&
			strncmp(rt->reg->slots[k].info.id, spec, strlen(spec)) == 0;
	reg_unlock(rt);
	if (listed)
		return 0;
	if (rawmidi_parse(spec + np, &a) < 0)
		return part ? 0 /* a part of listed ids: the usual lookup */
			    : midi_error_set(e, MIDI_ERR_NOTFOUND,
					     "no endpoint matches \"%.60s\" (a raw MIDI device is "
					     "rawmidi:" RAWMIDI_FORM ")", spec);
	char name[MIDI_NAME_MAX], card[80], why[128];
	int dirs;
	if (rawmidi_probe(&a, &dirs, name, sizeof name, card, sizeof card, why, sizeof why) < 0)
		return midi_error_set(e, MIDI_ERR_NOTFOUND, "no raw MIDI device %s: %s", spec + np,
				      why);
	struct conf conf;
	int have_conf = conf_current(&conf, NULL) == 0;
	const struct conf_sec *sec = have_conf ? declared(&conf, spec) : NULL;
	struct reg_slot s;
	fill_slot(&s, &a, name, card, sec ? sec_name(sec) : NULL, sec != NULL);
	if (have_conf)
		conf_props_for(&conf, &s);
	r = reg_lock(rt, e);
	if (r == 0) {
		for (unsigned k = 0; r == 0 && k < REG_SLOTS; k++) {
			struct reg_slot v;
			if (rt->reg->slots[k].state != 1 ||
			    strncmp(rt->reg->slots[k].info.transport, "rawmidi", SHM_TRANSPORT) != 0)
				continue;
			reg_get_locked(rt, (int)k, &v);
			if (strcmp(v.info.id, spec) == 0)
				break; /* added meanwhile */
			if (rawmidi_addr_load(&v, &b) == 0 && rawmidi_overlap(&a, &b))
				r = midi_error_set(e, MIDI_ERR_NOTFOUND,
						   "raw MIDI device %s is endpoint %s already",
						   spec + np, v.info.id);
		}
		if (r == 0 && reg_find_locked(rt, spec) < 0) {
			r = reg_add_locked(rt, &s, e);
			r = r < 0 ? r : 0;
		}
		reg_unlock(rt);
	}
	if (have_conf)
		conf_free(&conf);
	return r;
}

/* ---- the agent: devices coming and going ---- */

static int any_listed(struct rt *rt)
{
	for (unsigned k = 0; k < REG_SLOTS; k++)
		if (__atomic_load_n(&rt->reg->slots[k].state, __ATOMIC_ACQUIRE) == 1 &&
		    strncmp(rt->reg->slots[k].info.transport, "rawmidi", SHM_TRANSPORT) == 0)
			return 1;
	return 0;
}

static int rawmidi_wanted(struct rt *rt)
{
	struct stat st;
	const char *s = getenv("MIDI_ALSA");
	if ((s && strcmp(s, "0") == 0) || stat("/dev/snd", &st) < 0)
		return 0;
	if (any_listed(rt))
		return 1;
	struct conf c;
	size_t k = 0;
	if (conf_current(&c, NULL) < 0)
		return 0;
	int any = conf_next(&c, "rawmidi", &k) != NULL;
	conf_free(&c);
	return any;
}

static void agent_sync(struct host *h)
{
	struct conf c;
	if (conf_current(&c, NULL) < 0)
		return; /* a broken file changes nothing */
	if (reg_lock(host_rt(h), NULL) == 0) {
		sync_locked(host_rt(h), &c, NULL);
		reg_unlock(host_rt(h));
	}
	conf_free(&c);
}

static void on_inotify(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)revents;
	(void)arg;
	char buf[4096];
	while (read(fd, buf, sizeof buf) > 0)
		;
	agent_sync(h);
}

static int rawmidi_agent_open(struct host *h, midi_error *e)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return midi_error_sys(e, errno, "inotify");
	if (inotify_add_watch(fd, "/dev/snd", IN_CREATE | IN_DELETE | IN_ATTRIB) < 0 ||
	    host_fd_add(h, fd, EPOLLIN, on_inotify, NULL) < 0) {
		int err = errno;
		close(fd);
		return midi_error_sys(e, err, "cannot watch /dev/snd");
	}
	host_set_priv(h, (void *)(intptr_t)(fd + 1));
	agent_sync(h);
	return 0;
}

static void rawmidi_agent_close(struct host *h)
{
	int fd = (int)(intptr_t)host_priv(h) - 1;
	if (fd >= 0) {
		host_fd_del(h, fd);
		close(fd);
	}
}

/* ---- never twice: for the alsa agent ---- */

/* A kernel sequencer client of card C is number 16 + 4 C + i (i 0-3):
 * snd-seq-midi is i = 0 with port 32 D + S for device D, subdevice S;
 * snd-virmidi is i = D with port 0. */
int rawmidi_claimed(int card, int client, int port)
{
	static struct reg_slot v[REG_SLOTS];
	static struct rawmidi_addr claimed[REG_SLOTS];
	static size_t n;
	static uint64_t seen = ~0ull;
	int i = client - 16 - 4 * card;
	if (card < 0 || i < 0 || i > 3 || port < 0 || (i && port))
		return 0;
	struct rawmidi_addr p = {card, i ? i : port / 32, i ? 0 : port % 32};
	struct rt *rt = rt_get(NULL);
	if (!rt)
		return 0;
	uint64_t seq = reg_event_seq(rt);
	size_t nv = 0;
	if (seq != seen && reg_snapshot(rt, v, &nv, NULL) == 0) {
		seen = seq;
		n = 0;
		for (size_t k = 0; k < nv; k++)
			if (strcmp(v[k].info.transport, "rawmidi") == 0 &&
			    rawmidi_addr_load(&v[k], &claimed[n]) == 0)
				n++;
	}
	rt_put(rt);
	for (size_t k = 0; k < n; k++)
		if (rawmidi_overlap(&claimed[k], &p))
			return 1;
	return 0;
}

const struct midi_transport transport_rawmidi = {
	.name = "rawmidi",
	.realtime = 1,
	.host_open = rawmidi_host_open,
	.host_close = rawmidi_host_close,
	.host_attach = rawmidi_host_attach,
	.host_detach = rawmidi_host_detach,
	.host_input = rawmidi_host_input,
	.agent_wanted = rawmidi_wanted,
	.agent_open = rawmidi_agent_open,
	.agent_close = rawmidi_agent_close,
	.conf_section = "rawmidi",
	.conf_check = rawmidi_conf_check,
	.conf_apply_locked = rawmidi_conf_apply_locked,
	.open_on_demand = rawmidi_on_demand,
};
