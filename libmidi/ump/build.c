/* build.c: single-packet builders for MT0-MT5 and flex data (midi/msg.h).
 * Every argument is masked to its field width; unused bits are zero. */
#include "midi/msg.h"

#include <string.h>

static uint32_t hdr(unsigned mt, unsigned group)
{
	return (uint32_t)(mt & 0xF) << 28 | (uint32_t)(group & 0xF) << 24;
}

static uint32_t cv(unsigned mt, unsigned group, unsigned op, unsigned ch)
{
	return hdr(mt, group) | (uint32_t)(op & 0xF) << 20 | (uint32_t)(ch & 0xF) << 16;
}

midi_ump midi_ump_noop(void) { return midi_ump_make(0, 0, 0, 0); }
midi_ump midi_ump_jr_clock(unsigned t) { return midi_ump_make(0x00100000 | (t & 0xFFFF), 0, 0, 0); }
midi_ump midi_ump_jr_timestamp(unsigned t) { return midi_ump_make(0x00200000 | (t & 0xFFFF), 0, 0, 0); }
midi_ump midi_ump_dctpq(unsigned t) { return midi_ump_make(0x00300000 | (t & 0xFFFF), 0, 0, 0); }
midi_ump midi_ump_delta_clockstamp(unsigned t) { return midi_ump_make(0x00400000 | (t & 0xFFFFF), 0, 0, 0); }

midi_ump midi_ump_system(unsigned group, unsigned status, unsigned d1, unsigned d2)
{
	return midi_ump_make(hdr(1, group) | (status & 0xFF) << 16 | (d1 & 0x7F) << 8 | (d2 & 0x7F),
			     0, 0, 0);
}

midi_ump midi_ump_song_position(unsigned group, unsigned beats)
{
	return midi_ump_system(group, 0xF2, beats & 0x7F, (beats >> 7) & 0x7F);
}

static midi_ump m1(unsigned group, unsigned op, unsigned ch, unsigned d1, unsigned d2)
{
	return midi_ump_make(cv(2, group, op, ch) | (d1 & 0x7F) << 8 | (d2 & 0x7F), 0, 0, 0);
}

midi_ump midi_ump_m1_note_off(unsigned g, unsigned ch, unsigned note, unsigned vel) { return m1(g, 0x8, ch, note, vel); }
midi_ump midi_ump_m1_note_on(unsigned g, unsigned ch, unsigned note, unsigned vel) { return m1(g, 0x9, ch, note, vel); }
midi_ump midi_ump_m1_poly_pressure(unsigned g, unsigned ch, unsigned note, unsigned v) { return m1(g, 0xA, ch, note, v); }
midi_ump midi_ump_m1_cc(unsigned g, unsigned ch, unsigned index, unsigned v) { return m1(g, 0xB, ch, index, v); }
midi_ump midi_ump_m1_program(unsigned g, unsigned ch, unsigned program) { return m1(g, 0xC, ch, program, 0); }
midi_ump midi_ump_m1_channel_pressure(unsigned g, unsigned ch, unsigned v) { return m1(g, 0xD, ch, v, 0); }
midi_ump midi_ump_m1_pitch_bend(unsigned g, unsigned ch, unsigned v) { return m1(g, 0xE, ch, v & 0x7F, (v >> 7) & 0x7F); }

static midi_ump m2(unsigned group, unsigned op, unsigned ch, unsigned hi, unsigned lo, uint32_t v)
{
	return midi_ump_make(cv(4, group, op, ch) | (hi & 0xFF) << 8 | (lo & 0xFF), v, 0, 0);
}

midi_ump midi_ump_m2_note_off(unsigned g, unsigned ch, unsigned note, unsigned vel, unsigned at, unsigned ad)
{
	return m2(g, 0x8, ch, note & 0x7F, at, (uint32_t)(vel & 0xFFFF) << 16 | (ad & 0xFFFF));
}

midi_ump midi_ump_m2_note_on(unsigned g, unsigned ch, unsigned note, unsigned vel, unsigned at, unsigned ad)
{
	return m2(g, 0x9, ch, note & 0x7F, at, (uint32_t)(vel & 0xFFFF) << 16 | (ad & 0xFFFF));
}

