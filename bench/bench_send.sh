#!/usr/bin/env bash
# bench_send.sh: CPU time (user+system, best of 5) of the programs' text
# paths on the corpus of bench/corpus.h (written by build/bench/bench_text
# --write): the readers, `midi-send -n -f F` for F = hex, bin, ump, text
# (reader, UMP printer, stdout), and the printers, `midi-send -n -f ump
# -F P` for P = hex, text, json (UMP reader, printer P), against the
# baseline in the same run: bench_text --baseline, a plain C parse of the
# same hex and print of the bytes as hex lines. Prints one JSON object
# (bench/run.sh) with each path's CPU time, time a packet and ratio to the
# baseline, and the bytes it reads and writes with the time a byte and its
# ratio to the baseline's (text is 2.6 times the hex of the same packets,
# json 24 times: per byte the formats compare as they are).
# CPU_RUNS: runs of each (default 5), the best kept.
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
bt=$PWD/$B/bench/bench_text
bin=${BIN:-$PWD/bin}  # BIN=dir: the programs of another build
work=$(mktemp -d "${TMPDIR:-/tmp}/midi-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bt" --write "$work" || exit 1
packets=$(wc -l < "$work/corpus.ump")

# cpu CMD...: best CPU seconds of CPU_RUNS runs, stdin from $in, stdout to
# /dev/null; sets io to the bytes read and written
cpu() {
	local best= t
	io=$(( $(stat -c %s "$in") + $("$@" < "$in" | wc -c) ))
	for _ in $(seq "${CPU_RUNS:-5}"); do
		t=$(perf stat -x, -e task-clock "$@" < "$in" 2>&1 > /dev/null |
			awk -F, '/task-clock/ {printf "%.4f", $1 / 1000}')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$t; fi
	done
	echo "$best"
}

in=$work/corpus.hex
cpu "$bt" --baseline > "$work/t"
base=$(cat "$work/t")
base_io=$io
res=""
for f in hex bin ump text; do
	in=$work/corpus.$f
	cpu "$bin/midi-send" -n -f "$f" > "$work/t"
	res="$res -f_$f:$(cat "$work/t"):$io"
done
in=$work/corpus.ump
for p in hex text json; do
	cpu "$bin/midi-send" -n -f ump -F "$p" > "$work/t"
	res="$res -f_ump_-F_$p:$(cat "$work/t"):$io"
done
awk -v n="$packets" -v base="$base" -v bio="$base_io" -v res="$res" -v runs="${CPU_RUNS:-5}" 'BEGIN {
	b = base
	printf "{\"bench\":\"send\",\"results\":["
	printf "{\"name\":\"baseline hex parse+print\",\"unit\":\"packets\",\"items\":%d,\"cpu_s\":%.3f,\"ns_per_item\":%.1f,\"bytes\":%d,\"ns_per_byte\":%.2f}", n, b, b * 1e9 / n, bio, b * 1e9 / bio
	k = split(res, r, " ")
	for (i = 1; i <= k; i++) {
		split(r[i], kv, ":")
		gsub("_", " ", kv[1])
		printf ",{\"name\":\"midi-send -n %s\",\"unit\":\"packets\",\"items\":%d,\"cpu_s\":%.3f,\"ns_per_item\":%.1f,\"ratio_to_baseline\":%.2f,\"bytes\":%d,\"ns_per_byte\":%.2f,\"ratio_per_byte_to_baseline\":%.2f}", kv[1], n, kv[2], kv[2] * 1e9 / n, kv[2] / b, kv[3], kv[2] * 1e9 / kv[3], (kv[2] / kv[3]) / (b / bio)
	}
	printf "],\"note\":\"CPU time, best of %d runs; bytes: read and written\"}\n", runs
}'
