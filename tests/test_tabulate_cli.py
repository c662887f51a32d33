"""``judging tabulate`` on paper-ballot sheets: the three output formats, and bad rows.

A bad row gives one line naming the file and the row, the exit is non-zero and nothing is
tabulated: a half-right result is never printed.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from judging.cli import main
from judging.text import width

ROOT = Path(__file__).resolve().parent.parent
SPEECH = ROOT / "fixtures" / "speech"


def tabulate(capsys, folder: Path, fmt: str = "table", adjustments: bool = True) -> tuple[int, str, str]:
    argv = ["tabulate", str(folder / "contest.toml"), "--scores", str(folder / "scores.csv"), "--format", fmt]
    if adjustments:
        argv += ["--adjustments", str(folder / "adjustments.csv")]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- good sheets ---------------------------------------------------------------------------


def test_json_totals_are_strings_with_two_decimals(capsys):
    code, out, err = tabulate(capsys, SPEECH, "json")
    assert code == 0
    assert "Traceback" not in err
    data = json.loads(out)
    assert data["precision"] == 2
    (cat,) = data["categories"]
    standings = cat["standings"]
    assert len(standings) == 22
    for s in standings:
        assert isinstance(s["total"], str) and re.fullmatch(r"\d+\.\d\d", s["total"]), s["total"]
        for value in s["rounds"].values():
            assert re.fullmatch(r"\d+\.\d\d", value)
    assert [s["rank"] for s in standings] == list(range(1, 23))
    assert (standings[0]["contestant"], standings[0]["total"]) == ("S10", "94.32")
    s04 = next(s for s in standings if s["contestant"] == "S04")
    assert s04["adjustments"] == [{"round": "final", "points": "-0.50", "reason": "超时30秒，扣0.5分"}]
    assert {s["contestant"]: s["award"] for s in standings if s["award"] == "特等奖"} == {"S07": "特等奖", "S15": "特等奖"}


def test_csv_starts_with_a_utf8_bom(capsysbinary):
    argv = ["tabulate", str(SPEECH / "contest.toml"), "--scores", str(SPEECH / "scores.csv"), "--format", "csv"]
    assert main(argv) == 0
    raw = capsysbinary.readouterr().out
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0].startswith("组别,名次,编号,姓名")
    assert lines[1].startswith("决赛,1,S10,邹晓国,")
    assert len([line for line in lines if line]) == 23


def table_rows(out: str) -> list[str]:
    """The header and the contestant rows of the first category (the ruler line left out)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("== "))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        if not set(line) <= {"-", " "}:
            rows.append(line)
    return rows


def total_end(line: str) -> int:
    """Display column where the total (the first number with two decimals, or 总分) ends."""
    m = re.search(r"-?\d+\.\d\d|总分", line)
    assert m, line
    return width(line[: m.end()])


def check_aligned(out: str) -> list[str]:
    rows = table_rows(out)
    assert len(rows) == 23  # header + 22 contestants
    ends = {total_end(row) for row in rows}
    assert len(ends) == 1, [(total_end(r), r) for r in rows]
    return rows


def test_table_aligns_cjk_names(capsys):
    code, out, err = tabulate(capsys, SPEECH)
    assert code == 0
    rows = check_aligned(out)
    assert "邹晓国" in rows[1] and "北京燕京啤酒" in rows[1]


def test_table_aligns_mixed_latin_cjk_and_fullwidth_names(capsys, tmp_path):
    for f in SPEECH.iterdir():
        shutil.copy(f, tmp_path / f.name)
    roster = tmp_path / "roster.csv"
    text = roster.read_text(encoding="utf-8")
    text = text.replace("S01,付海,首都钢铁公司", "S01,Li Na,Capital Steel")
    text = text.replace("S10,邹晓国,", "S10,ＡＢＣ邹晓国,")
    roster.write_text(text, encoding="utf-8")
    code, out, err = tabulate(capsys, tmp_path)
    assert code == 0
    rows = check_aligned(out)
    assert any("Li Na" in r for r in rows) and any("ＡＢＣ邹晓国" in r for r in rows)


# -- bad rows ------------------------------------------------------------------------------


