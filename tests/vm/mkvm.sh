#!/usr/bin/env bash
# mkvm.sh KERNEL_DEB OUTDIR: owns making the test VM's boot image from a
# Debian kernel package (run by run-vm.sh). It unpacks the .deb (nothing is
# installed), takes the modules listed below plus everything they depend on,
# and packs them with busybox and ./init into an initramfs. Results:
# OUTDIR/vmlinuz, OUTDIR/initrd.gz, OUTDIR/kernel-version. Takes 5-20 s.
# Needs: dpkg-deb, kmod (depmod, modprobe), busybox-static, xz-utils and
# zstd (compressed modules), gzip. Adapted from the team's lab kit (MIT).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 KERNEL_DEB OUTDIR" >&2; exit 2; }
DEB=$1 OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
MODULES=(
	virtio_pci 9pnet_virtio 9p overlay     # the host's files, over virtio 9p
	configfs                               # for the USB gadget set-up
	dummy_hcd                              # a USB host and device side in one kernel
	libcomposite usb_f_midi                # configfs USB-MIDI 1.0 gadget (f_midi)
	gadgetfs                               # USB devices written in user space
	snd-usb-audio                          # the kernel's USB-MIDI host driver
	snd-seq snd-seq-midi snd-seq-dummy     # the ALSA sequencer, its raw MIDI ports, Midi Through
	snd-virmidi                            # virtual raw MIDI cables (the alsa transport's checks)
	usbmon                                 # USB traffic, printed when a round trip fails
)
BUSYBOX=$(command -v busybox)
if ldd "$BUSYBOX" >/dev/null 2>&1; then echo "$BUSYBOX is not static: install busybox-static" >&2; exit 1; fi

rm -rf "$OUT"
mkdir -p "$OUT/root" "$OUT/initrd"/{bin,mods,proc,sys,dev}
dpkg-deb -x "$DEB" "$OUT/root"
KVER=$(ls "$OUT/root/lib/modules")
depmod -b "$OUT/root" "$KVER"

# modprobe --show-depends prints "insmod PATH" lines in load order (and
# "builtin NAME" for built-in ones); keep each path once, in that order.
for m in "${MODULES[@]}"; do
	modprobe -d "$OUT/root" -S "$KVER" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$OUT/modpaths"

# Copy the modules into the initramfs, decompressed (busybox insmod reads plain .ko).
while read -r p; do
	b=$(basename "$p")
	case $b in
	*.xz)  xz -dc "$p" > "$OUT/initrd/mods/${b%.xz}"; b=${b%.xz} ;;
	*.zst) zstd -qdc "$p" > "$OUT/initrd/mods/${b%.zst}"; b=${b%.zst} ;;
	*)     cp "$p" "$OUT/initrd/mods/" ;;
	esac
	echo "$b"
done < "$OUT/modpaths" > "$OUT/initrd/modules.txt"

cp "$BUSYBOX" "$OUT/initrd/bin/busybox"
install -m 755 "$HERE/init" "$OUT/initrd/init"
(cd "$OUT/initrd" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1 > ../initrd.gz)
cp "$OUT/root/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
echo "$KVER" > "$OUT/kernel-version"
rm -rf "$OUT/root" "$OUT/initrd"
echo "mkvm: kernel $KVER, $(wc -l < "$OUT/modpaths") modules, initrd $(du -h "$OUT/initrd.gz" | cut -f1)"
