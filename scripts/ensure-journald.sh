#!/usr/bin/env bash
# Make sure a journald answers on /run/systemd/journal/socket. PID 1 is not systemd on the CI machine, so start a
# standalone systemd-journald when a real write fails (a leftover socket file alone proves nothing).
set -eu
if systemd-cat -t dutyd-probe true 2>/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
    echo "journald is not running and this is not root: journal tests will be skipped" >&2
    exit 0
fi
rm -f /run/systemd/journal/socket /run/systemd/journal/stdout /run/systemd/journal/dev-log
mkdir -p /run/systemd/journal /var/log/journal
nohup /lib/systemd/systemd-journald >/tmp/dutyd-journald.log 2>&1 &
echo $! > /tmp/dutyd-journald.pid
for _ in $(seq 1 50); do
    if systemd-cat -t dutyd-probe true 2>/dev/null; then exit 0; fi
    sleep 0.1
done
echo "journald did not come up" >&2
exit 1
