"""The console's keys, with their Footer labels in both languages.

Textual reads a screen's bindings from its class, so ``localized`` makes a subclass (same name,
so CSS and snapshots see the same screen) whose bindings carry the labels in the interface
language. Keys follow the judge app where they overlap (↑↓ to choose, Enter to confirm,
Escape to go back, Ctrl+Q to quit); one letter per action, the first letter of the English
word where it is free.
"""

from __future__ import annotations

from typing import TypeVar

from textual.binding import Binding

# (keys, action, zh label, en label, shown in the Footer, key display)
Key = tuple[str, str, str, str, bool, str | None]

MAIN: list[Key] = [
    # the order of play (judged rounds)
    ("o", "open", "开始", "open", True, None),
    ("c", "close", "截止", "close", True, None),
    ("l", "lock", "锁定", "lock", True, None),
    ("r", "reveal", "亮分", "reveal", True, None),
    ("shift+up,K", "move(-1)", "移动", "move", True, "⇧↑↓"),
    ("shift+down,J", "move(1)", "下移", "move down", False, None),
    ("ctrl+s", "send_order", "发送顺序", "send order", True, None),
    ("escape", "discard_order", "放弃调整", "discard", True, "Esc"),
    # the quiz (points rounds)
    ("1", "team(0)", "选队", "team", True, "1-9"),
    ("2", "team(1)", "", "", False, None),
    ("3", "team(2)", "", "", False, None),
    ("4", "team(3)", "", "", False, None),
    ("5", "team(4)", "", "", False, None),
    ("6", "team(5)", "", "", False, None),
    ("7", "team(6)", "", "", False, None),
    ("8", "team(7)", "", "", False, None),
    ("9", "team(8)", "", "", False, None),
    ("c", "outcome('correct')", "答对", "correct", True, None),
    ("w", "outcome('wrong')", "答错", "wrong", True, None),
    ("n", "outcome('none')", "未答", "no answer", True, None),
    ("s", "stake", "分值", "stake", True, None),
    ("u", "undo", "撤销", "undo", True, None),
    ("t", "question", "选题", "question", True, None),
    ("right_square_bracket", "next_question(1)", "下一题", "next", True, "]"),
    ("left_square_bracket", "next_question(-1)", "上一题", "previous", False, None),
    # both
    ("e", "correct", "更正", "fix", True, None),
    ("a", "adjust", "加减分", "adjust", True, None),
    ("m", "award", "特别奖", "award", True, None),
    ("f", "freeze", "冻结", "freeze", True, None),
    ("f", "unfreeze", "解冻", "unfreeze", True, None),
    ("p", "toggle_private", "榜单", "view", True, None),
    ("N", "next_round", "下一轮", "next round", True, "⇧N"),
    ("g", "ceremony", "颁奖", "ceremony", True, None),
    ("v", "review", "复核", "review", True, None),
]

CEREMONY: list[Key] = [
    ("right,space", "step(1)", "下一步", "next step", True, "→"),
    ("left", "step(-1)", "上一步", "back", True, "←"),
    ("e", "end", "结束颁奖", "end ceremony", True, None),
    ("escape", "app.pop_screen", "返回控制台", "console", True, "Esc"),
]

REVIEW: list[Key] = [
    ("r", "reload", "刷新", "refresh", True, None),
    ("escape", "app.pop_screen", "返回控制台", "console", True, "Esc"),
]

T = TypeVar("T")


def bindings(keys: list[Key], lang: str) -> list[Binding]:
    return [
        Binding(k, action, zh if lang == "zh" else en, show=show, key_display=display)
        for k, action, zh, en, show, display in keys
    ]


def localized(cls: type[T], keys: list[Key], lang: str) -> type[T]:
    """``cls`` with its Footer labels in ``lang``."""
    return type(cls.__name__, (cls,), {"BINDINGS": bindings(keys, lang), "__module__": cls.__module__})  # type: ignore[return-value]
