"""judging/eventloop.py: asyncio's loop unless uvloop is chosen (``judging serve --loop``)."""

from __future__ import annotations

import asyncio

import uvloop

from judging import eventloop


async def _which() -> type:
    return type(asyncio.get_running_loop())


def test_asyncio_by_default_and_uvloop_when_chosen(monkeypatch):
    monkeypatch.delenv("JUDGING_LOOP", raising=False)
    assert not issubclass(eventloop.run(_which()), uvloop.Loop)
    eventloop.choose("uvloop")  # through the environment: the relay process follows
    assert eventloop.run(_which()) is uvloop.Loop
    assert eventloop.available("uvloop") and not eventloop.available("trio")
