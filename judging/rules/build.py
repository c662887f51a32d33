"""Build a checked ``Contest`` from the plain data of a parsed contest file.

Pure: takes dicts and lists (as ``tomllib`` gives them, numbers as Decimal) and either
returns a Contest or raises ``ContestInvalid`` listing every problem with its key path.
Entries that came from a roster carry ``__where__ = (file, row)`` so errors point there.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from judging.rules.decimals import ROUNDING_MODES, parse_decimal
from judging.rules.errors import ContestError, ContestInvalid
from judging.rules.model import (
    AGGREGATION_RULES,
    ROUND_AT,
    TIE_AT_CUT,
    TOO_FEW_POLICIES,
    Adjustment,
    Category,
    Contest,
    Contestant,
    Criterion,
    Judge,
    ManualAward,
    Panel,
    QuestionType,
    Recusal,
    Round,
    SingleAward,
    Tier,
    UnitStanding,
)

TOTAL = "total"  # the implicit criterion of a round scored as one total per judge


class _Errors:
    def __init__(self) -> None:
        self.items: list[ContestError] = []
        self.readers: list[_Reader] = []

    def unknown_keys(self) -> None:
        """A misspelt key would silently fall back to its default: report it instead.
        Roster rows (which carry ``__where__``) may have extra columns of the organisers' own."""
        for reader in self.readers:
            if reader.where:
                continue
            for key in reader.data:
                if key not in reader.read:
                    known = ", ".join(sorted(k for k in reader.read if k != "__where__"))
                    self.add(reader.sub(key), f"unknown key (known keys here: {known})")

    def add(self, path: str, message: str, where: tuple[str, int] | None = None) -> None:
        if where:
            self.items.append(ContestError(message, path, source=where[0], line=where[1]))
        else:
            self.items.append(ContestError(message, path))


class _Reader:
    """Typed access to one table, recording an error instead of raising."""

    def __init__(self, data: Any, path: str, errors: _Errors):
        self.path = path
        self.errors = errors
        self.where = data.get("__where__") if isinstance(data, dict) else None
        if not isinstance(data, dict):
            errors.add(path, f"expected a table, got {_kind(data)}")
            data = {}
        self.data = data
        self.read: set[str] = {"__where__"}
        errors.readers.append(self)

    def mark(self, *keys: str) -> None:
        """Keys this table reads directly rather than through a typed accessor."""
        self.read.update(keys)

    def err(self, key: str, message: str) -> None:
        self.errors.add(self.sub(key), message, self.where)

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def str(self, key: str, default: str | None = None, *, choices: tuple[str, ...] = ()) -> str:
        self.read.add(key)
        value = self.data.get(key, default)
        if value is None:
            self.err(key, "is required" + (f" (one of {', '.join(choices)})" if choices else ""))
            return ""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # ids such as 101 in a roster
        if not isinstance(value, str):
            self.err(key, f"expected text, got {_kind(value)}")
            return default or ""
        value = value.strip()
        if choices and value not in choices:
            self.err(key, f"expected one of {', '.join(choices)}, got {value!r}")
            return default if default is not None else choices[0]
        return value

    def int(self, key: str, default: int | None = None, *, low: int = 0) -> int | None:
        self.read.add(key)
        value = self.data.get(key, default)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(key, f"expected a whole number, got {value!r}")
            return default
        if value < low:
            self.err(key, f"expected a whole number of at least {low}, got {value}")
            return default
        return value

    def dec(self, key: str, default: Decimal | None = None) -> Decimal | None:
        self.read.add(key)
        value = self.data.get(key, default)
        if value is None:
            return None
        try:
            return parse_decimal(value)
        except ValueError as e:
            self.err(key, str(e))
            return default

    def bool(self, key: str, default: bool = False) -> bool:
        self.read.add(key)
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.err(key, f"expected true or false, got {value!r}")
            return default
        return value

    def list(self, key: str) -> list[Any]:
        self.read.add(key)
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.err(key, f"expected a list, got {_kind(value)}")
            return []
        return value

    def strs(self, key: str) -> tuple[str, ...]:
        out = []
        for i, v in enumerate(self.list(key)):
            if not isinstance(v, str):
                self.err(f"{key}[{i}]", f"expected text, got {_kind(v)}")
            else:
                out.append(v)
        return tuple(out)


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "text", bool: "true/false"}.get(type(value), repr(value))


