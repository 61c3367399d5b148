#!/usr/bin/env bats
# midi-send-dry.bats: `midi-send -n` end to end: every input format, -g, -P,
# arguments/stdin/-i, and every bad-input path (message, line/column, status).

load helpers

# dx7_sysex FILE: the first 4096-byte bank of FILE wrapped as a DX7 32-voice
# bulk dump: F0 43 00 09 20 00, data, checksum, F7.
dx7_sysex() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()[:4096]
sys.stdout.buffer.write(bytes([0xF0, 0x43, 0x00, 0x09, 0x20, 0x00]) + d + bytes([(-sum(d)) & 0x7F, 0xF7]))
' "$1"
}

@test "hex note on/off with running status" {
	run bash -c "printf '90 3C 64 3C 00' | midi-send -n -f hex"
	assert_success
	assert_output $'20903C64\n20903C00'
}

@test "hex to MIDI 2.0 protocol" {
	run bash -c "printf '90 3C 64 3C 00' | midi-send -n -f hex -P midi2"
	assert_success
	assert_output $'40903C00 C9240000\n40803C00 80000000'
}

@test "hex SysEx becomes one SysEx7 Complete packet" {
	run bash -c "printf 'F0 7E 7F 06 01 F7' | midi-send -n -f hex"
	assert_success
	assert_output '30047E7F 06010000'
}

@test "text note on from arguments" {
	run midi-send -n on C3 100
	assert_success
	assert_output '20903C64'
}

@test "text channel and group modifiers are 1-based" {
	run midi-send -n grp 2 ch 10 on 36 127
	assert_success
	assert_output '2199247F'
	run midi-send -n ch 16 cc 7 100
	assert_output '20BF0764'
}

@test "-g sets the default group" {
	run midi-send -n -g 16 pc 5
	assert_success
	assert_output '2FC00500'
}

@test "-P midi1 turns MIDI 2.0 back into MIDI 1.0" {
	run midi-send -n -f ump -P midi1 '40903C00 C9240000'
	assert_success
	assert_output '20903C64'
}

@test "ump input passes through, lowercase and 0x accepted" {
	run bash -c "printf '0x20903c64\n40903C00 c9240000 # comment\n' | midi-send -n -f ump"
	assert_success
	assert_output $'20903C64\n40903C00 C9240000'
}

@test "-i reads a file; bin format reads raw bytes" {
	printf '\x90\x3c\x64\x80\x3c\x00' > "$BATS_TEST_TMPDIR/in.bin"
	run midi-send -n -f bin -i "$BATS_TEST_TMPDIR/in.bin"
	assert_success
	assert_output $'20903C64\n20803C00'
}

@test "a 12-byte SysEx becomes Start and End" {
	run bash -c "printf 'F0 01 02 03 04 05 06 07 08 09 0A 0B 0C F7' | midi-send -n -f hex"
	assert_success
	assert_output $'30160102 03040506\n30360708 090A0B0C'
}

@test "real-time byte inside a message comes out first" {
	run bash -c "printf '90 F8 3C 64' | midi-send -n -f hex"
	assert_success
	assert_output $'10F80000\n20903C64'
}

@test "smf file is read in file order" {
	f=$(ls /usr/share/games/openttd/baseset/openmsx/*.mid 2>/dev/null | head -1)
	[ -n "$f" ] || skip "openttd-openmsx not installed"
	run midi-send -n -f smf -i "$f"
	assert_success
	[ "${#lines[@]}" -gt 100 ]
	# every line is a well-formed UMP packet
	run bash -c "midi-send -n -f smf -i '$f' | grep -cvE '^[0-9A-F]{8}( [0-9A-F]{8})*$'"
	assert_output '0'
}

@test "a DX7 voice bank wrapped as a 4104-byte SysEx becomes 684 packets" {
	f=/usr/share/hexter/dx7_roms.dx7
	[ -f "$f" ] || skip "hexter not installed"
	dx7_sysex "$f" > "$BATS_TEST_TMPDIR/bank.syx"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bank.syx")" -eq 4104 ]
	run bash -c "midi-send -n -f bin -i '$BATS_TEST_TMPDIR/bank.syx' | wc -l"
	assert_output '684'
	run bash -c "midi-send -n -f bin -i '$BATS_TEST_TMPDIR/bank.syx' | head -1"
	assert_output '30164300 09200031'
}

@test "bad hex names line and column, status 2" {
	run bash -c "printf '90 3C 64\n80 3G 00\n' | midi-send -n -f hex"
	assert_failure 2
	assert_output --partial 'line 2, column 5'
	assert_output --partial '20903C64'
}

@test "unknown verb names the verb and the column" {
	run midi-send -n on C3 100 onn C3 100
	assert_failure 2
	assert_output --partial 'onn'
	assert_output --partial 'line 1, column 11'
}

@test "out-of-range velocity is an error naming the range" {
	run midi-send -n on C3 300
	assert_failure 2
	assert_output --partial '300'
	assert_output --partial '0-127'
}

@test "missing argument is an error" {
	run midi-send -n on C3
	assert_failure 2
}

@test "ump word count mismatch is an error" {
	run midi-send -n -f ump 40903C00
	assert_failure 2
	assert_output --partial 'line 1'
}

@test "a line of a megabyte is refused cleanly" {
	run bash -c "head -c 1048576 /dev/zero | tr '\\0' 'x' | midi-send -n"
	assert_failure 2
	assert_output --partial 'line 1'
}

@test "truncated smf is an error naming the offset" {
	f=$(ls /usr/share/games/openttd/baseset/openmsx/*.mid 2>/dev/null | head -1)
	[ -n "$f" ] || skip "openttd-openmsx not installed"
	head -c 200 "$f" > "$BATS_TEST_TMPDIR/t.mid"
	run midi-send -n -f smf -i "$BATS_TEST_TMPDIR/t.mid"
	assert_failure 2
	assert_output --partial 'offset'
}

@test "unknown format, protocol, group are usage errors" {
	run midi-send -n -f xml on C3 100
	assert_failure 2
	assert_output --partial "xml"
	run midi-send -n -P midi3 on C3 100
	assert_failure 2
	run midi-send -n -g 17 on C3 100
	assert_failure 2
	assert_output --partial '1-16'
	run midi-send -n -g 0 on C3 100
	assert_failure 2
}

@test "missing input file is an error naming it" {
	run midi-send -n -f hex -i /nonexistent/file.hex
	assert_failure
	assert_output --partial '/nonexistent/file.hex'
}

@test "dry run touches no endpoint" {
	run midi-send -n -e no-such-endpoint on C3 100
	assert_success
	[ -z "$(ls -A "$MIDI_RUNTIME_DIR")" ]
}

@test "without -n and without an endpoint is a usage error" {
	unset MIDI_ENDPOINT
	run midi-send on C3 100
	assert_failure 2
}

@test "--help and --version" {
	run midi-send --help
	assert_success
	assert_output --partial 'Usage: midi-send'
	run midi-send --version
	assert_success
	assert_output --regexp '^midi-send \(libmidi\) [0-9]'
}
