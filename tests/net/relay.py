#!/usr/bin/env python3
# relay.py: owns the lossy network of tests/bats/net.bats: a UDP relay on
# 127.0.0.1 between one client and a host that spoils traffic on purpose,
# so the Network MIDI 2.0 session's forward error correction and
# retransmission have something to mend. It prints "relay port N" once
# listening, then forwards every datagram both ways, except:
#   --drop N      every Nth datagram (each direction counted apart) is lost
#   --swap N      every Nth datagram is held and sent after the next one
#   --burst N:M   after datagram N, the next M are lost (a burst)
# Counts are printed on exit (SIGTERM). Sends only to 127.0.0.1.
import argparse, select, signal, socket, sys

ap = argparse.ArgumentParser()
ap.add_argument("host_port", type=int)
ap.add_argument("--drop", type=int, default=0)
ap.add_argument("--swap", type=int, default=0)
ap.add_argument("--burst", default="")
a = ap.parse_args()
burst_at, burst_n = (int(x) for x in a.burst.split(":")) if a.burst else (0, 0)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
host = ("127.0.0.1", a.host_port)
client = None
count = {"up": 0, "down": 0}
held = {"up": None, "down": None}
stats = {"dropped": 0, "swapped": 0, "forwarded": 0}

def bye(*_):
    print("relay: %(forwarded)d forwarded, %(dropped)d dropped, %(swapped)d swapped" % stats,
          file=sys.stderr, flush=True)
    sys.exit(0)

signal.signal(signal.SIGTERM, bye)
signal.signal(signal.SIGINT, bye)
print("relay port %d" % s.getsockname()[1], flush=True)
while True:
    select.select([s], [], [])
    data, frm = s.recvfrom(65536)
    if frm == host:
        way, to = "down", client
    else:
        client, way, to = frm, "up", host
    if to is None:
        continue
    count[way] += 1
    n = count[way]
    if (a.drop and n % a.drop == 0) or (burst_at and burst_at < n <= burst_at + burst_n):
        stats["dropped"] += 1
        continue
    if a.swap and n % a.swap == 0 and held[way] is None:
        held[way] = data
        stats["swapped"] += 1
        continue
    s.sendto(data, to)
    stats["forwarded"] += 1
    if held[way] is not None:
        s.sendto(held[way], to)
        held[way] = None
