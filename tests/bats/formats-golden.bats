#!/usr/bin/env bats
# formats-golden.bats: every reader and printer gives, byte for byte, what
# the code gave before the text paths were made fast (issue 8): expected
# outputs in tests/data/golden/ were made by the earlier code. Readers via
# `midi-send -n -f F` (hex, bin, ump, text); printers via midi-mon -f F
# (ump, hex, text, json; "time" left out of json) through diag:loopback;
# errors (message, status, what came out before) from errors.txt. m2.ump:
# MIDI 2.0, Flex Data, Stream, SysEx8 and utility packets (printers only).

load helpers

G=$BATS_TEST_DIRNAME/../data/golden
NAMES="tricky sysex-long corpus-head m2"

@test "golden: readers (hex, bin, ump, text) give the same packets" {
	for n in $NAMES; do
		midi-send -n -f ump < "$G/$n.ump" > "$BATS_TEST_TMPDIR/out"
		cmp "$G/$n.ump" "$BATS_TEST_TMPDIR/out"
		midi-send -n -f text < "$G/$n.mon.text" > "$BATS_TEST_TMPDIR/out"
		cmp "$G/$n.text.ump" "$BATS_TEST_TMPDIR/out"
		[ -e "$G/$n.hex" ] || continue
		midi-send -n -f hex < "$G/$n.hex" > "$BATS_TEST_TMPDIR/out"
		cmp "$G/$n.ump" "$BATS_TEST_TMPDIR/out"
		midi-send -n -f bin < "$G/$n.bin" > "$BATS_TEST_TMPDIR/out"
		cmp "$G/$n.bin.ump" "$BATS_TEST_TMPDIR/out"
		# the same bytes in one chunk per line (input that comes slowly)
		while IFS= read -r line; do printf '%s\n' "$line"; done < "$G/$n.hex" |
			midi-send -n -f hex > "$BATS_TEST_TMPDIR/out"
		cmp "$G/$n.ump" "$BATS_TEST_TMPDIR/out"
	done
}

@test "golden: 63,200 packets through every reader (buffer boundaries)" {
	T=$BATS_TEST_TMPDIR
	for i in $(seq 40); do grep -v '^#' "$G/corpus-head.hex"; done > "$T/in.hex"
	for i in $(seq 40); do cat "$G/corpus-head.text.ump"; done > "$T/in.ump"
	for i in $(seq 40); do cat "$G/corpus-head.mon.text"; done > "$T/in.text"
	sum=a3648b7836a0eeea5bb07c917cdcfdfd71c76dac8aab2b18de920218c1d7e2e8
	for f in hex ump text; do
		run bash -c "midi-send -n -f $f < '$T/in.$f' | sha256sum"
		assert_success
		assert_output "$sum  -"
	done
}

@test "golden: printers (ump, hex, text, json) print the same lines" {
	T=$BATS_TEST_TMPDIR
	for n in $NAMES; do
		# messages: packets shown but SysEx Start/Continue
		count=$(grep -vcE '^[35].[12]' "$G/$n.mon.ump")
		for f in ump hex text json; do
			midi-mon -e diag:loopback-b -f "$f" -c "$count" -t 20 > "$T/out" 2> "$T/err" 3>&- &
			pid=$!
			wait_clients diag:loopback-b 1
			midi-send -e diag:loopback-a -f ump < "$G/$n.ump"
			wait "$pid"
			[ ! -s "$T/err" ]
			[ "$f" != json ] || sed -i 's/^{"time":[0-9]*,/{/' "$T/out"
			cmp "$G/$n.mon.$f" "$T/out"
			wait_clients diag:loopback-b 0
		done
	done
}

@test "golden: input errors (message, status, packets before the error)" {
	T=$BATS_TEST_TMPDIR
	while IFS='|' read -r fmt in; do
		rc=0
		printf '%b' "$in" | midi-send -n -f "$fmt" > "$T/o" 2> "$T/e" || rc=$?
		echo "== $fmt|$in rc=$rc"
		cat "$T/o" "$T/e"
	done < "$G/errors.txt" > "$T/got"
	diff -u "$G/errors.expected" "$T/got"
}
