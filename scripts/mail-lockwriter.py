#!/usr/bin/env python3
"""A second, independent mbox writer for DutyMail's concurrency test and benchmark.

Follows docs/delivery.md §2.6 (Debian Policy 11.6): dot-lock PATH.lock with the link trick (unique temp file,
link(2), success when the temp file's link count is 2), then a POSIX fcntl write lock (lockf), append From_ line +
mboxo-quoted message + empty line, fsync, unlock, remove the dot-lock.

usage: mail-lockwriter.py MBOX COUNT [PREFIX]
Message i has Message-ID <PREFIX-i@lockwriter.test> and Subject "PREFIX 第i封"; one body line starts with "From ".
Prints the number of lock retries on stdout.
"""
import fcntl
import os
import socket
import sys
import time


def dotlock(path):
    lock = path + ".lock"
    temp = "%s.%s.%d.%d" % (lock, socket.gethostname(), os.getpid(), time.monotonic_ns())
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    os.write(fd, b"%d\n" % os.getpid())
    os.close(fd)
    retries = 0
    try:
        while True:
            try:
                os.link(temp, lock)
            except FileExistsError:
                pass
            if os.stat(temp).st_nlink == 2:
                return lock, retries
            retries += 1
            time.sleep(0.001)
    finally:
        os.unlink(temp)


def append(path, raw):
    lock, retries = dotlock(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            while True:
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    retries += 1
                    time.sleep(0.001)
            lines = raw.split(b"\n")
            quoted = b"\n".join(b">" + line if line.startswith(b"From ") else line for line in lines)
            stamp = time.asctime(time.gmtime()).encode()
            os.write(fd, b"From lockwriter@test " + stamp + b"\n" + quoted + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        os.unlink(lock)
    return retries


def main():
    path, count = sys.argv[1], int(sys.argv[2])
    prefix = sys.argv[3] if len(sys.argv) > 3 else "py"
    retries = 0
    for i in range(count):
        subject = "%s 第%d封" % (prefix, i)
        from email.header import Header

        raw = (
            b"From: lockwriter@test\nTo: root@vm\nSubject: "
            + Header(subject, "utf-8").encode().encode()
            + b"\nMessage-ID: <%s-%d@lockwriter.test>\nDate: Mon, 30 Nov 2026 01:30:33 +0000\n" % (prefix.encode(), i)
            + b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            + "正文 %d\nFrom the other writer\n".encode() % i
        )
        retries += append(path, raw)
    print(retries)


if __name__ == "__main__":
    main()
