#!/usr/bin/env bash
# bench_startup.sh: what one run of a program costs a shell script that
# calls it once a message: wall time from spawn to exit of `midi-send -n
# 'on 60 100'` (parse, translate, print; no broker) and `midi-send
# --version`, against /bin/true in the same run (the same spawn and exit,
# nothing else), runs alternating. Prints one JSON object (bench/run.sh)
# with the p50 of each, its ratio to the baseline, and the shared
# libraries the program loads at start (ldd).
# STARTUP_RUNS: runs of each (default 300).
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${BIN:-$PWD/bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/midi-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export MIDI_RUNTIME_DIR=$work/rt
mkdir -m 700 "$MIDI_RUNTIME_DIR"
libs=$(ldd "$bin/midi-send" | grep -c '=>')
python3 - "$bin/midi-send" "${STARTUP_RUNS:-300}" "$libs" <<'PY'
import json, os, sys, time
prog, n, libs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cmds = {"true": ["/bin/true"], "send_dry": [prog, "-n", "on 60 100"],
        "send_version": [prog, "--version"]}
null = os.open(os.devnull, os.O_WRONLY)
fa = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
t = {k: [] for k in cmds}
for i in range(n + 10):
    for k, argv in cmds.items():
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
        _, st = os.waitpid(pid, 0)
        dt = time.perf_counter_ns() - t0
        if st != 0:
            sys.exit("%s failed (status %d)" % (" ".join(argv), st))
        if i >= 10:
            t[k].append(dt / 1000)
p50 = {k: sorted(v)[len(v) // 2] for k, v in t.items()}
res = [{"name": "start_" + k, "unit": "us", "p50": round(p50[k], 1),
        "baseline": "bin_true", "baseline_p50": round(p50["true"], 1),
        "p50_ratio": round(p50[k] / p50["true"], 2), "shared_libraries": libs}
       for k in ("send_dry", "send_version")]
print(json.dumps({"bench": "startup", "results": res}))
PY
