#!/usr/bin/env bats
# net.bats: Network MIDI 2.0 (UDP) end to end on this machine's loopback
# address, two runtime directories standing for two machines: A serves
# diag:loopback-a with `midi-loop net-host`, B reaches it as the endpoint
# net:127.0.0.1:PORT (or net:NAME from midi.conf). Messages both ways, a
# 1 MiB SysEx, datagrams dropped and reordered on purpose by a relay
# (tests/net/relay.py) mended by FEC and retransmission, shared-secret and
# user authentication accepted and refused, the host killed and started
# again with B's monitor carrying on. Sends only to 127.0.0.1.

load helpers

setup() {
	pkg-config --exists nettle || skip "built without nettle (nettle-dev): no Network MIDI 2.0"
	midi_setup
	A=$MIDI_RUNTIME_DIR
	B=$(mktemp -d "${BATS_TMPDIR:-/tmp}/midi-rtb.XXXXXX")
}

teardown() {
	midi_teardown
	MIDI_RUNTIME_DIR=$B stop_helpers
	rm -rf "$B"
}

# host [OPTIONS]: serve diag:loopback-a of A on a free port; PORT set.
host() {
	MIDI_RUNTIME_DIR=$A midi-loop net-host diag:loopback-a -l 127.0.0.1 -p "${HPORT:-0}" "$@" \
		2> "$BATS_TEST_TMPDIR/host.err" &
	HOST=$!
	wait_for 10 grep -q 'udp port' "$BATS_TEST_TMPDIR/host.err"
	PORT=$(sed -n 's/.*udp port \([0-9]*\)$/\1/p' "$BATS_TEST_TMPDIR/host.err")
}
inA() { MIDI_RUNTIME_DIR=$A "$@"; }
# has_clients_in DIR ID: endpoint ID of runtime directory DIR has a client.
has_clients_in() { [ "$(MIDI_RUNTIME_DIR=$1 clients_of "$2")" -ge 1 ] 2>/dev/null; }
inB() { MIDI_RUNTIME_DIR=$B "$@"; }
lines() { [ "$(wc -l < "$1")" -ge "$2" ]; }

@test "a note each way between two runtime directories; the endpoint takes the host's name" {
	host
	inA midi-mon -e diag:loopback-b -f hex -c 2 -t 20 > "$BATS_TEST_TMPDIR/a.mon" &
	wait_for 10 has_clients_in "$A" diag:loopback-b
	run inB midi-send -e "net:127.0.0.1:$PORT" on C3 100 off C3
	assert_success
	wait_for 20 lines "$BATS_TEST_TMPDIR/a.mon" 2
	run cat "$BATS_TEST_TMPDIR/a.mon"
	assert_output $'90 3C 64\n80 3C 00'
	# the other way: what loopback-a's clients get (sent to loopback-b)
	inB midi-mon -e "net:127.0.0.1:$PORT" -f text -c 1 -t 20 > "$BATS_TEST_TMPDIR/b.mon" &
	local mon=$!
	wait_for 10 grep -q 'established' "$BATS_TEST_TMPDIR/host.err"
	# (the session may be established since midi-send: wait for the monitor)
	wait_for 10 has_clients_in "$B" "net:127.0.0.1:$PORT"
	run inB midi-list
	assert_line --regexp "^net:127\.0\.0\.1:$PORT +Diagnostic loopback A +net +midi2 +1$"
	until_arrives() { inA midi-send -e diag:loopback-b cc 7 99; grep -q 'cc 7 99' "$BATS_TEST_TMPDIR/b.mon"; }
	wait_for 20 until_arrives
	wait $mon
	run cat "$BATS_TEST_TMPDIR/b.mon"
	assert_line --index 0 'grp 1 ch 1 cc 7 99'
}

@test "a 1 MiB SysEx from the client arrives whole" {
	host
	head -c 1048574 /dev/urandom | tr '\200-\377' '\000-\177' > "$BATS_TEST_TMPDIR/body"
	{ printf '\360'; cat "$BATS_TEST_TMPDIR/body"; printf '\367'; } > "$BATS_TEST_TMPDIR/big.syx"
	inA midi-sysex capture -e diag:loopback-b -c 1 -t 60 -o "$BATS_TEST_TMPDIR/got.syx" &
	local cap=$!
	wait_for 10 has_clients_in "$A" diag:loopback-b
	run inB midi-sysex send -r 0 -i 0 -e "net:127.0.0.1:$PORT" "$BATS_TEST_TMPDIR/big.syx"
	assert_success
	wait $cap
	cmp "$BATS_TEST_TMPDIR/big.syx" "$BATS_TEST_TMPDIR/got.syx"
}

