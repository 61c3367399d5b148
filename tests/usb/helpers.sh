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

# helper_sched WHAT (one definition for every test script)
. "$(dirname "${BASH_SOURCE[0]}")/../helper_sched.sh"
