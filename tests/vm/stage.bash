# stage.bash: owns how tests/run.sh runs and counts the VM stage (sourced
# by run.sh; `make check` runs it once, `make check-vm` alone). One VM boot
# (tests/vm/check.sh) runs every check of tests/vm/guest.sh; its TAP is
# counted with count_suite (tests/tap.bash). When the VM cannot run here (no
# QEMU, no kernel package), the stage is a skip with the reason, and a
# failure when CI is set: CI must run it.
# Uses run.sh's log, pass, fail, skip and failed_names.
# shellcheck shell=bash disable=SC2154

vm_stage() {
	local res=$log/vm rc why
	echo "== vm (QEMU/TCG: Debian's kernel, USB MIDI gadgets; a few minutes)"
	mkdir -p "$res"
	tests/vm/check.sh "$res" > "$log/vm.out" 2>&1
	rc=$?
	if [ $rc -eq 77 ]; then
		why=$(cat "$res/cannot" 2>/dev/null)
		if [ -n "${CI:-}" ]; then
			fail=$((fail + 1)); failed_names+=("vm: QEMU cannot run: $why")
			echo "  FAIL vm: the VM stage cannot run here: $why (CI is set: it must run in CI)"
		else
			skip=$((skip + 1))
			echo "  SKIP vm: the VM stage cannot run here: $why"
		fi
		return 0
	fi
	grep -E '^(ok|not ok|#)' "$res/guest.tap"
	grep '^run-vm: the VM ran' "$log/vm.out"
	count_suite vm "$res/guest.tap" $rc || { tail -n 8 "$log/vm.out"; tail -n 30 "$res/console.log"; }
}
