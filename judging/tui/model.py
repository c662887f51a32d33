"""Plain functions from the client's state to what the judge's screen shows.

No Textual here: the widgets render what these return, and tests can check them without a
terminal. Marks are checked with the same rule the server applies
(``judging.rules.validate.check_value``), so a card the form accepts is a card the server
accepts, and nothing the form refuses is ever sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from judging.rules.errors import MarkError
from judging.rules.model import Criterion
from judging.rules.validate import check_value
from judging.text import pad, width
from judging.tui.strings import t


def language(state: dict[str, Any], override: str | None) -> str:
    if override in ("zh", "en"):
        return override
    return "zh" if (state.get("contest") or {}).get("language") == "zh" else "en"


def current_round(state: dict[str, Any]) -> dict[str, Any] | None:
    rid = state.get("round")
    for r in (state.get("contest") or {}).get("rounds", []):
        if r["id"] == rid:
            return r
    return None


def criteria(state: dict[str, Any]) -> list[Criterion]:
    rnd = current_round(state) or {}
    return [
        Criterion(c["id"], c["name"], Decimal(c["min"]), Decimal(c["max"]), Decimal(c["step"]), Decimal(c["factor"]))
        for c in rnd.get("criteria", [])
    ]


def plain(value: Decimal) -> str:
    """10.00 -> 10, 0.50 -> 0.5: ranges read better without trailing zeros."""
    return f"{value.normalize():f}"


def same_mark(a: str, b: str) -> bool:
    """"9.5" and "9.50" are the same mark."""
    try:
        return Decimal(a) == Decimal(b)
    except ArithmeticError:
        return a == b


def range_text(crit: Criterion, lang: str) -> str:
    text = t("range", lang, min=plain(crit.min), max=plain(crit.max), step=plain(crit.step))
    if crit.factor != 1:
        text += " " + t("factor", lang, factor=plain(crit.factor))
    return text


def check_mark(crit: Criterion, text: str, lang: str) -> tuple[Decimal | None, str]:
    """The mark typed so far and, when it cannot be submitted, why (empty: fine)."""
    if not text.strip():
        return None, ""
    try:
        return check_value(crit, text.strip()), ""
    except MarkError as e:
        if e.code == "out_of_range":
            return None, t("bad_range", lang, min=plain(crit.min), max=plain(crit.max))
        if e.code == "off_step":
            return None, t("bad_step", lang, step=plain(crit.step), min=plain(crit.min))
        return None, t("bad_number", lang)


def running_total(crits: list[Criterion], marks: dict[str, Decimal | None]) -> Decimal:
    return sum((marks[c.id] * c.factor for c in crits if marks.get(c.id) is not None), Decimal(0))  # type: ignore[operator]


def names(state: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["name"] for c in (state.get("contest") or {}).get("contestants", [])}


@dataclass(frozen=True)
class Row:
    """One contestant in the judge's list."""

    cid: str
    name: str
    status: str  # waiting, open, closed, locked
    group: str  # open_now, scored, queue
    mark: str  # the judge's own total, or ""


def own_total(state: dict[str, Any], key: str) -> str:
    card = (state.get("mine") or {}).get(key)
    if not card:
        return ""
    crits = {c.id: c for c in criteria(state)}
    total = sum(
        (Decimal(v) * (crits[k].factor if k in crits else 1) for k, v in card["scores"].items()),
        Decimal(0),
    )
    return f"{total:f}"


def rows(state: dict[str, Any], pending: set[str]) -> list[Row]:
    """The judge's contestants, grouped: open now, already scored, and the queue."""
    rid = state.get("round", "")
    who = names(state)
    status = state.get("status") or {}
    out = []
    for cid in state.get("order") or []:
        st = (status.get(cid) or {}).get("status", "waiting")
        key = f"{rid}/{cid}"
        scored = key in (state.get("mine") or {}) or key in pending
        group = "open_now" if st == "open" else "scored" if scored or st in ("closed", "locked") else "queue"
        out.append(Row(cid, who.get(cid, cid), st, group, own_total(state, key)))
    return out


def row_label(row: Row, name_cells: int, lang: str, pending: bool) -> str:
    """A list line with CJK names padded by terminal cells, so columns line up."""
    mark = "…" if pending else row.mark
    return f"{pad(row.cid, 5)} {pad(row.name, name_cells)} {pad(t('st_' + row.status, lang), 7)} {mark}".rstrip()


def name_cells(rs: list[Row]) -> int:
    return max([width(r.name) for r in rs] + [4])


def local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return iso


def readonly_reason(state: dict[str, Any], cid: str, lang: str, scored: bool) -> str:
    """Why the form for this contestant cannot be submitted now ("" when it can)."""
    name = names(state).get(cid, cid)
    st = ((state.get("status") or {}).get(cid) or {}).get("status", "waiting")
    if st == "locked":
        return t("ro_locked", lang, name=name)
    if st == "waiting":
        return t("ro_waiting", lang, name=name)
    if st == "closed" and not scored:
        return t("ro_closed", lang, name=name)
    return ""


def delivery(
    state: dict[str, Any], outbox: dict[str, dict[str, Any]], key: str, connected: bool, lang: str
) -> str:
    """Where this judge's card for ``key`` stands: waiting on disk, sent, or recorded."""
    rid, cid = key.split("/", 1)
    if any(i["round"] == rid and i["contestant"] == cid for i in outbox.values()):
        return t("sent" if connected else "queued", lang)
    card = (state.get("mine") or {}).get(key)
    if card:
        return t("recorded", lang, time=local_time(card["at"]), rev=card["revision"])
    return ""
