#!/usr/bin/env bash
# bench_pipeline.sh: end-to-end throughput of the programs:
#   midi-send -f ump < FILE  ->  diag:loopback-a  ->  diag:loopback-b  ->  midi-mon -f ump
# against a baseline of the same file through two pipes (cat | cat) in the
# same run. FILE is N packets (default 1,000,000) taken from the real .mid
# corpus (openttd-openmsx) repeated. Checks the monitor's output equals the
# input (no loss, no reordering) in every round; the best time of
# PIPELINE_ROUNDS rounds (default 5) of each is kept. Prints one JSON
# object (bench/run.sh).
set -u
cd "$(dirname "$0")/.." || exit 1
N=${PIPELINE_PACKETS:-1000000}
bin=${BIN:-$PWD/bin}  # BIN=dir: the programs of another build
work=$(mktemp -d "${TMPDIR:-/tmp}/midi-bench.XXXXXX")
export MIDI_RUNTIME_DIR=$work/rt
mkdir -m 700 "$MIDI_RUNTIME_DIR"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

now() { date +%s%N; }

# Input: the corpus as UMP lines, repeated up to N lines.
: > "$work/one.ump"
for f in /usr/share/games/openttd/baseset/openmsx/*.mid; do
	[ -e "$f" ] && "$bin/midi-send" -n -f smf -i "$f" >> "$work/one.ump"
done
if [ ! -s "$work/one.ump" ]; then  # no corpus: synthetic notes
	for i in $(seq 0 127); do printf '20903C%02X\n20803C00\n' "$i"; done > "$work/one.ump"
fi
: > "$work/in.ump"
while [ "$(wc -l < "$work/in.ump")" -lt "$N" ]; do cat "$work/one.ump" >> "$work/in.ump"; done
head -n "$N" "$work/in.ump" > "$work/input.ump"
bytes=$(stat -c %s "$work/input.ump")

# One round: the baseline (the same bytes through two pipes), then the
# pipeline, each timed. The machine may be busy with other work: ROUNDS
# rounds (default 5), the best time of each kept.
ROUNDS=${PIPELINE_ROUNDS:-5}
base_ns= pipe_ns= send_ns=
same=true got=0 lost=0 send_rc=0 mon_rc=0
for round in $(seq "$ROUNDS"); do
	t0=$(now); cat "$work/input.ump" | cat | cat > "$work/pipe.out"; t1=$(now)
	[ -z "$base_ns" ] || [ $((t1 - t0)) -lt "$base_ns" ] && base_ns=$((t1 - t0))

	# Pipeline. Wait until the monitor is connected before sending.
	"$bin/midi-mon" -e diag:loopback-b -f ump -c "$N" -t 60 > "$work/mon.out" 2> "$work/mon.err" &
	mon=$!
	for _ in $(seq 400); do
		"$bin/midi-list" -a --json | grep -q '"id":"diag:loopback-b"[^}]*"clients":1' && break
		sleep 0.01
	done
	t0=$(now)
	"$bin/midi-send" -e diag:loopback-a -f ump < "$work/input.ump"
	rc=$?
	t2=$(now)
	wait $mon
	mrc=$?
	t1=$(now)
	[ $rc -eq 0 ] || send_rc=$rc
	[ $mrc -eq 0 ] || mon_rc=$mrc
	[ -z "$pipe_ns" ] || [ $((t1 - t0)) -lt "$pipe_ns" ] && pipe_ns=$((t1 - t0))
	[ -z "$send_ns" ] || [ $((t2 - t0)) -lt "$send_ns" ] && send_ns=$((t2 - t0))
	got=$(wc -l < "$work/mon.out")
	cmp -s "$work/input.ump" "$work/mon.out" || same=false
	lost=$((lost + $(grep -o 'lost [0-9]*' "$work/mon.err" | awk '{s+=$2} END {print s+0}')))
done

awk -v n="$N" -v bytes="$bytes" -v pns="$pipe_ns" -v sns="$send_ns" -v rounds="$ROUNDS" -v bns="$base_ns" \
    -v got="$got" -v same="$same" -v lost="$lost" -v src="$send_rc" -v mrc="$mon_rc" 'BEGIN {
	printf "{\"bench\":\"pipeline\",\"results\":["
	printf "{\"name\":\"midi-send|loopback|midi-mon (ump)\",\"unit\":\"packets\",\"items\":%d,\"per_sec\":%.0f,\"ns_per_item\":%.1f,\"send_side_per_sec\":%.0f,\"received\":%d,\"identical\":%s,\"lost_reported\":%d,\"send_status\":%d,\"mon_status\":%d},", n, n / (pns / 1e9), pns / n, n / (sns / 1e9), got, same, lost, src, mrc
	printf "{\"name\":\"baseline cat|cat|cat (same bytes)\",\"unit\":\"packets\",\"items\":%d,\"bytes\":%d,\"per_sec\":%.0f,\"ns_per_item\":%.1f},", n, bytes, n / (bns / 1e9), bns / n
	printf "{\"name\":\"ratio pipeline/baseline time\",\"ratio\":%.2f}", pns / bns
	printf "],\"note\":\"wall time, best of %d rounds each\"}\n", rounds
}'
