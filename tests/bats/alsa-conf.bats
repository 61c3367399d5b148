#!/usr/bin/env bats
# alsa-conf.bats: the alsa transport's [alsa-export PATTERN] sections of
# midi.conf are checked like every section: a bad value, a name ALSA cannot
# take, an unknown key or a missing pattern is an error naming the file and
# line (exit 2, for every program that reads the configuration); good
# sections change nothing a program without ALSA sees. (What they do to the
# exported ports is checked in the VM: tests/vm/guest-export.sh.)

load helpers

setup() {
	pkg-config --exists alsa || skip "built without alsa-lib (libasound2-dev)"
	midi_setup
	mkdir -p "$XDG_CONFIG_HOME/midi"
}

conf() { printf "$1" >"$XDG_CONFIG_HOME/midi/midi.conf"; }

@test "[alsa-export] with good keys is accepted" {
	conf '[alsa-export diag:*]\nexport = no\n[alsa-export loop:studio-a]\nname = Studio A\nexport = yes\n'
	run midi-list -a --ids
	assert_success
	assert_line 'diag:loopback-a'
}

@test "[alsa-export] export must be yes or no, named with its line" {
	conf '# ports\n[alsa-export diag:ping]\nexport = maybe\n'
	run midi-list
	assert_failure 2
	assert_output --partial 'midi.conf line 3'
	assert_output --partial 'export = "maybe": use yes or no'
}

@test "[alsa-export] a port name longer than ALSA takes is refused" {
	conf "[alsa-export diag:ping]\nname = $(printf 'x%.0s' {1..64})\n"
	run midi-send -n on C3 100
	assert_success # a dry run reads no configuration
	run midi-list
	assert_failure 2
	assert_output --partial 'line 2: name: an ALSA port name has 1 to 63 characters'
}

@test "[alsa-export] unknown keys and a missing pattern are errors" {
	conf '[alsa-export diag:ping]\nport = 3\n'
	run midi-list
	assert_failure 2
	assert_output --partial 'line 2: unknown key "port" in [alsa-export] (export, name)'
	conf '[alsa-export]\nexport = no\n'
	run midi-list
	assert_failure 2
	assert_output --partial 'line 1'
}
