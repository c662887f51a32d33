"""judging/eventloop.py: asyncio's loop unless uvloop is chosen (``judging serve --loop``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import uvloop

from judging import eventloop


async def _which() -> type:
    return type(asyncio.get_running_loop())


def test_asyncio_by_default_and_uvloop_when_chosen(monkeypatch):
    monkeypatch.delenv("JUDGING_LOOP", raising=False)
    assert not issubclass(eventloop.run(_which()), uvloop.Loop)
    eventloop.choose("uvloop")  # through the environment: the relay process follows
    assert eventloop.run(_which()) is uvloop.Loop
    assert eventloop.available("uvloop") and not eventloop.available("trio")


def test_asking_for_uvloop_where_it_is_missing_is_a_clear_error(tmp_path):
    contest = Path(__file__).parent.parent / "fixtures" / "live" / "contest.toml"
    hide = "import sys; sys.modules['uvloop'] = None; from judging.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", hide, "serve", str(contest), "--db", str(tmp_path / "x.db"), "--port", "0", "--loop", "uvloop"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stdout.startswith("error: --loop uvloop needs the uvloop package, which is not installed here"), done.stdout
    assert not (tmp_path / "x.db").exists()  # it stopped before touching anything
