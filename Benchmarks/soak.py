#!/usr/bin/env python3
"""Soak test of dutyd (issue "Hardening", part 3): a simulated year of the shipped plan with the 55,166-household
visit roster on the fast simulated clock, with `--retention` short enough that pruning kicks in, sampling dutyd's
memory and the ledger as it goes.

  swift build -c release --scratch-path .build-release --product dutyd -j 2
  python3 Benchmarks/soak.py --dutyd .build-release/release/dutyd [--days 365] [--rate 12000] \
      [--retention 60d] [--catch-up 30d] [--sample-days 7] [--ack-fraction 0.9]

Root only. The script re-executes itself in a private mount namespace (`unshare -m`) with its own journald: fresh
tmpfs mounts on /run/systemd/journal and /run/log, a directory under --workdir (on disk) bind-mounted on
/var/log/journal, and its own journald.conf bind-mounted on /etc/systemd/journald.conf (rate limiting off,
SystemMaxUse=--journal-max), so the year's reminders (millions of entries) never reach the host's journal. dutyd
runs journal only (`--no-mail`): a year of mbox deliveries would be millions of fsyncs and gigabytes of spool.

Simulated people: cadres acknowledge their visits. For each monthly visit instant (read from
GET /v1/duties/visit-<id>), `--ack-fraction` of the households (a different random draw each month) are
acknowledged over the query socket (POST /v1/occurrences/<id>/ack, 20 connections) as soon as the instant is
less than 40 simulated days ahead; the others stay unacknowledged and get overdue and escalation reminders, and
their rows stay in the ledger while `dutyctl overdue` can list them (366 days), which is what retention promises.

Every --sample-days simulated days: the simulated date (GET /v1/status), dutyd's VmRSS (/proc/<pid>/status), the
ledger size (dutyd.sqlite + -wal + -shm), rows by state and acknowledgements (python sqlite3, read-only), and the
rows pruned so far (summed from dutyd's "retention: pruned the ledger" log lines). Prints the curve (one row per
sample and a monthly table) and the verdict on memory.
"""
import argparse
import asyncio
import datetime
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOUSEHOLDS = 55166  # the plan's count (--households changes it)


def parse_duration(text):
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return float(text[:-1]) * units[text[-1]]


def parse_iso(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def day_text(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone(datetime.timedelta(hours=8))).strftime("%Y-%m-%d")


def drain(sock):
    while True:
        sock.recv(4096)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def private_journald(work, max_use):
    """Mounts a private journal (this process is in its own mount namespace) and starts journald there."""
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    journal = f"{work}/journal"
    os.makedirs(journal)
    for path in ("/run/systemd/journal", "/run/log", "/var/log/journal"):
        os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/systemd/journal"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/log"], check=True)
    subprocess.run(["mount", "--bind", journal, "/var/log/journal"], check=True)
    conf = f"{work}/journald.conf"
    with open(conf, "w") as f:
        f.write(f"[Journal]\nStorage=persistent\nSystemMaxUse={max_use}\nRateLimitIntervalSec=0\n"
                "ForwardToSyslog=no\nForwardToWall=no\nForwardToConsole=no\nForwardToKMsg=no\n")
    os.makedirs("/etc/systemd", exist_ok=True)
    if not os.path.exists("/etc/systemd/journald.conf"):
        open("/etc/systemd/journald.conf", "w").close()
    subprocess.run(["mount", "--bind", conf, "/etc/systemd/journald.conf"], check=True)
    log = open(f"{work}/journald.log", "ab")
    proc = subprocess.Popen(["/lib/systemd/systemd-journald"], stdout=log, stderr=log)
    for _ in range(100):
        if subprocess.run(["systemd-cat", "-t", "dutyd-soak-probe", "true"]).returncode == 0:
            # Move from /run/log/journal (volatile) to the directory on disk, as systemd-journal-flush does at boot.
            subprocess.run(["journalctl", "--flush"], check=True)
            return proc, journal
        time.sleep(0.05)
    sys.exit("the private journald did not come up")


async def http(reader, writer, method, path):
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return status, await reader.readexactly(length)


