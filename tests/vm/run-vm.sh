#!/usr/bin/env bash
# run-vm.sh [options] GUEST_SCRIPT [ARGS...]: owns booting the test VM.
# Boots Debian's own kernel under QEMU (TCG, never KVM) and runs GUEST_SCRIPT
# as root inside it. The guest sees the host's whole file system (read-only,
# its writes kept in RAM) and one host folder shared read-write at the same
# path, where the script runs. The last line is
#   run-vm: guest script exit code N
# and the exit status is N; 124: the time limit was hit; 125: the VM gave no
# code; 77: the VM cannot run here (a missing program, no kernel package),
# with a line "run-vm: cannot run: WHY" on standard error.
# Options:
#   -d DIR      host folder shared read-write (default: the current folder)
#   -w WORKDIR  kernel package and VM image cache (default: $MIDI_VM_CACHE,
#               else ${XDG_CACHE_HOME:-~/.cache}/midi-vm); kept between runs
#   -k DEB      boot this kernel package instead of the one Debian's
#               linux-image-amd64 depends on
#   -l FILE     the guest's console log (default: WORKDIR/console.log)
#   -q          do not copy the console to standard output
#   -t SECONDS  time limit for the VM run (default 600)
#   -m MIB      guest memory (default 1024)
# Adapted from the team's lab kit (MIT); the project needs nothing of it.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,/^set /s/^# \{0,1\}//p' "$0" >&2; exit 2; }
cannot() { echo "run-vm: cannot run: $*" >&2; exit 77; }
DIR=$PWD WORK=${MIDI_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/midi-vm}
DEB='' LIMIT=600 MEM=1024 LOG='' QUIET=0
while getopts d:w:k:l:qt:m: o; do
	case $o in
	d) DIR=$OPTARG ;; w) WORK=$OPTARG ;; k) DEB=$OPTARG ;; l) LOG=$OPTARG ;;
	q) QUIET=1 ;; t) LIMIT=$OPTARG ;; m) MEM=$OPTARG ;; *) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
SCRIPT=$(realpath "$1"); shift
DIR=$(realpath "$DIR")
[ "$DIR" != / ] || { echo "run-vm: -d / is not allowed" >&2; exit 2; }

for p in qemu-system-x86_64:qemu-system-x86 busybox:busybox-static depmod:kmod \
	modprobe:kmod dpkg-deb:dpkg apt-get:apt flock:util-linux; do
	command -v "${p%%:*}" >/dev/null || cannot "${p%%:*} is not installed (Debian package ${p#*:})"
done
qemu-system-x86_64 --version >/dev/null 2>&1 || cannot "qemu-system-x86_64 does not start"
mkdir -p "$WORK" || cannot "cannot create the cache $WORK"
WORK=$(realpath "$WORK")
[ -n "$LOG" ] || LOG=$WORK/console.log

# The kernel package and the image are shared by concurrent runs: one at a
# time makes them.
exec 9>"$WORK/lock"
flock 9
if [ -z "$DEB" ]; then
	# Its name changes with every ABI bump, so ask apt.
	K=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$K" ] || cannot "apt knows no linux-image-amd64 (run apt-get update)"
	debs=("$WORK/${K}"_*.deb)
	DEB=${debs[0]}
	if [ ! -f "$DEB" ]; then
		rm -f "$WORK"/linux-image-*.deb   # an older ABI
		(cd "$WORK" && apt-get download -q "$K" >&2) || cannot "apt-get download $K failed"
		debs=("$WORK/${K}"_*.deb)
		DEB=${debs[0]}
	fi
fi
DEB=$(realpath "$DEB")

# The image, rebuilt when the package, init or mkvm.sh change.
IMG=$WORK/image
STAMP="$(basename "$DEB") $(cksum < "$HERE/init") $(cksum < "$HERE/mkvm.sh")"
if [ "$(cat "$IMG/stamp" 2>/dev/null)" != "$STAMP" ]; then
	"$HERE/mkvm.sh" "$DEB" "$IMG" >&2 || cannot "mkvm.sh could not make the image from $DEB"
	echo "$STAMP" > "$IMG/stamp"
fi
flock -u 9

# The job folder, shared with the guest: where to run what; the exit code
# comes back in job/rc.
JOB=$(mktemp -d "$WORK/job.XXXXXX")
trap 'rm -rf "$JOB"' EXIT
echo "$DIR" > "$JOB/dir"
if [ -x "$SCRIPT" ]; then RUN=("$SCRIPT" "$@"); else RUN=(/bin/bash "$SCRIPT" "$@"); fi
{
	echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8'
	printf 'cd %q || exit 125\nexec' "$DIR"
	printf ' %q' "${RUN[@]}"
	echo
} > "$JOB/job.sh"

esc() { printf %s "$1" | sed 's/,/,,/g'; }   # QEMU option values double commas
echo "run-vm: kernel $(cat "$IMG/kernel-version"), running $SCRIPT in $DIR"
T0=$SECONDS
out=/dev/stdout
[ $QUIET = 1 ] && out=/dev/null
timeout "$LIMIT" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$MEM" \
	-nographic -no-reboot -nic none \
	-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$(esc "$JOB"),mount_tag=job,security_model=none" \
	-virtfs "local,path=$(esc "$DIR"),mount_tag=hostdir,security_model=none,multidevs=remap" \
	</dev/null 2>&1 | sed -u 's/\x1b[^a-zA-Z]*[a-zA-Z]//g' | tee "$LOG" > "$out"
QEMU_RC=${PIPESTATUS[0]}   # (sed drops the firmware's terminal escapes)
echo "run-vm: the VM ran $((SECONDS - T0)) s"

if [ -s "$JOB/rc" ]; then
	RC=$(cat "$JOB/rc")
elif [ "$QEMU_RC" = 124 ]; then
	RC=124; echo "run-vm: time limit of $LIMIT s reached"
else
	RC=125; echo "run-vm: the guest reported no exit code (qemu exit $QEMU_RC)"
fi
echo "run-vm: guest script exit code $RC"
exit "$RC"
