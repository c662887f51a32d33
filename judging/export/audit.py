"""The audit trail: every logged event with a readable description, in the contest's language.

Descriptions are written by walking the log once, so that a revision or a correction can say
what the card was before, and an undo which award it took back.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from judging.export.words import w
from judging.rules.model import Contest

KINDS = {
    "server_started": ("服务器启动", "server started"),
    "judge_connected": ("评委连接", "judge connected"),
    "open": ("开始评分", "open"),
    "close": ("停止评分", "close"),
    "lock": ("锁定", "lock"),
    "reveal": ("亮分", "reveal"),
    "freeze": ("冻结公开成绩", "freeze"),
    "unfreeze": ("解冻公开成绩", "unfreeze"),
    "next_round": ("进入下一轮", "next round"),
    "order": ("出场顺序", "order of play"),
    "mark": ("评分", "mark"),
    "correction": ("更正", "correction"),
    "adjustment": ("加减分", "adjustment"),
    "manual_award": ("授奖", "manual award"),
    "question": ("出题", "question"),
    "points": ("给分", "points"),
    "undo": ("撤销给分", "undo"),
    "ceremony": ("颁奖", "ceremony"),
}


def local_time(at: str) -> str:
    """An event's UTC time as the exporting machine's local time, to the second."""
    try:
        return datetime.fromisoformat(at).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


def utc_offset() -> str:
    """The exporting machine's offset, as "UTC+08:00": the time columns are in local time."""
    z = datetime.now().astimezone().strftime("%z")
    return f"UTC{z[:3]}:{z[3:]}"


