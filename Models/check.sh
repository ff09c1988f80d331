#!/usr/bin/env bash
# Checks Models/lease.pml with spin (docs/lease-protocol.md): the properties must hold in every configuration
# below, and every mutation (a safeguard of the protocol or an assumption removed) must give a counterexample, so
# the properties are known not to hold vacuously. Exits non-zero on any violation, any search that did not
# complete, and any mutation that spin does not refute. Prints state counts and times.
#
#   Models/check.sh              the CI set (make model-check, part of make test): about 25 s of CPU
#   Models/check.sh --deep       also the larger budgets (several minutes, about 1 GB of memory)
#   Models/check.sh --shortest   mutations searched breadth-first: the shortest counterexample (slower)
#   Models/check.sh --trail NAME replay one mutation's counterexample in full (spin -t -p), e.g. --trail NO_FENCING
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
model="$here/lease.pml"
deep=0 shortest=0 trail=""
while [ $# -gt 0 ]; do
    case "$1" in
        --deep) deep=1 ;;
        --shortest) shortest=1 ;;
        --trail) trail="${2:?--trail needs a mutation name}"; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "check.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
for tool in spin gcc; do
    command -v "$tool" >/dev/null || { echo "check.sh: $tool not found (make model-check installs it: apt-get install spin gcc)" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/dutyd-model.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$model" "$work/lease.pml"
cd "$work"

failures=0
started=$(date +%s.%N)
echo "spin: $(spin -V)"
echo "model: Models/lease.pml ($(sha256sum "$model" | cut -c1-12))"

group() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }   # 1234567 -> 1,234,567

# run KIND EXPECT NAME FLAGS...
#   KIND: safety (assertions, invalid end states) or liveness (acceptance cycles under weak fairness, ltl live)
#   EXPECT: hold (no error allowed) or refute (a counterexample required)
run() {
    local kind=$1 expect=$2 name=$3; shift 3
    local flags=("$@") cflags=(-w -DMEMLIM=2048) pflags=(-m100000)
    rm -f pan pan.* lease.pml.trail _spin_nvr.tmp
    if [ "$kind" = safety ]; then cflags+=(-DSAFETY -DNOCLAIM); pflags+=(-c1); else pflags+=(-a -f); fi
    if [ "$expect" = hold ]; then cflags+=(-O1); else cflags+=(-O0); [ $shortest = 1 ] && [ "$kind" = safety ] && cflags+=(-DBFS); fi
    spin -a "${flags[@]}" lease.pml >spin.out 2>&1 || { cat spin.out; echo "FAIL  $name: spin -a failed"; failures=$((failures + 1)); return; }
    gcc "${cflags[@]}" -o pan pan.c
    local t0 t1 out errors stored visited secs
    t0=$(date +%s.%N)
    out=$(./pan "${pflags[@]}" 2>&1) || true
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$out" | head -1)
    stored=$(awk '/states, stored/ { print $1; exit }' <<<"$out")
    visited=$(sed -n 's/.*states, stored (\(.*\) visited).*/\1/p' <<<"$out" | head -1)
    local counts="$(group "${stored:-0}") states${visited:+ ($(group "$(awk -v v="$visited" 'BEGIN { printf "%.0f", v }')") visited)}, ${secs} s"
    local incomplete=""
    if grep -qE 'max search depth too small|out of memory|Search not completed|aborting' <<<"$out"; then incomplete=1; fi
    if [ -z "$errors" ]; then
        echo "FAIL  $name: pan gave no result"; echo "$out"; failures=$((failures + 1)); return
    fi
    if [ "$expect" = hold ]; then
        if [ "$errors" = 0 ] && [ -z "$incomplete" ]; then
            printf 'ok    %-8s %-58s %s\n' "$kind" "$name" "$counts"
        else
            echo "FAIL  $kind $name: $(grep -m1 -E 'violated|cycle|invalid end state|too small|out of memory' <<<"$out")"
            spin -t -T "${flags[@]}" lease.pml 2>&1 | grep -E '^@|failed assertion|CYCLE' | sed 's/^/      /' || true
            failures=$((failures + 1))
        fi
    else
        if [ "$errors" != 0 ]; then
            printf 'ok    %-8s %-58s %s\n' "$kind" "$name: refuted as expected" "$counts"
            echo "      $(grep -m1 -E 'assertion violated|acceptance cycle|invalid end state' <<<"$out" | sed 's/^pan:1: //')"
            spin -t -T "${flags[@]}" lease.pml 2>&1 | grep -E '^@|<<<<<START OF CYCLE' | sed 's/^/        /' || true
        else
            echo "FAIL  $kind $name: no counterexample: the property no longer depends on what this mutation removes ($counts)"
            failures=$((failures + 1))
        fi
    fi
}

if [ -n "$trail" ]; then   # one mutation's counterexample, every step
    kind=safety; flags=(-D"$trail" -DP1_ONLY)
    case "$trail" in
        NO_SWEEP) kind=liveness; flags=(-DNO_SWEEP -DSTALES=1) ;;
        RELAY_STRICT) flags=(-DRELAY -DRELAY_STRICT -DP1_ONLY) ;;
        HOST_MESSAGE_ID) flags=(-DRELAY -DHOST_MESSAGE_ID -DP1_ONLY) ;;
    esac
    run "$kind" refute "$trail" "${flags[@]}"
    [ -f lease.pml.trail ] && spin -t -p -g -l "${flags[@]}" lease.pml
    exit $((failures > 0))
