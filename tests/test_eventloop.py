"""judging/eventloop.py: uvloop for the server's processes, asyncio's loop on request."""

from __future__ import annotations

import asyncio

import uvloop

from judging import eventloop


async def _which() -> type:
    return type(asyncio.get_running_loop())


def test_uvloop_by_default_and_asyncio_on_request(monkeypatch):
    monkeypatch.delenv("JUDGING_LOOP", raising=False)
    assert eventloop.run(_which()) is uvloop.Loop
    monkeypatch.setenv("JUDGING_LOOP", "asyncio")
    assert not issubclass(eventloop.run(_which()), uvloop.Loop)
