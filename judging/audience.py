"""The audience's lane: updates for the scoreboards, paced.

A hall's projector and an online audience can be a thousand connections, and every judge's
mark changes what they see (the count of cards in). Sending each mark's update to each of
them costs a thousand writes per mark: forty judges marking within a second would keep the
server busy with counts while the 亮分 that everybody is waiting for queues behind them.

So the audience's updates are held in one lane and sent together: at once when they carry
anything the hall must see now (a reveal, standings, the order of play, a freeze), and
otherwise (only the progress count, or nothing the audience sees) at most every
``interval`` seconds. Judges and the host are not paced: they get every batch's update.
The seq stays contiguous for every viewer: a flush sends an empty update for each held
event and the changed sections with the last one, computed once for all viewers. The
sequencer writes a flush in slices (judging/pacing.py), so that a judge's acknowledgement
never waits behind a thousand writes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from judging import fanout
from judging.live import LiveState
from judging.views import patch_for

if TYPE_CHECKING:  # the sequencer's peer; imported for types only (no cycle at run time)
    from judging.sequencer import Peer

# Sections a viewer sees that may wait for the next paced flush.
PACED = frozenset({"progress"})
# Sections a viewer never sees (the patch leaves them out; they never make a flush urgent).
UNSEEN = ("private:", "mine:", "connected")


def urgent(changed: set[str]) -> bool:
    """Does a batch that changed these sections change what the hall sees beyond the count?"""
    return any(name not in PACED and not name.startswith(UNSEEN) for name in changed)


class AudienceLane:
    def __init__(self, interval: float):
        self.interval = interval
        self.first = 0  # first seq not yet sent to the audience; 0 when nothing is held
        self.changed: set[str] = set()
        self.sent_at = 0.0

    def hold(self, first: int, changed: set[str]) -> None:
        """A committed batch's events, from seq ``first`` on, wait for the audience."""
        if not self.first:
            self.first = first
        self.changed |= changed

    def due(self) -> float | None:
        """0 if held updates should go now, the seconds to wait if later, None if none."""
        if not self.first:
            return None
        if urgent(self.changed):
            return 0.0
        return max(0.0, self.sent_at + self.interval - time.monotonic())

    def reset(self) -> None:
        self.first, self.changed = 0, set()

    def take(self, state: LiveState, epoch: str, viewers: list[Peer]) -> tuple[tuple[int, int, bytes] | None, list[tuple[Peer, bytes]]]:
        """The flush due now, from the committed ``state``: (first seq, last seq, the last
        event's framed update), and what each of these viewers is to be sent of it; the lane
        is then empty."""
        first, last, changed = self.first, state.seq, self.changed
        self.reset()
        self.sent_at = time.monotonic()
        if not first or last < first:
            return None, []
        patch = patch_for("viewer", state, changed)
        tail = fanout.update_frame(epoch, last, patch)
        shared = fanout.empty_updates(epoch, first, last) + tail
        out = []
        for peer in viewers:
            if peer.gone or not peer.ready or peer.seq >= last:
                continue
            if peer.seq >= first:  # its snapshot came after some of the held events
                out.append((peer, fanout.empty_updates(epoch, peer.seq + 1, last) + tail))
            else:
                out.append((peer, shared))
        return (first, last, tail), out
