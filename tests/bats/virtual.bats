#!/usr/bin/env bats
# virtual.bats: midi-loop virtual end to end: what a virtual device declares
# (names up to their limits, function blocks, identity, product instance
# id) is what midi-list shows after discovery; names over the limits and
# bad function block specs are refused with status 2; a silent device's
# discovery times out and leaves a usable endpoint; data goes both ways
# (clients to the host's standard output, the host's standard input to
# every client); the endpoint goes with its host (SIGTERM, end of input
# with --exit-on-eof); a second host for the same name is refused.

load helpers

# start_virt OUT ARGS...: midi-loop virtual in the background, standard
# output to OUT and standard error to OUT.err; its pid in $virt_pid. Its
# standard input is /dev/null unless the caller redirects it with VIRT_IN.
start_virt() {
	local out=$1
	shift
	midi-loop virtual "$@" <"${VIRT_IN:-/dev/null}" >"$out" 2>"$out.err" 3>&- &
	virt_pid=$!
}

# ep_field ID EXPR: a Python expression over the endpoint object `ep` that
# midi-list --json gives for ID (nothing if ID is not listed).
ep_field() {
	midi-list -a --json | python3 -c '
import json, sys
for ep in json.load(sys.stdin):
    if ep["id"] == sys.argv[1]:
        print(eval(sys.argv[2]))' "$1" "$2"
}

discovered() {
	[ "$(ep_field "$1" 'ep["discovered"]')" = True ]
}

