/* filters.c: the interactive monitor's filter keys: applying the lists
 * typed after t, g and c to the midi_filter in force, and summing it up
 * for the status line (by asking the filter about one message of each
 * type, so the summary cannot disagree with what it lets through). */
#include <ctype.h>
#include <string.h>

#include "midi/msg.h"
#include "ui.h"

/* One MIDI 1.0 and one MIDI 2.0 message of each type (the second is a
 * repeat where the type has no MIDI 2.0 form of its own). */
static void samples(int type, midi_ump u[2])
{
	switch (type) {
	case 0: u[0] = midi_ump_m1_note_on(0, 0, 60, 100); u[1] = midi_ump_m2_note_on(0, 0, 60, 0x8000, 0, 0); break;
	case 1: u[0] = midi_ump_m1_channel_pressure(0, 0, 1); u[1] = midi_ump_m2_channel_pressure(0, 0, 1); break;
	case 2: u[0] = midi_ump_m1_cc(0, 0, 7, 1); u[1] = midi_ump_m2_cc(0, 0, 7, 1); break;
	case 3: u[0] = midi_ump_m1_program(0, 0, 1); u[1] = midi_ump_m2_program(0, 0, 1, 0, 0, 0); break;
	case 4: u[0] = midi_ump_m1_pitch_bend(0, 0, 8192); u[1] = midi_ump_m2_pitch_bend(0, 0, 1u << 31); break;
	case 5: u[0] = u[1] = midi_ump_m2_controller(0, 0, 0x2, 0, 0, 1); break;
	case 6: u[0] = u[1] = midi_ump_m2_pn_pitch_bend(0, 0, 60, 1u << 31); break;
	case 7: u[0] = u[1] = midi_ump_sysex7(0, MIDI_FORM_COMPLETE, NULL, 0); break;
	case 8: u[0] = u[1] = midi_ump_system(0, 0xFA, 0, 0); break;
	case 9: u[0] = u[1] = midi_ump_system(0, 0xF8, 0, 0); break;
	case 10: u[0] = u[1] = midi_ump_system(0, 0xFE, 0, 0); break;
	case 11: u[0] = u[1] = midi_ump_noop(); break;
	case 12: u[0] = u[1] = midi_stream_ep_discovery(1, 1, MIDI_DISCOVER_ALL); break;
	case 13: u[0] = u[1] = midi_ump_flex_tempo(0, 50000000); break;
	default: u[0] = u[1] = midi_ump_make(0x60000000, 0, 0, 0); break;
	}
}

/* 1 when f lets type (an index into mon_type_names) through, in any group,
 * on any channel. */
static int shows_type(const midi_filter *f, int type)
{
	midi_filter any = *f;
	midi_ump u[2];
	any.groups = any.channels = 0xFFFF;
	samples(type, u);
	return midi_filter_match(&any, &u[0]) || midi_filter_match(&any, &u[1]);
}

int mon_filter_shows(const midi_filter *f, int kind)
{
	return shows_type(f, kind == 'k' ? 9 : 10);
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
		if (shows_type(f, t) != want)
			continue;
		int w = snprintf(buf + len, n - len, "%s%s", len ? "," : "", mon_type_names[t]);
		len += w > 0 ? (size_t)w : 0;
	}
	return len;
}

void mon_filter_describe(const midi_filter *f, char *buf, size_t n)
{
	char types[160], set[48];
	int shown = 0;
	for (int t = 0; t < MON_TYPES; t++)
		shown += shows_type(f, t);
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
	midi_filter tmp;
	midi_filter_init(&tmp);
	if (!*list) {
		ui->filter.types = tmp.types;
		return 0;
	}
	if (*list != '-' && *list != '+') {
		if (midi_filter_set_types(&tmp, list, &e) < 0)
			goto bad;
		ui->filter.types = tmp.types;
		return 0;
	}
	uint64_t types = ui->filter.types;
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
		if (midi_filter_set_types(&tmp, item, &e) < 0)
			goto bad;
		types = hide ? types & ~tmp.types : types | tmp.types;
		p += k + (p[k] == ',');
	}
	ui->filter.types = types;
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
