"""Benchmark recovery after kill -9 with a million events in the log.

    python bench/bench_recovery.py [--events 1000000] [--kills 5] [--work DIR] [--lean | --viewers-impl c] [--watchdog [--relay]] [--loop uvloop] [--pin 0/1] [--json F] [--floor]

A contest of 500 contestants and 40 judges with EVENTS events in its log (generated
straight into the database with a fixed seed: every contestant opened, marks and revisions,
then all but the first OPEN locked),
served on a fixed port with 1,000 scoreboards and the 40 judges connected: real
judging.client.Client objects, reconnect and resync as shipped (two processes of 500
viewers, four of ten judges each, submitting a card every 2 s each; with --lean the viewers are
bench/leanviewers.py, the same protocol and retry schedule at a fraction of the CPU; with
--viewers-impl c they are one process of bench/crecovery.c, the same again in C: the hall's
screens are machines of their own, and in C a reconnect costs the load generator little). KILLS
times, at a random
moment, the server gets SIGKILL and is started again at once. Measured per restart:
- listening: from the start of the new process until it listens (as the server stamps it);
- serving: from the start until a probe client holds a snapshot;
- back: for each client, from the kill until it is in sync with the new server, by a
  snapshot or a resume (and from the start of the new process);
and, once, the first start on the log without a checkpoint (the whole log replayed).
Afterwards: acknowledged marks in the log exactly once each (none lost, none twice). With
--floor, then the same viewers and kills against a bare websockets server that answers each
hello as the server would and does nothing else (bench/relay.py --welcome, restarted by the
benchmark): what reconnecting a hall costs the machine and the library, whatever the server.
Run by hand; not a test. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

OPEN = 10  # contestants still being scored when the benchmark starts

from benchlib import HERE, _unnice, build_c, frozen_code, judge_ids, machine, make_contest, pin, summary

from judging import watchdog
from judging.client import Client
from judging.store import Store, now


def fixed_port() -> int:
    """A port to serve on for the whole run, free now, and below the range the kernel hands
    out to outgoing connections: the thousand clients' reconnections cannot take it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]) if Path("/proc/sys/net/ipv4/ip_local_port_range").exists() else 32768
    for offset in range(low - 20000):
        port = 20000 + (os.getpid() + offset) % (low - 20000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port below the ephemeral range")


def generate(work: Path, events: int, seed: int) -> tuple[Path, Path]:
    contest, db = make_contest(work, 500, 40, auto_reveal=False)
    store = Store(db)
    rng = random.Random(seed)
    cids = [f"C{i:04d}" for i in range(1, 501)]
    jids = judge_ids(40)
    seq = 0
    batch: list[dict] = []

    def add(actor: str, kind: str, data: dict) -> None:
        nonlocal seq
        seq += 1
        batch.append({"seq": seq, "at": now(), "actor": actor, "client": "gen", "kind": kind, "data": data})

    add("control", "open", {"contestants": cids})
    while seq < events:
        j, c = rng.choice(jids), rng.choice(cids)
        scores = {"total": f"{rng.randint(6000, 9900) / 100:.2f}"}
        digest = hashlib.sha256(json.dumps(["final", c, scores], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        add(f"judge:{j}", "mark", {"round": "final", "contestant": c, "judge": j, "scores": scores, "submission": f"gen-{seq}", "digest": digest})
        if len(batch) >= 20000:
            store.append(batch)
            batch = []
    # Then, as at a venue, all but the last few are locked: the judges connected during the
    # run score those (bench/clients.py), and the hall sees their progress.
    add("control", "lock", {"contestants": cids[OPEN:]})
    store.append(batch)
    store.close()
    return contest, db


class Server:
    def __init__(self, contest: Path, db: Path, port: int):
        self.args = [sys.executable, os.environ.get("BENCH_SERVER", str(HERE / "serve_bench.py")), str(contest), str(db), "--port", str(port)]
        self.p: subprocess.Popen | None = None

    def serving_pid(self) -> int | None:
        return self.p.pid if self.p is not None else None

    def start(self) -> tuple[float, float]:
        """Returns (spawn time, seconds until it listens)."""
        t0 = time.monotonic()
        self.p = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=None if os.environ.get("BENCH_STDERR") else subprocess.DEVNULL, text=True, preexec_fn=_unnice)
        line = self.p.stdout.readline()  # type: ignore[union-attr]
        if not line.startswith("ready"):
            raise RuntimeError(f"server did not start: {line!r}")
        # The server stamps the moment it listens (time.monotonic, the same clock here): read
        # off the line, not timed by when this process, maybe waiting for a busy core, reads it.
        _, _, since_start, started = line.split()
        return t0, float(started) + float(since_start) - t0

    def kill9(self) -> float:
        assert self.p is not None
        t = time.monotonic()
        self.p.kill()
        self.p.wait()
        return t


class Watched(Server):
    """`judging serve` as shipped, with its watchdog (judging/watchdog.py): what gets
    SIGKILL is the serving process, and the watchdog, not the benchmark, starts another."""

    def __init__(self, contest: Path, db: Path, port: int, extra: list[str]):
        # -P: the frozen code on PYTHONPATH, not the working directory's judging/.
        self.args = [sys.executable, "-P", "-m", "judging", "serve", str(contest), "--db", str(db), "--host", "127.0.0.1", "--port", str(port), *extra]
        self.p = None
        self.killed_at = 0.0

    def start(self) -> tuple[float, float]:
        """The first time, starts `judging serve`; after a kill, waits for the watchdog's new
        server process. Returns (the moment it started or was killed, seconds until the line
        saying it serves was read: an upper bound, read here on a maybe busy core)."""
        if self.p is None:
            self.killed_at = time.monotonic()
            self.p = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=None if os.environ.get("BENCH_STDERR") else subprocess.DEVNULL, text=True, preexec_fn=_unnice)
        said = []
        while "serving on" not in (line := self.p.stdout.readline()):  # type: ignore[union-attr]
            if not line:
                raise RuntimeError(f"judging serve stopped, having said: {''.join(said)!r}")
            said.append(line)
        return self.killed_at, time.monotonic() - self.killed_at

    def serving_pid(self) -> int | None:
        return watchdog.serving_process(self.p.pid) if self.p is not None else None

    def kill9(self) -> float:
        assert self.p is not None
        child = watchdog.serving_process(self.p.pid)
        self.killed_at = time.monotonic()
        os.kill(child, signal.SIGKILL)  # type: ignore[arg-type]
        return self.killed_at


async def probe_or_dump(url: str, server: Server) -> float:
    """``probe``; if no snapshot comes within 2 s, the serving process is asked (SIGUSR1) to
    print where its threads are, to its log (kept with BENCH_STDERR=1)."""
    task = asyncio.ensure_future(probe(url))
    done, _ = await asyncio.wait({task}, timeout=2.0)
    if not done:
        pid = server.serving_pid()
        print(f"  no snapshot 2 s after the restart: process {pid}'s threads go to its log")
        if pid is not None:
            os.kill(pid, signal.SIGUSR1)
    return await task


async def probe(url: str, timeout: float = 30.0) -> float:
    """Seconds until a fresh client holds a snapshot (retrying at once while refused)."""
    async with asyncio.timeout(timeout):
        while True:
            cl = Client(url, None, backoff=(0.001, 0.002), open_timeout=2)
            try:
                await cl.start(timeout=timeout)
                return time.monotonic()
            except (TimeoutError, OSError):
                await asyncio.sleep(0.002)
            finally:
                await cl.close()


def spawn_clients(url: str, count: int, who: str, lean: bool = False, c: bool = False) -> subprocess.Popen:
    """A process of COUNT clients (inheriting this process's cores when --pin is given)."""
    if c:
        u = urlparse(url)
        cmd = [str(build_c("crecovery")), u.hostname or "127.0.0.1", str(u.port), str(count)]
    else:
        args = [str(HERE / "leanviewers.py"), url, str(count)] if lean else [str(HERE / "clients.py"), url, str(count), who]
        cmd = [sys.executable, *args]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("connected"):
        raise RuntimeError(f"clients did not connect: {line!r}")
    return p


class Floor(Server):
    """The recovery's floor (--floor): bench/relay.py --welcome, a bare websockets server that
    answers each viewer's hello as the server would (a welcome, resumed or with an empty
    snapshot) and does nothing else; restarted by the benchmark after each kill."""

    def __init__(self, port: int):
        self.args = [sys.executable, str(HERE / "relay.py"), "--welcome", "--port", str(port)] + (["--uvloop"] if os.environ.get("JUDGING_LOOP") == "uvloop" else [])
        self.p = None


async def main(args) -> None:
    print(machine())
    work = Path(args.work)
    db = work / "contest.db"
    if not (work / "ready").exists():
        t = time.monotonic()
        contest, db = generate(work, args.events, args.seed)
        (work / "ready").write_text("")
        print(f"generated {args.events} events in {time.monotonic() - t:.1f} s")
    contest = work / "contest.toml"
    ck = db.with_name(db.name + ".checkpoint")
    ck.unlink(missing_ok=True)
    port = fixed_port()
    extra = (["--loop", args.loop] if args.loop else []) + ["--relay" if args.relay else "--no-relay"]  # else serve's default loop
    server = Watched(contest, db, port, extra) if args.watchdog else Server(contest, db, port)
    try:
        await phase(args, server, port, judges=True)
    finally:
        # Never leave a server behind on this database: the next run would share its log.
        if server.p is not None and server.p.poll() is None:
            server.p.kill()
            server.p.wait()
    con = sqlite3.connect(str(db))
    rows = con.execute("select json_extract(data, '$.judge'), json_extract(data, '$.submission') from events where kind = 'mark' and client != 'gen'").fetchall()
    con.close()
    print(f"  live marks in the log: {len(rows)}, distinct {len(set(rows))}")
    if args.floor:
        print("the floor: bench/relay.py --welcome, the same viewers, kills at the same moments")
        await phase(args, Floor(port + 1), port + 1, judges=False)


async def phase(args, server: Server, port: int, judges: bool) -> None:
    url = f"ws://127.0.0.1:{port}"
    _, first = server.start()
    print(f"first start{', whole log replayed (no checkpoint)' if judges else ''}: listening after {first:.2f} s")
    await asyncio.sleep(1.0)
    if args.viewers_impl == "c":
        procs = [spawn_clients(url, args.viewers, "viewer", c=True)]
    else:
        procs = [spawn_clients(url, args.viewers // 2, "viewer", args.lean), spawn_clients(url, args.viewers - args.viewers // 2, "viewer", args.lean)]
    # Ten judges a process: at a venue each has a laptop of its own; in one process of forty,
    # a judge's reconnection waited for the other 39 in that process.
    ids = judge_ids(40)
    judge_procs = [spawn_clients(url, 10, "judges:" + ",".join(ids[i : i + 10])) for i in range(0, 40, 10)] if judges else []
    procs += judge_procs
    rng = random.Random(args.seed)
    kills = []
    for k in range(args.kills):
        await asyncio.sleep(rng.uniform(2.0, 4.0))
        t_kill = server.kill9()
        t0, listening = server.start()
        t_serving = await probe_or_dump(url, server) if judges else t0 + listening
        kills.append({"kill": t_kill, "spawn": t0, "listening": listening, "serving": t_serving - t0})
        print(f"kill {k + 1}: listening after {listening * 1000:.0f} ms" + (f", a snapshot after {(t_serving - t0) * 1000:.0f} ms from the restart" if judges else ""))
    await asyncio.sleep(3.0)
    reports = []
    for p in procs:
        p.stdin.write("report\n")  # type: ignore[union-attr]
        p.stdin.flush()  # type: ignore[union-attr]
        reports.append(json.loads(p.stdout.readline()))  # type: ignore[union-attr]
        p.wait(60)
    server.p.terminate()  # type: ignore[union-attr]
    try:
        server.p.wait(30)  # type: ignore[union-attr]
    except subprocess.TimeoutExpired:
        print("  the server did not stop within 30 s of SIGTERM: its threads go to its log, then it is killed")
        pid = server.serving_pid()
        if pid is not None:
            os.kill(pid, signal.SIGUSR1)
            time.sleep(1.0)
        server.p.kill()  # type: ignore[union-attr]  (the watchdog's children die with it)
        server.p.wait()  # type: ignore[union-attr]
    stamps = [s for r in reports for s in r["stamps"]]
    judge_stamps = {id(s) for r in reports[len(reports) - len(judge_procs) :] for s in r["stamps"]}
    by_kind: dict[str, list[float]] = {"viewers": [], "judges": []}
    from_kill, from_spawn, missing = [], [], 0
    for i, k in enumerate(kills):
        end = kills[i + 1]["kill"] if i + 1 < len(kills) else float("inf")
        mine = []
        for marks in stamps:
            back = [t for t, _ in marks if k["spawn"] < t < end]
            if not back:
                missing += 1
                continue
            mine.append((back[0] - k["kill"]) * 1000)
            by_kind["judges" if id(marks) in judge_stamps else "viewers"].append(mine[-1])
            from_spawn.append((back[0] - k["spawn"]) * 1000)
        from_kill += mine
        print(f"kill {i + 1}: {len(mine)} of {len(stamps)} clients back before the next kill ({(end - k['kill']) * 1000:.0f} ms later)"
              + (f", the last after {max(mine):.0f} ms" if mine else ""))
    listening = [k["listening"] * 1000 for k in kills]
    serving = [k["serving"] * 1000 for k in kills]
    print(f"restarts: {len(kills)}; clients: {len(stamps)}; a client not back before the next kill: {missing}")
    print(f"  resumes {sum(r['resumes'] for r in reports)}, snapshots {sum(r['snapshots'] for r in reports)}, "
          f"clients out of sync at the end {sum(r['unsynced'] for r in reports)}")
    for name, values in (("listening", listening), ("serving", serving), ("back, from the kill", from_kill), ("back, from the restart", from_spawn),
                         ("  viewers, from the kill", by_kind["viewers"]), ("  judges, from the kill", by_kind["judges"])):
        if not values:
            continue
        med, p99 = summary(values)
        print(f"  {name:24s} median {med:7.1f} ms  p99 {p99:7.1f} ms  max {max(values):7.1f} ms  (n={len(values)})")
    if args.json:
        Path(args.json if judges else args.json + ".floor").write_text(json.dumps({"kills": kills, "back": by_kind}))
    if judge_procs:
        print(f"  unacknowledged at the end: {sum(r['unacked'] for r in reports)}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--viewers", type=int, default=1000, help="scoreboards, in two processes (one with --viewers-impl c)")
    ap.add_argument("--work", default="/tmp/judging-bench-recovery")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--code", default="HEAD", help="the commit whose judging package is measured")
    ap.add_argument("--lean", action="store_true", help="the viewers are bench/leanviewers.py (the shipped client's protocol and retry schedule, a fraction of its CPU)")
    ap.add_argument("--viewers-impl", choices=("py", "c"), default="py",
                    help="c: the viewers are one process of bench/crecovery.c (leanviewers' protocol and retry schedule, in C; built with cc if missing)")
    ap.add_argument("--watchdog", action="store_true", help="run `judging serve` and kill its serving process; its watchdog starts the next")
    ap.add_argument("--pin", metavar="S/L", help="the server on cores S, the clients and this process on cores L (say 0/1)")
    ap.add_argument("--json", help="write each kill's times and each client's time back here")
    ap.add_argument("--loop", choices=("asyncio", "uvloop"), help="the server's event loop (judging/eventloop.py; default as `judging serve`'s)")
    ap.add_argument("--relay", action="store_true", help="with --watchdog: `judging serve --relay`")
    ap.add_argument("--floor", action="store_true", help="then the same kills with a bare websockets server answering the viewers' hellos (bench/relay.py --welcome); with --viewers-impl c")
    args = ap.parse_args()
    os.environ["JUDGING_LOOP"] = args.loop or "asyncio"  # for the server without --watchdog (bench/serve_bench.py)
    if args.floor and args.viewers_impl != "c":
        ap.error("--floor speaks only to the C viewers (--viewers-impl c): the Python clients expect a whole server")
    if args.lean and args.viewers_impl == "c":
        ap.error("--lean is for the Python viewers; --viewers-impl c replaces them")
    if args.pin:
        print(pin(args.pin))
    os.environ["PYTHONPATH"] = frozen_code(args.code)  # every process runs the committed code named
    asyncio.run(main(args))
