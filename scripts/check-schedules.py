#!/usr/bin/env python3
"""Check dutyd schedule directories against the schedule format (docs/schedules.md).

A development aid, not the loader: the Swift loader (DutySchedules) is the authority. This script checks
TOML syntax, every key of every table, value types, that each duty has exactly one recurrence form, ids and
accounts, referential integrity (roles, persons, counties, townships, workday calendars), clauses of the
plan, the 13 townships of the appendix, and it expands [[template]] rosters.

    scripts/check-schedules.py                          # the repository's Schedules/
    scripts/check-schedules.py /usr/share/dutyd/schedules /etc/dutyd/schedules.d   # layered like dutyd
    scripts/check-schedules.py --seed PLAN.txt --systemd Schedules

Directories are layered as dutyd does it: a file in a later directory replaces the same-named file of an
earlier one. Exit status: 0 when no error was found, 1 otherwise, 2 on bad usage.
"""
import argparse
import csv
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tomllib

ID_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')
ACCOUNT_RE = re.compile(r'^[a-z_][a-z0-9_-]{0,31}$')
DURATION_RE = re.compile(r'^([1-9][0-9]*)(d|h|m)$')
WORKDAYS_RE = re.compile(r'^([1-9][0-9]*) workdays?$')
TIME_RE = re.compile(r'^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$')
PLACEHOLDER_RE = re.compile(r'\{([A-Za-z_][A-Za-z0-9_.]*)\}')
HOLIDAY = {'keep', 'skip', 'previous', 'next'}
PRIORITY = {'low', 'normal', 'high', 'alert'}
TIES = {'include', 'exclude'}
WEEKDAYS = {'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'}
RECURRENCE = ('calendar', 'rrule', 'due', 'nth_workday')

KEYS = {
    'defaults': {'timezone', 'workdays', 'holiday', 'warn', 'priority'},
    'person': {'id', 'name', 'account', 'mail'},
    'role': {'id', 'name', 'members'},
    'township': {'id', 'name', 'county', 'existing_units', 'added_units', 'role'},
    'county': {'id', 'name', 'role'},
    'duty': {'id', 'title', 'description', 'clause', 'responsible', 'recipients', 'calendar', 'rrule', 'start',
             'until', 'count', 'exdates', 'rdates', 'due', 'nth_workday', 'time', 'timezone', 'workdays',
             'holiday', 'warn', 'ack', 'grace', 'escalate', 'priority', 'local_choice'},
    'template': {'id', 'roster', 'person', 'duty'},
    'trigger': {'id', 'clause', 'on', 'bottom', 'ties', 'due_within', 'escalate_after', 'escalation_to',
                'escalation_title', 'level'},
    'trigger.level': {'id', 'title', 'interviewer', 'interviewee'},
    'workdays': {'id', 'name', 'weekend', 'source', 'holidays', 'makeup_workdays'},
}
SCHEDULE_TOP = {'defaults', 'person', 'role', 'township', 'county', 'duty', 'template', 'trigger'}
# The appendix of the plan (附表): 2 counties, 13 townships, names as printed.
APPENDIX = {'东川区': ['阿旺镇', '铜都镇', '因民镇', '舍块乡', '汤丹镇', '红土地镇'],
            '禄劝县': ['转龙镇', '雪山乡', '乌蒙乡', '马鹿塘', '翠华镇', '则黑乡', '中屏镇']}
DEFAULT_SEED = '/work/shared/seed/000_07e0f9554186f11e.txt'
BUILTIN_CLAUSES = (['一', '二', '三', '二(一)', '二(二)', '二(三)', '二(四)', '三(一)', '三(二)']
                   + [f'二(一){i}' for i in range(1, 5)] + [f'二(二){i}' for i in range(1, 6)]
                   + [f'二(三){i}' for i in range(1, 12)] + [f'二(四){i}' for i in range(1, 6)])


