#!/usr/bin/python3
"""fakedev.py: fake USB MIDI 1.0 and 2.0 devices for the usb transport's tests.

umockdev fakes the usbfs layer: PROGRAM runs with libumockdev-preload and
sees a root hub and (unless --hotplug) the device in /sys and
/dev/bus/usb; every usbfs ioctl on the device node is answered here.

The device (1209:4d4a, serial TC0001): two cables each way, jacks named
"Port 1" and "Port 2", bulk OUT 0x02 and bulk IN 0x83 (--interrupt: both
interrupt endpoints). It echoes every packet it receives, whole, on the
IN endpoint (a MIDI thru). A bulk IN URB with nothing to give waits.
State is kept per connected client (the agent and the host each open the
device), so URBs are reaped by the process that submitted them.

--midi2: a USB MIDI 2.0 device instead (1209:4d4b, serial TM0002,
"Fake MIDI 2.0"): alternate setting 0 is MIDI 1.0 (one cable), 1 is MIDI
2.0 with two Group Terminal Blocks, 1 "Synth" (group 1, bidirectional,
MIDI 2.0 protocol) and 2 "Keys" (groups 2-3, output only, MIDI 1.0
protocol), both on bulk OUT 0x02 and IN 0x83. On setting 1 it echoes
UMP words; stream messages it drops (a device that does not answer
discovery) unless --discovery: then it answers Endpoint Discovery (name
"Fake UMP Synth", product instance id "FUS-0001", identity 7D 00 00, two
static function blocks), Stream Configuration and Function Block
Discovery (blocks named "Dev Synth" and "Dev Keys"). Settings chosen are written to
--events FILE as "alt N".

usage: fakedev.py [options] -- PROGRAM [ARGS...]
  --hotplug          no device at start: plug it in after --add-after
                     seconds (default 0.5), unplug it after --remove-after
                     (default: never)
  --out FILE         write every bulk OUT transfer received, one hex line
                     each, to FILE as it comes
  --replug-after S   after unplugging (--remove-after), plug it in again
                     S seconds later
  --stuck            the device takes nothing: OUT transfers never complete
  --quirks           every IN transfer with data is followed by a
                     zero-length one, and its packets padded with zero
                     packets (as some devices do)
  --slow MS          a slow device: each OUT transfer completes MS
                     milliseconds after the previous one (one at a time)
  --stall N          the next N bulk IN transfers end with a stall (EPIPE)
  --stall-after-out  ... counting from the first OUT transfer, not from start
  --kernel-driver    a kernel driver (snd-usb-audio) holds the Audio Control
                     (0) and MIDIStreaming (1) interfaces (sysfs link,
                     GETDRIVER); detaching it (DISCONNECT_CLAIM) and giving
                     it back (CONNECT) are written to --events FILE as
                     "detached N" / "reattached N" (N the interface)
  --driver-probing   the kernel driver is probing the device (just plugged
                     in, or given back): it holds nothing yet, and binds the
                     Audio Control interface (and the MIDIStreaming one if
                     free) as soon as a program claims another interface
                     while the Audio Control one is free ("probed 0" in
                     --events); CONNECT binds as with --kernel-driver
  --timeout SECONDS  kill PROGRAM after this long (default 60)
The exit status is PROGRAM's. FAKEDEV_DEBUG=1 logs every request.
Needs (Debian): umockdev gir1.2-umockdev-1.0 python3-gi. Our own code.
"""
import argparse, os, struct, subprocess, sys, threading, time

if 'libumockdev-preload' not in os.environ.get('LD_PRELOAD', ''):
    # uevents (hotplug) need the harness itself under the preload
    os.execvp('umockdev-wrapper', ['umockdev-wrapper', '/usr/bin/python3',
                                   os.path.abspath(__file__)] + sys.argv[1:])

import gi
gi.require_version('UMockdev', '1.0')
from gi.repository import UMockdev

