/* alsa.c: the alsa transport (ALSA sequencer ports; built only where
 * pkg-config finds alsa-lib): its table and the agent.
 *
 * Agent: one sequencer client (ALSA_AGENT_CLIENT) with one hidden port
 * subscribed to the system announce port; enumerates every port that can
 * be read or written (capabilities READ+SUBS_READ or WRITE+SUBS_WRITE, not
 * NO_EXPORT), except the system client's and the toolkit's own clients'
 * and those of a card whose USB device the usb transport lists (one device
 * is never two endpoints), and syncs again after every CLIENT_START/EXIT,
 * PORT_START/EXIT/CHANGE.
 * Each port is one endpoint: id alsa:CLIENT:PORT from the names (numbers
 * change between boots), sanitized; ports whose ids clash are numbered
 * -2, -3 in order of client and port number. MIDI 1.0 protocol, byte
 * native, no UMP discovery; the port's address is kept in the slot
 * (tpriv), the card in the description. A port that goes away removes its
 * endpoint ("is gone: ALSA port removed"), which its connections are told.
 * Every alsa endpoint is served by one host (group "alsa", alsa_host.c).
 * The agent's client also carries the export (alsa_export.c): the
 * toolkit's endpoints as ALSA ports; the agent stays while ALSA
 * applications use them. */
#include "transport/alsa.h"
#ifdef MIDI_HAVE_LIBUSB
#include "transport/usb.h"
#endif

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#define ALSA_MAX_PORTS 128
#define ALSA_GONE "is gone: ALSA port removed"

struct aagent {
	snd_seq_t *seq;
	struct alsa_export *x;
	int self;
	int fds[4];
	int nfds;
};

/* Letters, digits, '.', '_' and '-' of s, blanks as '-', the rest '_',
 * at most max characters. */
static void id_part(const char *s, char *out, size_t max)
{
	size_t k = 0;
	for (; *s && k < max; s++) {
		char c = *s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-')
			out[k++] = c;
		else
			out[k++] = c == ' ' ? '-' : '_';
	}
	out[k] = '\0';
	if (!k)
		snprintf(out, max + 1, "_");
}

/* A name from the kernel, made printable and terminated. */
static void name_copy(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; s && *s && k + 1 < n; s++)
		out[k++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	out[k] = '\0';
}

static int wanted_port(const snd_seq_port_info_t *pi)
{
	unsigned cap = snd_seq_port_info_get_capability(pi);
	if (cap & SND_SEQ_PORT_CAP_NO_EXPORT)
		return 0;
	unsigned rd = SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ;
	unsigned wr = SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE;
	return (cap & rd) == rd || (cap & wr) == wr;
}

static int own_client(const char *name)
{
	return strcmp(name, ALSA_HOST_CLIENT) == 0 || strcmp(name, ALSA_AGENT_CLIENT) == 0;
}

/* The endpoints for the ports present now (at most max), in order of
 * client and port number, duplicates numbered. */
