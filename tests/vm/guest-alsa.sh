# guest-alsa.sh: owns the alsa transport's checks of tests/vm/guest.sh
# (sourced there, inside the VM): the sequencer ports of snd-virmidi
# (loaded by init; its card VC, ports "VirMIDI VC-N", each the other side
# of raw MIDI device hw:VC,N) and snd-seq-dummy (Midi Through) as alsa
# endpoints; notes and 64 KiB SysEx both ways (amidi on the raw MIDI side); an application's port
# (aseqdump) coming and going; snd-virmidi unloaded and loaded again.
# Uses from guest.sh and guest-lib.sh: T, LIMIT, check helpers, wait_for.
# shellcheck shell=bash

VC='' AV='' AT='alsa:Midi-Through:Midi-Through-Port-0'

card_virmidi() { VC=$(card_num 'VirMIDI') && AV="alsa:Virtual-Raw-MIDI-$VC-0:VirMIDI-$VC-0"; }
listed() { midi-list --ids | grep -qxF "$1"; }
# The toolkit's host is subscribed to the sequencer port named $1 (it
# listens there: /proc lists the port's connections).
host_reads() {
	local hc
	hc=$(awk -F'[ :]+' '/^Client .*"midi toolkit import"/ { print $2; exit }' /proc/asound/seq/clients)
	[ -n "$hc" ] && grep -A3 -F "\"$1\"" /proc/asound/seq/clients | grep -q "Connecting To:.* $hc:0"
}
raw_open() { grep -q 'Owner PID' "/proc/asound/card$VC/midi0" 2>/dev/null; }

alsa_listed() {
	wait_for "$LIMIT" card_virmidi || { cat /proc/asound/cards; return 1; }
	log "snd-virmidi card $VC: endpoint $AV"
	wait_for "$LIMIT" listed "$AV" && wait_for "$LIMIT" listed "$AT"
	local r=$?
	midi-list
	ep_json "$AV"
	[ $r = 0 ] && ! midi-list --ids | grep -q '^alsa:.*midi-toolkit'
}

# usb_card VID:PID: the number of the kernel's (snd-usb-audio) card of
# that USB device, when it has one now.
usb_card() { grep -lx "$1" /proc/asound/card*/usbid 2>/dev/null | sed -n 's|.*/card\([0-9]*\)/usbid|\1|p' | head -n 1; }
has_v2_card() { [ -n "$(usb_card "$V2")" ]; }

# One device, one endpoint: the card snd-usb-audio made for the MIDI 2.0
# device (its MIDI 1.0 setting), which the usb transport lists, has
# sequencer ports, which are not imported. (The MIDI 1.0 gadget, taken
# with take = yes, is the same case; it is unplugged by now: gadgetfs
# and configfs share the one dummy_hcd.)
alsa_once() {
	need AV || return 1
	wait_for "$LIMIT" has_v2_card || { cat /proc/asound/cards; return 1; }
	local c2
	c2=$(usb_card "$V2")
	log "snd-usb-audio card of $V2: $c2"
	cat /proc/asound/seq/clients
	midi-list --ids
	midi-list --ids | grep -q "^usb:${V2/:/-}" || return 1
	local name
	name=$(sed -n "s/^ *$c2 \[[^]]*\]: USB-Audio - //p" /proc/asound/cards)
	log "its sequencer client: $name"
	grep -qF "\"$name\"" /proc/asound/seq/clients || return 1 # it has sequencer ports
	# (its ports' ids would start with alsa:NAME: with blanks as dashes)
	! midi-list --ids | grep -qF "alsa:${name// /-}:"
}

alsa_to_raw() {
	need AV || return 1
	cat "/dev/snd/midiC${VC}D0" > "$T/vin" & BG+=($!)
	wait_for "$LIMIT" raw_open || return 1
	midi-send -e "$AV" on C3 100 || return 1
	wait_for "$LIMIT" hex_at_least "$T/vin" 6
	local got; got=$(bin2hex < "$T/vin")
	echo "hw:$VC,0 got: $got"
	[[ $got =~ ^90[0-7][0-9A-F]64$ ]]
}

