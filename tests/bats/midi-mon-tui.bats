#!/usr/bin/env bats
# midi-mon-tui.bats: the interactive monitor end to end, driven in a
# detached tmux session of a fixed size: messages shown as they arrive,
# help, pause (counting goes on), filter keys, the SysEx detail, exact
# counts of a burst and of lost messages, the endpoint closing, signals and
# resizing, UTF-8 names, q and its exit status; and line mode whenever
# standard output is not a terminal or a format or --no-tui is given.
# Every wait polls the screen for text with a deadline; nothing depends on
# timing.

load helpers


setup_file() {
	command -v tmux >/dev/null || skip "tmux is not installed (needed to drive the interactive monitor)"
}

setup() {
	command -v tmux >/dev/null || skip "tmux is not installed (needed to drive the interactive monitor)"
	midi_setup
	unset TMUX
	export LANG=C.UTF-8
	TSOCK="midi-tui-$$-$BATS_TEST_NUMBER"
}

teardown() {
	tmux -L "$TSOCK" kill-server 2>/dev/null || true
	midi_teardown
}

tm() { tmux -L "$TSOCK" "$@"; }
# next_terminal: end this terminal's tmux server and use another (a new
# socket: a server being killed may still accept on the old one, and a
# session started there fails with "server exited unexpectedly").
next_terminal() {
	tm kill-server
	TSOCK="$TSOCK-n"
}

# start_tui COMMAND: run COMMAND (a shell command line) in a detached
# 100x30 terminal; its exit status goes to $BATS_TEST_TMPDIR/rc, and the
# pane stays open afterwards so the screen can still be read.
start_tui() {
	rm -f "$BATS_TEST_TMPDIR/rc"
	tm -f /dev/null new-session -d -s mon -x 100 -y 30 \
		"$1; echo \$? > '$BATS_TEST_TMPDIR/rc.tmp'; mv '$BATS_TEST_TMPDIR/rc.tmp' '$BATS_TEST_TMPDIR/rc'; exec sleep 600"
}

screen() { tm capture-pane -p -t mon; }
keys() { tm send-keys -t mon "$@"; }
_shows() { screen | grep -qF -- "$1"; }
_lacks() { ! screen | grep -qF -- "$1"; }
# shows TEXT: wait (10 s at most) until the screen shows TEXT.
shows() {
	wait_for 10 _shows "$1" || { screen >&2; return 1; }
}
# exit_status: wait for the command to end; its status in $rc.
exit_status() {
	wait_for 10 test -f "$BATS_TEST_TMPDIR/rc"
	rc=$(cat "$BATS_TEST_TMPDIR/rc")
}
# mon_pid: the pid of midi-mon running in the pane.
mon_pid() {
	pgrep -P "$(tm list-panes -t mon -F '#{pane_pid}')" -x midi-mon
}
alternate_screen() { tm display-message -p -t mon '#{alternate_on}'; }

start_mon() {
	start_tui "midi-mon -e diag:loopback-b $*"
	shows 'received 0  shown 0  lost 0'
	wait_clients diag:loopback-b 1
}

@test "on a terminal: messages appear in the log; q quits with status 0 and restores the screen" {
	start_mon
	shows 'diag:loopback-b'
	shows 'LIVE'
	[ "$(alternate_screen)" = 1 ]
	midi-send -e diag:loopback-a on C3 100 grp 3 ch 10 cc 7 64
	shows 'on C3 100'
	shows 'cc 7 64'
	shows 'received 2  shown 2  lost 0'
	# Per-type counts and the group 3 row of the activity panel.
	shows 'note 1  cc 1'
	screen | grep -qE '^3 +'
	keys q
	exit_status
	[ "$rc" -eq 0 ]
	[ "$(alternate_screen)" = 0 ]
	_lacks 'received 2'
}

@test "? shows the help; any key closes it" {
	start_mon
	keys '?'
	shows 'Keys'
	shows 'show or hide timing clock'
	keys x
	wait_for 10 _lacks 'show or hide timing clock'
	shows 'time grp  ch  message'
	keys q
	exit_status
	[ "$rc" -eq 0 ]
}

@test "space pauses the log while counting goes on; space again shows what came" {
	start_mon
	midi-send -e diag:loopback-a on C3 100
	shows 'on C3 100'
	keys Space
	shows 'PAUSED (+0 new)'
	midi-send -e diag:loopback-a on D3 90 on E3 80
	shows 'received 3  shown 3'
	shows 'PAUSED (+2 new)'
	_lacks 'on D3 90'
	keys Space
	shows 'LIVE'
	shows 'on D3 90'
	shows 'on E3 80'
	keys q
	exit_status
	[ "$rc" -eq 0 ]
}

@test "filter keys: t hides notes, c picks a channel, k shows the clock, r goes back" {
	start_mon
	keys t
	shows 'types ('
	keys -l -- '-note'
	keys Enter
	shows 'hide note,clock,sense'
	midi-send -e diag:loopback-a on C3 100 cc 7 64
	shows 'cc 7 64'
	shows 'received 2  shown 1'
	_lacks 'on C3 100'
	keys c
	keys -l '10'
	keys Enter
	shows 'channels 10'
	midi-send -e diag:loopback-a ch 1 cc 7 1 ch 10 cc 7 2
	shows 'cc 7 2'
	shows 'received 4  shown 2'
	_lacks 'cc 7 1'
	keys k
	shows 'timing clock shown'
	shows 'hide note,sense'
	midi-send -e diag:loopback-a -f ump 10F80000 10FE0000
	shows 'received 6  shown 3'
	shows 'clock'
	keys r
	shows 'hide clock,sense'
	midi-send -e diag:loopback-a on G3 1
	shows 'on G3 1'
	# A bad list is refused with the reason; the filter stays.
	keys g
	keys -l '17'
	keys Enter
	shows "invalid group list '17'"
	_lacks ', groups'
	keys q
	exit_status
	[ "$rc" -eq 0 ]
}

