/* names.c: message kind names (JSON and human) and note names (C3 = 60). */
#include "midi/msg.h"

#include <stdio.h>

#include "util/cursor.h"

static const struct {
	const char *name, *title;
} kinds[MIDI_MSG_KIND_COUNT] = {
	[MIDI_MSG_UNKNOWN] = {"unknown", "Unknown"},
	[MIDI_MSG_NOOP] = {"noop", "NOOP"},
	[MIDI_MSG_JR_CLOCK] = {"jr_clock", "JR Clock"},
	[MIDI_MSG_JR_TIMESTAMP] = {"jr_timestamp", "JR Timestamp"},
	[MIDI_MSG_DCTPQ] = {"delta_clockstamp_tpq", "Delta Clockstamp Ticks Per Quarter Note"},
	[MIDI_MSG_DELTA_CLOCKSTAMP] = {"delta_clockstamp", "Delta Clockstamp"},
	[MIDI_MSG_MTC_QUARTER] = {"mtc_quarter_frame", "MTC Quarter Frame"},
	[MIDI_MSG_SONG_POSITION] = {"song_position", "Song Position"},
	[MIDI_MSG_SONG_SELECT] = {"song_select", "Song Select"},
	[MIDI_MSG_TUNE_REQUEST] = {"tune_request", "Tune Request"},
	[MIDI_MSG_CLOCK] = {"clock", "Timing Clock"},
	[MIDI_MSG_START] = {"start", "Start"},
	[MIDI_MSG_CONTINUE] = {"continue", "Continue"},
	[MIDI_MSG_STOP] = {"stop", "Stop"},
	[MIDI_MSG_ACTIVE_SENSING] = {"active_sensing", "Active Sensing"},
	[MIDI_MSG_RESET] = {"reset", "System Reset"},
	[MIDI_MSG_NOTE_OFF] = {"note_off", "Note Off"},
	[MIDI_MSG_NOTE_ON] = {"note_on", "Note On"},
	[MIDI_MSG_POLY_PRESSURE] = {"poly_pressure", "Poly Pressure"},
	[MIDI_MSG_CONTROL_CHANGE] = {"control_change", "Control Change"},
	[MIDI_MSG_PROGRAM_CHANGE] = {"program_change", "Program Change"},
	[MIDI_MSG_CHANNEL_PRESSURE] = {"channel_pressure", "Channel Pressure"},
	[MIDI_MSG_PITCH_BEND] = {"pitch_bend", "Pitch Bend"},
	[MIDI_MSG_PN_REGISTERED] = {"per_note_registered_controller", "Per-Note Registered Controller"},
	[MIDI_MSG_PN_ASSIGNABLE] = {"per_note_assignable_controller", "Per-Note Assignable Controller"},
	[MIDI_MSG_REGISTERED] = {"registered_controller", "Registered Controller"},
	[MIDI_MSG_ASSIGNABLE] = {"assignable_controller", "Assignable Controller"},
	[MIDI_MSG_REL_REGISTERED] = {"relative_registered_controller", "Relative Registered Controller"},
	[MIDI_MSG_REL_ASSIGNABLE] = {"relative_assignable_controller", "Relative Assignable Controller"},
	[MIDI_MSG_PN_PITCH_BEND] = {"per_note_pitch_bend", "Per-Note Pitch Bend"},
	[MIDI_MSG_PN_MANAGEMENT] = {"per_note_management", "Per-Note Management"},
	[MIDI_MSG_SYSEX7] = {"sysex7", "SysEx7"},
	[MIDI_MSG_SYSEX8] = {"sysex8", "SysEx8"},
	[MIDI_MSG_MDS_HEADER] = {"mixed_data_set_header", "Mixed Data Set Header"},
	[MIDI_MSG_MDS_PAYLOAD] = {"mixed_data_set_payload", "Mixed Data Set Payload"},
	[MIDI_MSG_FLEX_TEMPO] = {"set_tempo", "Set Tempo"},
	[MIDI_MSG_FLEX_TIME_SIGNATURE] = {"set_time_signature", "Set Time Signature"},
	[MIDI_MSG_FLEX_METRONOME] = {"set_metronome", "Set Metronome"},
	[MIDI_MSG_FLEX_KEY_SIGNATURE] = {"set_key_signature", "Set Key Signature"},
	[MIDI_MSG_FLEX_CHORD_NAME] = {"set_chord_name", "Set Chord Name"},
	[MIDI_MSG_FLEX_TEXT] = {"flex_text", "Flex Data Text"},
	[MIDI_MSG_FLEX_OTHER] = {"flex_data", "Flex Data"},
	[MIDI_MSG_EP_DISCOVERY] = {"endpoint_discovery", "Endpoint Discovery"},
	[MIDI_MSG_EP_INFO] = {"endpoint_info", "Endpoint Info Notification"},
	[MIDI_MSG_DEVICE_IDENTITY] = {"device_identity", "Device Identity Notification"},
	[MIDI_MSG_EP_NAME] = {"endpoint_name", "Endpoint Name Notification"},
	[MIDI_MSG_PRODUCT_INSTANCE_ID] = {"product_instance_id", "Product Instance Id Notification"},
	[MIDI_MSG_STREAM_CONFIG_REQUEST] = {"stream_config_request", "Stream Configuration Request"},
	[MIDI_MSG_STREAM_CONFIG_NOTIFY] = {"stream_config_notification", "Stream Configuration Notification"},
	[MIDI_MSG_FB_DISCOVERY] = {"function_block_discovery", "Function Block Discovery"},
	[MIDI_MSG_FB_INFO] = {"function_block_info", "Function Block Info Notification"},
	[MIDI_MSG_FB_NAME] = {"function_block_name", "Function Block Name Notification"},
	[MIDI_MSG_START_OF_CLIP] = {"start_of_clip", "Start of Clip"},
	[MIDI_MSG_END_OF_CLIP] = {"end_of_clip", "End of Clip"},
};

