/* route_runner.c: the route runner, which keeps every route (midi/route.h)
 * with no program running. It is the agent of the `route` transport, a
 * transport with no endpoints of its own (transport.h): any program that
 * reads the registry starts it (agents_ensure) when routes exist
 * (agent_wanted: the runtime file `routes` is not empty, or the
 * configuration file has [route] sections), and it stays while they do
 * (agent_busy); a killed runner is replaced by the next program that looks,
 * and reads the routes again from their files: nothing is lost but the
 * messages that arrived meanwhile.
 *
 * Per route it holds two connections opened with MIDI_OPEN_RECONNECT: one
 * to FROM (counted as a client, so FROM's host stays, and its descriptor
 * in the host loop), one send-only to TO. What arrives on FROM goes through
 * midi_route_put and is sent to TO at once. An end that does not exist is
 * opened when the registry shows it (agent_registry), and looked for again
 * every RETRY_NS while one is missing (which also starts the agent of its
 * transport again); an end that goes away is followed by the connection
 * itself and taken again when an endpoint with its id comes back. What
 * arrives while TO is away is dropped.
 *
 * It watches the runtime directory (the routes file renamed into place)
 * and the configuration file's directory with inotify, and reloads the
 * routes when either changes: a route whose definition is unchanged keeps
 * its connections. After each change it writes routes.state (NAME, then
 * active, waiting or refused), which midi_route_list reports and
 * midi_route_add waits for. */
#include "route/route_priv.h"
#include "transport/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#define RUN_BATCH 256
#define RETRY_NS 1000000000ull

struct rr {
	midi_route r;
	char opts[360];
	midi_conn *from, *to;
	int fromfd;
	int refused;
	int up;           /* both ends open and listed */
	int keep;
	midi_route_state st;
	midi_packet out[RUN_BATCH * 4];
	size_t nout;
};

struct runner {
	struct rr **v;
	size_t n;
	int inofd;
	int rtwd;         /* inotify watch of the runtime directory */
	int retry;        /* timer id, -1 none */
	char state[8192]; /* routes.state as last written */
};

static void open_ends(struct host *h);

/* ---- forwarding ---- */

static int collect(void *ctx, const midi_ump *u)
{
	struct rr *x = ctx;
	if (x->nout < sizeof x->out / sizeof x->out[0]) {
		x->out[x->nout].time_ns = 0;
		x->out[x->nout].ump = *u;
		x->nout++;
	}
	return 0;
}

static void close_from(struct host *h, struct rr *x)
{
	if (x->fromfd >= 0)
		host_fd_del(h, x->fromfd);
	x->fromfd = -1;
	midi_close(x->from);
	x->from = NULL;
}

static void on_from(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)fd;
	(void)revents;
	struct rr *x = arg;
	midi_packet in[RUN_BATCH];
	for (int rounds = 0; x->from && rounds < 64; rounds++) {
		midi_error e = {0};
		int n = midi_recv(x->from, in, RUN_BATCH, 0, &e);
		if (n < 0) {
			/* Not a removal (the connection follows those): a broken
			 * file. Open it again later. */
			close_from(h, x);
			open_ends(h);
			return;
		}
		if (n == 0)
			return;
		x->nout = 0;
		for (int k = 0; k < n; k++)
			midi_route_put(&x->r, &x->st, &in[k].ump, collect, x);
		if (x->nout && x->to && !x->refused)
			midi_send(x->to, x->out, x->nout, &e); /* TO away: dropped */
	}
}

/* ---- the routes and their ends ---- */

static void rr_free(struct host *h, struct rr *x)
{
	close_from(h, x);
	midi_close(x->to);
	free(x);
}

static int present(const struct reg_slot *v, size_t n, const char *id)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].info.id, id) == 0)
			return 1;
	return 0;
}

