/* fuzz_text.c: the text reader on any input, fed in two pieces (must not
 * crash or leak); what it reads, printed as text and read again, gives the
 * same packets (order kept within each group's SysEx streams; times to the
 * microsecond outside SysEx, which is printed when complete). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/format.h"

#include "reader_util.h"

static unsigned cls(const midi_packet *p)
{
	unsigned mt = p->ump.w[0] >> 28;
	return mt == 3 || mt == 5 ? (mt == 5) * 16 + ((p->ump.w[0] >> 24) & 15) : 32;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	vec a = {0}, b = {0};
	size_t cut = n ? d[0] % (n + 1) : 0, len;
	parse(MIDI_FMT_TEXT, d, n, cut, &a);
	char *txt = print(MIDI_FMT_TEXT, MIDI_PRINT_TIME, &a, &len);
	if (parse(MIDI_FMT_TEXT, (const uint8_t *)txt, len, len / 2, &b) != 0 || b.n != a.n)
		abort();
	for (unsigned c = 0; c <= 32; c++) {
		size_t i = 0, j = 0;
		for (;;) {
			while (i < a.n && cls(&a.p[i]) != c)
				i++;
			while (j < b.n && cls(&b.p[j]) != c)
				j++;
			if ((i < a.n) != (j < b.n))
				abort();
			if (i >= a.n)
				break;
			if (memcmp(a.p[i].ump.w, b.p[j].ump.w, sizeof a.p[i].ump.w) ||
			    (c == 32 && a.p[i].time_ns / 1000 != b.p[j].time_ns / 1000))
				abort();
			i++, j++;
		}
	}
	free(txt);
	free(print(MIDI_FMT_JSON, 0, &a, &len));
	free(a.p);
	free(b.p);
	return 0;
}
