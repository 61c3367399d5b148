/* read_smf.c: the "smf" input format: the whole Standard MIDI File is
 * buffered by the reader and turned into timed packets at the end by
 * midi_smf_to_ump_flags (libmidi/smf), tempo changes too with
 * MIDI_READ_TEMPO. */
#include "format_priv.h"

#include <stdlib.h>

#include "midi/smf.h"

int smf_end(midi_reader *r, emitter *em, midi_error *e)
{
	midi_packet *pk = NULL;
	size_t count = 0;
	int rc = midi_smf_to_ump_flags(r->buf, r->blen, r->group,
				       r->flags & MIDI_READ_TEMPO ? MIDI_SMF_TEMPO : 0, &pk, &count, e);
	if (rc)
		return rc < 0 ? rc : -MIDI_ERR_INPUT;
	for (size_t i = 0; i < count && rc == 0; i++) {
		r->time_ns = pk[i].time_ns;
		rc = emit_packet(r, em, &pk[i].ump);
	}
	free(pk);
	return rc;
}
