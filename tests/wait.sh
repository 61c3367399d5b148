# wait.sh: wait_for, sourced by tests/bats/helpers.bash and by
# tests/usb/helpers.sh (scripts run under umockdev, where bats helpers are
# not loaded).

# wait_for SECONDS COMMAND...: run COMMAND every 20 ms until it succeeds;
# fail the test (status 1) if it has not succeeded after SECONDS of clock
# time (not a count of tries: on a busy machine one try of a command such as
# midi-list | python3 can take a second).
wait_for() {
	local limit=$1
	shift
	local end=$((SECONDS + limit))
	until "$@"; do
		if [ $SECONDS -ge $end ]; then
			echo "timed out after ${limit}s waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}
