#!/usr/bin/env bats
# sched.bats: midi-send timing through the broker's scheduler: delays and
# --interval become scheduled sends, so midi-send returns once they are
# handed over and the messages still arrive at their time (checked with a
# background midi-mon -T); --no-schedule paces in the process instead.

load helpers

# start_mon OUT ARGS...: midi-mon in the background; pid in $mon_pid.
start_mon() {
	local out=$1
	shift
	midi-mon "$@" >"$out" 2>"$out.err" 3>&- &
	mon_pid=$!
	wait_clients diag:loopback-b 1
}

# lines_ge FILE N: FILE has at least N lines.
lines_ge() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# secs LINE FILE: the seconds of a "@1.234567s ..." line.
secs() {
	sed -n "${1}p" "$2" | sed -e 's/^@\([0-9.]*\)s.*/\1/'
}

# at_least A B MIN: B - A >= MIN (seconds, decimals), less 2 ms: each time
# is its message's due time plus a lateness (the first one's included), so
# the gap between two can be a little under the gap between their due times.
# The optional fourth argument is a larger slack: how late one message may
# be on a slow, busy machine while the next one is on time.
at_least() {
	awk -v a="$1" -v b="$2" -v m="$3" -v s="${4:-0.002}" 'BEGIN { exit !(b - a >= m - s) }'
}

# elapsed_below START MAX: seconds since START (date +%s.%N) < MAX.
elapsed_below() {
	awk -v s="$1" -v e="$(date +%s.%N)" -v m="$2" 'BEGIN { exit !(e - s < m) }'
}

@test "a delay is scheduled: midi-send returns before the Note Off arrives" {
	start_mon "$BATS_TEST_TMPDIR/mon" -e diag:loopback-b -T -c 2
	run midi-send -e diag:loopback-a on C3 100 +300ms off C3
	assert_success
	# Returned at once: the Note Off (due 300 ms later) is not there yet.
	run grep -c 'off C3' "$BATS_TEST_TMPDIR/mon"
	assert_output 0
	wait_for 10 lines_ge "$BATS_TEST_TMPDIR/mon" 2
	run cat "$BATS_TEST_TMPDIR/mon"
	assert_line --index 0 --regexp '^@[0-9.]+s grp 1 ch 1 on C3 100$'
	assert_line --index 1 --regexp '^@[0-9.]+s grp 1 ch 1 off C3 0$'
	at_least "$(secs 1 "$BATS_TEST_TMPDIR/mon")" "$(secs 2 "$BATS_TEST_TMPDIR/mon")" 0.3
}

@test "midi-send returns quickly however long the delay" {
	start_mon "$BATS_TEST_TMPDIR/mon" -e diag:loopback-b -T -c 2
	local t0
	t0=$(date +%s.%N)
	run midi-send -e diag:loopback-a on C3 100 +2s off C3
	assert_success
	elapsed_below "$t0" 1.5
	wait_for 10 lines_ge "$BATS_TEST_TMPDIR/mon" 2
	at_least "$(secs 1 "$BATS_TEST_TMPDIR/mon")" "$(secs 2 "$BATS_TEST_TMPDIR/mon")" 2
}

@test "--interval is scheduled and keeps the spacing" {
	start_mon "$BATS_TEST_TMPDIR/mon" -e diag:loopback-b -T -c 3
	local t0
	t0=$(date +%s.%N)
	run midi-send -e diag:loopback-a --interval 400 on C3 100 on D3 100 on E3 100
	assert_success
	elapsed_below "$t0" 0.6
	wait_for 10 lines_ge "$BATS_TEST_TMPDIR/mon" 3
	run cat "$BATS_TEST_TMPDIR/mon"
	assert_line --index 2 --regexp ' on E3 100$'
	# Spaced by the interval: a message can be late by some milliseconds
	# on a busy machine, never early; and the whole run keeps its length.
	at_least "$(secs 1 "$BATS_TEST_TMPDIR/mon")" "$(secs 2 "$BATS_TEST_TMPDIR/mon")" 0.4 0.05
	at_least "$(secs 2 "$BATS_TEST_TMPDIR/mon")" "$(secs 3 "$BATS_TEST_TMPDIR/mon")" 0.4 0.05
	at_least "$(secs 1 "$BATS_TEST_TMPDIR/mon")" "$(secs 3 "$BATS_TEST_TMPDIR/mon")" 0.8 0.05
}

@test "--no-schedule paces in the process" {
	start_mon "$BATS_TEST_TMPDIR/mon" -e diag:loopback-b -T -c 2
	local t0
	t0=$(date +%s.%N)
	run midi-send --no-schedule -e diag:loopback-a on C3 100 +300ms off C3
	assert_success
	run elapsed_below "$t0" 0.3
	assert_failure
	wait_for 10 lines_ge "$BATS_TEST_TMPDIR/mon" 2
	at_least "$(secs 1 "$BATS_TEST_TMPDIR/mon")" "$(secs 2 "$BATS_TEST_TMPDIR/mon")" 0.3
}

