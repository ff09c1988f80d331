#!/usr/bin/env python3
"""Runs other iCalendar implementations' published recurrence test cases through this build's `dutyctl rrule`.

Downloads nothing and copies nothing: it reads the peer suite files whose paths it is given, extracts each case
(DTSTART, RRULE, expected instances), expands it with dutyctl and reports agreements and differences.

    python3 scripts/peer-rrule-suites.py [--dutyctl .build/debug/dutyctl] [--verbose] [--jobs 2] \\
        libical=LIBICAL/src/test/icalrecur_test.txt \\
        dateutil=DATEUTIL/tests/test_rrule.py \\
        rust-rrule=RUST_RRULE/rrule/src/tests/rfc_tests.rs rust-rrule=RUST_RRULE/rrule/src/tests/rrule.rs ...

Suites it can read (SUITE=PATH, a suite may be given several files):
  libical     src/test/icalrecur_test.txt (RRULE:/DTSTART:/START-AT:/INSTANCES: records; floating values are UTC)
  dateutil    tests/test_rrule.py (self.assertEqual(list(rrule(...) or rrulestr(...)), [datetime(...), ...]),
              read with Python's ast module, never imported or run)
  rust-rrule  rrule/src/tests/*.rs ("...".parse::<RRuleSet>() ... .all(N) with check_occurrences, and
              RRule { ... } with test_recurring_rrule)

Verdicts per case:
  agree        dutyd prints exactly the expected instances (and no more when the peer's list is complete);
  <deviation>  a difference docs/rrule-deviations.md names (section "Peer suites"), recognised by its shape;
  refused      dutyd rejects the input (RFC 5545 restrictions, non-RFC syntax); the message is shown;
  peer-refuses the peer's suite expects an error (libical "*** UNIMPLEMENTED") where dutyd expands the rule;
  differ       anything else: a bug in dutyd or a difference still to be documented;
  skipped      the case uses something outside RFC 5545 (BYEASTER, ...) or that this script cannot translate.
Exit status: 0 when no case is `differ`, 1 otherwise, 2 on usage errors.
"""
import argparse
import ast
import concurrent.futures
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]


class Unsupported(Exception):
    """The case uses something this script does not translate (reason in the message)."""


@dataclass
class Case:
    suite: str
    where: str  # file:line
    title: str
    text: str = ""  # iCalendar lines for dutyctl
    expected: list = field(default_factory=list)  # aware datetimes
    complete: bool = True  # the peer's list is the whole set (else a prefix)
    after: datetime | None = None  # only instances at or after this (libical START-AT)
    peer_error: str | None = None  # the peer's suite expects it to refuse the input
    skip: str | None = None
    # filled in by run()
    verdict: str = ""
    got: list = field(default_factory=list)
    message: str = ""


# MARK: - iCalendar helpers


def compact(dt):
    return dt.strftime("%Y%m%dT%H%M%S")


