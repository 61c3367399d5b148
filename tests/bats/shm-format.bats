#!/usr/bin/env bats
# shm-format.bats: two builds of different shared-memory formats sharing a
# runtime directory: each says which format it found and where, exits 1,
# and changes nothing, so neither destroys the other's endpoints; a program
# whose helper is of the other format says so at once. The other build is
# build-fmt99/ (the same sources with MIDI_SHM_FORMAT=99).

load helpers

# The format of this build, as its source says.
FMT=$(sed -n 's/^#define SHM_FORMAT \([0-9]*\)u$/\1/p' "$MIDI_TOP/libmidi/broker/shm.h")

other() { "$MIDI_TOP/build-fmt99/bin/$@"; }

digest() { (cd "$MIDI_RUNTIME_DIR" && find . -type f ! -name '*.lock' -print0 | sort -z | xargs -0 md5sum); }

@test "a build of another format leaves this build's endpoints alone" {
	midi-loop create keep
	before=$(digest)
	run other midi-list -a
	assert_failure 1
	assert_output --partial "runtime directory $MIDI_RUNTIME_DIR holds shared-memory format $FMT"
	assert_output --partial "uses format 99"
	assert_output --partial "MIDI_RUNTIME_DIR"
	run other midi-loop create intruder
	assert_failure 1
	assert_output --partial "format $FMT"
	[ "$(digest)" = "$before" ]
	run midi-list
	assert_success
	assert_line --regexp '^loop:keep-a '
	assert_line --regexp '^loop:keep-b '
	refute_output --partial intruder
}

@test "this build leaves another format's endpoints alone" {
	other midi-loop create theirs
	before=$(digest)
	run midi-list -a
	assert_failure 1
	assert_output --partial "holds shared-memory format 99, this build of libmidi uses format $FMT"
	run midi-mon -e diag:loopback-b -c 1 -t 1
	assert_failure 1
	assert_output --partial "format 99"
	run midi-loop remove theirs
	assert_failure 1
	[ "$(digest)" = "$before" ]
	run other midi-list
	assert_success
	assert_line --regexp '^loop:theirs-a '
}

@test "a helper of another format: the program says so at once, status 1, and starts no other" {
	other_helper=$MIDI_TOP/build-fmt99/libexec/midi-helper
	start=$(date +%s%N)
	MIDI_HELPER=$other_helper run midi-loop ping -c 1
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_failure 1
	assert_output --partial "cannot start a host for diag:ping: the helper $other_helper says: it uses shared-memory format 99 and the runtime directory $MIDI_RUNTIME_DIR holds format $FMT"
	[ "$took" -lt 5000 ]
	! pgrep -f "$other_helper"
	# The other way round: the other build's program, this build's helper.
	rt2=$BATS_TEST_TMPDIR/rt99
	mkdir -m 700 "$rt2"
	MIDI_RUNTIME_DIR=$rt2 run other midi-loop ping -c 1
	assert_failure 1
	assert_output --partial "says: it uses shared-memory format $FMT and the runtime directory $rt2 holds format 99"
	# With its own helper, each works.
	run midi-loop ping -c 1
	assert_success
	MIDI_RUNTIME_DIR=$rt2 MIDI_HELPER=$other_helper run other midi-loop ping -c 1
	assert_success
}
