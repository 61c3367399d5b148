/* scale.c: value scaling between bit widths (midi_scale_up/_down), the
 * min-center-max rule of the MIDI 2.0 specification. */
#include "midi/translate.h"

/* Up: shift left; values above the source center also repeat their lower
 * (src_bits - 1) bits into the new low bits, so the minimum, the center and
 * the maximum map onto the minimum, center and maximum of the wider range. */
uint32_t midi_scale_up(uint32_t v, unsigned src_bits, unsigned dst_bits)
{
	if (src_bits == 0 || src_bits > 32 || dst_bits > 32)
		return 0;
	if (src_bits < 32)
		v &= (1u << src_bits) - 1;
	if (dst_bits == src_bits)
		return v;
	if (dst_bits < src_bits)
		return midi_scale_down(v, src_bits, dst_bits);
	unsigned scale_bits = dst_bits - src_bits;
	uint64_t out = (uint64_t)v << scale_bits;
	uint32_t center = 1u << (src_bits - 1);
	if (v <= center || src_bits == 1)
		return (uint32_t)out;
	unsigned repeat_bits = src_bits - 1;
	uint64_t repeat = v & ((1u << repeat_bits) - 1);
	if (scale_bits > repeat_bits)
		repeat <<= scale_bits - repeat_bits;
	else
		repeat >>= repeat_bits - scale_bits;
	while (repeat) {
		out |= repeat;
		repeat >>= repeat_bits;
	}
	return (uint32_t)out;
}

/* Down: drop the low bits. */
uint32_t midi_scale_down(uint32_t v, unsigned src_bits, unsigned dst_bits)
{
	if (src_bits == 0 || src_bits > 32 || dst_bits > 32)
		return 0;
	uint64_t x = src_bits < 32 ? v & ((1u << src_bits) - 1) : v;
	if (dst_bits == src_bits)
		return (uint32_t)x;
	if (dst_bits > src_bits)
		return midi_scale_up(v, src_bits, dst_bits);
	return (uint32_t)(x >> (src_bits - dst_bits));
}
