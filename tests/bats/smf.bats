#!/usr/bin/env bats
# smf.bats: Standard MIDI Files both ways. midi-send's dry run converts a
# real file (openmsx songs: tempo changes, many tracks) to a MIDI file and
# to timed text and back, keeping every event at its tick; midi-mon records
# what arrives to a MIDI file (MIDI 2.0 translated, SysEx whole), ending
# cleanly on a count, a timeout or SIGINT; a file played through the
# diagnostic loopback and recorded gives the same events, at the times they
# arrived (to a tick) and, on the median, within 1 ms of the file's; and
# the usage errors. Files are compared with python3-mido
# (tests/data/smf_compare.py).

load helpers

SONGS=/usr/share/games/openttd/baseset/openmsx

setup() {
	midi_setup
	PY=
	for p in python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null && "$p" -c 'import mido' 2>/dev/null; then
			PY=$p
			break
		fi
	done
	CMP="$MIDI_TOP/tests/data/smf_compare.py"
}

need_songs() {
	[ -n "$PY" ] || skip "python3-mido not installed"
	[ -d "$SONGS" ] || skip "openttd-openmsx not installed"
}

# division FILE: its ticks per quarter note
division() {
	"$PY" -c 'import mido, sys; print(mido.MidiFile(sys.argv[1]).ticks_per_beat)' "$1"
}

# The songs: 17 tempos, 31 tempos over 65 changes, none, 17 tracks.
TUNES="be_sharp_bw_redfarn midnight_snow_run ttsong_iii_imuh3 busy_schedule"

@test ".mid -> .mid (midi-send -n -o) keeps every event at its tick, formats 0 and 1" {
	need_songs
	T=$BATS_TEST_TMPDIR
	for t in $TUNES; do
		d=$(division "$SONGS/$t.mid")
		midi-send -n -f smf -i "$SONGS/$t.mid" --division "$d" --smf-format 0 -o "$T/$t.0.mid"
		run "$PY" "$CMP" --ticks "$SONGS/$t.mid" "$T/$t.0.mid"
		assert_success
		midi-send -n -f smf -i "$SONGS/$t.mid" --division "$d" -F smf >"$T/$t.1.mid"
		run "$PY" "$CMP" --ticks --sort "$SONGS/$t.mid" "$T/$t.1.mid"
		assert_success
	done
}

@test ".mid -> text with @ times -> .mid keeps every event and its tick" {
	need_songs
	T=$BATS_TEST_TMPDIR
	for t in $TUNES; do
		d=$(division "$SONGS/$t.mid")
		midi-send -n -f smf -i "$SONGS/$t.mid" -F text -T >"$T/$t.txt"
		# every line timed; the tempo changes are Set Tempo lines
		run grep -cv '^@[0-9]*\.[0-9]\{6\}s ' "$T/$t.txt"
		assert_output 0
		midi-send -n -i "$T/$t.txt" --division "$d" --smf-format 0 -o "$T/$t.mid"
		run "$PY" "$CMP" --ticks "$SONGS/$t.mid" "$T/$t.mid"
		assert_success
	done
	grep -q 'Set Tempo' "$T/be_sharp_bw_redfarn.txt"
	# ump lines with times read back the same way
	midi-send -n -f smf -i "$SONGS/ttsong_iii_imuh3.mid" -F ump -T >"$T/u.txt"
	midi-send -n -f ump -i "$T/u.txt" --division 192 --smf-format 0 -o "$T/u.mid"
	run "$PY" "$CMP" --ticks "$SONGS/ttsong_iii_imuh3.mid" "$T/u.mid"
	assert_success
}

@test "midi-send -n -F json has each message's time; the default output is unchanged" {
	run midi-send -n -F json 'on C3 100 +250ms off C3'
	assert_success
	assert_line --index 0 --partial '"time":0,'
	assert_line --index 1 --partial '"time":250000000,'
	run midi-send -n 'on C3 100 +250ms off C3'
	assert_output $'20903C64\n20803C00'
	run midi-send -n -F text -T --interval 10 'on C3 1 on D3 1'
	assert_output $'@0.000000s grp 1 ch 1 on C3 1\n@0.010000s grp 1 ch 1 on D3 1'
}

