"""Shared pieces of the live benchmarks: a generated contest, a server or relay in its own
process, and percentiles. Run by hand; not a test."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTROL_TOKEN = "bench-control-token-0123456789"


def judge_token(jid: str) -> str:
    return f"bench-{jid}-token-0123456789"


def judge_ids(n: int) -> list[str]:
    return [f"J{i:03d}" for i in range(1, n + 1)]


def contest_toml(contestants: int, judges: int, auto_reveal: bool = True) -> str:
    """One category, one trimmed panel (drop the highest and the lowest), one round scored
    as a total: the shape of a speech or teaching final."""
    lines = [
        "[contest]",
        'name = "Live benchmark"',
        'language = "en"',
        "precision = 2",
        'rounding = "half-up"',
        "",
        "[live]",
        f"auto_reveal = {'true' if auto_reveal else 'false'}",
        "",
        "[[categories]]",
        'id = "main"',
        'name = "Main"',
        "",
        "[[panels]]",
        'id = "jury"',
        'name = "Jury"',
        "weight = 1",
        'rule = "trimmed"',
        "trim = 1",
        "",
        "[[rounds]]",
        'id = "final"',
        'name = "Final"',
        "min = 0",
        "max = 100",
        "step = 0.01",
        "",
    ]
    for i in range(1, contestants + 1):
        lines += ["[[contestants]]", f'id = "C{i:04d}"', f'name = "Contestant {i}"', 'category = "main"', ""]
    for jid in judge_ids(judges):
        lines += ["[[judges]]", f'id = "{jid}"', f'name = "Judge {jid}"', 'panel = "jury"', ""]
    return "\n".join(lines)


def make_contest(workdir: Path, contestants: int, judges: int, auto_reveal: bool = True) -> tuple[Path, Path]:
    """Write the contest file and a database holding every token; returns (contest, db)."""
    from judging.store import Store

    workdir.mkdir(parents=True, exist_ok=True)
    contest = workdir / "contest.toml"
    contest.write_text(contest_toml(contestants, judges, auto_reveal), encoding="utf-8")
    db = workdir / "contest.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    store = Store(db)
    grants = [(f"judge:{j}", "judge", judge_token(j)) for j in judge_ids(judges)]
    store.issue_tokens(grants + [("control", "control", CONTROL_TOKEN)])
    store.close()
    return contest, db


SERVER_CPUS: set[int] | None = None  # set by pin(): the cores the process under test runs on
LOAD_CPUS: set[int] | None = None  # and the load's


def pin(spec: str) -> str:
    """Split the cores: 'S/L' (say '0/1') puts the server or relay on cores S and this process,
    with every load process it starts, on cores L. The load then cannot take the server's
    core, as on a venue where the judges and the screens are other machines."""
    global SERVER_CPUS, LOAD_CPUS
    server, load = ({int(c) for c in part.split(",")} for part in spec.split("/"))
    SERVER_CPUS, LOAD_CPUS = server, load
    os.sched_setaffinity(0, load)  # inherited by every process started from here on
    return f"pinned: server on cores {sorted(server)}, load on cores {sorted(load)}"


def build_c(name: str) -> Path:
    """bench/NAME, built from bench/NAME.c with cc if it is missing or older than its source
    (or bench/wsclient.h, which both include)."""
    exe, src = HERE / name, HERE / f"{name}.c"
    if not exe.exists() or exe.stat().st_mtime < max(src.stat().st_mtime, (HERE / "wsclient.h").stat().st_mtime):
        subprocess.run(["cc", "-O2", "-o", str(exe), str(src)], check=True)
    return exe


def _unnice() -> None:
    # A load generator that runs niced starts the process under test at normal priority,
    # and on the server's own cores when pinned.
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    except OSError:
        pass
    if SERVER_CPUS is not None:
        os.sched_setaffinity(0, SERVER_CPUS)


class Proc:
    """A server (or relay) in its own process; it prints 'ready PORT' when it listens."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None):
        self.p = subprocess.Popen(
            [sys.executable, *args], stdout=subprocess.PIPE, stderr=None if os.environ.get("BENCH_STDERR") else subprocess.DEVNULL, text=True,
            env={**os.environ, **(env or {})}, preexec_fn=_unnice,
        )
        line = self.p.stdout.readline()  # type: ignore[union-attr]
        m = re.match(r"ready (\d+)", line)
        if not m:
            self.p.kill()
            raise RuntimeError(f"did not start: {line!r}")
        self.port = int(m.group(1))

    def pids(self) -> list[int]:
        """The process and its children (the server's relay: judging/relay.py)."""
        children = Path(f"/proc/{self.p.pid}/task/{self.p.pid}/children").read_text().split()
        return [self.p.pid, *map(int, children)]

    def children_to_load(self) -> None:
        """Its children (the relay), every thread, onto the load's cores (pin()): the server
        then has its cores to itself."""
        assert LOAD_CPUS is not None, "needs --pin"
        for pid in self.pids()[1:]:
            for task in Path(f"/proc/{pid}/task").iterdir():
                os.sched_setaffinity(int(task.name), LOAD_CPUS)

    def rss_kib(self) -> int:
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def frozen_code(rev: str = "HEAD") -> str:
    """A copy of the package as committed at ``rev``, for PYTHONPATH: a benchmark runs the
    code it names, whatever is being edited in the work tree meanwhile (and a checkpoint
    stays valid across restarts). Returns the directory to put first on PYTHONPATH."""
    sha = subprocess.run(["git", "rev-parse", rev], cwd=HERE.parent, capture_output=True, text=True, check=True).stdout.strip()
    out = Path(tempfile.gettempdir()) / f"judging-code-{sha[:12]}"
    if not (out / "judging").exists():
        out.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "judging"], cwd=HERE.parent, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return str(out)


def server_proc(contest: Path, db: Path, pythonpath: str | None = None) -> Proc:
    args = [os.environ.get("BENCH_SERVER", str(HERE / "serve_bench.py")), str(contest), str(db)]
    return Proc(args, {"PYTHONPATH": pythonpath} if pythonpath else None)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def summary(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), pct(values, 99)


def machine() -> str:
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    load = os.getloadavg()
    return (
        f"nproc {os.cpu_count()}; CPU {model}; RAM {int(mem) / 2**20:.1f} GiB; "
        f"Python {platform.python_version()} ({platform.python_implementation()}); "
        f"load average at start {load[0]:.2f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
