#!/usr/bin/env bash
# dnssd-env.sh COMMAND...: run COMMAND in a private mDNS world, for the
# DNS-SD tests (tests/bats/net-dnssd.bats). To be started as root in new
# network and mount namespaces of its own (unshare --net --mount): brings
# the loopback interface up (the only one there: mDNS never leaves the
# namespace), mounts a tmpfs on /run (the D-Bus system bus socket and
# avahi-daemon's pid file and socket are at fixed paths there), starts a
# private D-Bus system bus and avahi-daemon (root kept, no chroot, a
# configuration of its own), waits until avahi-daemon is on the bus, runs
# COMMAND and stops both. Its status is COMMAND's; 97 when the world could
# not be made (the reason on standard error).
set -u
fail() { echo "dnssd-env: $*" >&2; exit 97; }
[ "$(id -u)" = 0 ] || fail "not root"
ip link set lo up || fail "ip link set lo up failed"
mount -t tmpfs -o mode=755 dnssd-run /run || fail "cannot mount a tmpfs on /run"
mkdir -p /run/dbus /run/avahi-daemon
conf=/run/dnssd-conf
mkdir -p "$conf"
cat > "$conf/bus.conf" <<'XML'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
XML
cat > "$conf/avahi.conf" <<'INI'
[server]
use-ipv4=yes
use-ipv6=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
INI
unset DBUS_SYSTEM_BUS_ADDRESS MIDI_NET_DNSSD
dbus-daemon --config-file="$conf/bus.conf" --nofork --nopidfile 2> "$conf/bus.err" &
bus=$!
for _ in $(seq 100); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.05; done
[ -S /run/dbus/system_bus_socket ] || { kill $bus; fail "dbus-daemon did not start: $(cat "$conf/bus.err")"; }
avahi-daemon -f "$conf/avahi.conf" --no-drop-root --no-chroot --no-rlimits \
	> "$conf/avahi.out" 2>&1 &
avahi=$!
up=
for _ in $(seq 100); do
	if dbus-send --system --print-reply --dest=org.freedesktop.Avahi / \
		org.freedesktop.Avahi.Server.GetState > /dev/null 2>&1; then up=1; break; fi
	sleep 0.05
done
if [ -z "$up" ]; then
	kill $avahi $bus 2>/dev/null
	fail "avahi-daemon did not come up: $(cat "$conf/avahi.out")"
fi
"$@"
st=$?
kill $avahi 2>/dev/null; wait $avahi 2>/dev/null
kill $bus 2>/dev/null; wait $bus 2>/dev/null
exit $st
