# midi.fish: fish completion for the six midi-* programs. Endpoint ids for
# -e come from `midi-list -a --ids` (the endpoints that exist now,
# diagnostic ones included).

function __midi_endpoints
    midi-list -a --ids 2>/dev/null
end

function __midi_loop_names
    midi-loop list 2>/dev/null | awk 'NR > 1 && $4 == "transient" { print $1 }'
end

function __midi_route_names
    midi-loop routes 2>/dev/null | awk 'NR > 1 && $4 == "transient" { print $1 }'
end

for prog in midi-list midi-watch midi-send midi-mon midi-sysex midi-loop
    complete -c $prog -s h -l help -d 'Show help'
    complete -c $prog -l version -d 'Show the version'
end
for prog in midi-list midi-send midi-mon midi-sysex
    complete -c $prog -s e -l endpoint -x -a '(__midi_endpoints)' -d 'Endpoint id or name part'
end

# midi-list
complete -c midi-list -s a -l all -d 'Include diagnostic endpoints'
complete -c midi-list -s v -l verbose -d 'Every property'
complete -c midi-list -l json -d 'JSON array'
complete -c midi-list -l ids -d 'Only the ids'

# midi-watch
complete -c midi-watch -s a -l all -d 'Include diagnostic endpoints'
complete -c midi-watch -l json -d 'JSON lines'
complete -c midi-watch -l once -d 'Print the endpoints present now and exit'
complete -c midi-watch -s c -l count -x -d 'Stop after N events'
complete -c midi-watch -s t -l timeout -x -d 'Stop after SECONDS'

# midi-send
complete -c midi-send -s f -l format -x -a 'text hex ump bin smf' -d 'Input format'
complete -c midi-send -s i -l input -r -F -d 'Read messages from a file'
complete -c midi-send -s g -l group -x -a '(seq 1 16)' -d 'Default group'
complete -c midi-send -s P -l protocol -x -a 'midi1 midi2' -d 'Translate to a protocol'
complete -c midi-send -l interval -x -d 'Milliseconds between messages'
complete -c midi-send -s n -l dry-run -d 'Print UMP packets instead of sending'
complete -c midi-send -s F -l output-format -x -a 'ump hex bin text json smf' -d 'Dry run: output format, with times'
complete -c midi-send -s o -l output -r -F -d 'Dry run: write to a file (.mid: smf)'
complete -c midi-send -s T -l timestamps -d 'Dry run: each line with its time'
complete -c midi-send -l smf-format -x -a '0 1' -d 'smf: file format'
complete -c midi-send -l division -x -d 'smf: ticks per quarter note'
complete -c midi-send -l tempo -x -d 'smf: tempo in bpm'
complete -c midi-send -l reconnect -d 'Wait for the endpoint to come back when it goes away'
complete -c midi-send -l wait -d 'Stay until the last message is due'
complete -c midi-send -l no-wait -d 'Return once everything is handed over'
complete -c midi-send -l clock -x -d 'Send MIDI clock at a tempo (BPM) until stopped'
complete -c midi-send -l duration -x -d 'Clock: stop after seconds'
complete -c midi-send -l continue -d 'Clock: Continue first instead of Start'
complete -c midi-send -l spp -x -d 'Clock: Song Position (sixteenths), then Continue'
complete -c midi-send -l clock-only -d 'Clock: Timing Clock only, no Start/Stop'

# midi-mon
set -l __midi_types note pressure cc pc pb rpn pernote sysex system clock sense utility stream flex other voice midi1 midi2 all
complete -c midi-mon -s f -l format -x -a 'text ump hex bin json smf' -d 'Output format'
complete -c midi-mon -s o -l output -r -F -d 'Write to a file (.mid: record to a MIDI file)'
complete -c midi-mon -l smf-format -x -a '0 1' -d 'smf: file format'
complete -c midi-mon -l division -x -d 'smf: ticks per quarter note'
complete -c midi-mon -l tempo -x -d 'smf: tempo in bpm'
complete -c midi-mon -s T -l timestamps -d 'Prefix relative timestamps'
complete -c midi-mon -l abs-time -d 'Prefix absolute timestamps'
complete -c midi-mon -l from-first -d 'Prefix timestamps from the first message'
complete -c midi-mon -l type -x -a "(__fish_complete_list , 'printf \"%s\n\" $__midi_types')" -d 'Message types to show'
complete -c midi-mon -s g -l group -x -d 'Groups to show, e.g. 1,3-4'
complete -c midi-mon -l channel -x -d 'Channels to show, e.g. 10 or 1-8'
complete -c midi-mon -l clock -d 'Show timing clock'
complete -c midi-mon -l sense -d 'Show active sensing'
complete -c midi-mon -s c -l count -x -d 'Stop after N messages'
complete -c midi-mon -s t -l timeout -x -d 'Stop after SECONDS'
complete -c midi-mon -l reconnect -d 'Wait for the endpoint to come back when it goes away'
complete -c midi-mon -l jr-raw -d 'Show JR Clock/Timestamp messages, times uncorrected'
complete -c midi-mon -l no-tui -d 'Line mode even on a terminal'

