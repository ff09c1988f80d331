#!/bin/sh
# Mail delivery throughput: compose, mbox (1 mailbox / N mailboxes) and maildir, fsync on every delivery.
# Builds the separate package Benchmarks/mail in release mode (it compiles DutyCore and DutyMail from the root
# sources through symbolic links; the root Package.swift is not involved) and runs it on a disk-backed scratch
# directory and, when available, on tmpfs (/dev/shm) to separate the fsync cost from the CPU cost.
#
# usage: Benchmarks/mail.sh [MESSAGES] [MAILBOXES]      (defaults 1000 and 1000)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
messages=${1:-1000}
mailboxes=${2:-1000}
cd "$here/mail"
swift build -c release -j 2 >/dev/null
bin=$(swift build -c release --show-bin-path)/MailBench
disk=${MAIL_BENCH_DIR:-/var/tmp}/dutyd-mailbench.$$
echo "### disk: $(df -T "${MAIL_BENCH_DIR:-/var/tmp}" | awk 'NR==2 {print $2" on "$1}'), $(nproc) cores, $(uname -r)"
echo
"$bin" "$disk" "$messages" "$mailboxes"
if [ -d /dev/shm ]; then
    echo
    echo "### tmpfs (/dev/shm): fsync is free, so this is the CPU cost"
    echo
    "$bin" /dev/shm/dutyd-mailbench.$$ "$messages" "$mailboxes"
fi
