#!/usr/bin/env bats
# helper.bats: the broker's helper program (libexec/midi-helper), which the
# library runs for diag:ping's host, the scheduler and the discovery agent.
# With MIDI_HELPER unset the programs find it by themselves, as
# ../libexec/midi-helper beside their bin/ (the checkout, and an installed
# prefix tree); the processes are the helper under their own names. With
# MIDI_HELPER naming nothing, or nothing to be found, what needed a helper
# fails at once with status 1 and a message naming what was tried.

load helpers

# helper_of COMM: the pid of the process named COMM serving our runtime
# directory (other tests may run helpers of their own).
helper_of() {
	local p
	for p in $(pgrep -x "$1"); do
		if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
			grep -qx "MIDI_RUNTIME_DIR=$MIDI_RUNTIME_DIR"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# exe_is COMM PATH: the process COMM of our runtime directory runs PATH.
exe_is() {
	local p
	p=$(helper_of "$1") || return 1
	[ "$(readlink "/proc/$p/exe")" = "$(realpath "$2")" ]
}

@test "MIDI_HELPER unset: a program in bin/ finds ../libexec/midi-helper for diag:ping's host" {
	unset MIDI_HELPER
	run midi-loop ping -c 3
	assert_success
	assert_line --index 0 'diag:ping: 3 sent, 3 received, 0 lost'
	# The host outlives the client by 2 s: it is the helper program.
	exe_is midi-host "$MIDI_TOP/libexec/midi-helper"
	p=$(helper_of midi-host)
	run tr '\0' ' ' <"/proc/$p/cmdline"
	assert_output --regexp '^midi-host host diag ep-[0-9a-f]{16} 3 $'
	run readlink "/proc/$p/fd/0"
	assert_output /dev/null
	run readlink "/proc/$p/fd/3"
	assert_output --regexp "^$MIDI_RUNTIME_DIR/ep-[0-9a-f]+\.host\.lock$"
}

@test "MIDI_HELPER unset: the scheduler and the discovery agent are the helper too" {
	unset MIDI_HELPER
	midi-mon -e diag:loopback-b -c 1 >"$BATS_TEST_TMPDIR/mon" 2>&1 3>&- &
	wait_clients diag:loopback-b 1
	run midi-send -e diag:loopback-a +300ms on C3 100
	assert_success
	wait_for 5 exe_is midi-sched "$MIDI_TOP/libexec/midi-helper"
	wait_for 10 grep -q 'on C3 100' "$BATS_TEST_TMPDIR/mon"
	MIDI_DISCOVERY_TIMEOUT_MS=3000 midi-loop virtual hush --silent </dev/null >/dev/null 2>&1 3>&- &
	wait_for 5 exe_is midi-discovery "$MIDI_TOP/libexec/midi-helper"
}

@test "an installed layout: PREFIX/bin programs use PREFIX/libexec/midi-helper" {
	unset MIDI_HELPER
	local prefix=$BATS_TEST_TMPDIR/prefix
	mkdir -p "$prefix/bin" "$prefix/libexec"
	cp "$MIDI_TOP/bin/midi-loop" "$prefix/bin/"
	cp "$MIDI_TOP/libexec/midi-helper" "$prefix/libexec/"
	run "$prefix/bin/midi-loop" ping -c 2
	assert_success
	exe_is midi-host "$prefix/libexec/midi-helper"
}

@test "no helper to be found: status 1, the paths tried and MIDI_HELPER named" {
	unset MIDI_HELPER
	[ ! -e /usr/local/libexec/midi-helper ] || skip "a midi-helper is installed in /usr/local"
	local prefix=$BATS_TEST_TMPDIR/prefix
	mkdir -p "$prefix/bin"
	cp "$MIDI_TOP/bin/midi-loop" "$prefix/bin/"
	run timeout 10 "$prefix/bin/midi-loop" ping -c 1
	assert_failure 1
	assert_output --partial 'cannot start a host for diag:ping'
	assert_output --partial "$prefix/bin/../libexec/midi-helper"
	assert_output --partial '/usr/local/libexec/midi-helper'
	assert_output --partial 'MIDI_HELPER'
}

@test "MIDI_HELPER=/nonexistent: ping fails at once with status 1 naming it" {
	MIDI_HELPER=/nonexistent run timeout 10 midi-loop ping -c 1
	assert_failure 1
	assert_output --partial 'cannot start a host for diag:ping'
	assert_output --partial 'MIDI_HELPER=/nonexistent'
	assert_output --partial 'No such file or directory'
}

@test "MIDI_HELPER=/nonexistent: a scheduled send fails with status 1 naming it" {
	MIDI_HELPER=/nonexistent run timeout 10 midi-send -e diag:loopback-a +200ms on C3 100
	assert_failure 1
	assert_output --partial 'cannot start the scheduler'
	assert_output --partial 'MIDI_HELPER=/nonexistent'
}

@test "MIDI_HELPER naming no program: the exec failure is reported" {
	printf 'not a program\n' >"$BATS_TEST_TMPDIR/bogus"
	chmod 755 "$BATS_TEST_TMPDIR/bogus"
	MIDI_HELPER=$BATS_TEST_TMPDIR/bogus run timeout 10 midi-loop ping -c 1
	assert_failure 1
	assert_output --partial "cannot run $BATS_TEST_TMPDIR/bogus"
}

@test "midi-helper run by hand: usage, status 2" {
	run "$MIDI_TOP/libexec/midi-helper"
	assert_failure 2
	assert_output --partial 'usage: midi-helper host TRANSPORT KEY LOCKFD'
	run "$MIDI_TOP/libexec/midi-helper" host xyz 3
	assert_failure 2
	# A descriptor that is no lock file of ours: nothing served.
	run "$MIDI_TOP/libexec/midi-helper" sched 3 3<&-
	assert_failure 1
}