def parse_value(text, zone=None):
    """YYYYMMDD, YYYYMMDDTHHMMSS[Z] -> (aware datetime, is_date). Floating values are read in UTC (dutyctl's
    default --floating-zone), zone=TZID otherwise."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})(\d\d)(\d\d)(?:T(\d\d)(\d\d)(\d\d)(Z?))?", text)
    if not m:
        raise Unsupported(f"date-time {text!r}")
    y, mo, d, h, mi, s, z = m.groups()
    if h is None:
        return datetime(int(y), int(mo), int(d), tzinfo=UTC), True
    tz = UTC if z or zone is None else zone
    return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=tz), False


def start_of(text):
    """(DTSTART as aware datetime, is_date, zone) from iCalendar text."""
    for line in text.split("\n"):
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        if name.strip().upper() == "DTSTART":
            tzid = [p[5:] for p in params if p.upper().startswith("TZID=")]
            zone = ZoneInfo(tzid[0]) if tzid else None
            dt, is_date = parse_value(value, zone)
            return dt, is_date, zone or UTC
    raise Unsupported("no DTSTART")


def rule_parts(text):
    for line in text.split("\n"):
        line = line.strip()
        if line.upper().startswith("RRULE:"):
            line = line[6:]
        if line.upper().startswith("FREQ=") or ";FREQ=" in line.upper():
            return dict(p.upper().split("=", 1) for p in line.split(";") if "=" in p)
    return {}


# MARK: - libical


def read_libical(path):
    cases = []
    record, first_line = {}, None

    def flush():
        nonlocal record, first_line
        if "RRULE" in record:
            cases.append(libical_case(path, first_line, record))
        record, first_line = {}, None

    title = ""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                flush()
                continue
            if line.startswith("#"):
                if not record:
                    title = line[1:].strip()
                continue
            key, _, value = line.partition(":")
            if first_line is None:
                first_line = number
                record["title"] = title
            record[key] = value
    flush()
    return cases


def libical_case(path, line, record):
    case = Case("libical", f"{os.path.basename(path)}:{line}", record.get("title", ""))
    rule = record["RRULE"].rstrip(";")
    if any(k in rule.upper() for k in ("RSCALE", "SKIP")):
        case.skip = "RSCALE/SKIP (RFC 7529)"
        return case
    dtstart = record.get("DTSTART", "")
    try:
        start, is_date = parse_value(dtstart)
    except Unsupported as e:
        case.skip = str(e)
        return case
    case.text = ("DTSTART;VALUE=DATE:" if is_date else "DTSTART:") + dtstart + "\nRRULE:" + rule
    instances = record.get("INSTANCES", "").strip()
    if instances.startswith("***"):
        case.peer_error = instances.strip("* ")
    else:
        case.expected = [parse_value(v)[0] for v in instances.split(",") if v.strip()]
    # libical iterates to the end; a rule without COUNT/UNTIL is cut by its 2,000-byte buffer.
    parts = rule_parts(case.text)
    case.complete = "COUNT" in parts or "UNTIL" in parts
    if record.get("START-AT"):
        # The harness compares from the first listed instance at or after START-AT.
        case.after = parse_value(record["START-AT"])[0]
        case.expected = [d for d in case.expected if d >= case.after]
    return case


# MARK: - dateutil (tests/test_rrule.py, read with ast)


class Weekday:
    def __init__(self, index, n=None):
        self.index, self.n = index, n

    def __call__(self, n):
        return Weekday(self.index, n)

    def ical(self):
        return (str(self.n) if self.n else "") + WEEKDAYS[self.index]


class RuleCall:
    def __init__(self, args, kwargs):
        self.args, self.kwargs = args, kwargs


class StrCall:
    def __init__(self, args, kwargs):
        self.args, self.kwargs = args, kwargs


class ListOf:
    def __init__(self, inner):
        self.inner = inner


def dateutil_env():
    env = {name: ("FREQ", name) for name in FREQS}
    env.update({name: Weekday(i) for i, name in enumerate(WEEKDAYS)})
    env["None"] = None
    return env


def evaluate(node, env):
    """A tiny evaluator for the literal shapes the dateutil suite uses; anything else is Unsupported."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return [evaluate(e, env) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = evaluate(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = evaluate(node.left, env), evaluate(node.right, env)
        if isinstance(a, str) and isinstance(b, str):
            return a + b
        raise Unsupported("arithmetic")
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise Unsupported(f"name {node.id}")
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id == "tz" and node.attr == "UTC":
            return UTC
        raise Unsupported(f"attribute {ast.unparse(node)}")
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func)
        args = [evaluate(a, env) for a in node.args]
        kwargs = {k.arg: evaluate(k.value, env) for k in node.keywords}
        if name in ("datetime", "datetime.datetime"):
            return datetime(*args, **kwargs)
        if name in ("date", "datetime.date"):
            return date(*args)
        if name == "tz.gettz" and len(args) == 1:
            return ZoneInfo(args[0])
        if name in ("tz.tzutc", "tz.UTC"):
            return UTC
        if name == "rrule":
            return RuleCall(args, kwargs)
        if name == "rrulestr":
            return StrCall(args, kwargs)
        if name == "list" and len(args) == 1:
            return ListOf(args[0])
        if len(args) == 1 and not kwargs and isinstance(evaluate(node.func, env), Weekday):
            return evaluate(node.func, env)(args[0])
        raise Unsupported(f"call {name}")
    raise Unsupported(type(node).__name__)


