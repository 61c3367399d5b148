/* test_usbdesc.c: the MIDIStreaming descriptor parser (usbdesc.c): the
 * lab's 101-byte USB MIDI 1.0 configuration (Appendix B layout), a
 * two-cable device with named jacks, interrupt endpoints, jacks in odd
 * order, unknown descriptors, a MIDI 2.0 alternate setting (and one
 * alone), Group Terminal Block descriptors, a device that
 * is not MIDI, and broken input: every truncation, bad lengths, garbage
 * (an error naming the byte, never a crash). */
#include "testutil.h"

#include "transport/usbmidi.h"

/* The lab's device (USB MIDI 1.0 Appendix B). */
static const uint8_t lab101[] = {
	0x09, 0x02, 0x65, 0x00, 0x02, 0x01, 0x00, 0x80, 0x32, /* config */
	0x09, 0x04, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, /* Audio Control */
	0x09, 0x24, 0x01, 0x00, 0x01, 0x09, 0x00, 0x01, 0x01,
	0x09, 0x04, 0x01, 0x00, 0x02, 0x01, 0x03, 0x00, 0x00, /* MIDIStreaming */
	0x07, 0x24, 0x01, 0x00, 0x01, 0x41, 0x00,             /* MS_HEADER 1.0 */
	0x06, 0x24, 0x02, 0x01, 0x01, 0x00,                   /* IN jack 1 embedded */
	0x06, 0x24, 0x02, 0x02, 0x02, 0x00,                   /* IN jack 2 external */
	0x09, 0x24, 0x03, 0x01, 0x03, 0x01, 0x02, 0x01, 0x00, /* OUT jack 3 embedded <- 2 */
	0x09, 0x24, 0x03, 0x02, 0x04, 0x01, 0x01, 0x01, 0x00, /* OUT jack 4 external <- 1 */
	0x09, 0x05, 0x01, 0x02, 0x40, 0x00, 0x00, 0x00, 0x00, /* EP 1 OUT bulk */
	0x05, 0x25, 0x01, 0x01, 0x01,                         /* jack 1 */
	0x09, 0x05, 0x81, 0x02, 0x40, 0x00, 0x00, 0x00, 0x00, /* EP 0x81 IN bulk */
	0x05, 0x25, 0x01, 0x01, 0x03,                         /* jack 3 */
};

struct db {
	uint8_t b[1024];
	size_t n;
};

static void put(struct db *d, size_t n, const uint8_t *x)
{
	memcpy(d->b + d->n, x, n);
	d->n += n;
}
#define PUT(d, ...)                                                                        \
	do {                                                                               \
		const uint8_t x_[] = {__VA_ARGS__};                                        \
		put(d, sizeof x_, x_);                                                     \
	} while (0)

static void finish(struct db *d)
{
	d->b[2] = d->n & 0xFF;
	d->b[3] = (uint8_t)(d->n >> 8);
}

/* A two-cable device with named jacks: OUT endpoint cables are embedded IN
 * jacks 0x11, 0x12 (iJack 4, 5); IN endpoint cables are embedded OUT jacks
 * 0x21, 0x22 (iJack 6, 7). ep_type 2 bulk, 3 interrupt; odd: jacks in odd
 * order, a vendor descriptor, an OUT jack one byte short; midi2: alt 1 with
 * bcdMSC 2.0 after alt 0. */