@test "absolute times from standard input are scheduled from the start" {
	start_mon "$BATS_TEST_TMPDIR/mon" -e diag:loopback-b -T -c 2
	printf 'on C3 100\n@500ms off C3\n' >"$BATS_TEST_TMPDIR/in.txt"
	local t0
	t0=$(date +%s.%N)
	run midi-send -e diag:loopback-a -i "$BATS_TEST_TMPDIR/in.txt"
	assert_success
	elapsed_below "$t0" 0.45
	wait_for 10 lines_ge "$BATS_TEST_TMPDIR/mon" 2
	at_least "$(secs 1 "$BATS_TEST_TMPDIR/mon")" "$(secs 2 "$BATS_TEST_TMPDIR/mon")" 0.45
}

@test "a waiting monitor restarts a SIGKILLed scheduler: every scheduled message arrives" {
	start_mon "$BATS_TEST_TMPDIR/mon" -e diag:loopback-b -f ump -c 500 -t 20
	# 500 messages 3 ms apart, the first 300 ms ahead; the sender is gone
	# once they are handed over.
	{ echo "+300ms"; for i in $(seq 0 499); do printf 'cc 1 %d +3ms\n' $((i % 128)); done; } >"$BATS_TEST_TMPDIR/in"
	midi-send -e diag:loopback-a -f text -i "$BATS_TEST_TMPDIR/in"
	sched=""
	for p in $(pgrep -x midi-sched); do
		tr '\0' '\n' </proc/$p/environ 2>/dev/null | grep -qx "MIDI_RUNTIME_DIR=$MIDI_RUNTIME_DIR" && sched=$p
	done
	[ -n "$sched" ]
	kill -9 "$sched"
	wait $mon_pid
	[ "$(wc -l <"$BATS_TEST_TMPDIR/mon")" -eq 500 ]
}

# slow_scheduler: MIDI_HELPER through a wrapper that starts the scheduler
# 0.5 s late (as on a slow machine), every other role at once.
slow_scheduler() {
	local real=$MIDI_HELPER w=$BATS_TEST_TMPDIR/slow-helper
	printf '#!/bin/sh\n[ "$1" = sched ] && sleep 0.5\nexec "%s" "$@"\n' "$real" >"$w"
	chmod +x "$w"
	export MIDI_HELPER=$w
}

@test "the scheduler runs SCHED_FIFO where permitted (MIDI_RT_PRIORITY, 0: not)" {
	local ff=1
	chrt -f 1 true 2>/dev/null || ff=0
	for prio in default 0; do
		if [ $prio = 0 ]; then # a runtime directory of its own: no scheduler yet
			stop_helpers
			MIDI_RUNTIME_DIR=$BATS_TEST_TMPDIR/rt0
			mkdir -m 700 "$MIDI_RUNTIME_DIR"
		fi
		# held 3 s: the scheduler runs meanwhile
		MIDI_RT_PRIORITY=${prio#default} midi-send -e diag:loopback-a +3000 on C3 100
		run helper_sched midi-sched
		assert_success
		if [ $prio = 0 ] || [ $ff = 0 ]; then
			assert_output --regexp '^ *TS +-$'
		else
			assert_output --regexp '^ *FF +10$'
		fi
	done
}

@test "timed messages keep their spacing while the scheduler has to start (arguments and standard input)" {
	slow_scheduler
	T=$BATS_TEST_TMPDIR
	for how in args stdin; do
		start_mon "$T/mon-$how" -e diag:loopback-b -T -c 6
		notes=('on C3 100' '+50' 'on D3 100' '+50' 'on E3 100' '+50' 'on F3 100' '+50' 'on G3 100' '+50' 'on A3 100')
		if [ $how = args ]; then
			midi-send -e diag:loopback-a "${notes[@]}"
		else
			printf '%s\n' "${notes[@]}" | midi-send -e diag:loopback-a
		fi
		finish $mon_pid 15
		assert_equal "$status" 0
		# 50 ms apart, none bunched with the one before (it took the
		# scheduler 0.5 s to come up; bunched is a gap near 0); one may be
		# late by tens of ms on a busy machine (a 2-CPU machine at a load
		# of 6 made one more than 20 ms late).
		for k in 1 2 3 4 5; do
			at_least "$(secs $k "$T/mon-$how")" "$(secs $((k + 1)) "$T/mon-$how")" 0.05 0.03
		done
		# the next round in a runtime directory of its own: no scheduler yet
		MIDI_RUNTIME_DIR=$T/rt2
		mkdir -m 700 -p "$MIDI_RUNTIME_DIR"
	done
}
