/* test_discovery.c: UMP Stream discovery (midi/discovery.h): exact words of
 * known packets, a responder and an asking side talking through an
 * in-memory loop until the info equals the declaration (longest names, 32
 * function blocks, identity), protocol and JR negotiation, refusals, names
 * at every length, filters, single-block discovery, hostile devices, change
 * bits after completion, declaration checks. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "discovery/discovery_priv.h"

#define QMAX 2048

typedef struct queue {
	midi_ump p[QMAX];
	size_t n, head;
} queue;

static int push(void *ctx, const midi_ump *p)
{
	queue *q = ctx;
	assert_true(q->n < QMAX);
	q->p[q->n++] = *p;
	return 0;
}

static unsigned st_of(const midi_ump *p) { return (p->w[0] >> 16) & 0x3FF; }
static unsigned form_of(const midi_ump *p) { return (p->w[0] >> 26) & 3; }

/* A wire between an asking side and a device: everything each one emits
 * is delivered to the other until both are quiet. Counts what went where. */
typedef struct wire {
	queue to_dev, to_host;
	size_t config_requests;
	size_t host_sent, dev_sent;
} wire;

static void run_link(wire *l, midi_device_decl *dev, midi_discovery *disc)
{
	for (;;) {
		if (l->to_dev.head < l->to_dev.n) {
			midi_ump p = l->to_dev.p[l->to_dev.head++];
			if (st_of(&p) == MIDI_STREAM_CONFIG_REQUEST)
				l->config_requests++;
			size_t before = l->to_host.n;
			assert_int_equal(midi_responder_put(dev, &p, push, &l->to_host), 0);
			l->dev_sent += l->to_host.n - before;
		} else if (l->to_host.head < l->to_host.n) {
			midi_ump p = l->to_host.p[l->to_host.head++];
			size_t before = l->to_dev.n;
			assert_int_equal(midi_discovery_put(disc, &p, push, &l->to_dev), 0);
			l->host_sent += l->to_dev.n - before;
		} else {
			return;
		}
	}
}

static wire *discover(midi_device_decl *dev, midi_discovery *disc, midi_endpoint_info *info,
		      unsigned want_protocol, unsigned want_jr)
{
	static wire l;
	memset(&l, 0, sizeof l);
	discovery_init(disc, info, (uint8_t)want_protocol, (uint8_t)want_jr);
	assert_int_equal(midi_discovery_start(disc, push, &l.to_dev), 0);
	run_link(&l, dev, disc);
	return &l;
}

static void fill(char *s, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		s[i] = (char)('!' + (i * 7 + seed) % 90);
	s[len] = 0;
}

static void assert_ump(const midi_ump *p, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	assert_int_equal(p->w[0], a);
	assert_int_equal(p->w[1], b);
	assert_int_equal(p->w[2], c);
	assert_int_equal(p->w[3], d);
}

static midi_discovery disc;
static midi_endpoint_info info;
static midi_device_decl dev;
static queue q;

static int setup(void **state)
{
	(void)state;
	memset(&disc, 0, sizeof disc);
	memset(&info, 0, sizeof info);
	memset(&q, 0, sizeof q);
	midi_device_decl_init(&dev, "Synth");
	return 0;
}

static void put_dev(uint32_t w0, uint32_t w1)
{
	midi_ump p = {{w0, w1, 0, 0}};
	q.n = q.head = 0;
	assert_int_equal(midi_responder_put(&dev, &p, push, &q), 0);
}

static void put_host(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3)
{
	midi_ump p = {{w0, w1, w2, w3}};
	q.n = q.head = 0;
	assert_int_equal(midi_discovery_put(&disc, &p, push, &q), 0);
}

static void test_start_words(void **state)
{
	(void)state;
	discovery_init(&disc, &info, 0, 0);
	assert_int_equal(midi_discovery_start(&disc, push, &q), 0);
	assert_int_equal(q.n, 2);
	assert_ump(&q.p[0], 0xF0000101, 0x0000001F, 0, 0);
	assert_ump(&q.p[1], 0xF010FF03, 0, 0, 0);
}

static void test_reply_words(void **state)
{
	(void)state;
	dev.has_identity = 1;
	dev.identity_manufacturer[1] = 0x21;
	dev.identity_manufacturer[2] = 0x09;
	dev.identity_family = 0x1234;
	dev.identity_model = 0x0102;
	memcpy(dev.identity_version, "\x01\x02\x03\x04", 4);
	strcpy(dev.product_instance_id, "SN-0001");
	put_dev(0xF0000101, 0x1F);
	assert_int_equal(q.n, 5);
	/* UMP 1.1, 1 block, MIDI 2.0 + 1.0, no JR */
	assert_ump(&q.p[0], 0xF0010101, 0x01000300, 0, 0);
	assert_ump(&q.p[1], 0xF0020000, 0x00002109, 0x34240202, 0x01020304);
	/* "Synth" in one Complete packet */
	assert_ump(&q.p[2], 0xF0035379, 0x6E746800, 0, 0);
	assert_ump(&q.p[3], 0xF004534E, 0x2D303030, 0x31000000, 0);
	assert_ump(&q.p[4], 0xF0060200, 0, 0, 0);

	put_dev(0xF010FF03, 0);
	assert_int_equal(q.n, 2);
	/* active, block 0, UI hint both, not MIDI 1.0, bidirectional; group 1, 1 group */
	assert_ump(&q.p[0], 0xF0118033, 0x00010000, 0, 0);
	assert_ump(&q.p[1], 0xF0120053, 0x796E7468, 0, 0);

	/* static blocks, JR both ways supported: bits in Endpoint Info */
	dev.static_fb = 1;
	dev.jr_rx = dev.jr_tx = 1;
	dev.protocols = 2;
	put_dev(0xF0000101, MIDI_DISCOVER_EP_INFO);
	assert_int_equal(q.n, 1);
	assert_ump(&q.p[0], 0xF0010101, 0x81000203, 0, 0);
}

