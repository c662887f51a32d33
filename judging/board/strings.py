"""Every word the scoreboard shows, in Chinese and English.

Separate so that the words people read in the hall are in one place, reviewed together, and
so that the widgets never hard-code a language.
"""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "rank": ("名次", "Rank"),
    "name": ("姓名", "Name"),
    "unit": ("单位", "Unit"),
    "total": ("总分", "Total"),
    "award": ("奖项", "Prize"),
    "score": ("得分", "Score"),
    "final_score": ("最后得分", "Final score"),
    "weight": ("权重", "weight"),
    "adjustments": ("加减分", "Adjustments"),
    "scoring": ("评分中", "Scoring"),
    "closed": ("评分结束，等待亮分", "Scoring closed, result to follow"),
    "submitted": ("已提交", "submitted"),
    "judges": ("位评委", "judges"),
    "next": ("下一位", "Next"),
    "waiting": ("比赛即将开始", "The contest will begin shortly"),
    "frozen": ("成绩暂停公布", "Standings paused"),
    "live": ("● 实时", "● live"),
    "offline": ("○ 正在重新连接…", "○ reconnecting…"),
    "connecting": ("○ 正在连接…", "○ connecting…"),
    "no_results": ("尚无公布成绩", "No results yet"),
    "page": ("第 {page}/{pages} 页", "page {page}/{pages}"),
    "new": ("新", "new"),
    "dropped": ("划去最高分、最低分", "highest and lowest struck out"),
    # the prize ceremony
    "ceremony": ("颁奖典礼", "Award ceremony"),
    "awarded": ("已颁奖项", "Awarded so far"),
    "cont": ("（续）", " (cont.)"),
    "no_winners": ("本奖项暂无获奖者", "No winners for this award"),
    # the live quiz
    "question": ("第 {number} 题", "Question {number}"),
    "no_question": ("等待出题", "Waiting for the next question"),
    "last": ("上一次", "Last"),
    "undone": ("已撤销", "undone"),
    "correct": ("答对", "correct"),
    "wrong": ("答错", "wrong"),
    "none": ("未作答", "no answer"),
    # unit standings
    "score_units": ("成绩", "Score"),
    "counted": ("计入", "Counted"),
}


class Words:
    """The board's words in one language: ``words["rank"]``, ``words.fmt("page", page=1, pages=2)``."""

    def __init__(self, language: str):
        self.language = "zh" if language == "zh" else "en"

    def __getitem__(self, key: str) -> str:
        zh, en = WORDS[key]
        return zh if self.language == "zh" else en

    def fmt(self, key: str, **values: object) -> str:
        return self[key].format(**values)


def language_of(state: dict, override: str | None) -> str:
    """--lang wins; otherwise the contest file's language; English for anything but Chinese."""
    if override:
        return override
    contest = state.get("contest") or {}
    return "zh" if contest.get("language") == "zh" else "en"
