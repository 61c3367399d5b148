/* route_store.c: where routes are kept. Persistent routes are [route NAME]
 * sections of the configuration file (checked here with conf_error, so
 * every program reports a broken one by file and line); transient routes
 * are lines of the runtime file `routes`, changed under `routes.lock` and
 * replaced whole by rename, so the runner (route_runner.c), which watches
 * the runtime directory, reads either the old or the new file. Adding a
 * route starts the runner (agents_ensure) and waits, bounded, until it has
 * taken the route in (routes.state). */
#include "route/route_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ADD_WAIT_NS 2000000000ull

/* ---- the [route NAME] sections ---- */

static int from_sec(const struct conf_sec *sec, const char *path, midi_route *r, midi_error *e)
{
	midi_route_init(r);
	if (!loop_name_valid(sec->arg))
		return conf_error(e, path, sec->line,
				  "invalid route name \"%.60s\" (use 1 to 40 letters, digits, '.', "
				  "'_' or '-')", sec->arg);
	memcpy(r->name, sec->arg, strlen(sec->arg) + 1); /* valid: at most 40 bytes */
	r->persistent = 1;
	r->line = sec->line;
	for (size_t k = 0; k < sec->nkv; k++) {
		midi_error ke = {0};
		if (midi_route_set(r, sec->kv[k].key, sec->kv[k].val, &ke) < 0)
			return conf_error(e, path, sec->kv[k].line, "[route %s]: %s", sec->arg, ke.msg);
	}
	midi_error ce = {0};
	if (midi_route_check(r, &ce) < 0)
		return conf_error(e, path, sec->line, "%s", ce.msg);
	return 0;
}

int route_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
		     midi_error *e)
{
	midi_route r;
	int st = from_sec(sec, path, &r, e);
	if (st < 0)
		return st;
	for (const struct conf_sec *o = c->secs; o < sec; o++)
		if (strcmp(o->type, "route") == 0 && strcmp(o->arg, sec->arg) == 0)
			return conf_error(e, path, sec->line, "route %s declared twice (first at line %d)",
					  sec->arg, o->line);
	return 0;
}

/* ---- the transient routes file ---- */

/* Read the whole of runtime file name into *text (NUL-terminated); 1 if
 * it does not exist. */
static int read_rt_file(struct rt *rt, const char *name, char **text, midi_error *e)
{
	*text = NULL;
	int fd = rt_open(rt, name, O_RDONLY, e);
	if (fd == -MIDI_ERR_NOTFOUND)
		return 1;
	if (fd < 0)
		return fd;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			close(fd);
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		}
		if (len + 1 == cap) {
			char *nb = cap < (1u << 24) ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				close(fd);
				return midi_error_set(e, MIDI_ERR_RUNTIME, "runtime file %s/%s is too large",
						      rt->path, name);
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t k = read(fd, buf + len, cap - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = errno;
			free(buf);
			close(fd);
			return midi_error_sys(e, err, "cannot read runtime file %s/%s", rt->path, name);
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	close(fd);
	buf[len] = '\0';
	*text = buf;
	return 0;
}

static int push(midi_route **v, size_t *n, size_t *cap, const midi_route *r, midi_error *e)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		midi_route *nv = realloc(*v, nc * sizeof *nv);
		if (!nv)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = *r;
	return 0;
}

/* One line "NAME\tFROM\tTO\tOPTIONS" into *r. */
static int parse_line(char *line, midi_route *r, midi_error *e)
{
	char *f[4] = {line, NULL, NULL, NULL};
	for (int k = 1; k < 4; k++) {
		char *tab = f[k - 1] ? strchr(f[k - 1], '\t') : NULL;
		if (!tab)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "expected NAME, FROM, TO and options");
		*tab = '\0';
		f[k] = tab + 1;
	}
	midi_route_init(r);
	if (strlen(f[0]) >= sizeof r->name)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "route name too long");
	snprintf(r->name, sizeof r->name, "%s", f[0]);
	int st = midi_route_set(r, "from", f[1], e);
	if (st == 0)
		st = midi_route_set(r, "to", f[2], e);
	for (char *w = strtok(f[3], " "); st == 0 && w; w = strtok(NULL, " ")) {
		char *eq = strchr(w, '=');
		if (!eq)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "option \"%.40s\" is not key=value", w);
		*eq = '\0';
		st = midi_route_set(r, w, eq + 1, e);
	}
	if (st == 0)
		st = midi_route_check(r, e);
	return st;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const midi_route *)a)->name, ((const midi_route *)b)->name);
}

/* The transient routes, appended to v. */
static int load_transient(struct rt *rt, midi_route **v, size_t *n, size_t *cap, midi_error *e)
{
	char *text;
	int st = read_rt_file(rt, ROUTES_FILE, &text, e);
	if (st)
		return st > 0 ? 0 : st;
	size_t first = *n;
	int ln = 0;
	for (char *line = text, *nl; st == 0 && line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		ln++;
		if (!*line)
			continue;
		midi_route r;
		midi_error le = {0};
		if (parse_line(line, &r, &le) < 0)
			st = midi_error_set(e, MIDI_ERR_RUNTIME, "runtime file %s/%s line %d: %s",
					    rt->path, ROUTES_FILE, ln, le.msg);
		else
			st = push(v, n, cap, &r, e);
	}
	free(text);
	if (st == 0)
		qsort(*v + first, *n - first, sizeof **v, cmp_name);
	return st;
}

