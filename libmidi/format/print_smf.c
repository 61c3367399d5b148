/* print_smf.c: the "smf" output format: a midi_printer that keeps every
 * packet in a Standard MIDI File writer (libmidi/smf) and writes the whole
 * file at midi_printer_end. */
#include "format_priv.h"

#include <errno.h>
#include <stdlib.h>

midi_printer *midi_printer_new_smf(const midi_smf_wopts *o, unsigned flags, uint64_t base_ns,
				   midi_error *e)
{
	midi_smf_wopts w = o ? *o : (midi_smf_wopts){.format = 1};
	w.origin_ns = base_ns;
	w.from_first = !!(flags & MIDI_PRINT_FROM_FIRST);
	midi_printer *pr = calloc(1, sizeof *pr);
	if (!pr) {
		midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory");
		return NULL;
	}
	pr->smf = midi_smf_writer_new(&w, e);
	if (!pr->smf) {
		free(pr);
		return NULL;
	}
	pr->fmt = MIDI_FMT_SMF;
	pr->flags = flags;
	pr->base_ns = base_ns;
	midi_u2b_init(&pr->u2b);
	return pr;
}

int print_smf(midi_printer *pr, const midi_packet *p)
{
	midi_error e = {0};
	if (midi_smf_writer_put(pr->smf, p, &e) < 0) {
		errno = ENOMEM;
		return -MIDI_ERR_RUNTIME;
	}
	return 0;
}

int print_smf_end(midi_printer *pr, FILE *out)
{
	midi_error e = {0};
	uint8_t *img;
	size_t n;
	if (midi_smf_writer_finish(pr->smf, &img, &n, &e) < 0) {
		errno = ENOMEM;
		return -MIDI_ERR_RUNTIME;
	}
	int bad = fwrite(img, 1, n, out) != n;
	free(img);
	return bad ? -MIDI_ERR_RUNTIME : 0;
}
