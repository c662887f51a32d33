"""Every sentence the host and the score secretary read, in Chinese and English.

One place so the words used at the venue (开始评分, 锁定, 亮分, 复核...) are reviewed together
and the widgets never hard-code a language. Server refusals arrive with a stable code and an
English message; ``refusal`` puts a sentence in the interface language in front of it.
"""

from __future__ import annotations

WORDS: dict[str, tuple[str, str]] = {
    "title": ("主持人控制台", "Host console"),
    "online": ("● 已连接", "● connected"),
    "offline": ("○ 未连接，正在重连…", "○ offline, reconnecting…"),
    "connecting": ("○ 正在连接…", "○ connecting…"),
    "refused": ("✗ 控制口令无效", "✗ control token refused"),
    "frozen": ("公开榜单已冻结", "public standings FROZEN"),
    "live": ("公开榜单实时更新", "public standings live"),
    "round": ("轮次", "Round"),
    # order of play
    "order": ("出场顺序", "Order of play"),
    "order_draft": ("出场顺序（已调整，未发送：Ctrl+S 发送，Esc 放弃）", "Order of play (changed, not sent: Ctrl+S send, Esc discard)"),
    "col_no": ("序", "#"),
    "col_id": ("编号", "ID"),
    "col_name": ("姓名", "Name"),
    "col_unit": ("单位", "Unit"),
    "col_status": ("状态", "Status"),
    "col_progress": ("评分进度", "Marks in"),
    "col_rank": ("名次", "Rank"),
    "col_total": ("总分", "Total"),
    "col_award": ("奖项", "Prize"),
    "st_waiting": ("未开始", "waiting"),
    "st_open": ("评分中", "open"),
    "st_closed": ("已截止", "closed"),
    "st_locked": ("已锁定", "locked"),
    "revealed": ("已亮分", "revealed"),
    "scoring_now": ("正在评分", "Being scored"),
    "nobody_scoring": ("暂无选手在评分中", "nobody is being scored"),
    "all_in": ("全部评委已提交", "every judge has submitted"),
    "waiting_for": ("未提交（{n}）：{names}", "waiting for ({n}): {names}"),
    # standings
    "private": ("内部榜单（含未亮分）", "Private standings (everything scored)"),
    "public": ("公开榜单（大屏所见）", "Public standings (what the hall sees)"),
    "not_revealed": ("未亮分", "not revealed"),
    "no_results": ("尚无成绩", "no results yet"),
    "units": ("团体", "Units"),
    # confirmations
    "yes": ("确定", "Yes"),
    "no": ("取消", "Cancel"),
    "wait": ("继续等待", "Wait"),
    "lock_anyway": ("仍然锁定", "Lock anyway"),
    "q_lock": ("锁定 {name}？锁定后评委不能再修改，只能由记分员更正。", "Lock {name}? Judges can no longer change their marks; only a correction can."),
    "q_lock_missing": ("{name} 还有 {n} 位评委未提交：{names}。\n现在锁定，这些评委的评分将缺失。", "{n} judge(s) have not submitted for {name}: {names}.\nLocking now leaves their marks missing."),
    "q_reveal": ("向全场亮分：{name}？", "Reveal {name}'s result to the hall?"),
    "q_reveal_total": ("总分 {total}，当前第 {rank} 名", "total {total}, rank {rank} now"),
    "q_next_round": ("进入下一轮「{name}」？晋级按比赛规则确定。", "Move on to the next round, {name}? Who advances follows the contest rules."),
    "q_order": ("发送新的出场顺序？", "Send the new order of play?"),
    # forms
    "adjust_title": ("加减分：{name}", "Deduction or bonus: {name}"),
    "points": ("分值（扣分用负数，如 -0.5）", "Points (negative for a deduction, e.g. -0.5)"),
    "reason": ("理由（必填，记入审计）", "Reason (required, kept in the audit trail)"),
    "reason_short": ("理由", "Reason"),
    "marks": ("评分", "Marks"),
    "award_title": ("特别奖项：{name}", "Manual award: {name}"),
    "award": ("奖项名称（如 特等奖）", "Award (e.g. Special prize)"),
    "correct_title": ("更正评分：{name}", "Correct a mark: {name}"),
    "judge": ("评委", "Judge"),
    "pick_judge": ("选择评委", "Choose the judge"),
    "preview": ("预览", "Preview"),
    "send": ("发送", "Send"),
    "need_reason": ("请填写理由", "Give a reason"),
    "need_points": ("请输入分值，如 -0.5 或 1", "Type the points, e.g. -0.5 or 1"),
    "need_award": ("请填写奖项名称", "Name the award"),
    "need_judge": ("请选择评委", "Choose the judge"),
    "fix_marks": ("请先改正标红的评分", "Fix the marks shown in red first"),
    "preview_title": ("更正预览：{name}（{judge}）", "Correction preview: {name} ({judge})"),
    "before": ("更正前", "Before"),
    "after": ("更正后", "After"),
    "apply": ("确认更正", "Apply correction"),
    "no_change": ("名次不变", "no rank changes"),
    # notices
    "done": ("已执行：{what}", "Done: {what}"),
    "sending": ("正在发送：{what}…", "Sending: {what}…"),
    "select_first": ("请先在列表中选择选手", "Select a contestant first"),
    "order_sent": ("发送出场顺序", "send the order of play"),
    "order_kept": ("已放弃调整，恢复服务器上的出场顺序", "changes discarded; the server's order is back"),
    "preview_wait": ("正在计算预览…", "computing the preview…"),
    "preview_missing": ("服务器不支持更正预览", "this server cannot preview a correction"),
    "no_quiz": ("当前轮次不是计分抢答轮", "the current round is not a points round"),
    # action names (for notices)
    "a_open": ("开始评分 {name}", "open {name}"),
    "a_close": ("截止评分 {name}", "close {name}"),
    "a_lock": ("锁定 {name}", "lock {name}"),
    "a_reveal": ("亮分 {name}", "reveal {name}"),
    "a_freeze": ("冻结公开榜单", "freeze the public standings"),
    "a_unfreeze": ("恢复公开榜单", "unfreeze the public standings"),
    "a_next_round": ("进入下一轮", "next round"),
    "a_adjustment": ("{name} 加减分 {points}", "{points} for {name}"),
    "a_manual_award": ("{name} 获 {award}", "{award} for {name}"),
    "a_correction": ("更正 {name} 的评分（{judge}）", "correction for {name} ({judge})"),
    "a_ceremony": ("颁奖第 {step} 步", "ceremony step {step}"),
    "a_ceremony_end": ("结束颁奖", "end of the ceremony"),
    "a_question": ("当前题目：{question}", "question: {question}"),
    "a_points": ("{name}：{outcome} {points}", "{name}: {outcome} {points}"),
    "a_undo": ("撤销上一次计分", "undo the last award"),
    # quiz
    "quiz": ("计分", "Points"),
    "question": ("当前题目", "Question"),
    "no_question": ("未选择题目（按 t 选择）", "no question yet (press t)"),
    "stake": ("风险分值", "Stake"),
    "stake_none": ("未选（按 s 选择）", "none (press s)"),
    "stake_first": ("风险题：请先按 s 选择分值", "Risk question: choose the stake first (s)"),
    "last": ("上一次", "Last"),
    "undone": ("已撤销", "undone"),
    "correct": ("答对", "correct"),
    "wrong": ("答错", "wrong"),
    "none": ("未答", "no answer"),
    "pick_question": ("选择题型和题号", "Question type and number"),
    "number": ("题号", "Number"),
    "need_number": ("题号须为正整数", "The number is a whole number from 1"),
    "no_team": ("请先选择队伍（↑↓ 或数字键）", "Select a team first (↑↓ or a digit)"),
    "team_total": ("总分", "Total"),
    # ceremony
    "ceremony": ("颁奖典礼", "Prize ceremony"),
    "ceremony_off": ("颁奖未开始。按 → 显示颁奖标题（第 0 步）。", "The ceremony has not started. Press → to show its title card (step 0)."),
    "ceremony_step": ("第 {step}/{steps} 步", "step {step} of {steps}"),
    "ceremony_title_card": ("大屏显示：颁奖标题", "The hall sees the title card"),
    "ceremony_last": ("已是最后一步", "this is the last step"),
    "ceremony_first": ("已是第一步", "this is the first step"),
    # review
    "review": ("复核", "Review"),
    "review_loading": ("正在获取复核数据…", "fetching the review…"),
    "review_none": ("此服务器未提供复核数据", "this server sends no review"),
    "judges": ("评委打分倾向", "Judges"),
    "col_panel": ("评委组", "Panel"),
    "col_scored": ("已评", "Scored"),
    "col_mean_dev": ("平均偏差", "Mean dev."),
    "col_abs_dev": ("平均绝对偏差", "Mean |dev.|"),
    "col_max_dev": ("最大偏差", "Max dev."),
    "flags": ("需关注", "Flags"),
    "no_flags": ("无", "none"),
    "missing": ("缺评", "Missing marks"),
    "no_missing": ("无缺评", "no missing marks"),
    "missing_later": ("另有 {n} 项属于尚未上场的选手，未列出", "{n} more for contestants not on stage yet, not listed"),
    "shadow": ("（见习，不计分）", "(shadow, not counted)"),
}

