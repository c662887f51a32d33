"""`judging serve`'s watchdog (judging/watchdog.py): stopping it, a port in use, a server
process that keeps dying. The restart under load is in tests/test_faults.py."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from server_fixtures import CONTEST, CONTROL, TOKENS, WAIT, grants, relays_of, sockets_of

from judging import watchdog
from judging.client import Client
from judging.store import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the watchdog runs where fork and PR_SET_PDEATHSIG do")


async def serve(tmp_path: Path, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "judging", "serve", str(CONTEST), "--db", str(tmp_path / "w.db"), "--host", "127.0.0.1", *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True,
    )


async def line(proc: asyncio.subprocess.Process) -> str:
    async with asyncio.timeout(WAIT):
        return (await proc.stdout.readline()).decode()  # type: ignore[union-attr]


async def serving_url(proc: asyncio.subprocess.Process) -> str:
    """The address `judging serve` says it serves on (its first line)."""
    return (await line(proc)).split("serving on ", 1)[1].split()[0]


async def interrupted(proc: asyncio.subprocess.Process, *clients: Client | None) -> tuple[str, str]:
    """Close these clients, then Ctrl+C `judging serve` as a terminal would (its whole group);
    its stdout and stderr."""
    for cl in clients:
        if cl is not None:
            await cl.close()
    os.killpg(proc.pid, signal.SIGINT)
    return await finish(proc)


def serving_process(proc: asyncio.subprocess.Process) -> int:
    pid = watchdog.serving_process(proc.pid)
    assert pid is not None
    return pid


async def standby_process(proc: asyncio.subprocess.Process, *not_these: int) -> int:
    """The watchdog's standby, once it has one (it starts after the server serves)."""
    async with asyncio.timeout(WAIT):
        while True:
            for pid in map(int, Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()):
                if pid not in not_these and Path(f"/proc/{pid}/comm").read_bytes().strip() == watchdog.STANDBY_NAME:
                    return pid
            await asyncio.sleep(0.02)


async def finish(proc: asyncio.subprocess.Process) -> tuple[str, str]:
    try:
        async with asyncio.timeout(WAIT):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    return out.decode(), err.decode()


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
async def test_stopping_judging_serve_stops_its_server_process_cleanly(tmp_path, how):
    proc = await serve(tmp_path, "--port", "0")
    assert "serving on ws://127.0.0.1:" in await line(proc)
    child, spare, [relay] = serving_process(proc), await standby_process(proc), relays_of(proc.pid)
    if how == "sigterm":
        proc.terminate()  # to the watchdog alone: it passes it on
    else:
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl+C reaches both
    out, err = await finish(proc)
    assert proc.returncode == 0
    assert out.count("server stopped; every acknowledged mark is in") == 1, out
    assert "Traceback" not in err and "killed" not in out
    for pid in (child, spare, relay):
        assert not Path(f"/proc/{pid}").exists() or "State:\tZ" in Path(f"/proc/{pid}/status").read_text()


async def test_a_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = await serve(tmp_path, "--port", str(taken.getsockname()[1]))
        out, err = await finish(proc)
    assert proc.returncode == 2
    assert out.startswith("error: cannot listen on 127.0.0.1:") and "Traceback" not in err


async def test_a_server_process_that_keeps_dying_as_it_starts_is_not_started_again(tmp_path):
    proc = await serve(tmp_path, "--port", "0")
    assert "serving on" in await line(proc)
    for death in range(1, 6):
        os.kill(serving_process(proc), signal.SIGKILL)
        said = await line(proc)
        if death < 5:
            # The standby if one is ready, else a new server process.
            assert said.startswith("the server process was killed (SIGKILL); "), said
            assert said.rstrip().endswith(("the standby serves in its place", "starting it again from the log")), said
            assert "serving on" in await line(proc)
    assert said.startswith("error: the server process died 5 times in a row as it started (SIGKILL); not starting it again"), said
    await finish(proc)
    assert proc.returncode == 1


