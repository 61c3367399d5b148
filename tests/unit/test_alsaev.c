/* test_alsaev.c: the alsa transport's event translation (alsaev.c), no
 * kernel needed: channel voice, system and real-time events to the exact
 * UMP expected; SysEx split over events of any size reassembled whole; UMP
 * to events (types and values), SysEx as F0..F7 chunks of at most
 * ALSAEV_SYSEX_CHUNK bytes whose concatenation is the message; untrusted
 * events (bad length flags, NULL data, unknown types) ignored; round trips;
 * the port address kept in a slot; a SysEx whose middle was lost (reset)
 * not spliced. */
#include "testutil.h"

#include "transport/alsa.h"

struct cap {
	midi_ump p[8192];
	size_t n;
};

static int cap_cb(void *ctx, const midi_ump *p)
{
	struct cap *c = ctx;
	assert_true(c->n < 8192);
	c->p[c->n++] = *p;
	return 0;
}

/* The bytes of captured packets (through midi_u2b). */
static size_t bytes_of(const struct cap *c, uint8_t *out, size_t cap)
{
	midi_u2b u;
	midi_u2b_init(&u);
	size_t n = 0;
	for (size_t k = 0; k < c->n; k++) {
		int b = midi_u2b_put(&u, &c->p[k], out + n, cap - n);
		assert_true(b >= 0);
		n += (size_t)b;
	}
	return n;
}

/* A fresh translator and capture. */
static void in_start(struct alsaev_in *in, struct cap *c)
{
	c->n = 0;
	assert_int_equal(alsaev_in_init(in), 0);
}

static void in1(const snd_seq_event_t *ev, uint32_t want)
{
	struct alsaev_in in;
	static struct cap c;
	in_start(&in, &c);
	assert_int_equal(alsaev_in_put(&in, ev, cap_cb, &c), 0);
	alsaev_in_free(&in);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.p[0].w[0], want);
}

static void test_in_channel(void **state)
{
	snd_seq_event_t ev;
	snd_seq_ev_clear(&ev);
	snd_seq_ev_set_noteon(&ev, 0, 60, 100);
	in1(&ev, 0x20903C64);
	snd_seq_ev_set_noteoff(&ev, 15, 60, 0);
	in1(&ev, 0x208F3C00);
	snd_seq_ev_set_controller(&ev, 2, 7, 99);
	in1(&ev, 0x20B20763);
	snd_seq_ev_set_pgmchange(&ev, 3, 5);
	in1(&ev, 0x20C30500);
	snd_seq_ev_set_pitchbend(&ev, 0, 0); /* centre: 0x2000 */
	in1(&ev, 0x20E00040);
	snd_seq_ev_set_chanpress(&ev, 1, 64);
	in1(&ev, 0x20D14000);
	snd_seq_ev_set_keypress(&ev, 1, 64, 3);
	in1(&ev, 0x20A14003);
}

static void test_in_system(void **state)
{
	snd_seq_event_t ev;
	snd_seq_ev_clear(&ev);
	ev.type = SND_SEQ_EVENT_CLOCK;
	in1(&ev, 0x10F80000);
	ev.type = SND_SEQ_EVENT_START;
	in1(&ev, 0x10FA0000);
	ev.type = SND_SEQ_EVENT_SONGSEL;
	ev.data.control.value = 5;
	in1(&ev, 0x10F30500);
}

static void test_in_ignored(void **state)
{
	struct alsaev_in in;
	static struct cap c;
	in_start(&in, &c);
	snd_seq_event_t ev;
	snd_seq_ev_clear(&ev);
	ev.type = SND_SEQ_EVENT_PORT_START; /* no byte form */
	assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	ev.type = SND_SEQ_EVENT_SYSEX; /* claims fixed length: not trusted */
	ev.flags = SND_SEQ_EVENT_LENGTH_FIXED;
	assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	snd_seq_ev_set_sysex(&ev, 10, NULL); /* no data */
	assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	snd_seq_ev_set_noteon(&ev, 0, 60, 100);
	ev.flags = SND_SEQ_EVENT_LENGTH_VARIABLE; /* a note cannot be variable */
	assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	ev.type = 200; /* unknown */
	ev.flags = 0;
	assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	alsaev_in_free(&in);
	assert_int_equal(c.n, 0);
}

static void sysex_msg(uint8_t *b, size_t n)
{
	b[0] = 0xF0;
	for (size_t k = 1; k + 1 < n; k++)
		b[k] = (uint8_t)((k * 7 + 3) & 0x7F);
	b[n - 1] = 0xF7;
}

