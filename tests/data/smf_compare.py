#!/usr/bin/env python3
# smf_compare.py: compares the events of two recordings, for smf.bats.
# Each is a Standard MIDI File (read with python3-mido, tracks merged as
# mido_dump.py does, meta events left out) or a midi-mon -f hex -T capture
# ("@S.UUUUUUs BYTES" lines). The events (bytes) must be the same, in the
# same order (--sort: in any order within a tick). --ticks: the ticks must
# be equal too (two MIDI files). Otherwise times count from each side's
# first event and must agree: every event within --tol MS (default 1), or,
# with --p50 MS, the median error within that and every event within --tol.
# Prints the error figures. Exit status 77 when mido is not installed.
import argparse, statistics, sys

def load_mid(path):
    try:
        import mido
    except ImportError:
        sys.stderr.write("python3-mido is not installed\n")
        sys.exit(77)
    mf = mido.MidiFile(path)
    tick, seconds, tempo, out = 0, 0.0, 500000, []
    for msg in mido.merge_tracks(mf.tracks):
        if msg.time > 0:
            seconds += mido.tick2second(msg.time, mf.ticks_per_beat, tempo)
        tick += msg.time
        if msg.type == "set_tempo":
            tempo = msg.tempo
        if not msg.is_meta:
            out.append((tick, seconds * 1e9, " ".join("%02X" % b for b in msg.bytes())))
    return out

def load_hex(path):
    out = []
    for line in open(path):
        t, *b = line.split()
        out.append((None, float(t[1:-1]) * 1e9, " ".join(b).upper()))
    return out

def load(path):
    return load_mid(path) if path.endswith(".mid") else load_hex(path)

ap = argparse.ArgumentParser()
ap.add_argument("--ticks", action="store_true")
ap.add_argument("--sort", action="store_true")
ap.add_argument("--tol", type=float, default=1.0)
ap.add_argument("--p50", type=float)
ap.add_argument("a")
ap.add_argument("b")
o = ap.parse_args()
a, b = load(o.a), load(o.b)
if o.sort:
    a.sort(key=lambda e: (e[0], e[2]))
    b.sort(key=lambda e: (e[0], e[2]))
if len(a) != len(b):
    print("%s has %d events, %s has %d" % (o.a, len(a), o.b, len(b)))
    sys.exit(1)
if not a:
    print("no events")
    sys.exit(1)
errs = []
for i, (x, y) in enumerate(zip(a, b)):
    if x[2] != y[2] or (o.ticks and x[0] != y[0]):
        print("event %d differs: %s %s / %s %s" % (i + 1, x[0], x[2], y[0], y[2]))
        sys.exit(1)
    errs.append(abs((x[1] - a[0][1]) - (y[1] - b[0][1])) / 1e6)
if o.ticks:
    print("%d events, same ticks" % len(a))
    sys.exit(0)
errs.sort()
p50, p99, worst = statistics.median(errs), errs[int(0.99 * (len(errs) - 1))], errs[-1]
print("%d events; time error p50 %.3f ms, p99 %.3f ms, max %.3f ms" % (len(a), p50, p99, worst))
if worst > o.tol or (o.p50 is not None and p50 > o.p50):
    sys.exit(1)
