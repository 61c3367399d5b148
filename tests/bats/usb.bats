#!/usr/bin/env bats
# usb.bats: the usb transport end to end on a fake USB MIDI 1.0 device
# (tests/usb/fakedev.py, umockdev: libusb and the programs are real, the
# device is faked at the usbfs level). A two-cable device with named jacks
# is listed with its USB properties and function blocks named by its
# jacks; messages go both ways on both cables (the device echoes what it
# gets), with bulk and with interrupt endpoints; long SysEx both ways; a
# slow device slows the sender down and loses nothing; hotplug add and
# remove seen by midi-watch; unplugging closes a connection with the
# reason; an IN endpoint that stalls is cleared and read on, one that
# keeps stalling closes connections with the reason; a device a kernel driver holds is left to it unless midi.conf
# says take = yes (then the driver is detached while the device is open
# and given back after); a [usb] configuration section is checked.
# A USB MIDI 2.0 device (fakedev.py --midi2) is used on its MIDI 2.0
# setting: its two Group Terminal Blocks are its function blocks until its
# own discovery answers replace them; UMP (MIDI 2.0 notes, long SysEx7 and
# SysEx8) goes both ways as little-endian words, MIDI 2.0 notes to a block
# of the MIDI 1.0 protocol as MIDI 1.0 ones; midi1 = yes forces its
# MIDI 1.0 setting; a kernel driver holding it is detached by default.
# The device's host and the agent run SCHED_FIFO where permitted
# (MIDI_RT_PRIORITY).

load helpers

ID=usb:1209-4d4a-TC0001

setup_file() {
	export FAKEDEV="$BATS_TEST_DIRNAME/../usb/fakedev.py"
	export USBHELP="$BATS_TEST_DIRNAME/../usb/helpers.sh"
}

need_umockdev() {
	if ! command -v umockdev-wrapper >/dev/null ||
		! /usr/bin/python3 -c 'import gi; gi.require_version("UMockdev", "1.0")' 2>/dev/null; then
		skip "umockdev not installed"
	fi
}

# in_fake [FAKEDEV OPTIONS] -- PROGRAM...: run PROGRAM with the fake device
# (scripts source $USBHELP for wait_for, listed, discovered, has_client).
in_fake() {
	run "$FAKEDEV" "$@"
}

@test "usb: a two-cable device with named jacks is listed with its properties" {
	need_umockdev
	in_fake -- bash -c '. "$USBHELP"
		wait_for 10 discovered || exit 1
		midi-list
		midi-list --json'
	assert_success
	assert_line --regexp "^$ID +Two Cable MIDI +usb +midi1 +0"
	assert_output --partial '"usb":{"vendor":"1209","product":"4d4a","serial":"TC0001"}'
	assert_output --partial '"product_instance_id":"TC0001"'
	assert_output --regexp '"function_blocks":\[\{"index":0,"name":"Port 1","active":true,"direction":"bidirectional","first_group":1,"last_group":1,[^]]*\{"index":1,"name":"Port 2",[^}]*"first_group":2'
	assert_output --partial '"midi1":"yes"'
}

# both_ways [FAKEDEV OPTIONS]: a note on each cable out, and back in.
both_ways() {
	local out="$BATS_TEST_TMPDIR/out.hex"
	in_fake --out "$out" "$@" -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' -f ump -c 3 -t 10 > "$BATS_TEST_TMPDIR/mon" &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID"' -g 2 on C3 100 &&
		midi-send -e '"$ID"' -g 1 cc 7 127 &&
		midi-send -e "Two Cable" -g 2 off C3
		wait'
	assert_success
	# what the device got: cable 1 (group 2) and cable 0 (group 1)
	run cat "$out"
	assert_output --partial 19903c64
	assert_output --partial 0bb0077f
	assert_output --partial 18803c00
	run cat "$BATS_TEST_TMPDIR/mon"
	assert_line --index 0 --partial 21903C64
	assert_line --index 1 --partial 20B0077F
	assert_line --index 2 --partial 21803C00
}

@test "usb: messages go both ways on both cables (bulk endpoints)" {
	need_umockdev
	both_ways
}

@test "usb: messages go both ways on both cables (interrupt endpoints)" {
	need_umockdev
	both_ways --interrupt
}

