"""Loading a whole round of cards at once: the full recompute's way in.

Split from the tabulator (``judging.rules.engine``): ``tabulate`` feeds each round's cards
through ``load_round``, which takes, refuses and reports exactly what ``set_card`` one card
at a time would (the property tests hold it to that), in a fraction of the time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Iterable, Mapping

from judging.rules.model import Round
from judging.rules.validate import check_card

if TYPE_CHECKING:
    from judging.rules.engine import Tabulator


def load_round(
    tab: Tabulator, rid: str, cards: Iterable[tuple[str, str, str, Mapping[str, object]]], others: bool = False
) -> None:
    """``set_card`` for each of many cards of one round (a full recompute), with the
    caches invalidated once per contestant instead of once per card. Safe because one
    round's cards never decide who takes part in that round. A bad card raises its
    MarkError; the cards before it stay set, as with ``set_card`` one by one.

    For the same reason who may mark each contestant is worked out once. A card from one
    of them whose marks are all texts already checked is taken in one step, and their
    other cards are checked mark by mark; a card from anyone else goes through
    ``check_card``, for the error that says why.

    ``others``: items of any other round are passed over, as ``tabulate`` passes over a
    round the contest does not have; otherwise one is an error."""
    rnd = tab.contest.round(rid)
    bulk = rnd is not None and rnd.kind == "judged"
    marks = rnd._marks if bulk else {}  # type: ignore[union-attr, attr-defined]
    n = len(marks)
    # Contestant -> (who may mark them, their cards taken so far); the cards join the
    # tabulator's at the end, or at the first error.
    seen: dict[str, tuple[frozenset[str], dict[str, dict[str, Decimal]]]] = {}
    nobody: frozenset[str] = frozenset()
    try:
        for item in cards:
            try:
                card_rid, cid, jid, scores = item
            except ValueError:
                if others and item[0] != rid:
                    continue
                raise
            if card_rid != rid:
                if others:
                    continue
                raise ValueError(f"card for round {card_rid!r} among the cards of round {rid!r}")
            entry = seen.get(cid)
            if entry is None:
                entry = seen[cid] = (_scorers(tab, rnd, cid) if bulk else nobody, {})  # type: ignore[arg-type]
            may, held = entry
            if jid in may:
                card = None
                if type(scores) is dict and len(scores) == n:
                    card = {}
                    try:
                        for key, value in scores.items():
                            card[key] = marks[key][value]
                    except (KeyError, TypeError):
                        card = None
                if card is None:  # a text not checked yet, or not a card: check it whole
                    card = check_card(tab.contest, rnd, tab.contest.contestant(cid), jid, scores)  # type: ignore[arg-type]
            else:  # the error that says why this judge may not mark this contestant
                card = tab.check_card(rid, cid, jid, scores)
            held[jid] = card
    finally:
        store = tab._cards
        for cid, (_, held) in seen.items():
            if held:
                known = store.get((rid, cid))
                if known is None:
                    store[(rid, cid)] = held
                else:
                    known.update(held)
                tab._touch(rid, cid)


def _scorers(tab: Tabulator, rnd: Round, cid: str) -> frozenset[str]:
    """Ids of the judges whose card for this contestant passes every target check now
    (``check_target`` and ``_check_participant``); empty when none would."""
    contestant = tab.contest.contestant(cid)
    if contestant is None:
        return frozenset()
    if tab.contest.combine == "advancement" and tab._index[rnd.id] > 0:
        if cid not in tab.participants(rnd.id, contestant.category):
            return frozenset()
    return tab.contest.scorers(rnd, contestant)[1]