@test "the host stopped while a 1 MiB SysEx floods its endpoint: the client is told of the loss, never given a short SysEx" {
	host
	head -c 1048574 /dev/urandom | tr '\200-\377' '\000-\177' > "$BATS_TEST_TMPDIR/body"
	{ printf '\360'; cat "$BATS_TEST_TMPDIR/body"; printf '\367'; } > "$BATS_TEST_TMPDIR/big.syx"
	printf '\360\175\001\002\003\367' > "$BATS_TEST_TMPDIR/small.syx"
	inB midi-sysex capture -e "net:127.0.0.1:$PORT" -c 1 -t 60 -o "$BATS_TEST_TMPDIR/got.syx" \
		2> "$BATS_TEST_TMPDIR/cap.err" &
	local cap=$!
	wait_for 20 grep -q 'established' "$BATS_TEST_TMPDIR/host.err"
	# more than the endpoint's ring (131072 packets) while the host's
	# reading connection is stopped: the writer stops waiting for it
	kill -STOP "$HOST"
	run inA midi-sysex send -r 0 -i 0 -e diag:loopback-b "$BATS_TEST_TMPDIR/big.syx"
	kill -CONT "$HOST"
	assert_success
	wait_for 30 grep -q 'fell behind the endpoint: [0-9]* messages lost' "$BATS_TEST_TMPDIR/host.err"
	run inA midi-sysex send -e diag:loopback-b "$BATS_TEST_TMPDIR/small.syx"
	assert_success
	local st=0
	wait $cap || st=$?
	[ "$st" -eq 5 ] # messages were lost
	run cat "$BATS_TEST_TMPDIR/cap.err"
	assert_output --regexp 'lost [0-9]+ messages'
	refute_output --partial malformed
	# the cut SysEx is dropped whole; the one after it arrives
	cmp "$BATS_TEST_TMPDIR/small.syx" "$BATS_TEST_TMPDIR/got.syx"
}

@test "datagrams dropped and reordered on the way: every message once, in order" {
	host
	python3 "$BATS_TEST_DIRNAME/../net/relay.py" "$PORT" --drop 7 --swap 5 \
		> "$BATS_TEST_TMPDIR/relay.out" 2> "$BATS_TEST_TMPDIR/relay.err" &
	wait_for 10 grep -q 'relay port' "$BATS_TEST_TMPDIR/relay.out"
	local rport; rport=$(sed -n 's/relay port //p' "$BATS_TEST_TMPDIR/relay.out")
	inA midi-mon -e diag:loopback-b -f hex -c 600 -t 60 > "$BATS_TEST_TMPDIR/a.mon" &
	local mon=$!
	wait_for 10 has_clients_in "$A" diag:loopback-b
	# 600 notes, 2 ms apart (many datagrams, each alone)
	{ for i in $(seq 0 599); do echo "+2 on $((i % 128)) $((1 + i / 128))"; done; } |
		inB midi-send -e "net:127.0.0.1:$rport"
	wait $mon
	local want; want=$(for i in $(seq 0 599); do printf '90 %02X %02X\n' $((i % 128)) $((1 + i / 128)); done)
	run cat "$BATS_TEST_TMPDIR/a.mon"
	assert_output "$want"
	kill %2 2>/dev/null; sleep 0.2
	grep -q 'dropped' "$BATS_TEST_TMPDIR/relay.err" || true
}

@test "shared secret: the right one is accepted, a wrong one refused with the reason" {
	host --secret s3cret
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[net studio]\naddress = 127.0.0.1:%s\nsecret = s3cret\n[net wrong]\naddress = 127.0.0.1:%s\nsecret = nope\n' \
		"$PORT" "$PORT" > "$XDG_CONFIG_HOME/midi/midi.conf"
	inA midi-mon -e diag:loopback-b -f hex -c 1 -t 20 > "$BATS_TEST_TMPDIR/a.mon" &
	wait_for 10 has_clients_in "$A" diag:loopback-b
	run inB midi-send -e net:studio on C3 100
	assert_success
	wait_for 20 lines "$BATS_TEST_TMPDIR/a.mon" 1
	run inB midi-mon -e net:wrong -t 20
	assert_failure
	assert_output --partial 'refused'
	assert_output --partial 'authentication failed'
}

