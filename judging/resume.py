"""What the recent events changed, so that a reconnecting client can be brought up to date.

A client that held the state at seq S needs the sections that the events after S changed,
as they are now: exactly what a snapshot would have given it, for a fraction of the bytes.
The server keeps (seq, sections changed) for its last events: the ones it logged, the ones it
replayed at start, and the ones a checkpoint carried over (judging/recovery.py), so a
client that was in sync before a crash is still within reach after it.
"""

from __future__ import annotations

from collections import deque

SIZE = 10_000  # recent events a reconnecting client may resume after


class RecentChanges(deque):
    """(seq, sections changed) of the last events, oldest first."""

    def __init__(self, size: int = SIZE):
        super().__init__(maxlen=size)

    def since(self, seq: int, last: int) -> set[str] | None:
        """The sections the events after ``seq`` (up to ``last``, the state's seq) changed, or
        None if they are not all known: older than the recent ones, or not in this log."""
        # seq 0 is no state at all: some sections (the contest) no event ever changes.
        if not self or not max(1, self[0][0] - 1) <= seq <= last:
            return None
        changed: set[str] = set()
        for s, names in reversed(self):
            if s <= seq:
                break
            changed |= names
        return changed
