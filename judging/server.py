"""The live server: authenticates, checks every action with the rules, logs it durably,
and pushes each role its view.

One asyncio task per connection reads and decodes frames and hands them to one sequencer
task, which alone touches the state. It takes whatever has queued up, checks and applies each
action in order, then appends all of their events to the log in one transaction (group
commit) and only after that commit sends anything: acknowledgements, answers and updates.
So a mark is acknowledged, and shown, only once it is durable, and many judges submitting
at once cost one disk flush per batch instead of one each.

Updates of one batch are coalesced: each event still has its own ``update`` (the seq stays
contiguous), but the sections the batch changed travel once, with its last event, computed
once per role and written to each connection as ready-made frames (judging/fanout.py).
A connection whose unsent frames pass the budget is cut off; nobody else waits for it.
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

from judging import fanout
from judging import protocol as p
from judging import recovery
from judging.live import FlowError
from judging.recovery import StartupError, recover, replay  # noqa: F401 (both are imported from here)
from judging.rules.errors import MarkError
from judging.rules.model import Contest
from judging.store import Store, now, token_hash
from judging.views import control_snapshot, judge_snapshot, patch_for, standings_section, viewer_snapshot

log = logging.getLogger("judging.server")

MAX_BATCH = 1000  # queued actions taken into one transaction at most


@dataclass
class Limits:
    max_frame: int = p.MAX_FRAME
    queue: int = 256  # frames' worth (4 KiB each) of unsent data before a connection is cut off
    rate: float = 20.0  # frames per second a connection may send, sustained
    burst: float = 40.0
    hello_timeout: float = 10.0
    auth_free_failures: int = 5  # failures per address per minute before answers slow down
    checkpoint_every: int = 5000  # events between two checkpoints of the state (0: none)


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
    tokens: float = 0.0
    stamp: float = 0.0
    ready: bool = False  # has had its snapshot; updates before that would be stale anyway
    seq: int = -1  # the seq of its latest snapshot
    out: list[bytes] = field(default_factory=list)  # frames for it from the batch in hand
    gone: bool = False  # its connection handler has ended
    fresh: bool = False  # had a snapshot in the batch in hand


def contest_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@dataclass
class Batch:
    """Everything the sequencer did with one helping of queued work, waiting for its commit."""

    events: list[dict[str, Any]] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    touched: list[Peer] = field(default_factory=list)  # peers with frames in ``out``
    waiters: list[asyncio.Future] = field(default_factory=list)  # internal events


class JudgingServer:
    def __init__(self, contest: Contest, store: Store, raw_contest: bytes, limits: Limits | None = None):
        self.contest = contest
        self.store = store
        self.limits = limits or Limits()
        self.hash = contest_hash(raw_contest)
        self.epoch = secrets.token_hex(4)
        self.peers: set[Peer] = set()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judging-store")
        self._failures: dict[str, list[float]] = {}
        self._closing: set[asyncio.Future] = set()
        self._server: Any = None
        self._inbox: list[tuple[str, Peer | None, Any]] = []
        self._wake = asyncio.Event()
        self._sequencer: asyncio.Task | None = None
        self._batch = Batch()
        self._snapshots: dict[tuple[str, str], bytes] = {}  # framed, valid until the next event
        self.state, replayed = recover(contest, store, store.get_meta("contest_hash"), self.hash)
        # Ids of submissions made before the checkpoint it started from are looked up in the log.
        self._oldest = self.state.seq - replayed
        self._checkpointed = self.state.seq - replayed
        self._child: int | None = None  # a process writing a checkpoint

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 8765, tls: ssl.SSLContext | None = None) -> int:
        self.store.set_meta("contest_hash", self.hash)
        self.store.set_meta("contest_name", self.contest.name)
        self._sequencer = asyncio.create_task(self._sequence())
        done = asyncio.get_running_loop().create_future()
        self._enqueue("event", None, ("server", "server_started", {"epoch": self.epoch, "contest_hash": self.hash}, done))
        await done
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
        if self._sequencer is not None:
            self._sequencer.cancel()
        self._writer.shutdown(wait=True)  # lets a commit in progress finish
        if self.limits.checkpoint_every and self.state.seq > self._checkpointed and self.store.last_seq() == self.state.seq:
            recovery.write_checkpoint(self.store, self.state, self.hash)

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
        peer = Peer(ws, ws.judging_principal)  # type: ignore[attr-defined]
        peer.tokens, peer.stamp = self.limits.burst, time.monotonic()
        try:
            if not await self._hello(peer):
                return
            self._enqueue("join", peer, None)
            async for frame in ws:
                self._on_frame(peer, frame)
        except ConnectionClosed:
            pass
        finally:
            peer.gone = True
            self.peers.discard(peer)

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

    def _rate_ok(self, peer: Peer) -> bool:
        now = time.monotonic()
        peer.tokens = min(self.limits.burst, peer.tokens + (now - peer.stamp) * self.limits.rate)
        peer.stamp = now
        if peer.tokens < 1:
            return False
        peer.tokens -= 1
        return True

    def _on_frame(self, peer: Peer, frame: str | bytes) -> None:
        if peer.gone:
            return  # cut off (too slow): its connection is closing, it is no longer served
        if not self._rate_ok(peer):
            self._enqueue("say", peer, p.Error("rate_limited", "too many messages; slow down"))
            return
        try:
            msg = p.decode(frame)
        except p.ProtocolError as e:
            self._enqueue("say", peer, p.Error(e.code, e.message, e.ref))
            return
        self._enqueue("message", peer, msg)

    # -- the sequencer: the only code that reads or changes the state ----------------------

    def _enqueue(self, kind: str, peer: Peer | None, item: Any) -> None:
        self._inbox.append((kind, peer, item))
        self._wake.set()

    async def _sequence(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._inbox:
                # A bounded helping, so that a backlog is worked off in batches that each
                # come back (acknowledged, shown) soon, rather than in one long one.
                work, self._inbox = self._inbox[:MAX_BATCH], self._inbox[MAX_BATCH:]
                batch = self._batch = Batch()
                for kind, peer, item in work:
                    try:
                        self._process(kind, peer, item)
                    except Exception:
                        log.exception("could not process a %s", kind)
                updates: dict[tuple[str, str], bytes] = {}
                if batch.events:
                    updates = self._coalesce(batch)  # before the commit: overlaps the disk flush
                    try:
                        records = [dict(e) for e in batch.events]
                        await loop.run_in_executor(self._writer, self.store.append, records)
                    except Exception:
                        self._lost(batch)
                        continue
                for done in batch.waiters:
                    if not done.done():
                        done.set_result(None)
                self._flush(batch, updates)
            await self._checkpoint()

    async def _checkpoint(self) -> None:
        """Now and then, with the state equal to the log, a checkpoint from a forked child."""
        every = self.limits.checkpoint_every
        self._child = recovery.reap(self._child)
        if not every or self.state.seq - self._checkpointed < every or self._child is not None:
            return
        loop = asyncio.get_running_loop()
        stamp = await loop.run_in_executor(self._writer, recovery.stamp, self.store, self.state.seq)
        self._child = recovery.checkpoint_in_child(self.store, self.state, self.hash, stamp)
        if self._child is not None:
            self._checkpointed = self.state.seq

    def _process(self, kind: str, peer: Peer | None, item: Any) -> None:
        if kind == "event":
            actor, event_kind, data, done = item
            self._log(actor, event_kind, data, "")
            self._batch.waiters.append(done)
            return
        assert peer is not None
        if kind == "join":
            self._join(peer)
        elif peer.gone:
            return
        elif kind == "say":
            self._send(peer, item)
        else:
            self._on_message(peer, item)

    def _log(self, actor: str, kind: str, data: dict[str, Any], client: str) -> dict[str, Any]:
        """Apply an event now and put it in the batch; nothing about it leaves the server
        before the batch is committed."""
        event = {"seq": self.state.seq + 1, "at": now(), "actor": actor, "client": client, "kind": kind, "data": data}
        self._batch.changed |= self.state.apply(event)
        self._batch.events.append(event)
        self._snapshots.clear()
        return event

    def _coalesce(self, batch: Batch) -> dict[tuple[str, str], bytes]:
        """Each role's frames for the batch: an empty update for every event but the last,
        which carries every section the batch changed, as the state is after it."""
        first, last = batch.events[0]["seq"], batch.events[-1]["seq"]
        empty = b"".join(fanout.update_frame(self.epoch, s, {}) for s in range(first, last))
        out: dict[tuple[str, str], bytes] = {}
        for peer in self.peers:
            key = (peer.who.role, peer.who.judge)
            if peer.ready and key not in out:
                patch = patch_for(peer.who.role, self.state, batch.changed, peer.who.judge)
                out[key] = empty + fanout.update_frame(self.epoch, last, patch)
        return out

    def _flush(self, batch: Batch, updates: dict[tuple[str, str], bytes]) -> None:
        first = batch.events[0]["seq"] if batch.events else 0
        for peer in list(self.peers) if updates else batch.touched:
            if peer.gone or not peer.ready:
                continue
            mine = b"".join(peer.out)
            peer.out.clear()
            data = updates.get((peer.who.role, peer.who.judge), b"")
            if peer.fresh:
                # It had its snapshot in this batch: the snapshot first, then what came after it.
                peer.fresh = False
                if data and peer.seq >= first:
                    data = self._updates_after(batch, peer) if peer.seq < batch.events[-1]["seq"] else b""
                data = mine + data
            else:
                data += mine  # updates first: an ack or done finds the state already changed
            if data and not fanout.write(peer.ws, data, self.limits.queue * 4096):
                self._cut_off(peer)

    def _updates_after(self, batch: Batch, peer: Peer) -> bytes:
        # Rare (a snapshot in the middle of a batch): computed for this peer alone.
        last = batch.events[-1]["seq"]
        patch = patch_for(peer.who.role, self.state, batch.changed, peer.who.judge)
        empty = b"".join(fanout.update_frame(self.epoch, s, {}) for s in range(peer.seq + 1, last))
        return empty + fanout.update_frame(self.epoch, last, patch)

    def _lost(self, batch: Batch) -> None:
        """The log refused a batch (disk full, I/O error): nothing of it was sent, so rebuild
        the state from the log and make every client reconnect, resync and resend."""
        log.exception("could not write %d events to the log; state rebuilt from the log", len(batch.events))
        self._snapshots.clear()
        self.state, _ = recover(self.contest, self.store, self.hash, self.hash)
        for done in batch.waiters:
            if not done.done():
                done.set_exception(StartupError("the event log could not be written"))
        for peer in list(self.peers):
            peer.out.clear()
            self._cut_off(peer, 1011, "storage failure")

    def _cut_off(self, peer: Peer, code: int = 1013, reason: str = "too slow") -> None:
        if peer.gone:
            return
        if code == 1013:
            log.warning("cutting off a slow %s connection (%d bytes waiting)", peer.who.role, peer.ws.transport.get_write_buffer_size())
        peer.gone = True
        self.peers.discard(peer)
        task = asyncio.ensure_future(peer.ws.close(code, reason))
        self._closing.add(task)  # keep a reference until it is done
        task.add_done_callback(self._closing.discard)

    # -- what goes out (sent when the batch is committed) -------------------------------------

    def _send(self, peer: Peer, message: Any) -> None:
        self._put(peer, fanout.frame(p.encode(message)))

    def _put(self, peer: Peer, data: bytes) -> None:
        if not peer.out:
            self._batch.touched.append(peer)
        peer.out.append(data)

    def _join(self, peer: Peer) -> None:
        if peer.gone:
            return  # left before its turn
        self.peers.add(peer)
        self._send(peer, p.Welcome(p.VERSION, peer.who.role, self.epoch, peer.who.judge))
        self._send_snapshot(peer)
        if peer.who.role == "judge":
            self._log(peer.who.holder, "judge_connected", {"judge": peer.who.judge}, peer.client)

    def _snapshot_state(self, peer: Peer) -> dict[str, Any]:
        if peer.who.role == "control":
            return control_snapshot(self.state)
        if peer.who.role == "judge":
            return judge_snapshot(self.state, peer.who.judge)
        return viewer_snapshot(self.state)

    def _send_snapshot(self, peer: Peer) -> None:
        # A thousand scoreboards reconnecting at once share one snapshot.
        key = (peer.who.role, peer.who.judge)
        framed = self._snapshots.get(key)
        if framed is None:
            framed = self._snapshots[key] = fanout.snapshot_frame(self.epoch, self.state.seq, self._snapshot_state(peer))
        self._put(peer, framed)
        peer.seq = self.state.seq
        peer.ready = peer.fresh = True

    def _on_message(self, peer: Peer, msg: Any) -> None:
        match msg:
            case p.SnapshotRequest():
                self._send_snapshot(peer)
            case p.Submit() if peer.who.role == "judge":
                self._submit(peer, msg)
            case p.Control() if peer.who.role == "control":
                self._control(peer, msg)
            case p.Hello():
                self._send(peer, p.Error("bad_request", "already said hello"))
            case _:
                ref = getattr(msg, "id", "")
                self._send(peer, p.Error("forbidden", f"a {peer.who.role} may not send {msg.type}", ref))

    # -- actions ---------------------------------------------------------------------------

    def _submit(self, peer: Peer, msg: p.Submit) -> None:
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
            seen = self.state.submissions.get((peer.who.judge, msg.id))
            if seen is None and self._oldest:
                seen = self.store.find_submission(peer.who.judge, msg.id, self._oldest)
            if seen is not None:
                if seen[0] != digest:
                    raise FlowError("duplicate_id", f"submission {msg.id} was already used for different marks")
                self._send(peer, p.Ack(**seen[1]))  # the original: in the log already, or in this batch
                return
            card = self.state.check("mark", peer.who.holder, data)
            data["scores"] = {k: f"{v:f}" for k, v in card.items()}
            self._log(peer.who.holder, "mark", data, peer.client)
        except MarkError as e:
            self._send(peer, p.Error(e.code, e.message, msg.id))
            return
        self._send(peer, p.Ack(**self.state.submissions[(peer.who.judge, msg.id)][1]))
        if self.contest.auto_reveal and self.state.all_submitted(msg.round, msg.contestant):
            try:
                self._commit("auto", "reveal", {"contestants": [msg.contestant]})
            except MarkError as e:
                log.info("auto reveal of %s skipped: %s", msg.contestant, e.message)

    def _control(self, peer: Peer, msg: p.Control) -> None:
        data = dict(msg.data)
        if msg.action in ("open", "close", "lock", "reveal") and isinstance(data.get("contestant"), str):
            data = {"contestants": [data.pop("contestant")], **data}
        if msg.action == "next_round":
            data = {}
        if msg.action == "preview":
            self._preview(peer, msg.id, data)
            return
        try:
            event = self._commit(peer.who.holder, msg.action, data, client=peer.client)
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

    def _commit(self, actor: str, kind: str, data: dict[str, Any], client: str = "") -> dict[str, Any]:
        """Check an action and log it (durable, and announced, when its batch is committed)."""
        data = self.state.prepare(kind, actor, data)
        return self._log(actor, kind, data, client)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
