#!/usr/bin/env python3
"""A loopback SMTP sink for the MTA tests (aiosmtpd): stands in for a site's relay.

usage: smtp-sink.py OUTDIR [--port N] [--reject REGEX] [--defer REGEX]

Listens on 127.0.0.1 (port N, or one the kernel picks), prints "READY <port>" on stdout once it accepts
connections, and writes every message it accepts to OUTDIR/<n>.json: {"mail_from", "rcpt_tos", "data"}.
RCPT TO addresses matching --reject get "550 5.1.1 no such user", those matching --defer "451 4.3.0 try later".
Stops on SIGTERM or when stdin closes (so a test that dies takes it along).
"""
import argparse
import asyncio
import json
import os
import re
import signal
import sys
import threading

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, outdir, reject, defer):
        self.outdir = outdir
        self.reject = re.compile(reject) if reject else None
        self.defer = re.compile(defer) if defer else None
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return "550 5.1.1 <%s>: no such user here" % address
        if self.defer and self.defer.search(address):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "surrogateescape"),
        }
        path = os.path.join(self.outdir, "%06d.json" % self.count)
        with open(path + ".tmp", "w", encoding="utf-8", errors="surrogateescape") as handle:
            json.dump(record, handle, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reject")
    parser.add_argument("--defer")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    sink = Sink(args.outdir, args.reject, args.defer)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="relay.test", enable_SMTPUTF8=False, decode_data=False),
        host="127.0.0.1", port=args.port, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def watch_stdin():
        while sys.stdin.buffer.read1(4096):
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("READY %d" % port, flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
