#!/usr/bin/env bats
# midi-watch.bats: midi-watch end to end: --once prints the endpoints
# present and "enumerated"; --json and text events for loopback pairs
# created and removed (with the reason), a virtual device appearing (added,
# then updated once discovery filled in what it declared) and killed
# (removed at once, saying its host exited), a user name set in the
# configuration file (updated, changed name); stopping on signals, -t and
# -c with a final "stopped"; a watcher stopped with SIGSTOP while many
# endpoints come and go still ends with the right picture; clients
# connecting and leaving (updated, changed clients); usage errors.

load helpers

# start_watch OUT ARGS...: midi-watch in the background (stdout to OUT,
# stderr to OUT.err); its pid in $watch_pid. Waits for "enumerated".
start_watch() {
	local out=$1
	shift
	midi-watch "$@" >"$out" 2>"$out.err" 3>&- &
	watch_pid=$!
	wait_for 10 grep -q 'enumerated' "$out"
}

# has_event FILE EVENT ID [CHANGED]: FILE (midi-watch --json output) has an
# EVENT line for ID (whose "changed" names CHANGED, if given).
has_event() {
	python3 - "$@" <<-'EOF'
		import json, sys
		path, event, ident = sys.argv[1:4]
		changed = sys.argv[4] if len(sys.argv) > 4 else None
		for line in open(path):
		    ev = json.loads(line)
		    if ev["event"] == event and ev.get("id") == ident and (
		            changed is None or changed in ev.get("changed", [])):
		        sys.exit(0)
		sys.exit(1)
	EOF
}

# picture FILE: the ids a watcher's output (text form) says exist, sorted.
picture() {
	awk '$1 == "added" { ids[$2] = 1 } $1 == "removed" { delete ids[$2] }
		END { for (id in ids) print id }' "$1" | sort
}

same_picture() {
	[ "$(picture "$1")" = "$(midi-list --ids | sort)" ]
}

@test "--once: the endpoints present, then enumerated; -a adds the diagnostic ones" {
	run midi-watch --once
	assert_success
	assert_output enumerated
	midi-loop create x
	run midi-watch --once
	assert_success
	name_a=$(midi-list --json | python3 -c 'import json, sys; print({e["id"]: e["name"] for e in json.load(sys.stdin)}["loop:x-a"])')
	name_b=$(midi-list --json | python3 -c 'import json, sys; print({e["id"]: e["name"] for e in json.load(sys.stdin)}["loop:x-b"])')
	[ -n "$name_a" ] && [ -n "$name_b" ]
	assert_output "added loop:x-a $name_a
added loop:x-b $name_b
enumerated"
	run midi-watch --once -a
	assert_success
	[ "$(awk '$1 == "added" { print $2 }' <<<"$output" | sort | tr '\n' ' ')" = "diag:loopback-a diag:loopback-b diag:ping loop:x-a loop:x-b " ]
	[ "${lines[-1]}" = enumerated ]
	run midi-watch --once --json
	assert_success
	run python3 -c '
import json, sys
evs = [json.loads(l) for l in sys.stdin]
print(" ".join(e["event"] + ":" + e.get("id", "") for e in evs))
for e in evs[:-1]:
    assert e["endpoint"]["id"] == e["id"], e
    assert "changed" not in e, e
' <<<"$output"
	assert_success
	assert_output "added:loop:x-a added:loop:x-b enumerated:"
}

@test "--json: added and removed for midi-loop create and remove" {
	T=$BATS_TEST_TMPDIR
	start_watch "$T/w" --json
	midi-loop create x
	wait_for 10 has_event "$T/w" added loop:x-b
	has_event "$T/w" added loop:x-a
	midi-loop remove x
	wait_for 10 has_event "$T/w" removed loop:x-b
	has_event "$T/w" removed loop:x-a
	kill -INT "$watch_pid"
	finish "$watch_pid"
	[ "$status" -eq 0 ]
	run python3 -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert evs[0] == {"event": "enumerated"}, evs[0]
assert evs[-1] == {"event": "stopped"}, evs[-1]
for e in evs[1:-1]:
    assert e["id"] == e["endpoint"]["id"] and e["id"] in ("loop:x-a", "loop:x-b"), e
    assert e["endpoint"]["transport"] == "loop", e
    if e["event"] == "updated":
        assert e["changed"] and all(isinstance(c, str) for c in e["changed"]), e
    # a removal says why, as its connections were told; nothing else does
    assert e.get("reason") == ("was removed" if e["event"] == "removed" else None), e
# Every added comes before the removed of the same id.
order = [(e["event"], e["id"]) for e in evs[1:-1] if e["event"] != "updated"]
print(sorted(order, key=lambda x: (x[1], order.index(x))))
' "$T/w"
	assert_success
	assert_output "[('added', 'loop:x-a'), ('removed', 'loop:x-a'), ('added', 'loop:x-b'), ('removed', 'loop:x-b')]"
	[ ! -s "$T/w.err" ]
}

