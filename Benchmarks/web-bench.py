#!/usr/bin/env python3
"""Page render times at the daemon with the full 55,166-household roster (issue 18, item 6). Not a timed test:
the figures go to docs/benchmarks.md ("Web pages").

Starts dutyd on the simulated clock (2018-10-20 09:00 +08:00, rate 1) with the shipped plan and a generated
roster of --households households in place of the sample, acknowledges every third September visit, then asks each
page --repeat times over the Unix socket (no nginx, no browser: the time is the daemon's) and prints the median,
p95 and maximum per page, cold (first request after a change) and warm.

    Benchmarks/web-bench.py [--bin .build-release/release] [--households 55166] [--repeat 20]
"""
import argparse
import http.client
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


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(sock, method, path, body=None, headers=None):
    conn = UnixHTTP(sock)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(ROOT, ".build-release/release"))
    p.add_argument("--households", type=int, default=55166)
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="dutyd-web-bench-")
    extra = os.path.join(work, "schedules")
    os.makedirs(os.path.join(extra, "rosters"))
    subprocess.check_call([sys.executable, os.path.join(ROOT, "scripts/gen-roster.py"), "--count", str(args.households),
                           os.path.join(extra, "rosters", "households-sample.csv")])
    shutil.copy(os.path.join(ROOT, "Schedules/visits.toml"), os.path.join(extra, "visits.toml"))
    sock = os.path.join(work, "dutyd.sock")
    started = time.monotonic()
    dutyd = subprocess.Popen(
        [os.path.join(args.bin, "dutyd"), "--schedules", os.path.join(ROOT, "Schedules"), "--schedules", extra,
         "--state-dir", os.path.join(work, "state"), "--socket", sock, "--mail-spool", os.path.join(work, "spool"),
         "--private-spool", "--no-journal", "--no-mail", "--clock-start", "2018-10-20T09:00:00+08:00", "--clock-rate", "1"],
        stdout=open(os.path.join(work, "dutyd.log"), "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            try:
                if call(sock, "GET", "/v1/status")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        print(f"dutyd answering after {time.monotonic() - started:.1f} s", flush=True)
        status, data = call(sock, "GET", "/v1/reports/visits?month=2018-09")
        september = json.loads(data)
        ids = sorted(i for c in september["cadres"] for i in c["overdue_occurrences"])
        cadre = {i: c["id"] for c in september["cadres"] for i in c["overdue_occurrences"]}
        t = time.monotonic()
        for n, i in enumerate(ids):
            if n % 3 == 0:
                call(sock, "POST", f"/v1/occurrences/{i}/ack", json.dumps({"person": cadre[i]}).encode(),
                     {"Content-Type": "application/json"})
        print(f"acknowledged {len(ids[::3])} visits in {time.monotonic() - t:.1f} s", flush=True)
        township = september["townships"][0]["id"]
        pages = ["/", "/calendar?month=2018-10", "/visits?month=2018-09", f"/visits?month=2018-09&township={township}",
                 "/interviews", "/problems", "/duties/dongchuan-biweekly-meeting", f"/occurrences/{ids[0]}", "/bulletins",
                 "/bulletins/tangdan/2018-10", "/bulletins/tangdan/2018-10.pdf",
                 "/v1/reports/visits?month=2018-09&format=csv", "/v1/calendar.ics?township=tangdan"]
        print(f"{'page':58} {'cold ms':>8} {'median':>8} {'p95':>8} {'max':>8} {'bytes':>9}")
        for page in pages:
            times = []
            size = 0
            for _ in range(args.repeat + 1):
                t = time.perf_counter()
                status, data = call(sock, "GET", page, headers={"Accept-Encoding": "gzip"})
                times.append((time.perf_counter() - t) * 1000)
                size = len(data)
                assert status == 200, (page, status, data[:200])
            cold, warm = times[0], sorted(times[1:])
            p95 = warm[int(0.95 * (len(warm) - 1))]
            print(f"{page:58} {cold:8.1f} {statistics.median(warm):8.1f} {p95:8.1f} {max(warm):8.1f} {size:9}", flush=True)
    finally:
        dutyd.terminate()
        dutyd.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
