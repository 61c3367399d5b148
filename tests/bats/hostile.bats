#!/usr/bin/env bats
# hostile.bats: what a hostile-input run found (issue 8): Standard MIDI
# Files missing tracks, write errors on standard output (/dev/full), a
# midi.conf that is a FIFO, a directory or starts with a byte-order mark,
# terminal control bytes and invalid UTF-8 in names and error messages
# (escaped as \xHH, see midi-list(1)), and one message per unknown option.

load helpers

# The name every terminal-safety test uses: ESC (a colour sequence), BEL,
# the C1 control CSI (U+009B, C2 9B), a byte that is not UTF-8 (FF), then
# printable UTF-8 that must stay as it is.
HOSTILE_NAME=$'A\e[31mB\aC\xc2\x9bD\xffE Caf\xc3\xa9 \xe6\x97\xa5'
HOSTILE_SHOWN='A\x1B[31mB\x07C\xC2\x9BD\xFFE Café 日'

# no_raw_controls: the output holds no ESC, BEL, C1 CSI or byte FF.
no_raw_controls() {
	! printf '%s' "$output" | LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f\xff]\|\xc2\x9b'
}

# mid FILE NTRKS NPRESENT: a format 1 file declaring NTRKS tracks with
# NPRESENT small tracks present.
mid() {
	python3 - "$@" <<'PY'
import struct, sys
path, ntrks, present = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
trk = bytes([0, 0x90, 0x3C, 0x64, 0x60, 0x80, 0x3C, 0, 0, 0xFF, 0x2F, 0])
with open(path, "wb") as f:
    f.write(b"MThd" + struct.pack(">IHHH", 6, 1, ntrks, 96))
    for _ in range(present):
        f.write(b"MTrk" + struct.pack(">I", len(trk)) + trk)
PY
}

@test "smf: a file cut at a chunk boundary is an error, and nothing is played" {
	mid "$BATS_TEST_TMPDIR/cut.mid" 14 3
	size=$(stat -c %s "$BATS_TEST_TMPDIR/cut.mid")
	run midi-send -n -f smf -i "$BATS_TEST_TMPDIR/cut.mid"
	assert_failure 2
	assert_output "midi-send: $BATS_TEST_TMPDIR/cut.mid: MThd at byte offset 10 declares 14 tracks, file ends after 3 at byte offset $size"
	# the same through a connection: nothing reaches the endpoint (the
	# first message the monitor sees is the marker sent after it)
	midi-mon -e diag:loopback-b -f hex -c 1 -t 20 >"$BATS_TEST_TMPDIR/mon" 2>&1 3>&- &
	mon=$!
	wait_clients diag:loopback-b 1
	run midi-send -e diag:loopback-a -f smf -i "$BATS_TEST_TMPDIR/cut.mid"
	assert_failure 2
	assert_output --partial "declares 14 tracks"
	run midi-send -e diag:loopback-a -f hex 90 3D 01
	assert_success
	wait $mon
	run cat "$BATS_TEST_TMPDIR/mon"
	assert_output '90 3D 01'
	# complete, it plays
	mid "$BATS_TEST_TMPDIR/ok.mid" 3 3
	run midi-send -n -f smf -i "$BATS_TEST_TMPDIR/ok.mid"
	assert_success
	assert_equal "${#lines[@]}" 6
}

@test "smf: the header alone, and 65535 tracks declared with none present, are errors" {
	mid "$BATS_TEST_TMPDIR/h.mid" 1 0
	run midi-send -n -f smf -i "$BATS_TEST_TMPDIR/h.mid"
	assert_failure 2
	assert_output --partial "declares 1 track, file ends after 0 at byte offset 14"
	mid "$BATS_TEST_TMPDIR/m.mid" 65535 0
	run midi-send -n -f smf -i "$BATS_TEST_TMPDIR/m.mid"
	assert_failure 2
	assert_output --partial "declares 65535 tracks, file ends after 0 at byte offset 14"
}

