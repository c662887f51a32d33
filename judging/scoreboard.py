"""``judging board ws://HOST:PORT``: the read-only live scoreboard for the projector in the hall.

The app connects as a viewer (no token), so it only ever receives revealed results. A worker
runs the headless client (``judging.client``), which reconnects and resyncs by itself on a new
epoch or a sequence gap; after each snapshot or update it posts the viewer's whole state, and
the app redraws every widget from that one state inside a batch update, so the hall never sees
a half-updated board. Widgets live in ``judging/board``; this module only wires them.

What the board shows follows the sections: the prize ceremony (``ceremony``, stepped from the
control console) takes the whole board while it runs; otherwise the stage on the left shows the
live quiz in a points round (``quiz``), scoring progress, the last reveal card or the idle card,
and the standings on the right page through every category and then the units (``units``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import ContentSwitcher, Static

from judging.board.ceremony import Ceremony
from judging.board.messages import ConnectionChanged, StateChanged
from judging.board.model import (
    RankTracker, award_colours, build_rows, categories, contestants_by_id, manual_awards, next_up, scoring_now, stage_of,
    unit_rows,
)
from judging.board.quiz import QuizBoard
from judging.board.reveal import RevealCard
from judging.board.stage import Idle, ScoringProgress
from judging.board.standings import Standings
from judging.board.strings import Words, language_of
from judging.client import Client


class ScoreboardApp(App):
    """The scoreboard. Give it ``url`` to follow a server, or ``state`` to draw a fixed state."""

    CSS = """
    Screen { background: #000000; color: #ffffff; }
    #header { height: 1; background: #005f87; color: #ffffff; padding: 0 1; }
    #title { width: 1fr; }
    #link { width: auto; }
    #view { height: 1fr; }
    #body { height: 1fr; }
    #stage { width: 3fr; height: 1fr; border-right: vkey #444444; }
    #standings { width: 2fr; }
    """
    # Ctrl+C quits too: a projector board has nothing to copy, and the operator expects it to.
    BINDINGS = [("q", "quit", "Quit"), ("n", "next_page", "Next page"), Binding("ctrl+c", "quit", "Quit", priority=True, show=False)]

    def __init__(
        self,
        url: str | None = None,
        lang: str | None = None,
        *,
        state: dict[str, Any] | None = None,
        page_seconds: float = 10.0,
        highlight_seconds: float = 6.0,
        connect_timeout: float = 5.0,
    ) -> None:
        super().__init__()
        self.url = url
        self.lang = lang
        self.page_seconds = page_seconds
        self.highlight_seconds = highlight_seconds
        self.connect_timeout = connect_timeout
        self.board_state: dict[str, Any] = {}
        self.connection = "connecting" if url else ""
        self.client: Client | None = None
        self.ranks = RankTracker()
        self.highlight: set[str] = set()
        self._initial = state
        self._last_reveal: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            yield Static(id="title")
            yield Static(id="link")
        with ContentSwitcher(id="view", initial="body"):
            with Horizontal(id="body"):
                with ContentSwitcher(id="stage", initial="idle"):
                    yield Idle(id="idle")
                    yield ScoringProgress(id="progress")
                    yield RevealCard(id="reveal")
                    yield QuizBoard(id="quiz")
                yield Standings(page_seconds=self.page_seconds, id="standings")
            yield Ceremony(page_seconds=self.page_seconds, id="ceremony")

    def action_next_page(self) -> None:
        """Turn the page now (the operator's key; pages also turn by themselves)."""
        if self.query_one("#view", ContentSwitcher).current == "ceremony":
            self.query_one(Ceremony).next_page(by_hand=True)
        else:
            self.query_one(Standings).next_page(by_hand=True)

    def on_mount(self) -> None:
        if self._initial is not None:
            self.apply_state(self._initial)
        if self.url:
            self.follow(self.url)

    # -- the network side ------------------------------------------------------------------

    @work(exclusive=True, group="server")
    async def follow(self, url: str) -> None:
        """Run the viewer client; post its whole state after every change, and the link's status."""
        client = Client(url, on_change=lambda _sections: self.post_message(StateChanged(dict(client.state))))
        # The client replaces whole sections and never mutates one in place, so a shallow copy
        # taken right after it applied a snapshot or update is one consistent state.
        self.client = client
        try:
            try:
                await client.start(timeout=self.connect_timeout)
            except TimeoutError:
                pass  # the client keeps retrying with backoff; the header says we are connecting
            status = ""
            seen = False
            while True:
                seen = seen or client.synced.is_set()
                now = "live" if client.synced.is_set() else "offline" if seen else "connecting"
                if now != status:
                    status = now
                    self.post_message(ConnectionChanged(now))
                await asyncio.sleep(0.25)
        finally:
            await client.close()

    def on_state_changed(self, message: StateChanged) -> None:
        self.apply_state(message.state)

    def on_connection_changed(self, message: ConnectionChanged) -> None:
        self.connection = message.status
        self._draw_header(Words(language_of(self.board_state, self.lang)))

    # -- drawing ---------------------------------------------------------------------------

    def apply_state(self, state: dict[str, Any]) -> None:
        """Take one consistent viewer state: note rank changes, then redraw everything from it."""
        if not state.get("contest"):
            return
        self.board_state = state
        changed: set[str] = set()
        for cid, _ in categories(state):
            key = f"standings:{cid}"
            if key in state:
                changed |= self.ranks.update(cid, state[key] or [])
        if changed:
            self.highlight |= changed
            self.set_timer(self.highlight_seconds, lambda: self._unhighlight(changed))
        reveal = state.get("reveal")
        focus = None
        if reveal:
            key = (reveal["round"], reveal["contestant"])
            if key != self._last_reveal:
                self._last_reveal, focus = key, reveal["contestant"]
        self._draw(focus)

    def _unhighlight(self, cids: set[str]) -> None:
        self.highlight -= cids
        self._draw(None)

    def _draw(self, focus: str | None) -> None:
        state = self.board_state
        if not state:
            return
        words = Words(language_of(state, self.lang))
        with self.batch_update():
            self._draw_header(words)
            ceremony = state.get("ceremony")
            self.query_one("#view", ContentSwitcher).current = "ceremony" if ceremony else "body"
            if ceremony:
                self.query_one(Ceremony).show(ceremony, state["contest"]["name"], self._colours(), words)
            cats = []
            for cid, name in categories(state):
                rows = build_rows(state.get(f"standings:{cid}") or [], self.ranks.changes(cid), self.highlight)
                cats.append((cid, name, rows))
            units = state.get("units")
            self.query_one(Standings).show(cats, words, focus, (units.get("name") or words["unit"], unit_rows(units, state)) if units else None)
            stage = stage_of(state)
            switcher = self.query_one("#stage", ContentSwitcher)
            switcher.current = stage
            if stage == "quiz":
                self.query_one(QuizBoard).show(state["quiz"], words)
            elif stage == "progress":
                self.query_one(ScoringProgress).show(scoring_now(state), words)
            elif stage == "reveal":
                self._draw_reveal(state["reveal"], words)
            else:
                self.query_one(Idle).show(state["contest"]["name"], next_up(state), words)

    def _draw_reveal(self, card: dict[str, Any], words: Words) -> None:
        state = self.board_state
        cid = card["contestant"]
        change, singles = None, []
        for cat, _ in categories(state):
            change = change or self.ranks.changes(cat).get(cid)
            for row in state.get(f"standings:{cat}") or []:
                if row["contestant"] == cid:
                    singles = row.get("single_awards") or []
        members = contestants_by_id(state).get(cid, {}).get("members") or []
        self.query_one(RevealCard).show(card, words, change, members, singles)

    def _colours(self) -> dict[str, str]:
        """Prize colours by award name, as the standings show them (the ceremony uses the same)."""
        out: dict[str, str] = {}
        for cid, _ in categories(self.board_state):
            rows = self.board_state.get(f"standings:{cid}") or []
            out.update(award_colours([r.get("award") or "" for r in rows], manual_awards(rows)))
        return out

    def _draw_header(self, words: Words) -> None:
        state = self.board_state
        contest = state.get("contest") or {}
        rounds = {r["id"]: r["name"] for r in contest.get("rounds", [])}
        left = contest.get("name", "")
        if len(rounds) > 1 and state.get("round") in rounds:
            left += "  ·  " + rounds[state["round"]]
        if state.get("frozen"):
            left += "  ·  " + words["frozen"]
        self.query_one("#title", Static).update(Text(left, style="bold"))
        link = words[self.connection] if self.connection else ""
        self.query_one("#link", Static).update(Text(link, style="bold #5fff5f" if self.connection == "live" else "bold #ffd75f"))


def run_board(url: str, lang: str | None = None) -> int:
    """``judging board``: run the scoreboard until the user quits."""
    if not url.startswith(("ws://", "wss://")):
        print(f"error: {url!r} is not a ws:// or wss:// address")
        return 2
    ScoreboardApp(url, lang).run()
    return 0