@test "midi-mon -o FILE.mid records MIDI 2.0 as MIDI 1.0 and SysEx whole, and ends cleanly on SIGINT and SIGTERM" {
	[ -n "$PY" ] || skip "python3-mido not installed"
	T=$BATS_TEST_TMPDIR
	sx=$(for i in $(seq 1 300); do printf '%02X ' $((i % 128)); done)
	midi-mon -e diag:loopback-b -o "$T/rec.mid" --smf-format 0 --division 480 --tempo 60 2>"$T/err" 3>&- &
	rec=$!
	# with the clock: an F7 escape event (which python3-mido cannot read)
	midi-mon -e diag:loopback-b --clock -o "$T/clock.mid" 3>&- &
	rec2=$!
	midi-mon -e diag:loopback-b --clock -f hex -c 6 >"$T/ref" 3>&- &
	ref=$!
	wait_clients diag:loopback-b 3
	midi-send -e diag:loopback-a "on C3 100 +100ms m2 on D3 0x8000 syx $sx +100ms m2 pnpb 60 0 clock" \
		"grp 2 ch 10 cc 7 100"
	finish "$ref"
	assert_equal "$status" 0
	kill -INT "$rec"
	kill -TERM "$rec2"
	finish "$rec"
	assert_equal "$status" 0
	finish "$rec2"
	assert_equal "$status" 0
	run cat "$T/err"
	assert_output --partial "1 message(s) with no MIDI 1.0 form were not recorded"
	# 60 bpm, 480 ticks a second: 100 ms is 48 ticks
	run "$PY" "$MIDI_TOP/tests/data/mido_dump.py" "$T/rec.mid"
	assert_success
	assert_line --index 0 "0 0.0 90 3C 64"
	assert_line --index 1 --regexp '^(4[4-9]|5[0-9]) [0-9.]+ 90 3E 40$'
	assert_line --index 2 --regexp "^(4[4-9]|5[0-9]) [0-9.]+ F0 $(echo $sx) F7\$"
	assert_line --index 3 --regexp '^(9[3-9]|10[0-9]) [0-9.]+ B9 07 64$'
	[ "${#lines[@]}" -eq 4 ]
	# our own reader agrees, byte for byte, the clock included
	run midi-send -n -f smf -i "$T/clock.mid" -F hex
	assert_success
	assert_output "$(cat "$T/ref")"
}

@test "midi-mon -f smf ends cleanly on a count and on a timeout; the file is written whole" {
	[ -n "$PY" ] || skip "python3-mido not installed"
	T=$BATS_TEST_TMPDIR
	midi-mon -e diag:loopback-b -f smf -c 2 >"$T/c.mid" 3>&- &
	pc=$!
	midi-mon -e diag:loopback-b -o "$T/t.mid" -t 2 3>&- &
	pt=$!
	wait_clients diag:loopback-b 2
	midi-send -e diag:loopback-a 'on C3 1 off C3 on D3 1'
	finish "$pc"
	assert_equal "$status" 0
	finish "$pt"
	assert_equal "$status" 0
	run "$PY" "$MIDI_TOP/tests/data/mido_dump.py" "$T/c.mid"
	assert_output $'0 0.0 90 3C 01\n0 0.0 80 3C 00'
	run "$PY" "$MIDI_TOP/tests/data/mido_dump.py" "$T/t.mid"
	assert_output $'0 0.0 90 3C 01\n0 0.0 80 3C 00\n0 0.0 90 3E 01'
	# format 1: the tempo track, then the channel's own track
	run "$PY" -c 'import mido, sys
m = mido.MidiFile(sys.argv[1])
print(m.type, m.ticks_per_beat, len(m.tracks), m.tracks[1].name)' "$T/t.mid"
	assert_output "1 960 2 Group 1 Channel 1"
}

