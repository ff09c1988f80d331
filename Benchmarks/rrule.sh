#!/bin/sh
# Expand 100,000 RRULE occurrences with `dutyctl rrule` (release build) and with python-dateutil 2.9 doing the
# same work (scripts/rrule-bench.py), side by side with hyperfine. Target: dutyctl at least 20x faster.
# Writes Benchmarks/out/rrule.md (hyperfine markdown) and checks both programs print the same lines.
# Usage: Benchmarks/rrule.sh [RUNS]   (default 10 runs per command)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-10}
COUNT=100000
OUT=Benchmarks/out
mkdir -p "$OUT"

command -v hyperfine >/dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }
python3 -c 'import dateutil' || { echo "python-dateutil missing (pip install python-dateutil)" >&2; exit 1; }

swift build -c release --static-swift-stdlib --scratch-path .build-release --product dutyctl -j 2
BIN=.build-release/release/dutyctl

# Literal \n separates the iCalendar lines; both programs accept it.
DAILY='DTSTART;TZID=Europe/Berlin:20260105T090000\nRRULE:FREQ=DAILY'
WORKDAYS='DTSTART;TZID=Asia/Shanghai:20180917T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9,14'

for name in DAILY WORKDAYS; do
    eval "rule=\$$name"
    "$BIN" rrule --count=$COUNT "$rule" > "$OUT/rrule-$name-dutyctl.txt"
    python3 scripts/rrule-bench.py $COUNT "$rule" > "$OUT/rrule-$name-dateutil.txt"
    if ! cmp -s "$OUT/rrule-$name-dutyctl.txt" "$OUT/rrule-$name-dateutil.txt"; then
        echo "outputs differ for $name" >&2
        diff "$OUT/rrule-$name-dutyctl.txt" "$OUT/rrule-$name-dateutil.txt" | head >&2
        exit 1
    fi
    echo "$name: $(wc -l < "$OUT/rrule-$name-dutyctl.txt") identical lines"
done

hyperfine -N --warmup 2 --runs "$RUNS" --export-markdown "$OUT/rrule.md" \
    -n "dutyctl daily" "$BIN rrule --count=$COUNT '$DAILY'" \
    -n "dateutil daily" "python3 scripts/rrule-bench.py $COUNT '$DAILY'" \
    -n "dutyctl workdays" "$BIN rrule --count=$COUNT '$WORKDAYS'" \
    -n "dateutil workdays" "python3 scripts/rrule-bench.py $COUNT '$WORKDAYS'"
cat "$OUT/rrule.md"
