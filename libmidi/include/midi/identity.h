/* identity.h: the MIDI 1.0 Identity Reply (Universal Non-Real Time SysEx,
 * sub-IDs 06 02), as monitors show it: manufacturer, family, model and
 * version, the same fields as the UMP Device Identity notification. */
#ifndef MIDI_IDENTITY_H
#define MIDI_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "midi/msg.h"

/* payload: the SysEx bytes without F0 and F7 (as midi_sysex_asm_put gives
 * them): 7E <device> 06 02 <manufacturer: 1 byte, or 00 and 2 more>
 * <family LSB MSB> <model LSB MSB> <4 version bytes>, and nothing more.
 * Returns 0 and fills *device (0-127, 7F = all) and *id (a 1-byte
 * manufacturer is {id, 0, 0}; family and model are 14-bit values), or
 * -MIDI_ERR_INPUT when the payload is not an Identity Reply. */
int midi_identity_reply_parse(const uint8_t *payload, size_t n, unsigned *device,
			      midi_stream_identity *id);

#endif
