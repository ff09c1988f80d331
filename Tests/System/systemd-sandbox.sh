#!/usr/bin/env bash
# systemd-sandbox.sh: boot a real systemd as PID 1 in throw-away namespaces, run one test command in it, tear down.
#
# Written for dutyd from the shared recipe (docs/systemd-sandbox.md in the shared notes). Every isolation step
# below is there because its absence changed the host in a trial: a delegated cgroup2 subtree, private
# pid/mount/net/uts/ipc/cgroup namespaces, an overlay over / with a tmpfs upper layer, fresh API file systems
# (private /dev tmpfs, read-only sysfs and /proc/sys), every stock unit and generator masked except journald,
# and a reduced capability bounding set. It protects the host from *accidents*; it is not a security boundary.
#
# usage: systemd-sandbox.sh [-b BOOT_S] [-t TEST_S] [-s STOP_S] [-u UNIT]... [-k LOGDIR] [-m MB] [-v] [-d] \
#                           UNIT_DIR -- TEST_COMMAND [ARG...]
#        systemd-sandbox.sh --cleanup          (only after the launcher itself was SIGKILLed)
#
# Unit files at the top of UNIT_DIR (and *.d/, *.wants/ directories) go to /etc/systemd/system in the sandbox;
# the whole directory is copied to /sandbox, the test's working directory. The test runs once
# `systemctl is-system-running --wait` returned, in every namespace of the sandbox, with a clean environment.
# Exit: the test's code; 124 test timed out; 125 the sandbox did not boot; 126 usage or prerequisite error;
# 129/130/143 the launcher got a signal (it still tears down).
set -u

# Capabilities PID 1 (and the test) never get: kernel modules, clock, raw I/O, syslog, MAC, suspend, accounting,
# audit, DAC read bypass, perf, reboot, mknod.
DROP_CAPS="-sys_module,-sys_time,-sys_rawio,-syslog,-mac_admin,-mac_override,-wake_alarm,-block_suspend,-sys_pacct,-audit_control,-audit_read,-dac_read_search,-perfmon,-sys_boot,-mknod"
KEEP_UNITS="systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket
systemd-poweroff.service systemd-halt.service systemd-reboot.service systemd-exit.service"
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SELF=$(readlink -f "$0")

die() { echo "systemd-sandbox: $*" >&2; exit 126; }
log() { [ "${SBX_QUIET:-0}" = 1 ] || echo "systemd-sandbox: $*" >&2; }

# ------------------------------------------------------------------------------------------------ inside, stage 1
# PID 1 of the new PID namespace, still on the host's root and /proc: record the host PID, make every mount
# private, move into the delegated cgroup, then take a cgroup namespace rooted there.
inner1() {
    local hostpid
    read -r hostpid _ </proc/self/stat
    echo "$hostpid" >"$SBX_TMP/pid1"
    readlink /proc/self/ns/pid >"$SBX_TMP/pidns"
    mount --make-rprivate / || exit 125
    echo 0 >"$SBX_CGDIR/cgroup.procs" || { echo "cannot enter $SBX_CGDIR" >&2; exit 125; }
    exec unshare --cgroup "$SELF" __inner2
}

