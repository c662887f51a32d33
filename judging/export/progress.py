"""Progress of a long export, on stderr only (stdout stays clean for what the command prints).

On a terminal a counter updates in place; otherwise (a log, a pipe) one line per section.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self.started = time.perf_counter()

    def step(self, section: str, done: int, total: int) -> None:
        """``done`` of ``total`` items of a section; cheap to call for every item."""
        if self.quiet:
            return
        if done >= total:
            self.note(f"{section}: {total:,}")
            return
        if not self.tty:
            return
        now = time.perf_counter()
        if now - self._last >= 0.1:
            self._last = now
            self.stream.write(f"\r{section}: {done:,}/{total:,}")
            self.stream.flush()

    def note(self, text: str) -> None:
        if self.quiet:
            return
        clear = "\r\x1b[K" if self.tty else ""
        self.stream.write(f"{clear}{text}\n")
        self.stream.flush()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started