static size_t enumerate(struct aagent *a, struct reg_slot *out, size_t max)
{
	snd_seq_client_info_t *ci;
	snd_seq_port_info_t *pi;
	snd_seq_client_info_alloca(&ci);
	snd_seq_port_info_alloca(&pi);
	size_t n = 0;
	snd_seq_client_info_set_client(ci, -1);
	while (n < max && snd_seq_query_next_client(a->seq, ci) >= 0) {
		int client = snd_seq_client_info_get_client(ci);
		char cname[MIDI_NAME_MAX];
		name_copy(snd_seq_client_info_get_name(ci), cname, 64);
		if (client <= SND_SEQ_CLIENT_SYSTEM || client > 255 || client == a->self ||
		    own_client(cname))
			continue;
		int card = snd_seq_client_info_get_card(ci);
#ifdef MIDI_HAVE_LIBUSB
		if (card >= 0 && usb_card_listed(card))
			continue; /* the usb transport has the device: never twice */
#endif
		snd_seq_port_info_set_client(pi, client);
		snd_seq_port_info_set_port(pi, -1);
		while (n < max && snd_seq_query_next_port(a->seq, pi) >= 0) {
			int port = snd_seq_port_info_get_port(pi);
			if (port < 0 || port > 255 || !wanted_port(pi))
				continue;
			if (rawmidi_claimed(card, client, port))
				continue; /* a rawmidi endpoint has the device: never twice */
			char pname[MIDI_NAME_MAX], cid[32], pid[32], id[MIDI_ID_MAX];
			char tname[MIDI_NAME_MAX];
			name_copy(snd_seq_port_info_get_name(pi), pname, 64);
			id_part(cname, cid, 27);
			id_part(pname, pid, 27);
			snprintf(id, sizeof id, "alsa:%.27s:%.27s", cid, pid);
			/* numbered when the id is taken by an earlier port */
			for (unsigned dup = 2; dup < 100; dup++) {
				size_t j = 0;
				while (j < n && strcmp(out[j].info.id, id) != 0)
					j++;
				if (j == n)
					break;
				snprintf(id, sizeof id, "alsa:%.27s:%.27s-%u", cid, pid, dup);
			}
			snprintf(tname, sizeof tname, "%.63s:%.63s", cname, pname);
			struct reg_slot *s = &out[n++];
			transport_fill_slot(s, "alsa", id, tname, MIDI_PURPOSE_NORMAL);
			s->hosted = 1;
			s->info.native = MIDI_NATIVE_BYTES;
			s->info.protocol = 1;
			s->info.protocols = 1;
			s->info.discovery = MIDI_DISCOVERY_NONE;
			if (card >= 0 && card < 256)
				snprintf(s->info.description, sizeof s->info.description,
					 "ALSA sequencer port %d:%d, card %d", client, port, card);
			else
				snprintf(s->info.description, sizeof s->info.description,
					 "ALSA sequencer port %d:%d", client, port);
			snprintf(s->group, sizeof s->group, "alsa");
			alsa_addr_store(s, client, port);
		}
	}
	return n;
}

/* Make the endpoints match the ports present: a port that changed address
 * under the same id (restarted while nobody watched) is made anew. */
static void agent_sync(struct host *h)
{
	struct aagent *a = host_priv(h);
	static struct reg_slot have[ALSA_MAX_PORTS];
	static struct reg_slot reg[REG_SLOTS];
	size_t nh = enumerate(a, have, ALSA_MAX_PORTS), nr = 0;
	if (reg_snapshot(host_rt(h), reg, &nr, NULL) < 0)
		return;
	for (size_t j = 0; j < nr; j++) {
		if (strcmp(reg[j].info.transport, "alsa") != 0)
			continue;
		size_t k = 0;
		while (k < nh && strcmp(have[k].info.id, reg[j].info.id) != 0)
			k++;
		if (k == nh || have[k].tpriv[0] != reg[j].tpriv[0])
			agent_remove(h, reg[j].info.id, ALSA_GONE);
	}
	for (size_t k = 0; k < nh; k++)
		agent_add(h, &have[k], NULL);
}

static void on_seq(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)fd;
	(void)revents;
	struct aagent *a = arg;
	int dirty = 0, subs = 0;
	for (int k = 0; k < 4096; k++) {
		snd_seq_event_t *ev = NULL;
		int r = snd_seq_event_input(a->seq, &ev);
		if (r == -ENOSPC) { /* events lost: look again */
			dirty = 1;
			continue;
		}
		if (r < 0)
			break;
		if (!ev)
			continue;
		if (ev->dest.port != ALSA_AGENT_PORT) {
			if (a->x)
				alsa_export_event(a->x, ev);
			continue;
		}
		switch (ev->type) {
		case SND_SEQ_EVENT_CLIENT_START:
		case SND_SEQ_EVENT_CLIENT_EXIT:
		case SND_SEQ_EVENT_CLIENT_CHANGE:
		case SND_SEQ_EVENT_PORT_START:
		case SND_SEQ_EVENT_PORT_EXIT:
		case SND_SEQ_EVENT_PORT_CHANGE:
			dirty = 1;
			break;
		case SND_SEQ_EVENT_PORT_SUBSCRIBED:
		case SND_SEQ_EVENT_PORT_UNSUBSCRIBED:
			subs = 1;
			break;
		default:
			break;
		}
	}
	if (dirty)
		agent_sync(h);
	if ((dirty || subs) && a->x)
		alsa_export_subs_changed(a->x);
}

