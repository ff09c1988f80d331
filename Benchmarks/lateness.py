#!/usr/bin/env python3
"""Firing lateness of dutyd on the host clock: N one-off duties due at consecutive whole seconds, from each due
instant to its journal entry's __REALTIME_TIMESTAMP. Optionally with other schedule directories loaded too.

  python3 Benchmarks/lateness.py --dutyd .build-release/release/dutyd [--count 40] [--with Schedules]
"""
import argparse, datetime, json, os, shutil, statistics, subprocess, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--dutyd", required=True)
ap.add_argument("--count", type=int, default=40)
ap.add_argument("--with", dest="extra", action="append", default=[])
args = ap.parse_args()
d = tempfile.mkdtemp(prefix="dutyd-late-")
try:
    for sub in ("s", "st", "sp"):
        os.makedirs(f"{d}/{sub}")
    first = int(time.time()) + 15
    stamp = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(f"{d}/s/late.toml", "w") as f:
        f.write('[[person]]\nid = "bench-late"\nmail = "none"\n\n')
        for i in range(args.count):
            f.write(f'[[duty]]\nid = "late-{i}"\ntitle = "lateness {i}"\nrecipients = ["bench-late"]\ndue = {stamp(first + i)}\n\n')
    dirs = sum((["--schedules", x] for x in args.extra), []) + ["--schedules", f"{d}/s"]
    p = subprocess.Popen([args.dutyd, *dirs, "--state-dir", f"{d}/st", "--socket", f"{d}/x.sock", "--mail-spool", f"{d}/sp", "--no-mail"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(15 + args.count + 3)
    p.terminate(); p.wait()
    out = subprocess.run(["journalctl", "-o", "json", f"DUTY_SCHEDULE_FILE={d}/s/late.toml"], capture_output=True, text=True).stdout
    lat = sorted(int(e["__REALTIME_TIMESTAMP"]) / 1e6 - (first + int(e["DUTY_ID"].split("-")[1]))
                 for e in map(json.loads, out.splitlines()))
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"{len(lat)} duties: p50 {statistics.median(lat) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms")
finally:
    shutil.rmtree(d, ignore_errors=True)
