/* print_bytes.c: the "hex" and "bin" output formats: packets as MIDI 1.0
 * bytes (midi_u2b), one message per line in hex. SysEx7 is gathered per
 * group and printed whole once its End arrives (lines of at most 8192
 * payload bytes: the hex reader takes a byte stream across lines). Packets
 * with no byte form (MT0, MT5, MTD, MTF, some MT4) are counted in
 * u2b.dropped and not printed. */
#include "format_priv.h"

#include "midi/msg.h"

#define HEX_LINE_BYTES 8192

static int emit_bytes(midi_printer *pr, uint64_t t, const uint8_t *b, size_t n, FILE *out)
{
	if (pr->fmt == MIDI_FMT_BIN)
		return fwrite_unlocked(b, 1, n, out) == n ? 0 : -MIDI_ERR_RUNTIME;
	pr_reset(pr);
	pr_time(pr, t);
	pr_hexbytes(pr, b, n, 0);
	return pr_flush_line(pr, out);
}

/* Output what a SysEx hold has so far and empty it (it stays open). */
static int flush_hold(midi_printer *pr, sx_hold *h, FILE *out)
{
	int rc = 0;
	if (h->len)
		rc = emit_bytes(pr, h->time_ns, h->data, h->len, out);
	h->len = 0;
	return rc;
}

static int sysex7(midi_printer *pr, const midi_packet *p, FILE *out)
{
	midi_msg m;
	midi_msg_decode(&p->ump, &m);
	if (m.kind != MIDI_MSG_SYSEX7) {
		pr->u2b.dropped++;
		return 0;
	}
	sx_hold *h = &pr->sx7[m.group];
	unsigned form = m.u.sysex7.form;
	static const uint8_t f0 = 0xF0, f7 = 0xF7;
	int rc;
	if (form == MIDI_FORM_COMPLETE || form == MIDI_FORM_START) {
		rc = flush_hold(pr, h, out); /* an unfinished one: ends here */
		if (rc)
			return rc;
		h->open = 1;
		h->time_ns = p->time_ns;
		if (sx_hold_add_bytes(h, &f0, 1) < 0)
			return -MIDI_ERR_RUNTIME;
	} else if (!h->open) {
		pr->u2b.dropped++; /* Continue/End with no Start */
		return 0;
	}
	if (sx_hold_add_bytes(h, m.u.sysex7.data, m.u.sysex7.len) < 0)
		return -MIDI_ERR_RUNTIME;
	if (form == MIDI_FORM_COMPLETE || form == MIDI_FORM_END) {
		if (sx_hold_add_bytes(h, &f7, 1) < 0)
			return -MIDI_ERR_RUNTIME;
		h->open = 0;
		return flush_hold(pr, h, out);
	}
	if (h->len >= HEX_LINE_BYTES)
		return flush_hold(pr, h, out);
	return 0;
}

int print_bytes(midi_printer *pr, const midi_packet *p, FILE *out)
{
	uint8_t b[64];
	if (midi_ump_mt(&p->ump) == MIDI_MT_DATA64)
		return sysex7(pr, p, out);
	int n = midi_u2b_put(&pr->u2b, &p->ump, b, sizeof b);
	if (n <= 0)
		return 0;
	/* one line per message: a status byte starts a message */
	int start = 0, rc = 0;
	for (int i = 1; i <= n && rc == 0; i++) {
		if (i == n || b[i] >= 0x80) {
			rc = emit_bytes(pr, p->time_ns, b + start, (size_t)(i - start), out);
			start = i;
		}
	}
	return rc;
}

int print_bytes_end(midi_printer *pr, FILE *out)
{
	int rc = 0;
	for (int g = 0; g < 16 && rc == 0; g++) {
		rc = flush_hold(pr, &pr->sx7[g], out);
		pr->sx7[g].open = 0;
	}
	return rc;
}
