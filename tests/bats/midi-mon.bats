#!/usr/bin/env bats
# midi-mon.bats: midi-mon end to end against the broker: several monitors
# on one endpoint each get every message, forwarding through a pipe into
# midi-send, lost messages reported (status 5) while other monitors get
# everything, -c and -t, type/group/channel filters, clock and active
# sensing hidden by default, output formats, the endpoint going away,
# signals, and every bad-input path.

load helpers

# start_mon OUT ARGS...: midi-mon in the background (stdout to OUT, stderr to
# OUT.err); its pid in $mon_pid. fd 3 is closed so bats does not wait for it.
start_mon() {
	local out=$1
	shift
	midi-mon "$@" >"$out" 2>"$out.err" 3>&- &
	mon_pid=$!
}

@test "three monitors each receive all 100,000 packets, byte for byte" {
	T=$BATS_TEST_TMPDIR
	# MIDI 1.0 notes and MIDI 2.0 controllers over every group and channel.
	awk 'BEGIN { for (i = 0; i < 100000; i++) {
		g = i % 16; c = int(i / 16) % 16
		if (i % 3) printf "2%X9%X%02X%02X\n", g, c, i % 128, int(i / 128) % 128
		else printf "4%XB%X%02X00 %08X\n", g, c, i % 128, i * 2654435761 % 4294967296 } }' >"$T/in.ump"
	start_mon "$T/m1" -e diag:loopback-b -f ump -c 100000; p1=$mon_pid
	start_mon "$T/m2" -e diag:loopback-b -f ump -c 100000; p2=$mon_pid
	start_mon "$T/m3" -e diag:loopback-b -f ump -c 100000; p3=$mon_pid
	wait_clients diag:loopback-b 3
	run midi-send -e diag:loopback-a -f ump -i "$T/in.ump"
	assert_success
	for p in $p1 $p2 $p3; do
		finish $p 60
		[ "$status" -eq 0 ]
	done
	cmp "$T/in.ump" "$T/m1"
	cmp "$T/in.ump" "$T/m2"
	cmp "$T/in.ump" "$T/m3"
	[ ! -s "$T/m1.err" ]
}

@test "monitors started at once on a fresh runtime directory all connect" {
	T=$BATS_TEST_TMPDIR
	pids=
	for i in 1 2 3 4; do
		start_mon "$T/m$i" -e diag:loopback-b -f ump -c 1 -t 20
		pids="$pids $mon_pid"
	done
	wait_clients diag:loopback-b 4
	midi-send -e diag:loopback-a -f ump 20903C64
	for p in $pids; do
		finish $p 20
		[ "$status" -eq 0 ]
	done
	for i in 1 2 3 4; do
		[ "$(cat "$T/m$i")" = 20903C64 ]
	done
}

@test "midi-mon -f text | midi-send -f text forwards live between endpoints" {
	T=$BATS_TEST_TMPDIR
	midi-loop create fwd
	start_mon "$T/out" -e loop:fwd-b -f ump -c 4; pout=$mon_pid
	wait_clients loop:fwd-b 1
	# A pipe through a FIFO, so that both ends are jobs teardown can end.
	mkfifo "$T/pipe"
	midi-send -e loop:fwd-a -f text <"$T/pipe" 3>&- &
	midi-mon -e diag:loopback-b -f text >"$T/pipe" 3>&- &
	wait_clients diag:loopback-b 1
	# The pipeline never ends: only per-line flushing gets these through.
	midi-send -e diag:loopback-a on C3 100 grp 3 ch 10 cc 7 64 pb 8192 off C3
	finish $pout
	[ "$status" -eq 0 ]
	run cat "$T/out"
	# grp and ch stay in force for the messages after them.
	assert_output $'20903C64\n22B90740\n22E90040\n22893C00'
}

@test "a stopped monitor is told how many it lost and exits 5; another gets all" {
	export MIDI_RING_SLOTS=1024
	T=$BATS_TEST_TMPDIR
	seq 0 3999 | awk '{ printf "2%X9%X%02X%02X\n", $1 % 16, int($1 / 16) % 16, $1 % 128, int($1 / 128) }' >"$T/in.ump"
	start_mon "$T/good" -e diag:loopback-b -f ump -c 4000; good=$mon_pid
	start_mon "$T/slow" -e diag:loopback-b -f ump; slow=$mon_pid
	wait_clients diag:loopback-b 2
	kill -STOP $slow
	# 1 ms apart, so the running monitor keeps up with a 1024-slot ring
	# even if it is not scheduled for most of a second.
	run midi-send -e diag:loopback-a -f ump --interval 1 -i "$T/in.ump"
	assert_success
	finish $good 30
	[ "$status" -eq 0 ]
	cmp "$T/in.ump" "$T/good"
	kill -CONT $slow
	wait_for 10 grep -q 'lost' "$T/slow.err"
	kill -TERM $slow
	finish $slow
	[ "$status" -eq 5 ]
	run cat "$T/slow.err"
	assert_output --regexp '^midi-mon: lost [0-9]+ messages$'
	lost=$(sed -n 's/^midi-mon: lost \([0-9]*\) messages$/\1/p' "$T/slow.err" | awk '{ s += $1 } END { print s }')
	got=$(wc -l <"$T/slow")
	[ "$lost" -gt 0 ]
	# Exactly accounted for: what it printed plus what it was told it lost.
	[ $((got + lost)) -eq 4000 ]
	# What it did print is the end of the input, in order.
	tail -n "$got" "$T/in.ump" | cmp - "$T/slow"
}

