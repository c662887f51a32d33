"""The sequencer: the one task that reads and changes the live state, and what it sends.

Connections hand it decoded messages; it takes whatever has queued up (a batch), checks and
applies each action in order, appends all of their events to the log in one transaction
(group commit), and only after that commit sends anything: acknowledgements, answers and
updates. So a mark is acknowledged, and shown, only once it is durable, and many judges
submitting at once cost one disk flush per batch instead of one each.

Updates of one batch are coalesced: each event still has its own ``update`` (the seq stays
contiguous), but the sections the batch changed travel once, with its last event, computed
once per role and written to each connection as ready-made frames (judging/fanout.py).
Those waiting for an answer (a judge's ack, a console's done) get theirs at once. The rest
of the staff are paced (judging/pacing.py): what the batches changed is gathered for them and
sent at most every ``Limits.staff_interval``, or sooner with their own next answer; so a
batch costs the acks it answers, not forty judges' and a console's views recomputed.
A connection whose unsent frames pass the budget is cut off; nobody else waits for it.
The scoreboards' updates are paced in a lane of their own (judging/audience.py,
judging/pacing.py), and a reconnecting client is brought up to date from what the recent
events changed (judging/resume.py) rather than resent its whole view.

``JudgingServer`` (judging/server.py) supplies what each message does: ``_on_message``,
``_join`` and the snapshots.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from websockets.asyncio.server import ServerConnection

from judging import fanout, recovery
from judging import protocol as p
from judging.live import LiveState
from judging.pacing import Pacing
from judging.rules.model import Contest
from judging.recovery import StartupError, recover
from judging.relay_link import RelayLink
from judging.resume import RecentChanges
from judging.store import Store, now
from judging.views import judge_scope, merge_for, patch_for

log = logging.getLogger("judging.server")

MAX_BATCH = 1000  # queued actions taken into one transaction at most
SLOW_COMMIT = 1.0  # seconds a commit may take before the operator is told the disk holds it


@dataclass
class Limits:
    max_frame: int = p.MAX_FRAME
    queue: int = 256  # frames' worth (4 KiB each) of unsent data before a connection is cut off
    rate: float = 20.0  # frames per second a connection may send, sustained
    burst: float = 40.0
    hello_timeout: float = 10.0
    auth_free_failures: int = 5  # failures per address per minute before answers slow down
    checkpoint_every: int = 5000  # events between two checkpoints of the state (0: none)
    audience_interval: float = 0.1  # seconds between two paced updates to the scoreboards
    staff_interval: float = 0.05  # seconds between two paced updates to a judge or console not answered
    staff_quiet: float = 1.0  # seconds a judge's or console's empty updates may be held back
    relay: bool = False  # the scoreboards' connections held by a relay process (judging/relay.py; Linux)


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
    resume: tuple[str, int] = ("", 0)  # the lineage and seq its hello said it holds
    held: int = 0  # staff: the first seq of the updates held back from it; 0 if none
    stale: set[str] = field(default_factory=set)  # staff: the sections the held events changed


@dataclass
class Batch:
    """Everything the sequencer did with one helping of queued work, waiting for its commit."""

    events: list[dict[str, Any]] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    touched: list[Peer] = field(default_factory=list)  # peers with frames in ``out``
    waiters: list[asyncio.Future] = field(default_factory=list)  # internal events



class Sequencer(Pacing, ABC):
    """The batching machinery of ``JudgingServer`` (a base class: the attributes it uses are
    set by the server's constructor)."""

    contest: Contest
    state: LiveState
    store: Store
    limits: Limits
    peers: set[Peer]
    staff: set[Peer]
    lineage: str
    _recent: RecentChanges  # set by the server before its state is recovered
    epoch: str
    hash: str

    def _init_sequencer(self, replayed: int) -> None:
        """``replayed``: how many events recovery replayed (the rest came from a checkpoint)."""
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judging-store")
        self._closing: set[asyncio.Future] = set()
        self._inbox: list[tuple[str, Peer | None, Any]] = []
        self._wake = asyncio.Event()
        self._batch = Batch()
        # Framed, valid until the next event: snapshots by (role, judge), catch-ups by (role,
        # judge, seq resumed from). A hall reconnecting at once shares them.
        self._snapshots: dict[tuple[str, str], bytes] = {}
        self._catchups: dict[tuple[str, str, int], bytes] = {}
        # Ids of submissions made before the checkpoint it started from are looked up in the log.
        self._oldest = self.state.seq - replayed
        self._checkpointed = self.state.seq - replayed
        self._child: int | None = None  # a process writing a checkpoint
        self._init_pacing()
        self._writing_since: float | None = None  # when the writer thread began the commit in hand (monotonic)
        self.on_failure: Callable[[], None] | None = None  # run if the sequencer stops on an error
        self._named: float | None = None  # the commit the watch last named as slow
        self._watch: asyncio.TimerHandle | None = None
        self._relay = RelayLink()  # the audience's relay, if started (judging/relay.py)

    def _enqueue(self, kind: str, peer: Peer | None, item: Any) -> None:
        self._inbox.append((kind, peer, item))
        self._wake.set()

    async def _sequence(self) -> None:
        loop = asyncio.get_running_loop()
        self._watch = loop.call_later(SLOW_COMMIT, self._watch_commit)
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
                    records = [dict(e) for e in batch.events]
                    commit = loop.run_in_executor(self._writer, self._append, records)
                    # Framed while the writer thread flushes to disk, sent only after, for
                    # those waiting for an answer (a judge's ack follows its update). The
                    # console's and the other judges' views are framed later, paced, so that
                    # they never hold an ack up.
                    asking = {(q.who.role, q.who.judge) for q in batch.touched if q.who.role != "viewer"}
                    updates = self._coalesce(batch, asking)
                    try:
                        took = await commit
                    except Exception:
                        self._lost(batch)
                        continue
                    if took > SLOW_COMMIT:
                        # Every judge waits for this commit: say why, so a stall is not a mystery.
                        log.warning("the disk held the log's commit of %d events for %.1f s; acknowledgements waited for it", len(records), took)
                for done in batch.waiters:
                    if not done.done():
                        done.set_result(None)
                self._flush(batch, updates)
                if batch.events:
                    self._lane.hold(batch.events[0]["seq"], batch.changed)
                    # What the hall waits for (a reveal) goes out now; the staff not answered
                    # get this batch with their next paced update.
                    self._pace()
                    self._hold_staff(batch)
                self._between()
            self._between()
            await self._checkpoint()

    def _watch_commit(self) -> None:
        """Every ``SLOW_COMMIT`` s: a commit in flight for longer is named while it lasts,
        once (a disk that never returns would otherwise say nothing at all)."""
        since = self._writing_since  # set and cleared by the writer thread: the disk's time only
        held = time.monotonic() - since if since is not None else 0.0
        if held > SLOW_COMMIT and since != self._named:
            self._named = since
            log.warning("the disk has held the log's commit for %.1f s so far; acknowledgements wait for it", held)
        self._watch = asyncio.get_running_loop().call_later(SLOW_COMMIT, self._watch_commit)

    def _append(self, records: list[dict[str, Any]]) -> float:
        """The writer thread's part: the batch's commit; the seconds it took (the disk's, not
        the event loop's)."""
        self._writing_since = started = time.monotonic()
        try:
            self.store.append(records)
        finally:
            self._writing_since = None
        return time.monotonic() - started

    def _ended(self, task: asyncio.Task) -> None:
        """The sequencer task stopped on an error other than by ``close``: a bug. Nothing is
        acknowledged again, so it is said, and ``on_failure`` runs: `judging serve` ends the
        process there, so that the watchdog's standby serves in its place (judging/serve_cli.py)."""
        if task.cancelled() or not isinstance(task.exception(), Exception):
            return  # cancelled by close(), or interrupted (Ctrl+C, a test's timeout)
        log.critical("the sequencer stopped on an error; this server acknowledges nothing more", exc_info=task.exception())
        if self.on_failure is not None:
            self.on_failure()

    def _between(self) -> None:
        """Between batches, with the state the committed one: what is due to go out paced."""
        if self._held_due or self._staff_due:
            self._release_staff()
        self._pace()

    def _write(self, peer: Peer, data: bytes) -> None:
        if not fanout.write(peer.ws, data, self.limits.queue * 4096):
            self._cut_off(peer)

    async def _checkpoint(self) -> None:
        """Now and then, with the state equal to the log, a checkpoint from a forked child."""
        every = self.limits.checkpoint_every
        self._child = recovery.reap(self._child)
        if not every or self.state.seq - self._checkpointed < every or self._child is not None:
            return
        loop = asyncio.get_running_loop()
        stamp = await loop.run_in_executor(self._writer, recovery.stamp, self.store, self.state.seq)
        try:
            self._child = recovery.checkpoint_in_child(self.store, self.state, self.hash, stamp, self._recent)
        except OSError as e:  # no fork now (out of memory, too many processes): serve on
            log.warning("could not start a checkpoint (%s); a restart replays more of the log until one is made", e)
            self._checkpointed = self.state.seq  # tried again after as many events
            return
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
        changed = self.state.apply(event)
        self._batch.changed |= changed
        self._recent.append((event["seq"], changed))
        self._batch.events.append(event)
        self._snapshots.clear()
        self._catchups.clear()
        return event

    def _coalesce(self, batch: Batch, keys: set[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
        """The batch's frames for each of these (role, judge) of the staff: an empty update for
        every event but the last, which carries every section the batch changed (and those
        held back from them: ``_hold_staff``), as the state is after it. The rest of the staff
        and the audience get theirs later, paced."""
        first, last = batch.events[0]["seq"], batch.events[-1]["seq"]
        empty = fanout.empty_updates(self.epoch, first, last)
        stale: dict[tuple[str, str], set[str]] = {}
        for peer in self.staff:
            if peer.stale and (key := (peer.who.role, peer.who.judge)) in keys:
                stale.setdefault(key, set()).update(peer.stale)
        out: dict[tuple[str, str], bytes] = {}
        shared: dict[Any, bytes | None] = {}
        for peer in self.staff:
            key = (peer.who.role, peer.who.judge)
            if key in keys and peer.ready and key not in out:
                changed = batch.changed | stale[key] if key in stale else batch.changed
                update = self._update(peer, changed, last, False, None if key in stale else shared)
                out[key] = empty + update  # type: ignore[operator]
        return out

    def _update(self, peer: Peer, changed: set[str], seq: int, hold: bool = False, shared: dict | None = None) -> bytes | None:
        """The update at ``seq`` of ``peer``'s view for these changed sections (an empty one if
        it sees none of them; with ``hold``, None instead). ``shared``: frames already made
        for this batch, by what decides them: judges of one scope whose cards did not change
        get the same bytes (forty judges, one status section, one encoding)."""
        role, jid = peer.who.role, peer.who.judge
        merge = merge_for(role, self.state, changed, jid)
        key = None
        if shared is not None and not merge:
            key = (role, judge_scope(self.state, jid) if role == "judge" else jid)
            if key in shared:
                return shared[key]
        patch = patch_for(role, self.state, changed, jid)
        update = None if hold and not patch and not merge else fanout.update_frame(self.epoch, seq, patch, merge)
        if key is not None:
            shared[key] = update
        return update

    def _flush(self, batch: Batch, updates: dict[tuple[str, str], bytes]) -> None:
        first = batch.events[0]["seq"] if batch.events else 0
        for peer in [*self.staff, *(q for q in batch.touched if q.who.role == "viewer")] if updates else batch.touched:
            if peer.gone or not peer.ready:
                continue
            mine = b"".join(peer.out)
            peer.out.clear()
            data = updates.get((peer.who.role, peer.who.judge), b"")
            joined = peer.fresh and peer.who.role == "viewer" and self._relay.up
            if peer.fresh:
                # It had its snapshot in this batch: the snapshot first, then what came after it.
                peer.fresh = False
                if data and peer.seq >= first:
                    data = self._updates_after(batch, peer) if peer.seq < batch.events[-1]["seq"] else b""
                data = mine + data
            else:
                if data and peer.held:
                    data = self._held(peer, first) + data
                elif mine and peer.held and not batch.events:
                    data = self._held_through(peer)
                data += mine  # updates first: an ack or done finds the state already changed
            if data:
                self._write(peer, data)
            if joined and not peer.gone:
                self._handoff(peer)

    def _handoff(self, peer: Peer) -> None:
        """A scoreboard that has its view goes to the relay, if all of it is on its way."""
        transport = peer.ws.transport
        if transport.get_write_buffer_size() or transport.is_closing():
            return  # its snapshot is still going out, or it is gone: this process keeps it
        sock = transport.get_extra_info("socket")
        # A descriptor of -1 (closed meanwhile) would fail the relay's channel, and with it
        # every scoreboard the relay holds.
        if sock is None or sock.fileno() < 0 or not self._relay.hand(peer.seq, sock.fileno()):
            return
        # The relay holds the socket now: this process lets go of its descriptor, unread.
        peer.gone = True
        self.peers.discard(peer)
        transport.abort()

    def _resume(self, peer: Peer, seq: int, changed: set[str]) -> None:
        """Bring a peer that holds the state at ``seq`` to now, as a snapshot would."""
        last = self.state.seq
        if seq < last:
            key = (peer.who.role, peer.who.judge, seq)
            framed = self._catchups.get(key)
            if framed is None:
                empty = fanout.empty_updates(self.epoch, seq + 1, last)
                framed = self._catchups[key] = empty + self._update(peer, changed, last)  # type: ignore[operator]
            self._put(peer, framed)
        self._synced(peer, last)

    def _synced(self, peer: Peer, seq: int) -> None:
        """``peer`` has (in its ``out``) the state as of ``seq``: what was held back is moot."""
        peer.seq, peer.held = seq, 0
        peer.stale = set()
        peer.ready = peer.fresh = True

    def _updates_after(self, batch: Batch, peer: Peer) -> bytes:
        # Rare (a snapshot in the middle of a batch): computed for this peer alone.
        last = batch.events[-1]["seq"]
        empty = fanout.empty_updates(self.epoch, peer.seq + 1, last)
        return empty + self._update(peer, batch.changed, last)  # type: ignore[operator]

    def _lost(self, batch: Batch) -> None:
        """The log refused a batch (disk full, I/O error): nothing of it was sent, so rebuild
        the state from the log and make every client reconnect, resync and resend."""
        log.exception("could not write %d events to the log; state rebuilt from the log", len(batch.events))
        self._snapshots.clear()
        self._catchups.clear()
        self._lane.reset()
        self._recent.clear()
        self.state, _ = recover(self.contest, self.store, self.hash, self.hash, self._recent)
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
        self.staff.discard(peer)
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

    @abstractmethod
    def _join(self, peer: Peer) -> None:
        """Welcome a peer that said hello: a snapshot, or a resume (the server's)."""

    @abstractmethod
    def _on_message(self, peer: Peer, msg: Any) -> None:
        """Do what a decoded message asks (the server's)."""