async def test_a_server_process_that_fails_says_why_and_is_not_restarted(tmp_path):
    # A database that is not a contest database: the server process cannot start on it.
    (tmp_path / "w.db").write_bytes(b"not a database at all" * 100)
    proc = await serve(tmp_path, "--port", "0")
    out, err = await finish(proc)
    assert proc.returncode == 2
    assert "killed" not in out  # it failed; it was not killed, so it is not started again
    assert out.startswith(f"error: cannot use {tmp_path / 'w.db'} as the contest's database: file is not a database"), out
    assert "Traceback" not in err


async def test_the_standby_serves_when_the_server_process_is_killed(tmp_path):
    # A mark acknowledged by the server process that dies is in the standby's state: it kept
    # up with the log, and read what it had not yet seen when it took over.
    store = Store(tmp_path / "w.db")
    store.issue_tokens(grants())
    store.close()
    proc = await serve(tmp_path, "--port", "0", "--no-relay")
    ctl = judge = None
    try:
        url = await serving_url(proc)
        spare = await standby_process(proc)
        killed = serving_process(proc)
        assert "uvloop" not in Path(f"/proc/{killed}/maps").read_text()  # asyncio's loop without the relay
        ctl, judge = Client(url, CONTROL, backoff=(0.02, 0.2)), Client(url, TOKENS["E1"], backoff=(0.02, 0.2))
        await ctl.start(WAIT)
        await judge.start(WAIT)
        await ctl.control("open", contestants=["C1"])
        ack = await judge.wait_ack(await judge.submit("heat", "C1", {"total": "88.5"}), WAIT)
        epoch = ctl.epoch
        os.kill(killed, signal.SIGKILL)
        assert (await line(proc)).startswith("the server process was killed (SIGKILL); the standby serves in its place")
        assert "serving on" in await line(proc)
        assert serving_process(proc) == spare
        await standby_process(proc, spare, killed)  # and a new standby
        await ctl.wait_for(lambda: ctl.epoch != epoch and ctl.synced.is_set(), WAIT)
        assert ctl.seq >= ack.seq and ctl.state["progress"]["C1"]["submitted"] == ["E1"]
        # It goes on from there: a mark to the new server process.
        again = await judge.wait_ack(await judge.submit("heat", "C1", {"total": "89"}), WAIT)
        assert again.seq > ack.seq and again.revision == 2
    finally:
        for cl in (ctl, judge):
            if cl is not None:
                await cl.close()
        proc.terminate()
        out, err = await finish(proc)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert out.count("server stopped; every acknowledged mark is in") == 1, out


async def test_a_killed_standby_is_replaced_and_the_server_goes_on(tmp_path):
    proc = await serve(tmp_path, "--port", "0")
    try:
        await line(proc)
        server, spare = serving_process(proc), await standby_process(proc)
        os.kill(spare, signal.SIGKILL)
        await standby_process(proc, spare)
        assert serving_process(proc) == server
    finally:
        proc.terminate()
        out, _ = await finish(proc)
    assert proc.returncode == 0 and "the server process was killed" not in out


async def test_judging_serve_has_the_relay_serve_scoreboards_by_default_and_stops_cleanly(tmp_path):
    proc = await serve(tmp_path, "--port", "0")
    viewer = None
    try:
        viewer = Client(await serving_url(proc), None, backoff=(0.02, 0.2))
        await viewer.start(WAIT)
        server, relays = serving_process(proc), relays_of(proc.pid)
        assert len(relays) == 1 and not relays_of(server)  # the watchdog's, not the server's
        # Both on uvloop, the relay's default (judging/eventloop.py): it follows the server.
        for pid in (server, relays[0]):
            assert "uvloop" in Path(f"/proc/{pid}/maps").read_text()
        await viewer.wait_for(lambda: viewer.state is not None and "status" in viewer.state, WAIT)
    finally:
        out, err = await interrupted(proc, viewer)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert out.count("server stopped; every acknowledged mark is in") == 1, out
    assert not Path(f"/proc/{relays[0]}").exists()  # reaped by the watchdog


async def held_by(relay: int, viewers: int, before: int) -> None:
    """Once the relay holds this many more sockets than it did."""
    async with asyncio.timeout(WAIT):
        while sockets_of(relay) < before + viewers:
            await asyncio.sleep(0.02)


async def kill_the_server(proc: asyncio.subprocess.Process) -> None:
    """kill -9 the serving process; returns once the standby says it serves."""
    os.kill(serving_process(proc), signal.SIGKILL)
    assert (await line(proc)).startswith("the server process was killed (SIGKILL); the standby serves in its place")
    assert "serving on" in await line(proc)


