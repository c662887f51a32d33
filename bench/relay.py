"""The floor for the live benchmarks: a bare websockets relay, `python bench/relay.py`.

Same library and settings as the judging server (websockets, no compression, the same
frame and queue limits and pings). A connection without a token is a viewer and is only
sent to. A connection with a token is a judge: for each message it sends, the relay numbers
it, broadcasts to every viewer a message of the size the message asks for (the size of the
update the real server would send), and answers the judge with an ack-sized reply. No
checks, no storage, no views: only the fan-out the real server cannot avoid. Progress-sized
messages are paced as the server paces the audience's count of cards (judging/audience.py:
at most one every PACE seconds, the latest held one sent when the time comes); reveal-sized
ones go at once.

`--split` is the floor of `judging serve --relay`: each viewer, once it has said hello, is
handed to the server's own relay process (judging/relay.py, through judging/relay_link.py)
and every broadcast goes there once, framed as the server frames a flush. `--durable DB`
answers a judge only once its message is a row committed to SQLite as the server's log is
(WAL, synchronous=FULL, one writer thread, what queued meanwhile in one commit): the floor of
a durable acknowledgement.
`--welcome` is the floor of the recovery benchmark (bench_recovery.py --floor): a viewer's
hello is answered as the server answers it, with a welcome and an empty snapshot, or, when it
names a lineage and seq (a viewer back after a restart), a welcome that says it resumed; and
nothing else. `--port P` listens on P.
Prints 'ready PORT SECONDS_SINCE_START START' as bench/serve_bench.py does. Run by hand,
through bench_live.py or bench_recovery.py; not a test.
"""

from __future__ import annotations

import time

T0 = time.monotonic()

import asyncio
import json
import os
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

PACE = 0.1

viewers: set = set()
seq = 0
held: tuple[int, str] | None = None  # the latest progress-sized message not sent yet, and its seq
sent_at = 0.0
timer: asyncio.TimerHandle | None = None
flushed = 0  # --split: the last seq the relay process has had
link = None  # --split: judging.relay_link.RelayLink
log: sqlite3.Connection | None = None  # --durable
writer = ThreadPoolExecutor(max_workers=1)


def send_held() -> None:
    global held, sent_at, timer, flushed
    timer = None
    if held is None:
        return
    n, body = held
    if link is not None:
        from judging import fanout

        link.flush(flushed + 1, n, "relay0000", fanout.frame(body))
        flushed = n
    broadcast(viewers, body)  # with --split, those that could not be handed over (as the server keeps them)
    held, sent_at = None, time.monotonic()


def open_log(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=wal")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)")
    return db


def commit(rows: list[tuple[int, str]]) -> None:
    assert log is not None
    log.execute("BEGIN")
    log.executemany("INSERT INTO events VALUES (?, ?)", rows)
    log.execute("COMMIT")


pending: list[tuple[int, str]] = []  # --durable: messages waiting for the next commit
waiting: list[asyncio.Future] = []
committing = False


async def durable(n: int, data: str) -> None:
    """Return once the message is committed: what queued up meanwhile goes in one commit, as
    the server's sequencer does (group commit), so the floor's throughput is not one fsync a
    message."""
    global committing
    done = asyncio.get_running_loop().create_future()
    pending.append((n, data))
    waiting.append(done)
    if not committing:
        committing = True
        asyncio.ensure_future(commit_pending())
    await done


async def commit_pending() -> None:
    global committing
    try:
        while pending:
            rows, dones = pending[:], waiting[:]
            pending.clear()
            waiting.clear()
            await asyncio.get_running_loop().run_in_executor(writer, commit, rows)
            for done in dones:  # in seq order: the handlers go on, and forward, in that order
                done.set_result(None)
    finally:
        committing = False


def hand_over(ws) -> bool:
    """--split: the viewer's socket to the relay process, as the server hands one over."""
    transport = ws.transport
    if not link.hand(flushed, transport.get_extra_info("socket").fileno()):  # type: ignore[union-attr]
        return False
    transport.abort()  # the relay holds the socket now
    return True


def forward(kind: str, n: int, body: str) -> None:
    global held, timer
    if kind == "progress" and time.monotonic() - sent_at < PACE:
        held = (n, body)
        if timer is None:
            timer = asyncio.get_running_loop().call_later(sent_at + PACE - time.monotonic(), send_held)
        return
    if timer is not None:
        timer.cancel()
    held = (n, body)
    send_held()


EPOCH = os.urandom(4).hex()  # --welcome: a new one each start, as the server's


async def welcome(ws, hello: dict) -> None:
    if hello.get("lineage"):
        await ws.send(f'{{"type":"welcome","role":"viewer","lineage":"floor","epoch":"{EPOCH}","seq":{hello.get("since", 0)},"resumed":true}}')
    else:
        await ws.send(f'{{"type":"welcome","role":"viewer","lineage":"floor","epoch":"{EPOCH}","seq":0,"resumed":false}}')
        await ws.send(f'{{"type":"snapshot","epoch":"{EPOCH}","seq":0,"state":{{}}}}')


async def handle(ws) -> None:
    global seq
    judge = ws.request.headers.get("Authorization") is not None
    try:
        hello = await ws.recv()
        if not judge:
            if "--welcome" in sys.argv:
                await welcome(ws, json.loads(hello))
            if link is not None and hand_over(ws):
                return
            viewers.add(ws)
            await ws.wait_closed()
            return
        async for message in ws:
            msg = json.loads(message)
            seq += 1
            n = seq
            if log is not None:
                await durable(n, message)
            head = f'{{"type":"update","epoch":"relay0000","seq":{n},"patch":{{"{msg["relay"]}":{{"contestant":"{msg["contestant"]}","pad":"'
            body = head + "x" * max(0, msg["size"] - len(head) - 4) + '"}}}'
            ack = f'{{"type":"ack","id":"{msg["id"]}","seq":{n},"at":"2026-01-01T00:00:00.000000+00:00","revision":1}}'
            forward(msg["relay"], n, body)  # before the ack's await: the seqs go out in order
            await ws.send(ack)
    except ConnectionClosed:
        pass
    finally:
        viewers.discard(ws)


async def main() -> None:
    global link, log
    if "--split" in sys.argv:
        from judging.relay_link import RelayLink

        link = RelayLink()
        await link.start()
        assert link.up, "the relay process did not start"
    if "--durable" in sys.argv:
        log = open_log(sys.argv[sys.argv.index("--durable") + 1])
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    async with serve(handle, "127.0.0.1", port, max_size=64 * 1024, max_queue=16, compression=None, ping_interval=10, ping_timeout=20, backlog=4096) as server:  # the server's BACKLOG
        print(f"ready {server.sockets[0].getsockname()[1]} {time.monotonic() - T0:.4f} {T0:.6f}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    asyncio.run(main())
