"""Every sentence the judge reads, in Chinese and English, in one place.

The app speaks the contest's language unless ``--lang`` overrides it. Server errors arrive
as stable codes (docs/protocol.md); ``error_sentence`` turns each into a sentence in the
interface language, so a judge never sees a code or an English message in a Chinese room.
"""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "title": ("评委评分", "Judge's console"),
    "judge": ("评委", "Judge"),
    "panel": ("评委组", "Panel"),
    "online": ("已连接", "connected"),
    "offline": ("未连接，正在重连…", "offline, reconnecting…"),
    "refused": ("口令无效", "token refused"),
    "connecting": ("正在连接…", "connecting…"),
    "pending_none": ("全部评分已送达", "every mark delivered"),
    "pending": ("{n} 份评分待发送（已存本机）", "{n} card(s) to send, saved on this laptop"),
    "open_now": ("正在评分", "Open now"),
    "scored": ("已评", "Scored"),
    "queue": ("待评", "Queue"),
    "nothing_open": ("暂无开放评分的选手", "nobody is open for scoring"),
    "pick": ("请从左侧选择选手", "Choose a contestant on the left"),
    "range": ("{min}–{max}，步长 {step}", "{min}–{max}, step {step}"),
    "factor": ("×{factor}", "×{factor}"),
    "total": ("总分", "Total"),
    "submit": ("提交", "Submit"),
    "revise": ("修改并提交", "Submit revision"),
    "cancel": ("返回修改", "Go back"),
    "confirm_q": ("确认提交 {name} 的评分？", "Submit these marks for {name}?"),
    "confirm_yes": ("确认提交", "Submit"),
    "st_waiting": ("未开始", "not open yet"),
    "st_open": ("评分中", "open"),
    "st_closed": ("已截止", "closed"),
    "st_locked": ("已锁定", "locked"),
    "sent": ("已发送，等待服务器确认…", "sent, waiting for the server…"),
    "queued": ("已存本机，联网后自动发送", "saved on this laptop; will be sent when the connection is back"),
    "recorded": ("已记录 {time}（第 {rev} 版）", "recorded at {time} (revision {rev})"),
    "ro_locked": ("{name} 已锁定，评分不能再修改；如需更正请联系记分员。", "{name} is locked: your marks can no longer be changed. Ask the score secretary for a correction."),
    "ro_waiting": ("{name} 尚未开始评分。", "Scoring for {name} has not opened yet."),
    "ro_closed": ("{name} 的评分已截止，您未评分。", "Scoring for {name} is closed and you did not score them."),
    "ro_round": ("本轮已结束。", "This round is over."),
    "bad_number": ("请输入数字", "type a number"),
    "bad_range": ("超出范围：应在 {min} 到 {max} 之间", "out of range: must be between {min} and {max}"),
    "bad_step": ("须为 {step} 的整数倍（从 {min} 起）", "must go up in steps of {step} from {min}"),
    "empty": ("未填写", "not filled in"),
    "fix_first": ("请先改正标红的评分", "Fix the marks shown in red first"),
    "fill_all": ("请填写全部评分项", "Fill in every mark first"),
    "auth": ("服务器不认可此口令（未知或已作废），请向工作人员索取新口令。", "The server refused this token (unknown or revoked). Ask the organisers for a new one."),
    "keys": ("Tab 切换 · Enter 下一项/提交 · ↑↓ 选选手 · Ctrl+Q 退出", "Tab next field · Enter next/submit · ↑↓ contestant · Ctrl+Q quit"),
}

ERRORS: dict[str, tuple[str, str]] = {
    "not_open": ("{name} 的评分尚未开放或已截止，这份评分未被记录。", "Scoring for {name} is not open, so this card was not recorded."),
    "locked": ("{name} 已锁定，评分不能再修改；如需更正请联系记分员。", "{name} is locked: marks can no longer be changed. Ask the score secretary for a correction."),
    "recused": ("您须回避 {name}，不能为其评分。", "You are recused from {name} and may not score them."),
    "wrong_category": ("{name} 不在您负责的组别，不能为其评分。", "{name} is not in a category you judge."),
    "not_on_panel": ("您不在本轮的评委组中。", "You are not on a panel of this round."),
    "out_of_range": ("有评分超出允许范围，未被记录。", "A mark is out of range, so the card was not recorded."),
    "off_step": ("有评分不符合步长，未被记录。", "A mark is not on the allowed step, so the card was not recorded."),
    "not_a_number": ("有评分不是数字，未被记录。", "A mark is not a number, so the card was not recorded."),
    "missing_criterion": ("评分项未填全，未被记录。", "A mark is missing, so the card was not recorded."),
    "unknown_round": ("这一轮已不是当前轮次，评分未被记录。", "That round is no longer current, so the card was not recorded."),
    "duplicate_id": ("这份评分与之前发送的不一致，请重新提交。", "This card clashed with one sent earlier; please submit again."),
    "rate_limited": ("发送过快，稍后会自动重发。", "Sending too fast; it will be resent shortly."),
    "forbidden": ("此口令无权进行该操作。", "This token may not do that."),
}


def t(key: str, lang: str, **values: object) -> str:
    zh, en = WORDS[key]
    return (zh if lang == "zh" else en).format(**values)


def error_sentence(code: str, lang: str, name: str, message: str = "") -> str:
    """A server error as a sentence in the interface language."""
    if code in ERRORS:
        zh, en = ERRORS[code]
        return (zh if lang == "zh" else en).format(name=name)
    if lang == "zh":
        return f"服务器未接受 {name} 的评分（{message or code}）。"
    return f"The server did not accept the card for {name} ({message or code})."
