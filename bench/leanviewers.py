"""Scoreboard viewers that reconnect and resume as judging.client.Client does, at a fraction of
its CPU, for the recovery benchmark:

    python bench/leanviewers.py URL COUNT

Same interface as bench/clients.py (prints 'connected COUNT'; 'report' on stdin prints one
JSON line and exits). Each viewer speaks the protocol as the shipped client does: a hello
naming the lineage and the seq it holds once it has a state, a snapshot or a resume in
return, then updates; after a lost connection it waits judging.client.retry_delay and tries
again. It keeps the seq and nothing else of the state (bench/wsload.py splits the frames).

Why: a thousand judging.client.Client objects on the server's two cores spend more CPU on
their handshakes than the restarted server does on all of them, so the benchmark would time
the load generator. Run by hand, through bench_recovery.py --lean; not a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from urllib.parse import urlparse

from wsload import WS, seq_of

from judging.client import retry_delay

BACKOFF = (0.1, 5.0)  # judging.client.Client's default


class LeanViewer:
    def __init__(self, host: str, port: int, n: int):
        self.host, self.port = host, port
        self.id = f"lean-{os.getpid()}-{n}"
        self.lineage = ""
        self.epoch = ""
        self.seq = 0
        self.has_state = False
        self.marks: list[tuple[float, str]] = []  # (when in sync, with which epoch)
        self.resumes = self.snapshots = 0
        self.synced = False
        self.ws: WS | None = None

    async def run(self, first: asyncio.Future) -> None:
        loop = asyncio.get_running_loop()
        lost_at: float | None = None
        while True:
            try:
                _, ws = await loop.create_connection(lambda: WS(self.host, self.port, None, self.on_text), self.host, self.port)
                async with asyncio.timeout(5):
                    await ws.open
            except (OSError, TimeoutError, ConnectionError):
                pass
            else:
                self.ws, lost_at = ws, None
                hello = {"type": "hello", "protocol": 1, "client": self.id}
                if self.lineage and self.has_state:
                    hello |= {"lineage": self.lineage, "since": self.seq}
                ws.send_text(json.dumps(hello))
                if not first.done():
                    first.set_result(None)
                await ws.closed
                self.synced = False
            if lost_at is None:
                lost_at = time.monotonic()
            await asyncio.sleep(retry_delay(time.monotonic() - lost_at, BACKOFF, random.random()))

    def on_text(self, payload: bytes) -> None:
        if payload.startswith(b'{"type":"update"'):
            self.seq = seq_of(payload)
        elif payload.startswith(b'{"type":"welcome"'):
            msg = json.loads(payload)
            self.lineage = msg.get("lineage", "")
            if msg.get("resumed"):
                self.resumes += 1
                self.in_sync(msg["epoch"])
        elif payload.startswith(b'{"type":"snapshot"'):
            self.seq = seq_of(payload)
            self.has_state = True
            self.snapshots += 1
            i = payload.find(b'"epoch":"') + 9
            self.in_sync(payload[i : payload.find(b'"', i)].decode())

    def in_sync(self, epoch: str) -> None:
        self.synced = True
        if epoch != self.epoch:
            self.epoch = epoch
            self.marks.append((time.monotonic(), epoch))


async def main(url: str, count: int) -> None:
    u = urlparse(url)
    viewers = [LeanViewer(u.hostname or "127.0.0.1", u.port or 80, n) for n in range(count)]
    tasks = []
    for start in range(0, count, 50):
        firsts = []
        for v in viewers[start : start + 50]:
            first = asyncio.get_running_loop().create_future()
            tasks.append(asyncio.create_task(v.run(first)))
            firsts.append(first)
        await asyncio.wait_for(asyncio.gather(*firsts), 60)
    async with asyncio.timeout(60):
        while not all(v.synced for v in viewers):
            await asyncio.sleep(0.05)
    print(f"connected {count}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    print(json.dumps({"stamps": [v.marks for v in viewers], "unacked": 0, "resumes": sum(v.resumes for v in viewers),
                      "snapshots": sum(v.snapshots for v in viewers), "unsynced": sum(not v.synced for v in viewers)}), flush=True)
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
