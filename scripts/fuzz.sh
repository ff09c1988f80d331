#!/bin/sh
# Builds the libFuzzer targets of Fuzz/ (ASan + libFuzzer, release, scratch path .build-fuzz) and runs each for
# FUZZ_SECONDS seconds, starting from the committed seeds in Fuzz/Corpus/<target> and the corpus grown by earlier
# runs in .build-fuzz/corpus/<target>. Prints executions, coverage and crashes per target; exits non-zero when a
# target crashed (the reproducer is in .build-fuzz/artifacts/<target>/).
#   scripts/fuzz.sh [target...]          FUZZ_SECONDS=60 by default; make fuzz / make fuzz-smoke call this.
set -eu
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}
# Seconds one input may take before libFuzzer reports a hang.
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
ALL="FuzzCalendarSpec FuzzRecurrenceRule FuzzScheduleLoader FuzzRanking FuzzMailComposer FuzzHTTPRequest"
TARGETS=${*:-$ALL}
SCRATCH=$PWD/.build-fuzz
# SwiftPM passes "-sanitize=fuzzer -sanitize=address" to swiftc, where the last one wins (no coverage
# instrumentation of Swift code): the combined flag after it restores both.
BUILD="swift build --package-path Fuzz -c release --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address --scratch-path $SCRATCH"
if [ $# -gt 0 ]; then
    # Only what the named targets need (the parsers need no NIO, FuzzHTTPRequest needs neither TOML nor mail).
    for t in $TARGETS; do $BUILD -j "$FUZZ_JOBS" --product "$t"; done
else
    $BUILD -j "$FUZZ_JOBS"
fi
BIN=$($BUILD --show-bin-path)
mkdir -p "$SCRATCH/logs"
failed=0
printf '%-20s %8s %12s %8s %8s %8s %s\n' target seconds executions exec/s cov ft result
for t in $TARGETS; do
    case $t in
        FuzzCalendarSpec) max_len=512 ;;
        FuzzRecurrenceRule) max_len=1024 ;;
        FuzzScheduleLoader) max_len=16384 ;;
        FuzzHTTPRequest) max_len=8192 ;;
        *) max_len=4096 ;;
    esac
    mkdir -p "$SCRATCH/corpus/$t" "$SCRATCH/artifacts/$t"
    log=$SCRATCH/logs/$t.log
    set +e
    # -detect_leaks=0: Foundation caches a read buffer (see docs/reliability.md); leaks are not what these targets
    # look for.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$BIN/$t" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=2048 -max_len=$max_len -detect_leaks=0 \
        -artifact_prefix="$SCRATCH/artifacts/$t/" -print_final_stats=1 \
        "$SCRATCH/corpus/$t" "Fuzz/Corpus/$t" >"$log" 2>&1
    status=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ $status -eq 0 ]; then result=ok; else result="CRASH (exit $status, see $log)"; failed=1; fi
    printf '%-20s %8s %12s %8s %8s %8s %s\n' "$t" "$FUZZ_SECONDS" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$result" \
        | tee -a "$SCRATCH/summary.txt"
done
exit $failed
