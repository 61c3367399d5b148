#!/usr/bin/env bats
# jr.bats: JR timestamps end to end. A [loop NAME] pair with jr = yes and a
# virtual device started with --jr have them in use (midi-list); what is
# sent to them carries a JR Clock and a JR Timestamp (seen with midi-mon
# --jr-raw) that receivers consume; received JR Timestamps set the arrival
# times (a message sent 300 ms late, stamped 100 ms after the first, is
# shown at 0.100 s); without JR, JR messages are plain messages; a bad jr
# value is an error naming the line.

load helpers

conf() {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '%s\n' "$@" >"$XDG_CONFIG_HOME/midi/midi.conf"
}

# ep_flag ID KEY: a field of midi-list --json for ID.
ep_flag() {
	midi-list -a --json | python3 -c '
import json, sys
for ep in json.load(sys.stdin):
    if ep["id"] == sys.argv[1]:
        print(ep[sys.argv[2]])' "$1" "$2"
}

@test "[loop NAME] jr = yes: JR in use both ways on both ends" {
	conf '[loop timed]' 'jr = yes'
	run midi-list --json
	assert_success
	[ "$(ep_flag loop:timed-a jr_tx)" = True ]
	[ "$(ep_flag loop:timed-a jr_rx)" = True ]
	[ "$(ep_flag loop:timed-b jr_tx)" = True ]
	[ "$(ep_flag loop:timed-b jr_tx_supported)" = True ]
	run midi-list -v -e loop:timed-b
	assert_output --regexp 'JR timestamps: +send, receive'
	# jr = no (or no key): none.
	conf '[loop timed]' 'jr = no'
	[ "$(ep_flag loop:timed-a jr_tx)" = False ]
	[ "$(ep_flag loop:timed-a jr_rx)" = False ]
}

@test "a JR Clock and a JR Timestamp go before what is sent; receivers consume them" {
	T=$BATS_TEST_TMPDIR
	conf '[loop timed]' 'jr = yes'
	midi-mon -e loop:timed-b --jr-raw -f ump -c 5 -t 10 >"$T/raw" 3>&- &
	raw=$!
	midi-mon -e loop:timed-b -f ump -c 2 -t 10 >"$T/plain" 3>&- &
	plain=$!
	wait_clients loop:timed-b 2
	midi-send -e loop:timed-a 'on C3 100' '+50' 'off C3'
	finish $raw
	assert_equal "$status" 0
	finish $plain
	assert_equal "$status" 0
	run cat "$T/raw"
	# clock, timestamp, Note On, timestamp, Note Off; the clock and the
	# first timestamp carry the same sender time.
	assert_line --index 0 --regexp '^0010[0-9A-F]{4}$'
	assert_line --index 1 --regexp '^0020[0-9A-F]{4}$'
	assert_line --index 2 '20903C64'
	assert_line --index 3 --regexp '^0020[0-9A-F]{4}$'
	assert_line --index 4 '20803C00'
	[ "${lines[0]:4}" = "${lines[1]:4}" ]
	# 50 ms later: 1562 or 1563 ticks of 32 us.
	d=$(( (0x${lines[3]:4} - 0x${lines[1]:4} + 65536) % 65536 ))
	[ "$d" -ge 1562 ] && [ "$d" -le 1563 ]
	run cat "$T/plain"
	assert_output $'20903C64\n20803C00'
}

@test "received JR Timestamps set arrival times: sent 300 ms late, shown at its stamp" {
	T=$BATS_TEST_TMPDIR
	conf '[loop timed]' 'jr = yes'
	midi-mon -e loop:timed-b --from-first -c 2 -t 10 >"$T/out" 3>&- &
	mon=$!
	wait_clients loop:timed-b 1
	# The application sends its own JR messages (the library then adds
	# none): clock 0, the Note On at tick 0, 300 ms later the Note Off
	# stamped tick 3125 (100 ms).
	midi-send -e loop:timed-a 'ump 00100000' 'ump 00200000' 'on C3 100' '+300' \
		'ump 00200C35' 'off C3'
	finish $mon
	assert_equal "$status" 0
	run cat "$T/out"
	assert_line --index 0 '@0.000000s grp 1 ch 1 on C3 100'
	assert_line --index 1 '@0.100000s grp 1 ch 1 off C3 0'
}

@test "without JR in use, JR messages are plain messages and times are arrival times" {
	T=$BATS_TEST_TMPDIR
	midi-loop create plain
	midi-mon -e loop:plain-b --from-first -f ump -c 4 -t 10 >"$T/out" 3>&- &
	mon=$!
	wait_clients loop:plain-b 1
	midi-send -e loop:plain-a 'ump 00100000' 'ump 00200000' '+300' 'ump 00200C35' 'on C3 100'
	finish $mon
	assert_equal "$status" 0
	run cat "$T/out"
	assert_line --index 0 '@0.000000s 00100000'
	assert_line --index 1 '@0.000000s 00200000'
	assert_line --index 2 --regexp '^@0\.(29|3[0-9])[0-9]{4}s 00200C35$'
	assert_line --index 3 --regexp '^@0\.(29|3[0-9])[0-9]{4}s 20903C64$'
}

@test "midi-loop virtual --jr: JR in use after discovery, carried both ways" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/in"
	midi-loop virtual timed --jr --exit-on-eof -f ump --input-format ump <"$T/in" >"$T/dev" 2>"$T/dev.err" 3>&- &
	dev=$!
	exec 4>"$T/in"
	wait_for 10 listed virt:timed
	wait_for 15 bash -c '[ "$(midi-list --json | python3 -c "
import json, sys
print([e[\"jr_tx\"] and e[\"jr_rx\"] for e in json.load(sys.stdin) if e[\"id\"] == \"virt:timed\"])")" = "[True]" ]'
	midi-mon -e virt:timed --jr-raw -f ump -c 3 -t 10 >"$T/raw" 3>&- &
	raw=$!
	midi-mon -e virt:timed -f ump -c 1 -t 10 >"$T/plain" 3>&- &
	plain=$!
	wait_clients virt:timed 2
	echo 20B00102 >&4
	finish $raw
	assert_equal "$status" 0
	finish $plain
	run cat "$T/raw"
	assert_line --index 0 --regexp '^0010[0-9A-F]{4}$'
	assert_line --index 1 --regexp '^0020[0-9A-F]{4}$'
	assert_line --index 2 '20B00102'
	run cat "$T/plain"
	assert_output '20B00102'
	# A client's message reaches the device without the JR messages the
	# library put before it.
	midi-send -e virt:timed -f ump 20903C64
	wait_for 10 grep -q 20903C64 "$T/dev"
	run cat "$T/dev"
	assert_output '20903C64'
	exec 4>&-
	finish $dev
}

@test "a bad jr value in a [loop] section is an error naming the line" {
	conf '[loop timed]' 'jr = maybe'
	run midi-list
	assert_failure
	assert_output --partial 'midi.conf line 2'
	assert_output --partial 'jr = "maybe": use yes or no'
}
