#!/usr/bin/env bash
# `make system-test`: stages the release binaries and install rules, runs Tests/System/test-dutyd.sh in a real
# systemd (systemd-sandbox.sh), and checks the host is unchanged (the shared sandbox notes, §4).
# Logs: $SYSTEST_LOGDIR (default .build-release/system-test/): test.log, journal.txt/json, console.log, host diff.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
LOGDIR=${SYSTEST_LOGDIR:-$ROOT/.build-release/system-test}
BIN=${RELEASE_BIN:-$ROOT/.build-release/release}
[ "$(id -u)" = 0 ] || { echo "system-test: needs root (it boots systemd in namespaces)" >&2; exit 1; }
for b in dutyd dutyctl; do [ -x "$BIN/$b" ] || { echo "system-test: $BIN/$b missing: make release-bins" >&2; exit 1; }; done
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"

# What must not change on the host.
snapshot() {
    {
        echo "[hashes]"; sha256sum /etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/machine-id /etc/hostname \
            /etc/hosts /etc/resolv.conf /etc/fstab /etc/nsswitch.conf 2>&1
        echo "[absent]"; ls -d /etc/dutyd /var/lib/dutyd /run/dutyd /usr/lib/systemd/system/dutyd.service \
            /usr/sbin/dutyd /usr/share/dutyd /etc/systemd/system/dutyd.service.d /var/mail/dutytest 2>&1
        echo "[users]"; getent passwd dutyd dutytest; getent group dutyd
        echo "[mounts]"; findmnt -rn -o TARGET,SOURCE,FSTYPE,PROPAGATION | grep -v '^/tmp/dutyd-systest'
        # (the per-command memory cgroups of the machine's own process manager come and go: not ours)
        echo "[cgroups]"; find /sys/fs/cgroup -maxdepth 6 -type d 2>/dev/null | grep -v '^/sys/fs/cgroup/memory/process_api/' |
            LC_ALL=C sort
        echo "[sysctl]"; sysctl -a 2>/dev/null | grep -vE '^(fs\.(dentry|inode|file-nr|quota)|kernel\.(random|ns_last_pid|sched_domain|pty\.nr|perf_event_max_sample_rate)|net\..*\.(stable_secret|route\.gc)|vm\.(stat|nr_))' | LC_ALL=C sort
        echo "[net]"; ip -o addr 2>/dev/null; ip -o link 2>/dev/null | sed 's/ link\/.*//' ; echo "[uts]"; hostname
        echo "[mail]"; ls -la --time-style=+%s /var/mail
        echo "[dev]"; find /dev -maxdepth 1 ! -path /dev -printf '%m %u %g %y %p\n' | grep -v ' /dev/pts/' | LC_ALL=C sort
        echo "[modules]"; cut -d' ' -f1 /proc/modules | LC_ALL=C sort | paste -sd' '
        echo "[ipc]"; ipcs 2>/dev/null | grep -v '^$' 
        echo "[leftovers]"; ls -d /tmp/systemd-sandbox.* 2>&1
    } 2>&1
}
snapshot >"$LOGDIR/host-before.txt"

STAGE=$(mktemp -d /tmp/dutyd-systest.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/src/.build-release/release"
cp -a Makefile Units Schedules man "$STAGE/src/"
cp "$BIN/dutyd" "$BIN/dutyctl" "$STAGE/src/.build-release/release/"
cp Tests/System/test-dutyd.sh "$STAGE/"

start=$SECONDS
Tests/System/systemd-sandbox.sh -b 60 -t 400 -s 15 -k "$LOGDIR" "$STAGE" -- ./test-dutyd.sh 2>&1 | tee "$LOGDIR/test.log"
rc=${PIPESTATUS[0]}
echo "system-test: sandbox exit $rc after $((SECONDS - start)) s; logs in $LOGDIR"

# The documented install tree (docs/operations.md) for the default PREFIX, into a DESTDIR.
make --no-print-directory install-files DESTDIR="$STAGE/tree" >"$LOGDIR/install-tree.log" 2>&1
( cd "$STAGE/tree" && find . -mindepth 1 | LC_ALL=C sort ) >"$LOGDIR/install-tree.txt"
if diff -u Tests/System/install-tree.txt "$LOGDIR/install-tree.txt"; then
    echo "PASS: make install DESTDIR=... PREFIX=/usr/local produces the documented tree ($(grep -c . Tests/System/install-tree.txt) entries)"
else
    echo "FAIL: the install tree differs from Tests/System/install-tree.txt"; [ "$rc" = 0 ] && rc=1
fi
make --no-print-directory uninstall DESTDIR="$STAGE/tree" >>"$LOGDIR/install-tree.log" 2>&1
left=$(cd "$STAGE/tree" && find . \( -type f -o -type l -o -path '*dutyd*' \))
[ -z "$left" ] && echo "PASS: make uninstall DESTDIR=... removed every installed file" ||
    { echo "FAIL: left after uninstall: $left"; [ "$rc" = 0 ] && rc=1; }

# The Debian package from the same rules, installed, started, removed and purged in a second sandbox.
if [ "${SYSTEST_DEB:-1}" = 1 ]; then
    mkdir -p "$STAGE/deb"
    DEB_OUT="$STAGE/debout" packaging/deb/build-deb.sh >"$LOGDIR/deb-build.log" 2>&1 ||
        { echo "FAIL: build-deb.sh (see $LOGDIR/deb-build.log)"; rc=1; }
    cp "$STAGE"/debout/*.deb Tests/System/test-deb.sh "$STAGE/deb/" 2>/dev/null
    Tests/System/systemd-sandbox.sh -b 60 -t 120 -s 15 "$STAGE/deb" -- ./test-deb.sh 2>&1 | tee "$LOGDIR/test-deb.log"
    drc=${PIPESTATUS[0]}
    echo "system-test: deb sandbox exit $drc"
    [ "$drc" != 0 ] && [ "$rc" = 0 ] && rc=$drc
else
    echo "SKIP: the Debian package test (SYSTEST_DEB=0)"
fi

snapshot >"$LOGDIR/host-after.txt"
if diff -u "$LOGDIR/host-before.txt" "$LOGDIR/host-after.txt" >"$LOGDIR/host-diff.txt"; then
    echo "PASS: host unchanged (hashes, users, absent paths, mounts, cgroups, sysctl, network, hostname, /var/mail)"
else
    echo "FAIL: the host changed:"; cat "$LOGDIR/host-diff.txt"; [ "$rc" = 0 ] && rc=1
fi
exit "$rc"