class Soak:
    def __init__(self, args, work, sock, proc, households, log_path, database):
        self.args = args
        self.work = work
        self.sock = sock
        self.proc = proc
        self.households = households
        self.log_path = log_path
        self.database = database
        self.acked_instants = set()
        self.acks = {"recorded": 0, "failed": 0}
        self.samples = []
        self.log_offset = 0
        self.pruned = {"deliveries": 0, "acknowledgements": 0, "events": 0, "passes": 0}
        self.started = time.monotonic()

    async def get(self, path):
        reader, writer = await asyncio.open_unix_connection(self.sock, limit=1 << 24)
        try:
            status, body = await http(reader, writer, "GET", path)
            return status, json.loads(body) if body else None
        finally:
            writer.close()

    async def simulated_now(self):
        status, body = await self.get("/v1/status")
        return parse_iso(body["now"]) if status == 200 else None

    async def acknowledge(self, ids):
        queue = list(ids)

        async def worker():
            reader, writer = await asyncio.open_unix_connection(self.sock, limit=1 << 24)
            while queue:
                occurrence = queue.pop()
                status, body = await http(reader, writer, "POST", f"/v1/occurrences/{occurrence}/ack")
                if status == 200:
                    self.acks["recorded"] += 1
                else:
                    self.acks["failed"] += 1
            writer.close()

        await asyncio.gather(*(worker() for _ in range(20)))

    async def acknowledger(self, stop):
        """Acknowledges --ack-fraction of each month's visits once the instant is < 40 simulated days ahead."""
        probe = f"visit-{self.households[0]}"
        while not stop.is_set():
            status, detail = await self.get(f"/v1/duties/{probe}")
            now = await self.simulated_now()
            if status == 200 and now is not None:
                for entry in detail.get("next", []):
                    instant = int(entry["occurrence_id"].rsplit("@", 1)[1])
                    if instant in self.acked_instants or instant - now > 40 * 86400:
                        continue
                    self.acked_instants.add(instant)
                    rng = random.Random(instant)
                    chosen = [h for h in self.households if rng.random() < self.args.ack_fraction]
                    started = time.monotonic()
                    await self.acknowledge(f"visit-{h}@{instant}" for h in chosen)
                    print(f"acknowledged {len(chosen):,} visits of {day_text(instant)} in "
                          f"{time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
            try:
                await asyncio.wait_for(stop.wait(), 5)
            except asyncio.TimeoutError:
                pass

    def read_prunes(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset)
            data = f.read()
        cut = data.rfind(b"\n") + 1
        self.log_offset += cut
        for line in data[:cut].decode(errors="replace").splitlines():
            if "retention: pruned the ledger" not in line:
                continue
            self.pruned["passes"] += 1
            for name in ("deliveries", "acknowledgements", "events"):
                m = re.search(rf"retention\.{name}=(\d+)", line)
                if m:
                    self.pruned[name] += int(m.group(1))

    def ledger(self, now=None):
        """Ledger size, rows by state, acknowledgements, and (at simulated time `now`) the delivery backlog: rows
        due by `now` and not delivered yet, and how long (simulated) the oldest of them is overdue."""
        size = (os.path.getsize(self.database) / 2**20,
                sum(os.path.getsize(self.database + s) for s in ("-wal", "-shm") if os.path.exists(self.database + s)) / 2**20)
        db = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        backlog = (0, 0.0)
        try:
            states = dict(db.execute("SELECT state, COUNT(*) FROM delivery GROUP BY state").fetchall())
            acks = db.execute("SELECT COUNT(*) FROM acknowledgement").fetchone()[0]
            if now is not None:
                # GRDB stores dates as UTC text "YYYY-MM-DD HH:MM:SS.SSS"; the due-order index covers this query.
                cut = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
                count, oldest = db.execute(
                    "SELECT COUNT(*), MIN(fire_at) FROM delivery WHERE state IN ('planned', 'failed') "
                    "AND next_attempt_at <= ?", (cut,)).fetchone()
                if count:
                    oldest_t = datetime.datetime.fromisoformat(oldest.replace(" ", "T") + "+00:00").timestamp()
                    backlog = (count, (now - oldest_t) / 3600)
        finally:
            db.close()
        return size, states, acks, backlog

    async def sample(self, now):
        rss = rss_mib(self.proc.pid)
        size, states, acks, backlog = await asyncio.to_thread(self.ledger, now)
        self.read_prunes()
        row = {"now": now, "real": time.monotonic(), "rss": rss, "ledger_mib": size, "states": states, "acks": acks,
               "pruned": dict(self.pruned), "cpu": cpu_seconds(self.proc.pid), "backlog": backlog}
        self.samples.append(row)
        print(f"{day_text(now)} rss {rss:.0f} MiB ledger {size[0]:.0f}+{size[1]:.0f} MiB rows {states} acks {acks:,} "
              f"pruned {self.pruned['deliveries']:,} due backlog {backlog[0]:,} (oldest {backlog[1]:.1f} h)",
              file=sys.stderr, flush=True)

    async def run(self, start, end):
        stop = asyncio.Event()
        acker = asyncio.create_task(self.acknowledger(stop))
        next_sample = start
        while True:
            now = await self.simulated_now()
            if now is None:
                await asyncio.sleep(1)
                continue
            if now >= next_sample or now >= end:
                await self.sample(now)
                next_sample = now + self.args.sample_days * 86400
            if now >= end:
                break
            if self.args.max_real_minutes and time.monotonic() - self.started > self.args.max_real_minutes * 60:
                await self.sample(now)
                print("stopping early: --max-real-minutes reached", file=sys.stderr, flush=True)
                break
            await asyncio.sleep(min(5.0, max(0.2, (min(next_sample, end) - now) / self.args.rate)))
        stop.set()
        await acker


def inner(args):
    work = tempfile.mkdtemp(prefix="dutyd-soak-", dir=args.workdir)
    journald, journal_dir = private_journald(work, args.journal_max)
    proc = None
    try:
        schedules = f"{work}/schedules"
        shutil.copytree(f"{ROOT}/Schedules", schedules)
        roster = f"{schedules}/rosters/households-{args.households}.csv"
        subprocess.run([sys.executable, f"{ROOT}/scripts/gen-roster.py", "--count", str(args.households), roster],
                       check=True, capture_output=True)
        with open(f"{schedules}/visits.toml") as f:
            text = f.read().replace("rosters/households-sample.csv", f"rosters/households-{args.households}.csv")
        with open(f"{schedules}/visits.toml", "w") as f:
            f.write(text)
        with open(roster) as f:
            households = [line.split(",", 1)[0] for line in f.read().splitlines()[1:]]

        notify_path = f"{work}/notify.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(600)
        state = f"{work}/state"
        os.makedirs(state)
        sock = f"{work}/dutyd.sock"
        log_path = f"{work}/dutyd.log"
        command = [args.dutyd, "--schedules", schedules, "--state-dir", state, "--socket", sock, "--no-mail",
                   "--clock-start", args.start, "--clock-rate", str(args.rate), "--catch-up", args.catch_up,
                   "--retention", args.retention, "--log-level", "notice"]
        print("dutyd command: " + " ".join(command), file=sys.stderr, flush=True)
        started = time.monotonic()
        proc = subprocess.Popen(command, env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                                stdout=open(log_path, "ab"), stderr=subprocess.STDOUT)
        while b"READY=1" not in notify.recv(4096):
            pass
        # Keep reading, as systemd does: a full datagram queue would block dutyd's next sd_notify (STATUS=).
        notify.settimeout(None)
        threading.Thread(target=drain, args=(notify,), daemon=True).start()
        print(f"ready after {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
        soak = Soak(args, work, sock, proc, households, log_path, f"{state}/dutyd.sqlite")
        start = parse_iso(args.start)
        asyncio.run(soak.run(start, start + args.days * 86400))
        real = time.monotonic() - started
        term = time.monotonic()
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            print("dutyd did not stop within 60 s of SIGTERM: stacks in stacks.txt, SIGKILL", file=sys.stderr)
            with open(f"{work}/stacks.txt", "w") as f:
                subprocess.run(["gdb", "-p", str(proc.pid), "-batch", "-ex", "thread apply all bt"], stdout=f,
                               stderr=subprocess.STDOUT)
            proc.kill()
            proc.wait()
        stop_seconds = time.monotonic() - term
        soak.read_prunes()
        size, states, acks, _ = soak.ledger()
        journal_usage = subprocess.run(["du", "-sh", journal_dir], capture_output=True, text=True).stdout.split()[0]
        report(args, soak, real, stop_seconds, size, states, acks, journal_usage)
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
    finally:
        if proc and proc.poll() is None:
            proc.kill()
        journald.terminate()
        journald.wait()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(args, soak, real, stop_seconds, size, states, acks, journal_usage):
    samples = soak.samples
    simulated = (samples[-1]["now"] - parse_iso(args.start)) / 86400
    print(f"\nRun: {args.households:,} households, {simulated:.1f} of {args.days:g} simulated days from {args.start} at x{args.rate:g} ({real / 60:.1f} min real), "
          f"--retention {args.retention}, --catch-up {args.catch_up}, ack fraction {args.ack_fraction}; "
          f"SIGTERM at the end: exit after {stop_seconds:.1f} s; dutyd CPU {samples[-1]['cpu']:.0f} s; "
          f"private journal {journal_usage}; acknowledgements sent {soak.acks['recorded']:,} "
          f"(failed {soak.acks['failed']}).\n")
    print("| simulated date | RSS MiB | ledger MiB (db + wal) | planned | delivering | delivered | failed | missed | "
          "acks | pruned so far (rows / acks) | due, not yet delivered (oldest, simulated h) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    month = None
    for s in samples:
        m = day_text(s["now"])[:7]
        if not args.all_rows and m == month and s is not samples[-1]:
            continue
        month = m
        st = s["states"]
        print(f"| {day_text(s['now'])} | {s['rss']:.0f} | {s['ledger_mib'][0]:.0f} + {s['ledger_mib'][1]:.0f} | {st.get('planned', 0):,} | "
              f"{st.get('delivering', 0):,} | {st.get('delivered', 0):,} | {st.get('failed', 0):,} | "
              f"{st.get('missed', 0):,} | {s['acks']:,} | {s['pruned']['deliveries']:,} / "
              f"{s['pruned']['acknowledgements']:,} | {s['backlog'][0]:,} ({s['backlog'][1]:.1f}) |")
    warm = [s["rss"] for s in samples if s["now"] >= parse_iso(args.start) + args.warmup_days * 86400]
    if warm:
        print(f"\nRSS after the first {args.warmup_days} simulated days: min {min(warm):.0f} MiB, max {max(warm):.0f} "
              f"MiB, max - min {max(warm) - min(warm):.0f} MiB over {len(warm)} samples; first {warm[0]:.0f} MiB, "
              f"last {warm[-1]:.0f} MiB.")
    print(f"Ledger at the end: {size[0]:.0f} MiB + {size[1]:.0f} MiB WAL, rows {states}, acknowledgements {acks:,}; pruned in all "
          f"{soak.pruned['deliveries']:,} rows, {soak.pruned['acknowledgements']:,} acknowledgements, "
          f"{soak.pruned['events']:,} audit lines in {soak.pruned['passes']} passes.")
    print(f"missed rows: {states.get('missed', 0)}, failed rows: {states.get('failed', 0)}")
    worst = max(samples, key=lambda s: s["backlog"][1])
    print(f"Delivery backlog at the samples: largest {max(s['backlog'][0] for s in samples):,} rows due and not yet "
          f"delivered; oldest {worst['backlog'][1]:.1f} simulated hours overdue (at {day_text(worst['now'])}).")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dutyd", default=f"{ROOT}/.build-release/release/dutyd")
    ap.add_argument("--start", default="2018-09-13T08:00:00+08:00")
    ap.add_argument("--days", type=float, default=365)
    ap.add_argument("--rate", type=float, default=12000)
    ap.add_argument("--retention", default="60d")
    ap.add_argument("--catch-up", default="30d")
    ap.add_argument("--sample-days", type=float, default=7)
    ap.add_argument("--warmup-days", type=float, default=30)
    ap.add_argument("--households", type=int, default=HOUSEHOLDS, help="roster size (default: the plan's 55,166)")
    ap.add_argument("--ack-fraction", type=float, default=0.9)
    ap.add_argument("--journal-max", default="6G")
    ap.add_argument("--workdir", default="/var/tmp")
    ap.add_argument("--max-real-minutes", type=float, default=0, help="stop earlier (and say so) after this long")
    ap.add_argument("--all-rows", action="store_true", help="print every sample, not one per month")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if os.environ.get("DUTYD_SOAK_NAMESPACE") != "1":
        if os.geteuid() != 0:
            sys.exit("root only (mount namespace, private journald)")
        os.execvpe("unshare", ["unshare", "-m", sys.executable, os.path.abspath(__file__), *sys.argv[1:]],
                   dict(os.environ, DUTYD_SOAK_NAMESPACE="1"))
    inner(args)


if __name__ == "__main__":
    main()