alsa_to_aseqdump() {
	stdbuf -oL aseqdump -p 'Midi Through:0' > "$T/aseq" 2>&1 & BG+=($!)
	wait_for "$LIMIT" grep -q 'Waiting' "$T/aseq" || return 1
	midi-send -e "$AT" on C3 100 || return 1
	wait_for "$LIMIT" grep -q 'Note on.*velocity 100' "$T/aseq"
	local r=$?
	cat "$T/aseq"
	return $r
}

alsa_from_raw() {
	need AV || return 1
	spawn midi-mon -e "$AV" -f hex -c 1 -t 120 > "$T/amon"
	wait_for "$LIMIT" has_client "$AV" || return 1
	wait_for "$LIMIT" host_reads "VirMIDI $VC-0" || return 1
	until_arrives "$T/amon" '90 3C 64' amidi -p "hw:$VC,0" -S '90 3C 64'
}

# 64 KiB SysEx from midi-sysex send to the virmidi port; amidi reads
# the raw MIDI device. Sent as fast as it goes: the host paces what goes to
# snd-virmidi, which drops what does not fit its reader's 4 KiB buffer.
alsa_sysex_to_raw() {
	need AV || return 1
	sysex_hex 65534 3 | hex2bin > "$T/asx.syx"
	amidi -p "hw:$VC,0" -r "$T/vsx.syx" -t 60 & BG+=($!)
	wait_for "$LIMIT" raw_open || return 1
	# snd-virmidi drops what comes before amidi's first read (which starts
	# its input), a moment after the open: seen once, the SysEx's first 3 KB
	# lost, with the host SCHED_FIFO. A note first, until one comes out.
	local end=$((SECONDS + LIMIT)) pre
	until size_at_least "$T/vsx.syx" 3; do
		[ $SECONDS -lt $end ] || { echo "no note came out of hw:$VC,0"; return 1; }
		midi-send -e "$AV" -f hex 90 3C 00 || return 1
		wait_for 5 size_at_least "$T/vsx.syx" 3 2>/dev/null
	done
	pre=$(stat -c %s "$T/vsx.syx")
	midi-sysex send -r 0 -i 0 -e "$AV" "$T/asx.syx" || return 1
	wait_for "$LIMIT" size_at_least "$T/vsx.syx" $((pre + 65536))
	ls -l "$T/asx.syx" "$T/vsx.syx"
	tail -c +$((pre + 1)) "$T/vsx.syx" | cmp "$T/asx.syx" -
}

# The sequencer drops what does not fit the host's input pool (about 46 KB
# of SysEx) and snd-virmidi then stops: the host, SCHED_FIFO (root may),
# reads as it comes even with other processes wanting the CPUs.
alsa_sysex_from_raw() {
	need AV || return 1
	sysex_hex 65534 5 | hex2bin > "$T/asx.syx"
	spawn midi-sysex capture -e "$AV" -c 1 -t 120 -o "$T/acap.syx"
	wait_for "$LIMIT" has_client "$AV" || return 1
	wait_for "$LIMIT" host_reads "VirMIDI $VC-0" || return 1
	local hp
	hp=$(pgrep -f '^midi-host host alsa ') && chrt -p "$hp" | tee "$T/achrt" || return 1
	grep -q 'policy: SCHED_FIFO' "$T/achrt" && grep -q 'priority: 10' "$T/achrt" || return 1
	amidi -p "hw:$VC,0" -s "$T/asx.syx" || return 1
	wait_for "$LIMIT" not_running "${BG[-1]}"
	cmp "$T/asx.syx" "$T/acap.syx"
}

# An application's port: aseqdump's comes and goes; midi-mon --reconnect
# on it is told why and comes back.
alsa_app_port() {
	cleanup_bg    # the aseqdump of an earlier check has a port of the same name
	stdbuf -oL aseqdump > "$T/aseq2" 2>&1 & local ad=$!
	wait_for "$LIMIT" listed alsa:aseqdump:aseqdump || { kill $ad; return 1; }
	midi-mon -e alsa:aseqdump:aseqdump --reconnect -f hex -t 300 > "$T/amon2" 2> "$T/amon2.err" & BG+=($!)
	wait_for "$LIMIT" has_client alsa:aseqdump:aseqdump || { kill $ad; return 1; }
	kill $ad; wait $ad 2>/dev/null
	wait_for "$LIMIT" grep -q 'aseqdump is gone' "$T/amon2.err" || { cat "$T/amon2.err"; return 1; }
	stdbuf -oL aseqdump > "$T/aseq2" 2>&1 & BG+=($!)
	wait_for "$LIMIT" grep -q 'is back' "$T/amon2.err"
	local r=$?
	cat "$T/amon2.err"
	[ $r = 0 ] && midi-send -e alsa:aseqdump:aseqdump on C3 100 &&
		wait_for "$LIMIT" grep -q 'Note on' "$T/aseq2"
}

