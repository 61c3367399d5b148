#!/usr/bin/env bats
# midi-loop.bats: midi-loop end to end: create/list/remove, pairs that
# cross, duplicate/unknown/invalid names, persistent pairs from
# $XDG_CONFIG_HOME/midi/midi.conf (never removed by the tool), a bad
# configuration file named with its line, ping statistics, usage errors.

load helpers

@test "create prints the ids, list shows the pair, remove removes it" {
	run midi-loop create studio
	assert_success
	assert_output 'loop:studio-a loop:studio-b'
	run midi-loop list
	assert_success
	assert_line --index 0 --regexp '^NAME +A +B +KIND$'
	assert_line --index 1 --regexp '^studio +loop:studio-a +loop:studio-b +transient$'
	run midi-list --ids
	assert_output $'loop:studio-a\nloop:studio-b'
	run midi-loop remove studio
	assert_success
	assert_output ''
	run midi-loop list
	assert_output --regexp '^NAME +A +B +KIND$'
	run midi-list --ids
	assert_output ''
}

@test "a pair crosses: sent to -a arrives on -b and the reverse" {
	T=$BATS_TEST_TMPDIR
	midi-loop create x
	midi-mon -e loop:x-b -f ump -c 1 -t 10 >"$T/b" 3>&- &
	pb=$!
	midi-mon -e loop:x-a -f ump -c 1 -t 10 >"$T/a" 3>&- &
	pa=$!
	wait_clients loop:x-b 1
	wait_clients loop:x-a 1
	midi-send -e loop:x-a -f ump 20903C64
	midi-send -e loop:x-b -f ump 20803C00
	wait $pb
	wait $pa
	run cat "$T/b"
	assert_output '20903C64'
	run cat "$T/a"
	assert_output '20803C00'
}

@test "a duplicate, an unknown and an invalid name are errors" {
	midi-loop create dup
	run midi-loop create dup
	assert_failure 1
	assert_output --partial 'dup'
	assert_output --partial 'exists'
	run midi-loop remove nonesuch
	assert_failure 3
	assert_output --partial 'nonesuch'
	for bad in 'a b' 'x/y' '' 'ü' "$(printf 'n%.0s' {1..41})"; do
		run midi-loop create "$bad"
		assert_failure 2
		assert_output --partial 'invalid loopback name'
	done
	run midi-loop remove 'a/b'
	assert_failure 2
}

@test "persistent pairs come from the configuration file and stay" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '# studio setup\n[loop desk]\n\n[loop rack]\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-loop list
	assert_success
	assert_line --regexp '^desk +loop:desk-a +loop:desk-b +persistent$'
	assert_line --regexp '^rack +loop:rack-a +loop:rack-b +persistent$'
	run midi-list --ids
	assert_line 'loop:desk-a'
	assert_line 'loop:rack-b'
	run midi-loop remove desk
	assert_failure 2
	assert_output --partial 'persistent'
	assert_output --partial 'midi.conf'
	run midi-list --ids
	assert_line 'loop:desk-a'
	midi-loop create extra
	run midi-loop list
	assert_line --regexp '^extra +loop:extra-a +loop:extra-b +transient$'
}

@test "a bad configuration file is an error naming the file and line" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[loop ok]\nthis is not a setting\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-loop list
	assert_failure 2
	assert_output --partial 'midi.conf'
	assert_output --partial 'line 2'
	printf '[loop bad name]\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-loop create other
	assert_failure 2
	assert_output --partial 'line 1'
}

@test "ping prints count, loss and the four statistics" {
	run midi-loop ping -c 50 -i 1
	assert_success
	assert_line --index 0 'diag:ping: 50 sent, 50 received, 0 lost'
	assert_line --index 1 --regexp '^round trip \(us\): min [0-9]+\.[0-9]  median [0-9]+\.[0-9]  p99 [0-9]+\.[0-9]  max [0-9]+\.[0-9]$'
	# min <= median <= p99 <= max
	read -r min med p99 max < <(echo "${lines[1]}" | awk '{ print $5, $7, $9, $11 }')
	awk -v a="$min" -v b="$med" -v c="$p99" -v d="$max" 'BEGIN { exit !(a <= b && b <= c && c <= d && a > 0) }'
	# The ping connection is gone afterwards.
	wait_clients diag:ping 0
}

@test "ping --warm-up: round trips first at the interval, not counted" {
	# 1 counted + 3 not: four sends 200 ms apart take at least 600 ms.
	start=$(date +%s%N)
	run midi-loop ping -c 1 -i 200 --warm-up 3
	elapsed=$((($(date +%s%N) - start) / 1000000))
	assert_success
	assert_line --index 0 'diag:ping: 1 sent, 1 received, 0 lost'
	[ "$elapsed" -ge 600 ] || fail "took $elapsed ms, not >= 600"
	run midi-loop ping -c 2 -i 1 --warm-up 0
	assert_success
	assert_line --index 0 'diag:ping: 2 sent, 2 received, 0 lost'
}

@test "ping usage errors" {
	run midi-loop ping -c 0
	assert_failure 2
	assert_output --partial 'count'
	run midi-loop ping --warm-up x
	assert_failure 2
	assert_output --partial 'warm-up'
	run midi-loop ping -i x
	assert_failure 2
	run midi-loop ping extra
	assert_failure 2
}

@test "unknown and missing commands and arguments are usage errors" {
	run midi-loop
	assert_failure 2
	assert_output --partial 'missing command'
	run midi-loop frobnicate
	assert_failure 2
	assert_output --partial "'frobnicate'"
	run midi-loop virtual
	assert_failure 2
	assert_output --partial 'virtual takes a NAME'
	run midi-loop create
	assert_failure 2
	run midi-loop create a b
	assert_failure 2
	run midi-loop list extra
	assert_failure 2
	run midi-loop --bogus
	assert_failure 2
}

@test "--help and --version" {
	run midi-loop --help
	assert_success
	assert_output --partial 'Usage: midi-loop'
	assert_output --partial 'virtual NAME'
	run midi-loop --version
	assert_success
	assert_output --regexp '^midi-loop \(libmidi\) [0-9]'
}
