#!/usr/bin/env python3
"""Benchmark counterpart of `dutyctl rrule --count=N RULE`: expand N occurrences with python-dateutil 2.9
(rrulestr, zones from zoneinfo) and print them one per line in ISO 8601 with offset.
Usage: rrule-bench.py N 'DTSTART;TZID=Europe/Berlin:20260105T090000\\nRRULE:FREQ=DAILY'"""
import itertools
import sys
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def main():
    count = int(sys.argv[1])
    text = sys.argv[2].replace("\\n", "\n")
    rule = rrulestr(text, forceset=True, tzids=ZoneInfo)
    out = sys.stdout
    out.write("".join(d.isoformat() + "\n" for d in itertools.islice(rule, count)))


if __name__ == "__main__":
    main()
