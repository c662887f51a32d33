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
Prints 'ready PORT'. Run by hand, through bench_live.py; not a test.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

PACE = 0.1

viewers: set = set()
seq = 0
held: str | None = None  # the latest progress-sized message not sent yet
sent_at = 0.0
timer: asyncio.TimerHandle | None = None


def send_held() -> None:
    global held, sent_at, timer
    timer = None
    if held is not None:
        broadcast(viewers, held)
        held, sent_at = None, time.monotonic()


def forward(kind: str, body: str) -> None:
    global held, timer
    if kind == "progress" and time.monotonic() - sent_at < PACE:
        held = body
        if timer is None:
            timer = asyncio.get_running_loop().call_later(sent_at + PACE - time.monotonic(), send_held)
        return
    if timer is not None:
        timer.cancel()
    held = body
    send_held()


async def handle(ws) -> None:
    global seq
    judge = ws.request.headers.get("Authorization") is not None
    try:
        await ws.recv()  # hello
        if not judge:
            viewers.add(ws)
            await ws.wait_closed()
            return
        async for message in ws:
            msg = json.loads(message)
            seq += 1
            head = f'{{"type":"update","epoch":"relay0000","seq":{seq},"patch":{{"{msg["relay"]}":{{"contestant":"{msg["contestant"]}","pad":"'
            body = head + "x" * max(0, msg["size"] - len(head) - 4) + '"}}}'
            forward(msg["relay"], body)
            ack = f'{{"type":"ack","id":"{msg["id"]}","seq":{seq},"at":"2026-01-01T00:00:00.000000+00:00","revision":1}}'
            await ws.send(ack)
    except ConnectionClosed:
        pass
    finally:
        viewers.discard(ws)


async def main() -> None:
    async with serve(handle, "127.0.0.1", 0, max_size=64 * 1024, max_queue=16, compression=None, ping_interval=10, ping_timeout=20) as server:
        print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop

        uvloop.install()
    asyncio.run(main())
