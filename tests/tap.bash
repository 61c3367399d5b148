# tap.bash: how tests/run.sh counts a test suite's TAP output (sourced by
# run.sh, and by tests/bats/harness.bats to test the counting itself).
# Counters: pass, fail, skip and the array failed_names, which the caller
# declares. A skip is never a pass, and a suite that dies counts as failed
# even when every result it printed was "ok".

# count_tap LABEL < TAP: one pass, fail or skip per result line.
count_tap() {
	local label=$1 line
	while IFS= read -r line; do
		case "$line" in
		"not ok"*) fail=$((fail + 1)); failed_names+=("$label: ${line#not ok }"); echo "  FAIL $label: ${line#not ok }";;
		# A skip is not a pass (bats prints "ok N name # skip why").
		"ok"*"# skip"*|"ok"*"# SKIP"*) skip=$((skip + 1)); echo "  SKIP $label: ${line#ok }";;
		"ok"*) pass=$((pass + 1));;
		esac
	done
}

# count_suite LABEL TAPFILE STATUS: count TAPFILE's results, then one more
# failure when the suite did not end as it should: it exited non-zero (died,
# was killed by its timeout) with no "not ok" line to say why, printed no
# plan, or printed fewer results than its plan "1..N" announced. Returns 1
# when it added that failure.
count_suite() {
	local label=$1 tap=$2 rc=$3 planned results why=
	count_tap "$label" <"$tap"
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tap" | head -1)
	results=$(grep -cE '^(ok|not ok)' "$tap")
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$tap"; then
		why="exited $rc"
	elif [ -z "$planned" ]; then
		why="no TAP plan (exit $rc)"
	elif [ "$results" -lt "$planned" ]; then
		why="$results of $planned results (exit $rc)"
	fi
	[ -z "$why" ] && return 0
	fail=$((fail + 1)); failed_names+=("$label: $why")
	echo "  FAIL $label: $why"
	return 1
}
