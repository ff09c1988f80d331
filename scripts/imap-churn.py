#!/usr/bin/env python3
"""IMAP clients for the Dovecot concurrency test (python imaplib): people reading, flagging, moving and deleting
mail while dutyd delivers into the same mailboxes.

usage:
  imap-churn.py churn PORT USER PASSWORD SEED [all|read]
                                                 read, flag, move to "Archive" and expunge (all) or only read and
                                                 flag (read) until stdin closes; print "READY" once logged
                                                 in, then {"deleted": [...], "moved": [...], "ops": N}
  imap-churn.py dump PORT USER PASSWORD         print every message of every folder as JSON
                                                 [{"folder", "uid", "message_id", "keys", "subject", "defects", "body"}]
Connects to 127.0.0.1:PORT, retrying while the server starts (at most 20 s).
"""
import email
import email.policy
import imaplib
import json
import random
import re
import sys
import threading
import time


def connect(port, user, password):
    deadline = time.monotonic() + 20
    while True:
        try:
            imap = imaplib.IMAP4("127.0.0.1", int(port), timeout=30)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    imap.login(user, password)
    return imap


def message_ids(imap, uids):
    """uid -> Message-ID of the given uids (header fetch, no \\Seen)."""
    if not uids:
        return {}
    out = {}
    typ, data = imap.uid("FETCH", ",".join(uids), "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    for item in data:
        if isinstance(item, tuple):
            uid = re.search(rb"UID (\d+)", item[0]).group(1).decode()
            msg = email.message_from_bytes(item[1], policy=email.policy.default)
            out[uid] = str(msg["Message-ID"] or "").strip()
    return out


def churn(port, user, password, seed, mode="all"):
    rng = random.Random(int(seed))
    stop = threading.Event()

    def watch():
        while sys.stdin.buffer.read1(4096):
            pass
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    imap = connect(port, user, password)
    imap.create("Archive")
    print("READY", flush=True)
    deleted, moved, ops = [], [], 0
    while not stop.is_set():
        imap.select("INBOX")
        typ, data = imap.uid("SEARCH", None, "ALL")
        uids = data[0].split() if data and data[0] else []
        uids = [u.decode() for u in uids]
        ops += 1
        if not uids:
            imap.noop()
            continue
        action = rng.random() if mode == "all" else rng.random() * 0.55
        pick = rng.sample(uids, min(len(uids), rng.randint(1, 3)))
        ids = message_ids(imap, pick)
        if action < 0.35:
            # Read whole messages (sets \Seen: Dovecot writes Status: headers into the mbox).
            imap.uid("FETCH", ",".join(pick), "(RFC822)")
        elif action < 0.55:
            imap.uid("STORE", ",".join(pick), "+FLAGS", "(\\Flagged \\Answered)")
        elif action < 0.75:
            typ, _ = imap.uid("COPY", ",".join(pick), "Archive")
            if typ == "OK":
                imap.uid("STORE", ",".join(pick), "+FLAGS", "(\\Deleted)")
                imap.expunge()
                moved += [ids[u] for u in pick if u in ids]
        else:
            imap.uid("STORE", ",".join(pick), "+FLAGS", "(\\Deleted)")
            imap.expunge()
            deleted += [ids[u] for u in pick if u in ids]
        imap.close()
    imap.logout()
    print(json.dumps({"deleted": deleted, "moved": moved, "ops": ops}))


def dump(port, user, password):
    imap = connect(port, user, password)
    out = []
    typ, folders = imap.list()
    names = []
    for line in folders:
        match = re.match(r'^\((.*?)\) (NIL|"(?:[^"\\]|\\.)*") (.*)$', line.decode())
        name = match.group(3)
        if name.startswith('"'):
            name = name[1:-1]
        if "\\Noselect" not in match.group(1):
            names.append(name)
    for folder in names:
        typ, _ = imap.select('"%s"' % folder, readonly=True)
        if typ != "OK":
            continue
        typ, data = imap.uid("SEARCH", None, "ALL")
        uids = [u.decode() for u in (data[0].split() if data and data[0] else [])]
        for start in range(0, len(uids), 200):
            chunk = uids[start:start + 200]
            typ, data = imap.uid("FETCH", ",".join(chunk), "(BODY.PEEK[])")
            for item in data:
                if not isinstance(item, tuple):
                    continue
                uid = re.search(rb"UID (\d+)", item[0]).group(1).decode()
                msg = email.message_from_bytes(item[1], policy=email.policy.default)
                defects = [type(d).__name__ for d in msg.defects]
                try:
                    body = msg.get_body(preferencelist=("plain",)).get_content()
                except Exception as exc:  # noqa: BLE001 - the test decides
                    body = None
                    defects.append("get_content: %r" % exc)
                out.append({
                    "folder": folder, "uid": uid, "message_id": str(msg["Message-ID"] or "").strip(),
                    "keys": [str(k).strip() for k in msg.get_all("X-Dutyd-Key", [])],
                    "subject": str(msg["Subject"] or ""), "defects": defects, "body": body,
                })
        imap.close()
    imap.logout()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    if sys.argv[1] == "churn":
        churn(*sys.argv[2:7])
    else:
        dump(*sys.argv[2:5])
