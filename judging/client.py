"""A headless client: connects, authenticates, keeps the role's view in sync and, for a
judge, keeps unacknowledged submissions in an outbox that survives restarts.

The Textual apps and the tests use it; it never imports Textual. It reconnects by itself
with jittered exponential backoff, resends the outbox after each reconnect (the server
answers a resend with the original acknowledgement), and asks for a snapshot, once, whenever
an update's epoch or sequence number shows it missed something. A reconnect offers the
server the lineage and seq it holds, so that a server of the same log can send the changes
since then rather than the whole view.
"""

from __future__ import annotations

import asyncio
import ssl as ssl_module
import json
import logging
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from judging import protocol as p

log = logging.getLogger("judging.client")


class AuthError(Exception):
    """The server refused the token (HTTP 401): retrying will not help."""


class ServerError(Exception):
    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class Outbox:
    """Submissions not yet acknowledged, saved to disk after every change (atomic replace)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.items: dict[str, dict[str, Any]] = {}
        if path is not None and path.exists():
            try:
                for item in json.loads(path.read_text(encoding="utf-8")):
                    self.items[item["id"]] = item
            except (ValueError, KeyError, TypeError):
                log.warning("outbox %s is unreadable; kept aside as %s.bad", path, path.name)
                path.replace(path.with_suffix(path.suffix + ".bad"))

    def add(self, item: dict[str, Any]) -> None:
        self.items[item["id"]] = item
        self._save()

    def remove(self, sid: str) -> None:
        if self.items.pop(sid, None) is not None:
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(list(self.items.values()), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


QUICK_RETRIES = 2.0  # seconds after a loss during which a client retries at the quick pace


def retry_delay(lost_for: float, backoff: tuple[float, float], jitter: float) -> float:
    """How long to wait before the next try to reconnect, the connection lost ``lost_for``
    seconds ago. For the first ``QUICK_RETRIES`` seconds the tries come ``low`` apart: a
    restarted server listens again within a second, and a refused try costs it nothing (the
    kernel answers), so a hall is back as soon as it listens. After that they spread out in
    proportion to the outage (half its length), up to ``high``. ``jitter`` in [0, 1) takes the
    delay from half of that to all of it, so a hall's clients do not try in step."""
    low, high = backoff
    wait = low if lost_for < QUICK_RETRIES else min(high, max(low, (lost_for - QUICK_RETRIES) / 2))
    return wait * (0.5 + jitter / 2)