static void two_cable(struct db *d, unsigned ep_type, int odd, int midi2)
{
	d->n = 0;
	PUT(d, 0x09, 0x02, 0, 0, 0x02, 0x01, 0x00, 0x80, 0x32);
	PUT(d, 0x08, 0x0B, 0x00, 0x02, 0x01, 0x01, 0x00, 0x00); /* IAD */
	PUT(d, 0x09, 0x04, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00);
	PUT(d, 0x09, 0x24, 0x01, 0x00, 0x01, 0x09, 0x00, 0x01, 0x01);
	PUT(d, 0x09, 0x04, 0x01, 0x00, 0x02, 0x01, 0x03, 0x00, 0x09);
	PUT(d, 0x07, 0x24, 0x01, 0x00, 0x01, 0x41, 0x00);
	if (odd) {
		PUT(d, 0x09, 0x24, 0x03, 0x01, 0x22, 0x01, 0x32, 0x01, 0x07);
		PUT(d, 0x04, 0xFF, 0xAB, 0xCD);                          /* vendor */
		PUT(d, 0x06, 0x24, 0x02, 0x02, 0x31, 0x00);
		PUT(d, 0x06, 0x24, 0x02, 0x01, 0x12, 0x05);
		PUT(d, 0x09, 0x24, 0x03, 0x02, 0x42, 0x01, 0x12, 0x01, 0x00);
		/* two sources need 7 + 2 * 2 = 11 bytes: this one is 10 */
		PUT(d, 0x0A, 0x24, 0x03, 0x01, 0x21, 0x02, 0x31, 0x01, 0x32, 0x01);
	} else {
		PUT(d, 0x06, 0x24, 0x02, 0x01, 0x11, 0x04);
		PUT(d, 0x06, 0x24, 0x02, 0x01, 0x12, 0x05);
		PUT(d, 0x06, 0x24, 0x02, 0x02, 0x31, 0x00);
		PUT(d, 0x06, 0x24, 0x02, 0x02, 0x32, 0x00);
		PUT(d, 0x09, 0x24, 0x03, 0x01, 0x21, 0x01, 0x31, 0x01, 0x06);
		PUT(d, 0x09, 0x24, 0x03, 0x01, 0x22, 0x01, 0x32, 0x01, 0x07);
		PUT(d, 0x09, 0x24, 0x03, 0x02, 0x41, 0x01, 0x11, 0x01, 0x00);
		PUT(d, 0x09, 0x24, 0x03, 0x02, 0x42, 0x01, 0x12, 0x01, 0x00);
	}
	PUT(d, 0x09, 0x05, 0x02, (uint8_t)ep_type, 0x40, 0x00, 0x01, 0x00, 0x00);
	PUT(d, 0x06, 0x25, 0x01, 0x02, 0x11, 0x12);
	PUT(d, 0x09, 0x05, 0x83, (uint8_t)ep_type, 0x20, 0x00, 0x01, 0x00, 0x00);
	PUT(d, 0x06, 0x25, 0x01, 0x02, 0x21, 0x22);
	if (midi2) {
		PUT(d, 0x09, 0x04, 0x01, 0x01, 0x02, 0x01, 0x03, 0x00, 0x00);
		PUT(d, 0x07, 0x24, 0x01, 0x00, 0x02, 0x07, 0x00);
		PUT(d, 0x05, 0x26, 0x01, 0x12, 0x00); /* GTB header */
		PUT(d, 0x07, 0x05, 0x04, 0x02, 0x00, 0x02, 0x00);
		PUT(d, 0x05, 0x25, 0x02, 0x01, 0x01); /* MS_GENERAL_2_0 */
		PUT(d, 0x07, 0x05, 0x85, 0x02, 0x00, 0x02, 0x00);
		PUT(d, 0x05, 0x25, 0x02, 0x01, 0x01);
	}
	finish(d);
}

static int parse(const uint8_t *b, size_t n, struct usbmidi_conf *c, char *err)
{
	err[0] = '\0';
	return usbmidi_parse_config(b, n, c, err, 160);
}