def ints(value):
    values = value if isinstance(value, list) else [value]
    return ",".join(str(v) for v in values)


def to_aware(dt):
    if isinstance(dt, datetime):
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return datetime(dt.year, dt.month, dt.day, tzinfo=UTC)


def dtstart_line(dt):
    if not isinstance(dt, datetime):
        dt = datetime(dt.year, dt.month, dt.day)  # dateutil turns a date DTSTART into midnight
    if dt.tzinfo is None:
        return "DTSTART:" + compact(dt)
    if dt.utcoffset() == timedelta(0) and (dt.tzinfo is UTC or getattr(dt.tzinfo, "key", "") == "UTC"):
        return "DTSTART:" + compact(dt) + "Z"
    key = getattr(dt.tzinfo, "key", None)
    if key is None:
        raise Unsupported("DTSTART zone without a name")
    return f"DTSTART;TZID={key}:" + compact(dt)


def rule_text(call):
    """rrule(FREQ, dtstart=..., ...) -> iCalendar text."""
    kw = dict(call.kwargs)
    freq = call.args[0] if call.args else kw.pop("freq", None)
    if not (isinstance(freq, tuple) and freq[0] == "FREQ"):
        raise Unsupported("frequency")
    if "dtstart" not in kw:
        raise Unsupported("no dtstart (dateutil uses the clock)")
    start = kw.pop("dtstart")
    parts = ["FREQ=" + freq[1]]
    for key in ("cache",):
        kw.pop(key, None)
    if "byeaster" in kw:
        raise Unsupported("BYEASTER (dateutil extension)")
    if "interval" in kw:
        parts.append(f"INTERVAL={kw.pop('interval')}")
    if "count" in kw:
        parts.append(f"COUNT={kw.pop('count')}")
    if "until" in kw:
        until = kw.pop("until")
        if not isinstance(until, datetime):
            until = datetime(until.year, until.month, until.day)
        if until.tzinfo is None:
            parts.append("UNTIL=" + compact(until))
        else:
            parts.append("UNTIL=" + compact(until.astimezone(UTC)) + "Z")
    for key, name in (("bymonth", "BYMONTH"), ("byweekno", "BYWEEKNO"), ("byyearday", "BYYEARDAY"),
                      ("bymonthday", "BYMONTHDAY")):
        if key in kw:
            parts.append(f"{name}={ints(kw.pop(key))}")
    if "byweekday" in kw:
        value = kw.pop("byweekday")
        values = value if isinstance(value, list) else [value]
        days = [(v if isinstance(v, Weekday) else Weekday(v)).ical() for v in values]
        parts.append("BYDAY=" + ",".join(days))
    for key, name in (("byhour", "BYHOUR"), ("byminute", "BYMINUTE"), ("bysecond", "BYSECOND"),
                      ("bysetpos", "BYSETPOS")):
        if key in kw:
            parts.append(f"{name}={ints(kw.pop(key))}")
    if "wkst" in kw:
        w = kw.pop("wkst")
        parts.append("WKST=" + WEEKDAYS[w.index if isinstance(w, Weekday) else w])
    if kw:
        raise Unsupported("rrule arguments " + ", ".join(sorted(kw)))
    return dtstart_line(start) + "\nRRULE:" + ";".join(parts)


def str_text(call):
    """rrulestr("...", dtstart=...) -> iCalendar text (dateutil's own leniencies are passed on unchanged)."""
    kw = dict(call.kwargs)
    if not call.args or not isinstance(call.args[0], str):
        raise Unsupported("rrulestr argument")
    text = call.args[0]
    for key in ("unfold", "forceset", "compatible", "cache"):
        kw.pop(key, None)
    start = kw.pop("dtstart", None)
    if kw:
        raise Unsupported("rrulestr arguments " + ", ".join(sorted(kw)))
    if "BYEASTER" in text.upper():
        raise Unsupported("BYEASTER (dateutil extension)")
    lines = [l for l in text.strip("\n").split("\n")]
    if start is not None and not any(l.strip().upper().startswith("DTSTART") for l in lines):
        lines.insert(0, dtstart_line(start))
    return "\n".join(lines)