class Client:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        outbox: Path | None = None,
        client_id: str | None = None,
        on_change: Callable[[set[str]], None] | None = None,
        backoff: tuple[float, float] = (0.1, 5.0),
        open_timeout: float = 5.0,
        ssl: "ssl_module.SSLContext | None" = None,
    ):
        self.url = url
        self.token = token
        self.client_id = client_id or uuid.uuid4().hex[:12]
        self.outbox = Outbox(outbox)
        self.on_change = on_change
        self.backoff = backoff
        self.open_timeout = open_timeout
        self.ssl = ssl  # for wss:// with a private CA; None uses the system's trust store
        self.state: dict[str, Any] = {}
        self.role = ""
        self.judge = ""
        self.epoch = ""
        self.seq = 0
        self.acks: dict[str, p.Ack] = {}
        self.errors: list[p.Error] = []
        self._refused: dict[str, ServerError] = {}  # answers that came before anyone waited
        self.connected = asyncio.Event()
        self.synced = asyncio.Event()
        self.snapshots = 0  # how many snapshots were received (resyncs show up here)
        self.resumes = 0  # reconnections brought up to date without a snapshot
        self.lineage = ""  # what the last welcome named: the hello of a reconnect offers it back
        self.resyncing = False  # a snapshot was asked for a gap and has not come yet
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task | None = None
        self._waiters: dict[str, asyncio.Future] = {}
        self._auth_error: AuthError | None = None
        self._stopping = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, timeout: float = 5.0) -> None:
        """Connect and wait for the first snapshot (raises AuthError or TimeoutError)."""
        self._task = asyncio.create_task(self._run())
        try:
            async with asyncio.timeout(timeout):
                while not self.synced.is_set():
                    if self._auth_error:
                        raise self._auth_error
                    if self._task.done():
                        self._task.result()
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise TimeoutError(f"no snapshot from {self.url} within {timeout}s") from None

    async def close(self) -> None:
        self._stopping = True
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def drop(self) -> None:
        """Close the socket as a flaky network would; the client reconnects by itself."""
        if self._ws is not None:
            await self._ws.close()

    async def _run(self) -> None:
        lost_at: float | None = None  # when the last good connection was lost
        while not self._stopping:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            try:
                async with connect(
                    self.url, additional_headers=headers, open_timeout=self.open_timeout, max_size=p.MAX_SERVER_FRAME,
                    **({"ssl": self.ssl} if self.ssl is not None else {}),
                    compression=None,
                ) as ws:
                    self._ws = ws
                    lost_at = None
                    hello: dict[str, Any] = {"type": "hello", "protocol": p.VERSION, "client": self.client_id}
                    if self.lineage and self.state:
                        hello |= {"lineage": self.lineage, "since": self.seq}
                    await ws.send(json.dumps(hello))
                    async for frame in ws:
                        await self._on_frame(frame)
            except InvalidStatus as e:
                if e.response.status_code == 401:
                    self._auth_error = AuthError("the server refused this token (unknown or revoked)")
                    return
                log.info("handshake refused: %s", e)
            except (OSError, ConnectionClosed, TimeoutError, InvalidURI, InvalidHandshake) as e:
                if isinstance(e, InvalidURI):
                    raise
                # InvalidHandshake: e.g. the server died before its HTTP response; try again.
                log.info("connection lost: %s", e)
            finally:
                self._ws = None
                self.connected.clear()
                self.synced.clear()
                self.resyncing = False  # the next connection starts in sync (snapshot or resume)
            if self._stopping:
                return
            if lost_at is None:
                lost_at = time.monotonic()
            await asyncio.sleep(retry_delay(time.monotonic() - lost_at, self.backoff, random.random()))

    # -- frames ----------------------------------------------------------------------------

    async def _on_frame(self, frame: str | bytes) -> None:
        try:
            msg = p.decode_server(frame)
        except p.ProtocolError as e:
            log.warning("bad frame from server: %s", e.message)
            return
        match msg:
            case p.Welcome():
                self.role, self.judge, self.lineage = msg.role, msg.judge, msg.lineage
                self.connected.set()
                if msg.resumed:
                    # The state held is the server's at self.seq: its updates follow at once.
                    self.epoch = msg.epoch
                    self.resumes += 1
                    self.resyncing = False
                    self.synced.set()
                    await self._resend()
            case p.Snapshot():
                self.epoch, self.seq, self.state = msg.epoch, msg.seq, dict(msg.state)
                self.snapshots += 1
                self.resyncing = False
                self.synced.set()
                await self._resend()
                self._changed(set(self.state))
            case p.Update():
                if msg.epoch != self.epoch or msg.seq != self.seq + 1:
                    if msg.epoch == self.epoch and msg.seq <= self.seq:
                        return  # already applied (a snapshot overtook it)
                    if not self.resyncing:
                        # Once per gap: every update until the snapshot is out of order too, and
                        # asking again for each would flood the server when it is busiest.
                        self.resyncing = True
                        await self.request_snapshot()
                    return
                self.seq = msg.seq
                self.state.update(msg.patch)
                for section, items in msg.merge.items():
                    self.state[section] = {**(self.state.get(section) or {}), **items}  # a new dict: snapshots' may be shared
                if msg.patch or msg.merge:
                    self._changed(set(msg.patch) | set(msg.merge))
            case p.Ack():
                self.acks[msg.id] = msg
                self.outbox.remove(msg.id)
                self._resolve(msg.id, msg)
                self._changed({"outbox"})
            case p.Done() | p.Preview():
                self._resolve(msg.id, msg)
            case p.Error():
                self.errors.append(msg)
                if msg.ref and msg.ref in self.outbox.items and msg.code not in ("rate_limited",):
                    # The server said no for good (locked, out of range...): keeping it would resend forever.
                    self.outbox.remove(msg.ref)
                    self._changed({"outbox"})
                if msg.ref:
                    error = ServerError(msg.code, msg.message)
                    self._refused[msg.ref] = error
                    self._resolve(msg.ref, error)

    def _changed(self, sections: set[str]) -> None:
        if self.on_change is not None:
            self.on_change(sections)

    def _resolve(self, ref: str, value: Any) -> None:
        future = self._waiters.pop(ref, None)
        if future is not None and not future.done():
            if isinstance(value, Exception):
                future.set_exception(value)
            else:
                future.set_result(value)

    async def _resend(self) -> None:
        for item in list(self.outbox.items.values()):
            await self._send(item)

    async def _send(self, payload: dict[str, Any]) -> bool:
        ws = self._ws
        if ws is None:
            return False
        try:
            await ws.send(json.dumps(payload, ensure_ascii=False))
            return True
        except ConnectionClosed:
            return False

    # -- actions ---------------------------------------------------------------------------

    async def request_snapshot(self) -> None:
        await self._send({"type": "snapshot_request"})

    async def submit(self, round: str, contestant: str, scores: dict[str, str], sid: str | None = None) -> str:
        """Queue a card in the outbox and send it if connected. Returns the submission id."""
        sid = sid or uuid.uuid4().hex
        item = {"type": "submit", "id": sid, "round": round, "contestant": contestant, "scores": scores}
        self.outbox.add(item)
        self._changed({"outbox"})
        await self._send(item)
        return sid

    async def wait_ack(self, sid: str, timeout: float = 5.0) -> p.Ack:
        if sid in self.acks:
            return self.acks[sid]
        if sid in self._refused:
            raise self._refused[sid]
        future = self._waiters.setdefault(sid, asyncio.get_running_loop().create_future())
        return await self._wait(sid, future, timeout)

    async def control(self, action: str, timeout: float = 5.0, **data: Any) -> p.Done:
        """Run a control action and wait for the server's answer (raises ServerError)."""
        ref = uuid.uuid4().hex
        future = self._waiters.setdefault(ref, asyncio.get_running_loop().create_future())
        if not await self._send({"type": "control", "id": ref, "action": action, "data": data}):
            self._waiters.pop(ref, None)
            raise ServerError("offline", "not connected to the server")
        return await self._wait(ref, future, timeout)

    async def _wait(self, ref: str, future: asyncio.Future, timeout: float) -> Any:
        """The answer to ``ref``; on a timeout (or cancel) its waiter goes, or they pile up."""
        try:
            async with asyncio.timeout(timeout):
                return await future
        finally:
            if self._waiters.get(ref) is future:
                del self._waiters[ref]

    async def preview(self, timeout: float = 5.0, **data: Any) -> p.Preview:
        """A correction's effect on the standings, before making it (raises ServerError)."""
        return await self.control("preview", timeout=timeout, **data)  # type: ignore[return-value]

    async def send_raw(self, frame: str | bytes) -> None:
        """Send a frame as is (tests of the server's door)."""
        if self._ws is not None:
            await self._ws.send(frame)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.01)