/* SysEx of several sizes split over events of several sizes: whole. */
static void test_in_sysex_split(void **state)
{
	static uint8_t msg[5000], got[6000];
	static const size_t sizes[] = {2, 3, 7, 8, 255, 256, 257, 4096, 5000};
	static const size_t splits[] = {1, 3, 256, 1000, 5000};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		for (size_t j = 0; j < sizeof splits / sizeof *splits; j++) {
			size_t n = sizes[i];
			sysex_msg(msg, n);
			struct alsaev_in in;
			static struct cap c;
			in_start(&in, &c);
			for (size_t at = 0; at < n; at += splits[j]) {
				size_t len = n - at < splits[j] ? n - at : splits[j];
				snd_seq_event_t ev;
				snd_seq_ev_clear(&ev);
				snd_seq_ev_set_sysex(&ev, (unsigned)len, msg + at);
				assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
				if (at == 0 && n > 8) { /* a real-time event in between */
					snd_seq_ev_clear(&ev);
					ev.type = SND_SEQ_EVENT_CLOCK;
					assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
				}
			}
			alsaev_in_free(&in);
			/* drop the clock packet, then compare the bytes */
			size_t w = 0;
			for (size_t k = 0; k < c.n; k++)
				if (c.p[k].w[0] != 0x10F80000)
					c.p[w++] = c.p[k];
			assert_int_equal(c.n - w, n > 8 ? 1 : 0);
			c.n = w;
			assert_int_equal(bytes_of(&c, got, sizeof got), n);
			assert_memory_equal(got, msg, n);
		}
}

/* Events lost in the middle of a SysEx (the kernel's pool overflowed):
 * after alsaev_in_reset the rest of it gives no packet (no spliced SysEx
 * goes out); what comes next is whole. */
static void test_in_reset(void **state)
{
	static uint8_t msg[1000], got[64];
	sysex_msg(msg, sizeof msg);
	struct alsaev_in in;
	static struct cap c;
	in_start(&in, &c);
	snd_seq_event_t ev;
	snd_seq_ev_clear(&ev);
	snd_seq_ev_set_sysex(&ev, 256, msg);
	assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	size_t before = c.n;
	assert_true(before > 0);
	alsaev_in_reset(&in);
	for (size_t at = 512; at < sizeof msg; at += 256) { /* 256..511 lost */
		size_t len = sizeof msg - at < 256 ? sizeof msg - at : 256;
		snd_seq_ev_clear(&ev);
		snd_seq_ev_set_sysex(&ev, (unsigned)len, msg + at);
		assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	}
	assert_int_equal(c.n, before); /* the end of it (F7 included) dropped */
	snd_seq_ev_clear(&ev);
	snd_seq_ev_set_noteon(&ev, 0, 60, 100);
	assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	assert_int_equal(c.n, before + 1);
	assert_int_equal(c.p[before].w[0], 0x20903C64);
	sysex_msg(msg, 20);
	snd_seq_ev_clear(&ev);
	snd_seq_ev_set_sysex(&ev, 20, msg);
	c.n = 0;
	assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &c), 0);
	assert_int_equal(bytes_of(&c, got, sizeof got), 20);
	assert_memory_equal(got, msg, 20);
	alsaev_in_free(&in);
}

struct evcap {
	snd_seq_event_t ev[64];
	uint8_t sx[16384];
	size_t nsx, n, nsxev;
	int bad_chunk;
};

static int ev_cb(void *ctx, snd_seq_event_t *ev)
{
	struct evcap *c = ctx;
	if (ev->type == SND_SEQ_EVENT_SYSEX) {
		size_t len = ev->data.ext.len;
		if (len > ALSAEV_SYSEX_CHUNK || c->nsx + len > sizeof c->sx)
			c->bad_chunk = 1;
		else
			memcpy(c->sx + c->nsx, ev->data.ext.ptr, len);
		c->nsx += len;
		c->nsxev++;
		return 0;
	}
	assert_true(c->n < 64);
	c->ev[c->n++] = *ev;
	return 0;
}

