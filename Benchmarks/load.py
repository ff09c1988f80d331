#!/usr/bin/env python3
"""Load test of dutyd (issue "Hardening", part 3): the shipped plan plus the 55,166-household visit roster, 100
concurrent clients on the query socket reading and acknowledging while all 55,166 visit reminders fall due at
one instant.

  swift build -c release --scratch-path .build-release --product dutyd -j 2
  python3 Benchmarks/load.py --dutyd .build-release/release/dutyd [--clients 100] [--lead 60] [--after 10]

Setup (everything in a temporary directory, removed at the end): Schedules/ copied, `scripts/gen-roster.py`
writes the 55,166-household roster, and visits.toml is rewritten so that its template duty (same ids, title,
warnings, ack = true, grace, escalation) is due once, `--lead` seconds after dutyd is started on the host clock,
instead of on the last workday of each month. dutyd runs journal only (--no-mail), against the host's journald.

Load: `--clients` asyncio clients, each on its own keep-alive HTTP/1.1 connection, send requests back to back
(closed loop) from READY=1 until `--after` seconds after the last visit reminder is in the ledger. Each request is
drawn at random: 35 % GET /v1/upcoming?days=14&limit=20, 20 % GET /v1/status, 20 % GET /v1/occurrences/<visit
occurrence id>, 25 % POST /v1/occurrences/<id>/ack (each household's occurrence acknowledged once, as root; the
due reminders still fire, since acknowledging only silences overdue and escalation notices). 1 % of the
occurrence reads ask for an occurrence that does not exist, deliberately: they must be 404.

Measured: firing lateness per reminder (due instant -> the journal entry's __REALTIME_TIMESTAMP, read with
`journalctl -o json`), burst completion (due -> last entry), every DUTY_KEY counted (lost, duplicated), query
latency p50/p99/max and requests/s per route, non-2xx answers, acknowledgements recorded, dutyd's RSS and CPU.
Prints Markdown tables.
"""
import argparse
import asyncio
import csv
import datetime
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOUSEHOLDS = 55166


def utc_stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def proc_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drain(sock):
    while True:
        sock.recv(4096)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def make_schedules(work, due):
    """The shipped plan, the full roster, and the visit template due once at `due` (unix seconds)."""
    schedules = f"{work}/schedules"
    shutil.copytree(f"{ROOT}/Schedules", schedules)
    roster = f"{schedules}/rosters/households-{HOUSEHOLDS}.csv"
    subprocess.run([sys.executable, f"{ROOT}/scripts/gen-roster.py", roster], check=True, capture_output=True)
    with open(f"{schedules}/visits.toml") as f:
        text = f.read()
    text = text.replace("rosters/households-sample.csv", f"rosters/households-{HOUSEHOLDS}.csv")
    text = re.sub(r"^nth_workday\s*=.*\n", "", text, flags=re.M)
    text = re.sub(r"^time\s*=.*\n", "", text, flags=re.M)
    text = re.sub(r"^start\s*=.*\n", f"due          = {utc_stamp(due)}\n", text, flags=re.M)
    with open(f"{schedules}/visits.toml", "w") as f:
        f.write(text)
    with open(roster) as f:
        households = [row["household_id"] for row in csv.DictReader(f)]
    return schedules, households


class Stats:
    def __init__(self):
        self.latency = {}
        self.status = {}
        self.errors = []
        self.acks_recorded = 0
        self.acks_repeated = 0

    def add(self, route, seconds, status):
        self.latency.setdefault(route, []).append(seconds)
        self.status.setdefault(route, {}).setdefault(status, 0)
        self.status[route][status] += 1


async def http(reader, writer, method, path):
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length)
    return status, body


