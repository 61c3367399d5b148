/* b2u_inline.h: the common case of midi_b2u_feed inlined for the byte
 * readers (libmidi/format/read_hex.c): a byte of a channel voice message
 * outside SysEx. Everything else (System, real-time, SysEx, data bytes with
 * no status in force) is left to midi_b2u_feed; the two give the same
 * packets and leave the same state (b2u.c owns the rules). */
#ifndef MIDI_B2U_INLINE_H
#define MIDI_B2U_INLINE_H

#include "midi/translate.h"

/* Returns 1 with the packet in *out (its unused words zero), 0 if the
 * byte was taken with no packet, -1 if it is not the common case (nothing
 * changed: feed it to midi_b2u_feed). */
static inline int midi_b2u_fast(midi_b2u *s, uint8_t c, midi_ump *out)
{
	if (s->in_sysex)
		return -1;
	if (c < 0x80) {
		uint8_t st = s->status;
		if (st < 0x80 || st >= 0xF0)
			return -1;
		s->data[s->ndata++] = c;
		if (s->ndata < s->need)
			return 0;
		uint32_t d1 = s->need == 2 ? s->data[1] : 0;
		s->ndata = 0;
		out->w[0] = 0x20000000u | (uint32_t)s->group << 24 | (uint32_t)st << 16 |
			    (uint32_t)s->data[0] << 8 | d1;
		out->w[1] = out->w[2] = out->w[3] = 0;
		return 1;
	}
	if (c >= 0xF0)
		return -1;
	s->status = c;
	s->ndata = 0;
	s->need = (c & 0xF0) == 0xC0 || (c & 0xF0) == 0xD0 ? 1 : 2;
	return 0;
}

#endif