def statements(body):
    """Statements in source order, also those inside with/for/if blocks."""
    for stmt in body:
        yield stmt
        for name in ("body", "orelse", "finalbody"):
            inner = getattr(stmt, name, None)
            if isinstance(inner, list) and not isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                yield from statements(inner)


def read_dateutil(path):
    source = open(path, encoding="utf-8").read()
    tree = ast.parse(source)
    cases = []
    base = os.path.basename(path)
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        for fn in [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]:
            env = dateutil_env()
            for stmt in statements(fn.body):
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                    try:
                        env[stmt.targets[0].id] = evaluate(stmt.value, env)
                    except (Unsupported, TypeError, ValueError):
                        env.pop(stmt.targets[0].id, None)
                    continue
                if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                        and ast.unparse(stmt.value.func) == "self.assertEqual" and len(stmt.value.args) == 2):
                    continue
                stmt = stmt.value
                left = stmt.args[0]
                if not (isinstance(left, ast.Call) and ast.unparse(left.func) == "list"):
                    continue
                case = Case("dateutil", f"{base}:{stmt.lineno}", f"{cls.name}.{fn.name}")
                try:
                    spec = evaluate(left, env)
                    want = evaluate(stmt.args[1], env)
                    if not isinstance(spec, ListOf):
                        raise Unsupported("not list(...)")
                    inner = spec.inner
                    if isinstance(inner, RuleCall):
                        case.text = rule_text(inner)
                    elif isinstance(inner, StrCall):
                        case.text = str_text(inner)
                    else:
                        raise Unsupported("not an rrule/rrulestr expansion")
                    if not isinstance(want, list) or not all(isinstance(d, (datetime, date)) for d in want):
                        raise Unsupported("expected value is not a list of datetimes")
                    case.expected = [to_aware(d) for d in want]
                except (Unsupported, TypeError, ValueError) as e:
                    case.skip = str(e)
                cases.append(case)
    return cases


# MARK: - rust-rrule


def rust_string(body):
    """The value of a Rust string literal's body (escapes, and backslash-newline continuations)."""
    body = re.sub(r"\\\n\s*", "", body)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "\\": "\\", '"': '"'}.get(m.group(1), m.group(1)), body)


def rust_blocks(source):
    """(line, name, body) of each #[test] function."""
    for m in re.finditer(r"#\[test\]\s*fn\s+(\w+)\s*\(\)\s*\{", source):
        depth, i = 1, m.end()
        while depth and i < len(source):
            depth += {"{": 1, "}": -1}.get(source[i], 0)
            i += 1
        yield source.count("\n", 0, m.start()) + 1, m.group(1), source[m.end():i - 1]


def split_top(text):
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def rust_ymd(text):
    nums = [int(x) for x in re.findall(r"-?\d+", text)]
    return datetime(*nums, tzinfo=UTC)


