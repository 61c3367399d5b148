#!/usr/bin/env bash
# bench_ping.sh: `midi-loop ping -i 10` (sporadic round trips through
# diag:ping, one every 10 ms, as a user runs it) against a pipe ping-pong
# at the same gap, both ends waiting in poll(2) (bench_broker pipe-gap), in
# the same run, interleaved in two halves. Each side's first 20 round trips
# are not counted (midi-loop ping --warm-up 20; bench_broker's pairs do the
# same). Prints one JSON object with p50 and p99 of each and their ratios
# (bench/run.sh).
set -u
cd "$(dirname "$0")/.." || exit 1
N=${PING_COUNT:-1000}
bin=$PWD/bin
bb=$PWD/${B:-build}/bench/bench_broker
# The runtime directory on tmpfs, as $XDG_RUNTIME_DIR is (bench_broker does
# the same): on a disk file system every wake-up FIFO write also updates
# the FIFO's times through the journal.
base=${TMPDIR:-/tmp}
[ -w /dev/shm ] && base=/dev/shm
work=$(mktemp -d "$base/midi-bench.XXXXXX")
export MIDI_RUNTIME_DIR=$work/rt
mkdir -m 700 "$MIDI_RUNTIME_DIR"
trap 'rm -rf "$work"' EXIT
half=$((N / 2))
: > "$work/ping"
: > "$work/pipe"
for _ in 1 2; do
	"$bin/midi-loop" ping -c "$half" -i 10 --warm-up 20 >> "$work/ping" || exit 1
	"$bb" pipe-gap 10 "$half" >> "$work/pipe" || exit 1
done
python3 - "$work/ping" "$work/pipe" <<'PY'
import json, re, sys
ping = [tuple(map(float, re.search(r'median ([\d.]+)\s+p99 ([\d.]+)', l).groups()))
        for l in open(sys.argv[1]) if 'median' in l]
pipe = [tuple(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
def mean(v, i): return sum(x[i] for x in v) / len(v)
p50, p99, b50, b99 = mean(ping, 0), mean(ping, 1), mean(pipe, 0), mean(pipe, 1)
print(json.dumps({"bench": "ping_cli", "results": [{
    "name": "midi_loop_ping_10ms_gap", "unit": "us", "p50": round(p50, 2), "p99": round(p99, 2),
    "baseline": "pipe_pingpong_poll_10ms_gap", "baseline_p50": round(b50, 2),
    "baseline_p99": round(b99, 2), "p50_ratio": round(p50 / b50, 2),
    "p99_ratio": round(p99 / b99, 2), "note": "mean of two interleaved halves"}]}))
PY