@test "usb: a long SysEx goes out in 3-byte packets and comes back whole" {
	need_umockdev
	local out="$BATS_TEST_TMPDIR/out.hex" sx
	sx=$(python3 -c 'print("F0 7D " + " ".join("%02X" % (i % 128) for i in range(1000)) + " F7")')
	echo "$sx" > "$BATS_TEST_TMPDIR/sx"
	in_fake --out "$out" -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' -f hex -c 1 -t 20 > "$BATS_TEST_TMPDIR/mon" &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID"' -f hex -i "$BATS_TEST_TMPDIR/sx"
		wait'
	assert_success
	run cat "$BATS_TEST_TMPDIR/mon"
	assert_output "$sx"
	# the packets the device got: CIN 4 with 3 bytes each, CIN 5/6/7 last
	run python3 -c '
import sys
b = bytes.fromhex(open(sys.argv[1]).read().replace("\n", ""))
data, cins = bytearray(), []
for i in range(0, len(b), 4):
    cin = b[i] & 15
    cins.append(cin)
    data += b[i + 1:i + 1 + {4: 3, 5: 1, 6: 2, 7: 3}[cin]]
assert b[0] >> 4 == 0, "cable"
assert all(c == 4 for c in cins[:-1]) and cins[-1] in (5, 6, 7), cins
print(len(cins), data.hex(" ").upper())' "$out"
	assert_success
	assert_output "335 $sx"
}

