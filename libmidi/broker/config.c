/* config.c: the configuration file ($MIDI_CONFIG, else
 * $XDG_CONFIG_HOME/midi/midi.conf, else $HOME/.config/midi/midi.conf), an
 * INI-style file:
 *   [endpoint ID]        properties of the endpoint with that id:
 *   name = TEXT          user-set display name (wins over everything)
 *   description = TEXT
 *   [TYPE ARG]           a section owned by the transport whose conf_section
 *   key = value          has TYPE (e.g. [loop NAME]: a persistent loopback
 *                        pair); it checks the section (conf_check) and
 *                        applies it (conf_apply_locked)
 * '#' starts a comment anywhere on a line. Errors name the file and line.
 * The registry header stores the stamp (mtime, size, inode) of the file last
 * applied; rt_refresh re-reads and applies it under the registry lock when
 * the stamp changes (persistent loops added or removed, user names set,
 * "updated" events posted). A broken file is reported by every call that
 * reads the registry, not ignored. */
#include "broker/broker.h"
#include "midi/discovery.h"
#include "midi/watch.h"
#include "transport/transport.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_MAX_BYTES (1 << 20)

int conf_path(char *buf, size_t n)
{
	const char *p = getenv("MIDI_CONFIG");
	int len;
	if (p && *p)
		len = snprintf(buf, n, "%s", p);
	else if ((p = getenv("XDG_CONFIG_HOME")) && *p)
		len = snprintf(buf, n, "%s/midi/midi.conf", p);
	else if ((p = getenv("HOME")) && *p)
		len = snprintf(buf, n, "%s/.config/midi/midi.conf", p);
	else
		return -1;
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

void conf_free(struct conf *c)
{
	for (size_t k = 0; k < c->nsecs; k++)
		free(c->secs[k].kv);
	free(c->secs);
	free(c->eps);
	memset(c, 0, sizeof *c);
}

const struct conf_sec *conf_next(const struct conf *c, const char *type, size_t *k)
{
	for (; *k < c->nsecs; (*k)++)
		if (strcmp(c->secs[*k].type, type) == 0)
			return &c->secs[(*k)++];
	return NULL;
}

int conf_error(midi_error *e, const char *path, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	midi_error_set(e, MIDI_ERR_INPUT, "%s line %d: %s", path, line, msg);
	if (e)
		e->line = line;
	return -MIDI_ERR_INPUT;
}

/* Whether type is one of the blank-separated words of list. */
static int word_of(const char *list, const char *type)
{
	size_t n = strlen(type);
	for (const char *w = list; *w; w += strcspn(w, " "), w += strspn(w, " "))
		if (strncmp(w, type, n) == 0 && (w[n] == ' ' || !w[n]))
			return n > 0;
	return 0;
}

static const struct midi_transport *section_owner(const char *type)
{
	for (size_t k = 0; transport_all[k]; k++)
		if (transport_all[k]->conf_section && word_of(transport_all[k]->conf_section, type))
			return transport_all[k];
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	char *end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int conf_err(midi_error *e, const char *path, int line, const char *fmt, const char *a,
		    const char *b)
{
	char msg[400];
	snprintf(msg, sizeof msg, fmt, a, b);
	midi_error_set(e, MIDI_ERR_INPUT, "%s line %d: %s", path, line, msg);
	if (e)
		e->line = line;
	return -MIDI_ERR_INPUT;
}

static int parse_line(const char *path, int ln, char *s, struct conf *c, int *section,
		      midi_error *e)
{
	char *hash = strchr(s, '#');
	if (hash)
		*hash = '\0';
	s = trim(s);
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return conf_err(e, path, ln, "control character in line%s%s", "", "");
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close)
			return conf_err(e, path, ln, "missing \"]\" in section header%s%s", "", "");
		if (*trim(close + 1))
			return conf_err(e, path, ln, "unexpected text after \"]\": \"%.40s\"%s",
					trim(close + 1), "");
		*close = '\0';
		char *body = trim(s + 1);
		char *arg = body + strcspn(body, " \t");
		if (*arg)
			*arg++ = '\0';
		arg = trim(arg);
		if (section_owner(body)) {
			if (strlen(body) >= sizeof c->secs[0].type ||
			    strlen(arg) >= sizeof c->secs[0].arg)
				return conf_err(e, path, ln, "section argument \"%.60s\" is too long%s",
						arg, "");
			void *n = realloc(c->secs, (c->nsecs + 1) * sizeof *c->secs);
			if (!n)
				return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
			c->secs = n;
			struct conf_sec *sec = &c->secs[c->nsecs++];
			memset(sec, 0, sizeof *sec);
			snprintf(sec->type, sizeof sec->type, "%s", body);
			snprintf(sec->arg, sizeof sec->arg, "%s", arg);
			sec->line = ln;
			*section = 1;
		} else if (strcmp(body, "endpoint") == 0) {
			if (!*arg || !strchr(arg, ':') || strlen(arg) >= MIDI_ID_MAX ||
			    strpbrk(arg, " \t"))
				return conf_err(e, path, ln,
						"invalid endpoint id \"%.60s\" (expected "
						"transport:name)%s", arg, "");
			void *n = realloc(c->eps, (c->neps + 1) * sizeof *c->eps);
			if (!n)
				return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
			c->eps = n;
			struct conf_ep *ep = &c->eps[c->neps++];
			memset(ep, 0, sizeof *ep);
			snprintf(ep->id, sizeof ep->id, "%s", arg);
			*section = 2;
		} else {
			char known[200] = "[endpoint ID]";
			for (size_t k = 0; transport_all[k]; k++) {
				const char *w = transport_all[k]->conf_section;
				for (; w && *w; w += strcspn(w, " "), w += strspn(w, " ")) {
					size_t len = strlen(known);
					snprintf(known + len, sizeof known - len, " or [%.*s ...]",
						 (int)strcspn(w, " "), w);
				}
			}
			return conf_err(e, path, ln, "unknown section \"[%.40s]\" (expected %s)", body,
					known);
		}
		return 0;
	}
	char *eq = strchr(s, '=');
	if (!eq)
		return conf_err(e, path, ln, "expected \"key = value\" or a [section], got \"%.40s\"%s",
				s, "");
	*eq = '\0';
	char *key = trim(s), *val = trim(eq + 1);
	if (*section == 0)
		return conf_err(e, path, ln, "key \"%.40s\" outside a section%s", key, "");
	if (*section == 1) {
		struct conf_sec *sec = &c->secs[c->nsecs - 1];
		if (strlen(key) >= sizeof sec->kv[0].key || strlen(val) >= sizeof sec->kv[0].val)
			return conf_err(e, path, ln, "key or value too long: \"%.40s\"%s", key, "");
		void *n = realloc(sec->kv, (sec->nkv + 1) * sizeof *sec->kv);
		if (!n)
			return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		sec->kv = n;
		struct conf_kv *kv = &sec->kv[sec->nkv++];
		snprintf(kv->key, sizeof kv->key, "%s", key);
		snprintf(kv->val, sizeof kv->val, "%s", val);
		kv->line = ln;
		return 0;
	}
	struct conf_ep *ep = &c->eps[c->neps - 1];
	if (strcmp(key, "name") == 0) {
		if (!*val || strlen(val) >= sizeof ep->name)
			return conf_err(e, path, ln, "name must be 1 to %s bytes%s", "127", "");
		snprintf(ep->name, sizeof ep->name, "%s", val);
		ep->has_name = 1;
	} else if (strcmp(key, "description") == 0) {
		if (strlen(val) >= sizeof ep->description)
			return conf_err(e, path, ln, "description longer than %s bytes%s", "255", "");
		snprintf(ep->description, sizeof ep->description, "%s", val);
		ep->has_description = 1;
	} else {
		return conf_err(e, path, ln,
				"unknown key \"%.40s\" (expected name or description)%s", key, "");
	}
	return 0;
}