fi

echo "== the protocol: P1 (never a second side effect), P3 (nothing recorded that was not sent), P4 (no write after a newer epoch) =="
run safety   hold "N=2 R=2 stales=2 crashes=1 fails=1 stops=1" -DN=2 -DR=2 -DSTALES=2 -DCRASHES=1 -DFAILS=1 -DSTOPS=1
run safety   hold "N=3 R=1 stales=2 crashes=1 fails=0 stops=0" -DN=3 -DR=1 -DSTALES=2 -DCRASHES=1 -DFAILS=0 -DSTOPS=0
run safety   hold "N=2 R=3 stales=2 crashes=1 fails=1 stops=0" -DN=2 -DR=3 -DSTALES=2 -DCRASHES=1 -DFAILS=1 -DSTOPS=0
run safety   hold "relay channel, P1' (one Message-ID) N=2 R=2 stales=1" -DRELAY -DSTALES=1
echo "== P2: every due reminder is eventually delivered (weak fairness, ltl live) =="
run liveness hold "N=2 R=2 stales=1 crashes=1 fails=1 stops=1" -DN=2 -DR=2 -DSTALES=1 -DCRASHES=1 -DFAILS=1 -DSTOPS=1
run liveness hold "N=3 R=1 stales=1 crashes=1 fails=0 stops=0" -DN=3 -DR=1 -DSTALES=1 -DCRASHES=1 -DFAILS=0 -DSTOPS=0
echo "== mutations: each must give a counterexample =="
run safety   refute "NO_FENCING (ledger writes check no epoch)" -DNO_FENCING -DP1_ONLY
run safety   refute "NO_LEASE_FENCE (only the row's epoch is checked)" -DNO_LEASE_FENCE -DP1_ONLY
run safety   refute "NO_FINAL_CHECK (no lease check before the send)" -DNO_FINAL_CHECK -DP1_ONLY
run safety   refute "PAUSE_IN_WINDOW (assumption A2 dropped)" -DPAUSE_IN_WINDOW -DP1_ONLY
run safety   refute "CLOCK_DRIFT (assumption A1 dropped)" -DCLOCK_DRIFT -DP1_ONLY
run safety   refute "NO_RECONCILE (re-send without asking the channel)" -DNO_RECONCILE -DP1_ONLY
run safety   refute "RELAY_STRICT (a relay gets a second copy)" -DRELAY -DRELAY_STRICT -DP1_ONLY
run safety   refute "HOST_MESSAGE_ID (Message-ID names the host)" -DRELAY -DHOST_MESSAGE_ID -DP1_ONLY
run liveness refute "NO_SWEEP (no reconciliation by a new leader)" -DNO_SWEEP -DSTALES=1

if [ $deep = 1 ]; then
    echo "== deep: larger budgets, and variants that must hold =="
    run liveness hold "N=2 R=2 stales=2 crashes=1 fails=1 stops=1" -DN=2 -DR=2 -DSTALES=2 -DCRASHES=1 -DFAILS=1 -DSTOPS=1
    run safety   hold "N=3 R=1 stales=2 crashes=1 fails=1 stops=0" -DN=3 -DR=1 -DSTALES=2 -DCRASHES=1 -DFAILS=1 -DSTOPS=0
    run safety   hold "N=3 R=1 stales=2 crashes=1 fails=0 stops=1" -DN=3 -DR=1 -DSTALES=2 -DCRASHES=1 -DFAILS=0 -DSTOPS=1
    run safety   hold "N=2 R=3 stales=2 crashes=1 fails=1 stops=1" -DN=2 -DR=3 -DSTALES=2 -DCRASHES=1 -DFAILS=1 -DSTOPS=1
    run liveness hold "N=2 R=3 stales=1 crashes=1 fails=1 stops=0" -DN=2 -DR=3 -DSTALES=1 -DCRASHES=1 -DFAILS=1 -DSTOPS=0
    run safety   hold "relay channel N=2 R=2 stales=2" -DRELAY
    run liveness hold "relay channel N=2 R=2 stales=1" -DRELAY -DSTALES=1
    run safety   hold "EPOCH_ONLY_FENCE (writes check the epoch, not expiry)" -DEPOCH_ONLY_FENCE
    run liveness hold "EPOCH_ONLY_FENCE, stales=1" -DEPOCH_ONLY_FENCE -DSTALES=1
    run safety   hold "NO_ROW_FENCE (writes check the lease, not the row)" -DNO_ROW_FENCE
    run liveness hold "NO_ROW_FENCE, stales=1" -DNO_ROW_FENCE -DSTALES=1
fi

total=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
if [ $failures -gt 0 ]; then
    echo "model check FAILED: $failures check(s) ($total s)"
    exit 1
fi
echo "model check passed ($total s)"
