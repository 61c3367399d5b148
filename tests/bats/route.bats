#!/usr/bin/env bats
# route.bats: lasting routes end to end (midi-loop route/unroute/routes,
# [route NAME] in midi.conf, midi-list --routes): a message midi-send sends
# to diag:loopback-a arrives on diag:loopback-b, the route takes it to
# loop:x-a, and a midi-mon on loop:x-b prints it. Group and channel maps, a
# type filter and protocol translation; persistent from midi.conf with no
# program running in between; transient from the command line; removed;
# the route runner killed and replaced with the route still working; an
# end removed and created again with the route following. Every wait is
# for a condition, with a time limit.

load helpers

setup() {
	midi_setup
	export MIDI_AGENT_IDLE_MS=300
}

# runner_pid: the route runner of this runtime directory (midi-agent agent
# route), or nothing.
runner_pid() {
	local p comm
	for p in /proc/[0-9]*; do
		read -r comm 2>/dev/null <"$p/comm" || continue
		[ "$comm" = midi-agent ] || continue
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q '^midi-agent agent route ' || continue
		tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "MIDI_RUNTIME_DIR=$MIDI_RUNTIME_DIR" &&
			echo "${p#/proc/}"
	done
}
has_runner() { [ -n "$(runner_pid)" ]; }
no_runner() { [ -z "$(runner_pid)" ]; }

# state_is NAME STATE: midi-loop routes says so.
state_is() {
	midi-loop routes | awk -v n="$1" -v s="$2" 'NR > 1 && $1 == n && $5 == s { f = 1 } END { exit !f }'
}

# through MONFMT MESSAGES...: start a midi-mon on loop:x-b (-f MONFMT),
# wait until it is connected, send the messages to diag:loopback-a, and
# wait for the monitor to print as many lines as messages are expected
# ($EXPECT, default 1). Its output in $output and $lines.
through() {
	local fmt=$1
	shift
	local out="$BATS_TEST_TMPDIR/mon.out"
	midi-mon -e loop:x-b -f "$fmt" -c "${EXPECT:-1}" -t 20 >"$out" &
	local mon=$!
	wait_clients loop:x-b 1
	midi-send -e diag:loopback-a "$@"
	finish $mon 25
	output=$(cat "$out")
	mapfile -t lines <"$out"
	[ "$status" -eq 0 ] || fail "midi-mon exited $status; printed: $output"
}

# nothing_through MESSAGES...: a monitor on loop:x-b gets nothing in 1 s.
nothing_through() {
	local out="$BATS_TEST_TMPDIR/mon.out"
	midi-mon -e loop:x-b -c 1 -t 1 >"$out" &
	local mon=$!
	wait_clients loop:x-b 1
	midi-send -e diag:loopback-a "$@"
	finish $mon 15
	[ "$status" -eq 4 ] || fail "expected a timeout (4), got $status: $(cat "$out")"
	[ ! -s "$out" ] || fail "arrived: $(cat "$out")"
}

@test "transient route from the command line: group and channel mapped, a type filter" {
	midi-loop create x
	run midi-loop route keys diag:loopback-b loop:x-a -g 1:3 -c '2>5' -F note
	assert_success
	assert_output "keys: diag:loopback-b -> loop:x-a filter=note group=1>3 channel=2>5"
	state_is keys active
	EXPECT=2 through text 'grp 1 ch 2 cc 7 100' 'grp 1 ch 2 on C3 100' 'grp 1 ch 4 off C3'
	assert_line --index 0 'grp 3 ch 5 on C3 100'
	assert_line --index 1 'grp 3 ch 4 off C3 0'
	run midi-loop routes
	assert_line --index 1 --regexp '^keys +diag:loopback-b +loop:x-a +transient +active +filter=note group=1>3 channel=2>5$'
	run midi-list --routes --json
	assert_output --partial '"name":"keys","from":"diag:loopback-b","to":"loop:x-a","persistent":false,"state":"active","options":"filter=note group=1>3 channel=2>5"'
	# Transient: kept in the runtime directory.
	grep -q '^keys	diag:loopback-b	loop:x-a	' "$MIDI_RUNTIME_DIR/routes"
}

@test "protocol translation: MIDI 2.0 in, MIDI 1.0 out, and back" {
	midi-loop create x
	midi-loop route down diag:loopback-b loop:x-a -P midi1
	through ump -P midi2 'on C3 100'
	assert_output 20903C64
	midi-loop unroute down
	midi-loop route up diag:loopback-b loop:x-a --protocol midi2
	through ump -P midi1 'on C3 100'
	assert_output --regexp '^40903C00 C[0-9A-F]{7}$'
}

