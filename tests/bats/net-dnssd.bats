#!/usr/bin/env bats
# net-dnssd.bats: DNS-SD (_midi2._udp through avahi) of Network MIDI 2.0
# end to end, in network and mount namespaces each test makes for itself
# (unshare; tests/net/dnssd-env.sh gives them a private D-Bus system bus
# and avahi-daemon on the loopback interface, the only one there): mDNS
# never leaves them. `midi-loop net-host` advertises, the net transport's
# agent finds the host as net:NAME, a note goes through it, the endpoint
# goes when the host stops (midi-watch); --no-advertise, "browse = no",
# a name taken twice, and a host with no avahi-daemon to talk to. Needs
# root, unshare, ip, dbus-daemon and avahi-daemon: skipped without them,
# except under CI (which installs them and runs as root), where a missing
# one fails.

load helpers

need() {
	if [ -n "${CI:-}" ]; then
		echo "under CI: $1" >&2
		return 1
	fi
	skip "$1"
}

setup() {
	pkg-config --exists nettle avahi-client ||
		need "built without nettle or avahi-client (nettle-dev, libavahi-client-dev): no DNS-SD"
	[ "$(id -u)" = 0 ] || need "not root: network and mount namespaces need root"
	local t
	for t in unshare ip dbus-daemon dbus-send avahi-daemon; do
		command -v "$t" > /dev/null || need "$t not found (util-linux, iproute2, dbus, avahi-daemon)"
	done
	unshare --net --mount true 2> /dev/null || need "unshare --net --mount refused here"
	midi_setup
	A=$(mktemp -d "${BATS_TMPDIR:-/tmp}/midi-rta.XXXXXX")
	T=$BATS_TEST_TMPDIR
	export A T
	export -f wait_for
}

teardown() {
	midi_teardown
	MIDI_RUNTIME_DIR=$A stop_helpers
	rm -rf "$A"
}

# in_world FUNCTION: run FUNCTION (exported) in new namespaces with their
# own avahi-daemon; its status in $status, its output in $output.
in_world() {
	export -f "$1"
	run timeout 120 unshare --net --mount -- "$BATS_TEST_DIRNAME/../net/dnssd-env.sh" bash -c "$1"
	echo "$output"
	[ "$status" != 97 ] || fail "no private mDNS world: $output"
}

# Host: A serves diag:loopback-a as "Studio Host"; client: this test's
# runtime directory.
basic() {
	set -u
	MIDI_RUNTIME_DIR=$A midi-loop net-host diag:loopback-a --name "Studio Host" -p 0 \
		2> "$T/host.err" &
	local host=$!
	wait_for 10 grep -q 'advertised as "Studio Host"' "$T/host.err" || return 11
	midi-watch -t 60 > "$T/watch.out" 2>&1 &
	local watch=$!
	wait_for 10 grep -q '^added net:Studio-Host Studio Host$' "$T/watch.out" || return 12
	midi-list > "$T/list.out"
	midi-list -a --json > "$T/list.json"
	MIDI_RUNTIME_DIR=$A midi-mon -e diag:loopback-b -f text -c 1 -t 20 > "$T/mon.out" &
	local mon=$!
	sleep 0.5
	midi-send -e net:Studio-Host on C3 100 || return 13
	wait $mon || return 14
	kill $host
	wait $host
	wait_for 10 grep -q '^removed net:Studio-Host' "$T/watch.out" || return 15
	kill $watch
	midi-list > "$T/list2.out"
}

@test "a host advertised is found as net:NAME, carries a note, and goes when the host stops" {
	in_world basic
	assert_success
	run cat "$T/list.out"
	assert_line --regexp '^net:Studio-Host +Studio Host +net +midi2 +0$'
	run python3 -c '
import json, sys
for ep in json.load(open(sys.argv[1])):
    if ep["id"] == "net:Studio-Host":
        print(ep["transport_name"], "|", ep["product_instance_id"])' "$T/list.json"
	assert_output --regexp '^Studio Host \| midi-.+$'
	run cat "$T/mon.out"
	assert_output 'grp 1 ch 1 on C3 100'
	run cat "$T/host.err"
	assert_line --regexp 'session with .* established'
	run cat "$T/list2.out"
	refute_output --partial 'net:Studio-Host'
}

options() {
	set -u
	# --no-advertise: nothing to find
	MIDI_RUNTIME_DIR=$A midi-loop net-host diag:loopback-a --name Quiet -p 0 --no-advertise \
		2> "$T/quiet.err" &
	local quiet=$!
	wait_for 10 grep -q 'udp port' "$T/quiet.err" || return 11
	# a name taken twice: the second is renamed by avahi
	MIDI_RUNTIME_DIR=$A midi-loop net-host diag:loopback-a --name Twin -p 0 2> "$T/twin1.err" &
	local t1=$!
	wait_for 10 grep -q 'advertised as "Twin"' "$T/twin1.err" || return 12
	MIDI_RUNTIME_DIR=$A midi-loop net-host diag:loopback-b --name Twin -p 0 2> "$T/twin2.err" &
	local t2=$!
	wait_for 10 grep -q 'advertised as "Twin #2"' "$T/twin2.err" || return 13
	midi-list > "$T/list.out"
	# browse = no: the agent does not run, found endpoints are not added
	# (a fresh runtime directory: nothing found before)
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[net-discovery]\nbrowse = no\n' > "$XDG_CONFIG_HOME/midi/midi.conf"
	MIDI_RUNTIME_DIR=$A/off midi-list -a > "$T/off.out" 2>&1
	kill $quiet $t1 $t2
	wait
}

@test "--no-advertise is not found; a name taken twice is renamed; browse = no finds nothing" {
	mkdir -m 700 "$A/off"
	in_world options
	assert_success
	run cat "$T/list.out"
	assert_line --regexp '^net:Twin +Twin +net'
	assert_line --regexp '^net:Twin-_2 +Twin #2 +net'
	refute_output --partial 'Quiet'
	run cat "$T/quiet.err"
	refute_output --partial 'advertised'
	run cat "$T/off.out"
	refute_output --partial 'net:'
	assert_output --partial 'diag:loopback-a'
}

@test "net-host where no avahi-daemon runs says so once and serves" {
	nodaemon() {
		ip link set lo up && mount -t tmpfs none /run || return 97
		unset DBUS_SYSTEM_BUS_ADDRESS MIDI_NET_DNSSD
		MIDI_RUNTIME_DIR=$A midi-loop net-host diag:loopback-a -p 0 2> "$T/host.err" &
		local host=$!
		wait_for 10 grep -q 'udp port' "$T/host.err" || return 11
		kill $host
		wait $host
	}
	export -f nodaemon
	run timeout 60 unshare --net --mount -- bash -c nodaemon
	assert_success
	run cat "$T/host.err"
	assert_line 'midi-loop: no mDNS (avahi-daemon not running): not advertised'
	[ "$(grep -c 'mDNS' "$T/host.err")" = 1 ]
	assert_line --regexp '^midi-loop: serving diag:loopback-a on udp port [0-9]+$'
}

@test "[net-discovery] is checked: unknown keys, bad values and a name are errors naming the line" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[net-discovery]\nbrowse = maybe\n' > "$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_failure
	assert_output --partial 'line 2: browse: expected yes or no, got "maybe"'
	printf '[net-discovery]\nwhere = lan\n' > "$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_failure
	assert_output --partial 'line 2: unknown key "where" in [net-discovery] (browse)'
	printf '[net-discovery lan]\n' > "$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list
	assert_failure
	assert_output --partial 'line 1: [net-discovery] takes no name (got "lan")'
}
