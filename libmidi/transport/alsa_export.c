/* alsa_export.c: the alsa transport's export, run by its agent (alsa.c):
 * the toolkit's endpoints as ports of the agent's sequencer client
 * (ALSA_AGENT_CLIENT, "midi toolkit"), so that any ALSA application can
 * connect to them (aconnect, its own port menu), both directions.
 *
 * Which: every endpoint except the alsa transport's own (they are ALSA
 * ports already) and rawmidi endpoints (the kernel's snd-seq-midi has a
 * port for that hardware), as changed by [alsa-export PATTERN] sections of
 * midi.conf (PATTERN an id or a shell pattern; later sections win):
 * `export = no|yes`, `name = PORT NAME`. A port is named after the
 * endpoint's display name; it keeps its number for the life of the runtime
 * directory (saved with the connections below), so `aconnect X 'midi
 * toolkit:3'` keeps meaning the same endpoint.
 *
 * Data: writing to port P sends to the endpoint (as a toolkit client
 * would); what the endpoint's clients receive is sent to P's subscribers.
 * The connection to the endpoint (midi_open) is opened only while P has
 * subscribers or has just been written to (EX_LINGER_NS), so an exported
 * USB device is not held while nobody uses it.
 *
 * Connections: the ALSA applications' subscriptions to the ports are kept
 * in the runtime directory (ALSA_EXPORT_STATE: client and port names and
 * numbers), re-read and re-made when a new agent starts (the agent was
 * killed, or the endpoint came back), so connections come back.
 *
 * Life: the agent stays (alsa_export_busy) while an ALSA application is
 * connected to a port (or wrote to it in the last EX_LINGER_NS), and while
 * a device (usb) or an application's virtual device is exported; the
 * loopbacks alone are exported while any toolkit program runs. */
#include "transport/alsa.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#define EX_MAX 128
#define EX_CONNS 256
#define EX_LINGER_NS 2000000000ull
#define EX_TICK_NS 500000000ull
#define EX_OUT_WAIT_MS 1000
#define EX_BATCH 256

struct xport {
	char id[MIDI_ID_MAX];
	char name[64];
	int port;      /* sequencer port, -1 while the endpoint is away */
	int hardware;  /* a device's endpoint (usb) */
	int keep;      /* a device or an application's virtual device: the
			* agent stays while it is exported */
	midi_conn *c;
	int cfd;
	int nsubs;     /* ALSA subscriptions now (both directions) */
	uint64_t last_in; /* last event from ALSA */
	struct alsaev_in in;
	struct alsaev_out out;
};

/* A remembered subscription: 'R' an ALSA port reads from ours, 'W' it
 * writes to ours. */
struct xconn {
	char dir;
	char id[MIDI_ID_MAX];
	char cname[64], pname[64];
	int client, port;
};

struct alsa_export {
	struct host *h;
	snd_seq_t *seq;
	int self;
	struct xport *x[EX_MAX];
	size_t n;
	struct xconn conns[EX_CONNS];
	size_t nconns;
	int portnum[EX_MAX]; /* remembered port numbers, parallel to portid */
	char portid[EX_MAX][MIDI_ID_MAX];
	size_t nportnum;
	struct stat conf_st;
	int timer;
};

/* ---- the state file ---- */

static void state_save(struct alsa_export *a)
{
	struct rt *rt = host_rt(a->h);
	int fd = rt_open(rt, ALSA_EXPORT_STATE ".new", O_WRONLY | O_CREAT | O_TRUNC, NULL);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return;
	}
	for (size_t k = 0; k < a->nportnum; k++)
		fprintf(f, "P\t%d\t%s\n", a->portnum[k], a->portid[k]);
	for (size_t k = 0; k < a->nconns; k++) {
		const struct xconn *c = &a->conns[k];
		fprintf(f, "%c\t%s\t%s\t%s\t%d\t%d\n", c->dir, c->id, c->cname, c->pname, c->client,
			c->port);
	}
	if (fclose(f) == 0)
		renameat(rt->dirfd, ALSA_EXPORT_STATE ".new", rt->dirfd, ALSA_EXPORT_STATE);
}

