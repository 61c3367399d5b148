/* loop_pairs.c: the loop transport's pairs: made by users
 * (midi_loop_create, midi_loop_remove, midi_loop_list) or declared as
 * [loop NAME] sections of the configuration file, which this transport
 * owns (loop_conf_check, loop_conf_apply_locked). A pair NAME is two
 * endpoints, loop:NAME-a and loop:NAME-b, each the other's peer.
 * Persistent pairs cannot be removed here. */
#include "broker/broker.h"
#include "transport/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/watch.h"

int loop_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > 40)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int bad_name(const char *name, midi_error *e)
{
	return midi_error_set(e, MIDI_ERR_INPUT,
			      "invalid loopback name \"%.60s\": use 1 to 40 letters, digits, '.', "
			      "'_' or '-'", name);
}

static uint32_t loop_jr_flags(const struct conf *c, const char *id);

/* Add the pair (registry lock held). */
static int loop_add_locked(struct rt *rt, const char *name, int persistent, const struct conf *conf,
		    midi_error *e)
{
	char id[2][MIDI_ID_MAX], tname[2][MIDI_NAME_MAX];
	for (int k = 0; k < 2; k++) {
		snprintf(id[k], sizeof id[k], "loop:%s-%c", name, 'a' + k);
		snprintf(tname[k], sizeof tname[k], "Loopback %s %c", name, 'A' + k);
	}
	if (reg_find_locked(rt, id[0]) >= 0 || reg_find_locked(rt, id[1]) >= 0)
		return midi_error_set(e, MIDI_ERR_RUNTIME, "loopback %s already exists", name);
	if (reg_free_slots_locked(rt) < 2)
		return midi_error_set(e, MIDI_ERR_RUNTIME,
				      "cannot create loopback %s: endpoint table full (%u endpoints)",
				      name, REG_SLOTS);
	/* One change: a process killed between the two leaves the generation
	 * odd, and the repair removes the half made (registry.c). */
	reg_write_begin(rt);
	for (int k = 0; k < 2; k++) {
		struct reg_slot s;
		transport_fill_slot(&s, "loop", id[k], tname[k], MIDI_PURPOSE_NORMAL);
		snprintf(s.peer, sizeof s.peer, "%s", id[1 - k]);
		if (persistent)
			s.info.flags |= MIDI_EPF_PERSISTENT;
		if (conf)
			conf_props_for(conf, &s);
		if (persistent && conf) {
			s.info.flags |= loop_jr_flags(conf, id[k]);
			if (s.info.flags & MIDI_EPF_JR_TX)
				s.info.jr_caps = 3;
		}
		int r = reg_add_locked(rt, &s, e);
		if (r < 0) {
			if (k == 1)
				reg_remove_locked(rt, reg_find_locked(rt, id[0]), "was removed");
			reg_write_end(rt);
			return r;
		}
	}
	reg_write_end(rt);
	return 0;
}

int midi_loop_create(const char *name, midi_error *e)
{
	if (!name || !loop_name_valid(name))
		return bad_name(name ? name : "", e);
	struct rt *rt = rt_get(e);
	if (!rt)
		return -MIDI_ERR_RUNTIME;
	int r = rt_refresh(rt, e);
	if (r < 0)
		goto out;
	struct conf conf;
	int have_conf = conf_current(&conf, NULL) == 0;
	r = reg_lock(rt, e);
	if (r == 0) {
		r = loop_add_locked(rt, name, 0, have_conf ? &conf : NULL, e);
		reg_unlock(rt);
	}
	if (have_conf)
		conf_free(&conf);
out:
	rt_put(rt);
	return r;
}

int midi_loop_remove(const char *name, midi_error *e)
{
	if (!name || !loop_name_valid(name))
		return bad_name(name ? name : "", e);
	struct rt *rt = rt_get(e);
	if (!rt)
		return -MIDI_ERR_RUNTIME;
	int r = rt_refresh(rt, e);
	if (r < 0)
		goto out;
	r = reg_lock(rt, e);
	if (r < 0)
		goto out;
	char id[2][MIDI_ID_MAX];
	int idx[2];
	for (int k = 0; k < 2; k++) {
		snprintf(id[k], sizeof id[k], "loop:%s-%c", name, 'a' + k);
		idx[k] = reg_find_locked(rt, id[k]);
	}
	if (idx[0] < 0 && idx[1] < 0) {
		r = midi_error_set(e, MIDI_ERR_NOTFOUND, "no loopback named \"%s\"", name);
	} else if ((idx[0] >= 0 && (rt->reg->slots[idx[0]].info.flags & MIDI_EPF_PERSISTENT)) ||
		   (idx[1] >= 0 && (rt->reg->slots[idx[1]].info.flags & MIDI_EPF_PERSISTENT))) {
		char path[PATH_MAX] = "the configuration file";
		conf_path(path, sizeof path);
		r = midi_error_set(e, MIDI_ERR_INPUT,
				   "loopback %s is persistent: remove its [loop %s] section from %s",
				   name, name, path);
	} else {
		reg_write_begin(rt); /* one change, as in loop_add_locked */
		for (int k = 0; k < 2; k++)
			if (idx[k] >= 0)
				reg_remove_locked(rt, idx[k], "was removed");
		reg_write_end(rt);
	}
	reg_unlock(rt);
out:
	rt_put(rt);
	return r;
}