async def test_after_a_kill_9_the_scoreboards_stay_connected_and_follow_the_standby(tmp_path):
    # The watchdog's relay outlives the server process: its scoreboards never reconnect. The
    # standby welcomes them again (a new epoch) and sends them what they missed.
    store = Store(tmp_path / "w.db")
    store.issue_tokens(grants())
    store.close()
    proc = await serve(tmp_path, "--port", "0")
    viewer = ctl = fresh = None
    try:
        url = await serving_url(proc)
        [relay] = relays_of(proc.pid)
        before = sockets_of(relay)
        viewer, ctl = Client(url, None, backoff=(0.02, 0.2)), Client(url, CONTROL, backoff=(0.02, 0.2))
        await viewer.start(WAIT)
        await ctl.start(WAIT)
        await held_by(relay, 1, before)
        opened = await ctl.control("open", contestants=["C1"])
        await viewer.wait_for(lambda: viewer.seq >= opened.seq, WAIT)
        connection, epoch = viewer._ws, viewer.epoch
        await standby_process(proc)
        await kill_the_server(proc)
        await ctl.wait_for(lambda: ctl.epoch != epoch and ctl.synced.is_set(), WAIT)
        locked = await ctl.control("lock", contestants=["C1"])
        await viewer.wait_for(lambda: viewer.seq == locked.seq, WAIT)
        assert viewer._ws is connection and relays_of(proc.pid) == [relay]
        assert viewer.epoch == ctl.epoch != epoch and viewer.snapshots == 1 and viewer.resumes == 1
        assert viewer.state["status"]["C1"]["status"] == "locked"
        fresh = Client(url, None)
        await fresh.start(WAIT)
        await fresh.wait_for(lambda: fresh.seq == locked.seq, WAIT)
        assert viewer.state == fresh.state
    finally:
        out, err = await interrupted(proc, viewer, ctl, fresh)
    assert proc.returncode == 0 and "Traceback" not in err, err


async def test_when_the_relay_dies_the_servers_serve_the_scoreboards_themselves(tmp_path):
    proc = await serve(tmp_path, "--port", "0")
    viewer = None
    try:
        url = await serving_url(proc)
        [relay] = relays_of(proc.pid)
        await standby_process(proc)
        os.kill(relay, signal.SIGKILL)
        await kill_the_server(proc)
        viewer = Client(url, None, backoff=(0.02, 0.2))
        await viewer.start(WAIT)
        await viewer.wait_for(lambda: viewer.state is not None and "status" in viewer.state, WAIT)
    finally:
        out, err = await interrupted(proc, viewer)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert "the audience's relay did not start; the scoreboards are served here" in err, err


async def test_sigusr1_prints_where_the_servers_threads_are_and_it_serves_on(tmp_path):
    # For a server that stops answering without dying: what each of its threads is doing.
    proc = await serve(tmp_path, "--port", "0")
    viewer = None
    try:
        url = await serving_url(proc)
        os.kill(serving_process(proc), signal.SIGUSR1)
        viewer = Client(url, None, backoff=(0.02, 0.2))
        await viewer.start(WAIT)
    finally:
        out, err = await interrupted(proc, viewer)
    assert proc.returncode == 0 and "Current thread" in err and "most recent call first" in err, err
    assert out.count("server stopped; every acknowledged mark is in") == 1, out


async def test_a_second_judging_serve_on_the_same_database_is_refused(tmp_path):
    first = await serve(tmp_path, "--port", "0")
    url = await serving_url(first)
    second = await serve(tmp_path, "--port", "0")
    out, err = await finish(second)
    assert second.returncode == 2 and "Traceback" not in err
    assert out.startswith(f"error: {tmp_path / 'w.db'} is being served by another `judging serve` (process {first.pid})"), out
    viewer = Client(url, None)
    await viewer.start(timeout=WAIT)  # the first serves on
    await interrupted(first, viewer)
    third = await serve(tmp_path, "--port", "0")  # once it has stopped, the database is free
    assert "serving on" in await line(third)
    await interrupted(third)
    assert first.returncode == 0 and third.returncode == 0
