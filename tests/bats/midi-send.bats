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

# song FILE: a text song of 3 s: every 50 ms a note starts on channel 1 or
# 2 and the one started 150 ms before on that channel ends, so 3 to 6 notes
# sound at any moment; the last Note Off is at 3.05 s.
song() {
	python3 - "$1" <<-'PY'
		import sys
		out = []
		for i in range(60):
		    ch = 1 + i % 2
		    out.append("ch %d on %d 100" % (ch, 48 + i % 24))
		    if i >= 6:
		        out.append("ch %d off %d" % (1 + (i - 6) % 2, 48 + (i - 6) % 24))
		    out.append("+50ms")
		for i in range(54, 60):
		    out.append("ch %d off %d" % (1 + i % 2, 48 + i % 24))
		open(sys.argv[1], "w").write("\n".join(out) + "\n")
	PY
}

# sounding FILE: the notes still on after the UMP lines of FILE (midi-mon
# -f ump), as "group/channel/note" words; nothing when none.
sounding() {
	python3 - "$1" <<-'PY'
		import sys
		on = set()
		for line in open(sys.argv[1]):
		    w = int(line.split()[0], 16)
		    mt, op = w >> 28, (w >> 20) & 15
		    if mt not in (2, 4) or op not in (8, 9):
		        continue
		    key = "%d/%d/%d" % ((w >> 24) & 15, (w >> 16) & 15, (w >> 8) & 127)
		    if op == 9 and not (mt == 2 and (w & 127) == 0):
		        on.add(key)
		    else:
		        on.discard(key)
		print(" ".join(sorted(on)))
	PY
}

nothing_sounding() {
	[ -z "$(sounding "$1")" ]
}

# stop_test SIGNAL OPTIONS...: play the song with OPTIONS, send SIGNAL once
# 10 messages arrived; midi-send dies of it, having released its notes, and
# after the song's end a marker arrives with nothing of the song before it.
stop_test() {
	local sig=$1
	shift
	T=$BATS_TEST_TMPDIR
	song "$T/song.txt"
	start_mon "$T/mon" -f ump
	midi-send -e diag:loopback-a "$@" -i "$T/song.txt" 2>"$T/send.err" 3>&- &
	sender=$!
	local t0=$SECONDS
	wait_for 20 lines_in "$T/mon" 10
	kill -"$sig" $sender
	finish $sender
	[ "$status" -eq $((128 + $(kill -l "$sig"))) ]
	[ ! -s "$T/send.err" ]
	# Nothing sounding once it is gone (the monitor may print the Note
	# Offs a moment later), and the song did not play to its end.
	wait_for 10 nothing_sounding "$T/mon"
	local n
	n=$(wc -l <"$T/mon")
	[ "$n" -lt 120 ]
	# Past the song's end (3.05 s after it started), a marker: nothing of
	# the song came in between.
	while [ $((SECONDS - t0)) -lt 5 ]; do sleep 0.2; done
	midi-send -e diag:loopback-a cc 1 99
	wait_for 10 grep -q '^20B00163$' "$T/mon"
	[ "$(wc -l <"$T/mon")" -eq $((n + 1)) ]
}

@test "stop means stop: SIGINT in the middle of a scheduled song (--wait)" {
	stop_test INT --wait
}

@test "stop means stop: SIGTERM in the middle of a song paced in the process" {
	stop_test TERM --no-schedule
}

@test "panic: All Notes Off, All Sound Off, Reset All Controllers on every channel" {
	run midi-send -n panic
	assert_success
	[ "${#lines[@]}" -eq 48 ]
	assert_line --index 0 '20B07B00'
	assert_line --index 1 '20B07800'
	assert_line --index 2 '20B07900'
	assert_line --index 47 '20BF7900'
	run midi-send -n -g 3 panic
	assert_line --index 0 '22B07B00'
	run midi-send -n -P midi2 grp 16 panic
	assert_line --index 0 '4FB07B00 00000000'
	T=$BATS_TEST_TMPDIR
	start_mon "$T/mon" -f text
	midi-send -e diag:loopback-a on C3 100 panic
	wait_for 10 lines_in "$T/mon" 49
	run sed -n 2,4p "$T/mon"
	assert_output $'grp 1 ch 1 cc 123 0\ngrp 1 ch 1 cc 120 0\ngrp 1 ch 1 cc 121 0'
}