alsa_reload() {
	need AV || return 1
	cleanup_bg    # users of the virmidi ports (the host unsubscribes once idle)
	spawn midi-watch > "$T/awatch"
	wait_for "$LIMIT" grep -q '^enumerated' "$T/awatch" || return 1
	wait_for "$LIMIT" rmmod snd_virmidi || { lsmod | grep virmidi; return 1; }
	wait_for "$LIMIT" grep -q "^removed $AV" "$T/awatch"
	local gone=$?
	insmod /run/mods/snd-virmidi.ko || return 1
	wait_for "$LIMIT" card_virmidi &&
		wait_for "$LIMIT" grep -q "^added $AV" "$T/awatch"
	local back=$?
	grep alsa: "$T/awatch"
	[ $gone = 0 ] && [ $back = 0 ]
}

# --- the MIDI 1.0 gadget left to the kernel: reached through ALSA --------

AG='' # its sequencer port's endpoint
gadget_alsa_id() { AG=$(midi-list --ids | grep -m1 '^alsa:VM-MIDI-1\.0:'); [ -n "$AG" ]; }

# Without take = yes the usb transport leaves a MIDI 1.0 device to
# snd-usb-audio; its card's sequencer port is an alsa endpoint.
alsa_gadget_listed() {
	[ -n "${GFS:-}" ] && { kill "$GFS"; wait "$GFS" 2>/dev/null; GFS=""; }
	umount /dev/gadget 2>/dev/null
	[ -z "$(cat "$G"/UDC)" ] || echo "" > "$G"/UDC
	sed -i '/^\[usb /,/^take = yes/d' "$XDG_CONFIG_HOME/midi/midi.conf"
	echo "$UDC" > "$G"/UDC || return 1
	cards_m1 || return 1
	wait_for "$LIMIT" gadget_alsa_id || { midi-list; cat /proc/asound/seq/clients; return 1; }
	midi-list
	log "the MIDI 1.0 gadget through snd-usb-audio: $AG"
	! midi-list --ids | grep -q "^usb:${V1/:/-}"
}

alsa_gadget_both() {
	need AG || return 1
	gadget_read_start || return 1
	midi-send -e "$AG" on C3 100 cc 7 127 || return 1
	gadget_read_expect 903C64B0077F || return 1
	spawn midi-mon -e "$AG" -f hex -c 1 -t 120 > "$T/agmon"
	wait_for "$LIMIT" has_client "$AG" || return 1
	until_arrives "$T/agmon" '90 3D 65' gadget_write 903D65
}

# Unplugged and plugged back while midi-watch and a reconnecting midi-mon
# run; the monitor gets what the device sends after.
alsa_gadget_replug() {
	need AG || return 1
	cleanup_bg
	gadget_read_stop
	spawn midi-watch > "$T/agwatch"
	wait_for "$LIMIT" grep -q '^enumerated' "$T/agwatch" || return 1
	midi-mon -e "$AG" --reconnect -f hex -t 300 > "$T/agr" 2> "$T/agr.err" & BG+=($!)
	wait_for "$LIMIT" has_client "$AG" || return 1
	echo "" > "$G"/UDC                               # unplug
	local seen=0
	wait_for "$LIMIT" grep -q "^removed $AG" "$T/agwatch" &&
		wait_for "$LIMIT" grep -q 'waiting for it to come back' "$T/agr.err" && seen=1
	echo "$UDC" > "$G"/UDC                           # plug it back in
	wait_for "$LIMIT" card_gadget || return 1
	wait_for "$LIMIT" grep -q "^added $AG" "$T/agwatch" &&
		wait_for "$LIMIT" grep -q 'is back' "$T/agr.err" || { cat "$T/agwatch" "$T/agr.err"; return 1; }
	until_arrives "$T/agr" '90 3E 70' gadget_write 903E70
	local r=$?
	cat "$T/agwatch" "$T/agr.err"
	[ "$seen" = 1 ] && [ $r = 0 ]
}
