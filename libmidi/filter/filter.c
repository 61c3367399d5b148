/* filter.c: message selection by type, group and channel (filter.h):
 * classification of packets from their raw bits and parsing of the user's
 * type, group and channel lists. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "midi/filter.h"

/* Class bits. Channel voice kinds have one bit per protocol: MT 0x2 at
 * bit k, MT 0x4 at bit VOICE2 + k; the other classes have one bit each. */
enum {
	K_NOTE, K_PRESSURE, K_CC, K_PC, K_PB, K_RPN, K_PERNOTE, N_VOICE,
	VOICE2 = 8,
	K_SYSEX = 16, K_SYSTEM, K_CLOCK, K_SENSE, K_UTILITY, K_STREAM, K_FLEX, K_OTHER,
};

#define BIT(k) (1ull << (k))
#define VOICE_BITS(k) (BIT(k) | BIT(VOICE2 + (k)))
#define MIDI1_ALL (BIT(N_VOICE) - 1)
#define MIDI2_ALL (MIDI1_ALL << VOICE2)
#define ALL_TYPES (MIDI1_ALL | MIDI2_ALL | BIT(K_SYSEX) | BIT(K_SYSTEM) | BIT(K_CLOCK) | \
		   BIT(K_SENSE) | BIT(K_UTILITY) | BIT(K_STREAM) | BIT(K_FLEX) | BIT(K_OTHER))
#define DEFAULT_TYPES (ALL_TYPES & ~(BIT(K_CLOCK) | BIT(K_SENSE)))

static const struct {
	const char *name;
	uint64_t bits;
} type_names[] = {
	{"note", VOICE_BITS(K_NOTE)},
	{"pressure", VOICE_BITS(K_PRESSURE)},
	{"cc", VOICE_BITS(K_CC)},
	{"pc", VOICE_BITS(K_PC)},
	{"pb", VOICE_BITS(K_PB)},
	{"rpn", VOICE_BITS(K_RPN)},
	{"pernote", VOICE_BITS(K_PERNOTE)},
	{"sysex", BIT(K_SYSEX)},
	{"system", BIT(K_SYSTEM)},
	{"clock", BIT(K_CLOCK)},
	{"sense", BIT(K_SENSE)},
	{"utility", BIT(K_UTILITY)},
	{"stream", BIT(K_STREAM)},
	{"flex", BIT(K_FLEX)},
	{"other", BIT(K_OTHER)},
	{"voice", MIDI1_ALL | MIDI2_ALL},
	{"midi1", MIDI1_ALL},
	{"midi2", MIDI2_ALL},
	{"all", ALL_TYPES},
};

/* type_names[t] for t < MIDI_FILTER_TYPES is enum midi_filter_type t. */
_Static_assert(sizeof type_names / sizeof type_names[0] > MIDI_FILTER_TYPES &&
	       K_OTHER - K_SYSEX + N_VOICE + 1 == MIDI_FILTER_TYPES,
	       "filter type table and enum midi_filter_type disagree");

/* Kind of a MIDI 1.0 (MT 0x2) channel voice opcode, or -1. */
static int midi1_kind(unsigned op)
{
	switch (op) {
	case 0x8: case 0x9: return K_NOTE;
	case 0xA: case 0xD: return K_PRESSURE;
	case 0xB: return K_CC;
	case 0xC: return K_PC;
	case 0xE: return K_PB;
	default: return -1;
	}
}

/* Kind of a MIDI 2.0 (MT 0x4) channel voice opcode, or -1. */
static int midi2_kind(unsigned op)
{
	switch (op) {
	case 0x0: case 0x1: case 0x6: case 0xF: return K_PERNOTE;
	case 0x2: case 0x3: case 0x4: case 0x5: return K_RPN;
	default: return midi1_kind(op);
	}
}

/* The class bit index of a packet. */
static int classify(const midi_ump *u)
{
	unsigned op = (u->w[0] >> 20) & 0xF;
	int k;

	switch (midi_ump_mt(u)) {
	case MIDI_MT_UTILITY: return K_UTILITY;
	case MIDI_MT_SYSTEM:
		switch (midi_ump_status(u)) {
		case 0xF8: return K_CLOCK;
		case 0xFE: return K_SENSE;
		default: return K_SYSTEM;
		}
	case MIDI_MT_MIDI1_CV:
		k = midi1_kind(op);
		return k < 0 ? K_OTHER : k;
	case MIDI_MT_MIDI2_CV:
		k = midi2_kind(op);
		return k < 0 ? K_OTHER : VOICE2 + k;
	case MIDI_MT_DATA64:
	case MIDI_MT_DATA128: return K_SYSEX;
	case MIDI_MT_FLEX: return K_FLEX;
	case MIDI_MT_STREAM: return K_STREAM;
	default: return K_OTHER;
	}
}