# midi-sysex
complete -c midi-sysex -f
complete -c midi-sysex -n __fish_use_subcommand -a send -d 'Send .syx files'
complete -c midi-sysex -n __fish_use_subcommand -a capture -d 'Capture SysEx into a .syx file'
complete -c midi-sysex -n __fish_use_subcommand -a request -d 'Send one message, print the reply'
set -l __sx_send '__fish_seen_subcommand_from send'
set -l __sx_capture '__fish_seen_subcommand_from capture'
set -l __sx_request '__fish_seen_subcommand_from request'
complete -c midi-sysex -n $__sx_send -F
complete -c midi-sysex -n $__sx_send -s g -l group -x -a '(seq 1 16)' -d 'Group 1-16'
complete -c midi-sysex -n $__sx_send -s i -l interval -x -d 'Milliseconds between messages (default 20)'
complete -c midi-sysex -n $__sx_send -s r -l rate -x -d 'Bytes per second, 0 = no limit (default 3125)'
complete -c midi-sysex -n $__sx_send -s 8 -l sysex8 -d 'Send as SysEx8'
complete -c midi-sysex -n $__sx_send -s n -l dry-run -d 'Print UMP packets instead of sending'
complete -c midi-sysex -n $__sx_capture -s o -l output -r -F -d 'Write to FILE'
complete -c midi-sysex -n $__sx_capture -s f -l format -x -a 'bin hex' -d 'Output format'
complete -c midi-sysex -n $__sx_capture -s c -l count -x -d 'Stop after N messages'
complete -c midi-sysex -n $__sx_capture -l idle -x -d 'Stop after SECONDS without SysEx'
complete -c midi-sysex -n $__sx_capture -s t -l timeout -x -d 'Stop after SECONDS'
complete -c midi-sysex -n $__sx_capture -s g -l group -x -d 'Groups to capture, e.g. 1,3-4'
complete -c midi-sysex -n $__sx_capture -s 8 -l sysex8 -d 'Keep SysEx8 messages too'
complete -c midi-sysex -n $__sx_request -s t -l timeout -x -d 'Seconds to wait for the reply (default 5)'
complete -c midi-sysex -n $__sx_request -s o -l output -r -F -d 'Write the reply to FILE'
complete -c midi-sysex -n $__sx_request -s f -l format -x -a 'hex bin' -d 'Output format'
complete -c midi-sysex -n $__sx_request -s g -l group -x -a '(seq 1 16)' -d 'Group 1-16'
complete -c midi-sysex -n $__sx_request -l identity -d 'Send the Identity Request, decode the reply'

