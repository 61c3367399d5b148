#!/usr/bin/env bats
# midi-sysex.bats: midi-sysex end to end against the broker: .syx files
# (a real DX7 voice bank, several messages, 1 MiB) sent through
# diag:loopback-a come back identical from capture on diag:loopback-b;
# pacing by interval and byte rate (lower bounds only, measured on the
# receiving side); dry run packets; bad files rejected naming file and
# byte offset before anything is sent; capture ending by count, idle time,
# timeout and signal with the right status; SysEx8; lost messages; request
# with a scripted responder (Identity Reply decoded), echo skipping and
# timeouts; usage errors.

load helpers

# start_bg OUT COMMAND...: COMMAND in the background (stdout to OUT, stderr
# to OUT.err); its pid in $bg_pid. fd 3 is closed so bats does not wait for it.
start_bg() {
	local out=$1
	shift
	"$@" >"$out" 2>"$out.err" 3>&- &
	bg_pid=$!
}

# syx FILE HEX...: write the bytes given in hex to FILE.
syx() {
	local f=$1
	shift
	python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes.fromhex(" ".join(sys.argv[2:])))' "$f" "$@"
}

# dx7_bank FILE: a real DX7 32-voice bulk dump (4104 bytes) from hexter's ROM
# banks: F0 43 00 09 20 00, 4096 data bytes, checksum, F7.
dx7_bank() {
	python3 - "$1" <<'EOF'
import sys
data = open("/usr/share/hexter/dx7_roms.dx7", "rb").read()[:4096]
assert len(data) == 4096 and max(data) < 0x80
bank = bytes([0xF0, 0x43, 0x00, 0x09, 0x20, 0x00]) + data + bytes([(-sum(data)) & 0x7F, 0xF7])
open(sys.argv[1], "wb").write(bank)
EOF
}

# span FILE: seconds from the first to the last line of `midi-mon -T` output.
span() {
	awk 'NR == 1 { sub(/^@/, "", $1); sub(/s$/, "", $1); first = $1 }
	     { sub(/^@/, "", $1); sub(/s$/, "", $1); last = $1 }
	     END { printf "%.6f\n", last - first }' "$1"
}

@test "a DX7 bank and small messages round trip byte for byte, default pacing" {
	T=$BATS_TEST_TMPDIR
	dx7_bank "$T/bank.syx"
	[ "$(stat -c %s "$T/bank.syx")" -eq 4104 ]
	syx "$T/small.syx" F0 7E 7F 06 01 F7  F0 F7  F0 41 10 42 12 40 00 7F 00 41 F7
	cat "$T/bank.syx" "$T/small.syx" >"$T/all.syx"
	start_bg "$T/got.syx" midi-sysex capture -e diag:loopback-b -c 4 -t 30
	wait_clients diag:loopback-b 1
	run midi-sysex send -e diag:loopback-a "$T/bank.syx" "$T/small.syx"
	assert_success
	assert_output ''
	finish $bg_pid 30
	[ "$status" -eq 0 ]
	cmp "$T/all.syx" "$T/got.syx"
	run cat "$T/got.syx.err"
	assert_output 'midi-sysex: captured 4 messages, 4123 bytes'
}

@test "a 1 MiB SysEx round trips" {
	# Room for the whole message in the ring: a reader slower than the
	# writer then cannot lose part of it (that would be status 5).
	export MIDI_RING_SLOTS=262144
	T=$BATS_TEST_TMPDIR
	python3 -c 'import sys
sys.stdout.buffer.write(bytes([0xF0]) + bytes((i * 7 + 3) & 0x7F for i in range(1 << 20)) + bytes([0xF7]))' >"$T/big.syx"
	start_bg "$T/got.syx" midi-sysex capture -e diag:loopback-b -c 1 -t 60
	wait_clients diag:loopback-b 1
	run midi-sysex send -e diag:loopback-a -r 0 -i 0 "$T/big.syx"
	assert_success
	finish $bg_pid 60
	[ "$status" -eq 0 ]
	cmp "$T/big.syx" "$T/got.syx"
	run cat "$T/got.syx.err"
	assert_output 'midi-sysex: captured 1 message, 1048578 bytes'
}

