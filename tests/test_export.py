"""``judging export`` and ``judging verify``: a contest database from a real server (or from
events appended as a server appends them), exported in every format and read back, verified,
then changed by one mark and caught."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from server_fixtures import all_judges, make_live, score, single_round  # noqa: F401  (make_live: fixture)

from judging.cli import main
from judging.contest_file import contest_digest_text, load_contest
from judging.export.cli import export
from judging.export.digest import exports, prefix_digests, results_digest
from judging.export.verify import verify
from judging.live import LiveState
from judging.report import standings_data
from judging.server import contest_hash
from judging.store import Store, now
from judging.text import width

ROOT = Path(__file__).resolve().parent.parent
QUIZ = ROOT / "fixtures" / "quiz" / "contest.toml"
HEAT = {"E1": "80", "E2": "90", "E3": "70", "P1": "60", "P2": "65", "P3": "95", "T1": "10"}


def marks_for(cid: str, marks: dict[str, str]) -> dict[str, str]:
    return {j: v for j, v in marks.items() if not (j == "E3" and cid == "C2")}  # E3 is recused from C2


def log_day(db: Path, contest_path: Path, actions: list[tuple[str, str, dict]]) -> Store:
    """Append events as the server does: checked (and completed) by LiveState, then logged."""
    contest = load_contest(contest_path)
    store = Store(db)
    store.set_meta("contest_hash", contest_hash(contest_digest_text(contest_path)))
    store.set_meta("contest_path", str(contest_path.resolve()))
    state = LiveState(contest)
    for actor, kind, data in actions:
        data = state.prepare(kind, actor, data)
        (event,) = store.append([{"actor": actor, "kind": kind, "data": data, "at": now()}])
        state.apply(event)
    return store


def quiz_day(tmp_path: Path) -> Path:
    db = tmp_path / "quiz.db"
    actions = [("server", "server_started", {"epoch": "e1"})]
    actions.append(("control", "question", {"type": "buzzer", "number": 1}))
    actions += [("control", "points", {"contestant": "Q1", "outcome": "correct"}), ("control", "points", {"contestant": "Q2", "outcome": "wrong"})]
    actions.append(("control", "undo", {}))  # takes back Q2's -10
    actions.append(("control", "question", {"type": "risk", "number": 1}))
    actions.append(("control", "points", {"contestant": "Q3", "outcome": "correct", "stake": "30"}))
    log_day(db, QUIZ, actions).close()
    return db


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def set_mark(db: Path, judge: str, contestant: str, total: str) -> None:
    """Change one logged mark in place, as someone editing the database by hand would."""
    conn = sqlite3.connect(db)
    with conn:
        seq, data = next(
            (s, json.loads(d))
            for s, d in conn.execute("select seq, data from events where kind = 'mark' order by seq")
            if json.loads(d)["judge"] == judge and json.loads(d)["contestant"] == contestant
        )
        data["scores"] = {"total": total}
        conn.execute("update events set data = ? where seq = ?", (json.dumps(data, sort_keys=True), seq))
    conn.close()


async def test_a_live_contest_exports_in_every_format_verifies_and_a_changed_mark_is_caught(make_live, tmp_path):  # noqa: F811
    path = single_round(tmp_path)
    live = await make_live(path)
    ctl = await live.control()
    judges = await all_judges(live)
    people = ["C1", "C2", "C3", "C4"]
    await ctl.control("open", contestants=people)
    for cid, base in (("C1", HEAT), ("C2", {j: "50" for j in HEAT}), ("C3", {j: "40" for j in HEAT}), ("C4", {j: "45" for j in HEAT})):
        await score(live, judges, "heat", cid, marks_for(cid, base))
    await ctl.control("lock", contestants=people)
    await ctl.control("reveal", contestants=people)
    await ctl.control("correction", round="heat", contestant="C1", judge="E1", scores={"total": "81"}, reason="paper card")
    await ctl.control("adjustment", contestant="C1", points="-1", reason="overtime", round="heat")
    await ctl.control("manual_award", contestant="C3", award="Special", reason="national winner")
    expected = json.loads(json.dumps(standings_data(live.server.state.tab)))
    out = tmp_path / "out"
    out.mkdir()
    files = {fmt: export(live.db, fmt, str(out / f"results.{fmt}"), str(path), quiet=True) for fmt in ("xlsx", "csv", "json", "html")}

    doc = json.loads(files["json"][0].read_text(encoding="utf-8"))
    digest = doc["digest"]
    assert digest.startswith("sha256:") and len(digest) == 71
    assert doc["standings"] == expected
    assert doc["events"] == len(live.events()) and doc["last_seq"] == live.events()[-1]["seq"]
    correction = next(a for a in doc["audit"] if a["kind"] == "correction")
    assert correction["reason"] == "paper card" and "80 -> 81" in correction["description"]
    card = next(r for r in doc["scoresheet"] if r["contestant"] == "C1")
    expert = card["panels"][0]
    status = {m["judge"]: m["status"] for m in expert["marks"]}
    # C1's experts: E1 81 (corrected), E2 90, E3 70 -> drop 90 and 70; the shadow T1 never counts.
    assert status == {"E1": "counted", "E2": "dropped_high", "E3": "dropped_low", "T1": "shadow"}
    assert next(m for m in expert["marks"] if m["judge"] == "E1")["corrections"] == 1
    assert card["adjustments"] == [{"points": "-1", "reason": "overtime"}]

    book = load_workbook(files["xlsx"][0])
    assert book.sheetnames == ["Arts", "Science", "Score sheet", "Judge review", "Audit trail"]
    arts = book["Arts"]
    assert arts.freeze_panes == "A4" and digest in arts["A2"].value
    header = [c.value for c in arts[3]]
    rows = [dict(zip(header, (c.value for c in row))) for row in arts.iter_rows(min_row=4)]
    arts_expected = next(c for c in expected["categories"] if c["id"] == "arts")["standings"]
    assert [(r["Rank"], r["ID"], r["Total"], r["Award"] or "") for r in rows] == [
        (s["rank"], s["contestant"], s["total"], s["award"]) for s in arts_expected
    ]
    sheet = book["Score sheet"]
    assert sheet.freeze_panes == "A4" and digest in sheet["A2"].value
    head = [c.value for c in sheet[3]]
    lines = {(r[head.index("ID")].value, r[head.index("Judge")].value): r for r in sheet.iter_rows(min_row=4)}
    e2 = lines[("C1", "E2")]
    assert e2[head.index("Mark")].value == "90" and e2[head.index("Mark")].font.strike
    assert e2[head.index("Status")].value == "dropped (highest)"
    assert lines[("C1", "T1")][head.index("Status")].value == "shadow judge, not counted"
    assert lines[("C1", "E1")][head.index("Note")].value == "corrections: 1"
    audit = book["Audit trail"]
    reasons = [row[6].value for row in audit.iter_rows(min_row=4)]
    assert {"paper card", "overtime", "national winner"} <= set(reasons)

    csvs = {p.name.split("-")[-1]: p for p in files["csv"]}
    assert sorted(csvs) == ["audit.csv", "review.csv", "scoresheet.csv", "standings.csv"]
    for p in csvs.values():
        table = read_csv(p)
        assert digest in table[1][0]
    standings_rows = read_csv(csvs["standings.csv"])
    assert standings_rows[2][:4] == ["Category", "Rank", "ID", "Name"]
    assert [r[2] for r in standings_rows[3:]] == [s["contestant"] for c in expected["categories"] for s in c["standings"]]
    assert any("national winner" in r for r in standings_rows[3:])
    assert any("dropped (lowest)" in r for r in read_csv(csvs["scoresheet.csv"]))
    assert any(r[4:] == ["correction", "corrected judge E1 Eva's card for C1 Ann (Heat): 80 -> 81", "paper card"] for r in read_csv(csvs["audit.csv"])[3:])

    page = files["html"][0].read_text(encoding="utf-8")
    for needle in (digest, "size: A4", "break-before: page", "<thead>", "display: table-header-group", '<html lang="en">',
                   "Chair of the judging committee (signature)", "Supervisor (signature)", "Date", "paper card"):
        assert needle in page, needle
    assert "<script" not in page and "http" not in page.split("</style>", 1)[1]  # self-contained

    assert [e["format"] for e in exports(live.store)] == ["xlsx", "csv", "json", "html"]
    assert {e["digest"] for e in exports(live.store)} == {digest}
    verdict = verify(live.db, path)
    assert verdict.code == 0, verdict.lines
    assert any(line.startswith("MATCH") for line in verdict.lines)
    assert verify(live.db, path, files["xlsx"][0]).code == 0

    await live.stop_server()
    copy = tmp_path / "copy.db"
    shutil.copy(live.db, copy)
    set_mark(copy, "P1", "C4", "46")  # one public judge's mark, 45 -> 46
    changed = verify(copy, path)
    assert changed.code == 1
    assert any("MISMATCH" in line and "no leading part" in line for line in changed.lines)
    new_digest = next(line for line in changed.lines if line.startswith("Results digest")).split()[-1]
    assert new_digest != digest
    assert verify(copy, path, files["json"][0]).code == 1


def test_a_quiz_exports_its_awards_per_question_with_undone_ones_marked(tmp_path):
    db = quiz_day(tmp_path)
    (path,) = export(db, "json", None, quiet=True)
    assert path == tmp_path / "quiz-results.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    awards = {r["contestant"]: r["awards"] for r in doc["scoresheet"]}
    assert [(a["question"], a["outcome"], a["points"], a["undone"]) for a in awards["Q1"]] == [("buzzer#1", "correct", "10", False)]
    assert [(a["question"], a["points"], a["undone"]) for a in awards["Q2"]] == [("buzzer#1", "-10", True)]
    assert [(a["question"], a["points"]) for a in awards["Q3"]] == [("risk#1", "30")]
    totals = {s["contestant"]: s["total"] for s in doc["standings"]["categories"][0]["standings"]}
    assert (totals["Q1"], totals["Q2"], totals["Q3"]) == ("30", "20", "50")  # every team starts at 20
    kinds = [a["kind_name"] for a in doc["audit"]]
    assert "撤销给分" in kinds and any("撤销 #" in a["description"] and "Q2" in a["description"] for a in doc["audit"])

    (xlsx,) = export(db, "xlsx", str(tmp_path / "quiz.xlsx"), quiet=True)
    book = load_workbook(xlsx)
    assert book.sheetnames == ["决赛", "评分明细", "评分复核", "操作记录"]
    sheet = book["评分明细"]
    head = [c.value for c in sheet[3]]
    assert {"题目", "题型", "结果", "得分"} <= set(head)
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert ["Q2", "buzzer#1", "已撤销，不计分"] == [rows[i][j] for i in [next(k for k, r in enumerate(rows) if r[0] == "Q2" and r[3] == "buzzer#1")] for j in (0, 3, head.index("状态"))]
    # Column widths count CJK characters double.
    names = book["决赛"]
    longest = max(width(str(r[2].value)) for r in names.iter_rows(min_row=4))
    assert names.column_dimensions["C"].width >= longest > len("朝阳区望京街道代表队")
    assert verify(db).code == 0


def test_html_of_a_judged_contest_prints_its_signature_lines_in_chinese(tmp_path):
    db = quiz_day(tmp_path)
    (html,) = export(db, "html", str(tmp_path), quiet=True)
    page = html.read_text(encoding="utf-8")
    for needle in ("评委会主任（签字）", "监审（签字）", "日期", "@page wide", "size: A4 landscape", '<html lang="zh-CN">', "操作记录", "评分明细"):
        assert needle in page, needle


def test_events_logged_after_the_export_are_named_by_verify(tmp_path):
    db = quiz_day(tmp_path)
    export(db, "csv", str(tmp_path / "q.csv"), quiet=True)
    store = Store(db)
    store.append([{"actor": "server", "kind": "server_started", "data": {"epoch": "e2"}}])
    store.close()
    verdict = verify(db)
    assert verdict.code == 1
    assert any("logged since (server_started x1)" in line for line in verdict.lines), verdict.lines


def test_a_mark_that_no_longer_fits_the_rules_fails_verification(tmp_path, capsys):
    store = log_day(tmp_path / "live.db", single_round(tmp_path), [
        ("control", "open", {"contestants": ["C1"]}),
        ("judge:E1", "mark", {"round": "heat", "contestant": "C1", "judge": "E1", "scores": {"total": "80"}}),
    ])
    store.close()
    set_mark(tmp_path / "live.db", "E1", "C1", "999")
    assert main(["verify", "--db", str(tmp_path / "live.db")]) == 1
    assert "does not replay" in capsys.readouterr().out
    assert main(["export", "--db", str(tmp_path / "live.db"), "--quiet"]) == 2


def test_the_digest_covers_every_event_and_the_contest_file():
    events = [{"seq": 1, "kind": "mark", "actor": "judge:E1", "data": {"scores": {"total": "80"}}},
              {"seq": 2, "kind": "lock", "actor": "control", "data": {"contestants": ["C1"]}}]
    base = results_digest(events, "h")
    changed = [events[0] | {"data": {"scores": {"total": "80.0"}}}, events[1]]
    assert results_digest(changed, "h") != base
    assert results_digest(events, "other") != base
    assert results_digest(events[:1], "h") != base
    assert results_digest([dict(e, at="whenever", client="x") for e in events], "h") == base  # times are not results
    assert prefix_digests(events, "h") == {results_digest([], "h"): 0, results_digest(events[:1], "h"): 1, base: 2}


def test_the_command_line_prints_only_the_files_on_stdout(tmp_path, capsys):
    db = quiz_day(tmp_path)
    assert main(["export", "--db", str(db), "--format", "csv", "--out", str(tmp_path / "x")]) == 0
    captured = capsys.readouterr()
    assert captured.out.split() == [str(tmp_path / f"x-{part}.csv") for part in ("standings", "scoresheet", "review", "audit")]
    assert "replayed" in captured.err and "sha256:" in captured.err
    assert main(["verify", "--db", str(db), "--against", str(tmp_path / "x-audit.csv")]) == 0
    assert "MATCH" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "--db", "{tmp}/none.db"], "no such database file"),
        (["export", "--db", "{tmp}/junk.db"], "not a contest database"),
        (["export", "--db", "{tmp}/quiz.db", "--contest", str(ROOT / "fixtures" / "speech" / "contest.toml")], "is not the contest file"),
        (["export", "--db", "{tmp}/quiz.db", "--out", "{tmp}/no/such/dir/x.xlsx"], "no such directory"),
        (["export", "--db", "{tmp}/quiz.db", "--threshold", "-1"], "--threshold"),
        (["export", "--db", "{tmp}/bare.db"], "does not say which contest file"),
        (["verify", "--db", "{tmp}/quiz.db"], "no export is recorded"),
        (["verify", "--db", "{tmp}/quiz.db", "--against", "{tmp}/junk.db"], "no results digest"),
        (["verify", "--db", "{tmp}/quiz.db", "--against", "{tmp}/missing.json"], "no such file"),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_2(tmp_path, capsys, args, message):
    quiz_day(tmp_path)
    (tmp_path / "junk.db").write_bytes(b"not a database at all")
    bare = Store(tmp_path / "bare.db")
    bare.set_meta("contest_hash", "0" * 64)
    bare.close()
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err + captured.out
    assert "Traceback" not in captured.err


def test_serve_records_the_contest_file_for_export(tmp_path):
    contest = tmp_path / "contest.toml"
    shutil.copy(ROOT / "fixtures" / "live" / "contest.toml", contest)
    db = tmp_path / "served.db"
    proc = subprocess.Popen([sys.executable, "-m", "judging", "serve", str(contest), "--db", str(db), "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        recorded = None
        while recorded is None and time.monotonic() < deadline:
            time.sleep(0.1)
            if db.exists():
                try:
                    conn = sqlite3.connect(db, timeout=1)
                    rows = conn.execute("select value from meta where key = 'contest_path'").fetchall()
                    conn.close()
                    recorded = rows[0][0] if rows else None
                except sqlite3.OperationalError:
                    pass  # the server is still creating its tables
        assert recorded == str(contest.resolve())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    (path,) = export(db, "json", None, quiet=True)  # no --contest needed
    assert json.loads(path.read_text(encoding="utf-8"))["contest"] == "Live test contest"


def test_a_total_edited_in_an_exported_file_fails_verification_despite_its_digest(tmp_path):
    db = quiz_day(tmp_path)
    (xlsx,) = export(db, "xlsx", str(tmp_path / "q.xlsx"), quiet=True)
    files = export(db, "csv", str(tmp_path / "q.csv"), quiet=True)
    standings = next(p for p in files if p.name.endswith("-standings.csv"))
    ok = verify(db, against=xlsx)
    assert ok.code == 0 and any("cell by cell" in line for line in ok.lines)
    assert verify(db, against=standings).code == 0

    book = load_workbook(xlsx)
    sheet = book["决赛"]
    head = [c.value for c in sheet[3]]
    cell = sheet.cell(row=4, column=head.index("总分") + 1)
    cell.value = str(int(cell.value) + 10)
    book.save(xlsx)
    edited = verify(db, against=xlsx)
    assert edited.code == 1
    assert any(line.startswith("MISMATCH") and "决赛, row 1" in line for line in edited.lines), edited.lines

    text = standings.read_text(encoding="utf-8-sig").replace("一等奖", "特等奖", 1)
    standings.write_text(text, encoding="utf-8-sig")
    assert verify(db, against=standings).code == 1


def test_a_contest_with_advancement_rederives_across_its_rounds(tmp_path):
    contest = ROOT / "fixtures" / "live" / "contest.toml"
    people = ["C1", "C2", "C3", "C4"]
    heat = {"C1": "80", "C2": "70", "C3": "60", "C4": "65"}
    actions = [("control", "open", {"contestants": people})]
    for cid, mark in heat.items():
        for jid in marks_for(cid, {j: mark for j in HEAT}):
            actions.append((f"judge:{jid}", "mark", {"round": "heat", "contestant": cid, "judge": jid, "scores": {"total": mark}}))
    actions += [("control", "lock", {"contestants": people}), ("control", "next_round", {}), ("control", "open", {"contestants": ["C1", "C4"]})]
    for cid, mark in (("C1", "75"), ("C4", "90")):
        for jid in marks_for(cid, {j: mark for j in HEAT}):
            actions.append((f"judge:{jid}", "mark", {"round": "final", "contestant": cid, "judge": jid, "scores": {"total": mark}}))
    log_day(tmp_path / "adv.db", contest, actions).close()
    (path,) = export(tmp_path / "adv.db", "json", None, quiet=True)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [(r["round"], r["contestant"]) for r in doc["scoresheet"]] == [
        ("heat", "C1"), ("heat", "C2"), ("heat", "C3"), ("heat", "C4"), ("final", "C1"), ("final", "C4")
    ]
    assert doc["warnings"] and "C1, C4" in doc["warnings"][0]  # the final is still open
    verdict = verify(tmp_path / "adv.db")
    assert verdict.code == 0 and any("4 contestants in 2 categories" in line for line in verdict.lines), verdict.lines
