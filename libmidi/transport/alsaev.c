/* alsaev.c: the alsa transport's translation (no kernel needed): ALSA
 * sequencer events <-> MIDI 1.0 byte stream (alsa-lib's snd_midi_event_*)
 * <-> UMP (the library's midi_b2u / midi_u2b). SysEx of any size: events
 * -> UMP through the byte-stream state, which spans events; UMP -> events
 * as chunks of ALSAEV_SYSEX_CHUNK bytes. Every event is treated as
 * untrusted (lengths and pointers of variable events checked). */
#include "transport/alsa.h"

#include <string.h>

void alsa_addr_store(struct reg_slot *s, int client, int port)
{
	s->tpriv[0] = 1ull << 32 | (uint64_t)(client & 0xFF) << 8 | (uint64_t)(port & 0xFF);
}

int alsa_addr_load(const struct reg_slot *s, int *client, int *port)
{
	if (!(s->tpriv[0] >> 32))
		return -1;
	*client = (int)(s->tpriv[0] >> 8 & 0xFF);
	*port = (int)(s->tpriv[0] & 0xFF);
	return 0;
}

int alsaev_in_init(struct alsaev_in *in)
{
	memset(in, 0, sizeof *in);
	if (snd_midi_event_new(16, &in->dec) < 0)
		return -1;
	snd_midi_event_no_status(in->dec, 1);
	midi_b2u_init(&in->b2u, 0);
	return 0;
}

void alsaev_in_reset(struct alsaev_in *in)
{
	snd_midi_event_reset_decode(in->dec);
	midi_b2u_init(&in->b2u, 0);
}

void alsaev_in_free(struct alsaev_in *in)
{
	if (in->dec)
		snd_midi_event_free(in->dec);
	in->dec = NULL;
}

int alsaev_in_put(struct alsaev_in *in, const snd_seq_event_t *ev, midi_ump_cb cb, void *ctx)
{
	if (ev->type == SND_SEQ_EVENT_SYSEX) {
		/* Any length, as it is (F0 in the first, F7 in the last). */
		if ((ev->flags & SND_SEQ_EVENT_LENGTH_MASK) != SND_SEQ_EVENT_LENGTH_VARIABLE ||
		    !ev->data.ext.ptr || !ev->data.ext.len)
			return 0;
		return midi_b2u_feed(&in->b2u, ev->data.ext.ptr, ev->data.ext.len, cb, ctx);
	}
	if ((ev->flags & SND_SEQ_EVENT_LENGTH_MASK) != SND_SEQ_EVENT_LENGTH_FIXED)
		return 0; /* no other variable event has a byte form */
	unsigned char b[16];
	snd_seq_event_t copy = *ev; /* decode takes a non-const event */
	long n = snd_midi_event_decode(in->dec, b, sizeof b, &copy);
	if (n <= 0 || (size_t)n > sizeof b)
		return 0;
	return midi_b2u_feed(&in->b2u, b, (size_t)n, cb, ctx);
}

int alsaev_out_init(struct alsaev_out *out)
{
	memset(out, 0, sizeof *out);
	if (snd_midi_event_new(ALSAEV_SYSEX_CHUNK, &out->enc) < 0)
		return -1;
	midi_u2b_init(&out->u2b);
	return 0;
}

void alsaev_out_free(struct alsaev_out *out)
{
	if (out->enc)
		snd_midi_event_free(out->enc);
	out->enc = NULL;
}

int alsaev_out_put(struct alsaev_out *out, const midi_ump *p, alsaev_ev_cb cb, void *ctx)
{
	uint8_t b[16];
	int n = midi_u2b_put(&out->u2b, p, b, sizeof b);
	for (int k = 0; k < n; k++) {
		snd_seq_event_t ev;
		snd_seq_ev_clear(&ev);
		if (snd_midi_event_encode_byte(out->enc, b[k], &ev) <= 0)
			continue;
		if (ev.type == SND_SEQ_EVENT_NONE)
			continue;
		int r = cb(ctx, &ev);
		if (r)
			return r;
	}
	return 0;
}
