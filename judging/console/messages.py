"""Every custom message of the host's console, in one place.

The client's callback and the workers post these; the app handles them and redraws from the
client's state. ``StateChanged`` and ``Connection`` replace an older queued copy, so a burst of
updates from the server collapses into one repaint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class StateChanged(Message):
    """The control view changed (sections from a snapshot or an update)."""

    sections: set[str] = field(default_factory=set)

    def can_replace(self, message: Message) -> bool:
        if isinstance(message, StateChanged):  # ``message`` is the newer one; it carries both
            message.sections |= self.sections
            return True
        return False


@dataclass
class Connection(Message):
    """The connection went up or down, or the server refused the control token."""

    connected: bool
    refused: bool = False

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Connection)


@dataclass
class Notice(Message):
    """A line for the status bar: an action done, or the server's refusal as a sentence."""

    text: str
    error: bool = False


@dataclass
class Acted(Message):
    """A control action was carried out by the server (``seq`` is its event)."""

    action: str
    data: dict[str, Any]
    seq: int


@dataclass
class PreviewReady(Message):
    """The server's answer to a correction preview: standings before and after."""

    data: dict[str, Any]  # the correction it previews
    category: str
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
