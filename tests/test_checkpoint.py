"""Checkpoints of the live state: a restart from a checkpoint plus the events after it gives
exactly the state a replay of the whole log gives; a checkpoint that does not fit the log,
the code or the contest file is ignored; a resend older than the checkpoint is still
answered with its original acknowledgement."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from typing import Any

import pytest
from server_fixtures import CONTEST, WAIT, Live

from judging import recovery
from judging.client import ServerError
from judging.contest_file import contest_digest_text, load_contest
from judging.live import LiveState
from judging.rules.errors import MarkError
from judging.server import Limits
from judging.store import Store, now
from judging.views import control_snapshot, judge_snapshot, viewer_snapshot

JUDGES = ("E1", "E2", "E3", "P1", "P2", "P3", "T1")
CIDS = ("C1", "C2", "C3", "C4")
HASH = hashlib.sha256(contest_digest_text(CONTEST)).hexdigest()


def views(state: LiveState) -> dict[str, Any]:
    out = {"control": control_snapshot(state), "viewer": viewer_snapshot(state)}
    for jid in JUDGES:
        out[jid] = judge_snapshot(state, jid)
    return json.loads(json.dumps(out, sort_keys=True, default=str))


def fields(state: LiveState) -> dict[str, Any]:
    keep = ("round", "status", "revealed", "frozen", "order", "cards", "adjustments", "manual", "last_reveal", "connected", "seq", "ceremony")
    return {k: getattr(state, k) for k in keep if hasattr(state, k)}


def random_history(rng: random.Random, store: Store, count: int, checkpoint_at: set[int]) -> LiveState:
    """Drive a state with random actions (only those its checks accept), log each event, and
    write a checkpoint after the listed event numbers."""
    state = LiveState(load_contest(CONTEST))
    sid = 0
    while state.seq < count:
        kind = rng.choice(["mark"] * 8 + ["open", "open", "close", "lock", "reveal", "adjustment", "correction", "freeze", "unfreeze", "manual_award", "next_round", "judge_connected"])
        rid = state.round
        cids = rng.sample(CIDS, rng.randint(1, 2))
        jid = rng.choice(JUDGES)
        actor = "control"
        total = f"{rng.randint(5000, 9900) / 100:.2f}"
        data: dict[str, Any] = {"contestants": cids}
        if kind == "mark":
            sid += 1
            actor = f"judge:{jid}"
            data = {"round": rid, "contestant": cids[0], "judge": jid, "scores": {"total": total}, "submission": f"s{sid}", "digest": f"d{sid}"}
        elif kind == "correction":
            data = {"round": rid, "contestant": cids[0], "judge": jid, "scores": {"total": total}, "reason": "paper card"}
        elif kind == "adjustment":
            data = {"contestant": cids[0], "points": rng.choice(["-0.50", "1", "-2.25"]), "reason": "overtime"}
        elif kind == "manual_award":
            data = {"contestant": cids[0], "award": "Special", "reason": "jury"}
        elif kind in ("freeze", "unfreeze", "next_round"):
            data = {}
        elif kind == "judge_connected":
            data = {"judge": jid}
        try:
            if kind == "mark":
                card = state.check(kind, actor, data)
                data["scores"] = {k: f"{v:f}" for k, v in card.items()}
            elif kind != "judge_connected":
                data = state.prepare(kind, actor, data)
        except MarkError:
            continue
        event = {"seq": state.seq + 1, "at": now(), "actor": actor, "client": "t", "kind": kind, "data": data}
        store.append([dict(event)])
        state.apply(event)
        if state.seq in checkpoint_at:
            recovery.write_checkpoint(store, state, HASH)
    return state


@pytest.mark.parametrize("seed", range(6))
def test_checkpoint_plus_tail_equals_a_full_replay(tmp_path, seed):
    rng = random.Random(seed)
    store = Store(tmp_path / "h.db")
    at = rng.randint(20, 160)
    live = random_history(rng, store, 200, {at})
    contest = load_contest(CONTEST)
    full = recovery.replay(contest, store, HASH, HASH)
    resumed, replayed = recovery.recover(contest, store, HASH, HASH)
    assert replayed == 200 - at  # it did start from the checkpoint
    assert views(resumed) == views(full) == views(live)
    assert fields(resumed) == fields(full)
    # Submissions before the checkpoint come from the log, with the very same acknowledgement.
    assert len(full.submissions) > len(resumed.submissions)
    for (jid, sub), (dig, ack) in full.submissions.items():
        found = resumed.submissions.get((jid, sub)) or store.find_submission(jid, sub, at)
        assert found == (dig, ack)
    # And the state goes on identically from there.
    for state in (full, resumed):
        state.apply({"seq": 201, "at": now(), "actor": "control", "client": "", "kind": "freeze", "data": {}})
    assert views(resumed) == views(full)


def test_a_checkpoint_that_does_not_fit_is_ignored(tmp_path, monkeypatch):
    store = Store(tmp_path / "h.db")
    random_history(random.Random(11), store, 80, {60})
    contest = load_contest(CONTEST)
    path = recovery.checkpoint_path(store)
    assert recovery.recover(contest, store, HASH, HASH)[1] == 20
    # Another contest file: the whole log is replayed (and checked).
    assert recovery.recover(contest, store, HASH, "other")[1] == 80
    # Other code.
    monkeypatch.setattr(recovery, "code_digest", lambda: "other")
    assert recovery.recover(contest, store, HASH, HASH)[1] == 80
    monkeypatch.undo()
    # A damaged file.
    good = path.read_bytes()
    path.write_bytes(good[:-10] + b"0123456789")
    assert recovery.recover(contest, store, HASH, HASH)[1] == 80
    path.write_bytes(b"not a checkpoint")
    assert recovery.recover(contest, store, HASH, HASH)[1] == 80
    # A log that is not the one it was made from (same length, another history).
    path.write_bytes(good)
    other = Store(tmp_path / "other.db")
    random_history(random.Random(12), other, 80, set())
    other_path = recovery.checkpoint_path(other)
    other_path.write_bytes(good)
    assert recovery.recover(contest, other, HASH, HASH)[1] == 80
    assert recovery.recover(contest, store, HASH, HASH)[1] == 20


async def test_live_server_checkpoints_and_a_resend_after_restart_keeps_its_ack(tmp_path):
    live = await Live(tmp_path, limits=Limits(checkpoint_every=10)).start()
    try:
        ctl, e1 = await live.control(), await live.judge("E1")
        await ctl.control("open", contestants=list(CIDS))
        acks = {}
        for i in range(30):
            cid = CIDS[i % 4]
            sid = await e1.submit("heat", cid, {"total": f"{70 + i}.50"}, sid=f"e1-{i}")
            acks[sid] = await e1.wait_ack(sid, WAIT)
            await asyncio.sleep(0.03)
        server = live.server
        assert server is not None
        await e1.wait_for(lambda: recovery.reap(server._child) is None, WAIT)
        before = views(server.state)
        path = recovery.checkpoint_path(live.store)
        assert path.exists()
        await live.restart(port=int(live.url.rsplit(":", 1)[1]))  # the same port: the clients come back
        server = live.server
        assert server is not None and server._oldest > 0  # it started from the checkpoint
        assert without_connected(views(server.state)) == without_connected(before)
        # A resend of the very first card: before the checkpoint, answered from the log.
        await e1.wait_for(lambda: e1.synced.is_set() and e1.epoch == server.epoch, WAIT)
        count = live.store.count()
        e1.acks.clear()
        await e1.submit("heat", "C1", {"total": "70.50"}, sid="e1-0")
        assert await e1.wait_ack("e1-0", WAIT) == acks["e1-0"]
        assert live.store.count() == count  # nothing logged
        # The same id with other marks is still refused.
        await e1.submit("heat", "C1", {"total": "71.50"}, sid="e1-1")
        with pytest.raises(ServerError) as info:
            await e1.wait_ack("e1-1", WAIT)
        assert info.value.code == "duplicate_id" and live.store.count() == count
    finally:
        await live.close()


async def test_a_checkpoint_that_cannot_start_is_said_and_serving_goes_on(tmp_path, monkeypatch, caplog):
    def no_fork(*args, **kwargs):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(recovery, "checkpoint_in_child", no_fork)
    live = await Live(tmp_path, limits=Limits(checkpoint_every=5)).start()
    try:
        ctl, e1 = await live.control(), await live.judge("E1")
        await ctl.control("open", contestants=list(CIDS))
        for i in range(12):
            sid = await e1.submit("heat", CIDS[i % 4], {"total": f"{70 + i}.50"})
            await e1.wait_ack(sid, WAIT)
        assert not live.server._sequencer.done()
        said = [r.getMessage() for r in caplog.records if "could not start a checkpoint" in r.getMessage()]
        assert 1 <= len(said) <= 3 and "Cannot allocate memory" in said[0], said  # every 5 events, not every batch
    finally:
        await live.close()


def without_connected(v: dict[str, Any]) -> dict[str, Any]:
    out = dict(v)
    out["control"] = {k: s for k, s in v["control"].items() if k != "connected"}
    return out

