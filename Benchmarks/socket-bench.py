#!/usr/bin/env python3
"""Load generator for dutyd's query socket: N concurrent keep-alive HTTP/1.1 clients on the Unix socket, each
sending GET requests back to back for a fixed time; prints requests/s and latency percentiles.

    Benchmarks/socket-bench.py --socket /run/dutyd/dutyd.sock --path '/v1/upcoming?days=14' \
        --clients 1,10,100 --seconds 10

Each client is an asyncio stream; latency is measured from writing the request to reading the whole response
(Content-Length framing). The generator runs on the same 2 cores as the daemon.
"""
import argparse
import asyncio
import json
import time


async def client(path, socket_path, stop_at, latencies, errors):
    reader, writer = await asyncio.open_unix_connection(socket_path, limit=1 << 24)
    request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    while time.perf_counter() < stop_at:
        start = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors.append(status)
    writer.close()


async def run(path, socket_path, clients, seconds):
    latencies, errors = [], []
    # Warm-up (builds the daemon's upcoming index).
    await client(path, socket_path, time.perf_counter() + 1.0, [], [])
    stop_at = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client(path, socket_path, stop_at, latencies, errors) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "clients": clients, "requests": len(latencies), "errors": len(errors), "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed), "p50_ms": round(pct(50), 3), "p99_ms": round(pct(99), 3),
        "max_ms": round(latencies[-1] * 1000, 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--path", default="/v1/upcoming?days=14")
    parser.add_argument("--clients", default="1,10,100")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    for n in [int(c) for c in args.clients.split(",")]:
        print(json.dumps(asyncio.run(run(args.path, args.socket, n, args.seconds))), flush=True)


if __name__ == "__main__":
    main()