@test "user and password: accepted, and refused for a wrong password" {
	host --user alice:wonder
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[net ok]\naddress = 127.0.0.1:%s\nuser = alice\npassword = wonder\n[net bad]\naddress = 127.0.0.1:%s\nuser = alice\npassword = nope\n' \
		"$PORT" "$PORT" > "$XDG_CONFIG_HOME/midi/midi.conf"
	inB midi-mon -e net:ok -c 1 -t 20 > "$BATS_TEST_TMPDIR/b.mon" &
	wait_for 20 grep -q 'established' "$BATS_TEST_TMPDIR/host.err"
	run inB midi-mon -e net:bad -t 20
	assert_failure
	assert_output --partial 'refused'
}

@test "the host killed and started again: the client's monitor carries on" {
	host
	HPORT=$PORT
	inB midi-mon -e "net:127.0.0.1:$PORT" -f hex -t 90 > "$BATS_TEST_TMPDIR/b.mon" 2> "$BATS_TEST_TMPDIR/b.err" &
	wait_for 20 grep -q 'established' "$BATS_TEST_TMPDIR/host.err"
	kill -9 $HOST
	wait $HOST 2>/dev/null || true
	host # the same port again
	arrives() { inA midi-send -e diag:loopback-b on D3 90; grep -q '90 3E 5A' "$BATS_TEST_TMPDIR/b.mon"; }
	wait_for 60 arrives
}

@test "a bad address or port is an error naming it" {
	run inB midi-send -e net:127.0.0.1:99999 on C3 100
	assert_failure
	assert_output --partial 'bad port'
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[net x]\nport = 3\n' > "$XDG_CONFIG_HOME/midi/midi.conf"
	run inB midi-list
	assert_failure 2
	assert_output --partial 'line 2: unknown key "port" in [net]'
}

@test "datagrams lost for good are counted as lost messages by the client's readers" {
	host
	# the host's datagrams 20 to 219 never arrive: more than it keeps for
	# retransmission (64 commands)
	python3 "$BATS_TEST_DIRNAME/../net/relay.py" "$PORT" --burst 20:200 \
		> "$BATS_TEST_TMPDIR/relay.out" 2> "$BATS_TEST_TMPDIR/relay.err" &
	wait_for 10 grep -q 'relay port' "$BATS_TEST_TMPDIR/relay.out"
	local rport; rport=$(sed -n 's/relay port //p' "$BATS_TEST_TMPDIR/relay.out")
	inB midi-mon -e "net:127.0.0.1:$rport" -f hex -t 15 > "$BATS_TEST_TMPDIR/b.mon" 2> "$BATS_TEST_TMPDIR/b.err" &
	local mon=$!
	wait_for 20 grep -q 'established' "$BATS_TEST_TMPDIR/host.err"
	{ for i in $(seq 0 399); do echo "+2 on $((i % 128)) 1"; done; } | inA midi-send -e diag:loopback-b
	finish $mon 30
	assert_equal "$status" 5
	run cat "$BATS_TEST_TMPDIR/b.err"
	assert_output --regexp 'lost'
	local got; got=$(wc -l < "$BATS_TEST_TMPDIR/b.mon")
	[ "$got" -lt 400 ] && [ "$got" -gt 100 ]
}

@test "a 1 MiB SysEx from the host's side arrives whole at the client" {
	host
	head -c 1048574 /dev/urandom | tr '\200-\377' '\000-\177' > "$BATS_TEST_TMPDIR/body"
	{ printf '\360'; cat "$BATS_TEST_TMPDIR/body"; printf '\367'; } > "$BATS_TEST_TMPDIR/big.syx"
	inB midi-sysex capture -e "net:127.0.0.1:$PORT" -c 1 -t 60 -o "$BATS_TEST_TMPDIR/got.syx" &
	local cap=$!
	wait_for 20 grep -q 'established' "$BATS_TEST_TMPDIR/host.err"
	# sent to loopback-b: loopback-a's clients (the host) get it
	run inA midi-sysex send -r 0 -i 0 -e diag:loopback-b "$BATS_TEST_TMPDIR/big.syx"
	assert_success
	wait $cap
	cmp "$BATS_TEST_TMPDIR/big.syx" "$BATS_TEST_TMPDIR/got.syx"
}