# midi-loop
complete -c midi-loop -f
complete -c midi-loop -n __fish_use_subcommand -a create -d 'Create a loopback pair'
complete -c midi-loop -n __fish_use_subcommand -a remove -d 'Remove a loopback pair'
complete -c midi-loop -n __fish_use_subcommand -a list -d 'List loopback pairs'
complete -c midi-loop -n __fish_use_subcommand -a virtual -d 'Host a virtual device'
complete -c midi-loop -n __fish_use_subcommand -a ping -d 'Round trips through diag:ping'
complete -c midi-loop -n __fish_use_subcommand -a test -d 'Test the path from endpoint OUT to endpoint IN'
complete -c midi-loop -n '__fish_seen_subcommand_from remove' -a '(__midi_loop_names)'
complete -c midi-loop -n __fish_use_subcommand -a route -d 'Route what arrives on FROM to TO, lasting'
complete -c midi-loop -n __fish_use_subcommand -a unroute -d 'Remove a route'
complete -c midi-loop -n __fish_use_subcommand -a routes -d 'List routes'
complete -c midi-loop -n '__fish_seen_subcommand_from unroute' -a '(__midi_route_names)'
complete -c midi-loop -n '__fish_seen_subcommand_from routes' -l json -d 'A JSON array'
set -l __midi_route '__fish_seen_subcommand_from route'
complete -c midi-loop -n $__midi_route -a '(__midi_endpoints)' -d 'Endpoint (FROM, then TO)'
complete -c midi-loop -n $__midi_route -s F -l filter -x -a "(__fish_complete_list , 'printf \"%s\n\" $__midi_types')" -d 'Message types that pass'
complete -c midi-loop -n $__midi_route -l groups -x -d 'Groups that pass (1-4,10)'
complete -c midi-loop -n $__midi_route -l channels -x -d 'Channels that pass'
complete -c midi-loop -n $__midi_route -s g -l group -x -d 'Map groups (1:3,2:4; *:2)'
complete -c midi-loop -n $__midi_route -s c -l channel -x -d 'Map channels (2:5)'
complete -c midi-loop -n $__midi_route -s P -l protocol -x -a 'midi1 midi2' -d 'Translate to this protocol'
set -l __midi_virt '__fish_seen_subcommand_from virtual'
complete -c midi-loop -n $__midi_virt -s f -l format -x -a 'text ump hex bin json' -d 'Output format'
complete -c midi-loop -n $__midi_virt -l input-format -x -a 'text ump hex bin' -d 'Input format'
complete -c midi-loop -n $__midi_virt -l name -x -d 'Endpoint Name it declares'
complete -c midi-loop -n $__midi_virt -l function-block -x -d 'name=,groups=,dir=,midi1=,ui=,active=,ci=,sysex8='
complete -c midi-loop -n $__midi_virt -l product-instance-id -x -d 'Product Instance Id'
complete -c midi-loop -n $__midi_virt -l identity -x -d 'Device identity MMMMMM:FFFF:MMMM:VVVVVVVV'
complete -c midi-loop -n $__midi_virt -l protocol -x -a 'midi1 midi2' -d 'The only protocol it speaks'
complete -c midi-loop -n $__midi_virt -l silent -d 'Never answer discovery'
complete -c midi-loop -n $__midi_virt -l exit-on-eof -d 'Stop at the end of standard input'
complete -c midi-loop -n $__midi_virt -l jr -d 'JR timestamps both ways'
complete -c midi-loop -n '__fish_seen_subcommand_from ping' -s c -l count -x -d 'Pings to send'
complete -c midi-loop -n '__fish_seen_subcommand_from ping' -s i -l interval -x -d 'Milliseconds between pings'
complete -c midi-loop -n '__fish_seen_subcommand_from ping' -s W -l wait -x -d 'Milliseconds to wait for each reply'
complete -c midi-loop -n '__fish_seen_subcommand_from ping' -l warm-up -x -d 'Round trips first, not counted'
set -l __midi_test '__fish_seen_subcommand_from test'
complete -c midi-loop -n $__midi_test -a '(__midi_endpoints)' -d 'Endpoint (OUT, then IN)'
complete -c midi-loop -n $__midi_test -s c -l count -x -d 'Messages to send'
complete -c midi-loop -n $__midi_test -s i -l interval -x -d 'Milliseconds between messages (0: window-paced)'
complete -c midi-loop -n $__midi_test -s w -l window -x -d 'At most N messages in flight'
complete -c midi-loop -n $__midi_test -l kind -x -a 'sysex note ump' -d 'Kind of test message'
complete -c midi-loop -n $__midi_test -s g -l group -x -a '(seq 1 16)' -d 'Group to send on'
complete -c midi-loop -n $__midi_test -l settle -x -d 'Milliseconds a message may take to come back'
complete -c midi-loop -n $__midi_test -s t -l timeout -x -d 'Stop sending after SECONDS'
complete -c midi-loop -n $__midi_test -l max-loss -x -d 'Pass with up to N messages lost'
complete -c midi-loop -n $__midi_test -l max-latency-us -x -d 'Fail if a latency exceeds N microseconds'
complete -c midi-loop -n $__midi_test -l warm-up -x -d 'Messages first, not counted'
complete -c midi-loop -n $__midi_test -l json -d 'The report as one line of JSON'
complete -c midi-loop -n __fish_use_subcommand -a net-host -d 'Serve an endpoint to Network MIDI 2.0 clients'
set -l __midi_nh '__fish_seen_subcommand_from net-host'
complete -c midi-loop -n $__midi_nh -a '(__midi_endpoints)' -d 'Endpoint to serve'
complete -c midi-loop -n $__midi_nh -s l -l listen -x -d 'Address to listen on'
complete -c midi-loop -n $__midi_nh -s p -l port -x -d 'UDP port (0: any free one)'
complete -c midi-loop -n $__midi_nh -l name -x -d 'UMP Endpoint Name told to clients'
complete -c midi-loop -n $__midi_nh -l product-instance-id -x -d 'Product Instance Id'
complete -c midi-loop -n $__midi_nh -l secret -x -d 'Shared secret clients must prove'
complete -c midi-loop -n $__midi_nh -l user -x -d 'USER:PASSWORD clients may log in as'
complete -c midi-loop -n $__midi_nh -l allow -x -d 'Admit only this client name or product instance id'
complete -c midi-loop -n $__midi_nh -l fec -x -d 'UMP Data repeated per datagram'
complete -c midi-loop -n $__midi_nh -l max-sessions -x -d 'Clients at once'
complete -c midi-loop -n $__midi_nh -l no-advertise -d 'No DNS-SD advertising through avahi-daemon'
