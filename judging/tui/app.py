"""The judge's app: owns the headless client, runs all network I/O in workers, and hands
plain data to dumb widgets.

The client keeps the judge's view in sync and the outbox on disk; this module turns its
callbacks into messages (``judging.tui.messages``), and on each message recomputes what
the screen shows with ``judging.tui.model``. The last view is also cached next to the
outbox, so a judge who restarts the laptop without a network still sees the rubric and
keeps scoring.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import OptionList

from judging.client import AuthError, Client
from judging.tui import model
from judging.tui.confirm import ConfirmCard
from judging.tui.form import ScoreForm
from judging.tui.messages import Connection, ServerRefused, StateChanged, SubmitRequested
from judging.tui.strings import error_sentence, t
from judging.tui.widgets import ContestantList, KeyHint, StatusLine


class JudgeApp(App):
    """One judge, one laptop: pick a contestant, type the marks, confirm."""

    TITLE = "judging"
    CSS = """
    Screen { layout: vertical; }
    #main { height: 1fr; }
    """

    def __init__(self, client: Client, *, lang: str | None = None, cache: Path | None = None, start_timeout: float = 5.0):
        super().__init__()
        self.client = client
        self.client.on_change = lambda sections: self.post_message(StateChanged(set(sections)))
        self.lang_override = lang
        self.cache = cache
        self.start_timeout = start_timeout
        self.lang = lang or "en"
        self.connected: bool | None = None
        self.refused = False
        self.cid: str | None = None  # the contestant on the form
        self.rubric_key: Any = None
        self.drafts: dict[str, dict[str, str]] = {}  # typed, not yet submitted, per contestant
        self.sent: dict[str, str] = {}  # submission id -> contestant
        self.refusals: dict[str, str] = {}  # contestant -> the server's last refusal, as a sentence

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="main"):
            yield ContestantList(id="list")
            yield ScoreForm(id="form")
        yield KeyHint(id="keys")

    def on_mount(self) -> None:
        if not self.client.state and self.cache is not None and self.cache.exists():
            try:
                self.client.state = json.loads(self.cache.read_text(encoding="utf-8"))
            except ValueError:
                pass
        self.post_message(StateChanged(set(self.client.state)))
        self.run_client()

    async def on_unmount(self) -> None:
        await self.client.close()

    # -- network, in workers ----------------------------------------------------------------

    @work(exclusive=True, group="net")
    async def run_client(self) -> None:
        """Connect, then watch the connection and the server's refusals for as long as the
        app runs. The client reconnects and resends its outbox by itself."""
        client = self.client
        try:
            await client.start(timeout=self.start_timeout)
        except AuthError:
            self.post_message(Connection(False, refused=True))
            return
        except TimeoutError:
            pass  # offline: the client keeps trying in the background
        seen = len(client.errors)
        was: bool | None = None
        while True:
            up = client.connected.is_set() and client.synced.is_set()
            if up != was:
                self.post_message(Connection(up))
                was = up
            for err in client.errors[seen:]:
                if err.ref:
                    self.post_message(ServerRefused(err.ref, err.code, err.message))
            seen = len(client.errors)
            await asyncio.sleep(0.05)

    @work(group="submit")
    async def send_card(self, rid: str, cid: str, scores: dict[str, str]) -> None:
        sid = await self.client.submit(rid, cid, scores)
        self.sent[sid] = cid

    # -- messages ---------------------------------------------------------------------------

    async def on_state_changed(self, message: StateChanged) -> None:
        if self.cache is not None and self.connected and {"contest", "round", "status", "order", "mine", "me"} & message.sections:
            self._save_cache()
        await self.refresh_view()

    async def on_connection(self, message: Connection) -> None:
        self.connected = message.connected
        self.refused = message.refused
        await self.refresh_view()

    def on_server_refused(self, message: ServerRefused) -> None:
        cid = self.sent.get(message.ref)
        if cid is None:
            return
        name = model.names(self.client.state).get(cid, cid)
        sentence = error_sentence(message.code, self.lang, name, message.message)
        self.refusals[cid] = sentence
        self.notify(sentence, severity="error", timeout=10)
        if cid == self.cid:
            self.query_one(ScoreForm).set_notice(sentence)

    def on_submit_requested(self, message: SubmitRequested) -> None:
        state = self.client.state
        crits = model.criteria(state)
        marks = {c.id: model.check_mark(c, message.scores[c.id], self.lang)[0] for c in crits}
        total = f"{model.running_total(crits, marks):f}"
        name = model.names(state).get(message.contestant, message.contestant)
        rid = state.get("round", "")

        def done(ok: bool | None) -> None:
            if ok:
                self.drafts.pop(message.contestant, None)
                self.refusals.pop(message.contestant, None)
                self.send_card(rid, message.contestant, message.scores)
            else:
                self.query_one(ScoreForm).focus_first()

        self.push_screen(ConfirmCard(name, crits, message.scores, total, self.lang), done)

    @on(OptionList.OptionHighlighted, "#list")
    async def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        cid = event.option.id
        if cid and not cid.startswith("h:") and cid != self.cid:
            await self.show_contestant(cid)

    @on(OptionList.OptionSelected, "#list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one(ScoreForm).focus_first()

    # -- the view ---------------------------------------------------------------------------

    def pending(self) -> set[str]:
        items = self.client.outbox.items.values()
        for sid, item in self.client.outbox.items.items():
            self.sent.setdefault(sid, item["contestant"])
        rid = self.client.state.get("round", "")
        return {i["contestant"] for i in items if i["round"] == rid}

    async def refresh_view(self) -> None:
        state = self.client.state
        self.lang = model.language(state, self.lang_override)
        form = self.query_one(ScoreForm)
        rubric_key = (self.lang, state.get("round"), json.dumps(model.current_round(state), sort_keys=True))
        if rubric_key != self.rubric_key:
            self.rubric_key = rubric_key
            self.drafts.clear()
            await form.set_rubric(model.criteria(state), self.lang)
            self.cid = None
        pending = self.pending()
        rows = model.rows(state, pending)
        self.query_one(StatusLine).show(self.who(), self.connected, len(self.client.outbox.items), self.lang, self.refused)
        self.query_one(KeyHint).show(self.lang)
        listing = self.query_one(ContestantList)
        listing.show(rows, pending, self.lang)
        if self.refused:
            form.show("", t("auth", self.lang), False)
            return
        ids = [r.cid for r in rows]
        if self.cid not in ids:
            self.cid = None
        current = next((r for r in rows if r.cid == self.cid), None)
        if current is None or (current.status != "open" and not self.typing()):
            # The host moved on: follow to the next open contestant, unless marks are being typed.
            target = next((r for r in rows if r.status == "open"), current or (rows[0] if rows else None))
            if target is not None and target.cid != self.cid:
                in_form = form.has_focus_within
                await self.show_contestant(target.cid)
                listing.select_contestant(target.cid)
                if in_form:
                    form.focus_first()
                return
        if self.cid is None:
            form.show(t("pick", self.lang), " ", False)
            return
        self.update_header(self.cid)

    def typing(self) -> bool:
        """Marks on the form that are neither empty nor what the server recorded."""
        form = self.query_one(ScoreForm)
        if self.cid is None or form.readonly:
            return False
        values = form.values()
        mine = (self.client.state.get("mine") or {}).get(f"{self.client.state.get('round', '')}/{self.cid}")
        recorded = {k: str(v) for k, v in mine["scores"].items()} if mine else {}
        if not any(values.values()):
            return False
        return not all(model.same_mark(values.get(k, ""), recorded.get(k, "")) for k in values)

    async def show_contestant(self, cid: str) -> None:
        form = self.query_one(ScoreForm)
        if self.cid is not None and not form.readonly:
            self.drafts[self.cid] = form.values()
        self.cid = cid
        key = f"{self.client.state.get('round', '')}/{cid}"
        mine = (self.client.state.get("mine") or {}).get(key)
        marks = self.drafts.get(cid) or (mine["scores"] if mine else {})
        form.set_card(cid, marks)
        self.update_header(cid)

    def update_header(self, cid: str) -> None:
        state = self.client.state
        form = self.query_one(ScoreForm)
        rid = state.get("round", "")
        key = f"{rid}/{cid}"
        scored = key in (state.get("mine") or {}) or cid in self.pending()
        info = next((c for c in state.get("contest", {}).get("contestants", []) if c["id"] == cid), {})
        status = ((state.get("status") or {}).get(cid) or {}).get("status", "waiting")
        unit = f" · {info['unit']}" if info.get("unit") else ""
        title = f"{cid}  {info.get('name', cid)}{unit}   [{t('st_' + status, self.lang)}]"
        was = form.readonly
        form.show(title.replace("[", r"\["), model.readonly_reason(state, cid, self.lang, scored), scored, self.refusals.get(cid, ""))
        form.set_delivery(model.delivery(state, self.client.outbox.items, key, bool(self.connected), self.lang))
        self.call_after_refresh(self._refocus, bool(was) and not form.readonly)

    def _refocus(self, opened: bool) -> None:
        # The keyboard follows the form: a form that just opened for marks, with the judge
        # not typing elsewhere, takes it, so a mark typed at once lands in the first field;
        # a field that had it and became read-only (locked) hands it to the list, so ↑↓ work.
        if opened and (self.focused is None or isinstance(self.focused, ContestantList)):
            self.query_one(ScoreForm).focus_first()
        elif self.focused is None:
            self.query_one(ContestantList).focus()

    def who(self) -> str:
        state = self.client.state
        me = state.get("me") or {}
        if not me:
            return t("title", self.lang)
        panels = {p["id"]: p["name"] for p in (state.get("contest") or {}).get("panels", [])}
        return f"{t('judge', self.lang)} {me['name']} ({me['id']}) · {panels.get(me['panel'], me['panel'])}"

    def _save_cache(self) -> None:
        assert self.cache is not None
        tmp = self.cache.with_suffix(self.cache.suffix + ".tmp")
        try:
            tmp.write_text(json.dumps(self.client.state, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.cache)
        except OSError:
            pass  # a cache only: scoring goes on without it
