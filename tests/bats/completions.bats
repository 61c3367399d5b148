#!/usr/bin/env bats
# completions.bats: the bash completion offers live endpoint ids for -e
# (also after "diag:", which bash splits words at), option names from
# --help, formats, --type list items, midi-loop commands and removable
# pairs; the zsh and fish files parse (when those shells are installed).

load helpers

@test "bash: -e offers the endpoint ids, also after a colon" {
	midi-loop create studio
	complete_line "midi-mon -e "
	[ "$output" = "diag:loopback-a diag:loopback-b diag:ping loop:studio-a loop:studio-b" ]
	complete_line "midi-send -e diag:lo"
	[ "$output" = "loopback-a loopback-b" ]
	complete_line "midi-list --endpoint=loop:st"
	[ "$output" = "studio-a studio-b" ]
}

@test "bash: options come from --help; formats and types complete" {
	complete_line "midi-mon --ty"
	[ "$output" = "--type" ]
	complete_line "midi-list --j"
	[ "$output" = "--json" ]
	complete_line "midi-mon -f "
	[ "$output" = "text ump hex bin json smf" ]
	complete_line "midi-send -n -F "
	[ "$output" = "ump hex bin text json smf" ]
	complete_line "midi-mon --smf-format "
	[ "$output" = "0 1" ]
	complete_line "midi-mon --div"
	[ "$output" = "--division" ]
	complete_line "midi-send -f s"
	[ "$output" = "smf" ]
	complete_line "midi-mon --type note,c"
	[ "$output" = "note,cc note,clock" ]
	complete_line "midi-mon --type -p"
	[ "$output" = "-pressure -pc -pb -pernote" ]
	complete_line "midi-loop net-host --no-a"
	[ "$output" = "--no-advertise" ]
	complete_line "midi-send --clo"
	[ "$output" = "--clock --clock-only" ]
	complete_line "midi-send --clock "
	[ -z "$output" ]
}

@test "bash: midi-loop commands and removable pairs" {
	complete_line "midi-loop "
	[ "$output" = "create remove list route unroute routes virtual ping test net-host" ]
	midi-loop create one
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[loop fixed]\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	complete_line "midi-loop remove "
	[ "$output" = "one" ]
}

@test "bash: midi-loop unroute offers the transient routes, route the endpoints" {
	midi-loop route r1 diag:loopback-b loop:x-a
	complete_line "midi-loop unroute "
	[ "$output" = "r1" ]
	complete_line "midi-loop route r2 diag:loopback-"
	[ "$output" = "loopback-a loopback-b" ]
}

@test "the bash completion file parses" {
	bash -n "${MIDI_TOP:-$BATS_TEST_DIRNAME/../..}/completions/midi.bash"
}

@test "the zsh completion file parses" {
	command -v zsh >/dev/null || skip "zsh not installed"
	zsh -n "${MIDI_TOP:-$BATS_TEST_DIRNAME/../..}/completions/_midi"
}

@test "the fish completion file parses" {
	command -v fish >/dev/null || skip "fish not installed"
	fish -n "${MIDI_TOP:-$BATS_TEST_DIRNAME/../..}/completions/midi.fish"
}