static void test_config_words(void **state)
{
	(void)state;
	dev.jr_rx = dev.jr_tx = 1;
	/* request MIDI 1.0 with JR both ways: applied, notified */
	put_dev(0xF0050103, 0);
	assert_int_equal(q.n, 1);
	assert_ump(&q.p[0], 0xF0060103, 0, 0, 0);
	assert_int_equal(dev.protocol, 1);
	assert_int_equal(dev.jr_rx_on, 1);
	assert_int_equal(dev.jr_tx_on, 1);
}

static void test_unsupported_request_refused(void **state)
{
	(void)state;
	dev.protocols = 1;
	dev.protocol = 1;
	/* MIDI 2.0 and JR asked of a MIDI 1.0 device without JR: state kept */
	put_dev(0xF0050203, 0);
	assert_int_equal(q.n, 1);
	assert_ump(&q.p[0], 0xF0060100, 0, 0, 0);
	assert_int_equal(dev.protocol, 1);
	/* protocol 7 does not exist */
	dev.protocols = 3;
	put_dev(0xF0050700, 0);
	assert_ump(&q.p[0], 0xF0060100, 0, 0, 0);
	/* only JR tx supported: rx refused, tx granted */
	dev.jr_tx = 1;
	put_dev(0xF0050103, 0);
	assert_ump(&q.p[0], 0xF0060101, 0, 0, 0);

	/* the asking side does not even ask for what is unsupported */
	midi_device_decl_init(&dev, "Old");
	dev.protocols = 1;
	dev.protocol = 1;
	wire *l = discover(&dev, &disc, &info, 2, MIDI_DISC_JR_ON);
	assert_int_equal(l->config_requests, 0);
	assert_true(midi_discovery_complete(&disc));
	assert_int_equal(info.protocol, 1);
	assert_int_equal(info.flags & (MIDI_EPF_JR_RX | MIDI_EPF_JR_TX), 0);
}

/* A rich declaration: longest names, 32 blocks, identity, JR caps. */
static void rich_decl(midi_device_decl *d)
{
	midi_device_decl_init(d, NULL);
	/* 98 bytes with 2- and 3-byte UTF-8 sequences */
	char name[MIDI_UMP_EP_NAME_MAX + 1] = "Synth \xc3\xa9\xe2\x82\xac ";
	size_t n = strlen(name);
	fill(name + n, MIDI_UMP_EP_NAME_MAX - n, 3);
	strcpy(d->name, name);
	fill(d->product_instance_id, MIDI_UMP_PIID_MAX, 5);
	d->static_fb = 1;
	d->jr_rx = d->jr_tx = 1;
	d->has_identity = 1;
	d->identity_manufacturer[0] = 0x41;
	d->identity_family = 0x3FFF;
	d->identity_model = 0x2AAA;
	memcpy(d->identity_version, "\x7f\x00\x01\x55", 4);
	d->num_function_blocks = MIDI_FB_MAX;
	for (unsigned i = 0; i < MIDI_FB_MAX; i++) {
		midi_function_block *b = &d->fb[i];
		b->index = (uint8_t)i;
		b->active = i % 3 != 0;
		b->direction = 1 + i % 3;
		b->first_group = i % 16;
		b->num_groups = (uint8_t)(1 + (15 - b->first_group) * (i % 2));
		b->midi1 = i % 3;
		b->ui_hint = i % 4;
		b->ci_version = (uint8_t)(i * 5);
		b->sysex8_streams = (uint8_t)(255 - i);
		fill(b->name, MIDI_UMP_FB_NAME_MAX - (i % 2) * i, i);
	}
}

static void assert_info_matches(const midi_device_decl *d, const midi_endpoint_info *in)
{
	assert_string_equal(in->ump_name, d->name);
	assert_string_equal(in->product_instance_id, d->product_instance_id);
	assert_int_equal(in->ump_version_major, d->ump_version_major);
	assert_int_equal(in->ump_version_minor, d->ump_version_minor);
	assert_int_equal(in->protocols, d->protocols);
	assert_int_equal(in->protocol, d->protocol);
	assert_int_equal(!!(in->flags & MIDI_EPF_JR_RX), d->jr_rx_on);
	assert_int_equal(!!(in->flags & MIDI_EPF_JR_TX), d->jr_tx_on);
	assert_int_equal(!!(in->flags & MIDI_EPF_STATIC_FB), d->static_fb);
	assert_true(in->flags & MIDI_EPF_DISCOVERED);
	assert_int_equal(in->has_identity, d->has_identity);
	if (d->has_identity) {
		assert_memory_equal(in->identity_manufacturer, d->identity_manufacturer, 3);
		assert_int_equal(in->identity_family, d->identity_family);
		assert_int_equal(in->identity_model, d->identity_model);
		assert_memory_equal(in->identity_version, d->identity_version, 4);
	}
	assert_int_equal(in->num_function_blocks, d->num_function_blocks);
	for (unsigned i = 0; i < d->num_function_blocks; i++)
		assert_memory_equal(&in->fb[i], &d->fb[i], sizeof d->fb[i]);
}

