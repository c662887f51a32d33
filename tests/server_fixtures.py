"""Shared pieces for the live-layer tests: the small contest in fixtures/live, a real server
on 127.0.0.1 port 0 with a tmp-path database, and clients that are closed for you.

Import the fixtures you use into the test module (``from server_fixtures import live``):
tests/conftest.py belongs to someone else.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from judging import protocol as p
from judging.client import Client
from judging.contest_file import contest_digest_text, load_contest
from judging.server import JudgingServer, Limits
from judging.store import Store

ROOT = Path(__file__).resolve().parent.parent
CONTEST = ROOT / "fixtures" / "live" / "contest.toml"
JUDGES = ("E1", "E2", "E3", "P1", "P2", "P3", "T1")
TOKENS = {jid: f"tok-{jid}-0123456789abcdef" for jid in JUDGES}
CONTROL = "tok-control-0123456789abcdef"
WAIT = 5.0  # seconds any single wait may take before the test fails


def grants() -> list[tuple[str, str, str]]:
    return [(f"judge:{j}", "judge", t) for j, t in TOKENS.items()] + [("control", "control", CONTROL)]


def contest_variant(tmp_path: Path, extra: str = "", replace: tuple[str, str] | None = None) -> Path:
    """A copy of the live contest with text appended or one string replaced."""
    text = CONTEST.read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "contest.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def single_round(tmp_path: Path, extra: str = "") -> Path:
    """The live contest with the heat as its only round, so that standings show heat results
    (with advancement, a contestant who has reached the final is ranked by the final)."""
    text = CONTEST.read_text(encoding="utf-8")
    head, rest = text.split("[stages]", 1)
    tail = rest[rest.index("[awards]") :]
    rounds = '[[rounds]]\nid = "heat"\nname = "Heat"\nmin = 0\nmax = 100\nstep = 0.01\n\n'
    path = tmp_path / "single.toml"
    path.write_text(head + rounds + tail + extra, encoding="utf-8")
    return path


class Live:
    """One running server and the clients a test opened against it."""

    def __init__(self, tmp_path: Path, contest_path: Path = CONTEST, limits: Limits | None = None):
        self.tmp = tmp_path
        self.db = tmp_path / "live.db"
        self.contest_path = contest_path
        self.limits = limits
        self.contest = load_contest(contest_path)
        self.store = Store(self.db)
        self.store.issue_tokens(grants())
        self.server: JudgingServer | None = None
        self.url = ""
        self.clients: list[Client] = []
        self.raws: list[ClientConnection] = []

    async def start(self) -> "Live":
        self.server = JudgingServer(self.contest, self.store, contest_digest_text(self.contest_path), limits=self.limits)
        port = await self.server.start("127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{port}"
        return self

    async def stop_server(self) -> None:
        """Stop the server and close its database (clients stay, and will try to reconnect)."""
        if self.server is not None:
            await self.server.close()
            self.server = None
        self.store.close()

    async def restart(self, contest_path: Path | None = None, port: int = 0) -> "Live":
        await self.stop_server()
        if contest_path is not None:
            self.contest_path = contest_path
            self.contest = load_contest(contest_path)
        self.store = Store(self.db)
        self.server = JudgingServer(self.contest, self.store, contest_digest_text(self.contest_path), limits=self.limits)
        bound = await self.server.start("127.0.0.1", port)
        self.url = f"ws://127.0.0.1:{bound}"
        return self

    async def client(self, token: str | None = None, **kw: Any) -> Client:
        cl = Client(self.url, token, backoff=(0.02, 0.2), **kw)
        self.clients.append(cl)
        await cl.start(timeout=WAIT)
        return cl

    async def judge(self, jid: str, **kw: Any) -> Client:
        return await self.client(TOKENS[jid], **kw)

    async def control(self) -> Client:
        return await self.client(CONTROL)

    async def viewer(self) -> Client:
        return await self.client(None)

    async def raw(self, token: str | None = None, hello: bool = True, **kw: Any) -> ClientConnection:
        """A bare websocket (no client library) that has said hello."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        ws = await connect(self.url, additional_headers=headers, open_timeout=WAIT, compression=None, **kw)
        self.raws.append(ws)
        if hello:
            await ws.send(json.dumps({"type": "hello", "protocol": p.VERSION, "client": "raw"}))
        return ws

    async def close(self) -> None:
        for cl in self.clients:
            await cl.close()
        for ws in self.raws:
            try:
                async with asyncio.timeout(0.3):
                    await ws.close()
            except TimeoutError:
                ws.transport.abort()
        await self.stop_server()

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.store.events() if kind is None or e["kind"] == kind]


async def recv_json(ws: ClientConnection, timeout: float = WAIT) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        return json.loads(await ws.recv())


async def recv_until(ws: ClientConnection, kind: str, timeout: float = WAIT) -> tuple[dict[str, Any], list[str]]:
    """Read frames until one of ``kind``; returns it and every raw frame read on the way."""
    seen: list[str] = []
    async with asyncio.timeout(timeout):
        while True:
            raw = await ws.recv()
            seen.append(raw)
            msg = json.loads(raw)
            if msg["type"] == kind:
                return msg, seen


async def score(live: Live, judges: dict[str, Client], rid: str, cid: str, marks: dict[str, str]) -> dict[str, p.Ack]:
    """Every listed judge submits a total; returns the acks by judge."""
    sids = {jid: await judges[jid].submit(rid, cid, {"total": v}) for jid, v in marks.items()}
    return {jid: await judges[jid].wait_ack(sid, WAIT) for jid, sid in sids.items()}


async def all_judges(live: Live) -> dict[str, Client]:
    return {jid: await live.judge(jid) for jid in JUDGES}


@pytest_asyncio.fixture
async def live(tmp_path: Path):
    harness = await Live(tmp_path).start()
    try:
        yield harness
    finally:
        await harness.close()


@pytest_asyncio.fixture
async def make_live(tmp_path: Path):
    """A factory for a server with another contest file or other limits."""
    made: list[Live] = []

    async def make(contest_path: Path = CONTEST, limits: Limits | None = None) -> Live:
        harness = await Live(tmp_path, contest_path, limits).start()
        made.append(harness)
        return harness

    try:
        yield make
    finally:
        for harness in made:
            await harness.close()


def without(state: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k not in names}


def sockets_of(pid: int) -> int:
    """How many sockets the process ``pid`` holds."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except FileNotFoundError:  # closed while listed
            pass
    return count


def relays_of(pid: int) -> list[int]:
    """The audience's relay processes (judging/relay.py) among ``pid``'s children."""
    children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [c for c in children if Path(f"/proc/{c}/comm").read_bytes().strip() == b"judging-relay"]
