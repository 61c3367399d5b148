#!/usr/bin/env bats
# harness.bats: tests/run.sh's counting (tests/tap.bash) against suites that
# end badly: a bats file that dies before its plan is done, one killed by a
# timeout, a test binary that exits non-zero after printing only "ok", and
# skips, which are never passes.

load helpers

# count FILE.tap STATUS: run count_suite on FILE.tap; "P F S" in $output.
count() {
	run bash -c '
		pass=0 fail=0 skip=0 failed_names=()
		. "$1/tests/tap.bash"
		count_suite fake "$2" "$3" >/dev/null
		echo "$pass $fail $skip"' _ "$MIDI_TOP" "$1" "$2"
}

# fake_bats NAME BODY: a bats file of two tests, the second running BODY
# (written with printf: bats would take a test line in a here-document of
# this file for one of its own tests).
fake_bats() {
	printf '@%s "first" { true; }\n@%s "second" { %s; }\n' test test "$2" \
		>"$BATS_TEST_TMPDIR/$1.bats"
}

# run_bats NAME [TIMEOUT]: run NAME.bats as run.sh does, in a clean
# environment (not this bats run's) and a process group of its own; its
# TAP in NAME.tap, its exit status in $rc.
run_bats() {
	rc=0
	env -i PATH="$PATH" HOME="$HOME" TMPDIR="$BATS_TEST_TMPDIR" \
		setsid -w timeout "${2:-60}" "$BATS_ROOT/bin/bats" --tap "$BATS_TEST_TMPDIR/$1.bats" \
		>"$BATS_TEST_TMPDIR/$1.tap" 2>&1 || rc=$?
}

@test "a bats file that dies half way counts as failed" {
	fake_bats dies 'kill -9 0'
	run_bats dies
	[ "$rc" -ne 0 ]
	count "$BATS_TEST_TMPDIR/dies.tap" "$rc"
	assert_success
	# The test before the death passed; the death is one failure.
	assert_output "1 1 0"
}

@test "a bats file killed by its timeout counts as failed" {
	fake_bats slow 'sleep 30'
	run_bats slow 2
	[ "$rc" -eq 124 ] || fail "status $rc: $(cat "$BATS_TEST_TMPDIR/slow.tap")"
	count "$BATS_TEST_TMPDIR/slow.tap" "$rc"
	assert_output "1 1 0"
}

@test "a plan with fewer results than announced counts as failed, even with status 0" {
	printf '1..3\nok 1 a\nok 2 b\n' >"$BATS_TEST_TMPDIR/short.tap"
	count "$BATS_TEST_TMPDIR/short.tap" 0
	assert_output "2 1 0"
}

@test "no plan at all counts as failed" {
	: >"$BATS_TEST_TMPDIR/empty.tap"
	count "$BATS_TEST_TMPDIR/empty.tap" 0
	assert_output "0 1 0"
}

@test "a non-zero exit after only ok lines counts as failed; with a not ok line, once" {
	printf '1..2\nok 1 a\nok 2 b\n' >"$BATS_TEST_TMPDIR/crash.tap"
	count "$BATS_TEST_TMPDIR/crash.tap" 134
	assert_output "2 1 0"
	printf '1..2\nok 1 a\nnot ok 2 b\n' >"$BATS_TEST_TMPDIR/failed.tap"
	count "$BATS_TEST_TMPDIR/failed.tap" 1
	assert_output "1 1 0"
}

@test "skips are counted apart, never as passes" {
	fake_bats skips 'skip "tool not installed"'
	run_bats skips
	[ "$rc" -eq 0 ] || fail "status $rc: $(cat "$BATS_TEST_TMPDIR/skips.tap")"
	count "$BATS_TEST_TMPDIR/skips.tap" "$rc"
	assert_output "1 0 1"
}

@test "a clean suite adds nothing" {
	printf '1..2\nok 1 a\nok 2 b # skip no tool\n' >"$BATS_TEST_TMPDIR/clean.tap"
	count "$BATS_TEST_TMPDIR/clean.tap" 0
	assert_output "1 0 1"
}
