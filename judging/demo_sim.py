"""The people of a simulated contest day: judges who score and a host who runs the stage.

Every one of them is a headless ``judging.client.Client`` talking to a real server, exactly
as the judge app and the control console do, so the demo exercises the whole live path
(authentication, checks, the durable log, broadcasts). Nothing here knows about Textual.

Marks are plausible and repeatable: each contestant has a seeded quality, each judge a seeded
leniency and spread, and each card depends only on (seed, round, contestant, judge), never on
timing. Marks are built as integer multiples of the criterion's step, so they are exact Decimals.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any, Callable

from judging.client import Client, ServerError
from judging.rules.model import Adjustment, Contest

Say = Callable[[str], None]


@dataclass
class Pace:
    """Time on the demo's stage: every pause at speed 1, divided by ``speed``."""

    speed: float = 1.0
    speak: float = 1.5  # a contestant on stage before scoring opens
    think: tuple[float, float] = (0.8, 3.0)  # a judge deciding on a mark
    step: float = 0.4  # between the host's actions (close, lock, reveal)
    read: float = 4.0  # the audience reads the 亮分 card
    ceremony: float = 3.0  # each stage of the prize ceremony

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


class Marks:
    """Seeded, plausible cards: quality per contestant, leniency and spread per judge."""

    def __init__(self, contest: Contest, seed: int):
        self.contest = contest
        self.seed = seed
        rng = random.Random(f"{seed}:people")
        self.quality = {c.id: rng.uniform(0.84, 0.95) for c in contest.contestants}
        self.leniency = {j.id: rng.gauss(0, 0.01) for j in contest.judges}
        self.spread = {j.id: rng.uniform(0.006, 0.02) for j in contest.judges}

    def card(self, rid: str, cid: str, jid: str) -> dict[str, str]:
        rnd = self.contest.round(rid)
        assert rnd is not None
        rng = random.Random(f"{self.seed}:{rid}:{cid}:{jid}")
        level = self.quality[cid] + self.leniency[jid] + rng.gauss(0, self.spread[jid])
        out = {}
        for k in rnd.criteria:
            own = min(1.0, max(0.0, level + rng.gauss(0, 0.01)))
            steps = int((k.max - k.min) / k.step)
            # Randomness picks a whole number of steps; the mark itself is exact.
            out[k.id] = f"{k.min + k.step * round(own * steps):f}"
        return out


class Judge:
    """A judge's laptop: scores every contestant opened for them, after a moment's thought."""

    def __init__(self, jid: str, client: Client, marks: Marks, pace: Pace, seed: int):
        self.jid = jid
        self.client = client
        self.marks = marks
        self.pace = pace
        self.rng = random.Random(f"{seed}:think:{jid}")
        self.changed = asyncio.Event()
        self.started: set[tuple[str, str]] = set()
        self.refused: list[ServerError] = []
        client.on_change = lambda _sections: self.changed.set()
        self.changed.set()  # look at what is open already (a resumed database)

    async def run(self) -> None:
        tasks: set[asyncio.Task] = set()
        try:
            while True:
                await self.changed.wait()
                self.changed.clear()
                state = self.client.state
                rid, mine = state.get("round"), state.get("mine") or {}
                for cid, st in (state.get("status") or {}).items():
                    key = (rid, cid)
                    if st.get("status") == "open" and f"{rid}/{cid}" not in mine and key not in self.started:
                        self.started.add(key)
                        task = asyncio.create_task(self._score(rid, cid))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
        finally:
            for task in list(tasks):
                task.cancel()

    async def _score(self, rid: str, cid: str) -> None:
        await self.pace.sleep(self.rng.uniform(*self.pace.think))
        sid = await self.client.submit(rid, cid, self.marks.card(rid, cid, self.jid))
        try:
            await self.client.wait_ack(sid, timeout=30)
        except ServerError as e:
            self.refused.append(e)  # e.g. closed meanwhile: a real judge would see it on screen
        except TimeoutError:
            pass  # still in the outbox: the client resends it after a reconnect


