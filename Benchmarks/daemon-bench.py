#!/usr/bin/env python3
"""Daemon figures for docs/benchmarks.md (issue "Core 3/7"), on the shipped plan plus a generated roster of
55,166 household visits (the plan's 建档立卡贫困户):

  1. time from exec to READY=1 (read from a NOTIFY_SOCKET this script binds), and resident memory then;
  2. CPU time and wake-ups (context switches of all threads) during IDLE seconds with nothing due;
  3. firing lateness: duties due at whole seconds, from the due instant to the journal's __REALTIME_TIMESTAMP;
  4. burst: 55,166 visit reminders falling due at the same instant, time until the last is in the journal.

Usage (as root, journald running, a release build):
  swift build -c release --scratch-path .build-release --product dutyd
  python3 Benchmarks/daemon-bench.py --dutyd .build-release/release/dutyd [--idle 60] [--lateness 60] [--postgresql]
With --postgresql the ledger is a PostgreSQL 15 the script starts (initdb as `postgres` into the temporary
directory, its own Unix socket, dutyd's role set up as docs/operations.md says, a fresh schema per phase) instead
of the SQLite file in the state directory.
Prints a Markdown table. Everything runs in a temporary directory; nothing is left behind.
"""
import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def proc_threads_ctxt(pid):
    """Context switches per thread id (voluntary + involuntary): a wake-up of a sleeping thread is one."""
    result = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                total = 0
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        total += int(line.split()[1])
                result[tid] = total
        except FileNotFoundError:
            pass
    return result


def ctxt_delta(before, after):
    """Switches between two samples: per thread present in both, plus everything of threads that appeared."""
    return sum(after[t] - before.get(t, 0) for t in after)


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def proc_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def journal(matches):
    out = subprocess.run(["journalctl", "-o", "json", "--all", "--no-pager", *matches],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def start_dutyd(dutyd, schedules, work, extra, notify=None):
    os.makedirs(f"{work}/state", exist_ok=True)
    os.makedirs(f"{work}/spool", exist_ok=True)
    env = dict(os.environ)
    env.pop("NOTIFY_SOCKET", None)
    if notify:
        env["NOTIFY_SOCKET"] = notify
    log = open(f"{work}/dutyd.log", "ab")
    return subprocess.Popen([dutyd, "--schedules", schedules, "--state-dir", f"{work}/state",
                             "--socket", f"{work}/dutyd.sock", "--mail-spool", f"{work}/spool",
                             "--no-mail", "--log-level", "warning", *extra],
                            env=env, stdout=log, stderr=log)


class PostgreSQL:
    """A private PostgreSQL 15 on a Unix socket only (trust for the socket: the benchmark measures the ledger, not
    the link's security), stopped and removed by close()."""
    BIN = "/usr/lib/postgresql/15/bin"

    def __init__(self, work):
        self.dir = f"{work}/pg"
        self.data, self.socket, self.port = f"{self.dir}/data", f"{self.dir}/socket", 5432
        os.makedirs(self.socket)
        shutil.chown(self.dir, "postgres", "postgres")
        shutil.chown(self.socket, "postgres", "postgres")
        os.chmod(work, 0o755)
        self.as_postgres(f"{self.BIN}/initdb -D {self.data} --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null")
        with open(f"{self.data}/postgresql.conf", "a") as f:
            f.write(f"listen_addresses = ''\nunix_socket_directories = '{self.socket}'\nport = {self.port}\n"
                    "fsync = on\nshared_buffers = 128MB\nlog_min_messages = warning\n")
        self.as_postgres(f"{self.BIN}/pg_ctl -D {self.data} -l {self.dir}/server.log -w -t 60 start >/dev/null")
        self.psql("CREATE ROLE dutyd LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;", "postgres")
        self.psql("CREATE DATABASE dutyd;", "postgres")  # not in the same -c: a transaction block refuses it
        self.psql("REVOKE ALL ON SCHEMA public FROM PUBLIC;")
        self.schemas = 0

    def as_postgres(self, command):
        subprocess.run(["runuser", "-u", "postgres", "--", "/bin/sh", "-c", command], check=True)

    def psql(self, sql, database="dutyd"):
        subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-h", self.socket, "-p", str(self.port), "-d", database, "-c", sql], check=True)

    def store_arguments(self):
        """--store with a fresh schema owned by dutyd."""
        self.schemas += 1
        schema = f"bench{self.schemas}"
        self.psql(f"CREATE SCHEMA {schema} AUTHORIZATION dutyd;")
        return ["--store", f"postgresql://dutyd@/dutyd?host={self.socket}&port={self.port}&sslmode=disable&schema={schema}"]

    def close(self):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w",
                        "stop"], capture_output=True)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def plan_with_roster(work):
    schedules = f"{work}/schedules"
    shutil.copytree(f"{ROOT}/Schedules", schedules)
    subprocess.run([sys.executable, f"{ROOT}/scripts/gen-roster.py", f"{schedules}/rosters/households-sample.csv"],
                   check=True, capture_output=True)
    return schedules