static int alsa_wanted(struct rt *rt)
{
	(void)rt;
	struct stat st;
	const char *s = getenv("MIDI_ALSA");
	if (s && strcmp(s, "0") == 0)
		return 0;
	return stat("/dev/snd/seq", &st) == 0;
}

static void agent_free(struct host *h, struct aagent *a)
{
	alsa_export_close(a->x);
	for (int k = 0; k < a->nfds; k++)
		host_fd_del(h, a->fds[k]);
	if (a->seq)
		snd_seq_close(a->seq);
	free(a);
}

static int alsa_agent_open(struct host *h, midi_error *e)
{
	struct aagent *a = calloc(1, sizeof *a);
	if (!a)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	int r = snd_seq_open(&a->seq, "default", SND_SEQ_OPEN_DUPLEX, SND_SEQ_NONBLOCK);
	if (r < 0) {
		a->seq = NULL;
		agent_free(h, a);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "ALSA sequencer: %s", snd_strerror(r));
	}
	snd_seq_set_client_name(a->seq, ALSA_AGENT_CLIENT);
	a->self = snd_seq_client_id(a->seq);
	snd_seq_port_info_t *pi;
	snd_seq_port_info_alloca(&pi);
	snd_seq_port_info_set_port(pi, ALSA_AGENT_PORT);
	snd_seq_port_info_set_port_specified(pi, 1);
	snd_seq_port_info_set_name(pi, "announce");
	snd_seq_port_info_set_capability(pi, SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_NO_EXPORT);
	snd_seq_port_info_set_type(pi, SND_SEQ_PORT_TYPE_APPLICATION);
	r = snd_seq_create_port(a->seq, pi);
	int port = r < 0 ? r : snd_seq_port_info_get_port(pi);
	if (port < 0 ||
	    (r = snd_seq_connect_from(a->seq, port, SND_SEQ_CLIENT_SYSTEM,
				      SND_SEQ_PORT_SYSTEM_ANNOUNCE)) < 0) {
		agent_free(h, a);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "ALSA sequencer announce port: %s",
				      snd_strerror(port < 0 ? port : r));
	}
	struct pollfd pfd[4];
	int nf = snd_seq_poll_descriptors(a->seq, pfd, 4, POLLIN);
	host_set_priv(h, a);
	for (int k = 0; k < nf && k < 4; k++)
		if (host_fd_add(h, pfd[k].fd, EPOLLIN, on_seq, a) == 0)
			a->fds[a->nfds++] = pfd[k].fd;
	agent_sync(h);
	a->x = alsa_export_open(h, a->seq);
	return 0;
}

static void alsa_agent_registry(struct host *h)
{
	struct aagent *a = host_priv(h);
	if (a)
		agent_sync(h); /* rawmidi endpoints came or went (rawmidi_claimed) */
	if (a && a->x)
		alsa_export_sync(a->x);
}

static int alsa_agent_busy(struct host *h)
{
	struct aagent *a = host_priv(h);
	return a && alsa_export_busy(a->x);
}

static void alsa_agent_close(struct host *h)
{
	struct aagent *a = host_priv(h);
	if (a)
		agent_free(h, a);
}

const struct midi_transport transport_alsa = {
	.name = "alsa",
	.host_open = alsa_host_open,
	.host_close = alsa_host_close,
	.host_attach = alsa_host_attach,
	.host_detach = alsa_host_detach,
	.host_input = alsa_host_input,
	.host_registry = alsa_host_registry,
	.agent_wanted = alsa_wanted,
	.agent_open = alsa_agent_open,
	.agent_close = alsa_agent_close,
	.agent_registry = alsa_agent_registry,
	.agent_busy = alsa_agent_busy,
	.discoverable = 0,
	.realtime = 1,
	.conf_section = "alsa-export",
	.conf_check = alsa_export_conf_check,
};