static void test_lab_device(void **state)
{
	struct usbmidi_conf c;
	char err[160];
	assert_int_equal(sizeof lab101, 101);
	assert_int_equal(parse(lab101, sizeof lab101, &c, err), 1);
	assert_int_equal(c.value, 1);
	assert_int_equal(c.nac, 1); /* the Audio Control interface */
	assert_int_equal(c.ac[0], 0);
	const struct usbmidi_if *f = &c.ifs[0];
	assert_int_equal(f->number, 1);
	assert_int_equal(f->alt, 0);
	assert_int_equal(f->has_midi2, 0);
	assert_int_equal(f->bcd_msc, 0x0100);
	assert_int_equal(f->njacks, 4);
	assert_int_equal(f->neps, 2);
	assert_int_equal(f->eps[0].addr, 0x01);
	assert_int_equal(f->eps[0].attr & 3, 2);
	assert_int_equal(f->eps[0].maxpkt, 64);
	assert_int_equal(f->eps[0].ncables, 1);
	assert_int_equal(f->eps[0].jack[0], 1);
	assert_int_equal(f->eps[1].addr, 0x81);
	assert_int_equal(f->eps[1].jack[0], 3);
	const struct usbmidi_jack *j = usbmidi_jack_find(f, 3);
	assert_non_null(j);
	assert_int_equal(j->out, 1);
	assert_int_equal(j->type, 1);
	assert_int_equal(j->nsrc, 1);
	assert_int_equal(j->src[0], 2);
	assert_null(usbmidi_jack_find(f, 9));
	assert_int_equal(usbmidi_cable_name(f, &f->eps[0], 0), 0); /* no names */
	assert_int_equal(usbmidi_cable_name(f, &f->eps[0], 1), 0); /* no cable 1 */
}

static void check_two_cable(const struct usbmidi_conf *c, unsigned ep_type)
{
	const struct usbmidi_if *f = &c->ifs[0];
	assert_int_equal(f->number, 1);
	assert_int_equal(f->iinterface, 9);
	assert_int_equal(f->neps, 2);
	assert_int_equal(f->eps[0].addr, 0x02);
	assert_int_equal(f->eps[0].attr & 3, ep_type);
	assert_int_equal(f->eps[0].interval, 1);
	assert_int_equal(f->eps[1].addr, 0x83);
	assert_int_equal(f->eps[1].maxpkt, 32);
	assert_int_equal(f->eps[0].ncables, 2);
	assert_int_equal(f->eps[1].ncables, 2);
	assert_int_equal(usbmidi_cable_name(f, &f->eps[0], 0), 4);
	assert_int_equal(usbmidi_cable_name(f, &f->eps[0], 1), 5);
	assert_int_equal(usbmidi_cable_name(f, &f->eps[1], 0), 6);
	assert_int_equal(usbmidi_cable_name(f, &f->eps[1], 1), 7);
}

static void test_two_cables_named(void **state)
{
	struct db d;
	struct usbmidi_conf c;
	char err[160];
	two_cable(&d, 2, 0, 0);
	assert_int_equal(parse(d.b, d.n, &c, err), 1);
	assert_int_equal(c.ifs[0].njacks, 8);
	check_two_cable(&c, 2);
}

static void test_interrupt_endpoints(void **state)
{
	struct db d;
	struct usbmidi_conf c;
	char err[160];
	two_cable(&d, 3, 0, 0);
	assert_int_equal(parse(d.b, d.n, &c, err), 1);
	check_two_cable(&c, 3);
}

/* An OUT jack whose descriptor is one byte short for its input pins. */
static void test_short_out_jack(void **state)
{
	struct db d;
	struct usbmidi_conf c;
	char err[160];
	two_cable(&d, 2, 1, 0);
	assert_int_equal(parse(d.b, d.n, &c, err), -1);
	assert_non_null(strstr(err, "MIDI OUT jack descriptor at byte"));
	assert_non_null(strstr(err, "needs 11"));
}

/* Jacks in odd order (OUT before IN, ids out of order), unknown
 * descriptors and subtypes between them, endpoints IN first, an
 * isochronous endpoint that is not MIDI; names found through connections. */
