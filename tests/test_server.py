"""The live server end to end: a real server on 127.0.0.1 port 0, real websocket clients,
every wait bounded so that a broken server fails a test instead of hanging it."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest
from server_fixtures import (
    CONTROL,
    JUDGES,
    TOKENS,
    WAIT,
    Live,
    all_judges,
    contest_variant,
    live,  # noqa: F401  (fixture)
    make_live,  # noqa: F401  (fixture)
    recv_json,
    recv_until,
    score,
    single_round,
    without,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from judging import protocol as p
from judging.client import ServerError
from judging.server import Limits, StartupError

HEAT = {"E1": "80", "E2": "90", "E3": "70", "P1": "60", "P2": "65", "P3": "95", "T1": "10"}
COUNTED = [j for j in JUDGES if j != "T1"]


def marks_for(cid: str, marks=HEAT) -> dict[str, str]:
    return {j: v for j, v in marks.items() if not (j == "E3" and cid == "C2")}  # E3 is recused from C2


async def expect_401(live: Live, token: str) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with asyncio.timeout(WAIT):
            await connect(live.url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=WAIT)
    assert info.value.response.status_code == 401


# -- authentication and authorisation -----------------------------------------------------


CONTROL_ONLY = [(a, {"contestants": ["C1"]}) for a in p.CONTROL_ACTIONS]


async def test_auth_matrix(live):
    judge, ctl, viewer = await live.judge("E1"), await live.control(), await live.viewer()
    assert (judge.role, judge.judge, ctl.role, viewer.role) == ("judge", "E1", "control", "viewer")
    # Judges and viewers may not run any control action, whatever its data.
    for who in (judge, viewer):
        for action, data in CONTROL_ONLY:
            with pytest.raises(ServerError) as e:
                await who.control(action, **data)
            assert e.value.code == "forbidden", (who.role, action)
    # Control and viewers may not submit marks.
    await ctl.control("open", contestants=["C1"])
    for who in (ctl, viewer):
        sid = await who.submit("heat", "C1", {"total": "80"})
        with pytest.raises(ServerError) as e:
            await who.wait_ack(sid, WAIT)
        assert e.value.code == "forbidden"
    # Every role may ask for a snapshot.
    for who in (judge, ctl, viewer):
        before = who.snapshots
        await who.request_snapshot()
        await who.wait_for(lambda who=who: who.snapshots == before + 1)
    assert "private:arts" in ctl.state and "private:arts" not in viewer.state and "mine" in judge.state
    # Nothing forbidden reached the log.
    assert [e["kind"] for e in live.events() if e["kind"] not in ("server_started", "judge_connected")] == ["open"]
    # A bad token and a revoked token never get past the handshake.
    await expect_401(live, "not-a-token")
    live.store.issue_tokens([("judge:E2", "judge", "new-E2-token")])  # revokes TOKENS["E2"]
    await expect_401(live, TOKENS["E2"])
    with pytest.raises(InvalidStatus) as info:
        await connect(live.url, additional_headers={"Authorization": "Basic " + CONTROL}, open_timeout=WAIT)
    assert info.value.response.status_code == 401
    e2 = await live.client("new-E2-token")
    assert e2.judge == "E2"


async def test_control_can_run_every_action(live):
    ctl = await live.control()
    judges = await all_judges(live)
    order = ["C4", "C3", "C2", "C1"]
    assert isinstance(await ctl.control("order", contestants=order), p.Done)
    await ctl.control("open", contestants=["C1", "C2", "C3", "C4"])
    for cid, base in (("C1", HEAT), ("C2", {j: "50" for j in HEAT}), ("C3", {j: "40" for j in HEAT}), ("C4", {j: "45" for j in HEAT})):
        await score(live, judges, "heat", cid, marks_for(cid, base))
    await ctl.control("close", contestant="C1")  # the one-contestant shorthand
    await ctl.control("lock", contestants=["C1", "C2", "C3", "C4"])
    await ctl.control("reveal", contestants=["C1"])
    await ctl.control("freeze")
    await ctl.control("unfreeze")
    await ctl.control("correction", round="heat", contestant="C1", judge="E1", scores={"total": "81"}, reason="paper card")
    await ctl.control("adjustment", contestant="C1", points="-1", reason="overtime", round="heat")
    await ctl.control("manual_award", contestant="C3", award="Special", reason="national winner")
    await ctl.control("ceremony", step=0)
    await ctl.control("ceremony", step=None)
    preview = await ctl.preview(round="heat", contestant="C2", judge="E1", scores={"total": "99"}, reason="check")
    assert isinstance(preview, p.Preview)
    done = await ctl.control("next_round")
    kinds = [e["kind"] for e in live.events()]
    quiz_only = {"question", "points", "undo"}  # refused outside a points round (tests/test_quiz_live.py)
    for action in set(p.CONTROL_ACTIONS) - quiz_only - {"preview"}:
        assert action in kinds
    assert "preview" not in kinds  # a preview is never logged
    assert kinds[-1] == "next_round" and live.events()[-1]["seq"] == done.seq
    await ctl.wait_for(lambda: ctl.state["round"] == "final")


async def test_repeated_auth_failures_are_slowed(make_live):
    live = await make_live(limits=Limits(auth_free_failures=1))
    await expect_401(live, "wrong-1")  # free
    start = time.monotonic()
    await expect_401(live, "wrong-2")  # over the limit: answered only after a pause
    assert time.monotonic() - start >= 0.5  # 0.25 * 2 ** 1
    # A good token is not held up by someone else's failures on the wire... but is still served.
    assert (await live.judge("E1")).judge == "E1"


async def test_tokens_reissued_while_running_take_effect(live):
    """`judging tokens` writes from another process: the running server must honour it."""
    from judging.store import Store

    other = Store(live.db)
    other.issue_tokens([("judge:E1", "judge", "fresh-E1")])
    other.close()
    await expect_401(live, TOKENS["E1"])
    assert (await live.client("fresh-E1")).judge == "E1"


# -- marks ---------------------------------------------------------------------------------


async def test_resubmission_is_idempotent_across_a_reconnect(live):
    ctl, e1 = await live.control(), await live.judge("E1")
    await ctl.control("open", contestants=["C1"])
    sid = await e1.submit("heat", "C1", {"total": "80.50"})
    first = await e1.wait_ack(sid, WAIT)
    assert first.revision == 1
    await e1.drop()
    await e1.wait_for(lambda: e1.resumes == 1 and e1.synced.is_set(), WAIT)  # it held every change
    e1.acks.pop(sid)
    await e1.submit("heat", "C1", {"total": "80.50"}, sid=sid)
    again = await e1.wait_ack(sid, WAIT)
    assert again == first  # same seq, same time, same revision
    assert len(live.events("mark")) == 1
    await ctl.wait_for(lambda: ctl.seq >= first.seq, WAIT)  # the console's updates are paced
    assert ctl.state["progress"]["C1"]["submitted"] == ["E1"]
    # The same id for different marks is refused.
    errors = len(e1.errors)
    await e1.send_raw(json.dumps({"type": "submit", "id": sid, "round": "heat", "contestant": "C1", "scores": {"total": "99"}}))
    await e1.wait_for(lambda: len(e1.errors) > errors)
    assert (e1.errors[-1].code, e1.errors[-1].ref) == ("duplicate_id", sid)
    assert len(live.events("mark")) == 1
    assert e1.state["mine"]["heat/C1"]["scores"] == {"total": "80.50"}
    # Another judge reusing the id records their own mark.
    e2 = await live.judge("E2")
    await e2.submit("heat", "C1", {"total": "80.50"}, sid=sid)
    ack = await e2.wait_ack(sid, WAIT)
    assert ack.seq != first.seq and len(live.events("mark")) == 2


async def test_revision_until_lock_then_only_corrections(live):
    ctl, e1 = await live.control(), await live.judge("E1")
    await ctl.control("open", contestants=["C1"])
    assert (await e1.wait_ack(await e1.submit("heat", "C1", {"total": "80"}))).revision == 1
    assert (await e1.wait_ack(await e1.submit("heat", "C1", {"total": "82"}))).revision == 2
    await ctl.control("close", contestants=["C1"])
    assert (await e1.wait_ack(await e1.submit("heat", "C1", {"total": "83"}))).revision == 3
    await e1.wait_for(lambda: e1.state["mine"]["heat/C1"]["revision"] == 3)
    await ctl.control("lock", contestants=["C1"])
    with pytest.raises(ServerError) as e:
        await e1.wait_ack(await e1.submit("heat", "C1", {"total": "84"}))
    assert e.value.code == "locked"
    assert not e1.outbox.items  # refused for good: not resent forever
    with pytest.raises(ServerError) as e:
        await ctl.control("correction", round="heat", contestant="C1", judge="E1", scores={"total": "84"})
    assert e.value.code == "reason_required"
    await ctl.control("correction", round="heat", contestant="C1", judge="E1", scores={"total": "84"}, reason="judge misread the card")
    (event,) = live.events("correction")
    assert event["actor"] == "control" and event["data"]["reason"] == "judge misread the card"
    assert event["data"]["judge"] == "E1"
    await e1.wait_for(lambda: e1.state["mine"]["heat/C1"] == {**e1.state["mine"]["heat/C1"], "scores": {"total": "84"}, "revision": 4})


async def test_a_judges_update_carries_the_card_that_changed_not_every_card(live):
    ctl, e1 = await live.control(), await live.judge("E1")
    raw = await live.raw(TOKENS["E1"])  # a second connection of the same judge, read frame by frame
    await recv_until(raw, "snapshot")
    await ctl.control("open", contestants=["C1", "C2"])
    first = await e1.wait_ack(await e1.submit("heat", "C1", {"total": "80"}))
    second = await e1.wait_ack(await e1.submit("heat", "C2", {"total": "70"}))
    updates = {}
    async with asyncio.timeout(WAIT):
        while second.seq not in updates:
            msg = await recv_json(raw)
            if msg["type"] == "update":
                updates[msg["seq"]] = msg
    assert "mine" not in updates[second.seq]["patch"]
    assert updates[first.seq]["merge"] == {"mine": {"heat/C1": {"scores": {"total": "80"}, "at": first.at, "revision": 1}}}
    assert updates[second.seq]["merge"] == {"mine": {"heat/C2": {"scores": {"total": "70"}, "at": second.at, "revision": 1}}}
    # The client library sets them one by one: both cards, as a snapshot would have them.
    await e1.wait_for(lambda: e1.seq >= second.seq)
    before = e1.state["mine"]
    await e1.request_snapshot()
    await e1.wait_for(lambda: e1.state["mine"] is not before)
    assert e1.state["mine"] == before and set(before) == {"heat/C1", "heat/C2"}


async def test_recused_judge_is_refused_and_panel_aggregates_without_them(make_live, tmp_path):
    live = await make_live(single_round(tmp_path))
    ctl, judges = await live.control(), await all_judges(live)
    assert "C2" not in judges["E3"].state["order"]
    await ctl.control("open", contestants=["C2"])
    with pytest.raises(ServerError) as e:
        await judges["E3"].wait_ack(await judges["E3"].submit("heat", "C2", {"total": "10"}))
    assert e.value.code == "recused"
    assert ctl.state["progress"]["C2"]["expected"] == 5
    await score(live, judges, "heat", "C2", marks_for("C2"))
    await ctl.control("lock", contestants=["C2"])
    await ctl.control("reveal", contestants=["C2"])
    await ctl.wait_for(lambda: ctl.state["reveal"] is not None)
    card = ctl.state["reveal"]
    expert = next(panel for panel in card["panels"] if panel["panel"] == "expert")
    assert [m["judge"] for m in expert["marks"]] == ["E1", "E2"]  # no E3, no shadow T1
    assert expert["score"] == "85.00" and card["score"] == "79.00"  # 0.7 * 85 + 0.3 * 65


# -- what the audience sees ----------------------------------------------------------------


async def test_viewer_never_sees_unrevealed_marks(make_live, tmp_path):
    live = await make_live(single_round(tmp_path))
    ctl, judges = await live.control(), await all_judges(live)
    raw = await live.raw()
    frames: list[str] = []

    async def read():
        async for frame in raw:
            frames.append(frame)

    reader = asyncio.create_task(read())
    secret = {"E1": "87.37", "E2": "91.13", "E3": "78.59", "P1": "66.71", "P2": "83.29", "P3": "95.03", "T1": "61.17"}
    await ctl.control("open", contestants=["C1"])
    await score(live, judges, "heat", "C1", secret)
    await ctl.control("close", contestants=["C1"])
    # Wait until the viewer has had the update for the close (every earlier one came first).
    close_seq = live.events("close")[0]["seq"]
    async with asyncio.timeout(WAIT):
        while not any(json.loads(f).get("seq") == close_seq for f in frames):
            await asyncio.sleep(0.01)
    total = ctl.state["private:arts"][0]["total"]
    assert total == "86.15"  # middle marks: 0.7 * 87.37 + 0.3 * 83.29 = 86.146
    before = "".join(frames)
    assert json.loads(frames[-1])["patch"]["status"]["C1"]["status"] == "closed"
    for value in list(secret.values()) + [total]:
        assert value not in before
    assert '"progress"' in before  # the audience does see who has submitted
    await ctl.control("reveal", contestants=["C1"])
    async with asyncio.timeout(WAIT):
        while not any('"reveal":{' in f for f in frames):
            await asyncio.sleep(0.01)
    card = next(json.loads(f) for f in frames if '"reveal":{' in f)["patch"]["reveal"]
    shown = {m["judge"]: m["mark"] for panel in card["panels"] for m in panel["marks"]}
    assert shown == {j: v for j, v in secret.items() if j != "T1"}
    assert card["score"] == total and "61.17" not in "".join(frames)  # the shadow is never shown
    reader.cancel()


async def test_freeze_stops_standings_and_unfreeze_publishes(make_live, tmp_path):
    live = await make_live(single_round(tmp_path))
    ctl, judges, viewer = await live.control(), await all_judges(live), await live.viewer()
    await ctl.control("open", contestants=["C1", "C2"])
    await score(live, judges, "heat", "C1", marks_for("C1"))
    await ctl.control("reveal", contestants=["C1"])
    await viewer.wait_for(lambda: [s["contestant"] for s in viewer.state["standings:arts"]] == ["C1"])
    frozen_view = viewer.state["standings:arts"]
    await ctl.control("freeze")
    await viewer.wait_for(lambda: viewer.state["frozen"] is True)
    await score(live, judges, "heat", "C2", marks_for("C2", {j: "99" for j in HEAT}))
    done = await ctl.control("reveal", contestants=["C2"])
    await viewer.wait_for(lambda: viewer.seq >= done.seq)
    assert viewer.state["standings:arts"] == frozen_view
    late = await live.viewer()  # connects during the freeze
    assert late.state["standings:arts"] == frozen_view and late.state["reveal"] is None
    assert "99.00" not in json.dumps(late.state)
    await ctl.control("unfreeze")
    for v in (viewer, late):
        await v.wait_for(lambda v=v: [s["contestant"] for s in v.state["standings:arts"]] == ["C2", "C1"])
        assert v.state["reveal"]["contestant"] == "C2" and v.state["reveal"]["score"] == "99.00"


async def test_auto_reveal(make_live, tmp_path):
    live = await make_live(single_round(tmp_path, "\n[live]\nauto_reveal = true\n"))
    assert live.contest.auto_reveal
    ctl, judges, viewer = await live.control(), await all_judges(live), await live.viewer()
    await ctl.control("open", contestants=["C1"])
    marks = marks_for("C1")
    last = marks.pop("P3")
    await score(live, judges, "heat", "C1", marks)
    assert live.events("reveal") == []  # one judge still to come
    await score(live, judges, "heat", "C1", {"P3": last})
    await viewer.wait_for(lambda: (viewer.state.get("reveal") or {}).get("contestant") == "C1")
    assert viewer.state["reveal"]["score"] == "75.50"
    (event,) = live.events("reveal")
    assert event["actor"] == "auto"


async def test_next_round_applies_advancement(live):
    ctl, judges = await live.control(), await all_judges(live)
    with pytest.raises(ServerError) as e:
        await ctl.control("next_round")
    assert e.value.code == "bad_status"
    await ctl.control("open", contestants=["C1", "C2", "C3", "C4"])
    for cid, base in (("C1", HEAT), ("C2", {j: "50" for j in HEAT}), ("C3", {j: "40" for j in HEAT}), ("C4", {j: "45" for j in HEAT})):
        await score(live, judges, "heat", cid, marks_for(cid, base))
    await ctl.control("lock", contestants=["C1", "C2", "C3", "C4"])
    await ctl.control("next_round")
    await judges["E1"].wait_for(lambda: judges["E1"].state["round"] == "final")
    for cid in ("C2", "C3"):
        with pytest.raises(ServerError) as e:
            await ctl.control("open", contestants=[cid])
        assert e.value.code == "not_advanced"
    await ctl.control("open", contestants=["C1", "C4"])
    ack = await judges["E1"].wait_ack(await judges["E1"].submit("final", "C1", {"total": "88"}))
    assert ack.revision == 1
    with pytest.raises(ServerError) as e:
        await judges["E1"].wait_ack(await judges["E1"].submit("final", "C2", {"total": "88"}))
    assert e.value.code == "not_advanced"
    with pytest.raises(ServerError) as e:
        await ctl.control("next_round")
    assert e.value.code == "last_round"


# -- restarts ------------------------------------------------------------------------------


async def _part_way(live: Live) -> None:
    ctl, judges = await live.control(), await all_judges(live)
    await ctl.control("open", contestants=["C1", "C2"])
    await score(live, judges, "heat", "C1", marks_for("C1"))
    await ctl.control("lock", contestants=["C1"])
    await ctl.control("reveal", contestants=["C1"])
    await ctl.control("adjustment", contestant="C1", points="-0.5", reason="overtime", round="heat")
    await score(live, judges, "heat", "C2", {"E1": "77", "P1": "66"})
    await ctl.control("freeze")


async def test_restart_rebuilds_identical_state(make_live, tmp_path):
    live = await make_live(single_round(tmp_path))
    await _part_way(live)
    ctl, viewer, e1 = await live.control(), await live.viewer(), await live.judge("E1")
    before = (without(ctl.state, "connected"), viewer.state, e1.state)
    seq, epoch = ctl.seq, live.server.epoch
    await live.restart()
    assert live.server.epoch != epoch
    ctl2, viewer2, e12 = await live.control(), await live.viewer(), await live.judge("E1")
    assert ctl2.seq > seq  # the restart is logged
    assert (without(ctl2.state, "connected"), viewer2.state, without(e12.state)) == before
    assert ctl2.state["private:arts"][0]["total"] == "75.00"
    assert set(ctl2.state["connected"]) == set(JUDGES)


async def test_changed_contest_file_is_checked_against_the_log(live, tmp_path):
    await _part_way(live)
    await live.stop_server()
    stricter = contest_variant(tmp_path, replace=("min = 0\nmax = 100\nstep = 0.01\nadvance = 1", "min = 0\nmax = 75\nstep = 0.01\nadvance = 1"))
    with pytest.raises(StartupError) as e:
        await live.restart(stricter)
    message = str(e.value)
    assert "event #" in message and "mark by judge:" in message and "75" in message
    assert "original contest file" in message
    renamed = contest_variant(tmp_path, replace=('name = "Live test contest"', 'name = "Live test contest (renamed)"'))
    await live.restart(renamed)
    ctl = await live.control()
    assert ctl.state["contest"]["name"] == "Live test contest (renamed)"
    assert ctl.state["progress"]["C2"]["submitted"] == ["E1", "P1"]


# -- the door: bad frames, big frames, slow peers --------------------------------------------


MALFORMED = [
    ("not json", "bad_json"),
    ('{"type": "launch"}', "unknown_type"),
    ('{"type": "submit", "id": "x"}', "missing_field"),
    ('{"type": "control", "id": "c", "action": "open", "data": "C1"}', "bad_field"),
    ('{"type": "control", "id": "c", "action": "open", "extra": 1}', "unknown_field"),
    ('{"type": "control", "id": "c", "action": "nuke"}', "unknown_action"),
    ('{"type": "hello", "protocol": 1}', "bad_request"),
    ("[]", "bad_frame"),
]


async def test_malformed_frames_get_errors_and_change_nothing(live):
    ctl = await live.control()
    judge = await live.judge("E1")
    raw = await live.raw(CONTROL)
    await recv_until(raw, "snapshot")
    count = live.store.count()
    for frame, code in MALFORMED:
        await raw.send(frame)
        msg = await recv_json(raw)
        assert (msg["type"], msg["code"]) == ("error", code), frame
    await raw.send(b'{"type": "snapshot_request"}')
    msg = await recv_json(raw)
    assert (msg["type"], msg["code"]) == ("error", "bad_frame")
    assert live.store.count() == count
    # Still served, and so is everyone else.
    await raw.send(json.dumps({"type": "control", "id": "c1", "action": "open", "data": {"contestants": ["C1"]}}))
    done, _ = await recv_until(raw, "done")
    assert done["id"] == "c1"
    for other in (judge, ctl):
        await other.wait_for(lambda other=other: other.state["status"]["C1"]["status"] == "open")


async def test_bad_hello_is_refused(live):
    raw = await live.raw(hello=False)
    await raw.send('{"type": "snapshot_request"}')
    msg = await recv_json(raw)
    assert msg["code"] == "bad_hello"
    with pytest.raises(ConnectionClosed):
        await recv_json(raw)
    assert raw.close_code == 1008
    raw = await live.raw(hello=False)
    await raw.send('{"type": "hello", "protocol": 99}')
    assert (await recv_json(raw))["code"] == "bad_hello"


async def test_oversized_frame_closes_that_connection_only(make_live):
    live = await make_live(limits=Limits(max_frame=4096))
    viewer = await live.viewer()
    raw = await live.raw(CONTROL)
    await recv_until(raw, "snapshot")
    count = live.store.count()
    reason = "x" * 5000
    await raw.send(json.dumps({"type": "control", "id": "big", "action": "adjustment", "data": {"contestant": "C1", "points": "-1", "reason": reason}}))
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(WAIT):
            while True:
                await raw.recv()
    assert raw.close_code == 1009
    assert live.store.count() == count
    ctl = await live.control()
    await ctl.control("open", contestants=["C1"])
    await viewer.wait_for(lambda: viewer.state["status"]["C1"]["status"] == "open")


async def test_rate_limit(live):
    raw = await live.raw()
    await recv_until(raw, "snapshot")
    for _ in range(60):
        await raw.send('{"type": "snapshot_request"}')
    msg, _ = await recv_until(raw, "error")
    assert msg["code"] == "rate_limited"


async def test_slow_viewer_is_cut_off_and_others_keep_up(make_live):
    live = await make_live(limits=Limits(queue=8))
    viewer = await live.viewer()
    ctl = await live.control()
    port = int(live.url.rsplit(":", 1)[1])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # and it never reads
    sock.connect(("127.0.0.1", port))
    slow = await connect(live.url, sock=sock, compression=None, max_size=None, open_timeout=WAIT)
    live.raws.append(slow)
    await slow.send(json.dumps({"type": "hello", "protocol": p.VERSION}))
    await viewer.wait_for(lambda: len(live.server.peers) == 3)
    # Small kernel buffers on both ends, so that the server notices in kilobytes, not megabytes.
    (peer,) = [x for x in live.server.peers if x.ws.remote_address[1] == sock.getsockname()[1]]
    peer.ws.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    # Asking for snapshots (~2 KiB each) at a pace a reading client keeps up with, within the rate limit.
    async with asyncio.timeout(WAIT):
        while peer in live.server.peers:
            await slow.send('{"type": "snapshot_request"}')
            await asyncio.sleep(0.05)
    assert {peer.who.role for peer in live.server.peers} == {"viewer", "control"}
    seqs: list[int] = []
    viewer.on_change = lambda sections: seqs.append(viewer.seq)
    for order in (["C2", "C1", "C3", "C4"], ["C1", "C2", "C3", "C4"], ["C4", "C3", "C2", "C1"]):
        done = await ctl.control("order", contestants=order)
        await viewer.wait_for(lambda done=done: viewer.seq == done.seq, timeout=1.0)
        assert viewer.state["order"] == order
    assert viewer.snapshots == 1  # never had to resync
    # The slow one, reading at last, finds the door closed with "try again later".
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(15):
            while True:
                await slow.recv()
    assert slow.close_code == 1013


async def test_a_commit_the_disk_holds_is_named_while_it_lasts_and_still_acknowledged(make_live, monkeypatch, caplog):
    from judging import sequencer

    monkeypatch.setattr(sequencer, "SLOW_COMMIT", 0.15)
    live = await make_live()
    e1, ctl = await live.judge("E1"), await live.control()
    await ctl.control("open", contestants=["C1"])
    append = live.store.append

    def slow_append(events):
        time.sleep(0.6)  # the writer thread, as a disk that holds an fsync would
        return append(events)

    monkeypatch.setattr(live.store, "append", slow_append)
    with caplog.at_level("WARNING", logger="judging.server"):
        ack = await e1.wait_ack(await e1.submit("heat", "C1", {"total": "81.50"}), WAIT)
    assert ack.seq == live.store.last_seq()
    said = [r.getMessage() for r in caplog.records if "the disk" in r.getMessage()]
    # Named once while it lasted, then with its length once it was done.
    so_far = [i for i, m in enumerate(said) if "so far" in m]
    done = [i for i, m in enumerate(said) if "of 1 events for 0.6 s" in m or "of 1 events for 0.7 s" in m]
    assert len(so_far) == 1 and len(done) == 1 and so_far[0] < done[0], said
    assert [e["data"]["scores"] for e in live.events("mark")] == [{"total": "81.50"}]
