"""The host of a simulated quiz (a points round): questions asked, points awarded, one undo.

Separate from ``demo_sim`` because a quiz has no judges: the host alone sets each question and
awards its points, and every award reaches the scoreboard at once. The programme follows the
contest file's question types in order: a risk type (with stakes) gives each team one question
at a stake of its choosing, a type that costs points for a wrong answer is a buzzer round (as
many questions as teams, the quickest team answers), any other type gives each team one
question in order of play. Answers are seeded; stronger teams answer right more often.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from judging.client import ServerError
from judging.rules.model import QuestionType

if TYPE_CHECKING:
    from judging.demo_sim import Host


class QuizHost:
    def __init__(self, host: "Host", seed: int, strength: dict[str, float]):
        self.host = host
        self.rng = random.Random(f"{seed}:quiz")
        # Team quality (0.84..0.95) as the chance of a right answer (about 0.35..0.8).
        self.chance = {cid: 0.35 + (q - 0.84) * 4 for cid, q in strength.items()}
        self.undo_shown = False

    async def play(self, rid: str) -> None:
        host = self.host
        rnd = host.contest.round(rid)
        assert rnd is not None
        teams = [t["contestant"] for t in (host.state.get("quiz") or {}).get("teams", [])]
        for qtype in rnd.questions:
            if qtype.wrong < 0 and not qtype.stakes:  # buzzer: the quickest team answers
                weights = [self.chance.get(cid, 0.5) for cid in teams]
                plan = [(n, self.rng.choices(teams, weights)[0]) for n in range(1, len(teams) + 1)]
            else:
                plan = list(enumerate(teams, 1))
            host.say(f"{qtype.name}: {len(plan)} questions")
            for number, cid in plan:
                await self.question(qtype, number, cid, teams)

    async def question(self, qtype: QuestionType, number: int, cid: str, teams: list[str]) -> None:
        host = self.host
        await host.pace.sleep(host.pace.speak)
        await host.act("question", type=qtype.id, number=number)
        await host.pace.sleep(host.pace.step * 3)
        data: dict[str, Any] = {"contestant": cid}
        if qtype.stakes:
            data["stake"] = f"{self.rng.choice(qtype.stakes):f}"
        data["outcome"] = "correct" if self.rng.random() < self.chance.get(cid, 0.5) else "wrong"
        if not self.undo_shown and qtype.wrong < 0 and len(teams) > 1:
            # Once in the demo the host clicks the wrong team, sees it, and takes it back.
            other = teams[(teams.index(cid) + 1) % len(teams)]
            await host.act("points", **{**data, "contestant": other})
            await host.pace.sleep(host.pace.step)
            await host.act("undo")
            host.say(f"{qtype.name} {number}: awarded to {host.name_of(other)} by mistake; undone")
            self.undo_shown = True
        try:
            await host.act("points", **data)
        except ServerError as e:
            if e.code == "already_awarded":
                return  # awarded in an earlier run on this database
            raise
        last = (host.state.get("quiz") or {}).get("last") or {}
        totals = {t["contestant"]: t["total"] for t in (host.state.get("quiz") or {}).get("teams", [])}
        host.say(f"{qtype.name} {number}: {host.name_of(cid)} {data['outcome']}, {signed(last.get('points'))} (total {totals.get(cid)})")
        host.awards += 1
        await host.pace.sleep(host.pace.step * 3)


def signed(points: str | None) -> str:
    return f"+{points}" if points and points.strip("0.") and not points.startswith("-") else str(points)
