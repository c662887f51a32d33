"""The one-screen summary ``judging check`` prints for a good contest file."""

from __future__ import annotations

from judging.rules.model import Contest


def summary(contest: Contest) -> str:
    lines = [f"{contest.name}  (language {contest.language}, {contest.precision} decimals, {contest.rounding})"]
    lines.append("categories: " + ", ".join(f"{c.name} [{c.id}] {len(contest.in_category(c.id))}" for c in contest.categories))
    combine = "" if len(contest.rounds) == 1 else f"  combined by {contest.combine}" + (", scores carry over" if contest.carry_over else "")
    lines.append(f"rounds: {len(contest.rounds)}{combine}")
    for r in contest.rounds:
        extra = []
        if len(contest.rounds) > 1 and contest.combine == "weighted":
            extra.append(f"weight {r.weight}")
        if r.advance:
            extra.append(f"top {r.advance} advance")
        if r.kind == "points":
            qs = ", ".join(q.id for q in r.questions)
            lines.append(f"  {r.name} [{r.id}] points round, start {r.start}; questions: {qs}" + (f"; {', '.join(extra)}" if extra else ""))
            continue
        crits = ", ".join(f"{c.name} {c.min}-{c.max}/{c.step}" + (f" x{c.factor}" if c.factor != 1 else "") for c in r.criteria)
        lines.append(f"  {r.name} [{r.id}] {r.aggregate}, rounding at {', '.join(sorted(r.round_at))}; {crits}" + (f"; {', '.join(extra)}" if extra else ""))
    lines.append("panels:")
    for p in contest.panels:
        judges = [j for j in contest.judges if j.panel == p.id]
        shadows = sum(j.shadow for j in judges)
        rule = p.rule + (f" drop {p.trim} high/low, too few -> {p.too_few}" if p.rule == "trimmed" else "")
        lines.append(f"  {p.name} [{p.id}] weight {p.weight}, {rule}; {len(judges) - shadows} judges" + (f" + {shadows} shadow" if shadows else ""))
    lines.append(f"judges: {len(contest.judges)}   contestants: {len(contest.contestants)}   recusals: {len(contest.recusals)}" + (" + same unit" if contest.recuse_same_unit else ""))
    if contest.tie_break:
        lines.append("tie-breaks: " + " > ".join(contest.tie_break))
    awards = [f"{t.name} " + (f"{t.count}" if t.count is not None else f"{t.share:%}".replace("%", "") + "%") for t in contest.tiers]
    if awards:
        lines.append("prize tiers: " + ", ".join(awards) + f" (tie at cut: {contest.tie_at_cut})")
    if contest.single_awards:
        lines.append("single-item awards: " + ", ".join(a.name for a in contest.single_awards))
    if contest.manual_awards:
        lines.append("manual awards: " + ", ".join(f"{m.award} {m.contestant}" for m in contest.manual_awards))
    if contest.units:
        best = f"best {contest.units.best}" if contest.units.best else "all"
        lines.append(f"unit standings: {contest.units.name}, {contest.units.method} of {best}")
    return "\n".join(lines)