# record_song NAME SECONDS: the first SECONDS of a song as cut.mid, played
# through diag:loopback-a while two monitors record diag:loopback-b, one to
# rec.mid, the other as timed hex (the arrival times).
record_song() {
	local t=$1 s=$2 T=$BATS_TEST_TMPDIR n
	d=$(division "$SONGS/$t.mid")
	midi-send -n -f smf -i "$SONGS/$t.mid" -F text -T |
		awk -v s="$s" '{ if (substr($1, 2) + 0 < s) print }' >"$T/cut.txt"
	midi-send -n -i "$T/cut.txt" --division "$d" -o "$T/cut.mid"
	n=$("$PY" "$MIDI_TOP/tests/data/mido_dump.py" "$T/cut.mid" | wc -l)
	midi-mon -e diag:loopback-b -o "$T/rec.mid" --division 9600 -c "$n" -t 60 3>&- &
	rec=$!
	midi-mon -e diag:loopback-b -f hex -T -c "$n" -t 60 >"$T/arrived.hex" 3>&- &
	arr=$!
	wait_clients diag:loopback-b 2
	midi-send -e diag:loopback-a -f smf -i "$T/cut.mid"
	finish "$rec" 60
	assert_equal "$status" 0
	finish "$arr" 60
	assert_equal "$status" 0
}

@test "a MIDI file played through the loopback and recorded gives the same events at the same times" {
	need_songs
	T=$BATS_TEST_TMPDIR
	for t in midnight_snow_run chuggachugga; do
		record_song "$t" 4
		# the recorder keeps the arrival times (to a tick of 52 us)
		run "$PY" "$CMP" --tol 0.1 "$T/arrived.hex" "$T/rec.mid"
		echo "# $t: recorder vs arrivals: $output" >&3
		assert_success
		# and the arrivals are the file's times: within 1 ms, but for the
		# scheduler's wake-ups on a busy machine (figures printed)
		run "$PY" "$CMP" --p50 1 --tol 250 "$T/cut.mid" "$T/rec.mid"
		echo "# $t: recorded vs file: $output" >&3
		assert_success
	done
}

@test "SMF output: usage errors and a bad output path" {
	run midi-mon -e diag:loopback-b --tempo 100
	assert_failure 2
	assert_output --partial "--tempo is for the smf output format"
	run midi-mon -e diag:loopback-b -f smf --division 0
	assert_failure 2
	assert_output --partial "invalid division"
	run midi-mon -e diag:loopback-b -f smf --smf-format 2
	assert_failure 2
	run midi-mon -e diag:loopback-b -f smf --tempo fast
	assert_failure 2
	assert_output --partial "invalid tempo 'fast'"
	run midi-mon -e diag:loopback-b -f smf --abs-time
	assert_failure 2
	run midi-mon -e diag:loopback-b -o "$BATS_TEST_TMPDIR/no/such/dir/x.mid" -c 1
	assert_failure 1
	assert_output --partial "cannot open $BATS_TEST_TMPDIR/no/such/dir/x.mid"
	run midi-send -e diag:loopback-a -o x.mid 'on C3 1'
	assert_failure 2
	assert_output --partial "for the dry run (-n)"
	run midi-send -n -F midi 'on C3 1'
	assert_failure 2
	assert_output --partial "unknown output format 'midi'"
	run midi-send -n -F text --division 96 'on C3 1'
	assert_failure 2
	assert_output --partial "--division is for the smf output format"
}

@test "an SMF is never written to a terminal" {
	command -v script >/dev/null || skip "script (util-linux) not installed"
	run script -qec "midi-send -n -F smf 'on C3 1'; echo status=\$?" /dev/null
	assert_output --partial "a MIDI file is not written to a terminal"
	assert_output --partial "status=2"
	run script -qec "midi-mon -e diag:loopback-b -f smf -c 1; echo status=\$?" /dev/null
	assert_output --partial "a MIDI file is not written to a terminal"
	assert_output --partial "status=2"
}