/* Split line at tabs into at most max fields; the count. */
static int fields(char *line, char **f, int max)
{
	int n = 0;
	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		char *t = strchr(line, '\t');
		if (!t)
			break;
		*t = '\0';
		line = t + 1;
	}
	return n;
}

static int small_num(const char *s, int max)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 && v <= max ? (int)v : -1;
}

/* Read what an earlier agent saved (a damaged line is skipped: the file
 * is ours, but a process killed mid-write leaves only .new behind). */
static void state_load(struct alsa_export *a)
{
	int fd = rt_open(host_rt(a->h), ALSA_EXPORT_STATE, O_RDONLY, NULL);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	char line[512];
	while (fgets(line, sizeof line, f)) {
		char *v[6];
		int n = fields(line, v, 6);
		if (n == 3 && strcmp(v[0], "P") == 0 && a->nportnum < EX_MAX &&
		    small_num(v[1], ALSA_AGENT_PORT - 1) >= 0 && strlen(v[2]) < MIDI_ID_MAX) {
			a->portnum[a->nportnum] = small_num(v[1], ALSA_AGENT_PORT - 1);
			snprintf(a->portid[a->nportnum++], MIDI_ID_MAX, "%s", v[2]);
		} else if (n == 6 && (strcmp(v[0], "R") == 0 || strcmp(v[0], "W") == 0) &&
			   a->nconns < EX_CONNS && strlen(v[1]) < MIDI_ID_MAX &&
			   strlen(v[2]) < 64 && strlen(v[3]) < 64 && small_num(v[4], 255) >= 0 &&
			   small_num(v[5], 255) >= 0) {
			struct xconn *c = &a->conns[a->nconns++];
			c->dir = v[0][0];
			snprintf(c->id, sizeof c->id, "%s", v[1]);
			snprintf(c->cname, sizeof c->cname, "%s", v[2]);
			snprintf(c->pname, sizeof c->pname, "%s", v[3]);
			c->client = small_num(v[4], 255);
			c->port = small_num(v[5], 255);
		}
	}
	fclose(f);
}

/* ---- which endpoints, under which names ---- */

int alsa_export_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
			   midi_error *e)
{
	(void)c;
	if (!sec->arg[0])
		return conf_error(e, path, sec->line,
				  "[alsa-export] needs an endpoint id or pattern: [alsa-export ID]");
	for (size_t k = 0; k < sec->nkv; k++) {
		const struct conf_kv *kv = &sec->kv[k];
		if (strcmp(kv->key, "export") == 0) {
			if (conf_bool(kv->val) < 0)
				return conf_error(e, path, kv->line,
						  "export = \"%.40s\": use yes or no", kv->val);
		} else if (strcmp(kv->key, "name") == 0) {
			size_t len = strlen(kv->val);
			if (len < 1 || len > 63)
				return conf_error(e, path, kv->line,
						  "name: an ALSA port name has 1 to 63 characters");
		} else {
			return conf_error(e, path, kv->line,
					  "unknown key \"%.40s\" in [alsa-export] (export, name)",
					  kv->key);
		}
	}
	return 0;
}

/* Whether slot s is exported, and under which port name. */
static int wanted(const struct conf *c, const struct reg_slot *s, char *name, size_t n)
{
	const midi_endpoint_info *i = &s->info;
	int yes = strcmp(i->transport, "alsa") != 0 && strcmp(i->transport, "rawmidi") != 0 &&
		  strcmp(i->transport, "test") != 0;
	snprintf(name, n, "%.63s", i->name[0] ? i->name : i->id);
	size_t k = 0;
	const struct conf_sec *sec;
	while ((sec = conf_next(c, "alsa-export", &k))) {
		if (fnmatch(sec->arg, i->id, 0) != 0)
			continue;
		for (size_t j = 0; j < sec->nkv; j++) {
			if (strcmp(sec->kv[j].key, "export") == 0)
				yes = conf_bool(sec->kv[j].val) > 0;
			else if (strcmp(sec->kv[j].key, "name") == 0)
				snprintf(name, n, "%.63s", sec->kv[j].val);
		}
	}
	return yes;
}