@test "/dev/full: every output of midi-sysex, midi-list, midi-watch, midi-loop reports the write error" {
	printf '\xf0\x7e\x7f\x06\x01\xf7' >"$BATS_TEST_TMPDIR/good.syx"
	for cmd in "midi-sysex send -n $BATS_TEST_TMPDIR/good.syx" "midi-sysex --help" \
		"midi-list" "midi-list -a -v" "midi-list --json" "midi-list --ids -a" "midi-list --version" \
		"midi-watch --once -a" "midi-watch --once --json" "midi-loop list" "midi-loop --help"; do
		run bash -c "$cmd >/dev/full"
		echo "$cmd: $status $output"
		assert_failure 1
		assert_output --regexp "writ.*standard output.*(No space left on device)?"
	done
}

@test "a reader that went away (EPIPE) is not a write error at exit" {
	run bash -c 'midi-watch -a -t 1 | head -1; echo "status ${PIPESTATUS[0]}"'
	assert_success
	assert_line --index 0 --partial 'added diag:'
	assert_line --index 1 'status 0'
	assert_equal "${#lines[@]}" 2
}

@test "/dev/full: midi-sysex capture reports the write error, to -o FILE and to standard output" {
	printf '\xf0\x7e\x7f\x06\x01\xf7' >"$BATS_TEST_TMPDIR/good.syx"
	for out in "-o /dev/full" "-o - >/dev/full"; do
		bash -c "exec midi-sysex capture -e diag:loopback-b -c 1 -t 20 $out" \
			2>"$BATS_TEST_TMPDIR/cap.err" 3>&- &
		cap=$!
		wait_clients diag:loopback-b 1
		run midi-sysex send -e diag:loopback-a "$BATS_TEST_TMPDIR/good.syx"
		assert_success
		status=0
		wait $cap || status=$?
		assert_equal "$status" 1
		run cat "$BATS_TEST_TMPDIR/cap.err"
		assert_output --regexp "writing (/dev/full|standard output): No space left on device"
		wait_clients diag:loopback-b 0
	done
}

@test "midi.conf: a FIFO is refused at once, naming the path" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	mkfifo "$XDG_CONFIG_HOME/midi/midi.conf"
	run timeout 10 midi-list
	assert_failure 2
	assert_output --partial "configuration file $XDG_CONFIG_HOME/midi/midi.conf is not a regular file"
	run timeout 10 midi-watch --once
	assert_failure 2
	assert_output --partial "is not a regular file"
}

@test "midi.conf: a FIFO appearing under a running midi-watch does not stop it" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	midi-watch >"$BATS_TEST_TMPDIR/w" 2>&1 3>&- &
	wait_for 10 grep -qx enumerated "$BATS_TEST_TMPDIR/w"
	mkfifo "$XDG_CONFIG_HOME/midi/midi.conf"
	run timeout 10 midi-loop create zz
	assert_failure 2
	assert_output --partial "is not a regular file"
	rm "$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-loop create zz
	assert_success
	wait_for 10 grep -q "^added loop:zz-a" "$BATS_TEST_TMPDIR/w"
}

@test "midi.conf: a directory is refused, naming the path" {
	mkdir -p "$XDG_CONFIG_HOME/midi/midi.conf"
	run timeout 10 midi-list
	assert_failure 2
	assert_output --partial "configuration file $XDG_CONFIG_HOME/midi/midi.conf is not a regular file"
}

@test "midi.conf: a UTF-8 byte-order mark at the start is skipped" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '\xef\xbb\xbf[loop bom]\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list --ids
	assert_success
	assert_line loop:bom-a
	# only at the start
	printf '[loop bom]\n\xef\xbb\xbf[loop two]\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	run midi-list --ids
	assert_failure 2
	assert_output --partial 'midi.conf line 2'
}

@test "terminal safety: names from midi.conf are escaped in midi-list and midi-watch" {
	mkdir -p "$XDG_CONFIG_HOME/midi"
	# midi.conf refuses C0 controls; C1 and invalid UTF-8 get through
	printf '[loop x]\n[endpoint loop:x-a]\nname = C1\xc2\x9b[2J bad\xfe\xff ok Caf\xc3\xa9\n' \
		>"$XDG_CONFIG_HOME/midi/midi.conf"
	want='C1\xC2\x9B[2J bad\xFE\xFF ok Café'
	run midi-list
	assert_success
	assert_output --partial "$want"
	no_raw_controls
	run midi-list -v -e loop:x-a
	assert_success
	assert_line "  name:                $want"
	no_raw_controls
	run midi-watch --once
	assert_success
	assert_line "added loop:x-a $want"
	no_raw_controls
	# JSON escapes its own way (and keeps what JSON allows)
	run midi-list --json
	assert_success
	assert_output --partial '\ufffd'
}