@test "persistent route from midi.conf: runs with no program running in between" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	cat >"$XDG_CONFIG_HOME/midi/midi.conf" <<-EOF
	[loop x]
	[route keep]
	from = diag:loopback-b
	to = loop:x-a
	group = 1>2
	EOF
	# Any program that reads the registry starts the runner, then exits.
	midi-list >/dev/null
	wait_for 10 has_runner
	wait_clients diag:loopback-b 1
	sleep 0.5 # nothing of ours runs now: the runner keeps the route alone
	has_runner
	through text 'on C3 100'
	assert_output 'grp 2 ch 1 on C3 100'
	run midi-loop routes
	assert_line --index 1 --regexp '^keep +diag:loopback-b +loop:x-a +persistent +active +group=1>2$'
	run midi-loop unroute keep
	assert_failure 2
	assert_output --partial "route keep is persistent: remove its [route keep] section (line 2) from $XDG_CONFIG_HOME/midi/midi.conf"
	# The section removed from the file: the route goes, then the runner.
	printf '[loop x]\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	wait_for 10 no_runner
	run midi-loop routes
	assert_output --regexp '^NAME +FROM +TO +KIND +STATE +OPTIONS$'
}

@test "a broken [route] section is reported with file and line" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[route r]\nfrom = loop:a-b\nto = loop:c-a\nchannel = 2>17\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_failure 2
	assert_output --partial "$XDG_CONFIG_HOME/midi/midi.conf line 4: [route r]: invalid channel map \"2>17\""
	run midi-loop routes
	assert_failure 2
}

@test "removed: unroute stops the route, and the runner leaves" {
	midi-loop create x
	midi-loop route r diag:loopback-b loop:x-a
	through text 'on C3 100'
	assert_output 'grp 1 ch 1 on C3 100'
	run midi-loop unroute r
	assert_success
	nothing_through 'on C3 100'
	wait_for 10 no_runner
	run midi-loop unroute r
	assert_failure 3
	assert_output 'midi-loop: no route named "r"'
}

@test "the runner killed: the next program starts another and the route still works" {
	midi-loop create x
	midi-loop route r diag:loopback-b loop:x-a -c '*>9'
	wait_for 10 has_runner
	old=$(runner_pid)
	kill -9 "$old"
	wait_for 10 no_runner
	# A listing replaces it (agents_ensure), reading the route again.
	run midi-loop routes
	assert_line --index 1 --regexp '^r +diag:loopback-b +loop:x-a +transient +active +channel=\*>9$'
	new=$(runner_pid)
	[ -n "$new" ] && [ "$new" != "$old" ]
	through text 'on C3 100'
	assert_output 'grp 1 ch 9 on C3 100'
}

@test "an end removed and created again: the route follows it (TO, then FROM)" {
	midi-loop create x
	midi-loop create y
	midi-loop route r diag:loopback-b loop:x-a
	midi-loop route s loop:y-b loop:x-a -c 1:2
	through text 'on C3 100'
	assert_output 'grp 1 ch 1 on C3 100'
	# TO goes away and comes back.
	midi-loop remove x
	wait_for 10 state_is r waiting
	midi-loop create x
	wait_for 10 state_is r active
	through text 'on D3 90'
	assert_output 'grp 1 ch 1 on D3 90'
	# FROM goes away and comes back: a monitor on x-b, a sender on y-a.
	midi-loop remove y
	wait_for 10 state_is s waiting
	midi-loop create y
	wait_for 10 state_is s active
	wait_clients loop:y-b 1
	out="$BATS_TEST_TMPDIR/mon2.out"
	midi-mon -e loop:x-b -c 1 -t 20 >"$out" &
	mon=$!
	wait_clients loop:x-b 1
	midi-send -e loop:y-a 'on E3 80'
	finish $mon 25
	assert_equal "$status" 0
	assert_equal "$(cat "$out")" 'grp 1 ch 2 on E3 80'
}

@test "a route to an end that does not exist yet waits for it" {
	run midi-loop route later diag:loopback-b loop:x-a
	assert_success
	state_is later waiting
	midi-loop create x
	wait_for 10 state_is later active
	through text 'on C3 100'
	assert_output 'grp 1 ch 1 on C3 100'
}

@test "route errors: usage, unknown endpoint, itself, its own loopback peer, a name twice" {
	midi-loop create x
	run midi-loop route r diag:loopback-b loop:x-a -g '1>17'
	assert_failure 2
	assert_output --partial 'invalid group map "1>17"'
	run midi-loop route r nosuchendpoint loop:x-a
	assert_failure 3
	assert_output --partial 'no endpoint matches "nosuchendpoint"'
	run midi-loop route r loop:x-a loop:x-a
	assert_failure 2
	assert_output --partial 'goes from loop:x-a to itself'
	run midi-loop route r loop:x-b loop:x-a
	assert_failure 2
	assert_output --partial 'loop:x-a is the loopback peer of loop:x-b'
	run midi-loop route r diag:loopback-b loop:x-a -P midi3
	assert_failure 2
	run midi-loop route 'bad name' diag:loopback-b loop:x-a
	assert_failure 2
	run midi-loop route r diag:loopback-b
	assert_failure 2
	midi-loop route r diag:loopback-b loop:x-a
	run midi-loop route r diag:loopback-b loop:x-a
	assert_failure 2
	assert_output --partial 'route r exists already'
	run midi-list --routes -v
	assert_failure 2
}
