#!/usr/bin/env python3
"""Read mail with Python's mailbox/email packages and print one JSON object per message (test oracle for DutyMail).

usage: mail-read.py mbox FILE | maildir DIR | raw FILE...
Each object: from_ (mbox From_ line), headers (list of [name, decoded value]), subject, message_id, to, from,
date (ISO 8601 of the Date header), body (decoded text content), defects (list of str), cte.
"""
import email
import email.policy
import email.utils
import json
import mailbox
import sys


def describe(raw, from_line=None):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    defects = [type(d).__name__ for d in msg.defects]
    headers = []
    for name, value in msg.items():
        headers.append([name, str(value)])
        defects += [type(d).__name__ for d in getattr(value, "defects", ())]
    try:
        body = msg.get_content()
    except Exception as exc:  # noqa: BLE001 - report, the test decides
        body = None
        defects.append("get_content: %r" % exc)
    date = msg["Date"]
    return {
        "from_": from_line,
        "headers": headers,
        "subject": msg["Subject"],
        "message_id": msg["Message-ID"],
        "to": msg["To"],
        "from": msg["From"],
        "date": date.datetime.isoformat() if date is not None and date.datetime else None,
        "body": body,
        "cte": msg["Content-Transfer-Encoding"],
        "defects": defects,
    }


def main():
    kind = sys.argv[1]
    out = []
    if kind == "mbox":
        box = mailbox.mbox(sys.argv[2], create=False)
        for key in box.iterkeys():
            out.append(describe(box.get_bytes(key), box.get_message(key).get_from()))
    elif kind == "maildir":
        box = mailbox.Maildir(sys.argv[2], create=False)
        for key in sorted(box.iterkeys()):
            out.append(describe(box.get_bytes(key)))
    else:
        for path in sys.argv[2:]:
            with open(path, "rb") as handle:
                out.append(describe(handle.read()))
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