@test "usb: a slow device: the sender waits, nothing is lost or reordered" {
	need_umockdev
	python3 -c '
for i in range(3000):
    print("%02X %02X %02X" % (0x90 | (i % 16), (i // 16) % 128, i % 128))' >"$BATS_TEST_TMPDIR/notes"
	# each transfer the device takes needs 20 ms: 4 in flight of at most
	# 128 packets, about 25000 packets a second at best
	in_fake --slow 20 -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' -f hex -c 3000 -t 40 > "$BATS_TEST_TMPDIR/mon" &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID"' -f hex -i "$BATS_TEST_TMPDIR/notes" || exit 1
		wait'
	assert_success
	run diff "$BATS_TEST_TMPDIR/notes" "$BATS_TEST_TMPDIR/mon"
	assert_success
}

# host_sched_with RT_PRIORITY: the usb host's and agent's "CLASS PRIO" (a
# line each) while a monitor
# has it serve, MIDI_RT_PRIORITY=RT_PRIORITY (unset: "") in the
# environment of every program (whichever starts the host: the monitor,
# the discovery agent), in a runtime directory of its own (a new host).
host_sched_with() {
	export MIDI_RUNTIME_DIR="$BATS_TEST_TMPDIR/rt-$1" MIDI_RT_PRIORITY="$1"
	mkdir -m 700 "$MIDI_RUNTIME_DIR"
	in_fake -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' -t 20 > /dev/null &
		wait_for 10 has_client || exit 1
		helper_sched "midi-host host usb" && helper_sched "midi-agent agent usb"; r=$?
		kill %1
		exit $r'
}

@test "usb: the device's host and agent run SCHED_FIFO where permitted (MIDI_RT_PRIORITY)" {
	need_umockdev
	local ff=1
	chrt -f 1 true 2>/dev/null || ff=0
	host_sched_with ""
	assert_success
	if [ $ff = 1 ]; then
		assert_line --index 0 --regexp '^ *FF +10$'
		assert_line --index 1 --regexp '^ *FF +10$'
	else
		assert_line --index 0 --regexp '^ *TS +-$'
	fi
	host_sched_with 3
	assert_success
	[ $ff = 0 ] || assert_line --index 0 --regexp '^ *FF +3$'
	host_sched_with 0
	assert_success
	assert_line --index 0 --regexp '^ *TS +-$'
	assert_line --index 1 --regexp '^ *TS +-$'
}

@test "usb: hotplug: midi-watch sees the device added, then removed, saying it was unplugged" {
	need_umockdev
	in_fake --hotplug --add-after 1 --remove-after 6 -- midi-watch -c 3 -t 20
	assert_success
	assert_line --index 0 enumerated
	assert_line --index 1 "added $ID Two Cable MIDI"
	assert_line --index 2 --partial "updated $ID Two Cable MIDI (changed:"
	assert_line --index 3 "removed $ID Two Cable MIDI (is gone: device unplugged)"
}

@test "usb: unplugging closes a connection with the reason" {
	need_umockdev
	in_fake --remove-after 2 -- midi-mon -e "$ID" -t 15
	assert_failure
	assert_output --partial "endpoint $ID is gone: device unplugged"
}

@test "usb: an auto-reconnecting monitor resumes when the device is plugged in again" {
	need_umockdev
	in_fake --remove-after 3 --replug-after 2 -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' --reconnect -f hex -c 1 -t 30 > "$BATS_TEST_TMPDIR/mon" 2>&1 &
		wait_for 10 has_client || exit 1
		wait_for 10 unlisted || exit 1     # unplugged
		wait_for 20 has_client || exit 1   # back, the monitor reconnected
		midi-send -e '"$ID"' on C3 100
		wait'
	assert_success
	run cat "$BATS_TEST_TMPDIR/mon"
	assert_output --partial "90 3C 64"
	# the reason the endpoint went, then its return
	assert_output --partial "endpoint $ID is gone: device unplugged; waiting for it to come back"
	assert_output --partial "endpoint $ID is back"
}

@test "usb: zero-length transfers and zero padding from the device are skipped" {
	need_umockdev
	in_fake --quirks -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' -f hex -c 3 -t 5 &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID"' on C3 100 &&
		midi-send -e '"$ID"' off C3 &&
		midi-send -e '"$ID"' cc 1 2
		wait'
	assert_output "90 3C 64
80 3C 00
B0 01 02"
}

@test "usb: a device that takes nothing: the write times out and connections are told" {
	need_umockdev
	in_fake --stuck -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' -t 20 &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID"' on C3 100
		wait $!'
	assert_failure
	assert_output --partial "endpoint $ID USB write to endpoint 0x02 timed out: the device took nothing for 5000 ms"
}

@test "usb: a stalled IN endpoint is cleared and read on" {
	need_umockdev
	in_fake --stall 2 -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' -f hex -c 1 -t 10 &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID"' on C3 100
		wait'
	assert_success
	assert_output "90 3C 64"
}

@test "usb: an IN endpoint that keeps stalling closes connections with the reason" {
	need_umockdev
	in_fake --stall 1000 --stall-after-out -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID"' -t 10 &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID"' on C3 100
		wait $!'
	assert_failure
	assert_output --partial "endpoint $ID USB endpoint 0x83 (IN) stalled"
}

@test "usb: a device a kernel driver holds is left to it" {
	need_umockdev
	in_fake --kernel-driver -- bash -c 'sleep 0.5; midi-list --ids'
	assert_success
	refute_output --partial usb:
}

# take_note_and_release FAKEDEV-OPTION: with take = yes for the device, a
# note through it, then wait until the host has given it back (2 s after its
# last client); the device's events in $BATS_TEST_TMPDIR/events.
take_note_and_release() {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[usb 1209:4d4a:TC0001]\ntake = yes\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	in_fake "$1" --events "$BATS_TEST_TMPDIR/events" -- bash -c '. "$USBHELP"
		wait_for 10 discovered || exit 1
		midi-mon -e '"$ID"' -f hex -c 1 -t 10 &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID"' on C3 100
		wait || exit 1
		wait_for 10 grep -sqx "reattached 0" "$BATS_TEST_TMPDIR/events"'
	assert_success
	assert_output "90 3C 64"
}

@test "usb: take = yes detaches the kernel driver (card and MIDI) while open, gives it back after" {
	need_umockdev
	take_note_and_release --kernel-driver
	# the Audio Control interface too (the driver holds its card by it),
	# given back last so that the card takes the MIDI interface again
	run cat "$BATS_TEST_TMPDIR/events"
	assert_line --index 0 "detached 0"
	assert_line --index 1 "detached 1"
	assert_line --index 2 "reattached 1"
	assert_line --index 3 "reattached 0"
}

@test "usb: take = yes while the kernel driver is still probing: every interface taken, offered back after" {
	need_umockdev
	# The driver holds nothing yet and binds the Audio Control interface
	# (its card) as soon as it is free while another is claimed: the host
	# must claim it first, and give it to the driver when it lets go.
	take_note_and_release --driver-probing
	# no "probed 0": the driver never got its card while the host held the
	# device; both interfaces offered to it after
	run cat "$BATS_TEST_TMPDIR/events"
	assert_output $'reattached 1\nreattached 0'
}

ID2=usb:1209-4d4b-TM0002

@test "usb: a MIDI 2.0 device: its Group Terminal Blocks are its function blocks" {
	need_umockdev
	local ev="$BATS_TEST_TMPDIR/events"
	# the device does not answer discovery: the blocks stay
	in_fake --midi2 --events "$ev" -- bash -c '. "$USBHELP"
		wait_for 10 discovery_timed_out || exit 1
		midi-list
		midi-list --json'
	assert_success
	assert_line --regexp "^$ID2 +Fake MIDI 2.0 +usb +midi2 +0"
	assert_output --partial '"native":"ump"'
	assert_output --partial '"protocols":["midi1","midi2"]'
	assert_output --regexp '"function_blocks":\[\{"index":0,"name":"Synth","active":true,"direction":"bidirectional","first_group":1,"last_group":1,[^}]*"midi1":"no"'
	assert_output --regexp '\{"index":1,"name":"Keys","active":true,"direction":"output","first_group":2,"last_group":3,[^}]*"midi1":"yes"'
	run cat "$ev"
	assert_line --index 0 "alt 1"
}

@test "usb: a MIDI 2.0 device's own discovery answers replace its Group Terminal Blocks" {
	need_umockdev
	in_fake --midi2 --discovery -- bash -c '. "$USBHELP"
		wait_for 10 discovered || exit 1
		midi-list --json'
	assert_success
	assert_output --partial '"name":"Fake UMP Synth"'
	assert_output --partial '"product_instance_id":"FUS-0001"'
	assert_output --partial '"identity":{"manufacturer":"7D 00 00","family":1,"model":2'
	assert_output --regexp '"function_blocks":\[\{"index":0,"name":"Dev Synth",[^}]*\},\{"index":1,"name":"Dev Keys","active":true,"direction":"output","first_group":2,"last_group":3'
}

@test "usb: a MIDI 2.0 device: UMP both ways as little-endian words, long SysEx7 and SysEx8" {
	need_umockdev
	local out="$BATS_TEST_TMPDIR/out.hex" sx
	sx=$(python3 -c 'print("F0 7D " + " ".join("%02X" % (i % 128) for i in range(300)) + " F7")')
	echo "$sx" > "$BATS_TEST_TMPDIR/sx"
	# SysEx8: 3 packets (start, continue, end) of stream 5, 29 bytes
	printf '%s\n' "511E0500 01020304 05060708 090A0B0C" \
		"512E0510 11121314 15161718 191A1B1C" \
		"51340520 21220000 00000000 00000000" >"$BATS_TEST_TMPDIR/sx8"
	in_fake --midi2 --discovery --out "$out" -- bash -c '. "$USBHELP"
		wait_for 10 discovered || exit 1
		midi-mon -e '"$ID2"' -f ump -c 5 -t 10 > "$BATS_TEST_TMPDIR/mon" &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID2"' -P midi2 on C3 100 &&
		midi-send -e '"$ID2"' -g 3 cc 7 127 &&
		midi-send -e '"$ID2"' -f ump -i "$BATS_TEST_TMPDIR/sx8"
		wait || exit 1
		midi-mon -e '"$ID2"' -f hex -c 1 -t 10 > "$BATS_TEST_TMPDIR/monsx" &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID2"' -f hex -i "$BATS_TEST_TMPDIR/sx"
		wait'
	assert_success
	run cat "$BATS_TEST_TMPDIR/mon"
	assert_line --index 0 "40903C00 C9240000"
	assert_line --index 1 "22B0077F"
	assert_line --index 2 "511E0500 01020304 05060708 090A0B0C"
	assert_line --index 3 "512E0510 11121314 15161718 191A1B1C"
	assert_line --index 4 "51340520 21220000 00000000 00000000"
	# the device got the words least significant byte first: 40903C00 C9240000
	# as 00 3c 90 40 00 00 24 c9
	run grep -c '^003c9040000024c9$' "$out"
	assert_output 1
	run cat "$BATS_TEST_TMPDIR/monsx"
	assert_output "$sx"
}

@test "usb: MIDI 2.0 notes to a MIDI 1.0 protocol block go as MIDI 1.0 ones" {
	need_umockdev
	local out="$BATS_TEST_TMPDIR/out.hex"
	# group 2 is block "Keys" (MIDI 1.0 protocol), group 1 "Synth" (MIDI 2.0)
	in_fake --midi2 --out "$out" -- bash -c '. "$USBHELP"
		wait_for 10 discovery_timed_out || exit 1
		midi-send -e '"$ID2"' -P midi2 -g 2 on C3 100 &&
		midi-send -e '"$ID2"' -P midi2 -g 1 on C3 100'
	assert_success
	run cat "$out"
	assert_line "643c9021"
	assert_line "003c9040000024c9"
}

@test "usb: midi1 = yes uses a MIDI 2.0 device's MIDI 1.0 setting" {
	need_umockdev
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[usb 1209:4d4b]\nmidi1 = yes\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	local ev="$BATS_TEST_TMPDIR/events" out="$BATS_TEST_TMPDIR/out.hex"
	in_fake --midi2 --events "$ev" --out "$out" -- bash -c '. "$USBHELP"
		wait_for 10 discovered || exit 1
		midi-list
		midi-mon -e '"$ID2"' -f hex -c 1 -t 10 &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID2"' on C3 100
		wait'
	assert_success
	assert_line --regexp "^$ID2 +Fake MIDI 2.0 +usb +midi1 +0"
	assert_line "90 3C 64"
	run cat "$out"
	assert_output "09903c64"
	# setting 0 is the one a device starts in: never changed
	[ ! -e "$ev" ] || ! grep -q "alt 1" "$ev"
}

@test "usb: a MIDI 2.0 device a kernel driver holds is taken by default and given back" {
	need_umockdev
	local ev="$BATS_TEST_TMPDIR/events"
	in_fake --midi2 --kernel-driver --events "$ev" -- bash -c '. "$USBHELP"
		wait_for 10 listed || exit 1
		midi-mon -e '"$ID2"' -f ump -c 1 -t 10 &
		wait_for 10 has_client || exit 1
		midi-send -e '"$ID2"' -f ump 20903C64
		wait || exit 1
		wait_for 10 grep -qx "reattached 0" "$BATS_TEST_TMPDIR/events"'
	assert_success
	assert_output "20903C64"
	run cat "$ev"
	assert_line --index 0 "detached 0"
	assert_line --index 1 "detached 1"
	assert_line --index 2 "alt 1"
	assert_line --index 3 "alt 0"
	assert_line --index 4 "reattached 1"
	assert_line --index 5 "reattached 0"
}

@test "usb: a [usb] section of midi.conf is checked" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[usb 1209:4d4a]\ntake = yes\n[usb 1209:4d4a:TC0001]\ntake = no\n' \
		>"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_success
	printf '[usb 12:4d4a]\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_failure
	assert_output --partial 'midi.conf line 1: '
	assert_output --partial 'expected [usb VID:PID] or [usb VID:PID:SERIAL]'
	printf '[usb 1209:4d4a]\ntake = maybe\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_failure
	assert_output --partial 'midi.conf line 2: '
	assert_output --partial 'take = maybe: expected yes or no'
	printf '[usb 1209:4d4a]\nmidi1 = 1\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_failure
	assert_output --partial 'midi1 = 1: expected yes or no'
	printf '[usb 1209:4d4a]\nmidi2 = yes\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_failure
	assert_output --partial 'unknown key "midi2" (known: take, midi1)'
}

@test "usb: the shipped udev rule matches devices with a MIDIStreaming interface only" {
	rule="$MIDI_TOP/udev/60-midi-usb.rules"
	pat=$(sed -n 's/.*ENV{ID_USB_INTERFACES}=="\([^"]*\)".*/\1/p' "$rule")
	[ -n "$pat" ]
	grep -q 'TAG+="uaccess"' "$rule"
	# ID_USB_INTERFACES as udev's usb_id sets it: :CCSSPP: per interface
	[[ ":010100:010300:" == $pat ]]            # audio control + MIDIStreaming
	[[ ":010300:" == $pat ]]
	[[ ! ":010100:010200:" == $pat ]]          # audio streaming only
	[[ ! ":030101:" == $pat ]]                 # a keyboard (HID)
	# DESTDIR, not another PREFIX: that would rebuild the programs of the
	# tree under test with another libexec directory
	make -s -C "$MIDI_TOP" install DESTDIR="$BATS_TEST_TMPDIR/inst" >/dev/null
	cmp "$rule" "$BATS_TEST_TMPDIR/inst/usr/local/lib/udev/rules.d/60-midi-usb.rules"
}
