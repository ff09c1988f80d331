#!/usr/bin/env python3
"""Differential check of `dutyctl calendar` against `systemd-analyze calendar` (developer tool).

usage: scripts/calendar-diff.py [--dutyctl PATH] [--count N] [--seed S] [--zones UTC,Europe/Berlin] [--iterations 20]

Generates random calendar expressions (seeded; the seed is printed), runs both programs in batches with the same
$TZ and --base-time, and prints every expression whose output differs ('From now:' lines excluded).
The Swift test CalendarSpecDifferentialTests does the same inside `swift test`.
"""
import argparse, os, random, subprocess, sys

WD = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "monday", "FRIDAY", "Wednesday"]
SHORT = ["minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly",
         "semiannually", "semi-annually", "biannually", "bi-annually", "anually", "Daily", "HOURLY"]


def item(r, lo, hi, width, rep=True):
    a = r.randint(lo, hi)
    k = r.random()
    s = str(a).zfill(r.choice([1, width]))
    if k < 0.25 and a < hi:
        b = r.randint(a, hi)
        s += ".." + str(b)
        if r.random() < 0.4:
            s += "/" + str(r.randint(1, max(1, (b - a) or 1)))
    elif k < 0.45 and rep:
        s += "/" + str(r.randint(1, max(1, (hi - a) // 2 or 1)))
    return s


def field(r, lo, hi, width, star=0.4):
    if r.random() < star:
        return "*"
    return ",".join(item(r, lo, hi, width) for _ in range(r.choice([1, 1, 1, 2, 3])))


def seconds(r):
    k = r.random()
    if k < 0.3:
        return "*"
    if k < 0.5:
        return "%02d" % r.randint(0, 59)
    if k < 0.6:
        return "%02d.%s" % (r.randint(0, 58), str(r.randint(0, 999999)).zfill(6)[: r.randint(1, 7)])
    return field(r, 0, 59, 2, star=0)


def spec(r):
    k = r.random()
    if k < 0.05:
        return r.choice(SHORT)
    if k < 0.07:
        return "@%d" % r.randint(0, 7258118399)
    parts = []
    if r.random() < 0.3:
        days = r.sample(range(7), r.randint(1, 3))
        names = []
        for d in sorted(days):
            if r.random() < 0.3 and d < 6:
                names.append(WD[d][:3] + r.choice(["..", "-"]) + WD[r.randint(d + 1, 6)][:3])
            else:
                names.append(WD[d])
        parts.append(",".join(names))
    if r.random() < 0.8:
        y = field(r, 2020, 2040, 4, star=0.7) if r.random() < 0.5 else None
        m = field(r, 1, 12, 2, star=0.5)
        if r.random() < 0.15:
            d = field(r, 1, 28, 2, star=0.2)
            sep = "~"
        else:
            d = field(r, 1, 31, 2, star=0.5)
            sep = "-"
        parts.append((y + "-" if y else "") + m + sep + d)
    if r.random() < 0.85 or not parts:
        h = field(r, 0, 23, 2, star=0.3)
        mi = field(r, 0, 59, 2, star=0.3)
        t = h + ":" + mi
        if r.random() < 0.6:
            t += ":" + seconds(r)
        parts.append(t)
    s = " ".join(parts)
    if r.random() < 0.1:
        s += r.choice([" UTC", " Europe/Berlin", " Asia/Shanghai", " America/New_York", " Pacific/Auckland"])
    return s


def run(cmd, tz, specs):
    env = dict(os.environ, TZ=tz)
    p = subprocess.run(cmd + ["--"] + specs, env=env, capture_output=True, text=True)
    out = [l for l in p.stdout.split("\n") if "From now:" not in l]
    return p.returncode, out


def tables(lines):
    chunks, cur = [], []
    for l in lines:
        if l == "" and cur:
            chunks.append(cur)
            cur = []
        elif l != "":
            cur.append(l)
    if cur:
        chunks.append(cur)
    return chunks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dutyctl", default=".build/debug/dutyctl")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--zones", default="UTC,Asia/Shanghai,Europe/Berlin")
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--batch", type=int, default=250)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    print("seed", seed)
    r = random.Random(seed)
    bad = 0
    for tz in a.zones.split(","):
        for start in range(0, a.count, a.batch):
            specs = [spec(r) for _ in range(min(a.batch, a.count - start))]
            base = r.randint(0, 4102444800)
            args = ["calendar", "--iterations=%d" % a.iterations, "--base-time=@%d" % base]
            _, mine = run([a.dutyctl] + args + ["--no-from-now"], tz, specs)
            _, ref = run(["systemd-analyze"] + args, tz, specs)
            if mine == ref:
                continue
            for s in specs:
                _, m1 = run([a.dutyctl] + args + ["--no-from-now"], tz, [s])
                _, r1 = run(["systemd-analyze"] + args, tz, [s])
                if m1 != r1:
                    _, q1 = run([a.dutyctl] + args + ["--no-from-now", "--systemd-252-quirks"], tz, [s])
                    if q1 == r1:
                        print("deviation systemd#40260 (252 skips the 1st after a month carry): TZ=%s base=@%d %r" % (tz, base, s))
                        continue
                    bad += 1
                    print("DIFF TZ=%s base=@%d %r" % (tz, base, s))
                    for x, y in zip(m1 + [""] * 50, r1 + [""] * 50):
                        if x != y:
                            print("   mine: %s\n   ref:  %s" % (x, y))
                            break
    print("differences:", bad)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
