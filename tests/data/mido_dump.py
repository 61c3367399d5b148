#!/usr/bin/env python3
# mido_dump.py: the independent oracle for test_corpus.c. Prints every MIDI
# and SysEx event of a Standard MIDI File as python3-mido reads it, tracks
# merged in time order (mido's stable sort: ties by track, then file order),
# one line per event: "<tick> <time in ns> <hex bytes>". Meta events are
# left out. Exit status 77 when mido is not installed.
import sys

try:
    import mido
except ImportError:
    sys.stderr.write("python3-mido is not installed\n")
    sys.exit(77)

mf = mido.MidiFile(sys.argv[1])
tick = 0
seconds = 0.0
tempo = 500000
for msg in mido.merge_tracks(mf.tracks):
    if msg.time > 0:
        seconds += mido.tick2second(msg.time, mf.ticks_per_beat, tempo)
    tick += msg.time
    if msg.type == "set_tempo":
        tempo = msg.tempo
    if msg.is_meta:
        continue
    print(tick, "%.1f" % (seconds * 1e9), " ".join("%02X" % b for b in msg.bytes()))