class Host:
    """The host and score secretary at the control console: the order of play, start to end."""

    # The server allows each connection 20 frames a second with bursts of 40, and answers a
    # frame over the limit with an error naming no action; a host at high speed stays under it.
    RATE, BURST = 18.0, 30.0

    def __init__(self, control: Client, contest: Contest, pace: Pace, say: Say, adjustments: list[Adjustment], marks: Marks):
        self.control = control
        self.contest = contest
        self.pace = pace
        self.say = say
        self.adjustments = list(adjustments)
        self.marks = marks
        self.revealed = 0  # judged results revealed
        self.awards = 0  # quiz awards standing
        self.finished = False
        self._tokens, self._stamp = self.BURST, time.monotonic()

    @property
    def state(self) -> dict[str, Any]:
        return self.control.state

    async def act(self, action: str, **data: Any) -> None:
        now = time.monotonic()
        self._tokens = min(self.BURST, self._tokens + (now - self._stamp) * self.RATE)
        self._stamp = now
        if self._tokens < 1:
            await asyncio.sleep((1 - self._tokens) / self.RATE)
            self._tokens, self._stamp = 1.0, time.monotonic()
        self._tokens -= 1
        await self.control.control(action, timeout=30, **data)

    def name_of(self, cid: str) -> str:
        c = self.contest.contestant(cid)
        return f"{cid} {c.name}" if c else cid

    def _status(self, cid: str) -> dict[str, Any]:
        return (self.state.get("status") or {}).get(cid) or {}

    async def run(self) -> None:
        ids = [r.id for r in self.contest.rounds]
        while True:
            rid = self.state["round"]
            if len(ids) > 1:
                self.say(f"round {self.contest.round(rid).name}")  # type: ignore[union-attr]
            if self.contest.round(rid).kind == "points":  # type: ignore[union-attr]
                from judging.demo_quiz import QuizHost

                await QuizHost(self, self.marks.seed, self.marks.quality).play(rid)
            else:
                for cid in list(self.state.get("order") or []):
                    await self.contestant(rid, cid)
            if ids.index(rid) == len(ids) - 1:
                break
            await self.act("next_round")
        await self.ceremony()
        self.finished = True

    async def contestant(self, rid: str, cid: str) -> None:
        st = self._status(cid)
        if st.get("status") == "locked" and st.get("revealed"):
            return  # done in an earlier run on this database
        if st.get("status", "waiting") == "waiting":
            await self.pace.sleep(self.pace.speak)
            try:
                await self.act("open", contestants=[cid])
            except ServerError as e:
                if e.code == "not_advanced":
                    return
                raise
            expected = (self.state.get("progress") or {}).get(cid, {}).get("expected", 0)
            self.say(f"{self.name_of(cid)}: scoring open, {expected} judges")
        if self._status(cid).get("status") in ("open", "closed"):
            await self.control.wait_for(lambda: not self._waiting(cid), timeout=3600)
            await self.pace.sleep(self.pace.step)
            if self._status(cid).get("status") == "open":
                await self.act("close", contestants=[cid])
            await self.pace.sleep(self.pace.step)
            await self.act("lock", contestants=[cid])
            self.say(f"{self.name_of(cid)}: every mark in; closed and locked")
        for adj in [a for a in self.adjustments if a.contestant == cid and a.round in ("", rid)]:
            self.adjustments.remove(adj)
            data = {"contestant": cid, "points": f"{adj.points:f}", "reason": adj.reason}
            await self.act("adjustment", **data, **({"round": adj.round} if adj.round else {}))
            self.say(f"{self.name_of(cid)}: {adj.points:+f} ({adj.reason})")
        if not self._status(cid).get("revealed"):
            await self.pace.sleep(self.pace.step)
            await self.act("reveal", contestants=[cid])
        card = self.state.get("reveal") or {}
        if card.get("contestant") == cid:
            shown = card.get("score") if card.get("score") == card.get("total") else f"{card.get('score')} -> total {card.get('total')}"
            self.say(f"{self.name_of(cid)}: revealed {shown}, rank {card.get('rank')}")
        self.revealed += 1
        await self.pace.sleep(self.pace.read)

    def _waiting(self, cid: str) -> list[str]:
        entry = (self.state.get("progress") or {}).get(cid)
        return entry.get("waiting", []) if entry else []

    async def ceremony(self) -> None:
        """The prize ceremony (颁奖), stage by stage, if the server offers it."""
        try:
            await self.act("ceremony", step=0)
        except ServerError as e:
            if e.code == "unknown_action":
                return
            raise
        steps = (self.state.get("ceremony") or {}).get("steps", 0)
        self.say(f"prize ceremony: {steps} stage{'' if steps == 1 else 's'}")
        for n in range(1, steps + 1):
            await self.pace.sleep(self.pace.ceremony)
            await self.act("ceremony", step=n)
            stages = (self.state.get("ceremony") or {}).get("stages") or []
            if stages:
                stage = stages[-1]
                names = [w["name"] for cat in stage.get("categories", []) for w in cat.get("winners", [])]
                self.say(f"ceremony {n}/{steps}: {stage.get('title')}: {', '.join(names)}")


def standings_lines(standings: dict[str, list[dict[str, Any]]], names: dict[str, str], top: int = 10) -> list[str]:
    """The first rows of each category's standings, one line each (under its name if several)."""
    out = []
    for cat, rows in standings.items():
        if len(standings) > 1:
            out.append(names.get(cat, cat))
        for row in rows[:top]:
            award = f"  {row['award']}" if row.get("award") else ""
            out.append(f"{row['rank']:>3}. {row['name']} ({row.get('unit') or ''})  {row.get('total')}{award}")
        if len(rows) > top:
            out.append(f"     ... {len(rows) - top} more")
    return out
