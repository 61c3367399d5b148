/* identity_request.c: the MIDI 1.0 Universal Non-Realtime Identity Request
 * (F0 7E dev 06 01 F7); see midi/sysexfile.h. Its reply is parsed by
 * midi_identity_reply_parse (midi/identity.h). */
#include "midi/sysexfile.h"

size_t midi_identity_request(unsigned device, uint8_t out[MIDI_IDENTITY_REQUEST_LEN])
{
	out[0] = 0xF0;
	out[1] = 0x7E;
	out[2] = device & 0x7F;
	out[3] = 0x06;
	out[4] = 0x01;
	out[5] = 0xF7;
	return MIDI_IDENTITY_REQUEST_LEN;
}
