"""``judging check``: every fixture passes; every broken file fails with a located message.

A located message names the file, the line where it can be known, the key path and what
was expected, and never shows a traceback.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from judging.cli import main
from judging.contest_file import load_contest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(ROOT.glob("fixtures/*/contest.toml"))
SPEECH = ROOT / "fixtures" / "speech"


def test_there_are_fixtures():
    assert SPEECH / "contest.toml" in FIXTURES


@pytest.mark.parametrize("path", FIXTURES, ids=[p.parent.name for p in FIXTURES])
def test_every_fixture_checks(path, capsys):
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.rstrip().endswith("OK")
    assert err == ""


# -- broken contest files ------------------------------------------------------------------


@pytest.fixture
def speech(tmp_path) -> Path:
    """A private copy of the speech fixture to break."""
    for f in SPEECH.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def edit(path: Path, old: str, new: str, count: int = 1) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, count)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing needle."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def run_check(path: Path, capsys) -> list[str]:
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert code != 0
    assert "OK" not in out
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines
    return lines


def test_panel_weights_that_do_not_sum_to_one(speech, capsys):
    toml = speech / "contest.toml"
    text = edit(toml, "weight = 0.10", "weight = 0.20")
    (line,) = run_check(toml, capsys)
    assert line == (
        f"{toml}:{line_of(text, '[[rounds]]')}: rounds[0].panels: panel weights must sum to 1, "
        "they sum to 1.10 (expert=0.70, model=0.20, public=0.20)"
    )


def test_a_round_panel_weight_outside_zero_to_one(speech, capsys):
    # Weights of 1.2 and -0.2 sum to 1 but are no weighting an organiser could mean.
    toml = speech / "contest.toml"
    text = edit(toml, 'round_at = ["panel", "end"]\n', 'round_at = ["panel", "end"]\npanel_weights = { expert = 1.2, model = -0.2, public = 0 }\n')
    at = line_of(text, "panel_weights")
    lines = run_check(toml, capsys)
    assert lines == [
        f"{toml}:{at}: rounds[0].panel_weights.expert: expected a weight between 0 and 1, got 1.2",
        f"{toml}:{at}: rounds[0].panel_weights.model: expected a weight between 0 and 1, got -0.2",
    ]


def test_duplicate_judge_id(speech, capsys):
    toml = speech / "contest.toml"
    text = edit(toml, 'id = "E2"', 'id = "E1"')
    at = line_of(text, 'id = "E1"', 2)
    (line,) = run_check(toml, capsys)
    assert line == f"{toml}:{at}: judges[1].id: duplicate judge id 'E1'"


def test_judge_in_an_unknown_panel(speech, capsys):
    toml = speech / "contest.toml"
    text = edit(toml, 'id = "M3"\nname = "莫伟"\npanel = "model"', 'id = "M3"\nname = "莫伟"\npanel = "modle"')
    at = line_of(text, 'panel = "modle"')
    (line,) = run_check(toml, capsys)
    assert line == (
        f"{toml}:{at}: judges[9].panel: "
        "unknown panel 'modle' (panels: expert, model, public)"
    )


def test_step_that_does_not_divide_the_range(speech, capsys):
    toml = speech / "contest.toml"
    text = edit(toml, "step = 0.01", "step = 0.03")
    (line,) = run_check(toml, capsys)
    assert line == f"{toml}:{line_of(text, 'step = 0.03')}: rounds[0].step: step 0.03 does not divide the range 0..100"


def test_misspelt_key_is_reported_not_ignored(speech, capsys):
    # A typo would otherwise fall back silently to the default (here: 2 decimals).
    toml = speech / "contest.toml"
    text = edit(toml, "precision = 2", "precison = 3")
    (line,) = run_check(toml, capsys)
    assert line.startswith(f"{toml}:{line_of(text, 'precison = 3')}: contest.precison: unknown key (known keys here: ")
    assert "precision" in line


def test_roster_row_without_a_category(speech, capsys):
    roster = speech / "roster.csv"
    edit(roster, "S03,史轩,首都机场集团,final,19", "S03,史轩,首都机场集团,,19")
    (line,) = run_check(speech / "contest.toml", capsys)
    # S03 is the third data row: row 4 of the file, counting the header.
    assert line == f"{roster}:4: contestants[2].category: is required: expected one of the categories final"


def test_broken_toml_syntax(speech, capsys):
    toml = speech / "contest.toml"
    text = edit(toml, 'name = "专家评委"', 'name = "专家评委')
    at = line_of(text, 'name = "专家评委')
    (line,) = run_check(toml, capsys)
    assert line.startswith(f"{toml}:{at}: not valid TOML: ")


def test_missing_roster_file(speech, capsys):
    toml = speech / "contest.toml"
    (speech / "roster.csv").unlink()
    text = toml.read_text(encoding="utf-8")
    (line,) = run_check(toml, capsys)
    assert line == (
        f"{toml}:{line_of(text, 'roster = ')}: contest.roster: roster file 'roster.csv' not found: "
        f"expected a CSV or XLSX file at {speech / 'roster.csv'}"
    )


def test_missing_contest_file(tmp_path, capsys):
    (line,) = run_check(tmp_path / "nope.toml", capsys)
    assert line.startswith(f"{tmp_path / 'nope.toml'}: cannot read the file")


def test_xlsx_roster_loads(speech, capsys):
    from openpyxl import Workbook

    with (speech / "roster.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    book = Workbook()
    sheet = book.active
    for row in rows:
        # order as a number, the way a spreadsheet stores it
        sheet.append([int(c) if c.isdigit() else c for c in row])
    book.save(speech / "roster.xlsx")
    (speech / "roster.csv").unlink()
    edit(speech / "contest.toml", 'roster = "roster.csv"', 'roster = "roster.xlsx"')

    assert main(["check", str(speech / "contest.toml")]) == 0
    out, err = capsys.readouterr()
    assert out.rstrip().endswith("OK") and err == ""
    contest = load_contest(speech / "contest.toml")
    assert len(contest.contestants) == len(rows) - 1 == 22
    s04 = contest.contestant("S04")
    assert (s04.name, s04.unit, s04.category, s04.order) == ("刘平晓", "北京公交集团", "final", 14)


def test_console_script_shows_no_traceback(speech):
    # The script installed beside this interpreter (the project's venv), else one on PATH.
    beside = Path(sys.executable).parent / "judging"
    script = str(beside) if beside.exists() else shutil.which("judging")
    assert Path(script).exists()
    toml = speech / "contest.toml"
    edit(toml, "step = 0.01", "step = 0.03")
    done = subprocess.run([script, "check", str(toml)], capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"{toml}:" in done.stderr and "rounds[0].step" in done.stderr
    assert done.stdout == ""
