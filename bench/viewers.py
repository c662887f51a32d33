"""Scoreboard viewers for the live benchmarks, in a process of their own:

    python bench/viewers.py HOST PORT COUNT full|full-niced|full-c|full-c-niced|skim

Connects COUNT viewers (no token), prints 'connected COUNT', then records when each one
received what, until a line on stdin: 'report FILE' (FILE: JSON with the mark seqs and
revealed contestants to look up) prints one JSON line of results and exits.

- full: every frame is split; for each viewer, the seq and arrival time of every update
  that changed something, and when the 亮分 card of each contestant arrived (found by a byte
  search, not parsed: see on_text).
- full-c: as full, but the viewers are bench/cviewers.c (built here with cc if missing), a
  thousand of them costing the load generator a read and a byte search per frame; this
  process only reports. full-c-niced: the same, niced.
- skim: chunks are not split into frames (a viewer getting 2,000 frames a second would cost
  the load generator more CPU than the server): bytes are counted and the last seq kept.
Run by hand, through bench_live.py; not a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import subprocess
import time
from array import array
from bisect import bisect_left
from pathlib import Path

from benchlib import build_c
from wsload import connect, seq_of

HERE = Path(__file__).resolve().parent


class Viewer:
    def __init__(self) -> None:
        self.seqs = array("q")
        self.times = array("d")
        self.reveals: dict[str, float] = {}
        self.bytes = 0
        self.last_seq = 0
        self.tail = b""

    def on_text(self, payload: bytes) -> None:
        t = time.monotonic()
        if not payload.startswith(b'{"type":"update"'):
            return
        if payload.endswith(b'"patch":{}}'):
            return
        self.seqs.append(seq_of(payload))
        self.times.append(t)
        i = payload.find(b'"reveal":{')
        if i >= 0:
            # The frame is whole: this viewer holds the update. Parsing it is each real
            # viewer's own CPU on its own machine; here it would be five hundred parses in
            # a row on the server's two cores, and the relay's padding parses faster than
            # a card, so neither phase parses.
            j = payload.find(b'"contestant":"', i) + 14
            self.reveals.setdefault(payload[j : payload.find(b'"', j)].decode(), t)

    def on_chunk(self, data: bytes) -> None:
        self.bytes += len(data)
        chunk = self.tail + data
        i = chunk.rfind(b'"seq":')
        if i >= 0 and chunk.find(b",", i) > 0:
            self.last_seq = seq_of(chunk[i:])
        self.tail = chunk[-40:]

    def held_at(self, seq: int) -> float | None:
        i = bisect_left(self.seqs, seq)
        return self.times[i] if i < len(self.seqs) else None


def report(viewers: list[Viewer], ask: dict, dropped: int) -> dict:
    out: dict = {"viewers": len(viewers), "dropped": dropped}
    progress = {}
    for s in ask.get("marks", []):
        held = [v.held_at(s) for v in viewers]
        progress[s] = [max((h for h in held if h is not None), default=None), sum(h is None for h in held)]
    reveals = {}
    for c in ask.get("reveals", []):
        held = [v.reveals.get(c) for v in viewers]
        reveals[c] = [max((h for h in held if h is not None), default=None), sum(h is None for h in held)]
    out["progress"], out["reveals"] = progress, reveals
    return out


def main_c(host: str, port: int, count: int) -> None:
    child = subprocess.Popen([str(build_c("cviewers")), host, str(port), str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("connected"):
        raise SystemExit(f"cviewers: {line!r}")
    print(line.strip(), flush=True)
    _, path = sys.stdin.readline().split()
    ask = json.loads(open(path).read())
    dumped = path + ".c"
    child.stdin.write(f"dump {dumped}\n")  # type: ignore[union-attr]
    child.stdin.flush()  # type: ignore[union-attr]
    if child.stdout.readline().strip() != "dumped":  # type: ignore[union-attr]
        raise SystemExit("cviewers did not dump")
    child.wait(30)
    viewers = [Viewer() for _ in range(count)]
    dropped = 0
    for rec in open(dumped).read().splitlines():
        kind, *rest = rec.split()
        if kind == "u":
            v = viewers[int(rest[0])]
            v.seqs.append(int(rest[1]))
            v.times.append(float(rest[2]))
        elif kind == "r":
            viewers[int(rest[0])].reveals[rest[1]] = float(rest[2])
        else:
            dropped = int(rest[0])
    os.unlink(dumped)
    print(json.dumps(report(viewers, ask, dropped)), flush=True)


async def main(host: str, port: int, count: int, mode: str) -> None:
    viewers = [Viewer() for _ in range(count)]
    conns = []
    for start in range(0, count, 50):
        group = viewers[start : start + 50]
        conns += await asyncio.gather(
            *(connect(host, port, None, v.on_text, skim=v.on_chunk if mode == "skim" else None) for v in group)
        )
    print(f"connected {count}", flush=True)
    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    _, path = line.split()
    ask = json.loads(open(path).read())
    dropped = sum(1 for c in conns if c.closed.done())
    if mode == "skim":
        # Behind is not missing: give the frames still in the sockets up to 10 s to be read.
        t, last = time.monotonic(), ask.get("last", 0)
        while any(v.last_seq < last for v in viewers) and time.monotonic() - t < 10:
            await asyncio.sleep(0.05)
        out = {"viewers": count, "dropped": dropped, "last_seqs": sorted({v.last_seq for v in viewers}), "bytes": sum(v.bytes for v in viewers),
               "caught_up_in": time.monotonic() - t}
    else:
        out = report(viewers, ask, dropped)
    print(json.dumps(out), flush=True)
    for c in conns:
        c.close()


if __name__ == "__main__":
    if sys.argv[4] in ("full-c", "full-c-niced"):
        if sys.argv[4] == "full-c-niced":
            os.nice(10)  # the C viewers inherit it
        main_c(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
        sys.exit(0)
    if sys.argv[4] in ("skim", "full-niced"):
        os.nice(10)  # the server under test (and the judges) get the CPU first
    mode = "full" if sys.argv[4] == "full-niced" else sys.argv[4]
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), mode))