int midi_loop_list(char ***names, int **persistent, size_t *n, midi_error *e)
{
	*names = NULL;
	*n = 0;
	if (persistent)
		*persistent = NULL;
	midi_endpoint_info *v;
	size_t count;
	int r = midi_list(&v, &count, MIDI_LIST_ALL, e);
	if (r < 0)
		return r;
	char **nm = calloc(count + 1, sizeof *nm);
	int *ps = calloc(count + 1, sizeof *ps);
	size_t m = 0;
	if (!nm || !ps) {
		free(nm);
		free(ps);
		free(v);
		return midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
	}
	for (size_t k = 0; k < count; k++) {
		size_t len = strlen(v[k].id);
		if (strcmp(v[k].transport, "loop") != 0 || len < 8 ||
		    strcmp(v[k].id + len - 2, "-a") != 0)
			continue;
		nm[m] = strndup(v[k].id + 5, len - 7);
		if (!nm[m])
			break;
		ps[m] = (v[k].flags & MIDI_EPF_PERSISTENT) != 0;
		m++;
	}
	free(v);
	*names = nm;
	*n = m;
	if (persistent)
		*persistent = ps;
	else
		free(ps);
	return 0;
}

/* ---- the [loop NAME] sections of the configuration file ---- */

int loop_conf_check(const struct conf *c, const struct conf_sec *sec, const char *path,
		    midi_error *e)
{
	if (!loop_name_valid(sec->arg))
		return conf_error(e, path, sec->line,
				  "invalid loopback name \"%.60s\" (use 1 to 40 letters, digits, '.', "
				  "'_' or '-')", sec->arg);
	for (size_t k = 0; k < sec->nkv; k++) {
		const struct conf_kv *kv = &sec->kv[k];
		if (strcmp(kv->key, "jr") != 0)
			return conf_error(e, path, kv->line,
					  "unknown key \"%.40s\" ([loop] sections take jr = yes or no)",
					  kv->key);
		if (conf_bool(kv->val) < 0)
			return conf_error(e, path, kv->line, "jr = \"%.40s\": use yes or no",
					  kv->val);
	}
	for (const struct conf_sec *o = c->secs; o < sec; o++)
		if (strcmp(o->type, "loop") == 0 && strcmp(o->arg, sec->arg) == 0)
			return conf_error(e, path, sec->line, "loop %s declared twice", sec->arg);
	return 0;
}

static const struct conf_sec *loop_declared(const struct conf *c, const char *id)
{
	size_t k = 0;
	const struct conf_sec *sec;
	while ((sec = conf_next(c, "loop", &k))) {
		char a[MIDI_ID_MAX], b[MIDI_ID_MAX];
		snprintf(a, sizeof a, "loop:%.40s-a", sec->arg);
		snprintf(b, sizeof b, "loop:%.40s-b", sec->arg);
		if (strcmp(a, id) == 0 || strcmp(b, id) == 0)
			return sec;
	}
	return NULL;
}

/* The JR flags a loop endpoint has by the configuration: with jr = yes
 * both ends send and receive JR timestamps (as if negotiated). */
static uint32_t loop_jr_flags(const struct conf *c, const char *id)
{
	const struct conf_sec *sec = c ? loop_declared(c, id) : NULL;
	int jr = 0;
	for (size_t k = 0; sec && k < sec->nkv; k++)
		if (strcmp(sec->kv[k].key, "jr") == 0)
			jr = conf_bool(sec->kv[k].val) > 0;
	return jr ? MIDI_EPF_JR_RX | MIDI_EPF_JR_TX : 0;
}

int loop_conf_apply_locked(struct rt *rt, const struct conf *c, midi_error *e)
{
	struct reg_hdr *h = rt->reg;
	int r = 0;
	/* Persistent loops no longer declared go away. */
	for (unsigned k = 0; k < REG_SLOTS; k++) {
		struct shm_slot *s = &h->slots[k];
		if (s->state == 1 && strncmp(s->info.transport, "loop", sizeof s->info.transport) == 0 &&
		    (s->info.flags & MIDI_EPF_PERSISTENT) && !loop_declared(c, s->info.id))
			reg_remove_locked(rt, (int)k, "was removed from the configuration file");
	}
	size_t k = 0;
	const struct conf_sec *sec;
	while ((sec = conf_next(c, "loop", &k))) {
		char id[MIDI_ID_MAX];
		snprintf(id, sizeof id, "loop:%.40s-a", sec->arg);
		int ia = reg_find_locked(rt, id);
		id[strlen(id) - 1] = 'b';
		int ib = reg_find_locked(rt, id);
		if (ia < 0 && ib < 0) {
			int rr = loop_add_locked(rt, sec->arg, 1, c, e);
			if (rr < 0 && r == 0)
				r = rr;
			continue;
		}
		/* A transient pair of that name becomes persistent; jr follows
		 * the section. */
		int idx[2] = {ia, ib};
		for (int j = 0; j < 2; j++) {
			struct reg_slot v;
			if (idx[j] < 0)
				continue;
			reg_get_locked(rt, idx[j], &v);
			const uint32_t jrf = MIDI_EPF_JR_RX | MIDI_EPF_JR_TX;
			uint32_t want = loop_jr_flags(c, v.info.id), mask = 0;
			if (!(v.info.flags & MIDI_EPF_PERSISTENT))
				mask |= MIDI_PROP_PERSISTENT;
			if ((v.info.flags & jrf) != want)
				mask |= MIDI_PROP_PROTOCOL | MIDI_PROP_INFO;
			if (!mask)
				continue;
			reg_write_begin(rt);
			v.info.flags = (v.info.flags & ~jrf) | want | MIDI_EPF_PERSISTENT;
			v.info.jr_caps = want ? 3 : 0;
			v.info.generation++;
			reg_put_locked(rt, idx[j], &v);
			reg_event_locked(rt, REG_EV_UPDATED, mask, &v);
			reg_write_end(rt);
		}
	}
	return r;
}
