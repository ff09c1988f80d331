#!/bin/sh
# The query socket as an independent client meets it: schemathesis (PyPI) reads docs/openapi.yaml and drives a
# private dutyd over a loopback bridge (socat TCP -> the Unix socket; through the bridge the daemon sees this
# script's uid, root under `make test`, so every operation is allowed). Every check is on, every phase runs
# (examples, coverage, fuzzing, stateful), in a bounded time (API_SECONDS, default 150) with a fixed seed
# (API_SEED) so that a failure can be replayed. Settings and the reasons for them: Tests/API/schemathesis.toml.
#
# Usage: scripts/api-conformance.sh [BIN_DIR]   (default: swift build --show-bin-path)
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-$(swift build --show-bin-path)}
SECONDS_BUDGET=${API_SECONDS:-150}
SEED=${API_SEED:-20180913}
tmp=$(mktemp -d /tmp/dutyd-api.XXXXXX)
dutyd_pid=""
socat_pid=""
cleanup() {
    [ -n "$socat_pid" ] && kill "$socat_pid" 2>/dev/null || true
    if [ -n "$dutyd_pid" ]; then
        kill "$dutyd_pid" 2>/dev/null || true
        wait "$dutyd_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cp -r Schedules "$tmp/schedules"
mkdir -p "$tmp/state" "$tmp/spool"
"$BIN/dutyd" --schedules "$tmp/schedules" --state-dir "$tmp/state" --socket "$tmp/dutyd.sock" \
    --mail-spool "$tmp/spool" --private-spool --no-journal --log-level warning \
    --clock-start 2018-09-13T08:00:00+08:00 --clock-rate 1 2>"$tmp/dutyd.log" &
dutyd_pid=$!
i=0
until "$BIN/dutyctl" --version >/dev/null 2>&1 && [ -S "$tmp/dutyd.sock" ] && \
      "$BIN/dutyctl" status --socket "$tmp/dutyd.sock" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 "$dutyd_pid" 2>/dev/null; then
        echo "api-conformance: dutyd did not come up" >&2; cat "$tmp/dutyd.log" >&2; exit 1
    fi
    sleep 0.1
done
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$tmp/dutyd.sock" &
socat_pid=$!
python3 -c "
import socket, time, sys
for _ in range(100):
    try:
        socket.create_connection(('127.0.0.1', $port), 1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)"

status=0
schemathesis --config-file Tests/API/schemathesis.toml run docs/openapi.yaml --url "http://127.0.0.1:$port" \
    --checks all --phases examples,coverage,fuzzing,stateful --max-time "$SECONDS_BUDGET" --seed "$SEED" \
    --workers 1 --report junit --report-dir "$tmp/report" || status=$?
if ! kill -0 "$dutyd_pid" 2>/dev/null; then
    echo "api-conformance: dutyd died during the run" >&2; status=1
fi
if [ $status -ne 0 ]; then
    echo "api-conformance: failed (seed $SEED); the daemon's log:" >&2
    tail -n 50 "$tmp/dutyd.log" >&2
fi
exit $status
