/* endpoint_json.c: endpoint properties as JSON and as a readable block
 * (describe_endpoint.h), for midi-list and midi-watch. Every string comes
 * from shared memory or a device, so lengths are bounded by the field size
 * and bytes are escaped. */
#include <stdint.h>
#include <string.h>

#include "format/format_priv.h"
#include "midi/describe_endpoint.h"
#include "midi/text.h"

const char *midi_protocol_name(unsigned protocol)
{
	return protocol == 1 ? "midi1" : protocol == 2 ? "midi2" : "unknown";
}

const char *midi_native_name(unsigned native)
{
	return native == MIDI_NATIVE_BYTES ? "bytes" : native == MIDI_NATIVE_UMP ? "ump" : "unknown";
}

const char *midi_purpose_name(unsigned purpose)
{
	switch (purpose) {
	case MIDI_PURPOSE_NORMAL: return "normal";
	case MIDI_PURPOSE_DIAGNOSTIC: return "diagnostic";
	case MIDI_PURPOSE_VIRTUAL: return "virtual";
	default: return "unknown";
	}
}

/* UMP discovery state: "none", "pending", "done", "timeout". */
static const char *discovery_name(unsigned d)
{
	switch (d) {
	case MIDI_DISCOVERY_PENDING: return "pending";
	case MIDI_DISCOVERY_DONE: return "done";
	case MIDI_DISCOVERY_TIMEOUT: return "timeout";
	default: return "none";
	}
}

static const char *direction_name(unsigned d)
{
	return d == 1 ? "input" : d == 2 ? "output" : d == 3 ? "bidirectional" : "unknown";
}

static const char *midi1_name(unsigned m)
{
	return m == 0 ? "no" : m == 1 ? "yes" : m == 2 ? "restricted" : "unknown";
}

static const char *ui_hint_name(unsigned h)
{
	return h == 1 ? "receiver" : h == 2 ? "sender" : h == 3 ? "both" : "unknown";
}


/* A JSON string from a field of at most max bytes (NUL-terminated or not). */
static void put_file(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, ctx);
}

static void json_str(FILE *out, const char *s, size_t max)
{
	fmt_json_string(put_file, out, s, strnlen(s, max));
}

#define JSTR(key, field) \
	do { \
		fputs(",\"" key "\":", out); \
		json_str(out, (field), sizeof(field)); \
	} while (0)

static const char *boolstr(int v) { return v ? "true" : "false"; }

static unsigned fb_count(const midi_endpoint_info *ep)
{
	return ep->num_function_blocks < MIDI_FB_MAX ? ep->num_function_blocks : MIDI_FB_MAX;
}

/* Groups of a block as 1-based "first-last" (or "first"), clamped to 16. */
static void group_range(const midi_function_block *fb, char *buf, size_t n, unsigned *first, unsigned *last)
{
	unsigned f = (fb->first_group & 0xF) + 1, c = fb->num_groups ? fb->num_groups : 1;
	unsigned l = f + c - 1 > 16 ? 16 : f + c - 1;
	if (l == f)
		snprintf(buf, n, "%u", f);
	else
		snprintf(buf, n, "%u-%u", f, l);
	*first = f;
	*last = l;
}

static void json_fb(FILE *out, const midi_function_block *fb)
{
	char groups[8];
	unsigned first, last;
	group_range(fb, groups, sizeof groups, &first, &last);
	fprintf(out, "{\"index\":%u,\"name\":", fb->index);
	json_str(out, fb->name, sizeof fb->name);
	fprintf(out,
		",\"active\":%s,\"direction\":\"%s\",\"first_group\":%u,\"last_group\":%u,"
		"\"groups\":\"%s\",\"midi1\":\"%s\",\"ui_hint\":\"%s\",\"ci_version\":%u,"
		"\"sysex8_streams\":%u}",
		boolstr(fb->active), direction_name(fb->direction), first, last, groups,
		midi1_name(fb->midi1), ui_hint_name(fb->ui_hint), fb->ci_version, fb->sysex8_streams);
}