static void test_loop_full(void **state)
{
	(void)state;
	rich_decl(&dev);
	assert_int_equal(midi_device_decl_check(&dev, NULL), 0);
	assert_int_equal(strlen(dev.name), 98);
	strcpy(info.transport_name, "transport name");
	wire *l = discover(&dev, &disc, &info, 0, MIDI_DISC_JR_KEEP);
	assert_int_equal(l->config_requests, 0);
	assert_true(midi_discovery_complete(&disc));
	assert_info_matches(&dev, &info);
	assert_string_equal(info.name, dev.name);
	assert_int_equal(disc.got, 0x1F);
	uint32_t c = midi_discovery_take_changes(&disc);
	assert_int_equal(c, MIDI_PROP_NAME | MIDI_PROP_UMP_NAME | MIDI_PROP_PIID | MIDI_PROP_INFO |
				    MIDI_PROP_IDENTITY | MIDI_PROP_PROTOCOL |
				    MIDI_PROP_FUNCTION_BLOCKS | MIDI_PROP_DISCOVERY);
	assert_int_equal(midi_discovery_take_changes(&disc), 0);

	/* the same notifications again change nothing */
	memset(&q, 0, sizeof q);
	assert_int_equal(midi_responder_announce(&dev, push, &q), 0);
	for (size_t i = 0; i < q.n; i++)
		assert_int_equal(midi_discovery_put(&disc, &q.p[i], push, &l->to_dev), 0);
	assert_int_equal(midi_discovery_take_changes(&disc), 0);
	assert_info_matches(&dev, &info);
}

static void test_negotiate_protocol(void **state)
{
	(void)state;
	dev.protocol = 1;
	wire *l = discover(&dev, &disc, &info, 2, MIDI_DISC_JR_KEEP);
	assert_int_equal(l->config_requests, 1);
	assert_true(midi_discovery_complete(&disc));
	assert_int_equal(dev.protocol, 2);
	assert_int_equal(info.protocol, 2);
	assert_info_matches(&dev, &info);

	/* and back down to MIDI 1.0 */
	memset(&info, 0, sizeof info);
	l = discover(&dev, &disc, &info, 1, MIDI_DISC_JR_KEEP);
	assert_int_equal(l->config_requests, 1);
	assert_int_equal(dev.protocol, 1);
	assert_int_equal(info.protocol, 1);
	assert_true(midi_discovery_complete(&disc));

	/* wanted protocol already in force: no request */
	memset(&info, 0, sizeof info);
	l = discover(&dev, &disc, &info, 1, MIDI_DISC_JR_KEEP);
	assert_int_equal(l->config_requests, 0);
	assert_true(midi_discovery_complete(&disc));
}

static void test_negotiate_jr(void **state)
{
	(void)state;
	dev.jr_rx = dev.jr_tx = 1;
	wire *l = discover(&dev, &disc, &info, 0, MIDI_DISC_JR_ON);
	assert_int_equal(l->config_requests, 1);
	assert_true(midi_discovery_complete(&disc));
	assert_true(dev.jr_rx_on && dev.jr_tx_on);
	assert_int_equal(info.flags & (MIDI_EPF_JR_RX | MIDI_EPF_JR_TX),
			 MIDI_EPF_JR_RX | MIDI_EPF_JR_TX);
	assert_int_equal(info.protocol, 2);

	memset(&info, 0, sizeof info);
	l = discover(&dev, &disc, &info, 0, MIDI_DISC_JR_OFF);
	assert_int_equal(l->config_requests, 1);
	assert_true(!dev.jr_rx_on && !dev.jr_tx_on);
	assert_int_equal(info.flags & (MIDI_EPF_JR_RX | MIDI_EPF_JR_TX), 0);
	assert_true(midi_discovery_complete(&disc));

	/* only transmit supported: ON asks for exactly that */
	dev.jr_rx = 0;
	memset(&info, 0, sizeof info);
	l = discover(&dev, &disc, &info, 0, MIDI_DISC_JR_ON);
	assert_int_equal(l->config_requests, 1);
	assert_int_equal(info.flags & (MIDI_EPF_JR_RX | MIDI_EPF_JR_TX), MIDI_EPF_JR_TX);
	assert_int_equal(dev.jr_tx_on, 1);
	assert_int_equal(dev.jr_rx_on, 0);

	/* both protocol and JR in one request */
	dev.protocol = 1;
	dev.jr_tx_on = 0;
	memset(&info, 0, sizeof info);
	l = discover(&dev, &disc, &info, 2, MIDI_DISC_JR_ON);
	assert_int_equal(l->config_requests, 1);
	assert_int_equal(info.protocol, 2);
	assert_int_equal(info.flags & (MIDI_EPF_JR_RX | MIDI_EPF_JR_TX), MIDI_EPF_JR_TX);
}

