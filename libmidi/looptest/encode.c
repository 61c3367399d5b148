/* encode.c: the numbered test messages of the loop test (midi/looptest.h):
 * kind names, encoding a sequence number into a message of each kind,
 * recognising one on receipt and unwrapping the number modulo the kind. */
#include <strings.h>

#include "midi/looptest.h"
#include "midi/translate.h"

#define SYSEX_MOD (1ull << 28)
#define NOTE_MOD (128ull * 127)
#define UMP_MOD (1ull << 23)

static const char *const kind_names[] = {"sysex", "note", "ump"};

int midi_looptest_kind_parse(const char *name, enum midi_looptest_kind *kind, midi_error *e)
{
	for (unsigned i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
		if (!strcasecmp(name, kind_names[i])) {
			*kind = (enum midi_looptest_kind)i;
			return 0;
		}
	}
	return midi_error_set(e, MIDI_ERR_INPUT, "unknown kind '%s' (expected sysex, note or ump)", name);
}

const char *midi_looptest_kind_name(enum midi_looptest_kind kind)
{
	return (unsigned)kind < 3 ? kind_names[kind] : "?";
}

uint64_t midi_looptest_modulus(enum midi_looptest_kind kind)
{
	switch (kind) {
	case MIDI_LOOPTEST_SYSEX: return SYSEX_MOD;
	case MIDI_LOOPTEST_NOTE: return NOTE_MOD;
	case MIDI_LOOPTEST_UMP: return UMP_MOD;
	}
	return 1;
}

midi_ump midi_looptest_encode(enum midi_looptest_kind kind, unsigned group, unsigned tag, uint64_t seq)
{
	uint32_t g = (uint32_t)(group & 0xF) << 24;
	uint32_t n = (uint32_t)(seq % midi_looptest_modulus(kind));
	switch (kind) {
	case MIDI_LOOPTEST_SYSEX:
		/* Complete, 6 bytes: 7D TT then 28 bits in four 7-bit bytes. */
		return midi_ump_make(0x30060000u | g | 0x7D00u | (tag & 0x7F),
				     (n >> 21 & 0x7F) << 24 | (n >> 14 & 0x7F) << 16 | (n >> 7 & 0x7F) << 8 |
					     (n & 0x7F),
				     0, 0);
	case MIDI_LOOPTEST_NOTE:
		return midi_ump_make(0x20900000u | g | MIDI_LOOPTEST_CHANNEL << 16 | (n / 127) << 8 | (n % 127 + 1),
				     0, 0, 0);
	case MIDI_LOOPTEST_UMP:
		return midi_ump_make(0x40900000u | g | MIDI_LOOPTEST_CHANNEL << 16 | (n >> 16) << 8,
				     (n & 0xFFFF) << 16, 0, 0);
	}
	return midi_ump_make(0, 0, 0, 0);
}

/* A Note On on the test channel: MT2 with 7-bit velocity, or MT4 (no
 * attribute) with 16-bit velocity. 1 with note and velocity, else 0. */
static int test_note_on(const midi_ump *p, unsigned mt, unsigned *note, uint32_t *vel)
{
	if (midi_ump_mt(p) != mt || midi_ump_status(p) != (0x90u | MIDI_LOOPTEST_CHANNEL))
		return 0;
	*note = p->w[0] >> 8 & 0xFF;
	if (*note > 0x7F)
		return 0;
	if (mt == MIDI_MT_MIDI1_CV) {
		*vel = p->w[0] & 0xFF;
		return *vel <= 0x7F;
	}
	/* MT4: attribute type and data must be 0. */
	if ((p->w[0] & 0xFF) != 0 || (p->w[1] & 0xFFFF) != 0)
		return 0;
	*vel = p->w[1] >> 16;
	return 1;
}

int midi_looptest_decode(enum midi_looptest_kind kind, unsigned tag, const midi_ump *p, uint64_t *wire)
{
	unsigned note;
	uint32_t vel;
	switch (kind) {
	case MIDI_LOOPTEST_SYSEX: {
		/* MT3, status Complete, 6 bytes, 7D and our tag; data bytes 7-bit. */
		if ((p->w[0] & 0xF0FFFFFFu) != (0x30060000u | 0x7D00u | (tag & 0x7F)) || (p->w[1] & 0x80808080u))
			return 0;
		uint32_t w = p->w[1];
		*wire = (uint64_t)((w >> 24 & 0x7F) << 21 | (w >> 16 & 0x7F) << 14 | (w >> 8 & 0x7F) << 7 |
				   (w & 0x7F));
		return 1;
	}
	case MIDI_LOOPTEST_NOTE:
		if (test_note_on(p, MIDI_MT_MIDI1_CV, &note, &vel)) {
			/* nothing to scale */
		} else if (test_note_on(p, MIDI_MT_MIDI2_CV, &note, &vel)) {
			vel = midi_scale_down(vel, 16, 7);
		} else {
			return 0;
		}
		if (vel == 0)
			return 0;
		*wire = (uint64_t)note * 127 + vel - 1;
		return 1;
	case MIDI_LOOPTEST_UMP:
		if (!test_note_on(p, MIDI_MT_MIDI2_CV, &note, &vel))
			return 0;
		*wire = (uint64_t)note << 16 | vel;
		return 1;
	}
	return 0;
}

int midi_looptest_unwrap(enum midi_looptest_kind kind, uint64_t wire, uint64_t sent, uint64_t *seq)
{
	uint64_t mod = midi_looptest_modulus(kind);
	if (sent == 0 || wire >= mod)
		return -MIDI_ERR_INPUT;
	uint64_t top = sent - 1;
	uint64_t back = (top % mod + mod - wire) % mod; /* how far below top */
	if (back > top)
		return -MIDI_ERR_INPUT;
	*seq = top - back;
	return 0;
}