# <linux/usbdevice_fs.h> ioctls (64-bit)
SUBMITURB, DISCARDURB = 0x8038550a, 0x550b
REAPURB, REAPURBNDELAY = 0x4008550c, 0x4008550d
GET_CAPABILITIES, GETDRIVER, USBIOCTL = 0x8004551a, 0x41045508, 0xc0105512
CLAIM, RELEASE, CLEAR_HALT, RESET, SETINTERFACE = (0x8004550f, 0x80045510, 0x80045515,
                                                   0x5514, 0x80085504)
DISCONNECT_CLAIM, CONNECTINFO = 0x8108551b, 0x40085511
ENOENT, EAGAIN, EINVAL, EPIPE, ENODATA, ENODEV, EBUSY = 2, 11, 22, 32, 61, 19, 16
USBDEVFS_CONNECT = 0x5517
URB_INTERRUPT, URB_CONTROL, URB_BULK = 1, 2, 3
EP_OUT, EP_IN = 0x02, 0x83
STRINGS = {1: 'FakeCo', 2: 'Two Cable MIDI', 3: 'TC0001', 4: 'Port 1', 5: 'Port 2'}
STRINGS2 = {1: 'FakeCo', 2: 'Fake MIDI 2.0', 3: 'TM0002', 4: 'Port 1', 6: 'Synth', 7: 'Keys'}


def log(*a):
    if os.environ.get('FAKEDEV_DEBUG'):
        print('[fakedev]', *a, file=sys.stderr, flush=True)


def config(ep_type):
    """The configuration descriptor: Audio Control + MIDIStreaming, two
    cables each way with named embedded jacks."""
    ms = bytes([7, 0x24, 1, 0, 1, 0, 0])                    # MS_HEADER 1.0
    jacks = (bytes([6, 0x24, 2, 1, 0x11, 4]) + bytes([6, 0x24, 2, 1, 0x12, 5]) +
             bytes([6, 0x24, 2, 2, 0x31, 0]) + bytes([6, 0x24, 2, 2, 0x32, 0]) +
             bytes([9, 0x24, 3, 1, 0x21, 1, 0x31, 1, 4]) +
             bytes([9, 0x24, 3, 1, 0x22, 1, 0x32, 1, 5]) +
             bytes([9, 0x24, 3, 2, 0x41, 1, 0x11, 1, 0]) +
             bytes([9, 0x24, 3, 2, 0x42, 1, 0x12, 1, 0]))
    eps = (bytes([9, 5, EP_OUT, ep_type, 64, 0, 1 if ep_type == 3 else 0, 0, 0]) +
           bytes([6, 0x25, 1, 2, 0x11, 0x12]) +
           bytes([9, 5, EP_IN, ep_type, 64, 0, 1 if ep_type == 3 else 0, 0, 0]) +
           bytes([6, 0x25, 1, 2, 0x21, 0x22]))
    body = ms + jacks + eps
    ms = ms[:5] + struct.pack('<H', len(body)) + ms[7:]        # wTotalLength
    body = ms + jacks + eps
    ac = bytes([9, 4, 0, 0, 0, 1, 1, 0, 0]) + bytes([9, 0x24, 1, 0, 1, 9, 0, 1, 1])
    msif = bytes([9, 4, 1, 0, 2, 1, 3, 0, 0])
    rest = ac + msif + body
    return bytes([9, 2]) + struct.pack('<H', 9 + len(rest)) + bytes([2, 1, 0, 0x80, 50]) + rest


