"""``judging export`` and ``judging verify``: a contest database from a real server (or from
events appended as a server appends them), exported in every format and read back, verified,
then changed by one mark and caught."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
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
    for exported in files["xlsx"] + files["csv"] + files["html"]:
        checked = verify(live.db, path, exported)
        assert checked.code == 0 and any("cell by cell" in line for line in checked.lines), (exported, checked.lines)

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
    cols = [head.index(k) for k in ("题目", "结果", "得分", "状态")]
    q2 = [(tuple(r[i].value for i in cols), r[cols[2]].font.i) for r in sheet.iter_rows(min_row=4) if r[0].value == "Q2"]
    # Q2's starting points, its wrong answer (undone: grey italic, not counted) and its round score.
    assert q2 == [
        (("基础分", None, "20", None), False),
        (("buzzer#1", "答错", "-10", "已撤销，不计分"), True),
        ((None, None, "20", "本轮得分"), False),
    ]
    # Column widths count CJK characters double.
    names = book["决赛"]
    longest = max(width(str(r[2].value)) for r in names.iter_rows(min_row=4))
    assert names.column_dimensions["C"].width >= longest > len("朝阳区望京街道代表队")
    assert verify(db).code == 0


def test_html_of_a_chinese_quiz_prints_its_signature_lines_in_chinese(tmp_path):
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
        (["export", "--db", "{tmp}/garbled.db"], "garbled.db: the event log cannot be read (JSONDecodeError"),
        (["verify", "--db", "{tmp}/garbled.db"], "garbled.db: the event log cannot be read (JSONDecodeError"),
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
    garbled = tmp_path / "garbled.db"
    shutil.copy(tmp_path / "quiz.db", garbled)
    with sqlite3.connect(garbled) as conn:
        conn.execute("update events set data = 'not json' where seq = 2")
    conn.close()
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    captured = capsys.readouterr()
    # One error line, last, on stderr: what went wrong and with what.
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert errors == captured.err.splitlines()[-1:] and message in errors[0], captured.err
    if args[0] == "export":
        assert captured.out == ""  # no file was written


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
    # Named by the sheet's row (a standing's first row is row 4), the contestant and the column.
    row4 = next(line for line in edited.lines if line.startswith("MISMATCH"))
    assert f"决赛, row 4 ({sheet['B4'].value} {sheet['C4'].value}): 总分 is \"{cell.value}\" in the file" in row4, row4

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


# -- the database is only read ------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess:
    """The command line in a process of its own: what a user sees on stderr, tracebacks and
    warnings printed while the interpreter shuts down included."""
    return subprocess.run([sys.executable, "-m", "judging", *args], capture_output=True, text=True, timeout=120)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a folder: its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def make_read_only(folder: Path) -> None:
    for p in folder.iterdir():
        p.chmod(0o444)
    folder.chmod(0o555)


def killed_server(folder: Path) -> Path:
    """A database as a server killed mid-contest leaves it: committed events still only in
    the WAL (the process ends without closing, so nothing is checkpointed)."""
    db = folder / "killed.db"
    script = (
        "import os, sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; from test_export import log_day, QUIZ\n"
        "log_day(Path(sys.argv[2]), QUIZ, [('server', 'server_started', {'epoch': 'e1'}),\n"
        "    ('control', 'question', {'type': 'buzzer', 'number': 1}), ('control', 'points', {'contestant': 'Q1', 'outcome': 'correct'})])\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent), str(db)], check=True, timeout=60)
    return db


def test_a_read_only_database_is_exported_and_verified_without_a_write(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = quiz_day(folder)
    make_read_only(folder)
    before = snapshot(folder)
    try:
        out = tmp_path / "q.json"
        done = cli("export", "--db", str(db), "--format", "json", "--out", str(out), "--quiet")
        assert done.returncode == 0 and done.stdout.split() == [str(out)], done.stderr
        assert done.stderr == (
            f"warning: {db}: this export is not recorded in the database (the database is read-only); "
            f"`judging verify --against {out}` checks it all the same\n"
        )
        checked = cli("verify", "--db", str(db), "--against", str(out))
        assert checked.returncode == 0 and "MATCH" in checked.stdout and checked.stderr == "", checked.stderr
        # Not a byte, not a timestamp, not a -wal or -shm file: even root (which permissions
        # do not stop) leaves a read-only database as it found it.
        assert snapshot(folder) == before
    finally:
        folder.chmod(0o755)


def test_the_database_is_opened_for_reading_only(tmp_path):
    from judging.export.source import open_store

    clean = quiz_day(tmp_path)
    for db in (clean, killed_server(tmp_path)):
        store = open_store(db)
        try:
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                store.db.conn.execute("create table written (id integer)")
        finally:
            store.close()
    assert not (tmp_path / "quiz.db-wal").exists() and not (tmp_path / "quiz.db-shm").exists()


def test_a_killed_servers_database_is_read_with_the_events_still_in_its_wal(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = killed_server(folder)
    assert (folder / "killed.db-wal").stat().st_size > 0
    make_read_only(folder)
    before = snapshot(folder)
    try:
        (path,) = export(db, "json", str(tmp_path / "k.json"), quiet=True)
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["events"] == 3 and [a["kind"] for a in doc["audit"]] == ["server_started", "question", "points"]
        totals = {s["contestant"]: s["total"] for s in doc["standings"]["categories"][0]["standings"]}
        assert totals["Q1"] == "30"
        verdict = verify(db, against=path)
        assert verdict.code == 0, verdict.lines
        # The WAL was read where it is, not checkpointed away. (Its -shm is the index that
        # readers share and mark what they read in: a reader that can, writes to it.)
        after = snapshot(folder)
        assert sorted(after) == sorted(before) and all(after[n] == before[n] for n in ("killed.db", "killed.db-wal"))
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root to run the command as another user",
)
@pytest.mark.parametrize("state", ["clean", "killed", "killed, no -shm"])
def test_another_user_exports_and_verifies_a_database_in_a_read_only_directory(state):
    with tempfile.TemporaryDirectory() as top:
        base = Path(top)
        base.chmod(0o755)
        folder, out = base / "db", base / "out"
        folder.mkdir()
        out.mkdir(mode=0o777)
        out.chmod(0o777)
        db = quiz_day(folder) if state == "clean" else killed_server(folder)
        if state == "killed, no -shm":  # copied without it: then read from a temporary copy
            (folder / "killed.db-shm").unlink()
        make_read_only(folder)
        before = snapshot(folder)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "judging"]
        target = out / "x.html"
        env = {**os.environ, "HOME": str(out), "TMPDIR": str(out)}
        done = subprocess.run([*nobody, "export", "--db", str(db), "--format", "html", "--out", str(target), "--quiet"],
                              capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert "not recorded in the database (the database is read-only)" in done.stderr
        checked = subprocess.run([*nobody, "verify", "--db", str(db), "--against", str(target)],
                                 capture_output=True, text=True, timeout=120, env=env)
        assert checked.returncode == 0 and "MATCH" in checked.stdout, checked.stdout + checked.stderr
        assert snapshot(folder) == before  # a user the permissions stop cannot even mark the -shm
        assert not [p for p in out.iterdir() if p.name.startswith("judging-read-")]  # the temporary copy is gone
        folder.chmod(0o755)


def test_a_foreign_database_with_events_and_meta_tables_is_refused_and_left_untouched(tmp_path):
    db = tmp_path / "shop.db"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("create table events (id integer primary key, title text, starts text)")
        conn.execute("create table meta (k text, v text)")
        conn.execute("insert into events (title, starts) values ('sale', '2025-01-01')")
    conn.close()
    before = snapshot(tmp_path)
    for command in ("export", "verify"):
        done = cli(command, "--db", str(db))
        assert done.returncode == 2
        assert done.stderr == (
            f"error: {db}: not a contest database (its events table has no actor, at, client, data, kind, seq columns): "
            "give the --db that `judging serve` wrote\n"
        )
    assert snapshot(tmp_path) == before  # no tokens table, no WAL switch, no -wal or -shm


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, a directory no file can be written in")
def test_an_output_that_cannot_be_written_fails_with_one_line_and_no_traceback(tmp_path):
    db = quiz_day(tmp_path)
    for fmt in ("xlsx", "csv", "json", "html"):
        done = cli("export", "--db", str(db), "--format", fmt, "--out", f"/proc/x.{fmt}", "--quiet")
        assert done.returncode == 2 and done.stdout == ""
        target = "/proc/x-standings.csv" if fmt == "csv" else f"/proc/x.{fmt}"
        assert done.stderr == f"error: cannot write {target}: No such file or directory\n", done.stderr
    assert not list(tmp_path.glob("*.part"))


# -- every published table is read back ---------------------------------------------------


def test_an_edited_html_total_is_a_mismatch_naming_the_contestant_and_both_values(tmp_path):
    db = quiz_day(tmp_path)
    (page,) = export(db, "html", str(tmp_path / "q.html"), quiet=True)
    assert verify(db, against=page).code == 0
    text = page.read_text(encoding="utf-8")
    first = "<tr><td class=n>1</td><td>Q3</td><td>东城区东华门街道代表队</td><td class=w>东城区东华门街道</td><td class=w>李国慧、邓凯、宋宏刚</td><td class=n>50</td>"
    assert text.count(first) == 1
    page.write_text(text.replace(first, first.replace("<td class=n>50</td>", "<td class=n>99.99</td>")), encoding="utf-8")
    edited = verify(db, against=page)
    assert edited.code == 1
    assert f'MISMATCH: {page} does not publish the re-derived results: 决赛, row 1 (Q3 东城区东华门街道代表队): 总分 is "99.99" in the file; the log gives "50"' in edited.lines


def test_edited_score_sheet_audit_and_standings_files_are_mismatches(tmp_path):
    db = quiz_day(tmp_path)
    files = {p.name.split("-")[-1]: p for p in export(db, "csv", str(tmp_path / "q.csv"), quiet=True)}
    for p in files.values():
        assert verify(db, against=p).code == 0, p

    def edited(part: str, old: str, new: str) -> str:
        p = files[part]
        original = p.read_text(encoding="utf-8-sig")
        assert original.count(old) == 1, old
        p.write_text(original.replace(old, new), encoding="utf-8-sig")
        try:
            verdict = verify(db, against=p)
            assert verdict.code == 1
            return next(line for line in verdict.lines if line.startswith("MISMATCH"))
        finally:
            p.write_text(original, encoding="utf-8-sig")

    # Q1's correct answer, 10 points, made 20.
    line = edited("scoresheet.csv", "buzzer#1,抢答题,答对,10,", "buzzer#1,抢答题,答对,20,")
    assert '(Q1 朝阳区望京街道代表队): 得分 is "20" in the file; the log gives "10"' in line, line
    line = edited("audit.csv", "撤销给分", "给分")
    assert "q-audit.csv, line" in line and "(event #5)" in line and '类型 is "给分" in the file; the log gives "撤销给分"' in line, line
    # A contestant added at the end of the standings.
    standings = files["standings.csv"]
    original = standings.read_text(encoding="utf-8-sig")
    standings.write_text(original + "决赛,1,Q9,冒名队,某街道,,99,一等奖,\r\n", encoding="utf-8-sig")
    verdict = verify(db, against=standings)
    assert verdict.code == 1 and any("1 line more than the log gives" in x and "Q9" in x for x in verdict.lines), verdict.lines
    standings.write_text(original, encoding="utf-8-sig")
    # The review's threshold is read from its rule line: an export with another threshold verifies.
    (other,) = [p for p in export(db, "csv", str(tmp_path / "t.csv"), threshold=Decimal("0.5"), quiet=True) if p.name.endswith("-review.csv")]
    assert "0.5" in other.read_text(encoding="utf-8-sig").splitlines()[2]
    assert verify(db, against=other).code == 0


# -- unit standings -----------------------------------------------------------------------

TEAM = ROOT / "fixtures" / "team"


def test_unit_standings_are_exported_as_the_rules_engine_ranks_the_units(tmp_path):
    from judging.rules.decimals import fmt
    from judging.scoresheet import tabulate_files

    contest = load_contest(TEAM / "contest.toml")
    cards: dict[tuple[str, str], dict[str, str]] = {}
    with (TEAM / "scores.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            cards.setdefault((row["contestant"], row["judge"]), {})[row["criterion"]] = row["score"]
    people = [c.id for c in contest.contestants]
    actions = [("control", "open", {"contestants": people})]
    actions += [(f"judge:{jid}", "mark", {"round": "final", "contestant": cid, "judge": jid, "scores": scores}) for (cid, jid), scores in cards.items()]
    actions.append(("control", "lock", {"contestants": people}))
    with (TEAM / "adjustments.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            actions.append(("control", "adjustment", {"contestant": row["contestant"], "points": row["points"], "reason": row["reason"], "round": "final"}))
    db = tmp_path / "team.db"
    log_day(db, TEAM / "contest.toml", actions).close()

    # The engine's own unit standings, from the score sheet files rather than the log.
    tab, _ = tabulate_files(contest, TEAM / "scores.csv", TEAM / "adjustments.csv")
    units = tab.unit_results()
    assert len(units) > 10 and len({u.rank for u in units}) > 10  # a real ranking, not one line
    expected = [(str(u.rank), u.unit, fmt(u.score, contest.precision), list(u.counted)) for u in units]

    files = {p.name.split("-")[-1]: p for p in export(db, "csv", str(tmp_path / "t.csv"), quiet=True)}
    table = read_csv(files["units.csv"])
    assert table[0] == ["单位团体成绩"] and table[2] == ["名次", "单位", "总分", "计入成绩"]
    got = [(r[0], r[1], r[2], [item.split(" ")[0] for item in r[3].split("、")]) for r in table[3:]]
    assert got == expected

    (xlsx,) = export(db, "xlsx", str(tmp_path / "t.xlsx"), quiet=True)
    sheet = load_workbook(xlsx)["单位团体成绩"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert [(str(r[0]), r[1], r[2], [item.split(" ")[0] for item in r[3].split("、")]) for r in rows] == expected
    assert verify(db, against=xlsx).code == 0 and verify(db, against=files["units.csv"]).code == 0

    # A unit's total edited in the units file is caught.
    text = files["units.csv"].read_text(encoding="utf-8-sig")
    first = ",".join(table[3][:3])
    files["units.csv"].write_text(text.replace(first, first[: -len(table[3][2])] + "999.99", 1), encoding="utf-8-sig")
    verdict = verify(db, against=files["units.csv"])
    assert verdict.code == 1 and any(f'总分 is "999.99" in the file; the log gives "{table[3][2]}"' in x for x in verdict.lines), verdict.lines

    # The judge review of a judged contest: a judge's mean deviation edited is caught too.
    review = read_csv(files["review.csv"])
    head = review[3]
    p1 = next(r for r in review[4:] if r[2] == "P1")
    assert verify(db, against=files["review.csv"]).code == 0 and p1[head.index("平均偏差")]
    text = files["review.csv"].read_text(encoding="utf-8-sig")
    line = ",".join(p1)
    files["review.csv"].write_text(text.replace(line, line.replace(p1[head.index("平均偏差")], "0.00", 1)), encoding="utf-8-sig")
    verdict = verify(db, against=files["review.csv"])
    assert verdict.code == 1 and any(f'平均偏差 is "0.00" in the file; the log gives "{p1[head.index("平均偏差")]}"' in x for x in verdict.lines), verdict.lines


# -- words --------------------------------------------------------------------------------


def test_progress_and_summary_lines_count_in_words(tmp_path, capsys):
    from judging.export.words import count

    assert [count(1, "row"), count(2, "row"), count(1, "category", "categories"), count(1200, "category", "categories")] == [
        "1 row", "2 rows", "1 category", "1,200 categories"
    ]
    db = quiz_day(tmp_path)
    assert main(["export", "--db", str(db), "--format", "html", "--out", str(tmp_path / "q.html")]) == 0
    err = capsys.readouterr().err
    assert "html: standings of 1 category\n" in err and "standings: 8 contestants in 1 category\n" in err, err
    assert "review: 0 marks to review" in err
    assert main(["verify", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Re-derived: 8 contestants in 1 category;" in out and "Event log: 7 events" in out
    store = Store(db)
    store.append([{"actor": "server", "kind": "server_started", "data": {"epoch": "e2"}}])
    store.close()
    verdict = verify(db)
    assert any("1 event was logged since (server_started x1)" in line for line in verdict.lines), verdict.lines