static void test_odd_jack_layout(void **state)
{
	struct db d;
	struct usbmidi_conf c;
	char err[160];
	d.n = 0;
	PUT(&d, 0x09, 0x02, 0, 0, 0x01, 0x01, 0x00, 0x80, 0x32);
	PUT(&d, 0x09, 0x04, 0x00, 0x00, 0x02, 0x01, 0x03, 0x00, 0x00); /* MS as interface 0 */
	PUT(&d, 0x07, 0x24, 0x01, 0x00, 0x01, 0x41, 0x00);
	PUT(&d, 0x0B, 0x24, 0x03, 0x01, 0x21, 0x02, 0x31, 0x01, 0x32, 0x01, 0x00); /* 2 sources */
	PUT(&d, 0x03, 0x99, 0x00);                                            /* unknown */
	PUT(&d, 0x06, 0x24, 0x02, 0x02, 0x32, 0x08);                          /* ext IN, named */
	PUT(&d, 0x06, 0x24, 0x02, 0x01, 0x12, 0x00);                          /* emb IN, unnamed */
	PUT(&d, 0x05, 0x24, 0x0F, 0x00, 0x00);                                /* unknown subtype */
	PUT(&d, 0x09, 0x24, 0x03, 0x02, 0x42, 0x01, 0x12, 0x01, 0x0A);        /* ext OUT <- 0x12 */
	PUT(&d, 0x09, 0x05, 0x83, 0x02, 0x40, 0x00, 0x00, 0x00, 0x00);
	PUT(&d, 0x05, 0x25, 0x01, 0x01, 0x21);
	PUT(&d, 0x09, 0x05, 0x04, 0x02, 0x40, 0x00, 0x00, 0x00, 0x00);
	PUT(&d, 0x05, 0x25, 0x01, 0x01, 0x12);
	PUT(&d, 0x07, 0x05, 0x86, 0x01, 0x40, 0x00, 0x01); /* isochronous: not MIDI */
	PUT(&d, 0x05, 0x25, 0x01, 0x01, 0x12);
	finish(&d);
	assert_int_equal(parse(d.b, d.n, &c, err), 1);
	const struct usbmidi_if *f = &c.ifs[0];
	assert_int_equal(f->number, 0);
	assert_int_equal(f->njacks, 4);
	assert_int_equal(f->neps, 2);
	assert_int_equal(f->eps[0].addr, 0x83);
	assert_int_equal(f->eps[1].addr, 0x04);
	/* IN endpoint cable 0 = OUT jack 0x21, unnamed: named by its source 0x32 */
	assert_int_equal(usbmidi_cable_name(f, &f->eps[0], 0), 8);
	/* OUT endpoint cable 0 = IN jack 0x12, unnamed: named by jack 0x42 it feeds */
	assert_int_equal(usbmidi_cable_name(f, &f->eps[1], 0), 0x0A);
	const struct usbmidi_jack *j = usbmidi_jack_find(f, 0x21);
	assert_int_equal(j->nsrc, 2);
	assert_int_equal(j->src[1], 0x32);
}

static void test_midi2_alt(void **state)
{
	struct db d;
	struct usbmidi_conf c;
	char err[160];
	two_cable(&d, 2, 0, 1);
	assert_int_equal(parse(d.b, d.n, &c, err), 1);
	check_two_cable(&c, 2);
	assert_int_equal(c.ifs[0].alt, 0);
	assert_int_equal(c.ifs[0].has_midi2, 1);
	assert_int_equal(c.ifs[0].midi2_alt, 1);
	/* the MIDI 2.0 setting's endpoints, each carrying Group Terminal Block 1 */
	assert_int_equal(c.ifs[0].neps2, 2);
	assert_int_equal(c.ifs[0].eps2[0].addr, 0x04);
	assert_int_equal(c.ifs[0].eps2[0].maxpkt, 512);
	assert_int_equal(c.ifs[0].eps2[0].ncables, 1);
	assert_int_equal(c.ifs[0].eps2[0].jack[0], 1);
	assert_int_equal(c.ifs[0].eps2[1].addr, 0x85);
	/* a MS_GENERAL_2_0 naming more blocks than it holds: an error */
	d.b[d.n - 2] = 3;
	assert_int_equal(parse(d.b, d.n, &c, err), -1);
	assert_non_null(strstr(err, "MS_GENERAL_2_0 endpoint descriptor at byte"));
}

