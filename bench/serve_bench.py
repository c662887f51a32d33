"""Run the live server for a benchmark: `python bench/serve_bench.py CONTEST DB [--port P]`.

Prints 'ready PORT' once it listens on 127.0.0.1 (an ephemeral port unless --port), then
serves until killed. The per-connection rate limit is the server's default. BENCH_RELAY=1 in
the environment hands the scoreboards to the relay process (judging/relay.py). The event loop
is asyncio's unless JUDGING_LOOP=uvloop (judging/eventloop.py; `bench_live.py --loop` sets it).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

T0 = time.monotonic()


async def main(contest_path: str, db: str, port: int) -> None:
    from judging.contest_file import contest_digest_text, load_contest
    from judging.server import JudgingServer
    from judging.store import Store

    contest = load_contest(contest_path)
    from judging.server import Limits

    # BENCH_RELAY=1: the scoreboards held by the relay process (judging/relay.py).
    limits = Limits(relay=os.environ.get("BENCH_RELAY") == "1")
    server = JudgingServer(contest, Store(db), contest_digest_text(contest_path), limits)
    port = await server.start("127.0.0.1", port)
    print(f"ready {port} {time.monotonic() - T0:.4f} {T0:.6f}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    from judging import eventloop

    if os.environ.get("SWITCH_INTERVAL"):  # the GIL's switch interval, seconds (Python's default 0.005)
        sys.setswitchinterval(float(os.environ["SWITCH_INTERVAL"]))

    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    eventloop.run(main(sys.argv[1], sys.argv[2], port))
