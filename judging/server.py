"""The live server: authenticates, checks every action with the rules, logs it durably,
and pushes each role its view.

One asyncio task per connection reads frames; a second one writes from a bounded queue, so a
slow or dead viewer fills only its own queue and is cut off when it is full. Every change
goes through ``_commit``: check, append to the log (acknowledged only after the commit),
apply, broadcast, in one lock so that the log order is the apply order.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from judging import protocol as p
from judging.live import FlowError, LiveState
from judging.rules.errors import MarkError
from judging.rules.model import Contest
from judging.store import Store, token_hash
from judging.views import control_snapshot, judge_snapshot, patch_for, standings_section, viewer_snapshot

log = logging.getLogger("judging.server")


class StartupError(Exception):
    """The server cannot start with this contest file and database."""


@dataclass
class Limits:
    max_frame: int = p.MAX_FRAME
    queue: int = 256  # frames waiting for one connection before it is cut off
    rate: float = 20.0  # frames per second a connection may send, sustained
    burst: float = 40.0
    hello_timeout: float = 10.0
    auth_free_failures: int = 5  # failures per address per minute before answers slow down


@dataclass
class Principal:
    role: str  # "judge", "control" or "viewer"
    holder: str = ""
    judge: str = ""


@dataclass(eq=False)  # identity: peers live in a set
class Peer:
    ws: ServerConnection
    who: Principal
    client: str = ""
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue())
    tokens: float = 0.0
    stamp: float = 0.0
    ready: bool = False  # has had its snapshot; updates before that would be stale anyway


def contest_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def replay(contest: Contest, store: Store, recorded_hash: str | None, new_hash: str) -> LiveState:
    """Rebuild the state from the log. With a changed contest file every event is checked
    again, and the first one that no longer fits refuses the start."""
    state = LiveState(contest)
    changed = recorded_hash is not None and recorded_hash != new_hash
    for event in store.events():
        try:
            if changed:
                state.check(event["kind"], event["actor"], event["data"])
            state.apply(event)
        except (MarkError, KeyError, TypeError) as e:
            what = f"event #{event['seq']} ({event['kind']} by {event['actor']} at {event['at']})"
            reason = e.message if isinstance(e, MarkError) else f"missing {e}"
            raise StartupError(
                f"the contest file differs from the one this database was recorded with, and {what} "
                f"no longer fits it: {reason}. Start with the original contest file, or use a new --db."
            ) from None
    return state


class JudgingServer:
    def __init__(self, contest: Contest, store: Store, raw_contest: bytes, limits: Limits | None = None):
        self.contest = contest
        self.store = store
        self.limits = limits or Limits()
        self.hash = contest_hash(raw_contest)
        self.epoch = secrets.token_hex(4)
        self.peers: set[Peer] = set()
        self._lock = asyncio.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judging-store")
        self._failures: dict[str, list[float]] = {}
        self._closing: set[asyncio.Future] = set()
        self._server: Any = None
        self.state = replay(contest, store, store.get_meta("contest_hash"), self.hash)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 8765, tls: ssl.SSLContext | None = None) -> int:
        self.store.set_meta("contest_hash", self.hash)
        self.store.set_meta("contest_name", self.contest.name)
        await self._commit("server", "server_started", {"epoch": self.epoch, "contest_hash": self.hash}, check=False)
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._authenticate,
            max_size=self.limits.max_frame,
            max_queue=16,
            ssl=tls,
            ping_interval=10,
            ping_timeout=20,
            compression=None,
            server_header="judging",
        )
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self._writer.shutdown(wait=True)

    # -- authentication --------------------------------------------------------------------

    async def _authenticate(self, connection: ServerConnection, request: Any) -> Any:
        header = request.headers.get("Authorization")
        if header is None:
            connection.judging_principal = Principal("viewer")  # type: ignore[attr-defined]
            return None
        scheme, _, token = header.partition(" ")
        # `judging tokens` may have reissued (revoked) tokens while we run: read the grants
        # again, through the store's one writer thread, rather than trust a copy from startup.
        tokens = await asyncio.get_running_loop().run_in_executor(self._writer, self.store.valid_tokens)
        found = tokens.get(token_hash(token.strip())) if scheme.lower() == "bearer" else None
        if found is not None and found[1] == "judge" and self.contest.judge(found[0].split(":", 1)[1]) is None:
            found = None  # a token for a judge this contest file no longer has
        if found is None:
            address = str(connection.remote_address[0]) if connection.remote_address else "?"
            recent = [t for t in self._failures.get(address, []) if t > time.monotonic() - 60]
            recent.append(time.monotonic())
            self._failures[address] = recent
            log.warning("rejected a bad or revoked token from %s (%d in the last minute)", address, len(recent))
            extra = len(recent) - self.limits.auth_free_failures
            if extra > 0:
                await asyncio.sleep(min(0.25 * 2**extra, 5.0))
            return connection.respond(HTTPStatus.UNAUTHORIZED, "unknown or revoked token\n")
        holder, role = found
        connection.judging_principal = Principal(role, holder, holder.split(":", 1)[1] if role == "judge" else "")  # type: ignore[attr-defined]
        return None

    # -- connections -----------------------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        peer = Peer(ws, ws.judging_principal, queue=asyncio.Queue(self.limits.queue))  # type: ignore[attr-defined]
        peer.tokens, peer.stamp = self.limits.burst, time.monotonic()
        writer = asyncio.create_task(self._write(peer))
        try:
            if not await self._hello(peer):
                return
            self.peers.add(peer)
            self._send(peer, p.Welcome(p.VERSION, peer.who.role, self.epoch, peer.who.judge))
            self._send_snapshot(peer)
            if peer.who.role == "judge":
                await self._commit(peer.who.holder, "judge_connected", {"judge": peer.who.judge}, client=peer.client, check=False)
            async for frame in ws:
                await self._on_frame(peer, frame)
        except ConnectionClosed:
            pass
        finally:
            self.peers.discard(peer)
            writer.cancel()

    async def _hello(self, peer: Peer) -> bool:
        try:
            async with asyncio.timeout(self.limits.hello_timeout):
                frame = await peer.ws.recv()
        except TimeoutError:
            await peer.ws.close(1008, "no hello")
            return False
        try:
            msg = p.decode(frame)
        except p.ProtocolError as e:
            await peer.ws.send(p.encode(p.Error(e.code, e.message)))
            await peer.ws.close(1008, "bad hello")
            return False
        if not isinstance(msg, p.Hello) or msg.protocol != p.VERSION:
            await peer.ws.send(p.encode(p.Error("bad_hello", f"expected hello with protocol {p.VERSION}")))
            await peer.ws.close(1008, "bad hello")
            return False
        peer.client = msg.client[:64]
        return True

    async def _write(self, peer: Peer) -> None:
        try:
            while True:
                frame = await peer.queue.get()
                await peer.ws.send(frame)
        except (ConnectionClosed, asyncio.CancelledError):
            pass

    def _send(self, peer: Peer, message: Any) -> None:
        self._queue(peer, p.encode(message))

    def _queue(self, peer: Peer, frame: str) -> None:
        try:
            peer.queue.put_nowait(frame)
        except asyncio.QueueFull:
            # Too slow to keep up: cut it off rather than let it hold anyone else back.
            if peer in self.peers:
                log.warning("cutting off a slow %s connection (%d frames waiting)", peer.who.role, peer.queue.qsize())
                self.peers.discard(peer)
                task = asyncio.ensure_future(peer.ws.close(1013, "too slow"))
                self._closing.add(task)  # keep a reference until it is done
                task.add_done_callback(self._closing.discard)

    def _snapshot_state(self, peer: Peer) -> dict[str, Any]:
        if peer.who.role == "control":
            return control_snapshot(self.state)
        if peer.who.role == "judge":
            return judge_snapshot(self.state, peer.who.judge)
        return viewer_snapshot(self.state)

    def _send_snapshot(self, peer: Peer) -> None:
        self._send(peer, p.Snapshot(self.epoch, self.state.seq, self._snapshot_state(peer)))
        peer.ready = True

    def _rate_ok(self, peer: Peer) -> bool:
        now = time.monotonic()
        peer.tokens = min(self.limits.burst, peer.tokens + (now - peer.stamp) * self.limits.rate)
        peer.stamp = now
        if peer.tokens < 1:
            return False
        peer.tokens -= 1
        return True

    async def _on_frame(self, peer: Peer, frame: str | bytes) -> None:
        if peer not in self.peers:
            return  # cut off (too slow): its connection is closing, it is no longer served
        if not self._rate_ok(peer):
            self._send(peer, p.Error("rate_limited", "too many messages; slow down"))
            return
        try:
            msg = p.decode(frame)
        except p.ProtocolError as e:
            self._send(peer, p.Error(e.code, e.message, e.ref))
            return
        match msg:
            case p.SnapshotRequest():
                self._send_snapshot(peer)
            case p.Submit() if peer.who.role == "judge":
                await self._submit(peer, msg)
            case p.Control() if peer.who.role == "control":
                await self._control(peer, msg)
            case p.Hello():
                self._send(peer, p.Error("bad_request", "already said hello"))
            case _:
                ref = getattr(msg, "id", "")
                self._send(peer, p.Error("forbidden", f"a {peer.who.role} may not send {msg.type}", ref))

    # -- actions ---------------------------------------------------------------------------

    async def _submit(self, peer: Peer, msg: p.Submit) -> None:
        digest = hashlib.sha256(
            json.dumps([msg.round, msg.contestant, msg.scores], sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        data = {
            "round": msg.round,
            "contestant": msg.contestant,
            "judge": peer.who.judge,
            "scores": msg.scores,
            "submission": msg.id,
            "digest": digest,
        }
        try:
            async with self._lock:
                seen = self.state.submissions.get((peer.who.judge, msg.id))
                if seen is not None:
                    if seen[0] != digest:
                        raise FlowError("duplicate_id", f"submission {msg.id} was already used for different marks")
                    self._send(peer, p.Ack(**seen[1]))
                    return
                card = self.state.check("mark", peer.who.holder, data)
                data["scores"] = {k: f"{v:f}" for k, v in card.items()}
                await self._append_apply(peer.who.holder, "mark", data, peer.client)
            ack = self.state.submissions[(peer.who.judge, msg.id)][1]
            self._send(peer, p.Ack(**ack))
        except MarkError as e:
            self._send(peer, p.Error(e.code, e.message, msg.id))
            return
        if self.contest.auto_reveal and self.state.all_submitted(msg.round, msg.contestant):
            try:
                await self._commit("auto", "reveal", {"contestants": [msg.contestant]})
            except MarkError as e:
                log.info("auto reveal of %s skipped: %s", msg.contestant, e.message)

    async def _control(self, peer: Peer, msg: p.Control) -> None:
        data = dict(msg.data)
        if msg.action in ("open", "close", "lock", "reveal") and isinstance(data.get("contestant"), str):
            data = {"contestants": [data.pop("contestant")], **data}
        if msg.action == "next_round":
            data = {}
        if msg.action == "preview":
            self._preview(peer, msg.id, data)
            return
        try:
            event = await self._commit(peer.who.holder, msg.action, data, client=peer.client)
        except MarkError as e:
            self._send(peer, p.Error(e.code, e.message, msg.id))
            return
        self._send(peer, p.Done(msg.id, event["seq"]))

    def _preview(self, peer: Peer, ref: str, data: dict[str, Any]) -> None:
        # Synchronous from check to restore, so no other action can see the trial mark.
        try:
            category, before, after = self.state.preview_correction(
                data, lambda tab, cat: standings_section(tab, cat, only_ranked=False)
            )
        except MarkError as e:
            self._send(peer, p.Error(e.code, e.message, ref))
            return
        self._send(peer, p.Preview(ref, category, before, after))

    async def _commit(self, actor: str, kind: str, data: dict[str, Any], client: str = "", check: bool = True) -> dict[str, Any]:
        async with self._lock:
            if check:
                data = self.state.prepare(kind, actor, data)
            return await self._append_apply(actor, kind, data, client)

    async def _append_apply(self, actor: str, kind: str, data: dict[str, Any], client: str) -> dict[str, Any]:
        """Log, then apply, then broadcast. Call with the lock held."""
        loop = asyncio.get_running_loop()
        record = {"actor": actor, "client": client, "kind": kind, "data": data}
        (event,) = await loop.run_in_executor(self._writer, self.store.append, [record])
        changed = self.state.apply(event)
        self._broadcast(event["seq"], changed)
        return event

    def _broadcast(self, seq: int, changed: set[str]) -> None:
        frames: dict[tuple[str, str], str] = {}
        for peer in list(self.peers):
            if not peer.ready:
                continue
            key = (peer.who.role, peer.who.judge)
            frame = frames.get(key)
            if frame is None:
                patch = patch_for(peer.who.role, self.state, changed, peer.who.judge)
                frame = frames[key] = p.encode(p.Update(self.epoch, seq, patch))
            self._queue(peer, frame)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
