/* usbdesc.c: the MIDIStreaming descriptor parser (usbmidi.h): walks a
 * configuration descriptor's bytes and finds each MIDIStreaming interface
 * (Audio class 1, subclass 3), its MIDI 1.0 alternate setting (and
 * whether a MIDI 2.0 one, bcdMSC 2.0, exists), the bulk or interrupt
 * endpoints with the embedded jacks of their class-specific MS_GENERAL
 * descriptors (cable N = the Nth jack), and the jacks with their names;
 * for the MIDI 2.0 setting its endpoints with the Group Terminal Blocks
 * of their MS_GENERAL_2_0 descriptors; the Audio Control interfaces.
 * Also the Group Terminal Block descriptor set a MIDI 2.0 interface gives
 * on request.
 * Untrusted input: every length is checked before a byte is read; a
 * descriptor shorter than 2 bytes or running past the end is an error
 * naming its offset; unknown descriptors are skipped. */
#include "transport/usbmidi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { DT_CONFIG = 2, DT_INTERFACE = 4, DT_ENDPOINT = 5, DT_CS_INTERFACE = 0x24,
       DT_CS_ENDPOINT = 0x25 };
enum { MS_HEADER = 1, MIDI_IN_JACK = 2, MIDI_OUT_JACK = 3, MS_GENERAL = 1,
       MS_GENERAL_2_0 = 2 };
enum { CS_GR_TRM_BLOCK = 0x26, GR_TRM_BLOCK_HEADER = 1, GR_TRM_BLOCK = 2 };

struct walk {
	struct usbmidi_conf *c;
	struct usbmidi_if *cur; /* the MIDIStreaming interface being read */
	int state;              /* 0 not collecting, 1 undecided, 2 MIDI 1.0 setting,
				   3 the MIDI 2.0 setting */
	uint8_t alt;
	struct usbmidi_ep *ep;  /* the endpoint a CS_ENDPOINT belongs to */
	uint8_t have10[USBMIDI_MAX_IFS];
	char *err;
	size_t errlen;
};

