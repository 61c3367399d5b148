/* smf_ump.c: a Standard MIDI File as timed UMP packets (midi_smf_to_ump).
 * Each track's events go through that track's own byte-stream translator,
 * so a SysEx split over an F0 event and F7 continuation events comes out
 * as one SysEx7 message even when other tracks have events in between; a
 * SysEx still open when the file ends is closed there, at the time of the
 * file's last event (so packet times never decrease). With MIDI_SMF_TEMPO
 * a tempo change becomes a Flex Data Set Tempo packet on the group. */
#include "midi/smf.h"

#include <stdlib.h>

#include "midi/msg.h"
#include "midi/translate.h"

struct conv {
	midi_packet *out;
	size_t n, cap;
	midi_b2u *b2u;        /* per track */
	size_t ntracks;
	unsigned group;
	uint64_t now;
	int oom;
};

static int add_packet(void *ctx, const midi_ump *p)
{
	struct conv *c = ctx;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 1024;
		midi_packet *np = realloc(c->out, nc * sizeof *np);
		if (!np) {
			c->oom = 1;
			return -MIDI_ERR_RUNTIME;
		}
		c->out = np;
		c->cap = nc;
	}
	c->out[c->n].time_ns = c->now;
	c->out[c->n].ump = *p;
	c->n++;
	return 0;
}

static int on_event(void *ctx, const midi_smf_event *ev)
{
	struct conv *c = ctx;
	if (ev->track >= c->ntracks) {
		size_t nt = (size_t)ev->track + 1;
		midi_b2u *nb = realloc(c->b2u, nt * sizeof *nb);
		if (!nb)
			goto oom;
		c->b2u = nb;
		for (size_t t = c->ntracks; t < nt; t++)
			midi_b2u_init(&c->b2u[t], c->group);
		c->ntracks = nt;
	}
	c->now = ev->time_ns;
	if (ev->len == 6 && ev->data[0] == 0xFF && ev->data[1] == 0x51) { /* MIDI_SMF_TEMPO */
		uint32_t us = (uint32_t)ev->data[3] << 16 | (uint32_t)ev->data[4] << 8 | ev->data[5];
		midi_ump t = midi_ump_flex_tempo(c->group, us * 100u);
		return add_packet(c, &t);
	}
	return midi_b2u_feed(&c->b2u[ev->track], ev->data, ev->len, add_packet, c);
oom:
	c->oom = 1;
	return -MIDI_ERR_RUNTIME;
}

int midi_smf_to_ump(const uint8_t *buf, size_t n, unsigned group, midi_packet **out,
		    size_t *count, midi_error *e)
{
	return midi_smf_to_ump_flags(buf, n, group, 0, out, count, e);
}

int midi_smf_to_ump_flags(const uint8_t *buf, size_t n, unsigned group, unsigned flags,
			  midi_packet **out, size_t *count, midi_error *e)
{
	struct conv c = {.group = group & 0xF};
	int rc = midi_smf_parse_flags(buf, n, flags & MIDI_SMF_TEMPO, on_event, &c, e);
	for (size_t t = 0; rc == 0 && t < c.ntracks; t++)
		rc = midi_b2u_end(&c.b2u[t], add_packet, &c, NULL);
	if (c.oom)
		rc = midi_error_set(e, MIDI_ERR_RUNTIME, "out of memory converting MIDI file");
	free(c.b2u);
	if (rc) {
		free(c.out);
		*out = NULL;
		*count = 0;
		return rc < 0 ? rc : -MIDI_ERR_RUNTIME;
	}
	*out = c.out;
	*count = c.n;
	return 0;
}