int conf_parse_text(const char *path, const char *text, size_t len, struct conf *c,
		    midi_error *e)
{
	memset(c, 0, sizeof *c);
	/* A UTF-8 byte-order mark, as some editors write, is skipped. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;
		len -= 3;
	}
	char *buf = malloc(len + 1);
	if (!buf)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (memchr(text, '\0', len)) {
		free(buf);
		return midi_error_set(e, MIDI_ERR_INPUT, "%s: binary data (NUL byte) in the file", path);
	}
	int section = 0, ln = 0, r = 0;
	char *s = buf;
	while (s && r == 0) {
		char *nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		ln++;
		r = parse_line(path, ln, s, c, &section, e);
		s = nl ? nl + 1 : NULL;
	}
	free(buf);
	/* Each transport checks its sections (names, keys, duplicates). */
	for (size_t k = 0; r == 0 && k < c->nsecs; k++) {
		const struct midi_transport *tp = section_owner(c->secs[k].type);
		if (tp->conf_check)
			r = tp->conf_check(c, &c->secs[k], path, e);
	}
	if (r)
		conf_free(c);
	return r;
}

static int read_file(const char *path, char **out, size_t *len, struct stat *st, midi_error *e)
{
	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO with no writer (or a device) must not
	 * hang every program; anything but a regular file is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return midi_error_sys(e, errno, "cannot read configuration file %s", path);
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return midi_error_set(e, MIDI_ERR_INPUT, "configuration file %s is not a regular file",
				      path);
	}
	if (st->st_size > CONF_MAX_BYTES) {
		close(fd);
		return midi_error_set(e, MIDI_ERR_INPUT, "configuration file %s is larger than 1 MiB",
				      path);
	}
	char *buf = malloc((size_t)st->st_size + 1);
	size_t n = 0;
	while (buf && n < (size_t)st->st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st->st_size - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (!buf)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	*out = buf;
	*len = n;
	return 0;
}