def rust_struct_rule(fields):
    parts, start_parts = {}, {}
    for item in split_top(fields):
        if item.startswith(".."):
            continue
        key, _, value = item.partition(":")
        key, value = key.strip(), value.strip()
        if key == "freq":
            parts["FREQ"] = value.split("::")[-1].upper()
        elif key == "count":
            parts["COUNT"] = re.fullmatch(r"Some\((\d+)\)", value).group(1)
        elif key == "interval":
            parts["INTERVAL"] = value
        elif key == "until":
            parts["UNTIL"] = compact(rust_ymd(value)) + "Z"
        elif key == "week_start":
            parts["WKST"] = value.split("::")[-1][:2].upper()
        elif key == "by_weekday":
            days = []
            for d in split_top(value[value.index("[") + 1:value.rindex("]")]):
                m = re.fullmatch(r"NWeekday::Every\(Weekday::(\w+)\)", d) or \
                    re.fullmatch(r"NWeekday::Nth\((-?\d+),\s*Weekday::(\w+)\)", d)
                if not m:
                    raise Unsupported(f"weekday {d}")
                days.append(m.group(1)[:2].upper() if len(m.groups()) == 1 else m.group(1) + m.group(2)[:2].upper())
            parts["BYDAY"] = ",".join(days)
        elif key in ("by_month", "by_week_no", "by_year_day", "by_month_day", "by_hour", "by_minute",
                     "by_second", "by_set_pos"):
            values = re.findall(r"-?\d+", value)
            if not values:
                continue
            name = {"by_month": "BYMONTH", "by_week_no": "BYWEEKNO", "by_year_day": "BYYEARDAY",
                    "by_month_day": "BYMONTHDAY", "by_hour": "BYHOUR", "by_minute": "BYMINUTE",
                    "by_second": "BYSECOND", "by_set_pos": "BYSETPOS"}[key]
            parts[name] = ",".join(values)
        elif key == "by_easter":
            raise Unsupported("BYEASTER (rust-rrule extension)")
        else:
            raise Unsupported(f"field {key}")
    order = ["FREQ", "INTERVAL", "COUNT", "UNTIL", "BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY",
             "BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS", "WKST"]
    return ";".join(f"{k}={parts[k]}" for k in order if k in parts)


def read_rust(path):
    source = open(path, encoding="utf-8").read()
    base = os.path.basename(path)
    cases = []
    for line, name, body in rust_blocks(source):
        where = f"{base}:{line}"
        literal = re.findall(r'"((?:[^"\\]|\\.)*)"\s*\.parse(?:::<RRuleSet>)?\(\)', body, re.S)
        checks = re.findall(r"check_occurrences\(\s*&dates,\s*&\[(.*?)\]\s*,?\s*\)", body, re.S)
        limit = re.search(r"\.all\(([\w:]+)\)", body)
        parsed = len(literal) == 1 and len(checks) == 1 and (limit or "all_unchecked()" in body)
        struct = re.search(r"let rrule = RRule \{(.*?)\};\s*test_recurring_rrule\(\s*rrule,\s*(true|false),\s*"
                           r"ymd_hms\(([^)]*)\),\s*&\[(.*?)\],?\s*\);", body, re.S)
        if parsed:
            case = Case("rust-rrule", where, name)
            case.text = rust_string(literal[0]).strip()
            case.expected = [datetime.fromisoformat(s) for s in re.findall(r'"([^"]+)"', checks[0])]
            case.complete = not limit or limit.group(1) == "u16::MAX" or len(case.expected) < int(limit.group(1))
            cases.append(case)
        elif struct:
            case = Case("rust-rrule", where, name)
            try:
                rule = rust_struct_rule(struct.group(1))
                start = rust_ymd(struct.group(3))
                case.text = "DTSTART:" + compact(start) + "Z\nRRULE:" + rule
                case.expected = [rust_ymd(m) for m in re.findall(r"ymd_hms\(([^)]*)\)", struct.group(4))]
            except (Unsupported, AttributeError, ValueError) as e:
                case.skip = str(e) or "not translated"
            cases.append(case)
        elif "parse::<RRuleSet>" in body or "test_recurring_rrule(" in body:
            cases.append(Case("rust-rrule", where, name, skip="test shape not translated"))
    return cases


READERS = {"libical": read_libical, "dateutil": read_dateutil, "rust-rrule": read_rust}


# MARK: - Running dutyctl


