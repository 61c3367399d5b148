#!/usr/bin/env bash
# run.sh: runs every benchmark binary build/bench/bench_* (built by
# `make bench`) and prints ONE JSON document on stdout:
#   {"benchmarks":[<object of bench_a>,<object of bench_b>,...]}
# bench/bench_*.sh scripts (end-to-end program benchmarks) run too.
# Each binary prints one JSON object (see bench/bench.h); a binary that
# fails or prints nothing is reported as {"bench":"NAME","error":"..."}.
# Progress goes to stderr. B=dir selects another build directory.
# The benchmarks start the broker's helper program, MIDI_HELPER: the one
# of that build (binaries in build/bench/ cannot find it by themselves).
set -u
cd "$(dirname "$0")/.."
dir=${B:-build}/bench
if [ "${B:-build}" = build ]; then
	MIDI_HELPER=$PWD/libexec/midi-helper
else
	MIDI_HELPER=$PWD/$B/libexec/midi-helper
fi
export MIDI_HELPER
first=1
printf '{"benchmarks":['
for b in "$dir"/bench_* bench/bench_*.sh; do
	[ -x "$b" ] || continue
	name=$(basename "$b")
	echo "running $name" >&2
	out=$("$b" 2>/dev/null)
	rc=$?
	out=$(printf '%s\n' "$out" | tail -n 1)
	case "$out" in
	"{"*"}") ;;
	*) out="{\"bench\":\"${name#bench_}\",\"error\":\"exit $rc, no JSON output\"}";;
	esac
	[ $first -eq 1 ] || printf ','
	first=0
	printf '\n%s' "$out"
done
printf '\n]}\n'
