"""The headless client library against a real server: resync, reconnect, outbox, auth."""

from __future__ import annotations

import json

import pytest
from server_fixtures import CONTEST, TOKENS, WAIT, live  # noqa: F401  (fixture)

from judging import protocol as p
from judging.cli import main
from judging.client import AuthError, Client, retry_delay
from judging.store import Store, token_hash


async def test_a_gap_in_seq_triggers_a_resync(live):
    ctl, viewer = await live.control(), await live.viewer()
    await ctl.control("open", contestants=["C1"])
    await viewer.wait_for(lambda: viewer.seq == ctl.seq)
    assert viewer.snapshots == 1
    # An update from the future: something in between was missed.
    await viewer._on_frame(p.encode(p.Update(viewer.epoch, viewer.seq + 5, {"round": "bogus"})))
    await viewer.wait_for(lambda: viewer.snapshots == 2)
    assert viewer.state["round"] == "heat"
    fresh = await live.viewer()
    assert viewer.state == fresh.state and viewer.seq == fresh.seq
    # A stale update (already covered by a snapshot) is ignored without a resync.
    await viewer._on_frame(p.encode(p.Update(viewer.epoch, viewer.seq, {"round": "bogus"})))
    assert viewer.state["round"] == "heat" and viewer.snapshots == 2


async def test_a_gap_asks_for_one_snapshot_until_it_comes(live):
    ctl, viewer = await live.control(), await live.viewer()
    asked: list[dict] = []
    held: list[dict] = []  # requests kept "in flight" until the test lets them go
    send = viewer._send

    async def counting(payload):
        if payload.get("type") == "snapshot_request":
            asked.append(payload)
            if hold:
                held.append(payload)
                return True
        return await send(payload)

    viewer._send = counting
    hold = True
    for step in range(1, 6):  # five updates out of order while the snapshot is on its way
        await viewer._on_frame(p.encode(p.Update(viewer.epoch, viewer.seq + 1 + step, {"round": "bogus"})))
    await viewer._on_frame(p.encode(p.Update("another-epoch", 1, {"round": "bogus"})))
    assert len(asked) == 1 and viewer.snapshots == 1

    hold = False
    await send(held.pop())  # the snapshot arrives: a later gap is a new gap
    await viewer.wait_for(lambda: viewer.snapshots == 2, WAIT)
    await viewer._on_frame(p.encode(p.Update(viewer.epoch, viewer.seq + 3, {"round": "bogus"})))
    await viewer.wait_for(lambda: viewer.snapshots == 3, WAIT)
    assert len(asked) == 2

    hold = True  # this request is lost with the connection; the reconnect ends the gap
    await viewer._on_frame(p.encode(p.Update(viewer.epoch, viewer.seq + 3, {"round": "bogus"})))
    assert len(asked) == 3
    await viewer.drop()
    # What it holds is the state at its seq (nothing past the gap was applied): resumed.
    await viewer.wait_for(lambda: viewer.resumes == 1 and viewer.synced.is_set(), WAIT)
    await viewer._on_frame(p.encode(p.Update(viewer.epoch, viewer.seq + 3, {"round": "bogus"})))
    assert len(asked) == 4
    await ctl.control("open", contestants=["C1"])
    await viewer.wait_for(lambda: viewer.state["status"]["C1"]["status"] == "open", WAIT)
    assert viewer.state["round"] == "heat"


async def test_a_timed_out_wait_leaves_no_waiter(live):
    ctl = await live.control()
    send = ctl._send

    async def swallowed(payload):
        return True  # sent into the void: no answer will come

    ctl._send = swallowed
    with pytest.raises(TimeoutError):
        await ctl.control("open", timeout=0.05, contestants=["C1"])
    with pytest.raises(TimeoutError):
        await ctl.wait_ack("no-such-submission", timeout=0.05)
    assert ctl._waiters == {}
    ctl._send = send
    await ctl.control("open", contestants=["C1"])  # later actions still get their answers
    assert ctl._waiters == {}


async def test_a_new_epoch_resyncs_after_reconnecting(live):
    ctl, viewer = await live.control(), await live.viewer()
    await ctl.control("open", contestants=["C1"])
    await viewer.wait_for(lambda: viewer.state["status"]["C1"]["status"] == "open")
    old_epoch = viewer.epoch
    port = int(live.url.rsplit(":", 1)[1])
    await live.restart(port=port)  # same address, new server: a new epoch
    await viewer.wait_for(lambda: viewer.epoch == live.server.epoch and viewer.synced.is_set(), WAIT)
    # Same log, contest file and code: brought up to date from what it held, no snapshot.
    assert viewer.epoch != old_epoch and (viewer.snapshots, viewer.resumes) == (1, 1)
    await ctl.wait_for(lambda: ctl.epoch == live.server.epoch and ctl.synced.is_set(), WAIT)
    await ctl.control("close", contestants=["C1"])
    await viewer.wait_for(lambda: viewer.state["status"]["C1"]["status"] == "closed")
    fresh = await live.viewer()
    assert viewer.state == fresh.state