async def client(socket_path, stop, stats, occurrences, to_ack, rng):
    reader, writer = await asyncio.open_unix_connection(socket_path, limit=1 << 24)
    try:
        while not stop.is_set():
            draw = rng.random()
            if draw < 0.35:
                route, method, path = "GET /v1/upcoming?days=14&limit=20", "GET", "/v1/upcoming?days=14&limit=20"
            elif draw < 0.55:
                route, method, path = "GET /v1/status", "GET", "/v1/status"
            elif draw < 0.75:
                if rng.random() < 0.01:
                    route, method, path = "GET /v1/occurrences/<unknown> (deliberate 404)", "GET", \
                        "/v1/occurrences/visit-nonexistent@1"
                else:
                    route, method, path = "GET /v1/occurrences/<id>", "GET", f"/v1/occurrences/{rng.choice(occurrences)}"
            else:
                if not to_ack:
                    continue
                route, method, path = "POST /v1/occurrences/<id>/ack", "POST", f"/v1/occurrences/{to_ack.pop()}/ack"
            start = time.perf_counter()
            try:
                status, body = await http(reader, writer, method, path)
            except (ConnectionError, asyncio.IncompleteReadError) as e:
                stats.errors.append(f"{route}: {e!r}")
                reader, writer = await asyncio.open_unix_connection(socket_path, limit=1 << 24)
                continue
            stats.add(route, time.perf_counter() - start, status)
            if method == "POST" and status == 200:
                if json.loads(body).get("recorded"):
                    stats.acks_recorded += 1
                else:
                    stats.acks_repeated += 1
    finally:
        writer.close()


async def monitor(socket_path, stop, expected, after, marks):
    """Watches the ledger through /v1/status (its own connection, not counted) until `expected` rows are
    delivered, then lets the load run `after` more seconds."""
    reader, writer = await asyncio.open_unix_connection(socket_path, limit=1 << 24)
    while True:
        await asyncio.sleep(0.5)
        status, body = await http(reader, writer, "GET", "/v1/status")
        if status == 200:
            ledger = json.loads(body).get("ledger", {})
            if ledger.get("delivered", 0) >= expected and ledger.get("planned", 1) == 0:
                marks["ledger_done"] = time.time()
                break
    await asyncio.sleep(after)
    stop.set()
    writer.close()