# ------------------------------------------------------------------------------------------------ inside, stage 2
inner2() {
    set -e
    local R=$SBX_TMP/root L=$SBX_TMP/layer f n
    mkdir -p "$R" "$L"
    # Copy-on-write root: a tmpfs holds upper and work; submounts of the host are not in the lower layer.
    mount -t tmpfs -o "size=${SBX_MB}m,mode=0700" sandbox-layer "$L"
    mkdir -p "$L/upper" "$L/work"
    mount -t overlay -o "lowerdir=/,upperdir=$L/upper,workdir=$L/work" sandbox-root "$R"

    # /proc: a new instance for the new PID namespace; kernel-global parts read-only or hidden.
    mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
    for n in sys acpi bus fs irq mtrr; do
        [ -e "$R/proc/$n" ] || continue
        mount --bind "$R/proc/$n" "$R/proc/$n"
        mount -o remount,bind,ro "$R/proc/$n"
    done
    : >"$L/inaccessible"; chmod 000 "$L/inaccessible"
    for n in kallsyms kcore keys timer_list; do
        [ -e "$R/proc/$n" ] && mount --bind "$L/inaccessible" "$R/proc/$n"
    done
    # sysfs belongs to the new network namespace; read-only. cgroup2 inside the cgroup namespace: systemd sees
    # and writes only the delegated subtree.
    mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"

    # /dev: a private tmpfs with a handful of nodes (the host's devtmpfs is one instance for the whole kernel).
    mount -t tmpfs -o mode=755,nosuid,size=4m sandbox-dev "$R/dev"
    mknod -m 666 "$R/dev/null" c 1 3
    mknod -m 666 "$R/dev/zero" c 1 5
    mknod -m 666 "$R/dev/full" c 1 7
    mknod -m 666 "$R/dev/random" c 1 8
    mknod -m 666 "$R/dev/urandom" c 1 9
    mknod -m 666 "$R/dev/tty" c 5 0
    mkdir -m 755 "$R/dev/pts"; mkdir -m 1777 "$R/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec devpts "$R/dev/pts"
    ln -s pts/ptmx "$R/dev/ptmx"
    mount -t tmpfs -o mode=1777,nosuid,nodev,size=64m sandbox-shm "$R/dev/shm"
    ln -s /proc/self/fd "$R/dev/fd"
    ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
    # /dev/console is script(1)'s pty: its transcript is the console log (never the real console).
    : >"$R/dev/console"
    mount --bind "$(tty)" "$R/dev/console"
    mount -t tmpfs -o mode=755,nosuid,nodev,size=256m sandbox-run "$R/run"
    mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m sandbox-tmp "$R/tmp"

    # Minimal systemd configuration, in the overlay's /etc. The mask list is computed now, from the unit dirs.
    local E=$R/etc/systemd/system keep=" $(echo $KEEP_UNITS $SBX_KEEP) "
    mkdir -p "$E" "$R/etc/systemd/system-generators" "$R/etc/systemd/system.conf.d" "$R/etc/systemd/journald.conf.d"
    for f in /lib/systemd/system/* /usr/lib/systemd/system/* /usr/local/lib/systemd/system/* /etc/systemd/system/*; do
        n=${f##*/}
        case $n in *.service|*.socket|*.timer|*.path|*.mount|*.automount|*.swap) ;; *) continue ;; esac
        case $keep in *" $n "*) continue ;; esac
        ln -sfn /dev/null "$E/$n"
    done
    for f in /lib/systemd/system-generators/* /usr/lib/systemd/system-generators/* \
             /usr/local/lib/systemd/system-generators/* /etc/systemd/system-generators/*; do
        [ -e "$f" ] || continue
        ln -sfn /dev/null "$R/etc/systemd/system-generators/${f##*/}"
    done
    printf '[Unit]\nDescription=systemd-sandbox\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n' \
        >"$E/sandbox.target"
    ln -sfn sandbox.target "$E/default.target"
    printf '[Manager]\nDefaultTimeoutStopSec=5s\nDefaultLimitCORE=0\nRuntimeWatchdogSec=off\nRebootWatchdogSec=off\nKExecWatchdogSec=off\n' \
        >"$R/etc/systemd/system.conf.d/50-sandbox.conf"
    # Audit= deliberately unset: Audit=no would turn kernel auditing off (the journald audit socket is masked).
    printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToSyslog=no\nForwardToKMsg=no\nForwardToConsole=no\nForwardToWall=no\n' \
        >"$R/etc/systemd/journald.conf.d/50-sandbox.conf"
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$R/etc/machine-id"; echo >>"$R/etc/machine-id"
    echo systemd-sandbox >"$R/etc/hostname"
    hostname systemd-sandbox

    # The caller's units and files.
    mkdir -p "$R/sandbox"
    cp -a "$SBX_UNITDIR/." "$R/sandbox/"
    for f in "$SBX_UNITDIR"/*; do
        n=${f##*/}
        case $n in
            *.service|*.socket|*.timer|*.path|*.target|*.mount|*.slice) [ -f "$f" ] && cp "$f" "$E/$n" ;;
            *.d|*.wants) [ -d "$f" ] && cp -a "$f" "$E/" ;;
        esac
    done
    echo booting >"$SBX_TMP/state"

    # Switch root and become systemd. `container=` selects PID 1's container code paths (no clock, no kmsg, no
    # policy load, no core_pattern).
    cd "$R"
    mkdir -p "$R/.oldroot"
    pivot_root . .oldroot
    cd /
    umount -l /.oldroot
    rmdir /.oldroot
    mount --make-rshared /
    local debug=()
    [ "$SBX_DEBUG" = 1 ] && debug=(--log-level=debug)
    exec env -i container=systemd-sandbox PATH="$CLEAN_PATH" LANG=C.UTF-8 \
        setpriv --bounding-set "$DROP_CAPS" /lib/systemd/systemd --system "${debug[@]}"
}

