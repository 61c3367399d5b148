#!/usr/bin/env bats
# clock.bats: midi-send --clock, MIDI clock at a tempo driven by the
# broker's scheduler, end to end through diag:loopback-a -> diag:loopback-b:
# the dry run's exact ticks, Start first and Stop last with the count of a
# duration, Song Position and Continue, Ctrl-C stopping at once with
# nothing arriving afterwards, a tempo change read from standard input,
# usage errors. Timing is checked with wide margins (medians, means): the
# machine may be slow and busy.

load helpers

# start_mon OUT ARGS...: midi-mon on diag:loopback-b in the background
# (stdout to OUT); its pid in $mon_pid.
start_mon() {
	local out=$1
	shift
	midi-mon -e diag:loopback-b --clock "$@" >"$out" 2>"$out.err" 3>&- &
	mon_pid=$!
	wait_clients diag:loopback-b 1
}

# count TYPE FILE: lines of FILE (midi-mon -f json) of that type.
count() {
	grep -c "\"type\":\"$1\"" "$2" || true
}

# has_line FILE TYPE: FILE (json) has a line of TYPE.
has_type() {
	grep -q "\"type\":\"$2\"" "$1"
}

# clocks_at_least FILE N
clocks_at_least() {
	[ "$(count clock "$1")" -ge "$2" ]
}

