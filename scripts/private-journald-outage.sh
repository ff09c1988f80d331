#!/bin/bash
# Runs dutyd against a PRIVATE journald, stops that journald while reminders fall due, restarts it, and dumps the
# private journal. The shared journald is never touched: everything runs in a new mount namespace where
# /run/systemd/journal, /run/log and /var/log/journal are fresh tmpfs mounts (run it as `unshare -m`; root only).
#   unshare -m scripts/private-journald-outage.sh DUTYD SCHEDULES WORKDIR [UP_SECONDS DOWN_SECONDS AFTER_SECONDS]
# Used by Tests/DutyDaemonTests/FaultInjectionTests.swift (journaldStoppedAndRestartedLosesAndRepeatsNothing).
# Writes WORKDIR/journal.json (journalctl -o json of dutyd's entries), WORKDIR/dutyd.log, WORKDIR/times.
set -eu
DUTYD=$1 SCHEDULES=$2 WORK=$3
UP=${4:-4} DOWN=${5:-6} AFTER=${6:-10}
mount --make-rprivate /
mkdir -p /run/systemd/journal /run/log /var/log/journal
mount -t tmpfs tmpfs /run/systemd/journal
mount -t tmpfs tmpfs /run/log
mkdir -p /run/log/journal
mount -t tmpfs tmpfs /var/log/journal
start_journald() {
    /lib/systemd/systemd-journald >>"$WORK/journald.log" 2>&1 &
    JPID=$!
    for _ in $(seq 1 100); do systemd-cat -t dutyd-outage-probe true 2>/dev/null && return 0; sleep 0.05; done
    echo "private journald did not come up" >&2; exit 1
}
start_journald
START=$(date +%s)
"$DUTYD" --schedules "$SCHEDULES" --state-dir "$WORK/state" --socket "$WORK/dutyd.sock" --no-mail \
    --clock-start "$(date -u -d @"$START" +%Y-%m-%dT%H:%M:%SZ)" --clock-rate 30 >"$WORK/dutyd.log" 2>&1 &
DPID=$!
sleep "$UP"
DOWN_AT=$(date +%s.%N)
kill "$JPID"; wait "$JPID" || true
sleep "$DOWN"
UP_AT=$(date +%s.%N)
start_journald
sleep "$AFTER"
STOP_AT=$(date +%s.%N)
kill "$DPID"; wait "$DPID" || true
echo "start=$START down=$DOWN_AT up=$UP_AT stop=$STOP_AT rate=30" >"$WORK/times"
journalctl -o json --all --no-pager SYSLOG_IDENTIFIER=dutyd >"$WORK/journal.json"
kill "$JPID"; wait "$JPID" || true