/* ---- ports ---- */

static struct xport *by_port(struct alsa_export *a, int port)
{
	for (size_t k = 0; k < a->n; k++)
		if (a->x[k]->port == port)
			return a->x[k];
	return NULL;
}

static struct xport *by_id(struct alsa_export *a, const char *id)
{
	for (size_t k = 0; k < a->n; k++)
		if (strcmp(a->x[k]->id, id) == 0)
			return a->x[k];
	return NULL;
}

/* The port number for id: the one it had, else the lowest free one. */
static int port_number(struct alsa_export *a, const char *id)
{
	for (size_t k = 0; k < a->nportnum; k++)
		if (strcmp(a->portid[k], id) == 0)
			return a->portnum[k];
	for (int p = 0; p < ALSA_AGENT_PORT; p++) {
		size_t k = 0;
		while (k < a->nportnum && a->portnum[k] != p)
			k++;
		if (k < a->nportnum)
			continue;
		if (a->nportnum == EX_MAX)
			return -1;
		a->portnum[a->nportnum] = p;
		snprintf(a->portid[a->nportnum++], MIDI_ID_MAX, "%s", id);
		return p;
	}
	return -1;
}

static void conn_close(struct alsa_export *a, struct xport *x)
{
	if (!x->c)
		return;
	if (x->cfd >= 0)
		host_fd_del(a->h, x->cfd);
	midi_close(x->c);
	x->c = NULL;
	x->cfd = -1;
}

static void port_delete(struct alsa_export *a, struct xport *x)
{
	conn_close(a, x);
	if (x->port >= 0)
		snd_seq_delete_simple_port(a->seq, x->port);
	x->port = -1;
	x->nsubs = 0;
}

static void xport_free(struct alsa_export *a, size_t k)
{
	struct xport *x = a->x[k];
	port_delete(a, x);
	alsaev_in_free(&x->in);
	alsaev_out_free(&x->out);
	free(x);
	a->x[k] = a->x[--a->n];
}

static int port_create(struct alsa_export *a, struct xport *x)
{
	int num = port_number(a, x->id);
	if (num < 0)
		return -1;
	snd_seq_port_info_t *pi;
	snd_seq_port_info_alloca(&pi);
	snd_seq_port_info_set_port(pi, num);
	snd_seq_port_info_set_port_specified(pi, 1);
	snd_seq_port_info_set_name(pi, x->name);
	snd_seq_port_info_set_capability(pi, SND_SEQ_PORT_CAP_READ | SND_SEQ_PORT_CAP_SUBS_READ |
						     SND_SEQ_PORT_CAP_WRITE |
						     SND_SEQ_PORT_CAP_SUBS_WRITE |
						     SND_SEQ_PORT_CAP_DUPLEX);
	snd_seq_port_info_set_type(pi, SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_PORT |
					       (x->hardware ? SND_SEQ_PORT_TYPE_HARDWARE
							    : SND_SEQ_PORT_TYPE_SOFTWARE));
	snd_seq_port_info_set_midi_channels(pi, 16);
	if (snd_seq_create_port(a->seq, pi) < 0)
		return -1;
	x->port = snd_seq_port_info_get_port(pi);
	return 0;
}

/* ---- the connection to the endpoint ---- */

static void on_conn(struct host *h, int fd, uint32_t revents, void *arg);

static int conn_open(struct alsa_export *a, struct xport *x)
{
	if (x->c)
		return 0;
	x->c = midi_open(x->id, 0, NULL);
	if (!x->c)
		return -1;
	x->cfd = midi_conn_fd(x->c, NULL);
	if (x->cfd < 0 || host_fd_add(a->h, x->cfd, EPOLLIN, on_conn, x) < 0) {
		x->cfd = -1;
		conn_close(a, x);
		return -1;
	}
	return 0;
}

