"""The two screens the host opens from the main console: the prize ceremony (stepped stage by
stage on the hall's board) and the review (复核) of every mark.

Both draw from the control view the app keeps in sync (``refresh_view``) and send their
actions through the app, so the main console's status line and error handling apply here too.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from judging.console import model
from judging.console.keys import CEREMONY, REVIEW, bindings
from judging.console.strings import t
from judging.console.widgets import HeaderLine, NoticeLine


def ceremony_view(cer: dict[str, Any] | None, lang: str) -> Group:
    if cer is None:
        return Group(Text(t("ceremony_off", lang), style="yellow"))
    parts: list = [Text(t("ceremony_step", lang, step=cer["step"], steps=cer["steps"]), style="bold")]
    if cer["step"] == 0:
        parts.append(Text(t("ceremony_title_card", lang), style="italic"))
    stages = cer.get("stages") or []
    for i, stage in enumerate(stages, 1):
        latest = i == len(stages)
        parts.append(Text(f"\n{i}. {stage['title']}", style="bold reverse" if latest else "bold"))
        for cat in stage.get("categories", []):
            table = Table(title=cat.get("name"), title_justify="left", box=None, padding=(0, 1), show_edge=False, show_header=False)
            table.add_column(justify="right")
            table.add_column(no_wrap=True)
            table.add_column(no_wrap=True, style="dim")
            table.add_column(justify="right")
            table.add_column(no_wrap=True)
            for w in cat.get("winners", []):
                table.add_row(str(w.get("rank") or ""), w["name"], w.get("unit") or "", w.get("total") or "", w.get("award") or "")
            parts.append(table)
    return Group(*parts)


class CeremonyScreen(Screen):
    """Step the prize ceremony on the hall's board: → next stage, ← back, e end."""

    BINDINGS = bindings(CEREMONY, "en")  # the app shows it with labels in the interface language
    DEFAULT_CSS = "CeremonyScreen #cer-body { height: 1fr; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield HeaderLine(id="header")
        # Not focusable: ← and → step the ceremony rather than scroll.
        with VerticalScroll(id="cer-body", can_focus=False):
            yield Static(id="ceremony")
        yield NoticeLine(id="notice")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        app = self.app
        app.draw_header(self.query_one(HeaderLine))  # type: ignore[attr-defined]
        app.draw_notice(self.query_one(NoticeLine))  # type: ignore[attr-defined]
        self.query_one("#ceremony", Static).update(ceremony_view(model.ceremony(app.client.state), app.lang))  # type: ignore[attr-defined]
        self.query_one("#cer-body").scroll_end(animate=False)  # the stage just shown

    def action_step(self, delta: int) -> None:
        app = self.app
        step = model.ceremony_next(app.client.state, delta)  # type: ignore[attr-defined]
        if step is None:
            app.say(t("ceremony_last" if delta > 0 else "ceremony_first", app.lang))  # type: ignore[attr-defined]
            return
        app.act("ceremony", {"step": step}, t("a_ceremony", app.lang, step=step))  # type: ignore[attr-defined]

    def action_end(self) -> None:
        app = self.app
        app.act("ceremony", {"step": None}, t("a_ceremony_end", app.lang))  # type: ignore[attr-defined]


def review_view(data: dict[str, Any] | None, state: dict[str, Any], lang: str, loading: bool) -> Group:
    if data is None:
        return Group(Text(t("review_loading" if loading else "review_none", lang), style="yellow"))
    people = model.contestants_by_id(state)
    judges = Table(title=t("judges", lang), title_justify="left", box=None, padding=(0, 1), show_edge=False)
    for key, justify in (("judge", "left"), ("col_panel", "left"), ("col_scored", "right"), ("col_mean_dev", "right"),
                         ("col_abs_dev", "right"), ("col_max_dev", "right")):
        judges.add_column(t(key, lang), justify=justify, no_wrap=True)  # type: ignore[arg-type]
    panels = {p["id"]: p["name"] for p in (state.get("contest") or {}).get("panels", [])}
    for j in data.get("judges", []):
        label = f"{j.get('name', '')} ({j['judge']})" + (f" {t('shadow', lang)}" if j.get("shadow") else "")
        abs_dev = j.get("mean_abs_deviation")
        judges.add_row(
            label, panels.get(j.get("panel"), j.get("panel") or ""), str(j.get("scored", "")),
            model.deviation(j.get("mean_deviation")), "—" if abs_dev in (None, "") else str(abs_dev), model.deviation(j.get("max_deviation")),
        )
    parts: list = [judges, Text("\n" + t("flags", lang), style="bold")]
    flags = data.get("flags") or []
    for f in flags:
        who = people.get(f.get("contestant"), {}).get("name", "")
        parts.append(Text(f"  ⚑ {f.get('contestant', '')} {who}  {f.get('message', '')}", style="yellow"))
    if not flags:
        parts.append(Text("  " + t("no_flags", lang), style="dim"))
    parts.append(Text("\n" + t("missing", lang), style="bold"))
    missing, later = model.missing_now(state, list(data.get("missing") or []))
    parts.extend(Text(f"  • {line}") for line in missing)
    if not missing:
        parts.append(Text("  " + t("no_missing", lang), style="dim"))
    if later:
        parts.append(Text("  " + t("missing_later", lang, n=later), style="dim"))
    return Group(*parts)


class ReviewScreen(Screen):
    """复核: each judge's deviation from the panel, flagged spreads and missing marks."""

    BINDINGS = bindings(REVIEW, "en")
    DEFAULT_CSS = "ReviewScreen #rev-body { height: 1fr; padding: 0 1; }"

    def __init__(self) -> None:
        super().__init__()
        self.fetching = True

    def compose(self) -> ComposeResult:
        yield HeaderLine(id="header")
        with VerticalScroll(id="rev-body"):
            yield Static(id="review")
        yield NoticeLine(id="notice")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.fetching = True
        self.app.fetch_review()  # type: ignore[attr-defined]
        self.refresh_view()

    def refresh_view(self) -> None:
        app = self.app
        app.draw_header(self.query_one(HeaderLine))  # type: ignore[attr-defined]
        app.draw_notice(self.query_one(NoticeLine))  # type: ignore[attr-defined]
        data = model.review(app.client.state) if not self.fetching else None  # type: ignore[attr-defined]
        self.query_one("#review", Static).update(review_view(data, app.client.state, app.lang, self.fetching))  # type: ignore[attr-defined]