@test "declared names, identity and function blocks appear exactly in midi-list --json" {
	T=$BATS_TEST_TMPDIR
	# 98 bytes, with two-byte UTF-8 characters in it; a 91-byte block name.
	epname="Bühnen-Synthesizer $(printf 'x%.0s' $(seq 1 74))ÄÖ"
	[ "$(printf %s "$epname" | wc -c)" -eq 98 ]
	fbname="Tastatur, links ü $(printf 'k%.0s' $(seq 1 72))"
	[ "$(printf %s "$fbname" | wc -c)" -eq 91 ]
	escaped=${fbname//,/\\,}
	start_virt "$T/v" synth --name "$epname" \
		--function-block "name=$escaped,groups=1-4,dir=in,midi1=no,ui=receiver" \
		--function-block 'name=Drums,groups=10,dir=out,midi1=restricted,ui=sender,ci=2,sysex8=1' \
		--function-block 'groups=11-16,dir=bi,midi1=yes,ui=both,active=no' \
		--product-instance-id 'SN-0042' --identity 7D0102:0123:3FFF:01020304
	wait_for 10 listed virt:synth
	wait_for 10 discovered virt:synth
	midi-list --json >"$T/list.json"
	run python3 - "$T/list.json" "$epname" "$fbname" <<-'EOF'
		import json, sys
		eps = {ep["id"]: ep for ep in json.load(open(sys.argv[1]))}
		ep = eps["virt:synth"]
		want_name, want_fb = sys.argv[2], sys.argv[3]
		assert ep["name"] == want_name, ep["name"]
		assert ep["ump_name"] == want_name, ep["ump_name"]
		assert ep["transport"] == "virt" and ep["purpose"] == "virtual", ep
		assert ep["product_instance_id"] == "SN-0042", ep["product_instance_id"]
		assert ep["identity"] == {"manufacturer": "7D 01 02", "family": 0x123, "model": 0x3FFF,
		                          "version": "01 02 03 04"}, ep["identity"]
		assert ep["ump_version"] == "1.1", ep["ump_version"]
		assert ep["protocols"] == ["midi1", "midi2"], ep["protocols"]
		fbs = ep["function_blocks"]
		assert len(fbs) == 3, fbs
		def check(fb, **want):
		    for k, v in want.items():
		        assert fb[k] == v, (fb["index"], k, fb[k], v)
		check(fbs[0], index=0, name=want_fb, active=True, direction="input", first_group=1,
		      last_group=4, groups="1-4", midi1="no", ui_hint="receiver")
		check(fbs[1], index=1, name="Drums", active=True, direction="output", first_group=10,
		      last_group=10, groups="10", midi1="restricted", ui_hint="sender", ci_version=2,
		      sysex8_streams=1)
		check(fbs[2], index=2, name="", active=False, direction="bidirectional", first_group=11,
		      last_group=16, groups="11-16", midi1="yes", ui_hint="both")
		print("ok")
	EOF
	assert_success
	assert_output ok
	# Nothing but client messages on the host's standard output.
	[ ! -s "$T/v" ]
}

@test "defaults: one bidirectional block on group 1 named like the endpoint; --protocol midi1" {
	T=$BATS_TEST_TMPDIR
	start_virt "$T/v" plain
	wait_for 10 discovered virt:plain
	run ep_field virt:plain '(ep["name"], ep["protocol"], [(b["name"], b["groups"], b["direction"]) for b in ep["function_blocks"]])'
	assert_output "('plain', 'midi2', [('plain', '1', 'bidirectional')])"
	start_virt "$T/w" old --protocol midi1
	wait_for 10 discovered virt:old
	run ep_field virt:old '(ep["protocol"], ep["protocols"])'
	assert_output "('midi1', ['midi1'])"
}

@test "names over the limits and bad function blocks are refused with status 2" {
	long99=$(printf 'n%.0s' $(seq 1 99))
	run midi-loop virtual v --name "$long99"
	assert_failure 2
	assert_output --partial "98"
	long92=$(printf 'f%.0s' $(seq 1 92))
	run midi-loop virtual v --function-block "name=$long92"
	assert_failure 2
	assert_output --partial "function block 1: name is longer than 91 bytes"
	run midi-loop virtual v --product-instance-id "$(printf 'p%.0s' $(seq 1 43))"
	assert_failure 2
	assert_output --partial "42"
	run midi-loop virtual v --function-block name=a --function-block colour=red
	assert_failure 2
	assert_output --partial "function block 2: unknown key 'colour'"
	run midi-loop virtual v --function-block groups=0
	assert_failure 2
	assert_output --partial "function block 1: groups '0'"
	run midi-loop virtual v --function-block groups=5-17
	assert_failure 2
	assert_output --partial "groups '5-17'"
	run midi-loop virtual v --function-block dir=sideways
	assert_failure 2
	assert_output --partial "dir 'sideways'"
	run midi-loop virtual v --function-block midi1=maybe
	assert_failure 2
	run midi-loop virtual v --function-block ui=all
	assert_failure 2
	run midi-loop virtual v --function-block name
	assert_failure 2
	assert_output --partial "expected KEY=VALUE"
	run midi-loop virtual v --identity 7D0000:0001:0002
	assert_failure 2
	assert_output --partial "MMMMMM:FFFF:MMMM:VVVVVVVV"
	run midi-loop virtual v --identity 800000:0001:0002:01000000
	assert_failure 2
	assert_output --partial "manufacturer"
	run midi-loop virtual v --protocol midi3
	assert_failure 2
	run midi-loop virtual v -f smf
	assert_failure 2
	run midi-loop virtual v --input-format json
	assert_failure 2
	run midi-loop virtual
	assert_failure 2
	run midi-loop virtual 'bad name'
	assert_failure 2
	# 33 blocks: one too many.
	args=()
	for i in $(seq 1 33); do args+=(--function-block "groups=$(( (i - 1) % 16 + 1 ))"); done
	run midi-loop virtual v "${args[@]}"
	assert_failure 2
	assert_output --partial "more than 32 function blocks"
	# None of these left an endpoint behind.
	run midi-list --ids
	assert_output ''
}

@test "32 function blocks with 91-byte names are all declared" {
	T=$BATS_TEST_TMPDIR
	args=()
	for i in $(seq 1 32); do
		args+=(--function-block "name=$(printf 'Block %02d ' "$i")$(printf 'b%.0s' $(seq 1 82)),groups=$(( (i - 1) % 16 + 1 ))")
	done
	start_virt "$T/v" many "${args[@]}"
	wait_for 10 discovered virt:many
	run ep_field virt:many 'sorted(set(len(b["name"]) for b in ep["function_blocks"])), len(ep["function_blocks"]), ep["function_blocks"][31]["name"][:9], ep["function_blocks"][31]["groups"]'
	assert_output "([91], 32, 'Block 32 ', '16')"
}

@test "--silent: discovery times out cleanly; the endpoint is listed, not discovered, and usable" {
	T=$BATS_TEST_TMPDIR
	midi-watch --json >"$T/watch" 2>"$T/watch.err" 3>&- &
	wait_for 10 grep -q '"enumerated"' "$T/watch"
	start_virt "$T/v" mute --silent -f ump --name "Never Said"
	wait_for 10 listed virt:mute
	# Discovery ends (times out) with an "updated" event naming discovery.
	wait_for 30 grep -q '"event":"updated","id":"virt:mute".*"changed":\[[^]]*"discovery"' "$T/watch"
	run ep_field virt:mute '(ep["discovered"], ep["name"], ep["ump_name"], len(ep["function_blocks"]))'
	assert_output "(False, 'mute', '', 0)"
	# Still usable: a client's message reaches the host.
	midi-send -e virt:mute -f ump 20903C64
	wait_for 10 lines_in "$T/v" 1
	run cat "$T/v"
	assert_output 20903C64
	kill -0 "$virt_pid"
}

@test "data both ways: clients to the host's output, the host's input to every client" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/in"
	VIRT_IN=$T/in start_virt "$T/v" duo -f ump
	exec 4>"$T/in"
	wait_for 10 listed virt:duo
	midi-mon -e virt:duo -f ump -c 3 >"$T/m1" 2>"$T/m1.err" 3>&- 4>&- &
	m1=$!
	midi-mon -e virt:duo -f text -c 3 >"$T/m2" 2>"$T/m2.err" 3>&- 4>&- &
	m2=$!
	wait_clients virt:duo 2
	# Client -> host, text in, UMP out; a SysEx arrives whole.
	midi-send -e virt:duo on C3 100 cc 7 64 syx 7D 01 02 03 04 05 06 07
	wait_for 10 lines_in "$T/v" 4
	run cat "$T/v"
	assert_output $'20903C64\n20B00740\n30167D01 02030405\n30320607 00000000'
	# Host -> every client.
	printf '20903C64\n40913C00 80000000\n20803C00\n' >&4
	finish $m1
	[ "$status" -eq 0 ]
	finish $m2
	[ "$status" -eq 0 ]
	run cat "$T/m1"
	assert_output $'20903C64\n40913C00 80000000\n20803C00'
	[ "$(wc -l <"$T/m2")" -eq 3 ]
	# The text monitor's output is valid input.
	run midi-send -n -f text -i "$T/m2"
	assert_output $'20903C64\n40913C00 80000000\n20803C00'
	exec 4>&-
	# End of input alone does not end the host.
	sleep 0.2
	kill -0 "$virt_pid"
	kill -TERM "$virt_pid"
	finish "$virt_pid"
	[ "$status" -eq 0 ]
	not_listed virt:duo
	[ ! -s "$T/v.err" ]
}

