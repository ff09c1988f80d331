#!/usr/bin/env python3
"""Oracle for dutyd's RFC 5545 recurrence engine: python-dateutil 2.9 rrulestr.

Reads JSON lines {"id": ..., "text": "DTSTART...\\nRRULE:...", "limit": N} on stdin and prints one JSON line per
input:
  {"id", "ok": true,
   "set":    [[epoch, gap], ...]   first N occurrences of the whole set, as dateutil yields them,
   "rule":   [[epoch, gap], ...]   the (first) RRULE's instances with COUNT removed, until N existing ones
                                   plus one per EXDATE (each may remove an instance from the first N),
   "count":  COUNT or null, "start": epoch of DTSTART, "rdates": [...], "exdates": [...],
   "weekstart": [[epoch, gap], ...] or null}
or {"id", "ok": false, "error": "..."} when dateutil refuses the input or takes too long.
gap = the local time does not exist in its zone (dateutil emits these, dateutil/dateutil#1425).
"weekstart" (FREQ=WEEKLY with BYSETPOS only) is "rule" computed the RFC 5545 way: dateutil counts BYSETPOS in
the first week from DTSTART instead of from the week start (dateutil/dateutil#1398), so the oracle runs the rule
from the WKST day of DTSTART's week (same wall time, BYDAY made explicit) and keeps the instances from DTSTART on.
Naive (floating) values are read as UTC. Zones come from zoneinfo (the system tz database).
"""
import itertools
import json
import signal
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import WEEKLY, rrulestr

TIME_BUDGET = 1.0


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def epoch(dt):
    if dt.tzinfo is None:
        return int(dt.replace(tzinfo=timezone.utc).timestamp())
    return int(dt.timestamp())


def is_gap(dt):
    if dt.tzinfo is None:
        return False
    back = dt.astimezone(timezone.utc).astimezone(dt.tzinfo)
    return back.replace(tzinfo=None) != dt.replace(tzinfo=None)


def entry(dt):
    return [epoch(dt), is_gap(dt)]


def split_zoned_dates(text):
    """dateutil 2.9's rrulestr upper-cases RDATE parameters and then fails to look up TZID=Europe/Berlin
    ("unsupported RDATE parm"), and refuses RDATE;VALUE=DATE. Take RDATE/EXDATE lines with parameters out and add
    them to the set directly."""
    keep, extra = [], []
    for line in text.split("\n"):
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        tzid = [p[5:] for p in params if p.upper().startswith("TZID=")]
        date_only = any(p.upper() == "VALUE=DATE" for p in params)
        if name.upper() in ("RDATE", "EXDATE") and (tzid or date_only):
            zone = ZoneInfo(tzid[0]) if tzid else None
            for item in value.split(","):
                dt = datetime.strptime(item, "%Y%m%d" if date_only else "%Y%m%dT%H%M%S").replace(tzinfo=zone)
                extra.append((name.upper(), dt))
        else:
            keep.append(line)
    return "\n".join(keep), extra


def instances(rule, limit, keep=lambda d: True):
    """The rule's instances as [epoch, gap] entries, until limit + 2 existing ones (or 50,000 in all)."""
    out = []
    existing = 0
    for d in rule:
        if not keep(d):
            continue
        e = entry(d)
        out.append(e)
        if not e[1]:
            existing += 1
        if existing >= limit + 2 or len(out) >= 50000:
            break
    return out


def weekstart_instances(rule, limit):
    """FREQ=WEEKLY with BYSETPOS, the RFC 5545 way: the first week's set starts at WKST, not at DTSTART."""
    start = rule._dtstart
    back = (start.weekday() - rule._wkst) % 7
    extra = {"count": None, "dtstart": start - timedelta(days=back)}
    if rule._original_rule.get("byweekday") is None:
        extra["byweekday"] = start.weekday()  # dateutil's default, taken from the real DTSTART
    moved = rule.replace(**extra)
    naive = start.replace(tzinfo=None)
    return instances(moved, limit, keep=lambda d: d.replace(tzinfo=None) >= naive)


def expand(request):
    limit = int(request.get("limit", 20))
    text, extra = split_zoned_dates(request["text"])
    s = rrulestr(text, forceset=True, tzids=ZoneInfo)
    for name, dt in extra:
        (s.rdate if name == "RDATE" else s.exdate)(dt)
    out = {"id": request["id"], "ok": True}
    rules = s._rrule
    out["count"] = None
    out["rule"] = []
    out["start"] = None
    out["weekstart"] = None
    if rules:
        rule = rules[0]
        out["count"] = rule._count
        out["start"] = epoch(rule._dtstart)
        # Enough instances for the first `limit` of the set to be known after the EXDATEs are taken out.
        span = limit + len(s._exdate)
        out["rule"] = instances(rule.replace(count=None), span)
        if rule._freq == WEEKLY and rule._bysetpos:
            out["weekstart"] = weekstart_instances(rule, span)
    if rules and rules[0]._count is None and not s._rdate and not s._exdate and len(rules) == 1:
        # The set is the rule: reuse its instances (halves the work for most requests).
        out["set"] = out["rule"][:limit]
    else:
        out["set"] = [entry(d) for d in itertools.islice(s, limit)]
    out["rdates"] = [epoch(d) for d in s._rdate]
    out["exdates"] = [epoch(d) for d in s._exdate]
    return out


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        request = json.loads(line)
        signal.setitimer(signal.ITIMER_REAL, TIME_BUDGET)
        try:
            result = expand(request)
        except Timeout:
            result = {"id": request.get("id"), "ok": False, "error": "timeout"}
        except Exception as exc:  # dateutil raises ValueError/TypeError for inputs it refuses
            result = {"id": request.get("id"), "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
