# helper_sched.sh: helper_sched, sourced by the bats helpers and by the
# scripts usb.bats runs inside the fake device's environment.

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
