# guest-lib.sh: owns the helpers of tests/vm/guest.sh (sourced there, inside
# the VM): TAP output, background processes, endpoints and clients seen by
# midi-list, the gadget side's ALSA cards and raw MIDI files, hex and binary.
# Uses from guest.sh: RES, TAP, T, LIMIT, GC, HC; wait_for (tests/wait.sh).
# shellcheck shell=bash

FAILS=0 N=0 BG=() GREAD='' ECHO=''

log() { echo "# [guest $(cut -d' ' -f1 /proc/uptime)s] $*"; }

# check NAME FUNCTION: one TAP result; the function's output becomes its
# diagnostics when it fails (all of it stays in RES/check-N.log).
check() {
	N=$((N + 1))
	local out=$RES/check-$N.log t0=$SECONDS r=ok
	log "--- $N $1"
	"$2" > "$out" 2>&1 || { r="not ok"; FAILS=$((FAILS + 1)); }
	echo "$r $N $1 ($((SECONDS - t0)) s)" | tee -a "$TAP"
	[ "$r" = ok ] || tail -n 40 "$out" | sed 's/^/# /' | tee -a "$TAP"
}

# need VAR: an earlier check set VAR, else this one cannot run.
need() {
	[ -n "${!1:-}" ] && return 0
	echo "not run: $1 is unset (an earlier check failed)"
	return 1
}