async def run_load(socket_path, clients, occurrences, to_ack, after, seed):
    stats = Stats()
    stop = asyncio.Event()
    marks = {}
    rng = random.Random(seed)
    started = time.perf_counter()
    await asyncio.gather(
        monitor(socket_path, stop, HOUSEHOLDS, after, marks),
        *(client(socket_path, stop, stats, occurrences, to_ack, random.Random(rng.random())) for _ in range(clients)))
    return stats, time.perf_counter() - started, marks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dutyd", default=f"{ROOT}/.build-release/release/dutyd")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--lead", type=float, default=60, help="seconds from starting dutyd to the due instant")
    ap.add_argument("--after", type=float, default=10, help="seconds of load after the burst is delivered")
    ap.add_argument("--seed", type=int, default=20261130)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="dutyd-load-")
    proc = None
    try:
        due = int(time.time() + args.lead + 30)  # + time to generate the roster
        schedules, households = make_schedules(work, due)
        occurrences = [f"visit-{h}@{due}" for h in households]
        to_ack = list(occurrences)
        random.Random(args.seed).shuffle(to_ack)
        if time.time() > due - 20:
            sys.exit("the roster took too long: raise --lead")
        notify_path = f"{work}/notify.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(300)
        os.makedirs(f"{work}/state")
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        log = open(f"{work}/dutyd.log", "wb")
        sock = f"{work}/dutyd.sock"
        proc = subprocess.Popen([args.dutyd, "--schedules", schedules, "--state-dir", f"{work}/state", "--socket", sock,
                                 "--no-mail", "--log-level", "notice"], env=env, stdout=log, stderr=log)
        while b"READY=1" not in notify.recv(4096):
            pass
        # Keep reading, as systemd does: a full datagram queue would block dutyd's next sd_notify (STATUS=).
        notify.settimeout(None)
        threading.Thread(target=drain, args=(notify,), daemon=True).start()
        ready_at = time.time()
        rss_ready = proc_rss_mib(proc.pid)
        cpu_ready = proc_cpu_seconds(proc.pid)
        print(f"ready {due - ready_at:.1f} s before the due instant; load starts", file=sys.stderr, flush=True)
        stats, seconds, marks = asyncio.run(
            run_load(sock, args.clients, occurrences, to_ack, args.after, args.seed))
        rss_end = proc_rss_mib(proc.pid)
        cpu = proc_cpu_seconds(proc.pid) - cpu_ready
        proc.terminate()
        proc.wait(30)

        visits = f"{schedules}/visits.toml"
        out = subprocess.run(["journalctl", "-o", "json", "--all", "--no-pager", "--output-fields=DUTY_KEY,DUTY_KIND",
                              f"DUTY_SCHEDULE_FILE={visits}", "DUTY_KIND=due"],
                             capture_output=True, text=True, check=True).stdout
        per_key = {}
        stamps = []
        for line in out.splitlines():
            entry = json.loads(line)
            per_key[entry["DUTY_KEY"]] = per_key.get(entry["DUTY_KEY"], 0) + 1
            stamps.append(int(entry["__REALTIME_TIMESTAMP"]) / 1e6)
        lateness = sorted(s - due for s in stamps)
        duplicated = sum(n - 1 for n in per_key.values() if n > 1)

        print(f"\nSetup: {len(households):,} visit duties due at {utc_stamp(due)} (+ the shipped plan), {args.clients} "
              f"clients, load from READY=1 ({due - ready_at:.1f} s before the due instant) to {args.after:.0f} s after "
              f"the burst, {seconds:.1f} s in all; load average {os.getloadavg()[0]:.1f} at the end.\n")
        print("| figure | value |\n|---|---|")
        if lateness:
            print(f"| firing lateness, due instant -> __REALTIME_TIMESTAMP ({len(lateness):,} reminders) | p50 "
                  f"{percentile(lateness, 50):.2f} s, p99 {percentile(lateness, 99):.2f} s, max {lateness[-1]:.2f} s |")
            print(f"| first reminder journaled after the due instant | {lateness[0] * 1000:.0f} ms |")
            print(f"| burst completion (due -> last entry) | {lateness[-1]:.1f} s "
                  f"({len(lateness) / max(lateness[-1], 1e-9):,.0f} reminders/s) |")
        print(f"| reminders expected / journaled (distinct DUTY_KEY) / lost / duplicated | {HOUSEHOLDS:,} / "
              f"{len(per_key):,} / {HOUSEHOLDS - len(per_key):,} / {duplicated} |")
        print(f"| acknowledgements recorded / repeated | {stats.acks_recorded:,} / {stats.acks_repeated} |")
        print(f"| connection errors | {len(stats.errors)} |")
        print(f"| dutyd RSS at READY=1 / at the end; CPU during the load | {rss_ready:.0f} MiB / {rss_end:.0f} MiB; "
              f"{cpu:.1f} s |")
        print("\n| route | requests | requests/s | p50 | p99 | max | non-2xx |\n|---|---:|---:|---:|---:|---:|---:|")
        total = 0
        for route in sorted(stats.latency):
            lat = sorted(stats.latency[route])
            total += len(lat)
            bad = {s: n for s, n in stats.status[route].items() if not 200 <= s < 300}
            bad_text = ", ".join(f"{n} x {s}" for s, n in sorted(bad.items())) or "0"
            print(f"| `{route}` | {len(lat):,} | {len(lat) / seconds:,.0f} | {percentile(lat, 50) * 1000:.1f} ms | "
                  f"{percentile(lat, 99) * 1000:.1f} ms | {lat[-1] * 1000:.1f} ms | {bad_text} |")
        print(f"| all | {total:,} | {total / seconds:,.0f} | | | | |")
        for e in stats.errors[:5]:
            print("error:", e, file=sys.stderr)
    finally:
        if proc and proc.poll() is None:
            proc.kill()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