@test "standard input and several files are sent in order" {
	T=$BATS_TEST_TMPDIR
	syx "$T/a.syx" F0 01 F7 F0 02 F7
	syx "$T/b.syx" F0 03 04 05 06 07 08 09 F7
	start_bg "$T/got" midi-sysex capture -e diag:loopback-b -c 4 -f hex -t 20
	wait_clients diag:loopback-b 1
	midi-sysex send -e diag:loopback-a -r 0 -i 0 "$T/a.syx" - "$T/a.syx" <"$T/b.syx"
	finish $bg_pid
	[ "$status" -eq 0 ]
	run cat "$T/got"
	assert_output $'F0 01 F7\nF0 02 F7\nF0 03 04 05 06 07 08 09 F7\nF0 01 F7'
}

@test "-i leaves at least the interval between messages" {
	T=$BATS_TEST_TMPDIR
	syx "$T/three.syx" F0 01 F7 F0 02 F7 F0 03 F7
	start_bg "$T/mon" midi-mon -e diag:loopback-b -f hex -T -c 3 -t 20
	wait_clients diag:loopback-b 1
	run midi-sysex send -e diag:loopback-a -i 50 -r 0 "$T/three.syx"
	assert_success
	finish $bg_pid 20
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/mon")" -eq 3 ]
	# Two gaps of at least 50 ms (lower bound only).
	s=$(span "$T/mon")
	awk -v s="$s" 'BEGIN { exit !(s >= 0.100) }'
}

@test "-r limits the byte rate" {
	T=$BATS_TEST_TMPDIR
	# Three messages of 100 bytes at 1000 bytes/s: each starts at least
	# 100 ms after the one before.
	msg="F0 $(printf '01 %.0s' $(seq 98)) F7"
	syx "$T/three.syx" $msg $msg $msg
	[ "$(stat -c %s "$T/three.syx")" -eq 300 ]
	start_bg "$T/mon" midi-mon -e diag:loopback-b -f hex -T -c 3 -t 20
	wait_clients diag:loopback-b 1
	run midi-sysex send -e diag:loopback-a -i 0 -r 1000 "$T/three.syx"
	assert_success
	finish $bg_pid 20
	[ "$status" -eq 0 ]
	s=$(span "$T/mon")
	awk -v s="$s" 'BEGIN { exit !(s >= 0.200) }'
}

@test "-n prints the packets and touches no endpoint" {
	T=$BATS_TEST_TMPDIR
	syx "$T/m.syx" F0 F7 F0 7E 7F 06 01 F7 F0 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D F7
	# No endpoint given, and no runtime directory needed.
	MIDI_RUNTIME_DIR=/nonexistent/midi run midi-sysex send -n "$T/m.syx"
	assert_success
	assert_output $'30000000 00000000\n30047E7F 06010000\n30160102 03040506\n30260708 090A0B0C\n30310D00 00000000'
	run midi-sysex send -n -g 16 -8 "$T/m.syx"
	assert_success
	assert_output $'5F010000 00000000 00000000 00000000\n5F05007E 7F060100 00000000 00000000\n5F0E0001 02030405 06070809 0A0B0C0D'
}