static void write_state(struct host *h)
{
	struct runner *run = host_priv(h);
	char text[sizeof run->state];
	size_t len = 0;
	text[0] = '\0';
	for (size_t k = 0; k < run->n && len + 64 < sizeof text; k++) {
		struct rr *x = run->v[k];
		const char *st = x->refused ? "refused" : x->up ? "active" : "waiting";
		len += (size_t)snprintf(text + len, sizeof text - len, "%s\t%s\n", x->r.name, st);
	}
	if (strcmp(text, run->state) == 0 && len)
		return;
	if (route_write_file(host_rt(h), ROUTES_STATE, text, len, NULL) == 0)
		memcpy(run->state, text, len + 1);
}

static void on_retry(struct host *h, void *arg)
{
	(void)arg;
	struct runner *run = host_priv(h);
	run->retry = -1;
	agents_ensure(host_rt(h)); /* the transport of a missing end may need its agent */
	open_ends(h);
}

/* Open the ends that exist and are not open yet. */
static void open_ends(struct host *h)
{
	struct runner *run = host_priv(h);
	static struct reg_slot v[REG_SLOTS];
	size_t n = 0;
	if (reg_snapshot(host_rt(h), v, &n, NULL) < 0)
		n = 0;
	int missing = 0;
	for (size_t k = 0; k < run->n; k++) {
		struct rr *x = run->v[k];
		/* Exact ids only: midi_open would take a name part too. */
		if (!x->from && present(v, n, x->r.from)) {
			x->from = midi_open(x->r.from, MIDI_OPEN_RECONNECT, NULL);
			int fd = x->from ? midi_conn_fd(x->from, NULL) : -1;
			if (fd >= 0 && host_fd_add(h, fd, EPOLLIN, on_from, x) == 0) {
				x->fromfd = fd;
			} else {
				midi_close(x->from);
				x->from = NULL;
			}
		}
		if (!x->to && present(v, n, x->r.to))
			x->to = midi_open(x->r.to, MIDI_OPEN_RECONNECT | MIDI_OPEN_SEND_ONLY, NULL);
		x->refused = route_feeds_itself(v, n, x->r.from, x->r.to);
		x->up = x->from && x->to && present(v, n, x->r.from) && present(v, n, x->r.to);
		missing |= !x->up && !x->refused;
		if (x->fromfd >= 0)
			on_from(h, x->fromfd, EPOLLIN, x); /* what came meanwhile */
	}
	if (missing && run->retry < 0)
		run->retry = host_timer_add(h, broker_now_ns() + RETRY_NS, on_retry, NULL);
	write_state(h);
}

/* Load the routes again: unchanged ones keep their connections. */
static void reload(struct host *h)
{
	struct runner *run = host_priv(h);
	struct rt *rt = host_rt(h);
	rt_refresh(rt, NULL); /* persistent loops of a changed file, too */
	struct conf c;
	midi_route *v = NULL;
	size_t n = 0;
	if (conf_current(&c, NULL) < 0)
		return; /* a broken file: keep what runs; programs report it */
	int st = route_load(rt, &c, &v, &n, NULL);
	conf_free(&c);
	if (st < 0)
		return;
	struct rr **nv = calloc(n ? n : 1, sizeof *nv);
	if (!nv) {
		free(v);
		return;
	}
	for (size_t k = 0; k < run->n; k++)
		run->v[k]->keep = 0;
	for (size_t j = 0; j < n; j++) {
		char opts[sizeof nv[0]->opts];
		midi_route_options(&v[j], opts, sizeof opts);
		for (size_t k = 0; k < run->n && !nv[j]; k++) {
			struct rr *x = run->v[k];
			if (!x->keep && strcmp(x->r.name, v[j].name) == 0 &&
			    strcmp(x->r.from, v[j].from) == 0 && strcmp(x->r.to, v[j].to) == 0 &&
			    strcmp(x->opts, opts) == 0) {
				x->keep = 1;
				x->r = v[j];
				nv[j] = x;
			}
		}
		if (nv[j])
			continue;
		struct rr *x = calloc(1, sizeof *x);
		if (!x)
			continue;
		x->r = v[j];
		memcpy(x->opts, opts, sizeof opts);
		x->fromfd = -1;
		x->keep = 1;
		midi_route_state_init(&x->st);
		nv[j] = x;
	}
	for (size_t k = 0; k < run->n; k++)
		if (!run->v[k]->keep)
			rr_free(h, run->v[k]);
	free(run->v);
	/* Routes that could not be made (out of memory) are left out. */
	size_t m = 0;
	for (size_t j = 0; j < n; j++)
		if (nv[j])
			nv[m++] = nv[j];
	run->v = nv;
	run->n = m;
	free(v);
	open_ends(h);
}

