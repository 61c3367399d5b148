#!/usr/bin/env bash
# run.sh: the whole test run behind `make check`. Runs every unit test (plain
# build, then AddressSanitizer+UndefinedBehaviorSanitizer build, then the
# library tests under valgrind), every bats file against bin/ (the public
# archive's symbols and the manual pages included: api.bats, man.bats), and
# a short libFuzzer run of every fuzz target, then the VM stage (tests/vm/:
# one QEMU boot of Debian's kernel, the programs against USB MIDI gadgets;
# a skip where QEMU cannot run, a failure then when CI is set; `run.sh vm`
# runs only it). Each suite speaks TAP;
# tests/tap.bash counts its results, and a suite that dies, is killed by
# its timeout or prints fewer results than its plan counts as failed. Ends
# with one summary line: "N passed, N failed, N skipped" (a skip is never a
# pass). MIDI_HELPER names the helper program of the build under test:
# libexec/midi-helper for the plain unit tests, valgrind and bats,
# build-asan/libexec/midi-helper for the ASan tests. Nothing of the run is
# left in $TMPDIR.
set -u
cd "$(dirname "$0")/.."
top=$PWD
pass=0; fail=0; skip=0; failed_names=()
log=$(mktemp -d "${TMPDIR:-/tmp}/midi-check.XXXXXX")
# The logs (TAP, stderr, runtime directories, fuzz corpora) go with the run:
# what a failure needs is printed above the summary.
trap 'rm -rf "$log"' EXIT
# Every test makes its files there too (bats runs, the unit tests' runtime
# directories: tests/unit/testutil.h), so they go with it.
mkdir "$log/tmp"
export TMPDIR="$log/tmp"

. tests/tap.bash
. tests/vm/stage.bash

summary() {
	echo
	if [ $fail -gt 0 ]; then printf 'failed: %s\n' "${failed_names[@]}"; fi
	echo "$pass passed, $fail failed, $skip skipped"
	[ $fail -eq 0 ]
}

# `tests/run.sh vm` (make check-vm): only the VM stage.
if [ "${1:-}" = vm ]; then
	vm_stage
	summary
	exit
fi

run_unit() { # $1 = dir with test binaries, $2 = label, $3 = helper program
	local t name
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] || continue
		name="$2/$(basename "$t")"
		echo "== $name"
		local out="$log/$(echo "$name" | tr / _).tap"
		MIDI_RUNTIME_DIR=$(mktemp -d "$log/rt.XXXXXX") MIDI_HELPER="$3" CMOCKA_MESSAGE_OUTPUT=TAP \
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
			timeout 600 "$t" >"$out" 2>"$out.err"
		local rc=$?
		count_suite "$name" "$out" $rc || true
		if [ $rc -ne 0 ]; then
			# the assertion (cmocka's TAP comment lines), then stderr
			grep -E '^(not ok|#)' "$out" | head -20
			tail -20 "$out.err"
		fi
	done
}

plain_helper=$top/libexec/midi-helper
asan_helper=$top/build-asan/libexec/midi-helper
run_unit build plain "$plain_helper"
run_unit build-asan asan "$asan_helper"

# valgrind over the library tests that do not fork broker processes (the
# broker tests run under ASan instead): every error or leak fails.
if command -v valgrind >/dev/null; then
	for t in build/tests/test_*; do
		n=$(basename "$t")
		case "$n" in test_broker*|test_ring*|test_chaos*|test_runtime*|test_watch*|test_virt*|test_reconnect*|test_transport*) continue;; esac
		echo "== valgrind $n"
		# Resuming after a caught SIGBUS (truncated shared files) needs
		# exact guest state at every memory access under valgrind: all
		# registers up to date, and no translation chasing into callees
		# (else a faulting load in a callee restarts at the call).
		vgx=
		case "$n" in test_shm_faults*) vgx="--vex-iropt-register-updates=allregs-at-mem-access --vex-guest-chase=no";; esac
		if MIDI_RUNTIME_DIR=$(mktemp -d "$log/rt.XXXXXX") MIDI_HELPER="$plain_helper" \
			timeout 900 valgrind -q $vgx --error-exitcode=99 \
			--leak-check=full --errors-for-leak-kinds=definite,indirect "$t" >"$log/vg-$n.out" 2>"$log/vg-$n.err"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); failed_names+=("valgrind/$n"); echo "  FAIL valgrind/$n"; tail -30 "$log/vg-$n.err"
		fi
	done
else
	skip=$((skip + 1)); echo "  SKIP valgrind: valgrind not installed"
fi

# bats runs most of the tests: without it the run fails.
if ! command -v bats >/dev/null; then
	fail=$((fail + 1)); failed_names+=("bats: not installed"); echo "  FAIL bats: not installed"
else
	for f in tests/bats/*.bats; do
		echo "== bats $(basename "$f")"
		PATH="$top/bin:$PATH" MIDI_TOP="$top" MIDI_HELPER="$plain_helper" \
			timeout 900 bats --tap "$f" >"$log/bats.tap" 2>&1
		rc=$?
		grep -E '^(not ok|#)' "$log/bats.tap" | head -40
		count_suite "bats/$(basename "$f")" "$log/bats.tap" $rc || tail -20 "$log/bats.tap"
	done
fi

for f in build-fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	echo "== fuzz $n (${FUZZ_SECONDS:-5}s)"
	seeds=(); [ -d "tests/fuzz/seeds/$n" ] && seeds=("tests/fuzz/seeds/$n")
	mkdir -p "$log/corpus-$n"
	if "$f" -max_total_time="${FUZZ_SECONDS:-5}" -rss_limit_mb=1024 "$log/corpus-$n" "${seeds[@]}" >"$log/$n.log" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed_names+=("fuzz/$n"); echo "  FAIL fuzz/$n"; tail -30 "$log/$n.log"
	fi
done

# The VM stage: Debian's kernel in QEMU, the programs against USB gadgets.
vm_stage

summary
