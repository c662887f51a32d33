"""The dumb widgets of the host's main screen: the header line, the order of play, who is
being scored (with the judges still missing, by name), the standings and the notice line.
Each renders exactly what it is handed and keeps no contest state of its own.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import DataTable, Static

from judging.console.model import OrderRow, StandingRow
from judging.console.strings import t

STATUS_STYLE = {"waiting": "", "open": "bold green", "closed": "bold yellow", "locked": "dim"}


class HeaderLine(Static):
    """Contest, round, link to the server, and whether the hall's standings are frozen."""

    DEFAULT_CSS = """
    HeaderLine { height: 1; background: $panel; padding: 0 1; }
    HeaderLine.offline { background: $error 40%; }
    HeaderLine.frozen { background: $warning 40%; }
    """

    def show(self, contest: str, round_name: str, link: str, frozen: bool, lang: str, up: bool) -> None:
        self.set_class(not up, "offline")
        self.set_class(up and frozen, "frozen")
        board = t("frozen" if frozen else "live", lang)
        key = (contest, round_name, link, frozen, lang, up)
        if key == getattr(self, "_shown", None):
            return
        self._shown = key
        text = Text(f"{t('title', lang)} · {contest} · {t('round', lang)}: {round_name}   {link}   ")
        text.append(board, style="bold" if frozen else "")
        self.update(text)


class NoticeLine(Static):
    """The last thing that happened: an action done, or the server's refusal, calmly."""

    DEFAULT_CSS = """
    NoticeLine { height: 1; padding: 0 1; background: $boost; }
    NoticeLine.error { color: $text-error; }
    """

    def say(self, text: str, error: bool = False) -> None:
        if (text, error) == getattr(self, "_shown", None):
            return
        self._shown = (text, error)
        self.set_class(error, "error")
        self.update(Text(("✗ " if error else "") + text))


def same(a: object, b: object) -> bool:
    """Cells compare by what they show: rich's Text equality ignores the base style."""
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and str(a.style) == str(b.style) and a.spans == b.spans
    return a == b


class SyncTable(DataTable):
    """A row-cursor table that is told its whole content each time and touches only what
    changed: redrawing every row on every mark a judge sends is what makes a console lag."""

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self._columns_shown: tuple = ()
        self._rows_shown: list[tuple[str, tuple]] = []

    def sync(self, columns: list[tuple[str, str]], rows: list[tuple[str, tuple]]) -> None:
        """Show ``rows`` (key, cells) under ``columns`` (key, label)."""
        if tuple(columns) != self._columns_shown:
            keep = self.selected()
            self.clear(columns=True)
            for key, label in columns:
                self.add_column(label, key=key)
            self._columns_shown = tuple(columns)
            self._rows_shown = []
        else:
            keep = self.selected()
        if [k for k, _ in self._rows_shown] != [k for k, _ in rows]:
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            if keep is not None:
                self.select(keep)
        else:
            for (key, before), (_, after) in zip(self._rows_shown, rows):
                for (column, _), old, new in zip(columns, before, after):
                    if not same(old, new):
                        self.update_cell(key, column, new, update_width=True)
        self._rows_shown = list(rows)

    def selected(self) -> str | None:
        if self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor is off the table
            return None

    def select(self, key: str) -> None:
        try:
            self.move_cursor(row=self.get_row_index(key))
        except Exception:  # not in the table (anymore)
            pass


class OrderTable(SyncTable):
    """The order of play: one row per contestant with status and how many marks are in."""

    DEFAULT_CSS = "OrderTable { height: 1fr; }"

    def show(self, rows: list[OrderRow], lang: str) -> None:
        columns = [(key, t(key, lang)) for key in ("col_no", "col_id", "col_name", "col_unit", "col_status", "col_progress")]
        cells = []
        for i, r in enumerate(rows, 1):
            status = Text(t("st_" + r.status, lang), style=STATUS_STYLE[r.status])
            if r.revealed:
                status.append(" ✓" + t("revealed", lang), style="cyan")
            progress = f"{r.submitted}/{r.expected}" if r.scoring else ""
            name = Text(r.name, style="bold" if r.scoring else "")
            cells.append((r.cid, (str(i), r.cid, name, r.unit, status, progress)))
        self.sync(columns, cells)


class ScoringNow(Static):
    """Contestants open or closed for scoring, and who has not submitted yet, by name."""

    DEFAULT_CSS = """
    ScoringNow { height: auto; max-height: 8; border-top: solid $primary 50%; padding: 0 1; }
    """

    def show(self, rows: list[OrderRow], lang: str) -> None:
        now = [r for r in rows if r.scoring]
        key = (repr(now), lang)
        if key == getattr(self, "_shown", None):
            return
        self._shown = key
        lines = Text(t("scoring_now", lang) + "：" if lang == "zh" else t("scoring_now", lang) + ": ", style="bold")
        if not now:
            lines.append(t("nobody_scoring", lang), style="dim")
        for r in now:
            lines.append("\n")
            lines.append(f"{r.cid} {r.name}  ", style="bold")
            lines.append(t("st_" + r.status, lang), style=STATUS_STYLE[r.status])
            lines.append(f"  {r.submitted}/{r.expected}  ")
            if r.waiting:
                sep = "、" if lang == "zh" else ", "
                lines.append(t("waiting_for", lang, n=len(r.waiting), names=sep.join(r.waiting)), style="yellow")
            else:
                lines.append(t("all_in", lang), style="green")
        self.update(lines)


class StandingsView(Static):
    """Standings of every category, private (everything scored) or public (the hall's)."""

    DEFAULT_CSS = "StandingsView { height: auto; }"

    def show(self, blocks: list[tuple[str, list[StandingRow]]], private: bool, lang: str, units: dict | None = None) -> None:
        key = (repr(blocks), private, lang, repr(units))
        if key == getattr(self, "_shown", None):
            return  # most events (a judge connecting, a mark for another category) change nothing here
        self._shown = key
        parts: list = [Text(t("private" if private else "public", lang), style="bold reverse" if private else "bold")]
        for name, rows in blocks:
            table = Table(title=name, title_justify="left", expand=True, box=None, padding=(0, 1), show_edge=False)
            table.add_column(t("col_rank", lang), justify="right", no_wrap=True)
            table.add_column(t("col_name", lang), ratio=1, no_wrap=True, overflow="ellipsis")
            table.add_column(t("col_total", lang), justify="right", no_wrap=True)
            table.add_column(t("col_award", lang), no_wrap=True)
            for r in rows:
                style = "" if r.revealed else "italic"
                name_cell = Text(f"{r.cid} {r.name}", style=style)
                if not r.revealed:
                    name_cell.append(" ·" + t("not_revealed", lang), style="dim")
                table.add_row(str(r.rank) if r.rank is not None else "—", name_cell, r.total or "—", r.award)
            if not rows:
                table.add_row("", Text(t("no_results", lang), style="dim"), "", "")
            parts.append(table)
        if units and units.get("standings"):
            table = Table(title=units.get("name") or t("units", lang), title_justify="left", expand=True, box=None, show_edge=False)
            table.add_column(t("col_rank", lang), justify="right")
            table.add_column(t("col_unit", lang), ratio=1, no_wrap=True, overflow="ellipsis")
            table.add_column(t("col_total", lang), justify="right")
            for u in units["standings"]:
                table.add_row(str(u.get("rank") or "—"), u["unit"], str(u.get("score") or "—"))
            parts.append(table)
        self.update(Group(*parts))
