/* describe_endpoint.h: endpoint properties (midi_endpoint_info) for people
 * and for programs: one JSON object per endpoint, an indented "key: value"
 * block with every property, and the short names both use. Shared by
 * midi-list and midi-watch.
 *
 * JSON object fields (always present, in this order): id, name, transport,
 * protocol ("midi1"/"midi2"/"unknown"), clients, transport_name, user_name,
 * description, ump_name, product_instance_id, native ("bytes"/"ump"),
 * protocols (array of "midi1"/"midi2"), purpose ("normal"/"diagnostic"/
 * "virtual"), persistent, jr_tx, jr_rx, discovered (booleans), ump_version
 * ("1.1", or null before discovery), identity (null or {manufacturer:
 * "00 20 29", family, model, version: "01 00 00 00"}), usb (null or
 * {vendor: "1234", product: "abcd", serial}), function_blocks_static,
 * function_blocks (array of {index, name, active, direction "input"/
 * "output"/"bidirectional", first_group and last_group 1-16, groups "1-4",
 * midi1 "no"/"yes"/"restricted", ui_hint "unknown"/"receiver"/"sender"/
 * "both", ci_version, sysex8_streams}), generation, discovery ("none"
 * for endpoints that are not asked, "pending", "done", "timeout"),
 * jr_tx_supported, jr_rx_supported (booleans). Strings are escaped;
 * bytes that are not UTF-8 become U+FFFD. */
#ifndef MIDI_DESCRIBE_ENDPOINT_H
#define MIDI_DESCRIBE_ENDPOINT_H

#include <stdio.h>

#include "midi/endpoint.h"

/* "midi1", "midi2" or "unknown". */
const char *midi_protocol_name(unsigned protocol);
/* "bytes", "ump" or "unknown". */
const char *midi_native_name(unsigned native);
/* "normal", "diagnostic", "virtual" or "unknown". */
const char *midi_purpose_name(unsigned purpose);

/* One JSON object on one line, without a newline. 0, or -MIDI_ERR_RUNTIME
 * when writing failed (errno says why). */
int midi_endpoint_json(const midi_endpoint_info *ep, FILE *out);
/* Every property, one "  key: value" line each (indented by two spaces),
 * function blocks included; the id is not repeated. 0 or -MIDI_ERR_RUNTIME. */
int midi_endpoint_describe(const midi_endpoint_info *ep, FILE *out);

#endif
