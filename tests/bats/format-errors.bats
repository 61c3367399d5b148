#!/usr/bin/env bats
# format-errors.bats: input and output errors of midi-send -n and midi-mon
# found by a hostile-input run (issue 8): a bare status byte at the end of
# hex or bin input, hex errors quoting what their column points at, write
# errors (also at the final flush) giving a message and a non-zero status.

load helpers

@test "a bare status byte at the end of hex input is an incomplete message" {
	for x in 90 C0 "80 80 80" "90 3C 64 90" "C0 05 C0" "90 F8"; do
		run bash -c "echo '$x' | midi-send -n -f hex"
		assert_failure 2
		assert_output --partial "input ends inside the message that begins here"
	done
	run bash -c "echo '80 80 80' | midi-send -n -f hex"
	assert_output "midi-send: standard input: line 1, column 7: input ends inside the message that begins here"
	run bash -c "printf '90 3C 64\n 90\n' | midi-send -n -f hex 2>/dev/null"
	assert_failure 2
	assert_output '20903C64'
	run bash -c "printf '90 3C 64\n 90\n' | midi-send -n -f hex 2>&1 >/dev/null"
	assert_output 'midi-send: standard input: line 2, column 2: input ends inside the message that begins here'
	# complete messages and a running status that was used are fine
	for x in "90 3C 64" F6 "F0 01 F7" "C0 05" "90 3C 64 3C 00 F8"; do
		run bash -c "echo '$x' | midi-send -n -f hex"
		assert_success
	done
}

@test "a bare status byte at the end of bin input is an incomplete message" {
	run bash -c "printf '\\x90' | midi-send -n -f bin"
	assert_failure 2
	assert_output "midi-send: standard input: input ends inside the message that begins at byte offset 0"
	run bash -c "printf '\\x80\\x80\\x80' | midi-send -n -f bin"
	assert_failure 2
	assert_output --partial "at byte offset 2"
	run bash -c "printf '\\xC0' | midi-send -n -f bin"
	assert_failure 2
	run bash -c "printf '\\x90\\x3c\\x40' | midi-send -n -f bin"
	assert_success
	assert_output '20903C40'
}

@test "a bad hex digit: its column, and only its pair quoted (not the whole token)" {
	run bash -c "echo '90 3C 64 3G' | midi-send -n -f hex 2>&1 >/dev/null"
	assert_output 'midi-send: standard input: line 1, column 11: bad hex byte "3G" (expected pairs of hex digits)'
	run bash -c "echo '903C6Z40 00 90 3C 64 90 3C 64 90 3C 64 90 3C 64' | midi-send -n -f hex 2>&1 >/dev/null"
	assert_output 'midi-send: standard input: line 1, column 6: bad hex byte "6Z" (expected pairs of hex digits)'
	run bash -c "echo ' 0x9x' | midi-send -n -f hex 2>&1 >/dev/null"
	assert_output 'midi-send: standard input: line 1, column 5: bad hex byte "9x" (expected pairs of hex digits)'
	run bash -c "echo '90 G' | midi-send -n -f hex 2>&1 >/dev/null"
	assert_output 'midi-send: standard input: line 1, column 4: bad hex byte "G" (expected pairs of hex digits)'
}

@test "midi-send -n: a write error (also at the final flush) fails with a message" {
	run bash -c "midi-send -n on C3 1 > /dev/full"
	assert_failure 1
	assert_output "midi-send: writing standard output: No space left on device"
	run bash -c "echo '90 3C 64' | midi-send -n -f hex > /dev/full"
	assert_failure 1
	assert_output --partial "No space left on device"
	run bash -c "for i in \$(seq 20000); do echo '90 3C 64'; done | midi-send -n -f hex > /dev/full"
	assert_failure 1
	assert_output --partial "No space left on device"
	# a closed pipe (EPIPE) too
	run bash -c "for i in \$(seq 20000); do echo '90 3C 64'; done | midi-send -n -f hex | head -n 1; exit \${PIPESTATUS[1]}"
	assert_failure 1
	assert_output --partial "midi-send: writing standard output: Broken pipe"
}

@test "midi-mon: a write error at the final flush fails with a message" {
	midi-mon -e diag:loopback-b -f ump -c 1 -t 20 > /dev/full 2> "$BATS_TEST_TMPDIR/err" 3>&- &
	pid=$!
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a -f ump 20903C64
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 1 ]
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output "midi-mon: writing standard output: No space left on device"
}

@test "interactive use: each line is printed before midi-send -n waits for more input" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/in"
	midi-send -n -f hex < "$T/in" > "$T/out" 3>&- &
	exec 4> "$T/in"
	echo '90 3C 64' >&4
	wait_for 10 test -s "$T/out"
	echo '80 3C 00' >&4
	wait_for 10 grep -q 20803C00 "$T/out"
	exec 4>&-
	wait
	run cat "$T/out"
	assert_output $'20903C64\n20803C00'
}
