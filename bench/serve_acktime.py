"""The benchmark server with the acknowledgement path timed inside it:

    BENCH_STDERR=1 BENCH_SERVER=bench/serve_acktime.py python bench/bench_live.py venue ...

Times, for each judge's frame: until the sequencer takes it up, the log's append (in the
writer thread), framing the judges' and consoles' updates of each batch (overlapping the
append), and until its acknowledgement is written to the socket; for each reveal, writing it
to every viewer (with BENCH_RELAY=1: from the last judge's frame until it is sent to the
relay); and the collections of the garbage collector's oldest generation. Prints the medians
and p99s to stderr when the benchmark stops the server. LOOP_STALLS=1 also names
the callbacks that held the event loop for over 2 ms. LANE_SLICE=N in the environment
tries another slice of the audience's writes (judging/pacing.py). ACKTIME_JSON=F writes
each sample with its time to F. Run by hand; not a test.
"""

from __future__ import annotations

import asyncio.events
import gc
import json
import os
import runpy
import signal
import sys
import time
from pathlib import Path

from judging import pacing, relay_link, sequencer, server, store

taken: list[float] = []
appends: list[float] = []
framing: list[float] = []
acked: list[float] = []
phases: dict[str, list[float]] = {"process": [], "flush": [], "release_staff": [], "pace": []}
reveal_writes: list[float] = []  # writing a reveal's flush to every viewer
to_relay: list[float] = []  # with the relay: from the last judge's frame until the reveal is sent to it
last_frame = [0.0]
gc_pauses: list[float] = []  # each collection of the oldest generation
_gc_start = [0.0]
gc_log: list[tuple[float, float, str]] = []
stalls: dict[str, list[float]] = {}  # callbacks that held the event loop over 2 ms, by name
stall_log: list[tuple[float, float, str]] = []  # (start, end, name) of each
slow_acks: list[tuple[float, float]] = []  # (frame, ack written) of acks over 3 ms
series: dict[str, list[tuple[float, float]]] = {"ack": [], "append": [], "taken": []}  # (when, ms), for ACKTIME_JSON

_on_frame = server.JudgingServer._on_frame
_process = sequencer.Sequencer._process
_flush = sequencer.Sequencer._flush
_write_slices = sequencer.Sequencer._write_slices


def timed(func, into: list[float]):
    """``func``, noting how long each call took (ms) in ``into``."""

    def wrapper(*args, **kw):
        t = time.perf_counter()
        try:
            return func(*args, **kw)
        finally:
            into.append((time.perf_counter() - t) * 1000)

    return wrapper


def on_frame(self, peer, frame):
    if peer.who.role == "judge":
        peer.t_frame = last_frame[0] = time.perf_counter()
    return _on_frame(self, peer, frame)


def process(self, kind, peer, item):
    if getattr(peer, "t_frame", None):
        taken.append((time.perf_counter() - peer.t_frame) * 1000)
        series["taken"].append((peer.t_frame, taken[-1]))
    t = time.perf_counter()
    try:
        return _process(self, kind, peer, item)
    finally:
        phases["process"].append((time.perf_counter() - t) * 1000)


def flush(self, batch, updates):
    t0 = time.perf_counter()
    _flush(self, batch, updates)
    t = time.perf_counter()
    phases["flush"].append((t - t0) * 1000)
    for peer in batch.touched:
        if getattr(peer, "t_frame", None):
            acked.append((t - peer.t_frame) * 1000)
            series["ack"].append((peer.t_frame, acked[-1]))
            if t - peer.t_frame > 0.003:
                slow_acks.append((peer.t_frame, t))
            peer.t_frame = None


def on_gc(phase, info):
    if info["generation"] == 2:
        if phase == "start":
            _gc_start[0] = time.perf_counter()
        else:
            gc_pauses.append((time.perf_counter() - _gc_start[0]) * 1000)
            gc_log.append((_gc_start[0], time.perf_counter(), "gc"))


async def write_slices(self, plan):
    reveal = self._lane_hurry
    t = time.perf_counter()
    await _write_slices(self, plan)
    if reveal:
        reveal_writes.append((time.perf_counter() - t) * 1000)


_relay_flush = relay_link.RelayLink.flush