def clauses_of_seed(path):
    """Clause strings of the plan text: 一, 二(一), 二(一)1 ... (parenthesised numbers in ASCII parentheses)."""
    top = sub = None
    out = set()
    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = raw.strip()
            m = re.match(r'^([一二三四五六七八九十])、', line)
            if m:
                top, sub = m.group(1), None
                out.add(top)
                continue
            m = re.match(r'^[（(]([一二三四五六七八九十])[）)]', line)
            if m and top:
                sub = m.group(1)
                out.add(f'{top}({sub})')
                continue
            m = re.match(r'^(\d+)[.．]', line)
            if m and top and sub:
                out.add(f'{top}({sub}){int(m.group(1))}')
    return out


class Checker:
    def __init__(self, clauses, systemd):
        self.errors = []
        self.warnings = []
        self.clauses = clauses
        self.systemd = systemd
        self.persons = {}      # id -> (entry, where)
        self.roles = {}
        self.counties = {}
        self.townships = {}
        self.duties = {}
        self.templates = {}
        self.triggers = {}
        self.calendars = {}
        self.accounts = {}
        self.pending_duties = []   # (duty, defaults, where)
        self.calendar_exprs = {}   # expression -> where

    # ------------------------------------------------------------------ reporting
    def err(self, where, msg):
        self.errors.append(f'{where}: error: {msg}')

    def warn(self, where, msg):
        self.warnings.append(f'{where}: warning: {msg}')

    @staticmethod
    def where(path, text, kind, ident):
        """path:line of the table that declares `id = "<ident>"` (best effort)."""
        if text is not None and isinstance(ident, str):
            pat = re.compile(r'^\s*id\s*=\s*"' + re.escape(ident) + r'"', re.M)
            m = pat.search(text)
            if m:
                return f'{path}:{text.count(chr(10), 0, m.start()) + 1}'
        return f'{path} ({kind} {ident!r})'

    # ------------------------------------------------------------------ generic value checks
    def keys(self, kind, table, where):
        if not isinstance(table, dict):
            self.err(where, f'{kind} must be a table')
            return False
        for k in table:
            if k not in KEYS[kind]:
                self.err(where, f'unknown key {k!r} in {kind}')
        return True

    def string(self, table, key, where, required=True, empty=False):
        v = table.get(key)
        if v is None:
            if required:
                self.err(where, f'missing {key!r}')
            return None
        if not isinstance(v, str) or (not empty and not v.strip()):
            self.err(where, f'{key!r} must be a non-empty string')
            return None
        return v

    def str_list(self, table, key, where, required=False, allow_single=False, nonempty=True):
        v = table.get(key)
        if v is None:
            if required:
                self.err(where, f'missing {key!r}')
            return None
        if allow_single and isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            self.err(where, f'{key!r} must be a list of non-empty strings')
            return None
        if nonempty and not v:
            self.err(where, f'{key!r} must not be empty')
        if len(set(v)) != len(v):
            self.warn(where, f'{key!r} lists an entry twice')
        return v

    def ident(self, table, where, kind, registry):
        i = self.string(table, 'id', where)
        if i is None:
            return None
        if not ID_RE.match(i):
            self.err(where, f'{kind} id {i!r} does not match [A-Za-z0-9][A-Za-z0-9._-]*')
        if i in registry:
            self.err(where, f'duplicate {kind} id {i!r} (first at {registry[i][1]})')
            return None
        return i

    def timezone(self, v, where):
        if v is None:
            return
        try:
            from zoneinfo import ZoneInfo
            ZoneInfo(v)
        except Exception:
            self.err(where, f'unknown time zone {v!r}')

    def local_datetime(self, v, key, where, allow_date=False):
        if isinstance(v, dt.datetime):
            if v.tzinfo is not None:
                self.err(where, f'{key!r} must be a local date-time (no offset): it is read in the timezone')
            return v
        if allow_date and isinstance(v, dt.date):
            return dt.datetime.combine(v, dt.time(23, 59, 59))
        self.err(where, f'{key!r} must be a TOML local date-time' + (' or date' if allow_date else ''))
        return None

    def durations(self, values, key, where, workdays):
        for d in values:
            if DURATION_RE.match(d):
                continue
            if WORKDAYS_RE.match(d):
                if not workdays:
                    self.err(where, f'{key} {d!r} counts workdays but no workday calendar is set')
                continue
            self.err(where, f'{key} {d!r} is not Nd, Nh, Nm or "N workdays"')

    # ------------------------------------------------------------------ files
    def load_calendar_file(self, path):
        try:
            with open(path, 'rb') as f:
                doc = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as e:
            self.err(path, f'cannot read: {e}')
            return
        text = open(path, encoding='utf-8').read()
        for k in doc:
            if k != 'workdays':
                self.err(path, f'unknown top-level key {k!r} in a calendar file')
        for cal in doc.get('workdays', []):
            w = self.where(path, text, 'workdays', cal.get('id') if isinstance(cal, dict) else None)
            if not self.keys('workdays', cal, w):
                continue
            i = self.ident(cal, w, 'workdays', self.calendars)
            self.string(cal, 'name', w, required=False)
            self.string(cal, 'source', w, required=False)
            wk = self.str_list(cal, 'weekend', w, nonempty=False) or []
            for d in wk:
                if d not in WEEKDAYS:
                    self.err(w, f'weekend day {d!r} is not one of {sorted(WEEKDAYS)}')
            for key in ('holidays', 'makeup_workdays'):
                v = cal.get(key, [])
                if not isinstance(v, list) or not all(isinstance(x, dt.date) and not isinstance(x, dt.datetime)
                                                      for x in v):
                    self.err(w, f'{key!r} must be a list of TOML dates')
            if i:
                self.calendars[i] = (cal, w)

    def load_schedule_file(self, path):
        try:
            text = open(path, encoding='utf-8').read()
            doc = tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            self.err(path, f'cannot read: {e}')
            return
        for k in doc:
            if k not in SCHEDULE_TOP:
                self.err(path, f'unknown top-level key {k!r}')
        defaults = doc.get('defaults', {})
        if isinstance(defaults, list):
            self.err(path, 'at most one [defaults] table per file')
            defaults = {}
        if self.keys('defaults', defaults, f'{path} [defaults]'):
            self.check_defaults(defaults, f'{path} [defaults]')
        for kind in ('person', 'role', 'county', 'township', 'duty', 'template', 'trigger'):
            entries = doc.get(kind, [])
            if not isinstance(entries, list):
                self.err(path, f'{kind} must be an array of tables ([[{kind}]])')
                continue
            for e in entries:
                w = self.where(path, text, kind, e.get('id') if isinstance(e, dict) else None)
                if not self.keys(kind, e, w):
                    continue
                getattr(self, 'add_' + kind)(e, w, path, defaults)

    def check_defaults(self, d, w):
        self.timezone(d.get('timezone'), w)
        if 'workdays' in d:
            self.string(d, 'workdays', w)
        if 'holiday' in d and d['holiday'] not in HOLIDAY:
            self.err(w, f'holiday must be one of {sorted(HOLIDAY)}')
        if 'priority' in d and d['priority'] not in PRIORITY:
            self.err(w, f'priority must be one of {sorted(PRIORITY)}')
        if 'warn' in d:
            v = self.str_list(d, 'warn', w, nonempty=False)
            if v:
                self.durations(v, 'warn', w, d.get('workdays'))

    # ------------------------------------------------------------------ tables
    def add_person(self, p, w, path=None, defaults=None):
        i = self.ident(p, w, 'person', self.persons)
        self.string(p, 'name', w)
        mail = p.get('mail', 'mbox')
        if not isinstance(mail, str) or not (mail in ('mbox', 'none') or
                                             re.match(r'^maildir:/\S+$', mail) or
                                             re.match(r'^sendmail:[^@\s]+@[^@\s]+$', mail)):
            self.err(w, f'mail {mail!r} is not "mbox", "maildir:/abs/path", "sendmail:user@host" or "none"')
        acct = self.string(p, 'account', w, required=(mail == 'mbox'))
        if acct is not None:
            if not ACCOUNT_RE.match(acct):
                self.err(w, f'account {acct!r} is not a local user name [a-z_][a-z0-9_-]{{0,31}}')
            elif acct in self.accounts and self.accounts[acct] != i:
                self.warn(w, f'account {acct!r} is shared with person {self.accounts[acct]!r}')
            else:
                self.accounts[acct] = i
        if i:
            self.persons[i] = (p, w)

    def add_role(self, r, w, path=None, defaults=None):
        i = self.ident(r, w, 'role', self.roles)
        self.string(r, 'name', w)
        self.str_list(r, 'members', w, required=True)
        if i:
            self.roles[i] = (r, w)

    def add_county(self, c, w, path=None, defaults=None):
        i = self.ident(c, w, 'county', self.counties)
        self.string(c, 'name', w)
        self.string(c, 'role', w)
        if i:
            self.counties[i] = (c, w)

    def add_township(self, t, w, path=None, defaults=None):
        i = self.ident(t, w, 'township', self.townships)
        self.string(t, 'name', w)
        self.string(t, 'county', w)
        self.string(t, 'role', w)
        self.str_list(t, 'existing_units', w, nonempty=False)
        self.str_list(t, 'added_units', w, nonempty=False)
        if i:
            self.townships[i] = (t, w)

    def add_duty(self, d, w, path=None, defaults=None, origin=None):
        i = self.ident(d, w, 'duty', self.duties)
        if i:
            self.duties[i] = (d, w)
        self.pending_duties.append((d, defaults or {}, w))

    def add_template(self, t, w, path, defaults):
        i = self.ident(t, w, 'template', self.templates)
        if i:
            self.templates[i] = (t, w)
        roster = self.string(t, 'roster', w)
        tduty = t.get('duty')
        tperson = t.get('person')
        if not isinstance(tduty, dict):
            self.err(w, 'a template needs a [template.duty] table')
            return
        self.keys('duty', tduty, w + ' [template.duty]')
        if tperson is not None:
            if not self.keys('person', tperson, w + ' [template.person]'):
                tperson = None
        if roster is None:
            return
        rpath = os.path.join(os.path.dirname(path), roster)
        try:
            with open(rpath, encoding='utf-8', newline='') as f:
                rows = list(csv.DictReader(f))
                header = set(rows[0].keys()) if rows else set(csv.reader(open(rpath, encoding='utf-8')).__next__())
        except (OSError, StopIteration, csv.Error) as e:
            self.err(w, f'roster {rpath}: cannot read: {e}')
            return
        used = set()
        for part in (tduty, tperson or {}):
            for v in part.values():
                for s in (v if isinstance(v, list) else [v]):
                    if isinstance(s, str):
                        used.update(PLACEHOLDER_RE.findall(s))
        missing = used - header
        if missing:
            self.err(w, f'roster {rpath} has no column(s) {sorted(missing)} used as placeholders')
            return
        seen_persons = {}
        for n, row in enumerate(rows, start=2):
            rw = f'{rpath}:{n}'
            if any(v is None or v == '' for k, v in row.items() if k in used):
                self.err(rw, 'empty value in a column the template uses')
                continue
            if tperson is not None:
                p = expand(tperson, row)
                pid = p.get('id')
                if pid in seen_persons:
                    if seen_persons[pid] != p:
                        self.err(rw, f'person {pid!r} expands differently from an earlier row')
                else:
                    seen_persons[pid] = p
                    self.add_person(p, rw)
            self.add_duty(expand(tduty, row), rw, path, defaults)
        self.expanded = getattr(self, 'expanded', {})
        self.expanded[i] = (len(rows), len(seen_persons))

    def add_trigger(self, t, w, path=None, defaults=None):
        i = self.ident(t, w, 'trigger', self.triggers)
        if i:
            self.triggers[i] = (t, w)
        self.clause(t, w)
        if t.get('on') != 'ranking':
            self.err(w, 'on must be "ranking" (the only event)')
        for key in ('bottom', 'escalate_after'):
            v = t.get(key)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                self.err(w, f'{key!r} must be a positive integer')
        if t.get('ties', 'include') not in TIES:
            self.err(w, f'ties must be one of {sorted(TIES)}')
        if 'due_within' in t:
            v = self.string(t, 'due_within', w)
            if v:
                self.durations([v], 'due_within', w, None)
        self.str_list(t, 'escalation_to', w, required=True)
        self.string(t, 'escalation_title', w)
        levels = t.get('level')
        if not isinstance(levels, list) or not levels:
            self.err(w, 'a trigger needs at least one [[trigger.level]]')
            return
        ids = set()
        for lv in levels:
            lw = w + f' level {lv.get("id")!r}' if isinstance(lv, dict) else w
            if not self.keys('trigger.level', lv, lw):
                continue
            li = self.string(lv, 'id', lw)
            if li in ids:
                self.err(lw, f'duplicate level id {li!r}')
            ids.add(li)
            if li and not ID_RE.match(li):
                self.err(lw, f'level id {li!r} is not an id')
            self.string(lv, 'title', lw)
            self.string(lv, 'interviewee', lw)
            self.str_list(lv, 'interviewer', lw, required=True)

    def clause(self, table, w):
        c = self.string(table, 'clause', w)
        if c is not None and c not in self.clauses:
            self.err(w, f'clause {c!r} is not a clause of the plan (like 二(一)1)')

    # ------------------------------------------------------------------ cross checks
    def ref(self, ids, w, what, allow=()):
        for x in ids or []:
            if x in allow:
                continue
            if x not in self.roles and x not in self.persons:
                self.err(w, f'{what} {x!r} is neither a role nor a person')

    def check_duty(self, d, defaults, w):
        self.string(d, 'title', w)
        self.string(d, 'description', w, required=False)
        self.string(d, 'local_choice', w, required=False)
        self.clause(d, w)
        self.ref(self.str_list(d, 'responsible', w, required=True), w, 'responsible')
        self.ref(self.str_list(d, 'recipients', w), w, 'recipient')
        self.ref(self.str_list(d, 'escalate', w), w, 'escalation step')
        tz = d.get('timezone', defaults.get('timezone'))
        self.timezone(d.get('timezone'), w)
        workdays = d.get('workdays', defaults.get('workdays'))
        if 'workdays' in d:
            self.string(d, 'workdays', w)
        if workdays is not None and workdays not in self.calendars and self.calendars_known:
            self.err(w, f'workday calendar {workdays!r} is not defined in calendars/')
        if 'holiday' in d and d['holiday'] not in HOLIDAY:
            self.err(w, f'holiday must be one of {sorted(HOLIDAY)}')
        if 'priority' in d and d['priority'] not in PRIORITY:
            self.err(w, f'priority must be one of {sorted(PRIORITY)}')
        if 'ack' in d and not isinstance(d['ack'], bool):
            self.err(w, 'ack must be true or false')
        if 'warn' in d:
            v = self.str_list(d, 'warn', w, nonempty=False)
            if v:
                self.durations(v, 'warn', w, workdays)
        elif 'warn' in defaults:
            self.durations(defaults['warn'], 'warn (from [defaults])', w, workdays)
        if 'grace' in d:
            g = self.string(d, 'grace', w)
            if g:
                self.durations([g], 'grace', w, workdays)
        if 'escalate' in d and not d.get('ack', False):
            self.warn(w, 'escalate without ack = true never fires (nothing can be overdue)')

        forms = [k for k in RECURRENCE if k in d]
        if len(forms) != 1:
            self.err(w, f'exactly one recurrence form of {list(RECURRENCE)} is needed, found {forms or "none"}')
            return
        form = forms[0]
        start = self.local_datetime(d['start'], 'start', w) if 'start' in d else None
        until = self.local_datetime(d['until'], 'until', w, allow_date=True) if 'until' in d else None
        if start and until and until < start:
            self.err(w, 'until is before start')
        for key in ('count', 'exdates', 'rdates'):
            if key in d and form != 'rrule':
                self.err(w, f'{key!r} belongs to the rrule form only')
        if 'time' in d and form != 'nth_workday':
            self.err(w, "'time' belongs to the nth_workday form only")
        if form == 'calendar':
            exprs = self.str_list(d, 'calendar', w, required=True, allow_single=True) or []
            for e in exprs:
                self.calendar_exprs.setdefault(e, w)
        elif form == 'rrule':
            rule = self.string(d, 'rrule', w)
            if start is None:
                self.err(w, 'the rrule form needs start (DTSTART)')
            if 'count' in d:
                if not isinstance(d['count'], int) or isinstance(d['count'], bool) or d['count'] < 1:
                    self.err(w, 'count must be a positive integer')
                if until:
                    self.err(w, 'count and until exclude each other')
            for key in ('exdates', 'rdates'):
                for x in d.get(key, []) if isinstance(d.get(key, []), list) else [None]:
                    self.local_datetime(x, key, w)
            if rule:
                self.rrule(rule, start, w)
        elif form == 'due':
            self.local_datetime(d['due'], 'due', w)
            if start or until:
                self.warn(w, 'start/until are meaningless for a one-off due')
        elif form == 'nth_workday':
            n = d['nth_workday']
            if not isinstance(n, int) or isinstance(n, bool) or n == 0 or abs(n) > 23:
                self.err(w, 'nth_workday must be a non-zero integer within -23..23')
            if workdays is None:
                self.err(w, 'nth_workday needs a workday calendar (workdays)')
            t = self.string(d, 'time', w)
            if t is not None and not TIME_RE.match(t):
                self.err(w, f'time {t!r} is not HH:MM or HH:MM:SS')

    def rrule(self, rule, start, w):
        parts = {}
        for p in rule.split(';'):
            if '=' not in p:
                self.err(w, f'rrule part {p!r} is not KEY=VALUE')
                return
            k, v = p.split('=', 1)
            if k in parts:
                self.err(w, f'rrule repeats {k}')
            parts[k] = v
        if parts.get('FREQ') not in {'SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'}:
            self.err(w, 'rrule needs FREQ=DAILY|WEEKLY|MONTHLY|YEARLY|...')
        if 'DTSTART' in parts or 'UNTIL' in parts or 'COUNT' in parts:
            self.err(w, 'put DTSTART/UNTIL/COUNT in start/until/count, not in the rrule string')
        try:
            from dateutil.rrule import rrulestr
        except ImportError:
            return
        try:
            r = rrulestr(rule, dtstart=start or dt.datetime(2018, 9, 13))
            if start and r.after(start, inc=True) is None:
                self.warn(w, 'rrule never occurs')
        except (ValueError, TypeError) as e:
            self.err(w, f'rrule rejected by python-dateutil: {e}')

    def cross_check(self):
        for i, (r, w) in self.roles.items():
            if i in self.persons:
                self.err(w, f'id {i!r} is both a role and a person (responsible/recipients would be ambiguous)')
            for m in r.get('members') or []:
                if m not in self.persons:
                    self.err(w, f'role member {m!r} is not a person')
        for i, (c, w) in self.counties.items():
            if c.get('role') and c['role'] not in self.roles:
                self.err(w, f'county role {c["role"]!r} is not a role')
        for i, (t, w) in self.townships.items():
            if t.get('county') and t['county'] not in self.counties:
                self.err(w, f'county {t["county"]!r} is not a [[county]]')
            if t.get('role') and t['role'] not in self.roles:
                self.err(w, f'township role {t["role"]!r} is not a role')
        self.calendars_known = bool(self.calendars) or self.assume_calendars is not None
        if self.assume_calendars:
            for c in self.assume_calendars:
                self.calendars.setdefault(c, ({}, '--calendar'))
        for d, defaults, w in self.pending_duties:
            self.check_duty(d, defaults, w)
        allowed = {'{county.role}', '{township.role}'}
        for i, (t, w) in self.triggers.items():
            self.ref(t.get('escalation_to'), w, 'escalation_to')
            for lv in t.get('level') or []:
                if isinstance(lv, dict):
                    self.ref(lv.get('interviewer'), w + f' level {lv.get("id")!r}', 'interviewer', allow=allowed)
        # the appendix: 2 counties and 13 townships as printed
        by_county = {}
        for t, w in self.townships.values():
            c = self.counties.get(t.get('county'), ({}, None))[0].get('name')
            by_county.setdefault(c, []).append(t.get('name'))
        for county, names in APPENDIX.items():
            if county not in {c.get('name') for c, _ in self.counties.values()}:
                self.err('townships', f'county {county} of the appendix is missing')
            for n in names:
                if n not in by_county.get(county, []):
                    self.err('townships', f'township {n} ({county}) of the appendix is missing')
        extra = {n for ns in by_county.values() for n in ns} - {n for ns in APPENDIX.values() for n in ns}
        if extra:
            self.warn('townships', f'townships not in the appendix: {sorted(extra)}')
        self.check_calendar_expressions()

    def check_calendar_expressions(self):
        if not self.calendar_exprs:
            return
        if not self.systemd:
            for e, w in self.calendar_exprs.items():
                if not e.strip():
                    self.err(w, 'empty calendar expression')
            return
        exe = shutil.which('systemd-analyze')
        if not exe:
            self.warn('--systemd', 'systemd-analyze not found: calendar expressions not checked')
            return
        for e, w in self.calendar_exprs.items():
            r = subprocess.run([exe, 'calendar', e], capture_output=True, text=True)
            if r.returncode != 0:
                self.err(w, f'systemd-analyze rejects calendar {e!r}: {r.stderr.strip()}')


