#!/usr/bin/env python3
"""Oracle for DutyTOML: Python 3.11's tomllib (tomli), which passes the toml-lang compliance suite.

Reads the paths of TOML files on stdin, one per line, and prints one JSON line per file, in order:
  {"path", "valid": true,  "canon": "..."}     tomllib's value tree in the canonical form below
  {"path", "valid": false, "error": "..."}     tomllib's message, "utf-8" when the bytes are not UTF-8, or
                                               "RecursionError" when the nesting exhausts Python's stack
A file that starts with a byte order mark (which tomllib refuses) also gets "withoutBOM": the same verdict for the
text after it. "equivalentKeys" is true when a table of the valid tree has two keys that are canonically equivalent
Unicode (same NFC), which a Swift dictionary cannot hold apart.

The canonical form, which Tests/DutyTOMLTests/CanonicalForm.swift writes too: strings in double quotes with every
scalar outside printable ASCII, '"' and '\\' written \\u{hex}; int:<decimal>; float:<IEEE-754 bits in hex> or
float:nan; bool:true|false; odt:YYYY-MM-DDTHH:MM:SS.ffffff@<offset minutes>; ldt:...; ld:YYYY-MM-DD;
lt:HH:MM:SS.ffffff; [a,b]; {"key":value,...} with keys sorted by code point.
"""
import datetime
import json
import struct
import sys
import tomllib
import unicodedata


def quote(text):
    out = ['"']
    for ch in text:
        code = ord(ch)
        out.append(ch if 0x20 <= code < 0x7F and ch not in '"\\' else '\\u{%x}' % code)
    out.append('"')
    return ''.join(out)


def date(v):
    return '%04d-%02d-%02d' % (v.year, v.month, v.day)


def time(v):
    return '%02d:%02d:%02d.%06d' % (v.hour, v.minute, v.second, v.microsecond)


def canon(v):
    if isinstance(v, bool):
        return 'bool:true' if v else 'bool:false'
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, int):
        return 'int:%d' % v
    if isinstance(v, float):
        return 'float:nan' if v != v else 'float:%x' % struct.unpack('>Q', struct.pack('>d', v))[0]
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None:
            return 'ldt:%sT%s' % (date(v), time(v))
        return 'odt:%sT%s@%d' % (date(v), time(v), int(v.utcoffset().total_seconds()) // 60)
    if isinstance(v, datetime.date):
        return 'ld:' + date(v)
    if isinstance(v, datetime.time):
        return 'lt:' + time(v)
    if isinstance(v, list):
        return '[' + ','.join(canon(x) for x in v) + ']'
    if isinstance(v, dict):
        return '{' + ','.join(quote(k) + ':' + canon(v[k]) for k in sorted(v)) + '}'
    raise TypeError(type(v))


def has_equivalent_keys(v):
    if isinstance(v, list):
        return any(has_equivalent_keys(x) for x in v)
    if isinstance(v, dict):
        if len({unicodedata.normalize('NFC', k) for k in v}) != len(v):
            return True
        return any(has_equivalent_keys(x) for x in v.values())
    return False


def verdict(text):
    try:
        tree = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return {'valid': False, 'error': str(error)}
    except RecursionError:
        return {'valid': False, 'error': 'RecursionError'}
    return {'valid': True, 'canon': canon(tree), 'equivalentKeys': has_equivalent_keys(tree)}


def main():
    for path in sys.stdin.read().splitlines():
        with open(path, 'rb') as f:
            data = f.read()
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            result = {'valid': False, 'error': 'utf-8'}
        else:
            result = verdict(text)
            if text.startswith('\ufeff'):
                result['withoutBOM'] = verdict(text[1:])
        result['path'] = path
        print(json.dumps(result))


main()
