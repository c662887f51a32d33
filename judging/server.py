"""The live server: authenticates, checks every action with the rules, logs it durably,
and pushes each role its view.

One asyncio task per connection reads and decodes frames and hands them to the sequencer
(judging/sequencer.py), the one task that touches the state: actions are checked and applied
in order, committed to the log in batches, and only then acknowledged and broadcast. The
state is rebuilt at start from the log, from a checkpoint when one fits (judging/recovery.py).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import secrets
import socket
import ssl
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from judging import fanout
from judging import protocol as p
from judging import recovery, resume
from judging.live import FlowError
from judging.recovery import StartupError, recover, replay  # noqa: F401 (imported from here by others)
from judging.relay_link import RelayLink
from judging.rules.errors import MarkError
from judging.rules.model import Contest
from judging.sequencer import Limits, Peer, Principal, Sequencer  # noqa: F401 (Limits: imported from here)
from judging.store import Store, token_hash
from judging.views import control_snapshot, judge_snapshot, patch_for, standings_section, viewer_snapshot

BACKLOG = 4096  # connections waiting to be accepted (the kernel caps it at net.core.somaxconn)

# The code that shapes the views, part of the lineage: a client's copy from another version
# of it is not brought up to date, it is resent.
VIEWS_CODE = hashlib.sha256(b"".join((Path(__file__).parent / n).read_bytes() for n in ("views.py", "ceremony.py", "report.py"))).hexdigest()

log = logging.getLogger("judging.server")

def contest_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class JudgingServer(Sequencer):
    def __init__(self, contest: Contest, store: Store, raw_contest: bytes, limits: Limits | None = None, follower: recovery.Follower | None = None, relay: RelayLink | None = None):
        """``follower``: the state already recovered, kept up with ``store`` (a standby's);
        ``relay``: with ``Limits.relay``, the link to the watchdog's relay (else this server
        starts its own)."""
        self.contest = contest
        self.store = store
        self.limits = limits or Limits()
        self.hash = contest_hash(raw_contest)
        self.epoch = secrets.token_hex(4)
        self.lineage = ""  # set by start()
        self.peers: set[Peer] = set()
        self.staff: set[Peer] = set()  # the judges and consoles among the peers
        self._failures: dict[str, list[float]] = {}
        self._server: Any = None
        self._sequencer: asyncio.Task | None = None
        if follower is None:
            self._recent = resume.RecentChanges(resume.SIZE)  # filled by the recovery, then by each event
            self.state, replayed = recover(contest, store, store.get_meta("contest_hash"), self.hash, self._recent)
        else:
            follower.follow()  # what the server before logged up to its end
            self._recent, self.state, replayed = follower.recent, follower.state, follower.replayed
        self._init_sequencer(replayed)
        if relay is not None:
            self._relay = relay

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 8765, tls: ssl.SSLContext | None = None, sock: socket.socket | None = None) -> int:
        """Listen on ``host``:``port``, or on ``sock``, a socket already listening (the
        watchdog's: judging/watchdog.py); returns the port."""
        self.store.set_meta("contest_hash", self.hash)
        self.store.set_meta("contest_name", self.contest.name)
        log_id = self.store.get_meta("log_id")
        if log_id is None:
            log_id = secrets.token_hex(8)
            self.store.set_meta("log_id", log_id)
        # Views built from this log, this contest file and this code are the same after a
        # restart: a client holding one can be brought up to date instead of resent it whole.
        self.lineage = hashlib.sha256(f"{log_id}\0{self.hash}\0{recovery.code_digest()}\0{VIEWS_CODE}".encode()).hexdigest()[:16]
        self._sequencer = asyncio.create_task(self._sequence())
        self._sequencer.add_done_callback(self._ended)
        done = asyncio.get_running_loop().create_future()
        self._enqueue("event", None, ("server", "server_started", {"epoch": self.epoch, "contest_hash": self.hash}, done))
        await done
        # What exists now (the modules, the recovered state) lives as long as the process:
        # set apart from the cycle collector, a full collection during the contest walks only
        # what came since. Walking it all cost the hall 16 to 58 ms at a time (docs/benchmarks.md).
        gc.freeze()
        if self.limits.relay and tls is not None:
            # A TLS session's keys stay in this process: the relay could not write to its socket.
            log.info("with TLS the scoreboards are served here, not by the audience's relay")
        elif self.limits.relay:
            await self._relay.start()
            if self._relay.up:
                self._adopt()
        self._server = await serve(
            self._handle,
            **({"sock": sock} if sock is not None else {"host": host, "port": port}),
            process_request=self._authenticate,
            max_size=self.limits.max_frame,
            max_queue=16,
            ssl=tls,
            ping_interval=10,
            ping_timeout=20,
            compression=None,
            server_header="judging",
            # After a restart the whole hall reconnects at once: asyncio's default backlog
            # of 100 would drop the rest's SYNs, and TCP retries a SYN only after 1 s, 3 s, ...
            backlog=BACKLOG,
        )
        return self._server.sockets[0].getsockname()[1]

    def _adopt(self) -> None:
        """The scoreboards the relay held for the server before this one (killed) follow this
        one, as if they had reconnected and resumed: welcomed again, with a new epoch, and sent
        what they missed. Only if their views can be brought up to date; else they reconnect."""
        low, high, count, lineage = self._relay.held
        last = self.state.seq
        changed = self._recent.since(low, last) if count and lineage == self.lineage and high <= last else None
        if changed is None:
            if count:
                log.info("scoreboards kept connected by the audience's relay: %d; their views cannot be brought up to date, so they reconnect", count)
            self._relay.adopt(self.lineage, None)
            return
        # The welcome a scoreboard that reconnected and resumed would get (_join), on the same
        # connection.
        welcome = fanout.frame(p.encode(p.Welcome(p.VERSION, "viewer", self.epoch, "", self.lineage, True)))
        tail = fanout.update_frame(self.epoch, last, patch_for("viewer", self.state, changed)) if low < last else b""
        self._relay.adopt(self.lineage, welcome, (low + 1, last, self.epoch, tail) if tail else None)
        log.info("scoreboards kept connected by the audience's relay: %d; they follow this server from seq %d", count, low)

    async def close(self) -> None:
        await self._relay.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if self._sequencer is not None:
            self._sequencer.cancel()
        if self._watch is not None:
            self._watch.cancel()
        if self._lane_writing is not None:
            self._lane_writing.cancel()
        self._writer.shutdown(wait=True)  # lets a commit in progress finish
        if self.limits.checkpoint_every and self.state.seq > self._checkpointed and self.store.last_seq() == self.state.seq:
            recovery.write_checkpoint(self.store, self.state, self.hash, self._recent)

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
            self.staff.discard(peer)

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
        peer.resume = (msg.lineage, msg.since)
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

    def _join(self, peer: Peer) -> None:
        if peer.gone:
            return  # left before its turn
        self.peers.add(peer)
        if peer.who.role != "viewer":
            self.staff.add(peer)
        lineage, since = peer.resume
        # The console's snapshot carries the review, which no update does: it always gets one.
        changed = self._recent.since(since, self.state.seq) if lineage == self.lineage and peer.who.role != "control" else None
        self._send(peer, p.Welcome(p.VERSION, peer.who.role, self.epoch, peer.who.judge, self.lineage, changed is not None))
        if changed is None:
            self._send_snapshot(peer)
        else:
            self._resume(peer, since, changed)
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
        self._synced(peer, self.state.seq)

    def _on_message(self, peer: Peer, msg: Any) -> None:
        match msg:
            case p.SnapshotRequest():
                self._send_snapshot(peer)
            case p.Submit() if peer.who.role == "judge":
                self._submit(peer, msg)
            case p.Control() if peer.who.role == "control":
                self._control(peer, msg)
            case _:
                self._send(peer, p.refusal(peer.who.role, msg))

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