@test "-c N stops after N messages with status 0" {
	T=$BATS_TEST_TMPDIR
	start_mon "$T/out" -e diag:loopback-b -f ump -c 3
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a -f ump 20903C64 20903D64 20903E64 20903F64 20904064
	finish $mon_pid
	[ "$status" -eq 0 ]
	run cat "$T/out"
	assert_output $'20903C64\n20903D64\n20903E64'
	wait_clients diag:loopback-b 0
}

@test "-t stops after the time: status 0 without -c, 4 when -c was not reached" {
	run midi-mon -e diag:loopback-b -t 0.2
	assert_success
	assert_output ''
	T=$BATS_TEST_TMPDIR
	start_mon "$T/out" -e diag:loopback-b -f ump -c 5 -t 5
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a -f ump 20903C64 20803C00
	finish $mon_pid
	[ "$status" -eq 4 ]
	run cat "$T/out"
	assert_output $'20903C64\n20803C00'
	run cat "$T/out.err"
	assert_output --partial 'timed out'
	assert_output --partial '2 of 5'
}

# mon_filtered OUT COUNT FILTER... then the packets to send: the monitor
# must print only the last COUNT packets sent, which are the ones that pass.
filter_case() {
	local count=$1 filter=$2
	shift 2
	T=$BATS_TEST_TMPDIR
	start_mon "$T/out" -e diag:loopback-b -f ump -c "$count" -t 10 $filter
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a -f ump "$@"
	finish $mon_pid
	[ "$status" -eq 0 ]
}

@test "clock and active sensing are hidden unless asked for" {
	filter_case 2 "" 10F80000 10FE0000 10F80000 20903C64 10FA0000
	run cat "$T/out"
	assert_output $'20903C64\n10FA0000'
	filter_case 3 "--clock" 10FE0000 10F80000 20903C64 10F80000
	run cat "$T/out"
	assert_output $'10F80000\n20903C64\n10F80000'
	filter_case 2 "--sense" 10F80000 10FE0000 20903C64
	run cat "$T/out"
	assert_output $'10FE0000\n20903C64'
	filter_case 1 "--type clock" 20903C64 10FE0000 10F80000
	run cat "$T/out"
	assert_output '10F80000'
}

@test "--type keeps the listed types, MIDI 1.0 and 2.0 alike" {
	filter_case 3 "--type note,pc" 20B00764 10FA0000 20E00040 20903C64 40803C00 80000000 20C00500
	run cat "$T/out"
	assert_output $'20903C64\n40803C00 80000000\n20C00500'
	filter_case 2 "--type midi2" 20903C64 40903C00 C9240000 40B00700 80000000
	run cat "$T/out"
	assert_output $'40903C00 C9240000\n40B00700 80000000'
}

@test "--type -pb hides only pitch bend" {
	filter_case 2 "--type -pb" 20E00040 40E00000 80000000 10F80000 20903C64 10FA0000
	run cat "$T/out"
	assert_output $'20903C64\n10FA0000'
}

@test "--group and --channel select 1-based groups and channels, with ranges" {
	filter_case 2 "-g 2,4-5" 20903C64 22903C64 21903C64 24903C64
	run cat "$T/out"
	assert_output $'21903C64\n24903C64'
	filter_case 3 "--channel 10" 20903C64 20913C64 20993C64 10FA0000 20B90764
	run cat "$T/out"
	# System messages have no channel: the channel filter lets them through.
	assert_output $'20993C64\n10FA0000\n20B90764'
	filter_case 1 "--channel 16 -g 16 --type note" 2F9E3C64 2E9F3C64 2FBF0764 2F9F3C64
	run cat "$T/out"
	assert_output '2F9F3C64'
}

@test "a multi-packet SysEx counts and prints as one message" {
	filter_case 2 "-f hex" 30160102 03040506 30360708 090A0B0C 20903C64
	run cat "$T/out"
	assert_output $'F0 01 02 03 04 05 06 07 08 09 0A 0B 0C F7\n90 3C 64'
}

