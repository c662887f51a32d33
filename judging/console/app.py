"""The host's console app: owns the headless client, runs all network I/O in workers, and
redraws its screens from the client's state.

The client (``judging.client``) reconnects by itself and asks for a snapshot on a gap or a new
epoch; this module turns its callback into messages, sends every control action from a worker
and turns the server's answer into one calm line (``Notice``): done, or the refusal as a
sentence. The main screen appears once the first snapshot says what the contest is and which
language it speaks (``--lang`` overrides).
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import work
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from judging.client import AuthError, Client, ServerError
from judging.console import model
from judging.console.correction import PreviewScreen
from judging.console.keys import CEREMONY, MAIN, REVIEW, localized
from judging.console.main import MainScreen
from judging.console.messages import Acted, Connection, Notice, PreviewReady, StateChanged
from judging.console.screens import CeremonyScreen, ReviewScreen
from judging.console.strings import refusal, t
from judging.console.widgets import HeaderLine, NoticeLine


class Connecting(Screen):
    """Shown until the first snapshot: connecting, offline, or the token refused."""

    def compose(self) -> ComposeResult:
        yield HeaderLine(id="header")
        yield Static(id="waiting")
        yield Footer()

    def refresh_view(self) -> None:
        app: ControlApp = self.app  # type: ignore[assignment]
        app.draw_header(self.query_one(HeaderLine))
        self.query_one("#waiting", Static).update(app.link())


class ControlApp(App):
    """The host's and score secretary's console."""

    TITLE = "judging control"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, client: Client, *, lang: str | None = None, start_timeout: float = 5.0, action_timeout: float = 5.0):
        super().__init__()
        self.client = client
        self.client.on_change = lambda sections: self.post_message(StateChanged(set(sections)))
        self.lang_override = lang
        self.lang = lang or "en"
        self.start_timeout = start_timeout
        self.action_timeout = action_timeout
        self.connected: bool | None = None
        self.refused = False
        self.notice = ("", False)
        self.main: MainScreen | None = None
        self.review_asked = -1  # the snapshot count when the review was asked for

    def get_default_screen(self) -> Screen:
        return Connecting()

    def on_mount(self) -> None:
        self.run_client()

    async def on_unmount(self) -> None:
        await self.client.close()

    # -- network, in workers ----------------------------------------------------------------

    @work(exclusive=True, group="net")
    async def run_client(self) -> None:
        """Connect, then report the link for as long as the app runs (the client reconnects)."""
        client = self.client
        try:
            await client.start(timeout=self.start_timeout)
        except AuthError:
            self.post_message(Connection(False, refused=True))
            return
        except TimeoutError:
            pass  # offline: the client keeps trying in the background
        was: bool | None = None
        while True:
            up = client.connected.is_set() and client.synced.is_set()
            if up != was:
                self.post_message(Connection(up))
                was = up
            await asyncio.sleep(0.05)

    @work(group="act")
    async def act(self, action: str, data: dict[str, Any], what: str) -> None:
        """Send one control action; the answer becomes the status line."""
        self.post_message(Notice(t("sending", self.lang, what=what)))
        try:
            done = await self.client.control(action, timeout=self.action_timeout, **data)
        except ServerError as e:
            self.post_message(Notice(refusal(e.code, e.message, self.lang), error=True))
        except TimeoutError:
            self.post_message(Notice(refusal("timeout", "", self.lang), error=True))
        else:
            self.post_message(Acted(action, data, done.seq))
            self.post_message(Notice(t("done", self.lang, what=what)))

    @work(group="act")
    async def run_preview(self, data: dict[str, Any]) -> None:
        """Ask the server how a correction would change the standings."""
        preview = getattr(self.client, "preview", None)
        if preview is None:
            self.post_message(Notice(t("preview_missing", self.lang), error=True))
            return
        self.post_message(Notice(t("preview_wait", self.lang)))
        try:
            answer = await preview(timeout=self.action_timeout, **data)
        except ServerError as e:
            self.post_message(Notice(refusal(e.code, e.message, self.lang), error=True))
            return
        except TimeoutError:
            self.post_message(Notice(refusal("timeout", "", self.lang), error=True))
            return
        if getattr(answer, "type", "") == "error":  # a client may hand the refusal back instead of raising
            self.post_message(Notice(refusal(answer.code, answer.message, self.lang), error=True))
            return
        self.post_message(PreviewReady(data, answer.category, list(answer.before), list(answer.after)))

    @work(group="act")
    async def fetch_review(self) -> None:
        """The review is costly, so the server sends it only in snapshots: ask for one."""
        self.review_asked = self.client.snapshots
        await self.client.request_snapshot()

    # -- messages ---------------------------------------------------------------------------

    def on_state_changed(self, message: StateChanged) -> None:
        state = self.client.state
        if self.main is None and state.get("contest"):
            self.lang = model.language(state, self.lang_override)
            self.main = localized(MainScreen, MAIN, self.lang)()
            self.push_screen(self.main)
        if isinstance(self.screen, ReviewScreen) and self.client.snapshots > self.review_asked >= 0:
            self.screen.fetching = False
        self.redraw()

    def on_connection(self, message: Connection) -> None:
        self.connected = message.connected
        self.refused = message.refused
        self.redraw()

    def on_notice(self, message: Notice) -> None:
        self.say(message.text, message.error)

    def on_acted(self, message: Acted) -> None:
        if self.main is not None:
            self.main.acted(message.action, message.data)

    def on_preview_ready(self, message: PreviewReady) -> None:
        data, lang, state = message.data, self.lang, self.client.state
        name = model.who(state, data["contestant"])
        judge = model.judge_label(state, data["judge"])
        crits = {c.id: c.name for c in model.criteria(state)}
        marks = ", ".join(f"{crits.get(k, k) if len(data['scores']) > 1 else t('col_total', lang)} {v}" for k, v in data["scores"].items())
        detail = f"{t('marks', lang)}: {marks}\n{t('reason_short', lang)}: {data['reason']}"
        rows = model.compare(message.before, message.after)
        screen = PreviewScreen(t("preview_title", lang, name=name, judge=judge), detail, rows, data["contestant"], lang)
        what = t("a_correction", lang, name=name, judge=judge)
        self.say("")
        self.push_screen(screen, lambda ok: self.act("correction", data, what) if ok else None)

    # -- drawing ----------------------------------------------------------------------------

    def redraw(self) -> None:
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_view", None)
            if refresh is not None and screen.is_mounted:
                refresh()

    def link(self) -> str:
        if self.refused:
            return t("refused", self.lang)
        if self.connected is None:
            return t("connecting", self.lang)
        return t("online" if self.connected else "offline", self.lang)

    def draw_header(self, header: HeaderLine) -> None:
        state = self.client.state
        contest = (state.get("contest") or {}).get("name", "")
        header.show(contest, model.round_name(state), self.link(), bool(state.get("frozen")), self.lang, bool(self.connected))

    def draw_notice(self, line: NoticeLine) -> None:
        line.say(*self.notice)

    def say(self, text: str, error: bool = False) -> None:
        self.notice = (text, error)
        for screen in self.screen_stack:
            for line in screen.query(NoticeLine):
                line.say(text, error)

    def open_ceremony(self) -> None:
        self.push_screen(localized(CeremonyScreen, CEREMONY, self.lang)())

    def open_review(self) -> None:
        self.push_screen(localized(ReviewScreen, REVIEW, self.lang)())
