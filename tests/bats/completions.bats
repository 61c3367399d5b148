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
	[ "$output" = "text ump hex bin json" ]
	complete_line "midi-send -f s"
	[ "$output" = "smf" ]
	complete_line "midi-mon --type note,c"
	[ "$output" = "note,cc note,clock" ]
	complete_line "midi-mon --type -p"
	[ "$output" = "-pressure -pc -pb -pernote" ]
}

@test "bash: midi-loop commands and removable pairs" {
	complete_line "midi-loop "
	[ "$output" = "create remove list virtual ping test" ]
	midi-loop create one
	mkdir -p "$XDG_CONFIG_HOME/midi"
	printf '[loop fixed]\n' >"$XDG_CONFIG_HOME/midi/midi.conf"
	complete_line "midi-loop remove "
	[ "$output" = "one" ]
}

@test "zsh and fish completion files parse" {
	top=${MIDI_TOP:-$BATS_TEST_DIRNAME/../..}
	if command -v zsh >/dev/null; then zsh -n "$top/completions/_midi"; fi
	if command -v fish >/dev/null; then fish -n "$top/completions/midi.fish"; fi
	bash -n "$top/completions/midi.bash"
}