struct out_ctx {
	struct alsa_export *a;
	struct xport *x;
};

/* One event to the port's subscribers, waiting a little while the kernel
 * is full. */
static int to_subs(void *ctx, snd_seq_event_t *ev)
{
	struct out_ctx *o = ctx;
	snd_seq_ev_set_source(ev, o->x->port);
	snd_seq_ev_set_subs(ev);
	snd_seq_ev_set_direct(ev);
	for (int tries = 0; tries < 2; tries++) {
		int r = snd_seq_event_output_direct(o->a->seq, ev);
		if (r >= 0 || r != -EAGAIN)
			return 0;
		struct pollfd pfd[4];
		int nf = snd_seq_poll_descriptors(o->a->seq, pfd, 4, POLLOUT);
		if (nf > 0)
			poll(pfd, (nfds_t)nf, EX_OUT_WAIT_MS);
	}
	return 0;
}

static struct alsa_export *the_export; /* one per agent process */

static void on_conn(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)h;
	(void)fd;
	(void)revents;
	struct xport *x = arg;
	struct alsa_export *a = the_export;
	midi_packet p[EX_BATCH];
	for (int round = 0; round < 64 && x->c; round++) {
		int n = midi_recv(x->c, p, EX_BATCH, 0, NULL);
		if (n < 0) { /* the endpoint went: the registry change follows */
			conn_close(a, x);
			return;
		}
		struct out_ctx o = {a, x};
		for (int k = 0; k < n; k++)
			alsaev_out_put(&x->out, &p[k].ump, to_subs, &o);
		if (n < EX_BATCH)
			return;
	}
}

struct in_ctx {
	midi_packet p[EX_BATCH];
	size_t n;
	struct xport *x;
};

static int in_flush(struct in_ctx *c)
{
	if (c->n && c->x->c && midi_send(c->x->c, c->p, c->n, NULL) < 0) {
		c->n = 0;
		return -1;
	}
	c->n = 0;
	return 0;
}

static int in_cb(void *ctx, const midi_ump *u)
{
	struct in_ctx *c = ctx;
	c->p[c->n++] = (midi_packet){0, *u};
	return c->n == EX_BATCH ? in_flush(c) : 0;
}

void alsa_export_event(struct alsa_export *a, const snd_seq_event_t *ev)
{
	struct xport *x = by_port(a, ev->dest.port);
	if (!x)
		return;
	x->last_in = broker_now_ns();
	if (conn_open(a, x) < 0)
		return;
	struct in_ctx c = {.x = x};
	alsaev_in_put(&x->in, ev, in_cb, &c);
	in_flush(&c);
}

/* ---- subscriptions ---- */

static void peer_names(struct alsa_export *a, int client, int port, char *cname, char *pname)
{
	snd_seq_client_info_t *ci;
	snd_seq_port_info_t *pi;
	snd_seq_client_info_alloca(&ci);
	snd_seq_port_info_alloca(&pi);
	cname[0] = pname[0] = '\0';
	if (snd_seq_get_any_client_info(a->seq, client, ci) >= 0)
		snprintf(cname, 64, "%s", snd_seq_client_info_get_name(ci));
	if (snd_seq_get_any_port_info(a->seq, client, port, pi) >= 0)
		snprintf(pname, 64, "%s", snd_seq_port_info_get_name(pi));
	for (char *s = cname; *s; s++)
		if (*s == '\t' || *s == '\n')
			*s = ' ';
	for (char *s = pname; *s; s++)
		if (*s == '\t' || *s == '\n')
			*s = ' ';
}