/* An interface with only a MIDI 2.0 setting is kept (no MIDI 1.0 endpoints). */
static void test_midi2_only(void **state)
{
	struct db d = {.n = 0};
	struct usbmidi_conf c;
	char err[160];
	PUT(&d, 0x09, 0x02, 0, 0, 0x01, 0x01, 0x00, 0x80, 0x32);
	PUT(&d, 0x09, 0x04, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00); /* alt 0: nothing */
	PUT(&d, 0x07, 0x24, 0x01, 0x00, 0x01, 0x07, 0x00);
	PUT(&d, 0x09, 0x04, 0x00, 0x01, 0x02, 0x01, 0x03, 0x00, 0x00);
	PUT(&d, 0x07, 0x24, 0x01, 0x00, 0x02, 0x07, 0x00);
	PUT(&d, 0x07, 0x05, 0x01, 0x03, 0x40, 0x00, 0x01);          /* interrupt */
	PUT(&d, 0x06, 0x25, 0x02, 0x02, 0x01, 0x02);
	PUT(&d, 0x07, 0x05, 0x81, 0x03, 0x40, 0x00, 0x01);
	PUT(&d, 0x05, 0x25, 0x02, 0x01, 0x02);
	finish(&d);
	assert_int_equal(parse(d.b, d.n, &c, err), 1);
	assert_int_equal(c.ifs[0].neps, 0);
	assert_int_equal(c.ifs[0].neps2, 2);
	assert_int_equal(c.ifs[0].midi2_alt, 1);
	assert_int_equal(c.ifs[0].eps2[0].attr & 3, 3);
	assert_int_equal(c.ifs[0].eps2[0].ncables, 2);
	assert_int_equal(c.ifs[0].eps2[0].jack[1], 2);
}

/* Group Terminal Blocks (USB MIDI 2.0 5.4): the lab's gfsmidi block, two
 * blocks, every truncation, blocks past group 16, other descriptors. */
static void test_gtb(void **state)
{
	struct usbmidi_gtb g[USBMIDI_MAX_GTBS];
	char err[160];
	const uint8_t lab[] = {5, 0x26, 1, 18, 0, 13, 0x26, 2, 1, 0, 0, 1, 0, 0x11, 0, 0, 0, 0};
	assert_int_equal(usbmidi_parse_gtb(lab, sizeof lab, g, USBMIDI_MAX_GTBS, err, sizeof err), 1);
	assert_int_equal(g[0].id, 1);
	assert_int_equal(g[0].type, 0);
	assert_int_equal(g[0].first_group, 0);
	assert_int_equal(g[0].ngroups, 1);
	assert_int_equal(g[0].protocol, 0x11);
	assert_false(usbmidi_gtb_midi1(g[0].protocol));
	const uint8_t two[] = {5, 0x26, 1, 33, 0,
			       13, 0x26, 2, 1, 0, 0, 1, 6, 0x11, 0x10, 0, 0x20, 0,
			       2, 0x99,                                   /* unknown: skipped */
			       13, 0x26, 2, 7, 2, 4, 12, 7, 0x02, 1, 0, 0, 0};
	assert_int_equal(usbmidi_parse_gtb(two, sizeof two, g, USBMIDI_MAX_GTBS, err, sizeof err), 2);
	assert_int_equal(g[0].iblock, 6);
	assert_int_equal(g[0].max_in_bw, 0x10);
	assert_int_equal(g[0].max_out_bw, 0x20);
	assert_int_equal(g[1].id, 7);
	assert_int_equal(g[1].type, 2);
	assert_int_equal(g[1].first_group, 4);
	assert_int_equal(g[1].ngroups, 12);
	assert_true(usbmidi_gtb_midi1(g[1].protocol));
	assert_int_equal(usbmidi_parse_gtb(two, sizeof two, g, 1, err, sizeof err), 1); /* max */
	for (size_t n = 0; n < sizeof two; n++) /* every truncation: an error */
		assert_int_equal(usbmidi_parse_gtb(two, n, g, USBMIDI_MAX_GTBS, err, sizeof err), -1);
	uint8_t bad[sizeof two];
	memcpy(bad, two, sizeof two);
	bad[20 + 6] = 13; /* groups 5..17 */
	assert_int_equal(usbmidi_parse_gtb(bad, sizeof bad, g, USBMIDI_MAX_GTBS, err, sizeof err), -1);
	assert_non_null(strstr(err, "Group Terminal Block 7 at byte 20"));
	memcpy(bad, two, sizeof two);
	bad[5] = 12; /* a block one byte short */
	assert_int_equal(usbmidi_parse_gtb(bad, sizeof bad, g, USBMIDI_MAX_GTBS, err, sizeof err), -1);
	assert_non_null(strstr(err, "byte 5"));
	const uint8_t cfg[] = {9, 2, 9, 0, 1, 1, 0, 0x80, 50}; /* not a block header */
	assert_int_equal(usbmidi_parse_gtb(cfg, sizeof cfg, g, USBMIDI_MAX_GTBS, err, sizeof err), -1);
}