int midi_endpoint_json(const midi_endpoint_info *ep, FILE *out)
{
	fputs("{\"id\":", out);
	json_str(out, ep->id, sizeof ep->id);
	JSTR("name", ep->name);
	JSTR("transport", ep->transport);
	fprintf(out, ",\"protocol\":\"%s\",\"clients\":%u", midi_protocol_name(ep->protocol), ep->clients);
	JSTR("transport_name", ep->transport_name);
	JSTR("user_name", ep->user_name);
	JSTR("description", ep->description);
	JSTR("ump_name", ep->ump_name);
	JSTR("product_instance_id", ep->product_instance_id);
	fprintf(out, ",\"native\":\"%s\",\"protocols\":[", midi_native_name(ep->native));
	const char *sep = "";
	if (ep->protocols & 1)
		fputs("\"midi1\"", out), sep = ",";
	if (ep->protocols & 2)
		fprintf(out, "%s\"midi2\"", sep);
	fprintf(out, "],\"purpose\":\"%s\",\"persistent\":%s,\"jr_tx\":%s,\"jr_rx\":%s,\"discovered\":%s",
		midi_purpose_name(ep->purpose), boolstr(ep->flags & MIDI_EPF_PERSISTENT),
		boolstr(ep->flags & MIDI_EPF_JR_TX), boolstr(ep->flags & MIDI_EPF_JR_RX),
		boolstr(ep->flags & MIDI_EPF_DISCOVERED));
	if (ep->ump_version_major || ep->ump_version_minor)
		fprintf(out, ",\"ump_version\":\"%u.%u\"", ep->ump_version_major, ep->ump_version_minor);
	else
		fputs(",\"ump_version\":null", out);
	if (ep->has_identity) {
		const uint8_t *m = ep->identity_manufacturer, *v = ep->identity_version;
		fprintf(out,
			",\"identity\":{\"manufacturer\":\"%02X %02X %02X\",\"family\":%u,\"model\":%u,"
			"\"version\":\"%02X %02X %02X %02X\"}",
			m[0], m[1], m[2], ep->identity_family, ep->identity_model, v[0], v[1], v[2], v[3]);
	} else {
		fputs(",\"identity\":null", out);
	}
	if (ep->usb_vendor || ep->usb_product || ep->usb_serial[0]) {
		fprintf(out, ",\"usb\":{\"vendor\":\"%04x\",\"product\":\"%04x\",\"serial\":", ep->usb_vendor,
			ep->usb_product);
		json_str(out, ep->usb_serial, sizeof ep->usb_serial);
		fputc('}', out);
	} else {
		fputs(",\"usb\":null", out);
	}
	fprintf(out, ",\"function_blocks_static\":%s,\"function_blocks\":[",
		boolstr(ep->flags & MIDI_EPF_STATIC_FB));
	for (unsigned i = 0; i < fb_count(ep); i++) {
		if (i)
			fputc(',', out);
		json_fb(out, &ep->fb[i]);
	}
	fprintf(out, "],\"generation\":%llu,\"discovery\":\"%s\",\"jr_tx_supported\":%s,"
		"\"jr_rx_supported\":%s}", (unsigned long long)ep->generation,
		discovery_name(ep->discovery), boolstr(ep->jr_caps & 1), boolstr(ep->jr_caps & 2));
	return ferror(out) ? -MIDI_ERR_RUNTIME : 0;
}

/* A text field, bounded, escaped for the terminal (midi/text.h). */
static void text_field(FILE *out, const char *key, const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	fprintf(out, "  %-20s ", key);
	if (n == 0)
		fputs("-", out);
	midi_text_put(s, n, out);
	fputc('\n', out);
}

#define TEXT(key, field) text_field(out, key ":", (field), sizeof(field))