int conf_parse_file(const char *path, struct conf *c, midi_error *e)
{
	char *text;
	size_t len;
	struct stat st;
	memset(c, 0, sizeof *c);
	int r = read_file(path, &text, &len, &st, e);
	if (r)
		return r > 0 ? 0 : r;
	r = conf_parse_text(path, text, len, c, e);
	free(text);
	return r;
}

int conf_current(struct conf *c, midi_error *e)
{
	char path[PATH_MAX];
	memset(c, 0, sizeof *c);
	if (conf_path(path, sizeof path) < 0)
		return 0;
	return conf_parse_file(path, c, e);
}

static const struct conf_ep *conf_find(const struct conf *c, const char *id)
{
	const struct conf_ep *found = NULL;
	for (size_t k = 0; k < c->neps; k++)
		if (strcmp(c->eps[k].id, id) == 0)
			found = &c->eps[k]; /* the last section wins */
	return found;
}

/* Set user name, description and display name; returns the change mask. */
static uint32_t set_props(const struct conf *c, struct reg_slot *s)
{
	const struct conf_ep *ep = conf_find(c, s->info.id);
	midi_endpoint_info *i = &s->info;
	/* Zero-filled: whole arrays are copied into shared memory. */
	char user[MIDI_NAME_MAX] = "", desc[256] = "", name[MIDI_NAME_MAX] = "";
	if (ep && ep->has_name)
		snprintf(user, sizeof user, "%s", ep->name);
	if (ep && ep->has_description)
		snprintf(desc, sizeof desc, "%s", ep->description);
	snprintf(name, sizeof name, "%s",
		 user[0] ? user : i->ump_name[0] ? i->ump_name : i->transport_name);
	uint32_t mask = 0;
	if (strcmp(user, i->user_name) || strcmp(desc, i->description))
		mask |= MIDI_PROP_USER;
	if (strcmp(name, i->name))
		mask |= MIDI_PROP_NAME;
	memcpy(i->user_name, user, sizeof user);
	memcpy(i->description, desc, sizeof desc);
	memcpy(i->name, name, sizeof name);
	return mask;
}

