"""The event loop the server's processes run on: asyncio's own, or uvloop (Linux and macOS)
with ``judging serve --loop uvloop``, the default with the relay (on Linux). The choice travels in
``JUDGING_LOOP``, so that the relay process the server starts runs on the same loop.

What each costs, measured (docs/benchmarks.md): with the relay, a thousand scoreboards
welcomed by the server and handed over leave the two processes 17 to 20 KiB a screen on
asyncio's loop and about 3 KiB on uvloop. But when a hall reconnects after a ``kill -9``,
without the relay, the last clients are back later on uvloop (p99 1.05 to 1.53 s against
0.83 to 0.94 s), so without the relay asyncio's loop stays the default.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, Callable

LOOPS = ("asyncio", "uvloop")


def available(name: str) -> bool:
    if name == "uvloop":
        try:
            import uvloop  # noqa: F401
        except ImportError:
            return False
    return name in LOOPS


def choose(name: str) -> None:
    """This process and those it starts run on ``name`` (one of ``LOOPS``, available)."""
    os.environ["JUDGING_LOOP"] = name


def factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    if os.environ.get("JUDGING_LOOP") != "uvloop":
        return None
    import uvloop

    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=factory()) as runner:
        return runner.run(main)