static size_t count_status(const queue *qq, unsigned status)
{
	size_t n = 0;
	for (size_t i = 0; i < qq->n; i++)
		n += st_of(&qq->p[i]) == status;
	return n;
}

/* Check the forms of the name series of one status in qq. */
static void assert_series(const queue *qq, unsigned status, size_t len, size_t per)
{
	size_t want = len == 0 ? 1 : (len + per - 1) / per;
	assert_int_equal(count_status(qq, status), want);
	size_t k = 0;
	for (size_t i = 0; i < qq->n; i++) {
		if (st_of(&qq->p[i]) != status)
			continue;
		unsigned f = form_of(&qq->p[i]);
		if (want == 1)
			assert_int_equal(f, MIDI_FORM_COMPLETE);
		else if (k == 0)
			assert_int_equal(f, MIDI_FORM_START);
		else if (k + 1 == want)
			assert_int_equal(f, MIDI_FORM_END);
		else
			assert_int_equal(f, MIDI_FORM_CONTINUE);
		k++;
	}
}

static void test_names_every_length(void **state)
{
	(void)state;
	for (size_t len = 0; len <= MIDI_UMP_EP_NAME_MAX; len++) {
		midi_device_decl_init(&dev, NULL);
		fill(dev.name, len, (unsigned)len);
		fill(dev.product_instance_id, len % (MIDI_UMP_PIID_MAX + 1), (unsigned)len + 1);
		fill(dev.fb[0].name, len % (MIDI_UMP_FB_NAME_MAX + 1), (unsigned)len + 2);
		memset(&info, 0, sizeof info);
		wire *l = discover(&dev, &disc, &info, 0, 0);
		assert_true(midi_discovery_complete(&disc));
		assert_string_equal(info.ump_name, dev.name);
		assert_string_equal(info.product_instance_id, dev.product_instance_id);
		assert_string_equal(info.fb[0].name, dev.fb[0].name);
		/* empty names are not sent (endpoint, piid); block names always are */
		if (len)
			assert_series(&l->to_host, MIDI_STREAM_EP_NAME, len, 14);
		else
			assert_int_equal(count_status(&l->to_host, MIDI_STREAM_EP_NAME), 0);
		assert_series(&l->to_host, MIDI_STREAM_FB_NAME, len % (MIDI_UMP_FB_NAME_MAX + 1), 13);
		assert_int_equal(!!(disc.got & MIDI_DISC_GOT_NAME), len != 0);
	}
}

static void test_silent_never_completes(void **state)
{
	(void)state;
	dev.silent = 1;
	wire *l = discover(&dev, &disc, &info, 2, MIDI_DISC_JR_ON);
	assert_int_equal(l->to_dev.n, 2);
	assert_int_equal(l->dev_sent, 0);
	assert_false(midi_discovery_complete(&disc));
	assert_int_equal(midi_discovery_take_changes(&disc), 0);
	memset(&q, 0, sizeof q);
	assert_int_equal(midi_responder_announce(&dev, push, &q), 0);
	assert_int_equal(q.n, 0);
}

/* A name packet of status st with 14 (13 for FB names) payload bytes. */
static midi_ump name_pkt(unsigned st, unsigned form, unsigned fb, const char *bytes, size_t n)
{
	uint8_t b[16] = {0};
	size_t first = st == MIDI_STREAM_FB_NAME ? 3 : 2;
	b[0] = (uint8_t)(0xF0 | form << 2 | st >> 8);
	b[1] = st & 0xFF;
	if (st == MIDI_STREAM_FB_NAME)
		b[2] = (uint8_t)fb;
	for (size_t i = 0; i < n && first + i < 16; i++)
		b[first + i] = (uint8_t)bytes[i];
	midi_ump p;
	for (int w = 0; w < 4; w++)
		p.w[w] = (uint32_t)b[4 * w] << 24 | (uint32_t)b[4 * w + 1] << 16 |
			 (uint32_t)b[4 * w + 2] << 8 | b[4 * w + 3];
	return p;
}

static void feed(midi_ump p)
{
	q.n = q.head = 0;
	assert_int_equal(midi_discovery_put(&disc, &p, push, &q), 0);
	assert_int_equal(q.n, 0);
}

