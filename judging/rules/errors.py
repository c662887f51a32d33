"""Domain errors. Each says what is wrong and where; callers turn them into messages."""

from __future__ import annotations


class RulesError(Exception):
    """Base of every error raised by the rules."""


class ContestError(RulesError):
    """A contest definition is invalid.

    ``path`` is the key path in the contest file (e.g. ``rounds[0].criteria[1].step``),
    ``source`` the file it came from and ``line`` the line number when it is known.
    """

    def __init__(self, message: str, path: str = "", source: str = "", line: int | None = None):
        self.message = message
        self.path = path
        self.source = source
        self.line = line
        super().__init__(self.describe())

    def describe(self) -> str:
        where = self.source or "contest"
        if self.line is not None:
            where += f":{self.line}"
        if self.path:
            where += f": {self.path}"
        return f"{where}: {self.message}"


class MarkError(RulesError):
    """A mark that the rules do not allow. ``code`` is stable; the protocol reuses it."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


class ContestInvalid(RulesError):
    """Every problem found in one contest definition, so an organiser fixes them in one pass."""

    def __init__(self, errors: list[ContestError]):
        self.errors = errors
        super().__init__("\n".join(e.describe() for e in errors))
