#!/usr/bin/env bats
# idle.bats: waiting costs nothing. A monitor (on a loopback, on diag:ping,
# on a virtual device), a watcher and a virtual device's host that have
# nothing to do sleep in poll(2) on the library's descriptors with no
# helper thread and no periodic wake-up: over two seconds their context
# switch counts do not move. And they still wake at once when something
# happens.

load helpers

# switches PID: voluntary + involuntary context switches of every thread.
switches() {
	local t total=0 v
	for t in /proc/"$1"/task/*/status; do
		v=$(awk '/ctxt_switches/ {s += $2} END {print s}' "$t")
		total=$((total + v))
	done
	echo "$total"
}

threads() { ls /proc/"$1"/task | wc -l; }

gone() { ! kill -0 "$1" 2>/dev/null; }

assert_idle() { # PID NAME
	local before after
	before=$(switches "$1")
	sleep 2
	after=$(switches "$1")
	echo "$2: $before -> $after context switches in 2 s"
	[ $((after - before)) -le 2 ] || { echo "$2 woke up $((after - before)) times while idle"; false; }
	[ "$(threads "$1")" -eq 1 ] || { echo "$2 has $(threads "$1") threads"; false; }
}

@test "an idle monitor and an idle watcher sleep until something happens" {
	midi-mon -e diag:loopback-b -f ump >"$BATS_TEST_TMPDIR/mon.out" 3>&- &
	mon=$!
	midi-watch >"$BATS_TEST_TMPDIR/watch.out" 3>&- &
	watch=$!
	wait_clients diag:loopback-b 1
	wait_for 5 grep -q enumerated "$BATS_TEST_TMPDIR/watch.out"
	sleep 0.5
	assert_idle $mon midi-mon
	assert_idle $watch midi-watch
	midi-send -e diag:loopback-a on C3 100
	wait_for 5 grep -q '^20903C64$' "$BATS_TEST_TMPDIR/mon.out"
	midi-loop create wake
	wait_for 5 grep -q 'added.*loop:wake-a' "$BATS_TEST_TMPDIR/watch.out"
}

@test "idle virtual device host and its monitor; the monitor hears of a SIGKILLed host at once" {
	midi-loop virtual quiet -f ump </dev/null >"$BATS_TEST_TMPDIR/virt.out" 3>&- &
	virt=$!
	wait_for 5 listed virt:quiet
	midi-mon -e virt:quiet -f ump >"$BATS_TEST_TMPDIR/mon.out" 2>"$BATS_TEST_TMPDIR/mon.err" 3>&- &
	mon=$!
	wait_clients virt:quiet 1
	sleep 1.5 # the discovery agent has finished
	assert_idle $mon "midi-mon on a virtual device"
	assert_idle $virt "midi-loop virtual"
	kill -9 $virt
	wait_for 2 gone $mon
	run cat "$BATS_TEST_TMPDIR/mon.err"
	assert_output --partial 'virtual device host exited'
}