midi_ump midi_ump_m2_poly_pressure(unsigned g, unsigned ch, unsigned note, uint32_t v) { return m2(g, 0xA, ch, note & 0x7F, 0, v); }
midi_ump midi_ump_m2_cc(unsigned g, unsigned ch, unsigned index, uint32_t v) { return m2(g, 0xB, ch, index & 0x7F, 0, v); }
midi_ump midi_ump_m2_channel_pressure(unsigned g, unsigned ch, uint32_t v) { return m2(g, 0xD, ch, 0, 0, v); }
midi_ump midi_ump_m2_pitch_bend(unsigned g, unsigned ch, uint32_t v) { return m2(g, 0xE, ch, 0, 0, v); }
midi_ump midi_ump_m2_pn_pitch_bend(unsigned g, unsigned ch, unsigned note, uint32_t v) { return m2(g, 0x6, ch, note & 0x7F, 0, v); }

midi_ump midi_ump_m2_program(unsigned g, unsigned ch, unsigned program, int bank_valid,
			     unsigned msb, unsigned lsb)
{
	return m2(g, 0xC, ch, 0, bank_valid ? 1 : 0,
		  (uint32_t)(program & 0x7F) << 24 | (msb & 0x7F) << 8 | (lsb & 0x7F));
}

midi_ump midi_ump_m2_controller(unsigned g, unsigned ch, unsigned opcode, unsigned hi, unsigned lo,
				uint32_t v)
{
	opcode &= 0xF;
	if (opcode <= 1)
		return m2(g, opcode, ch, hi & 0x7F, lo & 0xFF, v);
	return m2(g, opcode, ch, hi & 0x7F, lo & 0x7F, v);
}

midi_ump midi_ump_m2_pn_management(unsigned g, unsigned ch, unsigned note, int detach, int reset)
{
	return m2(g, 0xF, ch, note & 0x7F, (detach ? 2 : 0) | (reset ? 1 : 0), 0);
}

/* Put byte b at position i (0 = most significant byte of w[0]). */
static void put_byte(midi_ump *p, unsigned i, unsigned b)
{
	p->w[i / 4] |= (uint32_t)(b & 0xFF) << (24 - 8 * (i % 4));
}

midi_ump midi_ump_sysex7(unsigned group, unsigned form, const uint8_t *data, unsigned len)
{
	midi_ump p = {{0}};
	if (len > 6)
		len = 6;
	p.w[0] = hdr(3, group) | (form & 0xF) << 20 | (len & 0xF) << 16;
	for (unsigned i = 0; i < len; i++)
		put_byte(&p, 2 + i, data[i] & 0x7F);
	return p;
}

midi_ump midi_ump_sysex8(unsigned group, unsigned form, unsigned stream_id, const uint8_t *data,
			 unsigned len)
{
	midi_ump p = {{0}};
	if (len > 13)
		len = 13;
	p.w[0] = hdr(5, group) | (form & 0xF) << 20 | ((len + 1) & 0xF) << 16 | (stream_id & 0xFF) << 8;
	for (unsigned i = 0; i < len; i++)
		put_byte(&p, 3 + i, data[i]);
	return p;
}

midi_ump midi_ump_flex_tempo(unsigned group, uint32_t ten_ns)
{
	/* form complete, address group, bank 0, status 0 */
	return midi_ump_make(hdr(0xD, group) | 1u << 20, ten_ns, 0, 0);
}

int midi_flex_text(unsigned group, unsigned address, unsigned ch, unsigned bank, unsigned status,
		   const char *text, size_t len, midi_ump *out, size_t max)
{
	size_t npk = len == 0 ? 1 : (len + 11) / 12;
	if (npk > max)
		return -MIDI_ERR_INPUT;
	for (size_t k = 0; k < npk; k++) {
		unsigned form = midi_form_of(k, npk);
		midi_ump p = {{0}};
		p.w[0] = hdr(0xD, group) | form << 22 | (address & 3) << 20 | (ch & 0xF) << 16 |
			 (bank & 0xFF) << 8 | (status & 0xFF);
		for (size_t i = 0; i < 12 && k * 12 + i < len; i++)
			put_byte(&p, 4 + (unsigned)i, (uint8_t)text[k * 12 + i]);
		out[k] = p;
	}
	return (int)npk;
}