case "${1:-}" in
    __inner1) inner1; exit 125 ;;
    __inner2) inner2; exit 125 ;;
esac

# ------------------------------------------------------------------------------------------------ host side
cgroup2_root() { findmnt -rn -t cgroup2 -o TARGET | head -n1; }

cleanup_leftovers() {
    local cg2 d n=0
    cg2=$(cgroup2_root)
    for d in /tmp/systemd-sandbox.*; do
        [ -d "$d" ] || continue
        if [ -s "$d/pid1" ] && [ -d "/proc/$(cat "$d/pid1")" ] &&
           [ "$(readlink "/proc/$(cat "$d/pid1")/ns/pid" 2>/dev/null)" = "$(cat "$d/pidns" 2>/dev/null)" ]; then
            echo "still running: $d (PID $(cat "$d/pid1")), left alone" >&2; continue
        fi
        rm -rf --one-file-system "$d" && n=$((n + 1))
    done
    if [ -n "$cg2" ]; then
        while read -r d; do
            [ -n "$d" ] || continue
            if [ -s "$d/cgroup.procs" ]; then echo 1 >"$d/cgroup.kill" 2>/dev/null; sleep 0.2; fi
            find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null && n=$((n + 1))
        done < <(find "$cg2" -maxdepth 4 -type d -name 'systemd-sandbox.*' 2>/dev/null)
    fi
    echo "systemd-sandbox: removed $n leftover(s)"
}

BOOT_S=30 TEST_S=300 STOP_S=10 LOGDIR="" MB=1024 VERBOSE=0 DEBUG=0 KEEP=""
if [ "${1:-}" = --cleanup ]; then [ "$(id -u)" = 0 ] || die "must run as root"; cleanup_leftovers; exit 0; fi
while getopts "b:t:s:u:k:m:vd" opt; do
    case $opt in
        b) BOOT_S=$OPTARG ;; t) TEST_S=$OPTARG ;; s) STOP_S=$OPTARG ;; u) KEEP="$KEEP $OPTARG" ;;
        k) LOGDIR=$OPTARG ;; m) MB=$OPTARG ;; v) VERBOSE=1 ;; d) DEBUG=1 ;;
        *) die "usage: $0 [-b BOOT_S] [-t TEST_S] [-s STOP_S] [-u UNIT]... [-k LOGDIR] [-m MB] [-v] [-d] UNIT_DIR -- CMD..." ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || die "UNIT_DIR missing"
