/* fuzz_ump.c: the ump reader on any input, in two pieces (no crash, no
 * leak); what it reads prints back in the ump format to the same packets;
 * every packet decodes, describes and prints in every output format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midi/format.h"
#include "midi/msg.h"

#include "reader_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	vec a = {0}, b = {0};
	size_t cut = n ? d[0] % (n + 1) : 0, len;
	char desc[64];
	parse(MIDI_FMT_UMP, d, n, cut, &a);
	for (size_t i = 0; i < a.n; i++) {
		midi_msg m;
		midi_ump q;
		midi_msg_decode(&a.p[i].ump, &m);
		midi_ump_describe(&a.p[i].ump, desc, sizeof desc);
		if (midi_msg_encode(&m, &q) == 0 && midi_msg_is_canonical(&a.p[i].ump) &&
		    memcmp(q.w, a.p[i].ump.w, sizeof q.w))
			abort();
	}
	char *txt = print(MIDI_FMT_UMP, MIDI_PRINT_TIME, &a, &len);
	if (parse(MIDI_FMT_UMP, (const uint8_t *)txt, len, len / 3, &b) != 0 || b.n != a.n)
		abort();
	for (size_t i = 0; i < a.n; i++)
		if (memcmp(a.p[i].ump.w, b.p[i].ump.w, sizeof a.p[i].ump.w) ||
		    a.p[i].time_ns / 1000 != b.p[i].time_ns / 1000)
			abort();
	free(txt);
	static const midi_format outs[] = {MIDI_FMT_TEXT, MIDI_FMT_HEX, MIDI_FMT_BIN, MIDI_FMT_JSON};
	for (size_t f = 0; f < 4; f++)
		free(print(outs[f], MIDI_PRINT_TIME, &a, &len));
	free(a.p);
	free(b.p);
	return 0;
}