@test "terminal safety: a virtual device's declared names are escaped in midi-list and midi-watch" {
	midi-loop virtual v --name "$HOSTILE_NAME" --function-block "name=$HOSTILE_NAME" \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/v.err" 3>&- &
	wait_for 10 bash -c 'midi-list -v -e virt:v 2>/dev/null | grep -q "endpoint name: *A"'
	run midi-list
	assert_success
	assert_output --partial "$HOSTILE_SHOWN"
	no_raw_controls
	run midi-list -v -e virt:v
	assert_success
	assert_line "  endpoint name:       $HOSTILE_SHOWN"
	assert_output --partial "block 0 \"$HOSTILE_SHOWN\""
	no_raw_controls
	run midi-watch --once
	assert_success
	assert_line "added virt:v $HOSTILE_SHOWN"
	no_raw_controls
}

@test "terminal safety: errors escape the input they quote, NUL included" {
	run bash -c "printf 'on C3 \\033[31m\\n' | midi-send -n"
	assert_failure 2
	assert_output 'midi-send: standard input: line 1, column 7: expected velocity 0-127 after "on", got "\x1B[31m"'
	run bash -c "printf 'o\\000n C3 100\\n' | midi-send -n"
	assert_failure 2
	assert_output 'midi-send: standard input: line 1, column 1: unknown verb "o\x00n"'
	run bash -c "printf '90 3\\000C\\n' | midi-send -n -f hex"
	assert_failure 2
	assert_output --partial 'column 5: bad hex byte "3\x00"'
	run midi-send -e "$HOSTILE_NAME" on C3 100
	assert_failure 3
	assert_output "midi-send: no endpoint matches \"$HOSTILE_SHOWN\""
	run midi-list "$HOSTILE_NAME"
	assert_failure 2
	assert_line --index 0 "midi-list: unexpected argument '$HOSTILE_SHOWN' (use -e SPEC to show one endpoint)"
	no_raw_controls
	run midi-sysex send -n "$BATS_TEST_TMPDIR/$HOSTILE_NAME.syx"
	assert_failure
	assert_output --partial "$HOSTILE_SHOWN"
	no_raw_controls
}

@test "--bogus: one message naming the option, for every program and subcommand" {
	for cmd in midi-list midi-watch midi-send midi-mon midi-sysex midi-loop \
		"midi-sysex send" "midi-sysex capture" "midi-sysex request" \
		"midi-loop ping" "midi-loop virtual" "midi-loop test"; do
		run $cmd --bogus
		echo "$cmd: $output"
		assert_failure 2
		prog=${cmd%% *}
		sub=${cmd#"$prog"}
		assert_line --index 0 "$prog: unknown option '--bogus'${sub:+ for${sub}}"
		assert_line --index 1 "Try '$prog --help' for more information."
		assert_equal "${#lines[@]}" 2
	done
}

@test "a missing option argument, an unknown short option and an argument to a flag: one message each" {
	run midi-list -e
	assert_failure 2
	assert_line --index 0 "midi-list: option '-e' requires an argument"
	assert_equal "${#lines[@]}" 2
	run midi-watch --count
	assert_failure 2
	assert_line --index 0 "midi-watch: option '--count' requires an argument"
	assert_equal "${#lines[@]}" 2
	run midi-sysex send -i
	assert_failure 2
	assert_line --index 0 "midi-sysex: option '-i' requires an argument for send"
	run midi-mon -Z
	assert_failure 2
	assert_line --index 0 "midi-mon: unknown option '-Z'"
	assert_equal "${#lines[@]}" 2
	run midi-list $'-\e' $'--\e[1m'
	assert_failure 2
	assert_line --index 0 "midi-list: unknown option '-\\x1B'"
	no_raw_controls
	run midi-watch --json=yes
	assert_failure 2
	assert_line --index 0 "midi-watch: option '--json' takes no argument"
	run midi-send --endpoint
	assert_failure 2
	assert_line --index 0 "midi-send: option '--endpoint' requires an argument"
	assert_equal "${#lines[@]}" 2
}
