#!/usr/bin/env bash
# bench_usbvm.sh: round trip and throughput through a real kernel USB stack,
# as information: boots the test VM (tests/vm/check.sh: QEMU/TCG, Debian's
# kernel, a USB MIDI 1.0 gadget on dummy_hcd whose gadget side echoes) and
# reports what tests/vm/guest.sh measured there: midi-loop test through the
# usb transport (200 SysEx one every 10 ms; 2000 with a window of 8) against
# the same through the kernel's own driver and raw MIDI device (rawping);
# and the alsa transport: round trips through Midi Through (midi-loop test
# via the import host) and through the export (a plain sequencer client,
# seqping, via the alsa agent), both against seqping alone through Midi
# Through, and 50 notes scheduled 20 ms apart timed at a sequencer client.
# The emulated CPU makes every absolute figure slow: read the ratios. Takes
# about a minute with the VM cache warm. Prints one JSON object
# (bench/run.sh), or {"bench":"usbvm","error":"..."} when the VM cannot run.
set -u
cd "$(dirname "$0")/.." || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/midi-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
tests/vm/check.sh "$work/vm" > "$work/out" 2>&1
rc=$?
if [ ! -s "$work/vm/bench.json" ]; then
	why=$(cat "$work/vm/cannot" 2>/dev/null)
	[ -n "$why" ] && why="the VM cannot run here: $why" || why="the VM run gave no figures (exit $rc)"
	printf '{"bench":"usbvm","error":"%s"}\n' "$(printf %s "$why" | sed 's/["\\]/\\&/g')"
	exit 1
fi
python3 - "$work/vm/bench.json" <<'PY'
import json, sys
raw = json.load(open(sys.argv[1]))
rt, tp = raw["results"]
def lat(o, k):
    return (o or {}).get("latency_us") and o["latency_us"][k]
def rate(o):
    return o and o.get("seconds") and round(o["received"] / o["seconds"], 1)
def ratio(a, b):
    return round(a / b, 2) if a and b else None
p, b = rt["project_midi_loop_test"], rt["baseline_alsa_rawmidi"]
res = [{"name": "usb_midi1_round_trip_10ms_gap", "unit": "us",
        "p50": lat(p, "median"), "p99": lat(p, "p99"),
        "baseline": "alsa_rawmidi_snd_usb_audio", "baseline_p50": lat(b, "median"),
        "baseline_p99": lat(b, "p99"), "p50_ratio": ratio(lat(p, "median"), lat(b, "median")),
        "p99_ratio": ratio(lat(p, "p99"), lat(b, "p99"))}]
p, b = tp["project_midi_loop_test"], tp["baseline_alsa_rawmidi"]
res.append({"name": "usb_midi1_throughput_window_8", "unit": "messages/s",
            "value": rate(p), "p50_latency_us": lat(p, "median"),
            "baseline": "alsa_rawmidi_snd_usb_audio", "baseline_value": rate(b),
            "ratio": ratio(rate(p), rate(b))})
# The alsa transport (bench-alsa.json): round trips through Midi Through and
# through the export, against a plain sequencer client; scheduled sends.
try:
    al = json.load(open(sys.argv[1].replace("bench.json", "bench-alsa.json")))
except (OSError, ValueError):
    al = None
if al:
    for name, key, proj in (("alsa_import_round_trip_10ms_gap", "import_round_trip", "project_midi_loop_test"),
                            ("alsa_export_round_trip_10ms_gap", "export_round_trip", "seqping_through_export")):
        p, b = al[key][proj], al[key]["baseline_seqping"]
        res.append({"name": name, "unit": "us", "p50": lat(p, "median"), "p99": lat(p, "p99"),
                    "baseline": "alsa_seq_client_through_midi_through", "baseline_p50": lat(b, "median"),
                    "baseline_p99": lat(b, "p99"), "p50_ratio": ratio(lat(p, "median"), lat(b, "median")),
                    "p99_ratio": ratio(lat(p, "p99"), lat(b, "p99"))})
    s = al.get("scheduled_20ms") or {}
    e = s.get("interval_error_us") or {}
    res.append({"name": "alsa_scheduled_20ms_interval_error", "unit": "us",
                "p50": e.get("median"), "p99": e.get("p99"), "max": e.get("max"),
                "received": s.get("received")})
print(json.dumps({"bench": "usbvm", "kernel": raw["kernel"], "results": res,
                  "note": "QEMU TCG guest, 8-byte SysEx through a configfs f_midi gadget on dummy_hcd that echoes; emulated CPU, absolute figures are slow"}))
PY