UNITDIR=$(readlink -f "$1"); shift
[ "${1:-}" = -- ] && shift
[ $# -ge 1 ] || die "TEST_COMMAND missing"
[ -d "$UNITDIR" ] || die "$UNITDIR is not a directory"
for v in "$BOOT_S" "$TEST_S" "$STOP_S"; do case $v in ''|*[!0-9]*) die "times are whole seconds" ;; esac; done
[ "$(id -u)" = 0 ] || die "must run as root"
[ "$(findmnt -n -o TARGET -T /usr)" = / ] || die "/usr is a separate mount: the overlay over / would not contain it"
for c in unshare nsenter setpriv setsid script findmnt timeout mknod pivot_root /lib/systemd/systemd; do
    command -v "$c" >/dev/null || die "missing $c"
done
CG2=$(cgroup2_root)
[ -n "$CG2" ] || die "no cgroup2 mount on the host"
MYCG=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ -n "$MYCG" ] || die "this process is in no cgroup2 cgroup"

TMPD=$(mktemp -d /tmp/systemd-sandbox.XXXXXX) || die "mktemp failed"
CGDIR="$CG2${MYCG%/}/${TMPD##*/}"
mkdir "$CGDIR" || { rmdir "$TMPD"; die "cannot create the delegated cgroup $CGDIR"; }
LAUNCH_PID="" PID1="" PIDNS="" NSENTER_PID="" RC=""

pid1_alive() {
    [ -n "$PID1" ] && [ -d "/proc/$PID1" ] && [ "$(readlink "/proc/$PID1/ns/pid" 2>/dev/null)" = "$PIDNS" ]
}
# A command line prefix running a command in every namespace of the sandbox, same bounding set, clean environment.
in_sandbox() {
    IN_SBX=(nsenter -t "$PID1" -m -u -i -n -p -C -r -w -- setpriv --bounding-set "$DROP_CAPS"
        env -i PATH="$CLEAN_PATH" LANG=C.UTF-8 HOME=/root TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0)
}