static void test_hostile_names(void **state)
{
	(void)state;
	discovery_init(&disc, &info, 0, 0);
	strcpy(info.product_instance_id, "keep");
	/* 30 packets of 14 bytes: cut at 98, the next field untouched */
	feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_START, 0, "ABCDEFGHIJKLMN", 14));
	for (int i = 0; i < 28; i++)
		feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_CONTINUE, 0, "abcdefghijklmn", 14));
	feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_END, 0, "ZZZZZZZZZZZZZZ", 14));
	assert_int_equal(strlen(info.ump_name), MIDI_UMP_EP_NAME_MAX);
	assert_memory_equal(info.ump_name, "ABCDEFGHIJKLMNabcdefghijklmn", 28);
	assert_string_equal(info.product_instance_id, "keep");
	assert_int_equal(midi_discovery_take_changes(&disc), MIDI_PROP_UMP_NAME | MIDI_PROP_NAME);

	/* Continue or End without Start: ignored */
	feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_CONTINUE, 0, "xx", 2));
	feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_END, 0, "yy", 2));
	assert_int_equal(strlen(info.ump_name), MIDI_UMP_EP_NAME_MAX);
	assert_int_equal(midi_discovery_take_changes(&disc), 0);

	/* a new Start discards the half-built name */
	feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_START, 0, "AAAAAAAAAAAAAA", 14));
	feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_START, 0, "BBBBBBBBBBBBBB", 14));
	feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_END, 0, "CC", 2));
	assert_string_equal(info.ump_name, "BBBBBBBBBBBBBBCC");

	/* trailing NUL padding stripped; invalid UTF-8 kept as bytes */
	feed(name_pkt(MIDI_STREAM_EP_NAME, MIDI_FORM_COMPLETE, 0, "\xff\xc3Hi\0\0\0", 7));
	assert_string_equal(info.ump_name, "\xff\xc3Hi");

	/* a block name for an index beyond 31 is ignored; overlong ones are cut */
	feed(name_pkt(MIDI_STREAM_FB_NAME, MIDI_FORM_COMPLETE, 40, "nope", 4));
	feed(name_pkt(MIDI_STREAM_FB_NAME, MIDI_FORM_COMPLETE, 255, "nope", 4));
	feed(name_pkt(MIDI_STREAM_FB_NAME, MIDI_FORM_START, 31, "0123456789abc", 13));
	for (int i = 0; i < 200; i++)
		feed(name_pkt(MIDI_STREAM_FB_NAME, MIDI_FORM_CONTINUE, 31, "0123456789abc", 13));
	/* an End for another block does not finish block 31 */
	feed(name_pkt(MIDI_STREAM_FB_NAME, MIDI_FORM_END, 30, "x", 1));
	assert_string_equal(info.fb[31].name, "");
	assert_string_equal(info.fb[30].name, "");
	feed(name_pkt(MIDI_STREAM_FB_NAME, MIDI_FORM_END, 31, "x", 1));
	assert_int_equal(strlen(info.fb[31].name), MIDI_UMP_FB_NAME_MAX);
	assert_int_equal(disc.fb_name_got, 1u << 31);

	/* piid cut at 42 */
	feed(name_pkt(MIDI_STREAM_PRODUCT_INSTANCE_ID, MIDI_FORM_START, 0, "PPPPPPPPPPPPPP", 14));
	for (int i = 0; i < 5; i++)
		feed(name_pkt(MIDI_STREAM_PRODUCT_INSTANCE_ID, MIDI_FORM_CONTINUE, 0,
			      "QQQQQQQQQQQQQQ", 14));
	feed(name_pkt(MIDI_STREAM_PRODUCT_INSTANCE_ID, MIDI_FORM_END, 0, "R", 1));
	assert_int_equal(strlen(info.product_instance_id), MIDI_UMP_PIID_MAX);
}

static void test_hostile_fields(void **state)
{
	(void)state;
	discovery_init(&disc, &info, 0, 0);
	/* 127 blocks declared: kept at 32 */
	put_host(0xF0010101, 0xFF000300, 0, 0);
	assert_int_equal(info.num_function_blocks, MIDI_FB_MAX);
	assert_int_equal(disc.fb_expected, MIDI_FB_MAX);
	/* block info: groups beyond 16, no groups, reserved direction, MIDI 1.0 mode 3,
	 * index 40, first group 200: all ignored */
	put_host(0xF0118033, 0x0F020000, 0, 0);
	put_host(0xF0118033, 0x00000000, 0, 0);
	put_host(0xF0118030, 0x00010000, 0, 0);
	put_host(0xF011803F, 0x00010000, 0, 0);
	put_host(0xF011A833, 0x00010000, 0, 0);
	put_host(0xF0118033, 0xC8010000, 0, 0);
	assert_int_equal(disc.fb_info_got, 0);
	for (int i = 0; i < MIDI_FB_MAX; i++)
		assert_int_equal(info.fb[i].num_groups, 0);
	/* group 16 alone is fine */
	put_host(0xF0118033, 0x0F010000, 0, 0);
	assert_int_equal(disc.fb_info_got, 1);
	assert_int_equal(info.fb[0].first_group, 15);
	/* protocol 3 in a notification: ignored */
	put_host(0xF0060300, 0, 0, 0);
	assert_int_equal(info.protocol, 0);
	assert_false(disc.got & MIDI_DISC_GOT_CONFIG);
	/* identity bytes above 7 bits are masked */
	put_host(0xF0020000, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF);
	assert_int_equal(info.identity_family, 0x3FFF);
	assert_int_equal(info.identity_manufacturer[0], 0x7F);
	assert_int_equal(info.identity_version[3], 0x7F);
	/* requests and non-stream packets from the device: ignored */
	uint32_t before = disc.got;
	put_host(0xF0000101, 0x1F, 0, 0);
	put_host(0xF010FF03, 0, 0, 0);
	put_host(0x20903C64, 0, 0, 0);
	assert_int_equal(disc.got, before);
	assert_false(midi_discovery_complete(&disc));
}

