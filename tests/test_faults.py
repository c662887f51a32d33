"""Fault injection: the server killed with SIGKILL under load, connections dropped at random,
and a fuzzer throwing hostile frames. Seeded, so every run injects the same faults; each test
asserts exact counts (faults injected, submissions, marks lost, marks counted twice).
docs/benchmarks.md records the counts."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as sync_connect

from judging import protocol as p
from judging import watchdog
from judging.client import Client
from judging.contest_file import contest_digest_text, load_contest
from judging.rules.engine import tabulate
from judging.server import JudgingServer, Limits
from judging.store import Store
from judging.views import standings_section
from server_fixtures import CONTEST, CONTROL, TOKENS, WAIT, Live, grants, relays_of, single_round, sockets_of

JUDGING = Path(sys.executable).parent / "judging"
SCORERS = ("E1", "E2", "E3", "P1", "P2", "P3")  # T1 is a shadow judge
HEAT = ("C1", "C2", "C3", "C4")


def digest(state: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(state, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """`judging serve` in a subprocess on a fixed port, so that clients find it again."""

    def __init__(self, contest: Path, db: Path):
        self.contest, self.db, self.port = contest, db, free_port()
        self.proc: subprocess.Popen | None = None
        self.url = f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(JUDGING), "serve", str(self.contest), "--db", str(self.db), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        assert re.search(r"serving on ws://127\.0\.0\.1:\d+", line), line

    def serving_process(self) -> int:
        """The pid of the process that serves: the watchdog's child (judging/watchdog.py)."""
        assert self.proc is not None
        pid = watchdog.serving_process(self.proc.pid)
        assert pid is not None
        return pid

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no shutdown code runs
        self.proc.wait(WAIT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def alive(pid: int) -> bool:
    """Running, not a zombie nor gone."""
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def prepared_db(tmp_path: Path, contest: Path = CONTEST) -> Path:
    db = tmp_path / "faults.db"
    store = Store(db)
    store.issue_tokens(grants())
    store.close()
    return db


def log_marks(db: Path) -> list[tuple[int, str, str, str, str]]:
    """(seq, judge, submission, contestant, total) of every mark in the log."""
    con = sqlite3.connect(str(db))
    try:
        rows = con.execute("select seq, data from events where kind = 'mark' order by seq").fetchall()
    finally:
        con.close()
    out = []
    for seq, data in rows:
        d = json.loads(data)
        out.append((seq, d["judge"], d["submission"], d["contestant"], d["scores"]["total"]))
    return out


def plan_cards(rng: random.Random, per_judge: int) -> dict[str, list[tuple[str, str, str]]]:
    """Each judge's submissions in order: (id, contestant, total); revisions included."""
    plan = {}
    for jid in SCORERS:
        targets = [c for c in HEAT if not (jid == "E3" and c == "C2")]  # E3 is recused from C2
        plan[jid] = [(f"{jid}-{i}", rng.choice(targets), f"{rng.randint(6000, 9900) / 100:.2f}") for i in range(per_judge)]
    return plan


async def open_heat(server: ServeProcess, tmp_path: Path, clients: list[Client]) -> dict[str, Client]:
    """The console opens the heat and every scoring judge connects (all added to ``clients``)."""
    ctl = Client(server.url, CONTROL, backoff=(0.02, 0.1))
    clients.append(ctl)
    await ctl.start(WAIT)
    await ctl.control("open", contestants=list(HEAT))
    judges = {j: Client(server.url, TOKENS[j], outbox=tmp_path / f"{j}.outbox", backoff=(0.02, 0.1)) for j in SCORERS}
    clients += judges.values()
    for cl in judges.values():
        await cl.start(WAIT)
    return judges


async def run_judge(client: Client, cards: list[tuple[str, str, str]], acks: dict[str, Any]) -> None:
    for sid, cid, total in cards:
        await client.submit("heat", cid, {"total": total}, sid=sid)
        acks[sid] = await client.wait_ack(sid, timeout=20)
        await asyncio.sleep(0.06)  # about 16 a second: under the per-connection rate limit


# -- the server killed with SIGKILL under load ------------------------------------------------


async def test_kill_9_under_load_loses_nothing_and_counts_nothing_twice(tmp_path):
    rng = random.Random(20261121)
    db = prepared_db(tmp_path)
    server = ServeProcess(CONTEST, db)
    server.start()
    clients: list[Client] = []
    try:
        judges = await open_heat(server, tmp_path, clients)
        plan = plan_cards(rng, per_judge=24)
        acks: dict[str, Any] = {}
        kills = 0

        async def killer() -> None:
            nonlocal kills
            for _ in range(4):
                await asyncio.sleep(rng.uniform(0.15, 0.45))
                server.kill9()
                kills += 1
                await asyncio.to_thread(server.start)

        async with asyncio.timeout(45):
            await asyncio.gather(killer(), *(run_judge(judges[j], plan[j], acks) for j in SCORERS))
        submitted = sum(len(cards) for cards in plan.values())
        marks = log_marks(db)
        logged = [(j, sid) for _, j, sid, _, _ in marks]
        lost = [sid for sid in acks if (sid.split("-")[0], sid) not in logged]
        twice = len(logged) - len(set(logged))
        assert (kills, submitted, len(acks), len(marks), len(lost), twice) == (4, 144, 144, 144, 0, 0)
        # The load ran through the crashes: marks were logged under at least three of the five
        # server lives (each start logs server_started).
        con = sqlite3.connect(str(db))
        starts = [seq for (seq,) in con.execute("select seq from events where kind = 'server_started' order by seq")]
        con.close()
        assert len(starts) == 5
        lives = {sum(1 for s in starts if s < seq) for seq, *_ in marks}
        assert len(lives) >= 3
        # Every acknowledgement names the logged event of that very card.
        by_sid = {sid: (seq, total) for seq, _, sid, _, total in marks}
        for jid, cards in plan.items():
            for sid, _, total in cards:
                assert by_sid[sid] == (acks[sid].seq, total)
            assert judges[jid].outbox.items == {}
        # The final standings equal the same marks tabulated offline (each judge's last card).
        final: dict[tuple[str, str], str] = {}
        for jid, cards in plan.items():
            for _, cid, total in cards:
                final[(jid, cid)] = total
        contest = load_contest(CONTEST)
        offline = tabulate(contest, [("heat", cid, jid, {"total": t}) for (jid, cid), t in final.items()])
        fresh = Client(server.url, CONTROL)
        clients.append(fresh)
        await fresh.start(WAIT)
        for cat in ("arts", "sci"):
            assert fresh.state[f"private:{cat}"] == standings_section(offline, cat, only_ranked=False)
    finally:
        for cl in clients:
            await cl.close()
        server.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the watchdog runs where fork and PR_SET_PDEATHSIG do")
async def test_the_watchdog_restarts_a_killed_server_process_at_once(tmp_path):
    rng = random.Random(20261129)
    db = prepared_db(tmp_path)
    server = ServeProcess(CONTEST, db)
    server.start()
    watchdog = server.proc
    clients: list[Client] = []
    try:
        judges = await open_heat(server, tmp_path, clients)
        # Scoreboards, held by the watchdog's relay once welcomed: it outlives each server
        # process, and the one that takes over brings them up to date on the same connections.
        [relay] = relays_of(watchdog.pid)
        held = sockets_of(relay)
        viewers = [Client(server.url, None, backoff=(0.02, 0.1)) for _ in range(3)]
        clients += viewers
        for cl in viewers:
            await cl.start(WAIT)
        async with asyncio.timeout(WAIT):
            while sockets_of(relay) < held + len(viewers):
                await asyncio.sleep(0.02)
        connections = [cl._ws for cl in viewers]
        plan = plan_cards(rng, per_judge=16)
        acks: dict[str, Any] = {}
        killed: list[int] = []

        async def killer() -> None:
            for _ in range(3):
                await asyncio.sleep(rng.uniform(0.15, 0.4))
                pid = server.serving_process()
                os.kill(pid, 9)
                killed.append(pid)
                lines = [await asyncio.to_thread(server.proc.stdout.readline) for _ in range(2)]  # type: ignore[union-attr]
                assert lines[0].startswith("the server process was killed (SIGKILL)"), lines
                assert f"serving on {server.url}" in lines[1], lines

        async with asyncio.timeout(45):
            await asyncio.gather(killer(), *(run_judge(judges[j], plan[j], acks) for j in SCORERS))
        marks = log_marks(db)
        logged = [(j, sid) for _, j, sid, _, _ in marks]
        lost = [sid for sid in acks if (sid.split("-")[0], sid) not in logged]
        assert (len(set(killed)), len(acks), len(marks), len(lost), len(logged) - len(set(logged))) == (3, 96, 96, 0, 0)
        assert server.proc is watchdog and watchdog.poll() is None  # the same `judging serve` throughout
        # Each client came back to each new server process (a new epoch each time).
        assert all(cl.resumes + cl.snapshots >= 4 for cl in judges.values())
        # The scoreboards never left: welcomed again after each kill, and they end where a
        # scoreboard that connects now starts.
        probe = Client(server.url, None)
        clients.append(probe)
        await probe.start(WAIT)
        for cl in viewers:
            await cl.wait_for(lambda cl=cl: cl.seq == probe.seq, WAIT)
        assert [cl._ws for cl in viewers] == connections and relays_of(watchdog.pid) == [relay]
        assert [(cl.snapshots, cl.resumes) for cl in viewers] == [(1, 3)] * 3
        assert all(digest(cl.state) == digest(probe.state) for cl in viewers)
        # Killing the watchdog takes its server process and its relay with it: nothing is left
        # holding the port.
        last = server.serving_process()
        server.kill9()
        async with asyncio.timeout(WAIT):
            while alive(last) or alive(relay):
                await asyncio.sleep(0.02)
        server.start()
        fresh = Client(server.url, CONTROL)
        clients.append(fresh)
        await fresh.start(WAIT)
        assert fresh.state["progress"]
    finally:
        for cl in clients:
            await cl.close()
        server.stop()


# -- connections dropped at random ------------------------------------------------------------


@pytest.mark.parametrize("relay", [False, pytest.param(True, marks=pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the relay is Linux's"))])
async def test_dropped_connections_every_view_converges_and_every_outbox_drains(tmp_path, relay):
    # With the relay (judging serve's default on Linux) a dropped scoreboard comes back to the
    # server, is resumed, and is handed to the relay again.
    rng = random.Random(7)
    contest = single_round(tmp_path, "\n[live]\nauto_reveal = true\n")
    live = await Live(tmp_path, contest, Limits(relay=relay)).start()
    try:
        ctl = await live.control()
        await ctl.control("open", contestants=list(HEAT))
        judges = {j: await live.judge(j, outbox=tmp_path / f"{j}.outbox") for j in SCORERS}
        viewers = [await live.viewer() for _ in range(4)]
        plan = plan_cards(rng, per_judge=20)
        acks: dict[str, Any] = {}
        drops = 0

        async def dropper() -> None:
            nonlocal drops
            targets = list(judges.values()) + viewers
            for _ in range(30):
                await asyncio.sleep(rng.uniform(0.02, 0.06))
                await rng.choice(targets).drop()
                drops += 1

        async with asyncio.timeout(40):
            await asyncio.gather(dropper(), *(run_judge(judges[j], plan[j], acks) for j in SCORERS))
        server = live.server
        assert server is not None
        everyone = list(judges.values()) + viewers + [ctl]
        for cl in everyone:
            await cl.wait_for(lambda cl=cl: cl.synced.is_set() and cl.seq == server.state.seq, WAIT)
        # Each view equals what a newcomer is given now.
        fresh_viewer = await live.viewer()
        assert all(digest(v.state) == digest(fresh_viewer.state) for v in viewers)
        assert fresh_viewer.state["standings:arts"] and fresh_viewer.state["reveal"] is not None
        for jid, cl in judges.items():
            assert cl.outbox.items == {}
            assert digest(cl.state) == digest(live.server._snapshot_state(_judge_peer(server, jid)))
        marks = live.events("mark")
        logged = [(e["data"]["judge"], e["data"]["submission"]) for e in marks]
        submitted = sum(len(c) for c in plan.values())
        lost = [sid for sid in acks if (sid.split("-")[0], sid) not in logged]
        assert (drops, submitted, len(acks), len(marks), len(lost), len(logged) - len(set(logged))) == (30, 120, 120, 120, 0, 0)
    finally:
        await live.close()


def _judge_peer(server, jid: str):
    return next(peer for peer in server.peers if peer.who.judge == jid)


# -- hostile input ----------------------------------------------------------------------------


class Door:
    """Long-lived connections to a served contest (nothing is open, so no card can count)."""

    def __init__(self, url: str, stack: ExitStack):
        self.url, self.stack = url, stack
        self.conns = {role: self.connect(token) for role, token in (("judge", TOKENS["E1"]), ("viewer", None), ("control", CONTROL))}
        self.sent = 0
        self.initial = self.control_state()  # after the judge's connection was logged

    def connect(self, token: str | None, hello: bool = True):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        ws = self.stack.enter_context(sync_connect(self.url, additional_headers=headers, open_timeout=WAIT, compression=None, max_size=None))
        if hello:
            ws.send(json.dumps({"type": "hello", "protocol": p.VERSION, "client": "fuzz"}))
            assert json.loads(ws.recv(WAIT))["type"] == "welcome"
            assert json.loads(ws.recv(WAIT))["type"] == "snapshot"
            if token in TOKENS.values():
                assert json.loads(ws.recv(WAIT))["type"] == "update"  # its own judge_connected
        return ws

    def control_state(self) -> tuple[int, dict[str, Any]]:
        ws = self.connect(CONTROL, hello=False)
        ws.send(json.dumps({"type": "hello", "protocol": p.VERSION}))
        json.loads(ws.recv(WAIT))
        snap = json.loads(ws.recv(WAIT))
        ws.close()
        return snap["seq"], snap["state"]


@pytest.fixture(scope="module")
def door(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("door")
    server = ServeProcess(CONTEST, prepared_db(tmp))
    server.start()
    try:
        with ExitStack() as stack:
            yield Door(server.url, stack)
    finally:
        server.stop()


JSONS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ("id", "round", "contestant", "scores", "action", "data", "protocol", "client", "judge")
MESSAGES = st.fixed_dictionaries(
    {"type": st.sampled_from(["submit", "control", "hello", "update", "ack", "nonsense"])},
    optional={k: JSONS | st.sampled_from(["heat", "final", "C1", "E1", "open", "freeze"]) for k in FIELDS},
)
SUBMITS = st.builds(
    lambda sid, rid, cid, scores: {"type": "submit", "id": sid, "round": rid, "contestant": cid, "scores": scores},
    st.text(min_size=1, max_size=70),
    st.sampled_from(["heat", "final", "", "semi"]),
    st.sampled_from(["C1", "C2", "C9", ""]),
    st.dictionaries(st.sampled_from(["total", "x"]), st.sampled_from(["80", "-1", "100.001", "abc", "1e3", "NaN"]), max_size=2),
)
FRAMES = st.one_of(
    st.text(max_size=40).map(lambda s: ("text", s)),
    st.binary(max_size=40).map(lambda b: ("binary", b)),
    MESSAGES.map(lambda m: ("text", json.dumps(m))),
    SUBMITS.map(lambda m: ("text", json.dumps(m))),
)


def refused(role: str, frame: tuple[str, Any]) -> bool:
    """Whether the server must answer this frame from this role with an error."""
    kind, body = frame
    if kind == "binary":
        return True
    try:
        msg = p.decode(body)
    except p.ProtocolError:
        return True
    if isinstance(msg, p.SnapshotRequest):
        return False  # answered with a snapshot
    return not (role == "control" and isinstance(msg, p.Control))  # control may legitimately act


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(role=st.sampled_from(["judge", "viewer", "control"]), frames=st.lists(FRAMES, min_size=1, max_size=4))
def test_hostile_frames_each_get_an_error_and_change_nothing(door, role, frames):
    assume(all(refused(role, f) for f in frames))
    ws = door.conns[role]
    for kind, body in frames:
        ws.send(body)
    door.sent += len(frames)
    for _ in frames:
        msg = json.loads(ws.recv(WAIT))
        assert msg["type"] == "error", msg  # nothing else: no state changed, so no update either


def test_oversized_and_out_of_order_frames_close_only_that_connection(door):
    before = door.control_state()
    sent = 0
    for i in range(5):
        big = door.connect(None)
        big.send(json.dumps({"type": "submit", "id": "x", "round": "heat", "contestant": "C1", "scores": {"total": "1" * (p.MAX_FRAME + i)}}))
        sent += 1
        with pytest.raises(ConnectionClosed):
            big.recv(WAIT)
        assert big.close_code == 1009
        early = door.connect(TOKENS["E2"] if i % 2 else None, hello=False)
        early.send(json.dumps({"type": "submit", "id": "y", "round": "heat", "contestant": "C1", "scores": {"total": "80"}}))
        sent += 1
        assert json.loads(early.recv(WAIT))["code"] == "bad_hello"
        with pytest.raises(ConnectionClosed):
            early.recv(WAIT)
        assert early.close_code == 1008
    assert sent == 10
    assert door.control_state() == before


def test_after_the_fuzzing_the_state_is_unchanged_and_the_server_serves(door):
    # Runs after the fuzzer (file order): nothing it sent was logged or changed any view.
    assert door.sent >= 60
    assert door.control_state() == door.initial
    ctl = door.conns["control"]
    ctl.send(json.dumps({"type": "control", "id": "go", "action": "open", "data": {"contestants": ["C1"]}}))
    async_free = [json.loads(ctl.recv(WAIT)) for _ in range(2)]  # the update, then the answer
    assert [m["type"] for m in async_free] == ["update", "done"]
    assert async_free[1]["seq"] == door.initial[0] + 1  # the first event since the fuzzing began


# -- a server that dies in the middle of the handshake ------------------------------------------


async def test_a_connection_closed_during_the_handshake_is_retried(tmp_path):
    # Seen in the recovery benchmark: kill -9 while clients reconnect leaves some of them with
    # a connection closed before the HTTP response; a client must treat it like any lost
    # connection and try again, not stop.
    port = free_port()
    attempts = 0

    def slam(reader, writer) -> None:
        nonlocal attempts
        attempts += 1
        writer.close()

    closer = await asyncio.start_server(slam, "127.0.0.1", port)
    viewer = Client(f"ws://127.0.0.1:{port}", None, backoff=(0.02, 0.05))
    starting = asyncio.create_task(viewer.start(timeout=WAIT))
    live = Live(tmp_path)
    try:
        async with asyncio.timeout(WAIT):
            while attempts < 3:
                await asyncio.sleep(0.01)
        closer.close()
        await closer.wait_closed()
        await _serve_on(live, port)
        await starting
        assert viewer.synced.is_set() and viewer.role == "viewer"
    finally:
        await viewer.close()
        await live.close()


async def _serve_on(live: Live, port: int) -> None:
    live.server = JudgingServer(live.contest, live.store, contest_digest_text(live.contest_path))
    await live.server.start("127.0.0.1", port)
