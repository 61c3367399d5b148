# helpers.sh: shell helpers for scripts that usb.bats runs inside the fake
# device's environment (fakedev.py): exported bash functions do not survive
# umockdev-wrapper, so they are sourced from here.

# wait_for SECONDS COMMAND... (one definition for every test script)
. "$(dirname "${BASH_SOURCE[0]}")/../wait.sh"

# discovered: UMP discovery of the usb endpoint is done.
discovered() {
	midi-list --json | grep -q '"discovery":"done"'
}

# has_client: the usb endpoint has a client (a monitor started).
has_client() {
	midi-list --json | grep -q '"clients":1'
}

# listed: the usb endpoint is listed.
listed() {
	midi-list --ids | grep -q '^usb:'
}

# discovery_timed_out: UMP discovery of the usb endpoint got no (full) answer.
discovery_timed_out() {
	midi-list --json | grep -q '"discovery":"timeout"'
}

# unlisted: no usb endpoint is listed (unplugged).
unlisted() {
	! listed
}

# helper_sched WHAT: the scheduling class and real-time priority (ps cls,
# rtprio: "FF 10", "TS -") of the helper serving this runtime directory
# whose command line starts with WHAT ("midi-host host usb").
helper_sched() {
	local p
	for p in $(pgrep -f "^$1 "); do
		tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qxF "MIDI_RUNTIME_DIR=$MIDI_RUNTIME_DIR" &&
			ps -o cls=,rtprio= -p "$p" && return 0
	done
	return 1
}
