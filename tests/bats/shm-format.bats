#!/usr/bin/env bats
# shm-format.bats: two builds of different shared-memory formats sharing a
# runtime directory: each says which format it found and where, exits 1,
# and changes nothing, so neither destroys the other's endpoints. The
# other build is build-fmt99/ (the same sources with MIDI_SHM_FORMAT=99).

load helpers

other() { "$MIDI_TOP/build-fmt99/bin/$@"; }

digest() { (cd "$MIDI_RUNTIME_DIR" && find . -type f ! -name '*.lock' -print0 | sort -z | xargs -0 md5sum); }

@test "a build of another format leaves this build's endpoints alone" {
	midi-loop create keep
	before=$(digest)
	run other midi-list -a
	assert_failure 1
	assert_output --partial "runtime directory $MIDI_RUNTIME_DIR holds shared-memory format 4"
	assert_output --partial "uses format 99"
	assert_output --partial "MIDI_RUNTIME_DIR"
	run other midi-loop create intruder
	assert_failure 1
	assert_output --partial "format 4"
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
	assert_output --partial "holds shared-memory format 99, this build of libmidi uses format 4"
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
