#!/usr/bin/env bats
# midi-list.bats: midi-list end to end: the table (header, aligned columns,
# diagnostic endpoints only with -a), live client counts, --json (a JSON
# array jq/python can read), --ids, -v with every property, -e, errors.

load helpers

@test "nothing to list: at a terminal a hint names -a; piped, the header alone" {
	command -v script >/dev/null || skip "script (util-linux) not installed"
	run script -qec midi-list /dev/null
	assert_success
	assert_output --partial 'midi-list: no endpoints yet; -a also lists the diagnostic ones'
	assert_output --partial 'CLIENTS'
	# Scripts (output not a terminal) get the table only, stderr empty.
	midi-list >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
	# Something listed, or -a: no hint.
	run script -qec 'midi-list -a' /dev/null
	refute_output --partial 'no endpoints yet'
	midi-loop create h
	run script -qec midi-list /dev/null
	refute_output --partial 'no endpoints yet'
	assert_output --partial 'loop:h-a'
}

@test "without -a the diagnostic endpoints are hidden; with -a they are listed" {
	run midi-list
	assert_success
	assert_output --regexp '^ID +NAME +TRANSPORT +PROTOCOL +CLIENTS$'
	refute_output --partial 'diag:'
	run midi-list -a
	assert_success
	assert_line --index 0 --regexp '^ID +NAME +TRANSPORT +PROTOCOL +CLIENTS$'
	assert_line --regexp '^diag:loopback-a +.* +diag +midi[12] +0$'
	assert_line --regexp '^diag:loopback-b +.* +diag +midi[12] +0$'
	assert_line --regexp '^diag:ping +.* +diag +midi[12] +0$'
}

@test "columns are aligned under the header" {
	midi-loop create a-rather-long-loopback-name
	run midi-list -a
	assert_success
	header=${lines[0]}
	hpos=${header%%TRANSPORT*}
	for line in "${lines[@]:1}"; do
		# The transport column starts where its header does.
		rest=${line:${#hpos}}
		[[ $rest == diag\ * || $rest == loop\ * ]] || { echo "misaligned: '$line'"; false; }
	done
	assert_line --regexp '^loop:a-rather-long-loopback-name-a +.*loop +midi[12] +0$'
}

@test "the client count follows connections" {
	midi-mon -e diag:loopback-b >/dev/null 3>&- &
	midi-mon -e diag:loopback-b >/dev/null 3>&- &
	wait_clients diag:loopback-b 2
	run midi-list -a
	assert_line --regexp '^diag:loopback-b +.* 2$'
	kill %1 %2
	wait_clients diag:loopback-b 0
}

@test "--json is an array of endpoint objects" {
	run midi-list --json
	assert_success
	assert_output '[]'
	midi-loop create js
	run bash -c 'midi-list -a --json | python3 -c "
import json, sys
eps = json.load(sys.stdin)
for ep in eps:
    print(ep[\"id\"], ep[\"transport\"], ep[\"protocol\"], ep[\"clients\"], ep[\"purpose\"], ep[\"persistent\"])
"'
	assert_success
	assert_line 'diag:loopback-a diag midi2 0 diagnostic False'
	assert_line 'diag:ping diag midi2 0 diagnostic False'
	assert_line 'loop:js-a loop midi2 0 normal False'
	assert_line 'loop:js-b loop midi2 0 normal False'
	[ "${#lines[@]}" -eq 5 ]
	# One endpoint object per line, for grep.
	run bash -c "midi-list -a --json | grep -c '^{\"id\":'"
	assert_output '5'
}

@test "--ids prints only ids" {
	midi-loop create ids
	run midi-list --ids
	assert_success
	assert_output $'loop:ids-a\nloop:ids-b'
	run midi-list -a --ids
	assert_line 'diag:ping'
	assert_line 'loop:ids-a'
}

@test "-v shows every property, one endpoint" {
	run midi-list -v -e diag:ping
	assert_success
	assert_line --index 0 'diag:ping'
	for key in name transport 'transport name' 'user name' description 'endpoint name' \
		'product instance id' 'native format' protocol 'JR timestamps' purpose persistent \
		discovered clients 'UMP version' 'device identity' USB 'function blocks'; do
		assert_line --regexp "^  $key: +"
	done
	assert_line --regexp '^  purpose: +diagnostic$'
	assert_line --regexp '^  transport: +diag$'
}

@test "-v lists every endpoint, separated by blank lines" {
	run midi-list -a -v
	assert_success
	assert_line 'diag:loopback-a'
	assert_line 'diag:loopback-b'
	assert_line 'diag:ping'
	[ "$(printf '%s\n' "$output" | grep -c '^  clients:')" -eq 3 ]
}

@test "-e: unknown is status 3, ambiguous lists the matches" {
	run midi-list -e nothing-like-this
	assert_failure 3
	assert_output --partial 'nothing-like-this'
	midi-loop create twin
	run midi-list -e twin
	assert_failure 3
	assert_output --partial 'loop:twin-a'
	assert_output --partial 'loop:twin-b'
	run midi-list --ids -e loop:twin-b
	assert_success
	assert_output 'loop:twin-b'
}

@test "usage errors are status 2" {
	run midi-list --bogus
	assert_failure 2
	run midi-list extra
	assert_failure 2
	assert_output --partial 'extra'
	run midi-list -v --json
	assert_failure 2
	run midi-list --json --ids
	assert_failure 2
}

@test "--help and --version" {
	run midi-list --help
	assert_success
	assert_output --partial 'Usage: midi-list'
	run midi-list --version
	assert_success
	assert_output --regexp '^midi-list \(libmidi\) [0-9]'
}