@test "bad .syx files: status 2 naming file and byte offset, nothing sent" {
	T=$BATS_TEST_TMPDIR
	syx "$T/good.syx" F0 01 F7
	syx "$T/trunc.syx" F0 01 F7 F0 02 03
	syx "$T/garbage.syx" F0 01 F7 90 3C 64 F0 02 F7
	syx "$T/status.syx" F0 01 80 F7
	: >"$T/empty.syx"
	start_bg "$T/mon" midi-mon -e diag:loopback-b -f hex
	wait_clients diag:loopback-b 1
	run midi-sysex send -e diag:loopback-a "$T/good.syx" "$T/trunc.syx"
	assert_failure 2
	assert_output "midi-sysex: $T/trunc.syx: byte 6: the SysEx message that starts at byte 3 has no F7 (truncated)"
	run midi-sysex send -e diag:loopback-a "$T/good.syx" "$T/garbage.syx"
	assert_failure 2
	assert_output "midi-sysex: $T/garbage.syx: byte 3: 0x90 outside a SysEx message (expected F0)"
	run midi-sysex send -e diag:loopback-a "$T/status.syx"
	assert_failure 2
	assert_output --partial "status.syx: byte 2: 0x80 inside the SysEx message that starts at byte 0"
	run midi-sysex send -e diag:loopback-a "$T/empty.syx"
	assert_failure 2
	assert_output "midi-sysex: $T/empty.syx: byte 0: no SysEx message (the file is empty)"
	run midi-sysex send -e diag:loopback-a - </dev/null
	assert_failure 2
	assert_output --partial "standard input: byte 0"
	run midi-sysex send -e diag:loopback-a "$T/missing.syx"
	assert_failure 1
	assert_output --partial "missing.syx"
	# The good file before each bad one was not sent either; this marker is
	# the first thing the monitor sees.
	midi-sysex send -e diag:loopback-a -i 0 "$T/status.syx" "$T/good.syx" || true
	midi-send -e diag:loopback-a -f hex 90 3C 64
	wait_for 10 grep -q '90 3C 64' "$T/mon"
	run cat "$T/mon"
	assert_output '90 3C 64'
}

@test "an unknown endpoint is status 3 for every command" {
	T=$BATS_TEST_TMPDIR
	syx "$T/m.syx" F0 01 F7
	run midi-sysex send -e no-such-thing "$T/m.syx"
	assert_failure 3
	assert_output --partial "no-such-thing"
	run midi-sysex capture -e no-such-thing -t 0.1 -o "$T/out"
	assert_failure 3
	run midi-sysex request -e no-such-thing --identity -t 0.1
	assert_failure 3
	# MIDI_ENDPOINT is the default.
	MIDI_ENDPOINT=diag:loopback-a run midi-sysex send -i 0 "$T/m.syx"
	assert_success
}

@test "capture --idle ends after the quiet time with status 0" {
	T=$BATS_TEST_TMPDIR
	syx "$T/two.syx" F0 01 F7 F0 02 F7
	start_bg "$T/got.syx" midi-sysex capture -e diag:loopback-b --idle 0.3 -t 30
	wait_clients diag:loopback-b 1
	midi-sysex send -e diag:loopback-a -i 0 "$T/two.syx"
	# Well before the 30 s timeout.
	finish $bg_pid 20
	[ "$status" -eq 0 ]
	cmp "$T/two.syx" "$T/got.syx"
	run cat "$T/got.syx.err"
	assert_output 'midi-sysex: captured 2 messages, 6 bytes'
}

@test "capture -t: status 4 with nothing or too few, 0 with what came" {
	T=$BATS_TEST_TMPDIR
	run midi-sysex capture -e diag:loopback-b -t 0.2 -o "$T/none.syx"
	assert_failure 4
	assert_output $'midi-sysex: captured 0 messages, 0 bytes\nmidi-sysex: timed out after 0.2 s with no SysEx'
	[ ! -s "$T/none.syx" ]

	syx "$T/two.syx" F0 01 F7 F0 02 F7
	start_bg "$T/few" midi-sysex capture -e diag:loopback-b -c 3 -t 5 -o "$T/few.syx"
	wait_clients diag:loopback-b 1
	midi-sysex send -e diag:loopback-a -i 0 "$T/two.syx"
	finish $bg_pid
	[ "$status" -eq 4 ]
	cmp "$T/two.syx" "$T/few.syx"
	run cat "$T/few.err"
	assert_output --partial 'timed out after 5 s with 2 of 3 messages'

	start_bg "$T/some.syx" midi-sysex capture -e diag:loopback-b -t 5
	wait_clients diag:loopback-b 1
	midi-sysex send -e diag:loopback-a -i 0 "$T/two.syx"
	finish $bg_pid
	[ "$status" -eq 0 ]
	cmp "$T/two.syx" "$T/some.syx"
}