def expand(value, row):
    if isinstance(value, str):
        return PLACEHOLDER_RE.sub(lambda m: row.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [expand(v, row) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, row) for k, v in value.items()}
    return value


def layered_files(dirs, sub=None):
    """name -> path; a later directory's file replaces an earlier one of the same name."""
    chosen = {}
    for d in dirs:
        base = os.path.join(d, sub) if sub else d
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            p = os.path.join(base, name)
            if name.endswith('.toml') and os.path.isfile(p):
                chosen[name] = p
    return [chosen[n] for n in sorted(chosen)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description='Check dutyd schedule directories (a development aid).')
    ap.add_argument('dirs', nargs='*', default=[os.path.join(here, '..', 'Schedules')],
                    help='schedule directories, lowest precedence first (default: Schedules/)')
    ap.add_argument('--seed', help=f'plan text for the clause list (default {DEFAULT_SEED} if present, '
                                   'else a built-in list)')
    ap.add_argument('--calendar', action='append', metavar='ID',
                    help='treat workday calendar ID as defined (when calendars/ is not generated yet)')
    ap.add_argument('--systemd', action='store_true', help='check calendar expressions with systemd-analyze')
    ap.add_argument('-q', '--quiet', action='store_true', help='print errors and warnings only')
    args = ap.parse_args()
    for d in args.dirs:
        if not os.path.isdir(d):
            ap.error(f'{d}: not a directory')
    seed = args.seed or (DEFAULT_SEED if os.path.exists(DEFAULT_SEED) else None)
    clauses = clauses_of_seed(seed) if seed else set(BUILTIN_CLAUSES)

    c = Checker(clauses, args.systemd)
    c.assume_calendars = args.calendar
    for p in layered_files(args.dirs, 'calendars'):
        c.load_calendar_file(p)
    if not c.calendars and not args.calendar:
        c.warnings.append('calendars/: warning: no workday calendar found; workday references are not checked '
                          '(use --calendar cn)')
    files = layered_files(args.dirs)
    for p in files:
        c.load_schedule_file(p)
    c.cross_check()

    for m in c.warnings + c.errors:
        print(m, file=sys.stderr)
    if not args.quiet:
        exp = getattr(c, 'expanded', {})
        expanded = sum(n for n, _ in exp.values())
        print(f'{len(files)} files: {len(c.persons)} persons, {len(c.roles)} roles, {len(c.counties)} counties, '
              f'{len(c.townships)} townships, {len(c.duties)} duties ({expanded} from '
              f'{len(c.templates)} templates), {len(c.triggers)} triggers, {len(c.calendars)} calendars; '
              f'clauses from {seed or "built-in list"}')
        print(f'{len(c.errors)} errors, {len(c.warnings)} warnings')
    sys.exit(1 if c.errors else 0)


if __name__ == '__main__':
    main()