static int fail(struct walk *w, const char *fmt, ...)
{
	if (w->err && w->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->err, w->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static struct usbmidi_if *if_for(struct walk *w, uint8_t number)
{
	for (size_t i = 0; i < w->c->nifs; i++)
		if (w->c->ifs[i].number == number)
			return &w->c->ifs[i];
	if (w->c->nifs == USBMIDI_MAX_IFS)
		return NULL;
	struct usbmidi_if *f = &w->c->ifs[w->c->nifs++];
	memset(f, 0, sizeof *f);
	f->number = number;
	return f;
}

/* This alternate setting's version is known (bcd 0: no MS_HEADER). */
static void decide(struct walk *w, uint16_t bcd)
{
	struct usbmidi_if *f = w->cur;
	size_t k = (size_t)(f - w->c->ifs);
	if (bcd >= 0x0200) {
		if (!f->has_midi2) {
			f->has_midi2 = 1;
			f->midi2_alt = w->alt;
			w->state = 3;
		} else {
			w->state = 0; /* a second MIDI 2.0 setting: the first one is used */
		}
	} else if (w->have10[k]) {
		w->state = 0; /* a second MIDI 1.0 setting: the first one is used */
	} else {
		w->have10[k] = 1;
		f->alt = w->alt;
		f->bcd_msc = bcd;
		w->state = 2;
	}
}

static int jack(struct walk *w, const uint8_t *d, size_t off)
{
	struct usbmidi_if *f = w->cur;
	unsigned len = d[0], out = d[2] == MIDI_OUT_JACK;
	unsigned npins = out && len >= 6 ? d[5] : 0;
	unsigned need = out ? 7 + 2 * npins : 6;
	if (len < need)
		return fail(w, "MIDI %s jack descriptor at byte %zu is %u bytes, needs %u",
			    out ? "OUT" : "IN", off, len, need);
	if (f->njacks == USBMIDI_MAX_JACKS)
		return fail(w, "more than %d jacks in interface %u (byte %zu)", USBMIDI_MAX_JACKS,
			    f->number, off);
	struct usbmidi_jack *j = &f->jacks[f->njacks++];
	memset(j, 0, sizeof *j);
	j->type = d[3];
	j->id = d[4];
	j->out = (uint8_t)out;
	j->ijack = out ? d[6 + 2 * npins] : d[5];
	for (unsigned p = 0; p < npins && j->nsrc < sizeof j->src; p++)
		j->src[j->nsrc++] = d[6 + 2 * p];
	return 0;
}

static int cs_interface(struct walk *w, const uint8_t *d, size_t off)
{
	unsigned len = d[0];
	if (len < 3)
		return fail(w, "class-specific interface descriptor at byte %zu is %u bytes", off,
			    len);
	if (d[2] == MS_HEADER) {
		if (len < 5)
			return fail(w, "MS_HEADER at byte %zu is %u bytes, needs 7", off, len);
		if (w->state == 1)
			decide(w, (uint16_t)(d[3] | d[4] << 8));
		return 0;
	}
	if (w->state == 1)
		decide(w, 0);
	if (w->state == 2 && (d[2] == MIDI_IN_JACK || d[2] == MIDI_OUT_JACK))
		return jack(w, d, off);
	return 0; /* ELEMENT and others: not needed */
}

static int endpoint(struct walk *w, const uint8_t *d, size_t off)
{
	unsigned len = d[0];
	w->ep = NULL;
	if (len < 7)
		return fail(w, "endpoint descriptor at byte %zu is %u bytes, needs 7", off, len);
	if (w->state == 1)
		decide(w, 0);
	unsigned type = d[3] & 3;
	if ((w->state != 2 && w->state != 3) || (type != 2 && type != 3))
		return 0; /* not ours, or isochronous / control: not MIDI */
	struct usbmidi_if *f = w->cur;
	size_t *nep = w->state == 3 ? &f->neps2 : &f->neps;
	if (*nep == USBMIDI_MAX_EPS)
		return fail(w, "more than %d endpoints in interface %u (byte %zu)", USBMIDI_MAX_EPS,
			    f->number, off);
	struct usbmidi_ep *ep = w->state == 3 ? &f->eps2[(*nep)++] : &f->eps[(*nep)++];
	memset(ep, 0, sizeof *ep);
	ep->addr = d[2];
	ep->attr = d[3];
	ep->maxpkt = (uint16_t)(d[4] | d[5] << 8);
	ep->interval = d[6];
	w->ep = ep;
	return 0;
}

static int cs_endpoint(struct walk *w, const uint8_t *d, size_t off)
{
	unsigned len = d[0];
	if (len < 3)
		return fail(w, "class-specific endpoint descriptor at byte %zu is %u bytes", off,
			    len);
	int v2 = w->state == 3;
	if (!w->ep || d[2] != (v2 ? MS_GENERAL_2_0 : MS_GENERAL))
		return 0;
	const char *what = v2 ? "MS_GENERAL_2_0" : "MS_GENERAL";
	const char *items = v2 ? "Group Terminal Blocks" : "jacks";
	unsigned n = len >= 4 ? d[3] : 0;
	if (len < 4 || len < 4 + n)
		return fail(w, "%s endpoint descriptor at byte %zu is %u bytes for %u %s", what,
			    off, len, n, items);
	if (n > 16)
		return fail(w, "%s endpoint descriptor at byte %zu names %u %s (at most 16)", what,
			    off, n, items);
	w->ep->ncables = (uint8_t)n;
	memcpy(w->ep->jack, d + 4, n);
	w->ep = NULL;
	return 0;
}

int usbmidi_parse_config(const uint8_t *b, size_t n, struct usbmidi_conf *c, char *err,
			 size_t errlen)
{
	struct walk w = {.c = c, .err = err, .errlen = errlen};
	memset(c, 0, sizeof *c);
	if (n < 9 || b[0] < 9 || b[1] != DT_CONFIG)
		return fail(&w, "not a configuration descriptor (%zu bytes)", n);
	size_t total = (size_t)(b[2] | b[3] << 8);
	if (total > n)
		return fail(&w, "configuration descriptor is truncated: %zu of %zu bytes", n,
			    total);
	if (total < b[0])
		return fail(&w, "configuration descriptor's total length %zu is shorter than its header",
			    total);
	c->value = b[5];
	for (size_t off = b[0]; off < total;) {
		const uint8_t *d = b + off;
		if (total - off < 2 || d[0] < 2)
			return fail(&w, "descriptor at byte %zu has length %u", off,
				    total - off < 2 ? (unsigned)(total - off) : d[0]);
		if (d[0] > total - off)
			return fail(&w, "descriptor at byte %zu (%u bytes) runs past the end (%zu)",
				    off, d[0], total);
		int rc = 0;
		switch (d[1]) {
		case DT_INTERFACE:
			if (d[0] < 9)
				return fail(&w, "interface descriptor at byte %zu is %u bytes, needs 9",
					    off, d[0]);
			w.ep = NULL;
			w.state = 0;
			w.cur = NULL;
			if (d[5] == 1 && d[6] == 1 && c->nac < USBMIDI_MAX_IFS &&
			    (c->nac == 0 || c->ac[c->nac - 1] != d[2]))
				c->ac[c->nac++] = d[2]; /* Audio Control (each alternate setting once) */
			if (d[5] == 1 && d[6] == 3) {
				w.cur = if_for(&w, d[2]);
				if (!w.cur)
					return fail(&w, "more than %d MIDIStreaming interfaces (byte %zu)",
						    USBMIDI_MAX_IFS, off);
				w.alt = d[3];
				w.state = 1;
				if (!w.cur->iinterface)
					w.cur->iinterface = d[8];
			}
			break;
		case DT_ENDPOINT:
			if (w.cur)
				rc = endpoint(&w, d, off);
			break;
		case DT_CS_INTERFACE:
			if (w.cur)
				rc = cs_interface(&w, d, off);
			break;
		case DT_CS_ENDPOINT:
			if (w.cur)
				rc = cs_endpoint(&w, d, off);
			break;
		default:
			break; /* unknown: skipped */
		}
		if (rc)
			return rc;
		off += d[0];
	}
	/* keep the interfaces that have something to use */
	size_t k = 0;
	for (size_t i = 0; i < c->nifs; i++)
		if (c->ifs[i].neps || c->ifs[i].neps2)
			c->ifs[k++] = c->ifs[i];
	c->nifs = k;
	return (int)k;
}

int usbmidi_gtb_midi1(uint8_t protocol)
{
	return protocol >= 0x01 && protocol <= 0x04;
}

int usbmidi_parse_gtb(const uint8_t *b, size_t n, struct usbmidi_gtb *out, size_t max,
		      char *err, size_t errlen)
{
	struct walk w = {.err = err, .errlen = errlen};
	if (n < 5 || b[0] < 5 || b[1] != CS_GR_TRM_BLOCK || b[2] != GR_TRM_BLOCK_HEADER)
		return fail(&w, "not a Group Terminal Block header (%zu bytes)", n);
	size_t total = (size_t)(b[3] | b[4] << 8);
	if (total > n)
		return fail(&w, "Group Terminal Block descriptors are truncated: %zu of %zu bytes", n,
			    total);
	if (total < b[0])
		return fail(&w, "Group Terminal Block total length %zu is shorter than its header",
			    total);
	size_t k = 0;
	for (size_t off = b[0]; off < total;) {
		const uint8_t *d = b + off;
		if (total - off < 2 || d[0] < 2)
			return fail(&w, "descriptor at byte %zu has length %u", off,
				    total - off < 2 ? (unsigned)(total - off) : d[0]);
		if (d[0] > total - off)
			return fail(&w, "descriptor at byte %zu (%u bytes) runs past the end (%zu)",
				    off, d[0], total);
		if (d[1] == CS_GR_TRM_BLOCK && d[0] >= 3 && d[2] == GR_TRM_BLOCK) {
			if (d[0] < 13)
				return fail(&w, "Group Terminal Block at byte %zu is %u bytes, needs 13",
					    off, d[0]);
			if (d[5] > 15 || d[6] < 1 || d[5] + d[6] > 16)
				return fail(&w, "Group Terminal Block %u at byte %zu has groups %u+%u "
					    "(past group 16)", d[3], off, d[5] + 1u, d[6]);
			if (k < max) {
				struct usbmidi_gtb *g = &out[k];
				g->id = d[3];
				g->type = d[4];
				g->first_group = d[5];
				g->ngroups = d[6];
				g->iblock = d[7];
				g->protocol = d[8];
				g->max_in_bw = (uint16_t)(d[9] | d[10] << 8);
				g->max_out_bw = (uint16_t)(d[11] | d[12] << 8);
			}
			k++;
		}
		off += d[0];
	}
	return (int)(k < max ? k : max);
}

const struct usbmidi_jack *usbmidi_jack_find(const struct usbmidi_if *f, uint8_t id)
{
	for (size_t i = 0; i < f->njacks; i++)
		if (f->jacks[i].id == id)
			return &f->jacks[i];
	return NULL;
}

uint8_t usbmidi_cable_name(const struct usbmidi_if *f, const struct usbmidi_ep *ep,
			   unsigned cable)
{
	if (cable >= ep->ncables)
		return 0;
	const struct usbmidi_jack *j = usbmidi_jack_find(f, ep->jack[cable]);
	if (!j)
		return 0;
	if (j->ijack)
		return j->ijack;
	if (j->out) { /* an OUT jack: its sources */
		for (unsigned s = 0; s < j->nsrc; s++) {
			const struct usbmidi_jack *x = usbmidi_jack_find(f, j->src[s]);
			if (x && x->ijack)
				return x->ijack;
		}
		return 0;
	}
	for (size_t i = 0; i < f->njacks; i++) /* an IN jack: the OUT jacks it feeds */
		for (unsigned s = 0; s < f->jacks[i].nsrc; s++)
			if (f->jacks[i].src[s] == j->id && f->jacks[i].ijack)
				return f->jacks[i].ijack;
	return 0;
}