class Describer:
    def __init__(self, contest: Contest):
        self.c = contest
        self.zh = contest.language == "zh"
        self.round = contest.rounds[0].id
        self.cards: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.awards: dict[int, dict[str, Any]] = {}
        self.corrections: dict[tuple[str, str, str], int] = {}  # for the score sheet's notes

    def t(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def kind(self, kind: str) -> str:
        pair = KINDS.get(kind)
        return (pair[0] if self.zh else pair[1]) if pair else kind

    def who(self, cid: str) -> str:
        c = self.c.contestant(cid)
        return f"{cid} {c.name}" if c else cid

    def judge(self, jid: str) -> str:
        j = self.c.judge(jid)
        return f"{jid} {j.name}" if j else jid

    def actor(self, actor: str) -> str:
        if actor.startswith("judge:"):
            return f"{w('judge', self.c.language)} {self.judge(actor.split(':', 1)[1])}"
        if actor in ("control", "auto", "server"):
            return w(f"actor_{actor}", self.c.language)
        return actor

    def round_name(self, rid: str) -> str:
        r = self.c.round(rid)
        return r.name if r else rid

    def where(self, cid: str, rid: str) -> str:
        return self.t(f"{self.who(cid)}（{self.round_name(rid)}）", f"{self.who(cid)} ({self.round_name(rid)})")

    def many(self, ids: Any) -> str:
        return (self.t("、", ", ")).join(self.who(i) for i in ids) if isinstance(ids, list) else str(ids)

    def card(self, rid: str, scores: Any) -> str:
        rnd = self.c.round(rid)
        if not isinstance(scores, dict):
            return str(scores)
        if rnd is not None and len(rnd.criteria) == 1 and len(scores) == 1:
            return str(next(iter(scores.values())))
        names = {k.id: k.name for k in rnd.criteria} if rnd else {}
        return self.t("，", ", ").join(f"{names.get(k, k)} {v}" for k, v in scores.items())

    def row(self, event: dict[str, Any]) -> dict[str, Any]:
        """One audit record; call for every event in log order."""
        data = event["data"] if isinstance(event["data"], dict) else {}
        handler = getattr(self, f"_{event['kind']}", None)
        try:
            text = handler(data, event) if handler else None
        except (KeyError, TypeError, AttributeError):
            text = None
        if text is None:  # a kind this version does not know, or data it does not expect
            text = json.dumps(event["data"], ensure_ascii=False, sort_keys=True)
        reason = data.get("reason", "") if isinstance(data.get("reason", ""), str) else ""
        return {
            "seq": event["seq"],
            "at": event["at"],
            "time": local_time(event["at"]),
            "actor": event["actor"],
            "by": self.actor(event["actor"]),
            "client": event.get("client", ""),
            "kind": event["kind"],
            "kind_name": self.kind(event["kind"]),
            "description": text,
            "reason": reason.strip(),
        }

    # -- one method per event kind ------------------------------------------------------------

    def _server_started(self, d, e) -> str:
        return self.t(f"服务器启动（epoch {d.get('epoch', '')}）", f"server started (epoch {d.get('epoch', '')})")

    def _judge_connected(self, d, e) -> str:
        return self.t(f"评委 {self.judge(d['judge'])} 连接", f"judge {self.judge(d['judge'])} connected")

    def _open(self, d, e) -> str:
        return self.t("开始评分：", "opened for scoring: ") + self.many(d["contestants"])

    def _close(self, d, e) -> str:
        return self.t("停止评分：", "closed: ") + self.many(d["contestants"])

    def _lock(self, d, e) -> str:
        return self.t("锁定评分：", "locked: ") + self.many(d["contestants"])

    def _reveal(self, d, e) -> str:
        return self.t("亮分：", "revealed: ") + self.many(d["contestants"])

    def _freeze(self, d, e) -> str:
        return self.t("冻结公开成绩", "public standings frozen")

    def _unfreeze(self, d, e) -> str:
        return self.t("解冻公开成绩", "public standings unfrozen")

    def _next_round(self, d, e) -> str:
        ids = [r.id for r in self.c.rounds]
        if self.round in ids and ids.index(self.round) + 1 < len(ids):
            self.round = ids[ids.index(self.round) + 1]
        return self.t(f"进入下一轮：{self.round_name(self.round)}", f"next round: {self.round_name(self.round)}")

    def _order(self, d, e) -> str:
        return self.t("出场顺序：", "order of play: ") + self.many(d["contestants"])

    def _mark(self, d, e) -> str:
        key = (d["round"], d["contestant"], d["judge"])
        before = self.cards.get(key)
        self.cards[key] = d["scores"]
        now = self.card(d["round"], d["scores"])
        where = self.where(d["contestant"], d["round"])
        if before is None:
            return self.t(f"评委 {self.judge(d['judge'])} 评 {where}：{now}", f"judge {self.judge(d['judge'])} scored {where}: {now}")
        was = self.card(d["round"], before)
        return self.t(
            f"评委 {self.judge(d['judge'])} 修改对 {where} 的评分：{was} → {now}",
            f"judge {self.judge(d['judge'])} revised {where}: {was} -> {now}",
        )

    def _correction(self, d, e) -> str:
        key = (d["round"], d["contestant"], d["judge"])
        before = self.cards.get(key)
        self.cards[key] = d["scores"]
        self.corrections[key] = self.corrections.get(key, 0) + 1
        was = self.card(d["round"], before) if before is not None else self.t("（无）", "(none)")
        now = self.card(d["round"], d["scores"])
        return self.t(
            f"更正评委 {self.judge(d['judge'])} 对 {self.where(d['contestant'], d['round'])} 的评分：{was} → {now}",
            f"corrected judge {self.judge(d['judge'])}'s card for {self.where(d['contestant'], d['round'])}: {was} -> {now}",
        )

    def _adjustment(self, d, e) -> str:
        who = self.where(d["contestant"], d["round"]) if d.get("round") else self.who(d["contestant"])
        return self.t(f"{who} 加减分 {d['points']}", f"{who}: {d['points']} points")

    def _manual_award(self, d, e) -> str:
        return self.t(f"{self.who(d['contestant'])} 授予 {d['award']}", f"{self.who(d['contestant'])} awarded {d['award']}")

    def _question_name(self, d) -> str:
        rnd = self.c.round(d.get("round") or self.round)
        q = rnd.question(d["type"]) if rnd else None
        return self.t(f"{q.name if q else d['type']} 第 {d['number']} 题", f"{q.name if q else d['type']} #{d['number']}")

    def _question(self, d, e) -> str:
        return self.t("当前题目：", "current question: ") + self._question_name(d)

    def _points(self, d, e) -> str:
        self.awards[e["seq"]] = d
        outcome = w(d["outcome"], self.c.language) if d.get("outcome") in ("correct", "wrong", "none") else d.get("outcome", "")
        stake = self.t(f"（风险 {d['stake']}）", f" (stake {d['stake']})") if d.get("stake") else ""
        points = d["points"] if str(d["points"]).startswith("-") else f"+{d['points']}"
        return f"{self.who(d['contestant'])} {self._question_name(d)}{self.t('：', ': ')}{outcome}{stake} {points}"

    def _undo(self, d, e) -> str:
        award = self.awards.get(d["award"])
        if award is None:
            return self.t(f"撤销 #{d['award']} 的给分", f"undid the award of #{d['award']}")
        what = f"{self.who(award['contestant'])} {self._question_name(award)} {award['points']}"
        return self.t(f"撤销 #{d['award']} 的给分（{what}）", f"undid the award of #{d['award']} ({what})")

    def _ceremony(self, d, e) -> str:
        if d.get("step") is None:
            return self.t("结束颁奖", "ceremony ended")
        return self.t(f"颁奖：第 {d['step']} 步", f"ceremony: step {d['step']}")
