"""What the sequencer (judging/sequencer.py) sends later, paced, rather than with the batch
that caused it: a base class of ``Sequencer``, which supplies ``_update`` and ``_write``.

- The staff's updates of actions that were not theirs. A judge or console that did not act in
  a batch has its events held back (``Peer.held``, the sections they changed in
  ``Peer.stale``) and gets them, as empty updates and one update carrying every change, at
  most every ``Limits.staff_interval``, or at once with its own next answer. Only empty
  updates (nothing it sees changed) wait up to ``Limits.staff_quiet``.
- The audience's updates, through its lane (judging/audience.py), handed to the relay or
  written to the scoreboards in slices that leave the event loop free for acks.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable

from judging import fanout
from judging.audience import AudienceLane

if TYPE_CHECKING:
    from judging.live import LiveState
    from judging.relay_link import RelayLink
    from judging.sequencer import Batch, Limits, Peer

LANE_SLICE = 16  # writes to the audience between two turns of the event loop (docs/benchmarks.md)


class Pacing:
    state: LiveState
    limits: Limits
    epoch: str
    peers: set[Peer]
    staff: set[Peer]
    _wake: asyncio.Event
    _relay: RelayLink
    _update: Callable[..., bytes | None]  # Sequencer's: a peer's update for these changes
    _write: Callable[[Peer, bytes], None]  # Sequencer's: a write, cutting off who is too slow

    def _init_pacing(self) -> None:
        self._lane = AudienceLane(self.limits.audience_interval)
        self._lane_timer: asyncio.TimerHandle | None = None
        self._lane_writing: asyncio.Future | None = None  # a flush being written in slices
        self._lane_hurry = False  # write the rest of it without pausing
        self._held_timer: asyncio.TimerHandle | None = None  # pending while empty updates are held
        self._held_due = False  # the staff's held empty updates are to go at the next pause
        self._staff_timer: asyncio.TimerHandle | None = None  # pending while changes are held
        self._staff_due = False  # the staff's held changes are to go at the next pause

    # -- the staff -------------------------------------------------------------------------

    def _held_wake(self) -> None:
        self._held_timer = None
        self._held_due = True
        self._wake.set()

    def _staff_wake(self) -> None:
        self._staff_timer = None
        self._staff_due = True
        self._wake.set()

    def _hold_staff(self, batch: Batch) -> None:
        """The staff not answered in this batch: its events are held back from them, to go
        with their next answer or the next paced update (``_release_staff``)."""
        first = batch.events[0]["seq"]
        asked = {(q.who.role, q.who.judge) for q in batch.touched}
        for peer in self.staff:
            if not peer.ready or peer.gone or (peer.who.role, peer.who.judge) in asked:
                continue
            if not peer.held:
                peer.held = first
            peer.stale |= batch.changed
            if peer.stale:
                if self._staff_timer is None:
                    self._staff_timer = asyncio.get_running_loop().call_later(self.limits.staff_interval, self._staff_wake)
            else:
                self._quiet_later()

    def _release_staff(self) -> None:
        """Send the staff what was held back from them: the update of what changed, if they
        see any of it; their empty updates only once ``staff_quiet`` is up (else held on)."""
        quiet, self._held_due, self._staff_due = self._held_due, False, False
        last = self.state.seq
        shared: dict[frozenset[str], dict[Any, bytes | None]] = {}
        for peer in list(self.staff):  # a write may cut a peer off, leaving the set
            if not peer.held or not peer.ready or peer.gone:
                continue
            if peer.stale:
                update = self._update(peer, peer.stale, last, True, shared.setdefault(frozenset(peer.stale), {}))
                peer.stale = set()
                if update is not None:
                    self._write(peer, self._held(peer, last) + update)
                    continue
            if quiet:
                self._write(peer, self._held(peer, last + 1))
            else:
                self._quiet_later()

    def _quiet_later(self) -> None:
        """Empty updates are held: they go at most ``staff_quiet`` from now."""
        if self._held_timer is None:
            self._held_timer = asyncio.get_running_loop().call_later(self.limits.staff_quiet, self._held_wake)

    def _held_through(self, peer: Peer) -> bytes:
        """Everything held back from ``peer``, up to the last event: for an answer that comes
        without events of its own (an error, a preview), which must not overtake them."""
        last = self.state.seq
        if not peer.stale:
            return self._held(peer, last + 1)
        update = self._update(peer, peer.stale, last)
        return self._held(peer, last) + update  # type: ignore[operator]

    def _held(self, peer: Peer, end: int) -> bytes:
        """The empty updates held back from ``peer`` up to seq ``end``; none are held after
        (what their events changed goes in the update that follows them)."""
        first, peer.held = peer.held, 0
        peer.stale = set()
        return fanout.empty_updates(self.epoch, first, end) if first else b""

    # -- the audience ----------------------------------------------------------------------

    def _pace(self) -> None:
        """Send the audience what it is due (judging/audience.py), or wake up when it is.
        Called only between batches, when the state is the committed one."""
        wait = self._lane.due()
        if wait is None:
            return
        if self._lane_writing is not None:
            # The previous flush is still being written; its end wakes us. If the hall is
            # waiting for this one (a reveal), the rest of that one goes out without pausing.
            self._lane_hurry = self._lane_hurry or "reveal" in self._lane.changed
            return
        if wait > 0:
            if self._lane_timer is None:
                self._lane_timer = asyncio.get_running_loop().call_later(wait, self._lane_wake)
            return
        if self._lane_timer is not None:
            self._lane_timer.cancel()
            self._lane_timer = None
        # What the hall waits for (a reveal) goes out in one go: the judges have all marked,
        # so no acknowledgement is held up. Anything else in slices: an open is followed at
        # once by the judges' first cards.
        self._lane_hurry = "reveal" in self._lane.changed
        span, plan = self._lane.take(self.state, self.epoch, [peer for peer in self.peers if peer.who.role == "viewer"])
        if span is not None and self._relay.up:
            self._relay.flush(span[0], span[1], self.epoch, span[2])
        if plan:
            self._lane_writing = asyncio.ensure_future(self._write_slices(plan))

    async def _write_slices(self, plan: list[tuple[Peer, bytes]]) -> None:
        # The frames are final (the state they show is committed), so batches may go on
        # between two slices; a slice of a few writes keeps the loop free for acks.
        try:
            for i in range(0, len(plan), LANE_SLICE):
                for peer, data in plan[i : i + LANE_SLICE]:
                    if not peer.gone:
                        self._write(peer, data)
                if not self._lane_hurry:
                    await asyncio.sleep(0)
        finally:
            self._lane_writing = None
            self._wake.set()

    def _lane_wake(self) -> None:
        self._lane_timer = None
        self._wake.set()
