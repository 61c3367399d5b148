# helpers.bash: shared setup for every bats file (`load helpers`).
# Each test gets its own broker runtime directory and configuration
# directory, so tests never see each other's endpoints, and any background
# job a test started is killed when it ends.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

setup() {
	MIDI_RUNTIME_DIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/midi-rt.XXXXXX")
	XDG_CONFIG_HOME=$(mktemp -d "${BATS_TMPDIR:-/tmp}/midi-cfg.XXXXXX")
	export MIDI_RUNTIME_DIR XDG_CONFIG_HOME
	unset MIDI_ENDPOINT
}

teardown() {
	local pids
	pids=$(jobs -p)
	if [ -n "$pids" ]; then
		# Children first (a job may be a subshell running a pipeline);
		# a stopped job (kill -STOP) must be continued to die of TERM.
		local p
		for p in $pids; do
			pkill -P "$p" 2>/dev/null || true
		done
		kill -CONT $pids 2>/dev/null || true
		kill $pids 2>/dev/null || true
		wait $pids 2>/dev/null || true
	fi
	rm -rf "$MIDI_RUNTIME_DIR" "$XDG_CONFIG_HOME"
}

# wait_for SECONDS COMMAND...: run COMMAND every 20 ms until it succeeds;
# fail the test (status 1) if it has not succeeded after SECONDS.
wait_for() {
	local limit=$1 i=0
	shift
	local tries=$((limit * 50))
	until "$@"; do
		i=$((i + 1))
		if [ $i -ge $tries ]; then
			echo "timed out after ${limit}s waiting for: $*" >&2
			return 1
		fi
		sleep 0.02
	done
}

# clients_of ID: the client count midi-list reports for endpoint ID.
clients_of() {
	midi-list -a --json | python3 -c '
import json, sys
for ep in json.load(sys.stdin):
    if ep["id"] == sys.argv[1]:
        print(ep["clients"])' "$1"
}

# wait_clients ID N: wait (10 s at most) until endpoint ID has N clients.
wait_clients() {
	wait_for 10 _has_clients "$1" "$2"
}
_has_clients() {
	[ "$(clients_of "$1")" = "$2" ]
}
