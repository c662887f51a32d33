"""Real clients (judging.client.Client, reconnect and resync as shipped) in a process of
their own, for the recovery benchmark:

    python bench/clients.py URL COUNT viewer|judges:J001,J002,... [--submit-every S]

Prints 'connected COUNT' once every client has its first snapshot. Each client notes when
it was back in sync with each server it met (a snapshot, or a resume, of a new epoch);
judges submit a card every S seconds to an
open contestant. A line 'report' on stdin stops the judges, waits up to 5 s for their
outboxes to drain (a mark on its way is not a mark lost), prints one JSON line and exits.
Run by hand, through bench_recovery.py; not a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time

from benchlib import judge_token

from judging.client import Client

RUNNING: list[asyncio.Task] = []  # the judges' tasks (a reference keeps them alive)


class Timed(Client):
    """A client that notes when it is in sync with a server of a new epoch."""

    def __init__(self, url: str, token: str | None, marks: list[tuple[float, str]]):
        super().__init__(url, token)
        self.marks = marks
        self.seen = ""

    async def _on_frame(self, frame: str | bytes) -> None:
        await super()._on_frame(frame)
        if self.synced.is_set() and self.epoch != self.seen:
            self.seen = self.epoch
            self.marks.append((time.monotonic(), self.epoch))


async def main(url: str, count: int, who: str, every: float) -> None:
    judges = who.split(":", 1)[1].split(",") if who.startswith("judges:") else []
    clients: list[Client] = []
    stamps: list[list[tuple[float, str]]] = []
    for i in range(count):
        token = judge_token(judges[i]) if judges else None
        marks: list[tuple[float, str]] = []
        cl = Timed(url, token, marks)
        clients.append(cl)
        stamps.append(marks)
    for start in range(0, count, 50):
        await asyncio.gather(*(cl.start(timeout=60) for cl in clients[start : start + 50]))
    print(f"connected {count}", flush=True)
    rng = random.Random(count)
    stop = asyncio.Event()

    async def judge(cl: Client, jid: str) -> None:
        n = 0
        await asyncio.sleep(rng.uniform(0, every))
        while not stop.is_set():
            n += 1
            cid = f"C{rng.randint(1, 10):04d}"  # the contestants still open (bench_recovery.OPEN)
            await cl.submit("final", cid, {"total": f"{rng.randint(6000, 9900) / 100:.2f}"}, sid=f"{jid}-{os.getpid()}-{n}")
            await asyncio.sleep(every)

    RUNNING.extend(asyncio.create_task(judge(cl, jid)) for cl, jid in zip(clients, judges))
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    stop.set()
    # A mark submitted just before the report is still on its way: give the outboxes a few
    # seconds to drain, so that what is counted is what the server never acknowledged.
    deadline = time.monotonic() + 5.0
    while any(cl.outbox.items for cl in clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    unacked = sum(len(cl.outbox.items) for cl in clients)
    print(json.dumps({"stamps": stamps, "unacked": unacked, "resumes": sum(cl.resumes for cl in clients),
                      "snapshots": sum(cl.snapshots for cl in clients), "unsynced": sum(not cl.synced.is_set() for cl in clients)}), flush=True)
    os._exit(0)  # a thousand close handshakes would only slow the report down


if __name__ == "__main__":
    every = float(sys.argv[sys.argv.index("--submit-every") + 1]) if "--submit-every" in sys.argv else 2.0
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], every))
