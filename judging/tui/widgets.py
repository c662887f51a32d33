"""Small dumb widgets of the judge's screen: the status line, the contestant list and the
key hint. Each renders exactly what the app hands it and keeps no contest state."""

from __future__ import annotations

from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from judging.tui.model import Row, name_cells, row_label
from judging.tui.strings import t

GROUPS = ("open_now", "scored", "queue")


class StatusLine(Static):
    """Who the judge is, the connection, and how many cards wait in the outbox."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; padding: 0 1; }
    StatusLine.offline { background: $error 40%; }
    """

    def show(self, who: str, connected: bool | None, pending: int, lang: str, refused: bool = False) -> None:
        link = t("connecting", lang) if connected is None else t("online" if connected else "offline", lang)
        link = t("refused", lang) if refused else link
        dot = "●" if connected else "○"
        waiting = t("pending", lang, n=pending) if pending else t("pending_none", lang)
        self.set_class(connected is False, "offline")
        self.update(f"{who}   {dot} {link}   {waiting}")


class ContestantList(OptionList):
    """The judge's contestants under three headings: open now, scored, queue."""

    DEFAULT_CSS = """
    ContestantList { width: 46; height: 1fr; border: round $primary 50%; }
    ContestantList:focus { border: round $primary; }
    """

    def show(self, rows: list[Row], pending: set[str], lang: str) -> None:
        keep = self.highlighted_option.id if self.highlighted_option is not None else None
        cells = name_cells(rows)
        options: list[Option] = []
        for group in GROUPS:
            members = [r for r in rows if r.group == group]
            options.append(Option(f"[b]{t(group, lang)}[/b]", id=f"h:{group}", disabled=True))
            if not members and group == "open_now":
                options.append(Option(f"  [dim]{t('nothing_open', lang)}[/dim]", id="h:none", disabled=True))
            for r in members:
                options.append(Option("  " + _escape(row_label(r, cells, lang, r.cid in pending)), id=r.cid))
        self.set_options(options)
        if keep is not None and not keep.startswith("h:"):
            try:
                self.highlighted = self.get_option_index(keep)
            except Exception:  # the contestant left this judge's list (new round)
                self.highlighted = None

    def select_contestant(self, cid: str) -> None:
        self.highlighted = self.get_option_index(cid)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


class KeyHint(Static):
    """The keys, in the interface language."""

    DEFAULT_CSS = "KeyHint { height: 1; color: $text-muted; padding: 0 1; }"

    def show(self, lang: str) -> None:
        self.update(t("keys", lang))
