"""A small HTTP/1.1 load generator for bench/cluster.sh (standard library
only): keep-alive connections, requests alternating between the given
instances.

  load.py count A B N                 N GETs of /v1/health: allowed vs 429
  load.py max   A B KEY SECONDS CONNS chats as fast as CONNS connections go
  load.py soak  A B KEY SECONDS RATE  chats at a fixed RATE per second
"""
import asyncio
import json
import sys
import time
import urllib.parse

ORIGIN = "https://bench.example"


class Connection:
    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.reader = self.writer = None

    async def request(self, method, path, body=b"", headers=None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 f"Content-Length: {len(body)}", "Connection: keep-alive"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, chunked, close = 0, False, False
        while True:
            line = (await self.reader.readline()).decode().strip()
            if not line:
                break
            name, _, value = line.partition(":")
            name, value = name.lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        else:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def chat_body(n):
    return json.dumps({"visitor_id": "v_%032x" % n,
                       "message": "When do you open on Saturdays?"}).encode()


async def one_chat(conn, key, n):
    started = time.perf_counter()
    try:
        status = await conn.request("POST", f"/v1/chat?key={key}", chat_body(n),
                                    {"Content-Type": "application/json", "Origin": ORIGIN})
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        conn.close()
        status = 0
    return status, time.perf_counter() - started


def report(label, results, seconds):
    ok = sorted(t for s, t in results if s == 200)
    errors = len(results) - len(ok)
    pct = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] * 1000 if ok else 0
    print(f"rate {len(ok) / seconds:.1f} chats/s  p50 {pct(0.5):.1f} ms  p99 {pct(0.99):.1f} ms  "
          f"errors {errors} of {len(results)}  ({label})", flush=True)


async def count(targets, n):
    conns = [Connection(t) for t in targets]
    allowed = limited = 0
    for i in range(n):
        status = await conns[i % len(conns)].request("GET", "/v1/health")
        allowed += status == 200
        limited += status == 429
    print(f"allowed {allowed} of {n}, limited {limited} (one client IP, both instances)")


async def maximum(targets, key, seconds, connections):
    deadline = time.perf_counter() + seconds
    results = []

    async def worker(i):
        conn = Connection(targets[i % len(targets)])
        n = i * 1_000_000
        while time.perf_counter() < deadline:
            results.append(await one_chat(conn, key, n))
            n += 1

    await asyncio.gather(*(worker(i) for i in range(connections)))
    report(f"{connections} connections", results, seconds)


async def soak(targets, key, seconds, rate):
    pool = [Connection(targets[i % len(targets)]) for i in range(64)]
    free = asyncio.Queue()
    for conn in pool:
        free.put_nowait(conn)
    results = []

    async def send(n):
        conn = await free.get()
        try:
            results.append(await one_chat(conn, key, n))
        finally:
            free.put_nowait(conn)

    started = time.perf_counter()
    tasks, n = [], 0
    while (now := time.perf_counter()) < started + seconds:
        due = started + n / rate
        if due > now:
            await asyncio.sleep(due - now)
        tasks.append(asyncio.create_task(send(n)))
        n += 1
    await asyncio.gather(*tasks)
    report(f"soak at {rate}/s", results, seconds)


def main(argv):
    mode = argv[1]
    if mode == "count":
        asyncio.run(count(argv[2:4], int(argv[4])))
    elif mode == "max":
        asyncio.run(maximum(argv[2:4], argv[4], float(argv[5]), int(argv[6])))
    elif mode == "soak":
        asyncio.run(soak(argv[2:4], argv[4], float(argv[5]), float(argv[6])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