def _unique(errors: _Errors, path: str, items: list[tuple[str, tuple[str, int] | None]], what: str) -> None:
    seen: set[str] = set()
    for i, (ident, where) in enumerate(items):
        if ident and ident in seen:
            errors.add(f"{path}[{i}].id", f"duplicate {what} id {ident!r}", where)
        seen.add(ident)


def build_contest(data: dict[str, Any]) -> Contest:
    errors = _Errors()
    top = _Reader(data, "", errors)
    head = _Reader(data.get("contest", {}), "contest", errors)
    top.mark("contest", "stages", "ranking", "awards", "live")
    head.mark("roster")  # read by the file loader
    recuse_same_unit = head.bool("recuse_same_unit", False)
    name = head.str("name")
    language = head.str("language", "zh", choices=("zh", "en"))
    precision = head.int("precision", 2) or 0
    if precision > 6:
        head.err("precision", f"expected at most 6 decimals, got {precision}")
    rounding = head.str("rounding", "half-up", choices=tuple(ROUNDING_MODES))

    categories = [_category(_Reader(d, f"categories[{i}]", errors)) for i, d in enumerate(top.list("categories"))]
    if not categories:
        errors.add("categories", "at least one category is required")
    _unique(errors, "categories", [(c.id, None) for c in categories], "category")
    category_ids = {c.id for c in categories}

    panels = [_panel(_Reader(d, f"panels[{i}]", errors)) for i, d in enumerate(top.list("panels"))]
    _unique(errors, "panels", [(p.id, None) for p in panels], "panel")
    panel_ids = [p.id for p in panels]

    judges = []
    for i, d in enumerate(top.list("judges")):
        r = _Reader(d, f"judges[{i}]", errors)
        judge = _judge(r)
        if judge.panel not in panel_ids:
            r.err("panel", f"unknown panel {judge.panel!r} (panels: {', '.join(panel_ids) or 'none'})")
        for c in judge.categories:
            if c not in category_ids:
                r.err("categories", f"unknown category {c!r}")
        judges.append(judge)
    _unique(errors, "judges", [(j.id, None) for j in judges], "judge")

    stages = _Reader(data.get("stages", {}), "stages", errors)
    combine = stages.str("combine", "weighted", choices=("weighted", "advancement"))
    carry_over = stages.bool("carry_over", False)

    rounds = [_round(_Reader(d, f"rounds[{i}]", errors), panel_ids) for i, d in enumerate(top.list("rounds"))]
    if not rounds:
        errors.add("rounds", "at least one round is required")
    _unique(errors, "rounds", [(r.id, None) for r in rounds], "round")
    panel_by_id = {p.id: p for p in panels}
    for i, rnd in enumerate(rounds):
        _check_round(errors, f"rounds[{i}]", rnd, panel_by_id, combine, last=i == len(rounds) - 1)
    if combine == "weighted" and len(rounds) > 1:
        total = sum((r.weight for r in rounds), Decimal(0))
        if total != 1:
            errors.add("rounds", f"round weights must sum to 1, they sum to {total}")

    contestants = []
    for i, d in enumerate(top.list("contestants")):
        r = _Reader(d, f"contestants[{i}]", errors)
        c = _contestant(r, i)
        if not c.category:
            r.err("category", f"is required: expected one of the categories {', '.join(sorted(category_ids))}")
        elif c.category not in category_ids:
            r.err("category", f"unknown category {c.category!r} (categories: {', '.join(sorted(category_ids))})")
        contestants.append(c)
    if not contestants:
        errors.add("contestants", "no contestants: list them under [[contestants]] or in contest.roster")
    _unique(errors, "contestants", [(c.id, _where(d)) for c, d in zip(contestants, top.list("contestants"))], "contestant")
    contestant_ids = {c.id for c in contestants}
    judge_ids = {j.id for j in judges}
    round_ids = [r.id for r in rounds]

    recusals = []
    for i, d in enumerate(top.list("recusals")):
        r = _Reader(d, f"recusals[{i}]", errors)
        rec = Recusal(judge=r.str("judge"), contestant=r.str("contestant", ""), unit=r.str("unit", ""))
        if rec.judge and rec.judge not in judge_ids:
            r.err("judge", f"unknown judge {rec.judge!r}")
        if rec.contestant and rec.contestant not in contestant_ids:
            r.err("contestant", f"unknown contestant {rec.contestant!r}")
        if not rec.contestant and not rec.unit:
            r.err("contestant", "a recusal names a contestant or a unit")
        recusals.append(rec)

    adjustments = [
        _adjustment(_Reader(d, f"adjustments[{i}]", errors), contestant_ids, round_ids)
        for i, d in enumerate(top.list("adjustments"))
    ]

    all_criteria = {c.id for r in rounds for c in r.criteria}
    ranking = _Reader(data.get("ranking", {}), "ranking", errors)
    tie_break = ranking.strs("tie_break")
    for i, key in enumerate(tie_break):
        kind, _, arg = key.partition(":")
        ok = (
            (kind == "panel" and arg in panel_ids)
            or (kind == "criterion" and arg in all_criteria)
            or (kind == "round" and arg in round_ids)
            or (key in ("raw_mean", "highest_marks"))
        )
        if not ok:
            ranking.err(
                f"tie_break[{i}]",
                f"unknown tie-break {key!r}: expected panel:<id>, criterion:<id>, round:<id>, raw_mean or highest_marks",
            )

    awards = _Reader(data.get("awards", {}), "awards", errors)
    tiers = []
    for i, d in enumerate(awards.list("tiers")):
        r = _Reader(d, f"awards.tiers[{i}]", errors)
        tier = Tier(name=r.str("name"), count=r.int("count", None, low=1), share=r.dec("share"))
        if (tier.count is None) == (tier.share is None):
            r.err("count", "a tier gives exactly one of count or share")
        if tier.share is not None and not (0 < tier.share <= 1):
            r.err("share", f"expected a share between 0 and 1, got {tier.share}")
        tiers.append(tier)
    shares = sum((t.share for t in tiers if t.share is not None), Decimal(0))
    if shares > 1:
        errors.add("awards.tiers", f"tier shares add up to {shares}, more than the whole field")
    tie_at_cut = awards.str("tie_at_cut", "include", choices=TIE_AT_CUT)
    share_rounding = awards.str("share_rounding", "floor", choices=("floor", "half-up", "ceil"))

    singles = []
    for i, d in enumerate(awards.list("single")):
        r = _Reader(d, f"awards.single[{i}]", errors)
        crit = r.str("criterion")
        holders = [rd.id for rd in rounds if rd.criterion(crit)]
        rid = r.str("round", holders[-1] if holders else "")
        if not holders:
            r.err("criterion", f"unknown criterion {crit!r}")
        elif rid not in holders:
            r.err("round", f"round {rid!r} has no criterion {crit!r}")
        singles.append(SingleAward(name=r.str("name"), criterion=crit, round=rid))

    manual = []
    for i, d in enumerate(awards.list("manual")):
        r = _Reader(d, f"awards.manual[{i}]", errors)
        m = ManualAward(contestant=r.str("contestant"), award=r.str("award"), reason=r.str("reason"))
        if m.contestant and m.contestant not in contestant_ids:
            r.err("contestant", f"unknown contestant {m.contestant!r}")
        manual.append(m)

    units = None
    awards.mark("units")
    if "units" in awards.data:
        r = _Reader(awards.data["units"], "awards.units", errors)
        units = UnitStanding(
            name=r.str("name", "团体"),
            method=r.str("method", "sum", choices=("sum", "mean")),
            best=r.int("best", None, low=1),
        )

    live = _Reader(data.get("live", {}), "live", errors)
    auto_reveal = live.bool("auto_reveal", False)
    errors.unknown_keys()
    if errors.items:
        raise ContestInvalid(errors.items)
    return Contest(
        name=name,
        language=language,
        precision=precision,
        rounding=rounding,
        categories=tuple(categories),
        panels=tuple(panels),
        judges=tuple(judges),
        rounds=tuple(rounds),
        contestants=tuple(sorted(contestants, key=lambda c: (c.order, c.id))),
        combine=combine,
        carry_over=carry_over,
        recusals=tuple(recusals),
        recuse_same_unit=recuse_same_unit,
        adjustments=tuple(adjustments),
        tie_break=tie_break,
        tiers=tuple(tiers),
        tie_at_cut=tie_at_cut,
        share_rounding=share_rounding,
        single_awards=tuple(singles),
        manual_awards=tuple(manual),
        units=units,
        auto_reveal=auto_reveal,
    )