teardown() {
    local i
    trap '' INT TERM HUP
    if pid1_alive && [ -n "$LOGDIR" ]; then
        in_sandbox
        mkdir -p "$LOGDIR"
        timeout -k2 15 "${IN_SBX[@]}" journalctl -b --no-pager -o short-monotonic >"$LOGDIR/journal.txt" 2>&1
        timeout -k2 15 "${IN_SBX[@]}" journalctl -b --no-pager -o json >"$LOGDIR/journal.json" 2>/dev/null
    fi
    if pid1_alive; then
        kill -RTMIN+4 "$PID1" 2>/dev/null
        local t0=$SECONDS
        for ((i = 0; i < STOP_S * 20; i++)); do
            pid1_alive || break
            # nsenter -p stops itself whenever its child stops (systemd-shutdown's SIGSTOP): keep it going.
            [ -n "$NSENTER_PID" ] && kill -CONT -- "-$NSENTER_PID" 2>/dev/null
            sleep 0.05
        done
        if pid1_alive; then
            log "poweroff did not finish in ${STOP_S}s: SIGKILL to PID 1 (host PID $PID1)"
            kill -KILL "$PID1" 2>/dev/null
        else
            log "poweroff took $((SECONDS - t0))s"
        fi
    fi
    if [ -n "$LAUNCH_PID" ]; then
        for ((i = 0; i < 100; i++)); do kill -0 "$LAUNCH_PID" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$LAUNCH_PID" 2>/dev/null
        wait "$LAUNCH_PID" 2>/dev/null
    fi
    if [ -d "$CGDIR" ]; then
        if [ -n "$(find "$CGDIR" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]; then
            echo 1 >"$CGDIR/cgroup.kill" 2>/dev/null
            for ((i = 0; i < 40; i++)); do
                [ -z "$(find "$CGDIR" -name cgroup.procs -exec cat {} + 2>/dev/null)" ] && break
                sleep 0.05
            done
        fi
        find "$CGDIR" -depth -type d -exec rmdir {} \; 2>/dev/null
        [ -d "$CGDIR" ] && log "warning: could not remove $CGDIR"
    fi
    [ -n "$LOGDIR" ] && [ -f "$TMPD/console.log" ] && cp "$TMPD/console.log" "$LOGDIR/console.log"
    if [ "$VERBOSE" = 1 ] || [ "${RC:-}" = 125 ]; then
        echo "----- console log -----" >&2; tr -d '\r' <"$TMPD/console.log" >&2; echo "-----" >&2
    fi
    rm -rf --one-file-system "$TMPD"
}
on_signal() { RC=$1; log "got a signal: tearing down"; teardown; exit "$1"; }
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

export SBX_TMP=$TMPD SBX_CGDIR=$CGDIR SBX_MB=$MB SBX_UNITDIR=$UNITDIR SBX_KEEP=$KEEP SBX_DEBUG=$DEBUG
# If this launcher is SIGKILLed, pdeathsig -> script -> pty hang-up -> unshare --kill-child still ends it all.
setpriv --pdeathsig KILL setsid -w setpriv --pdeathsig KILL script -qefc \
    "unshare --kill-child=SIGKILL --pid --fork --mount --net --uts --ipc --propagation private -- $(printf %q "$SELF") __inner1" \
    "$TMPD/console.log" </dev/null >/dev/null 2>&1 &
LAUNCH_PID=$!

# Wait for PID 1 to be systemd with its private bus socket, then for the boot to finish.
start=$SECONDS booted=0
while [ $((SECONDS - start)) -lt "$BOOT_S" ]; do
    if [ -z "$PID1" ] && [ -s "$TMPD/pid1" ] && [ -s "$TMPD/pidns" ]; then
        PID1=$(cat "$TMPD/pid1"); PIDNS=$(cat "$TMPD/pidns")
    fi
    if [ -n "$PID1" ] && [ "$(cat "/proc/$PID1/comm" 2>/dev/null)" = systemd ] &&
       [ -S "/proc/$PID1/root/run/systemd/private" ]; then
        booted=1; break
    fi
    kill -0 "$LAUNCH_PID" 2>/dev/null || break
    sleep 0.02
done
if [ "$booted" = 1 ]; then
    left=$((BOOT_S - (SECONDS - start))); [ "$left" -lt 1 ] && left=1
    state=$(timeout -k2 "$left" nsenter -t "$PID1" -m -u -i -n -p -C -r -w -- \
        env -i PATH="$CLEAN_PATH" systemctl is-system-running --wait 2>/dev/null)
    case $state in
        running) ;;
        degraded) log "boot finished degraded:"; in_sandbox; "${IN_SBX[@]}" systemctl --failed --no-legend >&2 ;;
        *) booted=0 ;;
    esac
fi
if [ "$booted" != 1 ]; then
    RC=125; log "the sandbox did not boot within ${BOOT_S}s"; teardown; exit 125
fi
log "booted in $((SECONDS - start))s (host PID of the sandbox's PID 1: $PID1, $PIDNS)"

exec 9<&0
# The test: no fds but 0-2, a clean environment, /sandbox as working directory. The real limit is the timeout
# inside the PID namespace, so nsenter always outlives its child; the outer timeout is only a backstop.
(
    for fd in /proc/self/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"; done
    exec setsid timeout -k5 $((TEST_S + 15)) nsenter -t "$PID1" -m -u -i -n -p -C -r -w -- \
        setpriv --bounding-set "$DROP_CAPS" env -i PATH="$CLEAN_PATH" LANG=C.UTF-8 HOME=/root TERM=dumb \
        SYSTEMD_PAGER= SYSTEMD_COLORS=0 \
        timeout -k5 "$TEST_S" env -C /sandbox "$@"
) <&9 &
NSENTER_PID=$!
wait "$NSENTER_PID"; RC=$?
NSENTER_PID=""
[ "$RC" = 124 ] && log "the test timed out after ${TEST_S}s"
teardown
exit "$RC"