static void test_filters(void **state)
{
	(void)state;
	static const unsigned status_of_bit[5] = {
		MIDI_STREAM_EP_INFO, MIDI_STREAM_DEVICE_IDENTITY, MIDI_STREAM_EP_NAME,
		MIDI_STREAM_PRODUCT_INSTANCE_ID, MIDI_STREAM_CONFIG_NOTIFY,
	};
	dev.has_identity = 1;
	strcpy(dev.product_instance_id, "1234");
	for (unsigned f = 0; f < 0x100; f++) {
		put_dev(0xF0000101, f);
		size_t want = 0;
		for (int b = 0; b < 5; b++) {
			size_t n = count_status(&q, status_of_bit[b]);
			assert_int_equal(n, (f >> b) & 1);
			want += n;
		}
		assert_int_equal(q.n, want);
	}
	/* identity is not claimed by a device without one */
	dev.has_identity = 0;
	put_dev(0xF0000101, MIDI_DISCOVER_DEVICE_IDENTITY);
	assert_int_equal(q.n, 0);

	dev.num_function_blocks = 3;
	for (unsigned i = 1; i < 3; i++) {
		dev.fb[i] = dev.fb[0];
		dev.fb[i].index = (uint8_t)i;
	}
	put_dev(0xF010FF00, 0);
	assert_int_equal(q.n, 0);
	put_dev(0xF010FF01, 0);
	assert_int_equal(q.n, 3);
	assert_int_equal(count_status(&q, MIDI_STREAM_FB_INFO), 3);
	put_dev(0xF010FF02, 0);
	assert_int_equal(q.n, 3);
	assert_int_equal(count_status(&q, MIDI_STREAM_FB_NAME), 3);
	put_dev(0xF010FFFF, 0);
	assert_int_equal(q.n, 6);
}

static void test_fb_single(void **state)
{
	(void)state;
	rich_decl(&dev);
	dev.num_function_blocks = 4;
	put_dev(0xF0100203, 0);
	/* block 2: info, then a 91-byte name in 7 packets, all for block 2 */
	assert_int_equal(q.n, 1 + 7);
	assert_int_equal(st_of(&q.p[0]), MIDI_STREAM_FB_INFO);
	assert_int_equal((q.p[0].w[0] >> 8) & 0x7F, 2);
	for (size_t i = 1; i < q.n; i++) {
		assert_int_equal(st_of(&q.p[i]), MIDI_STREAM_FB_NAME);
		assert_int_equal((q.p[i].w[0] >> 8) & 0xFF, 2);
	}
	put_dev(0xF0100401, 0);
	assert_int_equal(q.n, 0);
	put_dev(0xF010FE03, 0);
	assert_int_equal(q.n, 0);

	/* the asking side stores what it got for that one block */
	discovery_init(&disc, &info, 0, 0);
	put_dev(0xF0100203, 0);
	queue got = q;
	for (size_t i = 0; i < got.n; i++)
		put_host(got.p[i].w[0], got.p[i].w[1], got.p[i].w[2], got.p[i].w[3]);
	assert_memory_equal(&info.fb[2], &dev.fb[2], sizeof dev.fb[2]);
	assert_int_equal(disc.fb_info_got, 1u << 2);
	assert_int_equal(disc.fb_name_got, 1u << 2);
}

static void test_changes_after_complete(void **state)
{
	(void)state;
	rich_decl(&dev);
	discover(&dev, &disc, &info, 0, 0);
	assert_true(midi_discovery_complete(&disc));
	midi_discovery_take_changes(&disc);

	strcpy(dev.name, "Renamed");
	strcpy(dev.fb[1].name, "Block two");
	memset(&q, 0, sizeof q);
	assert_int_equal(midi_responder_announce(&dev, push, &q), 0);
	queue a = q;
	for (size_t i = 0; i < a.n; i++)
		put_host(a.p[i].w[0], a.p[i].w[1], a.p[i].w[2], a.p[i].w[3]);
	assert_int_equal(midi_discovery_take_changes(&disc),
			 MIDI_PROP_UMP_NAME | MIDI_PROP_NAME | MIDI_PROP_FUNCTION_BLOCKS);
	assert_info_matches(&dev, &info);
	assert_string_equal(info.name, "Renamed");

	/* the host switches protocol and block 5 off: only those bits */
	dev.protocol = 1;
	dev.fb[5].active = 0;
	memset(&q, 0, sizeof q);
	assert_int_equal(midi_responder_announce(&dev, push, &q), 0);
	a = q;
	for (size_t i = 0; i < a.n; i++)
		put_host(a.p[i].w[0], a.p[i].w[1], a.p[i].w[2], a.p[i].w[3]);
	assert_int_equal(midi_discovery_take_changes(&disc),
			 MIDI_PROP_PROTOCOL | MIDI_PROP_FUNCTION_BLOCKS);
	assert_info_matches(&dev, &info);

	/* a user name wins over the device's */
	strcpy(info.user_name, "Mine");
	strcpy(info.name, "Mine");
	strcpy(dev.name, "Device again");
	memset(&q, 0, sizeof q);
	assert_int_equal(midi_responder_announce(&dev, push, &q), 0);
	a = q;
	for (size_t i = 0; i < a.n; i++)
		put_host(a.p[i].w[0], a.p[i].w[1], a.p[i].w[2], a.p[i].w[3]);
	assert_int_equal(midi_discovery_take_changes(&disc), MIDI_PROP_UMP_NAME);
	assert_string_equal(info.name, "Mine");
	assert_string_equal(info.ump_name, "Device again");
}