def config2():
    """A USB MIDI 2.0 configuration: MIDIStreaming alternate setting 0 (MIDI
    1.0, one cable) and 1 (MIDI 2.0, Group Terminal Blocks 1 and 2)."""
    jacks = (bytes([6, 0x24, 2, 1, 0x11, 4]) + bytes([6, 0x24, 2, 2, 0x21, 0]) +
             bytes([9, 0x24, 3, 1, 0x31, 1, 0x21, 1, 4]) +
             bytes([9, 0x24, 3, 2, 0x41, 1, 0x11, 1, 0]))
    eps1 = (bytes([9, 5, EP_OUT, 2, 64, 0, 0, 0, 0]) + bytes([5, 0x25, 1, 1, 0x11]) +
            bytes([9, 5, EP_IN, 2, 64, 0, 0, 0, 0]) + bytes([5, 0x25, 1, 1, 0x31]))
    ms1 = bytes([7, 0x24, 1, 0, 1]) + struct.pack('<H', 7 + len(jacks))
    alt0 = bytes([9, 4, 1, 0, 2, 1, 3, 0, 0]) + ms1 + jacks + eps1
    eps2 = (bytes([7, 5, EP_OUT, 2, 64, 0, 0]) + bytes([6, 0x25, 2, 2, 1, 2]) +
            bytes([7, 5, EP_IN, 2, 64, 0, 0]) + bytes([6, 0x25, 2, 2, 1, 2]))
    alt1 = bytes([9, 4, 1, 1, 2, 1, 3, 0, 0]) + bytes([7, 0x24, 1, 0, 2, 7, 0]) + eps2
    ac = bytes([9, 4, 0, 0, 0, 1, 1, 0, 0]) + bytes([9, 0x24, 1, 0, 1, 9, 0, 1, 1])
    rest = ac + alt0 + alt1
    return bytes([9, 2]) + struct.pack('<H', 9 + len(rest)) + bytes([2, 1, 0, 0x80, 50]) + rest


GTB = (bytes([5, 0x26, 1, 31, 0]) +
       bytes([13, 0x26, 2, 1, 0, 0, 1, 6, 0x11, 0, 0, 0, 0]) +
       bytes([13, 0x26, 2, 2, 2, 1, 2, 7, 0x01, 0, 0, 0, 0]))


def stream_text(status, lead, text, per_first):
    """Stream messages carrying text (Endpoint Name: per_first 2, lead
    none; Function Block Name: per_first 1 after the block number)."""
    data = text.encode()
    room = per_first + 12
    parts = [data[i:i + room] for i in range(0, len(data), room)] or [b'']
    out = []
    for n, part in enumerate(parts):
        form = 0 if len(parts) == 1 else 1 if n == 0 else 3 if n == len(parts) - 1 else 2
        b = bytes(lead) + part.ljust(room, b'\0')
        w0 = 0xF0000000 | form << 26 | status << 16 | b[0] << 8 | b[1]
        rest = b[2:]
        out.append(struct.pack('<IIII', w0, *struct.unpack('>III', rest)))
    return b''.join(out)


def answer_stream(w):
    """A UMP Stream message to the device -> its reply bytes (b'' none)."""
    status = (w[0] >> 16) & 0x3ff
    if status == 0x000:                    # Endpoint Discovery
        filt = w[1] & 0xff
        r = b''
        if filt & 1:                       # Endpoint Info: UMP 1.1, 2 static FBs, M1 M2
            r += struct.pack('<IIII', 0xF0010101, 1 << 31 | 2 << 24 | 3 << 8, 0, 0)
        if filt & 2:                       # Device Identity: 7D 00 00, family 1, model 2
            r += struct.pack('<IIII', 0xF0020000, 0x7D0000, 0x01000200, 0x00000001)
        if filt & 4:
            r += stream_text(0x003, b'', 'Fake UMP Synth', 2)
        if filt & 8:
            r += stream_text(0x004, b'', 'FUS-0001', 2)
        if filt & 16:                      # Stream Configuration: MIDI 2.0, no JR
            r += struct.pack('<IIII', 0xF0060200, 0, 0, 0)
        return r
    if status == 0x005:                    # Stream Configuration Request: as asked
        proto = (w[0] >> 8) & 0xff or 2
        return struct.pack('<IIII', 0xF0060000 | proto << 8, 0, 0, 0)
    if status == 0x010:                    # Function Block Discovery
        fbn, filt = (w[0] >> 8) & 0xff, w[0] & 0xff
        blocks = [(0, 3, 0, 1, 0, 'Dev Synth'), (1, 2, 1, 2, 1, 'Dev Keys')]
        r = b''
        for num, direction, first, count, midi1, name in blocks:
            if fbn not in (0xff, num):
                continue
            if filt & 1:
                r += struct.pack('<IIII', 0xF0110000 | 1 << 15 | num << 8 | direction << 4 |
                                 midi1 << 2 | direction, first << 24 | count << 16 | 1 << 8, 0, 0)
            if filt & 2:
                r += stream_text(0x012, bytes([num]), name, 1)
        return r
    return b''


