"""A reconnecting client that names the lineage and seq it holds is sent the changes since,
not the whole view, when the server can tell what they are; otherwise a snapshot."""

from __future__ import annotations

import json

from server_fixtures import WAIT, all_judges, live, make_live, recv_json, score, single_round  # noqa: F401  (fixtures)

from judging import protocol as p

MARKS = {"E1": "80", "E2": "90", "E3": "70", "P1": "60", "P2": "65", "P3": "95", "T1": "10"}


async def hello(live, since: int, lineage: str, token: str | None = None):
    ws = await live.raw(token, hello=False)
    await ws.send(json.dumps({"type": "hello", "protocol": p.VERSION, "client": "t", "lineage": lineage, "since": since}))
    return ws, await recv_json(ws)


async def follow(ws, state: dict, seq: int, until: int) -> tuple[dict, int, list[str]]:
    """Apply updates in order up to seq ``until``; returns the state, its seq and the frame types."""
    kinds = []
    while seq < until:
        msg = await recv_json(ws)
        kinds.append(msg["type"])
        assert msg["type"] == "update" and msg["seq"] == seq + 1, msg
        state, seq = {**state, **msg["patch"]}, msg["seq"]
    return state, seq, kinds


async def test_a_viewer_away_during_a_restart_gets_only_what_changed(make_live, tmp_path):
    live = await make_live(single_round(tmp_path))
    ctl, judges, viewer = await live.control(), await all_judges(live), await live.viewer()
    await ctl.control("open", contestants=["C1", "C2"])
    await viewer.wait_for(lambda: viewer.seq == live.server.state.seq)
    held, since, lineage = dict(viewer.state), viewer.seq, viewer.lineage
    await viewer.close()
    # While it is away: the server restarts, C1 is scored and revealed.
    await live.restart()
    ctl = await live.control()
    judges = await all_judges(live)
    await score(live, judges, "heat", "C1", MARKS)
    done = await ctl.control("reveal", contestants=["C1"])
    assert live.server.lineage == lineage  # same log, contest file and code

    ws, welcome = await hello(live, since, lineage)
    assert welcome["type"] == "welcome" and welcome["resumed"] is True and welcome["lineage"] == lineage
    state, seq, kinds = await follow(ws, held, since, done.seq)
    assert kinds and set(kinds) == {"update"}  # no snapshot
    fresh = await live.viewer()
    assert seq == fresh.seq and state == fresh.state
    assert state["reveal"]["contestant"] == "C1" and state["reveal"]["score"] == "75.50"


async def test_an_unknown_lineage_or_a_seq_out_of_reach_gets_a_snapshot(make_live, tmp_path, monkeypatch):
    monkeypatch.setattr("judging.resume.SIZE", 3)  # the server knows what its last 3 events changed
    live = await make_live(single_round(tmp_path))
    ctl = await live.control()
    await ctl.control("open", contestants=["C1"])
    await ctl.control("close", contestants=["C1"])
    before = live.server.state.seq
    await live.restart()  # the checkpoint carries what the recent events changed
    lineage = live.server.lineage
    assert live.server.state.seq == before + 1
    for since, name in ((before, "another-log"), (0, lineage), (before - 3, lineage), (before + 50, lineage)):
        ws, welcome = await hello(live, since, name)
        assert welcome["type"] == "welcome" and welcome["resumed"] is False, since
        snap = await recv_json(ws)
        assert snap["type"] == "snapshot" and snap["seq"] == live.server.state.seq
    # Events from before the restart that are among the last three: resumed across it.
    for since in (before - 2, before):
        ws, welcome = await hello(live, since, lineage)
        assert welcome["resumed"] is True
        state, seq, _ = await follow(ws, {}, since, live.server.state.seq)
        assert seq == live.server.state.seq


async def test_the_console_always_gets_a_snapshot(live):
    ctl = await live.control()
    await ctl.control("open", contestants=["C1"])
    ws, welcome = await hello(live, live.server.state.seq, live.server.lineage, token=ctl.token)
    assert welcome["role"] == "control" and welcome["resumed"] is False
    snap = await recv_json(ws)
    assert snap["type"] == "snapshot" and "review" in snap["state"]


async def test_a_judge_resumes_and_its_outbox_drains(make_live, tmp_path):
    live = await make_live(single_round(tmp_path))
    ctl, e1 = await live.control(), await live.judge("E1")
    await ctl.control("open", contestants=["C1"])
    await e1.wait_for(lambda: e1.seq == live.server.state.seq)
    port = int(live.url.rsplit(":", 1)[1])
    await live.stop_server()
    sid = await e1.submit("heat", "C1", {"total": "81.25"})  # queued while the server is down
    await live.restart(port=port)
    ack = await e1.wait_ack(sid, WAIT)
    assert (e1.snapshots, e1.resumes) == (1, 1)
    assert e1.state["mine"]["heat/C1"]["scores"] == {"total": "81.25"} and ack.revision == 1
    fresh = await live.judge("E1")
    await fresh.wait_for(lambda: fresh.seq == e1.seq)
    assert e1.state == fresh.state


async def test_viewers_resuming_from_one_seq_share_a_catch_up_until_the_next_event(make_live, tmp_path):
    live = await make_live(single_round(tmp_path))
    ctl, judges, viewer = await live.control(), await all_judges(live), await live.viewer()
    await ctl.control("open", contestants=["C1"])
    await viewer.wait_for(lambda: viewer.seq == live.server.state.seq)
    held, since, lineage = dict(viewer.state), viewer.seq, viewer.lineage
    await score(live, judges, "heat", "C1", {"E1": "80", "E2": "90"})
    # Two viewers holding the same seq: the same catch-up, framed once.
    first, second = await hello(live, since, lineage), await hello(live, since, lineage)
    a, seq_a, _ = await follow(first[0], held, since, live.server.state.seq)
    b, seq_b, _ = await follow(second[0], held, since, live.server.state.seq)
    assert a == b and seq_a == seq_b == live.server.state.seq
    assert len(live.server._catchups) == 1
    # An event makes it stale: the next viewer from that seq gets the state as it is now.
    await score(live, judges, "heat", "C1", {"E3": "70"})
    assert not live.server._catchups
    ws, welcome = await hello(live, since, lineage)
    assert welcome["resumed"] is True
    c, seq_c, _ = await follow(ws, held, since, live.server.state.seq)
    fresh = await live.viewer()
    assert seq_c == fresh.seq > seq_a and c == fresh.state and c != a
