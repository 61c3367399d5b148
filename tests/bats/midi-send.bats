#!/usr/bin/env bats
# midi-send.bats: midi-send against the broker: arguments are read whole
# before anything is sent (an input error sends nothing) and a SysEx ends
# where the next verb starts; stop means stop: SIGINT or SIGTERM in the
# middle of a scheduled song cancels what is pending and releases the notes
# it left sounding, and nothing arrives afterwards; the panic verb.

load helpers

# start_mon OUT ARGS...: midi-mon in the background on diag:loopback-b
# (stdout to OUT, stderr to OUT.err); its pid in $mon_pid.
start_mon() {
	local out=$1
	shift
	midi-mon -e diag:loopback-b "$@" >"$out" 2>"$out.err" 3>&- &
	mon_pid=$!
	wait_clients diag:loopback-b 1
}

@test "arguments: a SysEx ends at the next verb, also across arguments" {
	run midi-send -n 'syx 7E 7F 06 01' 'clock clock'
	assert_success
	assert_output $'30047E7F 06010000\n10F80000\n10F80000'
	run midi-send -n syx 01 02 cc 7 100
	assert_success
	assert_output $'30020102 00000000\n20B00764'
}

@test "arguments with an input error send nothing, status 2" {
	T=$BATS_TEST_TMPDIR
	start_mon "$T/mon" -f ump
	run midi-send -e diag:loopback-a on C3 100 off C3 on D3 1000
	assert_failure 2
	assert_output --partial 'line 1, column 24'
	assert_output --partial 'velocity 1000 out of range'
	# A marker after it: the monitor sees the marker only.
	midi-send -e diag:loopback-a cc 1 2
	wait_for 10 lines_in "$T/mon" 1
	run cat "$T/mon"
	assert_output '20B00102'
}