static void test_incomplete_until_last_block_name(void **state)
{
	(void)state;
	dev.num_function_blocks = 2;
	dev.fb[1] = dev.fb[0];
	dev.fb[1].index = 1;
	discovery_init(&disc, &info, 0, 0);
	midi_ump req = midi_stream_ep_discovery(1, 1, MIDI_DISCOVER_ALL);
	memset(&q, 0, sizeof q);
	assert_int_equal(midi_responder_put(&dev, &req, push, &q), 0);
	req = midi_stream_fb_discovery(MIDI_FB_ALL, 3);
	assert_int_equal(midi_responder_put(&dev, &req, push, &q), 0);
	queue a = q;
	for (size_t i = 0; i < a.n; i++) {
		assert_false(midi_discovery_complete(&disc));
		put_host(a.p[i].w[0], a.p[i].w[1], a.p[i].w[2], a.p[i].w[3]);
	}
	assert_true(midi_discovery_complete(&disc));
	assert_true(midi_discovery_take_changes(&disc) & MIDI_PROP_DISCOVERY);
	/* raised once only */
	put_host(a.p[0].w[0], a.p[0].w[1], a.p[0].w[2], a.p[0].w[3]);
	assert_int_equal(midi_discovery_take_changes(&disc), 0);
}

static int stop_after_one(void *ctx, const midi_ump *p)
{
	(void)p;
	int *n = ctx;
	return ++*n == 1 ? 7 : 0;
}

static void test_callback_stops(void **state)
{
	(void)state;
	int n = 0;
	midi_ump req = midi_stream_ep_discovery(1, 1, MIDI_DISCOVER_ALL);
	assert_int_equal(midi_responder_put(&dev, &req, stop_after_one, &n), 7);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(midi_responder_announce(&dev, stop_after_one, &n), 7);
	assert_int_equal(n, 1);
	n = 0;
	discovery_init(&disc, &info, 0, 0);
	assert_int_equal(midi_discovery_start(&disc, stop_after_one, &n), 7);
	assert_int_equal(n, 1);
}

static void expect_bad(const midi_device_decl *d, const char *word)
{
	midi_error e;
	memset(&e, 0, sizeof e);
	assert_int_equal(midi_device_decl_check(d, &e), -MIDI_ERR_INPUT);
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	assert_non_null(strstr(e.msg, word));
}

static void test_decl_check(void **state)
{
	(void)state;
	midi_device_decl d;
	midi_device_decl_init(&d, "x");
	assert_int_equal(midi_device_decl_check(&d, NULL), 0);
	assert_int_equal(d.ump_version_major, 1);
	assert_int_equal(d.ump_version_minor, 1);
	assert_string_equal(d.fb[0].name, "x");

	/* init cuts long names at a UTF-8 boundary */
	char longname[200];
	memset(longname, 'a', 97);
	strcpy(longname + 97, "\xc3\xa9tail");
	midi_device_decl_init(&d, longname);
	assert_int_equal(strlen(d.name), 97);
	assert_int_equal(strlen(d.fb[0].name), 91);

	midi_device_decl_init(&d, "x");
	d.fb[0].first_group = 15;
	d.fb[0].num_groups = 2;
	expect_bad(&d, "beyond group 16");
	midi_device_decl_init(&d, "x");
	d.fb[0].first_group = 16;
	expect_bad(&d, "first group");
	midi_device_decl_init(&d, "x");
	d.fb[0].num_groups = 0;
	expect_bad(&d, "groups");
	midi_device_decl_init(&d, "x");
	d.fb[0].direction = 0;
	expect_bad(&d, "direction");
	midi_device_decl_init(&d, "x");
	d.num_function_blocks = 33;
	expect_bad(&d, "33 function blocks");
	midi_device_decl_init(&d, "x");
	d.num_function_blocks = 2;
	d.fb[1] = d.fb[0];
	expect_bad(&d, "index");
	midi_device_decl_init(&d, "x");
	d.protocols = 1;
	expect_bad(&d, "current protocol");
	midi_device_decl_init(&d, "x");
	d.jr_rx_on = 1;
	expect_bad(&d, "JR");
	midi_device_decl_init(&d, "x");
	d.has_identity = 1;
	d.identity_family = 0x4000;
	expect_bad(&d, "14 bits");
	midi_device_decl_init(&d, "x");
	memset(d.name, 'n', sizeof d.name);
	expect_bad(&d, "endpoint name");
	midi_device_decl_init(&d, "x");
	memset(d.product_instance_id, 'n', sizeof d.product_instance_id);
	expect_bad(&d, "product instance id");
	midi_device_decl_init(&d, "x");
	memset(d.fb[0].name, 'n', sizeof d.fb[0].name);
	expect_bad(&d, "name longer");
	midi_device_decl_init(&d, "x");
	d.fb[0].midi1 = 3;
	expect_bad(&d, "MIDI 1.0 mode");
}

static void test_non_stream_ignored(void **state)
{
	(void)state;
	midi_ump p = {{0x20903C64, 0, 0, 0}};
	assert_int_equal(midi_responder_put(&dev, &p, push, &q), 0);
	discovery_init(&disc, &info, 2, 1);
	assert_int_equal(midi_discovery_put(&disc, &p, push, &q), 0);
	p.w[0] = 0x40903C00;
	assert_int_equal(midi_responder_put(&dev, &p, push, &q), 0);
	assert_int_equal(q.n, 0);
	assert_int_equal(midi_discovery_take_changes(&disc), 0);
}

