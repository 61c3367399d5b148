/* ump_priv.h: what other parts of libmidi use of ump/ beyond midi/msg.h. */
#ifndef MIDI_UMP_PRIV_H
#define MIDI_UMP_PRIV_H

#include "midi/msg.h"

/* midi_msg_decode(p, m), and whether p is canonical (midi_msg_is_canonical)
 * from that one decoding. */
int msg_decode_canonical(const midi_ump *p, midi_msg *m);
/* Whether p, decoded as m, is canonical (that decoding encodes back to p). */
int msg_canonical(const midi_ump *p, const midi_msg *m);
/* midi_ump_describe of p, decoded as m. */
int msg_describe(const midi_ump *p, const midi_msg *m, char *buf, size_t n);

#endif
