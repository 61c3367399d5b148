/* filters.c: the interactive monitor's filter keys: applying the lists
 * typed after t, g and c to the midi_filter in force, and summing it up
 * for the status line (by asking the filter which types it passes, so the
 * summary cannot disagree with what it lets through). */
#include <ctype.h>
#include <string.h>

#include "midi/filter.h"
#include "ui.h"

int mon_filter_shows(const midi_filter *f, int kind)
{
	return midi_filter_passes_type(f, kind == 'k' ? MIDI_FILTER_CLOCK : MIDI_FILTER_SENSE);
}

/* "1,3-5" from a mask of 0-based values. */
static void mask_list(uint16_t m, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	for (int i = 0; i < 16 && len < n; i++) {
		if (!(m >> i & 1))
			continue;
		int j = i;
		while (j + 1 < 16 && (m >> (j + 1) & 1))
			j++;
		int w = j > i ? snprintf(buf + len, n - len, "%s%d-%d", len ? "," : "", i + 1, j + 1)
			      : snprintf(buf + len, n - len, "%s%d", len ? "," : "", i + 1);
		len += w > 0 ? (size_t)w : 0;
		i = j;
	}
}

/* Append the names of the types whose shown state is want. */
static size_t type_list(const midi_filter *f, int want, char *buf, size_t n)
{
	size_t len = 0;
	for (int t = 0; t < MON_TYPES && len < n; t++) {
		if (midi_filter_passes_type(f, (unsigned)t) != want)
			continue;
		int w = snprintf(buf + len, n - len, "%s%s", len ? "," : "",
			     midi_filter_type_str((unsigned)t));
		len += w > 0 ? (size_t)w : 0;
	}
	return len;
}

void mon_filter_describe(const midi_filter *f, char *buf, size_t n)
{
	char types[160], set[48];
	int shown = 0;
	for (int t = 0; t < MON_TYPES; t++)
		shown += midi_filter_passes_type(f, (unsigned)t);
	if (shown == MON_TYPES)
		snprintf(types, sizeof types, "all types");
	else if (shown == 0)
		snprintf(types, sizeof types, "no types");
	else if (shown >= MON_TYPES - shown) {
		memcpy(types, "hide ", 5);
		type_list(f, 0, types + 5, sizeof types - 5);
	} else {
		memcpy(types, "only ", 5);
		type_list(f, 1, types + 5, sizeof types - 5);
	}
	size_t len = (size_t)snprintf(buf, n, "%s", types);
	if (f->groups != 0xFFFF && len < n) {
		mask_list(f->groups, set, sizeof set);
		len += (size_t)snprintf(buf + len, n - len, ", groups %s", f->groups ? set : "none");
	}
	if (f->channels != 0xFFFF && len < n) {
		mask_list(f->channels, set, sizeof set);
		snprintf(buf + len, n - len, ", channels %s", f->channels ? set : "none");
	}
}

/* Types after t: a list replaces the set; a list whose items carry '-' or
 * '+' edits the set in force (-x hides x, +x or x shows it); empty goes
 * back to the default (everything but clock and sense). */
static int apply_types(struct mon_ui *ui, const char *list)
{
	midi_error e = {0};
	midi_filter tmp = ui->filter;
	if (!*list) {
		midi_filter_init(&tmp);
		tmp.groups = ui->filter.groups;
		tmp.channels = ui->filter.channels;
		ui->filter = tmp;
		return 0;
	}
	if (*list != '-' && *list != '+') {
		if (midi_filter_set_types(&tmp, list, &e) < 0)
			goto bad;
		ui->filter = tmp;
		return 0;
	}
	char item[64];
	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");
		const char *s = p;
		int hide = *s == '-';
		if (*s == '-' || *s == '+')
			s++;
		size_t len = (size_t)(p + k - s);
		if (len == 0 || len >= sizeof item) {
			snprintf(ui->note, sizeof ui->note, "types: empty or overlong item in '%s'", list);
			return -1;
		}
		memcpy(item, s, len);
		item[len] = 0;
		if (midi_filter_show_types(&tmp, item, !hide, &e) < 0)
			goto bad;
		p += k + (p[k] == ',');
	}
	ui->filter = tmp;
	return 0;
bad:
	snprintf(ui->note, sizeof ui->note, "types: %s", e.msg);
	return -1;
}

int mon_filter_apply(struct mon_ui *ui, int key, const char *list)
{
	char clean[sizeof ui->input];
	size_t n = 0;
	for (const char *p = list; *p && n + 1 < sizeof clean; p++)
		if (!isspace((unsigned char)*p))
			clean[n++] = *p;
	clean[n] = 0;
	if (key == 't')
		return apply_types(ui, clean);
	midi_error e = {0};
	uint16_t *set = key == 'g' ? &ui->filter.groups : &ui->filter.channels;
	uint16_t v = 0xFFFF;
	if (*clean && strcmp(clean, "all") != 0 &&
	    midi_filter_parse_set(clean, key == 'g' ? "group" : "channel", &v, &e) < 0) {
		snprintf(ui->note, sizeof ui->note, "%s", e.msg);
		return -1;
	}
	*set = v;
	return 0;
}