/* Replace the remembered subscriptions of x's port by those the kernel has. */
static void query_port(struct alsa_export *a, struct xport *x, struct xconn *out, size_t *n)
{
	snd_seq_query_subscribe_t *q;
	snd_seq_query_subscribe_alloca(&q);
	snd_seq_addr_t root = {.client = (unsigned char)a->self, .port = (unsigned char)x->port};
	x->nsubs = 0;
	for (int t = 0; t < 2; t++) {
		snd_seq_query_subscribe_set_root(q, &root);
		snd_seq_query_subscribe_set_type(q, t ? SND_SEQ_QUERY_SUBS_WRITE : SND_SEQ_QUERY_SUBS_READ);
		snd_seq_query_subscribe_set_index(q, 0);
		while (*n < EX_CONNS && snd_seq_query_port_subscribers(a->seq, q) >= 0) {
			const snd_seq_addr_t *p = snd_seq_query_subscribe_get_addr(q);
			struct xconn *c = &out[(*n)++];
			c->dir = t ? 'W' : 'R';
			snprintf(c->id, sizeof c->id, "%s", x->id);
			c->client = p->client;
			c->port = p->port;
			peer_names(a, p->client, p->port, c->cname, c->pname);
			x->nsubs++;
			snd_seq_query_subscribe_set_index(q, snd_seq_query_subscribe_get_index(q) + 1);
		}
	}
}

void alsa_export_subs_changed(struct alsa_export *a)
{
	static struct xconn now[EX_CONNS];
	size_t n = 0;
	/* kept: the connections of endpoints that are away now */
	for (size_t k = 0; k < a->nconns; k++) {
		struct xport *x = by_id(a, a->conns[k].id);
		if ((!x || x->port < 0) && n < EX_CONNS)
			now[n++] = a->conns[k];
	}
	for (size_t k = 0; k < a->n; k++)
		if (a->x[k]->port >= 0)
			query_port(a, a->x[k], now, &n);
	int changed = n != a->nconns || memcmp(now, a->conns, n * sizeof *now) != 0;
	memcpy(a->conns, now, n * sizeof *now);
	a->nconns = n;
	for (size_t k = 0; k < a->n; k++) {
		struct xport *x = a->x[k];
		if (x->nsubs && x->port >= 0)
			conn_open(a, x);
	}
	if (changed)
		state_save(a);
}

/* The address of the remembered peer: by its names (numbers change when
 * an application restarts), else its numbers if the names still match. */
static int peer_find(struct alsa_export *a, const struct xconn *c, snd_seq_addr_t *out)
{
	snd_seq_client_info_t *ci;
	snd_seq_port_info_t *pi;
	snd_seq_client_info_alloca(&ci);
	snd_seq_port_info_alloca(&pi);
	snd_seq_client_info_set_client(ci, -1);
	while (snd_seq_query_next_client(a->seq, ci) >= 0) {
		if (strcmp(snd_seq_client_info_get_name(ci), c->cname) != 0)
			continue;
		int client = snd_seq_client_info_get_client(ci);
		snd_seq_port_info_set_client(pi, client);
		snd_seq_port_info_set_port(pi, -1);
		while (snd_seq_query_next_port(a->seq, pi) >= 0)
			if (strcmp(snd_seq_port_info_get_name(pi), c->pname) == 0) {
				out->client = (unsigned char)client;
				out->port = (unsigned char)snd_seq_port_info_get_port(pi);
				return 0;
			}
	}
	return -1;
}

/* Make again the remembered subscriptions of x's port. */
static void restore(struct alsa_export *a, struct xport *x)
{
	snd_seq_port_subscribe_t *s;
	snd_seq_port_subscribe_alloca(&s);
	for (size_t k = 0; k < a->nconns; k++) {
		const struct xconn *c = &a->conns[k];
		snd_seq_addr_t peer, ours = {.client = (unsigned char)a->self,
					     .port = (unsigned char)x->port};
		if (strcmp(c->id, x->id) != 0 || peer_find(a, c, &peer) < 0)
			continue;
		snd_seq_port_subscribe_set_sender(s, c->dir == 'R' ? &ours : &peer);
		snd_seq_port_subscribe_set_dest(s, c->dir == 'R' ? &peer : &ours);
		snd_seq_subscribe_port(a->seq, s);
	}
}

/* ---- following the registry and the configuration ---- */