int route_load(struct rt *rt, const struct conf *c, midi_route **out, size_t *n, midi_error *e)
{
	midi_route *v = NULL;
	size_t cnt = 0, cap = 0;
	int st = 0;
	char path[PATH_MAX] = "the configuration file";
	conf_path(path, sizeof path);
	size_t k = 0;
	const struct conf_sec *sec;
	while (st == 0 && c && (sec = conf_next(c, "route", &k))) {
		midi_route r;
		st = from_sec(sec, path, &r, e);
		if (st == 0)
			st = push(&v, &cnt, &cap, &r, e);
	}
	if (st == 0)
		st = load_transient(rt, &v, &cnt, &cap, e);
	if (st < 0) {
		free(v);
		return st;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int routes_exist(struct rt *rt)
{
	struct stat st;
	if (fstatat(rt->dirfd, ROUTES_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_size > 0)
		return 1;
	char path[PATH_MAX];
	if (conf_path(path, sizeof path) < 0 || stat(path, &st) < 0)
		return 0;
	struct conf c;
	if (conf_parse_file(path, &c, NULL) < 0)
		return 0;
	size_t k = 0;
	int any = conf_next(&c, "route", &k) != NULL;
	conf_free(&c);
	return any;
}

int route_feeds_itself(const struct reg_slot *v, size_t n, const char *from, const char *to)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(v[k].info.id, to) == 0 && !v[k].hosted && strcmp(v[k].peer, from) == 0)
			return 1;
	return 0;
}

int route_write_file(struct rt *rt, const char *name, const char *text, size_t len,
		     midi_error *e)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	int fd = rt_open(rt, tmp, O_WRONLY | O_CREAT | O_TRUNC, e);
	if (fd < 0)
		return fd;
	size_t off = 0;
	while (off < len) {
		ssize_t k = write(fd, text + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			int err = k < 0 ? errno : EIO;
			close(fd);
			unlinkat(rt->dirfd, tmp, 0);
			return midi_error_sys(e, err, "cannot write runtime file %s/%s", rt->path, tmp);
		}
		off += (size_t)k;
	}
	close(fd);
	if (renameat(rt->dirfd, tmp, rt->dirfd, name) < 0) {
		int err = errno;
		unlinkat(rt->dirfd, tmp, 0);
		return midi_error_sys(e, err, "cannot replace runtime file %s/%s", rt->path, name);
	}
	return 0;
}

int route_state_of(struct rt *rt, const char *name, char *buf, size_t n)
{
	char *text;
	if (read_rt_file(rt, ROUTES_STATE, &text, NULL))
		return -1;
	int found = -1;
	size_t len = strlen(name);
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (strncmp(line, name, len) == 0 && line[len] == '\t') {
			snprintf(buf, n, "%s", line + len + 1);
			found = 0;
			break;
		}
	}
	free(text);
	return found;
}

/* ---- the public functions ---- */

/* Append "NAME\tFROM\tTO\tOPTIONS\n" for each transient route of v. */
static char *transient_text(const midi_route *v, size_t n, size_t *len, midi_error *e)
{
	size_t cap = 1, used = 0;
	for (size_t k = 0; k < n; k++)
		cap += sizeof v[k].name + 2 * MIDI_ID_MAX + 400;
	char *t = malloc(cap);
	if (!t) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	t[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		if (v[k].persistent)
			continue;
		char opts[360];
		midi_route_options(&v[k], opts, sizeof opts);
		used += (size_t)snprintf(t + used, cap - used, "%s\t%s\t%s\t%s\n", v[k].name, v[k].from,
					 v[k].to, opts);
	}
	*len = used;
	return t;
}

/* Under routes.lock: the routes now (configuration first). */
static int locked_begin(struct rt *rt, int *lockfd, midi_route **v, size_t *n, midi_error *e)
{
	int st = rt_refresh(rt, e);
	if (st < 0)
		return st;
	*lockfd = rt_open(rt, ROUTES_LOCK, O_RDWR | O_CREAT, e);
	if (*lockfd < 0)
		return *lockfd;
	st = lock_fd(*lockfd, 5000);
	if (st != 0) {
		close(*lockfd);
		*lockfd = -1;
		return st > 0 ? midi_error_set(e, MIDI_ERR_TIMEOUT,
					       "runtime file %s/%s stayed locked for 5 s", rt->path,
					       ROUTES_LOCK)
			      : midi_error_sys(e, -st, "cannot lock %s/%s", rt->path, ROUTES_LOCK);
	}
	struct conf c;
	st = conf_current(&c, e);
	if (st < 0) {
		close(*lockfd);
		return st;
	}
	st = route_load(rt, &c, v, n, e);
	conf_free(&c);
	if (st < 0)
		close(*lockfd);
	return st;
}