def _where(d: Any) -> tuple[str, int] | None:
    return d.get("__where__") if isinstance(d, dict) else None


def _category(r: _Reader) -> Category:
    cid = r.str("id")
    return Category(id=cid, name=r.str("name", cid))


def _panel(r: _Reader) -> Panel:
    pid = r.str("id")
    weight = r.dec("weight", Decimal(1))
    if weight is not None and not (0 <= weight <= 1):
        r.err("weight", f"expected a weight between 0 and 1, got {weight}")
    rule = r.str("rule", "mean", choices=AGGREGATION_RULES)
    trim = r.int("trim", 1 if rule == "trimmed" else 0) or 0
    if rule == "trimmed" and trim < 1:
        r.err("trim", "a trimmed panel drops at least one mark from each end")
    if rule != "trimmed" and trim:
        r.err("trim", f"trim only applies to rule = \"trimmed\", this panel uses {rule!r}")
    return Panel(
        id=pid,
        name=r.str("name", pid),
        weight=weight or Decimal(0),
        rule=rule,
        trim=trim,
        too_few=r.str("too_few", "mean", choices=TOO_FEW_POLICIES),
    )


def _judge(r: _Reader) -> Judge:
    jid = r.str("id")
    return Judge(
        id=jid,
        name=r.str("name", jid),
        panel=r.str("panel"),
        unit=r.str("unit", ""),
        shadow=r.bool("shadow", False),
        categories=r.strs("categories"),
    )


