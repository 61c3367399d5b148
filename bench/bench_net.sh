#!/usr/bin/env bash
# bench_net.sh: Network MIDI 2.0 (UDP) on the loopback address: round trip
# and throughput through a host and a client, against a plain UDP
# ping-pong in the same run (bench_udp). Runtime directory A serves
# diag:ping (which echoes to its sender) with `midi-loop net-host`;
# directory B runs `midi-loop test` on net:127.0.0.1:PORT, so a message
# goes B's ring -> B's client host -> UDP -> A's net-host -> diag:ping ->
# back the same way. Prints one JSON object (bench/run.sh).
set -u
cd "$(dirname "$0")/.." || exit 1
bin=$PWD/bin
udp=$PWD/${B:-build}/bench/bench_udp
work=$(mktemp -d "${TMPDIR:-/tmp}/midi-bench.XXXXXX")
# no DNS-SD advertising or browsing: loopback only
export MIDI_NET_DNSSD=0
mkdir -m 700 "$work/a" "$work/b"
host=
trap '[ -n "$host" ] && kill $host 2>/dev/null; rm -rf "$work"' EXIT
fail() { printf '{"bench":"net","error":"%s"}\n' "$1"; exit 1; }
[ -x "$udp" ] || fail "no $udp (make bench)"
MIDI_RUNTIME_DIR=$work/a "$bin/midi-loop" net-host diag:ping -l 127.0.0.1 -p 0 2> "$work/host.err" &
host=$!
for _ in $(seq 100); do grep -q 'udp port' "$work/host.err" && break; sleep 0.1; done
port=$(sed -n 's/.*udp port \([0-9]*\)$/\1/p' "$work/host.err")
[ -n "$port" ] || fail "midi-loop net-host did not start (no Network MIDI 2.0 in this build?)"
ep=net:127.0.0.1:$port
export MIDI_RUNTIME_DIR=$work/b
rt=$("$bin/midi-loop" test "$ep" "$ep" -c 300 -i 2 --json) || fail "round trip test failed"
tp=$("$bin/midi-loop" test "$ep" "$ep" -c 5000 -i 0 -w 32 --json) || fail "throughput test failed"
base=$("$udp" gap 2 300) || fail "udp ping-pong failed"
brate=$("$udp" flood 5000 32) || fail "udp flood failed"
python3 - "$rt" "$tp" "$base" "$brate" <<'PY'
import json, sys
rt, tp = json.loads(sys.argv[1]), json.loads(sys.argv[2])
b50, b99 = map(float, sys.argv[3].split())
brate = float(sys.argv[4])
p50, p99 = rt["latency_us"]["median"], rt["latency_us"]["p99"]
rate = tp["received"] / tp["seconds"]
print(json.dumps({"bench": "net", "results": [
    {"name": "net_round_trip_2ms_gap", "unit": "us", "p50": p50, "p99": p99,
     "baseline": "udp_pingpong_2ms_gap", "baseline_p50": b50, "baseline_p99": b99,
     "p50_ratio": round(p50 / b50, 2), "p99_ratio": round(p99 / b99, 2)},
    {"name": "net_throughput_window_32", "unit": "messages/s", "value": round(rate, 1),
     "lost": tp["lost"], "baseline": "udp_pingpong_window_32", "baseline_value": brate,
     "ratio": round(rate / brate, 3)}],
    "note": "host (midi-loop net-host of diag:ping) and client (net:127.0.0.1:PORT) on one machine; a message crosses 2 rings, 2 helper processes and UDP each way"}))
PY
