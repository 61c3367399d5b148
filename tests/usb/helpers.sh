# helpers.sh: shell helpers for scripts that usb.bats runs inside the fake
# device's environment (fakedev.py): exported bash functions do not survive
# umockdev-wrapper, so they are sourced from here.

# wait_for SECONDS COMMAND...: run COMMAND every 20 ms until it succeeds.
wait_for() {
	local tries=$(($1 * 50)) i=0
	shift
	until "$@"; do
		i=$((i + 1))
		if [ $i -ge $tries ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

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