@test "text form: added, removed and updated lines with the id second" {
	T=$BATS_TEST_TMPDIR
	start_watch "$T/w"
	midi-loop create studio
	wait_for 10 grep -q '^added loop:studio-b ' "$T/w"
	midi-loop remove studio
	wait_for 10 grep -q '^removed loop:studio-b ' "$T/w"
	kill -TERM "$watch_pid"
	finish "$watch_pid"
	[ "$status" -eq 0 ]
	run cat "$T/w"
	assert_line --index 0 enumerated
	assert_line --regexp '^added loop:studio-a .+$'
	assert_line --regexp '^removed loop:studio-a .+ \(was removed\)$'
	assert_line --regexp '^added loop:studio-b .+$'
	[ "${lines[-1]}" = stopped ]
	# Any updated line has the documented form.
	run grep -v -E '^(enumerated|stopped|(added|removed) loop:studio-[ab] .+|updated loop:studio-[ab] .+ \(changed: [a-z_]+(,[a-z_]+)*\))$' "$T/w"
	assert_output ''
}

@test "a virtual device: added, updated once discovered, removed at once when its host is killed" {
	T=$BATS_TEST_TMPDIR
	start_watch "$T/w" --json
	midi-loop virtual synth --name "Bench Synth" \
		--function-block 'name=Keys,groups=1-2' --function-block 'name=Pads,groups=3,dir=out' \
		</dev/null >"$T/v" 2>"$T/v.err" 3>&- &
	host=$!
	wait_for 10 has_event "$T/w" added virt:synth
	wait_for 10 has_event "$T/w" updated virt:synth function_blocks
	run python3 -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
ups = [e for e in evs if e["event"] == "updated" and e.get("id") == "virt:synth"
       and "function_blocks" in e["changed"]]
ep = ups[-1]["endpoint"]
print(ep["name"], ep["ump_name"], [b["name"] for b in ep["function_blocks"]], ep["discovered"])
first = [e["event"] for e in evs if e.get("id") == "virt:synth"][0]
print(first)
' "$T/w"
	assert_success
	assert_output "Bench Synth Bench Synth ['Keys', 'Pads'] True
added"
	# SIGKILL: no chance to clean up, yet watchers see it go (well within
	# the 10 s allowed here; the host lock is released by the kernel).
	kill -9 $host
	wait_for 10 has_event "$T/w" removed virt:synth
	! midi-list --ids | grep -qx virt:synth
	run python3 -c '
import json, sys
print([json.loads(l).get("reason") for l in open(sys.argv[1]) if "\"removed\"" in l])
' "$T/w"
	assert_output "['is gone: virtual device host exited']"
}

# clients_event FILE ID N: FILE (--json) has an "updated" event for ID
# naming clients, whose endpoint shows N clients.
clients_event() {
	python3 - "$@" <<-'EOF'
		import json, sys
		path, ident, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
		for line in open(path):
		    ev = json.loads(line)
		    if (ev["event"] == "updated" and ev.get("id") == ident and
		            "clients" in ev["changed"] and ev["endpoint"]["clients"] == n):
		        sys.exit(0)
		sys.exit(1)
	EOF
}

@test "a client connecting and leaving: updated, changed clients, with the count" {
	T=$BATS_TEST_TMPDIR
	midi-loop create c
	start_watch "$T/w" --json
	midi-mon -e loop:c-b >"$T/m" 2>&1 3>&- &
	mon=$!
	wait_for 10 clients_event "$T/w" loop:c-b 1
	# (The event shows the count as it is when the watcher reads it: the
	# second client stays until it was seen.)
	midi-mon -e loop:c-b >"$T/m2" 2>&1 3>&- &
	mon2=$!
	wait_for 10 clients_event "$T/w" loop:c-b 2
	kill -INT $mon $mon2
	wait $mon $mon2 || true
	wait_for 10 clients_event "$T/w" loop:c-b 0
	# The text form names it too.
	start_watch "$T/t"
	midi-send -e loop:c-a on C3 1
	wait_for 10 grep -qx 'updated loop:c-a .* (changed: clients)' "$T/t"
}

