# midi.bash: bash completion for midi-list, midi-watch, midi-send, midi-mon,
# midi-sysex and midi-loop. Option names come from each program's --help, so
# they always match the installed programs; endpoint ids for -e come from
# `midi-list -a --ids` (the endpoints that exist now, diagnostic ones
# included). Ids contain ':', which bash splits words at, so the word being
# completed is taken from the command line itself.

_midi_endpoint_ids() {
	midi-list -a --ids 2>/dev/null
}

_midi_option_names() {
	"$1" --help 2>/dev/null | grep -oE '(^|[ ,])--?[A-Za-z][-A-Za-z0-9]*' | tr -d ' ,' | sort -u
}

# Complete the last item of a comma-separated list from the words in $2.
_midi_list_items() {
	local cur=$1 words=$2 head=
	[[ $cur == *,* ]] && head=${cur%,*},
	local item=${cur##*,} neg=
	[[ $item == -* ]] && neg=- && item=${item#-}
	COMPREPLY=($(compgen -W "$words" -P "$head$neg" -- "$item"))
	compopt -o nospace 2>/dev/null
}

_midi() {
	local prog=${COMP_WORDS[0]##*/}
	local line=${COMP_LINE:0:COMP_POINT} cur prev
	local -a words
	read -ra words <<<"$line"
	if [[ -z $line || $line == *[[:space:]] ]]; then
		cur= prev=${words[${#words[@]}-1]}
	else
		cur=${words[${#words[@]}-1]} prev=${words[${#words[@]}-2]}
	fi
	if [[ $cur == --*=* ]]; then
		prev=${cur%%=*} cur=${cur#*=}
	fi
	COMPREPLY=()

	local handled=1
	case $prev in
	-e | --endpoint)
		COMPREPLY=($(compgen -W "$(_midi_endpoint_ids)" -- "$cur"))
		;;
	-f | --format)
		case $prog in
		midi-send) COMPREPLY=($(compgen -W "text hex ump bin smf" -- "$cur")) ;;
		midi-mon) COMPREPLY=($(compgen -W "text ump hex bin json smf" -- "$cur")) ;;
		midi-sysex) COMPREPLY=($(compgen -W "bin hex" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "text ump hex bin json" -- "$cur")) ;;
		esac
		;;
	-P | --protocol)
		COMPREPLY=($(compgen -W "midi1 midi2" -- "$cur"))
		;;
	-F | --output-format)
		if [[ $prog == midi-loop ]]; then # route --filter
			_midi_list_items "$cur" "note pressure cc pc pb rpn pernote sysex system clock sense utility stream flex other voice midi1 midi2 all"
		else
			COMPREPLY=($(compgen -W "ump hex bin text json smf" -- "$cur"))
		fi
		;;
	--filter)
		_midi_list_items "$cur" "note pressure cc pc pb rpn pernote sysex system clock sense utility stream flex other voice midi1 midi2 all"
		;;
	--smf-format)
		COMPREPLY=($(compgen -W "0 1" -- "$cur"))
		;;
	--type)
		_midi_list_items "$cur" "note pressure cc pc pb rpn pernote sysex system clock sense utility stream flex other voice midi1 midi2 all"
		;;
	-i | --input | -o | --output)
		[[ $prog == midi-loop ]] && return 0
		[[ $prog == midi-sysex && $prev == -i ]] && return 0 # the interval
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		;;
	--input-format)
		COMPREPLY=($(compgen -W "text ump hex bin" -- "$cur"))
		;;
	--kind)
		COMPREPLY=($(compgen -W "sysex note ump" -- "$cur"))
		;;
	-g | --group | --channel | -c | --count | -t | --timeout | --interval | -W | --wait | -r | --rate | --idle | \
		--name | --function-block | --product-instance-id | --identity | \
		-w | --window | --settle | --max-loss | --max-latency-us | --warm-up | --division | --tempo | \
		--groups | --channels | --clock | --duration | --spp)
		return 0
		;;
	*) handled= ;;
	esac
	if [[ -n $handled ]]; then
		:
	elif [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_midi_option_names "$prog")" -- "$cur"))
	else
		# The command word, for the programs that have commands: the first
		# word that is neither an option nor an option's argument.
		local i n=${#words[@]} cmd=
		[[ -n $cur ]] && n=$((n - 1))
		for ((i = 1; i < n; i++)); do
			case ${words[i]} in
			-e | --endpoint | -f | --format | -i | --input | -o | --output | -g | --group | -P | --protocol | \
				--type | --channel | -c | --count | -t | --timeout | --interval | -W | --wait | -r | --rate | --idle | \
				--input-format | --name | --function-block | --product-instance-id | --identity | \
				-w | --window | --settle | --max-loss | --max-latency-us | --warm-up | --kind | \
				-F | --output-format | --smf-format | --division | --tempo | \
				-l | --listen | -p | --port | --secret | --user | --allow | --fec | --max-sessions | \
				--filter | --groups | --channels | --clock | --duration | --spp)
				((i++)) ;;
			-*) ;;
			*) cmd=${words[i]}; break ;;
			esac
		done
		if [[ -z $cmd ]]; then
			case $prog in
			midi-loop) COMPREPLY=($(compgen -W "create remove list route unroute routes virtual ping test net-host" -- "$cur")) ;;
			midi-sysex) COMPREPLY=($(compgen -W "send capture request" -- "$cur")) ;;
			esac
		elif [[ $prog == midi-loop && $cmd == remove ]]; then
			COMPREPLY=($(compgen -W "$(midi-loop list 2>/dev/null | awk 'NR > 1 && $4 == "transient" { print $1 }')" -- "$cur"))
		elif [[ $prog == midi-loop && $cmd == unroute ]]; then
			COMPREPLY=($(compgen -W "$(midi-loop routes 2>/dev/null | awk 'NR > 1 && $4 == "transient" { print $1 }')" -- "$cur"))
		elif [[ $prog == midi-loop && ( $cmd == test || $cmd == net-host || $cmd == route ) ]]; then
			COMPREPLY=($(compgen -W "$(_midi_endpoint_ids)" -- "$cur"))
		elif [[ $prog == midi-sysex && $cmd == send ]]; then
			COMPREPLY=($(compgen -f -- "$cur"))
			compopt -o filenames 2>/dev/null
		fi
	fi

	# bash splits words at ':'; keep only what follows the last ':' of cur.
	if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
		local colon_prefix=${cur%"${cur##*:}"}
		local k
		for k in "${!COMPREPLY[@]}"; do
			COMPREPLY[k]=${COMPREPLY[k]#"$colon_prefix"}
		done
	fi
	return 0
}

complete -F _midi midi-list midi-watch midi-send midi-mon midi-sysex midi-loop
