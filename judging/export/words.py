"""The exported documents' words, in the contest's language (zh or en)."""

from __future__ import annotations

from judging.text import WORDS as SHARED

WORDS = {
    "title": ("比赛成绩与评分明细", "Results and score sheet"),
    "standings": ("成绩排名", "Standings"),
    "scoresheet": ("评分明细", "Score sheet"),
    "review": ("评分复核", "Judge review"),
    "audit": ("操作记录", "Audit trail"),
    "digest": ("结果摘要", "Results digest"),
    "events": ("事件", "events"),
    "exported": ("导出时间", "Exported"),
    "contest_file": ("比赛文件", "Contest file"),
    "database": ("数据库", "Database"),
    "round": ("轮次", "Round"),
    "panel": ("评委组", "Panel"),
    "judge": ("评委", "Judge"),
    "judge_name": ("评委姓名", "Judge name"),
    "question": ("题目", "Question"),
    "question_type": ("题型", "Question type"),
    "outcome": ("结果", "Outcome"),
    "mark": ("评分", "Mark"),
    "points": ("得分", "Points"),
    "mark_points": ("评分/得分", "Mark / points"),
    "status": ("状态", "Status"),
    "note": ("说明", "Note"),
    "time": ("时间", "Time"),
    "counted": ("计入", "counted"),
    "dropped_high": ("去掉最高分", "dropped (highest)"),
    "dropped_low": ("去掉最低分", "dropped (lowest)"),
    "dropped": ("去掉", "dropped"),
    "dropped_criteria": ("去掉：", "dropped: "),
    "shadow": ("影子评委，不计分", "shadow judge, not counted"),
    "incomplete_card": ("评分不完整，不计分", "incomplete card, not counted"),
    "missing": ("未评分", "no mark"),
    "panel_score": ("小组得分", "panel score"),
    "weight": ("权重", "weight"),
    "round_score": ("本轮得分", "round score"),
    "adjustments": ("加减分", "Adjustments"),
    "start": ("基础分", "starting points"),
    "undone": ("已撤销，不计分", "undone, not counted"),
    "revised": ("修改 {n} 次", "revisions: {n}"),
    "corrected": ("更正 {n} 次", "corrections: {n}"),
    "correct": ("答对", "correct"),
    "wrong": ("答错", "wrong"),
    "none": ("未答", "no answer"),
    "reason": ("理由", "Reason"),
    "seq": ("序号", "Seq"),
    "actor": ("操作者", "By"),
    "client": ("客户端", "Client"),
    "kind": ("类型", "Kind"),
    "description": ("内容", "Description"),
    "criterion": ("评分项", "Criterion"),
    "score": ("分数", "Score"),
    "winners": ("获奖者", "Winners"),
    "counted_members": ("计入成绩", "Counted"),
    "item": ("项目", "Item"),
    "scored": ("评分人次", "Scored"),
    "mean_deviation": ("平均偏差", "Mean deviation"),
    "mean_abs_deviation": ("平均绝对偏差", "Mean absolute deviation"),
    "max_deviation": ("最大偏差", "Largest deviation"),
    "flag": ("需复核", "to review"),
    "review_note": (
        "偏差 = 评委给分 − 小组得分；复核线按 10 分制 {t} 分折算到各轮分值（{rounds}）。",
        "Deviation = the judge's mark minus the panel score; review at {t} on a 10-point scale, scaled to each round ({rounds}).",
    ),
    "no_flags": ("没有需要复核的评分。", "No mark needs review."),
    "chair": ("评委会主任（签字）", "Chair of the judging committee (signature)"),
    "supervisor": ("监审（签字）", "Supervisor (signature)"),
    "date": ("日期", "Date"),
    "date_blank": ("　　　　年　　月　　日", "____________"),
    "page": ("第 {n} 页", "page {n}"),
    "rounds_col": ("{name}", "{name}"),
    "actor_control": ("控制台", "control console"),
    "actor_auto": ("自动", "automatic"),
    "actor_server": ("服务器", "server"),
}


def w(key: str, language: str, **fields: object) -> str:
    pair = WORDS.get(key) or SHARED[key]
    text = pair[0] if language == "zh" else pair[1]
    return text.format(**fields) if fields else text


def count(n: int, one: str, many: str | None = None) -> str:
    """``n`` things in English (progress lines and messages): "1 category", "2 categories"."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"
