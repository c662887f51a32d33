"""Fixed viewer states for the scoreboard's ceremony, quiz, team and unit tests: the sections
as the server sends them (see docs/protocol.md), with real-looking CJK names, so snapshots
are stable and need no server. Also the small helpers those tests share."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from rich.console import Console
from rich.segment import Segment

# -- helpers ----------------------------------------------------------------------------------


def text_of(widget) -> str:
    """What a self-drawn widget shows, as plain text at its current width."""
    console = Console(width=max(20, widget.size.width), file=io.StringIO(), record=True, color_system=None)
    console.print(widget.render())
    return console.export_text()


def segments_of(widget) -> list[Segment]:
    """What a self-drawn widget shows, as styled pieces (to check strike-through and colours)."""
    console = Console(width=max(20, widget.size.width), file=io.StringIO(), color_system="truecolor")
    return [s for s in console.render(widget.render()) if s.text.strip()]


def struck(widget) -> list[str]:
    """The pieces of text a widget draws struck through."""
    return [s.text.strip() for s in segments_of(widget) if s.style is not None and s.style.strike]


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await pilot.pause(0.02)


def row(rank: int, cid: str, name: str, unit: str, total: str, award: str = "", kind: str = "",
        members: tuple[str, ...] = (), singles: tuple[str, ...] = ()) -> dict[str, Any]:
    """One standing row, as ``judging.report.standing_row`` makes it."""
    return {"rank": rank, "contestant": cid, "name": name, "unit": unit, "members": list(members), "total": total,
            "award": award, "award_kind": kind or ("tier" if award else ""), "single_awards": list(singles)}


def contest(name: str, language: str, categories: list[tuple[str, str]], people: list[dict[str, Any]],
            rounds: list[dict[str, str]]) -> dict[str, Any]:
    return {"name": name, "language": language, "precision": 2,
            "categories": [{"id": c, "name": n} for c, n in categories],
            "panels": [], "judges": [], "contestants": people, "rounds": rounds}


def viewer(info: dict[str, Any], rid: str, standings: dict[str, list[dict[str, Any]]], **sections: Any) -> dict[str, Any]:
    order = [p["id"] for p in info["contestants"]]
    state = {"contest": info, "round": rid, "frozen": False, "order": order,
             "status": {c: {"status": "waiting", "revealed": False} for c in order}, "progress": {}, "reveal": None,
             "ceremony": None, "units": None, "quiz": None}
    state.update({f"standings:{c}": rows for c, rows in standings.items()})
    state.update(sections)
    return state


# -- the teaching contest (青教赛): two categories, single-item awards ---------------------------

TEACHING = [
    # category, id, name, unit, total, award, single awards
    ("humanities", "W01", "欧阳明月", "北京第二外国语学院", "95.36", "一等奖", ("最佳教学设计奖",)),
    ("humanities", "W02", "杨萍勇", "中国人民大学", "94.80", "一等奖", ()),
    ("humanities", "W03", "司马相如", "北京师范大学", "93.12", "二等奖", ("最佳教学反思奖",)),
    ("humanities", "W04", "张平", "首都师范大学", "92.45", "二等奖", ()),
    ("humanities", "W05", "覃思强", "北京外国语大学", "91.70", "三等奖", ()),
    ("humanities", "W06", "卢浩", "北京语言大学", "90.05", "三等奖", ()),
    ("science", "L01", "杨亮蕾", "北京林业大学", "96.02", "一等奖", ("最佳课堂教学奖",)),
    ("science", "L02", "郭子远", "清华大学", "94.11", "二等奖", ()),
    ("science", "L03", "诸葛晓", "北京大学", "93.90", "二等奖", ()),
    ("science", "L04", "邓春", "北京邮电大学", "92.15", "三等奖", ()),
    ("science", "L05", "万兰一", "中国农业大学", "91.33", "三等奖", ()),
]
TEACHING_CATS = [("humanities", "文科组"), ("science", "理科组")]


def teaching_rows(category: str) -> list[dict[str, Any]]:
    picked = [t for t in TEACHING if t[0] == category]
    return [row(i + 1, cid, n, u, total, award, singles=s) for i, (_, cid, n, u, total, award, s) in enumerate(picked)]


def teaching_stages() -> list[dict[str, Any]]:
    """Every ceremony stage of the teaching contest, in the server's order: single-item awards,
    then tiers from the lowest."""
    rows = {c: teaching_rows(c) for c, _ in TEACHING_CATS}
    stages = []
    for title in ("最佳教学设计奖", "最佳课堂教学奖", "最佳教学反思奖"):
        stages.append({"title": title, "kind": "single", "categories": [
            {"id": c, "name": n, "winners": [r for r in rows[c] if title in r["single_awards"]]} for c, n in TEACHING_CATS]})
    for title in ("三等奖", "二等奖", "一等奖"):
        stages.append({"title": title, "kind": "tier", "categories": [
            {"id": c, "name": n, "winners": [r for r in rows[c] if r["award"] == title]} for c, n in TEACHING_CATS]})
    for s in stages:  # categories with no winner in a stage are left out
        s["categories"] = [c for c in s["categories"] if c["winners"]]
    return stages


def teaching(language: str = "zh", step: int | None = None) -> dict[str, Any]:
    people = [{"id": cid, "name": n, "unit": u, "category": c, "members": []} for c, cid, n, u, *_ in TEACHING]
    name = "第十三届北京高校青年教师教学基本功比赛" if language == "zh" else "13th Beijing Young Teachers' Teaching Competition"
    info = contest(name, language, TEACHING_CATS, people, [{"id": "final", "name": "决赛", "kind": "scores"}])
    stages = teaching_stages()
    ceremony = None if step is None else {"step": step, "steps": len(stages), "stages": stages[:step]}
    state = viewer(info, "final", {c: teaching_rows(c) for c, _ in TEACHING_CATS}, ceremony=ceremony)
    for cid in state["order"]:
        state["status"][cid] = {"status": "locked", "revealed": True}
    return state


# -- the team contest (青管赛): teams of three, unit standings ----------------------------------

TEAMS = [
    ("T26", "北京交通大学三队", "北京交通大学", ("何佳嘉", "罗萍", "武军佳"), "92.35", "一等奖", "manual"),
    ("T33", "北京中医药大学一队", "北京中医药大学", ("张颖斌", "李晓岚", "刘泽嘉"), "91.80", "一等奖", ""),
    ("T10", "中国人民大学二队", "中国人民大学", ("高玉", "高峰萍", "唐建"), "90.95", "一等奖", ""),
    ("T43", "首都师范大学二队", "首都师范大学", ("肖超", "郑晓志", "赵怡刚"), "89.10", "二等奖", ""),
    ("T27", "北京邮电大学一队", "北京邮电大学", ("彭志", "李一瑶", "高霞"), "88.75", "二等奖", ""),
    ("T35", "北京中医药大学三队", "北京中医药大学", ("冯怡宇", "宋一", "高怡飞"), "88.20", "二等奖", ""),
    ("T51", "北京林业大学一队", "北京林业大学", ("宋静娟", "赵立", "曹亮杰"), "87.45", "二等奖", ""),
    ("T09", "中国人民大学一队", "中国人民大学", ("吴蕾萍", "李楠", "胡娟红"), "86.60", "三等奖", ""),
    ("T52", "北京林业大学二队", "北京林业大学", ("郭新倩", "郭蕊泽", "刘艳"), "85.05", "三等奖", ""),
    ("T39", "北京工业大学一队", "北京工业大学", ("孙天", "吴晓涛", "梁宏"), "84.30", "", ""),
]


def team_rows() -> list[dict[str, Any]]:
    out = []
    for i, (cid, n, u, m, total, award, kind) in enumerate(TEAMS):
        award = "特等奖" if kind == "manual" else award
        out.append(row(i + 1, cid, n, u, total, award, kind, members=m, singles=("最佳现场答辩奖",) if cid == "T43" else ()))
    return out


def units_section() -> dict[str, Any]:
    best: dict[str, list[tuple[float, str]]] = {}
    for cid, _, unit, _, total, _, _ in TEAMS:
        best.setdefault(unit, []).append((float(total), cid))
    scored = sorted(((sum(t for t, _ in v[:2]), u, [c for _, c in v[:2]]) for u, v in best.items()), reverse=True)
    return {"name": "单位团体成绩", "standings": [{"rank": i + 1, "unit": u, "score": f"{s:.2f}", "counted": c}
                                             for i, (s, u, c) in enumerate(scored)]}


def team(language: str = "zh", step: int | None = None) -> dict[str, Any]:
    people = [{"id": cid, "name": n, "unit": u, "category": "team", "members": list(m)} for cid, n, u, m, *_ in TEAMS]
    name = "首届北京高校管理岗位青年教职工职业能力竞赛" if language == "zh" else "Beijing University Management Staff Team Contest"
    info = contest(name, language, [("team", "团体赛" if language == "zh" else "Teams")], people,
                   [{"id": "final", "name": "决赛", "kind": "scores"}])
    rows = team_rows()
    stages = []
    for title, kind in (("最佳现场答辩奖", "single"), ("三等奖", "tier"), ("二等奖", "tier"), ("一等奖", "tier"), ("特等奖", "manual")):
        if kind == "single":
            winners = [r for r in rows if title in r["single_awards"]]
        else:
            winners = [r for r in rows if r["award"] == title]
        stages.append({"title": title, "kind": kind, "categories": [{"id": "team", "name": info["categories"][0]["name"], "winners": winners}]})
    ceremony = None if step is None else {"step": step, "steps": len(stages), "stages": stages[:step]}
    state = viewer(info, "final", {"team": rows}, ceremony=ceremony, units=units_section())
    for cid in state["order"]:
        state["status"][cid] = {"status": "locked", "revealed": True}
    return state


def team_reveal(language: str = "zh") -> dict[str, Any]:
    """The team contest just after T43 (members, a single-item award) was revealed."""
    state = team(language)
    state["reveal"] = {
        "round": "final", "contestant": "T43", "name": "首都师范大学二队", "unit": "首都师范大学",
        "panels": [{"panel": "panel", "name": "评委组", "weight": "1", "score": "89.10", "note": "",
                    "marks": [{"judge": f"P{i + 1}", "name": n, "mark": m, "dropped": m in ("93.00", "85.50")}
                              for i, (n, m) in enumerate(zip(["刘铭诺", "韩思珊", "赵宏丽", "林薇", "吴瑶梓", "彭阳军", "梁秀"],
                                                             ["89.50", "93.00", "88.00", "85.50", "90.00", "88.50", "89.50"]))]}],
        "adjustments": [], "score": "89.10", "total": "89.10", "rank": 4,
    }
    return state


# -- the quiz (知识竞赛): a points round -----------------------------------------------------------

QUIZ_TEAMS = [
    ("Q5", "丰台区方庄街道代表队", "丰台区方庄街道", "60"), ("Q2", "海淀区中关村街道代表队", "海淀区中关村街道", "45"),
    ("Q1", "朝阳区望京街道代表队", "朝阳区望京街道", "-10"), ("Q7", "通州区永顺镇代表队", "通州区永顺镇", "30"),
    ("Q3", "东城区东华门街道代表队", "东城区东华门街道", "20"), ("Q8", "昌平区回龙观街道代表队", "昌平区回龙观街道", "0"),
    ("Q4", "西城区金融街街道代表队", "西城区金融街街道", "35"), ("Q6", "石景山区八角街道代表队", "石景山区八角街道", "100"),
]
QUIZ_TYPES = [
    {"id": "required", "name": "必答题", "correct": "10", "wrong": "0", "none": "0", "stakes": []},
    {"id": "buzzer", "name": "抢答题", "correct": "10", "wrong": "-10", "none": "0", "stakes": []},
    {"id": "risk", "name": "风险题", "correct": "0", "wrong": "0", "none": "0", "stakes": ["10", "20", "30"]},
]


def quiz(language: str = "zh", undone: bool = False) -> dict[str, Any]:
    people = [{"id": cid, "name": n, "unit": u, "category": "final", "members": []} for cid, n, u, _ in QUIZ_TEAMS]
    name = "2025年北京市社区安全生产知识竞赛决赛" if language == "zh" else "Beijing Community Safety Quiz 2025, Final"
    info = contest(name, language, [("final", "决赛" if language == "zh" else "Final")], people,
                   [{"id": "quiz", "name": "决赛", "kind": "points"}])
    ranked = sorted(QUIZ_TEAMS, key=lambda t: -int(t[3]))
    awards = ["一等奖", "二等奖", "二等奖", "三等奖", "三等奖", "三等奖", "优秀奖", "优秀奖"]
    rows = [row(i + 1, cid, n, u, total, awards[i]) for i, (cid, n, u, total) in enumerate(ranked)]
    section = {
        "round": "quiz", "name": "决赛", "types": QUIZ_TYPES,
        "question": {"type": "buzzer", "name": "抢答题", "number": 3},
        "last": {"seq": 41, "contestant": "Q1", "name": "朝阳区望京街道代表队", "type": "buzzer", "type_name": "抢答题",
                 "number": 3, "outcome": "wrong", "points": "-10", "undone": undone},
        "teams": [{"contestant": cid, "name": n, "unit": u, "total": "0" if undone and cid == "Q1" else total}
                  for cid, n, u, total in QUIZ_TEAMS],
    }
    return viewer(info, "quiz", {"final": rows}, quiz=section)
