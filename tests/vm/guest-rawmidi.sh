# guest-rawmidi.sh: owns the rawmidi transport's checks of tests/vm/guest.sh
# (sourced there, inside the VM, after guest-alsa.sh). snd-virmidi's card VC
# has raw MIDI devices hw:VC,N, each the other side of sequencer port
# "VirMIDI VC-N". The endpoint is the raw device hw:VC,1, declared in
# midi.conf; the far side is the raw device hw:VC,2, reached through the
# kernel's sequencer: ports VirMIDI VC-1 and VC-2 connected both ways with
# aconnect, so bytes written to one raw device come out of the other (the
# kernel turns them into sequencer events and back; SysEx in chunks).
# Checks: listed, and the sequencer port of hw:VC,1 not imported while it
# is; notes both ways; 64 KiB SysEx both ways byte for byte; a device named
# on the command line (added, used, gone when idle; bad and absent ids);
# the section removed. Uses from guest.sh, guest-lib.sh and guest-alsa.sh:
# T, TOOLS (rawcat), LIMIT, V1, check helpers, wait_for, card_virmidi, VC,
# listed.
# shellcheck shell=bash

RV='' RCONF=$XDG_CONFIG_HOME/midi/midi.conf

not_listed() { ! listed "$1"; }
seq_port() { echo "Virtual Raw MIDI $VC-$1:0"; }   # sequencer port of hw:VC,N
raw_open_n() { grep -q 'Owner PID' "/proc/asound/card$VC/midi$1" 2>/dev/null; }

rawmidi_listed() {
	wait_for "$LIMIT" card_virmidi || { cat /proc/asound/cards; return 1; }
	printf '[usb %s]\ntake = yes\n[rawmidi hw:%s,1]\nname = Raw One\n' "$V1" "$VC" > "$RCONF"
	local a1="alsa:Virtual-Raw-MIDI-$VC-1:VirMIDI-$VC-1" a2="alsa:Virtual-Raw-MIDI-$VC-2:VirMIDI-$VC-2"
	wait_for "$LIMIT" listed "rawmidi:hw:$VC,1" || { midi-list; return 1; }
	local r=0
	wait_for "$LIMIT" not_listed "$a1" || { echo "$a1 is still listed"; r=1; }
	listed "$a2" || { echo "$a2 is not listed"; r=1; }
	midi-list
	ep_json "rawmidi:hw:$VC,1"
	json_has "rawmidi:hw:$VC,1" '"name":"Raw One"' &&
		json_has "rawmidi:hw:$VC,1" '"transport":"rawmidi","protocol":"midi1"' || r=1
	[ $r = 0 ] && RV=rawmidi:hw:$VC,1
	aconnect "$(seq_port 1)" "$(seq_port 2)" && aconnect "$(seq_port 2)" "$(seq_port 1)" || RV=''
	aconnect -l | grep -A3 'VirMIDI'
	[ -n "$RV" ]
}

rawmidi_to_device() {
	need RV || return 1
	cat "/dev/snd/midiC${VC}D2" > "$T/r2" & BG+=($!)
	wait_for "$LIMIT" raw_open_n 2 || return 1
	midi-send -e "$RV" on C3 100 off C3 || return 1
	wait_for "$LIMIT" hex_at_least "$T/r2" 12
	local got; got=$(bin2hex < "$T/r2")
	echo "hw:$VC,2 got: $got"
	[ "$got" = 903C64803C00 ]
}

rawmidi_from_device() {
	need RV || return 1
	spawn midi-mon -e "$RV" -f hex -c 1 -t 120 > "$T/rmon1"
	wait_for "$LIMIT" has_client "$RV" || return 1
	wait_for "$LIMIT" raw_open_n 1 || return 1
	until_arrives "$T/rmon1" '90 3C 64' amidi -p "hw:$VC,2" -S '90 3C 64'
}

rawmidi_sysex_to_device() {
	need RV || return 1
	cleanup_bg
	sysex_hex 65534 3 | hex2bin > "$T/rsx.syx"
	# the far side reads with a 1 MiB kernel buffer (rawcat): inside the
	# sequencer nothing slows the writer down, and cat's 4 KiB overflowed
	# on this emulated CPU (seen: 13 KiB of 64 dropped)
	"$TOOLS/rawcat" "/dev/snd/midiC${VC}D2" 65536 > "$T/r2sx" & BG+=($!)
	wait_for "$LIMIT" raw_open_n 2 || return 1
	midi-sysex send -e "$RV" -r 0 "$T/rsx.syx" || return 1
	wait_for "$LIMIT" hex_at_least "$T/r2sx" 131072
	ls -l "$T/rsx.syx" "$T/r2sx"
	cmp "$T/rsx.syx" "$T/r2sx"
}

rawmidi_sysex_from_device() {
	need RV || return 1
	cleanup_bg
	sysex_hex 65534 5 | hex2bin > "$T/rsx2.syx"
	spawn midi-sysex capture -e "$RV" -c 1 -t 120 -o "$T/rcap.syx"
	wait_for "$LIMIT" has_client "$RV" || return 1
	wait_for "$LIMIT" raw_open_n 1 || return 1
	amidi -p "hw:$VC,2" -s "$T/rsx2.syx" || return 1   # as fast as the kernel takes it
	wait_for "$LIMIT" not_running "${BG[-1]}"
	ls -l "$T/rsx2.syx" "$T/rcap.syx"
	cmp "$T/rsx2.syx" "$T/rcap.syx"
}

# Named on the command line: added while used, gone when its host is idle;
# a bad id and an absent device fail with status 3, naming them.
rawmidi_command_line() {
	need RV || return 1
	cleanup_bg
	local id="rawmidi:hw:$VC,3" out st
	stdbuf -oL aseqdump -p "$(seq_port 3)" > "$T/raseq" 2>&1 & BG+=($!)
	wait_for "$LIMIT" grep -q 'Waiting' "$T/raseq" || return 1
	not_listed "$id" || { echo "$id listed before it was named"; return 1; }
	midi-send -e "$id" on C3 100 || return 1
	wait_for "$LIMIT" grep -q 'Note on.*velocity 100' "$T/raseq" || { cat "$T/raseq"; return 1; }
	cat "$T/raseq"
	wait_for "$LIMIT" not_listed "$id" || { echo "$id stayed after its host went idle"; midi-list; return 1; }
	out=$(midi-send -e "rawmidi:hw:x,0" on C3 100 2>&1); st=$?
	echo "bad id: status $st: $out"
	[ $st = 3 ] && [[ $out == *'rawmidi:hw:x,0'*'hw:CARD,DEVICE'* ]] || return 1
	out=$(midi-send -e "rawmidi:hw:$VC,9" on C3 100 2>&1); st=$?
	echo "absent device: status $st: $out"
	[ $st = 3 ] && [[ $out == *"no raw MIDI device hw:$VC,9"* ]]
}

rawmidi_unconfigured() {
	need RV || return 1
	cleanup_bg
	printf '[usb %s]\ntake = yes\n' "$V1" > "$RCONF"
	wait_for "$LIMIT" not_listed "$RV" &&
		wait_for "$LIMIT" listed "alsa:Virtual-Raw-MIDI-$VC-1:VirMIDI-$VC-1"
	local r=$?
	midi-list --ids
	return $r
}