const char *midi_msg_kind_name(unsigned kind)
{
	return kind < MIDI_MSG_KIND_COUNT ? kinds[kind].name : "unknown";
}

const char *midi_msg_kind_title(unsigned kind)
{
	return kind < MIDI_MSG_KIND_COUNT ? kinds[kind].title : "Unknown";
}

const char *midi_note_name(unsigned note, char *buf)
{
	*cur_note(buf, note & 0x7F) = 0;
	return buf;
}

int midi_note_parse(const char *s, size_t len, unsigned *note)
{
	static const int base[7] = {9, 11, 0, 2, 4, 5, 7}; /* A B C D E F G */
	size_t i = 0;
	if (len < 2)
		return -MIDI_ERR_INPUT;
	char c = s[i++];
	if (c >= 'a' && c <= 'g')
		c = (char)(c - 'a' + 'A');
	if (c < 'A' || c > 'G')
		return -MIDI_ERR_INPUT;
	int v = base[c - 'A'];
	if (s[i] == '#') {
		v++;
		i++;
	} else if ((s[i] == 'b' || s[i] == 'B') && i + 1 < len &&
		   (s[i + 1] == '-' || (s[i + 1] >= '0' && s[i + 1] <= '9'))) {
		v--;
		i++;
	}
	int neg = 0;
	if (i < len && s[i] == '-') {
		neg = 1;
		i++;
	}
	if (i >= len || len - i > 2)
		return -MIDI_ERR_INPUT;
	int oct = 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -MIDI_ERR_INPUT;
		oct = oct * 10 + (s[i] - '0');
	}
	if (neg)
		oct = -oct;
	int n = (oct + 2) * 12 + v;
	if (n < 0 || n > 127)
		return -MIDI_ERR_INPUT;
	*note = (unsigned)n;
	return 0;
}