int midi_endpoint_describe(const midi_endpoint_info *ep, FILE *out)
{
	TEXT("name", ep->name);
	TEXT("transport", ep->transport);
	TEXT("transport name", ep->transport_name);
	TEXT("user name", ep->user_name);
	TEXT("description", ep->description);
	TEXT("endpoint name", ep->ump_name);
	TEXT("product instance id", ep->product_instance_id);
	fprintf(out, "  %-20s %s\n", "native format:", midi_native_name(ep->native));
	fprintf(out, "  %-20s %s (supports%s%s%s)\n", "protocol:", midi_protocol_name(ep->protocol),
		ep->protocols & 1 ? " midi1" : "", ep->protocols & 2 ? " midi2" : "",
		ep->protocols & 3 ? "" : " nothing declared");
	fprintf(out, "  %-20s %s\n", "JR timestamps:",
		(ep->flags & (MIDI_EPF_JR_TX | MIDI_EPF_JR_RX)) == (MIDI_EPF_JR_TX | MIDI_EPF_JR_RX) ? "send, receive"
		: ep->flags & MIDI_EPF_JR_TX ? "send"
		: ep->flags & MIDI_EPF_JR_RX ? "receive"
		: "no");
	fprintf(out, "  %-20s %s\n", "purpose:", midi_purpose_name(ep->purpose));
	fprintf(out, "  %-20s %s\n", "persistent:", ep->flags & MIDI_EPF_PERSISTENT ? "yes" : "no");
	fprintf(out, "  %-20s %s\n", "discovered:", ep->flags & MIDI_EPF_DISCOVERED ? "yes" : "no");
	fprintf(out, "  %-20s %s\n", "discovery:", discovery_name(ep->discovery));
	fprintf(out, "  %-20s %s\n", "JR supported:",
		(ep->jr_caps & 3) == 3 ? "send, receive" : ep->jr_caps & 1 ? "send"
		: ep->jr_caps & 2 ? "receive" : "no");
	fprintf(out, "  %-20s %u\n", "clients:", ep->clients);
	if (ep->ump_version_major || ep->ump_version_minor)
		fprintf(out, "  %-20s %u.%u\n", "UMP version:", ep->ump_version_major, ep->ump_version_minor);
	else
		fprintf(out, "  %-20s -\n", "UMP version:");
	if (ep->has_identity) {
		const uint8_t *m = ep->identity_manufacturer, *v = ep->identity_version;
		fprintf(out,
			"  %-20s manufacturer %02X %02X %02X, family %04X, model %04X, version %02X %02X %02X %02X\n",
			"device identity:", m[0], m[1], m[2], ep->identity_family, ep->identity_model, v[0], v[1],
			v[2], v[3]);
	} else {
		fprintf(out, "  %-20s -\n", "device identity:");
	}
	if (ep->usb_vendor || ep->usb_product || ep->usb_serial[0]) {
		fprintf(out, "  %-20s %04x:%04x", "USB:", ep->usb_vendor, ep->usb_product);
		if (ep->usb_serial[0]) {
			fputs(" serial ", out);
			midi_text_put(ep->usb_serial, strnlen(ep->usb_serial, sizeof ep->usb_serial), out);
		}
		fputc('\n', out);
	} else {
		fprintf(out, "  %-20s -\n", "USB:");
	}
	fprintf(out, "  %-20s %u%s\n", "function blocks:", ep->num_function_blocks,
		ep->num_function_blocks ? (ep->flags & MIDI_EPF_STATIC_FB ? " (static)" : " (dynamic)") : "");
	for (unsigned i = 0; i < fb_count(ep); i++) {
		const midi_function_block *fb = &ep->fb[i];
		char groups[8];
		unsigned first, last;
		group_range(fb, groups, sizeof groups, &first, &last);
		fprintf(out, "    block %u ", fb->index);
		fputc('"', out);
		midi_text_put(fb->name, strnlen(fb->name, sizeof fb->name), out);
		fprintf(out, "\": %s, %s, group%s %s, MIDI 1.0 %s, UI hint %s, MIDI-CI version %u, SysEx8 streams %u\n",
			fb->active ? "active" : "inactive", direction_name(fb->direction), first == last ? "" : "s",
			groups, midi1_name(fb->midi1), ui_hint_name(fb->ui_hint), fb->ci_version,
			fb->sysex8_streams);
	}
	return ferror(out) ? -MIDI_ERR_RUNTIME : 0;
}