void alsa_export_sync(struct alsa_export *a)
{
	static struct reg_slot reg[REG_SLOTS];
	size_t nr = 0;
	struct conf conf;
	if (conf_current(&conf, NULL) < 0)
		memset(&conf, 0, sizeof conf); /* a broken file: the defaults */
	if (reg_snapshot(host_rt(a->h), reg, &nr, NULL) < 0) {
		conf_free(&conf);
		return;
	}
	/* gone or no longer wanted (or renamed: made again) */
	for (size_t k = a->n; k-- > 0;) {
		struct xport *x = a->x[k];
		size_t j = 0;
		while (j < nr && strcmp(reg[j].info.id, x->id) != 0)
			j++;
		char name[64];
		if (j == nr || !wanted(&conf, &reg[j], name, sizeof name) ||
		    strcmp(name, x->name) != 0)
			xport_free(a, k);
	}
	int added = 0;
	for (size_t j = 0; j < nr && a->n < EX_MAX; j++) {
		char name[64];
		if (!wanted(&conf, &reg[j], name, sizeof name) || by_id(a, reg[j].info.id))
			continue;
		struct xport *x = calloc(1, sizeof *x);
		if (!x)
			break;
		snprintf(x->id, sizeof x->id, "%s", reg[j].info.id);
		snprintf(x->name, sizeof x->name, "%s", name);
		x->hardware = strcmp(reg[j].info.transport, "usb") == 0;
		x->keep = x->hardware || reg[j].info.purpose == MIDI_PURPOSE_VIRTUAL;
		x->cfd = -1;
		if (alsaev_in_init(&x->in) < 0 || alsaev_out_init(&x->out) < 0 ||
		    port_create(a, x) < 0) {
			alsaev_in_free(&x->in);
			alsaev_out_free(&x->out);
			free(x);
			continue;
		}
		a->x[a->n++] = x;
		restore(a, x);
		added = 1;
	}
	conf_free(&conf);
	alsa_export_subs_changed(a);
	if (added)
		state_save(a); /* new port numbers */
}

static int conf_changed(struct alsa_export *a)
{
	char path[4096];
	struct stat st;
	memset(&st, 0, sizeof st);
	if (conf_path(path, sizeof path) == 0 && stat(path, &st) < 0)
		memset(&st, 0, sizeof st);
	int changed = st.st_mtim.tv_sec != a->conf_st.st_mtim.tv_sec ||
		      st.st_mtim.tv_nsec != a->conf_st.st_mtim.tv_nsec ||
		      st.st_size != a->conf_st.st_size || st.st_ino != a->conf_st.st_ino;
	a->conf_st = st;
	return changed;
}

/* Connections nobody needs any more are closed; the file is looked at. */
static void on_tick(struct host *h, void *arg)
{
	struct alsa_export *a = arg;
	uint64_t now = broker_now_ns();
	for (size_t k = 0; k < a->n; k++) {
		struct xport *x = a->x[k];
		if (x->c && !x->nsubs && now - x->last_in > EX_LINGER_NS)
			conn_close(a, x);
	}
	if (conf_changed(a))
		alsa_export_sync(a);
	a->timer = host_timer_add(h, now + EX_TICK_NS, on_tick, a);
}

int alsa_export_busy(const struct alsa_export *a)
{
	for (size_t k = 0; a && k < a->n; k++)
		if (a->x[k]->c || a->x[k]->keep)
			return 1;
	return 0;
}

struct alsa_export *alsa_export_open(struct host *h, snd_seq_t *seq)
{
	struct alsa_export *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->h = h;
	a->seq = seq;
	a->self = snd_seq_client_id(seq);
	a->timer = -1;
	the_export = a;
	state_load(a);
	conf_changed(a);
	alsa_export_sync(a);
	a->timer = host_timer_add(h, broker_now_ns() + EX_TICK_NS, on_tick, a);
	return a;
}

void alsa_export_close(struct alsa_export *a)
{
	if (!a)
		return;
	if (a->timer >= 0)
		host_timer_del(a->h, a->timer);
	while (a->n)
		xport_free(a, a->n - 1);
	the_export = NULL;
	free(a);
}
