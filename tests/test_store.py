"""The store: one plain SQLite file, an append-only log, insert-only token grants."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading

import pytest
import sqlite_utils

from judging.store import COUNT_CARDS, FIND_SUBMISSION, SCHEMA_VERSION, InUse, Store, hold, token_hash


def test_migrations_apply_to_an_empty_database(tmp_path):
    path = tmp_path / "new.db"
    store = Store(path)
    assert {"events", "tokens", "meta"} <= set(store.db.table_names())
    assert store.get_meta("schema") == str(SCHEMA_VERSION)
    assert store.count() == 0
    assert list(store.events()) == []
    assert store.valid_tokens() == {}
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()
    # Opening again migrates nothing and loses nothing.
    again = Store(path)
    assert again.get_meta("schema") == str(SCHEMA_VERSION)
    again.close()


def test_in_memory_database_works(tmp_path):
    store = Store(":memory:")
    (e,) = store.append([{"actor": "control", "kind": "freeze", "data": {}}])
    assert e["seq"] == 1 and store.count() == 1


def test_append_is_ordered_and_durable(tmp_path):
    path = tmp_path / "log.db"
    store = Store(path)
    first = store.append([{"actor": "judge:E1", "client": "c1", "kind": "mark", "data": {"scores": {"total": "9.50"}, "名": "值"}}])
    batch = store.append([{"actor": "control", "kind": "open", "data": {"contestants": [f"C{i}"]}} for i in range(5)])
    seqs = [e["seq"] for e in first + batch]
    assert seqs == sorted(seqs) == list(range(seqs[0], seqs[0] + 6))
    assert all(e["at"] for e in first + batch)
    # A second connection (another process, as far as SQLite knows) sees every row at once:
    # append returned, so the transaction is committed.
    other = sqlite3.connect(str(path))
    rows = other.execute("select seq, kind, data from events order by seq").fetchall()
    assert [r[0] for r in rows] == seqs
    assert '"名": "值"' in rows[0][2]
    other.close()
    store.close()
    reopened = Store(path)
    events = list(reopened.events())
    assert [e["seq"] for e in events] == seqs
    assert events[0]["data"] == {"scores": {"total": "9.50"}, "名": "值"}
    assert events[0]["client"] == "c1" and events[1]["client"] == ""
    reopened.close()


def test_a_failed_append_writes_nothing(tmp_path):
    store = Store(tmp_path / "x.db")
    store.append([{"actor": "a", "kind": "k", "data": {}}])
    try:
        store.append([{"actor": "a", "kind": "k", "data": {}}, {"actor": "a", "kind": "k", "data": {1j}}])
    except TypeError:
        pass
    else:
        raise AssertionError("an unserialisable event should fail")
    assert store.count() == 1
    # The connection is usable afterwards (no transaction left open).
    store.append([{"actor": "a", "kind": "k", "data": {}}])
    assert [e["seq"] for e in store.events()] == [1, 2]


def test_appends_from_a_writer_thread_keep_their_order(tmp_path):
    store = Store(tmp_path / "t.db")
    out: list[int] = []

    def work():
        for i in range(20):
            out.extend(e["seq"] for e in store.append([{"actor": "t", "kind": "k", "data": {"i": i}}]))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert [e["data"]["i"] for e in store.events()] == list(range(20))
    assert out == list(range(1, 21))


def test_reissue_revokes_the_old_token(tmp_path):
    store = Store(tmp_path / "tok.db")
    store.issue_tokens([("judge:E1", "judge", "old-e1"), ("judge:E2", "judge", "e2"), ("control", "control", "ctl")])
    valid = store.valid_tokens()
    assert valid[token_hash("old-e1")] == ("judge:E1", "judge")
    assert valid[token_hash("ctl")] == ("control", "control")
    store.issue_tokens([("judge:E1", "judge", "new-e1")])
    valid = store.valid_tokens()
    assert token_hash("old-e1") not in valid
    assert valid[token_hash("new-e1")] == ("judge:E1", "judge")
    assert valid[token_hash("e2")] == ("judge:E2", "judge")  # others untouched
    assert len(valid) == 3
    # Insert-only: the revoked grant is still on record (audit), only newer.
    assert store.db["tokens"].count == 4


def test_meta_upserts(tmp_path):
    store = Store(tmp_path / "m.db")
    assert store.get_meta("contest_hash") is None
    store.set_meta("contest_hash", "a")
    store.set_meta("contest_hash", "b")
    assert store.get_meta("contest_hash") == "b"


def test_the_database_is_plain_sqlite(tmp_path):
    path = tmp_path / "plain.db"
    store = Store(path)
    store.issue_tokens([("judge:E1", "judge", "secret-token-e1")])
    store.append([{"actor": "judge:E1", "kind": "mark", "data": {"judge": "E1", "scores": {"total": "88.50"}}}])
    store.close()
    with sqlite3.connect(str(path)) as conn:
        assert conn.execute("select kind, actor from events").fetchall() == [("mark", "judge:E1")]
        assert conn.execute("select hash from tokens").fetchone()[0] == token_hash("secret-token-e1")
    db = sqlite_utils.Database(path)
    rows = list(db["events"].rows)
    assert rows[0]["kind"] == "mark" and '"88.50"' in rows[0]["data"]
    assert set(db["events"].columns_dict) == {"seq", "at", "actor", "client", "kind", "data"}
    db.close()
    assert b"secret-token-e1" not in path.read_bytes()


def test_reopening_and_serving_an_existing_database_does_not_import_sqlite_utils(tmp_path):
    # Importing it is a fifth of a restart; the server's path needs none of it.
    import subprocess
    import sys

    path = tmp_path / "existing.db"
    Store(path).close()
    code = (
        "import sys, judging.server\n"
        "from judging.store import Store\n"
        f"s = Store({str(path)!r}); s.set_meta('contest_name', 'x'); s.append([{{'actor': 'a', 'client': '', 'kind': 'k', 'data': {{}}}}])\n"
        "assert s.get_meta('contest_name') == 'x' and s.last_seq() == 1, 'store'\n"
        "print('sqlite_utils' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_no_token_starts_with_a_dash():
    # `--token -abc` would be read as an option; one token in 64 would start with "-".
    from judging.serve_cli import new_token

    tokens = {new_token() for _ in range(2000)}
    assert len(tokens) == 2000 and not any(t.startswith("-") for t in tokens)
    assert all(len(t) == 24 for t in tokens)


def _mark(judge: str, contestant: str, submission: str, total: str) -> dict:
    data = {"round": "final", "contestant": contestant, "judge": judge, "scores": {"total": total}, "submission": submission, "digest": f"d-{submission}"}
    return {"actor": f"judge:{judge}", "kind": "mark", "data": data}


def test_a_resend_is_found_in_the_log_through_indexes_with_its_revision(tmp_path):
    # The server answers a resend older than its checkpoint from the log, on its event loop:
    # both lookups must be served by an index, not a pass over every mark in the log.
    store = Store(tmp_path / "log.db")
    store.append([_mark(f"J{j}", f"C{c}", f"J{j}-C{c}", "80") for c in range(40) for j in range(10)])
    store.append([{"actor": "control", "kind": "open", "data": {"contestants": ["C1"]}}])
    again = store.append([_mark("J3", "C7", "J3-C7-again", "85")])[0]
    found = store.find_submission("J3", "J3-C7-again")
    assert found == ("d-J3-C7-again", {"id": "J3-C7-again", "seq": again["seq"], "at": again["at"], "revision": 2})
    assert store.find_submission("J3", "J3-C7")[1]["revision"] == 1
    assert store.find_submission("J3", "J3-C7-again", upto=again["seq"] - 1) is None
    assert store.find_submission("J3", "nobody's") is None
    plans = {q: " ".join(r[3] for r in store.conn.execute("explain query plan " + q, ("J3", "x", "final", 1)[: q.count("?")]))
             for q in (FIND_SUBMISSION, COUNT_CARDS)}
    assert "USING INDEX events_judge_card (" in plans[FIND_SUBMISSION], plans
    assert "USING INDEX events_judge_item (" in plans[COUNT_CARDS], plans
    store.close()


def test_an_older_database_gets_the_card_index_when_opened(tmp_path):
    path = tmp_path / "old.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("drop index events_judge_item")
    conn.close()
    Store(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from sqlite_master where name = 'events_judge_item'").fetchone() == (1,)
    conn.close()


@pytest.mark.skipif(sys.platform == "win32", reason="no flock: one server to a database is not enforced there")
def test_a_database_is_held_for_one_server_whatever_the_path_to_it(tmp_path):
    db = tmp_path / "contest.db"
    fd = hold(db)
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "same.db"
    link.symlink_to(db)
    for path in (db, link):
        with pytest.raises(InUse) as e:
            hold(path, wait=0.1)
        assert str(e.value) == str(os.getpid())
    os.close(fd)  # the holder is gone: free again
    os.close(hold(link, wait=0.1))