@test "a name set in the configuration file: updated, changed name" {
	T=$BATS_TEST_TMPDIR
	midi-loop create x
	start_watch "$T/w" --json
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[endpoint loop:x-a]\nname = Studio Input\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	wait_for 10 has_event "$T/w" updated loop:x-a name
	run python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "updated" and e["id"] == "loop:x-a" and "name" in e["changed"]:
        print(e["endpoint"]["name"], e["endpoint"]["user_name"])
' "$T/w"
	assert_output "Studio Input Studio Input"
	# loop:x-b was not renamed.
	! has_event "$T/w" updated loop:x-b name
	run midi-list --json
	assert_output --partial '"id":"loop:x-a","name":"Studio Input"'
}

@test "-c N stops after N events after enumerated; -t stops; both end with 'stopped'" {
	T=$BATS_TEST_TMPDIR
	midi-loop create before
	midi-watch -c 2 >"$T/w" 3>&- &
	pid=$!
	wait_for 10 grep -q enumerated "$T/w"
	midi-loop create y
	finish $pid
	[ "$status" -eq 0 ]
	run cat "$T/w"
	assert_line --index 0 --regexp '^added loop:before-a '
	assert_line --index 1 --regexp '^added loop:before-b '
	assert_line --index 2 enumerated
	assert_line --index 3 --regexp '^(added|updated) loop:y-[ab] '
	assert_line --index 4 --regexp '^(added|updated) loop:y-[ab] '
	assert_line --index 5 stopped
	[ "${#lines[@]}" -eq 6 ]

	once=$(midi-watch --once)
	run midi-watch -t 0.3
	assert_success
	assert_output "$once
stopped"

	# -t before -c was reached: status 4, still "stopped".
	once=$(midi-watch --once)
	run midi-watch -c 1 -t 0.3
	assert_failure 4
	assert_output "$once
stopped
midi-watch: timed out after 0.3 s with 0 of 1 events"
}

@test "a watcher stopped with SIGSTOP while many pairs come and go ends with the right picture" {
	T=$BATS_TEST_TMPDIR
	for i in 1 2 3; do midi-loop create "old$i"; done
	start_watch "$T/w"
	kill -STOP "$watch_pid"
	# Far more events than the registry's event log holds (256), within
	# the endpoint table (64): pairs made and removed, every tenth kept.
	for i in $(seq 1 80); do
		midi-loop create "c$i" >/dev/null
		[ $((i % 10)) -eq 0 ] || midi-loop remove "c$i"
	done
	midi-loop remove old2
	kill -CONT "$watch_pid"
	wait_for 20 same_picture "$T/w"
	# And it is not just empty: the survivors are there.
	picture "$T/w" | grep -qx loop:c10-a
	picture "$T/w" | grep -qx loop:c80-b
	picture "$T/w" | grep -qx loop:old1-a
	! picture "$T/w" | grep -qx loop:old2-a
	! picture "$T/w" | grep -qx loop:c1-a
	kill -0 "$watch_pid"
	[ "$(midi-list --ids | wc -l)" -eq $((2 * (2 + 8))) ]
	# Lines stay well-formed through the catch-up.
	run grep -v -E '^(enumerated|(added|removed) loop:[a-z0-9]+-[ab]( .+)?|updated loop:[a-z0-9]+-[ab]( .+)? \(changed: [a-z_,]+\))$' "$T/w"
	assert_output ''
}

@test "a closed output pipe ends it quietly at the next event" {
	T=$BATS_TEST_TMPDIR
	midi-loop create x
	(
		midi-watch 3>&-
		echo $? >"$T/status"
	) | head -n 1 >"$T/out" &
	wait_for 10 test -s "$T/out"
	# head has gone; the next event's line finds the pipe closed.
	wait_for 10 _create_until_gone "$T/status"
	[ "$(cat "$T/status")" = 0 ]
	run cat "$T/out"
	assert_output --regexp '^added loop:x-a '
}

# Create one more pair (an event for the watcher) unless it has ended.
_create_until_gone() {
	[ -s "$1" ] && return 0
	midi-loop create "n$RANDOM$RANDOM" >/dev/null
	[ -s "$1" ]
}

@test "usage errors: status 2" {
	run midi-watch -c 0
	assert_failure 2
	run midi-watch -c many
	assert_failure 2
	run midi-watch -t soon
	assert_failure 2
	run midi-watch --once -c 1
	assert_failure 2
	run midi-watch extra
	assert_failure 2
	assert_output --partial "unexpected argument 'extra'"
	run midi-watch --bogus
	assert_failure 2
	run midi-watch --help
	assert_success
	assert_output --partial --once
}

@test "a broken configuration file is an error with the line" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[endpoint loop:x-a]\nthis is not a setting\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-watch --once
	assert_failure 2
	assert_output --partial "midi.conf"
	assert_output --partial "2"
}