void midi_filter_init(midi_filter *f)
{
	f->types = DEFAULT_TYPES;
	f->groups = 0xFFFF;
	f->channels = 0xFFFF;
}

int midi_filter_show_types(midi_filter *f, const char *list, int on, midi_error *e)
{
	midi_filter t = {.types = 0};
	int r = midi_filter_set_types(&t, list, e);
	if (r < 0)
		return r;
	f->types = on ? f->types | t.types : f->types & ~t.types;
	return 0;
}

void midi_filter_show_clock(midi_filter *f, int on)
{
	if (on)
		f->types |= BIT(K_CLOCK);
	else
		f->types &= ~BIT(K_CLOCK);
}

void midi_filter_show_sense(midi_filter *f, int on)
{
	if (on)
		f->types |= BIT(K_SENSE);
	else
		f->types &= ~BIT(K_SENSE);
}

static const char *type_list_help =
	"note, pressure, cc, pc, pb, rpn, pernote, sysex, system, clock, sense, "
	"utility, stream, flex, other, voice, midi1, midi2, all";

int midi_filter_set_types(midi_filter *f, const char *list, midi_error *e)
{
	uint64_t types = list[0] == '-' ? f->types : 0;
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		int neg = 0;
		const char *item = p;
		while (len && (*item == ' ' || *item == '\t'))
			item++, len--;
		while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			len--;
		if (len && *item == '-')
			neg = 1, item++, len--;
		if (len == 0)
			return midi_error_set(e, MIDI_ERR_INPUT, "empty item in type list '%s'", list);
		size_t i;
		for (i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
			if (strlen(type_names[i].name) == len && !strncasecmp(type_names[i].name, item, len))
				break;
		if (i == sizeof type_names / sizeof type_names[0])
			return midi_error_set(e, MIDI_ERR_INPUT, "unknown message type '%.*s' (expected %s)",
					      (int)len, item, type_list_help);
		if (neg)
			types &= ~type_names[i].bits;
		else
			types |= type_names[i].bits;
		p += strcspn(p, ",");
		if (*p == '\0')
			break;
		p++;
	}
	f->types = types;
	return 0;
}

/* Parse a decimal 1-16 at *p, advancing it. -1 when there is none. */
static int parse_1_16(const char **p)
{
	const char *s = *p;
	int v = 0, n = 0;
	while (*s >= '0' && *s <= '9' && n < 3) {
		v = v * 10 + (*s - '0');
		s++, n++;
	}
	if (n == 0 || (*s >= '0' && *s <= '9') || v < 1 || v > 16)
		return -1;
	*p = s;
	return v;
}

int midi_filter_parse_set(const char *list, const char *what, uint16_t *out, midi_error *e)
{
	const char *p = list;
	uint16_t set = 0;

	for (;;) {
		while (*p == ' ')
			p++;
		int lo = parse_1_16(&p), hi = lo;
		if (lo > 0 && *p == '-') {
			p++;
			hi = parse_1_16(&p);
		}
		while (*p == ' ')
			p++;
		if (lo < 0 || hi < 0 || hi < lo || (*p != ',' && *p != '\0'))
			return midi_error_set(e, MIDI_ERR_INPUT,
					      "invalid %s list '%s' (expected numbers 1-16 and ranges such as 1-4, separated by commas)",
					      what, list);
		for (int v = lo; v <= hi; v++)
			set |= (uint16_t)(1u << (v - 1));
		if (*p == '\0')
			break;
		p++;
	}
	*out = set;
	return 0;
}

int midi_filter_match(const midi_filter *f, const midi_ump *u)
{
	if (!(f->types & BIT(classify(u))))
		return 0;
	if (midi_ump_has_group(u) && !(f->groups & (1u << midi_ump_group(u))))
		return 0;
	if (midi_ump_is_channel_voice(u) && !(f->channels & (1u << midi_ump_channel(u))))
		return 0;
	return 1;
}

const char *midi_filter_type_name(const midi_ump *u)
{
	return type_names[midi_filter_type_of(u)].name;
}

int midi_ump_ends_message(const midi_ump *u)
{
	unsigned mt = midi_ump_mt(u), st = (u->w[0] >> 20) & 0xF;
	if (mt == MIDI_MT_DATA64 || mt == MIDI_MT_DATA128)
		return !(st == 1 || st == 2);
	return 1;
}

enum midi_filter_type midi_filter_type_of(const midi_ump *u)
{
	int k = classify(u);
	if (k >= VOICE2 && k < K_SYSEX)
		k -= VOICE2;
	return (enum midi_filter_type)(k < N_VOICE ? k : k - K_SYSEX + N_VOICE);
}

const char *midi_filter_type_str(unsigned type)
{
	return type < MIDI_FILTER_TYPES ? type_names[type].name : NULL;
}

int midi_filter_passes_type(const midi_filter *f, unsigned type)
{
	return type < MIDI_FILTER_TYPES && (f->types & type_names[type].bits) != 0;
}