# spawn COMMAND...: run it in the background, remembered in BG.
spawn() { "$@" & BG+=($!); }
not_running() { ! kill -0 "$1" 2>/dev/null; }
cleanup_bg() {
	gadget_read_stop
	gadget_echo_stop
	[ ${#BG[@]} -gt 0 ] && kill "${BG[@]}" 2>/dev/null
	for p in "${BG[@]}"; do wait "$p" 2>/dev/null; done
	BG=()
}

# --- endpoints, through midi-list ---
ep_json() { midi-list -a --json | grep -F "\"id\":\"$1\""; }
json_has() { ep_json "$1" | grep -qF "$2"; }
has_client() { ep_json "$1" | grep -q '"clients":[1-9]'; }
# usb_id VVVV-PPPP VAR: the id of the usb endpoint of that device, into VAR.
usb_id() {
	local id
	id=$(midi-list --ids | grep -m1 "^usb:$1") || return 1
	printf -v "$2" %s "$id"
}

# --- ALSA cards: the gadget side (f_midi, id vmgadget) and the host side
# (snd-usb-audio), as /proc/asound/cards lists them ---
card_num() { awk -v p="$1" 'index($0, p) { print $1; f = 1; exit } END { exit !f }' /proc/asound/cards; }
card_gadget() { GC=$(card_num '[vmgadget'); }
card_host() { HC=$(card_num 'USB-Audio - VM MIDI 1.0'); }
no_card_host() { ! card_num 'USB-Audio - VM MIDI 1.0' > /dev/null; }
cards_m1() {
	if ! wait_for "$LIMIT" card_gadget || ! wait_for "$LIMIT" card_host; then
		cat /proc/asound/cards
		return 1
	fi
	log "gadget-side card $GC (f_midi), host-side card $HC (snd-usb-audio)"
}

# m1_dev: the host side's name of the MIDI 1.0 gadget in /sys/bus/usb/devices.
m1_dev() {
	local d
	for d in /sys/bus/usb/devices/*; do
		[ "$(cat "$d/idVendor" 2>/dev/null):$(cat "$d/idProduct" 2>/dev/null)" = "$V1" ] || continue
		basename "$d"
		return 0
	done
	return 1
}
# if_driver N: the kernel driver bound to interface N of the MIDI 1.0 gadget
# (0 Audio Control, 1 MIDIStreaming), as seen from the host side:
# snd-usb-audio, usbfs while the project holds it, none, or gone.
if_driver() {
	local d
	d=$(m1_dev) || { echo gone; return 0; }
	d=/sys/bus/usb/devices/$d/$d:1.$1/driver
	[ -e "$d" ] && basename "$(readlink "$d")" || echo none
}
ms_driver() { if_driver 1; }
driver_is() { [ "$(ms_driver)" = "$1" ]; }
pgrep_none() { ! pgrep -x "$1" > /dev/null; }

# Process $1 (the gadget side's reader) waits in a raw MIDI read. Having the
# input open is not enough: ALSA triggers a raw MIDI input at its first read,
# and f_midi drops what comes from the host until then. A reader that had
# opened the file but not yet read (the shell opens the redirection, then
# execs cat, slow under TCG) would lose the first messages, or a whole short
# run.
reading() {
	[ "$(cat "/proc/$1/wchan" 2>/dev/null)" = snd_rawmidi_read ]
}

# Read what the host sends to the gadget into $T/gin.
gadget_read_start() {
	gadget_read_stop
	cat "/dev/snd/midiC${GC}D0" > "$T/gin" &
	GREAD=$!
	wait_for "$LIMIT" reading "$GREAD"
}
# Close the gadget side's raw MIDI files before an unbind: it waits for them.
gadget_read_stop() {
	[ -n "$GREAD" ] || return 0
	kill "$GREAD" 2>/dev/null; wait "$GREAD" 2>/dev/null; GREAD=''
}
size_at_least() { [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
hex_at_least() { [ $(($(stat -c %s "$1") * 2)) -ge "$2" ]; }
# gadget_read_expect HEX: the gadget received exactly these bytes.
gadget_read_expect() {
	wait_for "$LIMIT" hex_at_least "$T/gin" ${#1}
	gadget_read_stop
	local got; got=$(bin2hex < "$T/gin")
	[ "$got" = "$1" ] && return 0
	echo "the gadget received (${#got} hex digits): $got"
	echo "expected (${#1} hex digits): $1"
	return 1
}
# gadget_write HEX: the gadget sends these bytes to the host.
gadget_write() {
	hex2bin <<< "$1" | timeout 30 dd of="/dev/snd/midiC${GC}D0" bs=65536 status=none
}
# The gadget side echoes all it gets (round trips through the host).
gadget_echo_start() {
	gadget_echo_stop
	cat < "/dev/snd/midiC${GC}D0" > "/dev/snd/midiC${GC}D0" &
	ECHO=$!
	wait_for "$LIMIT" reading "$ECHO"
}
# What the gadget side's raw MIDI counted (Rx: what f_midi passed up from
# the host, Tx: what it sent) and the state of its echo: the diagnostics of
# a round trip that did not come back.
gadget_state() {
	cat "/proc/asound/card${GC}/midi0"
	[ -n "$ECHO" ] && ps -o pid,stat,wchan:32,args -p "$ECHO"
	pgrep -a midi
}
# usbmon_start / usbmon_stop: record the USB traffic (usbmon's text API,
# every bus) into $T/usbmon; usbmon_bulk prints its bulk transfers, the
# last 40: whether the host's OUT transfers completed and what IN reads
# were pending, when a round trip did not come back.
usbmon_start() {
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	[ -r /sys/kernel/debug/usb/usbmon/0u ] || return 0
	cat /sys/kernel/debug/usb/usbmon/0u > "$T/usbmon" &
	USBMON=$!
}
usbmon_stop() {
	[ -n "${USBMON:-}" ] || return 0
	kill "$USBMON" 2>/dev/null; wait "$USBMON" 2>/dev/null; USBMON=''
}
usbmon_bulk() {
	usbmon_stop
	[ -s "$T/usbmon" ] || { echo "usbmon: nothing recorded"; return 0; }
	echo "usbmon, bulk transfers (the last 40 of $(grep -c ' B[io]:' "$T/usbmon")):"
	grep ' B[io]:' "$T/usbmon" | tail -n 40
}
gadget_echo_stop() {
	[ -n "$ECHO" ] || return 0
	kill "$ECHO" 2>/dev/null; wait "$ECHO" 2>/dev/null; ECHO=''
}

# until_arrives FILE TEXT COMMAND...: run COMMAND until FILE holds TEXT
# (anything, when TEXT is empty): the host side may not be reading yet
# when the device first sends.
contains() { if [ -z "$2" ]; then [ -s "$1" ]; else grep -qF "$2" "$1"; fi; }
until_arrives() {
	local f=$1 text=$2 end=$((SECONDS + LIMIT))
	shift 2
	while [ $SECONDS -lt $end ]; do
		"$@" || return 1
		wait_for 10 contains "$f" "$text" 2>/dev/null && return 0
		log "nothing in $f yet; the device sends again"
	done
	echo "'$text' never arrived in $f:"
	cat "$f"
	return 1
}

# --- bytes ---
# sysex_hex N SEED: a SysEx of N data bytes as one line of hex pairs.
sysex_hex() {
	awk -v n="$1" -v s="$2" 'BEGIN { printf "F0"; for (i = 0; i < n; i++) printf " %02X", (i * s + s) % 128; print " F7" }'
}
hex2bin() { perl -ne 's/[^0-9A-Fa-f]//g; print pack("H*", $_)'; }
bin2hex() { od -An -v -tx1 | tr -d ' \n' | tr a-f A-F; }
same_hex() {
	local a b
	a=$(tr -d ' \n' < "$1") b=$(tr -d ' \n' < "$2")
	[ "$a" = "$b" ] && return 0
	echo "sent ${#a} hex digits, got ${#b}: ${b:0:200}..."
	return 1
}
