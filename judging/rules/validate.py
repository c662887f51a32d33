"""Checks on a single mark: who may score whom, in which round, with which values.

Each failure is a ``MarkError`` with a stable code (the protocol sends it to clients) and a
sentence naming what is wrong.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Mapping

from judging.rules.decimals import on_step, parse_decimal
from judging.rules.errors import MarkError
from judging.rules.model import Contest, Contestant, Criterion, Round


def check_target(contest: Contest, rid: str, cid: str, jid: str | None) -> tuple[Round, Contestant]:
    """The round and contestant exist and, for a judge, that judge may score them."""
    rnd = contest.round(rid)
    if rnd is None:
        raise MarkError("unknown_round", f"unknown round {rid!r}")
    contestant = contest.contestant(cid)
    if contestant is None:
        raise MarkError("unknown_contestant", f"unknown contestant {cid!r}")
    if jid is None:
        if rnd.kind != "points":
            raise MarkError("not_points_round", f"round {rnd.name} is scored by judges, not by points")
        return rnd, contestant
    if rnd.kind == "points":
        raise MarkError("points_round", f"round {rnd.name} is a points round: the host awards points, judges do not mark")
    judge = contest.judge(jid)
    if judge is None:
        raise MarkError("unknown_judge", f"unknown judge {jid!r}")
    if judge.panel not in rnd.panels:
        raise MarkError("not_on_panel", f"judge {judge.name} ({jid}) is not on a panel of round {rnd.name}")
    if judge.categories and contestant.category not in judge.categories:
        raise MarkError("wrong_category", f"judge {judge.name} ({jid}) does not judge category {contestant.category}")
    if contest.is_recused(jid, cid):
        raise MarkError("recused", f"judge {judge.name} ({jid}) is recused from {contestant.name} ({cid})")
    return rnd, contestant


def _criterion(rnd: Round, criterion: str) -> Criterion:
    if not criterion and len(rnd.criteria) == 1:
        return rnd.criteria[0]
    found = rnd.criterion(criterion)
    if found is None:
        names = ", ".join(c.id for c in rnd.criteria)
        raise MarkError("unknown_criterion", f"unknown criterion {criterion!r} in round {rnd.name} (criteria: {names})")
    return found


CHECKED_LIMIT = 4096  # distinct texts remembered per criterion


def check_value(crit: Criterion, value: object) -> Decimal:
    # Text already checked for this criterion gives the same mark (only exact str: a float
    # or a bool must still be refused, and they hash like the Decimal they equal).
    text = value if type(value) is str else None
    if text is not None:
        mark = crit._checked.get(text)  # type: ignore[attr-defined]
        if mark is not None:
            return mark
    try:
        mark = parse_decimal(value)
    except ValueError as e:
        raise MarkError("not_a_number", f"{crit.name}: {e}") from None
    if not (crit.min <= mark <= crit.max):
        raise MarkError("out_of_range", f"{crit.name}: {mark} is outside {crit.min}..{crit.max}")
    if not on_step(mark, crit.min, crit.step):
        raise MarkError("off_step", f"{crit.name}: {mark} is not on a step of {crit.step} from {crit.min}")
    if text is not None and len(crit._checked) < CHECKED_LIMIT:  # type: ignore[attr-defined]
        crit._checked[text] = mark  # type: ignore[attr-defined]
    return mark


def check_cell(contest: Contest, rnd: Round, criterion: str, value: object) -> tuple[str, Decimal]:
    crit = _criterion(rnd, criterion)
    return crit.id, check_value(crit, value)


def check_card(
    contest: Contest, rnd: Round, contestant: Contestant, jid: str, scores: Mapping[str, object]
) -> dict[str, Decimal]:
    """A whole card: one valid mark for every criterion of the round, nothing else."""
    if type(scores) is dict and len(scores) == len(rnd.criteria):
        # Every mark a text already checked for its criterion: the card is valid as it
        # stands (a dict's keys are distinct, and as many as the round's criteria).
        try:
            return {key: rnd._marks[key][value] for key, value in scores.items()}  # type: ignore[attr-defined]
        except (KeyError, TypeError):  # a new text, another type, or not a criterion id
            pass
    if type(scores) is not dict and not isinstance(scores, Mapping):
        raise MarkError("bad_card", "a card maps each criterion to a mark")
    card: dict[str, Decimal] = {}
    by_id = rnd._criteria  # type: ignore[attr-defined]
    for key, value in scores.items():
        crit = by_id.get(key) or _criterion(rnd, key)
        if crit.id in card:
            raise MarkError("duplicate_criterion", f"{crit.name} is marked twice")
        mark = crit._checked.get(value) if type(value) is str else None  # type: ignore[attr-defined]
        card[crit.id] = mark if mark is not None else check_value(crit, value)
    if len(card) != len(rnd.criteria):  # keys are distinct criteria of the round
        missing = [c.name for c in rnd.criteria if c.id not in card]
        raise MarkError("missing_criterion", f"no mark for {', '.join(missing)}")
    return card


def check_points(rnd: Round, question: str, points: object) -> Decimal:
    qtype = rnd.question(question)
    if qtype is None:
        names = ", ".join(q.id for q in rnd.questions)
        raise MarkError("unknown_question", f"unknown question type {question!r} in round {rnd.name} (types: {names})")
    try:
        value = parse_decimal(points)
    except ValueError as e:
        raise MarkError("not_a_number", f"{qtype.name}: {e}") from None
    allowed = qtype.allowed()
    if value not in allowed:
        shown = ", ".join(str(v) for v in sorted(allowed))
        raise MarkError("points_not_allowed", f"{qtype.name}: {value} points is not allowed (allowed: {shown})")
    return value