# intervals FILE FROM TO: median interval in ms of the clocks FROM..TO
# (1-based, counted among the clocks) of FILE (json).
median_interval() {
	python3 - "$@" <<-'PY'
		import json, sys
		t = [json.loads(l)["time"] for l in open(sys.argv[1]) if '"clock"' in l]
		a, b = int(sys.argv[2]) - 1, int(sys.argv[3])
		t = t[a:b]
		iv = sorted((y - x) / 1e6 for x, y in zip(t, t[1:]))
		print("%.2f" % iv[len(iv) // 2])
	PY
}

# within X LO HI: LO <= X <= HI (decimals).
within() {
	awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }' ||
		fail "$1 not within $2..$3"
}

@test "dry run: Start, 24 ticks a beat at their times, Stop at the end" {
	run midi-send -n --clock 120 --duration 0.1 -F text -T
	assert_success
	assert_output "@0.000000s grp 1 start
@0.000000s grp 1 clock
@0.020833s grp 1 clock
@0.041666s grp 1 clock
@0.062500s grp 1 clock
@0.083333s grp 1 clock
@0.100000s grp 1 stop"
	# One second at 92.5 BPM: 37 ticks; at 1000 BPM: 400.
	run bash -c 'midi-send -n --clock 92.5 --duration 1 | grep -c 10F80000'
	assert_output 37
	run bash -c 'midi-send -n --clock 1000 --duration 1 | grep -c 10F80000'
	assert_output 400
	# Song Position 16 (one bar) and Continue, on group 2; clocks only.
	run midi-send -n --clock 120 --duration 0.05 --spp 16 -g 2
	assert_success
	assert_output $'11F21000\n11FB0000\n11F80000\n11F80000\n11F80000\n11FC0000'
	run midi-send -n --clock 120 --duration 0.05 --continue
	assert_output $'10FB0000\n10F80000\n10F80000\n10F80000\n10FC0000'
	run midi-send -n --clock 120 --duration 0.05 --clock-only
	assert_output $'10F80000\n10F80000\n10F80000'
}

@test "usage errors name the option, status 2" {
	run midi-send -n --clock 0 --duration 1
	assert_failure 2
	assert_output --partial "invalid tempo '0'"
	run midi-send -n --clock 1001 --duration 1
	assert_failure 2
	run midi-send -n --clock 120
	assert_failure 2
	assert_output --partial 'needs --duration'
	run midi-send -n --duration 1 on C3 100
	assert_failure 2
	assert_output --partial '--duration goes with --clock'
	run midi-send -n --spp 4
	assert_failure 2
	run midi-send -n --clock 120 --duration 1 --spp 16384
	assert_failure 2
	run midi-send -n --clock 120 --duration 1 --spp 4 --clock-only
	assert_failure 2
	run midi-send -e diag:loopback-a --clock 120 on C3 100
	assert_failure 2
	assert_output --partial 'no messages'
	run midi-send -e diag:loopback-a --clock 120 --no-schedule
	assert_failure 2
	assert_output --partial '--no-schedule does not go with --clock'
}

@test "a duration: Start first, every tick, Stop last, at the tempo" {
	T=$BATS_TEST_TMPDIR
	start_mon "$T/mon" -f json
	run midi-send -e diag:loopback-a --clock 120 --duration 2 </dev/null
	assert_success
	wait_for 20 has_type "$T/mon" stop
	run head -n 1 "$T/mon"
	assert_output --partial '"type":"start"'
	run tail -n 1 "$T/mon"
	assert_output --partial '"type":"stop"'
	# Two seconds at 120 BPM: 96 ticks, no more, no fewer.
	[ "$(count clock "$T/mon")" -eq 96 ] || fail "$(count clock "$T/mon") clocks"
	[ "$(wc -l <"$T/mon")" -eq 98 ]
	# At 20.83 ms (a busy machine delays some ticks: a median).
	within "$(median_interval "$T/mon" 1 96)" 18 24
}

@test "Song Position and Continue first" {
	T=$BATS_TEST_TMPDIR
	start_mon "$T/mon" -f ump
	midi-send -e diag:loopback-a --clock 120 --duration 0.2 --spp 100 </dev/null
	wait_for 20 grep -q 10FC0000 "$T/mon"
	run head -n 3 "$T/mon"
	assert_output $'10F26400\n10FB0000\n10F80000'
	[ "$(grep -c 10F80000 "$T/mon")" -eq 10 ]
}

@test "Ctrl-C stops at once: Stop, and nothing of what was scheduled after it" {
	T=$BATS_TEST_TMPDIR
	start_mon "$T/mon" -f json
	midi-send -e diag:loopback-a --clock 120 </dev/null 2>"$T/send.err" 3>&- &
	local pid=$!
	wait_for 20 clocks_at_least "$T/mon" 10
	kill -INT $pid
	finish $pid
	[ "$status" -eq 130 ]
	[ ! -s "$T/send.err" ]
	wait_for 10 has_type "$T/mon" stop
	local n
	n=$(wc -l <"$T/mon")
	# Up to a second of ticks was scheduled: wait until all of it would
	# have been due, then a marker must come right after the Stop.
	sleep 1.5
	midi-send -e diag:loopback-a cc 1 99
	wait_for 10 has_type "$T/mon" control_change
	[ "$(wc -l <"$T/mon")" -eq $((n + 1)) ] || fail "$(tail -n 5 "$T/mon")"
	run tail -n 2 "$T/mon"
	assert_line --index 0 --partial '"type":"stop"'
}

@test "a tempo from standard input: the ticks come at the new tempo" {
	T=$BATS_TEST_TMPDIR
	start_mon "$T/mon" -f json
	mkfifo "$T/tempo"
	midi-send -e diag:loopback-a --clock 120 --duration 60 <"$T/tempo" 2>"$T/send.err" 3>&- &
	local pid=$!
	exec 4>"$T/tempo"
	wait_for 20 clocks_at_least "$T/mon" 30
	echo '# faster' >&4
	echo 'fast' >&4
	echo 240 >&4
	local n
	n=$(count clock "$T/mon")
	# 60 more ticks: the last 20 are surely at 240 BPM (10.42 ms apart).
	wait_for 20 clocks_at_least "$T/mon" $((n + 60))
	kill -INT $pid
	exec 4>&-
	finish $pid
	within "$(median_interval "$T/mon" 1 25)" 18 24
	within "$(median_interval "$T/mon" $((n + 40)) $((n + 60)))" 8.5 12.5
	run cat "$T/send.err"
	assert_output --partial 'standard input, line 2: invalid tempo'
}