@test "capture ends cleanly on SIGTERM and keeps what it captured" {
	T=$BATS_TEST_TMPDIR
	syx "$T/one.syx" F0 11 22 F7
	start_bg "$T/got.syx" midi-sysex capture -e diag:loopback-b
	wait_clients diag:loopback-b 1
	midi-sysex send -e diag:loopback-a "$T/one.syx"
	wait_for 10 test -s "$T/got.syx"
	kill -TERM $bg_pid
	finish $bg_pid
	[ "$status" -eq 0 ]
	cmp "$T/one.syx" "$T/got.syx"
	run cat "$T/got.syx.err"
	assert_output 'midi-sysex: captured 1 message, 4 bytes'
}

@test "capture takes only the chosen groups and ignores other messages" {
	T=$BATS_TEST_TMPDIR
	syx "$T/one.syx" F0 01 F7
	syx "$T/two.syx" F0 02 F7
	start_bg "$T/got" midi-sysex capture -e diag:loopback-b -g 3-4 -c 1 -f hex -t 20
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a -f hex 90 3C 64
	midi-sysex send -e diag:loopback-a -g 1 "$T/one.syx"
	midi-sysex send -e diag:loopback-a -g 4 "$T/two.syx"
	finish $bg_pid
	[ "$status" -eq 0 ]
	run cat "$T/got"
	assert_output 'F0 02 F7'
}

@test "capture refuses to write binary to a terminal" {
	run script -qec "midi-sysex capture -e diag:loopback-b -t 0.1" /dev/null
	assert_failure 2
	assert_output --partial 'refusing to write binary SysEx to a terminal'
	# Hex is fine there.
	run script -qec "midi-sysex capture -e diag:loopback-b -t 0.1 -f hex" /dev/null
	assert_failure 4
	assert_output --partial 'captured 0 messages'
}

@test "SysEx8: skipped by capture unless --sysex8, which round trips it" {
	T=$BATS_TEST_TMPDIR
	syx "$T/m.syx" F0 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E F7 F0 7F F7
	start_bg "$T/skip.syx" midi-sysex capture -e diag:loopback-b -c 1 -t 5
	wait_clients diag:loopback-b 1
	midi-sysex send -e diag:loopback-a -8 -i 0 "$T/m.syx"
	finish $bg_pid
	[ "$status" -eq 4 ]
	[ ! -s "$T/skip.syx" ]
	run cat "$T/skip.syx.err"
	assert_line 'midi-sysex: skipped 2 SysEx8 messages (use --sysex8 to keep them)'

	start_bg "$T/got.syx" midi-sysex capture -e diag:loopback-b --sysex8 -c 2 -t 20
	wait_clients diag:loopback-b 1
	midi-sysex send -e diag:loopback-a -8 -i 0 "$T/m.syx"
	finish $bg_pid
	[ "$status" -eq 0 ]
	cmp "$T/m.syx" "$T/got.syx"
}