@pytest.fixture
def speech(tmp_path) -> Path:
    for f in SPEECH.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def rewrite(path: Path, change) -> None:
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    change(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def set_row(number: int, text: str):
    """Replace file row ``number`` (1 is the header)."""

    def change(lines: list[str]) -> None:
        lines[number - 1] = text

    return change


def append(text: str):
    return lambda lines: lines.append(text)


def expect_one_bad_row(capsys, folder: Path, sheet: str, row: int, words: str) -> None:
    code, out, err = tabulate(capsys, folder, "json")
    assert code != 0
    assert out == ""  # nothing tabulated
    assert "Traceback" not in err
    path = folder / sheet
    bad = [line for line in err.splitlines() if line.startswith(f"{path}:")]
    assert len(bad) == 1, err
    assert bad[0].startswith(f"{path}:{row}: "), bad[0]
    assert words in bad[0], bad[0]
    assert err.splitlines()[-1] == "1 bad row(s); nothing tabulated"


# The speech scores sheet: row 1 is the header, row 2 is "S01,E1,,91.15".
@pytest.mark.parametrize(
    "change, row, words",
    [
        (set_row(2, "S99,E1,,91.15"), 2, "unknown contestant 'S99'"),
        (set_row(2, "S01,X9,,91.15"), 2, "unknown judge 'X9'"),
        (set_row(2, "S01,E1,,100.50"), 2, "100.50 is outside 0..100"),
        (set_row(2, "S01,E1,,91.155"), 2, "91.155 is not on a step of 0.01"),
        (set_row(2, "S01,E1,,九十"), 2, "expected a number"),
        (set_row(2, "S01,E1,voice,91.15"), 2, "unknown criterion 'voice'"),
        (append("S01,E1,,90.00"), None, "duplicate of row 2 (round final, contestant S01, judge E1"),
    ],
    ids=["unknown-contestant", "unknown-judge", "out-of-range", "off-step", "not-a-number", "unknown-criterion", "duplicate"],
)
def test_bad_score_row(capsys, speech, change, row, words):
    scores = speech / "scores.csv"
    rewrite(scores, change)
    if row is None:
        row = len(scores.read_text(encoding="utf-8").splitlines())
    expect_one_bad_row(capsys, speech, "scores.csv", row, words)


@pytest.mark.parametrize(
    "change, row, words",
    [
        (set_row(2, "S99,-0.50,超时30秒"), 2, "unknown contestant 'S99'"),
        (set_row(2, "S04,半分,超时30秒"), 2, "points: expected a number"),
        (set_row(3, "S19,-1.00,"), 3, "an adjustment needs a written reason"),
    ],
    ids=["unknown-contestant", "bad-points", "no-reason"],
)
def test_bad_adjustments_row(capsys, speech, change, row, words):
    rewrite(speech / "adjustments.csv", change)
    expect_one_bad_row(capsys, speech, "adjustments.csv", row, words)


TWO_ROUNDS = """
[contest]
name = "Skills"
roster = "roster.csv"

[[categories]]
id = "c"

[[panels]]
id = "p"
weight = 1

[[judges]]
id = "j1"
panel = "p"

[[rounds]]
id = "theory"
max = 100
weight = 0.3

[[rounds]]
id = "practical"
max = 100
weight = 0.7
"""


@pytest.fixture
def skills(tmp_path) -> Path:
    (tmp_path / "contest.toml").write_text(TWO_ROUNDS, encoding="utf-8")
    (tmp_path / "roster.csv").write_text("id,name,category\nA,甲,c\nB,乙,c\n", encoding="utf-8")
    (tmp_path / "scores.csv").write_text(
        "contestant,judge,criterion,score,round\nA,j1,,90,theory\nA,j1,,80,practical\nB,j1,,70,theory\nB,j1,,88,practical\n",
        encoding="utf-8",
    )
    return tmp_path


def test_two_rounds_tabulate(capsys, skills):
    # A: 0.3 * 90 + 0.7 * 80 = 83.00; B: 0.3 * 70 + 0.7 * 88 = 82.60
    code, out, err = tabulate(capsys, skills, "json", adjustments=False)
    assert code == 0, err
    standings = json.loads(out)["categories"][0]["standings"]
    assert [(s["contestant"], s["total"], s["rounds"]) for s in standings] == [
        ("A", "83.00", {"theory": "90.00", "practical": "80.00"}),
        ("B", "82.60", {"theory": "70.00", "practical": "88.00"}),
    ]


def test_missing_round_column_in_a_multi_round_contest(capsys, skills):
    def drop_round(lines: list[str]) -> None:
        lines[:] = [line.rsplit(",", 1)[0] for line in lines]

    rewrite(skills / "scores.csv", drop_round)
    code, out, err = tabulate(capsys, skills, "json", adjustments=False)
    assert code != 0 and out == ""
    path = skills / "scores.csv"
    bad = [line for line in err.splitlines() if line.startswith(f"{path}:")]
    assert bad == [f"{path}:1: missing column(s) round; found contestant,judge,criterion,score"]


@pytest.mark.parametrize(
    "text, words",
    [("B,j1,,88,", "round is required: this contest has several rounds"), ("B,j1,,88,final", "unknown round 'final'")],
)
def test_bad_round_cell(capsys, skills, text, words):
    rewrite(skills / "scores.csv", set_row(5, text))
    code, out, err = tabulate(capsys, skills, "json", adjustments=False)
    assert code != 0 and out == ""
    path = skills / "scores.csv"
    bad = [line for line in err.splitlines() if line.startswith(f"{path}:")]
    assert bad == [f"{path}:5: {words}"]
