#!/usr/bin/env bats
# man.bats: the manual pages: every public function of libmidi (each
# prototype in libmidi/include/midi/*.h) is documented (.Fn or .Nm) in a
# page of section 3, and every page is mandoc -Tlint clean at warning level.

load helpers

@test "every public function is documented in a manual page of section 3" {
	declared=$("$MIDI_TOP/tests/public-functions.py" "$MIDI_TOP"/libmidi/include/midi/*.h)
	[ "$(echo "$declared" | wc -l)" -gt 100 ] || fail "too few public functions found: $declared"
	# .Fn / .Fo / .Nm NAME, at the start of a line or inside one (.It Ft T Fn NAME)
	documented=$(grep -ohE '(^\.|[[:space:]])(Fn|Fo|Nm) midi_[A-Za-z0-9_]+' "$MIDI_TOP"/man/*.3 |
		awk '{print $NF}' | sort -u)
	missing=$(echo "$declared" | grep -vxF -e "$documented" || true)
	[ -z "$missing" ] || fail "public functions no manual page documents: $(echo $missing)"
}

@test "every manual page is mandoc -Tlint clean (warnings and worse)" {
	command -v mandoc >/dev/null || skip "mandoc not installed"
	run mandoc -Tlint -Wwarning "$MIDI_TOP"/man/*.[1-8]
	[ -z "$output" ] || fail "mandoc -Tlint -Wwarning: $output"
	assert_success
}