@test "capture reports lost messages and exits 5" {
	export MIDI_RING_SLOTS=1024
	T=$BATS_TEST_TMPDIR
	syx "$T/one.syx" F0 01 F7
	# 3000 packets: more than the ring holds.
	python3 -c 'import sys
sys.stdout.buffer.write(bytes([0xF0]) + bytes(18000) + bytes([0xF7]))' >"$T/big.syx"
	start_bg "$T/got.syx" midi-sysex capture -e diag:loopback-b
	wait_clients diag:loopback-b 1
	kill -STOP $bg_pid
	midi-sysex send -e diag:loopback-a -r 0 -i 0 "$T/big.syx"
	kill -CONT $bg_pid
	wait_for 10 grep -q 'lost' "$T/got.syx.err"
	# It goes on capturing after the loss.
	midi-sysex send -e diag:loopback-a "$T/one.syx"
	wait_for 10 test -s "$T/got.syx"
	kill -TERM $bg_pid
	finish $bg_pid
	[ "$status" -eq 5 ]
	cmp "$T/one.syx" "$T/got.syx"
	run cat "$T/got.syx.err"
	assert_line --index 0 --regexp '^midi-sysex: lost [0-9]+ messages; any unfinished SysEx is dropped$'
	assert_line 'midi-sysex: captured 1 message, 3 bytes'
	# the rest of the cut SysEx is dropped with it, not reported packet by packet
	refute_output --partial malformed
}

@test "request --identity gets the Identity Reply from a scripted responder, decoded" {
	T=$BATS_TEST_TMPDIR
	midi-loop create dev
	# The responder: see the request arrive on the device side...
	start_bg "$T/req.syx" midi-sysex capture -e loop:dev-b -c 1 -t 20
	cap=$bg_pid
	wait_clients loop:dev-b 1
	start_bg "$T/reply" midi-sysex request -e loop:dev-a --identity -f hex -t 20
	req=$bg_pid
	finish $cap
	[ "$status" -eq 0 ]
	run od -An -tx1 "$T/req.syx"
	assert_output ' f0 7e 7f 06 01 f7'
	# ...then answer it: unrelated SysEx first, which request ignores.
	midi-send -e loop:dev-b -f hex F0 43 10 F7 F0 7E 10 06 02 41 23 02 01 05 01 02 03 04 F7
	finish $req
	[ "$status" -eq 0 ]
	run cat "$T/reply"
	assert_output "F0 7E 10 06 02 41 23 02 01 05 01 02 03 04 F7
device id: 10
manufacturer: 41
family: 291 (23 02)
model: 641 (01 05)
version: 01 02 03 04"
	[ ! -s "$T/reply.err" ]
}

@test "request with hex bytes: a 3-byte manufacturer reply, saved as .syx" {
	T=$BATS_TEST_TMPDIR
	midi-loop create dev
	start_bg "$T/req" midi-sysex capture -e loop:dev-b -c 1 -f hex -t 20
	cap=$bg_pid
	wait_clients loop:dev-b 1
	start_bg "$T/out" midi-sysex request -e loop:dev-a -g 2 F0 00 20 29 0x01 F7 -o "$T/reply.syx" -t 20
	req=$bg_pid
	finish $cap
	[ "$status" -eq 0 ]
	run cat "$T/req"
	assert_output 'F0 00 20 29 01 F7'
	# A reply on another group is not the one.
	midi-sysex send -e loop:dev-b -g 1 <(printf '\xF0\x11\xF7')
	syx "$T/answer.syx" F0 00 20 29 02 7F 7F 7F F7
	midi-sysex send -e loop:dev-b -g 2 "$T/answer.syx"
	finish $req
	[ "$status" -eq 0 ]
	cmp "$T/answer.syx" "$T/reply.syx"
}

@test "request: no reply is status 4; its own echo is not a reply" {
	run midi-sysex request -e diag:loopback-a --identity -t 0.2
	assert_failure 4
	assert_output 'midi-sysex: no Identity Reply from diag:loopback-a within 0.2 s'
	# diag:ping sends every message back: the echo is skipped.
	run midi-sysex request -e diag:ping F0 01 02 F7 -t 0.3 -f hex
	assert_failure 4
	assert_output 'midi-sysex: no SysEx reply from diag:ping within 0.3 s'
}

