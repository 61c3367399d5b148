# guest-export.sh: owns the alsa transport's export checks of
# tests/vm/guest.sh (sourced there, inside the VM): the toolkit's endpoints
# as ports of the sequencer client "midi toolkit", against the real
# alsa-utils programs: aconnect lists them (named and chosen by
# [alsa-export] sections of midi.conf); aseqdump gets what midi-send sends;
# aplaymidi plays a real .mid file (openttd-openmsx, cut to its first
# seconds) into one and midi-mon sees every event in order; a killed agent
# is replaced and aseqdump's connection comes back.
# Uses from guest.sh and guest-lib.sh: T, LIMIT, XDG_CONFIG_HOME, check
# helpers, wait_for.
# shellcheck shell=bash

XC='' # the export's client number

# export_port NAME: the number of the exported port named NAME.
export_port() {
	awk -v c="$XC" -v n="$1" '
		/^Client / { in_c = ($2 == c) }
		in_c && /^  Port / { name = $0; sub(/^  Port +[0-9]+ : "/, "", name); sub(/" \(.*$/, "", name)
			if (name == n) { p = $2; sub(/:$/, "", p); print p; found = 1; exit } }
		END { exit !found }' /proc/asound/seq/clients
}
export_client() {
	XC=$(awk '/^Client .*"midi toolkit"/ { c = $2; sub(/:$/, "", c); print c; exit }' /proc/asound/seq/clients)
	[ -n "$XC" ]
}
no_export_port() { ! export_port "$1" > /dev/null; }
# connected PORT_NAME PEER: the exported port has a connection with client PEER.
connected() {
	awk -v c="$XC" -v n="$1" '
		/^Client / { in_c = ($2 == c) }
		in_c && /^  Port / { name = $0; sub(/^  Port +[0-9]+ : "/, "", name); sub(/" \(.*$/, "", name); in_p = (name == n); next }
		in_c && in_p && /Connect/ { print }' /proc/asound/seq/clients | grep -q "$2"
}
aseq_client() { awk '/^Client .*"aseqdump"/ { c = $2; sub(/:$/, "", c); print c; exit }' /proc/asound/seq/clients; }

export_listed() {
	cat >> "$XDG_CONFIG_HOME/midi/midi.conf" <<-'EOF'
	[alsa-export diag:ping]
	export = no
	[alsa-export diag:loopback-b]
	name = Loopback B (toolkit)
	EOF
	# a program that keeps the toolkit in use (the loopbacks are exported
	# while one runs)
	spawn midi-watch > /dev/null
	wait_for "$LIMIT" export_client || { cat /proc/asound/seq/clients; return 1; }
	wait_for "$LIMIT" export_port 'Loopback B (toolkit)' || { cat /proc/asound/seq/clients; return 1; }
	aconnect -l
	aconnect -l | grep -q "'Diagnostic loopback A'" && aconnect -l | grep -q "'Loopback B (toolkit)'" &&
		! aconnect -l | grep -q "'Diagnostic ping'" || return 1
	# the agent carries the data: SCHED_FIFO (root may)
	chrt -p "$(pgrep -f '^midi-agent agent alsa ')" | tee "$T/xchrt"
	grep -q 'policy: SCHED_FIFO' "$T/xchrt" || return 1
	# an application's virtual device comes and goes with its program
	midi-loop virtual xsynth > /dev/null 2>&1 & local v=$!
	wait_for "$LIMIT" export_port xsynth || { kill $v; aconnect -l; return 1; }
	kill $v; wait $v 2>/dev/null
	wait_for "$LIMIT" no_export_port xsynth
}

export_to_aseqdump() {
	need XC || return 1
	local pb; pb=$(export_port 'Loopback B (toolkit)') || return 1
	stdbuf -oL aseqdump -p "$XC:$pb" > "$T/xaseq" 2>&1 & BG+=($!)
	XASEQ=${BG[-1]}
	wait_for "$LIMIT" grep -q 'Waiting' "$T/xaseq" || { cat "$T/xaseq"; return 1; }
	midi-send -e diag:loopback-a on C3 100 cc 7 99 off C3 || return 1
	wait_for "$LIMIT" grep -q 'Note off' "$T/xaseq"
	local r=$?
	cat "$T/xaseq"
	[ $r = 0 ] && grep -q 'Note on .*0, note 60, velocity 100' "$T/xaseq" &&
		grep -q 'Control change .*0, controller 7, value 99' "$T/xaseq"
}

# The first seconds of a real song (every channel message and SysEx,
# with their times), as a format 1 file aplaymidi can play.
cut_song() {
	python3 - "$1" "$2" <<-'EOF'
	import sys, mido
	src = mido.MidiFile(sys.argv[1])
	out = mido.MidiFile(type=1, ticks_per_beat=src.ticks_per_beat)
	limit = 6.0
	for tr in src.tracks:
	    t = mido.MidiTrack(); out.tracks.append(t); now = 0.0; tempo = 500000; tick = 0; pend = 0
	    for m in tr:
	        pend += m.time
	        if m.type == 'set_tempo': tempo = m.tempo
	        now += mido.tick2second(m.time, src.ticks_per_beat, tempo)
	        if now > limit: break
	        if m.is_meta and m.type != 'set_tempo': continue
	        t.append(m.copy(time=pend)); pend = 0
	out.save(sys.argv[2])
	EOF
}

export_aplaymidi() {
	need XC || return 1
	local song=/usr/share/games/openttd/baseset/openmsx/boogi_marabi_redfarn.mid pa
	[ -r "$song" ] || { echo "no $song (openttd-openmsx)"; return 1; }
	cut_song "$song" "$T/cut.mid" || return 1
	pa=$(export_port 'Diagnostic loopback A') || return 1
	midi-send -n -f smf -i "$T/cut.mid" > "$T/want.ump" || return 1
	local n; n=$(wc -l < "$T/want.ump")
	log "$n packets in the first seconds of $(basename "$song")"
	spawn midi-mon -e diag:loopback-b -f ump -c "$n" -t 120 > "$T/got.ump"
	wait_for "$LIMIT" has_client diag:loopback-b || return 1
	aplaymidi -p "$XC:$pa" "$T/cut.mid" || return 1
	wait_for "$LIMIT" not_running "${BG[-1]}"
	wc -l "$T/want.ump" "$T/got.ump"
	diff "$T/want.ump" "$T/got.ump" | head -20
	cmp -s "$T/want.ump" "$T/got.ump"
}

# Kill the agent that holds the export: the next program starts another,
# which makes aseqdump's connection again.
export_replaced() {
	need XASEQ || return 1
	local pb ac; pb=$(export_port 'Loopback B (toolkit)') || return 1
	ac=$(aseq_client)
	connected 'Loopback B (toolkit)' "$ac:0" || { cat /proc/asound/seq/clients; return 1; }
	pkill -KILL -f '^midi-agent agent alsa' || return 1
	wait_for "$LIMIT" no_export_port 'Loopback B (toolkit)' || return 1
	midi-list > /dev/null # any program starts the agent again
	wait_for "$LIMIT" export_client && wait_for "$LIMIT" export_port 'Loopback B (toolkit)' || return 1
	wait_for "$LIMIT" connected 'Loopback B (toolkit)' "$ac:0" || { cat /proc/asound/seq/clients; return 1; }
	log "after the agent was replaced: port $(export_port 'Loopback B (toolkit)') of client $XC, connected to aseqdump"
	midi-send -e diag:loopback-a on D3 90 || return 1
	wait_for "$LIMIT" grep -q 'note 62, velocity 90' "$T/xaseq"
	local r=$?
	tail -n 3 "$T/xaseq"
	return $r
}

# --- benchmarks of the bridge, as information (bench-alsa.json) ---------

MT='Midi Through:0' AMT='alsa:Midi-Through:Midi-Through-Port-0'
BA_IMPORT=null BA_BASE=null BA_EXPORT=null BA_SCHED=null

# Round trip through Midi Through (it sends on what it gets): a plain
# sequencer client (seqping) against midi-loop test through the import
# host (two hops through the bridge). 20 warm-up messages first start the
# host: the figures are steady state, as seqping's (the first round trips
# of a cold start include the host's start, 0.2-0.4 s under TCG).
bench_alsa_import() {
	cleanup_bg
	BA_BASE=$("$TOOLS/seqping" rt "$MT" "$MT" 200 10) && echo "seqping: $BA_BASE" || return 1
	BA_IMPORT=$(midi-loop test "$AMT" "$AMT" -c 200 -i 10 --warm-up 20 --json) &&
		echo "midi-loop test: $BA_IMPORT"
}

# Round trip from ALSA through the export: seqping writes to the port of
# diag:loopback-a and reads the port of diag:loopback-b.
bench_alsa_export() {
	need XC || return 1
	spawn midi-watch > /dev/null    # keeps the toolkit in use
	wait_for "$LIMIT" export_port 'Diagnostic loopback A' || return 1
	local pa pb; pa=$(export_port 'Diagnostic loopback A') pb=$(export_port 'Loopback B (toolkit)') || return 1
	BA_EXPORT=$("$TOOLS/seqping" rt "$XC:$pa" "$XC:$pb" 200 10) && echo "seqping through the export: $BA_EXPORT"
}

# 50 notes 20 ms apart, scheduled by the broker (midi-send), delivered by
# the import host to Midi Through; seqping times their arrivals.
bench_alsa_sched() {
	"$TOOLS/seqping" times "$MT" 50 20 120 > "$T/sched.json" 2> "$T/sched.err" & local sp=$!
	wait_for "$LIMIT" grep -q ready "$T/sched.err" || return 1
	{ echo 'on C3 100'; for _ in $(seq 49); do echo '+20 on C3 100'; done; } |
		midi-send -e "$AMT" || return 1
	wait "$sp" || { cat "$T/sched.json" "$T/sched.err"; return 1; }
	BA_SCHED=$(cat "$T/sched.json") && echo "scheduled 20 ms apart, through the bridge: $BA_SCHED"
}

bench_alsa_write() {
	printf '{"import_round_trip":{"project_midi_loop_test":%s,"baseline_seqping":%s},"export_round_trip":{"seqping_through_export":%s,"baseline_seqping":%s},"scheduled_20ms":%s}\n' \
		"$BA_IMPORT" "$BA_BASE" "$BA_EXPORT" "$BA_BASE" "$BA_SCHED" > "$RES/bench-alsa.json"
}
