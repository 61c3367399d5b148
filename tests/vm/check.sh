#!/usr/bin/env bash
# check.sh RESULTS_DIR: owns the host side of the VM test stage (run by
# tests/vm/stage.bash for `make check` and `make check-vm`). It builds the
# guest's tools (gfsmidi, rawping, rawcat) into RESULTS_DIR/tools, fetches udevd
# (Debian's udev package, unpacked, not installed) into the cache, and boots
# the VM once (run-vm.sh) to run tests/vm/guest.sh against bin/ and
# libexec/ of this checkout. Results: RESULTS_DIR/guest.tap (TAP),
# bench.json (benchmark figures), check-N.log, console.log, gfsmidi.log.
# Exit status: the guest's (the number of failed checks; 124 time limit, 125
# no code); 77 when the VM cannot run here, with the reason in
# RESULTS_DIR/cannot; 1 when the checkout is not built.
# Environment: MIDI_VM_CACHE (kernel, image and udev cache, default
# ${XDG_CACHE_HOME:-~/.cache}/midi-vm), VM_LIMIT (seconds, default 900).
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
[ $# -eq 1 ] || { echo "usage: $0 RESULTS_DIR" >&2; exit 2; }
mkdir -p "$1" && res=$(realpath "$1") || exit 1
: > "$res/guest.tap"
rm -f "$res/cannot"
cannot() { echo "$*" > "$res/cannot"; echo "vm: cannot run: $*" >&2; exit 77; }
if [ ! -x bin/midi-list ] || [ ! -x libexec/midi-helper ]; then
	echo "vm: bin/ and libexec/ are not built (run make)" >&2
	exit 1
fi
cache=${MIDI_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/midi-vm}
mkdir -p "$cache" || cannot "cannot create the cache $cache"

tools=$res/tools
mkdir -p "$tools"
if ! cc -O2 -Wall -Wextra -pthread -o "$tools/gfsmidi" tests/vm/gfsmidi.c ||
	! cc -O2 -Wall -Wextra -o "$tools/rawping" tests/vm/rawping.c ||
	! cc -O2 -Wall -Wextra -o "$tools/rawcat" tests/vm/rawcat.c ||
	! cc -O2 -Wall -Wextra -o "$tools/seqping" tests/vm/seqping.c -lasound -lm; then
	echo "vm: cannot build tests/vm/gfsmidi.c, rawping.c, rawcat.c or seqping.c (seqping needs libasound2-dev)" >&2
	exit 1
fi

# udevd for the guest: libusb hears of hotplug only through it.
udevd=$cache/udev/systemd-udevd
if [ ! -x "$cache/udev/bin/udevadm" ]; then
	(cd "$cache" && rm -rf udev udev_*.deb && apt-get download -q udev >&2 &&
		dpkg-deb -x udev_*.deb udev) || cannot "apt-get download udev failed (needs working apt sources)"
	ln -sf bin/udevadm "$udevd"   # udevadm runs as udevd by that name
fi

tests/vm/run-vm.sh -q -w "$cache" -d "$res" -l "$res/console.log" -t "${VM_LIMIT:-900}" \
	tests/vm/guest.sh "$top" "$tools" "$udevd" 2> "$res/run-vm.err"
rc=$?
cat "$res/run-vm.err" >&2
if [ $rc -eq 77 ]; then
	sed -n 's/^run-vm: cannot run: //p' "$res/run-vm.err" > "$res/cannot"
fi
exit $rc
