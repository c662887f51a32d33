"""Benchmark the live server at the venue: 40 judges, 1,000 scoreboards, a bare relay as the floor.

    python bench/bench_live.py venue [--runs 3] [--contestants 50] [--viewers 1000]
    python bench/bench_live.py throughput [--runs 3] [--judges 160] [--seconds 10]

venue: the server, the viewers (two processes of 500, bench/viewers.py) and the 40 judges
(this process) are separate processes. Each run has two phases on the same machine, the
same viewers' code and the same schedule: first the judging server, then the bare relay
(bench/relay.py). Contestants are scored one after another, one per second: the host opens
the contestant, the 40 judges submit at random moments within half a second, the last
card completes the result, which the server reveals by itself (auto_reveal), and the host
locks it. Measured:
- screen: from the last judge's submit until the last of the viewers holds the update
  carrying the 亮分 card and the new standings (the whole frame; what parsing it costs one
  viewer is printed apart);
- progress: from each judge's submit until the last viewer holds the progress that counts it;
- ack: from each submit until that judge has the durable acknowledgement;
- memory: server RSS with the viewers connected minus before, per viewer.
The relay forwards, for each judge message, one message of the size the server's update
had (progress or reveal) to the same viewers and answers with an ack-sized reply. With
--floor split it is the floor of BENCH_RELAY=1 instead: the viewers held by the server's own
relay process, each judge message committed to SQLite before its answer (bench/relay.py).
--pin S/L splits the cores (the server's, the load's); --relay-on-load then moves the relay
process onto the load's cores, leaving the server alone on its own.

throughput: JUDGES judges (one panel, 50 contestants open at once) submit as fast as the
per-connection rate limit allows (16 a second each, under the limit of 20), with 1,000
viewers connected and receiving every update (skim mode: see bench/viewers.py). Counted:
acknowledgements per second in the steady part of the run; afterwards, marks in the log
equal to acknowledgements received, and every viewer at the log's last seq. Then the same
against the floor (--floor): the bare relay committing each message before its ack, what
queued meanwhile in one commit, and forwarding a progress-sized update to the viewers.
Run by hand; not a test. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import CONTROL_TOKEN, HERE, Proc, frozen_code, judge_ids, judge_token, machine, make_contest, pin, server_proc, summary
from wsload import connect

HOST = "127.0.0.1"


class ViewerProcs:
    def __init__(self, port: int, total: int, mode: str, per_proc: int = 500):
        self.procs = []
        left = total
        while left > 0:
            n = min(per_proc, left)
            left -= n
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, str(HERE / "viewers.py"), HOST, str(port), str(n), mode],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                )
            )
        for p in self.procs:
            line = p.stdout.readline()  # type: ignore[union-attr]
            if not line.startswith("connected"):
                raise RuntimeError(f"viewers did not connect: {line!r}")

    def report(self, ask: dict) -> list[dict]:
        path = Path(tempfile.mktemp(suffix=".json"))
        path.write_text(json.dumps(ask))
        for p in self.procs:
            p.stdin.write(f"report {path}\n")  # type: ignore[union-attr]
            p.stdin.flush()  # type: ignore[union-attr]
        out = [json.loads(p.stdout.readline()) for p in self.procs]  # type: ignore[union-attr]
        for p in self.procs:
            p.wait(30)
        path.unlink()
        return out


class Judge:
    def __init__(self, jid: str):
        self.jid = jid
        self.sent: dict[str, float] = {}
        self.acks: dict[str, tuple[float, int]] = {}
        self.done: dict[str, int] = {}
        self.ws = None

    def on_text(self, payload: bytes) -> None:
        if payload.startswith(b'{"type":"ack"'):
            t = time.monotonic()
            msg = json.loads(payload)
            self.acks[msg["id"]] = (t, msg["seq"])
        elif payload.startswith(b'{"type":"done"'):
            msg = json.loads(payload)
            self.done[msg["id"]] = msg["seq"]
        elif payload.startswith(b'{"type":"error"'):
            print("error:", payload[:200], file=sys.stderr)


class Probe:
    """One more viewer, in this process, that keeps the sizes of the updates it got."""

    def __init__(self) -> None:
        self.reveal: list[int] = []
        self.progress: list[int] = []
        self.last_reveal = b"{}"

    def on_text(self, payload: bytes) -> None:
        if payload.startswith(b'{"type":"update"') and not payload.endswith(b'"patch":{}}'):
            (self.reveal if b'"reveal":{' in payload else self.progress).append(len(payload))
            if b'"reveal":{' in payload:
                self.last_reveal = payload

    def parse_ms(self) -> float:
        """What one viewer spends parsing the last reveal update (median of 200)."""
        times = []
        for _ in range(200):
            t = time.perf_counter()
            json.loads(self.last_reveal)
            times.append((time.perf_counter() - t) * 1000)
        return sorted(times)[100]


async def wait_for(pred, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not pred():
            await asyncio.sleep(0.005)


async def venue_phase(port: int, relay: bool, schedule: list[list[tuple[str, float, str]]], sizes: dict, period: float):
    judges = {jid: Judge(jid) for jid in sorted({j for c in schedule for j, _, _ in c})}
    for j in judges.values():
        j.ws = await connect(HOST, port, judge_token(j.jid), j.on_text)
    ctl = Judge("control")
    ctl.ws = await connect(HOST, port, CONTROL_TOKEN, ctl.on_text)
    probe = Probe()
    probe_ws = await connect(HOST, port, None, probe.on_text)
    await asyncio.sleep(0.5)
    last_send: dict[str, float] = {}
    marks: list[tuple[str, str]] = []  # (judge, submission id)
    for i, cards in enumerate(schedule):
        cid = f"C{i + 1:04d}"
        t_start = time.monotonic()
        if not relay:
            ref = f"open-{cid}"
            ctl.ws.send_text(json.dumps({"type": "control", "id": ref, "action": "open", "data": {"contestants": [cid]}}))
            await wait_for(lambda: ref in ctl.done)
        t0 = time.monotonic()
        last = max(cards, key=lambda x: x[1])[0]
        for jid, offset, score in sorted(cards, key=lambda x: x[1]):
            delay = t0 + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sid = f"{cid}-{jid}"
            msg = {"type": "submit", "id": sid, "round": "final", "contestant": cid, "scores": {"total": score}}
            if relay:
                kind = "reveal" if jid == last else "progress"
                msg = {"id": sid, "contestant": cid, "relay": kind, "size": sizes[kind], "pad": "x" * 40}
            judge = judges[jid]
            judge.sent[sid] = time.monotonic()
            judge.ws.send_text(json.dumps(msg))
            marks.append((jid, sid))
        last_send[cid] = max(judges[j].sent[f"{cid}-{j}"] for j, _, _ in cards)
        await wait_for(lambda: all(sid in judges[j].acks for j, sid in marks[-len(cards):]))
        if not relay:
            # The host locks the contestant once revealed: scoring progress lists only the
            # contestants being scored, as at the venue.
            ref = f"lock-{cid}"
            ctl.ws.send_text(json.dumps({"type": "control", "id": ref, "action": "lock", "data": {"contestants": [cid]}}))
            await wait_for(lambda: ref in ctl.done)
        rest = t_start + period - time.monotonic()
        if rest > 0:
            await asyncio.sleep(rest)
    await asyncio.sleep(1.0)
    for j in list(judges.values()) + [ctl]:
        j.ws.close()
    probe_ws.close()
    return judges, marks, last_send, probe


def floor_args(args, work: Path) -> list[str]:
    """The bare relay's options: bench/relay.py as the venue's floor, or with --split and
    --durable, the floor of `judging serve --relay` (the scoreboards in the relay process,
    each mark committed before its ack); split-nodisk: the same, acked without the disk."""
    out = ["--uvloop"] if args.loop == "uvloop" else []
    if args.floor.startswith("split"):
        out += ["--split"]
    if args.floor == "split":
        out += ["--durable", str(work / "floor.db")]
    return out


def make_schedule(rng: random.Random, contestants: int, judges: int, window: float) -> list[list[tuple[str, float, str]]]:
    ids = judge_ids(judges)
    return [[(j, rng.uniform(0, window), f"{rng.randint(7000, 9900) / 100:.2f}") for j in ids] for _ in range(contestants)]


def venue_metrics(judges, marks, last_send, reports) -> dict:
    seq_of_mark = {sid: judges[j].acks[sid][1] for j, sid in marks}
    ack = [(judges[j].acks[sid][0] - judges[j].sent[sid]) * 1000 for j, sid in marks]
    progress, missing = [], 0
    for j, sid in marks:
        held = [r["progress"].get(str(seq_of_mark[sid])) for r in reports]
        if any(h is None or h[0] is None or h[1] for h in held):
            missing += 1
            continue
        progress.append((max(h[0] for h in held) - judges[j].sent[sid]) * 1000)
    screen = []
    for cid, t in last_send.items():
        held = [r["reveals"].get(cid) for r in reports]
        if any(h is None or h[0] is None or h[1] for h in held):
            missing += 1
            continue
        screen.append((max(h[0] for h in held) - t) * 1000)
    return {"ack": ack, "progress": progress, "screen": screen, "missing": missing, "marks": [seq_of_mark[s] for _, s in marks]}


async def venue(args) -> None:
    print(machine())
    rng = random.Random(args.seed)
    rows = []
    for run in range(1, args.runs + 1):
        work = Path(tempfile.mkdtemp(prefix="bench-venue-"))
        schedule = make_schedule(rng, args.contestants, 40, args.window)
        contest, db = make_contest(work, args.contestants, 40)
        results = {}
        sizes = {}
        for phase in ("server", "relay"):
            proc = server_proc(contest, db) if phase == "server" else Proc([str(HERE / "relay.py")] + floor_args(args, work))
            if args.relay_on_load:
                proc.children_to_load()
            time.sleep(0.3)
            rss0 = proc.rss_kib()
            mode = ("full-c" if args.viewers_impl == "c" else "full") + ("-niced" if args.nice_viewers else "")
            viewers = ViewerProcs(proc.port, args.viewers, mode, per_proc=args.viewers if mode.startswith("full-c") else 500)
            time.sleep(1.0)
            rss1 = proc.rss_kib()
            cpu0 = proc.cpu_seconds()
            judges, marks, last_send, probe = await venue_phase(proc.port, phase == "relay", schedule, sizes, args.period)
            cpu = proc.cpu_seconds() - cpu0
            if phase == "server":
                sizes = {"reveal": max(probe.reveal), "progress": sorted(probe.progress)[len(probe.progress) // 2]}
                parse = probe.parse_ms()
            seqs = {sid: judges[j].acks[sid][1] for j, sid in marks}
            reports = viewers.report({"marks": sorted(set(seqs.values())), "reveals": list(last_send)})
            proc.stop()
            m = venue_metrics(judges, marks, last_send, reports)
            m["mem"] = (rss1 - rss0) * 1024 / args.viewers
            m["cpu"] = cpu
            m["dropped"] = sum(r["dropped"] for r in reports)
            results[phase] = m
        rows.append(results)
        s, r = results["server"], results["relay"]
        f = args.floor
        print(f"run {run}: sizes {sizes}; one viewer parses a reveal update in {parse:.3f} ms; missing server {s['missing']} {f} {r['missing']}; dropped {s['dropped']}/{r['dropped']}")
        for name in ("screen", "progress", "ack"):
            if not s[name] or not r[name]:
                print(f"  {name:9s} no samples (server {len(s[name])}, {f} {len(r[name])})")
                continue
            sm, sp = summary(s[name])
            rm, rp = summary(r[name])
            print(f"  {name:9s} server median {sm:7.2f} ms p99 {sp:7.2f} ms | {f} median {rm:7.2f} ms p99 {rp:7.2f} ms | p99 ratio {sp / rp:4.2f} (n={len(s[name])})")
        print(f"  memory per viewer: server {s['mem'] / 1024:.1f} KiB, {f} {r['mem'] / 1024:.1f} KiB; CPU seconds in the phase: server {s['cpu']:.1f}, {f} {r['cpu']:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows))


# -- throughput --------------------------------------------------------------------------------


class Pump:
    """A judge that submits at a steady pace and counts acknowledgements without parsing
    every frame (it gets every event's update: thousands a second)."""

    def __init__(self, jid: str):
        self.jid = jid
        self.acks = 0
        self.tail = b""
        self.sent = 0
        self.stamps: list[tuple[float, int]] = []

    def on_chunk(self, data: bytes) -> None:
        chunk = self.tail + data
        self.acks += chunk.count(b'{"type":"ack"') - self.tail.count(b'{"type":"ack"')
        self.tail = chunk[-16:]


async def throughput(args) -> None:
    print(machine())
    for run in range(1, args.runs + 1):
        work = Path(tempfile.mkdtemp(prefix="bench-tp-"))
        contest, db = make_contest(work, 50, args.judges, auto_reveal=False)
        for phase in ("server", args.floor):
            print(f"run {run}, {phase}: " + await throughput_phase(args, run, phase, work, contest, db), flush=True)


def throughput_floor(args, work: Path) -> list[str]:
    """The floor of a durable throughput: the bare relay, each message committed before its
    ack (in group commits), split as for the venue if asked; split-nodisk: not committed."""
    out = floor_args(args, work)
    if args.floor == "relay":
        out += ["--durable", str(work / "floor.db")]
    return out


async def throughput_phase(args, run: int, phase: str, work: Path, contest: Path, db: Path) -> str:
    floor = phase != "server"
    proc = Proc([str(HERE / "relay.py")] + throughput_floor(args, work)) if floor else server_proc(contest, db)
    viewers = ViewerProcs(proc.port, args.viewers, "skim") if args.viewers else None
    cids = [f"C{i:04d}" for i in range(1, 51)]
    ctl = None
    if not floor:
        ctl = Judge("control")
        ctl.ws = await connect(HOST, proc.port, CONTROL_TOKEN, ctl.on_text)
        ctl.ws.send_text(json.dumps({"type": "control", "id": "open", "action": "open", "data": {"contestants": cids}}))
        await wait_for(lambda: "open" in ctl.done)
    pumps = [Pump(j) for j in judge_ids(args.judges)]
    conns = []
    for p in pumps:
        conns.append(await connect(HOST, proc.port, judge_token(p.jid), lambda b: None, skim=p.on_chunk))
    await asyncio.sleep(1.0)
    rng = random.Random(args.seed + run)
    interval = 1.0 / args.rate
    t_begin = time.monotonic()
    cpu0 = proc.cpu_seconds()
    samples: list[tuple[float, int]] = []
    while time.monotonic() - t_begin < args.seconds:
        tick = time.monotonic()
        for p, ws in zip(pumps, conns):
            if p.sent < (tick - t_begin) * args.rate + 1:
                cid = cids[(p.sent + int(p.jid[1:])) % len(cids)]
                sid = f"{p.jid}-{p.sent}"
                if floor:  # a progress-sized update for the viewers, an ack for the judge
                    ws.send_text(f'{{"id":"{sid}","contestant":"{cid}","relay":"progress","size":300,"pad":"{"x" * 40}"}}')
                else:
                    ws.send_text(
                        f'{{"type":"submit","id":"{sid}","round":"final","contestant":"{cid}","scores":{{"total":"{rng.randint(7000, 9900) / 100:.2f}"}}}}'
                    )
                p.sent += 1
        samples.append((time.monotonic(), sum(p.acks for p in pumps)))
        await asyncio.sleep(max(0.0, interval / 4 - (time.monotonic() - tick)))
    cpu = proc.cpu_seconds() - cpu0
    sent = sum(p.sent for p in pumps)
    await wait_for(lambda: sum(p.acks for p in pumps) >= sent, 30)
    t_end = time.monotonic()
    # Steady part: from 2 s in to the end of sending.
    a = next(s for s in samples if s[0] - t_begin >= 2.0)
    b = samples[-1]
    rate = (b[1] - a[1]) / (b[0] - a[0])
    await asyncio.sleep(0.5)
    marks, last = 0, 0
    if floor and args.floor != "split-nodisk":
        con = sqlite3.connect(str(work / "floor.db"))
        marks, last = con.execute("select count(*), max(seq) from events").fetchone()
        con.close()
    elif not floor:
        con = sqlite3.connect(str(db))
        marks = con.execute("select count(*) from events where kind = 'mark'").fetchone()[0]
        last = con.execute("select max(seq) from events").fetchone()[0]
        con.close()
    report = viewers.report({"last": last}) if viewers else []
    acks = sum(p.acks for p in pumps)
    lagging = sorted({s for r in report for s in r["last_seqs"]} - {last})
    for c in conns:
        c.close()
    if ctl is not None:
        ctl.ws.close()
    proc.stop()
    return (
        f"offered {args.judges * args.rate}/s; acknowledged {rate:.0f}/s steady "
        f"({acks} acks, {sent} sent, {marks} marks in the log, drain {t_end - b[0]:.2f} s); "
        f"CPU {cpu / args.seconds * 100:.0f}% of a core; viewers {args.viewers}, "
        f"dropped {sum(r['dropped'] for r in report)}, not at the last seq {lagging or 'none'} "
        f"(the last viewer there {max((r['caught_up_in'] for r in report), default=0) + 0.5:.2f} s after the last ack)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", choices=("venue", "throughput"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--contestants", type=int, default=50)
    ap.add_argument("--viewers", type=int, default=1000)
    ap.add_argument("--period", type=float, default=1.0, help="seconds per contestant")
    ap.add_argument("--window", type=float, default=0.5, help="the judges submit within this many seconds")
    ap.add_argument("--judges", type=int, default=160)
    ap.add_argument("--rate", type=float, default=16.0, help="submissions per second per judge (throughput)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--loop", choices=("uvloop", "asyncio"), default="asyncio", help="the event loop of the server and of the bare relay (judging/eventloop.py)")
    ap.add_argument("--nice-viewers", action="store_true", help="venue: the viewers' processes yield the CPU to the server and the judges, as a hall's own machines would")
    ap.add_argument("--viewers-impl", choices=("c", "py"), default="py", help="venue: the viewers in C (bench/cviewers.c, one process) or Python (bench/wsload.py, 500 a process)")
    ap.add_argument("--pin", metavar="S/L", help="server and relay on cores S, all load on cores L (say 0/1)")
    ap.add_argument("--relay-on-load", action="store_true", help="with --pin and BENCH_RELAY=1: the relay process on the load's cores, the server alone on its own")
    ap.add_argument("--floor", choices=("relay", "split", "split-nodisk"), default="relay", help="venue: the baseline, a bare relay (bench/relay.py) or, for BENCH_RELAY=1, the same split in two processes with each mark committed before its ack (split-nodisk: acked at once)")
    ap.add_argument("--json", help="write the raw samples here")
    ap.add_argument("--code", default="HEAD", help="the commit whose judging package is measured")
    args = ap.parse_args()
    if args.scenario == "throughput":
        os.nice(10)  # a saturating load: the server under test gets the CPU first (it is not niced)
    if args.pin:
        print(pin(args.pin))
    os.environ["JUDGING_LOOP"] = args.loop  # read by judging/eventloop.py in the server and its relay
    os.environ["PYTHONPATH"] = frozen_code(args.code)  # every process runs the committed code named
    print(f"code: {args.code} ({os.environ['PYTHONPATH']})")
    asyncio.run(venue(args) if args.scenario == "venue" else throughput(args))


if __name__ == "__main__":
    main()
