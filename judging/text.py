"""Display helpers shared by the CLI and the apps: CJK-aware widths and interface words."""

from __future__ import annotations

import unicodedata

WORDS = {
    "rank": ("名次", "Rank"),
    "id": ("编号", "ID"),
    "name": ("姓名", "Name"),
    "unit": ("单位", "Unit"),
    "total": ("总分", "Total"),
    "award": ("奖项", "Award"),
    "category": ("组别", "Category"),
    "single": ("单项奖", "Single-item awards"),
    "units": ("团体成绩", "Unit standings"),
    "members": ("成员", "Members"),
    "incomplete": ("未完成", "incomplete"),
}


def word(key: str, language: str) -> str:
    zh, en = WORDS[key]
    return zh if language == "zh" else en


def width(text: str) -> int:
    """Terminal cells: wide (CJK) and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1 for ch in text)


def pad(text: str, cells: int, right: bool = False) -> str:
    gap = " " * max(0, cells - width(text))
    return gap + text if right else text + gap
