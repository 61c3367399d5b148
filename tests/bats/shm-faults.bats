#!/usr/bin/env bats
# shm-faults.bats: the programs against faults of the runtime directory's
# shared files: a full file system (a small tmpfs: a clear error with
# status 1 when a file is created, never SIGBUS, never status 0 for what
# was not delivered), inodes running out while the registry is built (a
# clear error, and a later run retries), and endpoint or registry files
# truncated by another process while a monitor, a sender or midi-watch
# runs (status 1 and a clear message, no death by signal). Mounting a tmpfs
# needs root (CI runs as root): those tests are skipped otherwise.

load helpers

teardown() {
	if [ -n "${MOUNTED:-}" ]; then
		umount -l "$MIDI_RUNTIME_DIR" || true
	fi
	midi_teardown
}

# mount_small OPTIONS: a tmpfs with OPTIONS over the runtime directory.
mount_small() {
	[ "$(id -u)" = 0 ] || skip "mounting a small tmpfs needs root"
	mount -t tmpfs -o "$1,mode=0700" tmpfs "$MIDI_RUNTIME_DIR" ||
		skip "cannot mount a tmpfs here (no CAP_SYS_ADMIN?)"
	MOUNTED=1
}

# start NAME CMD...: CMD in the background, stdout to $T/NAME.out, stderr to
# $T/NAME.err, fd 3 closed so bats does not wait for it; pid in $pid.
start() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	pid=$!
}

# seg N: the Nth endpoint file of a fresh runtime directory, in the order
# they were made (1 diag:loopback-a, 2 diag:loopback-b, 3 diag:ping).
seg() {
	ls "$MIDI_RUNTIME_DIR" | grep -E '^ep-[0-9a-f]{16}$' | sort | sed -n "$1p"
}

# No death by signal (128+N), and a message that says what happened.
assert_clean_exit1() { # STATUS ERRFILE
	if [ "$1" -ne 1 ]; then
		echo "status $1 (expected 1); stderr:" >&2
		cat "$2" >&2
		return 1
	fi
}

@test "a full runtime file system: status 1 and a clear error at creation, never SIGBUS" {
	T=$BATS_TEST_TMPDIR
	mount_small size=2m
	python3 -c 'import sys; sys.stdout.write("90 3C 64\n" * 1000000)' >"$T/in.hex"
	start mon midi-mon -e diag:loopback-b -f ump
	mon=$pid
	run midi-send -e diag:loopback-a -f hex -i "$T/in.hex"
	assert_failure 1
	assert_output --regexp "$MIDI_RUNTIME_DIR/(ep-[0-9a-f]{16}|registry)"
	assert_output --partial "No space left on device"
	finish "$mon"
	assert_clean_exit1 "$status" "$T/mon.err"
	grep -q "No space left on device" "$T/mon.err"
	run midi-list -a
	assert_failure 1
	assert_output --partial "No space left on device"
}

@test "space is reserved up front: what fits works to the last packet, what does not fails clearly" {
	T=$BATS_TEST_TMPDIR
	mount_small size=64m
	run midi-list -a
	assert_success
	# Shrink the file system to what the built-in endpoints use plus 1 MiB.
	used=$(du -sk "$MIDI_RUNTIME_DIR" | cut -f1)
	mount -o remount,size=$((used + 1024))k "$MIDI_RUNTIME_DIR"
	python3 -c 'import sys; sys.stdout.write("90 3C 64\n" * 1000000)' >"$T/in.hex"
	start mon midi-mon -e diag:loopback-b -f ump -c 1000000
	mon=$pid
	wait_clients diag:loopback-b 1
	run midi-send -e diag:loopback-a -f hex -i "$T/in.hex"
	assert_success
	finish "$mon" 60
	[ "$status" -eq 0 ] || { cat "$T/mon.err" >&2; false; }
	[ "$(wc -l <"$T/mon.out")" -eq 1000000 ]
	run midi-loop create big
	assert_failure 1
	assert_output --partial "loop:big-a"
	assert_output --partial "No space left on device"
	run midi-list -a
	assert_success
	assert_output --partial "diag:ping"
	refute_output --partial "loop:big"
}