# Server refusal codes, said in the interface language; the server's own message follows.
REFUSALS: dict[str, tuple[str, str]] = {
    "bad_status": ("当前状态不允许此操作", "not allowed in this state"),
    "not_complete": ("结果不完整，不能亮分", "no complete result yet"),
    "locked": ("已锁定", "locked"),
    "reason_required": ("请填写理由", "a reason is required"),
    "last_round": ("已是最后一轮", "this is the last round"),
    "not_advanced": ("该选手未晋级本轮", "did not advance to this round"),
    "already_awarded": ("本题已为该队计分，请先撤销", "already awarded for this question: undo first"),
    "not_points_round": ("当前轮次不是计分轮", "not a points round"),
    "out_of_range": ("分值超出范围", "out of range"),
    "off_step": ("不符合步长", "off the step"),
    "not_a_number": ("不是数字", "not a number"),
    "offline": ("未连接服务器，操作未发送", "not connected: nothing was sent"),
    "timeout": ("服务器未及时回应，请查看状态后再试", "the server did not answer in time; check the state and retry"),
    "bad_request": ("请求有误", "bad request"),
    "unknown_action": ("服务器不支持此操作", "the server does not know this action"),
}


def t(key: str, lang: str, **values: object) -> str:
    zh, en = WORDS[key]
    return (zh if lang == "zh" else en).format(**values)


def refusal(code: str, message: str, lang: str) -> str:
    """A server refusal for the status line: what it means, then the server's own words."""
    zh, en = REFUSALS.get(code, ("服务器未执行", "refused"))
    head = zh if lang == "zh" else en
    if code in ("offline", "timeout"):
        return head
    return f"{head}：{message}" if lang == "zh" else f"{head}: {message}"