def relay_flush(self, first, last, epoch, tail):
    if b'"reveal":{' in tail:
        to_relay.append((time.perf_counter() - last_frame[0]) * 1000)
    _relay_flush(self, first, last, epoch, tail)


_run = asyncio.events.Handle._run


def run(self):
    t = time.perf_counter()
    _run(self)
    took = (time.perf_counter() - t) * 1000
    if took > 2.0:
        cb = self._callback
        name = getattr(getattr(cb, "__self__", None), "get_coro", lambda: None)()
        name = getattr(name, "__qualname__", None) or getattr(cb, "__qualname__", repr(cb))
        stalls.setdefault(name, []).append(took)
        stall_log.append((t, t + took / 1000, name))


def append(self, records):
    t = time.perf_counter()
    try:
        return _append(self, records)
    finally:
        appends.append((time.perf_counter() - t) * 1000)
        series["append"].append((t, appends[-1]))


def report(*_):
    if os.environ.get("ACKTIME_JSON"):  # each sample with when it was taken (perf_counter seconds)
        Path(os.environ["ACKTIME_JSON"]).write_text(json.dumps(series))
    blame: dict[str, float] = {}
    for start, end in slow_acks:  # what held the loop while each slow ack waited
        for s0, s1, name in stall_log:
            overlap = min(end, s1) - max(start, s0)
            if overlap > 0:
                blame[name] = blame.get(name, 0.0) + overlap * 1000
        if any(s0 < end and s1 > start for s0, s1, _ in gc_log):
            blame["gc"] = blame.get("gc", 0.0) + 1
    if slow_acks:
        waited = sum((e - s) * 1000 for s, e in slow_acks)
        print(f"{len(slow_acks)} acks over 3 ms, {waited:.0f} ms in all; of that, the loop held by: "
              + ", ".join(f"{k} {v:.0f} ms" for k, v in sorted(blame.items(), key=lambda kv: -kv[1]) if k != "gc")
              + f"; a collection during {blame.get('gc', 0):.0f} of them", file=sys.stderr)
    for name, v in sorted(stalls.items(), key=lambda kv: -sum(kv[1])):
        v.sort()
        print(f"loop held over 2 ms by {name}: {len(v)} times, median {v[len(v) // 2]:.1f} ms, max {v[-1]:.1f} ms", file=sys.stderr)
    print(f"oldest-generation collections: {len(gc_pauses)}, the longest {max(gc_pauses, default=0):.1f} ms; "
          f"objects tracked at the end: {len(gc.get_objects())}, frozen {gc.get_freeze_count()}", file=sys.stderr)
    for name, values in (*phases.items(), ("frame to sequencer", taken), ("log append", appends), ("framing the staff's updates", framing),
                         ("frame to ack written", acked), ("a reveal written to the viewers", reveal_writes),
                         ("the last frame to the reveal sent to the relay", to_relay)):
        v = sorted(values)
        if v:
            print(f"{name}: median {v[len(v) // 2]:.2f} ms, p99 {v[int(len(v) * 0.99)]:.2f} ms (n={len(v)})", file=sys.stderr, flush=True)
    sys.exit(0)


server.JudgingServer._on_frame = on_frame
sequencer.Sequencer._process = process
sequencer.Sequencer._flush = flush
_append = store.Store.append
store.Store.append = append
sequencer.Sequencer._coalesce = timed(sequencer.Sequencer._coalesce, framing)
sequencer.Sequencer._write_slices = write_slices
relay_link.RelayLink.flush = relay_flush
if os.environ.get("LOOP_STALLS"):  # each step of a batch, timed
    for name in ("release_staff", "pace"):
        setattr(sequencer.Sequencer, f"_{name}", timed(getattr(sequencer.Sequencer, f"_{name}"), phases[name]))
gc.callbacks.append(on_gc)
if os.environ.get("LOOP_STALLS"):
    asyncio.events.Handle._run = run
signal.signal(signal.SIGTERM, report)
if os.environ.get("LANE_SLICE"):
    pacing.LANE_SLICE = int(os.environ["LANE_SLICE"])
runpy.run_path(str(Path(__file__).with_name("serve_bench.py")), run_name="__main__")
