"""The scoreboard's messages, in one place, one line each.

The network worker talks to the app only through these; a flood of updates collapses to the
latest state (``can_replace``), which is all the board needs to draw.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message


class StateChanged(Message):
    """The viewer's whole state after one snapshot or update: always consistent, never partial."""

    def __init__(self, state: dict[str, Any]) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StateChanged)


class ConnectionChanged(Message):
    """The link to the server went up ("live"), down ("offline") or is not up yet ("connecting")."""

    def __init__(self, status: str) -> None:
        super().__init__()
        self.status = status

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionChanged)
