/* cursor.h: writing text at a char pointer whose room the caller made
 * sure of beforehand (a bound for what it writes): literals, strings,
 * decimal and hex numbers, each returning the new end. No checks, no
 * calls: the printers and midi_ump_describe write their hot lines with
 * these instead of many small appends or printf-style formatting.
 * Internal to libmidi. */
#ifndef MIDI_CURSOR_H
#define MIDI_CURSOR_H

#include <stdint.h>
#include <string.h>

/* A string literal (its length known when compiled). */
#define CUR_LIT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) + sizeof(lit) - 1)

static inline char *cur_str(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

/* v in decimal: at most 20 characters. */
static inline char *cur_u(char *o, uint64_t v)
{
	if (v < 10) {
		*o = (char)('0' + v);
		return o + 1;
	}
	if (v < 100) {
		o[0] = (char)('0' + v / 10);
		o[1] = (char)('0' + v % 10);
		return o + 2;
	}
	char tmp[20], *t = tmp + sizeof tmp;
	do {
		*--t = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t n = (size_t)(tmp + sizeof tmp - t);
	memcpy(o, t, n);
	return o + n;
}

/* v in decimal with a '-' when negative: at most 20 characters. */
static inline char *cur_d(char *o, int64_t v)
{
	if (v < 0) {
		*o++ = '-';
		return cur_u(o, 0ull - (uint64_t)v);
	}
	return cur_u(o, (uint64_t)v);
}

/* The low `digits` hex digits of w, uppercase (1-8 of them). */
static inline char *cur_hex(char *o, uint32_t w, int digits)
{
	static const char dig[] = "0123456789ABCDEF";
	for (int i = digits - 1; i >= 0; i--)
		*o++ = dig[w >> (i * 4) & 15];
	return o;
}

/* w as 8 uppercase hex digits, all at once: its nibbles spread one a
 * byte, turned into digits, the most significant first. */
static inline char *cur_hex32(char *o, uint32_t w)
{
	uint64_t x = w;
	x = ((x & 0xFFFF0000ull) << 16) | (x & 0xFFFFull);
	x = ((x & 0x0000FF000000FF00ull) << 8) | (x & 0x000000FF000000FFull);
	x = ((x & 0x00F000F000F000F0ull) << 4) | (x & 0x000F000F000F000Full);
	/* byte k is nibble k (the least significant first): 0-9 -> '0'-'9',
	 * 10-15 -> 'A'-'F' */
	uint64_t above9 = ((x + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
	x += 0x3030303030303030ull + 7 * above9;
	x = __builtin_bswap64(x);
	memcpy(o, &x, 8);
	return o + 8;
}

/* Byte b as 2 uppercase hex digits. */
static inline char *cur_hexbyte(char *o, uint8_t b)
{
	static const char pair[513] =
#define CUR_HP(h) h "0" h "1" h "2" h "3" h "4" h "5" h "6" h "7" h "8" h "9" h "A" h "B" h "C" h "D" h "E" h "F"
		CUR_HP("0") CUR_HP("1") CUR_HP("2") CUR_HP("3") CUR_HP("4") CUR_HP("5") CUR_HP("6")
		CUR_HP("7") CUR_HP("8") CUR_HP("9") CUR_HP("A") CUR_HP("B") CUR_HP("C") CUR_HP("D")
		CUR_HP("E") CUR_HP("F");
#undef CUR_HP
	memcpy(o, pair + 2 * b, 2);
	return o + 2;
}

/* MIDI note n (0-127) by name, C3 = 60: name then octave -2..8, at most
 * 4 characters ("C#-2"). */
static inline char *cur_note(char *o, unsigned n)
{
	static const char names[12][2] = {"C", "C#", "D", "D#", "E", "F",
					  "F#", "G", "G#", "A", "A#", "B"};
	const char *nm = names[n % 12];
	int oct = (int)(n / 12) - 2;
	*o++ = nm[0];
	if (nm[1] == '#')
		*o++ = '#';
	if (oct < 0) {
		*o++ = '-';
		oct = -oct;
	}
	*o++ = (char)('0' + oct);
	return o;
}

#endif