@test "usage errors: status 2 with a message naming the problem" {
	T=$BATS_TEST_TMPDIR
	syx "$T/m.syx" F0 01 F7
	run midi-sysex
	assert_failure 2
	assert_output --partial 'missing command'
	run midi-sysex dump
	assert_failure 2
	assert_output --partial "unknown command 'dump'"
	run midi-sysex send -e diag:loopback-a
	assert_failure 2
	assert_output --partial 'FILE'
	run midi-sysex send "$T/m.syx"
	assert_failure 2
	assert_output --partial 'MIDI_ENDPOINT'
	run midi-sysex send -n -i x "$T/m.syx"
	assert_failure 2
	assert_output --partial 'interval'
	run midi-sysex send -n -r -5 "$T/m.syx"
	assert_failure 2
	assert_output --partial 'rate'
	run midi-sysex send -n -g 17 "$T/m.syx"
	assert_failure 2
	assert_output --partial 'group'
	run midi-sysex send -n --bogus "$T/m.syx"
	assert_failure 2
	run midi-sysex capture -e diag:loopback-b -f json
	assert_failure 2
	assert_output --partial "'json'"
	run midi-sysex capture -e diag:loopback-b -c 0
	assert_failure 2
	assert_output --partial 'count'
	run midi-sysex capture -e diag:loopback-b --idle x
	assert_failure 2
	assert_output --partial 'idle'
	run midi-sysex capture -e diag:loopback-b -g 0
	assert_failure 2
	assert_output --partial 'group'
	run midi-sysex capture -e diag:loopback-b extra
	assert_failure 2
	assert_output --partial "'extra'"
	run midi-sysex request -e diag:loopback-a
	assert_failure 2
	assert_output --partial '--identity'
	run midi-sysex request -e diag:loopback-a F0 43 2G F7
	assert_failure 2
	assert_output --partial "argument 3: column 1: '2G' is not hex bytes"
	run midi-sysex request -e diag:loopback-a F0 43 10
	assert_failure 2
	assert_output --partial 'has no F7'
	run midi-sysex request -e diag:loopback-a F0 F7 F0 F7
	assert_failure 2
	assert_output --partial '2 messages'
	run midi-sysex request -e diag:loopback-a --identity 80
	assert_failure 2
	assert_output --partial "device id '80'"
	run midi-sysex request -e diag:loopback-a --identity 10 20
	assert_failure 2
	run midi-sysex request -e diag:loopback-a --identity -t never
	assert_failure 2
	assert_output --partial 'timeout'
}

@test "--help and --version" {
	run midi-sysex --help
	assert_success
	assert_output --partial 'Usage: midi-sysex send'
	assert_output --partial '--idle'
	assert_output --partial '--identity'
	run midi-sysex send --help
	assert_success
	assert_output --partial 'Usage: midi-sysex'
	run midi-sysex --version
	assert_success
	assert_output --regexp '^midi-sysex \(libmidi\) [0-9]'
}

@test "bash completion: commands, formats, files only where send takes them" {
	T=$BATS_TEST_TMPDIR
	: >"$T/patch.syx"
	complete_line "midi-sysex "
	[ "$output" = "send capture request" ]
	complete_line "midi-sysex capture -f "
	[ "$output" = "bin hex" ]
	complete_line "midi-sysex capture --id"
	[ "$output" = "--identity --idle" ]
	complete_line "midi-sysex send -r 0 -i 5 $T/pat"
	[ "$output" = "$T/patch.syx" ]
	# -i is the interval, not a file; capture and request take no files.
	complete_line "midi-sysex send -i $T/pat"
	[ "$output" = "" ]
	complete_line "midi-sysex capture $T/pat"
	[ "$output" = "" ]
	complete_line "midi-sysex capture -o $T/pat"
	[ "$output" = "$T/patch.syx" ]
	complete_line "midi-sysex send -e diag:loopback-"
	[ "$output" = "loopback-a loopback-b" ]
}
