# helpers.bash: shared setup and helper functions for every bats file
# (`load helpers`). Each test gets its own broker runtime directory and
# configuration directory, so tests never see each other's endpoints; when
# it ends, any background job it started is killed and both directories are
# removed. A file that needs more setup or teardown defines setup() or
# teardown() after `load helpers` and calls midi_setup / midi_teardown.

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

midi_setup() {
	MIDI_RUNTIME_DIR=$(mktemp -d "${BATS_TMPDIR:-/tmp}/midi-rt.XXXXXX")
	XDG_CONFIG_HOME=$(mktemp -d "${BATS_TMPDIR:-/tmp}/midi-cfg.XXXXXX")
	export MIDI_RUNTIME_DIR XDG_CONFIG_HOME
	unset MIDI_ENDPOINT
	# No DNS-SD: a machine's avahi-daemon would carry net-host's
	# advertising and the net agent's browsing beyond the loopback
	# (net-dnssd.bats runs its own, in namespaces of its own).
	export MIDI_NET_DNSSD=0
}

setup() { midi_setup; }

midi_teardown() {
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
	stop_helpers
	rm -rf "$MIDI_RUNTIME_DIR" "$XDG_CONFIG_HOME"
}

teardown() { midi_teardown; }

# stop_helpers: end the helper processes the library started for this
# test's runtime directory (midi-helper(8): hosts, agents, discovery, the
# scheduler), which would otherwise outlive it by a few seconds. Only
# processes of those names whose environment has this MIDI_RUNTIME_DIR.
stop_helpers() {
	local p comm pids=()
	[ -n "${MIDI_RUNTIME_DIR:-}" ] || return 0
	for p in /proc/[0-9]*; do
		read -r comm 2>/dev/null <"$p/comm" || continue
		case "$comm" in midi-host|midi-agent|midi-discovery|midi-sched) ;; *) continue;; esac
		tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "MIDI_RUNTIME_DIR=$MIDI_RUNTIME_DIR" &&
			pids+=("${p#/proc/}")
	done
	[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
}

# wait_for SECONDS COMMAND... (tests/wait.sh, shared with the scripts the
# usb tests run inside the fake device's environment).
. "$BATS_TEST_DIRNAME/../wait.sh"
# helper_sched WHAT: scheduling class of a helper of this runtime directory
. "$BATS_TEST_DIRNAME/../helper_sched.sh"

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

# finish PID [SECONDS]: wait for PID (10 s at most; then it is killed and
# finish fails); its exit status in $status.
finish() {
	local pid=$1 limit=${2:-10} i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $((limit * 50)) ]; then
			echo "process $pid still running after ${limit}s" >&2
			kill -9 "$pid"
			return 1
		fi
		sleep 0.02
	done
	status=0
	wait "$pid" || status=$?
}

# listed ID / not_listed ID: whether midi-list shows endpoint ID.
listed() {
	midi-list --ids | grep -qx "$1"
}
not_listed() {
	! midi-list --ids | grep -qx "$1"
}

# lines_in FILE N: FILE has at least N lines.
lines_in() {
	[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]
}

# complete_line LINE: run the bash completion for LINE (cursor at the end);
# the candidates, space-separated, in $output.
complete_line() {
	output=$(bash -c '
		source "$1/completions/midi.bash"
		COMP_LINE=$2 COMP_POINT=${#2}
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_midi
		echo "${COMPREPLY[*]}"' _ "${MIDI_TOP:-$BATS_TEST_DIRNAME/../..}" "$1")
}
