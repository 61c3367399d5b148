/* identity.c: parsing the MIDI 1.0 Identity Reply SysEx (see identity.h). */
#include <string.h>

#include "midi/identity.h"

int midi_identity_reply_parse(const uint8_t *p, size_t n, unsigned *device,
			      midi_stream_identity *id)
{
	if (n < 4 || p[0] != 0x7E || p[2] != 0x06 || p[3] != 0x02)
		return -MIDI_ERR_INPUT;
	for (size_t i = 0; i < n; i++)
		if (p[i] & 0x80)
			return -MIDI_ERR_INPUT;
	size_t mlen = n > 4 && p[4] == 0x00 ? 3 : 1;
	if (n != 4 + mlen + 2 + 2 + 4)
		return -MIDI_ERR_INPUT;
	memset(id, 0, sizeof *id);
	memcpy(id->manufacturer, p + 4, mlen);
	const uint8_t *q = p + 4 + mlen;
	id->family = (uint16_t)(q[0] | q[1] << 7);
	id->model = (uint16_t)(q[2] | q[3] << 7);
	memcpy(id->version, q + 4, 4);
	*device = p[1];
	return 0;
}