/* ---- what changes the routes ---- */

static void watch_dirs(struct host *h)
{
	struct runner *run = host_priv(h);
	char path[PATH_MAX];
	run->rtwd = inotify_add_watch(run->inofd, host_rt(h)->path, IN_MOVED_TO | IN_DELETE);
	if (conf_path(path, sizeof path) < 0)
		return;
	/* IN_MASK_ADD: the configuration may live in the runtime directory. */
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
			      IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MASK_ADD;
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(path, '/');
		if (!slash)
			return;
		*slash = '\0';
		if (inotify_add_watch(run->inofd, path[0] ? path : "/", mask) >= 0)
			return;
	}
}

static void on_inotify(struct host *h, int fd, uint32_t revents, void *arg)
{
	(void)revents;
	(void)arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct runner *run = host_priv(h);
	int changed = 0;
	char conf[PATH_MAX] = "";
	conf_path(conf, sizeof conf);
	const char *conf_base = strrchr(conf, '/') ? strrchr(conf, '/') + 1 : conf;
	ssize_t len;
	while ((len = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			p += sizeof *ev + ev->len;
			if (ev->wd == run->rtwd) {
				/* Runtime files come and go all the time: only ours. */
				if (ev->len && (strcmp(ev->name, ROUTES_FILE) == 0 ||
						strcmp(ev->name, conf_base) == 0))
					changed = 1;
			} else {
				changed = 1;
			}
		}
	}
	if (changed) {
		watch_dirs(h); /* the configuration directory may exist now */
		reload(h);
	}
}

/* ---- the transport's hooks ---- */

static int runner_wanted(struct rt *rt)
{
	return routes_exist(rt);
}

static int runner_open(struct host *h, midi_error *e)
{
	struct runner *run = calloc(1, sizeof *run);
	if (!run)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	run->retry = run->rtwd = -1;
	host_set_priv(h, run);
	run->inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (run->inofd < 0)
		return midi_error_sys(e, errno, "inotify");
	watch_dirs(h);
	if (host_fd_add(h, run->inofd, EPOLLIN, on_inotify, NULL) < 0)
		return midi_error_sys(e, errno, "epoll");
	/* Routes whose ends exist run when the programs waiting for this
	 * agent's first round go on. */
	reload(h);
	return 0;
}

static void runner_close(struct host *h)
{
	struct runner *run = host_priv(h);
	if (!run)
		return;
	for (size_t k = 0; k < run->n; k++)
		rr_free(h, run->v[k]);
	free(run->v);
	run->n = 0;
	write_state(h);
	if (run->inofd >= 0)
		close(run->inofd);
	free(run);
	host_set_priv(h, NULL);
}

static void runner_registry(struct host *h)
{
	open_ends(h);
}

static int runner_busy(struct host *h)
{
	struct runner *run = host_priv(h);
	return run && run->n > 0;
}

const struct midi_transport transport_route = {
	.name = "route",
	.agent_wanted = runner_wanted,
	.agent_open = runner_open,
	.agent_close = runner_close,
	.agent_registry = runner_registry,
	.agent_busy = runner_busy,
	.conf_section = "route",
	.conf_check = route_conf_check,
};