def _criterion(r: _Reader, cid: str | None = None) -> Criterion:
    cid = cid or r.str("id")
    low, high, step = r.dec("min", Decimal(0)), r.dec("max"), r.dec("step", Decimal(1))
    factor = r.dec("factor", Decimal(1))
    if high is None:
        r.err("max", "is required")
        high = Decimal(0)
    low = low if low is not None else Decimal(0)
    step = step or Decimal(1)
    if high <= low:
        r.err("max", f"max ({high}) must be greater than min ({low})")
    elif step <= 0:
        r.err("step", f"step must be positive, got {step}")
    elif (high - low) % step != 0:
        r.err("step", f"step {step} does not divide the range {low}..{high}")
    if factor is not None and factor <= 0:
        r.err("factor", f"factor must be positive, got {factor}")
    return Criterion(id=cid, name=r.str("name", cid), min=low, max=high, step=step, factor=factor or Decimal(1))


def _round(r: _Reader, panel_ids: list[str]) -> Round:
    rid = r.str("id")
    kind = r.str("kind", "judged", choices=("judged", "points"))
    round_at = r.strs("round_at") or ("end",)
    for i, place in enumerate(round_at):
        if place not in ROUND_AT:
            r.err(f"round_at[{i}]", f"expected one of {', '.join(ROUND_AT)}, got {place!r}")
    criteria: list[Criterion] = []
    questions: list[QuestionType] = []
    if kind == "judged":
        for i, d in enumerate(r.list("criteria")):
            criteria.append(_criterion(_Reader(d, r.sub(f"criteria[{i}]"), r.errors)))
        if not criteria:
            if "max" not in r.data:
                r.err("criteria", "a judged round lists criteria, or gives min/max/step for one total")
            else:
                criteria.append(_criterion(r, TOTAL))
        _unique(r.errors, r.sub("criteria"), [(c.id, None) for c in criteria], "criterion")
    else:
        r.mark("questions")
        qs = r.data.get("questions", {})
        if not isinstance(qs, dict) or not qs:
            r.err("questions", "a points round lists its question types, e.g. buzzer = { correct = 10, wrong = -10 }")
            qs = {}
        for qid, d in qs.items():
            q = _Reader(d, r.sub(f"questions.{qid}"), r.errors)
            stakes = tuple(parse_decimal(s) for s in q.list("stakes") if _is_number(s))
            if len(stakes) != len(q.list("stakes")):
                q.err("stakes", "stakes are numbers")
            if any(s <= 0 for s in stakes):
                q.err("stakes", "stakes are positive: a lost stake is deducted")
            questions.append(
                QuestionType(
                    id=qid,
                    name=q.str("name", qid),
                    correct=q.dec("correct", Decimal(0)) or Decimal(0),
                    wrong=q.dec("wrong", Decimal(0)) or Decimal(0),
                    none=q.dec("none", Decimal(0)) or Decimal(0),
                    stakes=stakes,
                )
            )
    panels = r.strs("panels") or (tuple(panel_ids) if kind == "judged" else ())
    weights = {}
    r.mark("panel_weights")
    given = r.data.get("panel_weights") or {}
    if not isinstance(given, dict):
        r.err("panel_weights", f"expected a table of panel = weight, got {_kind(given)}")
        given = {}
    for pid, w in given.items():
        try:
            weights[pid] = parse_decimal(w)
        except ValueError as e:
            r.err(f"panel_weights.{pid}", str(e))
            continue
        if not 0 <= weights[pid] <= 1:
            r.err(f"panel_weights.{pid}", f"expected a weight between 0 and 1, got {weights[pid]}")
    return Round(
        id=rid,
        name=r.str("name", rid),
        kind=kind,
        aggregate=r.str("aggregate", "judge-total", choices=("judge-total", "per-criterion")),
        round_at=frozenset(round_at),
        panels=panels,
        panel_weights=weights,
        criteria=tuple(criteria),
        weight=r.dec("weight", Decimal(1)) or Decimal(0),
        advance=r.int("advance", None, low=1),
        start=r.dec("start", Decimal(0)) or Decimal(0),
        questions=tuple(questions),
    )