def utc_stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dutyd", default=f"{ROOT}/.build-release/release/dutyd")
    ap.add_argument("--idle", type=float, default=60)
    ap.add_argument("--lateness", type=int, default=60, help="number of duties, one per second")
    ap.add_argument("--postgresql", action="store_true", help="the ledger in a PostgreSQL the script starts")
    args = ap.parse_args()
    rows = []
    work = tempfile.mkdtemp(prefix="dutyd-bench-")
    database = None
    try:
        schedules = plan_with_roster(work)
        database = PostgreSQL(work) if args.postgresql else None

        def store():
            return database.store_arguments() if database else []

        # 1 + 2: readiness, memory, idle cost. A quiet simulated moment (National Day 2018, midday) at rate 1, so
        # nothing falls due during the idle window; no watchdog is configured here.
        sock_path = f"{work}/notify.sock"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(sock_path)
        notify.settimeout(300)
        t0 = time.monotonic()
        proc = start_dutyd(args.dutyd, schedules, f"{work}/idle",
                           ["--clock-start", "2018-10-03T12:00:00+08:00", "--clock-rate", "1", *store()], notify=sock_path)
        ready = None
        while ready is None:
            data = notify.recv(4096).decode()
            if "READY=1" in data:
                ready = time.monotonic() - t0
        rss_ready = proc_rss_mib(proc.pid)
        time.sleep(2)
        cpu0, ctx0 = proc_cpu_seconds(proc.pid), proc_threads_ctxt(proc.pid)
        time.sleep(args.idle)
        cpu1, ctx1 = proc_cpu_seconds(proc.pid), proc_threads_ctxt(proc.pid)
        rss_idle = proc_rss_mib(proc.pid)
        stop(proc)
        rows.append(("time from exec to READY=1 (plan + 55,166 visits = 55,256 duties)", f"{ready:.2f} s"))
        rows.append(("resident memory at READY=1 / after idling", f"{rss_ready:.0f} MiB / {rss_idle:.0f} MiB"))
        rows.append((f"CPU time during {args.idle:.0f} idle seconds", f"{(cpu1 - cpu0) * 1000:.0f} ms"))
        rows.append((f"wake-ups (context switches of all threads) during {args.idle:.0f} idle seconds",
                     f"{ctxt_delta(ctx0, ctx1)} ({len(ctx1)} threads)"))

        # 3: lateness on the real clock: N duties due at consecutive whole seconds, with the plan loaded.
        late_dir = f"{work}/late"
        os.makedirs(late_dir)
        lat_sched = f"{late_dir}/schedules"
        shutil.copytree(schedules, lat_sched)
        first = int(time.time()) + 40
        with open(f"{lat_sched}/lateness.toml", "w") as f:
            f.write('[[person]]\nid = "bench"\nmail = "none"\n\n')
            for i in range(args.lateness):
                f.write(f'[[duty]]\nid = "late-{i}"\ntitle = "lateness {i}"\nrecipients = ["bench"]\n'
                        f'due = {utc_stamp(first + i)}\n\n')
        proc = start_dutyd(args.dutyd, lat_sched, late_dir, store())
        deadline = time.time() + 40 + args.lateness + 30
        entries = []
        while time.time() < deadline:
            entries = journal([f"DUTY_SCHEDULE_FILE={lat_sched}/lateness.toml"])
            if len(entries) >= args.lateness:
                break
            time.sleep(1)
        stop(proc)
        lateness = sorted(int(e["__REALTIME_TIMESTAMP"]) / 1e6 - (first + int(e["DUTY_ID"].split("-")[1]))
                          for e in entries)
        if lateness:
            p50 = statistics.median(lateness) * 1000
            p99 = lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))] * 1000
            rows.append((f"firing lateness, due instant to __REALTIME_TIMESTAMP ({len(lateness)} duties)",
                         f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lateness[-1] * 1000:.1f} ms"))

        # 4: burst: every visit due at the same instant (a template copy with `due`), journal only.
        burst_dir = f"{work}/burst"
        os.makedirs(burst_dir)
        burst_sched = f"{burst_dir}/schedules"
        os.makedirs(f"{burst_sched}/rosters")
        shutil.copy(f"{schedules}/rosters/households-sample.csv", f"{burst_sched}/rosters/r.csv")
        due = int(time.time()) + 120
        with open(f"{burst_sched}/burst.toml", "w") as f:
            f.write(f'''[[template]]
id = "burst"
roster = "rosters/r.csv"
[template.person]
id = "{{cadre_id}}"
name = "{{cadre_name}}"
mail = "none"
[template.duty]
id = "visit-{{household_id}}"
title = "入户走访 {{household_name}}"
recipients = ["{{cadre_id}}"]
due = {utc_stamp(due)}
''')
        proc = start_dutyd(args.dutyd, burst_sched, burst_dir, store())
        count = 0
        last = 0.0
        deadline = due + 900
        while time.time() < deadline:
            time.sleep(5)
            if time.time() < due:
                continue
            entries = journal([f"DUTY_SCHEDULE_FILE={burst_sched}/burst.toml"])
            count = len(entries)
            if count >= 55166:
                last = max(int(e["__REALTIME_TIMESTAMP"]) for e in entries) / 1e6
                break
        stop(proc)
        if count >= 55166:
            rows.append(("55,166 reminders due at the same instant: due to the last one journaled",
                         f"{last - due:.1f} s ({55166 / max(last - due, 1e-9):.0f} reminders/s)"))
        else:
            rows.append(("55,166 reminders due at the same instant", f"only {count} journaled within 15 min"))
    finally:
        if database:
            database.close()
        shutil.rmtree(work, ignore_errors=True)

    print("| figure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