/* Endpoints with no class descriptor: cables 0. No MS_HEADER: MIDI 1.0. */
static void test_no_class_descriptors(void **state)
{
	struct db d;
	struct usbmidi_conf c;
	char err[160];
	d.n = 0;
	PUT(&d, 0x09, 0x02, 0, 0, 0x01, 0x01, 0x00, 0x80, 0x32);
	PUT(&d, 0x09, 0x04, 0x00, 0x00, 0x02, 0x01, 0x03, 0x00, 0x00);
	PUT(&d, 0x07, 0x05, 0x01, 0x02, 0x40, 0x00, 0x00);
	PUT(&d, 0x07, 0x05, 0x81, 0x02, 0x40, 0x00, 0x00);
	finish(&d);
	assert_int_equal(parse(d.b, d.n, &c, err), 1);
	assert_int_equal(c.ifs[0].neps, 2);
	assert_int_equal(c.ifs[0].eps[0].ncables, 0);
	assert_int_equal(c.ifs[0].bcd_msc, 0);
}

static void test_not_midi(void **state)
{
	struct db d;
	struct usbmidi_conf c;
	char err[160];
	d.n = 0;
	PUT(&d, 0x09, 0x02, 0, 0, 0x01, 0x01, 0x00, 0x80, 0x32);
	PUT(&d, 0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00); /* mass storage */
	PUT(&d, 0x07, 0x05, 0x01, 0x02, 0x00, 0x02, 0x00);
	PUT(&d, 0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00);
	PUT(&d, 0x09, 0x04, 0x01, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00); /* MS, no endpoints */
	finish(&d);
	assert_int_equal(parse(d.b, d.n, &c, err), 0);
	assert_int_equal(c.nifs, 0);
}

/* Every truncation of the lab device is an error, never a read past n. */
static void test_truncated(void **state)
{
	struct usbmidi_conf c;
	char err[160];
	for (size_t n = 0; n < sizeof lab101; n++) {
		uint8_t *b = malloc(n ? n : 1); /* exact size: ASan sees any overread */
		memcpy(b, lab101, n);
		assert_int_equal(parse(b, n, &c, err), -1);
		assert_true(err[0] != '\0');
		free(b);
	}
	parse(lab101, 50, &c, err);
	assert_string_equal(err, "configuration descriptor is truncated: 50 of 101 bytes");
}

/* wTotalLength shortened to end inside a descriptor, zero and one-byte
 * lengths, class descriptors too short for their contents. */