/* The MIDI 1.0 Identity Request gets the Identity Reply, exact words, on
 * the request's group with its device byte; 3-byte manufacturer ids; no
 * answer without an identity, when silent, or to other SysEx. */
static void test_identity_request(void **state)
{
	(void)state;
	midi_ump req = {{0x31047E7F, 0x06010000, 0, 0}}; /* group 2: 7E 7F 06 01 */
	assert_int_equal(midi_responder_identity(&dev, &req, push, &q), 0); /* none declared */
	assert_int_equal(q.n, 0);
	dev.has_identity = 1;
	dev.identity_manufacturer[0] = 0x7D;
	dev.identity_family = 0x0001;
	dev.identity_model = 0x0002;
	dev.identity_version[0] = 0x01;
	assert_int_equal(midi_responder_identity(&dev, &req, push, &q), 1);
	/* 7E 7F 06 02 7D | 01 00 | 02 00 | 01 00 00 00 */
	assert_int_equal(q.n, 3);
	assert_ump(&q.p[0], 0x31167E7F, 0x06027D01, 0, 0);
	assert_ump(&q.p[1], 0x31260002, 0x00010000, 0, 0);
	assert_ump(&q.p[2], 0x31310000, 0x00000000, 0, 0);
	/* A device byte of 10, a 3-byte manufacturer, 14-bit family/model. */
	q.n = 0;
	dev.identity_manufacturer[0] = 0x00;
	dev.identity_manufacturer[1] = 0x20;
	dev.identity_manufacturer[2] = 0x29;
	dev.identity_family = 0x3FFF;
	req.w[0] = 0x30047E10;
	assert_int_equal(midi_responder_identity(&dev, &req, push, &q), 1);
	assert_int_equal(q.n, 3);
	assert_ump(&q.p[0], 0x30167E10, 0x06020020, 0, 0);
	assert_ump(&q.p[1], 0x3026297F, 0x7F020001, 0, 0);
	assert_ump(&q.p[2], 0x30330000, 0x00000000, 0, 0);
	/* Not an Identity Request: a reply, other SysEx, a longer message. */
	q.n = 0;
	midi_ump other[] = {
		{{0x30047E10, 0x06020000, 0, 0}}, {{0x30034301, 0x02000000, 0, 0}},
		{{0x30057E10, 0x06010100, 0, 0}}, {{0x30147E10, 0x06010000, 0, 0}},
		{{0x20903C64, 0, 0, 0}},
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		assert_int_equal(midi_responder_identity(&dev, &other[i], push, &q), 0);
	dev.silent = 1;
	assert_int_equal(midi_responder_identity(&dev, &req, push, &q), 0);
	assert_int_equal(q.n, 0);
}

/* The public constructor: checks its arguments, and the state it makes
 * runs a whole discovery like the embedded one. */
static void test_new_free(void **state)
{
	(void)state;
	midi_error e = {0};
	midi_endpoint_info mine;
	memset(&mine, 0, sizeof mine);
	assert_null(midi_discovery_new(NULL, 0, 0, &e));
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	assert_null(midi_discovery_new(&mine, 3, 0, &e));
	assert_int_equal(e.code, MIDI_ERR_INPUT);
	assert_null(midi_discovery_new(&mine, 0, 3, &e));
	midi_discovery *d = midi_discovery_new(&mine, 2, MIDI_DISC_JR_OFF, &e);
	assert_non_null(d);
	assert_int_equal(midi_discovery_complete(d), 0);
	static wire l;
	memset(&l, 0, sizeof l);
	assert_int_equal(midi_discovery_start(d, push, &l.to_dev), 0);
	run_link(&l, &dev, d);
	assert_int_equal(midi_discovery_complete(d), 1);
	assert_string_equal(mine.ump_name, dev.name);
	assert_true(midi_discovery_take_changes(d) & MIDI_PROP_DISCOVERY);
	assert_int_equal(midi_discovery_take_changes(d), 0);
	midi_discovery_free(d);
	midi_discovery_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_start_words, setup),
		cmocka_unit_test_setup(test_reply_words, setup),
		cmocka_unit_test_setup(test_config_words, setup),
		cmocka_unit_test_setup(test_unsupported_request_refused, setup),
		cmocka_unit_test_setup(test_loop_full, setup),
		cmocka_unit_test_setup(test_negotiate_protocol, setup),
		cmocka_unit_test_setup(test_negotiate_jr, setup),
		cmocka_unit_test_setup(test_names_every_length, setup),
		cmocka_unit_test_setup(test_silent_never_completes, setup),
		cmocka_unit_test_setup(test_hostile_names, setup),
		cmocka_unit_test_setup(test_hostile_fields, setup),
		cmocka_unit_test_setup(test_filters, setup),
		cmocka_unit_test_setup(test_fb_single, setup),
		cmocka_unit_test_setup(test_changes_after_complete, setup),
		cmocka_unit_test_setup(test_incomplete_until_last_block_name, setup),
		cmocka_unit_test_setup(test_callback_stops, setup),
		cmocka_unit_test_setup(test_decl_check, setup),
		cmocka_unit_test_setup(test_non_stream_ignored, setup),
		cmocka_unit_test_setup(test_identity_request, setup),
		cmocka_unit_test_setup(test_new_free, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