@test "--identity: the device answers midi-sysex request --identity (the README's pairing)" {
	T=$BATS_TEST_TMPDIR
	start_virt "$T/v" synth -f ump --identity 7D0000:0001:0002:01000000
	wait_for 10 listed virt:synth
	run midi-sysex request -e synth --identity -f hex -t 20
	[ "$status" -eq 0 ]
	assert_output "F0 7E 7F 06 02 7D 01 00 02 00 01 00 00 00 F7
device id: 7F
manufacturer: 7D
family: 1 (01 00)
model: 2 (02 00)
version: 01 00 00 00"
	# A device id is answered with that id, on the request's group.
	run midi-sysex request -e synth --identity 10 -g 3 -f hex -t 20
	[ "$status" -eq 0 ]
	assert_line -n 0 "F0 7E 10 06 02 7D 01 00 02 00 01 00 00 00 F7"
	# The request is answered by the library, not passed to the host.
	[ ! -s "$T/v" ]
	# Without a declared identity there is no answer (status 4).
	start_virt "$T/w" plain -f ump
	wait_for 10 listed virt:plain
	run midi-sysex request -e virt:plain --identity -t 0.3
	[ "$status" -eq 4 ]
	assert_output --partial "no Identity Reply"
	wait_for 10 lines_in "$T/w" 1
	run cat "$T/w"
	assert_output "30047E7F 06010000"
}

@test "-f json output; --input-format ump" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/in"
	VIRT_IN=$T/in start_virt "$T/v" js -f json --input-format ump
	exec 4>"$T/in"
	wait_for 10 listed virt:js
	midi-mon -e virt:js -f ump -c 1 >"$T/m" 3>&- 4>&- &
	mon=$!
	wait_clients virt:js 1
	midi-send -e virt:js on C3 100
	wait_for 10 lines_in "$T/v" 1
	run python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["words"])' "$T/v"
	assert_output "['20903C64']"
	echo 20913C64 >&4
	finish $mon
	run cat "$T/m"
	assert_output 20913C64
	exec 4>&-
}

@test "--exit-on-eof: the host stops at the end of its input and the endpoint goes" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/in"
	VIRT_IN=$T/in start_virt "$T/v" brief -f ump --exit-on-eof
	exec 4>"$T/in"
	wait_for 10 listed virt:brief
	midi-mon -e virt:brief -f ump >"$T/m" 2>"$T/m.err" 3>&- 4>&- &
	mon=$!
	wait_clients virt:brief 1
	echo 20903C64 >&4
	exec 4>&-
	finish "$virt_pid"
	[ "$status" -eq 0 ]
	not_listed virt:brief
	# Its client saw the message, then the endpoint closed with a reason.
	finish $mon
	[ "$status" -eq 1 ]
	run cat "$T/m"
	assert_output 20903C64
	run cat "$T/m.err"
	assert_output --regexp 'virt:brief'
}

@test "bad input on the host's standard input: line and column, status 2, earlier messages sent" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/in"
	VIRT_IN=$T/in start_virt "$T/v" strict -f ump
	exec 4>"$T/in"
	wait_for 10 listed virt:strict
	midi-mon -e virt:strict -f ump >"$T/m" 2>"$T/m.err" 3>&- 4>&- &
	wait_clients virt:strict 1
	printf '20903C64\n2090ZZ64\n' >&4
	finish "$virt_pid"
	[ "$status" -eq 2 ]
	exec 4>&-
	run cat "$T/v.err"
	assert_output --regexp '^midi-loop: standard input: .*2.*'
	wait_for 10 lines_in "$T/m" 1
	run cat "$T/m"
	assert_output 20903C64
	not_listed virt:strict
}

@test "a second host for the same name is refused while the first lives" {
	T=$BATS_TEST_TMPDIR
	start_virt "$T/v" one
	wait_for 10 listed virt:one
	run midi-loop virtual one
	assert_failure 1
	assert_output --partial "virt:one"
	kill -0 "$virt_pid"
	# Once the first is gone (even by SIGKILL) the name is free again.
	kill -9 "$virt_pid"
	wait_for 10 not_listed virt:one
	start_virt "$T/w" one
	wait_for 10 listed virt:one
}