@test "inodes run out while the registry is built: status 1 naming the file, and a later run retries" {
	T=$BATS_TEST_TMPDIR
	# The root, registry.lock, registry and two endpoint files: diag:ping
	# does not fit.
	mount_small size=64m,nr_inodes=5
	run midi-list -a
	assert_failure 1
	assert_output --regexp "$MIDI_RUNTIME_DIR/ep-[0-9a-f]{16}"
	assert_output --partial "No space left on device"
	mount -o remount,nr_inodes=1000 "$MIDI_RUNTIME_DIR"
	run midi-list -a
	assert_success
	assert_output --partial "diag:loopback-a"
	assert_output --partial "diag:loopback-b"
	assert_output --partial "diag:ping"
}

@test "a truncated endpoint file ends a monitor with status 1 and a clear message" {
	T=$BATS_TEST_TMPDIR
	start mon midi-mon -e diag:loopback-b -f ump
	mon=$pid
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a on C3 100
	wait_for 5 test -s "$T/mon.out"
	truncate -s 0 "$MIDI_RUNTIME_DIR/$(seg 2)"
	finish "$mon"
	assert_clean_exit1 "$status" "$T/mon.err"
	grep -q "diag:loopback-b: its shared file .*ep-[0-9a-f]* was truncated by another process" "$T/mon.err"
	# A new connection works.
	start mon2 midi-mon -e diag:loopback-b -f ump -c 1
	mon2=$pid
	wait_clients diag:loopback-b 1
	midi-send -e diag:loopback-a on C3 100
	finish "$mon2"
	assert_equal "$status" 0
}

@test "a truncated endpoint file ends a sender reading a slow stdin with status 1" {
	T=$BATS_TEST_TMPDIR
	mkfifo "$T/in"
	exec 4<>"$T/in" # a writer that does not wait for the reader
	midi-send -e diag:loopback-a <"$T/in" >"$T/snd.out" 2>"$T/snd.err" 3>&- 4>&- &
	snd=$!
	echo "on C3 100" >&4
	wait_clients diag:loopback-a 1
	# The ring the sender writes into: diag:loopback-b's.
	truncate -s 0 "$MIDI_RUNTIME_DIR/$(seg 2)"
	echo "off C3" >&4
	finish "$snd"
	exec 4>&-
	assert_clean_exit1 "$status" "$T/snd.err"
	grep -q "endpoint diag:loopback-a: the shared file .*ep-[0-9a-f]* of diag:loopback-b was truncated by another process" "$T/snd.err"
}

@test "a truncated registry ends midi-watch with status 1 and a clear message" {
	T=$BATS_TEST_TMPDIR
	start watch midi-watch -a
	w=$pid
	wait_for 5 grep -q enumerated "$T/watch.out"
	truncate -s 0 "$MIDI_RUNTIME_DIR/registry"
	finish "$w"
	assert_clean_exit1 "$status" "$T/watch.err"
	grep -q "registry .*registry was truncated by another process" "$T/watch.err"
	# The next program rebuilds it.
	run midi-list -a
	assert_success
	assert_output --partial "diag:ping"
}

@test "a truncated registry: a running monitor is told its endpoint went with it" {
	T=$BATS_TEST_TMPDIR
	start mon midi-mon -e diag:loopback-b -f ump
	mon=$pid
	wait_clients diag:loopback-b 1
	truncate -s 0 "$MIDI_RUNTIME_DIR/registry"
	run midi-list -a
	assert_success
	finish "$mon"
	assert_clean_exit1 "$status" "$T/mon.err"
	grep -q "diag:loopback-b the endpoint registry was rebuilt" "$T/mon.err"
}
