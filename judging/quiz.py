"""Live points rounds (quizzes): the current question and the host's awards, as events.

An award is ``points`` (a team, a question type and number, an outcome); an undo is its own
event naming the award it takes back, so the log keeps both. A team holds at most one standing
award per question ("buzzer#7"), which is exactly the key a scores file uses offline, so the
live log and the equivalent scores file tabulate the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from judging.rules.decimals import parse_decimal
from judging.rules.errors import MarkError
from judging.rules.model import Contest, QuestionType, Round

OUTCOMES = ("correct", "wrong", "none")


class QuizError(MarkError):
    """An award or question the quiz does not allow (same shape as a mark error)."""


@dataclass(frozen=True)
class Award:
    seq: int
    round: str
    contestant: str
    type: str
    number: int
    outcome: str
    points: Decimal

    @property
    def key(self) -> str:
        return f"{self.type}#{self.number}"


def points_for(qtype: QuestionType, outcome: str, stake: Any) -> Decimal:
    """What an outcome is worth: the contest file's value, or the stake won or lost."""
    if outcome not in OUTCOMES:
        raise QuizError("bad_request", f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if qtype.stakes:
        if outcome == "none":
            return Decimal(0)
        try:
            value = parse_decimal(stake)
        except ValueError:
            shown = ", ".join(f"{s:f}" for s in qtype.stakes)
            raise QuizError("stake_required", f"{qtype.name}: choose a stake ({shown})") from None
        if value not in qtype.stakes:
            shown = ", ".join(f"{s:f}" for s in qtype.stakes)
            raise QuizError("points_not_allowed", f"{qtype.name}: a stake of {value} is not allowed ({shown})")
        return value if outcome == "correct" else -value
    return {"correct": qtype.correct, "wrong": qtype.wrong, "none": qtype.none}[outcome]


class Quiz:
    def __init__(self, contest: Contest):
        self.contest = contest
        self.question: dict[str, Any] | None = None  # {"round", "type", "number"}
        self.awards: dict[int, Award] = {}  # by event seq, including undone ones
        self.undone: set[int] = set()
        self.last: tuple[str, int] | None = None  # ("award" | "undo", award seq)

    def standing(self, rid: str, cid: str) -> dict[str, Award]:
        """A team's awards still counting in a round, by question key."""
        return {
            a.key: a
            for seq, a in self.awards.items()
            if a.round == rid and a.contestant == cid and seq not in self.undone
        }

    def last_standing(self, rid: str) -> int | None:
        live = [seq for seq, a in self.awards.items() if a.round == rid and seq not in self.undone]
        return max(live) if live else None

    # -- checks: each returns the event data as it will be logged, complete ------------------

    def check_question(self, rnd: Round, data: dict[str, Any]) -> dict[str, Any]:
        qtype = _question_type(rnd, data.get("type"))
        number = data.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise QuizError("bad_request", "the question number is a whole number from 1")
        return {"type": qtype.id, "number": number}

    def check_points(self, rnd: Round, data: dict[str, Any]) -> dict[str, Any]:
        cid = data.get("contestant")
        if not isinstance(cid, str) or self.contest.contestant(cid) is None:
            raise QuizError("unknown_contestant", f"unknown contestant {cid!r}")
        current = self.question if self.question and self.question["round"] == rnd.id else {}
        qid = data.get("type", current.get("type"))
        number = data.get("number", current.get("number"))
        if qid is None or number is None:
            raise QuizError("no_question", "pick the question first (its type and number)")
        asked = self.check_question(rnd, {"type": qid, "number": number})
        qtype = rnd.question(asked["type"])
        points = points_for(qtype, data.get("outcome"), data.get("stake"))  # type: ignore[arg-type]
        key = f"{asked['type']}#{asked['number']}"
        if key in self.standing(rnd.id, cid):
            name = self.contest.contestant(cid).name  # type: ignore[union-attr]
            raise QuizError("already_awarded", f"{name} already has an award for {qtype.name} {asked['number']}: undo it first")
        out = {"round": rnd.id, "contestant": cid, **asked, "outcome": data["outcome"], "points": f"{points:f}"}
        if qtype.stakes and data["outcome"] != "none":
            out["stake"] = f"{abs(points):f}"
        return out

    def check_undo(self, rid: str, data: dict[str, Any]) -> dict[str, Any]:
        target = data.get("award")
        if target is None:
            target = self.last_standing(rid)
            if target is None:
                raise QuizError("nothing_to_undo", "there is no award to undo in this round")
        if not isinstance(target, int) or isinstance(target, bool) or target not in self.awards:
            raise QuizError("unknown_award", f"no award was logged as event {target!r}")
        if self.awards[target].round != rid:
            # That round's totals are settled; an undo here must not change them.
            raise QuizError("unknown_award", f"the award of event {target} is from round {self.awards[target].round!r}, not this round")
        if target in self.undone:
            raise QuizError("already_undone", f"the award of event {target} is already undone")
        return {"award": target}

    # -- apply -----------------------------------------------------------------------------

    def apply_question(self, rid: str, data: dict[str, Any]) -> None:
        self.question = {"round": rid, "type": data["type"], "number": data["number"]}

    def apply_points(self, seq: int, data: dict[str, Any]) -> Award:
        award = Award(seq, data["round"], data["contestant"], data["type"], data["number"], data["outcome"], Decimal(data["points"]))
        self.awards[seq] = award
        self.last = ("award", seq)
        return award

    def apply_undo(self, data: dict[str, Any]) -> Award:
        self.undone.add(data["award"])
        self.last = ("undo", data["award"])
        return self.awards[data["award"]]


def _question_type(rnd: Round, qid: Any) -> QuestionType:
    qtype = rnd.question(qid) if isinstance(qid, str) else None
    if qtype is None:
        names = ", ".join(q.id for q in rnd.questions)
        raise QuizError("unknown_question", f"unknown question type {qid!r} in round {rnd.name} (types: {names})")
    return qtype
