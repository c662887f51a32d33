"""The audience's lane (judging/audience.py): scoreboards get the count of cards in at a
steady pace, and everything else (a reveal, the order of play) at once, with every seq."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys

import pytest

from server_fixtures import CONTROL, WAIT, all_judges, live, make_live, recv_until, score, single_round  # noqa: F401  (fixtures)

from judging.audience import urgent
from judging.server import Limits

MARKS = {"E1": "80", "E2": "90", "E3": "70", "P1": "60", "P2": "65", "P3": "95", "T1": "10"}
COUNTED = sorted(j for j in MARKS if j != "T1")  # T1 is a shadow judge


async def reader(ws, frames: list[dict]) -> None:
    async for raw in ws:
        msg = json.loads(raw)
        if msg["type"] == "update":
            frames.append(msg)


async def until(pred) -> None:
    async with asyncio.timeout(WAIT):
        while not pred():
            await asyncio.sleep(0.01)


def test_only_the_count_waits():
    assert not urgent({"progress", "private:arts", "mine:E1", "connected"})
    assert urgent({"progress", "reveal"})
    assert urgent({"status"}) and urgent({"standings:arts"}) and urgent({"frozen"})


async def test_marks_wait_for_the_pace_and_a_reveal_takes_them_along(make_live, tmp_path):
    # An interval far longer than the test: the marks' updates can only reach the viewer
    # with the reveal.
    live = await make_live(single_round(tmp_path), limits=Limits(audience_interval=60.0))
    ctl, judges = await live.control(), await all_judges(live)
    raw = await live.raw()
    frames: list[dict] = []
    task = asyncio.create_task(reader(raw, frames))
    try:
        opened = await ctl.control("open", contestants=["C1"])
        await until(lambda: frames and frames[-1]["seq"] == opened.seq)  # the open is not paced
        await score(live, judges, "heat", "C1", MARKS)
        await asyncio.sleep(0.3)
        assert frames[-1]["seq"] == opened.seq  # seven marks acknowledged, none shown yet
        revealed = await ctl.control("reveal", contestants=["C1"])
        await until(lambda: frames[-1]["seq"] == revealed.seq)
        after = [f for f in frames if f["seq"] > opened.seq]
        assert [f["seq"] for f in after] == list(range(opened.seq + 1, revealed.seq + 1))
        assert all(f["patch"] == {} for f in after[:-1])
        patch = after[-1]["patch"]
        assert patch["reveal"]["contestant"] == "C1" and patch["reveal"]["score"] == "75.50"
        assert "progress" in patch  # the held count travels with the reveal
    finally:
        task.cancel()


async def test_a_burst_of_marks_reaches_the_hall_in_fewer_updates(make_live, tmp_path):
    live = await make_live(single_round(tmp_path), limits=Limits(audience_interval=0.5))
    ctl, judges = await live.control(), await all_judges(live)
    viewer = await live.viewer()
    raw = await live.raw()
    frames: list[dict] = []
    task = asyncio.create_task(reader(raw, frames))
    try:
        opened = await ctl.control("open", contestants=["C1"])
        await until(lambda: frames and frames[-1]["seq"] == opened.seq)
        acks = await score(live, judges, "heat", "C1", MARKS)
        last = max(a.seq for a in acks.values())
        await until(lambda: frames[-1]["seq"] == last)
        after = [f for f in frames if f["seq"] > opened.seq]
        assert [f["seq"] for f in after] == list(range(opened.seq + 1, last + 1))
        counted = [f for f in after if "progress" in f["patch"]]
        assert 1 <= len(counted) < len(MARKS)
        assert sorted(counted[-1]["patch"]["progress"]["C1"]["submitted"]) == sorted(j for j in MARKS if j != "T1")
        # The client library follows the same frames to the same state.
        await viewer.wait_for(lambda: viewer.seq == last)
        assert viewer.state["progress"] == counted[-1]["patch"]["progress"]
    finally:
        task.cancel()


async def test_another_judges_mark_reaches_a_judge_with_its_next_update(make_live, tmp_path):
    # Nothing on E2's screen changes when E1 marks: the empty updates wait (a minute here),
    # then come, in order, before the update of E2's own mark.
    live = await make_live(single_round(tmp_path), limits=Limits(staff_quiet=60.0))
    ctl, e1, e2 = await live.control(), await live.judge("E1"), await live.judge("E2")
    opened = await ctl.control("open", contestants=["C1"])
    await e2.wait_for(lambda: e2.seq == opened.seq)
    snapshots = e2.snapshots
    first = await e1.wait_ack(await e1.submit("heat", "C1", {"total": "80"}), WAIT)
    await ctl.wait_for(lambda: ctl.seq == first.seq)  # the console sees the count at once
    await asyncio.sleep(0.3)
    assert e2.seq == opened.seq
    own = await e2.wait_ack(await e2.submit("heat", "C1", {"total": "90"}), WAIT)
    await e2.wait_for(lambda: e2.seq == own.seq)
    assert own.seq > first.seq
    assert e2.snapshots == snapshots  # every seq in between arrived: no resync
    assert e2.state["mine"]["heat/C1"]["scores"] == {"total": "90"}


async def test_a_judge_who_waits_gets_the_held_updates_after_staff_quiet(make_live, tmp_path):
    live = await make_live(single_round(tmp_path), limits=Limits(staff_quiet=0.2))
    ctl, e1, e2 = await live.control(), await live.judge("E1"), await live.judge("E2")
    await ctl.control("open", contestants=["C1"])
    snapshots = e2.snapshots
    ack = await e1.wait_ack(await e1.submit("heat", "C1", {"total": "80"}), WAIT)
    await e2.wait_for(lambda: e2.seq == ack.seq)
    assert e2.snapshots == snapshots


async def test_the_relay_holds_the_scoreboards_and_they_miss_nothing(make_live, tmp_path):
    # Scoreboards welcomed by the server, then held by the relay process (judging/relay.py):
    # every update reaches them in order, and the server keeps no connection of theirs.
    live = await make_live(single_round(tmp_path), limits=Limits(relay=True, audience_interval=0.05))
    ctl, judges = await live.control(), await all_judges(live)
    viewers = [await live.viewer() for _ in range(3)]
    raw = await live.raw()
    frames: list[dict] = []
    task = asyncio.create_task(reader(raw, frames))
    try:
        await until(lambda: not [q for q in live.server.peers if q.who.role == "viewer"])
        opened = await ctl.control("open", contestants=["C1"])
        acks = await score(live, judges, "heat", "C1", MARKS)
        revealed = await ctl.control("reveal", contestants=["C1"])
        for v in viewers:
            await v.wait_for(lambda v=v: v.seq == revealed.seq)
            assert v.snapshots == 1 and v.state["reveal"]["score"] == "75.50"
        await until(lambda: frames and frames[-1]["seq"] == revealed.seq)
        seqs = [f["seq"] for f in frames]
        assert seqs == list(range(seqs[0], revealed.seq + 1)) and seqs[0] <= opened.seq
        assert max(a.seq for a in acks.values()) < revealed.seq
        # A ping is answered by the relay (the client library's keepalive relies on it).
        async with asyncio.timeout(WAIT):
            await (await raw.ping())
    finally:
        task.cancel()


async def test_when_the_relay_dies_its_scoreboards_come_back_to_the_server(make_live, tmp_path):
    live = await make_live(single_round(tmp_path), limits=Limits(relay=True, audience_interval=0.05))
    ctl, viewer = await live.control(), await live.viewer()
    await until(lambda: not [q for q in live.server.peers if q.who.role == "viewer"])
    live.server._relay.process.kill()
    await asyncio.to_thread(live.server._relay.process.wait)
    opened = await ctl.control("open", contestants=["C1"])  # the server notices as it sends
    await viewer.wait_for(lambda: viewer.seq == opened.seq and viewer.state["status"]["C1"]["status"] == "open", WAIT)
    assert [q for q in live.server.peers if q.who.role == "viewer"]  # served here now


async def test_the_relay_answers_a_scoreboard_as_the_server_would(make_live, tmp_path):
    live = await make_live(single_round(tmp_path), limits=Limits(relay=True))
    raw = await live.raw()
    await until(lambda: not [q for q in live.server.peers if q.who.role == "viewer"])
    async with asyncio.timeout(WAIT):
        await (await raw.ping(b"still there?"))  # answered by the relay: the connection is its
        answers = []
        for frame in ('{"type": "submit", "id": "s1", "round": "heat", "contestant": "C1", "scores": {"total": "80"}}', "{oops", b"\x00", '{"type": "hello", "protocol": 1, "client": "x"}'):
            await raw.send(frame)
            while (msg := json.loads(await raw.recv()))["type"] != "error":
                pass  # its welcome and snapshot, from the server
            answers.append(msg)
        assert answers == [
            {"type": "error", "code": "forbidden", "message": "a viewer may not send submit", "ref": "s1"},
            {"type": "error", "code": "bad_json", "message": "frame is not valid JSON", "ref": ""},
            {"type": "error", "code": "bad_frame", "message": "frames are JSON text, not binary", "ref": ""},
            {"type": "error", "code": "bad_request", "message": "already said hello", "ref": ""},
        ]
        # Only the server can send a snapshot: the relay sends the scoreboard back to it.
        await raw.send(json.dumps({"type": "snapshot_request"}))
        await raw.wait_closed()
    assert raw.close_code == 1012  # come back to the server for that
    big = await live.raw()
    await until(lambda: not [q for q in live.server.peers if q.who.role == "viewer"])
    async with asyncio.timeout(WAIT):
        await big.send("x" * (70 * 1024))
        await big.wait_closed()
    assert big.close_code == 1009


async def test_the_staff_not_answered_get_a_burst_of_marks_in_one_paced_update(make_live, tmp_path):
    # Seven judges mark within a second: the console, answering none of it, gets every seq
    # once and in order, but its view recomputed once or twice, not seven times.
    live = await make_live(single_round(tmp_path), limits=Limits(staff_interval=1.0))
    ctl, judges = await live.control(), await all_judges(live)
    opened = await ctl.control("open", contestants=["C1"])
    raw = await live.raw(CONTROL)
    frames: list[dict] = []
    task = asyncio.create_task(reader(raw, frames))
    try:
        acks = {}
        for jid, mark in MARKS.items():  # one after another: a batch each
            acks[jid] = (await score(live, judges, "heat", "C1", {jid: mark}))[jid]
        last = max(a.seq for a in acks.values())
        assert len({a.seq for a in acks.values()}) == len(MARKS)
        await until(lambda: frames and frames[-1]["seq"] == last)
        seqs = [f["seq"] for f in frames if f["seq"] > opened.seq]
        assert seqs == list(range(opened.seq + 1, last + 1))
        patched = [f for f in frames if f["seq"] > opened.seq and f["patch"]]
        assert 1 <= len(patched) <= 2, [f["seq"] for f in patched]
        assert sorted(patched[-1]["patch"]["progress"]["C1"]["submitted"]) == COUNTED
    finally:
        task.cancel()


async def test_a_consoles_own_action_brings_what_was_held_back_from_it(make_live, tmp_path):
    live = await make_live(single_round(tmp_path), limits=Limits(staff_interval=60.0))
    ctl, judges = await live.control(), await all_judges(live)
    await ctl.control("open", contestants=["C1"])
    snapshots = ctl.snapshots
    acks = await score(live, judges, "heat", "C1", MARKS)
    await asyncio.sleep(0.2)
    assert ctl.seq < max(a.seq for a in acks.values())  # held back: the interval is a minute
    closed = await ctl.control("close", contestants=["C1"])
    await ctl.wait_for(lambda: ctl.seq == closed.seq, WAIT)
    assert ctl.snapshots == snapshots  # every seq in between arrived: no resync
    assert sorted(ctl.state["progress"]["C1"]["submitted"]) == COUNTED


async def test_an_answer_without_events_comes_after_what_was_held_back(make_live, tmp_path):
    # A console's refused action logs nothing; the marks held back from it still come first.
    live = await make_live(single_round(tmp_path), limits=Limits(staff_interval=60.0))
    ctl, judges = await live.control(), await all_judges(live)
    await ctl.control("open", contestants=["C1"])
    raw = await live.raw(CONTROL)
    await recv_until(raw, "snapshot")
    acks = await score(live, judges, "heat", "C1", MARKS)
    await raw.send(json.dumps({"type": "control", "id": "nope", "action": "open", "data": {"contestants": ["C99"]}}))
    error, seen = await recv_until(raw, "error")
    assert error["ref"] == "nope"
    updates = [json.loads(f) for f in seen if json.loads(f)["type"] == "update"]
    assert updates and updates[-1]["seq"] == max(a.seq for a in acks.values())
    assert sorted(updates[-1]["patch"]["progress"]["C1"]["submitted"]) == COUNTED


async def test_a_console_cut_off_while_its_paced_update_goes_out_stops_nothing_else(make_live, tmp_path, monkeypatch):
    from judging import fanout

    live = await make_live(single_round(tmp_path), limits=Limits(staff_interval=0.02))
    ctl, e1, e2 = await live.control(), await live.judge("E1"), await live.judge("E2")
    await ctl.control("open", contestants=["C1"])
    console = next(q for q in live.server.staff if q.who.role == "control")
    write = fanout.write
    monkeypatch.setattr(fanout, "write", lambda ws, data, budget: False if ws is console.ws else write(ws, data, budget))
    await e1.wait_ack(await e1.submit("heat", "C1", {"total": "80"}), WAIT)
    await until(lambda: console not in live.server.staff)  # its paced update found it over budget
    assert not live.server._sequencer.done()
    second = await e2.wait_ack(await e2.submit("heat", "C1", {"total": "81"}), WAIT)
    assert second.seq == live.store.last_seq()


async def test_a_sequencer_that_fails_says_so_and_runs_on_failure(live, monkeypatch, caplog):
    # `judging serve` ends its process there (the watchdog's standby serves in its place): one
    # whose sequencer has stopped would accept connections and never acknowledge a mark.
    failed: list[int] = []
    live.server.on_failure = lambda: failed.append(1)

    def broken(batch):
        raise RuntimeError("a bug")

    monkeypatch.setattr(live.server, "_hold_staff", broken)
    ctl = await live.control()
    with caplog.at_level("CRITICAL", logger="judging.server"):
        await ctl.control("open", contestants=["C1"])  # answered, then the sequencer fails
        await until(lambda: failed)
    assert failed == [1] and live.server._sequencer.done()
    assert "the sequencer stopped on an error" in caplog.text and "a bug" in caplog.text
    # Interrupted (Ctrl+C, a test's timeout) or cancelled by close(): not a failure.
    for how in (KeyboardInterrupt(), None):
        ended = asyncio.get_running_loop().create_future()
        ended.set_exception(how) if how is not None else ended.cancel()
        live.server._ended(ended)
    assert failed == [1]


def test_judging_serve_ends_a_server_process_whose_sequencer_failed(monkeypatch, capsys):
    import os
    import signal

    from judging import serve_cli

    killed: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: killed.append((pid, sig)))
    monkeypatch.setattr(os, "_exit", lambda code: killed.append((os.getpid(), code)))
    serve_cli._end_now()
    assert killed[0] == (os.getpid(), signal.SIGKILL)  # killed: the watchdog's standby serves
    assert "the server stopped answering" in capsys.readouterr().out