def expand(dutyctl, text, count, after=None):
    """dutyctl rrule: (instances, None) or (None, first line of its error)."""
    argv = [dutyctl, "rrule", "--count", str(count)]
    if after is not None:
        argv += ["--after", (after - timedelta(seconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
    argv.append(text)
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, "dutyctl took more than 60 s"
    if p.returncode != 0:
        return None, p.stderr.strip().split("\n")[0]
    return [datetime.fromisoformat(l) for l in p.stdout.split("\n") if l], None


def run(case, dutyctl):
    if case.skip:
        case.verdict = "skipped"
        return case
    got, error = expand(dutyctl, case.text, max(len(case.expected) + 2, 10), case.after)
    if got is None:
        case.verdict = "agree" if case.peer_error else "refused"
        case.message = error
        return case
    case.got = got
    if case.peer_error:
        case.verdict, case.message = "peer-refuses", case.peer_error
        return case
    case.verdict = classify(case, dutyctl)
    return case


def same(a, b):
    return [x.timestamp() for x in a] == [y.timestamp() for y in b]


def matches(got, want, complete):
    return same(got, want) if complete else same(got[:len(want)], want)


def with_rule(text, parts):
    """The text with its RRULE replaced by `parts`."""
    order = ["FREQ", "INTERVAL", "COUNT", "UNTIL"]
    rule = ";".join(f"{k}={v}" for k, v in sorted(parts.items(), key=lambda kv: (kv[0] not in order, kv[0])))
    return "\n".join("RRULE:" + rule if l.strip().upper().startswith("RRULE:") else l for l in text.split("\n"))


def with_start(text, local, is_date):
    """The text with DTSTART's value replaced by the wall time `local` (same parameters)."""
    value = local.strftime("%Y%m%d") if is_date else compact(local)
    out = []
    for line in text.split("\n"):
        if line.strip().upper().startswith("DTSTART"):
            head, _, old = line.partition(":")
            line = head + ":" + value + ("Z" if old.strip().endswith("Z") else "")
        out.append(line)
    return "\n".join(out)


def week_year(day, wkst):
    """The year whose week numbering (weeks from WKST, week 1 = first with 4 days) holds `day`."""
    def week1(year):
        jan1 = date(year, 1, 1)
        offset = (jan1.weekday() - wkst) % 7
        return jan1 - timedelta(days=offset) + timedelta(days=7 if offset > 3 else 0)
    year = day.year
    if day >= week1(year + 1):
        return year + 1
    return year if day >= week1(year) else year - 1


def in_gap_moved(instant, zone):
    """Whether `instant` is a local time that does not exist in `zone`, moved forward by the gap."""
    if zone is UTC:
        return False
    before = (instant - timedelta(hours=3)).astimezone(zone).utcoffset()
    jump = instant.astimezone(zone).utcoffset() - before
    if jump <= timedelta(0):
        return False
    wall = instant.astimezone(zone).replace(tzinfo=None) - jump
    back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back != wall


def classify(case, dutyctl):
    got, want = case.got, case.expected
    if matches(got, want, case.complete):
        return "agree"
    start, is_date, zone = start_of(case.text)
    parts = rule_parts(case.text)
    # multiple-rrule: RFC 5545 §3.8.5.3 calls a set with several RRULEs undefined; dutyd's answer is the union of
    # its answers for each RRULE alone (each counting DTSTART).
    lines = case.text.split("\n")
    rules = [l for l in lines if l.strip().upper().startswith("RRULE:")]
    if len(rules) > 1:
        union = {}
        for rule in rules:
            alone, _ = expand(dutyctl, "\n".join([l for l in lines if l not in rules] + [rule]), len(got) + 2)
            union.update({d.timestamp(): d for d in alone or []})
        if same(got, [union[t] for t in sorted(union)][:len(got)]):
            return "multiple-rrule"
    # dtstart-not-in-rule: the peer drops a DTSTART its rule does not produce; dutyd keeps it and counts it.
    if case.after is None and all(w.timestamp() != start.timestamp() for w in want):
        model = [start] + want
        if "COUNT" in parts and case.complete:
            model = model[:int(parts["COUNT"])]
        if matches(got, model, case.complete):
            return "dtstart-not-in-rule"
    # dst-gap: the peer turns a local time that does not exist into an instance (moved past the gap) and counts
    # it; RFC 5545 ignores it and does not count it.
    moved = [w for w in want if in_gap_moved(w, zone)]
    if moved:
        model = [w for w in want if w not in moved]
        if same(got[:len(model)], model) and (not case.complete or len(got) == len(want) if "COUNT" in parts
                                               else not case.complete or len(got) == len(model)):
            return "dst-gap"
    local = start.astimezone(zone)
    # weekly-setpos-week-start: the peer counts BYSETPOS in the first week from DTSTART, not from WKST. The weeks
    # after the first agree, and dutyd's picks in the first week are those of the same rule started at the week's
    # WKST day (where both readings coincide).
    if parts.get("FREQ") == "WEEKLY" and "BYSETPOS" in parts and case.after is None:
        wkst = WEEKDAYS.index(parts.get("WKST", "MO"))
        week = local.date() - timedelta(days=(local.weekday() - wkst) % 7)
        next_week = week + timedelta(days=7)
        cut = datetime(next_week.year, next_week.month, next_week.day, tzinfo=zone).timestamp()
        tail_got = [g for g in got if g.timestamp() >= cut]
        tail_want = [w for w in want if w.timestamp() >= cut]
        k = min(len(tail_got), len(tail_want))
        reference = {k: v for k, v in parts.items() if k != "COUNT"}
        reference.setdefault("BYDAY", WEEKDAYS[local.weekday()])
        moved = datetime.combine(week, local.time())
        ref, _ = expand(dutyctl, with_rule(with_start(case.text, moved, is_date), reference), 64)
        first_ref = [r for r in ref or [] if start.timestamp() < r.timestamp() < cut]
        first_got = [g for g in got if start.timestamp() < g.timestamp() < cut]
        if k and same(tail_got[:k], tail_want[:k]) and ref is not None and same(first_got,
                                                                                first_ref[:len(first_got)]):
            return "weekly-setpos-week-start"
    # date-start-time-parts: the peer applies BYHOUR/BYMINUTE/BYSECOND to a DATE DTSTART; dutyd ignores them.
    time_parts = ("BYHOUR", "BYMINUTE", "BYSECOND")
    if is_date and any(p in parts for p in time_parts):
        plain, _ = expand(dutyctl, with_rule(case.text, {k: v for k, v in parts.items() if k not in time_parts}),
                          len(got), case.after)
        if plain is not None and same(plain, got):
            return "date-start-time-parts"
    # Readings where the peer takes a day part from DTSTART that dutyd leaves open; confirmed by giving dutyd the
    # part explicitly and getting the peer's answer.
    day_parts = ("BYDAY", "BYMONTHDAY", "BYYEARDAY")
    if parts.get("FREQ") == "YEARLY" and "BYWEEKNO" in parts and not any(p in parts for p in day_parts):
        explicit, _ = expand(dutyctl, with_rule(case.text, {**parts, "BYDAY": WEEKDAYS[local.weekday()]}),
                             len(want) + 2, case.after)
        if explicit is not None and matches(explicit, want, case.complete):
            return "weekno-without-byday"
    if parts.get("FREQ") == "YEARLY" and "BYMONTHDAY" in parts and not any(
            p in parts for p in ("BYMONTH", "BYWEEKNO", "BYYEARDAY")):
        explicit, _ = expand(dutyctl, with_rule(case.text, {**parts, "BYMONTH": str(local.month)}),
                             len(want) + 2, case.after)
        if explicit is not None and matches(explicit, want, case.complete):
            return "yearly-bymonthday-month"
    # weekno-interval-week-year: the peer counts a YEARLY INTERVAL in week-numbering years (from the one holding
    # DTSTART); confirmed by expanding every year and keeping the peer's week-years.
    wkst = WEEKDAYS.index(parts.get("WKST", "MO"))
    interval = int(parts.get("INTERVAL", "1"))
    if parts.get("FREQ") == "YEARLY" and "BYWEEKNO" in parts and interval > 1 and "COUNT" not in parts \
            and case.complete and week_year(local.date(), wkst) != local.year:
        every = {k: v for k, v in parts.items() if k != "INTERVAL"}
        everything, _ = expand(dutyctl, with_rule(case.text, every), 5000)
        if everything is not None:
            base = week_year(local.date(), wkst)
            model = [d for d in everything
                     if d == everything[0] or (week_year(d.astimezone(zone).date(), wkst) - base) % interval == 0]
            if matches(model, want, True):
                return "weekno-interval-week-year"
    return "differ"


# MARK: - Report


def show(dt, zone):
    return dt.astimezone(zone).isoformat()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("suites", nargs="+", metavar="SUITE=PATH")
    ap.add_argument("--dutyctl", default=".build/debug/dutyctl")
    ap.add_argument("--verbose", action="store_true", help="also list agreeing and named-deviation cases")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", metavar="FILE", help="write every case and verdict as JSON")
    args = ap.parse_args()
    if not os.access(args.dutyctl, os.X_OK):
        print(f"no dutyctl at {args.dutyctl} (swift build first, or --dutyctl)", file=sys.stderr)
        return 2
    cases = []
    for spec in args.suites:
        suite, _, path = spec.partition("=")
        if suite not in READERS or not path:
            print(f"expected SUITE=PATH with SUITE one of {', '.join(READERS)}: {spec}", file=sys.stderr)
            return 2
        cases += READERS[suite](path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        cases = list(pool.map(lambda c: run(c, args.dutyctl), cases))

    named = ["dtstart-not-in-rule", "dst-gap", "weekly-setpos-week-start", "date-start-time-parts", "multiple-rrule",
             "weekno-without-byday", "yearly-bymonthday-month", "weekno-interval-week-year"]
    order = ["agree"] + named + ["refused", "peer-refuses", "differ", "skipped"]
    for case in cases:
        quiet = case.verdict in ("agree", "skipped") or (case.verdict in named and not args.verbose)
        if quiet and not (args.verbose and case.verdict == "agree"):
            continue
        print(f"[{case.suite}] {case.where} {case.title}: {case.verdict}")
        if case.verdict == "agree":
            continue
        for line in case.text.split("\n"):
            print("    " + line)
        if case.after is not None:
            print(f"    from {case.after.isoformat()}")
        if case.verdict == "refused":
            print("    dutyd: " + case.message)
        elif case.verdict == "peer-refuses":
            print("    peer:  " + case.message)
            _, _, zone = start_of(case.text)
            print("    dutyd: " + " ".join(show(d, zone) for d in case.got))
        else:
            _, _, zone = start_of(case.text)
            print("    peer:  " + " ".join(show(d, zone) for d in case.expected) + ("" if case.complete else " ..."))
            print("    dutyd: " + " ".join(show(d, zone) for d in case.got))
    print()
    print(f"{'suite':12} {'cases':>5} {'agree':>5} {'differ':>6}  of which: named deviations / refused by dutyd /"
          f" refused by the peer / unexplained; skipped")
    failed = False
    for suite in dict.fromkeys(c.suite for c in cases):
        mine = [c for c in cases if c.suite == suite]
        tally = {v: sum(1 for c in mine if c.verdict == v) for v in order}
        run_ = len(mine) - tally["skipped"]
        deviations = {v: tally[v] for v in named if tally[v]}
        differ = run_ - tally["agree"]
        print(f"{suite:12} {run_:5} {tally['agree']:5} {differ:6}  "
              f"{' '.join(f'{k}={v}' for k, v in deviations.items()) or 'none'} / {tally['refused']} /"
              f" {tally['peer-refuses']} / {tally['differ']}; {tally['skipped']}")
        failed |= tally["differ"] > 0
    skipped = {}
    for c in cases:
        if c.verdict == "skipped":
            skipped[(c.suite, c.skip)] = skipped.get((c.suite, c.skip), 0) + 1
    for (suite, why), n in sorted(skipped.items()):
        print(f"  skipped [{suite}] {n} x {why}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"suite": c.suite, "where": c.where, "title": c.title, "text": c.text,
                        "verdict": c.verdict, "message": c.message or c.skip,
                        "expected": [d.isoformat() for d in c.expected], "complete": c.complete,
                        "dutyd": [d.isoformat() for d in c.got]} for c in cases], f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