async def test_outbox_survives_a_client_restart_and_drains(live, tmp_path):
    ctl = await live.control()
    await ctl.control("open", contestants=["C1"])
    path = tmp_path / "E1.outbox.json"
    first = await live.judge("E1", outbox=path)
    await first.close()  # the laptop is shut with a card not yet sent
    sid = await first.submit("heat", "C1", {"total": "88.25"})
    assert [item["id"] for item in json.loads(path.read_text(encoding="utf-8"))] == [sid]
    assert live.events("mark") == []
    second = await live.judge("E1", outbox=path)
    ack = await second.wait_ack(sid, WAIT)
    assert ack.revision == 1
    await second.wait_for(lambda: json.loads(path.read_text(encoding="utf-8")) == [])
    assert second.state["mine"]["heat/C1"]["scores"] == {"total": "88.25"}
    (mark,) = live.events("mark")
    assert mark["data"]["submission"] == sid


async def test_drop_reconnects_and_resends_in_flight_marks(live):
    ctl, e1 = await live.control(), await live.judge("E1")
    await ctl.control("open", contestants=["C1"])
    await e1.drop()
    sid = await e1.submit("heat", "C1", {"total": "70"})  # sent into a dead socket or queued
    await e1.wait_for(lambda: e1.snapshots + e1.resumes >= 2 and e1.synced.is_set(), WAIT)
    ack = await e1.wait_ack(sid, WAIT)
    assert ack.revision == 1 and not e1.outbox.items
    assert len(live.events("mark")) == 1
    assert [e["data"]["judge"] for e in live.events("judge_connected")] == ["E1", "E1"]


async def test_reconnect_keeps_trying_with_backoff(live):
    e1 = await live.judge("E1")
    port = int(live.url.rsplit(":", 1)[1])
    await live.stop_server()
    await e1.wait_for(lambda: not e1.synced.is_set())
    await live.restart(port=port)
    await e1.wait_for(lambda: e1.synced.is_set() and e1.epoch == live.server.epoch, WAIT)


async def test_bad_token_raises_auth_error(live):
    with pytest.raises(AuthError):
        await Client(live.url, "no-such-token").start(timeout=WAIT)
    live.store.issue_tokens([("judge:E1", "judge", "replacement")])
    with pytest.raises(AuthError):
        await Client(live.url, TOKENS["E1"]).start(timeout=WAIT)


def test_tokens_command_prints_a_table_and_stores_only_hashes(tmp_path, capsys):
    db = tmp_path / "tokens.db"
    assert main(["tokens", str(CONTEST), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["judge", "name", "panel", "token"]
    rows = {line.split()[0]: line.split()[-1] for line in lines[1:] if line.split() and line.split()[0] in {"E1", "E2", "E3", "P1", "P2", "P3", "T1", "control"}}
    assert set(rows) == {"E1", "E2", "E3", "P1", "P2", "P3", "T1", "control"}
    store = Store(db)
    valid = store.valid_tokens()
    assert {token_hash(t) for t in rows.values()} == set(valid)
    store.close()
    raw = db.read_bytes() + (db.with_name(db.name + "-wal").read_bytes() if db.with_name(db.name + "-wal").exists() else b"")
    for token in rows.values():
        assert token.encode() not in raw
    # Reissuing one judge revokes only that judge's token.
    assert main(["tokens", str(CONTEST), "--db", str(db), "--judge", "E1"]) == 0
    again = capsys.readouterr().out.splitlines()
    new_e1 = next(line.split()[-1] for line in again[1:] if line.startswith("E1"))
    store = Store(db)
    valid = store.valid_tokens()
    store.close()
    assert token_hash(rows["E1"]) not in valid and token_hash(new_e1) in valid
    assert token_hash(rows["E2"]) in valid and token_hash(rows["control"]) in valid


def test_retry_delay_is_quick_at_first_then_grows_with_the_outage():
    backoff = (0.1, 5.0)
    # The first two seconds: every try low apart, jitter taking it from half of that to all.
    assert [retry_delay(t, backoff, 0.0) for t in (0.0, 0.5, 1.99)] == [0.05, 0.05, 0.05]
    assert retry_delay(1.0, backoff, 0.999999) == pytest.approx(0.1)
    # Then in proportion to the outage (half its length), never under low nor over high.
    assert retry_delay(2.1, backoff, 0.999999) == pytest.approx(0.1)
    assert retry_delay(4.0, backoff, 0.999999) == pytest.approx(1.0)
    assert retry_delay(8.0, backoff, 0.0) == pytest.approx(1.5)
    assert retry_delay(600.0, backoff, 0.999999) == pytest.approx(5.0)
    # Over the first minute of an outage a client tries about 90 times, not thousands.
    t, tries = 0.0, 0
    while t < 60:
        t += retry_delay(t, backoff, 0.5)
        tries += 1
    assert 30 < tries < 120
