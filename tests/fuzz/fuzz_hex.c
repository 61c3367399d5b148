/* fuzz_hex.c: the hex reader on any input, in two pieces (no crash, no
 * leak); its hex output is a fixed point: printed, read and printed again,
 * the text is the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/format.h"

#include "reader_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	vec a = {0}, b = {0};
	size_t cut = n ? d[n - 1] % (n + 1) : 0, l1, l2;
	parse(MIDI_FMT_HEX, d, n, cut, &a);
	char *h1 = print(MIDI_FMT_HEX, MIDI_PRINT_TIME, &a, &l1);
	if (parse(MIDI_FMT_HEX, (const uint8_t *)h1, l1, l1 / 2, &b) == 0) {
		char *h2 = print(MIDI_FMT_HEX, MIDI_PRINT_TIME, &b, &l2);
		if (l1 != l2 || memcmp(h1, h2, l1))
			abort();
		free(h2);
	}
	free(h1);
	free(print(MIDI_FMT_TEXT, MIDI_PRINT_TIME, &a, &l1));
	free(a.p);
	free(b.p);
	return 0;
}
