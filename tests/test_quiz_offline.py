"""Quizzes without a server: `judging tabulate` on the quiz fixtures as docs/contest-format.md
runs it, and the quiz's state machine where a rule needs no sockets to be shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from judging.contest_file import load_contest
from judging.live import LiveState
from judging.quiz import QuizError
from judging.views import control_snapshot, viewer_snapshot

ROOT = Path(__file__).resolve().parent.parent
JUDGING = Path(sys.executable).parent / "judging"
QUIZ = ROOT / "fixtures" / "quiz"
MIXED = ROOT / "fixtures" / "quiz-mixed"


def tabulate_command(*argv: str) -> dict:
    """The installed `judging tabulate`, as a user runs it, with its JSON output."""
    done = subprocess.run([str(JUDGING), "tabulate", *argv, "--format", "json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def test_tabulate_command_on_the_quiz_fixture():
    data = tabulate_command(str(QUIZ / "contest.toml"), "--scores", str(QUIZ / "scores.csv"), "--adjustments", str(QUIZ / "adjustments.csv"))
    (cat,) = data["categories"]
    rows = [(s["rank"], s["contestant"], s["total"], s["award"]) for s in cat["standings"]]
    assert rows == [
        (1, "Q5", "130", "一等奖"),
        (2, "Q1", "100", "二等奖"),
        (3, "Q2", "90", "二等奖"),
        (4, "Q7", "75", "三等奖"),
        (4, "Q8", "75", "三等奖"),  # equal points share a rank and, tie_at_cut = "include", a tier
        (6, "Q3", "45", "三等奖"),
        (6, "Q4", "45", "三等奖"),
        (8, "Q6", "-40", "优秀奖"),  # 20 + 10 - 50 + 0 + 10 - 30, as the docs work it out
    ]
    q3 = next(s for s in cat["standings"] if s["contestant"] == "Q3")
    assert [a["points"] for a in q3["adjustments"]] == ["-10"]  # the early-buzz penalty


def test_tabulate_command_on_the_mixed_fixture():
    data = tabulate_command(str(MIXED / "contest.toml"), "--scores", str(MIXED / "scores.csv"))
    (cat,) = data["categories"]
    rows = [(s["rank"], s["contestant"], s["total"], s["award"]) for s in cat["standings"]]
    assert rows == [
        (1, "T4", "112.2", "一等奖"),  # 0.4 × 85.5 + 0.6 × 130
        (2, "T3", "104.6", "二等奖"),
        (3, "T2", "102.1", "二等奖"),
        (4, "T6", "97.3", "三等奖"),
        (5, "T5", "95.8", "三等奖"),
        (6, "T1", "83.3", "三等奖"),
    ]
    t4 = next(s for s in cat["standings"] if s["contestant"] == "T4")
    assert t4["rounds"] == {"show": "85.5", "quiz": "130.0"}


# -- the state machine ---------------------------------------------------------------------------


def two_quizzes(tmp_path: Path) -> Path:
    """fixtures/quiz-mixed with its judged round made a points round too: two quizzes in a row."""
    text = (MIXED / "contest.toml").read_text(encoding="utf-8")
    judged = '[[rounds]]\nid = "show"\nname = "案例展示"\npanels = ["judges"]\nweight = 0.4\nmin = 0\nmax = 100\nstep = 0.5\n'
    assert judged in text
    points = '[[rounds]]\nid = "show"\nname = "初赛"\nkind = "points"\nweight = 0.4\nstart = 0\n\n' \
        '[rounds.questions.buzzer]\nname = "抢答题"\ncorrect = 10\nwrong = -10\n'
    path = tmp_path / "contest.toml"
    path.write_text(text.replace(judged, points), encoding="utf-8")
    return path


class Log:
    """Prepares and applies events the way the server does."""

    def __init__(self, path: Path):
        self.state = LiveState(load_contest(path))
        self.seq = 0

    def __call__(self, kind: str, **data) -> set[str]:
        """Returns the view sections the event changed; ``seq`` is its number."""
        logged = self.state.prepare(kind, "control", data)
        self.seq += 1
        return self.state.apply({"seq": self.seq, "at": f"t{self.seq}", "actor": "control", "kind": kind, "data": logged})


def totals(section: dict) -> dict[str, str]:
    return {t["contestant"]: t["total"] for t in section["teams"]}


def test_an_undo_names_an_award_of_this_round_only(tmp_path):
    log = Log(two_quizzes(tmp_path))
    log("question", type="buzzer", number=1)
    log("points", contestant="T1", outcome="correct")
    first = log.seq
    log("next_round")
    log("question", type="buzzer", number=1)
    log("points", contestant="T2", outcome="correct")
    with pytest.raises(QuizError) as refused:
        log("undo", award=first)
    assert refused.value.code == "unknown_award" and "show" in refused.value.message
    assert first not in log.state.quiz.undone
    assert log.state.tab.round_result("show", "T1").final == 10  # the first round's total stands
    log("undo", award=log.seq)  # this round's own award can be taken back
    assert log.state.tab.round_result("quiz", "T2").final == 100


def test_the_hall_sees_the_last_change_that_matches_its_frozen_totals():
    log = Log(QUIZ / "contest.toml")
    log("question", type="buzzer", number=1)
    log("points", contestant="Q1", outcome="correct")
    shown = log.seq
    log("freeze")
    log("points", contestant="Q2", outcome="correct")
    log("undo", award=shown)  # an undo during the freeze does not show either
    hall, host = viewer_snapshot(log.state)["quiz"], control_snapshot(log.state)["quiz"]
    assert (hall["last"]["seq"], hall["last"]["undone"]) == (shown, False)
    assert (totals(hall)["Q1"], totals(hall)["Q2"]) == ("30", "20")
    # The host sees what was done, with the totals it leads to.
    assert (host["last"]["seq"], host["last"]["undone"]) == (shown, True)
    assert (totals(host)["Q1"], totals(host)["Q2"]) == ("20", "30")
    assert "quiz" in log("unfreeze")  # the hall's quiz section is sent again, caught up
    hall = viewer_snapshot(log.state)["quiz"]
    assert hall["last"] == host["last"] and totals(hall) == totals(host)
