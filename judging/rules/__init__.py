"""Pure contest rules: model, validation, aggregation, rounding, ranking, awards.

Nothing in this package does I/O or knows about sockets, SQLite or Textual. Scores are
``Decimal`` from input to output.
"""

from judging.rules.errors import ContestError, MarkError, RulesError
from judging.rules.model import Contest
from judging.rules.engine import Tabulator, tabulate

__all__ = ["Contest", "ContestError", "MarkError", "RulesError", "Tabulator", "tabulate"]
