"""The live contest as a state machine over events: the order of play, who has scored,
what is locked and what the audience has been shown.

Pure, like the rules: ``check`` says whether an event may happen (raising ``FlowError``),
``apply`` changes the state and names the view sections it touched. The server appends an
event to the log and then applies it; a restart applies the same log and gets the same state.

Statuses of a contestant in a round: waiting -> open -> closed -> locked. New marks need
"open"; a judge may revise until "locked"; after that only a correction (control, with a
written reason) changes a mark. The audience sees a contestant's result only once it is
revealed; a correction, adjustment or award to a revealed contestant reaches it at once, and
while the standings are frozen, at the unfreeze.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from judging.quiz import Award, Quiz
from judging.rules.decimals import parse_decimal
from judging.rules.engine import Tabulator
from judging.rules.errors import MarkError
from judging.rules.model import Adjustment, Contest, ManualAward

STATUSES = ("waiting", "open", "closed", "locked")


class FlowError(MarkError):
    """An action the order of play does not allow now (same shape as a mark error)."""


Key = tuple[str, str]  # (round, contestant)


class LiveState:
    def __init__(self, contest: Contest):
        self.contest = contest
        self.tab = Tabulator(contest)  # every mark
        self.public = Tabulator(contest, adjustments=(), manual_awards=())  # revealed only
        self.round = contest.rounds[0].id
        self.status: dict[Key, str] = {}
        self.revealed: set[Key] = set()
        self.frozen = False
        self._held: list[str] = []  # revealed or adjusted while frozen: published at unfreeze
        self.order = [c.id for c in contest.contestants]
        # (round, contestant) -> judge -> {"scores", "at", "revision", "submission"}
        self.cards: dict[Key, dict[str, dict[str, Any]]] = {}
        # (judge, submission id) -> (digest, ack); ids are the client's, so they are scoped to
        # the judge who sent them: another judge reusing an id must not get this judge's ack.
        self.submissions: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        self.adjustments: list[Adjustment] = list(contest.adjustments)
        self.manual: dict[str, ManualAward] = {m.contestant: m for m in contest.manual_awards}
        self._published_adjustments: dict[str, int] = {}
        self.last_reveal: Key | None = None
        self.connected: dict[str, str] = {}  # judge -> time last connected
        self.quiz = Quiz(contest)
        # The award copied to the public tabulator for each question, by (round, team): an undo
        # and a fresh award for the same question held by a freeze must replace the old one.
        self._public_points: dict[Key, dict[str, Award]] = {}
        # The quiz's last change as the audience saw it: while frozen, the one that matches the
        # frozen totals (``Quiz.last`` form).
        self.public_last: tuple[str, int] | None = None
        self.ceremony: int | None = None  # prize-ceremony stages shown; None: no ceremony
        self.seq = 0
        self._enter_round()

    # -- queries ---------------------------------------------------------------------------

    def status_of(self, rid: str, cid: str) -> str:
        return self.status.get((rid, cid), "waiting")

    def expected_judges(self, rid: str, cid: str) -> list[str]:
        rnd, c = self.contest.round(rid), self.contest.contestant(cid)
        return [j.id for j in self.contest.judges_for(rnd, c) if not j.shadow]  # type: ignore[arg-type]

    def submitted(self, rid: str, cid: str) -> list[str]:
        return list(self.cards.get((rid, cid), {}))

    def open_now(self) -> list[str]:
        return [cid for cid in self.order if self.status_of(self.round, cid) == "open"]

    def points_round(self) -> bool:
        return self.contest.round(self.round).kind == "points"  # type: ignore[union-attr]

    # -- checks ----------------------------------------------------------------------------

    def check(self, kind: str, actor: str, data: dict[str, Any]) -> Any:
        """Raise FlowError/MarkError if the event may not happen; a mark returns its checked
        card, a quiz action the data to log (defaults such as the current question filled in)."""
        handler = getattr(self, f"_check_{kind}", None)
        if handler is None:
            raise FlowError("unknown_action", f"unknown action {kind!r}")
        return handler(actor, data)

    def prepare(self, kind: str, actor: str, data: dict[str, Any]) -> dict[str, Any]:
        """Check an action and return the event data to log: complete, so that replaying the
        log never depends on state such as "the current question" at the time."""
        checked = self.check(kind, actor, data)
        return checked if kind in ("question", "points", "undo") else data

    def _contestants(self, data: dict[str, Any]) -> list[str]:
        ids = data.get("contestants")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise FlowError("bad_request", "contestants must be a non-empty list of contestant ids")
        for cid in ids:
            if self.contest.contestant(cid) is None:
                raise FlowError("unknown_contestant", f"unknown contestant {cid!r}")
        return ids

    def _check_transition(self, data: dict[str, Any], allowed: tuple[str, ...], verb: str) -> None:
        for cid in self._contestants(data):
            status = self.status_of(self.round, cid)
            if status not in allowed:
                name = self.contest.contestant(cid).name  # type: ignore[union-attr]
                raise FlowError("bad_status", f"cannot {verb} {name} ({cid}): scoring is {status}")

    def _check_open(self, actor: str, data: dict[str, Any]) -> None:
        self._check_transition(data, ("waiting", "closed"), "open")
        for cid in data["contestants"]:
            c = self.contest.contestant(cid)
            if cid not in self.tab.participants(self.round, c.category):  # type: ignore[union-attr]
                raise FlowError("not_advanced", f"{c.name} ({cid}) did not advance to this round")  # type: ignore[union-attr]

    def _check_close(self, actor: str, data: dict[str, Any]) -> None:
        self._check_transition(data, ("open",), "close")

    def _check_lock(self, actor: str, data: dict[str, Any]) -> None:
        self._check_transition(data, ("open", "closed"), "lock")

    def _check_reveal(self, actor: str, data: dict[str, Any]) -> None:
        for cid in self._contestants(data):
            result = self.tab.round_result(self.round, cid)
            if not result.complete:
                name = self.contest.contestant(cid).name  # type: ignore[union-attr]
                raise FlowError("not_complete", f"{name} ({cid}) has no complete result to reveal yet")

    def _check_freeze(self, actor: str, data: dict[str, Any]) -> None:
        if self.frozen:
            raise FlowError("bad_status", "the public standings are already frozen")

    def _check_unfreeze(self, actor: str, data: dict[str, Any]) -> None:
        if not self.frozen:
            raise FlowError("bad_status", "the public standings are not frozen")

    def _check_next_round(self, actor: str, data: dict[str, Any]) -> None:
        ids = [r.id for r in self.contest.rounds]
        if ids.index(self.round) == len(ids) - 1:
            raise FlowError("last_round", "this is the last round")
        if self.points_round():
            return  # a quiz round is over when the host says so: every award is already counted
        busy = [cid for (rid, cid), s in self.status.items() if rid == self.round and s in ("open", "closed")]
        if busy:
            raise FlowError("bad_status", f"lock every contestant first: {', '.join(busy)} still being scored")
        # Who advances is decided by this round's results: all of them, not the first few.
        unscored = [
            cid
            for cat in self.contest.categories
            for cid in sorted(self.tab.participants(self.round, cat.id))
            if self.status_of(self.round, cid) != "locked"
        ]
        if unscored:
            raise FlowError("bad_status", f"score and lock every contestant of this round first: {', '.join(unscored)} not yet")

    def _check_order(self, actor: str, data: dict[str, Any]) -> None:
        ids = self._contestants(data)
        if sorted(ids) != sorted(self.order):
            raise FlowError("bad_request", "the order of play lists every contestant exactly once")

    def _check_mark(self, actor: str, data: dict[str, Any]) -> dict[str, Decimal]:
        rid, cid, jid = data.get("round"), data.get("contestant"), data.get("judge")
        if not all(isinstance(x, str) for x in (rid, cid, jid)):
            raise FlowError("bad_request", "a mark names its round, contestant and judge")
        card = self.tab.check_card(rid, cid, jid, data.get("scores"))  # type: ignore[arg-type]
        if rid != self.round:
            raise FlowError("not_open", f"round {rid} is not the current round")
        status = self.status_of(rid, cid)  # type: ignore[arg-type]
        name = self.contest.contestant(cid).name  # type: ignore[union-attr, arg-type]
        revising = jid in self.cards.get((rid, cid), {})  # type: ignore[arg-type]
        if status == "locked":
            raise FlowError("locked", f"{name} is locked: only the score secretary can correct a mark now")
        if status == "waiting" or (status == "closed" and not revising):
            raise FlowError("not_open", f"scoring for {name} is not open")
        return card

    def _check_correction(self, actor: str, data: dict[str, Any]) -> None:
        rid, cid, jid = data.get("round"), data.get("contestant"), data.get("judge")
        if not all(isinstance(x, str) for x in (rid, cid, jid)):
            raise FlowError("bad_request", "a correction names its round, contestant and judge")
        _reason(data)
        self.tab.check_card(rid, cid, jid, data.get("scores"))  # type: ignore[arg-type]

    def _check_adjustment(self, actor: str, data: dict[str, Any]) -> None:
        _adjustment(self.contest, data)

    def _check_manual_award(self, actor: str, data: dict[str, Any]) -> None:
        cid = data.get("contestant")
        if not isinstance(cid, str) or self.contest.contestant(cid) is None:
            raise FlowError("unknown_contestant", f"unknown contestant {cid!r}")
        if not isinstance(data.get("award"), str) or not data["award"].strip():
            raise FlowError("bad_request", "name the award")
        _reason(data)

    def _check_ceremony(self, actor: str, data: dict[str, Any]) -> None:
        from judging.ceremony import ceremony_stages

        step = data.get("step")
        if step is None:
            return
        steps = len(ceremony_stages(self.public))
        if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= steps:
            raise FlowError("bad_request", f"the ceremony has steps 0 to {steps}; got {step!r}")

    def _quiz_round(self):
        rnd = self.contest.round(self.round)
        if rnd.kind != "points":  # type: ignore[union-attr]
            raise FlowError("not_points_round", f"round {rnd.name} is scored by judges, not by points")  # type: ignore[union-attr]
        return rnd

    def _check_question(self, actor: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.quiz.check_question(self._quiz_round(), data)

    def _check_points(self, actor: str, data: dict[str, Any]) -> dict[str, Any]:
        rnd = self._quiz_round()
        out = self.quiz.check_points(rnd, data)
        c = self.contest.contestant(out["contestant"])
        if c.id not in self.tab.participants(rnd.id, c.category):  # type: ignore[union-attr]
            raise FlowError("not_advanced", f"{c.name} ({c.id}) did not advance to this round")  # type: ignore[union-attr]
        return out

    def _check_undo(self, actor: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.quiz.check_undo(self._quiz_round().id, data)

    def _check_judge_connected(self, actor: str, data: dict[str, Any]) -> None:
        pass

    def _check_server_started(self, actor: str, data: dict[str, Any]) -> None:
        pass

    # -- apply -----------------------------------------------------------------------------

    def apply(self, event: dict[str, Any]) -> set[str]:
        """Apply a logged event; returns the view sections it changed."""
        self.seq = event["seq"]
        kind, data = event["kind"], event["data"]
        changed = getattr(self, f"_apply_{kind}")(event, data)
        if any(name.startswith("standings:") for name in changed):
            # Both are built from the public standings.
            changed |= {"units", "ceremony"}
        return changed

    def _set_status(self, data: dict[str, Any], status: str) -> set[str]:
        for cid in data["contestants"]:
            self.status[(self.round, cid)] = status
        return {"status", "progress"}  # progress lists the contestants being scored

    def _apply_open(self, event, data) -> set[str]:
        return self._set_status(data, "open")

    def _apply_close(self, event, data) -> set[str]:
        return self._set_status(data, "closed")

    def _apply_lock(self, event, data) -> set[str]:
        return self._set_status(data, "locked")

    def _apply_reveal(self, event, data) -> set[str]:
        changed = {"status", "reveal"}
        for cid in data["contestants"]:
            key = (self.round, cid)
            self.revealed.add(key)
            self.last_reveal = key
            self._publish_or_hold(cid)
            changed.add("standings:" + self.contest.contestant(cid).category)  # type: ignore[union-attr]
        return changed

    def _publish_or_hold(self, cid: str) -> None:
        # While frozen the public tabulator stays as it was at the freeze, so that a viewer
        # connecting (or resyncing) during the freeze gets the frozen standings too.
        if self.frozen:
            if cid not in self._held:
                self._held.append(cid)
        else:
            self._publish(cid)

    def held(self, cid: str) -> bool:
        return cid in self._held

    def _publish(self, cid: str) -> None:
        """Copy what is known about a contestant into the public tabulator."""
        for rnd in self.contest.rounds:
            key = (rnd.id, cid)
            if key not in self.revealed:
                continue
            private = self.tab.cards(rnd.id, cid)
            for jid in list(self.public.cards(rnd.id, cid)):
                if jid not in private:
                    self.public.remove_card(rnd.id, cid, jid)
            for jid, card in private.items():
                try:
                    self.public.set_card(rnd.id, cid, jid, card)
                except MarkError:
                    pass  # an earlier round not yet revealed decides who advanced; shown once it is
        for rnd in self.contest.rounds:
            if rnd.kind == "points" and (rnd.id, cid) in self.revealed:
                self._publish_points(rnd.id, cid)
        mine = [a for a in self.adjustments if a.contestant == cid]
        for adj in mine[self._published_adjustments.get(cid, 0) :]:
            self.public.add_adjustment(adj)
        self._published_adjustments[cid] = len(mine)
        if cid in self.manual:
            self.public.set_manual_award(self.manual[cid])

    def _enter_round(self) -> None:
        # A quiz is played in the open: every team's running total is public from the start.
        if self.points_round():
            for cat in self.contest.categories:
                for cid in self.tab.participants(self.round, cat.id):
                    self.revealed.add((self.round, cid))
                    self._publish_or_hold(cid)  # e.g. a manual award from the contest file

    def _publish_points(self, rid: str, cid: str) -> None:
        # Compared by award (its event), not by question: the same question can hold another
        # award, with other points, than the one the audience was shown.
        standing = self.quiz.standing(rid, cid)
        shown = self._public_points.setdefault((rid, cid), {})
        for key in set(shown) - set(standing):
            self.public.remove_points(rid, cid, key)
        for key, award in standing.items():
            if shown.get(key) != award:
                self.public.set_points(rid, cid, key, award.type, award.points)
        shown.clear()
        shown.update(standing)

    def _apply_freeze(self, event, data) -> set[str]:
        self.frozen = True
        return {"frozen"}

    def _apply_unfreeze(self, event, data) -> set[str]:
        self.frozen = False
        for cid in self._held:
            self._publish(cid)
        self._held.clear()
        self.public_last = self.quiz.last
        # "quiz": the hall's running totals and last change catch up with the held awards.
        return {"frozen", "reveal", "quiz"} | {f"standings:{c.id}" for c in self.contest.categories}

    def _apply_next_round(self, event, data) -> set[str]:
        ids = [r.id for r in self.contest.rounds]
        self.round = ids[ids.index(self.round) + 1]
        self._enter_round()
        changed = {"round", "status", "progress", "quiz"}
        if self.points_round() and not self.frozen:
            changed |= {f"standings:{c.id}" for c in self.contest.categories}  # the teams' starting totals
        return changed

    def _apply_order(self, event, data) -> set[str]:
        self.order = list(data["contestants"])
        return {"order"}

    def _apply_mark(self, event, data) -> set[str]:
        changed = self._record(event, data)
        ack = {
            "id": data.get("submission", ""),
            "seq": event["seq"],
            "at": event["at"],
            "revision": self.cards[(data["round"], data["contestant"])][data["judge"]]["revision"],
        }
        if data.get("submission"):
            self.submissions[(data["judge"], data["submission"])] = (data.get("digest", ""), ack)
        return changed

    def _apply_correction(self, event, data) -> set[str]:
        # A corrected card of a revealed contestant reaches the audience as an adjustment
        # does: at once, or at the unfreeze.
        return self._record(event, data) | self._maybe_public(data["contestant"])

    def _record(self, event, data) -> set[str]:
        rid, cid, jid = data["round"], data["contestant"], data["judge"]
        self.tab.set_card(rid, cid, jid, data["scores"])
        cards = self.cards.setdefault((rid, cid), {})
        revision = cards[jid]["revision"] + 1 if jid in cards else 1
        cards[jid] = {"scores": dict(data["scores"]), "at": event["at"], "revision": revision}
        category = self.contest.contestant(cid).category  # type: ignore[union-attr]
        return {"progress", f"mine:{jid}:{rid}/{cid}", f"private:{category}"}

    def _apply_adjustment(self, event, data) -> set[str]:
        adj = _adjustment(self.contest, data)
        self.adjustments.append(adj)
        self.tab.add_adjustment(adj)
        return self._maybe_public(adj.contestant)

    def _apply_manual_award(self, event, data) -> set[str]:
        award = ManualAward(data["contestant"], data["award"].strip(), data["reason"].strip())
        self.manual[award.contestant] = award
        self.tab.set_manual_award(award)
        return self._maybe_public(award.contestant)

    def _maybe_public(self, cid: str) -> set[str]:
        category = self.contest.contestant(cid).category  # type: ignore[union-attr]
        changed = {f"private:{category}"}
        if any((r.id, cid) in self.revealed for r in self.contest.rounds):
            self._publish_or_hold(cid)
            changed.add(f"standings:{category}")
            if not self.frozen and self.last_reveal is not None and self.last_reveal[1] == cid:
                changed.add("reveal")  # the 亮分 card shown is this contestant's (frozen: at the unfreeze)
        return changed

    def _apply_ceremony(self, event, data) -> set[str]:
        self.ceremony = data.get("step")
        return {"ceremony"}

    def _apply_question(self, event, data) -> set[str]:
        self.quiz.apply_question(self.round, data)
        return {"quiz"}

    def _apply_points(self, event, data) -> set[str]:
        award = self.quiz.apply_points(event["seq"], data)
        self.tab.set_points(award.round, award.contestant, award.key, award.type, award.points)
        return self._quiz_changed(award.round, award.contestant)

    def _apply_undo(self, event, data) -> set[str]:
        award = self.quiz.apply_undo(data)
        self.tab.remove_points(award.round, award.contestant, award.key)
        return self._quiz_changed(award.round, award.contestant)

    def _quiz_changed(self, rid: str, cid: str) -> set[str]:
        # Awards are shown at once: in a quiz the running total is the show.
        self.revealed.add((rid, cid))
        self._publish_or_hold(cid)
        category = self.contest.contestant(cid).category  # type: ignore[union-attr]
        changed = {"quiz", "status", f"private:{category}"}
        if not self.frozen:
            self.public_last = self.quiz.last
            changed.add(f"standings:{category}")
        return changed

    def _apply_judge_connected(self, event, data) -> set[str]:
        self.connected[data["judge"]] = event["at"]
        return {"connected"}

    def _apply_server_started(self, event, data) -> set[str]:
        return set()

    def preview_correction(self, data: dict[str, Any], rows) -> tuple[str, Any, Any]:
        """The private standings of the contestant's category before and after a correction,
        without logging or keeping it. ``rows(tab, category)`` renders the standings."""
        self._check_correction("", data)
        rid, cid, jid = data["round"], data["contestant"], data["judge"]
        category = self.contest.contestant(cid).category  # type: ignore[union-attr]
        before = rows(self.tab, category)
        old = self.tab.cards(rid, cid).get(jid)
        self.tab.set_card(rid, cid, jid, data["scores"])
        try:
            after = rows(self.tab, category)
        finally:
            if old is None:
                self.tab.remove_card(rid, cid, jid)
            else:
                self.tab.set_card(rid, cid, jid, old)
        return category, before, after

    def all_submitted(self, rid: str, cid: str) -> bool:
        done = self.cards.get((rid, cid), {})
        return all(j in done for j in self.expected_judges(rid, cid))


def _reason(data: dict[str, Any]) -> str:
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise FlowError("reason_required", "give a written reason")
    return reason


def _adjustment(contest: Contest, data: dict[str, Any]) -> Adjustment:
    cid = data.get("contestant")
    if not isinstance(cid, str) or contest.contestant(cid) is None:
        raise FlowError("unknown_contestant", f"unknown contestant {cid!r}")
    rid = data.get("round", "") or ""
    if rid and contest.round(rid) is None:
        raise FlowError("unknown_round", f"unknown round {rid!r}")
    try:
        points = parse_decimal(data.get("points"))
    except ValueError as e:
        raise FlowError("not_a_number", f"points: {e}") from None
    if points == Decimal(0):
        raise FlowError("bad_request", "an adjustment of 0 points changes nothing")
    return Adjustment(cid, points, _reason(data).strip(), rid)