int conf_bool(const char *v)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		return 0;
	return -1;
}

void conf_props_for(const struct conf *c, struct reg_slot *s)
{
	set_props(c, s);
}

int conf_apply_locked(struct rt *rt, const struct conf *c, midi_error *e)
{
	struct reg_hdr *h = rt->reg;
	int r = 0;
	/* Each transport applies its own sections first (endpoints they
	 * declare come or go), then user names apply to every endpoint. */
	for (size_t k = 0; transport_all[k]; k++) {
		if (!transport_all[k]->conf_apply_locked)
			continue;
		int rr = transport_all[k]->conf_apply_locked(rt, c, e);
		if (rr < 0 && r == 0)
			r = rr;
	}
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		if (h->slots[k].state != 1)
			continue;
		struct reg_slot copy;
		reg_get_locked(rt, (int)k, &copy);
		uint32_t mask = set_props(c, &copy);
		if (!mask)
			continue;
		reg_write_begin(rt);
		copy.info.generation++;
		reg_put_locked(rt, (int)k, &copy);
		reg_event_locked(rt, REG_EV_UPDATED, mask, &copy);
		reg_write_end(rt);
	}
	return r;
}

/* Stamp of the configuration file now: 0 with stamp all zero if there is
 * none, negative status if it cannot be inspected. */
static int conf_stamp_now(char *path, size_t n, uint64_t stamp[3], midi_error *e)
{
	struct stat st;
	stamp[0] = stamp[1] = stamp[2] = 0;
	if (conf_path(path, n) < 0)
		return 0;
	if (stat(path, &st) == 0) {
		stamp[0] = (uint64_t)st.st_mtim.tv_sec * 1000000000ull + (uint64_t)st.st_mtim.tv_nsec;
		stamp[1] = (uint64_t)st.st_size;
		stamp[2] = (uint64_t)st.st_ino;
	} else if (errno != ENOENT) {
		return midi_error_sys(e, errno, "cannot read configuration file %s", path);
	}
	return 0;
}

static int stamp_applied(const struct reg_hdr *h, const uint64_t stamp[3])
{
	return __atomic_load_n(&h->conf_stamp[0], __ATOMIC_RELAXED) == stamp[0] &&
	       __atomic_load_n(&h->conf_stamp[1], __ATOMIC_RELAXED) == stamp[1] &&
	       __atomic_load_n(&h->conf_stamp[2], __ATOMIC_RELAXED) == stamp[2] &&
	       h->magic == REG_MAGIC;
}

int rt_refresh(struct rt *rt, midi_error *e)
{
	char path[PATH_MAX];
	uint64_t stamp[3];
	int r = conf_stamp_now(path, sizeof path, stamp, e);
	if (r < 0)
		return r;
	struct reg_hdr *h = rt->reg;
	if (stamp_applied(h, stamp))
		return 0;
	struct conf c;
	r = stamp[0] || stamp[1] || stamp[2] ? conf_parse_file(path, &c, e) : 0;
	if (r < 0)
		return r;
	if (!(stamp[0] || stamp[1] || stamp[2]))
		memset(&c, 0, sizeof c);
	r = reg_lock(rt, e);
	if (r == 0) {
		r = conf_apply_locked(rt, &c, e);
		reg_write_begin(rt);
		memcpy(h->conf_stamp, stamp, sizeof stamp);
		reg_write_end(rt);
		reg_unlock(rt);
	}
	conf_free(&c);
	return r;
}