static void test_out_channel(void **state)
{
	struct alsaev_out out;
	static struct evcap c;
	memset(&c, 0, sizeof c);
	assert_int_equal(alsaev_out_init(&out), 0);
	midi_ump p = {{0x20923C64}};
	assert_int_equal(alsaev_out_put(&out, &p, ev_cb, &c), 0);
	p.w[0] = 0x20B10763;
	assert_int_equal(alsaev_out_put(&out, &p, ev_cb, &c), 0);
	p.w[0] = 0x20E00040;
	assert_int_equal(alsaev_out_put(&out, &p, ev_cb, &c), 0);
	p.w[0] = 0x10F80000;
	assert_int_equal(alsaev_out_put(&out, &p, ev_cb, &c), 0);
	p.w[0] = 0x00000000; /* NOOP: no byte form */
	assert_int_equal(alsaev_out_put(&out, &p, ev_cb, &c), 0);
	alsaev_out_free(&out);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.ev[0].type, SND_SEQ_EVENT_NOTEON);
	assert_int_equal(c.ev[0].data.note.channel, 2);
	assert_int_equal(c.ev[0].data.note.note, 60);
	assert_int_equal(c.ev[0].data.note.velocity, 100);
	assert_int_equal(c.ev[1].type, SND_SEQ_EVENT_CONTROLLER);
	assert_int_equal(c.ev[1].data.control.param, 7);
	assert_int_equal(c.ev[1].data.control.value, 99);
	assert_int_equal(c.ev[2].type, SND_SEQ_EVENT_PITCHBEND);
	assert_int_equal(c.ev[2].data.control.value, 0);
	assert_int_equal(c.ev[3].type, SND_SEQ_EVENT_CLOCK);
}

/* UMP SysEx7 of a message -> chunks -> concatenation is the message; then
 * the chunks back through alsaev_in give the same packets. */
static void test_sysex_roundtrip(void **state)
{
	static uint8_t msg[5000];
	static const size_t sizes[] = {2, 3, 8, 255, 256, 257, 512, 4096, 5000};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i];
		sysex_msg(msg, n);
		static struct cap u;
		u.n = 0;
		midi_b2u b;
		midi_b2u_init(&b, 0);
		assert_int_equal(midi_b2u_feed(&b, msg, n, cap_cb, &u), 0);
		struct alsaev_out out;
		static struct evcap c;
		memset(&c, 0, sizeof c);
		assert_int_equal(alsaev_out_init(&out), 0);
		for (size_t k = 0; k < u.n; k++)
			assert_int_equal(alsaev_out_put(&out, &u.p[k], ev_cb, &c), 0);
		alsaev_out_free(&out);
		assert_false(c.bad_chunk);
		assert_int_equal(c.nsx, n);
		assert_memory_equal(c.sx, msg, n);
		assert_int_equal(c.nsxev, (n + ALSAEV_SYSEX_CHUNK - 1) / ALSAEV_SYSEX_CHUNK);
		/* back: the chunks as events */
		struct alsaev_in in;
		static struct cap back;
		back.n = 0;
		assert_int_equal(alsaev_in_init(&in), 0);
		for (size_t at = 0; at < n; at += ALSAEV_SYSEX_CHUNK) {
			size_t len = n - at < ALSAEV_SYSEX_CHUNK ? n - at : ALSAEV_SYSEX_CHUNK;
			snd_seq_event_t ev;
			snd_seq_ev_clear(&ev);
			snd_seq_ev_set_sysex(&ev, (unsigned)len, c.sx + at);
			assert_int_equal(alsaev_in_put(&in, &ev, cap_cb, &back), 0);
		}
		alsaev_in_free(&in);
		assert_int_equal(back.n, u.n);
		assert_memory_equal(back.p, u.p, u.n * sizeof *u.p);
	}
}

static void test_addr(void **state)
{
	struct reg_slot s;
	memset(&s, 0, sizeof s);
	int c, p;
	assert_int_equal(alsa_addr_load(&s, &c, &p), -1);
	alsa_addr_store(&s, 128, 3);
	assert_int_equal(alsa_addr_load(&s, &c, &p), 0);
	assert_int_equal(c, 128);
	assert_int_equal(p, 3);
	alsa_addr_store(&s, 0, 0);
	assert_int_equal(alsa_addr_load(&s, &c, &p), 0);
	assert_int_equal(c + p, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_channel),
		cmocka_unit_test(test_in_system),
		cmocka_unit_test(test_in_ignored),
		cmocka_unit_test(test_in_sysex_split),
		cmocka_unit_test(test_in_reset),
		cmocka_unit_test(test_out_channel),
		cmocka_unit_test(test_sysex_roundtrip),
		cmocka_unit_test(test_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
