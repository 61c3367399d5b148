#!/usr/bin/env bats
# api.bats: the public archive (build/libmidi.a, what is installed and what
# the programs link) defines no global name without the midi_ prefix, so
# the library's internal functions cannot clash with a program's, and
# every midi_ function it defines is declared in a public header.

load helpers

lib() { echo "$MIDI_TOP/build/libmidi.a"; }

# defined_globals ARCHIVE: every global symbol ARCHIVE defines, one a line.
defined_globals() {
	nm -g --defined-only "$1" | awk 'NF == 3 { print $3 }' | sort -u
}

@test "libmidi.a defines no global symbol without the midi_ prefix" {
	[ -f "$(lib)" ] || fail "$(lib) not built (make all)"
	run defined_globals "$(lib)"
	assert_success
	[ "${#lines[@]}" -gt 100 ] || fail "only ${#lines[@]} globals in $(lib)"
	bad=$(printf '%s\n' "${lines[@]}" | grep -v '^midi_' || true)
	[ -z "$bad" ] || fail "globals of $(lib) without the midi_ prefix: $(echo $bad)"
}

@test "every midi_ function of libmidi.a is declared in a public header" {
	declared=$("$MIDI_TOP/tests/public-functions.py" "$MIDI_TOP"/libmidi/include/midi/*.h)
	[ -n "$declared" ]
	undeclared=$(defined_globals "$(lib)" | grep '^midi_' | grep -vxF -e "$declared" || true)
	[ -z "$undeclared" ] || fail "defined by $(lib) but in no public header: $(echo $undeclared)"
}

@test "the programs and the helper link the public archive, not the internal one" {
	run bash -c "make -C '$MIDI_TOP' -n -B bin/midi-list libexec/midi-helper 2>/dev/null | grep -E ' -o (bin|libexec)/'"
	assert_success
	assert_line --regexp ' -o bin/midi-list .*build/libmidi\.a'
	assert_line --regexp ' -o libexec/midi-helper .*build/libmidi\.a'
	refute_output --partial 'libmidi-internal.a'
}

@test "a program may define functions named like the library's internal ones" {
	# hexval and text_init are internal functions of the hex reader and
	# the text printer; with them global, this program would not link.
	T=$BATS_TEST_TMPDIR
	cat >"$T/prog.c" <<'EOC'
#include <midi/format.h>
int hexval(int c) { return c; }
int text_init(void) { return 2; }
int main(void)
{
	midi_error e;
	midi_reader *r = midi_reader_new(MIDI_FMT_HEX, 0, &e);
	midi_reader_free(r);
	return r ? hexval(1) + text_init() : 0;
}
EOC
	run cc -std=gnu11 -I"$MIDI_TOP/libmidi/include" -o "$T/prog" "$T/prog.c" "$(lib)" \
		$(pkg-config --libs $(sed -n 's/^Requires.private: *//p' "$MIDI_TOP/build/midi.pc")) -lpthread -lm
	assert_success
	run "$T/prog"
	assert_failure 3
}

@test "no program and not the helper load avahi-client at start (loaded when DNS-SD is used)" {
	for p in "$MIDI_TOP"/bin/midi-* "$MIDI_TOP/libexec/midi-helper"; do
		run readelf -d "$p"
		assert_success
		assert_output --partial 'Shared library: [libc.so'
		refute_output --partial 'libavahi'
		refute_output --partial 'libdbus'
	done
}
