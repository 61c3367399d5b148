/* log.c: the interactive monitor's bounded ring of log lines (see log.h). */
#include <stdlib.h>
#include <string.h>

#include "log.h"

int mon_log_init(struct mon_log *l, size_t cap, size_t data_max)
{
	memset(l, 0, sizeof *l);
	l->v = calloc(cap, sizeof *l->v);
	if (!l->v)
		return -1;
	l->cap = cap;
	l->data_max = data_max;
	return 0;
}

static void drop_data(struct mon_log *l, struct mon_line *ln)
{
	if (!ln->data)
		return;
	l->data_bytes -= ln->len;
	free(ln->data);
	ln->data = NULL;
}

void mon_log_free(struct mon_log *l)
{
	for (size_t i = 0; l->v && i < l->cap; i++)
		drop_data(l, &l->v[i]);
	free(l->v);
	l->v = NULL;
}

uint64_t mon_log_first(const struct mon_log *l)
{
	return l->end > l->cap ? l->end - l->cap : 0;
}

struct mon_line *mon_log_add(struct mon_log *l)
{
	struct mon_line *ln = &l->v[l->end % l->cap];
	drop_data(l, ln);
	memset(ln, 0, sizeof *ln);
	l->end++;
	return ln;
}

int mon_log_keep(struct mon_log *l, struct mon_line *ln, const uint8_t *data, size_t n)
{
	ln->len = n;
	if (n > l->data_max)
		return -1;
	/* Oldest first, never the line being filled (the newest). */
	for (uint64_t s = mon_log_first(l); l->data_bytes + n > l->data_max && s + 1 < l->end; s++) {
		struct mon_line *old = &l->v[s % l->cap];
		if (old->data) {
			drop_data(l, old);
			l->data_dropped++;
		}
	}
	ln->data = malloc(n ? n : 1);
	if (!ln->data)
		return -1;
	memcpy(ln->data, data, n);
	l->data_bytes += n;
	return 0;
}

const struct mon_line *mon_log_get(const struct mon_log *l, uint64_t seq)
{
	if (seq < mon_log_first(l) || seq >= l->end)
		return NULL;
	return &l->v[seq % l->cap];
}
