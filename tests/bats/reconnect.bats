#!/usr/bin/env bats
# reconnect.bats: endpoints going away and coming back. Without --reconnect,
# midi-mon and midi-send end with the reason and status 1 when their
# endpoint goes. With --reconnect, midi-mon keeps running across a restart
# of a virtual device's host (killed with SIGKILL, started again), says so
# on standard error, and receives everything sent after the restart,
# nothing twice, nothing missing; midi-send waits and sends the rest to the
# new device, nothing twice.

load helpers

# start_host NAME OUT FIFO: host virt:NAME with standard input from FIFO
# (opened for writing on fd 4 here), output in UMP to OUT; pid in $host_pid.
start_host() {
	local name=$1 out=$2 fifo=$3
	[ -p "$fifo" ] || mkfifo "$fifo"
	midi-loop virtual "$name" -f ump <"$fifo" >"$out" 2>"$out.err" 3>&- 4>&- 5>&- &
	host_pid=$!
	exec 4>"$fifo"
	wait_for 10 listed "virt:$name"
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# ump_notes FROM TO: Note On packets with note numbers FROM..TO (group 1,
# channel 1; velocity 1-4 tells the hundreds apart), one per line.
ump_notes() {
	seq "$1" "$2" | awk '{ printf "2090%02X%02X\n", $1 % 128, int($1 / 128) + 1 }'
}

@test "without --reconnect, midi-mon ends with the reason when the host is killed" {
	T=$BATS_TEST_TMPDIR
	start_host dev "$T/h" "$T/in"
	midi-mon -e virt:dev -f ump >"$T/m" 2>"$T/m.err" 3>&- 4>&- &
	mon=$!
	wait_clients virt:dev 1
	kill -9 "$host_pid"
	finish $mon
	[ "$status" -eq 1 ]
	run cat "$T/m.err"
	assert_output --regexp '^midi-mon: .*virt:dev'
	exec 4>&-
}

@test "midi-mon --reconnect keeps running across a restart of the host: all after, none twice" {
	T=$BATS_TEST_TMPDIR
	start_host dev "$T/h1" "$T/in1"
	midi-mon --reconnect -e virt:dev -f ump >"$T/m" 2>"$T/m.err" 3>&- 4>&- &
	mon=$!
	wait_clients virt:dev 1
	ump_notes 0 9 >&4
	wait_for 10 lines_in "$T/m" 10
	kill -9 "$host_pid"
	exec 4>&-
	wait_for 10 not_listed virt:dev
	wait_for 10 grep -q 'waiting for it to come back' "$T/m.err"
	kill -0 $mon
	start_host dev "$T/h2" "$T/in2"
	# The monitor is connected to the new device before anything is sent.
	wait_clients virt:dev 1
	ump_notes 100 399 >&4
	wait_for 20 lines_in "$T/m" 310
	sleep 0.1
	{ ump_notes 0 9; ump_notes 100 399; } >"$T/want"
	cmp "$T/want" "$T/m"
	kill -0 $mon
	run cat "$T/m.err"
	assert_line --index 0 --regexp '^midi-mon: .*virt:dev.*; waiting for it to come back$'
	assert_line --index 1 'midi-mon: endpoint virt:dev is back'
	[ "${#lines[@]}" -eq 2 ]
	# Idle again, it sleeps: far less than the second of CPU time a busy
	# loop would use in a second.
	t0=$(cpu_ticks $mon)
	sleep 1
	t1=$(cpu_ticks $mon)
	[ $((t1 - t0)) -lt $(($(getconf CLK_TCK) / 4)) ]
	# It still stops as usual, with status 0.
	kill -INT $mon
	finish $mon
	[ "$status" -eq 0 ]
	exec 4>&-
}

@test "midi-mon --reconnect -c counts across the gap" {
	T=$BATS_TEST_TMPDIR
	start_host dev "$T/h1" "$T/in1"
	midi-mon --reconnect -e virt:dev -f ump -c 4 >"$T/m" 2>"$T/m.err" 3>&- 4>&- &
	mon=$!
	wait_clients virt:dev 1
	ump_notes 1 2 >&4
	wait_for 10 lines_in "$T/m" 2
	kill -9 "$host_pid"
	exec 4>&-
	wait_for 10 not_listed virt:dev
	start_host dev "$T/h2" "$T/in2"
	wait_clients virt:dev 1
	ump_notes 3 6 >&4
	finish $mon
	[ "$status" -eq 0 ]
	run cat "$T/m"
	assert_output "$(ump_notes 1 4)"
	exec 4>&-
}

@test "midi-send without --reconnect: the endpoint gone, the next send fails with the reason, status 1" {
	T=$BATS_TEST_TMPDIR
	start_host dev "$T/h" "$T/in"
	mkfifo "$T/send"
	midi-send -e virt:dev -f ump <"$T/send" 2>"$T/s.err" 3>&- 4>&- &
	sender=$!
	exec 5>"$T/send"
	echo 20903C64 >&5
	wait_for 10 lines_in "$T/h" 1
	kill -9 "$host_pid"
	exec 4>&-
	wait_for 10 not_listed virt:dev
	echo 20903D64 >&5
	finish $sender
	[ "$status" -eq 1 ]
	exec 5>&-
	run cat "$T/s.err"
	assert_output --regexp '^midi-send: .*virt:dev'
}

@test "midi-send --reconnect: waits for the device to come back and sends the rest once" {
	T=$BATS_TEST_TMPDIR
	start_host dev "$T/h1" "$T/in1"
	mkfifo "$T/send"
	midi-send --reconnect -e virt:dev -f ump <"$T/send" 2>"$T/s.err" 3>&- 4>&- &
	sender=$!
	exec 5>"$T/send"
	ump_notes 0 4 >&5
	wait_for 10 lines_in "$T/h1" 5
	kill -9 "$host_pid"
	exec 4>&-
	wait_for 10 not_listed virt:dev
	ump_notes 5 9 >&5
	wait_for 10 grep -q 'waiting for it to come back' "$T/s.err"
	kill -0 $sender
	start_host dev "$T/h2" "$T/in2"
	ump_notes 10 19 >&5
	exec 5>&-
	finish $sender
	[ "$status" -eq 0 ]
	wait_for 10 lines_in "$T/h2" 15
	sleep 0.1
	run cat "$T/h1"
	assert_output "$(ump_notes 0 4)"
	run cat "$T/h2"
	assert_output "$(ump_notes 5 19)"
	run cat "$T/s.err"
	assert_line --index 0 --regexp '^midi-send: .*virt:dev.*; waiting for it to come back$'
	assert_line --index 1 'midi-send: endpoint virt:dev is back'
	exec 4>&-
}

@test "--reconnect across midi-loop remove and create of a pair" {
	T=$BATS_TEST_TMPDIR
	midi-loop create pair
	midi-mon --reconnect -e loop:pair-b -f ump >"$T/m" 2>"$T/m.err" 3>&- &
	mon=$!
	wait_clients loop:pair-b 1
	midi-send -e loop:pair-a -f ump 20903C64
	wait_for 10 lines_in "$T/m" 1
	midi-loop remove pair
	wait_for 10 grep -q 'waiting for it to come back' "$T/m.err"
	midi-loop create pair
	wait_clients loop:pair-b 1
	midi-send -e loop:pair-a -f ump 20903D64
	wait_for 10 lines_in "$T/m" 2
	run cat "$T/m"
	assert_output $'20903C64\n20903D64'
}
