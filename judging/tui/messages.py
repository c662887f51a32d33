"""Every custom message of the judge's app, in one place.

The client's callbacks and the workers post these; the app handles them and hands plain
data to its widgets. ``StateChanged`` and ``Connection`` replace an older queued copy, so
a burst of updates from the server collapses into one repaint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message


@dataclass
class StateChanged(Message):
    """The client's view of the contest changed (sections from a snapshot or an update)."""

    sections: set[str] = field(default_factory=set)

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, StateChanged):  # ``message`` is the newer one; it carries both
            message.sections |= self.sections
            return True
        return False


@dataclass
class Connection(Message):
    """The connection went up or down, or the server refused the token."""

    connected: bool
    refused: bool = False

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Connection)


@dataclass
class ServerRefused(Message):
    """The server answered one of our cards with an error."""

    ref: str
    code: str
    message: str


@dataclass
class SubmitRequested(Message):
    """The form holds a complete, valid card and the judge pressed submit."""

    contestant: str
    scores: dict[str, str]


@dataclass
class Submitted(Message):
    """A card went into the outbox (and onto the wire, when connected)."""

    contestant: str
    sid: str