/* Wait (bounded) until the runner says what it does with route name. */
static void wait_taken(struct rt *rt, const char *name)
{
	uint64_t end = broker_now_ns() + ADD_WAIT_NS;
	char st[16];
	while (route_state_of(rt, name, st, sizeof st) < 0 && broker_now_ns() < end) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
}

int midi_route_add(const midi_route *r, midi_error *e)
{
	int st = midi_route_check(r, e);
	if (st < 0)
		return st;
	struct rt *rt = rt_get(e);
	if (!rt)
		return -MIDI_ERR_RUNTIME;
	midi_route *v = NULL;
	size_t n = 0;
	int lockfd = -1;
	st = locked_begin(rt, &lockfd, &v, &n, e);
	if (st < 0)
		goto out;
	for (size_t k = 0; k < n && st == 0; k++)
		if (strcmp(v[k].name, r->name) == 0) {
			char path[PATH_MAX] = "the configuration file";
			conf_path(path, sizeof path);
			st = v[k].persistent
				     ? midi_error_set(e, MIDI_ERR_INPUT,
						      "route %s exists: it is persistent, declared at line "
						      "%d of %s", r->name, v[k].line, path)
				     : midi_error_set(e, MIDI_ERR_INPUT,
						      "route %s exists already (%s to %s)", r->name,
						      v[k].from, v[k].to);
		}
	size_t sn = 0;
	struct reg_slot *snap = st == 0 ? malloc(REG_SLOTS * sizeof *snap) : NULL;
	if (st == 0 && snap && reg_snapshot(rt, snap, &sn, NULL) == 0 &&
	    route_feeds_itself(snap, sn, r->from, r->to))
		st = midi_error_set(e, MIDI_ERR_INPUT,
				    "route %s: %s is the loopback peer of %s, so what the route "
				    "sends would arrive on %s again, forever", r->name, r->to, r->from,
				    r->from);
	free(snap);
	if (st == 0) {
		midi_route *nv = realloc(v, (n + 1) * sizeof *nv);
		if (!nv) {
			st = midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		} else {
			v = nv;
			v[n] = *r;
			v[n].persistent = 0;
			v[n].line = 0;
			size_t len;
			char *text = transient_text(v, n + 1, &len, e);
			st = text ? route_write_file(rt, ROUTES_FILE, text, len, e) : -MIDI_ERR_RUNTIME;
			free(text);
		}
	}
	close(lockfd);
	if (st == 0) {
		agents_ensure(rt); /* the runner: started, or it sees the file change */
		wait_taken(rt, r->name);
	}
out:
	free(v);
	rt_put(rt);
	return st;
}

int midi_route_remove(const char *name, midi_error *e)
{
	if (!name || !loop_name_valid(name))
		return midi_error_set(e, MIDI_ERR_INPUT,
				      "invalid route name \"%.60s\": use 1 to 40 letters, digits, '.', "
				      "'_' or '-'", name ? name : "");
	struct rt *rt = rt_get(e);
	if (!rt)
		return -MIDI_ERR_RUNTIME;
	midi_route *v = NULL;
	size_t n = 0;
	int lockfd = -1;
	int st = locked_begin(rt, &lockfd, &v, &n, e);
	if (st < 0)
		goto out;
	size_t k = 0;
	while (k < n && strcmp(v[k].name, name) != 0)
		k++;
	if (k == n) {
		st = midi_error_set(e, MIDI_ERR_NOTFOUND, "no route named \"%s\"", name);
	} else if (v[k].persistent) {
		char path[PATH_MAX] = "the configuration file";
		conf_path(path, sizeof path);
		st = midi_error_set(e, MIDI_ERR_INPUT,
				    "route %s is persistent: remove its [route %s] section (line %d) "
				    "from %s", name, name, v[k].line, path);
	} else {
		memmove(&v[k], &v[k + 1], (n - k - 1) * sizeof *v);
		size_t len;
		char *text = transient_text(v, n - 1, &len, e);
		st = text ? route_write_file(rt, ROUTES_FILE, text, len, e) : -MIDI_ERR_RUNTIME;
		free(text);
	}
	close(lockfd);
out:
	free(v);
	rt_put(rt);
	return st;
}

int midi_route_list(midi_route **out, size_t *n, midi_error *e)
{
	*out = NULL;
	*n = 0;
	struct rt *rt = rt_get(e);
	if (!rt)
		return -MIDI_ERR_RUNTIME;
	int st = rt_refresh(rt, e);
	struct conf c;
	if (st == 0)
		st = conf_current(&c, e);
	if (st < 0) {
		rt_put(rt);
		return st;
	}
	/* A killed runner is replaced here too, and says what it does. */
	agents_ensure(rt);
	st = route_load(rt, &c, out, n, e);
	conf_free(&c);
	for (size_t k = 0; st == 0 && k < *n; k++)
		if (route_state_of(rt, (*out)[k].name, (*out)[k].state, sizeof (*out)[k].state) < 0)
			(*out)[k].state[0] = '\0';
	rt_put(rt);
	return st;
}
