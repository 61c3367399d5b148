#!/usr/bin/env bash
# demo.sh: the main job of the README. Lists the endpoints, then sends a
# short phrase through diag:loopback-a while a monitor prints it from
# diag:loopback-b, then shows the same phrase translated to MIDI 2.0, the
# round trip through diag:ping, and a watcher seeing a loopback pair and a
# virtual device come and go, with the properties discovery found.
# Uses a private runtime directory so it never disturbs a real session.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PATH"
MIDI_RUNTIME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/midi-demo.XXXXXX")
export MIDI_RUNTIME_DIR
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$MIDI_RUNTIME_DIR"' EXIT

echo '$ midi-list -a'
midi-list -a
echo
echo '$ midi-mon -e diag:loopback-b -T -c 8 &'
midi-mon -e diag:loopback-b -T -c 8 &
mon=$!
# wait until the monitor is connected
for _ in $(seq 100); do
	midi-list -a --json | grep -q '"id":"diag:loopback-b"[^}]*"clients":1' && break
	sleep 0.05
done
phrase=(on C3 100 +150ms off C3 on E3 100 +150ms off E3 on G3 100 +150ms off G3 on C4 110 +300ms off C4)
echo "\$ midi-send -e diag:loopback-a ${phrase[*]}"
midi-send -e diag:loopback-a "${phrase[@]}"
wait $mon
echo
echo "\$ midi-send -n -P midi2 ${phrase[*]}"
midi-send -n -P midi2 "${phrase[@]}"
echo
echo '$ midi-loop ping -c 1000'
midi-loop ping -c 1000

echo
echo '$ midi-watch -c 5 -t 10 &     # stops after 5 events'
midi-watch -c 5 -t 10 &
watch=$!
sleep 0.3
echo '$ midi-loop create studio'
midi-loop create studio
echo '$ midi-loop virtual synth --name "Demo Synth" --function-block name=Keys,groups=1-2,dir=bi &'
midi-loop virtual synth --name "Demo Synth" --function-block name=Keys,groups=1-2,dir=bi >/dev/null &
virt=$!
for _ in $(seq 100); do
	midi-list --json | grep -q '"id":"virt:synth"[^}]*"discovery":"done"' && break
	sleep 0.05
done
echo '$ midi-list -v -e virt:synth'
midi-list -v -e virt:synth
echo '$ kill -KILL <virtual device host>'
{ kill -KILL $virt; wait $virt; } 2>/dev/null || true
wait $watch || true
