#!/bin/sh
# Benchmark: `dutyctl calendar` against `systemd-analyze calendar` (systemd 252), same arguments, same output.
#
# usage: Benchmarks/calendar.sh [ITERATIONS]     (default 100000; needs hyperfine)
#
# Builds a release dutyctl in .build-release (its own scratch path, so debug builds stay untouched), checks that
# both programs print the same thing, then times them side by side with hyperfine and prints a Markdown table
# (copied into docs/benchmarks.md).
set -eu
cd "$(dirname "$0")/.."

N="${1:-100000}"
BASE=@1796040000   # Mon 2026-11-30 12:00:00 UTC, so the output does not depend on the clock
SCRATCH=.build-release

swift build -c release --product dutyctl --scratch-path "$SCRATCH" -j 2 >/dev/null
DUTYCTL="$SCRATCH/release/dutyctl"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

run_case() {
    tz="$1"
    spec="$2"
    # "-" = TZ unset: glibc then re-stats /etc/localtime on every conversion (what users normally run).
    if [ "$tz" = "-" ]; then envtz="env -u TZ"; else envtz="env TZ=$tz"; fi
    # Same output first (From now lines are left out on both sides).
    $envtz "$DUTYCTL" calendar --iterations="$N" --base-time="$BASE" --no-from-now -- "$spec" >"$OUT/ours.txt"
    $envtz systemd-analyze calendar --iterations="$N" --base-time="$BASE" -- "$spec" \
        | grep -v 'From now:' >"$OUT/theirs.txt"
    if cmp -s "$OUT/ours.txt" "$OUT/theirs.txt"; then same=yes; else same=NO; fi

    hyperfine --style none --warmup 1 --runs 5 --export-json "$OUT/h.json" \
        -n dutyctl "$envtz $DUTYCTL calendar --iterations=$N --base-time=$BASE --no-from-now -- '$spec'" \
        -n systemd-analyze "$envtz systemd-analyze calendar --iterations=$N --base-time=$BASE -- '$spec'" \
        >/dev/null
    [ "$tz" = "-" ] && tz="(unset)"
    python3 - "$OUT/h.json" "$tz" "$spec" "$same" 2>/dev/null <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
d, s = r["dutyctl"], r["systemd-analyze"]
cpu = lambda x: x["user"] + x["system"]
print("| `%s` | %s | %.3f ± %.3f | %.3f ± %.3f | %.1fx | %.3f | %.3f | %.1fx | %s |" % (
    sys.argv[3], sys.argv[2], d["mean"], d["stddev"], s["mean"], s["stddev"], s["mean"] / d["mean"],
    cpu(d), cpu(s), cpu(s) / cpu(d), sys.argv[4]))
EOF
}

echo "iterations: $N, base time $BASE, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(systemd-analyze --version | head -1)"
echo
echo "| expression | TZ | dutyctl wall (s) | systemd-analyze wall (s) | wall speed-up | dutyctl CPU (s) | systemd-analyze CPU (s) | CPU speed-up | same output |"
echo "|---|---|---|---|---|---|---|---|---|"
run_case - '*-*-* *:*:00'
run_case UTC '*-*-* *:*:00'
run_case Europe/Berlin '*-*-* *:*:00'
run_case UTC 'Mon..Fri *-*-* 09..17:00,30'
run_case Asia/Shanghai '*-*~01 09:00'
run_case America/New_York 'Sat,Sun *-*-* 10:00'