@test "text, json and timestamps" {
	filter_case 2 "-f text" 20903C64 21B90740
	run cat "$T/out"
	assert_output --regexp '^.*[Cc]3.*100'
	assert_line --index 1 --regexp 'cc'
	filter_case 2 "-f json -T" 20903C64 40903C00 C9240000
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$T/out"
	run grep -c '20903C64' "$T/out"
	assert_output '1'
	filter_case 2 "-f ump -T" 20903C64 20803C00
	run cat "$T/out"
	assert_line --index 0 --regexp '^@[0-9]+\.[0-9]{6}s 20903C64$'
	assert_line --index 1 --regexp '^@[0-9]+\.[0-9]{6}s 20803C00$'
}

@test "the endpoint going away ends the monitor with the reason, status 1" {
	T=$BATS_TEST_TMPDIR
	midi-loop create gone
	start_mon "$T/out" -e loop:gone-b
	wait_clients loop:gone-b 1
	midi-loop remove gone
	finish $mon_pid
	[ "$status" -eq 1 ]
	run cat "$T/out.err"
	assert_output --regexp '^midi-mon: .*(gone|removed|closed)'
}

@test "SIGINT and SIGTERM end it cleanly and release the connection" {
	T=$BATS_TEST_TMPDIR
	for sig in INT TERM; do
		start_mon "$T/out" -e diag:loopback-b
		wait_clients diag:loopback-b 1
		kill -$sig $mon_pid
		finish $mon_pid
		[ "$status" -eq 0 ]
		[ ! -s "$T/out.err" ]
		wait_clients diag:loopback-b 0
	done
}

@test "a closed output pipe ends it quietly" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/pipe"
	head -n 1 <"$T/pipe" >"$T/out" 3>&- &
	start_mon "$T/pipe" -e diag:loopback-b -f ump
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a -f ump 20903C64
	wait_for 10 test -s "$T/out"
	# The next line written finds the pipe closed.
	midi-send -e diag:loopback-a -f ump 20803C00 20903C64
	finish $mon_pid
	[ "$status" -eq 0 ]
	[ ! -s "$T/pipe.err" ]
	run cat "$T/out"
	assert_output '20903C64'
	wait_clients diag:loopback-b 0
}

@test "--from-first: timestamps count from the first message shown" {
	T=$BATS_TEST_TMPDIR
	start_mon "$T/out" -e diag:loopback-b --from-first -c 2
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a on C3 100 +100ms off C3
	finish $mon_pid
	[ "$status" -eq 0 ]
	run cat "$T/out"
	assert_line --index 0 '@0.000000s grp 1 ch 1 on C3 100'
	assert_line --index 1 --regexp '^@0\.[0-9]{6}s grp 1 ch 1 off C3 0$'
	# Never early: the delay is there (less 2 ms of rounding and wake-up).
	awk 'NR == 2 { sub(/^@/, ""); sub(/s .*/, ""); exit !($0 >= 0.098) }' "$T/out"
}

@test "usage errors: status 2 with a message naming the problem" {
	run midi-mon -e diag:loopback-b -f smf --tempo 0
	assert_failure 2
	assert_output --partial "invalid tempo '0'"
	run midi-mon -e diag:loopback-b -f xml
	assert_failure 2
	assert_output --partial "xml"
	run midi-mon -e diag:loopback-b --type note,notes
	assert_failure 2
	assert_output --partial "'notes'"
	run midi-mon -e diag:loopback-b -g 17
	assert_failure 2
	assert_output --partial "group"
	run midi-mon -e diag:loopback-b --channel 0
	assert_failure 2
	assert_output --partial "channel"
	run midi-mon -e diag:loopback-b --channel 4-2
	assert_failure 2
	run midi-mon -e diag:loopback-b -c 0
	assert_failure 2
	assert_output --partial "count"
	run midi-mon -e diag:loopback-b -c x
	assert_failure 2
	run midi-mon -e diag:loopback-b -t -1
	assert_failure 2
	assert_output --partial "timeout"
	run midi-mon -e diag:loopback-b extra
	assert_failure 2
	assert_output --partial "extra"
	run midi-mon --bogus
	assert_failure 2
	run midi-mon
	assert_failure 2
	assert_output --partial "MIDI_ENDPOINT"
}

@test "unknown endpoint is status 3 naming it; MIDI_ENDPOINT is the default" {
	run midi-mon -e no-such-thing -t 0.1
	assert_failure 3
	assert_output --partial "no-such-thing"
	MIDI_ENDPOINT=diag:loopback-b run midi-mon -t 0.1
	assert_success
}

@test "an ambiguous endpoint is status 3 listing the matches" {
	midi-loop create amb1
	midi-loop create amb2
	run midi-mon -e amb -t 0.1
	assert_failure 3
	assert_output --partial "loop:amb1-a"
	assert_output --partial "loop:amb1-b"
	assert_output --partial "loop:amb2-a"
	assert_output --partial "loop:amb2-b"
}

@test "--help and --version" {
	run midi-mon --help
	assert_success
	assert_output --partial 'Usage: midi-mon'
	assert_output --partial '--type'
	run midi-mon --version
	assert_success
	assert_output --regexp '^midi-mon \(libmidi\) [0-9]'
}