def _is_number(v: Any) -> bool:
    try:
        parse_decimal(v)
        return True
    except ValueError:
        return False


def _check_round(errors: _Errors, path: str, rnd: Round, panels: dict[str, Panel], combine: str, last: bool) -> None:
    for i, pid in enumerate(rnd.panels):
        if pid not in panels:
            errors.add(f"{path}.panels[{i}]", f"unknown panel {pid!r} (panels: {', '.join(panels) or 'none'})")
    for pid in rnd.panel_weights:
        if pid not in rnd.panels:
            errors.add(f"{path}.panel_weights.{pid}", f"panel {pid!r} does not score this round")
    if rnd.kind == "judged":
        if not rnd.panels:
            errors.add(f"{path}.panels", "a judged round needs at least one panel")
        elif all(p in panels for p in rnd.panels):
            total = sum((rnd.panel_weights.get(p, panels[p].weight) for p in rnd.panels), Decimal(0))
            if total != 1:
                shown = ", ".join(f"{p}={rnd.panel_weights.get(p, panels[p].weight)}" for p in rnd.panels)
                errors.add(f"{path}.panels", f"panel weights must sum to 1, they sum to {total} ({shown})")
        if "criterion" in rnd.round_at and rnd.aggregate != "per-criterion":
            errors.add(f"{path}.round_at", 'rounding at "criterion" needs aggregate = "per-criterion"')
    if combine == "advancement":
        if not last and rnd.advance is None:
            errors.add(f"{path}.advance", "with stages.combine = \"advancement\" every round but the last says how many advance")
        if last and rnd.advance is not None:
            errors.add(f"{path}.advance", "the last round has no advancement")


def _contestant(r: _Reader, index: int) -> Contestant:
    cid = r.str("id")
    r.mark("members")
    members = r.data.get("members", ())
    if isinstance(members, str):
        members = [m.strip() for m in members.replace("；", ";").replace("、", ";").split(";") if m.strip()]
    elif not isinstance(members, (list, tuple)) or not all(isinstance(m, str) for m in members):
        r.err("members", f"expected names separated by 、 or ;, or a list of names, got {members!r}")
        members = ()
    return Contestant(
        id=cid,
        name=r.str("name"),
        category=r.str("category", ""),
        unit=r.str("unit", ""),
        order=r.int("order", index + 1) or 0,
        members=tuple(members),
    )


def _adjustment(r: _Reader, contestants: set[str], rounds: list[str]) -> Adjustment:
    adj = Adjustment(
        contestant=r.str("contestant"),
        points=r.dec("points", Decimal(0)) or Decimal(0),
        reason=r.str("reason"),
        round=r.str("round", ""),
    )
    if adj.contestant and adj.contestant not in contestants:
        r.err("contestant", f"unknown contestant {adj.contestant!r}")
    if adj.round and adj.round not in rounds:
        r.err("round", f"unknown round {adj.round!r}")
    if not adj.reason:
        r.err("reason", "an adjustment needs a written reason")
    return adj
