"""``judging serve`` on Linux: a watchdog that holds the listening socket and runs the server
in a child process, and forks a new one at once if that one dies.

A server process can die mid-contest without anyone stopping it: the kernel's out-of-memory
killer, a crash in a C library, a ``kill -9`` by mistake. Everything acknowledged is in the log
(judging/store.py), so what is lost is time: someone has to notice and start the server again,
while a hall's clients are refused. Here nobody has to. The watchdog has already imported the
server's code and keeps the listening socket open, so a new child recovers from the log and
checkpoint and serves 0.13 to 0.24 s after the kill (docs/benchmarks.md: a million events, a
thousand clients), and the clients' reconnections wait in the socket's queue meanwhile
instead of being refused.

The child dies with the watchdog (``PR_SET_PDEATHSIG``), so killing ``judging serve`` still
stops everything and frees the port. Ctrl+C and SIGTERM stop the child as before (the
watchdog passes them on, and waits). A child that keeps dying as it starts (5 times in a row,
each within two seconds) is not started again: something is wrong that a restart will not mend.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import sys
import time
import traceback
from typing import Callable

PR_SET_PDEATHSIG = 1  # linux/prctl.h
GIVE_UP = (5, 2.0)  # deaths in a row, each that many seconds after its start or sooner


def listen(host: str, port: int, backlog: int, wait: float = 1.0) -> socket.socket:
    """A listening socket on ``host``:``port``. A server killed a moment ago may still hold
    the port while it dies (its child goes a little after it): tried again for ``wait`` s."""
    family, _, _, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    deadline = time.monotonic() + wait
    while True:
        try:
            return socket.create_server(addr[:2], family=family, backlog=backlog)
        except OSError as e:
            if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _die_with(parent: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the watchdog died before that took hold
        os._exit(1)


def supervise(serve: Callable[[socket.socket], int], sock: socket.socket) -> int:
    """Run ``serve(sock)`` in a child, again each time the child is killed; returns the exit
    code of the child that stopped of its own accord (0 after Ctrl+C or SIGTERM)."""
    child = 0
    stopping = False
    quick = 0  # deaths in a row soon after the start

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child:  # (0 would signal the whole process group)
            try:
                os.kill(child, signum)
            except ProcessLookupError:
                pass  # between two children: none is started after this

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    parent = os.getpid()
    while not stopping:
        sys.stdout.flush()
        born = time.monotonic()
        child = os.fork()
        if child == 0:
            os._exit(_child(serve, sock, parent))
        if stopping:  # asked to stop while forking: the new child may not have heard
            os.kill(child, signal.SIGTERM)
        _, status = os.waitpid(child, 0)
        if os.WIFEXITED(status):
            return os.WEXITSTATUS(status)
        name = signal.Signals(os.WTERMSIG(status)).name
        if stopping:
            return 1
        quick = quick + 1 if time.monotonic() - born <= GIVE_UP[1] else 0
        if quick >= GIVE_UP[0]:
            print(f"error: the server process died {quick} times in a row as it started ({name}); not starting it again", flush=True)
            return 1
        print(f"the server process was killed ({name}); starting it again from the log", flush=True)
    return 0


def _child(serve: Callable[[socket.socket], int], sock: socket.socket, parent: int) -> int:
    """The server process: its exit code. It ends with os._exit (none of the watchdog's
    cleanup runs twice), so what would have ended the program is reported here."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with(parent)
        code = serve(sock)
    except KeyboardInterrupt:
        code = 130
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return code