WORDS = [1, 1, 1, 2, 2, 4, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4]


def ump_thru(data, discovery):
    """Alternate setting 1: what goes back IN for an OUT transfer."""
    back, i = b'', 0
    while i + 4 <= len(data):
        w0, = struct.unpack_from('<I', data, i)
        n = WORDS[w0 >> 28] * 4
        pkt = data[i:i + n]
        i += n
        if w0 >> 28 == 0xF:
            if discovery and len(pkt) == 16:
                back += answer_stream(struct.unpack('<IIII', pkt))
            continue
        back += pkt
    return back


DEVICE = bytes([18, 1, 0, 2, 0, 0, 0, 64, 0x09, 0x12, 0x4a, 0x4d, 0, 1, 1, 2, 3, 1])
DEVICE2 = bytes([18, 1, 0, 2, 0, 0, 0, 64, 0x09, 0x12, 0x4b, 0x4d, 0, 1, 1, 2, 3, 1])
HUB = (bytes([18, 1, 0, 2, 9, 0, 1, 64, 0x6b, 0x1d, 2, 0, 0, 1, 0, 0, 0, 1]) +
       bytes([9, 2, 25, 0, 1, 1, 0, 0xe0, 0, 9, 4, 0, 0, 1, 9, 0, 0, 0,
              7, 5, 0x81, 3, 4, 0, 12]))


def record(path, node, busnum, devnum, desc, attrs, props):
    h = desc.hex().upper()
    lines = ['P: ' + path, 'N: %s=%s' % (node, h)]
    lines += ['E: %s=%s' % kv for kv in props]
    lines += ['E: DEVNAME=/dev/' + node, 'E: DEVTYPE=usb_device', 'E: SUBSYSTEM=usb',
              'E: BUSNUM=%03d' % busnum, 'E: DEVNUM=%03d' % devnum, 'E: MAJOR=189',
              'E: MINOR=%d' % ((busnum - 1) * 128 + devnum - 1)]
    lines += ['A: %s=%s\\n' % kv for kv in attrs]
    lines += ['A: busnum=%d\\n' % busnum, 'A: devnum=%d\\n' % devnum, 'A: speed=12\\n',
              'A: bConfigurationValue=1\\n', 'H: descriptors=' + h]
    return '\n'.join(lines) + '\n'


def finish(urb, status, length):
    urb.update(4, struct.pack('<i', status))          # status
    urb.update(28, struct.pack('<i', length))         # actual_length


class Client:
    """What one connected process (one open of the node) has in flight."""
    def __init__(self):
        self.in_urbs = []     # (urb, buf, size) waiting for data
        self.held = []        # OUT transfers a stuck device never takes
        self.done = []        # finished, for REAPURB
        self.in_data = bytearray()
        self.gone = False     # unplugged: every new request fails