@test "filters of the command line are the initial state" {
	start_mon --type cc --channel 2
	shows 'only cc, channels 2'
	midi-send -e diag:loopback-a ch 2 on C3 100 ch 1 cc 1 1 ch 2 cc 1 2
	shows 'received 3  shown 1'
	shows 'cc 1 2'
	_lacks 'on C3'
	keys q
	exit_status
	[ "$rc" -eq 0 ]
}

@test "Enter on a selected SysEx shows every byte and decodes an Identity Reply" {
	start_mon
	long=$(seq 0 39 | awk '{ printf " %02X", $1 }')
	midi-send -e diag:loopback-a syx 7E 10 06 02 41 23 02 01 05 01 02 03 04
	midi-send -e diag:loopback-a syx $long
	shows '(40 bytes)'
	shows 'identity reply'
	# The first Up selects the newest line (the 40-byte SysEx).
	keys Up
	shows 'PAUSED'
	keys Enter
	shows 'SysEx7: 40 bytes between F0 and F7'
	shows '000020  20 21 22 23 24 25 26 27'
	keys Escape
	shows 'time grp  ch  message'
	keys Up Enter
	shows 'SysEx7: 13 bytes between F0 and F7'
	shows 'Identity Reply: device 16, manufacturer 41, family 291, model 641, version 1.2.3.4'
	keys q
	exit_status
	[ "$rc" -eq 0 ]
}

@test "a 20,000-message burst is counted exactly; the log keeps its last 10,000 lines" {
	T=$BATS_TEST_TMPDIR
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "2%X9%X%02X%02X\n", i % 16, int(i / 16) % 16, i % 128, int(i / 128) % 128 }' >"$T/in.ump"
	start_mon
	midi-send -e diag:loopback-a -f ump -i "$T/in.ump"
	midi-send -e diag:loopback-a grp 1 ch 1 on C3 100
	shows 'received 20001  shown 20001  lost 0  dropped 10001'
	shows 'on C3 100'
	shows 'note 20001'
	keys q
	exit_status
	[ "$rc" -eq 0 ]
}

@test "lost messages are counted exactly in the status line; q then exits 5" {
	export MIDI_RING_SLOTS=1024
	T=$BATS_TEST_TMPDIR
	seq 0 3999 | awk '{ printf "2%X9%X%02X%02X\n", $1 % 16, int($1 / 16) % 16, $1 % 128, int($1 / 128) }' >"$T/in.ump"
	start_mon
	pid=$(mon_pid)
	kill -STOP "$pid"
	midi-send -e diag:loopback-a -f ump -i "$T/in.ump"
	kill -CONT "$pid"
	shows 'lost '
	wait_for 10 _lacks 'lost 0'
	line=$(screen | grep -o 'received [0-9]*  shown [0-9]*  lost [0-9]*')
	got=$(echo "$line" | awk '{ print $2 }')
	lost=$(echo "$line" | awk '{ print $6 }')
	[ "$lost" -gt 0 ]
	[ $((got + lost)) -eq 4000 ]
	keys q
	exit_status
	[ "$rc" -eq 5 ]
}

@test "the endpoint going away shows in the status line; the monitor stays until q (status 1)" {
	midi-loop create gone
	start_tui "midi-mon -e loop:gone-b"
	shows 'LIVE'
	wait_clients loop:gone-b 1
	midi-loop remove gone
	shows 'CLOSED: '
	keys '?'
	shows 'Keys'
	keys x q
	exit_status
	[ "$rc" -eq 1 ]
	shows 'midi-mon: '
}

@test "SIGTERM and SIGINT end it with the terminal restored" {
	for sig in TERM INT; do
		start_mon
		kill -$sig "$(mon_pid)"
		exit_status
		[ "$rc" -eq 0 ]
		[ "$(alternate_screen)" = 0 ]
		wait_clients diag:loopback-b 0
		next_terminal
	done
}

@test "a resized terminal is redrawn to the new size" {
	start_mon
	midi-send -e diag:loopback-a on C3 100
	shows 'on C3 100'
	tm resize-window -t mon -x 60 -y 16
	wait_for 10 _status_width 60
	shows 'on C3 100'
	shows 'q quit'
	keys q
	exit_status
	[ "$rc" -eq 0 ]
}
_status_width() {
	local first
	first=$(screen | head -n 1)
	[ "${#first}" -le "$1" ] && [[ "$first" == *LIVE ]]
}

@test "UTF-8 endpoint names are shown" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/in"
	midi-loop virtual utf --name 'Synthé 日本語' <"$T/in" >/dev/null 3>&- &
	exec 4>"$T/in"
	wait_for 10 _listed virt:utf
	start_tui "midi-mon -e virt:utf"
	shows 'Synthé 日本語'
	keys q
	exit_status
	exec 4>&-
	[ "$rc" -eq 0 ]
}
_listed() { midi-list | grep -q "$1"; }

@test "line mode on a terminal with --no-tui or -f, and whenever output is not a terminal" {
	for args in "--no-tui" "-f text" "| cat"; do
		start_tui "midi-mon -e diag:loopback-b -c 1 $args"
		wait_clients diag:loopback-b 1
		[ "$(alternate_screen)" = 0 ]
		midi-send -e diag:loopback-a on C3 100
		shows 'grp 1 ch 1 on C3 100'
		exit_status
		[ "$rc" -eq 0 ]
		next_terminal
	done
}