static void test_bad_lengths(void **state)
{
	struct usbmidi_conf c;
	char err[160];
	uint8_t b[sizeof lab101];

	memcpy(b, lab101, sizeof b);
	b[2] = 60; /* ends inside jack 3's descriptor (bytes 55-63) */
	assert_int_equal(parse(b, sizeof b, &c, err), -1);
	assert_string_equal(err, "descriptor at byte 55 (9 bytes) runs past the end (60)");

	memcpy(b, lab101, sizeof b);
	b[43] = 0; /* jack 1's length */
	assert_int_equal(parse(b, sizeof b, &c, err), -1);
	assert_string_equal(err, "descriptor at byte 43 has length 0");

	memcpy(b, lab101, sizeof b);
	b[43] = 1;
	assert_int_equal(parse(b, sizeof b, &c, err), -1);
	assert_string_equal(err, "descriptor at byte 43 has length 1");

	memcpy(b, lab101, sizeof b);
	b[2] = 8; /* total shorter than the header */
	assert_int_equal(parse(b, sizeof b, &c, err), -1);

	memcpy(b, lab101, sizeof b);
	b[1] = 1; /* a device descriptor, not a configuration */
	assert_int_equal(parse(b, sizeof b, &c, err), -1);
	assert_non_null(strstr(err, "not a configuration descriptor"));

	/* MS_GENERAL claiming 5 jacks in 5 bytes */
	memcpy(b, lab101, sizeof b);
	b[85] = 5;
	assert_int_equal(parse(b, sizeof b, &c, err), -1);
	assert_string_equal(err, "MS_GENERAL endpoint descriptor at byte 82 is 5 bytes for 5 jacks");

	/* an OUT jack claiming 3 input pins in 9 bytes */
	memcpy(b, lab101, sizeof b);
	b[60] = 3;
	assert_int_equal(parse(b, sizeof b, &c, err), -1);
	assert_string_equal(err, "MIDI OUT jack descriptor at byte 55 is 9 bytes, needs 13");
}

/* Random bytes behind a valid header, and random corruptions of the lab
 * device: a result or an error, every time, within the buffer. */
static void test_garbage(void **state)
{
	struct usbmidi_conf c;
	char err[160];
	srand(9);
	for (int i = 0; i < 20000; i++) {
		size_t n = i % 2 ? 9 + (size_t)rand() % 200 : sizeof lab101;
		uint8_t *b = malloc(n);
		if (i % 2) {
			for (size_t k = 0; k < n; k++)
				b[k] = (uint8_t)rand();
			b[0] = 9;
			b[1] = 2;
		} else {
			memcpy(b, lab101, n);
			for (int k = 0; k < 1 + rand() % 4; k++)
				b[9 + (size_t)rand() % (n - 9)] = (uint8_t)rand();
		}
		if (i % 3 == 0) {
			b[2] = n & 0xFF;
			b[3] = (uint8_t)(n >> 8);
		}
		int r = parse(b, n, &c, err);
		assert_true(r >= -1 && r <= USBMIDI_MAX_IFS);
		if (r < 0)
			assert_true(err[0] != '\0');
		for (int k = 0; k < r; k++) {
			assert_true(c.ifs[k].neps <= USBMIDI_MAX_EPS);
			assert_true(c.ifs[k].njacks <= USBMIDI_MAX_JACKS);
			for (size_t e = 0; e < c.ifs[k].neps; e++)
				for (unsigned cb = 0; cb <= 16; cb++)
					usbmidi_cable_name(&c.ifs[k], &c.ifs[k].eps[e], cb);
		}
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_device),
		cmocka_unit_test(test_two_cables_named),
		cmocka_unit_test(test_interrupt_endpoints),
		cmocka_unit_test(test_short_out_jack),
		cmocka_unit_test(test_odd_jack_layout),
		cmocka_unit_test(test_midi2_alt),
		cmocka_unit_test(test_midi2_only),
		cmocka_unit_test(test_gtb),
		cmocka_unit_test(test_no_class_descriptors),
		cmocka_unit_test(test_not_midi),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