class Device:
    def __init__(self, desc, outfile, slow_ms=0, driver=False, events=None, midi2=False,
                 discovery=False):
        self.desc = desc
        self.midi2, self.discovery, self.alt = midi2, discovery, 0
        self.strings = STRINGS2 if midi2 else STRINGS
        self.driver = {0, 1} if driver else set()   # interfaces a kernel driver holds
        self.claimed = set()      # interfaces programs claimed
        self.probing = False      # --driver-probing
        self.stall = 0            # IN transfers still to stall
        self.stall_armed = 0      # ... once an OUT transfer came
        self.events = events
        self.slow = slow_ms / 1000.0
        self.busy_until = 0.0     # the slow device's OUT pipe is busy until then
        self.slow_q = []          # its OUT transfers, in order: (due, st, urb, data, size)
        self.lock = threading.Lock()
        self.clients = {}
        self.out = open(outfile, 'a') if outfile else None
        self.stuck = self.quirks = False

    def client(self, c):
        key = id(c)
        if key not in self.clients:
            self.clients[key] = (c, Client())
        return self.clients[key][1]

    def control(self, setup):
        rtype, req, value, index, length = struct.unpack('<BBHHH', setup)
        kind, i = value >> 8, value & 0xff
        if self.midi2 and rtype == 0x81 and req == 6 and kind == 0x26 and i == 1 and index == 1:
            return GTB[:length]                   # Group Terminal Blocks of setting 1
        if rtype != 0x80 or req != 6:
            return None
        if kind == 1:
            return self.desc[:18][:length]
        if kind == 2:
            return self.desc[18:][:length]
        if kind == 3 and i == 0:
            return bytes([4, 3, 0x09, 0x04])[:length]
        if kind == 3 and i in self.strings:
            s = self.strings[i].encode('utf-16-le')
            return (bytes([2 + len(s), 3]) + s)[:length]
        return None

    def event(self, what):
        log(what)
        if self.events:
            with open(self.events, 'a') as f:
                f.write(what + '\n')

    def slow_done(self):
        """Complete the slow OUT transfers that are due, in the order they
        came: a timer each, but on a busy machine timers may fire out of
        order (a device's one pipe never reorders)."""
        with self.lock:
            n = 0
            while self.slow_q and self.slow_q[0][0] <= time.monotonic():
                _, st, urb, data, size = self.slow_q.pop(0)
                st.in_data += data
                finish(urb, 0, size)
                st.done.append(urb)
                self.feed(st)
                n += 1
            if not n and self.slow_q:       # a timer that fired early: look again
                threading.Timer(max(0.0, self.slow_q[0][0] - time.monotonic()),
                                self.slow_done).start()

    def feed(self, st):
        while st.in_urbs and st.in_data:
            urb, buf, size = st.in_urbs.pop(0)
            n = min(size, len(st.in_data)) // 4 * 4
            data = bytes(st.in_data[:n])
            del st.in_data[:n]
            if self.quirks:                 # zero packets after the data, then a ZLP
                data = (data + bytes(16))[:max(n, min(size, n + 16) // 4 * 4)]
            buf.update(0, data)
            finish(urb, 0, len(data))
            st.done.append(urb)
            if self.quirks and st.in_urbs:
                urb, buf, size = st.in_urbs.pop(0)
                finish(urb, 0, 0)
                st.done.append(urb)

    def handle(self, handler, c):
        req, arg = c.get_request() & 0xffffffff, c.get_arg()
        try:
            with self.lock:
                r = self.ioctl(self.client(c), req, arg)
        except Exception as e:
            log('exception', repr(e))
            r = (-1, EINVAL)
        if r is None:
            log('unhandled ioctl 0x%x' % req)
            return False
        c.complete(*r)
        return True

    def ioctl(self, st, req, arg):
        if st.gone and req not in (REAPURB, REAPURBNDELAY, DISCARDURB):
            return -1, ENODEV
        if req == GET_CAPABILITIES:
            arg.resolve(0, 4).update(0, struct.pack('<I', 0x0f))
            return 0, 0
        if req == CLAIM:
            ifno, = struct.unpack('<I', bytes(arg.resolve(0, 4).retrieve()))
            if ifno in self.driver:
                return -1, EBUSY                        # the driver has it
            self.claimed.add(ifno)
            if self.probing and ifno != 0 and 0 not in self.claimed | self.driver:
                # the driver's probe binds its interface in the meantime
                self.driver |= {0, 1} - self.claimed
                self.event('probed 0')
            return 0, 0
        if req == RELEASE:
            ifno, = struct.unpack('<I', bytes(arg.resolve(0, 4).retrieve()))
            self.claimed.discard(ifno)
            return 0, 0
        if req == DISCONNECT_CLAIM:                     # detach the driver, claim
            raw = bytes(arg.resolve(0, 264).retrieve())   # usbdevfs_disconnect_claim
            ifno, = struct.unpack_from('<I', raw, 0)
            if ifno in self.driver:
                self.driver.discard(ifno)
                self.event('detached %d' % ifno)
            self.claimed.add(ifno)
            return 0, 0
        if req == USBIOCTL:                             # CONNECT: give it back
            raw = bytes(arg.resolve(0, 16).retrieve())
            ifno, code = struct.unpack_from('<ii', raw, 0)
            if code == USBDEVFS_CONNECT and self.had_driver and ifno in (0, 1):
                self.driver.add(ifno)
                self.event('reattached %d' % ifno)
                return 0, 0
            return -1, ENODATA
        if req == GETDRIVER:
            d = arg.resolve(0, 260)                        # usbdevfs_getdriver
            ifno, = struct.unpack_from('<I', bytes(d.retrieve()), 0)
            if ifno in self.driver:
                d.update(4, b'snd-usb-audio\0')
                return 0, 0
            return -1, ENODATA
        if req == SETINTERFACE:
            ifno, alt = struct.unpack('<II', bytes(arg.resolve(0, 8).retrieve()))
            if ifno == 1:
                self.alt = alt
                self.event('alt %d' % alt)
            return 0, 0
        if req in (CLEAR_HALT, RESET):
            return 0, 0
        if req == CONNECTINFO:                          # devnum 2, not low speed
            arg.resolve(0, 8).update(0, struct.pack('<IB3x', 2, 0))
            return 0, 0
        if req == SUBMITURB:
            urb = arg.resolve(0, 56)
            raw = bytes(urb.retrieve())
            kind, ep = raw[0], raw[1]
            size, = struct.unpack_from('<i', raw, 24)
            buf = urb.resolve(16, size)
            if kind == URB_CONTROL:
                setup = bytes(buf.retrieve())[:8]
                reply = self.control(setup)
                log('control', setup.hex(), '->', reply.hex() if reply else 'stall')
                if reply is None:
                    finish(urb, -EPIPE, 0)
                else:
                    buf.update(8, reply)
                    finish(urb, 0, len(reply))
                st.done.append(urb)
            elif kind in (URB_BULK, URB_INTERRUPT) and ep == EP_OUT and self.stuck:
                st.held.append((urb, buf, size))            # never taken
                return 0, 0
            elif kind in (URB_BULK, URB_INTERRUPT) and ep == EP_OUT:
                data = bytes(buf.retrieve())[:size]
                log('OUT', data.hex())
                if self.out:
                    self.out.write(data.hex() + '\n')
                    self.out.flush()
                if self.slow:                               # taken later
                    self.busy_until = max(self.busy_until, time.monotonic()) + self.slow
                    self.slow_q.append((self.busy_until, st, urb, data, size))
                    threading.Timer(self.busy_until - time.monotonic(), self.slow_done).start()
                    return 0, 0
                if self.midi2 and self.alt == 1:
                    st.in_data += ump_thru(data, self.discovery)
                else:
                    st.in_data += data                      # the thru
                finish(urb, 0, size)
                st.done.append(urb)
                if self.stall_armed:
                    self.stall, self.stall_armed = self.stall_armed, 0
            elif kind in (URB_BULK, URB_INTERRUPT) and ep == EP_IN and self.stall:
                self.stall -= 1
                log('IN stalled')
                finish(urb, -EPIPE, 0)
                st.done.append(urb)
            elif kind in (URB_BULK, URB_INTERRUPT) and ep == EP_IN:
                st.in_urbs.append((urb, buf, size))
            else:
                return -1, EINVAL
            self.feed(st)
            return 0, 0
        if req in (REAPURB, REAPURBNDELAY):
            if not st.done:
                return -1, EAGAIN
            arg.resolve(0, 8).set_ptr(0, st.done.pop(0))
            return 0, 0
        if req == DISCARDURB:
            addr, = struct.unpack('<Q', bytes(arg.retrieve())[:8])
            for q in (st.in_urbs, st.held):
                for i, (urb, buf, size) in enumerate(q):
                    if urb.client_addr == addr:
                        del q[i]
                        finish(urb, -ENOENT, 0)
                        st.done.append(urb)
                        return 0, 0
            return -1, EINVAL
        return None


def main():
    argv = sys.argv[1:]
    if '--' not in argv:
        sys.exit(__doc__)
    cut = argv.index('--')
    ap = argparse.ArgumentParser()
    ap.add_argument('--hotplug', action='store_true')
    ap.add_argument('--interrupt', action='store_true')
    ap.add_argument('--add-after', type=float, default=0.5)
    ap.add_argument('--remove-after', type=float, default=-1)
    ap.add_argument('--out')
    ap.add_argument('--slow', type=float, default=0)
    ap.add_argument('--kernel-driver', action='store_true')
    ap.add_argument('--driver-probing', action='store_true')
    ap.add_argument('--midi2', action='store_true')
    ap.add_argument('--replug-after', type=float, default=-1)
    ap.add_argument('--stuck', action='store_true')
    ap.add_argument('--quirks', action='store_true')
    ap.add_argument('--discovery', action='store_true')
    ap.add_argument('--stall', type=int, default=0)
    ap.add_argument('--stall-after-out', action='store_true')
    ap.add_argument('--events')
    ap.add_argument('--timeout', type=float, default=60)
    opt, cmd = ap.parse_args(argv[:cut]), argv[cut + 1:]

    desc = DEVICE2 + config2() if opt.midi2 else DEVICE + config(3 if opt.interrupt else 2)
    strings = STRINGS2 if opt.midi2 else STRINGS
    pid = '4d4b' if opt.midi2 else '4d4a'
    hub_path = '/devices/pci0000:00/0000:00:14.0/usb1'
    dev_path = hub_path + '/1-1'
    hub = record(hub_path, 'bus/usb/001/001', 1, 1, HUB, [('idVendor', '1d6b'),
                 ('idProduct', '0002')], [('PRODUCT', '1d6b/2/100')])
    dev = record(dev_path, 'bus/usb/001/002', 1, 2, desc,
                 [('idVendor', '1209'), ('idProduct', pid), ('manufacturer', strings[1]),
                  ('product', strings[2]), ('serial', strings[3])],
                 [('PRODUCT', '1209/%s/100' % pid)])
    device = Device(desc, opt.out, opt.slow, opt.kernel_driver, opt.events, opt.midi2,
                    opt.discovery)
    device.had_driver = opt.kernel_driver or opt.driver_probing
    device.probing = opt.driver_probing
    device.stuck, device.quirks = opt.stuck, opt.quirks
    if opt.stall_after_out:
        device.stall_armed = opt.stall
    else:
        device.stall = opt.stall
    tb = UMockdev.Testbed.new()
    handler = UMockdev.IoctlBase()
    handler.connect('handle-ioctl', device.handle)
    tb.attach_ioctl('/dev/bus/usb/001/002', handler)
    tb.add_from_string(hub)
    if opt.kernel_driver:        # the interfaces, with the driver's links
        for i in (0, 1):
            dev += ('\nP: %s/1-1:1.%d\nE: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\n'
                    'E: DRIVER=snd-usb-audio\nA: bInterfaceNumber=%02d\\n\nA: bInterfaceClass=01\\n\n'
                    'L: driver=../../../../../../bus/usb/drivers/snd-usb-audio\n' % (dev_path, i, i))
    if not opt.hotplug:
        tb.add_from_string(dev)
    env = dict(os.environ, UMOCKDEV_DIR=tb.get_root_dir())
    child = subprocess.Popen(cmd, env=env)
    t0 = time.monotonic()

    # plugging and unplugging from this (the testbed's) thread
    if opt.hotplug:
        time.sleep(opt.add_after)
        log('plugging in')
        tb.add_from_string(dev)
    if opt.remove_after >= 0:
        time.sleep(max(0, opt.remove_after - (time.monotonic() - t0)))
        log('unplugging')
        with device.lock:            # every URB in flight fails: the device is gone
            for c, st in device.clients.values():
                for urb, buf, size in st.in_urbs:
                    finish(urb, -ENODEV, 0)
                    st.done.append(urb)
                st.in_urbs = []
                st.gone = True
        tb.uevent('/sys' + dev_path, 'remove')
        tb.remove_device('/sys' + dev_path)
        if opt.replug_after >= 0:
            time.sleep(opt.replug_after)
            log('plugging in again')
            with device.lock:
                device.clients = {}
            tb.add_from_string(dev)
    try:
        rc = child.wait(timeout=opt.timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        rc = 124
    sys.exit(rc)


if __name__ == '__main__':
    main()
